// `provbadge verify DIR [--repo org/name] --hub HUB --policy P [--json]`: a publisher's local
// check of a revision folder and its whole lineage, with the worker's verifier and badge code.
// Parents are resolved through the hub mirror at HUB.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "provbadge/badges/badge.h"
#include "provbadge/config/config.h"
#include "provbadge/verifier/lineage.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"
#include "provbadge/worker/hub_mirror.h"
#include "provbadge/worker/pipeline.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

// Parents come from the hub mirror.
class MirrorResolver : public verifier::ParentResolver {
 public:
  explicit MirrorResolver(HubMirror& mirror) : mirror_(mirror) {}
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override {
    return mirror_.OpenRevision(repo, commit);
  }

 private:
  HubMirror& mirror_;
};

bool IsCommit(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool IsRepoName(const std::string& s) {
  const size_t slash = s.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < s.size() &&
         s.find('/', slash + 1) == std::string::npos && s != "." &&
         s.find("..") == std::string::npos;
}

struct Target {
  std::string repo, commit;
};

// The repo and commit of DIR: from <hub>/<org>/<name>/<commit> when DIR lies there, else
// --repo with DIR's name as the commit when it is 40-hex (otherwise no commit).
Result<Target> ResolveTarget(const VerifyLineageArgs& args) {
  std::error_code ec;
  const fs::path hub = fs::weakly_canonical(args.hub, ec);
  const fs::path dir = fs::weakly_canonical(args.dir, ec);
  Target derived;
  const fs::path rel = dir.lexically_relative(hub);
  std::vector<std::string> parts;
  for (const fs::path& p : rel) parts.push_back(p.string());
  if (parts.size() == 3 && parts[0] != ".." && IsCommit(parts[2])) {
    derived = {parts[0] + "/" + parts[1], parts[2]};
  }
  if (args.repo.empty()) {
    if (derived.repo.empty()) {
      return InvalidInput(args.dir +
                          " is not a revision folder <hub>/<org>/<name>/<commit> of --hub; "
                          "give --repo org/name");
    }
    return derived;
  }
  if (!IsRepoName(args.repo)) return InvalidInput("--repo: expected org/name, got " + args.repo);
  if (derived.repo == args.repo) return derived;
  const std::string name = dir.filename().string();
  return Target{args.repo, IsCommit(name) ? name : ""};
}

int Usage(std::ostream& err, const std::string& message) {
  err << "provbadge verify: " << message << "\n";
  return 2;
}

}  // namespace

int RunVerifyLineage(const VerifyLineageArgs& args, std::ostream& out, std::ostream& err) {
  if (!fs::is_directory(args.dir)) return Usage(err, args.dir + ": not a folder");
  if (!fs::is_directory(args.hub)) return Usage(err, "--hub " + args.hub + ": not a folder");
  Result<Target> target = ResolveTarget(args);
  if (!target.ok()) return Usage(err, target.error().message());
  Result<verifier::TrustPolicy> policy = config::LoadPolicy(args.policy);
  if (!policy.ok()) return Usage(err, "--policy " + policy.error().message());

  HubMirror mirror(args.hub);
  MirrorResolver resolver(mirror);
  DirectorySource source(args.dir, nullptr);
  verifier::LineageOptions options;
  options.resolver = &resolver;
  Result<verifier::Report> report =
      verifier::VerifyLineage(source, target->repo, target->commit, *policy, options);
  if (!report.ok()) {
    err << "provbadge verify: " << report.error().message()
        << " (a transient fault: nothing was decided; try again)\n";
    return 1;
  }
  const badges::Badge badge =
      badges::BadgeFromReport(*report, target->repo, target->commit, NowRfc3339());
  if (args.json) {
    nlohmann::json j = {{"badge", nlohmann::json::parse(badges::BadgeToJson(badge))},
                        {"report", nlohmann::json::parse(verifier::ReportToJson(*report))}};
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    out << badge.label << "\n\n" << verifier::ReportToText(*report);
  }
  return badge.state == badges::BadgeState::kVerified ? 0 : 1;
}

}  // namespace provbadge::worker
