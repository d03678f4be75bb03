#pragma once

// JSON and payloads of incoming webhooks (docs/api.md "Incoming webhooks"): the owner's
// create body and the hook objects; what a poster sends to `/hooks/<secret>` in Relay's
// or Slack's format; and GitHub's webhook events turned into readable summaries. No I/O.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/incoming_hook_rows.hpp"

namespace relay::codec {

/// Longest hook name and per-post `username`, in characters.
inline constexpr std::size_t max_hook_name_chars = 80;

/// `POST /api/rooms/:slug/incoming-webhooks`: `{channelId, name, githubSecret?}`;
/// `channelId` absent, null or `"__lobby"` is the room-wide thread ("").
struct hook_create_body {
  std::string channel_id;
  std::string name;  // trimmed, 1..80 characters
  std::string github_secret;
};
std::variant<hook_create_body, error_info> decode_hook_create(std::string_view text);

/// A hook as its owner sees it: `{id, name, channelId, createdAt, revokedAt,
/// githubSecret: bool, creatorId}` plus `url` when it is non-empty (only at creation:
/// the secret is not stored).
std::string encode_incoming_hook(const storage::incoming_hook_row& h, const std::string& url);
/// `{webhooks: [hook, …]}` without urls.
std::string encode_incoming_hooks(const std::vector<storage::incoming_hook_row>& hs);

/// What a post to `/hooks/<secret>` asks for.
struct hook_post {
  std::string content;   // as sent or derived; the handler trims and checks the length
  std::string username;  // "" = the hook's name
};

/// Reads a post: a JSON object `{content, username?}` or Slack's `{text, username?}`
/// (without text, the lines of `attachments[].fallback`/`.text` and of `blocks`' text),
/// or `application/x-www-form-urlencoded` with `payload=<that JSON>` (Slack's legacy
/// form). Malformed JSON, wrong types or a form without `payload` are `bad_request`.
std::variant<hook_post, error_info> decode_hook_post(std::string_view body,
                                                     std::string_view content_type);

/// The summary of GitHub webhook `event` (`X-GitHub-Event`) with payload `body`:
/// push, pull_request, issues, release and workflow_run become markdown-lite text;
/// nullopt for an event that posts nothing (ping and every other kind); `bad_request`
/// for a body that is not a JSON object.
std::variant<std::optional<std::string>, error_info> summarize_github_event(std::string_view event,
                                                                            std::string_view body);

/// `s` cut to at most `max_chars` UTF-8 characters, with "…" in place of the rest.
std::string clip_chars(std::string_view s, std::size_t max_chars);

}  // namespace relay::codec
