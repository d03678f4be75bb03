#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/base64.hpp"

namespace relay {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// -- base64: RFC 4648 sections 4 and 10 ------------------------------------------------

TEST(Base64, Rfc4648Section10Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64::encode(plain), encoded) << plain;
    const auto decoded = base64::decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, UsesTheStandardAlphabet) {
  EXPECT_EQ(base64::encode(from_hex("fbffbf")), "+/+/");
  EXPECT_EQ(base64::encode(from_hex("fbff")), "+/8=");
  EXPECT_EQ(base64::decode("+/+/"), from_hex("fbffbf"));
  EXPECT_FALSE(base64::decode("-_-_").has_value());
}

TEST(Base64, AcceptsCorrectOrNoPaddingOnly) {
  EXPECT_EQ(base64::decode("Zg"), "f");
  EXPECT_EQ(base64::decode("Zm8"), "fo");
  EXPECT_FALSE(base64::decode("Zg=").has_value());
  EXPECT_FALSE(base64::decode("Zg===").has_value());
  EXPECT_FALSE(base64::decode("Zm8==").has_value());
  EXPECT_FALSE(base64::decode("Zm9v=").has_value());
  EXPECT_FALSE(base64::decode("==").has_value());
  EXPECT_FALSE(base64::decode("Zg==Zg==").has_value());  // padding only at the end
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64::decode("Z").has_value());      // 4n+1 characters
  EXPECT_FALSE(base64::decode("Zm9vY").has_value());  // 4n+1 characters
  EXPECT_FALSE(base64::decode("Zh==").has_value());   // non-zero trailing bits
  EXPECT_FALSE(base64::decode("Zm9=").has_value());   // non-zero trailing bits
  EXPECT_FALSE(base64::decode("Zm9v!").has_value());
  EXPECT_FALSE(base64::decode("Zm 9v").has_value());
  EXPECT_FALSE(base64::decode("Zm9v\n").has_value());
  EXPECT_FALSE(base64::decode(std::string("Zm\0v", 4)).has_value());
  EXPECT_FALSE(base64::decode("Zm9\xc3\xa9").has_value());
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const auto part = all.substr(0, len);
    const auto encoded = base64::encode(part);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(encoded.find_first_of("-_"), std::string::npos);
    EXPECT_EQ(base64::decode(encoded), part);
  }
}

TEST(Base64, WebSocketAcceptExampleOfRfc6455) {
  // RFC 6455 section 1.3: the 20-byte SHA-1 digest of the sample key and GUID.
  EXPECT_EQ(base64::encode(from_hex("b37a4f2cc0624f1690f64606cf385945b2bec4ea")),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

// -- base64url: RFC 4648 ---------------------------------------------------------------

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64::encode_url(plain), encoded) << plain;
    const auto decoded = base64::decode_url(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  // Standard base64 of fb ff bf is "+/+/"; the URL alphabet swaps in '-' and '_'.
  EXPECT_EQ(base64::encode_url(from_hex("fbffbf")), "-_-_");
  EXPECT_EQ(base64::encode_url(from_hex("fbff")), "-_8");
  EXPECT_EQ(base64::decode_url("-_-_"), from_hex("fbffbf"));
  EXPECT_FALSE(base64::decode_url("+/+/").has_value());
}

TEST(Base64Url, AcceptsCorrectPaddingOnly) {
  EXPECT_EQ(base64::decode_url("Zg=="), "f");
  EXPECT_EQ(base64::decode_url("Zm8="), "fo");
  EXPECT_FALSE(base64::decode_url("Zg=").has_value());
  EXPECT_FALSE(base64::decode_url("Zm8==").has_value());
  EXPECT_FALSE(base64::decode_url("Zm9v=").has_value());
}

TEST(Base64Url, RejectsMalformedInput) {
  EXPECT_FALSE(base64::decode_url("Z").has_value());      // 4n+1 characters
  EXPECT_FALSE(base64::decode_url("Zm9vY").has_value());  // 4n+1 characters
  EXPECT_FALSE(base64::decode_url("Zh").has_value());     // non-zero trailing bits
  EXPECT_FALSE(base64::decode_url("Zm9v!").has_value());
  EXPECT_FALSE(base64::decode_url("Zm 9v").has_value());
}

TEST(Base64Url, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t len = 0; len <= all.size(); len += 17) {
    const auto part = all.substr(0, len);
    const auto encoded = base64::encode_url(part);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(base64::decode_url(encoded), part);
  }
}

}  // namespace
}  // namespace relay
