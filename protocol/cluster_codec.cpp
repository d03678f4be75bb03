#include "protocol/cluster_codec.hpp"

#include <boost/json.hpp>

#include <array>

namespace relay::codec {

namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 8> kind_names{"message", "edited", "deleted", "typing",
                                                     "room",    "frame",  "reacted", "threaded"};

json::object author(const storage::author_row& a) {
  return {{"id", a.id}, {"login", a.login}, {"name", a.name}, {"avatar", a.avatar_url}};
}

// Reads member `key` of `o` as a string into `out`; false when it is absent or not one.
bool text(const json::object& o, std::string_view key, std::string& out) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return false;
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

bool integer(const json::object& o, std::string_view key, std::int64_t& out) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) return false;
  out = v->get_int64();
  return true;
}

bool read_author(const json::value* v, storage::author_row& a) {
  if (v == nullptr || !v->is_object()) return false;
  const auto& o = v->get_object();
  return text(o, "id", a.id) && text(o, "login", a.login) && text(o, "name", a.name) &&
         text(o, "avatar", a.avatar_url);
}

bool read_message(const json::value* v, storage::message_row& m) {
  if (v == nullptr || !v->is_object()) return false;
  const auto& o = v->get_object();
  if (!(text(o, "id", m.id) && text(o, "channel", m.channel_id) && integer(o, "seq", m.seq) &&
        read_author(o.if_contains("author"), m.author) && text(o, "content", m.content) &&
        text(o, "clientMsgId", m.client_msg_id) && integer(o, "createdAt", m.created_at) &&
        text(o, "threadId", m.thread_id) && text(o, "bot", m.bot)))
    return false;
  if (auto* e = o.if_contains("editedAt"); e != nullptr && !e->is_null()) {
    if (!e->is_int64()) return false;
    m.edited_at = e->get_int64();
  }
  if (auto* n = o.if_contains("replyCount")) {
    if (!n->is_int64() || n->get_int64() < 0) return false;
    m.reply_count = n->get_int64();
  }
  if (auto* t = o.if_contains("lastReplyAt")) {
    if (!t->is_int64()) return false;
    m.last_reply_at = t->get_int64();
  }
  // [[emoji, [login…]]…], in the message's order.
  if (auto* rs = o.if_contains("reactions")) {
    if (!rs->is_array()) return false;
    for (const auto& r : rs->get_array()) {
      if (!r.is_array() || r.get_array().size() != 2 || !r.get_array()[0].is_string() ||
          !r.get_array()[1].is_array())
        return false;
      storage::reaction_row row;
      row.emoji = r.get_array()[0].get_string();
      for (const auto& l : r.get_array()[1].get_array()) {
        if (!l.is_string()) return false;
        row.logins.emplace_back(l.get_string());
      }
      m.reactions.push_back(std::move(row));
    }
  }
  return m.seq > 0 && !m.id.empty();
}

}  // namespace

cluster_event about_message(cluster_event::kind what, std::string room_id, storage::message_row m) {
  cluster_event e;
  e.what = what;
  e.room_id = std::move(room_id);
  e.message = std::move(m);
  return e;
}

namespace {

json::object message_object(const storage::message_row& m) {
  json::object mo{{"id", m.id},
                  {"channel", m.channel_id},
                  {"seq", m.seq},
                  {"author", author(m.author)},
                  {"content", m.content},
                  {"clientMsgId", m.client_msg_id},
                  {"createdAt", m.created_at},
                  {"threadId", m.thread_id},
                  {"bot", m.bot}};
  if (m.edited_at) mo["editedAt"] = *m.edited_at;
  if (!m.reactions.empty()) {
    json::array rs;
    for (auto& r : m.reactions) {
      json::array logins;
      for (auto& l : r.logins) logins.emplace_back(l);
      json::array pair;
      pair.emplace_back(r.emoji);
      pair.emplace_back(std::move(logins));
      rs.emplace_back(std::move(pair));
    }
    mo["reactions"] = std::move(rs);
  }
  if (m.reply_count != 0) mo["replyCount"] = m.reply_count;
  if (m.last_reply_at) mo["lastReplyAt"] = *m.last_reply_at;
  return mo;
}

}  // namespace

std::string encode_cluster_event(const cluster_event& e) {
  json::object o{{"k", kind_names[static_cast<std::size_t>(e.what)]},
                 {"node", e.node},
                 {"room", e.room_id},
                 {"t", e.sent_at_us}};
  switch (e.what) {
    case cluster_event::kind::message:
    case cluster_event::kind::edited:
    case cluster_event::kind::deleted:
    case cluster_event::kind::reacted: {
      o["message"] = message_object(e.message);
      if (e.what == cluster_event::kind::reacted) o["frame"] = e.text;
      break;
    }
    case cluster_event::kind::threaded:
      o["channel"] = e.channel_id;
      o["frame"] = e.text;
      if (!e.message.id.empty()) o["message"] = message_object(e.message);
      break;
    case cluster_event::kind::typing:
      o["channel"] = e.channel_id;
      o["user"] = author(e.user);
      break;
    case cluster_event::kind::room:
      o["slug"] = e.slug;
      break;
    case cluster_event::kind::frame:
      o["channel"] = e.channel_id;
      o["frame"] = e.text;
      o["ephemeral"] = e.ephemeral;
      break;
  }
  return json::serialize(o);
}

std::string encode_session_event(const session_event& e) {
  if (e.revoked_token_id.empty())
    return json::serialize(
        json::object{{"node", e.node}, {"notify", e.notify_user_id}, {"frame", e.frame}});
  return json::serialize(json::object{{"node", e.node}, {"revoke", e.revoked_token_id}});
}

std::optional<session_event> decode_session_event(std::string_view payload) {
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  session_event e;
  const auto& o = v.get_object();
  if (!text(o, "node", e.node) || e.node.empty()) return std::nullopt;
  if (o.contains("revoke")) {
    if (!text(o, "revoke", e.revoked_token_id) || e.revoked_token_id.empty() ||
        o.contains("notify"))
      return std::nullopt;
    return e;
  }
  // A notification: the frame must be a JSON object itself, as the sockets pass it on.
  if (!text(o, "notify", e.notify_user_id) || !text(o, "frame", e.frame) ||
      e.notify_user_id.empty())
    return std::nullopt;
  boost::system::error_code fec;
  auto f = json::parse(e.frame, fec);
  if (fec || !f.is_object()) return std::nullopt;
  return e;
}

std::optional<cluster_event> decode_cluster_event(std::string_view payload) {
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  cluster_event e;
  std::string k;
  if (!text(o, "k", k) || !text(o, "node", e.node) || !text(o, "room", e.room_id) ||
      !integer(o, "t", e.sent_at_us) || e.node.empty() || e.room_id.empty())
    return std::nullopt;
  std::size_t i = 0;
  while (i < kind_names.size() && kind_names[i] != k) ++i;
  if (i == kind_names.size()) return std::nullopt;
  e.what = static_cast<cluster_event::kind>(i);
  switch (e.what) {
    case cluster_event::kind::message:
    case cluster_event::kind::edited:
    case cluster_event::kind::deleted:
      if (!read_message(o.if_contains("message"), e.message)) return std::nullopt;
      e.message.room_id = e.room_id;
      break;
    case cluster_event::kind::reacted:
      if (!read_message(o.if_contains("message"), e.message) || !text(o, "frame", e.text) ||
          e.text.empty())
        return std::nullopt;
      e.message.room_id = e.room_id;
      break;
    case cluster_event::kind::threaded:
      // The root is left out when it was deleted: the frame still goes to the channel.
      if (!text(o, "channel", e.channel_id) || !text(o, "frame", e.text) || e.text.empty())
        return std::nullopt;
      if (o.contains("message")) {
        if (!read_message(o.if_contains("message"), e.message) ||
            e.message.channel_id != e.channel_id)
          return std::nullopt;
        e.message.room_id = e.room_id;
      }
      break;
    case cluster_event::kind::typing:
      if (!text(o, "channel", e.channel_id) || !read_author(o.if_contains("user"), e.user))
        return std::nullopt;
      break;
    case cluster_event::kind::room:
      if (!text(o, "slug", e.slug) || e.slug.empty()) return std::nullopt;
      break;
    case cluster_event::kind::frame: {
      auto* eph = o.if_contains("ephemeral");
      if (!text(o, "channel", e.channel_id) || !text(o, "frame", e.text) || e.text.empty() ||
          eph == nullptr || !eph->is_bool())
        return std::nullopt;
      e.ephemeral = eph->get_bool();
      break;
    }
  }
  return e;
}

namespace {

constexpr std::array<std::string_view, 9> call_names{
    "online", "offline", "event", "cancel", "pause", "token", "reply", "fail", "gone"};

}  // namespace

std::string encode_agent_call(const agent_call& c) {
  using k = agent_call::kind;
  json::object o{
      {"k", call_names[static_cast<std::size_t>(c.what)]}, {"node", c.node}, {"agent", c.agent_id}};
  if (c.what != k::online && c.what != k::offline && c.what != k::pause) o["event"] = c.event_id;
  if (c.what == k::event || c.what == k::token || c.what == k::reply || c.what == k::fail)
    o["text"] = c.text;
  if (c.what == k::fail) o["code"] = c.code;
  if (c.what == k::pause) o["paused"] = c.paused;
  if (c.what == k::reply) {
    if (c.metadata.tokens_used) o["tokens"] = *c.metadata.tokens_used;
    if (c.metadata.model) o["model"] = *c.metadata.model;
    if (c.metadata.latency_ms) o["latency"] = *c.metadata.latency_ms;
  }
  return json::serialize(o);
}

std::optional<agent_call> decode_agent_call(std::string_view payload) {
  using k = agent_call::kind;
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  agent_call c;
  std::string name;
  if (!text(o, "k", name) || !text(o, "node", c.node) || !text(o, "agent", c.agent_id) ||
      c.node.empty() || c.agent_id.empty())
    return std::nullopt;
  std::size_t i = 0;
  while (i < call_names.size() && call_names[i] != name) ++i;
  if (i == call_names.size()) return std::nullopt;
  c.what = static_cast<k>(i);
  if (c.what != k::online && c.what != k::offline && c.what != k::pause &&
      (!text(o, "event", c.event_id) || c.event_id.empty()))
    return std::nullopt;
  if ((c.what == k::event || c.what == k::token || c.what == k::reply || c.what == k::fail) &&
      !text(o, "text", c.text))
    return std::nullopt;
  if (c.what == k::fail && (!text(o, "code", c.code) || c.code.empty())) return std::nullopt;
  if (c.what == k::pause) {
    auto* p = o.if_contains("paused");
    if (p == nullptr || !p->is_bool()) return std::nullopt;
    c.paused = p->get_bool();
  }
  if (c.what == k::reply) {
    std::int64_t n = 0;
    if (o.contains("tokens")) {
      if (!integer(o, "tokens", n)) return std::nullopt;
      c.metadata.tokens_used = n;
    }
    if (o.contains("latency")) {
      if (!integer(o, "latency", n)) return std::nullopt;
      c.metadata.latency_ms = n;
    }
    if (o.contains("model")) {
      std::string m;
      if (!text(o, "model", m)) return std::nullopt;
      c.metadata.model = std::move(m);
    }
  }
  return c;
}

}  // namespace relay::codec
