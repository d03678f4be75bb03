// config/options: the TOML configuration file (`--config FILE` / RELAY_CONFIG), read
// with toml++ and checked against the option table. The input is the file's contents,
// read by load_config_file, the function `relay --config FILE` hands the file to; the
// command line around it (CLI11, built anew per call) is not input and would cost most
// of each run. The file lives in a memfd (no disk writes at a million runs a minute).
// Checked: every input either loads or names why not, never an exception or a crash; a
// file that loads gives the same config when loaded again.

#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "config/options.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

int file_fd = -1;
std::string file_path;

struct loaded {
  relay::config cfg;
  std::string error;
};

loaded load() {
  loaded l;
  l.error = relay::load_config_file(l.cfg, file_path);
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  file_fd = memfd_create("relay-fuzz.toml", 0);
  FUZZ_CHECK(file_fd >= 0);
  file_path = "/proc/self/fd/" + std::to_string(file_fd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FUZZ_CHECK(ftruncate(file_fd, 0) == 0);
  FUZZ_CHECK(pwrite(file_fd, data, size, 0) == static_cast<ssize_t>(size));

  auto r = load();
  if (!r.error.empty()) return 0;
  auto again = load();
  FUZZ_CHECK(again.error.empty());
  FUZZ_CHECK(again.cfg.listen_port == r.cfg.listen_port && again.cfg.data_dir == r.cfg.data_dir &&
             again.cfg.secret == r.cfg.secret && again.cfg.max_body_bytes == r.cfg.max_body_bytes);
  return 0;
}
