// Set comparison of signed OMS resources (files or shards) against a revision's files, with
// digests from the revision's Manifest.
#include <algorithm>
#include <map>
#include <optional>

#include "provbadge/verifier/oms_manifest.h"

#include "oms_internal.h"
#include "provbadge/common/limits.h"

namespace provbadge::verifier::internal {
namespace {

using Parts = std::vector<const OmsResource*>;  // a file's signed resources, by start

// What the comparison works on: the signed side and the present side, keyed by path.
struct Sides {
  std::map<std::string, Parts> signed_files;
  std::map<std::string, const FileInfo*> present;
  bool ok = true;
};

std::string Bytes(uint64_t n) { return std::to_string(n) + " bytes"; }

std::map<std::string, Parts> GroupSigned(const OmsStatement& st) {
  std::map<std::string, Parts> out;
  for (const OmsResource& r : st.resources) out[r.path].push_back(&r);
  for (auto& [path, parts] : out) {
    std::sort(parts.begin(), parts.end(),
              [](const OmsResource* a, const OmsResource* b) { return a->start < b->start; });
  }
  return out;
}

// Files that must be signed; ignored, symlinked and protected files are reported here.
void CollectPresent(const std::vector<FileInfo>& files, const OmsStatement& st,
                    const OmsOptions& options, Sides* sides, Report* report) {
  std::vector<std::string> verifier_ignores = DefaultIgnorePaths();
  verifier_ignores.push_back(options.signature_path);
  verifier_ignores.insert(verifier_ignores.end(), options.ignore_paths.begin(),
                          options.ignore_paths.end());
  verifier_ignores = NormalizeIgnores(verifier_ignores);
  const std::vector<std::string> signer_ignores = NormalizeIgnores(st.ignore_paths);
  for (const FileInfo& f : files) {
    const bool is_signed = sides->signed_files.count(f.path) > 0;
    if (!is_signed && IsIgnored(f.path, verifier_ignores)) continue;
    if (!is_signed && IsIgnored(f.path, signer_ignores)) {
      if (IsProtectedFile(f.path)) {
        AddFinding(report, "oms.ignore_protected", Severity::kError,
                   "the signer's ignore_paths leaves a weight, tokenizer, config or code file "
                   "unsigned, which the hub never allows",
                   f.path, "signed", "ignored by the signer");
        sides->ok = false;
      } else {
        AddFinding(report, "oms.file_ignored", Severity::kInfo,
                   "a file is present unsigned because the signer's ignore_paths covers it",
                   f.path);
      }
      continue;
    }
    if (f.is_symlink && !st.allow_symlinks) {
      AddFinding(report, "oms.symlink_not_allowed", Severity::kError,
                 "a symbolic link is present but the signature does not allow symlinks", f.path);
      sides->ok = false;
      continue;
    }
    if (!is_signed && st.shards && f.size == 0) {
      AddFinding(report, "oms.empty_file_unsigned", Severity::kInfo,
                 "an empty file is present; shard serialization lists no resource for empty "
                 "files, so its presence is not covered by the signature",
                 f.path);
      continue;
    }
    sides->present.emplace(f.path, &f);
  }
  // Single-file model: the reference tool names its one file ".".
  auto dot = sides->signed_files.find(".");
  if (dot != sides->signed_files.end() && sides->signed_files.size() == 1 &&
      sides->present.size() == 1) {
    sides->signed_files.emplace(sides->present.begin()->first, dot->second);
    sides->signed_files.erase(dot);
  }
}

// The digest keys a present file needs: its signed parts (when the sizes agree), or for an
// unsigned file its own serialization (to recognise a rename), bounded like a statement.
std::vector<DigestKey> KeysFor(const FileInfo& f, const Parts* parts, const OmsStatement& st) {
  std::vector<DigestKey> keys;
  if (!st.shards) {
    keys.push_back(DigestKey::Whole(f.path, st.hash));
  } else if (parts != nullptr) {
    if (parts->back()->end != f.size) return keys;
    for (const OmsResource* r : *parts) {
      keys.push_back(DigestKey::Range(f.path, st.hash, r->start, r->end));
    }
  } else if (f.size / st.shard_size < limits::kMaxResources) {
    keys = ShardKeys(f.path, f.size, st.hash, st.shard_size);
  }
  return keys;
}

// Digest of `key`, or nullopt after reporting why it could not be computed.
std::optional<std::string> DigestOrReport(Manifest& m, const DigestKey& key, Report* report) {
  Result<std::string> d = m.Digest(key);
  if (d.ok()) return *d;
  if (d.error().code() == ErrorCode::kInvalidInput) {
    AddFinding(report, "oms.file_unreadable", Severity::kError,
               "the file cannot be read as a regular file of the revision: " + d.error().message(),
               key.path);
  } else {
    AddFinding(report, "source.unavailable", Severity::kError,
               "a file of the revision could not be read: " + d.error().message(), key.path);
  }
  return std::nullopt;
}

// Compares one signed, present file shard by shard (files: one whole-file digest).
void CompareSigned(Manifest& m, const FileInfo& f, const Parts& parts, const OmsStatement& st,
                   Report* report) {
  if (st.shards && parts.back()->end != f.size) {
    AddFinding(report, "oms.file_changed", Severity::kError,
               "the file's size differs from the size its signed shards cover", f.path,
               Bytes(parts.back()->end), Bytes(f.size));
    return;
  }
  std::vector<DigestKey> keys = KeysFor(f, &parts, st);
  for (size_t i = 0; i < keys.size(); ++i) {
    std::optional<std::string> d = DigestOrReport(m, keys[i], report);
    if (d && *d != parts[i]->digest) {
      AddFinding(report, "oms.file_changed", Severity::kError,
                 "the file's content differs from what was signed", parts[i]->name,
                 parts[i]->digest, *d);
    }
  }
}

// A file's identity for rename matching: its digests in order ("" when unavailable).
std::string Fingerprint(Manifest& m, const std::vector<DigestKey>& keys) {
  std::string out;
  for (const DigestKey& k : keys) {
    Result<std::string> d = m.Digest(k);
    if (!d.ok()) return "";
    out += std::to_string(k.start) + ":" + std::to_string(k.end) + ":" + *d + ";";
  }
  return out;
}

std::string Fingerprint(const Parts& parts, bool shards) {
  std::string out;
  for (const OmsResource* r : parts) {
    out += (shards ? std::to_string(r->start) + ":" + std::to_string(r->end) : "0:0") + ":" +
           r->digest + ";";
  }
  return out;
}

void ReportUnmatched(Manifest& m, const Sides& sides, const OmsStatement& st, Report* report) {
  std::map<std::string, std::string> missing;  // path -> signed fingerprint
  for (const auto& [path, parts] : sides.signed_files) {
    if (!sides.present.count(path)) missing.emplace(path, Fingerprint(parts, st.shards));
  }
  std::map<std::string, std::string> extra;  // path -> fingerprint of the bytes
  for (const auto& [path, f] : sides.present) {
    if (sides.signed_files.count(path)) continue;
    std::vector<DigestKey> keys = KeysFor(*f, nullptr, st);
    extra.emplace(path, keys.empty() && f->size > 0 ? "" : Fingerprint(m, keys));
  }
  for (auto mi = missing.begin(); mi != missing.end();) {
    auto ex = std::find_if(extra.begin(), extra.end(), [&](const auto& e) {
      return !e.second.empty() && e.second == mi->second;
    });
    if (ex == extra.end()) {
      ++mi;
      continue;
    }
    AddFinding(report, "oms.file_renamed", Severity::kError,
               "a signed file is present under another name", ex->first, mi->first, ex->first);
    extra.erase(ex);
    mi = missing.erase(mi);
  }
  for (const auto& [path, fp] : missing) {
    const Parts& parts = sides.signed_files.at(path);
    AddFinding(report, "oms.file_missing", Severity::kError, "a signed file is not in the revision",
               path,
               parts.size() == 1 ? parts[0]->digest : std::to_string(parts.size()) + " shards",
               "<absent>");
  }
  for (const auto& [path, fp] : extra) {
    // actual: the file's digest (files), or its size (shards: one digest per shard).
    const FileInfo& f = *sides.present.at(path);
    Result<std::string> d =
        st.shards ? Result<std::string>(Bytes(f.size)) : m.Digest(DigestKey::Whole(path, st.hash));
    AddFinding(report, "oms.file_extra", Severity::kError,
               "the revision has a file the signature does not list", path, "<absent>",
               d.ok() ? *d : Bytes(f.size));
  }
}

// "digest.summary" (info) and one "oms.known_digest_mismatch" per hub digest the bytes deny.
void ReportDigestSources(const Manifest& m, Report* report) {
  ManifestStats stats = m.Stats();
  for (const KnownMismatch& k : stats.known_mismatches) {
    AddFinding(report, "oms.known_digest_mismatch", Severity::kError,
               "the hub's recorded sha256 of the file differs from the sha256 of its bytes", k.path,
               k.known, k.computed);
  }
  std::string taken;
  for (size_t i = 0; i < stats.hub_known_paths.size() && i < 20; ++i) {
    taken += (i ? ", " : "") + stats.hub_known_paths[i];
  }
  if (stats.hub_known_paths.size() > 20) {
    taken += " (+" + std::to_string(stats.hub_known_paths.size() - 20) + " more)";
  }
  AddFinding(report, "digest.summary", Severity::kInfo,
             std::to_string(stats.computed) + " digests computed (" + Bytes(stats.bytes_read) +
                 " read), " + std::to_string(stats.hub_known) +
                 " hub-known sha256 taken without reading (rehash " +
                 std::string(RehashModeName(m.options().rehash)) + "), " +
                 std::to_string(stats.cached) + " from the digest cache" +
                 (taken.empty() ? "" : "; taken from the hub: " + taken));
}

}  // namespace

void CompareFiles(RevisionSource& source, const OmsStatement& statement, const OmsOptions& options,
                  Report* report) {
  std::optional<Manifest> own;
  Manifest* m = options.manifest;
  if (m == nullptr) {
    ManifestOptions mo;
    mo.rehash = options.rehash;
    mo.threads = options.threads;
    m = &own.emplace(source, mo);
  }
  Result<std::vector<FileInfo>> files = m->Files();
  if (!files.ok()) {
    AddFinding(report, "source.unavailable", Severity::kError,
               "the revision's files could not be listed: " + files.error().message());
    return;
  }
  Sides sides;
  sides.signed_files = GroupSigned(statement);
  CollectPresent(*files, statement, options, &sides, report);
  if (!sides.ok) return;
  std::vector<DigestKey> keys;
  for (const auto& [path, f] : sides.present) {
    auto it = sides.signed_files.find(path);
    std::vector<DigestKey> k =
        KeysFor(*f, it == sides.signed_files.end() ? nullptr : &it->second, statement);
    keys.insert(keys.end(), k.begin(), k.end());
  }
  m->Prefetch(keys);  // every digest below is now computed in parallel, once
  for (const auto& [path, f] : sides.present) {
    auto it = sides.signed_files.find(path);
    if (it != sides.signed_files.end()) CompareSigned(*m, *f, it->second, statement, report);
  }
  ReportUnmatched(*m, sides, statement, report);
  ReportDigestSources(*m, report);
}

}  // namespace provbadge::verifier::internal
