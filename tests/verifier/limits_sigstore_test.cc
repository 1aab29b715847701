// Bounds of provbadge/common/limits.h on Sigstore bundles, checked through VerifySigstoreBundle:
// a conformance vector (or a test-log bundle) with one part at its limit still reaches a later
// step, one past it fails at parse time with the code naming the bound.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../common/test_paths.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "sigstore_test_log.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

// Bundle-level bounds on a conformance vector verified against a policy it does not meet:
// unmodified, it fails only at the last step (identity).
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
  std::ifstream a(testing::SharedDir() + "/vectors/sigstore-conformance/a.txt");
  REQUIRE(a);
  const std::string artifact(std::istreambuf_iterator<char>(a), {});
  SigstoreOutcome outcome =
      VerifySigstoreBundle(bundle.dump(), root->get(), SigstoreArtifact::Bytes(artifact), policy);
  CHECK_FALSE(outcome.verified);
  const Finding* error = outcome.FirstError();
  return error == nullptr ? "" : error->code;
}

// What the unmodified vector fails with: everything before the identity step passed.
const char kLastStep[] = "sigstore.identity.mismatch";

json& Entry0(json& b) { return b["verificationMaterial"]["tlogEntries"][0]; }

// `chars` base64 characters (all 'A': zero bytes) decode to chars / 4 * 3 bytes; the bound
// is checked on that length before decoding.
std::string Base64Of(size_t decoded_bytes) { return std::string(decoded_bytes / 3 * 4, 'A'); }

TEST_CASE("limits: the unmodified vectors reach the identity step", "[limits]") {
  CHECK(BundleCode(VectorBundle("happy-path-v0.3")) == kLastStep);
  CHECK(BundleCode(VectorBundle("happy-path-v0.1")) == kLastStep);
}

TEST_CASE("limits: a Sigstore bundle is at most kMaxBundleBytes", "[limits]") {
  json b = VectorBundle("happy-path-v0.3");
  b["padding"] = "";
  const size_t size = b.dump().size();
  b["padding"] = std::string(limits::kMaxBundleBytes - size, ' ');
  REQUIRE(b.dump().size() == limits::kMaxBundleBytes);
  CHECK(BundleCode(b) == kLastStep);
  b["padding"] = b["padding"].get<std::string>() + " ";
  CHECK(BundleCode(b) == "sigstore.bundle.too_large");
}

TEST_CASE("limits: a Sigstore bundle nests JSON at most kMaxJsonDepth deep", "[limits]") {
  json b = VectorBundle("happy-path-v0.3");
  json nested = json::array();
  for (size_t d = 2; d < limits::kMaxJsonDepth; ++d) nested = json::array({nested});
  b["x"] = nested;  // the bundle object, then kMaxJsonDepth - 1 arrays
  CHECK(BundleCode(b) == kLastStep);
  b["x"] = json::array({nested});
  CHECK(BundleCode(b) == "sigstore.bundle.json");
}

TEST_CASE("limits: Sigstore bundle parts are bounded at parse time", "[limits]") {
  // At each limit the count passes and the repeated item is refused as a duplicate (or the
  // proof no longer reaches its root); one more is refused as too many before any is parsed.
  SECTION("kMaxTlogEntries") {
    json b = VectorBundle("happy-path-v0.3");
    json& entries = b["verificationMaterial"]["tlogEntries"];
    while (entries.size() < limits::kMaxTlogEntries) entries.push_back(entries[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.duplicate");
    entries.push_back(entries[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.too_many");
  }
  SECTION("kMaxTimestamps") {
    json b = VectorBundle("happy-path-v0.3");
    json& ts = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
    ts = json::array();
    while (ts.size() < limits::kMaxTimestamps) ts.push_back({{"signedTimestamp", "MAA="}});
    CHECK(BundleCode(b) == "sigstore.bundle.duplicate");
    ts.push_back({{"signedTimestamp", "MAA="}});
    CHECK(BundleCode(b) == "sigstore.bundle.too_many");
  }
  SECTION("kMaxCertChain") {
    json b = VectorBundle("happy-path-v0.1");
    json& certs = b["verificationMaterial"]["x509CertificateChain"]["certificates"];
    while (certs.size() < limits::kMaxCertChain) certs.push_back(certs[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.duplicate");
    certs.push_back(certs[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.too_many");
  }
  SECTION("kMaxProofHashes") {
    json b = VectorBundle("happy-path-v0.3");
    json& hashes = Entry0(b)["inclusionProof"]["hashes"];
    while (hashes.size() < limits::kMaxProofHashes) hashes.push_back(hashes[0]);
    CHECK(BundleCode(b) == "sigstore.tlog.inclusion_proof");
    hashes.push_back(hashes[0]);
    CHECK(BundleCode(b) == "sigstore.bundle.too_many");
  }
}

TEST_CASE("limits: Sigstore bundle field sizes: body, timestamp, certificate, checkpoint",
          "[limits]") {
  SECTION("kMaxTlogBodyBytes") {
    json b = VectorBundle("happy-path-v0.3");
    Entry0(b)["canonicalizedBody"] = Base64Of(limits::kMaxTlogBodyBytes);
    CHECK(BundleCode(b) != "sigstore.bundle.too_large");
    Entry0(b)["canonicalizedBody"] = Base64Of(limits::kMaxTlogBodyBytes) + "AAAA";
    CHECK(BundleCode(b) == "sigstore.bundle.too_large");
  }
  SECTION("kMaxTimestampBytes: an RFC 3161 token") {
    json b = VectorBundle("happy-path-v0.3");
    json& ts = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
    ts = {{{"signedTimestamp", Base64Of(limits::kMaxTimestampBytes)}}};
    CHECK(BundleCode(b) != "sigstore.bundle.too_large");
    ts = {{{"signedTimestamp", Base64Of(limits::kMaxTimestampBytes) + "AAAA"}}};
    CHECK(BundleCode(b) == "sigstore.bundle.too_large");
  }
  SECTION("kMaxTimestampBytes: a certificate") {
    json b = VectorBundle("happy-path-v0.3");
    json& cert = b["verificationMaterial"]["certificate"]["rawBytes"];
    cert = Base64Of(limits::kMaxTimestampBytes);
    CHECK(BundleCode(b) == "sigstore.bundle.certificate");  // decoded: not DER
    cert = Base64Of(limits::kMaxTimestampBytes) + "AAAA";
    CHECK(BundleCode(b) == "sigstore.bundle.too_large");
  }
  SECTION("kMaxCheckpointBytes") {
    json b = VectorBundle("happy-path-v0.3");
    json& env = Entry0(b)["inclusionProof"]["checkpoint"]["envelope"];
    const std::string note = env.get<std::string>();
    // Unknown cosignature lines are ignored: pad with one up to exactly the limit.
    const std::string line_start = "\xe2\x80\x94 witness.test ";
    const size_t fill = limits::kMaxCheckpointBytes - note.size() - line_start.size() - 1;
    env = note + line_start + std::string(fill, 'A') + "\n";
    REQUIRE(env.get<std::string>().size() == limits::kMaxCheckpointBytes);
    CHECK(BundleCode(b) == kLastStep);
    env = note + line_start + std::string(fill + 1, 'A') + "\n";
    CHECK(BundleCode(b) == "sigstore.bundle.too_large");
  }
}

TEST_CASE("limits: a checkpoint note has at most kMaxCheckpointNoteLines lines", "[limits]") {
  json b = VectorBundle("happy-path-v0.3");
  json& env = Entry0(b)["inclusionProof"]["checkpoint"]["envelope"];
  const std::string original = env.get<std::string>();
  const size_t blank = original.find("\n\n");
  REQUIRE(blank != std::string::npos);
  const size_t lines =
      static_cast<size_t>(std::count(original.begin(), original.begin() + blank + 1, '\n'));
  auto with_lines = [&](size_t n) {  // extension lines change the signed text
    std::string extra;
    for (size_t i = lines; i < n; ++i) extra += "ext" + std::to_string(i) + "\n";
    return original.substr(0, blank + 1) + extra + original.substr(blank + 1);
  };
  env = with_lines(limits::kMaxCheckpointNoteLines);
  CHECK(BundleCode(b) == "sigstore.checkpoint.signature");
  env = with_lines(limits::kMaxCheckpointNoteLines + 1);
  CHECK(BundleCode(b) == "sigstore.checkpoint.malformed");
}

TEST_CASE("limits: a checkpoint has at most kMaxCheckpointSignatures signature lines", "[limits]") {
  testing_log::KeyModeFixture f;
  json b = f.log.Bundle(testing_log::kArtifact);
  json& env =
      b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"];
  const std::string witness = "\xe2\x80\x94 witness.test AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  std::string at = env.get<std::string>();  // one line: the log's
  for (size_t i = 1; i < limits::kMaxCheckpointSignatures; ++i) at += witness;
  env = at;
  CHECK(f.Run(b).empty());
  env = at + witness;
  CHECK(f.Run(b) == "sigstore.checkpoint.too_many_signatures");
}

// A key-mode bundle whose DSSE envelope (one signature by the test log's signer) carries an
// in-toto Statement with `subjects` subjects, the first one naming the artifact.
json DsseBundle(testing_log::KeyModeFixture& f, size_t subjects) {
  json subject = json::array({{{"digest", {{"sha256", Sha256Hex(testing_log::kArtifact)}}}}});
  while (subject.size() < subjects) subject.push_back(json::object());
  const std::string payload =
      json{{"_type", "https://in-toto.io/Statement/v1"}, {"subject", subject}}.dump();
  const std::string sig = testing_log::Sign(f.log.signer(), DssePae(kInTotoPayloadType, payload));
  json b = f.log.Bundle(testing_log::kArtifact);
  b.erase("messageSignature");
  b["dsseEnvelope"] = {{"payload", Base64Encode(payload)},
                       {"payloadType", kInTotoPayloadType},
                       {"signatures", {{{"sig", Base64Encode(sig)}}}}};
  return b;
}

TEST_CASE("limits: a Sigstore DSSE statement lists at most kMaxSubjects subjects", "[limits]") {
  testing_log::KeyModeFixture f;
  // At the limit the subject matches and verification goes on to the log body (a
  // hashedrekord entry, so it does not describe this DSSE bundle).
  CHECK(f.Run(DsseBundle(f, limits::kMaxSubjects)) == "sigstore.tlog.body_mismatch");
  CHECK(f.Run(DsseBundle(f, limits::kMaxSubjects + 1)) == "sigstore.dsse.statement");
}

TEST_CASE("limits: a Sigstore DSSE envelope has exactly kMaxDsseSignatures signature", "[limits]") {
  testing_log::KeyModeFixture f;
  json b = DsseBundle(f, 1);
  CHECK(f.Run(b) == "sigstore.tlog.body_mismatch");  // one signature: parsed and verified
  json& sigs = b["dsseEnvelope"]["signatures"];
  while (sigs.size() <= limits::kMaxDsseSignatures) sigs.push_back(sigs[0]);
  CHECK(f.Run(b) == "sigstore.dsse.signature_count");
}

}  // namespace
}  // namespace provbadge::verifier
