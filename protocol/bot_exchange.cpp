#include "protocol/bot_exchange.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace relay::llm {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string{v->get_string()} : std::string{};
}

const json::object& obj(const json::object& o, std::string_view key) {
  static const json::object none;
  auto* v = o.if_contains(key);
  return v && v->is_object() ? v->get_object() : none;
}

std::string trimmed(std::string s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::optional<bot_exchange> bot_exchange::from_event(std::string_view frame, bot_settings settings,
                                                     const thread_context& context) {
  json::error_code ec;
  auto v = json::parse(frame, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto& f = v.get_object();
  auto& payload = obj(f, "payload");
  if (str(f, "type") != "event" || str(payload, "event") != "comment.mention") return std::nullopt;
  bot_exchange x;
  x.settings_ = std::move(settings);
  x.event_id_ = str(f, "event_id");
  auto& room = obj(payload, "room");
  auto& message = obj(payload, "message");
  x.room_slug_ = str(room, "slug");
  x.room_id_ = str(room, "id");
  auto channel = str(payload, "channel");
  auto thread = str(message, "threadId");
  if (x.event_id_.empty() || x.room_slug_.empty()) return std::nullopt;
  x.thread_key_ = x.room_slug_ + "/" + (channel.empty() ? "__lobby" : channel);
  if (!thread.empty()) x.thread_key_ += "/" + thread;
  x.history_ = context.history(x.thread_key_);

  auto login = str(obj(payload, "author"), "login");
  x.mention_ = turn{"user", "@" + login + ": " + str(message, "content"), {}, {}};
  if (x.settings_.system_prompt.empty()) {
    // The ids the tools take, so the model can act here without looking them up.
    x.settings_.system_prompt =
        "You are relay-bot, an assistant in the Relay chat room \"" + str(room, "displayName") +
        "\". Someone mentioned you; answer them briefly, in Markdown. Your tools act as you, "
        "with your access in Relay. Here: room \"" +
        x.room_slug_ + "\", " +
        (channel.empty() ? std::string{"the room-wide thread (no channelId)"}
                         : "channelId \"" + channel + "\"") +
        ", the message you answer has messageId \"" + str(payload, "message_id") + "\".";
  }
  return x;
}

std::string bot_exchange::request_body() const {
  std::vector<turn> turns{turn{"system", settings_.system_prompt, {}, {}}};
  turns.insert(turns.end(), history_.begin(), history_.end());
  turns.push_back(mention_);
  turns.insert(turns.end(), work_.begin(), work_.end());
  return encode_request(settings_.model, turns, rounds_ < settings_.max_tool_rounds);
}

bot_exchange::step bot_exchange::on_answer(const stream_reader& answer) {
  pending_.clear();
  if (answer.error()) {
    why_ = *answer.error();
    return step::fail;
  }
  auto calls = answer.tool_calls();
  if (!calls.empty()) {
    if (rounds_ >= settings_.max_tool_rounds) {
      why_ = {"MODEL_BAD_RESPONSE", "the model kept calling tools"};
      return step::fail;
    }
    ++rounds_;
    work_.push_back(turn{"assistant", answer.text(), calls, {}});
    pending_ = std::move(calls);
    return step::call_tools;
  }
  reply_ = trimmed(answer.text());
  if (reply_.empty()) {
    why_ = {"MODEL_BAD_RESPONSE", "the model answered nothing"};
    return step::fail;
  }
  return step::reply;
}

void bot_exchange::on_tool_result(const std::string& call_id, int status, std::string body) {
  if (body.size() > settings_.max_tool_result_chars)
    body = body.substr(0, settings_.max_tool_result_chars) + "… (cut)";
  // The model reads a refusal as text it can act on, as a REST client would.
  if (status < 200 || status >= 300) body = "error, HTTP " + std::to_string(status) + ": " + body;
  work_.push_back(turn{"tool", std::move(body), {}, call_id});
  std::erase_if(pending_, [&](const tool_call& c) { return c.id == call_id; });
}

std::vector<turn> bot_exchange::context_turns() const {
  return {mention_, turn{"assistant", reply_, {}, {}}};
}

}  // namespace relay::llm
