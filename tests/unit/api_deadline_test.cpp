// A REST request whose target actor never answers gets 503 at the request deadline
// instead of hanging (api/common.hpp `in_time`). Deterministic: CAF's test coordinator
// moves its clock only when the test says so.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actor_testing.hpp"

#include <gtest/gtest.h>
#include <caf/all.hpp>

#include "actors/chat/fwd.hpp"
#include "actors/messages.hpp"
#include "api/request.hpp"

using namespace relay;

namespace {

using test_support::testing_config;

/// What the HTTP session would have written.
struct recorded : http_responder {
  std::vector<int> statuses;
  std::vector<std::string> bodies;
  header_list headers;

  void respond(int status, std::string body, header_list h) override {
    statuses.push_back(status);
    bodies.push_back(std::move(body));
    headers = std::move(h);
  }
  void stream(room_actor, principal, std::map<std::string, std::int64_t>, std::string) override {
    statuses.push_back(-1);
  }
  void upgrade(relay_socket, std::function<caf::actor(sink_ptr)>) override {
    statuses.push_back(-2);
  }
};

/// Actors that take a request and never answer it: the promise is kept, so CAF does not
/// answer for them (a dropped promise or an unmatched message would).
struct silent_state {
  std::vector<caf::response_promise> held;
};

// Each actor takes an argument: CAF 0.17 binds a null reference for argument-less spawns.

caf::behavior silent_reader(caf::stateful_actor<silent_state>* self, std::string /*name*/) {
  return {[=](auth_atom, const std::string&) -> caf::result<std::optional<storage::credential>> {
    self->state.held.push_back(self->make_response_promise());
    return caf::delegated<std::optional<storage::credential>>{};
  }};
}

room_directory_actor::behavior_type silent_directory(
    room_directory_actor::stateful_pointer<silent_state> self, std::string /*name*/) {
  using renamed = storage::expected<storage::room_row>;
  return {
      [=](room_atom, const std::string&) -> caf::result<room_actor> {
        self->state.held.push_back(self->make_response_promise());
        return caf::delegated<room_actor>{};
      },
      [=](update_atom, const std::string&, const principal&,
          const storage::room_patch&) -> caf::result<renamed> {
        self->state.held.push_back(self->make_response_promise());
        return caf::delegated<renamed>{};
      },
      [=](update_atom, const std::string&, const std::string&, const room_actor&) {},
  };
}

/// A reader that knows one token: every `auth` is alice's.
caf::behavior reader_of_alice(caf::event_based_actor*, std::string login) {
  return {[login](auth_atom, const std::string&) {
    storage::credential c;
    c.user.id = "u_" + login;
    c.user.login = login;
    c.token_id = "tok_1";
    return std::optional<storage::credential>{c};
  }};
}

class api_deadline : public ::testing::Test {
 protected:
  api_deadline()
      : sys(testing_config()),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  ~api_deadline() override {
    for (auto& a : spawned) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  caf::actor keep(caf::actor a) {
    spawned.push_back(a);
    return a;
  }

  void get(api_context ctx, std::string path_tail) {
    http_request req;
    req.method = "GET";
    req.path = {"api", "rooms", std::move(path_tail)};
    req.bearer = "relay_test_token";
    spawn_api_request(sys, ctx, std::move(req), out);
    sched.run();
  }

  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::vector<caf::actor> spawned;
  std::shared_ptr<recorded> out = std::make_shared<recorded>();
};

// The reader never answers the token lookup: nothing is answered before the deadline,
// and 503 with the error body and Retry-After right after it.
TEST_F(api_deadline, store_that_never_answers_gets_503) {
  api_context ctx;
  ctx.request_timeout = std::chrono::seconds(10);
  ctx.readers = keep(sys.spawn(silent_reader, std::string{"readers"}));
  get(ctx, "lobby");
  sched.advance_time(std::chrono::seconds(9));
  sched.run();
  EXPECT_TRUE(out->statuses.empty()) << "answered before the deadline";
  ASSERT_GT(sched.advance_time(std::chrono::seconds(2)), 0u)
      << "the request has no timeout: it would hang";
  sched.run();
  ASSERT_EQ(out->statuses, std::vector<int>{503});
  EXPECT_NE(out->bodies[0].find("\"code\":\"UNAVAILABLE\""), std::string::npos) << out->bodies[0];
  EXPECT_EQ(out->headers, (header_list{{"Retry-After", "1"}}));
}

// Authenticated, but the room directory never answers the lookup: the second request
// of the exchange is bounded by what is left of the same deadline.
TEST_F(api_deadline, directory_that_never_answers_gets_503) {
  api_context ctx;
  ctx.request_timeout = std::chrono::seconds(10);
  ctx.readers = keep(sys.spawn(reader_of_alice, std::string{"alice"}));
  ctx.directory = sys.spawn(silent_directory, std::string{"directory"});
  keep(caf::actor_cast<caf::actor>(ctx.directory));
  get(ctx, "lobby");
  sched.advance_time(std::chrono::seconds(9));
  sched.run();
  EXPECT_TRUE(out->statuses.empty()) << "answered before the deadline";
  ASSERT_GT(sched.advance_time(std::chrono::seconds(2)), 0u)
      << "the room lookup has no timeout: it would hang";
  sched.run();
  ASSERT_EQ(out->statuses, std::vector<int>{503});
  EXPECT_NE(out->bodies[0].find("\"code\":\"UNAVAILABLE\""), std::string::npos) << out->bodies[0];
}

}  // namespace
