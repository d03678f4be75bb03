// Boards (docs/api.md "Boards"): a room's boards, their cards, moves and saves.
//
// Access follows the room: whoever may enter it sees its boards. The routes under a
// board or card id name no room, so the board is read first and its room asked what the
// caller may do there; a board of a room the caller may not enter is a 404, as an
// unknown id is. Writes go through the store writer (one transaction each, positions
// renumbered inside it); once committed, the room passes `board_updated` / `card_moved`
// to its clients on every node (actors/chat/room_boards.cpp).

#include "actors/chat/content_rules.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "protocol/board_codec.hpp"

namespace relay::api {

namespace {

constexpr std::size_t max_board_name = 100;
constexpr std::size_t max_card_title = 200;
constexpr std::size_t max_card_body = 4000;

auto fail_with(self_ptr self, exchange_ptr x) {
  return [self, x](const error_info& e) { fail(self, x, e); };
}

// `raw` trimmed and 1..max characters, or the error naming `field`.
std::variant<std::string, error_info> checked_text(std::string_view raw, std::size_t max,
                                                   const char* field) {
  auto c = check_content(raw, max);
  if (!c.error) return std::move(c.text);
  if (c.error.code == errc::invalid_utf8) return c.error;
  return make_error(c.error.code,
                    std::string{field} + " must be 1 to " + std::to_string(max) + " characters");
}

/// What a board-id or card-id route learned before it acts.
struct board_place {
  storage::board_row board;
  storage::card_row card;  // card routes only
  room_actor room;
  room_info info;
};

// Runs `next(place)` once the room of `place.board` says the caller may enter it;
// otherwise answers 404.
template <class F>
void admit(self_ptr self, exchange_ptr x, const principal& who, board_place place, F next) {
  auto slug = place.board.room_slug;
  with_room(self, x, slug, [self, x, who, place, next](room_actor room) mutable {
    self->request(room, in_time(x), info_atom::value, who)
        .then(
            [self, x, place, room, next](room_info& info) mutable {
              if (!info.may_enter)
                return fail(self, x, errc::not_found,
                            place.card.id.empty() ? "no such board" : "no such card");
              place.room = room;
              place.info = std::move(info);
              next(std::move(place));
            },
            on_fail(self, x));
  });
}

template <class F>
void with_visible_board(self_ptr self, exchange_ptr x, const caller& c, F next) {
  store_call(
      self, in_time(x), x->ctx.readers,
      [id = c.args["id"]](storage::store& db) { return db.find_board(id); },
      [self, x, who = c.who, next](storage::board_row& b) {
        admit(self, x, who, board_place{std::move(b), {}, {}, {}}, next);
      },
      fail_with(self, x));
}

template <class F>
void with_visible_card(self_ptr self, exchange_ptr x, const caller& c, F next) {
  store_call(
      self, in_time(x), x->ctx.readers,
      [id = c.args["id"]](storage::store& db) -> storage::expected<board_place> {
        auto card = db.find_card(id);
        if (!card) return card.error();
        auto board = db.find_board(card->board_id);
        if (!board)
          return board.error().code == errc::not_found ? make_error(errc::not_found, "no such card")
                                                       : board.error();
        return board_place{std::move(*board), std::move(*card), {}, {}};
      },
      [self, x, who = c.who, next](board_place& p) { admit(self, x, who, std::move(p), next); },
      fail_with(self, x));
}

// Tells the room's clients (every node) about a committed change.
void announce(self_ptr self, const room_actor& room, std::string event) {
  self->send(room, board_atom::value, std::move(event));
}

// The board as `viewer_id` sees it, read after a write in the same transaction.
struct written_board {
  storage::board_view view;
  bool created = false;
};

}  // namespace

void get_room_board(self_ptr self, exchange_ptr x, const caller& c) {
  auto room_id = c.info.room.id;
  auto who = c.who;
  auto room = c.room;
  // Read first: only the very first call of a room needs the writer.
  store_call(
      self, in_time(x), x->ctx.readers,
      [room_id,
       viewer = who.user.id](storage::store& db) -> storage::expected<storage::board_view> {
        auto bs = db.list_boards(room_id);
        if (!bs) return bs.error();
        for (auto& b : *bs)
          if (b.is_default) return db.load_board(b.id, viewer);
        return make_error(errc::not_found, "no board yet");
      },
      [self, x](storage::board_view& v) { ok(self, x, codec::encode_board(v)); },
      [self, x, room_id, who, room](const error_info& e) {
        if (e.code != errc::not_found) return fail(self, x, e);
        store_call(
            self, in_time(x), x->ctx.writer,
            [room_id, who](storage::store& db) -> storage::expected<written_board> {
              written_board out;
              auto b = db.default_board(room_id, who.user.id, out.created);
              if (!b) return b.error();
              auto v = db.load_board(b->id, who.user.id);
              if (!v) return v.error();
              out.view = std::move(*v);
              return out;
            },
            [self, x, room](written_board& w) {
              if (w.created) announce(self, room, codec::encode_board_updated(w.view));
              ok(self, x, codec::encode_board(w.view));
            },
            fail_with(self, x));
      });
}

void list_room_boards(self_ptr self, exchange_ptr x, const caller& c) {
  store_call(
      self, in_time(x), x->ctx.readers,
      [room_id = c.info.room.id](storage::store& db) { return db.list_boards(room_id); },
      [self, x](std::vector<storage::board_row>& bs) { ok(self, x, codec::encode_board_list(bs)); },
      fail_with(self, x));
}

void create_room_board(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_board_name(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto name = checked_text(std::get<std::string>(body), max_board_name, "name");
  if (auto* e = std::get_if<error_info>(&name)) return fail(self, x, *e);
  store_call(
      self, in_time(x), x->ctx.writer,
      [room_id = c.info.room.id, who = c.who.user.id,
       name = std::get<std::string>(name)](storage::store& db) -> storage::expected<written_board> {
        auto b = db.create_board(room_id, name, who);
        if (!b) return b.error();
        auto v = db.load_board(b->id, who);
        if (!v) return v.error();
        return written_board{std::move(*v), true};
      },
      [self, x, room = c.room](written_board& w) {
        announce(self, room, codec::encode_board_updated(w.view));
        ok(self, x, codec::encode_board(w.view), 201);
      },
      fail_with(self, x));
}

void get_board(self_ptr self, exchange_ptr x, const caller& c) {
  with_visible_board(self, x, c, [self, x, viewer = c.who.user.id](board_place p) {
    store_call(
        self, in_time(x), x->ctx.readers,
        [id = p.board.id, viewer](storage::store& db) { return db.load_board(id, viewer); },
        [self, x](storage::board_view& v) { ok(self, x, codec::encode_board(v)); },
        fail_with(self, x));
  });
}

void add_card(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_card_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto& b = std::get<codec::card_body>(body);
  auto title = checked_text(b.title, max_card_title, "title");
  if (auto* e = std::get_if<error_info>(&title)) return fail(self, x, *e);
  storage::new_card card;
  card.title = std::get<std::string>(title);
  card.author_id = c.who.user.id;
  // The body may be empty; when given it is trimmed and at most 4000 characters.
  if (b.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto text = checked_text(b.body, max_card_body, "body");
    if (auto* e = std::get_if<error_info>(&text)) return fail(self, x, *e);
    card.body = std::get<std::string>(text);
  }
  with_visible_board(self, x, c, [self, x, card = std::move(card)](board_place p) mutable {
    card.board_id = p.board.id;
    struct added {
      storage::card_row card;
      storage::board_view view;
    };
    store_call(
        self, in_time(x), x->ctx.writer,
        [card](storage::store& db) -> storage::expected<added> {
          auto stored = db.add_card(card);
          if (!stored) return stored.error();
          auto v = db.load_board(card.board_id, "");
          if (!v) return v.error();
          return added{std::move(*stored), std::move(*v)};
        },
        [self, x, room = p.room](added& a) {
          announce(self, room, codec::encode_board_updated(a.view));
          ok(self, x, codec::encode_card(a.card), 201);
        },
        fail_with(self, x));
  });
}

void move_card(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_card_move(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto move = std::get<codec::card_move_body>(body);
  with_visible_card(self, x, c, [self, x, who = c.who.user.id, move](board_place p) {
    // The board's creator and the room's owner move any card; others only their own.
    bool may = p.info.is_owner || p.board.owner_id == who || p.card.author.id == who;
    if (!may)
      return fail(self, x, errc::forbidden,
                  "only the card's author or the board's owner may move it");
    store_call(
        self, in_time(x), x->ctx.writer,
        [id = p.card.id, move](storage::store& db) {
          return db.move_card(id, move.column_id, move.position);
        },
        [self, x, room = p.room](storage::card_move& m) {
          announce(self, room, codec::encode_card_moved(m));
          ok(self, x, codec::encode_card(m.card));
        },
        fail_with(self, x));
  });
}

namespace {

void set_saved(self_ptr self, exchange_ptr x, const caller& c, bool saved) {
  with_visible_card(self, x, c, [self, x, who = c.who.user.id, saved](board_place p) {
    store_call(
        self, in_time(x), x->ctx.writer,
        [id = p.card.id, who, saved](storage::store& db) -> storage::expected<storage::card_row> {
          if (auto r = db.set_card_saved(id, who, saved); !r) return r.error();
          auto card = db.find_card(id);
          if (card) card->saved = saved;
          return card;
        },
        [self, x](storage::card_row& card) { ok(self, x, codec::encode_card(card)); },
        fail_with(self, x));
  });
}

}  // namespace

void save_card(self_ptr self, exchange_ptr x, const caller& c) {
  set_saved(self, x, c, true);
}

void unsave_card(self_ptr self, exchange_ptr x, const caller& c) {
  set_saved(self, x, c, false);
}

}  // namespace relay::api
