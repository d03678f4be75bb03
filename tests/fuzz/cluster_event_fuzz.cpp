// protocol/cluster_codec: what a node reads from Redis (cluster mode). Anyone who can
// publish on the Redis server can send these bytes, so they are decoded as untrusted.
// The input is one payload, decoded as a room event, a session event, an agent call and
// a presence profile (what a node keeps in Redis beside a user's presence).
// Checked: an accepted event names its node and room; a message event carries a positive
// seq and an id; an accepted agent call names its node and agent, and an event id where
// its kind needs one; and whatever is accepted encodes to a payload that decodes to the
// same thing (so what one node sends another reads back unchanged).

#include "protocol/cluster_codec.hpp"
#include "protocol/presence_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace codec = relay::codec;

namespace {

bool same_reactions(const relay::storage::message_row& m, const relay::storage::message_row& n) {
  if (m.reactions.size() != n.reactions.size()) return false;
  for (std::size_t i = 0; i < m.reactions.size(); ++i)
    if (m.reactions[i].emoji != n.reactions[i].emoji ||
        m.reactions[i].logins != n.reactions[i].logins)
      return false;
  return true;
}

bool same(const codec::cluster_event& a, const codec::cluster_event& b) {
  const auto& m = a.message;
  const auto& n = b.message;
  return a.what == b.what && a.node == b.node && a.room_id == b.room_id &&
         a.sent_at_us == b.sent_at_us && a.channel_id == b.channel_id && a.slug == b.slug &&
         a.text == b.text && a.ephemeral == b.ephemeral && a.user.id == b.user.id &&
         a.user.login == b.user.login && m.id == n.id && m.channel_id == n.channel_id &&
         m.seq == n.seq && m.author.id == n.author.id && m.content == n.content &&
         m.client_msg_id == n.client_msg_id && m.created_at == n.created_at &&
         m.edited_at == n.edited_at && m.bot == n.bot && same_reactions(m, n) &&
         m.thread_id == n.thread_id && m.reply_count == n.reply_count &&
         m.last_reply_at == n.last_reply_at;
}

bool same(const codec::agent_call& a, const codec::agent_call& b) {
  return a.what == b.what && a.node == b.node && a.agent_id == b.agent_id &&
         a.event_id == b.event_id && a.text == b.text && a.code == b.code && a.paused == b.paused &&
         a.metadata.tokens_used == b.metadata.tokens_used && a.metadata.model == b.metadata.model &&
         a.metadata.latency_ms == b.metadata.latency_ms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view payload{reinterpret_cast<const char*>(data), size};
  if (auto e = codec::decode_cluster_event(payload)) {
    FUZZ_CHECK(!e->node.empty() && !e->room_id.empty());
    using kind = codec::cluster_event::kind;
    if (e->what == kind::message || e->what == kind::edited || e->what == kind::deleted)
      FUZZ_CHECK(e->message.seq > 0 && !e->message.id.empty() && e->message.room_id == e->room_id);
    if (e->what == kind::room) FUZZ_CHECK(!e->slug.empty());
    auto again = codec::decode_cluster_event(codec::encode_cluster_event(*e));
    FUZZ_CHECK(again && same(*e, *again));
  }
  if (auto s = codec::decode_session_event(payload)) {
    // Either a revocation or a notification for one user, never both.
    FUZZ_CHECK(!s->node.empty() && (s->revoked_token_id.empty() != s->notify_user_id.empty()));
    auto again = codec::decode_session_event(codec::encode_session_event(*s));
    FUZZ_CHECK(again && again->node == s->node && again->revoked_token_id == s->revoked_token_id &&
               again->notify_user_id == s->notify_user_id && again->frame == s->frame);
  }
  if (auto c = codec::decode_agent_call(payload)) {
    using kind = codec::agent_call::kind;
    FUZZ_CHECK(!c->node.empty() && !c->agent_id.empty());
    if (c->what != kind::online && c->what != kind::offline && c->what != kind::pause)
      FUZZ_CHECK(!c->event_id.empty());
    if (c->what == kind::fail) FUZZ_CHECK(!c->code.empty());
    auto again = codec::decode_agent_call(codec::encode_agent_call(*c));
    FUZZ_CHECK(again && same(*c, *again));
  }
  if (auto p = codec::decode_profile(payload)) {
    FUZZ_CHECK(!p->id.empty());
    auto again = codec::decode_profile(codec::encode_profile(*p));
    FUZZ_CHECK(again && again->id == p->id && again->login == p->login && again->name == p->name &&
               again->avatar_url == p->avatar_url);
  }
  return 0;
}
