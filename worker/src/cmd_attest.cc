// `provbadge attest`: hashes the produced files and the parent's files, builds an SLSA
// provenance statement, signs it (DSSE) and appends it to provenance.intoto.jsonl.
#include <openssl/rand.h>

#include <filesystem>
#include <fstream>

#include "file_util.h"
#include "provbadge/verifier/attest.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/dsse_sign.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"
#include "provbadge/worker/pipeline.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxPemBytes = 1 << 20;

int Fail(std::ostream& err, int code, const std::string& message) {
  err << "provbadge attest: " << message << "\n";
  return code;
}

// A random UUID v4 (the run's invocationId).
Result<std::string> NewInvocationId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) return Internal("no randomness for the invocation id");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  const std::string hex = verifier::HexEncode(std::string(reinterpret_cast<char*>(b), 16));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// The path of `file` relative to `dir` (both made absolute); empty when outside `dir`.
std::string RelativeTo(const fs::path& file, const fs::path& dir) {
  std::error_code ec;
  const fs::path f = fs::weakly_canonical(fs::absolute(file, ec), ec);
  const fs::path d = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  if (ec) return "";
  const fs::path rel = f.lexically_relative(d);
  const std::string s = rel.generic_string();
  if (rel.empty() || s == "." || s.rfind("..", 0) == 0) return "";
  return s;
}

bool IsWeightFile(const std::string& path) {
  for (const char* ext :
       {".safetensors", ".gguf", ".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack", ".ckpt"}) {
    const std::string e(ext);
    if (path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

// Warns about weight files of the model folder that are not subjects: the verifier requires
// the provenance lines of a revision to cover every weight file together.
void WarnUncoveredWeights(DirectorySource& model, const std::vector<verifier::FileDigest>& subj,
                          std::ostream& err) {
  auto files = model.ListFiles();
  if (!files.ok()) return;
  for (const verifier::FileInfo& f : *files) {
    if (!IsWeightFile(f.path)) continue;
    bool covered = false;
    for (const verifier::FileDigest& s : subj) covered = covered || s.path == f.path;
    if (!covered) {
      err << "provbadge attest: warning: weight file " << f.path
          << " is not a subject; another provenance line must cover it\n";
    }
  }
}

// Appends `line` + "\n", first closing an unterminated last line of an existing file.
Status AppendLine(const std::string& path, const std::string& line) {
  std::string prefix;
  std::error_code ec;
  if (fs::exists(path, ec) && fs::file_size(path, ec) > 0) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(-1, std::ios::end);
    char last = '\n';
    in.get(last);
    if (last != '\n') prefix = "\n";
  }
  std::ofstream o(path, std::ios::binary | std::ios::app);
  o << prefix << line << "\n";
  if (!o.flush()) return Unavailable("cannot append to " + path);
  return Status::Ok();
}

Result<std::vector<verifier::ParentInput>> Parents(const AttestArgs& args, std::ostream& err) {
  if (args.parents.size() != args.parent_dirs.size()) {
    return InvalidInput("give one --parent-dir per --parent, in the same order");
  }
  std::vector<verifier::ParentInput> parents;
  for (size_t i = 0; i < args.parents.size(); ++i) {
    auto ref = verifier::ParseParentUri(args.parents[i]);
    if (!ref.ok()) return ref.error().Wrap("--parent");
    std::error_code ec;
    if (!fs::is_directory(args.parent_dirs[i], ec)) {
      return InvalidInput("--parent-dir " + args.parent_dirs[i] + " is not a folder");
    }
    DirectorySource source(args.parent_dirs[i], nullptr);
    auto files = verifier::HashParentFiles(source);
    if (!files.ok()) return files.error().Wrap("--parent-dir " + args.parent_dirs[i]);
    err << "provbadge attest: parent " << ref->Uri() << ": " << files->size()
        << " files hashed from " << args.parent_dirs[i] << "\n";
    parents.push_back({std::move(*ref), std::move(*files)});
  }
  return parents;
}

}  // namespace

int RunAttest(const AttestArgs& args, std::ostream& out, std::ostream& err) {
  auto build_type = verifier::ParseBuildType(args.build_type);
  if (!build_type.ok()) return Fail(err, 2, "--build-type: " + build_type.error().message());
  if (args.subjects.empty()) return Fail(err, 2, "give at least one --subject");
  const fs::path model_dir =
      args.model_dir.empty() ? fs::path(args.subjects[0]).parent_path() : fs::path(args.model_dir);
  std::error_code ec;
  if (!fs::is_directory(model_dir.empty() ? "." : model_dir, ec)) {
    return Fail(err, 2, "--model-dir " + model_dir.string() + " is not a folder");
  }
  std::vector<std::string> names;
  for (const std::string& s : args.subjects) {
    if (!fs::is_regular_file(s, ec)) return Fail(err, 2, "--subject " + s + " is not a file");
    std::string rel = RelativeTo(s, model_dir.empty() ? "." : model_dir);
    if (rel.empty()) {
      return Fail(err, 2,
                  "--subject " + s + " is not inside the model folder " + model_dir.string());
    }
    names.push_back(std::move(rel));
  }
  verifier::ProvenanceInput input;
  input.build_type = *build_type;
  for (const std::string& p : args.params) {
    auto kv = verifier::ParseParam(p);
    if (!kv.ok()) return Fail(err, 2, "--param: " + kv.error().message());
    input.params.push_back(std::move(*kv));
  }
  for (const std::string& d : args.dependencies) {
    auto dep = verifier::ParseDependency(d);
    if (!dep.ok()) return Fail(err, 2, "--dependency: " + dep.error().message());
    input.dependencies.push_back(std::move(*dep));
  }
  auto key_pem = ReadFile(args.key, kMaxPemBytes);
  if (!key_pem.ok()) return Fail(err, 2, "--key " + key_pem.error().message());
  auto signer = verifier::DsseSigner::FromPem(*key_pem, args.keyid);
  if (!signer.ok()) return Fail(err, 2, "--key: " + signer.error().message());
  if (!(*signer)->is_ec()) {
    err << "provbadge attest: warning: Ed25519 lines are written, but policy key identities "
           "verify ECDSA (P-256/P-384/P-521) only\n";
  }
  auto parents = Parents(args, err);
  if (!parents.ok()) {
    return Fail(err, parents.error().code() == ErrorCode::kInvalidInput ? 2 : 1,
                parents.error().message());
  }
  input.parents = std::move(*parents);

  DirectorySource model(model_dir.empty() ? "." : model_dir.string(), nullptr);
  auto subjects = verifier::HashFiles(model, names);
  if (!subjects.ok()) return Fail(err, 1, subjects.error().message());
  WarnUncoveredWeights(model, *subjects, err);
  input.subjects = std::move(*subjects);
  if (!args.builder_id.empty()) input.builder_id = args.builder_id;
  auto invocation = NewInvocationId();
  if (!invocation.ok()) return Fail(err, 1, invocation.error().message());
  input.invocation_id = std::move(*invocation);
  input.started_on = NowRfc3339();

  auto statement = verifier::BuildProvenanceStatement(input);
  if (!statement.ok()) return Fail(err, 2, statement.error().message());
  auto envelope = (*signer)->SignEnvelope(verifier::kInTotoPayloadType, *statement);
  if (!envelope.ok()) return Fail(err, 1, envelope.error().message());
  const std::string target = args.out.empty()
                                 ? (model_dir / std::string(verifier::kProvenanceFileName)).string()
                                 : args.out;
  if (Status s = AppendLine(target, *envelope); !s.ok()) return Fail(err, 1, s.error().message());
  if (fs::exists(model_dir / "model.sig", ec) && args.out.empty()) {
    err << "provbadge attest: warning: " << (model_dir / "model.sig").string()
        << " no longer covers provenance.intoto.jsonl; run `provbadge sign` again\n";
  }
  out << "attested " << verifier::BuildTypeName(*build_type) << ": " << input.subjects.size()
      << " subject(s)";
  for (const verifier::ParentInput& p : input.parents) out << ", parent " << p.ref.Uri();
  out << ", signed by keyid " << (*signer)->keyid() << " -> " << target << "\n";
  return 0;
}

}  // namespace provbadge::worker
