// OMS completeness: shard and BLAKE2b signatures, protected files under ignore_paths, shard
// layout, hostile names and hub-known digests — each negative fails with its own finding.
#include <catch2/catch.hpp>

#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/oms_sign.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::Codes;
using testing::FindCode;
using testing::HasCode;
using testing::MemorySource;
using Files = std::map<std::string, std::string>;

testing::TestKey& Key() {
  static testing::TestKey key = testing::GenerateKey();
  return key;
}

MemorySource Model() {
  return MemorySource(Files{{"model.safetensors", "0123456789abcdefghij"},
                            {"tokenizer.json", "{\"vocab\":1}"},
                            {"config.json", "{}"},
                            {"README.md", "# model"}});
}

Report Verify(MemorySource& source, const std::string& bundle, OmsOptions options = {}) {
  Report report;
  VerifyOmsKey(source, bundle, *Key().pub, options, &report);
  return report;
}

Finding ExpectFailure(const Report& report, const std::string& code) {
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kFailed);
  const Finding* f = FindCode(report, code);
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kError);
  return *f;
}

std::string SignShards(MemorySource& source, HashAlgorithm hash, uint64_t shard_size) {
  OmsSignOptions options;
  options.serialization.shards = true;
  options.serialization.hash = hash;
  options.serialization.shard_size = shard_size;
  auto bundle = SignOmsKeyWithOptions(source, Key().private_pem, "m", options);
  REQUIRE(bundle.ok());
  return *bundle;
}

// A signed statement over explicit (name, digest) resources with the right subject digest.
std::string Signed(const std::vector<std::pair<std::string, std::string>>& resources,
                   json serialization) {
  json list = json::array();
  std::string concat;
  for (const auto& [name, digest] : resources) {
    list.push_back({{"name", name}, {"algorithm", serialization["hash_type"]}, {"digest", digest}});
    concat += *HexDecode(digest);
  }
  json st = {{"_type", "https://in-toto.io/Statement/v1"},
             {"subject", {{{"name", "m"}, {"digest", {{"sha256", Sha256Hex(concat)}}}}}},
             {"predicateType", "https://model_signing/signature/v1.0"},
             {"predicate", {{"resources", list}, {"serialization", serialization}}}};
  return testing::MakeBundle(Key(), st.dump());
}

json Shards(uint64_t size) {
  return {{"method", "shards"}, {"hash_type", "sha256"}, {"shard_size", size}};
}

TEST_CASE("Shard-mode signatures verify in sha256 and blake2b, and catch every tampering") {
  for (HashAlgorithm hash : {HashAlgorithm::kSha256, HashAlgorithm::kBlake2b}) {
    INFO(HashAlgorithmName(hash));
    MemorySource source = Model();
    const std::string bundle = SignShards(source, hash, 8);
    {
      Report ok = Verify(source, bundle);
      INFO(Codes(ok));
      CHECK(ok.verdict == Verdict::kVerified);
      CHECK(HasCode(ok, "digest.summary"));
    }
    SECTION("changed") {
      source.Set("model.safetensors", "0123456789abcdefghiJ");
      CHECK(ExpectFailure(Verify(source, bundle), "oms.file_changed").path ==
            "model.safetensors:16:20");
    }
    SECTION("extra") {
      source.Set("modeling.py", "import os");
      CHECK(ExpectFailure(Verify(source, bundle), "oms.file_extra").path == "modeling.py");
    }
    SECTION("missing") {
      source.Remove("config.json");
      CHECK(ExpectFailure(Verify(source, bundle), "oms.file_missing").path == "config.json");
    }
    SECTION("renamed") {
      source.Set("weights.safetensors", source.Get("model.safetensors"));
      source.Remove("model.safetensors");
      Finding f = ExpectFailure(Verify(source, bundle), "oms.file_renamed");
      CHECK(f.expected == "model.safetensors");
      CHECK(f.actual == "weights.safetensors");
    }
  }
}

TEST_CASE("BLAKE2b files-mode signatures verify; blake3 is reported and never verified") {
  MemorySource source = Model();
  OmsSignOptions options;
  options.serialization.hash = HashAlgorithm::kBlake2b;
  auto bundle = SignOmsKeyWithOptions(source, Key().private_pem, "m", options);
  REQUIRE(bundle.ok());
  CHECK(Verify(source, *bundle).verdict == Verdict::kVerified);
  source.Set("config.json", "{\"x\":1}");
  ExpectFailure(Verify(source, *bundle), "oms.file_changed");

  MemorySource one(Files{{"a", "x"}});
  std::string blake3 =
      Signed({{"a", std::string(64, '0')}}, {{"method", "files"}, {"hash_type", "blake3"}});
  Finding f = ExpectFailure(Verify(one, blake3), "oms.hash_unsupported");
  CHECK(f.message.find("BLAKE3") != std::string::npos);
}

TEST_CASE("ignore_paths can never leave weights, tokenizer, config or code unsigned") {
  for (const std::string name :
       {"model.safetensors", "sub/model.gguf", "pytorch_model.bin", "tokenizer.json",
        "tokenizer_config.json", "tokenizer.model", "vocab.txt", "merges.txt",
        "special_tokens_map.json", "config.json", "generation_config.json", "modeling_x.py",
        "chat_template.jinja", "o200k.tiktoken", "model.safetensors.index.json", "Model.PT"}) {
    INFO(name);
    MemorySource source(Files{{"a", "signed"}, {name, "unsigned"}});
    json ser = {
        {"method", "files"}, {"hash_type", "sha256"}, {"ignore_paths", json::array({name})}};
    Finding f = ExpectFailure(Verify(source, Signed({{"a", Sha256Hex("signed")}}, ser)),
                              "oms.ignore_protected");
    CHECK(f.path == name);
  }
  // A directory entry covering a weight is capped the same way.
  MemorySource source(Files{{"a", "signed"}, {"extra/w.safetensors", "x"}});
  json ser = {
      {"method", "files"}, {"hash_type", "sha256"}, {"ignore_paths", json::array({"extra"})}};
  ExpectFailure(Verify(source, Signed({{"a", Sha256Hex("signed")}}, ser)), "oms.ignore_protected");
  // Other files may be left out by the signer (an info finding, still verified).
  MemorySource docs(Files{{"a", "signed"}, {"README.md", "x"}, {"assets/logo.png", "p"}});
  json ok = {
      {"method", "files"}, {"hash_type", "sha256"}, {"ignore_paths", {"README.md", "assets"}}};
  Report report = Verify(docs, Signed({{"a", Sha256Hex("signed")}}, ok));
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
  CHECK(HasCode(report, "oms.file_ignored"));
}

TEST_CASE("Shard layout: overlaps, gaps and misaligned shards fail") {
  MemorySource source(Files{{"w.bin", "0123456789abcdef"}});  // 16 bytes, shard size 8
  const std::string a = Sha256Hex("01234567"), b = Sha256Hex("89abcdef");
  SECTION("the honest layout verifies") {
    Report report = Verify(source, Signed({{"w.bin:0:8", a}, {"w.bin:8:16", b}}, Shards(8)));
    INFO(Codes(report));
    CHECK(report.verdict == Verdict::kVerified);
  }
  SECTION("resources in another order still verify (no order is enforced)") {
    Report report = Verify(source, Signed({{"w.bin:8:16", b}, {"w.bin:0:8", a}}, Shards(8)));
    CHECK(report.verdict == Verdict::kVerified);
  }
  SECTION("overlap") {
    ExpectFailure(
        Verify(source,
               Signed({{"w.bin:0:8", a}, {"w.bin:4:12", Sha256Hex("456789ab")}, {"w.bin:8:16", b}},
                      Shards(8))),
        "oms.shard_overlap");
  }
  SECTION("gap") {
    ExpectFailure(Verify(source, Signed({{"w.bin:8:16", b}}, Shards(8))), "oms.shard_gap");
  }
  SECTION("misaligned") {
    ExpectFailure(
        Verify(source, Signed({{"w.bin:0:16", Sha256Hex("0123456789abcdef")}}, Shards(8))),
        "oms.shard_misaligned");
  }
  SECTION("the file is longer than its signed shards") {
    Finding f =
        ExpectFailure(Verify(source, Signed({{"w.bin:0:8", a}}, Shards(8))), "oms.file_changed");
    CHECK(f.actual == "16 bytes");
  }
  SECTION("malformed shard names") {
    for (const std::string name : {"w.bin", "w.bin:8", "w.bin:x:8", "w.bin:8:0", "w.bin:-0:8",
                                   "w.bin:0:99999999999999999999999"}) {
      INFO(name);
      ExpectFailure(Verify(source, Signed({{name, a}}, Shards(8))), "oms.shard_name_invalid");
    }
  }
  SECTION("a float shard size as Python writes it is accepted, a fractional one is not") {
    json ser = Shards(8);
    ser["shard_size"] = 8.0;
    CHECK(Verify(source, Signed({{"w.bin:0:8", a}, {"w.bin:8:16", b}}, ser)).verdict ==
          Verdict::kVerified);
    ser["shard_size"] = 8.5;
    ExpectFailure(Verify(source, Signed({{"w.bin:0:8", a}}, ser)), "statement.malformed");
  }
}

TEST_CASE("Paths with ':' are parsed from the right; hostile names never reach a file") {
  MemorySource source(Files{{"a:b/c:d.bin", "12345678"}});
  Report report = Verify(source, Signed({{"a:b/c:d.bin:0:8", Sha256Hex("12345678")}}, Shards(8)));
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
  for (const std::string name : {"../w.bin:0:8", "/etc/passwd:0:8", "a/./b:0:8", "a//b:0:8"}) {
    INFO(name);
    ExpectFailure(Verify(source, Signed({{name, Sha256Hex("12345678")}}, Shards(8))),
                  "oms.resource_name_invalid");
  }
  json files = {{"method", "files"}, {"hash_type", "sha256"}};
  ExpectFailure(Verify(source, Signed({{"../x", Sha256Hex("1")}}, files)),
                "oms.resource_name_invalid");
  ExpectFailure(Verify(source, Signed({{std::string("a\0b", 3), Sha256Hex("1")}}, files)),
                "oms.resource_name_invalid");
}

TEST_CASE("A symlink fails unless the signature allows it") {
  MemorySource source(Files{{"a", "x"}, {"link", "x"}});
  source.MarkSymlink("link");
  json files = {{"method", "files"}, {"hash_type", "sha256"}};
  ExpectFailure(Verify(source, Signed({{"a", Sha256Hex("x")}, {"link", Sha256Hex("x")}}, files)),
                "oms.symlink_not_allowed");
}

TEST_CASE("Unknown predicate and serialization fields are ignored") {
  MemorySource source(Files{{"a", "x"}});
  json st = testing::MakeStatement({{"a", "x"}});
  st["predicate"]["future"] = {{"anything", 1}};
  st["predicate"]["serialization"]["future_knob"] = true;
  Report report = Verify(source, testing::MakeBundle(Key(), st.dump()));
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
}

TEST_CASE("OMS verification takes or re-reads hub-known digests per the rehash mode") {
  MemorySource source = Model();
  auto bundle = SignOmsKey(source, Key().private_pem, "m", {});
  REQUIRE(bundle.ok());
  // The hub claims a wrong sha256 for the weights.
  source.SetKnownSha256("model.safetensors", std::string(64, 'c'));
  OmsOptions options;
  options.rehash = RehashMode::kNever;
  Report never = Verify(source, *bundle, options);
  CHECK(FindCode(never, "oms.file_changed") != nullptr);  // the hub's digest was taken
  const Finding* summary = FindCode(never, "digest.summary");
  REQUIRE(summary != nullptr);
  CHECK(summary->message.find("1 hub-known sha256 taken") != std::string::npos);
  CHECK(summary->message.find("model.safetensors") != std::string::npos);
  options.rehash = RehashMode::kAlways;
  Report always = Verify(source, *bundle, options);
  Finding f = ExpectFailure(always, "oms.known_digest_mismatch");
  CHECK(f.path == "model.safetensors");
  CHECK(f.expected == std::string(64, 'c'));
  CHECK_FALSE(HasCode(always, "oms.file_changed"));  // the bytes themselves are as signed
}

}  // namespace
}  // namespace provbadge::verifier
