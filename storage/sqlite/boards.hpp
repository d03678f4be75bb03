#pragma once

#include <string>
#include <vector>

#include "storage/boards_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The boards area on SQLite. Writes run in the store writer's transaction, one at a
/// time on its one connection: that alone orders concurrent moves of one board.
class boards : public virtual boards_store {
 public:
  explicit boards(database& db) : db_{db} {}

  expected<board_row> default_board(const std::string& room_id, const std::string& creator_id,
                                    bool& created) override;
  expected<board_row> create_board(const std::string& room_id, const std::string& name,
                                   const std::string& owner_id) override;
  expected<std::vector<board_row>> list_boards(const std::string& room_id) override;
  expected<board_row> find_board(const std::string& id) override;
  expected<board_view> load_board(const std::string& id, const std::string& viewer_id) override;
  expected<card_row> find_card(const std::string& id) override;
  expected<card_row> add_card(const new_card& c) override;
  expected<card_move> move_card(const std::string& card_id, const std::string& column_id,
                                std::int64_t position) override;
  expected<void> set_card_saved(const std::string& card_id, const std::string& user_id,
                                bool saved) override;

 private:
  expected<board_row> insert_board(const std::string& room_id, const std::string& name,
                                   const std::string& owner_id, bool is_default, bool& created);
  // The card ids of a column in position order, `except` left out.
  expected<std::vector<std::string>> column_cards(const std::string& column_id,
                                                  const std::string& except);
  // Writes positions 0..n-1 for `ids` in `column_id` where they differ.
  expected<void> renumber(const std::string& column_id, const std::vector<std::string>& ids);

  database& db_;
};

}  // namespace relay::storage::sqlite
