// The store's per-message work. The writer's append_message inside a batch
// transaction, as it runs before the live fan-out (the COMMIT, an fsync, is left out:
// the ack scenarios of run.sh measure it end to end), and a resume page read.

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
    if (!u) throw std::runtime_error(u.error().message);
    author = u->id;
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
    if (!r) state.SkipWithError(r.error().message.c_str());
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

// One page of a resume far behind: range(0) messages after a seq, oldest first, from
// a channel of 10,000 (what the store readers run for each catch-up page).
void BM_ReadResumePage(benchmark::State& state) {
  store_fixture f;
  constexpr int total = 10'000;
  f.store->begin();
  for (int i = 0; i < total; ++i) f.store->append_message(f.message({}));
  f.store->commit();
  relay::storage::message_query q;
  q.room_id = f.room;
  q.channel_id = std::string{};
  q.limit = static_cast<int>(state.range(0));
  std::int64_t after = 0;
  for (auto _ : state) {
    q.after_seq = after;
    auto page = f.store->list_messages(q);
    if (!page || page->size() != static_cast<std::size_t>(q.limit)) state.SkipWithError("short page");
    after = (after + q.limit) % (total - q.limit);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ReadResumePage)->Arg(256)->ArgName("messages");

}  // namespace
