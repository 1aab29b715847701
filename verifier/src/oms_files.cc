// Set comparison of signed OMS resources against a revision's files.
#include <map>

#include "provbadge/verifier/digest.h"

#include "limits.h"
#include "oms_internal.h"

namespace provbadge::verifier::internal {
namespace {

// Strips "./" prefixes and trailing '/' from an ignore entry; empty when unusable.
std::string NormalizeIgnore(std::string_view p) {
  while (p.size() >= 2 && p.substr(0, 2) == "./") p.remove_prefix(2);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  if (!IsValidRelativePath(p)) return "";
  return std::string(p);
}

std::vector<std::string> NormalizeAll(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const std::string& p : in) {
    std::string n = NormalizeIgnore(p);
    if (!n.empty()) out.push_back(std::move(n));
  }
  return out;
}

Result<std::string> DigestOf(RevisionSource& source, const FileInfo& file) {
  if (file.sha256.has_value()) return *file.sha256;
  Result<std::unique_ptr<FileReader>> reader = source.Open(file.path);
  if (!reader.ok()) return reader.error();
  return Sha256HexOfReader(**reader);
}

struct Candidates {
  std::map<std::string, std::string> digests;  // path -> actual sha256
  bool ok = true;
};

// Every file that must be signed, with its digest; ignored and symlinked files are reported.
Candidates CollectFiles(RevisionSource& source, const std::vector<FileInfo>& files,
                        const OmsStatement& st, const OmsOptions& options, Report* report) {
  std::vector<std::string> verifier_ignores = DefaultIgnorePaths();
  verifier_ignores.push_back(options.signature_path);
  verifier_ignores.insert(verifier_ignores.end(), options.ignore_paths.begin(),
                          options.ignore_paths.end());
  verifier_ignores = NormalizeAll(verifier_ignores);
  std::vector<std::string> signer_ignores = NormalizeAll(st.ignore_paths);
  std::map<std::string, std::string> signed_names;
  for (const OmsResource& r : st.resources) signed_names.emplace(r.name, r.digest);

  Candidates out;
  for (const FileInfo& f : files) {
    bool is_signed = signed_names.count(f.path) > 0;
    if (!is_signed && IsIgnored(f.path, verifier_ignores)) continue;
    if (!is_signed && IsIgnored(f.path, signer_ignores)) {
      AddFinding(report, "oms.file_ignored", Severity::kInfo,
                 "a file is present unsigned because the signer's ignore_paths covers it", f.path);
      continue;
    }
    if (f.is_symlink && !st.allow_symlinks) {
      AddFinding(report, "oms.symlink_not_allowed", Severity::kError,
                 "a symbolic link is present but the signature does not allow symlinks", f.path);
      out.ok = false;
      continue;
    }
    Result<std::string> digest = DigestOf(source, f);
    if (!digest.ok()) {
      AddFinding(report, "source.unavailable", Severity::kError,
                 "a file of the revision could not be read: " + digest.error().message(), f.path);
      out.ok = false;
      continue;
    }
    out.digests.emplace(f.path, std::move(*digest));
  }
  return out;
}

}  // namespace

bool IsValidRelativePath(std::string_view path) {
  if (path.empty() || path.size() > limits::kMaxPathBytes || path.front() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool IsIgnored(std::string_view path, const std::vector<std::string>& ignores) {
  for (const std::string& ig : ignores) {
    if (path == ig) return true;
    if (path.size() > ig.size() && path.substr(0, ig.size()) == ig && path[ig.size()] == '/') {
      return true;
    }
  }
  return false;
}

void CompareFiles(RevisionSource& source, const OmsStatement& statement, const OmsOptions& options,
                  Report* report) {
  Result<std::vector<FileInfo>> files = source.ListFiles();
  if (!files.ok()) {
    AddFinding(report, "source.unavailable", Severity::kError,
               "the revision's files could not be listed: " + files.error().message());
    return;
  }
  Candidates present = CollectFiles(source, *files, statement, options, report);
  if (!present.ok) return;

  std::vector<OmsResource> resources = statement.resources;
  // Single-file model: the reference tool names its one resource ".".
  if (resources.size() == 1 && resources[0].name == "." && present.digests.size() == 1) {
    resources[0].name = present.digests.begin()->first;
  }
  std::map<std::string, std::string> missing;  // name -> expected digest
  for (const OmsResource& r : resources) {
    auto it = present.digests.find(r.name);
    if (it == present.digests.end()) {
      missing.emplace(r.name, r.digest);
      continue;
    }
    if (it->second != r.digest) {
      AddFinding(report, "oms.file_changed", Severity::kError,
                 "the file's content differs from what was signed", r.name, r.digest, it->second);
    }
    present.digests.erase(it);
  }
  // What remains in `present` is unsigned. A missing and an extra file with the same content
  // is a rename: report it as one finding.
  for (auto m = missing.begin(); m != missing.end();) {
    auto extra = present.digests.end();
    for (auto p = present.digests.begin(); p != present.digests.end(); ++p) {
      if (p->second == m->second) extra = p;
    }
    if (extra == present.digests.end()) {
      ++m;
      continue;
    }
    AddFinding(report, "oms.file_renamed", Severity::kError,
               "a signed file is present under another name (sha256 " + m->second + ")",
               extra->first, m->first, extra->first);
    present.digests.erase(extra);
    m = missing.erase(m);
  }
  for (const auto& [name, digest] : missing) {
    AddFinding(report, "oms.file_missing", Severity::kError, "a signed file is not in the revision",
               name, digest, "<absent>");
  }
  for (const auto& [path, digest] : present.digests) {
    AddFinding(report, "oms.file_extra", Severity::kError,
               "the revision has a file the signature does not list", path, "<absent>", digest);
  }
}

}  // namespace provbadge::verifier::internal
