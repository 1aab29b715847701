// Every tampering with a signed model, and every hostile bundle, fails with its own finding.
#include <catch2/catch.hpp>

#include "provbadge/verifier/oms.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::Codes;
using testing::FindCode;
using testing::HasCode;
using testing::LoadFolder;
using testing::MakeBundle;
using testing::MakeStatement;
using testing::ReadFileBytes;
using testing::SignedModel;
using testing::VectorKey;

constexpr char kSignme1Digest[] =
    "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc";
constexpr char kSignme2Digest[] =
    "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028";

Report Verify(testing::MemorySource& source, const std::string& bundle, const PublicKey& key,
              OmsOptions options = {}) {
  Report report;
  VerifyOmsKey(source, bundle, key, options, &report);
  return report;
}

// The v1.1.0 elliptic-key model (hint, two signed files, signer-ignored ignore-me).
testing::MemorySource V110() { return LoadFolder(SignedModel("v1.1.0-elliptic-key")); }
std::string V110Bundle() { return ReadFileBytes(SignedModel("v1.1.0-elliptic-key/model.sig")); }

// Expects a failed verdict carrying `code`; returns that finding.
Finding ExpectFailure(const Report& report, const std::string& code) {
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kFailed);
  const Finding* f = FindCode(report, code);
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kError);
  return *f;
}

TEST_CASE("Baseline: the untouched v1.1.0 model verifies") {
  testing::MemorySource source = V110();
  CHECK(Verify(source, V110Bundle(), *VectorKey()).verdict == Verdict::kVerified);
}

TEST_CASE("A changed file fails with oms.file_changed naming both digests") {
  testing::MemorySource source = V110();
  source.Set("signme-1", "tampered weights");
  Finding f = ExpectFailure(Verify(source, V110Bundle(), *VectorKey()), "oms.file_changed");
  CHECK(f.path == "signme-1");
  CHECK(f.expected == kSignme1Digest);
  CHECK(f.actual == Sha256Hex("tampered weights"));
}

TEST_CASE("A hub-known sha256 is used instead of re-reading the file (rehash never)") {
  testing::MemorySource source = V110();
  source.SetKnownSha256("signme-2", std::string(64, 'a'));
  OmsOptions options;
  options.rehash = RehashMode::kNever;
  Finding f =
      ExpectFailure(Verify(source, V110Bundle(), *VectorKey(), options), "oms.file_changed");
  CHECK(f.actual == std::string(64, 'a'));
}

TEST_CASE("An extra file fails with oms.file_extra") {
  testing::MemorySource source = V110();
  source.Set("sub/backdoor.py", "import os");
  Finding f = ExpectFailure(Verify(source, V110Bundle(), *VectorKey()), "oms.file_extra");
  CHECK(f.path == "sub/backdoor.py");
  CHECK(f.actual == Sha256Hex("import os"));
}

TEST_CASE("A missing file fails with oms.file_missing") {
  testing::MemorySource source = V110();
  source.Remove("signme-2");
  Finding f = ExpectFailure(Verify(source, V110Bundle(), *VectorKey()), "oms.file_missing");
  CHECK(f.path == "signme-2");
  CHECK(f.expected == kSignme2Digest);
}

TEST_CASE("A renamed file fails with oms.file_renamed") {
  testing::MemorySource source = V110();
  std::string content = source.Get("signme-2");
  source.Remove("signme-2");
  source.Set("renamed", content);
  Report report = Verify(source, V110Bundle(), *VectorKey());
  Finding f = ExpectFailure(report, "oms.file_renamed");
  CHECK(f.expected == "signme-2");
  CHECK(f.actual == "renamed");
  CHECK_FALSE(HasCode(report, "oms.file_missing"));
  CHECK_FALSE(HasCode(report, "oms.file_extra"));
}

TEST_CASE("Caller and default ignore paths, a directory ignoring its subtree") {
  testing::MemorySource source = V110();
  source.Set(".git/config", "x");
  source.Set(".gitattributes", "x");
  source.Set(".github/workflows/ci.yml", "x");
  source.Set("scratch/a/b.txt", "x");
  OmsOptions options;
  options.ignore_paths = {"scratch/"};
  CHECK(Verify(source, V110Bundle(), *VectorKey(), options).verdict == Verdict::kVerified);
  // Not ignored when nested: only the top-level .gitignore is a default.
  source.Set("sub/.gitignore", "x");
  ExpectFailure(Verify(source, V110Bundle(), *VectorKey(), options), "oms.file_extra");
}

TEST_CASE("A wrong key fails: hint mismatch for hint bundles, invalid signature for rawBytes") {
  testing::TestKey wrong = testing::GenerateKey("P-256");
  testing::MemorySource v110 = V110();
  ExpectFailure(Verify(v110, V110Bundle(), *wrong.pub), "oms.hint_mismatch");
  testing::MemorySource v101 = LoadFolder(SignedModel("v1.0.1-elliptic-key"));
  OmsOptions options;
  options.ignore_paths = {"ignore-me"};
  Report report = Verify(v101, ReadFileBytes(SignedModel("v1.0.1-elliptic-key/model.sig")),
                         *wrong.pub, options);
  ExpectFailure(report, "oms.signature_invalid");
  CHECK_FALSE(HasCode(report, "oms.file_changed"));  // files are never compared unsigned
}

TEST_CASE("An altered payload fails with oms.signature_invalid") {
  json bundle = json::parse(V110Bundle());
  auto payload = Base64Decode(bundle["dsseEnvelope"]["payload"].get<std::string>());
  REQUIRE(payload.ok());
  std::string altered = *payload;
  size_t pos = altered.find(kSignme1Digest);
  REQUIRE(pos != std::string::npos);
  altered[pos] = altered[pos] == 'b' ? 'c' : 'b';
  bundle["dsseEnvelope"]["payload"] = Base64Encode(altered);
  testing::MemorySource source = V110();
  ExpectFailure(Verify(source, bundle.dump(), *VectorKey()), "oms.signature_invalid");
}

TEST_CASE("A changed hint with the right key fails with oms.hint_mismatch") {
  json bundle = json::parse(V110Bundle());
  bundle["verificationMaterial"]["publicKey"]["hint"] = std::string(64, '0');
  testing::MemorySource source = V110();
  Finding f = ExpectFailure(Verify(source, bundle.dump(), *VectorKey()), "oms.hint_mismatch");
  CHECK(f.expected == VectorKey()->pem_hint());
  CHECK(f.actual == std::string(64, '0'));
}

TEST_CASE("The alternative bundle media type spelling is accepted, others are not") {
  json bundle = json::parse(V110Bundle());
  testing::MemorySource source = V110();
  bundle["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.3";
  CHECK(Verify(source, bundle.dump(), *VectorKey()).verdict == Verdict::kVerified);
  bundle["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.2+json";
  ExpectFailure(Verify(source, bundle.dump(), *VectorKey()), "bundle.media_type_unsupported");
  bundle["mediaType"] = 3;
  ExpectFailure(Verify(source, bundle.dump(), *VectorKey()), "bundle.media_type_unsupported");
}

TEST_CASE("Malformed, truncated, empty and wrongly typed bundles fail cleanly") {
  testing::MemorySource source = V110();
  std::string good = V110Bundle();
  const PublicKey& key = *VectorKey();
  ExpectFailure(Verify(source, "", key), "bundle.malformed");
  ExpectFailure(Verify(source, "{", key), "bundle.malformed");
  ExpectFailure(Verify(source, "null", key), "bundle.malformed");
  ExpectFailure(Verify(source, good.substr(0, good.size() / 2), key), "bundle.malformed");
  ExpectFailure(Verify(source, std::string(1, '\0'), key), "bundle.malformed");
  auto mutate = [&](auto&& edit) {
    json b = json::parse(good);
    edit(b);
    return Verify(source, b.dump(), key);
  };
  ExpectFailure(mutate([](json& b) { b["verificationMaterial"] = json::array(); }),
                "bundle.malformed");
  ExpectFailure(mutate([](json& b) {
                  b["verificationMaterial"]["publicKey"] = {{"hint", 5}};
                }),
                "bundle.malformed");
  ExpectFailure(mutate([](json& b) { b["dsseEnvelope"] = "x"; }), "bundle.malformed");
  ExpectFailure(mutate([](json& b) { b["dsseEnvelope"]["payloadType"] = "text/plain"; }),
                "dsse.payload_type");
  ExpectFailure(mutate([](json& b) { b["dsseEnvelope"]["payload"] = "!!not base64!!"; }),
                "dsse.malformed");
  ExpectFailure(mutate([](json& b) { b["dsseEnvelope"]["payload"] = 42; }), "dsse.malformed");
  ExpectFailure(mutate([](json& b) { b["dsseEnvelope"]["signatures"] = json::array(); }),
                "dsse.no_signatures");
  ExpectFailure(mutate([](json& b) { b["dsseEnvelope"]["signatures"][0]["sig"] = 7; }),
                "dsse.malformed");
  ExpectFailure(mutate([](json& b) {
                  b.erase("dsseEnvelope");
                  b["messageSignature"] = json::object();
                }),
                "bundle.content_unsupported");
}

TEST_CASE("Hostile sizes and depths are rejected with their own findings") {
  testing::MemorySource source = V110();
  const PublicKey& key = *VectorKey();
  ExpectFailure(Verify(source, std::string(10000, '[') + std::string(10000, ']'), key),
                "bundle.too_deep");
  ExpectFailure(Verify(source, std::string(17u << 20, ' '), key), "bundle.too_large");
  json b = json::parse(V110Bundle());
  json sig = b["dsseEnvelope"]["signatures"][0];
  b["dsseEnvelope"]["signatures"] = json::array();
  for (int i = 0; i < 17; ++i) b["dsseEnvelope"]["signatures"].push_back(sig);
  ExpectFailure(Verify(source, b.dump(), key), "dsse.too_many_signatures");
  b = json::parse(V110Bundle());
  b["dsseEnvelope"]["payload"] = std::string(12u << 20, 'A');
  ExpectFailure(Verify(source, b.dump(), key), "dsse.payload_too_large");
}

// Statements signed by a throwaway key: the signature verifies, the content is wrong.
struct SignedCase {
  testing::TestKey key = testing::GenerateKey();
  testing::MemorySource source{{{"a.bin", "alpha"}, {"dir/b.bin", "beta"}}};
  json statement = MakeStatement({{"a.bin", "alpha"}, {"dir/b.bin", "beta"}});
  Report Run() { return Verify(source, MakeBundle(key, statement.dump()), *key.pub); }
};

TEST_CASE("A correctly signed hand-made statement verifies") {
  SignedCase c;
  CHECK(c.Run().verdict == Verdict::kVerified);
}

TEST_CASE("Signed statements with wrong content fail with their own findings") {
  SignedCase c;
  SECTION("wrong predicateType") {
    c.statement["predicateType"] = "https://example.com/wrong-predicate/v1.0";
    Finding f = ExpectFailure(c.Run(), "statement.predicate_type");
    CHECK(f.actual == "https://example.com/wrong-predicate/v1.0");
  }
  SECTION("wrong _type") {
    c.statement["_type"] = "https://in-toto.io/Statement/v0.1";
    ExpectFailure(c.Run(), "statement.type_unsupported");
  }
  SECTION("two subjects") {
    c.statement["subject"].push_back(c.statement["subject"][0]);
    ExpectFailure(c.Run(), "statement.subject_count");
  }
  SECTION("subject digest mismatch") {
    c.statement["subject"][0]["digest"]["sha256"] = Sha256Hex("other");
    ExpectFailure(c.Run(), "oms.subject_digest_mismatch");
  }
  SECTION("resources reordered change the subject digest") {
    std::swap(c.statement["predicate"]["resources"][0], c.statement["predicate"]["resources"][1]);
    ExpectFailure(c.Run(), "oms.subject_digest_mismatch");
  }
  SECTION("an unknown method is unsupported") {
    c.statement["predicate"]["serialization"]["method"] = "tree";
    ExpectFailure(c.Run(), "oms.method_unsupported");
  }
  SECTION("blake3 is unsupported") {
    c.statement["predicate"]["serialization"]["hash_type"] = "blake3";
    ExpectFailure(c.Run(), "oms.hash_unsupported");
  }
  SECTION("resource algorithm other than sha256 is unsupported") {
    c.statement["predicate"]["resources"][0]["algorithm"] = "blake3";
    ExpectFailure(c.Run(), "oms.hash_unsupported");
  }
  SECTION("resources of the wrong type") {
    c.statement["predicate"]["resources"] = "a.bin";
    ExpectFailure(c.Run(), "statement.malformed");
  }
  SECTION("digest not hex") {
    c.statement["predicate"]["resources"][0]["digest"] = "xyz";
    ExpectFailure(c.Run(), "statement.malformed");
  }
  SECTION("payload not JSON") {
    Report r = Verify(c.source, MakeBundle(c.key, "not json"), *c.key.pub);
    ExpectFailure(r, "statement.malformed");
  }
  SECTION("deeply nested payload") {
    c.statement["predicate"]["extra"] = json::parse(std::string(200, '[') + std::string(200, ']'));
    ExpectFailure(c.Run(), "statement.too_deep");
  }
  SECTION("duplicate resource names") {
    c.statement = MakeStatement({{"a.bin", "alpha"}, {"a.bin", "alpha"}});
    ExpectFailure(c.Run(), "oms.resource_duplicate");
  }
  SECTION("too many resources") {
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 0; i < 50001; ++i) files.emplace_back("f" + std::to_string(i), "");
    c.statement = MakeStatement(files);
    ExpectFailure(c.Run(), "statement.too_many_resources");
  }
  SECTION("too many ignore paths") {
    c.statement["predicate"]["serialization"]["ignore_paths"] = std::vector<std::string>(1025, "x");
    ExpectFailure(c.Run(), "statement.too_many_ignore_paths");
  }
  SECTION("symlink present without allow_symlinks") {
    c.source.MarkSymlink("a.bin");
    ExpectFailure(c.Run(), "oms.symlink_not_allowed");
  }
  SECTION("listing the revision fails") {
    c.source.FailListing(Unavailable("hub mirror offline"));
    ExpectFailure(c.Run(), "source.unavailable");
  }
}

TEST_CASE("Resource names must be POSIX relative paths") {
  for (const char* name : {"../escape", "/etc/passwd", "a/../../b", "a//b", "a/", "./a", ".", ""}) {
    INFO(name);
    SignedCase c;
    c.source.Set(name[0] == '\0' ? "x" : name, "alpha");
    c.statement = MakeStatement({{name, "alpha"}, {"dir/b.bin", "beta"}});
    ExpectFailure(c.Run(), "oms.resource_name_invalid");
  }
  SignedCase nul;
  nul.statement = MakeStatement({{std::string("a\0b", 3), "alpha"}, {"dir/b.bin", "beta"}});
  ExpectFailure(nul.Run(), "oms.resource_name_invalid");
}

TEST_CASE("A single-file '.' resource matches only a single-file revision") {
  testing::TestKey key = testing::GenerateKey();
  std::string bundle = MakeBundle(key, MakeStatement({{".", "weights"}}).dump());
  testing::MemorySource one{{{"model.bin", "weights"}, {"model.sig", "{}"}}};
  CHECK(Verify(one, bundle, *key.pub).verdict == Verdict::kVerified);
  testing::MemorySource changed{{{"model.bin", "other"}}};
  ExpectFailure(Verify(changed, bundle, *key.pub), "oms.file_changed");
  testing::MemorySource two{{{"model.bin", "weights"}, {"extra.bin", "x"}}};
  ExpectFailure(Verify(two, bundle, *key.pub), "oms.file_extra");
}

}  // namespace
}  // namespace provbadge::verifier
