// protocol/multipart: the Content-Type header value (first line) and the body (the rest)
// of an upload. Whatever the bytes, the reader answers parts or a reason, never both; the
// parts lie inside the body; and the parts it read, written out again as a browser would,
// read back the same.

#include <string>

#include "fuzz_check.hpp"
#include "protocol/multipart.hpp"

using namespace relay;

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [header, body] = fuzz::split_first_line(fuzz::as_text(data, size));
  multipart::limits lim;
  lim.max_parts = 4;
  lim.max_head_bytes = 256;
  auto boundary = multipart::boundary_of(header);
  if (!boundary) return 0;
  FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
  FUZZ_CHECK(boundary->find_first_of("\r\n\"") == std::string::npos);
  auto r = multipart::parse(body, *boundary, lim);
  if (!r) {
    FUZZ_CHECK(r.parts.empty());
    return 0;
  }
  FUZZ_CHECK(r.parts.size() <= lim.max_parts);
  const std::string delimiter = "\r\n--" + *boundary;
  std::string again = "--" + *boundary;
  for (const auto& p : r.parts) {
    FUZZ_CHECK(p.data.data() >= body.data() &&
               p.data.data() + p.data.size() <= body.data() + body.size());
    FUZZ_CHECK(p.data.find(delimiter) == std::string_view::npos);
    for (const std::string* s : {&p.name, &p.content_type})
      FUZZ_CHECK(s->find_first_of("\r\n") == std::string::npos);
    if (p.filename) FUZZ_CHECK(p.filename->find_first_of("\r\n") == std::string::npos);
    again += "\r\nContent-Disposition: form-data; name=" + quoted(p.name);
    if (p.filename) again += "; filename=" + quoted(*p.filename);
    if (!p.content_type.empty()) again += "\r\nContent-Type: " + p.content_type;
    again += "\r\n\r\n" + std::string(p.data) + delimiter;
  }
  again += "--";
  // Written out with quotes and one space, a head may be longer than it came in.
  multipart::limits roomy = lim;
  roomy.max_head_bytes = 3 * lim.max_head_bytes + 128;
  auto r2 = multipart::parse(again, *boundary, roomy);
  FUZZ_CHECK(r2);
  FUZZ_CHECK(r2.parts.size() == r.parts.size());
  for (std::size_t i = 0; i < r.parts.size(); ++i) {
    FUZZ_CHECK(r2.parts[i].name == r.parts[i].name);
    FUZZ_CHECK(r2.parts[i].filename == r.parts[i].filename);
    FUZZ_CHECK(r2.parts[i].content_type == r.parts[i].content_type);
    FUZZ_CHECK(r2.parts[i].data == r.parts[i].data);
  }
  return 0;
}
