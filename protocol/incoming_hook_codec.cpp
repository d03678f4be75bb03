#include "protocol/incoming_hook_codec.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/json_detail.hpp"

namespace json = boost::json;

namespace relay::codec {

using namespace detail;

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// The value of `key` in a form body, or nullopt when it is absent or badly encoded.
std::optional<std::string> form_field(std::string_view body, std::string_view key) {
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    auto eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name || *name != key) continue;
    return form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return std::nullopt;
}

// The text of a string member, "" when it is absent or not a string.
std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string{it->value().as_string()};
}

const json::object* object_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().as_object() : nullptr;
}

// `key` of the object at `outer` in `o` ("" when any step is missing).
std::string text_in(const json::object& o, std::string_view outer, std::string_view key) {
  auto* inner = object_of(o, outer);
  return inner ? text_of(*inner, key) : std::string{};
}

void add_line(std::string& out, const std::string& line) {
  if (trim(line).empty()) return;
  if (!out.empty()) out += '\n';
  out += line;
}

// Slack's rich messages reduced to their text: each attachment's `fallback` (its plain
// summary by Slack's own rule) or else its `pretext`/`title`/`text`, then the text of
// `section`, `header` and `context` blocks. Enough for alerting tools that send no `text`.
std::string text_of_rich(const json::object& o) {
  std::string out;
  if (auto it = o.find("attachments"); it != o.end() && it->value().is_array()) {
    for (auto& a : it->value().as_array()) {
      if (!a.is_object()) continue;
      auto& ao = a.as_object();
      auto fallback = text_of(ao, "fallback");
      if (!trim(fallback).empty()) {
        add_line(out, fallback);
        continue;
      }
      add_line(out, text_of(ao, "pretext"));
      add_line(out, text_of(ao, "title"));
      add_line(out, text_of(ao, "text"));
    }
  }
  if (auto it = o.find("blocks"); it != o.end() && it->value().is_array()) {
    for (auto& b : it->value().as_array()) {
      if (!b.is_object()) continue;
      auto& bo = b.as_object();
      add_line(out, text_in(bo, "text", "text"));
      if (auto f = bo.find("fields"); f != bo.end() && f->value().is_array())
        for (auto& field : f->value().as_array())
          if (field.is_object()) add_line(out, text_of(field.as_object(), "text"));
      if (auto e = bo.find("elements"); e != bo.end() && e->value().is_array())
        for (auto& el : e->value().as_array())
          if (el.is_object()) add_line(out, text_of(el.as_object(), "text"));
    }
  }
  return out;
}

std::variant<hook_post, error_info> decode_post_json(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  hook_post p;
  std::string slack_text;
  if (auto e = read_string(o, "content", p.content, false, true)) return *e;
  if (auto e = read_string(o, "text", slack_text, false, true)) return *e;
  if (auto e = read_string(o, "username", p.username, false, true)) return *e;
  if (trim(p.content).empty()) p.content = std::move(slack_text);
  if (trim(p.content).empty()) p.content = text_of_rich(o);
  return p;
}

std::string link(std::string text, const std::string& url) {
  if (url.empty()) return text;
  // A bracket in the text would end the link early.
  for (auto& c : text)
    if (c == '[')
      c = '(';
    else if (c == ']')
      c = ')';
  return "[" + text + "](" + url + ")";
}

std::string bold(const std::string& s) {
  return s.empty() ? s : "**" + s + "**";
}

std::string code(std::string s) {
  for (auto& c : s)
    if (c == '`') c = '\'';
  return "`" + s + "`";
}

std::string first_line(std::string_view s) {
  auto nl = s.find('\n');
  return clip_chars(trim(s.substr(0, nl)), 100);
}

std::string number_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_int64()) return std::to_string(it->value().as_int64());
  if (it->value().is_uint64()) return std::to_string(it->value().as_uint64());
  return {};
}

bool flag_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() && it->value().as_bool();
}

std::string sender_of(const json::object& o) {
  auto s = text_in(o, "sender", "login");
  return s.empty() ? std::string{"someone"} : s;
}

std::string repo_of(const json::object& o) {
  return text_in(o, "repository", "full_name");
}

// " in **owner/repo**", or nothing when the payload names no repository.
std::string in_repo(const json::object& o) {
  auto r = repo_of(o);
  return r.empty() ? std::string{} : " in " + bold(r);
}

constexpr std::size_t listed_commits = 5;

std::optional<std::string> push_summary(const json::object& o) {
  auto ref = text_of(o, "ref");
  std::string kind = "branch";
  if (ref.starts_with("refs/heads/")) {
    ref.erase(0, 11);
  } else if (ref.starts_with("refs/tags/")) {
    ref.erase(0, 10);
    kind = "tag";
  }
  auto pusher = text_in(o, "pusher", "name");
  if (pusher.empty()) pusher = sender_of(o);
  auto repo = repo_of(o);
  auto where = code(ref) + (repo.empty() ? "" : " of " + bold(repo));
  if (flag_of(o, "deleted")) return bold(pusher) + " deleted " + kind + " " + where;
  const json::array* commits = nullptr;
  if (auto it = o.find("commits"); it != o.end() && it->value().is_array())
    commits = &it->value().as_array();
  const std::size_t n = commits ? commits->size() : 0;
  if (n == 0 && (flag_of(o, "created") || kind == "tag"))
    return bold(pusher) + " created " + kind + " " + where;
  std::string out = bold(pusher) + " pushed " + std::to_string(n) +
                    (n == 1 ? " commit" : " commits") + " to " + where;
  if (auto cmp = text_of(o, "compare"); !cmp.empty()) out += " (" + link("compare", cmp) + ")";
  std::size_t listed = 0;
  for (std::size_t i = 0; commits && i < n && listed < listed_commits; ++i, ++listed) {
    if (!(*commits)[i].is_object()) continue;
    auto& c = (*commits)[i].as_object();
    auto id = text_of(c, "id").substr(0, 7);
    auto author = text_in(c, "author", "name");
    out += "\n• " + link(id, text_of(c, "url")) + " " + first_line(text_of(c, "message"));
    if (!author.empty()) out += " — " + author;
  }
  if (n > listed) out += "\n• … and " + std::to_string(n - listed) + " more";
  return out;
}

// The actions of pull requests and issues worth a message; the rest (labels,
// assignments, edits, reviews requested …) would drown a channel.
bool notable_action(const std::string& a) {
  return a == "opened" || a == "closed" || a == "reopened" || a == "ready_for_review" ||
         a == "deleted";
}

std::string action_words(std::string a) {
  for (auto& c : a)
    if (c == '_') c = ' ';
  if (a == "ready for review") return "marked ready for review";
  return a;
}

std::optional<std::string> pull_request_summary(const json::object& o) {
  auto action = text_of(o, "action");
  auto* pr = object_of(o, "pull_request");
  if (!pr || !notable_action(action)) return std::nullopt;
  if (action == "closed" && flag_of(*pr, "merged")) action = "merged";
  auto user = sender_of(o);
  auto title = "#" + number_of(*pr, "number") + " " + clip_chars(text_of(*pr, "title"), 200);
  return bold(user) + " " + action_words(action) + " pull request " +
         link(title, text_of(*pr, "html_url")) + in_repo(o);
}

std::optional<std::string> issues_summary(const json::object& o) {
  auto action = text_of(o, "action");
  auto* issue = object_of(o, "issue");
  if (!issue || !notable_action(action)) return std::nullopt;
  auto title = "#" + number_of(*issue, "number") + " " + clip_chars(text_of(*issue, "title"), 200);
  return bold(sender_of(o)) + " " + action_words(action) + " issue " +
         link(title, text_of(*issue, "html_url")) + in_repo(o);
}

// `published` covers pre-releases too; `created`, `released` and `prereleased` come with
// it for the same release, and drafts are nobody's news yet.
std::optional<std::string> release_summary(const json::object& o) {
  auto action = text_of(o, "action");
  auto* rel = object_of(o, "release");
  if (!rel || (action != "published" && action != "unpublished" && action != "deleted"))
    return std::nullopt;
  auto tag = text_of(*rel, "tag_name");
  auto name = clip_chars(text_of(*rel, "name"), 200);
  std::string label = tag;
  if (!name.empty() && name != tag) label = name + " (" + tag + ")";
  if (label.empty()) label = "a release";
  return bold(sender_of(o)) + " " + action +
         (flag_of(*rel, "prerelease") ? " pre-release " : " release ") +
         link(label, text_of(*rel, "html_url")) + in_repo(o);
}

// Only a finished run: `requested` and `in_progress` would double every run's messages.
std::optional<std::string> workflow_run_summary(const json::object& o) {
  auto* run = object_of(o, "workflow_run");
  if (!run || text_of(o, "action") != "completed") return std::nullopt;
  auto conclusion = text_of(*run, "conclusion");
  if (conclusion.empty()) conclusion = text_of(*run, "status");
  std::string mark = conclusion == "success"     ? "✅ "
                     : conclusion == "failure"   ? "❌ "
                     : conclusion == "timed_out" ? "⏱️ "
                                                 : "";
  auto name = text_of(*run, "name");
  if (name.empty()) name = "workflow";
  std::string out = mark + "Workflow " + bold(name) + " " + bold(conclusion);
  if (auto branch = text_of(*run, "head_branch"); !branch.empty()) out += " on " + code(branch);
  out += in_repo(o);
  if (auto url = text_of(*run, "html_url"); !url.empty()) {
    auto n = number_of(*run, "run_number");
    out += " (" + link(n.empty() ? "run" : "run #" + n, url) + ")";
  }
  return out;
}

}  // namespace

std::string clip_chars(std::string_view s, std::size_t max_chars) {
  if (max_chars == 0) return {};
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    // Count lead bytes only; a cut lands before the lead byte of the first char too many.
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars) break;
  }
  if (i >= s.size()) return std::string{s};
  // One character fewer to make room for the ellipsis.
  std::size_t cut = i;
  do --cut;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80);
  return std::string{s.substr(0, cut)} + "…";
}

std::variant<hook_create_body, error_info> decode_hook_create(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  hook_create_body b;
  if (auto e = read_channel(o, b.channel_id)) return *e;
  std::string name;
  if (auto e = read_string(o, "name", name, true, false)) return *e;
  auto t = trim(name);
  if (t.empty() || utf8_length(t) > max_hook_name_chars)
    return bad(errc::bad_request, "name must be 1..80 characters");
  b.name = std::string{t};
  if (auto e = read_string(o, "githubSecret", b.github_secret, false, true)) return *e;
  if (b.github_secret.size() > 256)
    return bad(errc::bad_request, "githubSecret must be at most 256 bytes");
  return b;
}

namespace {

json::object hook_json(const storage::incoming_hook_row& h) {
  return {{"id", h.id},
          {"name", h.name},
          {"channelId", nullable(h.channel_id)},
          {"creatorId", h.creator_id},
          {"botUserId", h.user_id},
          {"githubSecret", !h.github_secret.empty()},
          {"createdAt", format_iso8601(h.created_at)},
          {"revokedAt", nullable_time(h.revoked_at)}};
}

}  // namespace

std::string encode_incoming_hook(const storage::incoming_hook_row& h, const std::string& url) {
  auto o = hook_json(h);
  if (!url.empty()) o["url"] = url;
  return json::serialize(o);
}

std::string encode_incoming_hooks(const std::vector<storage::incoming_hook_row>& hs) {
  json::array a;
  for (auto& h : hs) a.push_back(hook_json(h));
  return json::serialize(json::object{{"webhooks", std::move(a)}});
}

std::variant<hook_post, error_info> decode_hook_post(std::string_view body,
                                                     std::string_view content_type) {
  if (starts_with_ci(content_type, "application/x-www-form-urlencoded")) {
    // `curl -d '{…}'` sends JSON under the form's content type; a form never starts
    // with '{', so such a body is read as the JSON it is.
    auto t = trim(body);
    if (!t.starts_with('{')) {
      auto payload = form_field(body, "payload");
      if (!payload)
        return bad(errc::bad_request, "a form body must carry payload=<JSON>, URL-encoded");
      return decode_post_json(*payload);
    }
  }
  return decode_post_json(body);
}

std::variant<std::optional<std::string>, error_info> summarize_github_event(std::string_view event,
                                                                            std::string_view body) {
  auto parsed = parse_object(body);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  if (event == "push") return push_summary(o);
  if (event == "pull_request") return pull_request_summary(o);
  if (event == "issues") return issues_summary(o);
  if (event == "release") return release_summary(o);
  if (event == "workflow_run") return workflow_run_summary(o);
  return std::optional<std::string>{};  // ping and every kind not summarized
}

}  // namespace relay::codec
