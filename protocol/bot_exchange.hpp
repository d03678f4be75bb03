#pragma once

// One @mention the built-in AI bot answers (issue 24, "The built-in AI bot"), as a state
// machine with no I/O: the agent `event` frame Relay delivers in, the chat-completions
// request bodies out, the model's tool calls to run as the bot (through
// POST /api/tools/call) and their results back, until the model answers in text or runs
// out of tool rounds. The actor that drives it does the HTTP and owns the per-thread
// context (protocol/chat_completions.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/chat_completions.hpp"

namespace relay::llm {

struct bot_settings {
  std::string model;          ///< e.g. "llama3.1" (Ollama) or "gpt-4o-mini"
  std::string system_prompt;  ///< "" for the built-in one
  int max_tool_rounds = 4;    ///< model calls that may ask for tools before it must answer
  std::size_t max_tool_result_chars = 8000;  ///< a longer REST answer is cut for the model
};

class bot_exchange {
 public:
  enum class step { call_tools, reply, fail };

  /// From an agent `event` frame whose payload is a `comment.mention` (docs/agents.md,
  /// "Agents in chat rooms"); nullopt for anything else.
  static std::optional<bot_exchange> from_event(std::string_view frame, bot_settings settings,
                                                const thread_context& context);

  const std::string& event_id() const { return event_id_; }
  /// The conversation's key in thread_context: room, channel and thread of the mention.
  const std::string& thread_key() const { return thread_key_; }
  const std::string& room_slug() const { return room_slug_; }
  const std::string& room_id() const { return room_id_; }

  /// The next chat-completions request; tools are offered while rounds are left.
  std::string request_body() const;

  /// What the model's finished answer asks for next.
  step on_answer(const stream_reader& answer);
  /// After `call_tools`: the calls to run, in order.
  const std::vector<tool_call>& pending_calls() const { return pending_; }
  /// One call's outcome: the REST status and body (or the validation error as text).
  void on_tool_result(const std::string& call_id, int status, std::string body);

  /// After `reply`: the text to post. After `fail`: why.
  const std::string& reply() const { return reply_; }
  const failure& why() const { return why_; }

  /// The mention and the final answer, for the thread's context (tool traffic is left
  /// out: it is long and stale by the next mention).
  std::vector<turn> context_turns() const;

 private:
  bot_settings settings_;
  std::string event_id_, thread_key_, room_slug_, room_id_;
  std::vector<turn> history_;  // from thread_context
  turn mention_;               // the user turn this exchange answers
  std::vector<turn> work_;     // assistant tool calls and tool results of this exchange
  std::vector<tool_call> pending_;
  int rounds_ = 0;
  std::string reply_;
  failure why_;
};

}  // namespace relay::llm
