// HubHttp against FakeHubServer (the example hub served in the Hugging Face API shape):
// parsing, pagination, ranged streaming reads, retries, timeouts, tokens, redirects, and the
// whole pipeline giving the same badges over HTTP as over the mirror.
#include "provbadge/worker/hub_http.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>

#include "common/test_paths.h"
#include "fake_hub_server.h"
#include "hub_http_internal.h"
#include "in_memory_badge_store.h"
#include "provbadge/config/config.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/worker/hub_mirror.h"
#include "provbadge/worker/pipeline.h"

namespace provbadge::worker {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::FakeHubServer;

const std::string kRepo = "acme/tiny-llama";

std::string HubRoot() { return provbadge::testing::SourceDir() + "/examples/hub"; }

std::unique_ptr<HubHttp> Client(const std::string& url, std::string token = "",
                                milliseconds read_timeout = milliseconds(2000)) {
  HubHttpOptions o;
  o.url = url;
  o.token = std::move(token);
  o.read_timeout = read_timeout;
  o.connect_timeout = milliseconds(2000);
  o.retry_base = milliseconds(1);
  o.max_attempts = 4;
  auto hub = HubHttp::Create(o);
  INFO((hub.ok() ? std::string() : hub.error().message()));
  REQUIRE(hub.ok());
  return std::move(hub).value();
}

std::string ReadAll(verifier::FileReader& reader, size_t chunk) {
  std::string out(reader.Size(), '\0');
  uint64_t offset = 0;
  while (offset < reader.Size()) {
    size_t n = std::min<uint64_t>(chunk, reader.Size() - offset);
    auto got = reader.ReadAt(offset, std::as_writable_bytes(std::span<char>(&out[offset], n)));
    INFO((got.ok() ? std::string() : got.error().message()));
    REQUIRE(got.ok());
    REQUIRE(*got > 0);
    offset += *got;
  }
  return out;
}

std::string MirrorBytes(const std::string& repo, const std::string& commit,
                        const std::string& path) {
  HubMirror mirror(HubRoot());
  auto src = mirror.OpenRevision(repo, commit);
  REQUIRE(src.ok());
  auto reader = (*src)->Open(path);
  REQUIRE(reader.ok());
  return ReadAll(**reader, 1 << 20);
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += {kHex[md[i] >> 4], kHex[md[i] & 0xf]};
  return hex;
}

TEST_CASE("hub http: url, link and content-range parsing", "[hub_http]") {
  using namespace hub_http;
  auto base = ParseBaseUrl("https://hub.example:8443/mirror/");
  REQUIRE(base.ok());
  CHECK(base->tls);
  CHECK(base->host == "hub.example");
  CHECK(base->port == "8443");
  CHECK(base->prefix == "/mirror");
  CHECK(ParseBaseUrl("http://[::1]:81")->host == "::1");
  CHECK(ParseBaseUrl("http://h")->port == "80");
  for (const char* bad : {"ftp://h", "https://user:pw@h/", "https://h:0/", "https://h:99999",
                          "https://", "https://h/a b", "https://h/#frag", "http://h?x=1"}) {
    INFO(bad);
    CHECK_FALSE(ParseBaseUrl(bad).ok());
  }
  CHECK(NextLink(R"(<https://h/api?cursor=2>; rel="next")") == "https://h/api?cursor=2");
  CHECK(NextLink(R"(<https://h/p>; rel="prev", <https://h/n>; rel="next")") == "https://h/n");
  CHECK_FALSE(NextLink(R"(<https://h/p>; rel="prev")").has_value());
  CHECK_FALSE(NextLink("").has_value());
  CHECK_FALSE(NextLink("<unterminated").has_value());
  auto range = ParseContentRange("bytes 10-19/1000");
  REQUIRE(range);
  CHECK(range->first == 10);
  CHECK(range->last == 19);
  CHECK(range->total == 1000);
  for (const char* bad :
       {"bytes 19-10/1000", "bytes 0-1000/1000", "bytes */1000", "items 0-1/2", "bytes 0-1/x"}) {
    CHECK_FALSE(ParseContentRange(bad).has_value());
  }
  CHECK(PercentEncode("refs/pr/1", false) == "refs%2Fpr%2F1");
  CHECK(PercentEncode("dir/a b.bin", true) == "dir/a%20b.bin");
}

TEST_CASE("hub http: malformed tree pages are refused naming the entry", "[hub_http]") {
  using hub_http::AppendTreePage;
  std::vector<verifier::FileInfo> files;
  auto fails = [&](const std::string& json, const std::string& what) {
    files.clear();
    Status s = AppendTreePage(json, 100, files);
    INFO(json);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInvalidInput);
    CHECK_THAT(s.error().message(), Catch::Contains(what));
  };
  fails("{", "not valid JSON");
  fails("{}", "array");
  fails(R"([{"type":"file","path":"../x","size":1}])", "path");
  fails(R"([{"type":"file","path":"/abs","size":1}])", "path");
  fails(R"([{"type":"file","path":"a","size":-1}])", "size");
  fails(R"([{"type":"file","path":"a","size":1.5}])", "size");
  fails(R"([{"type":"file","path":"a","size":1,"lfs":{"oid":"XYZ"}}])", "lfs.oid");
  fails(R"([{"type":"file","path":"a","size":1,"lfs":{"oid":")" + std::string(64, 'a') +
            R"(","size":2}}])",
        "lfs.size");
  fails(R"([{"type":"file","path":"a","size":1},{"type":"file","path":"a","size":1}])",
        "listed twice");
  fails(R"([{"type":"symlink","path":"a","size":1}])", "type");
  files.clear();
  CHECK_FALSE(AppendTreePage(R"([{"type":"file","path":"a","size":1},
                                 {"type":"file","path":"b","size":1}])",
                             1, files)
                  .ok());
  files.clear();
  REQUIRE(AppendTreePage(R"([{"type":"directory","path":"d","size":0},
      {"type":"file","path":"d/w.bin","size":3,"lfs":{"oid":")" +
                             std::string(64, 'c') + R"(","size":3}}])",
                         10, files)
              .ok());
  REQUIRE(files.size() == 1);
  CHECK(files[0].path == "d/w.bin");
  CHECK(files[0].sha256 == std::string(64, 'c'));
  CHECK(files[0].lfs);
  CHECK(hub_http::ParseRevisionSha(R"({"sha":"ABC"})").error().code() == ErrorCode::kInvalidInput);
}

TEST_CASE("hub http: resolve refs, list a paginated tree, LFS digests", "[hub_http]") {
  FakeHubServer server(HubRoot());
  server.knobs().page_size = 1;  // one entry per page: every page boundary is crossed
  auto hub = Client(server.url());
  HubMirror mirror(HubRoot());
  const std::string commit = mirror.ResolveRef(kRepo, "main").value();
  CHECK(hub->ResolveRef(kRepo, "main").value() == commit);
  CHECK(hub->ResolveRef(kRepo, "refs/heads/main").value() == commit);
  CHECK(hub->ResolveRef(kRepo, "nope").error().code() == ErrorCode::kNotFound);
  CHECK(hub->ResolveRef("acme/missing", "main").error().code() == ErrorCode::kNotFound);
  CHECK(hub->ResolveRef("../x", "main").error().code() == ErrorCode::kInvalidInput);

  auto source = hub->OpenRevision(kRepo, commit);
  REQUIRE(source.ok());
  auto files = (*source)->ListFiles();
  REQUIRE(files.ok());
  auto mirror_files = mirror.OpenRevision(kRepo, commit).value()->ListFiles().value();
  REQUIRE(files->size() == mirror_files.size());
  for (size_t i = 0; i < files->size(); ++i) {
    INFO((*files)[i].path);
    CHECK((*files)[i].path == mirror_files[i].path);
    CHECK((*files)[i].size == mirror_files[i].size);
    if ((*files)[i].size >= 1024) {  // the fake's LFS threshold
      CHECK((*files)[i].lfs);
      CHECK((*files)[i].sha256 == Sha256Hex(MirrorBytes(kRepo, commit, (*files)[i].path)));
    } else {
      CHECK_FALSE((*files)[i].sha256.has_value());
    }
  }
  CHECK(hub->OpenRevision(kRepo, std::string(40, 'f')).error().code() == ErrorCode::kNotFound);
  CHECK((*source)->Open("missing.bin").error().code() == ErrorCode::kNotFound);
}

TEST_CASE("hub http: ranged reads stream the exact bytes, through faults", "[hub_http]") {
  FakeHubServer server(HubRoot());
  auto hub = Client(server.url());
  const std::string commit = hub->ResolveRef(kRepo, "main").value();
  const std::string want = MirrorBytes(kRepo, commit, "model.safetensors");
  auto source = hub->OpenRevision(kRepo, commit).value();

  SECTION("sequential chunks continue one response") {
    auto reader = source->Open("model.safetensors").value();
    int before = server.knobs().file_requests;
    CHECK(ReadAll(*reader, 4096) == want);
    CHECK(server.knobs().file_requests - before == 1);
  }
  SECTION("random seeks") {
    auto reader = source->Open("model.safetensors").value();
    std::mt19937 rng(7);
    for (int i = 0; i < 20; ++i) {
      uint64_t off = rng() % want.size();
      std::string buf(std::min<size_t>(1000, want.size() - off), '\0');
      auto got = reader->ReadAt(off, std::as_writable_bytes(std::span<char>(buf)));
      REQUIRE(got.ok());
      CHECK(buf.substr(0, *got) == want.substr(off, *got));
    }
    std::byte b{};
    CHECK(reader->ReadAt(want.size(), std::span<std::byte>(&b, 1)).value() == 0);
  }
  SECTION("truncated bodies are resumed where they stopped") {
    server.knobs().truncate_next = 3;
    auto reader = source->Open("model.safetensors").value();
    CHECK(ReadAll(*reader, 1 << 20) == want);
  }
  SECTION("503 and 429 answers are retried") {
    server.knobs().fail_next = 2;
    auto reader = source->Open("model.safetensors").value();
    CHECK(ReadAll(*reader, 1 << 20) == want);
    server.knobs().throttle_next = 3;
    CHECK(hub->ResolveRef(kRepo, "main").ok());
  }
  SECTION("a server that ignores Range still gives the right bytes") {
    server.knobs().ignore_range = true;
    auto reader = source->Open("model.safetensors").value();
    std::string buf(100, '\0');
    auto got = reader->ReadAt(5000, std::as_writable_bytes(std::span<char>(buf)));
    REQUIRE(got.ok());
    CHECK(buf.substr(0, *got) == want.substr(5000, *got));
  }
  SECTION("redirects to a CDN are followed without the token") {
    server.knobs().redirect_files = true;
    auto reader = source->Open("model.safetensors").value();
    CHECK(ReadAll(*reader, 1 << 20) == want);
    CHECK(server.knobs().cdn_with_authorization == 0);
  }
}

TEST_CASE("hub http: an unreachable or failing hub is kUnavailable, never data", "[hub_http]") {
  FakeHubServer server(HubRoot());
  SECTION("always 503") {
    auto hub = Client(server.url());
    server.knobs().down = true;
    auto r = hub->OpenRevision(kRepo, std::string(40, 'a'));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
    CHECK_THAT(r.error().message(), Catch::Contains("503") && Catch::Contains("4 tries"));
  }
  SECTION("too slow") {
    auto hub = Client(server.url(), "", milliseconds(50));
    server.knobs().delay_ms = 300;
    auto r = hub->ResolveRef(kRepo, "main");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
  }
  SECTION("nothing listening") {
    auto r = Client("http://127.0.0.1:1")->ResolveRef(kRepo, "main");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
  }
  SECTION("a file that stays truncated") {
    auto hub = Client(server.url());
    auto source = hub->OpenRevision(kRepo, hub->ResolveRef(kRepo, "main").value()).value();
    auto reader = source->Open("config.json").value();
    server.knobs().truncate_next = 1000;
    std::string buf(reader->Size(), '\0');
    // Every response is cut in half: reads make progress until one byte is left, which a
    // cut response never carries; then the read fails as a transient fault.
    uint64_t offset = 0;
    Result<size_t> got = size_t{0};
    while (offset < buf.size()) {
      got = reader->ReadAt(offset, std::as_writable_bytes(std::span<char>(buf)).subspan(offset));
      if (!got.ok()) break;
      REQUIRE(*got > 0);
      offset += *got;
    }
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().code() == ErrorCode::kUnavailable);
  }
}

TEST_CASE("hub http: the token is sent, and a refused token is a transient fault", "[hub_http]") {
  FakeHubServer server(HubRoot(), "s3cret");
  auto anonymous = Client(server.url());
  auto r = anonymous->ResolveRef(kRepo, "main");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(r.error().message(), Catch::Contains("hub.token"));
  CHECK(Client(server.url(), "s3cret")->ResolveRef(kRepo, "main").ok());
  HubHttpOptions bad;
  bad.url = server.url();
  bad.token = "two words";
  CHECK(HubHttp::Create(bad).error().code() == ErrorCode::kInvalidInput);
  bad.token = "";
  bad.url = "ftp://x";
  CHECK(HubHttp::Create(bad).error().code() == ErrorCode::kInvalidInput);
}

// Runs every example repo's main revision through the pipeline with `hub`; returns
// repo -> "state message".
std::map<std::string, std::string> Badges(HubSource& hub, const fs::path& dir) {
  fs::create_directories(dir);
  queue::SqliteQueueOptions qo;
  qo.path = (dir / "queue.db").string();
  qo.max_attempts = 20;
  auto q = std::move(queue::OpenSqliteQueue(qo)).value();
  testing::InMemoryBadgeStore store;
  auto policy = config::LoadPolicy(provbadge::testing::SourceDir() + "/examples/policy.json");
  REQUIRE(policy.ok());
  Metrics metrics;
  HubMirror mirror(HubRoot());
  auto repos = mirror.ListRepos().value();
  int64_t seq = 1000;
  for (const auto& repo : repos) {
    queue::UploadEvent e;
    e.repo = repo;
    e.commit = mirror.ResolveRef(repo, "main").value();
    e.ref = "main";
    e.seq = ++seq;
    e.event_id = "ev-" + std::to_string(seq);
    REQUIRE(q->Publish(e.event_id, queue::SerializeUploadEvent(e)).ok());
  }
  PipelineOptions o;
  o.retry_base = milliseconds(1);
  o.poll = milliseconds(20);
  Pipeline pipeline(*q, store, hub, *policy, metrics, o);
  std::atomic<bool> stop{false};
  pipeline.Run(stop, /*until_idle=*/true);
  std::map<std::string, std::string> out;
  for (const auto& repo : repos) {
    auto badge = store.GetRef(repo, "main");
    REQUIRE(badge.ok());
    out[repo] = badge->has_value() ? std::string(badges::BadgeStateName((**badge).badge.state)) +
                                         " " + (**badge).badge.message
                                   : "missing";
  }
  CHECK(q->Stats()->dead == 0);
  return out;
}

TEST_CASE("hub http: the pipeline gives the same badges over HTTP as over the mirror",
          "[hub_http][pipeline]") {
  fs::path tmp = fs::temp_directory_path() / ("pb-hubhttp-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  HubMirror mirror(HubRoot());
  auto want = Badges(mirror, tmp / "mirror");
  REQUIRE(want.size() == 12);  // every example repo (examples/hub)
  CHECK(want["acme/tiny-llama"].rfind("verified", 0) == 0);
  CHECK(want["acme/tiny-llama-tampered"].rfind("failed", 0) == 0);
  CHECK(want["quantlab/tiny-llama-chat-GGUF"].rfind("verified", 0) == 0);
  CHECK(want["quantlab/tiny-llama-chat-GGUF-mismatch"].rfind("failed", 0) == 0);

  FakeHubServer server(HubRoot(), "tok");
  SECTION("LFS digests from the tree") {
    CHECK(Badges(*Client(server.url(), "tok"), tmp / "lfs") == want);
  }
  SECTION("every byte read over ranged GETs, with truncations, 503s and small pages") {
    server.knobs().lfs_threshold = uint64_t{1} << 40;
    server.knobs().page_size = 2;
    server.knobs().truncate_next = 4;
    server.knobs().fail_next = 3;
    server.knobs().redirect_files = true;
    CHECK(Badges(*Client(server.url(), "tok"), tmp / "bytes") == want);
    CHECK(server.knobs().cdn_with_authorization == 0);
  }
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace provbadge::worker
