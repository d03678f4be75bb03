#include "storage/postgres/search_index.hpp"

#include <pqxx/pqxx>

#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

namespace {

search_index_size read_size(pqxx::transaction_base& t) {
  auto r = t.exec1(
      "SELECT (SELECT count(*) FROM search_docs), pg_total_relation_size('search_docs'),"
      " pg_database_size(current_database())");
  return {r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>()};
}

template <class F>
expected<search_index_size> with_database(const std::string& url, F&& f) {
  try {
    pqxx::connection c{with_connect_timeout(url)};
    pqxx::work t{c};
    auto out = f(t);
    t.commit();
    return out;
  } catch (const pqxx::undefined_table&) {
    return make_error(errc::not_found,
                      "no search index in this database: start a node on it first (it migrates "
                      "the schema)");
  } catch (const pqxx::undefined_function&) {
    return make_error(errc::not_found,
                      "no search index in this database: start a node on it first (it migrates "
                      "the schema)");
  } catch (const std::exception& e) {
    return make_error(errc::unavailable, e.what());
  }
}

}  // namespace

expected<search_index_size> read_search_index(const std::string& url) {
  return with_database(url, [](pqxx::transaction_base& t) { return read_size(t); });
}

expected<search_index_size> rebuild_search_index(const std::string& url) {
  return with_database(url, [](pqxx::transaction_base& t) {
    t.exec("SELECT relay_search_rebuild()");
    return read_size(t);
  });
}

}  // namespace relay::storage::postgres
