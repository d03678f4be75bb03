#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/board_rows.hpp"
#include "storage/expected.hpp"

namespace relay::storage {

/// Boards of a room: columns, cards and who saved which card. Card positions are a total
/// order per column (0..n-1): adds and moves renumber inside the caller's transaction,
/// and on a shared database (Postgres) they first lock the board's row, so concurrent
/// writers of one board take turns.
class boards_store {
 public:
  virtual ~boards_store() = default;

  /// The room's default board, created with Todo · Doing · Done by `creator_id` when the
  /// room has none (`created`). Concurrent calls make one board. Call inside a
  /// transaction.
  virtual expected<board_row> default_board(const std::string& room_id,
                                            const std::string& creator_id, bool& created) = 0;
  /// Another board with the default columns; the room's default board when it has none
  /// yet. Call inside a transaction.
  virtual expected<board_row> create_board(const std::string& room_id, const std::string& name,
                                           const std::string& owner_id) = 0;
  /// The room's boards, oldest first.
  virtual expected<std::vector<board_row>> list_boards(const std::string& room_id) = 0;
  /// `not_found` for an unknown id.
  virtual expected<board_row> find_board(const std::string& id) = 0;
  /// The board with its columns and cards, `saved` and the order as `viewer_id` sees them.
  virtual expected<board_view> load_board(const std::string& id, const std::string& viewer_id) = 0;
  /// `not_found` for an unknown id.
  virtual expected<card_row> find_card(const std::string& id) = 0;
  /// Appends a card at the end of the board's first column. Call inside a transaction.
  virtual expected<card_row> add_card(const new_card& c) = 0;
  /// Moves the card to index `position` of `column_id` (clamped to the column's end),
  /// renumbering the columns it leaves and enters. `bad_request` when the column is not
  /// on the card's board or `position` is negative. Call inside a transaction.
  virtual expected<card_move> move_card(const std::string& card_id, const std::string& column_id,
                                        std::int64_t position) = 0;
  /// Saves or unsaves the card for `user_id` (idempotent). `not_found` for an unknown card.
  virtual expected<void> set_card_saved(const std::string& card_id, const std::string& user_id,
                                        bool saved) = 0;
};

/// The columns every new board starts with, left to right.
inline constexpr const char* default_board_columns[] = {"Todo", "Doing", "Done"};

}  // namespace relay::storage
