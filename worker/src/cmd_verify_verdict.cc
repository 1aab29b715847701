// `provbadge verify-verdict`: checks a signed verdict (DSSE envelope over an SLSA VSA).
#include <nlohmann/json.hpp>

#include "file_util.h"
#include "provbadge/badges/verdict.h"
#include "provbadge/verifier/public_key.h"
#include "provbadge/worker/commands.h"

namespace provbadge::worker {
namespace {

constexpr uintmax_t kMaxEnvelopeBytes = 4 << 20;
constexpr uintmax_t kMaxPemBytes = 1 << 20;

int Usage(std::ostream& err, const std::string& message) {
  err << "provbadge verify-verdict: " << message << "\n";
  return 2;
}

int Report(const VerifyVerdictArgs& args, bool ok, const std::string& problem,
           const badges::VerifiedVerdict* v, std::ostream& out) {
  if (args.json) {
    nlohmann::json j = {{"authentic", ok}};
    if (!problem.empty()) j["problem"] = problem;
    if (v != nullptr) {
      j["repo"] = v->repo;
      j["commit"] = v->commit;
      j["state"] = v->state;
      j["label"] = v->label;
      j["message"] = v->message;
      j["verificationResult"] = v->result;
      j["policyDigest"] = v->policy_digest;
      j["timeVerified"] = v->time;
    }
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (v != nullptr) {
    out << (ok ? "verdict authentic: " : "verdict REJECTED: ") << v->repo << "@" << v->commit
        << "  " << v->state << "  " << (v->label.empty() ? v->message : v->label) << " ("
        << v->result << ", policy " << v->policy_digest << ", " << v->time << ")\n";
    if (!problem.empty()) out << "  " << problem << "\n";
  } else {
    out << "verdict REJECTED: " << problem << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace

int RunVerifyVerdict(const VerifyVerdictArgs& args, std::ostream& out, std::ostream& err) {
  if (!args.commit.empty() && args.repo.empty()) {
    return Usage(err, "--commit needs --repo");
  }
  auto envelope = ReadFile(args.envelope, kMaxEnvelopeBytes);
  if (!envelope.ok()) return Usage(err, "--envelope " + envelope.error().message());
  auto pem = ReadFile(args.key, kMaxPemBytes);
  if (!pem.ok()) return Usage(err, "--key " + pem.error().message());
  auto key = verifier::PublicKey::FromPem(*pem);
  if (!key.ok()) return Usage(err, "--key: " + key.error().message());

  auto verdict = badges::VerifyVerdict(*envelope, **key);
  if (!verdict.ok()) return Report(args, false, verdict.error().message(), nullptr, out);
  std::string problem;
  if (!args.repo.empty() && verdict->repo != args.repo) {
    problem = "the verdict is about " + verdict->repo + ", not " + args.repo;
  } else if (!args.commit.empty() && verdict->commit != args.commit) {
    problem = "the verdict is about commit " + verdict->commit + ", not " + args.commit;
  } else if (args.require_verified && verdict->state != "verified") {
    problem = "the verdict is authentic but its state is " + verdict->state + ", not verified";
  }
  return Report(args, problem.empty(), problem, &*verdict, out);
}

}  // namespace provbadge::worker
