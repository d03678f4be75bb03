// unit.routes: the route table (api/routes.hpp) and the docs that describe it.
//
// The docs check reads docs/api.md, docs/agents.md and docs/halls.md. A route is
// documented there by
//   * a table row whose first two cells are a method and a code span with the path,
//       | POST | `/api/rooms/:slug/dms` | …
//   * or a code span holding a method, one space and a path, anywhere in the text,
//       `GET /v1/ws/agent`
// A query (`?next=/path`) is not part of the path. Every documented route must be
// served (the table matches its method and path, `:name` standing for any segment), and
// every route in the table must be documented with its exact template, names included.

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "api/routes.hpp"

namespace {

using namespace relay::api;

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

struct doc_route {
  std::string method;
  std::string path;
  std::string where;  // file:line
};

bool is_method(std::string_view s) {
  for (auto m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
    if (s == m) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<doc_route> parse_doc(const std::string& name, const std::string& text) {
  std::vector<doc_route> out;
  auto add = [&](std::string_view method, std::string_view path, int line) {
    path = path.substr(0, path.find('?'));
    out.push_back({std::string{method}, std::string{path}, name + ":" + std::to_string(line)});
  };
  std::istringstream in{text};
  std::string text_line;
  for (int n = 1; std::getline(in, text_line); ++n) {
    std::string_view line = text_line;
    // | METHOD | `/path` | …
    if (line.starts_with('|')) {
      auto a = line.find('|', 1);
      auto b = a == line.npos ? a : line.find('|', a + 1);
      if (b != line.npos) {
        auto method = trim(line.substr(1, a - 1));
        auto path = trim(line.substr(a + 1, b - a - 1));
        if (is_method(method) && path.size() > 2 && path.front() == '`' && path.back() == '`')
          add(method, path.substr(1, path.size() - 2), n);
      }
    }
    // `METHOD /path`, anywhere
    for (auto open = line.find('`'); open != line.npos; open = line.find('`', open)) {
      auto close = line.find('`', open + 1);
      if (close == line.npos) break;
      auto span = line.substr(open + 1, close - open - 1);
      auto space = span.find(' ');
      if (space != span.npos && is_method(span.substr(0, space)) && span.size() > space + 1 &&
          span[space + 1] == '/' && span.find(' ', space + 1) == span.npos)
        add(span.substr(0, space), span.substr(space + 1), n);
      open = close + 1;
    }
  }
  return out;
}

// What differs between the docs and the table, one line per problem; empty when they agree.
std::vector<std::string> check_docs(const std::vector<doc_route>& docs) {
  std::vector<std::string> problems;
  std::set<std::pair<std::string, std::string>> documented;
  for (auto& d : docs) {
    documented.emplace(d.method, d.path);
    if (d.path.empty() || d.path[0] != '/' || !match(d.method, segments(d.path)).found)
      problems.push_back(d.where + ": " + d.method + " " + d.path + " is documented, not served");
  }
  for (auto& r : routes()) {
    auto key = std::pair{std::string{to_string(r.method)}, std::string{r.path}};
    if (!documented.count(key))
      problems.push_back(key.first + " " + key.second + " is served, not documented");
  }
  return problems;
}

std::string read(const std::string& relative) {
  std::ifstream in{std::string{RELAY_SOURCE_DIR} + "/" + relative};
  EXPECT_TRUE(in) << relative;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<std::string> doc_files{"docs/api.md", "docs/agents.md", "docs/halls.md"};

std::vector<doc_route> parse_docs(std::map<std::string, std::string> texts = {}) {
  std::vector<doc_route> out;
  for (auto& f : doc_files) {
    auto text = texts.count(f) ? texts[f] : read(f);
    auto rs = parse_doc(f, text);
    out.insert(out.end(), rs.begin(), rs.end());
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

// -- the table ------------------------------------------------------------------------

bool is_param(std::string_view s) {
  return !s.empty() && s[0] == ':';
}

TEST(RouteTable, TemplatesAreWellFormedAndUnique) {
  std::set<std::pair<http_method, std::string_view>> seen;
  for (auto& r : routes()) {
    SCOPED_TRACE(std::string{r.path});
    ASSERT_FALSE(r.path.empty());
    EXPECT_EQ(r.path[0], '/');
    EXPECT_EQ(r.path.find("//"), std::string_view::npos);
    EXPECT_NE(r.path.back(), '/');
    EXPECT_TRUE(seen.emplace(r.method, r.path).second) << "declared twice";
    EXPECT_TRUE(r.serve != nullptr);
    if (r.kind != route_kind::rest || r.head) {
      EXPECT_EQ(r.method, http_method::get) << "streams and HEAD are GET routes";
    }
    bool room = r.who == route_access::room_visitor || r.who == route_access::room_member ||
                r.who == route_access::room_owner;
    EXPECT_EQ(room, r.path.find("/:slug") != std::string_view::npos)
        << "room routes, and only they, name the room :slug";
  }
}

// A path matches at most one template, so the order of the table never matters.
TEST(RouteTable, NoTwoTemplatesMatchOnePath) {
  auto all = routes();
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = i + 1; j < all.size(); ++j) {
      if (all[i].path == all[j].path) continue;
      auto a = segments(all[i].path), b = segments(all[j].path);
      if (a.size() != b.size()) continue;
      bool overlap = true;
      for (std::size_t k = 0; k < a.size() && overlap; ++k)
        overlap = a[k] == b[k] || is_param(a[k]) || is_param(b[k]);
      EXPECT_FALSE(overlap) << all[i].path << " and " << all[j].path;
    }
}

TEST(RouteTable, UnknownPathsAre404KnownPathsWithOtherMethods405) {
  auto m = match("GET", segments("/api/no-such-thing"));
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "");
  EXPECT_EQ(match("GET", {}).allow, "");
  EXPECT_EQ(match("GET", segments("/api/rooms/lobby/channels/x/y")).allow, "");

  m = match("PUT", segments("/api/rooms/lobby/messages"));
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(m.allow, "GET, POST");
  EXPECT_EQ(match("POST", segments("/api/rooms/lobby")).allow, "GET, PATCH");
  EXPECT_EQ(match("GET", segments("/api/rooms/lobby/messages/msg_1")).allow, "PATCH, DELETE");
  EXPECT_EQ(match("get", segments("/api/tokens")).allow, "GET, POST")
      << "methods are case-sensitive";
  EXPECT_EQ(match("OPTIONS", segments("/v1/halls/h_1/join")).allow, "POST");
  EXPECT_EQ(match("HEAD", segments("/api/me")).allow, "GET");
}

TEST(RouteTable, HeadIsAnsweredAsGetWhereDeclared) {
  for (auto path : {"/api/health", "/metrics"}) {
    auto m = match("HEAD", segments(path));
    ASSERT_NE(m.found, nullptr) << path;
    EXPECT_EQ(m.found->method, http_method::get);
    EXPECT_EQ(match("DELETE", segments(path)).allow, "GET, HEAD");
  }
}

TEST(RouteTable, MatchNamesTheSegments) {
  auto m = match("POST", segments("/api/rooms/core-team/access-requests/arq_1/approve"));
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->path, "/api/rooms/:slug/access-requests/:id/approve");
  EXPECT_EQ(m.found->who, route_access::room_owner);
  EXPECT_EQ(m.args["slug"], "core-team");
  EXPECT_EQ(m.args["id"], "arq_1");
  EXPECT_EQ(m.args["nope"], "");
  // Segments arrive percent-decoded and without empty ones (transport/http_session.cpp).
  m = match("GET", {"api", "rooms", "a b"});
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.args["slug"], "a b");
}

// -- the docs -------------------------------------------------------------------------

TEST(RouteDocs, ListExactlyTheRoutesOfTheTable) {
  auto docs = parse_docs();
  EXPECT_GE(docs.size(), routes().size());
  auto problems = check_docs(docs);
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(RouteDocs, ParseTablesAndCodeSpans) {
  auto rs = parse_doc("x.md",
                      "| GET | `/auth/github?next=/path` | what |\n"
                      "|---|---|---|\n"
                      "## SSE: `GET /api/rooms/:slug/stream`\n"
                      "* Apps: `GET /v1/ws/app` with `Authorization: Bearer x`, then `POST /a`.\n"
                      "| method | path |\n"
                      "`GET` and `/api/me` apart are not a route\n");
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].method + " " + rs[0].path, "GET /auth/github");
  EXPECT_EQ(rs[0].where, "x.md:1");
  EXPECT_EQ(rs[1].method + " " + rs[1].path, "GET /api/rooms/:slug/stream");
  EXPECT_EQ(rs[2].method + " " + rs[2].path, "GET /v1/ws/app");
  EXPECT_EQ(rs[3].method + " " + rs[3].path, "POST /a");
  EXPECT_EQ(rs[3].where, "x.md:4");
}

// The check fails on a planted mismatch, in each direction, and names it.
TEST(RouteDocs, CheckCatchesAPlantedMismatch) {
  auto api = read("docs/api.md");
  auto agents = read("docs/agents.md");

  // A documented route the server does not serve.
  auto planted = check_docs(
      parse_docs({{"docs/api.md", api + "| GET | `/api/rooms/:slug/pins` | pinned |\n"}}));
  ASSERT_EQ(planted.size(), 1u) << joined(planted);
  EXPECT_NE(planted[0].find("GET /api/rooms/:slug/pins is documented, not served"),
            std::string::npos)
      << planted[0];
  EXPECT_EQ(planted[0].rfind("docs/api.md:", 0), 0u) << planted[0];

  // A method the path does not have is not served either.
  planted = check_docs(parse_docs({{"docs/api.md", api + "`DELETE /api/me`\n"}}));
  ASSERT_EQ(planted.size(), 1u) << joined(planted);

  // A served route the docs leave out.
  auto row = std::string{"| POST | `/api/rooms/:slug/typing` |"};
  auto at = api.find(row);
  ASSERT_NE(at, std::string::npos);
  auto without = api.substr(0, at) + api.substr(api.find('\n', at) + 1);
  planted = check_docs(parse_docs({{"docs/api.md", without}}));
  ASSERT_EQ(planted.size(), 1u) << joined(planted);
  EXPECT_EQ(planted[0], "POST /api/rooms/:slug/typing is served, not documented");

  // A parameter under another name than the table's is not the table's route.
  auto renamed = agents;
  auto p = renamed.find("`/v1/apps/:id/allowlist`");
  ASSERT_NE(p, std::string::npos);
  renamed.replace(p, 24, "`/v1/apps/:app/allowlist`");
  planted = check_docs(parse_docs({{"docs/agents.md", renamed}}));
  ASSERT_EQ(planted.size(), 1u) << joined(planted);
  EXPECT_EQ(planted[0], "PUT /v1/apps/:id/allowlist is served, not documented");
}

}  // namespace
