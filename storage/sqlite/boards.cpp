// The boards area on SQLite: boards with their default columns, cards appended to the
// first column, and moves that renumber the columns they touch so each column's
// positions stay exactly 0..n-1.

#include "storage/sqlite/boards.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string board_select =
    "SELECT b.id, b.room_id, COALESCE(r.slug, ''), b.name, b.owner_id, b.is_default,"
    " b.created_at FROM boards b LEFT JOIN rooms r ON r.id = b.room_id ";
const std::string sql_board_by_id = board_select + "WHERE b.id = ?";
const std::string sql_default_board = board_select + "WHERE b.room_id = ? AND b.is_default = 1";
const std::string sql_boards_of_room =
    board_select + "WHERE b.room_id = ? ORDER BY b.created_at, b.id";
// ON CONFLICT: a second default board for the room (the partial unique index) is not made.
const std::string sql_insert_board =
    "INSERT INTO boards (id, room_id, name, owner_id, is_default, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
const std::string sql_insert_column =
    "INSERT INTO board_columns (id, board_id, name, position) VALUES (?, ?, ?, ?)";
const std::string sql_columns =
    "SELECT id, board_id, name, position FROM board_columns WHERE board_id = ? ORDER BY position";
const std::string sql_column_board = "SELECT board_id FROM board_columns WHERE id = ?";
const std::string sql_first_column =
    "SELECT id FROM board_columns WHERE board_id = ? ORDER BY position LIMIT 1";
const std::string card_select =
    "SELECT c.id, c.board_id, c.column_id, c.title, c.body, c.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), c.position, c.created_at, c.updated_at,"
    " s.user_id IS NOT NULL FROM cards c LEFT JOIN users u ON u.id = c.author_id"
    " LEFT JOIN card_saves s ON s.card_id = c.id AND s.user_id = ? ";
const std::string sql_card_by_id = card_select + "WHERE c.id = ?";
// The viewer's saved cards first in each column; the caller groups by column.
const std::string sql_cards_of_board =
    card_select + "WHERE c.board_id = ? ORDER BY c.column_id, s.user_id IS NULL, c.position";
const std::string sql_column_cards =
    "SELECT id FROM cards WHERE column_id = ? AND id <> ? ORDER BY position, created_at, id";
const std::string sql_place_card =
    "UPDATE cards SET column_id = ?, position = ? WHERE id = ? AND (column_id <> ? OR position <> "
    "?)";
const std::string sql_touch_card = "UPDATE cards SET updated_at = ? WHERE id = ?";
const std::string sql_insert_card =
    "INSERT INTO cards (id, board_id, column_id, title, body, author_id, position, created_at,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, (SELECT COUNT(*) FROM cards WHERE column_id = ?), ?, "
    "?)";
const std::string sql_save =
    "INSERT INTO card_saves (card_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
const std::string sql_unsave = "DELETE FROM card_saves WHERE card_id = ? AND user_id = ?";

board_row read_board(statement& st) {
  board_row b;
  b.id = st.text(0);
  b.room_id = st.text(1);
  b.room_slug = st.text(2);
  b.name = st.text(3);
  b.owner_id = st.text(4);
  b.is_default = st.int64(5) != 0;
  b.created_at = st.int64(6);
  return b;
}

card_row read_card(statement& st) {
  card_row c;
  c.id = st.text(0);
  c.board_id = st.text(1);
  c.column_id = st.text(2);
  c.title = st.text(3);
  c.body = st.text(4);
  c.author = {st.text(5), st.text(6), st.text(7), st.text(8)};
  c.position = st.int64(9);
  c.created_at = st.int64(10);
  c.updated_at = st.int64(11);
  c.saved = st.int64(12) != 0;
  return c;
}

}  // namespace

expected<board_row> boards::insert_board(const std::string& room_id, const std::string& name,
                                         const std::string& owner_id, bool is_default,
                                         bool& created) {
  const std::string id = make_id("brd");
  {
    auto st = db_.prepare(sql_insert_board);
    if (!st) return db_.failure("create board");
    st.bind(id).bind(room_id).bind(name).bind(owner_id);
    st.bind(static_cast<std::int64_t>(is_default ? 1 : 0)).bind(now_ms());
    if (st.step() != SQLITE_DONE) return db_.failure("create board");
    created = db_.changes() > 0;
  }
  if (!created) return make_error(errc::conflict, "the room has a default board");
  std::int64_t pos = 0;
  for (const char* col : default_board_columns) {
    auto st = db_.prepare(sql_insert_column);
    if (!st) return db_.failure("create column");
    st.bind(make_id("col")).bind(id).bind(col).bind(pos++);
    if (st.step() != SQLITE_DONE) return db_.failure("create column");
  }
  return find_board(id);
}

expected<board_row> boards::default_board(const std::string& room_id, const std::string& creator_id,
                                          bool& created) {
  created = false;
  {
    auto st = db_.prepare(sql_default_board);
    if (!st) return db_.failure("find default board");
    st.bind(room_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) return read_board(st);
    if (rc != SQLITE_DONE) return db_.failure("find default board");
  }
  auto b = insert_board(room_id, "Board", creator_id, true, created);
  if (b || !b.conflict()) return b;
  auto st = db_.prepare(sql_default_board);
  if (!st) return db_.failure("find default board");
  st.bind(room_id);
  if (st.step() != SQLITE_ROW) return db_.failure("find default board");
  return read_board(st);
}

expected<board_row> boards::create_board(const std::string& room_id, const std::string& name,
                                         const std::string& owner_id) {
  // A room's first board is its default one, whichever call makes it.
  bool created = false;
  auto b = insert_board(room_id, name, owner_id, true, created);
  if (b || !b.conflict()) return b;
  return insert_board(room_id, name, owner_id, false, created);
}

expected<std::vector<board_row>> boards::list_boards(const std::string& room_id) {
  auto st = db_.prepare(sql_boards_of_room);
  if (!st) return db_.failure("list boards");
  st.bind(room_id);
  std::vector<board_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_board(st));
  if (rc != SQLITE_DONE) return db_.failure("list boards");
  return out;
}

expected<board_row> boards::find_board(const std::string& id) {
  auto st = db_.prepare(sql_board_by_id);
  if (!st) return db_.failure("find board");
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_board(st);
  if (rc != SQLITE_DONE) return db_.failure("find board");
  return make_error(errc::not_found, "no such board");
}

expected<board_view> boards::load_board(const std::string& id, const std::string& viewer_id) {
  auto b = find_board(id);
  if (!b) return b.error();
  board_view v{std::move(*b), {}, {}};
  {
    auto st = db_.prepare(sql_columns);
    if (!st) return db_.failure("load columns");
    st.bind(id);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
      v.columns.push_back({st.text(0), st.text(1), st.text(2), st.int64(3)});
    if (rc != SQLITE_DONE) return db_.failure("load columns");
  }
  auto st = db_.prepare(sql_cards_of_board);
  if (!st) return db_.failure("load cards");
  st.bind(viewer_id).bind(id);
  std::vector<card_row> cards;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) cards.push_back(read_card(st));
  if (rc != SQLITE_DONE) return db_.failure("load cards");
  // Column by column, left to right, each in the order the query gave.
  for (auto& col : v.columns)
    for (auto& c : cards)
      if (c.column_id == col.id) v.cards.push_back(std::move(c));
  return v;
}

expected<card_row> boards::find_card(const std::string& id) {
  auto st = db_.prepare(sql_card_by_id);
  if (!st) return db_.failure("find card");
  st.bind(std::string{}).bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_card(st);
  if (rc != SQLITE_DONE) return db_.failure("find card");
  return make_error(errc::not_found, "no such card");
}

expected<card_row> boards::add_card(const new_card& c) {
  std::string column;
  {
    auto st = db_.prepare(sql_first_column);
    if (!st) return db_.failure("find first column");
    st.bind(c.board_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such board");
    if (rc != SQLITE_ROW) return db_.failure("find first column");
    column = st.text(0);
  }
  const std::string id = make_id("crd");
  const auto now = now_ms();
  {
    auto st = db_.prepare(sql_insert_card);
    if (!st) return db_.failure("add card");
    st.bind(id).bind(c.board_id).bind(column).bind(c.title).bind(c.body).bind(c.author_id);
    st.bind(column).bind(now).bind(now);
    if (st.step() != SQLITE_DONE) return db_.failure("add card");
  }
  return find_card(id);
}

expected<std::vector<std::string>> boards::column_cards(const std::string& column_id,
                                                        const std::string& except) {
  auto st = db_.prepare(sql_column_cards);
  if (!st) return db_.failure("read column");
  st.bind(column_id).bind(except);
  std::vector<std::string> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(st.text(0));
  if (rc != SQLITE_DONE) return db_.failure("read column");
  return out;
}

expected<void> boards::renumber(const std::string& column_id, const std::vector<std::string>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto st = db_.prepare(sql_place_card);
    if (!st) return db_.failure("renumber column");
    auto pos = static_cast<std::int64_t>(i);
    st.bind(column_id).bind(pos).bind(ids[i]).bind(column_id).bind(pos);
    if (st.step() != SQLITE_DONE) return db_.failure("renumber column");
  }
  return {};
}

expected<card_move> boards::move_card(const std::string& card_id, const std::string& column_id,
                                      std::int64_t position) {
  if (position < 0) return make_error(errc::bad_request, "position must be 0 or more");
  auto card = find_card(card_id);
  if (!card) return card.error();
  {
    auto st = db_.prepare(sql_column_board);
    if (!st) return db_.failure("find column");
    st.bind(column_id);
    const int rc = st.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.failure("find column");
    if (rc == SQLITE_DONE || st.text(0) != card->board_id)
      return make_error(errc::bad_request, "no such column on this card's board");
  }
  card_move out;
  out.from_column_id = card->column_id;
  out.from_position = card->position;
  // Everything is read before the first write: a refusal above has changed nothing.
  auto target = column_cards(column_id, card_id);
  if (!target) return target.error();
  auto at = std::min<std::size_t>(static_cast<std::size_t>(position), target->size());
  target->insert(target->begin() + static_cast<std::ptrdiff_t>(at), card_id);
  if (out.from_column_id != column_id) {
    auto source = column_cards(out.from_column_id, card_id);
    if (!source) return source.error();
    if (auto r = renumber(out.from_column_id, *source); !r) return r.error();
  }
  if (auto r = renumber(column_id, *target); !r) return r.error();
  {
    auto st = db_.prepare(sql_touch_card);
    if (!st) return db_.failure("move card");
    st.bind(now_ms()).bind(card_id);
    if (st.step() != SQLITE_DONE) return db_.failure("move card");
  }
  auto moved = find_card(card_id);
  if (!moved) return moved.error();
  out.card = std::move(*moved);
  return out;
}

expected<void> boards::set_card_saved(const std::string& card_id, const std::string& user_id,
                                      bool saved) {
  if (auto c = find_card(card_id); !c) return c.error();
  auto st = db_.prepare(saved ? sql_save : sql_unsave);
  if (!st) return db_.failure("save card");
  st.bind(card_id).bind(user_id);
  if (saved) st.bind(now_ms());
  if (st.step() != SQLITE_DONE) return db_.failure("save card");
  return {};
}

}  // namespace relay::storage::sqlite
