#include "storage/tiered_reads.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "storage/archive_source.hpp"
#include "storage/postgres/archive.hpp"
#include "storage/store.hpp"

namespace relay::storage {

namespace {

// Hot rows first: a message both tiers hold is the hot one (the newer edit, if any).
std::vector<message_row> merge(std::vector<message_row> hot, std::vector<message_row> cold) {
  std::unordered_set<std::string> seen;
  for (const auto& m : hot) seen.insert(m.id);
  for (auto& m : cold)
    if (!seen.contains(m.id)) hot.push_back(std::move(m));
  return hot;
}

bool by_seq(const message_row& a, const message_row& b) {
  return a.seq < b.seq;
}

bool newest_first(const message_row& a, const message_row& b) {
  return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
}

}  // namespace

tiered_reads::tiered_reads(store& hot, postgres::archive* cold)
    : hot_{hot}, marks_{dynamic_cast<archive_source*>(&hot)}, cold_{marks_ ? cold : nullptr} {}

expected<void> tiered_reads::fill_authors(std::vector<message_row>& rows) {
  std::map<std::string, author_row> known;
  for (auto& m : rows) {
    auto it = known.find(m.author.id);
    if (it == known.end()) {
      author_row a;
      a.id = m.author.id;
      auto u = hot_.find_user(m.author.id);
      if (u) {
        a.login = u->login;
        a.name = u->name;
        a.avatar_url = u->avatar_url;
      } else if (!u.not_found()) {  // bots post under ids with no user: blank, as the join
        return u.error();
      }
      it = known.emplace(m.author.id, std::move(a)).first;
    }
    m.author = it->second;
  }
  return {};
}

expected<std::vector<message_row>> tiered_reads::list_messages(const message_query& q) {
  auto hot = hot_.list_messages(q);
  if (!hot || !cold_) return hot;
  const auto limit = static_cast<std::size_t>(std::clamp(q.limit, 1, max_query_rows));
  bool reaches = false;
  if (q.after_seq) {
    auto mark = marks_->archived_upto(q.room_id, q.channel_id.value_or(""));
    if (!mark) return mark.error();
    reaches = *mark > *q.after_seq;
  } else if (hot->size() < limit) {
    if (q.channel_id) {
      auto mark = marks_->archived_upto(q.room_id, *q.channel_id);
      if (!mark) return mark.error();
      reaches = *mark > 0;
    } else {
      auto archived = marks_->room_archived(q.room_id);
      if (!archived) return archived.error();
      reaches = *archived;
    }
  }
  if (!reaches) return hot;
  auto cold = cold_->list_messages(q);
  if (!cold) return cold;
  if (auto filled = fill_authors(*cold); !filled) return filled.error();
  auto out = merge(std::move(*hot), std::move(*cold));
  if (q.after_seq)
    std::sort(out.begin(), out.end(), by_seq);
  else
    std::sort(out.begin(), out.end(), newest_first);
  if (out.size() > limit) out.resize(limit);
  return out;
}

expected<std::vector<message_row>> tiered_reads::tail(const std::string& room_id,
                                                      const std::string& channel_id, int n) {
  auto hot = hot_.tail(room_id, channel_id, n);
  if (!hot || !cold_ || hot->size() >= static_cast<std::size_t>(std::max(n, 0))) return hot;
  auto mark = marks_->archived_upto(room_id, channel_id);
  if (!mark) return mark.error();
  if (*mark == 0) return hot;
  auto cold = cold_->tail(room_id, channel_id, n);
  if (!cold) return cold;
  if (auto filled = fill_authors(*cold); !filled) return filled.error();
  auto out = merge(std::move(*hot), std::move(*cold));
  std::sort(out.begin(), out.end(), by_seq);
  if (out.size() > static_cast<std::size_t>(n)) out.erase(out.begin(), out.end() - n);
  return out;
}

expected<message_row> tiered_reads::find_message(const std::string& id) {
  auto hot = hot_.find_message(id);
  if (hot || !hot.not_found() || !cold_) return hot;
  auto cold = cold_->find_message(id);
  if (!cold) return cold;
  std::vector<message_row> one{std::move(*cold)};
  if (auto filled = fill_authors(one); !filled) return filled.error();
  return std::move(one.front());
}

}  // namespace relay::storage
