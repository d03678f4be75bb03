#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/rows.hpp"

namespace relay::storage {

/// A room's board. `owner_id` is its creator: they (and the room's owner) may move any
/// card on it. The room's first board is its default one (at most one per room).
struct board_row {
  std::string id;  // brd_…
  std::string room_id;
  std::string room_slug;  // joined in, for the room lookup of a board-id route
  std::string name;
  std::string owner_id;
  bool is_default = false;
  std::int64_t created_at = 0;
};

/// A column of a board, left to right by `position` (0, 1, …).
struct board_column_row {
  std::string id;  // col_…
  std::string board_id;
  std::string name;
  std::int64_t position = 0;
};

/// A card in one column; `position` is its 0-based index in the column, a total order
/// (0..n-1, no gaps, no repeats) that every write keeps.
struct card_row {
  std::string id;  // crd_…
  std::string board_id;
  std::string column_id;
  std::string title;
  std::string body;
  author_row author;
  std::int64_t position = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool saved = false;  // by the viewer the board was loaded for
};

/// A board with everything on it: columns left to right, and per column its cards with
/// the viewer's saved ones first (each group by position).
struct board_view {
  board_row board;
  std::vector<board_column_row> columns;
  std::vector<card_row> cards;
};

struct new_card {
  std::string board_id;
  std::string author_id;
  std::string title;
  std::string body;
};

/// A card after a move, and where it was.
struct card_move {
  card_row card;
  std::string from_column_id;
  std::int64_t from_position = 0;
};

}  // namespace relay::storage
