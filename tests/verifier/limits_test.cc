// Bounds of provbadge/common/limits.h that no other verifier test reaches: each input just over
// its limit is refused with its specific code, and (where cheap) one at the limit is accepted.
// docs/threat-model.md maps every limit to its test.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../common/memory_source.h"
#include "../common/test_paths.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/safetensors.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace provbadge::verifier {
namespace {

// Little-endian GGUF v3 header bytes: no tensors, the given metadata entries.
struct GgufBytes {
  std::string bytes = "GGUF";
  explicit GgufBytes(uint64_t n_kv) {
    U32(3);
    U64(0);
    U64(n_kv);
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void Str(const std::string& s) {
    U64(s.size());
    bytes += s;
  }
};

constexpr uint32_t kTypeU8 = 0;
constexpr uint32_t kTypeArray = 9;

std::string GgufCode(const std::string& bytes) {
  testing::MemoryReader reader(bytes);
  Result<GgufFile> r = ParseGguf(reader);
  return r.ok() ? "ok" : std::string(FindingCodeOf(r.error()));
}

// One metadata entry "a" whose value nests `depth` arrays, the innermost empty.
std::string NestedArrays(int depth) {
  GgufBytes g(1);
  g.Str("a");
  g.U32(kTypeArray);
  for (int i = 1; i < depth; ++i) {
    g.U32(kTypeArray);
    g.U64(1);
  }
  g.U32(kTypeU8);
  g.U64(0);
  return g.bytes;
}

TEST_CASE("limits: GGUF metadata arrays nest at most kMaxGgufArrayDepth", "[limits]") {
  CHECK(GgufCode(NestedArrays(limits::kMaxGgufArrayDepth)) == "ok");
  CHECK(GgufCode(NestedArrays(limits::kMaxGgufArrayDepth + 2)) == "gguf.array_too_deep");
}

TEST_CASE("limits: a GGUF metadata key is at most kMaxGgufKeyBytes", "[limits]") {
  auto with_key = [](size_t key_bytes) {
    GgufBytes g(1);
    g.Str(std::string(key_bytes, 'k'));
    g.U32(kTypeU8);
    g.bytes += '\x01';
    return g.bytes;
  };
  CHECK(GgufCode(with_key(limits::kMaxGgufKeyBytes)) == "ok");
  CHECK(GgufCode(with_key(limits::kMaxGgufKeyBytes + 1)) == "gguf.bad_key");
}

std::string SafetensorsCode(const std::string& header) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  testing::MemoryReader reader(bytes);
  auto r = ParseSafetensors(reader);
  return r.ok() ? "ok" : std::string(FindingCodeOf(r.error()));
}

TEST_CASE("limits: a safetensors tensor has at most kMaxSafetensorsRank dimensions", "[limits]") {
  auto tensor = [](size_t rank) {
    std::string shape;
    for (size_t i = 0; i < rank; ++i) shape += std::string(i ? "," : "") + "0";
    return R"({"t":{"dtype":"F32","shape":[)" + shape + R"(],"data_offsets":[0,0]}})";
  };
  CHECK(SafetensorsCode(tensor(limits::kMaxSafetensorsRank)) == "ok");
  CHECK(SafetensorsCode(tensor(limits::kMaxSafetensorsRank + 1)) == "safetensors.tensor_invalid");
}

TEST_CASE("limits: a safetensors header nests JSON at most kMaxSafetensorsJsonDepth", "[limits]") {
  auto nested = [](size_t depth) {  // the header object plus depth - 1 levels in __metadata__
    return R"({"__metadata__":{"a":)" + std::string(depth - 2, '[') + std::string(depth - 2, ']') +
           "}}";
  };
  CHECK(SafetensorsCode(nested(limits::kMaxSafetensorsJsonDepth + 1)) ==
        "safetensors.header_invalid");
}

TEST_CASE("limits: trusted_root.json size and list lengths", "[limits]") {
  auto too_big = TrustedRoot::FromJson(std::string(limits::kMaxTrustedRootBytes + 1, ' '));
  REQUIRE_FALSE(too_big.ok());
  CHECK_THAT(too_big.error().message(), Catch::Contains("too large"));

  std::string tlogs;
  for (size_t i = 0; i <= limits::kMaxTrustedRootItems; ++i)
    tlogs += std::string(i ? "," : "") + "{}";
  auto too_many = TrustedRoot::FromJson(
      R"({"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[)" +
      tlogs + "]}");
  REQUIRE_FALSE(too_many.ok());
  CHECK_THAT(too_many.error().message(),
             Catch::Contains("more than " + std::to_string(limits::kMaxTrustedRootItems)));

  std::string deep =
      R"({"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","x":)" +
      std::string(limits::kMaxJsonDepth + 1, '[') + std::string(limits::kMaxJsonDepth + 1, ']') +
      "}";
  CHECK_FALSE(TrustedRoot::FromJson(deep).ok());
}

// Bundle-level bounds through VerifySigstoreBundle on a conformance vector with one part
// inflated past its limit; the first failing step must name the bound.
nlohmann::json VectorBundle(const std::string& name) {
  std::ifstream in(testing::SharedDir() + "/vectors/sigstore-conformance/" + name +
                   "/bundle.sigstore.json");
  REQUIRE(in);
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

std::string BundleCode(const nlohmann::json& bundle) {
  std::ifstream in(testing::SharedDir() +
                   "/vectors/sigstore-conformance/public-good/trusted_root.json");
  auto root = TrustedRoot::FromJson(std::string(std::istreambuf_iterator<char>(in), {}));
  REQUIRE(root.ok());
  SigstorePolicy policy;
  policy.identity = "nobody@example.com";
  policy.issuer = "https://example.com";
  auto artifact = SigstoreArtifact::FromDigestString("sha256:" + std::string(64, '0'));
  REQUIRE(artifact.ok());
  SigstoreOutcome outcome = VerifySigstoreBundle(bundle.dump(), root->get(), *artifact, policy);
  CHECK_FALSE(outcome.verified);
  const Finding* error = outcome.FirstError();
  return error == nullptr ? "" : error->code;
}

TEST_CASE("limits: Sigstore bundle parts are bounded at parse time", "[limits]") {
  SECTION("inclusion proof hashes: kMaxProofHashes") {
    nlohmann::json b = VectorBundle("happy-path-v0.3");
    auto& hashes = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"];
    while (hashes.size() <= limits::kMaxProofHashes) hashes.push_back(hashes[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.too_many");
  }
  SECTION("checkpoint size: kMaxCheckpointBytes") {
    nlohmann::json b = VectorBundle("happy-path-v0.3");
    auto& env = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"];
    env["envelope"] =
        env["envelope"].get<std::string>() + std::string(limits::kMaxCheckpointBytes, 'x');
    CHECK(BundleCode(b) == "sigstore.bundle.too_large");
  }
  SECTION("certificate chain length: kMaxCertChain") {
    nlohmann::json b = VectorBundle("happy-path-v0.1");
    auto& certs = b["verificationMaterial"]["x509CertificateChain"]["certificates"];
    REQUIRE(certs.is_array());
    while (certs.size() <= limits::kMaxCertChain) certs.push_back(certs[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.too_many");
  }
  SECTION("whole bundle: kMaxBundleBytes") {
    nlohmann::json b = VectorBundle("happy-path-v0.3");
    b["padding"] = std::string(limits::kMaxBundleBytes, ' ');
    CHECK(BundleCode(b) == "sigstore.bundle.too_large");
  }
}

}  // namespace
}  // namespace provbadge::verifier
