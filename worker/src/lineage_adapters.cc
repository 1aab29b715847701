#include "provbadge/worker/lineage_adapters.h"

#include <string>
#include <utility>

namespace provbadge::worker {

Result<std::unique_ptr<verifier::RevisionSource>> HubParentResolver::OpenRevision(
    std::string_view repo, std::string_view commit) {
  ++opened_;
  auto source = hub_.OpenRevision(repo, commit);
  if (!source.ok() || !wrap_) return source;
  return wrap_(std::move(source).value());
}

Result<std::optional<verifier::CachedNode>> StoreLineageCache::Get(std::string_view repo,
                                                                   std::string_view commit,
                                                                   std::string_view policy_digest) {
  auto bytes = store_.GetCachedNode(repo, commit, policy_digest);
  if (!bytes.ok() || !bytes->has_value()) return std::optional<verifier::CachedNode>();
  auto node = verifier::CachedNodeFromJson(**bytes);
  if (!node.ok()) return std::optional<verifier::CachedNode>();
  return std::optional<verifier::CachedNode>(std::move(node).value());
}

Status StoreLineageCache::Put(std::string_view repo, std::string_view commit,
                              std::string_view policy_digest, const verifier::CachedNode& node) {
  return store_.PutCachedNode(repo, commit, policy_digest, verifier::CachedNodeToJson(node));
}

Result<verifier::Revocations> LoadRevocations(badges::BadgeStore& store) {
  auto list = store.ListRevocations();
  if (!list.ok()) return list.error();
  verifier::Revocations revocations;
  for (const badges::Revocation& r : *list) {
    if (r.kind == "revision") {
      revocations.revisions.insert(r.repo + "@" + r.commit);
    } else {
      revocations.signers.insert(r.signer);
    }
  }
  return revocations;
}

Status RecordReportLineage(badges::BadgeStore& store, const verifier::Report& report) {
  const auto& nodes = report.nodes;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const verifier::ReportNode& node = nodes[i];
    if (node.repo.empty() || node.commit.empty()) continue;
    std::vector<badges::RevisionKey> parents;
    for (const verifier::ReportNode& other : nodes) {
      if (other.parent == static_cast<int>(i) && !other.commit.empty()) {
        parents.push_back({other.repo, other.commit});
      }
    }
    std::vector<std::string> signers = node.builders;
    if (!node.signer.empty()) signers.push_back(node.signer);
    if (parents.empty() && signers.empty()) continue;
    Status status = store.RecordLineage({node.repo, node.commit}, parents, signers);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace provbadge::worker
