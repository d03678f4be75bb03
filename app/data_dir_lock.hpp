#pragma once

#include <memory>
#include <string>

namespace relay {

/// Keeps a second server off a data directory this one serves. Two servers on one
/// SQLite store would each count sequence numbers from their own memory and hand out
/// the same seq twice, so the second one must not start. The lock is an flock(2) on
/// `<data_dir>/relay.lock`: the kernel drops it when the process ends, however it ends,
/// so a crash never leaves a stale lock. Operator commands (`user add` …) do not take
/// it; they only touch rows the server re-reads.
class data_dir_lock {
 public:
  /// Takes the lock; on failure `ok()` is false and `error()` says why.
  explicit data_dir_lock(const std::string& data_dir);
  ~data_dir_lock();
  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;

  bool ok() const noexcept { return fd_ >= 0; }
  const std::string& error() const noexcept { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

/// For an operator command that needs the store to itself: the lock on `data_dir`, or
/// null after printing why not (no store at `db_path` — checked before the lock, which
/// would create the directory of a mistyped --data-dir — or a server holds it).
std::unique_ptr<data_dir_lock> lock_stopped_store(const std::string& data_dir,
                                                  const std::string& db_path);

}  // namespace relay
