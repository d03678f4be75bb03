// /api/rooms: creating rooms, their settings, channels, DMs and members. The room
// actor applies the rules (actors/chat/access.hpp); this file checks input and maps
// outcomes to HTTP.

#include "actors/chat/access.hpp"
#include "actors/chat/resume_guess.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "protocol/room_codec.hpp"

namespace relay::api {

namespace {

std::optional<error_info> check_room_slug(const std::string& slug) {
  if (!access::valid_slug(slug))
    return make_error(errc::bad_request, "slug must be 1..64 of a-z 0-9 - _");
  if (access::reserved_room_slug(slug))
    return make_error(errc::conflict, "slug '" + slug + "' is reserved");
  return std::nullopt;
}

}  // namespace

void create_room(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto body = codec::decode_room_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto& b = std::get<codec::room_body>(body);
  if (auto e = check_room_slug(b.slug)) return fail(self, x, *e);
  storage::room_row row;
  row.created_at = now_ms();
  row.id = make_id("room", row.created_at);
  row.slug = b.slug;
  row.display_name = b.display_name;
  row.description = b.description;
  row.accent_colors = b.accent_colors;
  row.owner_id = who.user.id;
  store_call(
      self, in_time(x), x->ctx.writer, [row](storage::store& db) { return db.create_room(row); },
      [self, x, owner = who.user](storage::room_row& room) {
        ok(self, x, codec::encode_room(room, owner), 201);
      },
      [self, x](const error_info& e) {
        fail(self, x, e.code == errc::conflict ? make_error(errc::conflict, "slug is taken") : e);
      });
}

namespace {

// The directory applies a change of settings: a new slug re-keys the room.
void patch_room(self_ptr self, exchange_ptr x, const principal& who, const room_info& info,
                storage::room_patch patch) {
  if (patch.slug && *patch.slug != info.room.slug)
    if (auto e = check_room_slug(*patch.slug)) return fail(self, x, *e);
  using R = storage::expected<storage::room_row>;
  self->request(x->ctx.directory, in_time(x), update_atom::value, info.room.slug, who,
                std::move(patch))
      .then(
          [self, x, owner = info.owner](R& r) {
            if (!r) return fail(self, x, r.error());
            ok(self, x, codec::encode_room(*r, owner));
          },
          on_fail(self, x));
}

}  // namespace

void get_room(self_ptr self, exchange_ptr x, const caller& c) {
  ok(self, x, codec::encode_room(c.info.room, c.info.owner));
}

void update_room(self_ptr self, exchange_ptr x, const caller& c) {
  auto patch = codec::decode_room_patch(x->req.body);
  if (auto* e = std::get_if<error_info>(&patch)) return fail(self, x, *e);
  patch_room(self, x, c.who, c.info, std::get<storage::room_patch>(std::move(patch)));
}

void set_whitelist_mode(self_ptr self, exchange_ptr x, const caller& c) {
  auto enabled = codec::decode_whitelist_mode(x->req.body);
  if (auto* e = std::get_if<error_info>(&enabled)) return fail(self, x, *e);
  storage::room_patch patch;
  patch.whitelist_only = std::get<bool>(enabled);
  patch_room(self, x, c.who, c.info, std::move(patch));
}

void list_channels(self_ptr self, exchange_ptr x, const caller& c) {
  ok(self, x, codec::encode_channel_list(c.info.channels));
}

void create_channel(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto& room = c.room;
  auto body = codec::decode_channel_create(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto b = std::get<codec::channel_create_body>(std::move(body));
  auto name = std::string{trim(b.name)};
  if (name.empty() || utf8_length(name) > 80)
    return fail(self, x, errc::bad_request, "name must be 1..80 characters");
  if (!access::valid_slug(b.slug))
    return fail(self, x, errc::bad_request, "slug must be 1..64 of a-z 0-9 - _");
  const auto visibility = storage::parse_channel_visibility(b.visibility);
  if (!visibility || !access::valid_visibility(*visibility))
    return fail(self, x, errc::bad_request,
                "visibility must be public, private, group or personal");
  channel_request req;
  req.from = who;
  req.row.created_at = now_ms();
  req.row.id = make_id("ch", req.row.created_at);
  req.row.slug = b.slug;
  req.row.name = name;
  req.row.visibility = *visibility;
  req.row.created_by = who.user.id;
  req.invite_logins = std::move(b.invite_logins);
  self->request(room, in_time(x), create_atom::value, std::move(req))
      .then(
          [self, x](write_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            ok(self, x, codec::encode_channel(*out.channel, out.channel->member_count), 201);
          },
          on_fail(self, x));
}

void open_dm(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto& room = c.room;
  auto body = codec::decode_dm_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  self->request(room, in_time(x), dm_atom::value,
                dm_request{who, std::get<std::vector<std::string>>(std::move(body))})
      .then(
          [self, x](write_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            ok(self, x, codec::encode_channel(*out.channel, out.channel->member_count),
               out.duplicate ? 200 : 201);
          },
          on_fail(self, x));
}

void delete_channel(self_ptr self, exchange_ptr x, const caller& c) {
  self->request(c.room, in_time(x), delete_atom::value, channels_atom::value, c.who, c.args["id"])
      .then(
          [self, x](write_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            ok(self, x, R"({"ok":true})");
          },
          on_fail(self, x));
}

void list_members(self_ptr self, exchange_ptr x, const caller& c) {
  self->request(c.room, in_time(x), members_atom::value, c.who)
      .then(answer_result<std::vector<storage::user_row>>(self, x, codec::encode_members),
            on_fail(self, x));
}

void list_bots(self_ptr self, exchange_ptr x, const caller& c) {
  self->request(c.room, in_time(x), bot_atom::value, list_atom::value, c.who)
      .then(
          [self, x](std::vector<storage::bot_row>& bots) { ok(self, x, codec::encode_bots(bots)); },
          on_fail(self, x));
}

void add_bot(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_bot_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  self->request(c.room, in_time(x), bot_atom::value, c.who,
                std::get<storage::bot_row>(std::move(body)))
      .then(answer_result<storage::bot_row>(self, x, codec::encode_bot, 201), on_fail(self, x));
}

void send_typing(self_ptr self, exchange_ptr x, const caller& c) {
  auto channel = codec::decode_typing_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&channel)) return fail(self, x, *e);
  self->request(c.room, in_time(x), typing_atom::value, std::get<std::string>(channel), c.who)
      .then(
          [self, x](bool shown) {
            if (!shown) return fail(self, x, errc::not_found, "no such channel");
            ok(self, x, R"({"ok":true})");
          },
          on_fail(self, x));
}

namespace {

void start_stream(self_ptr self, exchange_ptr x, principal who, room_actor room,
                  std::map<std::string, std::int64_t> resume, std::string cursor_key) {
  self->request(x->ctx.registry, in_time(x), count_atom::value, who.user.id)
      .then(
          [self, x, who, resume, room, cursor_key](int open) mutable {
            if (open >= x->ctx.max_connections_per_user)
              return fail(self, x, errc::rate_limited, "too many open connections for this user");
            x->out->stream(room, std::move(who), std::move(resume), cursor_key);
            self->quit();
          },
          on_fail(self, x));
}

}  // namespace

// The SSE stream opens like a socket, resuming from Last-Event-ID.
void open_room_stream(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto& room = c.room;
  auto& info = c.info;
  std::map<std::string, std::int64_t> resume;
  std::string last = x->req.last_event_id;
  if (auto* q = x->req.param("lastEventId")) last = *q;
  // The room's id, not its slug: a renamed room keeps its streams' logs.
  auto cursor_key = info.room.id + '/' + who.user.id;
  if (last.empty()) return start_stream(self, x, who, room, {}, cursor_key);
  auto parsed = codec::parse_resume(last);
  if (!parsed) return fail(self, x, errc::bad_request, "malformed Last-Event-ID");
  resume = std::move(*parsed);
  auto& book = x->ctx.sse_cursors;
  if (!book || resume.size() != 1) return start_stream(self, x, who, room, resume, cursor_key);
  // An event id names one channel; what the stream wrote before it says where the
  // client is in every other channel.
  if (auto have = book->find(cursor_key, last, now_ms())) {
    resume.clear();
    for (auto& [channel, seq] : *have) resume[codec::channel_from_wire(channel)] = seq;
    return start_stream(self, x, who, room, resume, cursor_key);
  }
  complete_resume(self, x, info, std::move(resume), [=](cursor_map resume) mutable {
    start_stream(self, x, who, room, std::move(resume), cursor_key);
  });
}

void complete_resume(self_ptr self, const exchange_ptr& x, const room_info& info, cursor_map resume,
                     std::function<void(cursor_map)> then) {
  std::vector<std::string> others;
  if (!resume.count("")) others.push_back("");  // the room-wide thread
  for (auto& ch : info.channels)
    if (!resume.count(ch.id)) others.push_back(ch.id);
  if (others.empty()) return then(std::move(resume));
  store_call(
      self, in_time(x), x->ctx.readers,
      [room_id = info.room.id, named = resume, others](storage::store& db) {
        return guess_cursors(db, room_id, named, others);
      },
      [=](cursor_map& guessed) mutable {
        for (auto& [c, s] : guessed) resume.emplace(c, s);
        then(std::move(resume));
      },
      [=](const error_info&) mutable { then(std::move(resume)); });
}

}  // namespace relay::api
