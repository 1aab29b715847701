// model_signing's golden manifests and payloads, regenerated from fixture trees built here
// (contents from shared/vectors/model-signing/SOURCE.md): every manifest line, every subject
// digest, and every payload verifying (signed with a throwaway key) against its tree.
#include <catch2/catch.hpp>

#include <filesystem>

#include "provbadge/verifier/manifest.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/oms_manifest.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using testing::MemorySource;
using testing::OmsDir;
using testing::ReadFileBytes;

// One fixture tree: the source, and the file name when the model is a single file.
struct Fixture {
  MemorySource source;
  std::string single;  // non-empty: a single-file model
  bool symlinks = false;
};

Fixture MakeFixture(const std::string& name) {
  Fixture fx;
  if (name == "sample_model_file") {
    fx.source.Set("model_file", "This is a simple model");
    fx.single = "model_file";
  } else if (name == "empty_model_file") {
    fx.source.Set("model_file", "");
    fx.single = "model_file";
  } else if (name == "sample_model_folder") {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) {
        std::string f = "f" + std::to_string(i) + std::to_string(j);
        std::string d = "d" + std::to_string(i);
        fx.source.Set(d + "/" + f, "This is file " + f + " in " + d + ".");
      }
    }
    for (int i = 0; i < 4; ++i) {
      std::string f = "f" + std::to_string(i);
      fx.source.Set(f, "This is file " + f + " in root.");
    }
  } else if (name == "deep_model_folder") {
    for (int i = 0; i < 4; ++i) {
      std::string f = "f" + std::to_string(i);
      fx.source.Set("d0/d1/d2/d3/d4/" + f, "This is file " + f + ".");
    }
  } else if (name == "model_folder_with_empty_file") {
    fx.source.Set("empty_file", "");
  } else if (name == "symlink_model_folder") {
    // A link to a file outside the model: hashed as its target's content.
    fx.source.Set("symlink_file", "This is a simple model");
    fx.source.MarkSymlink("symlink_file");
    fx.symlinks = true;
  } else {
    REQUIRE(name == "empty_model_folder");
  }
  return fx;
}

constexpr const char* kFixtures[] = {"sample_model_file",           "empty_model_file",
                                     "sample_model_folder",         "deep_model_folder",
                                     "empty_model_folder",          "symlink_model_folder",
                                     "model_folder_with_empty_file"};

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<OmsManifestItem> Serialize(Fixture& fx, const OmsSerialization& ser) {
  Manifest manifest(fx.source, ManifestOptions{RehashMode::kAlways, 2});
  auto items = SerializeOms(manifest, ser, {}, fx.single);
  REQUIRE(items.ok());
  return *items;
}

OmsSerialization SerializationFor(bool shards, uint64_t shard_size, bool symlinks) {
  OmsSerialization ser;
  ser.shards = shards;
  ser.shard_size = shard_size;
  ser.allow_symlinks = symlinks;
  return ser;
}

TEST_CASE("All 21 golden manifests are regenerated exactly") {
  const std::string dir = OmsDir() + "/golden/serialization/";
  int checked = 0;
  for (const char* name : kFixtures) {
    struct Variant {
      std::string file;
      bool shards;
      uint64_t shard_size;
    };
    std::vector<Variant> variants = {{dir + "file/" + name, false, kDefaultShardSize},
                                     {dir + "file_shard/" + name, true, kDefaultShardSize},
                                     {dir + "file_shard/" + name + "_small_shards", true, 8}};
    for (const Variant& v : variants) {
      INFO(v.file);
      REQUIRE(std::filesystem::exists(v.file));
      Fixture fx = MakeFixture(name);
      auto items = Serialize(fx, SerializationFor(v.shards, v.shard_size, fx.symlinks));
      CHECK(Trimmed(ManifestLines(items)) == Trimmed(ReadFileBytes(v.file)));
      ++checked;
    }
  }
  CHECK(checked == 21);
}

TEST_CASE("All 21 golden payloads: subject digests recomputed, and each verifies on its tree") {
  const std::string dir = OmsDir() + "/golden/payload/";
  testing::TestKey key = testing::GenerateKey();
  int checked = 0;
  for (const char* name : kFixtures) {
    for (const std::string suffix : {"", "_shard", "_small_shards"}) {
      const std::string file = dir + name + suffix + ".json";
      INFO(file);
      const std::string payload = ReadFileBytes(file);
      REQUIRE(!payload.empty());
      auto statement = nlohmann::json::parse(payload);
      Fixture fx = MakeFixture(name);
      const bool shards = !suffix.empty();
      auto items = Serialize(
          fx,
          SerializationFor(shards, suffix == "_small_shards" ? 8 : kDefaultShardSize, fx.symlinks));
      // Our order and digests give the producer's subject digest byte for byte.
      CHECK(OmsRootDigest(items) == statement["subject"][0]["digest"]["sha256"]);
      REQUIRE(statement["predicate"]["resources"].size() == items.size());
      for (size_t i = 0; i < items.size(); ++i) {
        CHECK(statement["predicate"]["resources"][i]["name"] == items[i].name);
        CHECK(statement["predicate"]["resources"][i]["digest"] == items[i].digest);
      }
      // The payload as signed by its producer verifies against the tree (float shard_size,
      // "sha256-sharded-N" labels, "." names, symlinks allowed).
      Report report;
      VerifyOmsKey(fx.source, testing::MakeBundle(key, payload), *key.pub, OmsOptions{}, &report);
      INFO(testing::Codes(report));
      CHECK(report.verdict == Verdict::kVerified);
      ++checked;
    }
  }
  CHECK(checked == 21);
}

TEST_CASE("A golden payload fails when its tree is changed") {
  testing::TestKey key = testing::GenerateKey();
  const std::string payload =
      ReadFileBytes(OmsDir() + "/golden/payload/sample_model_folder_small_shards.json");
  SECTION("one byte of one shard") {
    Fixture fx = MakeFixture("sample_model_folder");
    fx.source.Set("d1/f11", "This is file f11 in d1!");
    Report report;
    VerifyOmsKey(fx.source, testing::MakeBundle(key, payload), *key.pub, OmsOptions{}, &report);
    CHECK(report.verdict == Verdict::kFailed);
    const Finding* f = testing::FindCode(report, "oms.file_changed");
    REQUIRE(f != nullptr);
    CHECK(f->path == "d1/f11:16:23");
  }
  SECTION("a file grown past its last shard") {
    Fixture fx = MakeFixture("sample_model_folder");
    fx.source.Set("f2", "This is file f2 in root.\n");
    Report report;
    VerifyOmsKey(fx.source, testing::MakeBundle(key, payload), *key.pub, OmsOptions{}, &report);
    CHECK(report.verdict == Verdict::kFailed);
    const Finding* f = testing::FindCode(report, "oms.file_changed");
    REQUIRE(f != nullptr);
    CHECK(f->expected == "24 bytes");
    CHECK(f->actual == "25 bytes");
  }
}

TEST_CASE("Manifest order is model_signing's: component-wise, then shard start") {
  CHECK(OmsPathLess("a/b", "a-b"));
  CHECK(OmsPathLess("a/b/c", "a-b"));
  CHECK(OmsPathLess("a", "a/b"));
  CHECK_FALSE(OmsPathLess("a/b", "a"));
  CHECK(OmsPathLess("d0/f00", "f0"));
  CHECK_FALSE(OmsPathLess("x", "x"));
  MemorySource source({{"f", std::string(24, 'x')}, {"a-b", "1"}, {"a/b", "2"}});
  Manifest manifest(source);
  OmsSerialization ser = SerializationFor(true, 8, false);
  auto items = SerializeOms(manifest, ser, {});
  REQUIRE(items.ok());
  std::vector<std::string> names;
  for (const auto& i : *items) names.push_back(i.name);
  CHECK(names == std::vector<std::string>{"a/b:0:1", "a-b:0:1", "f:0:8", "f:8:16", "f:16:24"});
}

}  // namespace
}  // namespace provbadge::verifier
