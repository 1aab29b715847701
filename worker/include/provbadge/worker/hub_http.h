// The hub source over a Hugging Face-compatible HTTP API (notes/formats.md §4.2):
//   ResolveRef    GET {url}/api/models/{repo}/revision/{ref}  -> "sha" (the ref percent-encoded)
//   OpenRevision  GET {url}/api/models/{repo}/tree/{commit}?recursive=true&expand=false,
//                 following Link rel="next" pages on the same server; "file" entries become
//                 FileInfo (lfs.oid -> sha256 known, lfs = true), sorted by path
//   FileReader    GET {url}/{repo}/resolve/{commit}/{path} with Range: bytes=<offset>-<end>,
//                 streamed: sequential ReadAt calls continue one response, reading straight
//                 into the caller's buffer (no temp copy); a seek or a cut connection opens a
//                 new range from where the reader is. Redirects (CDN) are followed, at most 5;
//                 the token is sent only to the hub's own server.
// Every request: connect and per-read timeouts; up to `max_attempts` tries on connection
// errors, timeouts, truncated bodies, 429 and 5xx, with exponential backoff (Retry-After is
// honoured up to 30 s). Errors: 404 -> kNotFound (the hub may lag: the pipeline retries); a hub
// that stays unreachable, 401/403 and other failures -> kUnavailable (never a verdict);
// malformed hub data (tree entries, shas) -> kInvalidInput. TLS verifies the server's chain
// against the system CAs (plus `ca_file`) and its host name, with SNI.
//
// Ownership: a RevisionSource (and its readers) borrows the HubHttp that opened it, which must
// outlive them. Thread-safety: all methods are safe to call concurrently; each reader owns its
// connection and is used by one thread at a time (the RevisionSource contract).
#ifndef PROVBADGE_WORKER_HUB_HTTP_H_
#define PROVBADGE_WORKER_HUB_HTTP_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/worker/hub_source.h"

namespace provbadge::worker {

struct HubHttpOptions {
  std::string url = "https://huggingface.co";  // may carry a path prefix
  std::string token;                           // Bearer token; empty: anonymous
  std::string ca_file;                         // extra trusted CAs (PEM); empty: system only
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{30000};  // per read or write operation
  int max_attempts = 4;                           // tries per request (>= 1)
  std::chrono::milliseconds retry_base{500};      // doubled per try, capped at 30 s
  size_t max_files = 100000;                      // tree entries per revision
  size_t max_pages = 1000;                        // tree pages per revision
  size_t max_json_bytes = 32u << 20;              // one tree page or revision answer
};

class HubHttp : public HubSource {
 public:
  // kInvalidInput for a bad url or options; kUnavailable if the CA file cannot be loaded.
  static Result<std::unique_ptr<HubHttp>> Create(HubHttpOptions options);
  ~HubHttp() override;
  Result<std::string> ResolveRef(std::string_view repo, std::string_view ref) const override;
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override;

  class Impl;

 private:
  explicit HubHttp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_HUB_HTTP_H_
