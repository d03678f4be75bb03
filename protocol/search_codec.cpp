#include "protocol/search_codec.hpp"

#include <boost/json.hpp>

#include "protocol/attachment_codec.hpp"
#include "protocol/json_codec.hpp"

namespace json = boost::json;

namespace relay::codec {

std::string encode_search_page(const std::vector<storage::search_hit>& hits,
                               const std::vector<std::string>& snippets,
                               const std::vector<storage::attachment_row>& attachments,
                               const std::optional<std::string>& next) {
  // The messages go through history's own encoders, so a hit is the object history shows.
  std::string page = "{\"messages\":[";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i > 0) page += ',';
    page += encode_message(hits[i].message);
  }
  page += "]}";
  auto messages = json::parse(with_attachments(page, attachments)).as_object()["messages"];
  json::array results;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    json::value channel = nullptr;
    if (!h.message.channel_id.empty())
      channel = json::object{
          {"id", h.message.channel_id}, {"slug", h.channel_slug}, {"name", h.channel_name}};
    results.push_back(json::object{{"message", messages.as_array().at(i)},
                                   {"room", h.room_slug},
                                   {"channel", std::move(channel)},
                                   {"snippet", i < snippets.size() ? snippets[i] : ""}});
  }
  json::value n = nullptr;
  if (next) n = json::object{{"cursor", *next}};
  return json::serialize(json::object{{"results", std::move(results)}, {"next", std::move(n)}});
}

}  // namespace relay::codec
