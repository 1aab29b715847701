// The trust policy: who may sign which repository. Parsed once (config/ loads the file and
// the PEM keys) and shared read-only across verification threads.
//
// Thread-safety: immutable after construction; safe to share across threads.
#ifndef PROVBADGE_VERIFIER_POLICY_H_
#define PROVBADGE_VERIFIER_POLICY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/verifier/public_key.h"

namespace provbadge::verifier {

// A named signer. In this slice, only key identities exist.
struct Identity {
  std::string name;
  std::shared_ptr<const PublicKey> key;  // never null for a key identity
};

// Who may sign `model.sig` (publishers) for repositories matching `repos` (a glob where
// `*` matches any run of characters except '/', e.g. "org/*").
struct Rule {
  std::string repos;
  std::vector<std::string> publishers;
  std::vector<std::string> builders;
};

// When the digest engine re-reads a file whose sha256 the hub already knows (FileInfo.sha256):
// kNever takes every known sha256 without reading a byte; kSmall takes LFS-known ones
// (FileInfo.lfs) and reads the rest; kAlways reads everything and reports a known sha256 that
// differs from the bytes.
enum class RehashMode { kNever, kSmall, kAlways };
std::string_view RehashModeName(RehashMode mode);  // "never" | "small" | "always"
// false when `name` is none of the three.
bool ParseRehashMode(std::string_view name, RehashMode* mode);

struct TrustPolicy {
  std::vector<Identity> identities;
  std::vector<Rule> rules;
  int max_depth = 8;
  RehashMode rehash = RehashMode::kSmall;  // policy file key "rehash"
  std::string digest;                      // "sha256:<hex>" over the policy file bytes

  // Identities allowed to publish `repo` (union over matching rules), in policy order.
  std::vector<const Identity*> PublishersFor(std::string_view repo) const;
};

// Glob match used by rules: '*' matches [^/]*, every other character matches itself.
bool RepoGlobMatch(std::string_view glob, std::string_view repo);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_POLICY_H_
