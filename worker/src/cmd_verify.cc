// `provbadge verify-model key`: verify a local folder as a publisher would, with the same
// verifier code the worker runs.
#include <filesystem>

#include "file_util.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxSignatureBytes = limits::kMaxSignatureFileBytes;

// The signature's path relative to the model folder when it lies inside it (so it is ignored
// as the signature file), else empty.
std::string SignatureInside(const std::string& dir, const std::string& signature) {
  std::error_code ec;
  const fs::path d = fs::weakly_canonical(dir, ec);
  const fs::path s = fs::weakly_canonical(signature, ec);
  const fs::path rel = s.lexically_relative(d);
  if (rel.empty() || *rel.begin() == "..") return "";
  return rel.generic_string();
}

}  // namespace

int RunVerifyModelKey(const VerifyModelArgs& args, std::ostream& out, std::ostream& err) {
  auto bundle = ReadFile(args.signature, kMaxSignatureBytes);
  if (!bundle.ok()) {
    err << "provbadge verify-model: --signature " << bundle.error().message() << "\n";
    return 2;
  }
  auto pem = ReadFile(args.public_key, 1 << 20);
  if (!pem.ok()) {
    err << "provbadge verify-model: --public-key " << pem.error().message() << "\n";
    return 2;
  }
  auto key = verifier::PublicKey::FromPem(*pem);
  if (!key.ok()) {
    err << "provbadge verify-model: --public-key " << args.public_key << ": "
        << key.error().message() << "\n";
    return 2;
  }
  if (!fs::is_directory(args.dir)) {
    err << "provbadge verify-model: " << args.dir << ": not a folder\n";
    return 2;
  }
  DirectorySource source(args.dir, nullptr);
  verifier::OmsOptions options;
  options.ignore_paths = args.ignore_paths;
  options.signature_path = SignatureInside(args.dir, args.signature);
  verifier::Report report;
  report.subject = args.dir;
  verifier::VerifyOmsKey(source, *bundle, **key, options, &report);
  out << (args.json ? verifier::ReportToJson(report) + "\n" : verifier::ReportToText(report));
  const bool verified = report.verdict == verifier::Verdict::kVerified && !report.HasErrors();
  return verified ? 0 : 1;
}

}  // namespace provbadge::worker
