// The attachments area on Postgres. Mirrors storage/sqlite/attachments.cpp; the bytes
// are a bytea column of the row instead of a file.

#include "storage/postgres/attachments.hpp"

#include <optional>

namespace relay::storage::postgres {

namespace {

const std::string cols =
    "id, uploader_id, entity_type, entity_id, content_type, size, width, height, name, sha256,"
    " created_at";

std::optional<std::int64_t> opt_int64(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}

attachment_row read_row(const pqxx::row& r) {
  attachment_row a;
  a.id = r[0].as<std::string>();
  a.uploader_id = r[1].as<std::string>();
  a.entity_type = r[2].as<std::string>();
  a.entity_id = r[3].as<std::string>();
  a.content_type = r[4].as<std::string>();
  a.size = r[5].as<std::int64_t>();
  a.width = opt_int64(r[6]);
  a.height = opt_int64(r[7]);
  a.name = r[8].as<std::string>();
  a.sha256 = r[9].as<std::string>();
  a.created_at = r[10].as<std::int64_t>();
  return a;
}

// libpqxx 6.4 has no traits for std::optional; a null `const char*` binds NULL.
const char* nullable(const std::optional<std::int64_t>& v, std::string& keep) {
  if (!v) return nullptr;
  keep = std::to_string(*v);
  return keep.c_str();
}

}  // namespace

attachments::attachments(connection& c) : c_{c} {
  c_.prepare("attachments.insert", "INSERT INTO attachments (" + cols +
                                       ", bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                                       " $11, $12)");
  c_.prepare("attachments.find", "SELECT " + cols + " FROM attachments WHERE id = $1");
  c_.prepare("attachments.bytes", "SELECT bytes FROM attachments WHERE id = $1");
  // The ids arrive joined by commas (message ids hold none): one statement for any page.
  c_.prepare("attachments.list", "SELECT " + cols +
                                     " FROM attachments WHERE entity_type = $1 AND"
                                     " entity_id = ANY (string_to_array($2, ','))"
                                     " ORDER BY created_at, id");
  c_.prepare("attachments.owner",
             "SELECT r.slug, m.channel_id, m.author_id FROM messages m"
             " JOIN rooms r ON r.id = m.room_id WHERE m.id = $1");
}

expected<void> attachments::put_attachment(const attachment_row& row, const std::string& bytes) {
  return c_.run("insert attachment", [&](pqxx::transaction_base& t) -> expected<void> {
    std::string w, h;
    t.exec_prepared("attachments.insert", row.id, row.uploader_id, row.entity_type, row.entity_id,
                    row.content_type, row.size, nullable(row.width, w), nullable(row.height, h),
                    row.name, row.sha256, row.created_at, pqxx::binarystring{bytes});
    return {};
  });
}

expected<attachment_row> attachments::find_attachment(const std::string& id) {
  return c_.run("find attachment", [&](pqxx::transaction_base& t) -> expected<attachment_row> {
    auto res = t.exec_prepared("attachments.find", id);
    if (res.empty()) return make_error(errc::not_found, "no such attachment");
    return read_row(res[0]);
  });
}

expected<std::string> attachments::attachment_bytes(const attachment_row& row) {
  return c_.run("read attachment", [&](pqxx::transaction_base& t) -> expected<std::string> {
    auto res = t.exec_prepared("attachments.bytes", row.id);
    if (res.empty()) return make_error(errc::not_found, "no such attachment");
    return pqxx::binarystring(res[0][0]).str();
  });
}

expected<std::vector<attachment_row>> attachments::list_attachments(
    const std::string& entity_type, const std::vector<std::string>& entity_ids) {
  std::string joined;
  for (const auto& id : entity_ids) {
    if (id.empty() || id.find(',') != std::string::npos) continue;  // no message id is
    if (!joined.empty()) joined += ',';
    joined += id;
  }
  if (joined.empty()) return std::vector<attachment_row>{};
  return c_.run("list attachments",
                [&](pqxx::transaction_base& t) -> expected<std::vector<attachment_row>> {
                  std::vector<attachment_row> out;
                  for (const auto& r : t.exec_prepared("attachments.list", entity_type, joined))
                    out.push_back(read_row(r));
                  return out;
                });
}

expected<attachment_owner> attachments::message_owner(const std::string& message_id) {
  return c_.run("find message", [&](pqxx::transaction_base& t) -> expected<attachment_owner> {
    auto res = t.exec_prepared("attachments.owner", message_id);
    if (res.empty()) return make_error(errc::not_found, "no such message");
    return attachment_owner{res[0][0].as<std::string>(), res[0][1].as<std::string>(),
                            res[0][2].as<std::string>()};
  });
}

}  // namespace relay::storage::postgres
