// `provbadge sign`: writes DIR/model.sig (OMS) in key or certificate mode.
#include <filesystem>
#include <fstream>

#include "file_util.h"
#include "provbadge/verifier/oms_sign.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxPemBytes = 1 << 20;

int Fail(std::ostream& err, int code, const std::string& message) {
  err << "provbadge sign: " << message << "\n";
  return code;
}

// Writes `bytes` to `target` through a temporary file and a rename (never half a signature).
Status WriteAtomically(const std::string& target, const std::string& bytes) {
  const std::string tmp = target + ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << bytes;
    if (!o.flush()) return Unavailable("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Unavailable(target + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace

int RunSign(const SignArgs& args, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (!fs::is_directory(args.dir, ec)) return Fail(err, 2, args.dir + " is not a folder");
  auto key = ReadFile(args.key, kMaxPemBytes);
  if (!key.ok()) return Fail(err, 2, "--key " + key.error().message());
  std::string chain;
  for (const std::string& path : args.certificate_chain) {
    auto pem = ReadFile(path, kMaxPemBytes);
    if (!pem.ok()) return Fail(err, 2, "--certificate-chain " + pem.error().message());
    chain += *pem;
    chain += "\n";
  }
  verifier::OmsSignOptions options;
  options.ignore_paths = args.ignore_paths;
  if (args.shard_size > 0) {
    options.serialization.shards = true;
    options.serialization.shard_size = args.shard_size;
  }
  DirectorySource source(args.dir, nullptr);
  const std::string name = fs::path(args.dir).lexically_normal().filename().string();
  const std::string model_name = name.empty() || name == "." ? "model" : name;
  auto bundle = args.certificate_chain.empty()
                    ? verifier::SignOmsKeyWithOptions(source, *key, model_name, options)
                    : verifier::SignOmsCertificate(source, *key, chain, model_name, options);
  if (!bundle.ok()) {
    return Fail(err, bundle.error().code() == ErrorCode::kInvalidInput ? 2 : 1,
                bundle.error().message());
  }
  const std::string target =
      args.signature.empty() ? (fs::path(args.dir) / "model.sig").string() : args.signature;
  if (Status s = WriteAtomically(target, *bundle); !s.ok()) {
    return Fail(err, 1, s.error().message());
  }
  out << "signed " << args.dir << " -> " << target << " ("
      << (args.certificate_chain.empty() ? "key" : "certificate") << " mode"
      << (args.shard_size > 0 ? ", shards of " + std::to_string(args.shard_size) + " bytes" : "")
      << ")\n";
  return 0;
}

}  // namespace provbadge::worker
