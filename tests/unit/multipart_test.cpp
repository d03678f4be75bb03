// protocol/multipart: the bodies browsers and curl send, and every malformed one we know
// answered with a reason (the upload handler turns it into a 400).

#include "protocol/multipart.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::multipart {
namespace {

const std::string b = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

// A body as Chromium builds it for FormData with one file and two fields.
std::string browser_body(std::string_view file_data) {
  return "--" + b +
         "\r\n"
         "Content-Disposition: form-data; name=\"entityType\"\r\n\r\n"
         "message\r\n--" +
         b +
         "\r\n"
         "Content-Disposition: form-data; name=\"entityId\"\r\n\r\n"
         "msg_1\r\n--" +
         b +
         "\r\n"
         "Content-Disposition: form-data; name=\"file\"; filename=\"cat photo.png\"\r\n"
         "Content-Type: text/plain\r\n\r\n" +
         std::string(file_data) + "\r\n--" + b + "--\r\n";
}

TEST(Multipart, ReadsABrowserBody) {
  const std::string data = "bytes\r\nwith CRLF and --" + b.substr(0, 10) + " inside\r\n";
  auto body = browser_body(data);
  auto r = parse(body, b);
  ASSERT_TRUE(r) << r.error;
  ASSERT_EQ(r.parts.size(), 3u);
  EXPECT_EQ(r.parts[0].name, "entityType");
  EXPECT_EQ(r.parts[0].data, "message");
  EXPECT_FALSE(r.parts[0].filename);
  EXPECT_EQ(r.parts[1].data, "msg_1");
  EXPECT_EQ(r.parts[2].name, "file");
  EXPECT_EQ(r.parts[2].filename, "cat photo.png");
  EXPECT_EQ(r.parts[2].content_type, "text/plain");
  EXPECT_EQ(r.parts[2].data, data);
}

TEST(Multipart, KeepsBinaryDataWhole) {
  std::string data;
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<char>(i));
  data += std::string("\0\r\n--", 5);  // a NUL, and a delimiter missing its boundary
  auto body = browser_body(data);
  auto r = parse(body, b);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.parts[2].data, data);
}

TEST(Multipart, EmptyFileAndTransportPaddingAndEpilogue) {
  std::string body =
      "--" + b + "  \r\nContent-Disposition: form-data; name=file; filename=\"\"\r\n\r\n\r\n--" +
      b + "--\r\nthis epilogue is ignored";
  auto r = parse(body, b);
  ASSERT_TRUE(r) << r.error;
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].name, "file");
  EXPECT_EQ(r.parts[0].filename, "");
  EXPECT_TRUE(r.parts[0].data.empty());
}

TEST(Multipart, HeaderNamesAnyCaseQuotedEscapes) {
  std::string body =
      "--" + b +
      "\r\ncontent-disposition: FORM-DATA; name=\"file\"; filename=\"a\\\"b.txt\"\r\n"
      "CONTENT-TYPE: image/png\r\n\r\nx\r\n--" +
      b + "--";
  auto r = parse(body, b);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.parts[0].filename, "a\"b.txt");
  EXPECT_EQ(r.parts[0].content_type, "image/png");
}

TEST(Multipart, BackslashesOfAWindowsPathStay) {
  // Browsers do not escape a file name's backslashes: only \" and \\ are escapes.
  std::string body = "--" + b +
                     "\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"..\\..\\win\\x.txt\"\r\n\r\nx\r\n--" +
                     b + "--";
  auto r = parse(body, b);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.parts[0].filename, "..\\..\\win\\x.txt");
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=" + b), b);
  EXPECT_EQ(boundary_of("Multipart/Form-Data;boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(boundary_of("multipart/form-data; charset=utf-8; boundary=x"), "x");
  EXPECT_FALSE(boundary_of("multipart/form-data"));
  EXPECT_FALSE(boundary_of("multipart/mixed; boundary=x"));
  EXPECT_FALSE(boundary_of("application/json"));
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary="));
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary=\"\""));
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_TRUE(boundary_of("multipart/form-data; boundary=" + std::string(70, 'a')));
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary=\"a \""));  // may not end in space
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary=x; boundary=y"));
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary=\"a\r\nb\""));
  EXPECT_FALSE(boundary_of("multipart/form-data; boundary=\"unterminated"));
}

std::string one_part(std::string_view head, std::string_view data = "x") {
  return "--" + b + "\r\n" + std::string(head) + "\r\n\r\n" + std::string(data) + "\r\n--" + b +
         "--\r\n";
}

TEST(Multipart, RefusesWhatIsNotFormData) {
  struct bad_case {
    std::string body;
    std::string why;
  };
  const bad_case cases[] = {
      {"", "does not start"},
      {"preamble\r\n" + one_part("Content-Disposition: form-data; name=file"), "does not start"},
      {one_part("Content-Type: text/plain"), "no Content-Disposition"},
      {one_part("Content-Disposition: attachment; name=file"), "not form-data"},
      {one_part("Content-Disposition: form-data"), "name="},
      {one_part("Content-Disposition: form-data; name=\"a\"; name=\"b\""), "name="},
      {one_part("Content-Disposition: form-data; name=\"unterminated"), "name="},
      {one_part("Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b"),
       "two Content-Disposition"},
      {one_part("Content-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b"),
       "two Content-Type"},
      {one_part("no colon here"), "malformed header line"},
      {one_part("Bad Name: x"), "malformed header name"},
      {one_part("Content-Disposition: form-data; name=\"a\"; filename=\"x\x01y\""),
       "control character"},
      {one_part("X-Other: a\x7f"), "control character"},
      {"--" + b + "\r\nContent-Disposition: form-data; name=a\r\n\r\nno closing delimiter",
       "ends inside a part"},
      {"--" + b + "\r\nContent-Disposition: form-data; name=a", "incomplete"},
      {"--" + b + "garbage", "malformed multipart delimiter"},
      {"--" + b, "malformed multipart delimiter"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.body, b);
    EXPECT_FALSE(r) << c.body;
    EXPECT_NE(r.error.find(c.why), std::string::npos) << c.body << " -> " << r.error;
    EXPECT_TRUE(r.parts.empty());
  }
}

TEST(Multipart, BoundsPartsAndHeads) {
  limits l;
  l.max_parts = 2;
  std::string body = "--" + b;
  for (int i = 0; i < 3; ++i)
    body +=
        "\r\nContent-Disposition: form-data; name=f" + std::to_string(i) + "\r\n\r\nv\r\n--" + b;
  body += "--";
  auto r = parse(body, b, l);
  EXPECT_FALSE(r);
  EXPECT_NE(r.error.find("too many parts"), std::string::npos);
  l.max_parts = 3;
  EXPECT_TRUE(parse(body, b, l));

  limits small;
  small.max_head_bytes = 64;
  auto big_head =
      one_part("Content-Disposition: form-data; name=file\r\nX-Pad: " + std::string(100, 'p'));
  auto r2 = parse(big_head, b, small);
  EXPECT_FALSE(r2);
  EXPECT_NE(r2.error.find("too large"), std::string::npos) << r2.error;
  // A head that never ends is refused at the limit, not searched to the end of the body.
  auto endless = "--" + b + "\r\nX-Pad: " + std::string(10000, 'p');
  auto r3 = parse(endless, b, small);
  EXPECT_NE(r3.error.find("too large"), std::string::npos) << r3.error;
}

// A body built of near-delimiters would make a naive search quadratic: it must finish
// quickly (this takes milliseconds with Boyer-Moore-Horspool).
TEST(Multipart, NearDelimitersStayLinear) {
  std::string data;
  while (data.size() < 4 * 1024 * 1024) data += "\r\n--" + b.substr(0, b.size() - 1) + "Y";
  auto body = browser_body(data);
  auto r = parse(body, b);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.parts[2].data.size(), data.size());
}

}  // namespace
}  // namespace relay::multipart
