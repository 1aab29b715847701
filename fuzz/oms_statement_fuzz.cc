// OMS statement / predicate (verifier/src/oms_internal.h ParseStatement): the in-toto
// Statement v1 with predicateType https://model_signing/signature/v1.0 (or the v0.2 legacy
// digests statement): subject, resources, serialization (method, hash, shard_size,
// ignore_paths, allow_symlinks), then the shard layout and the ignore rules.
// Invariants: parsed resource paths are relative paths ("." for a single file).
#include "fuzz_support.h"
#include "verifier/src/oms_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  namespace internal = verifier::internal;
  verifier::Report report;
  internal::OmsStatement statement;
  if (!internal::ParseStatement(fuzz::AsText(data, size), &statement, &report)) {
    fuzz::FuzzCheck(report.FirstError() != nullptr, "a rejected statement without an error");
    return 0;
  }
  std::vector<std::string> ignores = internal::NormalizeIgnores(statement.ignore_paths);
  for (const internal::OmsResource& r : statement.resources) {
    fuzz::FuzzCheck(r.path == "." || internal::IsValidRelativePath(r.path),
                    "a resource path is not relative");
    (void)internal::IsIgnored(r.path, ignores);
    (void)internal::IsProtectedFile(r.path);
  }
  if (statement.shards) (void)internal::CheckShardLayout(statement, &report);
  return 0;
}
