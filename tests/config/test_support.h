// Helpers for the config tests: a scratch directory and freshly generated EC public keys.
//
// Ownership: TempDir owns its directory and removes it (recursively) when destroyed.
// Thread-safety: not thread-safe; each test makes its own.
#ifndef PROVBADGE_TESTS_CONFIG_TEST_SUPPORT_H_
#define PROVBADGE_TESTS_CONFIG_TEST_SUPPORT_H_

#include <string>

namespace provbadge::config::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `contents` to path()/`relative` (creating folders); returns the full path.
  std::string Write(const std::string& relative, const std::string& contents) const;

 private:
  std::string path_;
};

// A new EC key on `curve` ("P-256", "P-384"), as PEM "PUBLIC KEY" (SubjectPublicKeyInfo).
std::string GenerateEcPublicKeyPem(const std::string& curve = "P-256");

// The whole file; throws std::runtime_error when it cannot be read (tests only).
std::string ReadFileOrThrow(const std::string& path);

}  // namespace provbadge::config::testing

#endif  // PROVBADGE_TESTS_CONFIG_TEST_SUPPORT_H_
