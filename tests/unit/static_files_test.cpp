// unit.static_files: how Relay serves the browser client (transport/static_files.hpp,
// transport/web_root.hpp): which paths are the client's, which file a path names, what
// may never be read, and the headers; then web_root against a real temporary root.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/beast/zlib/inflate_stream.hpp>
#include <boost/crc.hpp>

#include "api/routes.hpp"
#include "transport/static_files.hpp"
#include "transport/web_root.hpp"

namespace {

using namespace relay::web;
namespace fs = std::filesystem;

// -- which paths, which file -------------------------------------------------------

TEST(static_files, every_route_of_the_table_is_an_api_path) {
  // The client is served wherever the API is not: a route outside these four prefixes
  // would be shadowed by index.html for GET.
  for (auto& r : relay::api::routes()) {
    auto path = r.path.substr(1);
    auto first = path.substr(0, path.find('/'));
    EXPECT_TRUE(is_api_segment(first)) << r.path;
    EXPECT_EQ(decide_path(r.path).what, path_decision::kind::api) << r.path;
  }
}

TEST(static_files, api_paths_go_to_the_route_table) {
  for (auto p : {"/api", "/api/nope", "/auth/dev", "/v1/agents", "/metrics", "//api/me",
                 "/%61pi/me", "/api/../etc/passwd"})
    EXPECT_EQ(decide_path(p).what, path_decision::kind::api) << p;
  for (auto p : {"/apix", "/API/me", "/r/api", "/metricsx"})
    EXPECT_EQ(decide_path(p).what, path_decision::kind::file) << p;
}

TEST(static_files, a_path_names_a_file_or_falls_back_to_index) {
  auto root = decide_path("/");
  EXPECT_EQ(root.what, path_decision::kind::file);
  EXPECT_EQ(root.file, "index.html");
  EXPECT_EQ(decide_path("").file, "index.html");

  auto asset = decide_path("/assets/index-abc123.js");
  EXPECT_EQ(asset.file, "assets/index-abc123.js");
  EXPECT_EQ(asset.if_missing, path_decision::missing::not_found);

  auto route = decide_path("/r/lobby/general");
  EXPECT_EQ(route.what, path_decision::kind::file);
  EXPECT_EQ(route.file, "r/lobby/general");
  EXPECT_EQ(route.if_missing, path_decision::missing::index);

  auto icon = decide_path("/favicon.svg");
  EXPECT_EQ(icon.file, "favicon.svg");
  EXPECT_EQ(icon.if_missing, path_decision::missing::index);

  EXPECT_EQ(decide_path("//assets//x.js").file, "assets/x.js");
  EXPECT_EQ(decide_path("/r/caf%C3%A9").file, "r/caf\xC3\xA9");
  EXPECT_EQ(decide_path("/r/assets").if_missing, path_decision::missing::index);
}

TEST(static_files, dot_segments_encoded_separators_and_hidden_files_are_refused) {
  for (auto p : {"/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd",
                 "/assets/..%2f..%2fetc/passwd", "/assets/..%2F..%2Fetc/passwd", "/a/../b",
                 "/./index.html", "/assets/%2e%2e/%2e%2e/x", "/a%2fb", "/a%5cb", "/a%5C..%5Cb",
                 "/a%00b", "/.env", "/.git/config", "/assets/.hidden", "/%zz", "/%2", "/%"})
    EXPECT_EQ(decide_path(p).what, path_decision::kind::bad_path) << p;
}

// -- headers ---------------------------------------------------------------------

TEST(static_files, content_types_by_extension) {
  EXPECT_EQ(content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type("assets/index-abc.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type("assets/index-abc.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type("logo.png"), "image/png");
  EXPECT_EQ(content_type("favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type("manifest.json"), "application/json");
  EXPECT_EQ(content_type("assets/f.woff2"), "font/woff2");
  EXPECT_EQ(content_type("assets/index-abc.js.map"), "application/json");
  EXPECT_EQ(content_type("robots.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type("r/lobby"), "application/octet-stream");
  EXPECT_EQ(content_type("v.1/readme"), "application/octet-stream");

  EXPECT_TRUE(compressible("a.js"));
  EXPECT_TRUE(compressible("a.css"));
  EXPECT_TRUE(compressible("a.svg"));
  EXPECT_TRUE(compressible("a.js.map"));
  EXPECT_FALSE(compressible("a.png"));
  EXPECT_FALSE(compressible("a.woff2"));
  EXPECT_FALSE(compressible("a"));
}

TEST(static_files, hashed_assets_are_immutable_everything_else_revalidates) {
  EXPECT_EQ(cache_control("assets/index-abc.js"), "public, max-age=31536000, immutable");
  EXPECT_EQ(cache_control("index.html"), "no-cache");
  EXPECT_EQ(cache_control("favicon.svg"), "no-cache");
}

TEST(static_files, csp_allows_only_own_files_and_sockets) {
  auto csp = content_security_policy("http://127.0.0.1:8080", "");
  EXPECT_EQ(csp,
            "default-src 'self'; connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080; "
            "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_NE(content_security_policy("https://chat.example.com/base?x#y", "")
                .find("connect-src 'self' ws://chat.example.com wss://chat.example.com;"),
            std::string::npos);
  EXPECT_NE(content_security_policy("http://[::1]:8080", "").find("ws://[::1]:8080"),
            std::string::npos);
  // Nothing usable, or something that could end the directive: same-origin sockets only.
  for (auto url : {"", "http://", "http://a;b", "http://u@evil.example", "http://a b"})
    EXPECT_NE(content_security_policy(url, "").find("connect-src 'self'; img-src"),
              std::string::npos)
        << url;
}

TEST(static_files, csp_allows_avatars_from_the_configured_origins_only) {
  EXPECT_NE(content_security_policy("", "https://avatars.githubusercontent.com")
                .find("; img-src 'self' data: https://avatars.githubusercontent.com; base-uri"),
            std::string::npos);
  EXPECT_NE(content_security_policy("", "https://a.example, http://b.example:8443")
                .find("; img-src 'self' data: https://a.example http://b.example:8443; base-uri"),
            std::string::npos);
  // An entry that would widen the policy or end the directive is left out, the rest stay.
  for (auto bad : {"*", "https://*.example", "https:", "https://a.example/path", "'unsafe-inline'",
                   "https://a.example; script-src *", "https://u@a.example", "javascript:x",
                   "https://", "https://a .example"}) {
    auto csp = content_security_policy("", std::string(bad) + ",https://ok.example");
    EXPECT_NE(csp.find("; img-src 'self' data: https://ok.example; base-uri"), std::string::npos)
        << bad << " gave " << csp;
  }
}

TEST(static_files, accept_encoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
}

TEST(static_files, if_none_match) {
  EXPECT_TRUE(etag_matches("W/\"1a-2b\"", "W/\"1a-2b\""));
  EXPECT_TRUE(etag_matches("\"1a-2b\"", "W/\"1a-2b\""));  // weak comparison
  EXPECT_TRUE(etag_matches("\"x\", W/\"1a-2b\"", "W/\"1a-2b\""));
  EXPECT_TRUE(etag_matches(" * ", "W/\"1a-2b\""));
  EXPECT_FALSE(etag_matches("W/\"1a-2c\"", "W/\"1a-2b\""));
  EXPECT_FALSE(etag_matches("1a-2b", "W/\"1a-2b\""));
}

// Undoes gzip(): the RFC 1952 header, raw deflate, then CRC-32 and size.
std::string gunzip(const std::string& gz) {
  namespace zlib = boost::beast::zlib;
  EXPECT_GE(gz.size(), 18u);
  EXPECT_EQ(gz.substr(0, 4), std::string("\x1f\x8b\x08\x00", 4));
  std::string out(1 << 20, '\0');
  zlib::inflate_stream is;
  zlib::z_params zs;
  zs.next_in = gz.data() + 10;
  zs.avail_in = gz.size() - 18;
  zs.next_out = out.data();
  zs.avail_out = out.size();
  boost::system::error_code ec;
  is.write(zs, zlib::Flush::finish, ec);
  EXPECT_EQ(ec, zlib::error::end_of_stream) << ec.message();
  out.resize(zs.total_out);
  auto le32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(gz[at + i]);
    return v;
  };
  boost::crc_32_type crc;
  crc.process_bytes(out.data(), out.size());
  EXPECT_EQ(le32(gz.size() - 8), crc.checksum());
  EXPECT_EQ(le32(gz.size() - 4), out.size());
  return out;
}

TEST(static_files, gzip_round_trips) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "const x" + std::to_string(i) + " = 'relay';\n";
  auto gz = gzip(text);
  EXPECT_LT(gz.size(), text.size() / 4);
  EXPECT_EQ(gunzip(gz), text);
  EXPECT_EQ(gunzip(gzip("")), "");
}

// -- web_root against a real directory ------------------------------------------------

class web_root_test : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("relay-web-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "assets");
    fs::create_directories(base_ / "outside");
    write("outside/secret.txt", "top secret");
    write("root/index.html", "<!doctype html><script type=module src=/assets/x.js></script>");
    for (int i = 0; i < 200; ++i) js_ += "console.log('relay " + std::to_string(i) + "');\n";
    write("root/assets/x.js", js_);
    write("root/favicon.svg", "<svg/>");
  }
  void TearDown() override { fs::remove_all(base_); }

  void write(const std::string& rel, const std::string& text) {
    std::ofstream(base_ / rel, std::ios::binary) << text;
  }
  std::string root() const { return (base_ / "root").string(); }

  static std::string header(const reply& r, std::string_view name) {
    for (auto& [k, v] : r.headers)
      if (k == name) return v;
    return {};
  }

  fs::path base_;
  std::string js_;
};

TEST_F(web_root_test, serves_files_index_and_404_for_missing_assets) {
  web_root w{root(), "http://127.0.0.1:8080", "https://avatars.githubusercontent.com"};
  EXPECT_TRUE(w.built());

  auto index = w.serve("/", false, "", "");
  EXPECT_EQ(index.status, 200);
  ASSERT_TRUE(index.body);
  EXPECT_NE(index.body->find("<!doctype html>"), std::string::npos);
  EXPECT_EQ(header(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(index, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(index, "Referrer-Policy"), "same-origin");
  EXPECT_EQ(
      header(index, "Content-Security-Policy"),
      content_security_policy("http://127.0.0.1:8080", "https://avatars.githubusercontent.com"));

  auto route = w.serve("/r/lobby/general", false, "", "");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(*route.body, *index.body);
  EXPECT_EQ(header(route, "Cache-Control"), "no-cache");

  auto js = w.serve("/assets/x.js", false, "", "");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(*js.body, js_);
  EXPECT_EQ(js.content_length, js_.size());
  EXPECT_EQ(header(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(js, "Vary"), "Accept-Encoding");
  EXPECT_EQ(header(js, "Content-Encoding"), "");

  EXPECT_EQ(w.serve("/favicon.svg", false, "", "").status, 200);
  auto gone = w.serve("/assets/gone-123.js", false, "", "");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(header(gone, "Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(w.serve("/assets", false, "", "").status, 404);  // a directory is no file
  EXPECT_EQ(w.serve("/%2e%2e/outside/secret.txt", false, "", "").status, 400);
}

TEST_F(web_root_test, gzip_head_and_revalidation) {
  web_root w{root(), "", ""};
  auto gz = w.serve("/assets/x.js", false, "gzip, br", "");
  EXPECT_EQ(header(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(*gz.body), js_);
  EXPECT_EQ(gz.content_length, gz.body->size());

  // Too small to be worth it, and not text: sent as is.
  EXPECT_EQ(header(w.serve("/favicon.svg", false, "gzip", ""), "Content-Encoding"), "");

  auto head = w.serve("/assets/x.js", true, "", "");
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(head.body);
  EXPECT_EQ(head.content_length, js_.size());
  EXPECT_EQ(header(head, "Content-Type"), "text/javascript; charset=utf-8");

  auto etag = header(gz, "ETag");
  ASSERT_FALSE(etag.empty());
  auto again = w.serve("/assets/x.js", false, "gzip", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_FALSE(again.body);
  EXPECT_EQ(header(again, "ETag"), etag);

  // A rebuild is picked up without a restart: a new version, a new ETag.
  write("root/assets/x.js", "changed");
  fs::last_write_time(base_ / "root/assets/x.js",
                      fs::last_write_time(base_ / "root/assets/x.js") + std::chrono::seconds(5));
  auto changed = w.serve("/assets/x.js", false, "", etag);
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(*changed.body, "changed");
  EXPECT_NE(header(changed, "ETag"), etag);
}

TEST_F(web_root_test, symlinks_out_of_the_root_are_refused) {
  fs::create_symlink(base_ / "outside" / "secret.txt", base_ / "root" / "leak.txt");
  fs::create_directory_symlink(base_ / "outside", base_ / "root" / "assets" / "out");
  fs::create_symlink(base_ / "root" / "favicon.svg", base_ / "root" / "icon.svg");
  web_root w{root(), "", ""};
  auto leak = w.serve("/leak.txt", false, "", "");
  EXPECT_EQ(leak.status, 403);
  EXPECT_EQ(leak.body->find("top secret"), std::string::npos);
  EXPECT_EQ(w.serve("/assets/out/secret.txt", false, "", "").status, 403);
  EXPECT_EQ(w.serve("/icon.svg", false, "", "").status, 200);  // a link within the root

  // The root itself may be a link (a deploy switching builds): it is resolved first.
  fs::create_directory_symlink(base_ / "root", base_ / "current");
  web_root linked{(base_ / "current").string(), "", ""};
  EXPECT_EQ(linked.serve("/assets/x.js", false, "", "").status, 200);
  EXPECT_EQ(linked.serve("/leak.txt", false, "", "").status, 403);
}

TEST_F(web_root_test, a_root_without_a_built_client_says_so) {
  web_root w{(base_ / "missing").string(), "", ""};
  EXPECT_FALSE(w.built());
  auto r = w.serve("/", false, "", "");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body->find("not built"), std::string::npos);
  EXPECT_EQ(w.serve("/r/lobby", false, "", "").status, 503);
  EXPECT_EQ(w.serve("/assets/x.js", false, "", "").status, 404);

  // Built later: served from the next request on.
  fs::create_directory_symlink(base_ / "root", base_ / "missing");
  EXPECT_TRUE(w.built());
  EXPECT_EQ(w.serve("/", false, "", "").status, 200);
}

}  // namespace
