#pragma once

#include <string>
#include <string_view>

#include "storage/sqlite/database.hpp"
#include "storage/users_store.hpp"

namespace relay::storage::sqlite {

/// The users area on SQLite: users, tokens and sessions, notifications.
class users : public virtual users_store {
 public:
  explicit users(database& db) : db_{db} {}

  expected<user_row> create_user(const std::string& login, const std::string& name,
                                 const std::string& email) override;
  expected<user_row> find_user_by_login(const std::string& login) override;
  expected<user_row> find_user(const std::string& id) override;
  expected<user_row> upsert_oauth_user(const oauth_profile& p) override;
  expected<std::vector<user_row>> find_users_by_logins(
      const std::vector<std::string>& logins) override;

  expected<token_row> create_token(const std::string& user_id, const std::string& name,
                                   const std::string& token_hash, token_kind kind = token_kind::api,
                                   std::optional<std::int64_t> expires_at = std::nullopt) override;
  expected<user_row> find_user_by_token_hash(const std::string& token_hash) override;
  expected<credential> find_credential(const std::string& token_hash) override;
  expected<std::vector<token_row>> list_tokens(const std::string& user_id) override;
  expected<void> revoke_token(const std::string& user_id, const std::string& token_id) override;

  expected<notification_row> create_notification(const notification_row& row) override;
  expected<std::vector<notification_row>> list_notifications(const std::string& user_id,
                                                             int limit) override;
  expected<std::optional<notification_row>> create_mention(const notification_row& row) override;
  expected<std::vector<notification_row>> page_notifications(const notification_query& q) override;
  expected<notification_row> update_notification(const std::string& user_id, const std::string& id,
                                                 const notification_change& change) override;

 private:
  expected<user_row> find_one(const std::string& sql, const char* what, const std::string* text_key,
                              std::int64_t int_key = 0);

  database& db_;
};

/// The columns read_user() reads, for any query over `users u`. A compile-time constant:
/// other files build their SQL from it while their statics are initialized, in an order
/// across files that C++ does not define.
inline constexpr std::string_view user_cols =
    "SELECT u.id, u.login, u.name, u.avatar_url, u.email, u.github_id, u.created_at ";
user_row read_user(const statement& st);
/// Every row of `st` as users.
expected<std::vector<user_row>> read_users(database& db, statement& st, const char* what);

}  // namespace relay::storage::sqlite
