// Helpers shared by the BadgeStore implementations.
#include "provbadge/badges/badge_store.h"

namespace provbadge::badges {

BadgeRecord RenamedRecord(const BadgeRecord& record, std::string_view from, std::string_view to) {
  BadgeRecord out = record;
  if (out.badge.repo == from) out.badge.repo = std::string(to);
  for (verifier::ChainLink& link : out.badge.chain) {
    if (link.repo == from) link.repo = std::string(to);
  }
  return out;
}

Status ValidateRevisionKey(const RevisionKey& key, std::string_view what) {
  if (key.repo.empty() || key.commit.empty()) {
    return InvalidInput("badge store: " + std::string(what) + ": repo and commit are required");
  }
  return Status::Ok();
}

Status ValidateRevocation(const Revocation& revocation) {
  if (revocation.kind == "revision") {
    if (revocation.repo.empty() || revocation.commit.empty() || !revocation.signer.empty()) {
      return InvalidInput(
          "badge store: revocation of kind \"revision\" needs repo and commit and no signer");
    }
    return Status::Ok();
  }
  if (revocation.kind == "signer") {
    if (revocation.signer.empty() || !revocation.repo.empty() || !revocation.commit.empty()) {
      return InvalidInput(
          "badge store: revocation of kind \"signer\" needs a signer and no repo or commit");
    }
    return Status::Ok();
  }
  return InvalidInput("badge store: revocation kind must be \"revision\" or \"signer\"");
}

}  // namespace provbadge::badges
