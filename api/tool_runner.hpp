#pragma once

// Running a tool call (protocol/tool_table.hpp) as the caller: the call becomes the REST
// request it maps to, with the caller's own credentials, and goes through the same
// dispatcher (api/request.cpp) as a request from the network. Authentication, the route's
// access kind and the room actor's rules therefore apply exactly as they do to REST;
// nothing here decides who may do what.

#include <functional>
#include <string>

#include <boost/json.hpp>

#include "api/common.hpp"
#include "protocol/tool_table.hpp"

namespace relay::api {

/// What the REST route answered.
struct rest_answer {
  int status = 0;
  std::string body;  ///< its JSON body ("" for none)

  bool ok() const { return status >= 200 && status < 300; }
};

/// Runs `t` with `arguments` (already validated) on behalf of the caller of `x`, then
/// calls `done` on `self`. Meanwhile `self` waits for nothing else; past the exchange's
/// deadline `done` gets 503.
void run_tool(self_ptr self, const exchange_ptr& x, const tools::tool_def& t,
              boost::json::object arguments, std::function<void(rest_answer)> done);

}  // namespace relay::api
