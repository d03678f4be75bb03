// The boards area on Postgres. Mirrors storage/sqlite/boards.cpp; every write that
// changes positions locks the board's row first.

#include "storage/postgres/boards.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay::storage::postgres {

namespace {

const std::string board_select =
    "SELECT b.id, b.room_id, COALESCE(r.slug, ''), b.name, b.owner_id, b.is_default,"
    " b.created_at FROM boards b LEFT JOIN rooms r ON r.id = b.room_id ";
const std::string card_select =
    "SELECT c.id, c.board_id, c.column_id, c.title, c.body, c.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), c.position, c.created_at, c.updated_at,"
    " s.user_id IS NOT NULL FROM cards c LEFT JOIN users u ON u.id = c.author_id"
    " LEFT JOIN card_saves s ON s.card_id = c.id AND s.user_id = $1 ";

board_row read_board(const pqxx::row& r) {
  board_row b;
  b.id = r[0].as<std::string>();
  b.room_id = r[1].as<std::string>();
  b.room_slug = r[2].as<std::string>();
  b.name = r[3].as<std::string>();
  b.owner_id = r[4].as<std::string>();
  b.is_default = r[5].as<bool>();
  b.created_at = r[6].as<std::int64_t>();
  return b;
}

card_row read_card(const pqxx::row& r) {
  card_row c;
  c.id = r[0].as<std::string>();
  c.board_id = r[1].as<std::string>();
  c.column_id = r[2].as<std::string>();
  c.title = r[3].as<std::string>();
  c.body = r[4].as<std::string>();
  c.author = {r[5].as<std::string>(), r[6].as<std::string>(), r[7].as<std::string>(),
              r[8].as<std::string>()};
  c.position = r[9].as<std::int64_t>();
  c.created_at = r[10].as<std::int64_t>();
  c.updated_at = r[11].as<std::int64_t>();
  c.saved = r[12].as<bool>();
  return c;
}

// The card ids of a column in position order, `except` left out.
std::vector<std::string> column_cards(pqxx::transaction_base& t, const std::string& column_id,
                                      const std::string& except) {
  std::vector<std::string> out;
  for (const auto& r : t.exec_prepared("boards.column_cards", column_id, except))
    out.push_back(r[0].as<std::string>());
  return out;
}

// Positions 0..n-1 for `ids` in `column_id`, written where they differ.
void renumber(pqxx::transaction_base& t, const std::string& column_id,
              const std::vector<std::string>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    t.exec_prepared0("boards.place_card", column_id, static_cast<std::int64_t>(i), ids[i]);
}

// Inserts the board and its default columns; false when the room already has a default
// board (`is_default`) and nothing was inserted.
bool insert_board(pqxx::transaction_base& t, const std::string& id, const std::string& room_id,
                  const std::string& name, const std::string& owner_id, bool is_default) {
  // Another node creating the room's default board makes this insert wait for its commit,
  // then do nothing: both answer the one board.
  if (t.exec_prepared("boards.insert", id, room_id, name, owner_id, is_default, now_ms())
          .affected_rows() == 0)
    return false;
  std::int64_t pos = 0;
  for (const char* col : default_board_columns)
    t.exec_prepared0("boards.insert_column", make_id("col"), id, std::string{col}, pos++);
  return true;
}

}  // namespace

boards::boards(connection& c) : c_{c} {
  c_.prepare("boards.by_id", board_select + "WHERE b.id = $1");
  c_.prepare("boards.default", board_select + "WHERE b.room_id = $1 AND b.is_default");
  c_.prepare("boards.of_room", board_select + "WHERE b.room_id = $1 ORDER BY b.created_at, b.id");
  c_.prepare("boards.insert",
             "INSERT INTO boards (id, room_id, name, owner_id, is_default, created_at)"
             " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING");
  c_.prepare("boards.insert_column",
             "INSERT INTO board_columns (id, board_id, name, position) VALUES ($1, $2, $3, $4)");
  c_.prepare("boards.columns",
             "SELECT id, board_id, name, position FROM board_columns WHERE board_id = $1"
             " ORDER BY position");
  c_.prepare("boards.column_board", "SELECT board_id FROM board_columns WHERE id = $1");
  c_.prepare("boards.first_column",
             "SELECT id FROM board_columns WHERE board_id = $1 ORDER BY position LIMIT 1");
  c_.prepare("boards.lock", "SELECT 1 FROM boards WHERE id = $1 FOR UPDATE");
  c_.prepare("boards.card_by_id", card_select + "WHERE c.id = $2");
  c_.prepare("boards.cards", card_select +
                                 "WHERE c.board_id = $2 ORDER BY c.column_id, s.user_id IS NULL,"
                                 " c.position");
  c_.prepare("boards.column_cards",
             "SELECT id FROM cards WHERE column_id = $1 AND id <> $2"
             " ORDER BY position, created_at, id");
  c_.prepare("boards.place_card",
             "UPDATE cards SET column_id = $1, position = $2 WHERE id = $3"
             " AND (column_id <> $1 OR position <> $2)");
  c_.prepare("boards.touch_card", "UPDATE cards SET updated_at = $1 WHERE id = $2");
  c_.prepare("boards.insert_card",
             "INSERT INTO cards (id, board_id, column_id, title, body, author_id, position,"
             " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6,"
             " (SELECT COUNT(*) FROM cards WHERE column_id = $3), $7, $7)");
  c_.prepare("boards.save",
             "INSERT INTO card_saves (card_id, user_id, created_at) VALUES ($1, $2, $3)"
             " ON CONFLICT DO NOTHING");
  c_.prepare("boards.unsave", "DELETE FROM card_saves WHERE card_id = $1 AND user_id = $2");
  c_.prepare("boards.card_exists", "SELECT 1 FROM cards WHERE id = $1");
}

expected<board_row> boards::default_board(const std::string& room_id, const std::string& creator_id,
                                          bool& created) {
  created = false;
  return c_.run("default board", [&](pqxx::transaction_base& t) -> expected<board_row> {
    auto found = t.exec_prepared("boards.default", room_id);
    if (!found.empty()) return read_board(found[0]);
    const std::string id = make_id("brd");
    created = insert_board(t, id, room_id, "Board", creator_id, true);
    // Not created: another node's, committed while this insert waited, is the one.
    auto b = t.exec_prepared("boards.default", room_id);
    if (b.empty()) return make_error(errc::not_found, "no such room");
    return read_board(b[0]);
  });
}

expected<board_row> boards::create_board(const std::string& room_id, const std::string& name,
                                         const std::string& owner_id) {
  return c_.run("create board", [&](pqxx::transaction_base& t) -> expected<board_row> {
    const std::string id = make_id("brd");
    // A room's first board is its default one, whichever call makes it.
    if (!insert_board(t, id, room_id, name, owner_id, true))
      insert_board(t, id, room_id, name, owner_id, false);
    return read_board(t.exec_prepared1("boards.by_id", id));
  });
}

expected<std::vector<board_row>> boards::list_boards(const std::string& room_id) {
  return c_.run("list boards", [&](pqxx::transaction_base& t) -> expected<std::vector<board_row>> {
    std::vector<board_row> out;
    for (const auto& r : t.exec_prepared("boards.of_room", room_id)) out.push_back(read_board(r));
    return out;
  });
}

expected<board_row> boards::find_board(const std::string& id) {
  return c_.run("find board", [&](pqxx::transaction_base& t) -> expected<board_row> {
    auto r = t.exec_prepared("boards.by_id", id);
    if (r.empty()) return make_error(errc::not_found, "no such board");
    return read_board(r[0]);
  });
}

expected<board_view> boards::load_board(const std::string& id, const std::string& viewer_id) {
  return c_.run("load board", [&](pqxx::transaction_base& t) -> expected<board_view> {
    auto b = t.exec_prepared("boards.by_id", id);
    if (b.empty()) return make_error(errc::not_found, "no such board");
    board_view v{read_board(b[0]), {}, {}};
    for (const auto& r : t.exec_prepared("boards.columns", id))
      v.columns.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                           r[3].as<std::int64_t>()});
    std::vector<card_row> cards;
    for (const auto& r : t.exec_prepared("boards.cards", viewer_id, id))
      cards.push_back(read_card(r));
    for (auto& col : v.columns)
      for (auto& c : cards)
        if (c.column_id == col.id) v.cards.push_back(std::move(c));
    return v;
  });
}

expected<card_row> boards::find_card(const std::string& id) {
  return c_.run("find card", [&](pqxx::transaction_base& t) -> expected<card_row> {
    auto r = t.exec_prepared("boards.card_by_id", std::string{}, id);
    if (r.empty()) return make_error(errc::not_found, "no such card");
    return read_card(r[0]);
  });
}

expected<card_row> boards::add_card(const new_card& c) {
  return c_.run("add card", [&](pqxx::transaction_base& t) -> expected<card_row> {
    // The count that numbers the new card must not race another node's add.
    if (t.exec_prepared("boards.lock", c.board_id).empty())
      return make_error(errc::not_found, "no such board");
    auto col = t.exec_prepared("boards.first_column", c.board_id);
    if (col.empty()) return make_error(errc::not_found, "no such board");
    const std::string id = make_id("crd");
    t.exec_prepared0("boards.insert_card", id, c.board_id, col[0][0].as<std::string>(), c.title,
                     c.body, c.author_id, now_ms());
    return read_card(t.exec_prepared1("boards.card_by_id", std::string{}, id));
  });
}

expected<card_move> boards::move_card(const std::string& card_id, const std::string& column_id,
                                      std::int64_t position) {
  if (position < 0) return make_error(errc::bad_request, "position must be 0 or more");
  return c_.run("move card", [&](pqxx::transaction_base& t) -> expected<card_move> {
    auto found = t.exec_prepared("boards.card_by_id", std::string{}, card_id);
    if (found.empty()) return make_error(errc::not_found, "no such card");
    auto card = read_card(found[0]);
    auto col = t.exec_prepared("boards.column_board", column_id);
    if (col.empty() || col[0][0].as<std::string>() != card.board_id)
      return make_error(errc::bad_request, "no such column on this card's board");
    // Every other writer of this board waits here until this transaction ends; the card
    // is read again under the lock, as another node may have moved it meanwhile.
    t.exec_prepared("boards.lock", card.board_id);
    card = read_card(t.exec_prepared1("boards.card_by_id", std::string{}, card_id));
    card_move out;
    out.from_column_id = card.column_id;
    out.from_position = card.position;
    auto target = column_cards(t, column_id, card_id);
    auto at = std::min<std::size_t>(static_cast<std::size_t>(position), target.size());
    target.insert(target.begin() + static_cast<std::ptrdiff_t>(at), card_id);
    if (out.from_column_id != column_id)
      renumber(t, out.from_column_id, column_cards(t, out.from_column_id, card_id));
    renumber(t, column_id, target);
    t.exec_prepared0("boards.touch_card", now_ms(), card_id);
    out.card = read_card(t.exec_prepared1("boards.card_by_id", std::string{}, card_id));
    return out;
  });
}

expected<void> boards::set_card_saved(const std::string& card_id, const std::string& user_id,
                                      bool saved) {
  return c_.run("save card", [&](pqxx::transaction_base& t) -> expected<void> {
    if (t.exec_prepared("boards.card_exists", card_id).empty())
      return make_error(errc::not_found, "no such card");
    if (saved)
      t.exec_prepared0("boards.save", card_id, user_id, now_ms());
    else
      t.exec_prepared0("boards.unsave", card_id, user_id);
    return {};
  });
}

}  // namespace relay::storage::postgres
