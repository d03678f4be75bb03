// The JSON work every message costs: decoding a client's `send` frame once, encoding
// the broadcast frame once (shared by every subscriber), and encoding a resume page.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/json_codec.hpp"
#include "storage/rows.hpp"

namespace {

using relay::storage::message_row;

message_row sample(std::int64_t seq, std::size_t content_bytes) {
  message_row m;
  m.id = "msg_01JD5Y8K6X4T3W2V1U0S9R8Q7P";
  m.room_id = "room_01JD5Y8K6X4T3W2V1U0S9R8Q7P";
  m.channel_id = "ch_01JD5Y8K6X4T3W2V1U0S9R8Q7P";
  m.seq = seq;
  m.author = {"usr_01JD5Y8K6X4T3W2V1U0S9R8Q7P", "alice", "Alice Example",
              "https://avatars.example.com/u/1"};
  m.content = std::string(content_bytes, 'x');
  m.client_msg_id = "c-7f3a";
  m.created_at = 1'763'800'000'000;
  return m;
}

void BM_DecodeSendFrame(benchmark::State& state) {
  const std::string frame =
      R"({"type":"send","clientMsgId":"c-7f3a","channel":"ch_01JD5Y8K6X4T3W2V1U0S9R8Q7P",)"
      R"("content":"the quick brown fox jumps over the lazy dog, twice: the quick brown fox"})";
  for (auto _ : state) benchmark::DoNotOptimize(relay::codec::decode_client_frame(frame));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeSendFrame);

void BM_EncodeMessageFrame(benchmark::State& state) {
  auto m = sample(42, static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(relay::codec::encode_message_frame(m));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeMessageFrame)->Arg(70)->Arg(8000)->ArgName("content_bytes");

// A resume page: 256 messages in one sync frame.
void BM_EncodeSyncPage(benchmark::State& state) {
  std::vector<message_row> page;
  for (int i = 0; i < 256; ++i) page.push_back(sample(i + 1, 70));
  const std::map<std::string, std::int64_t> seqs{{"ch_01JD5Y8K6X4T3W2V1U0S9R8Q7P", 256}};
  for (auto _ : state) benchmark::DoNotOptimize(relay::codec::encode_sync(page, seqs));
  state.SetItemsProcessed(state.iterations() * 256);
}
BENCHMARK(BM_EncodeSyncPage);

}  // namespace
