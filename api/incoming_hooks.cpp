// Incoming webhooks (docs/api.md "Incoming webhooks"): the room owner creates, lists and
// revokes them; whoever holds a hook's secret URL posts into its channel as the hook's
// bot user, in Relay's format, Slack's, or as GitHub's own webhook events. The secret is
// the only credential: it is stored as its SHA-256 and shown once, at creation.

#include <cctype>

#include "actors/chat/content_rules.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "auth/signing.hpp"
#include "core/base64.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "protocol/incoming_hook_codec.hpp"

namespace relay::api {

namespace {

const header_list plain_text{{"Content-Type", "text/plain; charset=utf-8"}};

// 32 random bytes, URL-safe base64 (43 characters): as hard to guess as an API token.
std::string new_secret() {
  auto hex = random_hex(32);
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return base64::encode_url(raw);
}

bool plain_host(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']')
      return false;
  return true;
}

// Where the hook's URL points: the operator's public URL when one is configured (behind
// a proxy only it is right), else the Host the owner reached Relay by, else the address
// Relay listens on.
std::string base_url(const exchange_ptr& x) {
  if (x->ctx.public_url_configured || !plain_host(x->req.host)) return x->ctx.public_url;
  return "http://" + x->req.host;
}

bool owner_only(self_ptr self, const exchange_ptr& x, const caller& c) {
  if (c.info.is_owner) return true;
  fail(self, x, errc::forbidden, "only the room owner can manage incoming webhooks");
  return false;
}

// Runs `next(hook)` for the live hook whose secret is `:secret`, or answers 404.
template <class F>
void with_hook(self_ptr self, exchange_ptr x, const caller& c, F next) {
  const std::string& secret = c.args["secret"];
  if (secret.empty() || secret.size() > 128)
    return fail(self, x, errc::not_found, "no such incoming webhook");
  store_call(
      self, in_time(x), x->ctx.readers,
      [hash = sha256_hex(secret)](storage::store& db) { return db.find_incoming_hook(hash); },
      [next](storage::incoming_hook_row& h) mutable { next(h); },
      [self, x](const error_info& e) { fail(self, x, e); });
}

// True (and answered 429) when the hook has posted past its allowance.
bool rate_limited(self_ptr self, const exchange_ptr& x, const storage::incoming_hook_row& h) {
  if (!x->ctx.hook_posts) return false;
  auto wait = x->ctx.hook_posts->take(h.id, now_ms());
  if (wait == 0) return false;
  fail(self, x, make_error(errc::rate_limited, "this webhook posts too fast; slow down"),
       {{"Retry-After", std::to_string((wait + 999) / 1000)}});
  return true;
}

// Posts `content` into the hook's channel as its bot user, shown as `bot_name`, and
// answers `ok` as Slack does. A non-empty `client_msg_id` makes a redelivery a duplicate.
void post_as_hook(self_ptr self, exchange_ptr x, const storage::incoming_hook_row& h,
                  std::string content, std::string bot_name, std::string client_msg_id) {
  auto checked = check_content(content, x->ctx.max_content_chars);
  if (checked.error) return fail(self, x, checked.error);
  principal who;
  who.user.id = h.user_id;
  who.user.name = h.name;
  post_request req{std::move(who), h.channel_id, std::move(client_msg_id), std::move(checked.text),
                   std::move(bot_name)};
  with_room(self, x, h.room_slug, [self, x, req = std::move(req)](room_actor& room) mutable {
    self->request(room, in_time(x), hook_atom::value, std::move(req))
        .then(
            [self, x](write_outcome& out) {
              if (out.error) return fail(self, x, out.error);
              ok(self, x, "ok", 200, plain_text);
            },
            on_fail(self, x));
  });
}

// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, compared in constant time.
bool github_signature_ok(const std::string& key, std::string_view body, std::string_view header) {
  constexpr std::string_view prefix = "sha256=";
  if (!header.starts_with(prefix)) return false;
  header.remove_prefix(prefix.size());
  auto mac = auth::hmac_sha256(key, body);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : mac) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  if (header.size() != hex.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < hex.size(); ++i)
    diff |= static_cast<unsigned char>(header[i] ^ hex[i]);
  return diff == 0;
}

}  // namespace

void create_incoming_hook(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_hook_create(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto& b = std::get<codec::hook_create_body>(body);
  if (!owner_only(self, x, c)) return;
  if (!b.channel_id.empty()) {
    auto it = std::find_if(c.info.channels.begin(), c.info.channels.end(),
                           [&](auto& ch) { return ch.id == b.channel_id; });
    if (it == c.info.channels.end())
      return fail(self, x, errc::not_found, "no such channel in this room");
    if (it->visibility == storage::channel_visibility::dm)
      return fail(self, x, errc::bad_request, "an incoming webhook cannot post into a DM");
  }
  storage::incoming_hook_row row;
  row.created_at = now_ms();
  row.id = make_id("ihk", row.created_at);
  row.room_id = c.info.room.id;
  row.room_slug = c.info.room.slug;
  row.channel_id = b.channel_id;
  row.name = b.name;
  row.creator_id = c.who.user.id;
  row.user_id = make_id("usr", row.created_at);
  row.github_secret = b.github_secret;
  auto secret = new_secret();
  auto url = base_url(x) + "/hooks/" + secret;
  // The bot user's login marks its messages as a webhook's (the browser shows their
  // `bot` name); 64 random bits make a taken one practically impossible.
  auto login = "hook-" + random_hex(8);
  store_call(
      self, in_time(x), x->ctx.writer,
      [row, login, hash = sha256_hex(secret)](storage::store& db) {
        return db.create_incoming_hook(row, login, hash);
      },
      [self, x, url](storage::incoming_hook_row& h) {
        ok(self, x, codec::encode_incoming_hook(h, url), 201);
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void list_incoming_hooks(self_ptr self, exchange_ptr x, const caller& c) {
  if (!owner_only(self, x, c)) return;
  store_call(
      self, in_time(x), x->ctx.readers,
      [room = c.info.room.id](storage::store& db) { return db.list_incoming_hooks(room); },
      [self, x](std::vector<storage::incoming_hook_row>& hs) {
        ok(self, x, codec::encode_incoming_hooks(hs));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void revoke_incoming_hook(self_ptr self, exchange_ptr x, const caller& c) {
  if (!owner_only(self, x, c)) return;
  store_call(
      self, in_time(x), x->ctx.writer,
      [room = c.info.room.id, id = std::string{c.args["id"]}](storage::store& db) {
        return db.revoke_incoming_hook(room, id);
      },
      [self, x](storage::incoming_hook_row& h) { ok(self, x, codec::encode_incoming_hook(h, {})); },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void post_to_hook(self_ptr self, exchange_ptr x, const caller& c) {
  with_hook(self, x, c, [self, x](storage::incoming_hook_row& h) {
    if (rate_limited(self, x, h)) return;
    auto body = codec::decode_hook_post(x->req.body, x->req.content_type);
    if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
    auto& p = std::get<codec::hook_post>(body);
    auto name = std::string{trim(p.username)};
    if (utf8_length(name) > codec::max_hook_name_chars)
      return fail(self, x, errc::bad_request, "username must be at most 80 characters");
    if (name.empty()) name = h.name;
    post_as_hook(self, x, h, std::move(p.content), std::move(name), {});
  });
}

void post_github_to_hook(self_ptr self, exchange_ptr x, const caller& c) {
  with_hook(self, x, c, [self, x](storage::incoming_hook_row& h) {
    // Checked before anything else, so a forged delivery changes nothing, not even the
    // hook's allowance.
    if (!h.github_secret.empty() &&
        !github_signature_ok(h.github_secret, x->req.body, x->req.hub_signature))
      return fail(self, x, errc::unauthorized, "X-Hub-Signature-256 does not match the body");
    if (rate_limited(self, x, h)) return;
    auto summary = codec::summarize_github_event(x->req.github_event, x->req.body);
    if (auto* e = std::get_if<error_info>(&summary)) return fail(self, x, *e);
    auto& text = std::get<std::optional<std::string>>(summary);
    if (!text) return ok(self, x, "ok", 200, plain_text);
    // GitHub redelivers with the same X-GitHub-Delivery: the same client id makes the
    // second post a duplicate of the first instead of a second message.
    auto delivery = x->req.github_delivery.size() <= 100 ? x->req.github_delivery : "";
    post_as_hook(self, x, h, codec::clip_chars(*text, x->ctx.max_content_chars), h.name,
                 delivery.empty() ? "" : "github:" + delivery);
  });
}

}  // namespace relay::api
