#pragma once

// Shared building blocks of the JSON codecs: one parser with the client-error mapping,
// one way to read fields, and the object shapes that several documents embed.

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"

namespace relay::codec::detail {

namespace json = boost::json;

json::value nullable(const std::string& s);
json::value nullable_time(const std::optional<std::int64_t>& t);
json::object author_json(const storage::author_row& a);
json::object reactions_json(const std::vector<storage::reaction_row>& rs);
json::object message_json(const storage::message_row& m);
/// Appends `s` as a JSON string, escaped exactly as Boost.JSON's serializer escapes it.
void append_string(std::string& out, std::string_view s);
/// Appends the text of serialize(message_json(m)) without building the object: every
/// broadcast and every resume page encodes messages, and the object's allocations cost
/// more than the text.
void append_message(std::string& out, const storage::message_row& m);
/// Appends `[m, …]`, the buffer grown once for the whole page.
void append_messages(std::string& out, const std::vector<storage::message_row>& ms);
/// Appends `s` as a JSON string, or null when it is empty (as nullable() maps it).
void append_nullable(std::string& out, const std::string& s);
json::object channel_json(const storage::channel_row& c, std::int64_t members);
json::object room_json(const storage::room_row& r, const std::optional<storage::user_row>& owner);
error_info bad(errc c, std::string msg);
/// Parses text as a JSON object, mapping every parse failure to a client error. Values
/// nested deeper than `max_depth` (the object itself is level 1) are refused.
std::variant<json::object, error_info> parse_object(std::string_view text,
                                                    std::size_t max_depth = 16);

/// The text of top-level member `key` of `object_text`, exactly as sent (a value to pass
/// on untouched), or nullopt. `object_text` must be a JSON object that parse_object
/// accepted; when `key` repeats, the last one counts, as it does for the parser.
std::optional<std::string_view> raw_member(std::string_view object_text, std::string_view key);
/// Reads a string field: absent -> untouched; null -> untouched when `nullable_ok`.
std::optional<error_info> read_string(const json::object& o, std::string_view key, std::string& out,
                                      bool required, bool nullable_ok);
std::optional<error_info> read_channel(const json::object& o, std::string& out);

}  // namespace relay::codec::detail
