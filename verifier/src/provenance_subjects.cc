// CheckProvenanceSubjects: every attested subject is a file of the revision with that sha256,
// and the subjects together cover every weight file.
#include <map>
#include <set>

#include "provenance_internal.h"

namespace provbadge::verifier {

bool CheckProvenanceSubjects(const std::vector<ProvenanceStep>& steps, Manifest& manifest,
                             std::vector<Finding>* findings) {
  using internal::AddProvenanceFinding;
  Result<std::vector<FileInfo>> files = manifest.Files();
  if (!files.ok()) return false;
  // The first step attesting each path, to flag a second one.
  std::map<std::string, const ProvenanceStep*> attested;
  std::vector<DigestKey> keys;
  for (const ProvenanceStep& step : steps) {
    for (const ProvenanceSubject& s : step.subjects) {
      if (manifest.Find(s.name)) keys.push_back(DigestKey::Whole(s.name));
    }
  }
  manifest.Prefetch(keys);  // hash in parallel; the loop below then only reads results
  size_t matched = 0;
  bool ok = true;
  for (const ProvenanceStep& step : steps) {
    for (const ProvenanceSubject& s : step.subjects) {
      auto [it, first] = attested.emplace(s.name, &step);
      if (!first) {
        AddProvenanceFinding(findings, step.line, "provenance.subject_duplicate",
                             Severity::kWarning,
                             "the file is also a subject of the statement on line " +
                                 std::to_string(it->second->line),
                             s.name);
      }
      if (!manifest.Find(s.name)) {
        AddProvenanceFinding(
            findings, step.line, "provenance.subject_missing_file", Severity::kError,
            "the statement attests a file the revision does not have", s.name, s.sha256, "absent");
        ok = false;
        continue;
      }
      Result<std::string> sha = manifest.Sha256(s.name);
      if (!sha.ok()) {
        AddProvenanceFinding(findings, step.line, "source.unavailable", Severity::kError,
                             "the file could not be read: " + sha.error().message(), s.name);
        ok = false;
        continue;
      }
      if (*sha != s.sha256) {
        AddProvenanceFinding(findings, step.line, "provenance.subject_mismatch", Severity::kError,
                             "the file's sha256 differs from the attested digest", s.name, s.sha256,
                             *sha);
        ok = false;
        continue;
      }
      ++matched;
    }
  }
  if (ok && matched > 0) {
    AddProvenanceFinding(
        findings, 0, "provenance.subjects_match", Severity::kInfo,
        std::to_string(matched) + " attested file(s) are present with the attested sha256");
  }
  if (steps.empty()) return true;
  size_t weights = 0;
  bool covered = true;
  for (const FileInfo& f : *files) {
    if (!IsWeightFile(f.path)) continue;
    ++weights;
    if (attested.count(f.path) > 0) continue;
    covered = false;
    AddProvenanceFinding(findings, 0, "provenance.weights_not_covered", Severity::kError,
                         "a weight file is not a subject of any verified provenance statement",
                         f.path, "a subject naming this file", "none");
  }
  if (covered && weights > 0) {
    AddProvenanceFinding(
        findings, 0, "provenance.weights_covered", Severity::kInfo,
        "every weight file (" + std::to_string(weights) + ") is a subject of a verified statement");
  }
  return true;
}

}  // namespace provbadge::verifier
