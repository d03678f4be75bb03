#pragma once

// The OpenAI-compatible chat-completions wire format, as the built-in AI bot (issue 24,
// "The built-in AI bot") speaks it to Ollama, llama.cpp's server, vLLM or OpenAI: the
// streaming request with Relay's tools offered (protocol/tool_table.hpp), an incremental
// reader of the `text/event-stream` answer (content tokens, tool calls assembled from
// their fragments, the end, in-stream errors), the mapping of a failed backend to the
// agent error codes, and a bounded per-thread conversation. No I/O: the bot's HTTP client
// feeds the reader whatever bytes arrive, in fragments of any size.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::llm {

// -- the request ---------------------------------------------------------------------

/// A tool call the model asked for; `arguments` is JSON text as the model wrote it.
struct tool_call {
  std::string id;
  std::string name;
  std::string arguments;
};

/// One message of the conversation sent to the model.
struct turn {
  std::string role;  ///< system, user, assistant or tool
  std::string content;
  std::vector<tool_call> tool_calls;  ///< an assistant turn that called tools
  std::string tool_call_id;           ///< a tool turn: the call it answers
};

/// `{model, messages, stream: true, tools?, tool_choice?}`; with `offer_tools`, every
/// tool of the tool table as an OpenAI function.
std::string encode_request(std::string_view model, const std::vector<turn>& turns,
                           bool offer_tools);

// -- the streamed answer -------------------------------------------------------------

/// Why a model call failed, as an agent error frame reports it (docs/agents.md).
struct failure {
  std::string code;  ///< MODEL_UNAVAILABLE, MODEL_AUTH_FAILED, MODEL_RATE_LIMITED,
                     ///< MODEL_BAD_REQUEST, MODEL_BAD_RESPONSE
  std::string message;
};

/// Reads one streamed answer: `data:` events of chat.completion.chunk JSON, then
/// `data: [DONE]`. Feed it bytes as they come; it never needs the whole answer at once.
class stream_reader {
 public:
  /// Consumes `bytes`; appends the content tokens they complete to `tokens`.
  void feed(std::string_view bytes, std::vector<std::string>& tokens);

  /// `[DONE]` arrived (or a chunk's finish_reason and the stream closed: see `close`).
  bool done() const { return done_; }
  /// The stream said it failed (an `{error}` event, or a chunk that is not JSON).
  const std::optional<failure>& error() const { return error_; }
  /// The connection closed: an answer that never finished is a failure.
  void close();

  /// The whole text, and the tool calls in the order the model numbered them.
  const std::string& text() const { return text_; }
  std::vector<tool_call> tool_calls() const;
  const std::string& finish_reason() const { return finish_reason_; }
  std::string model() const { return model_; }

 private:
  void event(std::string_view data, std::vector<std::string>& tokens);
  void line(std::string_view l, std::vector<std::string>& tokens);

  std::string pending_;  // bytes after the last complete line
  std::string data_;     // the `data:` lines of the event being read
  bool has_data_ = false;
  bool done_ = false;
  std::optional<failure> error_;
  std::string text_;
  std::map<std::int64_t, tool_call> calls_;
  std::string finish_reason_;
  std::string model_;
};

/// A non-2xx answer (or none, `status` 0) as the agent error it becomes.
failure classify(int status, std::string_view body);

// -- per-thread context ----------------------------------------------------------------

/// The recent turns of each conversation (a channel, or a thread under a message), so a
/// follow-up mention is answered in context. Bounded per thread by turns and characters,
/// and in threads: the least recently used thread is forgotten first.
class thread_context {
 public:
  thread_context(std::size_t max_threads, std::size_t max_turns, std::size_t max_chars);

  /// The thread's turns, oldest first (empty for a new one).
  std::vector<turn> history(const std::string& key) const;
  void add(const std::string& key, turn t);

 private:
  struct entry {
    std::string key;
    std::deque<turn> turns;
    std::size_t chars = 0;
  };
  std::size_t max_threads_, max_turns_, max_chars_;
  std::deque<entry> threads_;  // most recently used first
};

}  // namespace relay::llm
