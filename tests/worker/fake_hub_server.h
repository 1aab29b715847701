// A small Hugging Face-compatible hub for tests, serving a hub mirror folder (hub_mirror.h
// layout) in the HTTP API shape that HubHttp reads (notes/formats.md §4.2):
//   GET /api/models/{org}/{name}/revision/{ref}        {"id": ..., "sha": ...} from refs.json
//   GET /api/models/{org}/{name}/tree/{commit}?...     paginated (Link rel="next", cursor=N),
//                                                       files >= lfs_threshold carry lfs.oid
//   GET /{org}/{name}/resolve/{commit}/{path}          Range: bytes=a-b -> 206
//   GET /cdn/{org}/{name}/{commit}/{path}              the redirect target when redirecting
//                                                       (named "localhost": another server)
// plus injectable faults: 503s, 429s, truncated bodies, slow answers, a required token,
// redirect chains and oversized response headers.
//
// Ownership: owns its listening thread and one thread per connection; the destructor stops
// and joins them. Thread-safety: the fault knobs are atomics, safe to change while serving.
#ifndef PROVBADGE_TESTS_WORKER_FAKE_HUB_SERVER_H_
#define PROVBADGE_TESTS_WORKER_FAKE_HUB_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace provbadge::testing {

struct FakeHubKnobs {
  std::atomic<int> fail_next{0};          // the next N requests answer 503
  std::atomic<int> throttle_next{0};      // the next N requests answer 429 (Retry-After: 0)
  std::atomic<int> truncate_next{0};      // the next N file bodies are cut after half (then close)
  std::atomic<int> delay_ms{0};           // every answer waits this long first
  std::atomic<bool> down{false};          // every request answers 503
  std::atomic<bool> ignore_range{false};  // answer file requests 200 with the whole file
  std::atomic<bool> redirect_files{false};     // resolve -> 302 -> /cdn/...
  std::atomic<int> redirect_hops{0};           // revision requests redirect N times to themselves
  std::atomic<int> header_bytes{0};            // pad every response's fields to exactly N bytes
  std::atomic<int> page_size{3};               // tree entries per page
  std::atomic<uint64_t> lfs_threshold{1024};   // files this large or larger carry lfs.oid
  std::atomic<int> file_requests{0};           // resolve + cdn requests seen
  std::atomic<int> cdn_with_authorization{0};  // cdn requests that carried a token (must be 0)
  std::atomic<int> unauthorized{0};            // requests refused for a missing/wrong token
};

class FakeHubServer {
 public:
  // Serves `mirror_root` on 127.0.0.1 (a free port). A non-empty `token` is required as
  // "Authorization: Bearer <token>" on every non-CDN request (401 otherwise).
  explicit FakeHubServer(std::string mirror_root, std::string token = "");
  ~FakeHubServer();
  FakeHubServer(const FakeHubServer&) = delete;
  FakeHubServer& operator=(const FakeHubServer&) = delete;

  uint16_t port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  FakeHubKnobs& knobs();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_WORKER_FAKE_HUB_SERVER_H_
