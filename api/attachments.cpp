// /api/attachments: uploads bound to a message, and serving them. The multipart body
// is split by protocol/multipart, what the bytes are is read from the bytes
// (codec::sniff_content_type), images are re-encoded by protocol/image on a detached
// worker, and the row and bytes go through the store writer (docs/api.md, "Attachments").
//
// Access follows the message: whoever can see the message's channel may fetch the
// file; anyone else gets 404, as for the message itself. Only the message's author may
// attach files to it (a file on someone else's message would put words in their mouth).

#include <atomic>
#include <semaphore>

#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "protocol/attachment_codec.hpp"
#include "protocol/cluster_codec.hpp"
#include "protocol/image.hpp"
#include "protocol/multipart.hpp"

namespace relay::api {

namespace {

// Decoding is the one step whose memory grows with the input: at most this many run at
// once, each holding its input (up to attachment_max_bytes), a 1600 × 1600 RGBA
// thumbnail (10 MB) and libvips' line buffers (a few MB at 10,000 px wide; the pixel
// limit caps the width), so about 2 × (input + 16 MB) beyond the request bodies.
constexpr std::ptrdiff_t max_concurrent_decodes = 2;
std::counting_semaphore<max_concurrent_decodes> decode_slots{max_concurrent_decodes};

// Uploads waiting for a decode slot, each on its own detached thread; past these and
// the ones decoding the server answers 503 instead of stacking threads (docs/api.md: 2
// at once, 8 may wait).
constexpr int max_waiting_images = 8;
constexpr int max_image_jobs = static_cast<int>(max_concurrent_decodes) + max_waiting_images;
std::atomic<int> image_jobs{0};

constexpr std::size_t max_field_bytes = 128;

auto fail_with(self_ptr self, exchange_ptr x) {
  return [self, x](const error_info& e) { fail(self, x, e); };
}

// Runs `next(owner)` when `who` can see message `message_id` (its room lets them in and
// the channel is one they see), else answers 404: a message the caller cannot see does
// not exist for them.
/// Where a visible message lives: its owner row, its room's actor and id.
struct message_place {
  storage::attachment_owner owner;
  room_actor room;
  std::string room_id;
};

template <class F>
void with_visible_message(self_ptr self, exchange_ptr x, const principal& who,
                          const std::string& message_id, F next) {
  store_call(
      self, in_time(x), x->ctx.readers,
      [message_id](storage::store& db) { return db.message_owner(message_id); },
      [self, x, who, next](storage::attachment_owner& owner) mutable {
        with_room(self, x, owner.room_slug, [self, x, who, owner, next](room_actor& room) mutable {
          self->request(room, in_time(x), info_atom::value, who)
              .then(
                  [self, x, owner, next, room](room_info& info) mutable {
                    bool visible = info.may_enter && owner.channel_id.empty();
                    if (info.may_enter)
                      for (auto& ch : info.channels) visible = visible || ch.id == owner.channel_id;
                    if (!visible) return fail(self, x, errc::not_found, "no such message");
                    message_place place{owner, room, info.room.id};
                    next(place);
                  },
                  on_fail(self, x));
        });
      },
      [self, x](const error_info& e) {
        fail(self, x,
             e.code == errc::not_found ? make_error(errc::not_found, "no such message") : e);
      });
}

// `attachment_added` to everyone who sees the message's channel, on every node: a frame
// that is not stored, as a bot's streamed answer is (cluster_event kind::frame). The room
// applies it as it applies another node's (its channel actor broadcasts it to the
// channel's subscribers, who are exactly those who may see the channel).
void announce(const exchange_ptr& x, const message_place& at, const storage::attachment_row& a) {
  codec::cluster_event e;
  e.what = codec::cluster_event::kind::frame;
  e.room_id = at.room_id;
  e.channel_id = at.owner.channel_id;
  e.text = codec::encode_attachment_added(at.owner.channel_id, a);
  if (x->ctx.cluster) x->ctx.cluster->publish(e);
  caf::anon_send(at.room, cluster_atom::value, std::move(e));
}

// Stores the row and its bytes, then answers 201 with the attachment and announces it.
void store_attachment(self_ptr self, exchange_ptr x, message_place at, storage::attachment_row row,
                      std::string bytes) {
  row.size = static_cast<std::int64_t>(bytes.size());
  row.sha256 = sha256_hex(bytes);
  store_call(
      self, in_time(x), x->ctx.writer,
      [row, bytes = std::move(bytes)](storage::store& db) { return db.put_attachment(row, bytes); },
      [self, x, row, at]() {
        announce(x, at, row);
        ok(self, x, codec::encode_attachment(row), 201);
      },
      fail_with(self, x));
}

// Re-encodes the image on a detached actor (its own thread: a decode blocks for up to
// a second or two, which must not hold an actor scheduler thread or an I/O thread).
void reencode_image(self_ptr self, exchange_ptr x, std::string_view data, message_place at,
                    storage::attachment_row row) {
  if (image_jobs.fetch_add(1) >= max_image_jobs) {
    image_jobs.fetch_sub(1);
    return fail(self, x,
                make_error(errc::unavailable, "too many images being processed; try again"),
                {{"Retry-After", "1"}});
  }
  auto out = std::make_shared<image::result>();
  // `data` points into x->req.body; the exchange outlives the worker's reply.
  std::function<void()> work = [out, data, keep = x] {
    decode_slots.acquire();
    *out = image::reencode(data);
    decode_slots.release();
    image_jobs.fetch_sub(1);
  };
  auto worker = self->spawn<caf::detached>(
      [](caf::event_based_actor* w, std::function<void()> work) -> caf::behavior {
        return {[w, work](job_atom) {
          work();
          w->quit();
          return true;
        }};
      },
      std::move(work));
  // No deadline here: the job always ends, and a client that gave up does not free its
  // slot earlier. The request actor answers once it has the outcome.
  self->request(worker, caf::infinite, job_atom::value)
      .then(
          [self, x, out, row, at](bool) mutable {
            // The wait for a decode slot and the decode itself are not the store's time:
            // an upload queued behind nine others would otherwise reach the writer past
            // its deadline and be refused after all the work was done.
            x->deadline = std::chrono::steady_clock::now() + x->ctx.request_timeout;
            switch (out->status) {
              case image::outcome::ok:
                row.content_type = "image/webp";
                row.width = out->width;
                row.height = out->height;
                return store_attachment(self, x, at, std::move(row), std::move(out->webp));
              case image::outcome::too_many_pixels:
                return fail(self, x, errc::payload_too_large, out->error);
              case image::outcome::corrupt:
              case image::outcome::too_large:
                return fail(self, x, errc::invalid_image, out->error);
            }
          },
          on_fail(self, x));
}

}  // namespace

void upload_attachment(self_ptr self, exchange_ptr x, const caller& c) {
  auto boundary = multipart::boundary_of(x->req.content_type);
  if (!boundary)
    return fail(self, x, errc::bad_request,
                "Content-Type must be multipart/form-data with a boundary");
  auto parsed = multipart::parse(x->req.body, *boundary);
  if (!parsed) return fail(self, x, errc::bad_request, parsed.error);
  const multipart::part* file = nullptr;
  std::optional<std::string> entity_type, entity_id;
  for (const auto& p : parsed.parts) {
    if (p.name == "file") {
      if (file) return fail(self, x, errc::bad_request, "more than one part named file");
      file = &p;
      continue;
    }
    auto* field = p.name == "entityType" ? &entity_type
                  : p.name == "entityId" ? &entity_id
                                         : nullptr;
    if (!field)
      return fail(self, x, errc::bad_request,
                  "unknown part; expected file, entityType and entityId");
    if (*field) return fail(self, x, errc::bad_request, "more than one part named " + p.name);
    if (p.data.empty() || p.data.size() > max_field_bytes)
      return fail(self, x, errc::bad_request, p.name + " must be 1 to 128 bytes");
    *field = std::string(p.data);
  }
  if (!file) return fail(self, x, errc::missing_field, "missing the part named file");
  if (!entity_type || !entity_id)
    return fail(self, x, errc::missing_field, "entityType and entityId bind the attachment");
  if (*entity_type != "message")
    return fail(self, x, errc::bad_request, "entityType must be message");
  // The HTTP reader already refused bodies past the cap plus 64 KB of framing; this is
  // the file's own size.
  if (file->data.size() > static_cast<std::size_t>(x->ctx.attachment_max_bytes))
    return fail(
        self, x, errc::payload_too_large,
        "the file is larger than " + std::to_string(x->ctx.attachment_max_bytes) + " bytes");

  storage::attachment_row row;
  row.id = make_id("att");
  row.uploader_id = c.who.user.id;
  row.entity_type = *entity_type;
  row.entity_id = *entity_id;
  row.name = codec::safe_file_name(file->filename.value_or(""));
  row.created_at = now_ms();
  auto data = file->data;
  with_visible_message(
      self, x, c.who, *entity_id, [self, x, row, data, me = c.who.user.id](message_place& at) {
        if (at.owner.author_id != me)
          return fail(self, x, errc::forbidden, "only the message's author may attach files to it");
        auto kind = codec::sniff_content_type(data);
        if (kind.image) return reencode_image(self, x, data, at, row);
        auto r = row;
        r.content_type = kind.content_type;
        store_attachment(self, x, at, std::move(r), std::string(data));
      });
}

void get_attachment(self_ptr self, exchange_ptr x, const caller& c) {
  std::string id = c.args["id"];
  store_call(
      self, in_time(x), x->ctx.readers, [id](storage::store& db) { return db.find_attachment(id); },
      [self, x, who = c.who](storage::attachment_row& a) {
        if (a.entity_type != "message") return fail(self, x, errc::not_found, "no such attachment");
        with_visible_message(self, x, who, a.entity_id, [self, x, a](message_place&) {
          store_call(
              self, in_time(x), x->ctx.readers,
              [a](storage::store& db) { return db.attachment_bytes(a); },
              [self, x, a](std::string& bytes) {
                const bool image = a.content_type.rfind("image/", 0) == 0;
                header_list h{
                    {"Content-Type", a.content_type},
                    {"X-Content-Type-Options", "nosniff"},
                    // The bytes never change (a new upload is a new id); only whoever may see
                    // the message may fetch them, so no shared cache keeps them.
                    {"Cache-Control", "private, max-age=31536000, immutable"},
                    // Opened directly, a file runs nothing and loads nothing.
                    {"Content-Security-Policy", "default-src 'none'; sandbox"},
                    {"Content-Disposition", image ? "inline" : codec::content_disposition(a.name)}};
                ok(self, x, std::move(bytes), 200, std::move(h));
              },
              fail_with(self, x));
        });
      },
      [self, x](const error_info& e) {
        fail(self, x,
             e.code == errc::not_found ? make_error(errc::not_found, "no such attachment") : e);
      });
}

}  // namespace relay::api
