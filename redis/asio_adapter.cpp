#include "redis/asio_adapter.hpp"

#include <hiredis/async.h>

namespace relay::redis {

namespace {

asio_adapter& of(void* p) {
  return *static_cast<asio_adapter*>(p);
}

}  // namespace

asio_adapter::asio_adapter(const boost::asio::any_io_executor& ex, redisAsyncContext* ac)
    : ac_(ac), socket_(ex, ac->c.fd) {}

bool asio_adapter::attach(const boost::asio::any_io_executor& ex, redisAsyncContext* ac) {
  std::shared_ptr<asio_adapter> a;
  try {
    a = std::make_shared<asio_adapter>(ex, ac);
  } catch (const std::exception&) {
    return false;  // the reactor refused the descriptor
  }
  a->self_ = a;
  ac->ev.data = a.get();
  ac->ev.addRead = &add_read;
  ac->ev.delRead = &del_read;
  ac->ev.addWrite = &add_write;
  ac->ev.delWrite = &del_write;
  ac->ev.cleanup = &cleanup;
  return true;
}

// hiredis asks for reads for as long as the connection lives and for writes while its
// output buffer holds bytes; an async_wait is one-shot, so a completed wait is re-armed
// while the wish stands.
void asio_adapter::add_read(void* p) {
  of(p).want_read_ = true;
  of(p).arm_read();
}

void asio_adapter::del_read(void* p) {
  of(p).want_read_ = false;
}

void asio_adapter::add_write(void* p) {
  of(p).want_write_ = true;
  of(p).arm_write();
}

// A pending write wait cannot be cancelled alone (cancel() ends the read wait too); it
// completes soon on a connected socket and then sees that nobody wants it.
void asio_adapter::del_write(void* p) {
  of(p).want_write_ = false;
}

void asio_adapter::cleanup(void* p) {
  auto& a = of(p);
  auto keep = std::move(a.self_);  // pending waits may still hold it; else it ends here
  a.ac_ = nullptr;
  a.want_read_ = a.want_write_ = false;
  // hiredis closes the socket itself; release() cancels the pending waits without closing.
  a.socket_.release();
}

void asio_adapter::arm_read() {
  if (reading_ || !ac_) return;
  reading_ = true;
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->reading_ = false;
                       if (ec || !self->ac_ || !self->want_read_) return;
                       redisAsyncHandleRead(self->ac_);  // may free the context
                       if (self->ac_ && self->want_read_) self->arm_read();
                     });
}

void asio_adapter::arm_write() {
  if (writing_ || !ac_) return;
  writing_ = true;
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->writing_ = false;
                       if (ec || !self->ac_ || !self->want_write_) return;
                       redisAsyncHandleWrite(self->ac_);  // may free the context
                       if (self->ac_ && self->want_write_) self->arm_write();
                     });
}

}  // namespace relay::redis
