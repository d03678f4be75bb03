#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"
#include "storage/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace relay::storage {

namespace detail {
struct sqlite_db_close {
  void operator()(sqlite3* db) const noexcept;
};
struct sqlite_stmt_finalize {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using sqlite_db_ptr = std::unique_ptr<sqlite3, sqlite_db_close>;
using sqlite_stmt_ptr = std::unique_ptr<sqlite3_stmt, sqlite_stmt_finalize>;
class statement;
}  // namespace detail

/// The single-node store: one SQLite connection (WAL) with its prepared statements.
///
/// Any number of instances, in any number of processes, may open the same file; the
/// one that finds the schema out of date migrates it. Methods never throw: a failure
/// returns the empty value of the call (nullopt, false, an empty vector, a row with an
/// empty id) and is described by `last_error()`.
class sqlite_store final : public store {
 public:
  /// Opens (creating if missing) the database at `path` and, unless `read_only`,
  /// migrates it. `read_only` only skips migrations: the connection is still opened
  /// read-write because WAL readers need the -shm file. `synchronous` is "full" or
  /// "normal". Throws std::runtime_error when the file cannot be opened, configured
  /// or migrated, or on an unknown `synchronous` value.
  explicit sqlite_store(const std::string& path, bool read_only = false,
                        const std::string& synchronous = "full");
  ~sqlite_store() override;

  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// `<data_dir>/relay.db`, creating `data_dir` when missing (errors surface when the
  /// constructor opens the path).
  static std::string db_path(const std::string& data_dir);

  /// The failure of the most recent call, or `errc::none` when it succeeded.
  const error_info& last_error() const noexcept override { return last_error_; }

  // -- store ----------------------------------------------------------------

  void begin() override;
  void commit() override;
  void rollback() override;

  result<user_row> create_user(const std::string& login, const std::string& name,
                               const std::string& email) override;
  std::optional<user_row> find_user_by_login(const std::string& login) override;
  std::optional<user_row> find_user(const std::string& id) override;

  result<user_row> upsert_oauth_user(const oauth_profile& p) override;
  std::vector<user_row> find_users_by_logins(const std::vector<std::string>& logins) override;

  token_row create_token(const std::string& user_id, const std::string& name,
                         const std::string& token_hash, const std::string& kind = "api",
                         std::optional<std::int64_t> expires_at = std::nullopt) override;
  std::optional<user_row> find_user_by_token_hash(const std::string& token_hash) override;
  std::optional<credential> find_credential(const std::string& token_hash) override;
  std::vector<token_row> list_tokens(const std::string& user_id) override;
  bool revoke_token(const std::string& user_id, const std::string& token_id) override;

  std::optional<room_row> find_room_by_slug(const std::string& slug) override;
  result<room_row> create_room(const room_row& row) override;
  result<room_row> update_room(const std::string& room_id, const room_patch& patch) override;

  std::vector<channel_row> list_channels(const std::string& room_id) override;
  result<channel_row> create_channel(const channel_row& row,
                                     const std::vector<std::string>& member_ids = {}) override;
  bool delete_channel(const std::string& channel_id) override;
  std::vector<channel_member_row> list_channel_members(const std::string& room_id) override;
  std::vector<user_row> list_room_members(const std::string& room_id) override;

  std::vector<whitelist_row> list_whitelist(const std::string& room_id) override;
  result<whitelist_row> add_whitelist(const whitelist_row& row) override;
  std::optional<whitelist_row> remove_whitelist(const std::string& room_id,
                                                const std::string& entry_id) override;

  result<access_request_row> create_access_request(const access_request_row& row) override;
  std::vector<access_request_row> list_access_requests(const std::string& room_id,
                                                       const std::string& state) override;
  result<access_request_row> decide_access_request(const std::string& room_id,
                                                   const std::string& request_id, bool approve,
                                                   const std::string& decided_by,
                                                   std::int64_t decided_at) override;

  notification_row create_notification(const notification_row& row) override;
  std::vector<notification_row> list_notifications(const std::string& user_id, int limit) override;

  append_result append_message(const new_message& msg) override;
  std::optional<message_row> find_message(const std::string& id) override;
  std::optional<message_row> edit_message(const std::string& id, const std::string& content,
                                          std::int64_t edited_at) override;
  std::optional<message_row> delete_message(const std::string& id) override;

  std::vector<message_row> list_messages(const message_query& q) override;
  std::vector<message_row> tail(const std::string& room_id, const std::string& channel_id,
                                int n) override;
  std::int64_t last_seq(const std::string& room_id, const std::string& channel_id) override;
  void skip_reserved_seqs() override;
  void release_reserved_seqs() override;

  /// How many seqs a channel reserves ahead at a time: the most a crash can skip.
  static constexpr std::int64_t seq_reservation = 256;

  result<agent_row> create_agent(const agent_row& row, const std::string& token_hash) override;
  bool rotate_agent_token(const std::string& agent_id, const std::string& token_hash) override;
  std::optional<agent_row> find_agent_by_token_hash(const std::string& token_hash) override;
  std::optional<agent_row> find_agent(const std::string& agent_id) override;
  std::vector<agent_row> list_agents() override;
  void touch_agent(const std::string& agent_id, std::int64_t last_seen,
                   std::int64_t served) override;

  result<app_row> create_app(const app_row& row, const std::string& token_hash) override;
  std::optional<app_row> find_app_by_token_hash(const std::string& token_hash) override;
  std::optional<app_row> find_app(const std::string& app_id) override;
  std::vector<app_row> list_apps() override;
  result<app_row> set_allowlist(const std::string& app_id,
                                const std::vector<std::string>& agent_ids) override;

  result<bot_row> create_bot(const std::string& room_id, const std::string& login,
                             const std::string& name, const std::string& agent_id,
                             const std::string& prefix) override;
  std::vector<bot_row> list_bots(const std::string& room_id) override;

  result<hall_key_row> create_hall_key(const std::string& plan, bool test_mode,
                                       const std::string& key_hash) override;
  std::optional<hall_key_row> find_hall_key(const std::string& key_hash) override;
  result<hall_row> create_hall(const hall_row& row) override;
  std::optional<hall_snapshot> load_hall(const std::string& hall_id) override;
  result<bool> apply_hall_change(const hall_change& change) override;
  std::int64_t hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                  const std::string& period) override;

  bool healthy() override;

 private:
  struct cached_stmt {
    detail::sqlite_stmt_ptr stmt;
    bool in_use = false;
  };

  /// The cached statement for `sql`, prepared on first use; a fresh one when the
  /// cached one is already being stepped (nested use).
  detail::statement prepare(const std::string& sql);
  /// A statement that is finalized after use (dynamic SQL).
  detail::statement prepare_uncached(const std::string& sql);
  /// Runs a statement that returns no rows.
  bool run(const std::string& sql, const char* what);
  void record(const char* what);
  void record(errc code, std::string message);

  /// Opens the write savepoint: atomic on its own, nested inside begin()'s transaction.
  bool open_savepoint();
  /// Releases it; on failure undoes it. False when the work did not stick.
  bool release_savepoint();
  /// Rolls the savepoint's work back and closes it.
  void undo_savepoint();

  std::optional<user_row> fetch_user_by_github_id(std::int64_t github_id);
  std::optional<room_row> fetch_room(const std::string& id);
  std::optional<access_request_row> fetch_access_request(const std::string& id);
  std::vector<user_row> read_users(detail::statement& st, const char* what);

  std::optional<agent_row> read_one_agent(const std::string& sql, const std::string& key,
                                          const char* what);
  /// Apps joined with their allowlists, one row per (app, agent) ordered by app id.
  std::vector<app_row> read_apps(detail::statement& st, const char* what);
  std::optional<app_row> read_one_app(const std::string& sql, const std::string& key,
                                      const char* what);
  /// Inserts `agent_ids` into the app's allowlist; records the failure.
  bool insert_allowlist(const std::string& app_id, const std::vector<std::string>& agent_ids);

  std::optional<hall_row> fetch_hall(const std::string& id);
  /// Writes one session of `hall` and, the first time it is complete, its minutes to
  /// the ledger. Records the failure.
  bool write_hall_session(const hall_row& hall, const hall_session_row& s);

  std::optional<message_row> fetch_message(const std::string& id);
  std::optional<message_row> find_duplicate(const std::string& author_id,
                                            const std::string& client_msg_id);
  std::vector<message_row> read_messages(detail::statement& st, const char* what);

  // Declared before the cache so statements are finalized before the connection closes.
  detail::sqlite_db_ptr db_;
  std::unordered_map<std::string, cached_stmt> cache_;
  error_info last_error_;
};

}  // namespace relay::storage
