// The `provbadge` subcommands, callable from main() and from tests. Each returns the process
// exit code and prints to the given streams: 0 success (for verify-model: verified),
// 1 a negative verdict or a failed operation, 2 a usage or configuration error.
//
// Thread-safety: each call is independent; RunWorker blocks until stopped.
#ifndef PROVBADGE_WORKER_COMMANDS_H_
#define PROVBADGE_WORKER_COMMANDS_H_

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace provbadge::worker {

struct WorkerArgs {
  std::string config;
  bool until_idle = false;  // exit once the queue is drained (no HTTP server kept)
};
// Consumes, verifies, stores, serves HTTP; stops on SIGINT/SIGTERM or when `stop` is set.
int RunWorker(const WorkerArgs& args, std::atomic<bool>& stop, std::ostream& out,
              std::ostream& err);

struct EnqueueArgs {
  std::string config, repo, revision, ref;
  int64_t seq = 0;  // advanced (`--seq`): the event's ordering number; 0 = now in Unix ms
};
int RunEnqueue(const EnqueueArgs& args, std::ostream& out, std::ostream& err);

struct VerifyModelArgs {
  std::string dir, signature, public_key;
  std::vector<std::string> ignore_paths;
  bool json = false;
};
int RunVerifyModelKey(const VerifyModelArgs& args, std::ostream& out, std::ostream& err);

// `provbadge verify DIR [--repo org/name] --hub HUB --policy P [--json]`: the lineage verdict of
// a local revision folder, parents resolved through the hub mirror HUB (verifier/lineage.h).
// `repo` may be empty when DIR is HUB/<org>/<name>/<commit>. Prints the badge label and the
// report tree, or with `json` {"badge": <badge JSON>, "report": <report JSON>}. Exit 0 only
// when the badge is verified; 1 otherwise (also a transient fault); 2 usage.
struct VerifyLineageArgs {
  std::string dir, repo, hub, policy;
  bool json = false;
};
int RunVerifyLineage(const VerifyLineageArgs& args, std::ostream& out, std::ostream& err);

// `provbadge verify-bundle` (sigstore-conformance CLI shape): one of artifact/digest
// ("sha256:<hex>"); key mode (key) or keyless (identity + issuer, trusted_root required).
struct VerifyBundleArgs {
  std::string bundle, artifact, digest, trusted_root, identity, issuer, key;
  bool identity_regex = false;  // --certificate-identity-regexp: anchored std::regex_match
};
int RunVerifyBundle(const VerifyBundleArgs& args, std::ostream& out, std::ostream& err);

// `provbadge verify-model sigstore|certificate`: OMS model.sig in Sigstore (Fulcio identity,
// trust config or trusted root) or certificate-chain (private PKI) mode.
struct VerifyModelCertArgs {
  std::string dir, signature, identity, identity_provider, trust_config, trusted_root;
  std::vector<std::string> certificate_chain;
  std::vector<std::string> ignore_paths;
  bool json = false;
};
int RunVerifyModelSigstore(const VerifyModelCertArgs& args, std::ostream& out, std::ostream& err);
int RunVerifyModelCertificate(const VerifyModelCertArgs& args, std::ostream& out,
                              std::ostream& err);

struct SignModelArgs {
  std::string dir, signature, private_key;
  std::vector<std::string> ignore_paths;
};
int RunSignModelKey(const SignModelArgs& args, std::ostream& out, std::ostream& err);

// `provbadge sign DIR --key K [--certificate-chain C...] [--shard-size N] [--ignore P...]`:
// writes DIR/model.sig (OMS; key mode, or certificate mode with the chain leaf first).
// Exit 0 written, 1 failed, 2 usage (unreadable or unusable key, bad chain).
struct SignArgs {
  std::string dir, key;
  std::string signature;  // output (default DIR/model.sig)
  std::vector<std::string> certificate_chain;
  uint64_t shard_size = 0;  // 0: files serialization
  std::vector<std::string> ignore_paths;
};
int RunSign(const SignArgs& args, std::ostream& out, std::ostream& err);

// `provbadge attest`: appends one signed SLSA provenance line (DSSE envelope) to
// provenance.intoto.jsonl. Exit 0 appended, 1 failed, 2 usage or validation (a parent named
// by branch, a missing subject, a malformed --param or --dependency).
struct AttestArgs {
  std::string build_type;                 // train | finetune | adapter | merge | quantize
  std::vector<std::string> subjects;      // produced files
  std::string model_dir;                  // subject names are relative to it (default: first's dir)
  std::vector<std::string> parents;       // hf://org/name@<40-hex>
  std::vector<std::string> parent_dirs;   // one local copy per parent, same order
  std::vector<std::string> params;        // k=v
  std::vector<std::string> dependencies;  // URI[=sha256:HEX|gitCommit:HEX]
  std::string key, keyid, builder_id;
  std::string out;  // default MODEL_DIR/provenance.intoto.jsonl
};
int RunAttest(const AttestArgs& args, std::ostream& out, std::ostream& err);

// `provbadge verify-verdict`: exit 0 only when the envelope's signature verifies with the key,
// the statement is a well-formed provbadge VSA, and (when given) repo/commit match; with
// require_verified also only when the verdict's state is "verified". 1 otherwise; 2 usage.
struct VerifyVerdictArgs {
  std::string envelope, key, repo, commit;
  bool json = false;
  bool require_verified = false;
};
int RunVerifyVerdict(const VerifyVerdictArgs& args, std::ostream& out, std::ostream& err);

struct BadgeArgs {
  std::string config;
  std::vector<std::string> repos;
  std::string revision;
  double wait_seconds = 0;  // wait until every badge exists and is not pending
  bool json = false;
};
// Prints one line per repo: "org/name@<7-hex>  <state>  <label>".
int RunBadge(const BadgeArgs& args, std::ostream& out, std::ostream& err);

int RunDeadLetters(const std::string& config, std::ostream& out, std::ostream& err);

struct FidelityArgs {
  std::string source, gguf;
  bool json = false;
  unsigned threads = 0;  // 0: hardware concurrency
};
// Exit 0 only when the GGUF is a faithful quantization of the source (not a safety verdict).
int RunFidelity(const FidelityArgs& args, std::ostream& out, std::ostream& err);

// `provbadge hash DIR`: the OMS manifest of a folder (or of one file, named ".") through the
// digest engine: `name:hexdigest` lines like model_signing's golden manifests, or --json.
struct HashArgs {
  std::string dir;
  uint64_t shard_size = 0;      // 0: files; > 0: shards of this size
  std::string hash = "sha256";  // sha256 | blake2b
  unsigned threads = 0;         // 0: hardware concurrency
  std::vector<std::string> ignore_paths;
  bool json = false;
};
int RunHash(const HashArgs& args, std::ostream& out, std::ostream& err);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_COMMANDS_H_
