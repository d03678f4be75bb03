// config/options: the TOML configuration file (`--config FILE` / RELAY_CONFIG), read
// with toml++ and checked against the option table. The input is the file's contents,
// loaded through load_config exactly as `relay --config FILE` does. The file lives in a
// memfd (no disk writes at a million runs a minute); RELAY_* variables are cleared first
// so only the file decides.
// Checked: every input either loads or names why not, never both, never an exception
// or a crash; a file that loads gives the same config when loaded again.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "config/options.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern char** environ;

namespace {

int file_fd = -1;
std::string file_path;

relay::load_result load() {
  std::string prog = "relay", flag = "--config";
  char* argv[] = {prog.data(), flag.data(), file_path.data(), nullptr};
  return relay::load_config(3, argv);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (bool again = true; again;) {
    again = false;
    for (char** e = environ; *e; ++e)
      if (std::strncmp(*e, "RELAY_", 6) == 0) {
        std::string name(*e, std::strcspn(*e, "="));
        unsetenv(name.c_str());
        again = true;
        break;
      }
  }
  file_fd = memfd_create("relay-fuzz.toml", 0);
  FUZZ_CHECK(file_fd >= 0);
  file_path = "/proc/self/fd/" + std::to_string(file_fd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FUZZ_CHECK(ftruncate(file_fd, 0) == 0);
  FUZZ_CHECK(pwrite(file_fd, data, size, 0) == static_cast<ssize_t>(size));

  auto r = load();
  FUZZ_CHECK(r.cfg.has_value() != !r.error.empty());
  if (!r.cfg) return 0;
  auto again = load();
  FUZZ_CHECK(again.cfg && again.cfg->listen_port == r.cfg->listen_port &&
             again.cfg->data_dir == r.cfg->data_dir && again.cfg->secret == r.cfg->secret &&
             again.cfg->max_body_bytes == r.cfg->max_body_bytes);
  return 0;
}
