// The `provbadge` command line (README "Command line").
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "provbadge/common/limits.h"
#include "provbadge/worker/commands.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace provbadge::worker;
  CLI::App app{"provbadge: provenance badges for model hubs"};
  app.set_version_flag("--version", std::string("provbadge ") + PROVBADGE_VERSION);
  app.require_subcommand(1);

  WorkerArgs worker;
  auto* w = app.add_subcommand("worker", "consume upload events, verify, store badges, serve HTTP");
  w->add_option("--config", worker.config, "config file")->required();
  w->add_flag("--until-idle", worker.until_idle, "exit once the queue is drained; no HTTP");

  EnqueueArgs enqueue;
  auto* e = app.add_subcommand("enqueue", "put an upload event on the configured queue");
  e->add_option("--config", enqueue.config, "config file")->required();
  e->add_option("--repo", enqueue.repo, "org/name")->required();
  e->add_option("--revision", enqueue.revision, "40-hex commit (default: the ref's commit)");
  e->add_option("--ref", enqueue.ref, "ref to resolve or to point at the revision (default main)");
  e->add_option("--seq", enqueue.seq, "advanced: ordering number (default: now in Unix ms)")
      ->check(CLI::Range(int64_t{1}, (int64_t{1} << 53) - 1));

  auto* vm = app.add_subcommand("verify-model", "verify a local model folder's OMS signature");
  vm->require_subcommand(1);
  VerifyModelArgs verify;
  auto* vk = vm->add_subcommand("key", "key mode: the signature was made with a private key");
  vk->add_option("dir", verify.dir, "model folder")->required();
  vk->add_option("--signature", verify.signature, "model.sig path")->required();
  vk->add_option("--public-key", verify.public_key, "public key PEM")->required();
  vk->add_option("--ignore-paths", verify.ignore_paths, "paths that may be present unsigned");
  vk->add_flag("--json", verify.json, "print the report as JSON");

  VerifyModelCertArgs verify_cert;
  auto* vs = vm->add_subcommand("sigstore", "Sigstore mode: Fulcio certificate identity");
  vs->add_option("dir", verify_cert.dir, "model folder")->required();
  vs->add_option("--signature", verify_cert.signature, "model.sig path")->required();
  vs->add_option("--identity", verify_cert.identity, "expected certificate SAN (exact)")
      ->required();
  vs->add_option("--identity-provider", verify_cert.identity_provider,
                 "expected OIDC issuer (exact)")
      ->required();
  auto* vs_tc =
      vs->add_option("--trust-config", verify_cert.trust_config, "Sigstore ClientTrustConfig JSON");
  vs->add_option("--trusted-root", verify_cert.trusted_root, "Sigstore trusted_root.json")
      ->excludes(vs_tc);
  vs->add_option("--ignore-paths", verify_cert.ignore_paths, "paths that may be present unsigned");
  vs->add_flag("--json", verify_cert.json, "print the report as JSON");
  auto* vc = vm->add_subcommand("certificate", "certificate mode: a private PKI chain");
  vc->add_option("dir", verify_cert.dir, "model folder")->required();
  vc->add_option("--signature", verify_cert.signature, "model.sig path")->required();
  vc->add_option("--certificate-chain", verify_cert.certificate_chain, "trust anchor PEM files")
      ->required();
  vc->add_option("--ignore-paths", verify_cert.ignore_paths, "paths that may be present unsigned");
  vc->add_flag("--json", verify_cert.json, "print the report as JSON");

  VerifyLineageArgs verify_lineage;
  auto* vl = app.add_subcommand("verify", "verify a local revision folder and its whole lineage");
  vl->add_option("dir", verify_lineage.dir, "revision folder")->required();
  vl->add_option("--repo", verify_lineage.repo,
                 "org/name (default: from DIR when it is HUB/<org>/<name>/<commit>)");
  vl->add_option("--hub", verify_lineage.hub, "hub mirror folder the parents are read from")
      ->required();
  vl->add_option("--policy", verify_lineage.policy, "trust policy file")->required();
  vl->add_flag("--json", verify_lineage.json, "print {\"badge\": ..., \"report\": ...}");

  VerifyBundleArgs vbundle;
  auto* vbd = app.add_subcommand("verify-bundle", "verify a Sigstore bundle over an artifact");
  vbd->add_option("--bundle", vbundle.bundle, "bundle JSON")->required();
  auto* vbd_art = vbd->add_option("--artifact", vbundle.artifact, "the signed file");
  vbd->add_option("--digest", vbundle.digest, "sha256:<hex> of the signed file")->excludes(vbd_art);
  vbd->add_option("--trusted-root", vbundle.trusted_root, "trusted_root.json (required keyless)");
  vbd->add_option("--certificate-identity", vbundle.identity, "expected SAN (exact)");
  vbd->add_option("--certificate-oidc-issuer", vbundle.issuer, "expected OIDC issuer (exact)");
  vbd->add_flag("--certificate-identity-regexp", vbundle.identity_regex,
                "treat --certificate-identity as a regex matching the whole SAN");
  vbd->add_option("--key", vbundle.key, "public key PEM (key mode)");

  auto* sm = app.add_subcommand("sign-model", "sign a local model folder (OMS model.sig)");
  sm->require_subcommand(1);
  SignModelArgs sign;
  auto* sk = sm->add_subcommand("key", "key mode: sign with an EC private key");
  sk->add_option("dir", sign.dir, "model folder")->required();
  sk->add_option("--private-key", sign.private_key, "private key PEM")->required();
  sk->add_option("--signature", sign.signature, "output (default DIR/model.sig)");
  sk->add_option("--ignore-paths", sign.ignore_paths, "paths to leave unsigned");

  SignArgs sign2;
  auto* sg = app.add_subcommand("sign", "sign a model folder: writes DIR/model.sig (OMS)");
  sg->add_option("dir", sign2.dir, "model folder")->required();
  sg->add_option("--key", sign2.key, "private key PEM (EC P-256/P-384/P-521)")->required();
  sg->add_option("--certificate-chain", sign2.certificate_chain,
                 "certificate mode: PEM certificates, the key's leaf first, then intermediates");
  sg->add_option("--shard-size", sign2.shard_size, "hash shards of N bytes (default: whole files)")
      ->check(CLI::PositiveNumber);
  sg->add_option("--ignore", sign2.ignore_paths, "paths to leave unsigned");
  sg->add_option("--signature", sign2.signature, "output (default DIR/model.sig)");

  AttestArgs attest;
  auto* at = app.add_subcommand("attest", "append a signed SLSA provenance line for one step");
  at->add_option("--build-type", attest.build_type, "train|finetune|adapter|merge|quantize")
      ->required();
  at->add_option("--subject", attest.subjects, "produced file (repeat)")->required();
  at->add_option("--model-dir", attest.model_dir, "model folder (default: the first subject's)");
  at->add_option("--parent", attest.parents, "parent hf://org/name@<40-hex commit> (repeat)");
  at->add_option("--parent-dir", attest.parent_dirs, "local copy of each parent, same order");
  at->add_option("--param", attest.params, "externalParameters key=value (repeat)");
  at->add_option("--dependency", attest.dependencies,
                 "URI[=sha256:HEX|gitCommit:HEX]: dataset, code, image (repeat)");
  at->add_option("--key", attest.key, "builder private key PEM (EC or Ed25519)")->required();
  at->add_option("--keyid", attest.keyid, "keyid (default: sha256 of the public key PEM)");
  at->add_option("--builder-id", attest.builder_id, "builder id URI");
  at->add_option("--out", attest.out, "output (default MODEL_DIR/provenance.intoto.jsonl)");

  VerifyVerdictArgs vverdict;
  auto* vv = app.add_subcommand("verify-verdict", "check a signed verdict (DSSE-wrapped VSA)");
  vv->add_option("--envelope", vverdict.envelope, "the verdict envelope JSON")->required();
  vv->add_option("--key", vverdict.key, "the worker's verdict public key PEM")->required();
  vv->add_option("--repo", vverdict.repo, "expected org/name");
  vv->add_option("--commit", vverdict.commit, "expected 40-hex commit");
  vv->add_flag("--require-verified", vverdict.require_verified,
               "exit 1 unless the verdict says verified");
  vv->add_flag("--json", vverdict.json, "print JSON");

  BadgeArgs badge;
  auto* b = app.add_subcommand("badge", "print stored badges: org/name@commit  state  label");
  b->add_option("--config", badge.config, "config file")->required();
  b->add_option("repos", badge.repos, "org/name ...")->required();
  b->add_option("--revision", badge.revision, "a revision instead of the main ref");
  b->add_option("--wait", badge.wait_seconds, "seconds to wait for final badges");
  b->add_flag("--json", badge.json, "print badge JSON");

  std::string dead_config;
  auto* d = app.add_subcommand("dead-letters", "list dead-lettered events with their reasons");
  d->add_option("--config", dead_config, "config file")->required();

  FidelityArgs fidelity;
  auto* fid = app.add_subcommand(
      "fidelity", "check a GGUF is the faithful quantization of a safetensors source (not safety)");
  fid->add_option("--source", fidelity.source, "source model folder (config.json, safetensors)")
      ->required();
  fid->add_option("--gguf", fidelity.gguf, "the GGUF file")->required();
  fid->add_flag("--json", fidelity.json, "print the report as JSON");
  fid->add_option("--threads", fidelity.threads, "checking threads (default: all cores)")
      ->check(CLI::Range(1u, provbadge::limits::kMaxFidelityThreads));

  HashArgs hash;
  auto* hs = app.add_subcommand("hash", "print the OMS manifest (name:digest) of a model folder");
  hs->add_option("dir", hash.dir, "model folder, or one model file (named \".\")")->required();
  hs->add_option("--shard-size", hash.shard_size, "hash shards of N bytes (default: whole files)");
  hs->add_option("--hash", hash.hash, "sha256 | blake2b")
      ->check(CLI::IsMember({"sha256", "blake2b"}));
  hs->add_option("--threads", hash.threads, "hashing threads (default: all cores)");
  hs->add_option("--ignore-paths", hash.ignore_paths, "paths to leave out");
  hs->add_flag("--json", hash.json, "print JSON (serialization, resources, root digest)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    const int code = app.exit(err);
    return code == 0 ? 0 : 2;
  }
  if (*w) {
    InstallSignalHandlers();
    return RunWorker(worker, g_stop, std::cout, std::cerr);
  }
  if (*e) return RunEnqueue(enqueue, std::cout, std::cerr);
  if (*vk) return RunVerifyModelKey(verify, std::cout, std::cerr);
  if (*vs) return RunVerifyModelSigstore(verify_cert, std::cout, std::cerr);
  if (*vc) return RunVerifyModelCertificate(verify_cert, std::cout, std::cerr);
  if (*vl) return RunVerifyLineage(verify_lineage, std::cout, std::cerr);
  if (*vbd) return RunVerifyBundle(vbundle, std::cout, std::cerr);
  if (*sk) return RunSignModelKey(sign, std::cout, std::cerr);
  if (*sg) return RunSign(sign2, std::cout, std::cerr);
  if (*at) return RunAttest(attest, std::cout, std::cerr);
  if (*vv) return RunVerifyVerdict(vverdict, std::cout, std::cerr);
  if (*b) return RunBadge(badge, std::cout, std::cerr);
  if (*d) return RunDeadLetters(dead_config, std::cout, std::cerr);
  if (*fid) return RunFidelity(fidelity, std::cout, std::cerr);
  if (*hs) return RunHash(hash, std::cout, std::cerr);
  return 2;
}
