// FixedKeyEcdsa (the fixed-base P-384/P-521 verifier) against OpenSSL's EVP_DigestVerify: the
// same answer on valid signatures, on every kind of invalid one (mutated DER, non-canonical
// encodings, out-of-range r or s, another message or key) and on digests longer than the order.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "verifier/src/ecdsa_fixed_key.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using provbadge::verifier::sigstore::FixedKeyEcdsa;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey NewKey(const char* curve) { return Pkey(EVP_EC_gen(curve)); }

std::string Sign(EVP_PKEY* key, const EVP_MD* md, const std::string& msg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, md, nullptr, key) == 1);
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(msg.data()),
                         msg.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1);
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

bool EvpVerify(EVP_PKEY* key, const EVP_MD* md, const std::string& msg, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  int rc = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key);
  if (rc == 1) {
    rc = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  }
  EVP_MD_CTX_free(ctx);
  return rc == 1;
}

// DER of (r, s) with r, s given as BIGNUMs (taken over).
std::string SigDer(BIGNUM* r, BIGNUM* s) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  REQUIRE(len > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

struct Parsed {
  BIGNUM* r;
  BIGNUM* s;
};
Parsed Components(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  REQUIRE(sig != nullptr);
  Parsed out{BN_dup(ECDSA_SIG_get0_r(sig)), BN_dup(ECDSA_SIG_get0_s(sig))};
  ECDSA_SIG_free(sig);
  return out;
}

BIGNUM* Order(const char* curve) {
  EC_GROUP* g = EC_GROUP_new_by_curve_name(EC_curve_nist2nid(curve));
  REQUIRE(g != nullptr);
  BIGNUM* n = BN_dup(EC_GROUP_get0_order(g));
  EC_GROUP_free(g);
  return n;
}

// Both verifiers agree on `sig`; returns their answer.
bool Agree(const FixedKeyEcdsa& fixed, EVP_PKEY* key, const EVP_MD* md, const std::string& msg,
           const std::string& sig) {
  const bool want = EvpVerify(key, md, msg, sig);
  INFO("signature of " << sig.size() << " bytes");
  CHECK(fixed.Verify(md, msg, sig) == want);
  return want;
}

}  // namespace

TEST_CASE("ecdsa fixed key: only P-384 and P-521 keys get a fixed-base verifier", "[ecdsa]") {
  CHECK(FixedKeyEcdsa::Make(NewKey("P-384").get()) != nullptr);
  CHECK(FixedKeyEcdsa::Make(NewKey("P-521").get()) != nullptr);
  CHECK(FixedKeyEcdsa::Make(NewKey("P-256").get()) == nullptr);
  Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  CHECK(FixedKeyEcdsa::Make(ed.get()) == nullptr);
  Pkey rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  CHECK(FixedKeyEcdsa::Make(rsa.get()) == nullptr);
  CHECK(FixedKeyEcdsa::Make(nullptr) == nullptr);
}

TEST_CASE("ecdsa fixed key: agrees with EVP_DigestVerify on valid and mutated signatures",
          "[ecdsa]") {
  for (const char* curve : {"P-384", "P-521"}) {
    // SHA-512 on P-384 is longer than the order (truncation); SHA-256 shorter.
    for (const EVP_MD* md : {EVP_sha256(), EVP_sha384(), EVP_sha512()}) {
      Pkey key = NewKey(curve);
      auto fixed = FixedKeyEcdsa::Make(key.get());
      REQUIRE(fixed != nullptr);
      int valid = 0, invalid = 0;
      for (int i = 0; i < 8; ++i) {
        const std::string msg = "message " + std::to_string(i) + std::string(i * 37, 'x');
        const std::string sig = Sign(key.get(), md, msg);
        REQUIRE(Agree(*fixed, key.get(), md, msg, sig));
        ++valid;
        // Every byte of the DER changed in turn, and one bit of the message.
        for (size_t b = 0; b < sig.size(); ++b) {
          std::string bad = sig;
          bad[b] = static_cast<char>(bad[b] ^ (1 << (b % 8)));
          invalid += Agree(*fixed, key.get(), md, msg, bad) ? 0 : 1;
        }
        std::string other = msg;
        other[0] ^= 1;
        CHECK_FALSE(Agree(*fixed, key.get(), md, other, sig));
        // Trailing byte, truncation, empty.
        CHECK_FALSE(Agree(*fixed, key.get(), md, msg, sig + '\0'));
        CHECK_FALSE(Agree(*fixed, key.get(), md, msg, sig.substr(0, sig.size() - 1)));
        CHECK_FALSE(Agree(*fixed, key.get(), md, msg, ""));
      }
      CHECK(valid == 8);
      CHECK(invalid > 8 * 60);  // nearly every mutation is rejected by both
      // Another key's verifier rejects, the right digest through VerifyDigest accepts.
      const std::string sig = Sign(key.get(), md, "m");
      Pkey other = NewKey(curve);
      CHECK_FALSE(FixedKeyEcdsa::Make(other.get())->Verify(md, "m", sig));
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      REQUIRE(EVP_Digest("m", 1, digest, &len, md, nullptr) == 1);
      CHECK(fixed->VerifyDigest(std::string(reinterpret_cast<char*>(digest), len), sig));
      CHECK_FALSE(fixed->Verify(nullptr, "m", sig));
    }
  }
}

TEST_CASE("ecdsa fixed key: r and s out of range, high s and non-canonical DER", "[ecdsa]") {
  const char* curve = "P-384";
  const EVP_MD* md = EVP_sha384();
  Pkey key = NewKey(curve);
  auto fixed = FixedKeyEcdsa::Make(key.get());
  REQUIRE(fixed != nullptr);
  const std::string msg = "the TBS bytes";
  const std::string sig = Sign(key.get(), md, msg);
  const Parsed rs = Components(sig);
  BIGNUM* n = Order(curve);
  // (r, n - s) is the other valid signature (ECDSA has no low-s rule): both accept.
  BIGNUM* high_s = BN_new();
  BN_sub(high_s, n, rs.s);
  CHECK(Agree(*fixed, key.get(), md, msg, SigDer(BN_dup(rs.r), high_s)));
  // r or s zero, equal to n, n + r (the same residue), negative.
  BIGNUM* n_plus_r = BN_new();
  BN_add(n_plus_r, n, rs.r);
  const std::vector<std::string> bad = {
      SigDer(BN_new(), BN_dup(rs.s)),  SigDer(BN_dup(rs.r), BN_new()),
      SigDer(BN_dup(n), BN_dup(rs.s)), SigDer(BN_dup(rs.r), BN_dup(n)),
      SigDer(n_plus_r, BN_dup(rs.s)),
  };
  for (const std::string& b : bad) CHECK_FALSE(Agree(*fixed, key.get(), md, msg, b));
  // A negative r (INTEGER -1), which i2d will not produce: DER built by hand.
  const std::string s_tlv = sig.substr(4 + static_cast<unsigned char>(sig[3]));
  const std::string neg_r = std::string("\x02\x01\xff", 3) + s_tlv;
  CHECK_FALSE(Agree(*fixed, key.get(), md, msg,
                    std::string("\x30", 1) + static_cast<char>(neg_r.size()) + neg_r));
  // The same integers with a redundant leading zero in r, or a long-form length: not DER.
  const size_t r_len = static_cast<unsigned char>(sig[3]);
  std::string padded = sig.substr(0, 2) + std::string("\x02", 1) + static_cast<char>(r_len + 1) +
                       std::string(1, '\0') + sig.substr(4);
  padded[1] = static_cast<char>(static_cast<unsigned char>(padded[1]) + 1);
  if (static_cast<unsigned char>(sig[1]) < 0x7f) {
    CHECK_FALSE(Agree(*fixed, key.get(), md, msg, padded));
    const std::string long_form =
        std::string("\x30\x81", 2) + static_cast<char>(sig[1]) + sig.substr(2);
    CHECK_FALSE(Agree(*fixed, key.get(), md, msg, long_form));
  }
  BN_free(n);
  BN_free(rs.r);
  BN_free(rs.s);
}

TEST_CASE("ecdsa fixed key: one verifier serves many threads at once", "[ecdsa]") {
  Pkey key = NewKey("P-384");
  auto fixed = FixedKeyEcdsa::Make(key.get());
  REQUIRE(fixed != nullptr);
  std::vector<std::string> msgs, sigs;
  for (int i = 0; i < 8; ++i) {
    msgs.push_back("msg" + std::to_string(i));
    sigs.push_back(Sign(key.get(), EVP_sha384(), msgs.back()));
  }
  std::atomic<int> good{0}, rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 16; ++i) {
        const size_t k = static_cast<size_t>(i + t) % msgs.size();
        good += fixed->Verify(EVP_sha384(), msgs[k], sigs[k]) ? 1 : 0;
        rejected += fixed->Verify(EVP_sha384(), msgs[(k + 1) % msgs.size()], sigs[k]) ? 0 : 1;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(good == 64);
  CHECK(rejected == 64);
}
