#pragma once

// A throwaway data directory per test: created fresh under /tmp, removed with everything
// in it afterwards. Shared by every suite that needs a real database file.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace relay::test_support {

struct temp_dir {
  temp_dir() {
    char tmpl[] = "/tmp/relay-test-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// `<dir>/<name>`.
  std::string file(const std::string& name) const {
    return (std::filesystem::path{path} / name).string();
  }

  std::string path;  // empty when it could not be created
};

/// A GoogleTest fixture with a fresh directory for each test.
class temp_dir_test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path.empty()) << "cannot create a temp dir"; }

  temp_dir dir_;
};

}  // namespace relay::test_support
