// Keyless leaf certificates, parsed without an OpenSSL X509 (verifier/src/sigstore_leaf.h),
// against an in-memory test Fulcio CA and CT log (sigstore_test_ca.h): the unmodified leaf
// verifies; each defect — truncated or trailing DER, non-minimal lengths, a wrong issuer, a bad
// signature, expiry at the signing time, an unknown critical or a duplicated extension, an
// oversized SAN list, a CA or non-code-signing leaf, a missing SCT — fails with its own code.
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "provbadge/common/limits.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "sigstore_test_ca.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing_log::Ext;
using testing_log::LeafSpec;
using testing_log::TestCa;

const std::string kArtifact = "the artifact bytes\n";

struct Fixture {
  TestCa ca;
  std::shared_ptr<const TrustedRoot> root;
  SigstorePolicy policy;
  Fixture() {
    auto r = TrustedRoot::FromJson(ca.TrustedRoot());
    REQUIRE(r.ok());
    root = *r;
    policy.identity = testing_log::kTestIdentity;
    policy.issuer = testing_log::kTestIssuer;
  }
  std::string RunDer(const std::string& leaf_der) {
    SigstoreOutcome o = VerifySigstoreBundle(ca.Bundle(kArtifact, leaf_der).dump(), root.get(),
                                             SigstoreArtifact::Bytes(kArtifact), policy);
    if (o.verified) return "";
    REQUIRE(o.FirstError() != nullptr);
    return o.FirstError()->code;
  }
  std::string Run(const LeafSpec& spec) { return RunDer(ca.Leaf(spec)); }
};

TEST_CASE("leaf: the unmodified test CA leaf verifies with its SAN and issuer", "[sigstore]") {
  Fixture f;
  SigstoreOutcome o =
      VerifySigstoreBundle(f.ca.Bundle(kArtifact, f.ca.Leaf({})).dump(), f.root.get(),
                           SigstoreArtifact::Bytes(kArtifact), f.policy);
  REQUIRE(o.verified);
  CHECK(o.signer_identity == testing_log::kTestIdentity);
  CHECK(o.signer_issuer == testing_log::kTestIssuer);
}

TEST_CASE("leaf: truncated, trailing and non-minimal DER is rejected at parse", "[sigstore]") {
  Fixture f;
  const std::string der = f.ca.Leaf({});
  REQUIRE(static_cast<unsigned char>(der[1]) == 0x82);  // SEQUENCE, two length octets
  CHECK(f.RunDer(der.substr(0, der.size() - 1)) == "sigstore.bundle.certificate");
  CHECK(f.RunDer(der.substr(0, 200)) == "sigstore.bundle.certificate");
  CHECK(f.RunDer(der + std::string(1, '\0')) == "sigstore.bundle.certificate");
  // The same length with a redundant leading zero octet (BER, not DER).
  CHECK(f.RunDer(der.substr(0, 1) + "\x83" + std::string(1, '\0') + der.substr(2)) ==
        "sigstore.bundle.certificate");
  // An inner length in long form although below 128: the version field [0] 03 -> [0] 81 03,
  // the enclosing certificate and TBSCertificate lengths grown to match.
  const size_t tbs = 4, version = tbs + 4;
  REQUIRE(static_cast<unsigned char>(der[tbs + 1]) == 0x82);
  REQUIRE(static_cast<unsigned char>(der[version]) == 0xa0);
  auto grow = [](std::string* d, size_t at) {
    const unsigned v =
        (static_cast<unsigned char>((*d)[at]) << 8 | static_cast<unsigned char>((*d)[at + 1])) + 1;
    (*d)[at] = static_cast<char>(v >> 8);
    (*d)[at + 1] = static_cast<char>(v & 0xff);
  };
  std::string longer = der;
  longer.insert(version + 1, "\x81");
  grow(&longer, 2);
  grow(&longer, tbs + 2);
  CHECK(f.RunDer(longer) == "sigstore.bundle.certificate");
}

TEST_CASE("leaf: a wrong issuer name or signing key does not chain", "[sigstore]") {
  Fixture f;
  LeafSpec other_name;
  other_name.issuer_cn = "another-ca";
  CHECK(f.Run(other_name) == "sigstore.cert.chain");
  testing_log::Key stranger = testing_log::NewP256();
  LeafSpec other_key;
  other_key.sign_with = stranger.get();
  CHECK(f.Run(other_key) == "sigstore.cert.chain");
  std::string der = f.ca.Leaf({});
  der[der.size() - 10] ^= 0x01;  // inside the ECDSA signature's s
  CHECK(f.RunDer(der) == "sigstore.cert.chain");
}

TEST_CASE("leaf: expired or not yet valid at the signing time", "[sigstore]") {
  Fixture f;
  LeafSpec expired;
  expired.not_before = 1700000000 - 1200;
  expired.not_after = 1700000000 - 1;
  CHECK(f.Run(expired) == "sigstore.cert.validity");
  LeafSpec future;
  future.not_before = 1700000000 + 1;
  future.not_after = 1700000000 + 600;
  CHECK(f.Run(future) == "sigstore.cert.validity");
  LeafSpec edge;  // closed interval: a signing time on notAfter is inside
  edge.not_after = 1700000000;
  CHECK(f.Run(edge).empty());
}

TEST_CASE("leaf: unknown critical and duplicated extensions", "[sigstore]") {
  Fixture f;
  LeafSpec unknown;
  unknown.extra.push_back({"1.3.6.1.4.1.99999.1", true, testing_log::Tlv(0x05, "")});
  CHECK(f.Run(unknown) == "sigstore.cert.critical_extension");
  LeafSpec noncritical = unknown;
  noncritical.extra[0].critical = false;
  CHECK(f.Run(noncritical).empty());
  LeafSpec duplicate;
  duplicate.extra.push_back({"1.3.6.1.4.1.57264.1.8", false, testing_log::Tlv(0x0c, "x")});
  CHECK(f.Run(duplicate) == "sigstore.bundle.certificate");
  LeafSpec proxy;
  proxy.extra.push_back({"1.3.6.1.5.5.7.1.14", false, testing_log::Tlv(0x30, "")});
  CHECK(f.Run(proxy) == "sigstore.bundle.certificate");
}

TEST_CASE("leaf: SAN list bounds, usage and SCT", "[sigstore]") {
  Fixture f;
  LeafSpec many;
  many.san_uris.assign(17, testing_log::kTestIdentity);
  CHECK(f.Run(many) == "sigstore.bundle.too_many");
  LeafSpec two;
  two.san_uris.push_back("https://other.test/");
  CHECK(f.Run(two) == "sigstore.identity.san");
  LeafSpec ca;
  ca.ca = true;
  CHECK(f.Run(ca) == "sigstore.cert.usage");
  LeafSpec no_eku;
  no_eku.code_signing = false;
  CHECK(f.Run(no_eku) == "sigstore.cert.usage");
  LeafSpec no_sct;
  no_sct.sct = false;
  CHECK(f.Run(no_sct) == "sigstore.sct.missing");
  LeafSpec prefix;  // an identity that is a prefix of the certificate's does not match
  f.policy.identity = std::string(testing_log::kTestIdentity).substr(0, 20);
  CHECK(f.Run(prefix) == "sigstore.identity.mismatch");
}

// Extensions the unmodified test leaf carries (counted by OpenSSL, independently of our parser).
int BaseExtensionCount(const TestCa& ca) {
  const std::string der = ca.Leaf(LeafSpec{});
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  REQUIRE(x != nullptr);
  const int n = X509_get_ext_count(x);
  X509_free(x);
  return n;
}

TEST_CASE("leaf: at most kMaxCertExtensions extensions", "[sigstore][limits]") {
  Fixture f;
  const int base = BaseExtensionCount(f.ca);
  REQUIRE(base < static_cast<int>(limits::kMaxCertExtensions));
  LeafSpec at_limit;
  for (int i = base; i < static_cast<int>(limits::kMaxCertExtensions); ++i) {
    at_limit.extra.push_back(
        {"1.3.6.1.4.1.99999.2." + std::to_string(i), false, testing_log::Tlv(0x05, "")});
  }
  CHECK(f.Run(at_limit).empty());  // exactly the limit: verified
  LeafSpec past = at_limit;
  past.extra.push_back({"1.3.6.1.4.1.99999.3", false, testing_log::Tlv(0x05, "")});
  CHECK(f.Run(past) == "sigstore.bundle.too_many");
}

}  // namespace
}  // namespace provbadge::verifier
