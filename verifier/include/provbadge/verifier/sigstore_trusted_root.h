// A Sigstore trusted root (trusted_root.json, or a ClientTrustConfig wrapping one), parsed
// once into ready OpenSSL key and certificate objects: Fulcio CAs, Rekor v1/v2 logs, CT logs
// and timestamp authorities, each with its validity interval (closed at both ends).
//
// Ownership: the root owns its OpenSSL objects; share it through shared_ptr<const>.
// Thread-safety: immutable after construction; safe to use from many threads at once.
// Contract: parsing fails closed — a malformed interval, key or certificate rejects the whole
// root (Error kInvalidInput with the JSON path of the problem).
#ifndef PROVBADGE_VERIFIER_SIGSTORE_TRUSTED_ROOT_H_
#define PROVBADGE_VERIFIER_SIGSTORE_TRUSTED_ROOT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"

namespace provbadge::verifier {

// [start, end] in Unix seconds; no end means open-ended.
struct TimeRange {
  int64_t start = 0;
  std::optional<int64_t> end;
  bool Contains(int64_t t) const { return t >= start && (!end || t <= *end); }
};

class TrustedRoot {
 public:
  struct Impl;  // defined in verifier/src/sigstore_internal.h
  // Accepts application/vnd.dev.sigstore.trustedroot{+json;version=0.1,.v0.2+json} or a
  // ClientTrustConfig (application/vnd.dev.sigstore.clienttrustconfig.v0.1+json).
  static Result<std::shared_ptr<const TrustedRoot>> FromJson(std::string_view json);
  // A private PKI (OMS certificate mode): every PEM certificate in `pems` is a trust anchor
  // (one certificate authority per anchor, open-ended validity); no logs, no TSAs.
  static Result<std::shared_ptr<const TrustedRoot>> FromCertificatePems(
      const std::vector<std::string>& pems);
  ~TrustedRoot();
  TrustedRoot(const TrustedRoot&) = delete;
  TrustedRoot& operator=(const TrustedRoot&) = delete;

  const Impl& impl() const { return *impl_; }
  size_t tlog_count() const;
  size_t ca_count() const;
  size_t ctlog_count() const;
  size_t tsa_count() const;

 private:
  explicit TrustedRoot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_SIGSTORE_TRUSTED_ROOT_H_
