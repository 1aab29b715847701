// openssl_ops_bench: the pure OpenSSL cost of each visible conformance pass case, next to the
// full VerifySigstoreBundle cost of the same case, measured interleaved in one process.
//
// For every pass case the setup extracts the exact cryptographic operations the bundle needs
// (keys parsed once, messages pre-built): each signature verification (EVP_MD_CTX_new +
// EVP_DigestVerifyInit + EVP_DigestVerify, the plain API) and each hash (SHA-256 of the
// artifact, the RFC 6962 leaf and audit-path nodes, DSSE payload/PAE digests, the RFC 3161
// message imprint and CMS content digest). Every extracted verification is checked to succeed
// at setup, so the list is the real one. Parsing (JSON, DER, X.509) is deliberately not an
// "operation": it is the overhead the 1.25x budget is about. The operations are timed twice:
// all through EVP_DigestVerify, and as the verifier runs them (the trusted root's P-384/P-521
// keys through FixedKeyEcdsa, verifier/src/ecdsa_fixed_key.h); `ratio` is the full verification
// against the latter, `evp_ratio` against the former.
//
// Usage: openssl_ops_bench <sigstore-conformance dir> [seconds]
// Prints one line per case (best single-run microseconds of the ops and of the verification,
// their ratio, the op list) and the totals over the round robin, from best and from mean runs.
#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../verifier/src/sigstore_internal.h"
#include "provbadge/verifier/dsse.h"

namespace {

using namespace provbadge::verifier;
namespace ss = provbadge::verifier::sigstore;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Op {
  enum class Kind { kVerify, kHash } kind;
  EVP_PKEY* key = nullptr;  // kVerify (borrowed from the root, the bundle or `owned`)
  const EVP_MD* md = nullptr;
  std::string msg, sig;  // kHash: msg is the data
  std::string label;
  // A trusted-root P-384/P-521 key (leaf issuer, TSA): its fixed-base verifier, as the
  // verifier runs it (ecdsa_fixed_key.h); null otherwise.
  const ss::FixedKeyEcdsa* fixed = nullptr;
};

// One fixed-base verifier per trusted-root key, built once (as TrustedRoot::FromJson does).
const ss::FixedKeyEcdsa* FixedFor(EVP_PKEY* key) {
  static std::map<EVP_PKEY*, std::unique_ptr<ss::FixedKeyEcdsa>> made;
  auto it = made.find(key);
  if (it == made.end()) it = made.emplace(key, ss::FixedKeyEcdsa::Make(key)).first;
  return it->second.get();
}

struct Case {
  std::string name, bundle, artifact;
  std::shared_ptr<const TrustedRoot> root;
  SigstorePolicy policy;
  ss::ParsedBundle parsed;  // keeps the leaf certificate (and its key) alive
  std::shared_ptr<ss::BundleDoc> doc;
  std::vector<ss::PkeyPtr> owned;
  std::vector<Op> ops;
  double ops_us = 1e30, fixed_us = 1e30, verify_us = 1e30;  // best single run
  double ops_sum = 0, fixed_sum = 0, verify_sum = 0;        // all runs (mean = sum / runs)
  long runs = 0;
};

// `as_run`: P-384/P-521 trusted-root keys through their fixed-base verifier.
bool RunOp(const Op& op, bool as_run) {
  if (as_run && op.fixed != nullptr) return op.fixed->Verify(op.md, op.msg, op.sig);
  if (op.kind == Op::Kind::kHash) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    return EVP_Digest(op.msg.data(), op.msg.size(), out, &len, op.md, nullptr) == 1;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  int rc = EVP_DigestVerifyInit(ctx, nullptr, op.md, nullptr, op.key);
  if (rc == 1) {
    rc = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(op.sig.data()), op.sig.size(),
                          reinterpret_cast<const unsigned char*>(op.msg.data()), op.msg.size());
  }
  EVP_MD_CTX_free(ctx);
  return rc == 1;
}

void Verify(Case* c, EVP_PKEY* key, const EVP_MD* md, std::string msg, std::string sig,
            std::string label, bool trusted_key = false) {
  c->ops.push_back(Op{Op::Kind::kVerify, key, md, std::move(msg), std::move(sig), label,
                      trusted_key ? FixedFor(key) : nullptr});
}
void Hash(Case* c, const EVP_MD* md, std::string data, std::string label) {
  c->ops.push_back(Op{Op::Kind::kHash, nullptr, md, std::move(data), "", label});
}

std::string Der(const unsigned char* p, int len) {
  return len > 0 ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(len)) : "";
}

const ss::TlogKey* Log(const Case& c, const std::string& id) {
  return ss::FindTlog(c.root->impl(), id);
}

void TlogOps(Case* c, const ss::TlogEntry& e) {
  const ss::TlogKey* log = Log(*c, e.log_id);
  if (!e.set.empty()) {
    std::string p = "{\"body\":\"" + std::string(e.body_b64) +
                    "\",\"integratedTime\":" + std::to_string(*e.integrated_time) +
                    ",\"logID\":\"" + ss::Hex(e.log_id) +
                    "\",\"logIndex\":" + std::to_string(e.log_index) + "}";
    Verify(c, log->key.get(), ss::DefaultMd(log->key.get()), p, e.set, "SET");
  }
  if (!e.proof) return;
  Hash(c, EVP_sha256(), std::string(1, '\0') + e.body, "leaf hash");
  for (size_t i = 0; i < e.proof->hashes.size(); ++i) {
    Hash(c, EVP_sha256(), std::string(65, '\1'), "node hash");
  }
  if (!e.proof->has_checkpoint) return;
  const std::string& env = e.proof->checkpoint;
  const size_t split = env.find("\n\n");
  const std::string text = env.substr(0, split + 1);
  std::istringstream lines(env.substr(split + 2));
  const std::string dash = "\xe2\x80\x94 " + log->origin + " ";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(dash, 0) != 0) continue;
    std::string raw;
    if (!ss::StrictBase64Decode(line.substr(dash.size()), &raw) || raw.size() <= 4) continue;
    const std::string sig = raw.substr(4);
    if (ss::VerifySig(log->key.get(), ss::DefaultMd(log->key.get()), text, sig)) {
      Verify(c, log->key.get(), ss::DefaultMd(log->key.get()), text, sig, "checkpoint");
      break;
    }
  }
}

void TimestampOps(Case* c, const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size()));
  PKCS7* token = TS_RESP_get_token(resp);
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(token), 0);
  const EVP_MD* md = EVP_get_digestbyobj(si->digest_alg->algorithm);
  // The signer: a TSA certificate of the trusted root (by issuer and serial).
  EVP_PKEY* key = nullptr;
  for (const auto& tsa : c->root->impl().tsas) {
    STACK_OF(X509)* signers = PKCS7_get0_signers(token, tsa->certs, PKCS7_NOINTERN);
    if (signers != nullptr && sk_X509_num(signers) == 1) {
      key = X509_get0_pubkey(sk_X509_value(signers, 0));
    }
    sk_X509_free(signers);
    if (key != nullptr) break;
  }
  unsigned char* attrs = nullptr;
  const int attrs_len = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(si->auth_attr), &attrs,
                                      ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
  ASN1_OCTET_STRING* content = token->d.sign->contents->d.other->value.octet_string;
  Hash(c, md, Der(content->data, content->length), "TSTInfo digest");
  const EVP_MD* imprint_md = EVP_get_digestbyobj(
      TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(TS_RESP_get_tst_info(resp)))->algorithm);
  Hash(c, imprint_md, c->parsed.signature, "message imprint");
  Verify(c, key, md, Der(attrs, attrs_len),
         Der(ASN1_STRING_get0_data(si->enc_digest), ASN1_STRING_length(si->enc_digest)),
         "TSA CMS signature", true);
  OPENSSL_free(attrs);
  TS_RESP_free(resp);
}

void CertificateOps(Case* c) {
  X509* leaf = c->parsed.chain[0].get();
  X509* issuer = nullptr;
  for (const auto& ca : c->root->impl().cas) {
    for (const auto& cert : ca->chain) {
      if (issuer == nullptr && X509_check_issued(cert.get(), leaf) == X509_V_OK) {
        issuer = cert.get();
      }
    }
  }
  const ASN1_BIT_STRING* sig = nullptr;
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(&sig, &alg, leaf);
  int md_nid = 0, pk_nid = 0;
  OBJ_find_sigid_algs(X509_get_signature_nid(leaf), &md_nid, &pk_nid);
  unsigned char* tbs = nullptr;
  const int tbs_len = i2d_re_X509_tbs(leaf, &tbs);
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  Verify(c, issuer_key, EVP_get_digestbynid(md_nid), Der(tbs, tbs_len),
         Der(ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig)), "leaf certificate", true);
  OPENSSL_free(tbs);
  // SCT over the precertificate TBS (the leaf's TBS without the SCT list extension).
  const std::string issuer_hash = ss::Sha256(ss::SpkiDer(issuer_key));
  STACK_OF(SCT)* scts =
      static_cast<STACK_OF(SCT)*>(X509_get_ext_d2i(leaf, NID_ct_precert_scts, nullptr, nullptr));
  X509* copy = X509_dup(leaf);
  X509_EXTENSION_free(X509_delete_ext(copy, X509_get_ext_by_NID(copy, NID_ct_precert_scts, -1)));
  unsigned char* pre = nullptr;
  const int pre_len = i2d_re_X509_tbs(copy, &pre);
  const std::string pre_tbs = Der(pre, pre_len);
  OPENSSL_free(pre);
  X509_free(copy);
  for (int i = 0; i < sk_SCT_num(scts); ++i) {
    SCT* sct = sk_SCT_value(scts, i);
    unsigned char* id = nullptr;
    const size_t id_len = SCT_get0_log_id(sct, &id);
    for (const ss::CtLog& log : c->root->impl().ctlogs) {
      if (log.log_id != std::string(reinterpret_cast<char*>(id), id_len)) continue;
      auto put = [](std::string* o, uint64_t v, int bytes) {
        for (int b = bytes - 1; b >= 0; --b) o->push_back(static_cast<char>((v >> (8 * b)) & 255));
      };
      unsigned char *ext = nullptr, *s = nullptr;
      const size_t ext_len = SCT_get0_extensions(sct, &ext);
      const size_t s_len = SCT_get0_signature(sct, &s);
      std::string data(2, '\0');
      put(&data, SCT_get_timestamp(sct), 8);
      put(&data, 1, 2);
      data += issuer_hash;
      put(&data, pre_tbs.size(), 3);
      data += pre_tbs;
      put(&data, ext_len, 2);
      data.append(reinterpret_cast<char*>(ext), ext_len);
      Verify(c, log.key.get(), EVP_sha256(), data, std::string(reinterpret_cast<char*>(s), s_len),
             "SCT");
    }
  }
  SCT_LIST_free(scts);
}

void ContentOps(Case* c, EVP_PKEY* key) {
  const ss::ParsedBundle& b = c->parsed;
  Hash(c, EVP_sha256(), c->artifact, "artifact digest");
  if (!b.is_dsse) {
    Verify(c, key, ss::DefaultMd(key), c->artifact, b.signature, "artifact signature");
    return;
  }
  const std::string pae = DssePae(b.payload_type, b.payload);
  Verify(c, key, ss::DefaultMd(key), pae, b.signature, "DSSE signature");
  for (const ss::TlogEntry& e : b.tlog) {
    if (e.kind == "dsse" || e.kind == "intoto") Hash(c, EVP_sha256(), b.payload, "payload hash");
    if (e.kind == "hashedrekord") Hash(c, EVP_sha256(), pae, "PAE hash");
  }
}

bool BuildOps(Case* c) {
  Finding fail;
  if (!ss::ParseSigstoreBundle(c->bundle, &c->root->impl(), true, &c->doc, &c->parsed, &fail))
    return false;
  for (const ss::TlogEntry& e : c->parsed.tlog) TlogOps(c, e);
  for (const std::string& ts : c->parsed.timestamps) TimestampOps(c, ts);
  EVP_PKEY* key = nullptr;
  if (c->policy.mode == SigstorePolicy::Mode::kKey) {
    key = static_cast<EVP_PKEY*>(c->policy.key->native());
  } else {
    CertificateOps(c);
    key = X509_get0_pubkey(c->parsed.chain[0].get());
  }
  ContentOps(c, key);
  for (const Op& op : c->ops) {
    if (!RunOp(op, false) || !RunOp(op, true)) {
      std::cerr << c->name << ": extracted op '" << op.label << "' does not succeed\n";
      return false;
    }
  }
  return true;
}

std::string Summary(const Case& c) {
  std::map<std::string, int> n;
  for (const Op& op : c.ops) {
    std::string k = op.label;
    if (op.kind == Op::Kind::kVerify) {
      const int id = EVP_PKEY_get_base_id(op.key);
      k += id == EVP_PKEY_ED25519 ? " Ed25519"
           : id == EVP_PKEY_RSA   ? " RSA"
                                  : " P-" + std::to_string(EVP_PKEY_get_bits(op.key));
    }
    ++n[k];
  }
  std::string s;
  for (const auto& [k, v] : n) s += (s.empty() ? "" : ", ") + std::to_string(v) + "x " + k;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: openssl_ops_bench <sigstore-conformance dir> [seconds]\n";
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 6.0;
  std::map<std::string, std::shared_ptr<const TrustedRoot>> roots;
  std::vector<std::unique_ptr<Case>> cases;
  for (const auto& j : nlohmann::json::parse(Slurp(dir + "cases.json"))) {
    if (j["expect"] != "pass") continue;
    auto c = std::make_unique<Case>();
    c->name = j["name"];
    const std::string tr = j["trusted_root"];
    if (!roots.count(tr)) roots[tr] = *TrustedRoot::FromJson(Slurp(dir + tr));
    c->root = roots[tr];
    c->bundle = Slurp(dir + j["bundle"].get<std::string>());
    c->artifact = Slurp(dir + j["artifact"].get<std::string>());
    if (j["key"].is_string()) {
      c->policy.mode = SigstorePolicy::Mode::kKey;
      c->policy.key = *SigstoreKey::FromPem(Slurp(dir + j["key"].get<std::string>()));
    } else {
      c->policy.identity = j["identity"];
      c->policy.issuer = j["issuer"];
    }
    if (!BuildOps(c.get())) return 1;
    cases.push_back(std::move(c));
  }
  using Clock = std::chrono::steady_clock;
  auto us_per = [](Clock::time_point a, Clock::time_point b, int n) {
    return std::chrono::duration<double, std::micro>(b - a).count() / n;
  };
  // Interleaved single runs (ops, then the full verification, case after case), so both see
  // the same machine load; the best run of each filters out preemption by other processes.
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    for (auto& c : cases) {
      auto ta = Clock::now();
      for (const Op& op : c->ops) RunOp(op, false);
      auto t0 = Clock::now();
      for (const Op& op : c->ops) RunOp(op, true);
      auto t1 = Clock::now();
      if (!VerifySigstoreBundle(c->bundle, c->root.get(), SigstoreArtifact::Bytes(c->artifact),
                                c->policy)
               .verified) {
        std::cerr << c->name << " does not verify\n";
        return 1;
      }
      auto t2 = Clock::now();
      const double ops = us_per(ta, t0, 1), fixed = us_per(t0, t1, 1), verify = us_per(t1, t2, 1);
      c->ops_us = std::min(c->ops_us, ops);
      c->fixed_us = std::min(c->fixed_us, fixed);
      c->fixed_sum += fixed;
      c->verify_us = std::min(c->verify_us, verify);
      c->ops_sum += ops;
      c->verify_sum += verify;
      ++c->runs;
    }
  }
  double ops_best = 0, fixed_best = 0, verify_best = 0, ops_mean = 0, fixed_mean = 0,
         verify_mean = 0;
  for (const auto& c : cases) {
    std::printf("%-40s ops_us=%7.1f fixed_ops_us=%7.1f verify_us=%7.1f ratio=%.2f [%s]\n",
                c->name.c_str(), c->ops_us, c->fixed_us, c->verify_us, c->verify_us / c->fixed_us,
                Summary(*c).c_str());
    ops_best += c->ops_us;
    fixed_best += c->fixed_us;
    verify_best += c->verify_us;
    ops_mean += c->ops_sum / c->runs;
    fixed_mean += c->fixed_sum / c->runs;
    verify_mean += c->verify_sum / c->runs;
  }
  const double n = static_cast<double>(cases.size());
  // ratio: against the operations as the verifier runs them (fixed-base P-384 for trusted
  // keys); evp_ratio: against the same operations all through EVP_DigestVerify.
  std::printf(
      "best runs: cases=%zu ops_only_per_s=%.0f fixed_ops_per_s=%.0f verify_per_s=%.0f "
      "ratio=%.3f evp_ratio=%.3f\n",
      cases.size(), 1e6 * n / ops_best, 1e6 * n / fixed_best, 1e6 * n / verify_best,
      verify_best / fixed_best, verify_best / ops_best);
  std::printf(
      "mean runs: rounds=%ld ops_only_per_s=%.0f fixed_ops_per_s=%.0f verify_per_s=%.0f "
      "ratio=%.3f evp_ratio=%.3f\n",
      cases.front()->runs, 1e6 * n / ops_mean, 1e6 * n / fixed_mean, 1e6 * n / verify_mean,
      verify_mean / fixed_mean, verify_mean / ops_mean);
  return 0;
}
