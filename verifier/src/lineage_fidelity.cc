// CheckLineageFidelity (lineage_fidelity.h): which GGUFs to check, the parent to check them
// against, and how each FidelityReport becomes checks on the revision's node.
#include "lineage_fidelity.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "lineage_internal.h"
#include "provbadge/verifier/fidelity.h"

namespace provbadge::verifier::internal {
namespace {

// Detail findings copied from one FidelityReport at most (a hostile GGUF may have thousands).
constexpr size_t kMaxDetailFindings = 16;

// Ordered from best to worst: the file-wide outcome is the worst of all GGUFs checked.
enum class Outcome { kExact, kGridConsistent, kUnverifiable, kMismatch };

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kExact:
      return "exact";
    case Outcome::kGridConsistent:
      return "grid-consistent";
    case Outcome::kUnverifiable:
      return "unverifiable";
    case Outcome::kMismatch:
      break;
  }
  return "mismatch";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsGgufStep(const ProvenanceStep& step) {
  if (step.build_type != BuildType::kQuantize) return false;
  auto it = step.parameters.find("format");
  return it != step.parameters.end() && Lower(it->second) == "gguf";
}

bool IsGgufPath(std::string_view path) { return Lower(path).ends_with(".gguf"); }

// "name-00001-of-00003.gguf": one shard of a split GGUF, which CheckFidelity cannot take alone.
bool IsSplitGguf(std::string_view path) {
  constexpr std::string_view kShape = "-#####-of-#####.gguf";
  if (path.size() < kShape.size()) return false;
  std::string_view tail = path.substr(path.size() - kShape.size());
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(tail[i])) != 0;
    if (kShape[i] == '#' ? !digit : std::tolower(static_cast<unsigned char>(tail[i])) != kShape[i])
      return false;
  }
  return true;
}

std::string Short(std::string_view repo, std::string_view commit) {
  return std::string(repo) + "@" + std::string(commit.substr(0, 7));
}

// One GGUF subject to check and the parent model its step names.
struct Target {
  std::string gguf;
  std::vector<const ProvenanceDependency*> parents;
};

class FidelityLink {
 public:
  FidelityLink(RevisionSource& child, ParentResolver* resolver, ReportNode* node)
      : child_(child), resolver_(resolver), node_(node) {}

  // Checks one target; the Status carries transient faults only.
  Result<Outcome> Check(const Target& t) {
    if (IsSplitGguf(t.gguf)) {
      return Unverifiable(t.gguf, "a split GGUF (one shard of several) cannot be checked alone",
                          "a single-file GGUF", "split GGUF shard");
    }
    if (t.parents.size() != 1) {
      return Unverifiable(t.gguf, "the quantize step must name exactly one parent model",
                          "one parent model", std::to_string(t.parents.size()) + " parents");
    }
    const HfUri& parent = t.parents.front()->hf;
    if (!parent.pinned) {
      return Unverifiable(t.gguf, "the parent model is not pinned to a commit",
                          "hf://" + parent.repo + "@<40-hex commit>", t.parents.front()->uri);
    }
    Result<RevisionSource*> source = OpenParent(parent.repo, parent.revision);
    if (!source.ok()) {
      if (source.error().code() == ErrorCode::kUnavailable) return source.error();
      return Unverifiable(t.gguf, "the parent revision could not be opened",
                          "the revision " + RevisionKey(parent.repo, parent.revision),
                          source.error().message());
    }
    Result<FidelityReport> report = CheckFidelity(**source, child_, t.gguf);
    if (!report.ok()) {
      if (report.error().code() == ErrorCode::kUnavailable) return report.error();
      return Unverifiable(t.gguf, "the fidelity check could not run", "a completed check",
                          report.error().message());
    }
    return Record(*report, Short(parent.repo, parent.revision));
  }

 private:
  Result<RevisionSource*> OpenParent(const std::string& repo, const std::string& commit) {
    const std::string key = RevisionKey(repo, commit);
    if (auto it = parents_.find(key); it != parents_.end()) return it->second.get();
    if (resolver_ == nullptr) return NotFound("no hub to resolve the parent from");
    Result<std::unique_ptr<RevisionSource>> opened = resolver_->OpenRevision(repo, commit);
    if (!opened.ok()) return opened.error();
    RevisionSource* raw = opened->get();
    parents_[key] = std::move(*opened);
    return raw;
  }

  Outcome Unverifiable(const std::string& gguf, const std::string& why, std::string expected,
                       std::string actual) {
    AddCheck(node_, Verdict::kVerified,
             {"fidelity.unverifiable", Severity::kWarning,
              "The GGUF could not be checked against its parent's weights: " + why + ".", gguf,
              std::move(expected), std::move(actual)});
    return Outcome::kUnverifiable;
  }

  // Up to kMaxDetailFindings of the report's non-info findings, on the GGUF's path.
  void CopyDetails(const FidelityReport& r) {
    size_t copied = 0, left = 0;
    for (const Finding& f : r.findings) {
      if (f.severity == Severity::kInfo) continue;
      if (copied == kMaxDetailFindings) {
        ++left;
        continue;
      }
      Finding d = f;
      d.path = r.gguf_path;
      if (!f.path.empty() && f.path != r.gguf_path && f.message.find(f.path) == std::string::npos) {
        d.message += " (" + f.path + ")";
      }
      if (f.code == "fidelity.tensor_mismatch") DescribeTensor(r, f.path, &d);
      AddCheck(node_, f.severity == Severity::kError ? Verdict::kFailed : Verdict::kVerified,
               std::move(d));
      ++copied;
    }
    if (left > 0) {
      AddCheck(node_, Verdict::kVerified,
               {"fidelity.more_findings", Severity::kInfo,
                "Further fidelity findings are not listed; `provbadge fidelity` shows them all.",
                r.gguf_path, "", std::to_string(left) + " more"});
    }
  }

  // expected / actual of a tensor mismatch from the per-tensor report.
  static void DescribeTensor(const FidelityReport& r, const std::string& name, Finding* f) {
    for (const TensorFidelity& t : r.tensors) {
      if (t.name != name) continue;
      f->expected = "the " + t.gguf_type + " quantization of " + t.source_tensor + " (" + t.path +
                    ", " + t.variant + ")";
      f->actual = std::to_string(t.blocks_mismatch) + " of " + std::to_string(t.blocks_total) +
                  " blocks differ; first block " + std::to_string(t.first_mismatch_block) +
                  ", row " + std::to_string(t.first_mismatch_row) + "; max |deviation| " +
                  std::to_string(t.max_abs_dev);
      return;
    }
  }

  Outcome Record(const FidelityReport& r, const std::string& parent) {
    const size_t first_detail = node_->checks.size();
    CopyDetails(r);
    const std::string not_safety =
        " This proves faithfulness to that source, not that the source is safe.";
    if (r.verdict == FidelityVerdict::kFaithful) {
      const bool exact = r.tier == "bit-exact";
      AddCheck(node_, Verdict::kVerified,
               {exact ? "fidelity.exact" : "fidelity.grid_consistent", Severity::kInfo,
                (exact ? "Every tensor is the bit-exact quantization of "
                       : "Every weight lies on the grid of its stored scales, re-derived from ") +
                    parent + "." + not_safety,
                r.gguf_path, "a faithful quantization of " + parent,
                std::to_string(r.tensors.size()) + " tensors " + (exact ? "exact" : "consistent") +
                    " (path " + r.path + ", variant " + r.variant + ")"});
      return exact ? Outcome::kExact : Outcome::kGridConsistent;
    }
    if (r.verdict == FidelityVerdict::kUnverifiable) {
      std::string why = "see the warnings on this file";
      for (const Finding& f : r.findings) {
        if (f.severity != Severity::kWarning) continue;
        why = f.message;
        break;
      }
      return Unverifiable(r.gguf_path, why, "a checkable source and GGUF", r.architecture);
    }
    return Mismatch(r, parent, first_detail);
  }

  // The summary error goes before the details (it is the badge's short reason).
  Outcome Mismatch(const FidelityReport& r, const std::string& parent, size_t first_detail) {
    const TensorFidelity* first = nullptr;
    size_t tensors = 0;
    for (const TensorFidelity& t : r.tensors) {
      if (t.status != TensorStatus::kMismatch) continue;
      ++tensors;
      if (first == nullptr && t.first_mismatch_block >= 0) first = &t;
    }
    // Short, for the badge: the parent is named in `expected`.
    Finding f{"fidelity.mismatch",
              Severity::kError,
              "re-quantizing the parent",
              r.gguf_path,
              "the faithful quantization of " + parent + " (bit-exact re-derivation)",
              ""};
    if (first != nullptr) {
      f.message += " differs at " + first->name + " block " +
                   std::to_string(first->first_mismatch_block) + " (row " +
                   std::to_string(first->first_mismatch_row) + ")";
      f.actual = std::to_string(tensors) + " tensor(s) differ; first " + first->name + " (" +
                 first->gguf_type + ") block " + std::to_string(first->first_mismatch_block) +
                 ", row " + std::to_string(first->first_mismatch_row);
    } else {
      f.message += " does not give this file";
      for (const Finding& e : r.findings) {
        if (e.severity != Severity::kError) continue;
        f.message += ": " + e.message;
        f.actual = e.code;
        break;
      }
    }
    node_->checks.insert(node_->checks.begin() + static_cast<std::ptrdiff_t>(first_detail),
                         std::move(f));
    node_->status = Worse(node_->status, Verdict::kFailed);
    return Outcome::kMismatch;
  }

  RevisionSource& child_;
  ParentResolver* resolver_;
  ReportNode* node_;
  std::map<std::string, std::unique_ptr<RevisionSource>> parents_;  // opened once per walk
};

// The GGUF subjects of the verified gguf quantize steps, each once.
std::vector<Target> Targets(const std::vector<ProvenanceStep>& steps, ReportNode* node) {
  std::vector<Target> out;
  std::set<std::string> seen;
  for (const ProvenanceStep& step : steps) {
    if (!IsGgufStep(step)) continue;
    size_t before = out.size();
    for (const ProvenanceSubject& s : step.subjects) {
      if (IsGgufPath(s.name) && seen.insert(s.name).second) out.push_back({s.name, step.Parents()});
    }
    if (out.size() == before) {
      AddCheck(
          node, Verdict::kVerified,
          {"fidelity.unverifiable", Severity::kWarning,
           "The quantize step says format gguf but none of its subjects is a .gguf file.",
           std::string(kProvenanceFile), "a .gguf subject", "line " + std::to_string(step.line)});
    }
  }
  return out;
}

}  // namespace

Status CheckLineageFidelity(RevisionSource& child, const std::vector<ProvenanceStep>& steps,
                            const TrustPolicy& policy, ParentResolver* resolver, Report* report) {
  if (policy.fidelity.mode == FidelityMode::kOff || report->nodes.empty()) return Status::Ok();
  ReportNode* node = &report->nodes.front();
  const size_t checks_before = node->checks.size();
  std::vector<Target> targets = Targets(steps, node);
  Outcome worst = Outcome::kExact;
  if (targets.empty()) {
    if (node->checks.size() != checks_before) report->fidelity = "unverifiable";
    return Status::Ok();
  }
  if (policy.fidelity.mode == FidelityMode::kGgufUpTo) {
    Result<std::vector<FileInfo>> files = child.ListFiles();
    if (!files.ok()) {
      if (files.error().code() == ErrorCode::kUnavailable) return files.error();
      AddCheck(node, Verdict::kVerified,
               {"fidelity.unverifiable", Severity::kWarning,
                "The GGUF could not be checked: the revision's files could not be listed.",
                targets.front().gguf, "a file listing", files.error().message()});
      report->fidelity = "unverifiable";
      return Status::Ok();
    }
    uint64_t total = 0;
    for (const FileInfo& f : *files) {
      for (const Target& t : targets) total += f.path == t.gguf ? f.size : 0;
    }
    if (total > policy.fidelity.max_bytes) {
      AddCheck(node, Verdict::kVerified,
               {"fidelity.not_checked", Severity::kInfo,
                "The GGUF was not re-quantized: the policy checks GGUF files up to a size only.",
                targets.front().gguf,
                "at most " + std::to_string(policy.fidelity.max_bytes) + " bytes of GGUF",
                std::to_string(total) + " bytes"});
      return Status::Ok();
    }
  }
  if (node->checks.size() != checks_before) worst = Outcome::kUnverifiable;
  FidelityLink link(child, resolver, node);
  for (const Target& t : targets) {
    Result<Outcome> outcome = link.Check(t);
    if (!outcome.ok()) return outcome.error();
    worst = std::max(worst, *outcome);
  }
  report->fidelity = std::string(OutcomeName(worst));
  return Status::Ok();
}

}  // namespace provbadge::verifier::internal
