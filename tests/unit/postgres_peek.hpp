#pragma once

// A fresh Postgres database per test on the server the test command starts
// (RELAY_TEST_POSTGRES_URL), and looking at it on a connection of its own, past the
// store, as sqlite_peek.hpp does for a SQLite file.

#include <gtest/gtest.h>
#include <unistd.h>
#include <pqxx/pqxx>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace relay::test_support {

/// Why the Postgres tests cannot run here, "" when they can.
inline std::string postgres_unavailable() {
  const char* base = std::getenv("RELAY_TEST_POSTGRES_URL");
  if (base == nullptr || *base == '\0')
    return "RELAY_TEST_POSTGRES_URL is not set (make test and scripts/test.sh start a Postgres "
           "and set it)";
  return "";
}

/// Creates an empty database on RELAY_TEST_POSTGRES_URL's server; returns its URL.
inline std::string create_postgres_database() {
  static std::atomic<int> n{0};
  const std::string admin = std::getenv("RELAY_TEST_POSTGRES_URL");
  const std::string name = "relay_store_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  pqxx::connection c{admin};
  pqxx::nontransaction{c}.exec("CREATE DATABASE " + name);
  return admin.substr(0, admin.rfind('/') + 1) + name;
}

/// Drops the database create_postgres_database() made, closing what is still connected.
inline void drop_postgres_database(const std::string& url) {
  const std::string admin = std::getenv("RELAY_TEST_POSTGRES_URL");
  const std::string name = url.substr(url.rfind('/') + 1);
  try {
    pqxx::connection c{admin};
    pqxx::nontransaction{c}.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop " << name << ": " << e.what();
  }
}

/// The first column of the first row as text ("" for none or NULL; bytea as its bytes).
inline std::string postgres_text(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  auto r = pqxx::nontransaction{c}.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  // bytea (message content) comes back as its bytes, as SQLite's text does, not as
  // Postgres's \x... hex form.
  constexpr pqxx::oid bytea = 17;
  if (r[0][0].type() == bytea) return pqxx::binarystring{r[0][0]}.str();
  return r[0][0].as<std::string>();
}

/// The first column of the first row as an integer (-1 for no row).
inline std::int64_t postgres_scalar(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  auto r = pqxx::nontransaction{c}.exec(sql);
  if (r.empty()) return -1;
  return r[0][0].as<std::int64_t>();
}

/// Runs statements in one transaction; returns Postgres's error message, "" when they ran.
inline std::string postgres_exec(const std::string& url, const std::string& sql) {
  try {
    pqxx::connection c{url};
    pqxx::work w{c};
    w.exec(sql);
    w.commit();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace relay::test_support
