#pragma once

#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "storage/expected.hpp"
#include "storage/transactions.hpp"

namespace relay::storage::postgres {

/// One Postgres connection shared by the store's areas (storage/postgres/<area>.hpp), as
/// sqlite::database is for SQLite: the prepared statements, turning libpqxx's exceptions
/// into error values, and the transaction that the writer groups a batch into. Calls
/// block; not thread-safe.
///
/// Every call of an area is one run(): atomic on its own, or inside begin()'s transaction
/// under a savepoint, so a call that answers `conflict` or `not_found` leaves the rest of
/// the batch alone (Postgres would otherwise abort the whole transaction on any error);
/// run_unguarded() is the exception, for hot steps that cannot raise those.
/// A failure (`expected::failed()`) aborts the transaction as SQLite's does: the calls
/// after it fail with it, and commit() rolls back and returns it.
class connection : public virtual transactions {
 public:
  /// Connects to `url` (a libpq URL) and migrates the schema (storage/postgres/schema.hpp).
  /// Throws std::runtime_error when it cannot, like sqlite_store's constructor.
  explicit connection(std::string url);
  ~connection() override;

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Declares a prepared statement, prepared on this connection and on every later one.
  /// Areas declare theirs in their constructors; names are "<area>.<what>".
  void prepare(const std::string& name, const std::string& sql);

  /// Runs `f(pqxx::transaction_base&)`, which returns an `expected<T>`, as one atomic step
  /// (see the class comment). An exception becomes the error it stands for: a unique or
  /// check violation `conflict`, a foreign key `not_found`, a lost connection or a timeout
  /// `unavailable`, anything else `internal`.
  template <class F>
  std::invoke_result_t<F, pqxx::transaction_base&> run(const char* what, F&& f);

  /// run() without its savepoint, for a step on the hot path whose statements cannot fail
  /// with `conflict` or `not_found` (it turns those into answers itself, having changed
  /// nothing): the savepoint's two round trips cost more than the step. Any exception, of
  /// whatever kind, aborts begin()'s transaction, as Postgres already has.
  template <class F>
  std::invoke_result_t<F, pqxx::transaction_base&> run_unguarded(const char* what, F&& f);

  /// The failure `message`, which aborts begin()'s transaction like any failure.
  error_info fail(errc code, std::string message);

  // -- transactions -----------------------------------------------------------------

  expected<void> begin() override;
  expected<void> commit() override;
  void rollback() override;
  bool healthy() override;

 private:
  /// The open connection, reconnecting (and preparing the statements again) when the last
  /// one broke outside a transaction. Throws pqxx::broken_connection when it cannot.
  pqxx::connection& connected();
  /// The error an exception from run() stands for; failures abort the transaction.
  error_info failure(const char* what, const std::exception& e);

  std::string url_;
  std::vector<std::pair<std::string, std::string>> statements_;
  std::unique_ptr<pqxx::connection> c_;
  std::unique_ptr<pqxx::work> tx_;  // begin()'s transaction, while open
  error_info aborted_;              // the failure that aborted it, if one did
};

/// `url` with connect_timeout=2 unless it sets one: a Postgres that is down fails a call
/// in seconds instead of holding the storage actor that made it.
std::string with_connect_timeout(const std::string& url);

/// A text[] literal of `xs`: every element quoted, so no value can end or split the array.
std::string text_array(const std::vector<std::string>& xs);

// -- implementation ---------------------------------------------------------------------

template <class F>
std::invoke_result_t<F, pqxx::transaction_base&> connection::run(const char* what, F&& f) {
  if (aborted_) return aborted_;
  try {
    auto& c = connected();
    if (tx_) {
      // Plain statements, not pqxx::subtransaction: libpqxx 6.4 opens a subtransaction's
      // savepoint only on exec(), never on exec_prepared(), so its abort undid nothing.
      tx_->exec("SAVEPOINT step");
      try {
        auto r = f(static_cast<pqxx::transaction_base&>(*tx_));
        if (r) {
          tx_->exec("RELEASE SAVEPOINT step");
        } else {
          tx_->exec("ROLLBACK TO SAVEPOINT step");
          if (r.failed() && !aborted_) aborted_ = r.error();
        }
        return r;
      } catch (const pqxx::sql_error&) {
        // A constraint that failed: the call changes nothing and the batch goes on. Any
        // other failure aborts the batch below anyway.
        tx_->exec("ROLLBACK TO SAVEPOINT step");
        throw;
      }
    }
    pqxx::work w{c, "step"};
    auto r = f(static_cast<pqxx::transaction_base&>(w));
    if (r) w.commit();  // otherwise the destructor rolls back
    return r;
  } catch (const std::exception& e) {
    return failure(what, e);
  }
}

template <class F>
std::invoke_result_t<F, pqxx::transaction_base&> connection::run_unguarded(const char* what,
                                                                           F&& f) {
  if (!tx_) return run(what, std::forward<F>(f));
  if (aborted_) return aborted_;
  try {
    auto r = f(static_cast<pqxx::transaction_base&>(*tx_));
    if (r.failed() && !aborted_) aborted_ = r.error();
    return r;
  } catch (const std::exception& e) {
    // Without a savepoint even a constraint leaves the transaction aborted in Postgres.
    auto err = failure(what, e);
    if (!aborted_) aborted_ = err;
    return err;
  }
}

}  // namespace relay::storage::postgres
