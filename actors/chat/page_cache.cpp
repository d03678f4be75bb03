#include "actors/chat/page_cache.hpp"

#include <algorithm>
#include <iterator>

#include "actors/resume_page.hpp"

namespace relay {

namespace {

bool seq_less(const storage::message_row& r, std::int64_t seq) {
  return r.seq < seq;
}

}  // namespace

page_cache::map::iterator page_cache::holding(std::int64_t seq) {
  auto it = segments_.lower_bound(seq);  // first segment starting at or after seq
  if (it == segments_.begin()) return segments_.end();
  --it;  // starts before seq: holds it unless it ends before
  return seq <= it->second.to ? it : segments_.end();
}

std::optional<page_cache::page> page_cache::find(std::int64_t after, std::int64_t upto,
                                                 std::size_t max_messages, std::size_t max_bytes,
                                                 std::int64_t now_ms) {
  auto it = holding(after + 1);
  if (it == segments_.end()) return std::nullopt;
  auto& s = it->second;
  s.used_ms = now_ms;
  page p;
  p.next = std::max(after, std::min(s.to, upto));
  auto r = std::lower_bound(s.rows.begin(), s.rows.end(), after + 1, seq_less);
  std::size_t bytes = 0;
  for (; r != s.rows.end() && r->seq <= p.next; ++r) {
    bytes += page_cost(*r);
    if (p.rows.size() >= std::max<std::size_t>(max_messages, 1) ||
        (!p.rows.empty() && bytes > max_bytes)) {
      p.next = p.rows.back().seq;  // a full page: the rest is the next one
      break;
    }
    p.rows.push_back(*r);
  }
  return p;
}

void page_cache::insert(std::int64_t after, std::int64_t to, std::vector<storage::message_row> rows,
                        std::int64_t now_ms) {
  if (max_bytes_ == 0 || to <= after) return;
  // Every segment that overlaps or touches [after, to] becomes part of one.
  auto it = segments_.lower_bound(after);
  if (it != segments_.begin() && std::prev(it)->second.to >= after) --it;
  std::int64_t from = after;
  segment merged{to, {}, 0, now_ms};
  std::vector<storage::message_row> tail;
  for (; it != segments_.end() && it->first <= to; it = segments_.erase(it)) {
    auto& s = it->second;
    from = std::min(from, it->first);
    merged.to = std::max(merged.to, s.to);
    bytes_ -= s.bytes;
    for (auto& r : s.rows) {
      if (r.seq <= after)
        merged.rows.push_back(std::move(r));
      else if (r.seq > to)
        tail.push_back(std::move(r));
    }
  }
  merged.rows.insert(merged.rows.end(), std::make_move_iterator(rows.begin()),
                     std::make_move_iterator(rows.end()));
  merged.rows.insert(merged.rows.end(), std::make_move_iterator(tail.begin()),
                     std::make_move_iterator(tail.end()));
  merged.bytes = page_bytes(merged.rows);
  bytes_ += merged.bytes;
  segments_.emplace(from, std::move(merged));
  trim();
}

storage::message_row* page_cache::row_of(const storage::message_row& m, segment** in) {
  auto it = holding(m.seq);
  if (it == segments_.end()) return nullptr;
  auto& rows = it->second.rows;
  auto r = std::lower_bound(rows.begin(), rows.end(), m.seq, seq_less);
  if (r == rows.end() || r->seq != m.seq || r->id != m.id) return nullptr;
  *in = &it->second;
  return &*r;
}

void page_cache::edit(const storage::message_row& m) {
  segment* s = nullptr;
  auto* r = row_of(m, &s);
  if (!r) return;
  s->bytes = s->bytes - page_cost(*r) + page_cost(m);
  bytes_ = bytes_ - page_cost(*r) + page_cost(m);
  *r = m;
  trim();
}

void page_cache::erase(const storage::message_row& m) {
  segment* s = nullptr;
  auto* r = row_of(m, &s);
  if (!r) return;
  // The range stays covered: the seq simply has no row any more.
  s->bytes -= page_cost(*r);
  bytes_ -= page_cost(*r);
  s->rows.erase(s->rows.begin() + (r - s->rows.data()));
}

void page_cache::expire(std::int64_t before_ms) {
  for (auto it = segments_.begin(); it != segments_.end();) {
    if (it->second.used_ms >= before_ms) {
      ++it;
      continue;
    }
    bytes_ -= it->second.bytes;
    it = segments_.erase(it);
  }
}

void page_cache::trim() {
  while (bytes_ > max_bytes_ && !segments_.empty()) {
    auto lru = std::min_element(segments_.begin(), segments_.end(), [](auto& a, auto& b) {
      return a.second.used_ms < b.second.used_ms;
    });
    auto& s = lru->second;
    // Resumes move forward: the oldest rows of a segment are the least useful.
    std::size_t drop = 0, freed = 0;
    while (drop < s.rows.size() && bytes_ - freed > max_bytes_) freed += page_cost(s.rows[drop++]);
    if (drop == s.rows.size()) {
      bytes_ -= s.bytes;
      segments_.erase(lru);
      continue;
    }
    auto from = s.rows[drop - 1].seq;  // (from, to] is still whole
    segment rest{s.to, {}, s.bytes - freed, s.used_ms};
    rest.rows.assign(std::make_move_iterator(s.rows.begin() + static_cast<std::ptrdiff_t>(drop)),
                     std::make_move_iterator(s.rows.end()));
    bytes_ -= freed;
    segments_.erase(lru);
    segments_.emplace(from, std::move(rest));
  }
}

}  // namespace relay
