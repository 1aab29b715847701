// See ecdsa_fixed_key.h. EC_GROUP_precompute_mult and EC_POINTs_mul are deprecated in
// OpenSSL 3.0 (no provider replacement exists for fixed-base precomputation); this one
// translation unit uses them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ecdsa_fixed_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <cstring>

namespace provbadge::verifier::sigstore {
namespace {

struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using GroupPtr = std::unique_ptr<EC_GROUP, GroupFree>;
using PointPtr = std::unique_ptr<EC_POINT, PointFree>;

int CurveNid(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return NID_undef;
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    return NID_undef;
  }
  const int nid = OBJ_sn2nid(name);
  return nid != NID_undef ? nid : EC_curve_nist2nid(name);
}

// The ECDSA-Sig-Value, only when `der` is its exact DER encoding (as ossl_ecdsa_verify).
std::unique_ptr<ECDSA_SIG, SigFree> StrictSig(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return nullptr;
  unsigned char* again = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &again);
  const bool same = len > 0 && static_cast<size_t>(len) == der.size() &&
                    std::memcmp(again, der.data(), der.size()) == 0;
  OPENSSL_free(again);
  return same ? std::move(sig) : nullptr;
}

bool InRange(const BIGNUM* v, const BIGNUM* order) {
  return !BN_is_zero(v) && !BN_is_negative(v) && BN_ucmp(v, order) < 0;
}

}  // namespace

struct FixedKeyEcdsa::State {
  GroupPtr g;      // the curve, generator G, with precomputation
  GroupPtr q;      // the same curve with the public key Q as generator, with precomputation
  PointPtr q_gen;  // Q (also the dummy point of the zero-scalar term, see Mul)
  const BIGNUM* order = nullptr;                // owned by g
  std::unique_ptr<BIGNUM, BnFree> p{BN_new()};  // the field prime
  int order_bits = 0;
};

std::unique_ptr<FixedKeyEcdsa> FixedKeyEcdsa::Make(EVP_PKEY* key) {
  if (key == nullptr) return nullptr;
  const int nid = CurveNid(key);
  if (nid != NID_secp384r1 && nid != NID_secp521r1) return nullptr;
  unsigned char pub[256];
  size_t pub_len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &pub_len) !=
      1) {
    ERR_clear_error();
    return nullptr;
  }
  auto s = std::make_unique<State>();
  s->g.reset(EC_GROUP_new_by_curve_name(nid));
  s->q.reset(EC_GROUP_new_by_curve_name(nid));
  if (!s->g || !s->q) return nullptr;
  s->q_gen.reset(EC_POINT_new(s->q.get()));
  const bool ok =
      s->q_gen && EC_POINT_oct2point(s->q.get(), s->q_gen.get(), pub, pub_len, nullptr) == 1 &&
      EC_POINT_is_on_curve(s->q.get(), s->q_gen.get(), nullptr) == 1 &&
      EC_POINT_is_at_infinity(s->q.get(), s->q_gen.get()) == 0 &&
      EC_GROUP_set_generator(s->q.get(), s->q_gen.get(), EC_GROUP_get0_order(s->g.get()),
                             EC_GROUP_get0_cofactor(s->g.get())) == 1 &&
      EC_GROUP_precompute_mult(s->g.get(), nullptr) == 1 &&
      EC_GROUP_precompute_mult(s->q.get(), nullptr) == 1 && s->p &&
      EC_GROUP_get_curve(s->g.get(), s->p.get(), nullptr, nullptr, nullptr) == 1;
  ERR_clear_error();
  if (!ok) return nullptr;
  s->order = EC_GROUP_get0_order(s->g.get());
  s->order_bits = BN_num_bits(s->order);
  return std::unique_ptr<FixedKeyEcdsa>(new FixedKeyEcdsa(std::move(s)));
}

FixedKeyEcdsa::FixedKeyEcdsa(std::unique_ptr<State> s) : s_(std::move(s)) {}
FixedKeyEcdsa::~FixedKeyEcdsa() = default;

bool FixedKeyEcdsa::Verify(const EVP_MD* md, std::string_view msg, std::string_view der_sig) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(msg.data(), msg.size(), digest, &len, md, nullptr) != 1) {
    ERR_clear_error();
    return false;
  }
  return VerifyDigest(std::string_view(reinterpret_cast<char*>(digest), len), der_sig);
}

namespace {

// k * (generator of `group`), as a fixed-base multiplication: OpenSSL sends a lone
// generator multiple to its constant-time ladder (no precomputation), so a second term with
// scalar 0 keeps it on the wNAF path that uses the precomputed table.
bool Mul(const EC_GROUP* group, EC_POINT* out, const BIGNUM* k, const EC_POINT* dummy,
         const BIGNUM* zero, BN_CTX* ctx) {
  const EC_POINT* points[1] = {dummy};
  const BIGNUM* scalars[1] = {zero};
  return EC_POINTs_mul(group, out, k, 1, points, scalars, ctx) == 1;
}

// x(R) mod n == r without the field inversion of an affine conversion: with R = (X, Y, Z) in
// Jacobian coordinates (Z != 0), x(R) = X / Z^2, and since 0 <= x(R) < p, x(R) mod n == r
// exactly when x(R) is r or, if r + n < p, r + n; each is tested as X == c * Z^2 (mod p).
bool XModOrderIs(const EC_GROUP* g, const BIGNUM* p, const BIGNUM* order, const EC_POINT* pt,
                 const BIGNUM* r, BIGNUM* tmp, BN_CTX* ctx) {
  BN_CTX_start(ctx);
  BIGNUM* x = BN_CTX_get(ctx);
  BIGNUM* z = BN_CTX_get(ctx);
  BIGNUM* z2 = BN_CTX_get(ctx);
  bool match = false;
  if (z2 != nullptr && EC_POINT_get_Jprojective_coordinates_GFp(g, pt, x, nullptr, z, ctx) == 1 &&
      !BN_is_zero(z) && BN_mod_sqr(z2, z, p, ctx) == 1 && BN_mod_mul(tmp, r, z2, p, ctx) == 1) {
    match = BN_cmp(tmp, x) == 0;
    if (!match && BN_add(tmp, r, order) == 1 && BN_cmp(tmp, p) < 0 &&
        BN_mod_mul(tmp, tmp, z2, p, ctx) == 1) {
      match = BN_cmp(tmp, x) == 0;
    }
  }
  BN_CTX_end(ctx);
  return match;
}

}  // namespace

bool FixedKeyEcdsa::VerifyDigest(std::string_view digest, std::string_view der_sig) const {
  const auto sig = StrictSig(der_sig);
  if (!sig) {
    ERR_clear_error();
    return false;
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  if (!InRange(r, s_->order) || !InRange(s, s_->order)) return false;
  std::unique_ptr<BN_CTX, CtxFree> ctx(BN_CTX_new());
  if (!ctx) return false;
  BN_CTX_start(ctx.get());
  BIGNUM* m = BN_CTX_get(ctx.get());
  BIGNUM* w = BN_CTX_get(ctx.get());
  BIGNUM* u1 = BN_CTX_get(ctx.get());
  BIGNUM* u2 = BN_CTX_get(ctx.get());
  BIGNUM* x = BN_CTX_get(ctx.get());
  BIGNUM* zero = BN_CTX_get(ctx.get());
  PointPtr p1(EC_POINT_new(s_->g.get())), p2(EC_POINT_new(s_->g.get()));
  // The leftmost order_bits bits of the digest (SEC 1 §4.1.4 step 5, as ossl_ecdsa_verify).
  size_t len = digest.size();
  if (8 * len > static_cast<size_t>(s_->order_bits)) len = (s_->order_bits + 7) / 8;
  bool ok = x != nullptr && zero != nullptr && p1 && p2 &&
            BN_bin2bn(reinterpret_cast<const unsigned char*>(digest.data()), static_cast<int>(len),
                      m) != nullptr;
  if (ok && 8 * len > static_cast<size_t>(s_->order_bits)) {
    ok = BN_rshift(m, m, 8 - (s_->order_bits & 7)) == 1;
  }
  if (ok) {
    BN_zero(zero);
    ok = BN_mod_inverse(w, s, s_->order, ctx.get()) != nullptr &&
         BN_mod_mul(u1, m, w, s_->order, ctx.get()) == 1 &&
         BN_mod_mul(u2, r, w, s_->order, ctx.get()) == 1 &&
         Mul(s_->g.get(), p1.get(), u1, s_->q_gen.get(), zero, ctx.get()) &&
         Mul(s_->q.get(), p2.get(), u2, s_->q_gen.get(), zero, ctx.get()) &&
         EC_POINT_add(s_->g.get(), p1.get(), p1.get(), p2.get(), ctx.get()) == 1 &&
         EC_POINT_is_at_infinity(s_->g.get(), p1.get()) == 0 &&
         XModOrderIs(s_->g.get(), s_->p.get(), s_->order, p1.get(), r, x, ctx.get());
  }
  BN_CTX_end(ctx.get());
  ERR_clear_error();
  return ok;
}

}  // namespace provbadge::verifier::sigstore
