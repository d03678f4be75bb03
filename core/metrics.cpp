#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>

namespace relay::metrics {

histogram::histogram(std::initializer_list<double> bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void histogram::observe(double v) noexcept {
  auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                    bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

void histogram::tally::add(double v) noexcept {
  auto i = static_cast<std::size_t>(std::lower_bound(h_.bounds_.begin(), h_.bounds_.end(), v) -
                                    h_.bounds_.begin());
  ++counts_[std::min(i, counts_.size() - 1)];
  ++n_;
  sum_ += v;
}

histogram::tally::~tally() {
  if (n_ == 0) return;
  for (std::size_t i = 0; i <= h_.bounds_.size() && i < counts_.size(); ++i)
    if (counts_[i] != 0) h_.counts_[i].fetch_add(counts_[i], std::memory_order_relaxed);
  h_.count_.fetch_add(n_, std::memory_order_relaxed);
  h_.sum_.fetch_add(sum_, std::memory_order_relaxed);
}

relay_metrics& get() {
  static relay_metrics m;
  return m;
}

family::family(registry& r, const char* name, const char* type, const char* help)
    : name_(name), type_(type), help_(help) {
  r.add(*this);
}

namespace {

// Shortest text that reads back as the same double: 0.0001, not 0.00010000000000000001.
std::string num(double v) {
  char buf[400];  // fixed notation of the largest double
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc{} ? std::string(buf, end) : std::string("NaN");
}

}  // namespace

void detail::write_sample(std::string& out, std::string_view name, std::string_view labels,
                          std::string_view value) {
  out += "relay_";
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void histogram_family::write_samples(std::string& out) const {
  const std::string bucket = std::string(name()) + "_bucket";
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < bounds().size(); ++i) {
    cum += this->bucket(i);
    detail::write_sample(out, bucket, "le=\"" + num(bounds()[i]) + "\"", std::to_string(cum));
  }
  cum += this->bucket(bounds().size());
  detail::write_sample(out, bucket, "le=\"+Inf\"", std::to_string(cum));
  detail::write_sample(out, std::string(name()) + "_sum", {}, num(sum()));
  // The count is the +Inf bucket, read once, so the two always agree.
  detail::write_sample(out, std::string(name()) + "_count", {}, std::to_string(cum));
}

std::string render(const relay_metrics& m) {
  std::string out;
  for (const family* f : m.families.families()) {
    out += "# HELP relay_";
    out += f->name();
    out += ' ';
    out += f->help();
    out += "\n# TYPE relay_";
    out += f->name();
    out += ' ';
    out += f->type();
    out += '\n';
    f->write_samples(out);
  }
  return out;
}

}  // namespace relay::metrics
