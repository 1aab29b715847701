// Streaming digests: SHA-256, and BLAKE2b-512 for OMS `hash_type: blake2b` (both OpenSSL).
//
// Thread-safety: a Sha256 or Hasher object is used by one thread; the free functions are
// reentrant.
#ifndef PROVBADGE_VERIFIER_DIGEST_H_
#define PROVBADGE_VERIFIER_DIGEST_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  std::string FinalRaw();  // 32 raw bytes; the object must not be used afterwards
  std::string FinalHex();  // 64 lowercase hex characters

 private:
  void* ctx_;
};

std::string Sha256Hex(std::string_view data);
std::string Sha256Raw(std::string_view data);
// Streams the whole reader through SHA-256 with a bounded buffer (memory flat in file size).
Result<std::string> Sha256HexOfReader(FileReader& reader);

// The content hashes OMS manifests use. BLAKE3 is deliberately absent (unsupported).
enum class HashAlgorithm { kSha256, kBlake2b };
std::string_view HashAlgorithmName(HashAlgorithm algorithm);  // "sha256" | "blake2b"
size_t DigestBytes(HashAlgorithm algorithm);                  // 32 | 64

// A streaming hash of either algorithm (BLAKE2b with a 64-byte digest, like hashlib).
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  std::string FinalRaw();  // the object must not be used afterwards
  std::string FinalHex();

 private:
  void* ctx_;
};

std::string DigestHex(HashAlgorithm algorithm, std::string_view data);

std::string HexEncode(std::string_view raw);
// kInvalidInput unless `hex` is an even-length run of [0-9a-fA-F].
Result<std::string> HexDecode(std::string_view hex);
// Standard or URL-safe alphabet, padding optional; kInvalidInput on anything else.
Result<std::string> Base64Decode(std::string_view b64);
std::string Base64Encode(std::string_view raw);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_DIGEST_H_
