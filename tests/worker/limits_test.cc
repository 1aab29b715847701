// Worker-side bounds of provbadge/common/limits.h: hub API responses (redirects, header size),
// the hub mirror's refs.json and the files the CLI reads (--signature, --bundle,
// --trusted-root, --artifact). Files over a
// limit are sparse (no disk or memory is spent on them) and refused from their size before
// any byte is read; files at a limit are read and then judged on their content.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/test_paths.h"
#include "fake_hub_server.h"
#include "provbadge/common/limits.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/hub_http.h"
#include "provbadge/worker/hub_mirror.h"

namespace provbadge::worker {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test, removed afterwards.
struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("pb-worker-limits-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(reinterpret_cast<uintptr_t>(this)));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  // A file of `bytes`: `text` followed by a hole (zero bytes) up to that size.
  std::string File(const std::string& name, uintmax_t bytes, const std::string& text = "") {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    fs::resize_file(p, bytes);
    return p.string();
  }
};

TEST_CASE("limits: a hub mirror refs.json is at most kMaxMirrorRefsFileBytes", "[limits]") {
  TempDir dir;
  const std::string refs = R"({"main":")" + std::string(40, 'a') + R"("})";
  auto with_size = [&](uintmax_t bytes) {
    // JSON whitespace pads the object; the hole is written as spaces instead of zeros.
    std::ofstream(dir.path / "org" / "m" / "refs.json", std::ios::binary)
        << refs << std::string(bytes - refs.size(), ' ');
    return HubMirror(dir.path.string()).ListRefs("org/m");
  };
  fs::create_directories(dir.path / "org" / "m");
  auto at = with_size(limits::kMaxMirrorRefsFileBytes);
  REQUIRE(at.ok());
  CHECK(at->at("main") == std::string(40, 'a'));
  auto over = with_size(limits::kMaxMirrorRefsFileBytes + 1);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code() == ErrorCode::kInvalidInput);
  CHECK_THAT(over.error().message(), Catch::Contains("larger than"));
}

// ResolveRef of the example hub's acme/tiny-llama through the fake hub, one try.
Result<std::string> ResolveThrough(testing::FakeHubServer& server) {
  HubHttpOptions o;
  o.url = server.url();
  o.retry_base = std::chrono::milliseconds(1);
  o.max_attempts = 1;
  auto hub = HubHttp::Create(o);
  REQUIRE(hub.ok());
  return (*hub)->ResolveRef("acme/tiny-llama", "main");
}

TEST_CASE("limits: the hub client follows at most kMaxHubRedirects redirects", "[limits]") {
  testing::FakeHubServer server(provbadge::testing::SourceDir() + "/examples/hub");
  server.knobs().redirect_hops = limits::kMaxHubRedirects;
  CHECK(ResolveThrough(server).ok());
  server.knobs().redirect_hops = limits::kMaxHubRedirects + 1;
  auto over = ResolveThrough(server);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(over.error().message(), Catch::Contains("redirects"));
}

TEST_CASE("limits: a hub response header is at most kMaxHubResponseHeaderBytes", "[limits]") {
  testing::FakeHubServer server(provbadge::testing::SourceDir() + "/examples/hub");
  server.knobs().header_bytes = static_cast<int>(limits::kMaxHubResponseHeaderBytes);
  CHECK(ResolveThrough(server).ok());
  // Beast checks the limit as bytes arrive, exact to within a few dozen bytes (see
  // http_hardening_test.cc): past it by a margin.
  server.knobs().header_bytes = static_cast<int>(limits::kMaxHubResponseHeaderBytes + 64);
  auto over = ResolveThrough(server);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code() == ErrorCode::kUnavailable);
}

// A PEM public key of a throwaway P-256 key.
std::string PublicKeyPem() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(bio, key) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

struct Cli {
  int code = 0;
  std::string err;
};

Cli VerifyBundle(const VerifyBundleArgs& args) {
  std::ostringstream out, err;
  Cli r;
  r.code = RunVerifyBundle(args, out, err);
  r.err = err.str();
  return r;
}

TEST_CASE("limits: CLI bundle and signature files are at most kMaxSignatureFileBytes", "[limits]") {
  TempDir dir;
  VerifyBundleArgs args;
  const std::string pem = PublicKeyPem();
  args.key = dir.File("key.pem", pem.size(), pem);
  args.digest = "sha256:" + std::string(64, '0');
  args.bundle = dir.File("at.json", limits::kMaxSignatureFileBytes);
  Cli at = VerifyBundle(args);  // read, then refused as not a bundle
  CHECK(at.code == 1);
  CHECK_THAT(at.err, Catch::Contains("sigstore.bundle"));
  args.bundle = dir.File("over.json", limits::kMaxSignatureFileBytes + 1);
  Cli over = VerifyBundle(args);
  CHECK(over.code == 2);
  CHECK_THAT(over.err, Catch::Contains("--bundle") && Catch::Contains("larger than"));

  VerifyModelArgs model;
  model.dir = dir.path.string();
  model.public_key = args.key;
  model.signature = args.bundle;
  std::ostringstream out, err;
  CHECK(RunVerifyModelKey(model, out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("--signature") && Catch::Contains("larger than"));
}

TEST_CASE("limits: the CLI trusted root is at most kMaxTrustFileBytes", "[limits]") {
  TempDir dir;
  VerifyBundleArgs args;
  args.bundle = dir.File("b.json", 2, "{}");
  args.identity = "me@example.com";
  args.issuer = "https://issuer.example";
  args.digest = "sha256:" + std::string(64, '0');
  args.trusted_root = dir.File("at.json", limits::kMaxTrustFileBytes);
  Cli at = VerifyBundle(args);  // read, then refused as not a trusted root
  CHECK(at.code == 1);
  CHECK_THAT(at.err, Catch::Contains("sigstore.trust.invalid"));
  args.trusted_root = dir.File("over.json", limits::kMaxTrustFileBytes + 1);
  Cli over = VerifyBundle(args);
  CHECK(over.code == 2);
  CHECK_THAT(over.err, Catch::Contains("--trusted-root") && Catch::Contains("larger than"));
}

TEST_CASE("limits: the CLI artifact is at most kMaxArtifactFileBytes", "[limits]") {
  // Only past the limit: reading a whole GiB at the limit would be too slow for a unit test.
  TempDir dir;
  VerifyBundleArgs args;
  args.bundle = dir.File("b.json", 2, "{}");
  const std::string pem = PublicKeyPem();
  args.key = dir.File("key.pem", pem.size(), pem);
  args.artifact = dir.File("artifact.bin", limits::kMaxArtifactFileBytes + 1);
  Cli over = VerifyBundle(args);
  CHECK(over.code == 2);
  CHECK_THAT(over.err, Catch::Contains("--artifact") && Catch::Contains("larger than"));
}

}  // namespace
}  // namespace provbadge::worker
