#include "protocol/chat_completions.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "protocol/tool_table.hpp"

namespace relay::llm {

namespace json = boost::json;

namespace {

json::value turn_json(const turn& t) {
  json::object o{{"role", t.role}};
  if (t.role == "tool") {
    o["tool_call_id"] = t.tool_call_id;
    o["content"] = t.content;
    return o;
  }
  // An assistant turn that only called tools has no text: OpenAI wants null there.
  o["content"] =
      t.content.empty() && !t.tool_calls.empty() ? json::value(nullptr) : json::value(t.content);
  if (!t.tool_calls.empty()) {
    json::array calls;
    for (auto& c : t.tool_calls)
      calls.emplace_back(
          json::object{{"id", c.id},
                       {"type", "function"},
                       {"function", json::object{{"name", c.name}, {"arguments", c.arguments}}}});
    o["tool_calls"] = std::move(calls);
  }
  return o;
}

// The human part of an error body: OpenAI's `{error: {message}}`, Ollama's and vLLM's
// `{error: "…"}` or `{message}`, else the text itself; short enough for a chat frame.
std::string error_message(std::string_view body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  std::string msg{body};
  if (!ec && v.is_object()) {
    auto& o = v.get_object();
    if (auto* e = o.if_contains("error")) {
      if (e->is_string()) msg = e->get_string();
      if (auto* eo = e->if_object())
        if (auto* m = eo->if_contains("message"); m && m->is_string()) msg = m->get_string();
    } else if (auto* m = o.if_contains("message"); m && m->is_string()) {
      msg = m->get_string();
    }
  }
  constexpr std::size_t max_chars = 300;
  if (msg.size() > max_chars) msg = msg.substr(0, max_chars) + "…";
  return msg;
}

}  // namespace

std::string encode_request(std::string_view model, const std::vector<turn>& turns,
                           bool offer_tools) {
  json::array messages;
  for (auto& t : turns) messages.push_back(turn_json(t));
  json::object body{{"model", model}, {"messages", std::move(messages)}, {"stream", true}};
  if (offer_tools) {
    body["tools"] = json::parse(tools::encode_openai_tools());
    body["tool_choice"] = "auto";
  }
  return json::serialize(body);
}

// -- stream_reader -----------------------------------------------------------------------

void stream_reader::feed(std::string_view bytes, std::vector<std::string>& tokens) {
  pending_.append(bytes);
  std::size_t start = 0;
  for (auto nl = pending_.find('\n', start); nl != std::string::npos;
       nl = pending_.find('\n', start)) {
    std::string_view l{pending_.data() + start, nl - start};
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    line(l, tokens);
    start = nl + 1;
  }
  pending_.erase(0, start);
}

void stream_reader::line(std::string_view l, std::vector<std::string>& tokens) {
  if (done_ || error_) return;
  if (l.empty()) {
    // A blank line ends the event (the SSE rule), its data lines joined by '\n'.
    if (has_data_) event(data_, tokens);
    data_.clear();
    has_data_ = false;
    return;
  }
  if (l.front() == ':') return;         // a comment: servers send them to keep the line alive
  if (!l.starts_with("data:")) return;  // event:, id:, retry: mean nothing here
  l.remove_prefix(5);
  if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_.append(l);
  has_data_ = true;
}

void stream_reader::event(std::string_view data, std::vector<std::string>& tokens) {
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  json::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object()) {
    error_ = failure{"MODEL_BAD_RESPONSE", "the model server sent a chunk that is not JSON"};
    return;
  }
  auto& o = v.get_object();
  if (o.contains("error")) {
    error_ = failure{"MODEL_UNAVAILABLE", error_message(data)};
    return;
  }
  if (auto* m = o.if_contains("model"); m && m->is_string()) model_ = m->get_string();
  auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array()) return;  // e.g. a final usage-only chunk
  for (auto& choice : choices->get_array()) {
    auto* c = choice.if_object();
    if (!c) continue;
    if (auto* f = c->if_contains("finish_reason"); f && f->is_string())
      finish_reason_ = f->get_string();
    auto* delta = c->if_contains("delta");
    if (!delta || !delta->is_object()) continue;
    auto& d = delta->get_object();
    if (auto* t = d.if_contains("content"); t && t->is_string() && !t->get_string().empty()) {
      text_.append(t->get_string());
      tokens.emplace_back(t->get_string());
    }
    auto* calls = d.if_contains("tool_calls");
    if (!calls || !calls->is_array()) continue;
    // A call arrives in fragments keyed by `index`: the first names it, the rest append
    // to its arguments.
    std::int64_t position = 0;
    for (auto& frag : calls->get_array()) {
      auto* fo = frag.if_object();
      if (!fo) continue;
      std::int64_t index = position++;
      if (auto* i = fo->if_contains("index"); i && i->is_int64()) index = i->get_int64();
      auto& call = calls_[index];
      if (auto* id = fo->if_contains("id"); id && id->is_string()) call.id = id->get_string();
      if (auto* fn = fo->if_contains("function"); fn && fn->is_object()) {
        auto& f = fn->get_object();
        if (auto* n = f.if_contains("name"); n && n->is_string()) call.name += n->get_string();
        if (auto* a = f.if_contains("arguments"); a && a->is_string())
          call.arguments += a->get_string();
      }
    }
  }
}

void stream_reader::close() {
  std::vector<std::string> ignored;
  if (!pending_.empty()) feed("\n", ignored);
  if (has_data_) line("", ignored);
  if (done_ || error_) return;
  // Some servers end with a finish_reason and close without `[DONE]`.
  if (!finish_reason_.empty()) {
    done_ = true;
    return;
  }
  error_ = failure{"MODEL_BAD_RESPONSE", "the model server closed the stream mid-answer"};
}

std::vector<tool_call> stream_reader::tool_calls() const {
  std::vector<tool_call> out;
  for (auto& [i, c] : calls_) {
    auto call = c;
    // llama.cpp and some Ollama versions leave the id out; the reply must still name it.
    if (call.id.empty()) call.id = "call_" + std::to_string(i);
    out.push_back(std::move(call));
  }
  return out;
}

failure classify(int status, std::string_view body) {
  if (status == 0) return {"MODEL_UNAVAILABLE", "could not reach the model server"};
  auto msg = error_message(body);
  if (status == 401 || status == 403) return {"MODEL_AUTH_FAILED", msg};
  if (status == 429) return {"MODEL_RATE_LIMITED", msg};
  if (status >= 500) return {"MODEL_UNAVAILABLE", msg};
  if (status >= 400) return {"MODEL_BAD_REQUEST", msg};  // an unknown model, a bad key name…
  return {"MODEL_BAD_RESPONSE", "unexpected status " + std::to_string(status)};
}

// -- thread_context ------------------------------------------------------------------------

thread_context::thread_context(std::size_t max_threads, std::size_t max_turns,
                               std::size_t max_chars)
    : max_threads_(max_threads), max_turns_(max_turns), max_chars_(max_chars) {}

std::vector<turn> thread_context::history(const std::string& key) const {
  for (auto& e : threads_)
    if (e.key == key) return {e.turns.begin(), e.turns.end()};
  return {};
}

void thread_context::add(const std::string& key, turn t) {
  auto it =
      std::find_if(threads_.begin(), threads_.end(), [&](const entry& e) { return e.key == key; });
  entry e;
  if (it != threads_.end()) {
    e = std::move(*it);
    threads_.erase(it);
  } else {
    e.key = key;
  }
  e.chars += t.content.size();
  e.turns.push_back(std::move(t));
  auto drop_front = [&e] {
    e.chars -= e.turns.front().content.size();
    e.turns.pop_front();
  };
  while (e.turns.size() > 1 && (e.turns.size() > max_turns_ || e.chars > max_chars_)) drop_front();
  // A tool answer without the assistant turn that asked for it is refused by the API.
  while (!e.turns.empty() && e.turns.front().role == "tool") drop_front();
  threads_.push_front(std::move(e));
  if (threads_.size() > max_threads_) threads_.pop_back();
}

}  // namespace relay::llm
