#include "app/data_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace relay {

data_dir_lock::data_dir_lock(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);  // a first start creates it
  auto path = (std::filesystem::path(data_dir) / "relay.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error_ = "cannot open " + path + ": " + std::strerror(errno);
    return;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    error_ = err == EWOULDBLOCK ? "another relay server is running on " + data_dir + " (it holds " +
                                      path + "); stop it first or choose another --data-dir"
                                : "cannot lock " + path + ": " + std::strerror(err);
    return;
  }
  fd_ = fd;
}

data_dir_lock::~data_dir_lock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::unique_ptr<data_dir_lock> lock_stopped_store(const std::string& data_dir,
                                                  const std::string& db_path) {
  if (!std::filesystem::exists(db_path)) {
    std::cerr << "relay: no SQLite store at " << db_path << " (is --data-dir right?)\n";
    return nullptr;
  }
  auto lock = std::make_unique<data_dir_lock>(data_dir);
  if (!lock->ok()) {
    std::cerr << "relay: " << lock->error() << "\n";
    return nullptr;
  }
  return lock;
}

}  // namespace relay
