// `provbadge verify DIR [--repo] --hub HUB --policy P [--json]` (RunVerifyLineage): a hub
// mirror on disk made from an in-memory signed chain; exit codes, --repo inference, JSON shape.
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../verifier/lineage_fixture.h"
#include "provbadge/worker/commands.h"

namespace provbadge::worker {
namespace {

namespace fs = std::filesystem;
using testing::LineageHub;
using verifier::BuildType;

// Writes every hub revision to <root>/<org>/<name>/<commit>/, the keys and a policy file.
struct DiskHub {
  fs::path root;
  std::string policy;
  DiskHub(const LineageHub& hub, const std::string& name) {
    root =
        fs::temp_directory_path() / ("provbadge-verify-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (const auto& [key, source] : hub.revisions) {
      const size_t at = key.find('@');
      const fs::path dir = root / "hub" / key.substr(0, at) / key.substr(at + 1);
      testing::MemorySource copy = source;
      auto files = copy.ListFiles();
      REQUIRE(files.ok());
      for (const verifier::FileInfo& f : *files) {
        fs::create_directories((dir / f.path).parent_path());
        std::ofstream(dir / f.path, std::ios::binary) << source.Get(f.path);
      }
    }
    std::ofstream(root / "acme.pem") << hub.acme.public_pem;
    std::ofstream(root / "ci.pem") << hub.ci.public_pem;
    policy = (root / "policy.json").string();
    std::ofstream(policy) << R"({"identities": [{"name": "acme", "key": "acme.pem"},
                                                 {"name": "ci", "key": "ci.pem"}],
                                 "rules": [{"repos": "org/*", "publishers": ["acme"],
                                            "builders": ["ci"]}]})";
  }
  ~DiskHub() { fs::remove_all(root); }
  std::string Hub() const { return (root / "hub").string(); }
  std::string Dir(const std::string& repo, const std::string& commit) const {
    return (root / "hub" / repo / commit).string();
  }
};

int Run(VerifyLineageArgs args, std::string* out, std::string* err) {
  std::ostringstream o, e;
  int code = RunVerifyLineage(args, o, e);
  *out = o.str();
  *err = e.str();
  return code;
}

TEST_CASE("provbadge verify: a verified chain in a hub mirror", "[cli][lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  DiskHub disk(hub, "ok");
  std::string out, err;
  SECTION("--repo inferred from DIR, text output") {
    CHECK(Run({disk.Dir("org/q", q), "", disk.Hub(), disk.policy, false}, &out, &err) == 0);
    INFO(out << err);
    CHECK(out.rfind("Quantized from org/base@" + base.substr(0, 7) + ", verified\n", 0) == 0);
    CHECK_THAT(out, Catch::Contains("lineage:\n  org/q@" + q));
    CHECK_THAT(out, Catch::Contains("      org/base@" + base));
  }
  SECTION("--json prints the badge and the report") {
    CHECK(Run({disk.Dir("org/q", q), "org/q", disk.Hub(), disk.policy, true}, &out, &err) == 0);
    nlohmann::json j = nlohmann::json::parse(out);
    CHECK(j["badge"]["state"] == "verified");
    CHECK(j["badge"]["label"] == "Quantized from org/base@" + base.substr(0, 7) + ", verified");
    CHECK(j["report"]["verdict"] == "verified");
    CHECK(j["report"]["nodes"].size() == 2);
  }
  SECTION("a tampered parent weight: exit 1") {
    std::ofstream(disk.Dir("org/base", base) + "/model.safetensors") << "changed";
    CHECK(Run({disk.Dir("org/q", q), "", disk.Hub(), disk.policy, true}, &out, &err) == 1);
    nlohmann::json j = nlohmann::json::parse(out);
    CHECK(j["badge"]["state"] == "failed");
  }
  SECTION("usage errors: exit 2") {
    const std::string outside = (disk.root / "elsewhere").string();
    fs::create_directories(outside);
    CHECK(Run({outside, "", disk.Hub(), disk.policy, false}, &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("give --repo"));
    CHECK(Run({disk.Dir("org/q", q), "", disk.Hub(), disk.policy + ".missing", false}, &out,
              &err) == 2);
    CHECK(Run({disk.Dir("org/q", q), "not-a-repo", disk.Hub(), disk.policy, false}, &out, &err) ==
          2);
    CHECK(Run({outside + "/nope", "org/q", disk.Hub(), disk.policy, false}, &out, &err) == 2);
  }
  SECTION("a folder outside the mirror with --repo: parents still come from the mirror") {
    const fs::path copy = disk.root / "work" / q;
    fs::create_directories(copy.parent_path());
    fs::copy(disk.Dir("org/q", q), copy, fs::copy_options::recursive);
    CHECK(Run({copy.string(), "org/q", disk.Hub(), disk.policy, false}, &out, &err) == 0);
  }
}

}  // namespace
}  // namespace provbadge::worker
