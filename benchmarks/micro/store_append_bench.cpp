// The store writer's per-message work: append_message inside a batch transaction, as
// the writer runs it before the live fan-out. The COMMIT (fsync) is left out: it is
// measured end to end by the ack scenarios of run.sh; this isolates the CPU of the
// insert path that sits before every message reaches its subscribers.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/ids.hpp"
#include "storage/sqlite_store.hpp"

namespace {

namespace fs = std::filesystem;
using relay::storage::new_message;
using relay::storage::sqlite_store;

struct store_fixture {
  store_fixture() {
    char tmpl[] = "/tmp/relay-micro-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    // "normal" keeps the commits between batches cheap; the appends are the same SQL.
    store = std::make_unique<sqlite_store>((dir / "relay.db").string(), false, "normal");
    auto u = store->create_user("bench", "Bench User", "bench@example.com");
    if (!u) throw std::runtime_error(u.error.message);
    author = u.value->id;
    room = store->find_room_by_slug("lobby")->id;
  }
  ~store_fixture() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  new_message message(std::string client_msg_id) const {
    new_message m;
    m.id = relay::make_id("msg");
    m.room_id = room;
    m.author_id = author;
    m.content = "t:1234567890123456789:42 the quick brown fox jumps over the lazy dog";
    m.client_msg_id = std::move(client_msg_id);
    return m;
  }

  fs::path dir;
  std::unique_ptr<sqlite_store> store;
  std::string author;
  std::string room;
};

// Appends in batches of range(0), as the writer's group commit does; with a
// client_msg_id when range(1) is 1 (the duplicate check runs first then).
void BM_AppendMessage(benchmark::State& state) {
  store_fixture f;
  const auto batch = state.range(0);
  const bool with_client_id = state.range(1) != 0;
  std::int64_t n = 0;
  f.store->begin();
  for (auto _ : state) {
    auto m = f.message(with_client_id ? "c" + std::to_string(n) : std::string{});
    auto r = f.store->append_message(m);
    if (f.store->last_error()) state.SkipWithError(f.store->last_error().message.c_str());
    benchmark::DoNotOptimize(r);
    if (++n % batch == 0) {
      state.PauseTiming();
      f.store->commit();
      f.store->begin();
      state.ResumeTiming();
    }
  }
  f.store->commit();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendMessage)->ArgsProduct({{1, 32}, {0, 1}})->ArgNames({"batch", "client_id"});

}  // namespace
