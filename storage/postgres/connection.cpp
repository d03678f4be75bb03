// The connection the Postgres store's areas share: statements, errors as values, and the
// writer's transaction with a savepoint per call.

#include "storage/postgres/connection.hpp"

#include <stdexcept>

#include "storage/postgres/schema.hpp"

namespace relay::storage::postgres {

namespace {

// SQLSTATEs of a database that could not do it now but may soon: a lock or statement
// timeout, a serialization failure, a deadlock, a shutdown. SQLite's busy is the same kind.
bool transient(const std::string& state) {
  return state == "55P03" || state == "57014" || state == "40001" || state == "40P01" ||
         state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0;
}

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
  auto c = std::make_unique<pqxx::connection>(with_connect_timeout(url));
  // A query that hangs (a lock held elsewhere, a dying disk) fails instead of holding
  // the storage actor that made it.
  pqxx::nontransaction{*c}.exec("SET statement_timeout = 10000");
  return c;
}

}  // namespace

std::string with_connect_timeout(const std::string& url) {
  if (url.find("connect_timeout=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=2";
}

std::string text_array(const std::vector<std::string>& xs) {
  std::string out = "{";
  for (const auto& x : xs) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : x) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + '}';
}

connection::connection(std::string url) : url_{std::move(url)} {
  try {
    c_ = connect(url_);
    migrate(*c_);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string{"postgres store: "} + e.what());
  }
}

connection::~connection() {
  rollback();
}

void connection::prepare(const std::string& name, const std::string& sql) {
  statements_.emplace_back(name, sql);
  if (c_) c_->prepare(name, sql);
}

pqxx::connection& connection::connected() {
  if (c_ && c_->is_open()) return *c_;
  // Statements of the lost transaction must not run on a new connection outside it.
  if (tx_) throw pqxx::broken_connection{"the connection was lost inside the transaction"};
  c_.reset();
  auto c = connect(url_);
  for (const auto& [name, sql] : statements_) c->prepare(name, sql);
  c_ = std::move(c);
  return *c_;
}

error_info connection::failure(const char* what, const std::exception& e) {
  const std::string message = std::string{what} + ": " + e.what();
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr ||
      dynamic_cast<const pqxx::check_violation*>(&e) != nullptr)
    return make_error(errc::conflict, message);
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&e) != nullptr)
    return make_error(errc::not_found, message);
  errc code = errc::internal;
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    code = errc::unavailable;
    if (!tx_) c_.reset();  // inside a transaction, commit() or rollback() drops it
  } else if (dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr ||
             dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr) {
    // Two nodes' batches appending to the same channels in opposite orders wait on each
    // other's seq rows; Postgres ends that by rolling one back, which may simply run
    // again. (libpqxx 6.4 throws these as transaction_rollback, not as sql_error.)
    auto err = fail(errc::unavailable, message);
    err.retry = true;
    if (aborted_) aborted_.retry = true;
    return err;
  } else if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
             sql != nullptr && transient(sql->sqlstate())) {
    code = errc::unavailable;
  }
  return fail(code, message);
}

error_info connection::fail(errc code, std::string message) {
  auto e = make_error(code, std::move(message));
  if (tx_ && !aborted_) aborted_ = e;
  return e;
}

// -- transactions -------------------------------------------------------------------

expected<void> connection::begin() {
  // A begin inside an open transaction is a failure inside it, and aborts it like any.
  if (tx_) return fail(errc::internal, "begin: a transaction is already open");
  try {
    tx_ = std::make_unique<pqxx::work>(connected(), "batch");
    aborted_ = {};
    return {};
  } catch (const std::exception& e) {
    tx_.reset();
    return failure("begin", e);
  }
}

expected<void> connection::commit() {
  if (!tx_) return make_error(errc::internal, "commit: no transaction is open");
  if (aborted_) {
    auto cause = aborted_;
    rollback();
    return cause;
  }
  try {
    tx_->commit();
    tx_.reset();
    return {};
  } catch (const std::exception& e) {
    tx_.reset();
    auto err = failure("commit", e);
    if (c_ && !c_->is_open()) c_.reset();
    return err;
  }
}

void connection::rollback() {
  if (tx_) {
    try {
      tx_->abort();
    } catch (const std::exception&) {
      // The connection broke: the server rolled the transaction back already.
    }
    tx_.reset();
    if (c_ && !c_->is_open()) c_.reset();
  }
  aborted_ = {};
}

bool connection::healthy() {
  if (tx_) return !aborted_ && c_ && c_->is_open();
  try {
    pqxx::nontransaction{connected()}.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    c_.reset();
    return false;
  }
}

}  // namespace relay::storage::postgres
