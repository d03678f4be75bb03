#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "storage/boards_store.hpp"
#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

/// The boards area on Postgres: the same rules and answers as storage/sqlite/boards.hpp.
/// Several nodes may write one board at once: adds and moves lock the board's row first
/// (SELECT … FOR UPDATE), so their renumberings take turns and each column's positions
/// stay 0..n-1; the partial unique index on (room_id) WHERE is_default keeps one default
/// board when nodes create it at once.
class boards : public virtual boards_store {
 public:
  /// Declares the area's statements on `c`.
  explicit boards(connection& c);

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
  connection& c_;
};

}  // namespace relay::storage::postgres
