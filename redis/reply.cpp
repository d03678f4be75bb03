#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

namespace relay::redis {

reply reply::from(const redisReply& r) {
  reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = kind::string;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = kind::array;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = kind::integer;
      break;
    case REDIS_REPLY_STATUS:
      out.type = kind::status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = kind::error;
      break;
    default:
      out.type = kind::nil;
      break;
  }
  if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR)
    out.str.assign(r.str, r.len);
  out.integer = r.integer;
  if (r.type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(from(*r.element[i]));
  }
  return out;
}

}  // namespace relay::redis
