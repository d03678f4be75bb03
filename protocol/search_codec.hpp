#pragma once

// JSON of GET /api/search (docs/api.md "Search").

#include <optional>
#include <string>
#include <vector>

#include "storage/attachment_rows.hpp"
#include "storage/rows.hpp"
#include "storage/search_store.hpp"

namespace relay::codec {

/// `{results: [{message, room, channel: {id, slug, name} | null, snippet}], next}`: each
/// message as history shows it (with its `attachments`), `snippets[i]` for `hits[i]`,
/// `next` `{cursor}` (the `cursor` parameter of the page after) or null.
std::string encode_search_page(const std::vector<storage::search_hit>& hits,
                               const std::vector<std::string>& snippets,
                               const std::vector<storage::attachment_row>& attachments,
                               const std::optional<std::string>& next);

}  // namespace relay::codec
