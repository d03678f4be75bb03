// The attachments area on SQLite. The bytes are content-addressed files beside the
// database: their name is their sha256 (hex, checked to be 64 hex digits), never
// anything a client sent.

#include "storage/sqlite/attachments.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/ids.hpp"

namespace relay::storage::sqlite {

namespace {

namespace fs = std::filesystem;

const std::string cols =
    "id, uploader_id, entity_type, entity_id, content_type, size, width, height, name, sha256,"
    " created_at";
const std::string sql_insert =
    "INSERT INTO attachments (" + cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_find = "SELECT " + cols + " FROM attachments WHERE id = ?";
const std::string sql_owner =
    "SELECT r.slug, m.channel_id, m.author_id FROM messages m JOIN rooms r ON r.id = m.room_id"
    " WHERE m.id = ?";

attachment_row read_row(statement& st) {
  attachment_row a;
  a.id = st.text(0);
  a.uploader_id = st.text(1);
  a.entity_type = st.text(2);
  a.entity_id = st.text(3);
  a.content_type = st.text(4);
  a.size = st.int64(5);
  a.width = st.opt_int64(6);
  a.height = st.opt_int64(7);
  a.name = st.text(8);
  a.sha256 = st.text(9);
  a.created_at = st.int64(10);
  return a;
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Writes all of `data` to `fd`, then fsyncs it.
bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return ::fsync(fd) == 0;
}

// A rename is durable once the directory holding it is fsynced.
bool fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string attachments::blob_path(const std::string& sha256_hex) const {
  const char* file = sqlite3_db_filename(db_.handle(), "main");
  fs::path dir = file != nullptr && *file != '\0' ? fs::path(file).parent_path() : fs::path(".");
  return (dir / "attachments" / sha256_hex.substr(0, 2) / sha256_hex).string();
}

expected<void> attachments::put_attachment(const attachment_row& row, const std::string& bytes) {
  if (!is_sha256_hex(row.sha256) || sha256_hex(bytes) != row.sha256)
    return make_error(errc::bad_request, "attachment sha256 does not match its bytes");
  const fs::path path = blob_path(row.sha256);
  std::error_code ec;
  // Same name, same bytes: a file already there is this one (content-addressed).
  if (!(fs::exists(path, ec) &&
        fs::file_size(path, ec) == static_cast<std::uintmax_t>(bytes.size()))) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) return make_error(errc::unavailable, "cannot create the attachments directory");
    const fs::path tmp = path.string() + "." + random_hex(8) + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return make_error(errc::unavailable, "cannot write the attachment");
    bool ok = write_all(fd, bytes);
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0 || !fsync_dir(path.parent_path())) {
      ::unlink(tmp.c_str());
      return make_error(errc::unavailable, "cannot write the attachment");
    }
  }
  auto st = db_.prepare(sql_insert);
  if (!st) return db_.failure("prepare");
  st.bind(row.id)
      .bind(row.uploader_id)
      .bind(row.entity_type)
      .bind(row.entity_id)
      .bind(row.content_type)
      .bind(row.size);
  row.width ? st.bind(*row.width) : st.bind_null();
  row.height ? st.bind(*row.height) : st.bind_null();
  st.bind(row.name).bind(row.sha256).bind(row.created_at);
  const int rc = st.step();
  if (is_constraint(rc)) return make_error(errc::conflict, "attachment id is taken");
  if (rc != SQLITE_DONE) return db_.failure("insert attachment");
  return {};
}

expected<attachment_row> attachments::find_attachment(const std::string& id) {
  auto st = db_.prepare(sql_find);
  if (!st) return db_.failure("find attachment");
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such attachment");
  if (rc != SQLITE_ROW) return db_.failure("find attachment");
  return read_row(st);
}

expected<std::string> attachments::attachment_bytes(const attachment_row& row) {
  if (!is_sha256_hex(row.sha256)) return make_error(errc::not_found, "no such attachment");
  std::ifstream in(blob_path(row.sha256), std::ios::binary);
  if (!in) return make_error(errc::not_found, "the attachment's bytes are gone");
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return make_error(errc::unavailable, "cannot read the attachment");
  return bytes;
}

expected<std::vector<attachment_row>> attachments::list_attachments(
    const std::string& entity_type, const std::vector<std::string>& entity_ids) {
  std::vector<attachment_row> out;
  if (entity_ids.empty()) return out;
  std::string sql = "SELECT " + cols + " FROM attachments WHERE entity_type = ? AND entity_id IN (";
  for (std::size_t i = 0; i < entity_ids.size(); ++i) sql += i == 0 ? "?" : ", ?";
  sql += ") ORDER BY created_at, id";
  auto st = db_.prepare_uncached(sql);
  if (!st) return db_.failure("list attachments");
  st.bind(entity_type);
  for (const auto& id : entity_ids) st.bind(id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_row(st));
  if (rc != SQLITE_DONE) return db_.failure("list attachments");
  return out;
}

expected<attachment_owner> attachments::message_owner(const std::string& message_id) {
  auto st = db_.prepare(sql_owner);
  if (!st) return db_.failure("find message");
  st.bind(message_id);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such message");
  if (rc != SQLITE_ROW) return db_.failure("find message");
  return attachment_owner{st.text(0), st.text(1), st.text(2)};
}

}  // namespace relay::storage::sqlite
