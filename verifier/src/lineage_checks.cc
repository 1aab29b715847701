// The checks the lineage walk adds on top of each revision's own verification.
#include <algorithm>
#include <map>
#include <utility>

#include "lineage_internal.h"

namespace provbadge::verifier::internal {

bool IsCommitHex(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string RevisionKey(std::string_view repo, std::string_view commit) {
  return std::string(repo) + "@" + std::string(commit);
}

Verdict Worse(Verdict a, Verdict b) {
  auto rank = [](Verdict v) {
    switch (v) {
      case Verdict::kVerified:
        return 0;
      case Verdict::kUnverified:
        return 1;
      case Verdict::kFailed:
        break;
    }
    return 2;  // kFailed, or anything out of range: fail closed
  };
  return rank(a) >= rank(b) ? a : b;
}

void AddCheck(ReportNode* node, Verdict status, Finding f) {
  node->checks.push_back(std::move(f));
  node->status = Worse(node->status, status);
}

namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void CheckOneConsumed(const std::string& uri, const std::string& path, const std::string& want,
                      const std::map<std::string, std::string>& signed_files,
                      const CheckedRevision& parent, ReportNode* child) {
  std::optional<std::string> known;  // the digest the parent's source knows, if any
  if (parent.files) {
    auto file = parent.files->find(path);
    if (file == parent.files->end()) {
      AddCheck(child, Verdict::kFailed,
               {"lineage.consumed_file_missing", Severity::kError,
                "A parent file this revision's provenance says it consumed is not in the parent "
                "revision.",
                uri, want, "absent"});
      return;
    }
    if (file->second) known = Lower(*file->second);
  }
  auto signed_file = signed_files.find(path);
  const std::string actual = signed_file != signed_files.end() ? signed_file->second
                             : known                           ? *known
                                                               : "";
  if (!actual.empty() && actual != want) {
    AddCheck(child, Verdict::kFailed,
             {"lineage.consumed_digest_mismatch", Severity::kError,
              "A consumed parent file's sha256 differs from the digest this revision's "
              "provenance attests.",
              uri, want, actual});
    return;
  }
  if (signed_file == signed_files.end()) {
    AddCheck(child, Verdict::kFailed,
             {"lineage.consumed_file_unsigned", Severity::kError,
              "A consumed parent file is not covered by the parent's verified model.sig.", uri,
              "signed by the parent's model.sig",
              parent.data.signed_files.empty() ? "the parent's model.sig did not verify"
                                               : "not among the parent's signed files"});
    return;
  }
  child->checks.push_back({"lineage.consumed_file_verified", Severity::kInfo,
                           "The consumed parent file is signed by the parent with the attested "
                           "sha256.",
                           uri, want, actual});
}

}  // namespace

void CheckConsumedFiles(const ParentLink& link, const CheckedRevision& parent, ReportNode* child) {
  const std::string base = "hf://" + RevisionKey(link.repo, link.commit);
  if (link.consumed.empty()) {
    child->checks.push_back({"lineage.consumed_none", Severity::kWarning,
                             "The provenance names this parent but no parent file it consumed; "
                             "the parent is bound by its commit only.",
                             base, "consumed parent files with sha256", "none"});
    return;
  }
  std::map<std::string, std::string> signed_files;
  for (const auto& [path, sha] : parent.data.signed_files) signed_files[path] = Lower(sha);
  for (const auto& [path, sha] : link.consumed) {
    CheckOneConsumed(base + "/" + path, path, Lower(sha), signed_files, parent, child);
  }
}

void CheckRevoked(const Revocations* revocations, ReportNode* node) {
  if (revocations == nullptr) return;
  const std::string key = RevisionKey(node->repo, node->commit);
  if (revocations->revisions.count(key)) {
    AddCheck(node, Verdict::kFailed,
             {"lineage.revoked", Severity::kError, "This revision has been revoked.", "",
              "not revoked", "revision revoked"});
  }
  std::vector<std::string> signers = node->builders;
  if (!node->signer.empty()) signers.insert(signers.begin(), node->signer);
  std::sort(signers.begin(), signers.end());
  signers.erase(std::unique(signers.begin(), signers.end()), signers.end());
  for (const std::string& name : signers) {
    if (!revocations->signers.count(name)) continue;
    AddCheck(node, Verdict::kFailed,
             {"lineage.revoked", Severity::kError,
              "The identity " + name + " that signed this revision has been revoked.", "",
              "not revoked", "signer " + name + " revoked"});
  }
}

void CheckRootRelation(const CachedNode& checked, ReportNode* node) {
  if (!checked.parents.empty() || checked.node.status != Verdict::kVerified) return;
  if (node->relation == "train" || node->relation == "signed") return;
  AddCheck(node, Verdict::kUnverified,
           {"lineage.no_parent", Severity::kError,
            "The revision's verified steps name no parent model, so its chain stops here.", "",
            "a parent model, or a training step / signed-only root",
            node->relation.empty() ? "relation unknown" : "relation " + node->relation});
}

}  // namespace provbadge::verifier::internal
