// The digest engine: each digest once, parallel prefetch, ranges, BLAKE2b, hub-known digests
// under the three rehash modes, and the cross-verification digest cache.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "provbadge/verifier/digest_cache.h"
#include "provbadge/verifier/manifest.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

// A MemorySource that counts opens and bytes read per path, can mark known digests as LFS,
// and tags each file's content for the digest cache.
class CountingSource : public RevisionSource {
 public:
  class Reader : public FileReader {
   public:
    Reader(std::unique_ptr<FileReader> inner, CountingSource* owner, std::string tag)
        : inner_(std::move(inner)), owner_(owner), tag_(std::move(tag)) {}
    uint64_t Size() const override { return inner_->Size(); }
    Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
      Result<size_t> n = inner_->ReadAt(offset, buf);
      if (n.ok()) owner_->bytes_read += *n;
      return n;
    }
    void WillNeed(uint64_t, uint64_t) override { ++owner_->hints; }
    std::string ContentTag() const override { return tag_; }

   private:
    std::unique_ptr<FileReader> inner_;
    CountingSource* owner_;
    std::string tag_;
  };

  testing::MemorySource inner;
  std::map<std::string, bool> lfs;  // path -> the known sha256 is an LFS oid
  DigestCache* cache = nullptr;
  std::atomic<int> opens{0};
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<int> hints{0};

  Result<std::vector<FileInfo>> ListFiles() override {
    auto files = inner.ListFiles();
    if (!files.ok()) return files;
    for (FileInfo& f : *files) f.lfs = lfs.count(f.path) > 0 && lfs[f.path];
    return files;
  }
  Result<std::unique_ptr<FileReader>> Open(std::string_view path) override {
    ++opens;
    auto r = inner.Open(path);
    if (!r.ok()) return r.error();
    std::string tag = std::string(path) + "#" + Sha256Hex(inner.Get(std::string(path)));
    return std::unique_ptr<FileReader>(std::make_unique<Reader>(std::move(*r), this, tag));
  }
  DigestCache* digest_cache() override { return cache; }
};

TEST_CASE("BLAKE2b-512 and SHA-256 streaming digests match known vectors") {
  CHECK(DigestHex(HashAlgorithm::kBlake2b, "abc") ==
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
  CHECK(DigestHex(HashAlgorithm::kSha256, "abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(DigestBytes(HashAlgorithm::kBlake2b) == 64);
}

TEST_CASE("A digest is computed once however often and from however many threads it is asked") {
  CountingSource source;
  source.inner.Set("a.bin", std::string(3 << 20, 'a'));
  Manifest manifest(source, ManifestOptions{RehashMode::kAlways, 4, 4096});
  std::vector<std::jthread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (manifest.Sha256("a.bin").ok()) ++ok;
    });
  }
  threads.clear();
  CHECK(ok == 8);
  CHECK(source.opens == 1);
  CHECK(source.bytes_read == 3u << 20);
  CHECK(*manifest.Sha256("a.bin") == Sha256Hex(std::string(3 << 20, 'a')));
  CHECK(manifest.Stats().computed == 1);
  CHECK(source.hints > 0);  // read-ahead hints were given
}

TEST_CASE("Prefetch hashes files and shards in parallel, each once, with the right digests") {
  CountingSource source;
  std::string big;
  for (int i = 0; i < 100000; ++i) big += std::to_string(i);
  source.inner.Set("big", big);
  source.inner.Set("small", "tiny");
  Manifest manifest(source, ManifestOptions{RehashMode::kAlways, 3, 8192});
  std::vector<DigestKey> keys = {DigestKey::Whole("small"),
                                 DigestKey::Whole("big", HashAlgorithm::kBlake2b)};
  for (uint64_t start = 0; start < big.size(); start += 100000) {
    keys.push_back(DigestKey::Range("big", HashAlgorithm::kSha256, start,
                                    std::min<uint64_t>(start + 100000, big.size())));
  }
  manifest.Prefetch(keys);
  manifest.Prefetch(keys);  // already known: nothing is read again
  CHECK(source.opens == static_cast<int>(keys.size()));
  for (const DigestKey& k : keys) {
    const std::string& content = source.inner.Get(k.path);
    std::string expected = k.whole ? DigestHex(k.algorithm, content)
                                   : Sha256Hex(content.substr(k.start, k.end - k.start));
    CHECK(*manifest.Digest(k) == expected);
  }
}

TEST_CASE("Bad requests are errors, not crashes") {
  CountingSource source;
  source.inner.Set("f", "0123456789");
  Manifest manifest(source);
  CHECK(manifest.Sha256("absent").error().code() == ErrorCode::kNotFound);
  CHECK(manifest.Digest(DigestKey::Range("f", HashAlgorithm::kSha256, 5, 5)).error().code() ==
        ErrorCode::kInvalidInput);
  CHECK(manifest.Digest(DigestKey::Range("f", HashAlgorithm::kSha256, 6, 2)).error().code() ==
        ErrorCode::kInvalidInput);
  CHECK(manifest.Digest(DigestKey::Range("f", HashAlgorithm::kSha256, 0, 11)).error().code() ==
        ErrorCode::kInvalidInput);
  CHECK(*manifest.Digest(DigestKey::Range("f", HashAlgorithm::kSha256, 2, 4)) == Sha256Hex("23"));
}

TEST_CASE("Hub-known digests follow the rehash mode") {
  auto make = [](CountingSource& s) {
    s.inner.Set("w.safetensors", "weights");
    s.inner.Set("config.json", "{}");
    s.inner.SetKnownSha256("w.safetensors", Sha256Hex("weights"));
    s.lfs["w.safetensors"] = true;
    s.inner.SetKnownSha256("config.json", Sha256Hex("{}"));
  };
  SECTION("never: no byte of a known file is read") {
    CountingSource s;
    make(s);
    Manifest m(s, ManifestOptions{RehashMode::kNever});
    CHECK(*m.Sha256("w.safetensors") == Sha256Hex("weights"));
    CHECK(*m.Sha256("config.json") == Sha256Hex("{}"));
    CHECK(s.opens == 0);
    CHECK(m.Stats().hub_known == 2);
    CHECK(m.Stats().hub_known_paths == std::vector<std::string>{"config.json", "w.safetensors"});
  }
  SECTION("small: LFS digests are taken, other files are read") {
    CountingSource s;
    make(s);
    Manifest m(s, ManifestOptions{RehashMode::kSmall});
    m.Prefetch({DigestKey::Whole("w.safetensors"), DigestKey::Whole("config.json")});
    CHECK(s.opens == 1);
    CHECK(s.bytes_read == 2);
    CHECK(m.Stats().hub_known == 1);
    CHECK(m.Stats().computed == 1);
  }
  SECTION("always: everything is read and a wrong known digest is reported") {
    CountingSource s;
    make(s);
    s.inner.SetKnownSha256("w.safetensors", std::string(64, 'b'));
    Manifest m(s, ManifestOptions{RehashMode::kAlways});
    CHECK(*m.Sha256("w.safetensors") == Sha256Hex("weights"));  // the bytes win
    CHECK(*m.Sha256("config.json") == Sha256Hex("{}"));
    CHECK(s.opens == 2);
    ManifestStats stats = m.Stats();
    CHECK(stats.hub_known == 0);
    REQUIRE(stats.known_mismatches.size() == 1);
    CHECK(stats.known_mismatches[0].path == "w.safetensors");
    CHECK(stats.known_mismatches[0].known == std::string(64, 'b'));
  }
  SECTION("a known sha256 never stands in for a shard or a BLAKE2b digest") {
    CountingSource s;
    make(s);
    Manifest m(s, ManifestOptions{RehashMode::kNever});
    CHECK(*m.Digest(DigestKey::Whole("w.safetensors", HashAlgorithm::kBlake2b)) ==
          DigestHex(HashAlgorithm::kBlake2b, "weights"));
    CHECK(*m.Digest(DigestKey::Range("w.safetensors", HashAlgorithm::kSha256, 0, 3)) ==
          Sha256Hex("wei"));
    CHECK(s.opens == 2);
  }
}

TEST_CASE("The source's digest cache carries digests across verifications") {
  DigestCache cache;
  CountingSource s;
  s.cache = &cache;
  s.inner.Set("model.gguf", std::string(10000, 'g'));
  {
    Manifest first(s, ManifestOptions{RehashMode::kSmall});
    CHECK(first.Sha256("model.gguf").ok());
  }
  CHECK(s.bytes_read == 10000);
  Manifest second(s, ManifestOptions{RehashMode::kSmall});
  CHECK(*second.Sha256("model.gguf") == Sha256Hex(std::string(10000, 'g')));
  CHECK(s.bytes_read == 10000);  // not read again
  CHECK(second.Stats().cached == 1);
  // Changed content has another tag: re-read.
  s.inner.Set("model.gguf", std::string(10000, 'h'));
  Manifest third(s, ManifestOptions{RehashMode::kSmall});
  CHECK(*third.Sha256("model.gguf") == Sha256Hex(std::string(10000, 'h')));
  // rehash always bypasses the cache.
  Manifest fourth(s, ManifestOptions{RehashMode::kAlways});
  CHECK(fourth.Sha256("model.gguf").ok());
  CHECK(fourth.Stats().cached == 0);
  CHECK(fourth.Stats().computed == 1);
}

}  // namespace
}  // namespace provbadge::verifier
