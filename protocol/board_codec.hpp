#pragma once

// JSON for boards (docs/api.md "Boards"): the board with its columns and cards, the
// request bodies, and the `board_updated` / `card_moved` room events.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/board_rows.hpp"

namespace relay::codec {

/// `POST /api/rooms/:slug/boards`: `{name}`, as sent (the handler trims and checks it).
std::variant<std::string, error_info> decode_board_name(std::string_view text);

/// `POST /api/boards/:id/cards`: `{title, body?}`, as sent.
struct card_body {
  std::string title;
  std::string body;
};
std::variant<card_body, error_info> decode_card_body(std::string_view text);

/// `PATCH /api/cards/:id`: `{columnId, position}`, position a whole number ≥ 0.
struct card_move_body {
  std::string column_id;
  std::int64_t position = 0;
};
std::variant<card_move_body, error_info> decode_card_move(std::string_view text);

/// A board without its cards: `{id, roomId, name, ownerId, isDefault, createdAt}`.
std::string encode_board_summary(const storage::board_row& b);
/// `{boards: [summary, …]}`.
std::string encode_board_list(const std::vector<storage::board_row>& bs);
/// The summary plus `columns: [{id, name, position, cards: [card, …]}, …]`.
std::string encode_board(const storage::board_view& v);
/// `{id, boardId, columnId, title, body, author, position, saved, createdAt, updatedAt}`.
std::string encode_card(const storage::card_row& c);

/// `{type:"board_updated", boardId, board}`: `board` as encode_board, `saved` false on
/// every card (the event goes to everyone in the room; saves are each viewer's own).
std::string encode_board_updated(const storage::board_view& v);
/// `{type:"card_moved", boardId, card, fromColumnId, toColumnId, position}`.
std::string encode_card_moved(const storage::card_move& m);

}  // namespace relay::codec
