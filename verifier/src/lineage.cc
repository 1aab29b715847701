// The lineage walk: VerifyLineage (lineage.h). Each revision is verified once per walk (memo),
// parents are taken from the LineageCache when it has them, and the report tree is built in
// depth-first order (a node's parents come after it).
#include "provbadge/verifier/lineage.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "lineage_fidelity.h"
#include "lineage_internal.h"

namespace provbadge::verifier {
namespace {

using internal::AddCheck;
using internal::CheckedRevision;
using internal::RevisionKey;
using internal::Worse;
using Checked = std::shared_ptr<const CheckedRevision>;

constexpr std::string_view kVersion = PROVBADGE_VERSION;

class Walker {
 public:
  Walker(const TrustPolicy& policy, const LineageOptions& options, Report* report)
      : policy_(policy), options_(options), report_(report) {}

  Status Walk(RevisionSource& source, std::string_view repo, std::string_view commit) {
    Result<Checked> root = CheckFresh(source, repo, commit, /*list_files=*/false);
    if (!root.ok()) return root.error();
    report_->claims_quantization = (*root)->claims_quantization;
    report_->claimed_base = (*root)->claimed_base;
    if (Status s = Expand(*root, -1, 0); !s.ok()) return s;
    return internal::CheckLineageFidelity(source, (*root)->steps, policy_, options_.resolver,
                                          report_);
  }

 private:
  bool CacheEnabled() const { return options_.cache != nullptr && !policy_.digest.empty(); }

  // Verifies one revision here (never from the cache) and remembers it (memo and cache).
  Result<Checked> CheckFresh(RevisionSource& source, std::string_view repo, std::string_view commit,
                             bool list_files) {
    auto checked = std::make_shared<CheckedRevision>();
    checked->data.verifier_version = std::string(kVersion);
    Result<NodeResult> result = VerifyNode(source, repo, commit, policy_);
    if (!result.ok()) {
      if (result.error().code() == ErrorCode::kUnavailable) return result.error();
      checked->data.node.status = Verdict::kFailed;
      checked->data.node.checks.push_back({"lineage.node_error", Severity::kError,
                                           "The revision could not be verified.", "",
                                           "a verifiable revision", result.error().message()});
    } else {
      checked->data.node = std::move(result->node);
      checked->data.parents = std::move(result->parents);
      checked->data.signed_files = std::move(result->signed_files);
      checked->claims_quantization = result->claims_quantization;
      checked->claimed_base = std::move(result->claimed_base);
      checked->steps = std::move(result->steps);
    }
    checked->data.node.repo = std::string(repo);
    checked->data.node.commit = std::string(commit);
    if (list_files) {
      Result<std::vector<FileInfo>> files = source.ListFiles();
      if (!files.ok() && files.error().code() == ErrorCode::kUnavailable) return files.error();
      if (files.ok()) {
        checked->files.emplace();
        for (FileInfo& f : *files) (*checked->files)[f.path] = std::move(f.sha256);
      }
    }
    if (result.ok() && CacheEnabled()) {
      // A cache fault only costs a later re-verification; the verdict stands.
      (void)options_.cache->Put(repo, commit, policy_.digest, checked->data);
    }
    memo_[RevisionKey(repo, commit)] = checked;
    return Checked(checked);
  }

  std::optional<Checked> FromCache(std::string_view repo, std::string_view commit) {
    if (!CacheEnabled()) return std::nullopt;
    Result<std::optional<CachedNode>> got = options_.cache->Get(repo, commit, policy_.digest);
    if (!got.ok() || !got->has_value()) return std::nullopt;  // a fault is a miss
    CachedNode& node = **got;
    if (node.verifier_version != kVersion || node.node.repo != repo || node.node.commit != commit) {
      return std::nullopt;
    }
    auto checked = std::make_shared<CheckedRevision>();
    checked->data = std::move(node);
    checked->from_cache = true;
    return Checked(checked);
  }

  // The parent's own verification: memo, cache, or the resolver. A Finding instead when it
  // cannot be had (not found: unverified; unreadable: failed).
  Result<std::variant<Checked, std::pair<Verdict, Finding>>> Resolve(const ParentLink& link) {
    using Out = std::variant<Checked, std::pair<Verdict, Finding>>;
    const std::string key = RevisionKey(link.repo, link.commit);
    if (auto it = memo_.find(key); it != memo_.end()) return Out(it->second);
    if (std::optional<Checked> cached = FromCache(link.repo, link.commit)) {
      memo_[key] = *cached;
      return Out(*cached);
    }
    if (options_.resolver == nullptr) {
      return Out(std::pair{Verdict::kUnverified,
                           Finding{"lineage.parent_not_checked", Severity::kError,
                                   "The parent was not checked: no hub to resolve it from.", "",
                                   "the parent revision", "no resolver"}});
    }
    Result<std::unique_ptr<RevisionSource>> source =
        options_.resolver->OpenRevision(link.repo, link.commit);
    if (!source.ok()) {
      if (source.error().code() == ErrorCode::kUnavailable) return source.error();
      const bool missing = source.error().code() == ErrorCode::kNotFound;
      return Out(
          std::pair{missing ? Verdict::kUnverified : Verdict::kFailed,
                    Finding{missing ? "lineage.parent_not_found" : "lineage.parent_unreadable",
                            Severity::kError,
                            missing ? "The parent revision does not exist on the hub."
                                    : "The parent revision could not be opened.",
                            "", "the revision " + key, source.error().message()}});
    }
    Result<Checked> fresh = CheckFresh(**source, link.repo, link.commit, /*list_files=*/true);
    if (!fresh.ok()) return fresh.error();
    return Out(*fresh);
  }

  // Adds one link's parent (and its ancestors) under nodes[child].
  Status FollowLink(int child, const ParentLink& link, int depth) {
    ReportNode* node = &report_->nodes[static_cast<size_t>(child)];
    const std::string key = RevisionKey(link.repo, link.commit);
    if (!internal::IsCommitHex(link.commit)) {
      for (const Finding& f : node->checks) {
        if (f.code == "provenance.parent_not_pinned") {
          node->status = Worse(node->status, Verdict::kFailed);
          return Status::Ok();
        }
      }
      AddCheck(node, Verdict::kFailed,
               {"provenance.parent_not_pinned", Severity::kError,
                "The parent model is not named by a 40-hex commit, so it can move under this "
                "revision.",
                "", "hf://" + link.repo + "@<40-hex commit>", key});
      return Status::Ok();
    }
    if (depth + 1 > policy_.max_depth) {
      AddCheck(node, Verdict::kFailed,
               {"lineage.too_deep", Severity::kError,
                "The lineage is deeper than the policy's maxDepth; the parent was not checked.", "",
                "at most " + std::to_string(policy_.max_depth) + " ancestor levels",
                key + " at level " + std::to_string(depth + 1)});
      return Status::Ok();
    }
    if (on_path_.count(key)) {
      AddCheck(node, Verdict::kFailed,
               {"lineage.cycle", Severity::kError,
                "The provenance names a parent that is also its descendant (a cycle).", "",
                "an ancestor not already in this lineage", key});
      return Status::Ok();
    }
    if (report_->nodes.size() >= kMaxLineageNodes) {
      AddCheck(node, Verdict::kFailed,
               {"lineage.too_many_nodes", Severity::kError,
                "The lineage has more revisions than the verifier checks; the parent was not "
                "checked.",
                "", "at most " + std::to_string(kMaxLineageNodes) + " revisions", key});
      return Status::Ok();
    }
    auto resolved = Resolve(link);
    if (!resolved.ok()) return resolved.error();
    if (auto* problem = std::get_if<std::pair<Verdict, Finding>>(&*resolved)) {
      ReportNode missing;
      missing.repo = link.repo;
      missing.commit = link.commit;
      missing.parent = child;
      AddCheck(&missing, problem->first, problem->second);
      missing.status = problem->first;
      report_->nodes.push_back(std::move(missing));
      return Status::Ok();
    }
    const Checked& parent = std::get<Checked>(*resolved);
    internal::CheckConsumedFiles(link, *parent, node);
    return Expand(parent, child, depth + 1);
  }

  // Adds the node for `checked` under nodes[child] (-1: the root), then its parents.
  Status Expand(const Checked& checked, int child, int depth) {
    const int index = static_cast<int>(report_->nodes.size());
    ReportNode node = checked->data.node;
    node.parent = child;
    node.from_cache = checked->from_cache;
    internal::CheckRevoked(options_.revocations, &node);
    const std::string key = RevisionKey(node.repo, node.commit);
    auto seen = expanded_depth_.find(key);
    if (seen != expanded_depth_.end() && seen->second <= depth) {
      node.checks.push_back({"lineage.shown_above", Severity::kInfo,
                             "This revision's ancestors are shown where it first appears.", "", "",
                             ""});
      report_->nodes.push_back(std::move(node));
      return Status::Ok();
    }
    expanded_depth_[key] = depth;
    internal::CheckRootRelation(checked->data, &node);
    report_->nodes.push_back(std::move(node));
    on_path_.insert(key);
    for (const ParentLink& link : checked->data.parents) {
      if (Status s = FollowLink(index, link, depth); !s.ok()) return s;
    }
    on_path_.erase(key);
    return Status::Ok();
  }

  const TrustPolicy& policy_;
  const LineageOptions& options_;
  Report* report_;
  std::map<std::string, Checked> memo_;        // every revision verified or read this walk
  std::map<std::string, int> expanded_depth_;  // revision -> depth its parents were added at
  std::set<std::string> on_path_;              // revisions from the root to the current node
};

// verdict, chain (main line: each node's first parent) and flat findings from the tree.
void Summarize(Report* report) {
  Verdict verdict = report->nodes.empty() ? Verdict::kFailed : Verdict::kVerified;
  for (size_t i = 0; i < report->nodes.size(); ++i) {
    const ReportNode& n = report->nodes[i];
    verdict = Worse(verdict, n.status);
    const std::string prefix = i == 0 ? "" : RevisionKey(n.repo, n.commit);
    for (const Finding& f : n.checks) {
      if (f.severity == Severity::kInfo) continue;
      Finding flat = f;
      if (i != 0) {
        flat.message = n.repo + "@" + n.commit.substr(0, 7) + ": " + f.message;
        if (f.path.rfind("hf://", 0) != 0)
          flat.path = f.path.empty() ? prefix : prefix + "/" + f.path;
      }
      report->findings.push_back(std::move(flat));
    }
  }
  // Fail closed: an error anywhere never leaves a verified verdict.
  if (verdict == Verdict::kVerified && report->HasErrors()) verdict = Verdict::kFailed;
  report->verdict = verdict;
  for (size_t i = 0; i < report->nodes.size();) {
    const ReportNode& n = report->nodes[i];
    report->chain.push_back({n.repo, n.commit, n.relation, n.signer, n.status});
    size_t next = i + 1;
    while (next < report->nodes.size() && report->nodes[next].parent != static_cast<int>(i)) {
      ++next;
    }
    i = next;
  }
}

}  // namespace

Result<Report> VerifyLineage(RevisionSource& source, std::string_view repo, std::string_view commit,
                             const TrustPolicy& policy, const LineageOptions& options) {
  Report report;
  report.subject = commit.empty() ? std::string(repo) : RevisionKey(repo, commit);
  report.policy_digest = policy.digest;
  report.verifier_version = std::string(kVersion);
  Walker walker(policy, options, &report);
  if (Status s = walker.Walk(source, repo, commit); !s.ok()) return s.error();
  Summarize(&report);
  return report;
}

}  // namespace provbadge::verifier
