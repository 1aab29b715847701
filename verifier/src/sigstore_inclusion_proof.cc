// Step 3a: RFC 6962 / RFC 9162 §2.1.3.2 inclusion proof of the entry's leaf
// (SHA-256(0x00 || canonicalizedBody)) against the proof's own root hash.
#include <openssl/sha.h>

#include <algorithm>

#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

std::string NodeHash(std::string_view left, std::string_view right) {
  unsigned char buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  std::string out(32, '\0');
  SHA256(buf, sizeof(buf), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

bool VerifyInclusionProof(const TlogEntry& e, Finding* fail) {
  const InclusionProof& p = *e.proof;
  auto bad = [&](std::string why) {
    Fail(fail, "sigstore.tlog.inclusion_proof", "the inclusion proof does not verify: " + why);
    return false;
  };
  if (p.root_hash.size() != 32) return bad("rootHash is not 32 bytes");
  if (p.log_index >= p.tree_size) return bad("logIndex is not below treeSize");
  std::string leaf;
  leaf.reserve(e.body.size() + 1);
  leaf += '\0';
  leaf += e.body;
  std::string r = Sha256(leaf);
  uint64_t fn = static_cast<uint64_t>(p.log_index);
  uint64_t sn = static_cast<uint64_t>(p.tree_size) - 1;
  for (const std::string& h : p.hashes) {
    if (h.size() != 32) return bad("an audit-path hash is not 32 bytes");
    if (sn == 0) return bad("the audit path is longer than the tree needs");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(h, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, h);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return bad("the audit path is shorter than the tree needs");
  if (r != p.root_hash) return bad("the recomputed root differs from rootHash");
  return true;
}

}  // namespace provbadge::verifier::sigstore
