// The in-toto Statement v1 with the OMS predicate: parsed only from verified payload bytes.
#include <algorithm>
#include <set>

#include "provbadge/verifier/digest.h"

#include "json_util.h"
#include "oms_internal.h"
#include "provbadge/common/limits.h"

namespace provbadge::verifier::internal {
namespace {

using nlohmann::json;

bool Malformed(Report* report, std::string message) {
  AddFinding(report, "statement.malformed", Severity::kError, std::move(message));
  return false;
}

bool IsLowerHex(const std::string& s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool ParseSubject(const json& st, OmsStatement* out, Report* report) {
  auto subjects = st.find("subject");
  if (subjects == st.end() || !subjects->is_array() || subjects->size() != 1) {
    AddFinding(report, "statement.subject_count", Severity::kError,
               "the statement must have exactly one subject", "", "1",
               subjects != st.end() && subjects->is_array() ? std::to_string(subjects->size())
                                                            : "not an array");
    return false;
  }
  const json& digest = (*subjects)[0].is_object() ? (*subjects)[0].value("digest", json()) : json();
  const std::string* sha = StringMember(digest, "sha256");
  if (sha == nullptr || !IsLowerHex(*sha, 64)) {
    return Malformed(report, "subject[0].digest.sha256 is missing or not 64 lowercase hex");
  }
  out->subject_sha256 = *sha;
  return true;
}

// Resolves a hash_type or resource algorithm label; false (with a finding) when unsupported.
bool ParseHashName(const std::string& name, const std::string& path, HashAlgorithm* out,
                   Report* report) {
  if (name == "sha256") {
    *out = HashAlgorithm::kSha256;
    return true;
  }
  if (name == "blake2b") {
    *out = HashAlgorithm::kBlake2b;
    return true;
  }
  std::string why = name == "blake3"
                        ? "BLAKE3 digests are not supported by this verifier, so the files cannot "
                          "be checked against them"
                        : "hash type '" + name + "' is not supported";
  AddFinding(report, "oms.hash_unsupported", Severity::kError,
             why + " (supported: sha256, blake2b)", path, "sha256 | blake2b", name);
  return false;
}

// shard_size: a positive integer, or an integral float as Python producers write it.
bool ParseShardSize(const json& ser, OmsStatement* out, Report* report) {
  auto it = ser.find("shard_size");
  if (it == ser.end()) return Malformed(report, "serialization.shard_size is missing for shards");
  if (it->is_number_unsigned()) {
    out->shard_size = it->get<uint64_t>();
  } else if (it->is_number_float()) {
    double d = it->get<double>();
    if (!(d >= 1 && d <= 9007199254740992.0) ||
        d != static_cast<double>(static_cast<uint64_t>(d))) {
      return Malformed(report, "serialization.shard_size is not a positive integral number");
    }
    out->shard_size = static_cast<uint64_t>(d);
  } else {
    return Malformed(report, "serialization.shard_size is not a positive integer");
  }
  if (out->shard_size == 0) return Malformed(report, "serialization.shard_size is zero");
  return true;
}

bool ParseSerialization(const json& pred, OmsStatement* out, Report* report) {
  auto it = pred.find("serialization");
  if (it == pred.end() || !it->is_object()) {
    return Malformed(report, "predicate.serialization is missing or not an object");
  }
  const json& ser = *it;
  const std::string* method = StringMember(ser, "method");
  if (method == nullptr) return Malformed(report, "serialization.method is not a string");
  if (*method != "files" && *method != "shards") {
    AddFinding(report, "oms.method_unsupported", Severity::kError,
               "serialization method '" + *method + "' is not supported", "", "files | shards",
               *method);
    return false;
  }
  out->shards = *method == "shards";
  const std::string* hash = StringMember(ser, "hash_type");
  if (hash == nullptr) return Malformed(report, "serialization.hash_type is not a string");
  if (!ParseHashName(*hash, "", &out->hash, report)) return false;
  if (out->shards && !ParseShardSize(ser, out, report)) return false;
  if (auto s = ser.find("allow_symlinks"); s != ser.end()) {
    if (!s->is_boolean()) return Malformed(report, "serialization.allow_symlinks is not a bool");
    out->allow_symlinks = s->get<bool>();
  }
  if (auto ig = ser.find("ignore_paths"); ig != ser.end()) {
    if (!ig->is_array()) return Malformed(report, "serialization.ignore_paths is not an array");
    if (ig->size() > limits::kMaxIgnorePaths) {
      AddFinding(report, "statement.too_many_ignore_paths", Severity::kError,
                 "serialization.ignore_paths lists more entries than the verifier accepts", "",
                 "<= " + std::to_string(limits::kMaxIgnorePaths), std::to_string(ig->size()));
      return false;
    }
    for (const json& p : *ig) {
      if (!p.is_string()) return Malformed(report, "an ignore_paths entry is not a string");
      out->ignore_paths.push_back(p.get<std::string>());
    }
  }
  return true;  // unknown serialization and predicate keys are ignored (spec)
}

// A resource's algorithm must name the statement's hash_type: "sha256", or for shards also the
// reference tool's "sha256-sharded-<shard_size>".
bool CheckAlgorithm(const std::string& algorithm, const std::string& name, const OmsStatement& st,
                    Report* report) {
  std::string label = algorithm;
  if (st.shards) {
    const std::string suffix = "-sharded-" + std::to_string(st.shard_size);
    if (label.size() > suffix.size() &&
        label.compare(label.size() - suffix.size(), suffix.size(), suffix) == 0) {
      label.resize(label.size() - suffix.size());
    }
  }
  HashAlgorithm algo = HashAlgorithm::kSha256;
  if (!ParseHashName(label, name, &algo, report)) return false;
  if (algo == st.hash) return true;
  AddFinding(report, "oms.algorithm_mismatch", Severity::kError,
             "a resource's algorithm differs from serialization.hash_type", name,
             std::string(HashAlgorithmName(st.hash)), algorithm);
  return false;
}

bool ParseResource(const json& r, std::set<std::string>* seen, OmsStatement* out, Report* report) {
  const std::string* name = StringMember(r, "name");
  const std::string* algorithm = StringMember(r, "algorithm");
  const std::string* digest = StringMember(r, "digest");
  if (name == nullptr || algorithm == nullptr || digest == nullptr) {
    return Malformed(report, "a resource lacks a string name, algorithm or digest");
  }
  if (!CheckAlgorithm(*algorithm, *name, *out, report)) return false;
  if (!IsLowerHex(*digest, DigestBytes(out->hash) * 2)) {
    return Malformed(report, "resource '" + *name + "' digest is not " +
                                 std::to_string(DigestBytes(out->hash) * 2) + " lowercase hex");
  }
  if (!seen->insert(*name).second) {
    AddFinding(report, "oms.resource_duplicate", Severity::kError,
               "a resource name is listed twice", *name);
    return false;
  }
  OmsResource res{*name, *digest, *name, 0, 0};
  if (out->shards && !ParseShardName(*name, &res.path, &res.start, &res.end)) {
    AddFinding(report, "oms.shard_name_invalid", Severity::kError,
               "a shard resource name is not path:start:end with start < end (decimal)", *name);
    return false;
  }
  out->resources.push_back(std::move(res));
  return true;
}

bool ParseResources(const json& pred, OmsStatement* out, Report* report) {
  auto it = pred.find("resources");
  if (it == pred.end() || !it->is_array()) {
    return Malformed(report, "predicate.resources is missing or not an array");
  }
  if (it->size() > limits::kMaxResources) {
    AddFinding(report, "statement.too_many_resources", Severity::kError,
               "the predicate lists more resources than the verifier accepts", "",
               "<= " + std::to_string(limits::kMaxResources), std::to_string(it->size()));
    return false;
  }
  std::set<std::string> seen;
  for (const json& r : *it) {
    if (!ParseResource(r, &seen, out, report)) return false;
  }
  // Single-file model: the reference tool names its one file "." (".:a:b" for shards).
  bool single_dot = !out->resources.empty() &&
                    std::all_of(out->resources.begin(), out->resources.end(),
                                [](const OmsResource& r) { return r.path == "."; }) &&
                    (out->shards || out->resources.size() == 1);
  bool names_ok = true;
  for (const OmsResource& r : out->resources) {
    if (single_dot || IsValidRelativePath(r.path)) continue;
    AddFinding(report, "oms.resource_name_invalid", Severity::kError,
               "a resource name is not a POSIX relative path inside the model", r.name);
    names_ok = false;
  }
  return names_ok && (!out->shards || CheckShardLayout(*out, report));
}

bool CheckSubjectDigest(const OmsStatement& st, Report* report) {
  Sha256 root;
  for (const OmsResource& r : st.resources) {
    Result<std::string> raw = HexDecode(r.digest);  // validated as hex above
    if (raw.ok()) root.Update(*raw);
  }
  std::string actual = root.FinalHex();
  if (actual == st.subject_sha256) return true;
  AddFinding(report, "oms.subject_digest_mismatch", Severity::kError,
             "the subject digest is not the sha256 of the listed resource digests", "",
             st.subject_sha256, actual);
  return false;
}

}  // namespace

bool ParseStatement(std::string_view payload, OmsStatement* out, Report* report) {
  json st;
  switch (ParseJsonBounded(payload, limits::kMaxJsonDepth, &st)) {
    case JsonParseStatus::kTooDeep:
      AddFinding(report, "statement.too_deep", Severity::kError,
                 "the signed statement nests JSON deeper than the verifier accepts", "",
                 "<= " + std::to_string(limits::kMaxJsonDepth), "more");
      return false;
    case JsonParseStatus::kInvalid:
      return Malformed(report, "the signed payload is not valid JSON");
    case JsonParseStatus::kOk:
      break;
  }
  if (!st.is_object()) return Malformed(report, "the signed payload is not a JSON object");
  const std::string* type = StringMember(st, "_type");
  if (type == nullptr || *type != kStatementType) {
    AddFinding(report, "statement.type_unsupported", Severity::kError,
               "the payload is not an in-toto Statement v1", "", std::string(kStatementType),
               type ? *type : "<missing>");
    return false;
  }
  const std::string* ptype = StringMember(st, "predicateType");
  if (ptype == nullptr || *ptype != kOmsPredicateType) {
    AddFinding(report, "statement.predicate_type", Severity::kError,
               "the statement is not an OMS model signature", "", std::string(kOmsPredicateType),
               ptype ? *ptype : "<missing>");
    return false;
  }
  if (!ParseSubject(st, out, report)) return false;
  auto pred = st.find("predicate");
  if (pred == st.end() || !pred->is_object()) {
    return Malformed(report, "predicate is missing or not an object");
  }
  return ParseSerialization(*pred, out, report) && ParseResources(*pred, out, report) &&
         CheckSubjectDigest(*out, report);
}

}  // namespace provbadge::verifier::internal
