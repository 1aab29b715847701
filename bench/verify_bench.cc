// verify_bench: single-threaded Sigstore verification throughput over the visible pass cases
// of the conformance vectors (bundle JSON parse included; each trusted root parsed once).
// Usage: verify_bench <sigstore-conformance dir> [seconds] [case-name substring]. Prints
// verifications_per_s=<N>. The optional filter (for profiling one case) keeps only matching cases.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "provbadge/verifier/sigstore_verify.h"

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Case {
  std::string name, bundle, artifact;
  std::shared_ptr<const provbadge::verifier::TrustedRoot> root;
  provbadge::verifier::SigstorePolicy policy;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace provbadge::verifier;
  if (argc < 2) {
    std::cerr << "usage: verify_bench <sigstore-conformance dir> [seconds]\n";
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  const std::string filter = argc > 3 ? argv[3] : "";
  std::map<std::string, std::shared_ptr<const TrustedRoot>> roots;
  std::vector<Case> cases;
  for (const auto& c : nlohmann::json::parse(Slurp(dir + "cases.json"))) {
    if (c["expect"] != "pass") continue;
    Case k;
    k.name = c["name"];
    if (k.name.find(filter) == std::string::npos) continue;
    const std::string tr = c["trusted_root"];
    if (!roots.count(tr)) roots[tr] = *TrustedRoot::FromJson(Slurp(dir + tr));
    k.root = roots[tr];
    k.bundle = Slurp(dir + c["bundle"].get<std::string>());
    k.artifact = Slurp(dir + c["artifact"].get<std::string>());
    if (c["key"].is_string()) {
      k.policy.mode = SigstorePolicy::Mode::kKey;
      k.policy.key = *SigstoreKey::FromPem(Slurp(dir + c["key"].get<std::string>()));
    } else {
      k.policy.identity = c["identity"];
      k.policy.issuer = c["issuer"];
    }
    cases.push_back(std::move(k));
  }
  for (const Case& c : cases) {  // warm-up and sanity check
    if (!VerifySigstoreBundle(c.bundle, c.root.get(), SigstoreArtifact::Bytes(c.artifact), c.policy)
             .verified) {
      std::cerr << "verify_bench: " << c.name << " does not verify\n";
      return 1;
    }
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  size_t n = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    for (const Case& c : cases) {
      n += VerifySigstoreBundle(c.bundle, c.root.get(), SigstoreArtifact::Bytes(c.artifact),
                                c.policy)
               .verified;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::cout << "cases=" << cases.size() << " verifications=" << n << "\n";
  std::cout << "verifications_per_s=" << static_cast<long>(n / elapsed) << "\n";
  return 0;
}
