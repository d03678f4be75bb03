#include "protocol/board_codec.hpp"

#include "core/clock.hpp"
#include "protocol/json_detail.hpp"

namespace relay::codec {

using namespace detail;

namespace {

json::object summary_json(const storage::board_row& b) {
  return {{"id", b.id},
          {"roomId", b.room_id},
          {"name", b.name},
          {"ownerId", b.owner_id},
          {"isDefault", b.is_default},
          {"createdAt", format_iso8601(b.created_at)}};
}

json::object card_json(const storage::card_row& c, bool with_saved) {
  return {{"id", c.id},
          {"boardId", c.board_id},
          {"columnId", c.column_id},
          {"title", c.title},
          {"body", c.body},
          {"author", author_json(c.author)},
          {"position", c.position},
          {"saved", with_saved && c.saved},
          {"createdAt", format_iso8601(c.created_at)},
          {"updatedAt", format_iso8601(c.updated_at)}};
}

json::object board_json(const storage::board_view& v, bool with_saved) {
  auto o = summary_json(v.board);
  json::array columns;
  for (auto& col : v.columns) {
    json::array cards;
    for (auto& c : v.cards)
      if (c.column_id == col.id) cards.emplace_back(card_json(c, with_saved));
    columns.emplace_back(json::object{{"id", col.id},
                                      {"name", col.name},
                                      {"position", col.position},
                                      {"cards", std::move(cards)}});
  }
  o["columns"] = std::move(columns);
  return o;
}

}  // namespace

std::variant<std::string, error_info> decode_board_name(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  std::string name;
  if (auto e = read_string(std::get<json::object>(parsed), "name", name, true, false)) return *e;
  return name;
}

std::variant<card_body, error_info> decode_card_body(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  card_body b;
  if (auto e = read_string(o, "title", b.title, true, false)) return *e;
  if (auto e = read_string(o, "body", b.body, false, true)) return *e;
  return b;
}

std::variant<card_move_body, error_info> decode_card_move(std::string_view text) {
  auto parsed = parse_object(text);
  if (auto* e = std::get_if<error_info>(&parsed)) return *e;
  auto& o = std::get<json::object>(parsed);
  card_move_body b;
  if (auto e = read_string(o, "columnId", b.column_id, true, false)) return *e;
  if (b.column_id.empty()) return bad(errc::bad_request, "columnId must not be empty");
  auto it = o.find("position");
  // docs/api.md: only a missing columnId is MISSING_FIELD; a move without a position
  // is a bad move.
  if (it == o.end()) return bad(errc::bad_request, "position is required: where the card goes");
  auto& v = it->value();
  if (v.is_int64())
    b.position = v.as_int64();
  else if (v.is_uint64())
    return bad(errc::bad_request, "position is too large");
  else if (v.is_double() &&
           v.as_double() == static_cast<double>(static_cast<std::int64_t>(v.as_double())) &&
           v.as_double() >= 0 && v.as_double() < 1e15)
    b.position = static_cast<std::int64_t>(v.as_double());
  else
    return bad(errc::bad_request, "position must be a whole number");
  if (b.position < 0) return bad(errc::bad_request, "position must be 0 or more");
  return b;
}

std::string encode_board_summary(const storage::board_row& b) {
  return json::serialize(summary_json(b));
}

std::string encode_board_list(const std::vector<storage::board_row>& bs) {
  json::array a;
  for (auto& b : bs) a.emplace_back(summary_json(b));
  return json::serialize(json::object{{"boards", std::move(a)}});
}

std::string encode_board(const storage::board_view& v) {
  return json::serialize(board_json(v, true));
}

std::string encode_card(const storage::card_row& c) {
  return json::serialize(card_json(c, true));
}

std::string encode_board_updated(const storage::board_view& v) {
  return json::serialize(json::object{
      {"type", "board_updated"}, {"boardId", v.board.id}, {"board", board_json(v, false)}});
}

std::string encode_card_moved(const storage::card_move& m) {
  return json::serialize(json::object{{"type", "card_moved"},
                                      {"boardId", m.card.board_id},
                                      {"card", card_json(m.card, false)},
                                      {"fromColumnId", m.from_column_id},
                                      {"toColumnId", m.card.column_id},
                                      {"position", m.card.position}});
}

}  // namespace relay::codec
