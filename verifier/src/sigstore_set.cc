// Step 1 (Rekor v1): the signed entry timestamp (SET) over the canonical JSON
// {"body","integratedTime","logID","logIndex"}; only a verified SET makes integratedTime a
// trusted time, and the log key's validity must contain it.
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {

const TlogKey* FindTlog(const TrustedRoot::Impl& root, std::string_view log_id) {
  for (const TlogKey& t : root.tlogs) {
    if (t.log_id == log_id) return &t;
  }
  return nullptr;
}

bool VerifySet(const TrustedRoot::Impl& root, const TlogEntry& e, Finding* fail) {
  const TlogKey* log = FindTlog(root, e.log_id);
  if (log == nullptr) {
    Fail(fail, "sigstore.tlog.unknown_log", "the tlog entry names a log the trusted root lacks", "",
         Hex(e.log_id));
    return false;
  }
  if (!e.integrated_time) {
    Fail(fail, "sigstore.tlog.set_invalid", "the entry has a SET but no integratedTime");
    return false;
  }
  std::string payload;
  payload.reserve(e.body_b64.size() + 160);
  payload += "{\"body\":\"";
  payload += e.body_b64;
  payload += "\",\"integratedTime\":";
  payload += std::to_string(*e.integrated_time);
  payload += ",\"logID\":\"";
  payload += Hex(e.log_id);
  payload += "\",\"logIndex\":";
  payload += std::to_string(e.log_index);
  payload += "}";
  if (!VerifySig(log->key.get(), DefaultMd(log->key.get()), payload, e.set)) {
    Fail(fail, "sigstore.tlog.set_invalid",
         "the signed entry timestamp does not verify with the log's key", log->base_url);
    return false;
  }
  if (!log->valid_for.Contains(*e.integrated_time)) {
    Fail(fail, "sigstore.tlog.key_validity",
         "integratedTime lies outside the log key's validity in the trusted root", "",
         std::to_string(*e.integrated_time));
    return false;
  }
  return true;
}

}  // namespace provbadge::verifier::sigstore
