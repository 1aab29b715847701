// Zero-copy views of local files (OpenLocalFile / DirectorySource readers over MappedFile):
// views equal the file's bytes at the edges; a file truncated under a view gives zeros and a
// CheckViews error instead of SIGBUS; a fidelity check over a file truncated between chunks
// fails with kUnavailable, never a result; a SIGBUS outside our mappings still kills.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../../verifier/src/fidelity_tensor.h"
#include "mapped_file.h"
#include "provbadge/verifier/quant.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker {
namespace {
namespace fs = std::filesystem;

// A file in the temp folder with `content`, removed on destruction.
struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& content) {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() /
           ("pb-view-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::ofstream(path, std::ios::binary).write(content.data(), std::streamsize(content.size()));
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + i / 4096 + 1);  // never 0
  return s;
}

std::unique_ptr<verifier::FileReader> Open(const TempFile& f, LocalReads reads) {
  auto r = OpenLocalFile(f.path.string(), reads);
  REQUIRE(r.ok());
  return std::move(*r);
}

std::string Bytes(const std::byte* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

}  // namespace

TEST_CASE("local views equal the file's bytes at the edges", "[worker][views]") {
  const std::string content = Pattern(3 * kPage + 100);
  TempFile f(content);
  auto pread = Open(f, LocalReads::kPread);
  CHECK(pread->View(0, 1) == nullptr);
  CHECK(pread->CheckViews().ok());
  auto r = Open(f, LocalReads::kMappedViews);
  const uint64_t size = content.size();
  const std::byte* all = r->View(0, size);
  REQUIRE(all != nullptr);
  CHECK(Bytes(all, size) == content);
  const std::byte* last = r->View(size - 1, 1);
  REQUIRE(last != nullptr);
  CHECK(Bytes(last, 1) == content.substr(size - 1));
  const std::byte* mid = r->View(kPage - 3, kPage + 6);  // across pages
  REQUIRE(mid != nullptr);
  CHECK(Bytes(mid, kPage + 6) == content.substr(kPage - 3, kPage + 6));
  std::vector<std::byte> buf(kPage + 6);
  REQUIRE(r->ReadAt(kPage - 3, buf).ok());
  CHECK(Bytes(buf.data(), buf.size()) == content.substr(kPage - 3, kPage + 6));
  CHECK(r->View(0, 0) == nullptr);
  CHECK(r->View(size, 0) == nullptr);
  CHECK(r->View(size, 1) == nullptr);
  CHECK(r->View(size - 10, 11) == nullptr);
  CHECK(r->View(UINT64_MAX, 2) == nullptr);
  CHECK(r->View(2, UINT64_MAX) == nullptr);
  CHECK(r->CheckViews().ok());
  TempFile empty("");
  CHECK(Open(empty, LocalReads::kMappedViews)->View(0, 1) == nullptr);
}

TEST_CASE("views stay right across the reader's window moves and jumps back", "[worker][views]") {
  const std::string content = Pattern(24u << 20);  // 3x the read-ahead, 12x the drop distance
  TempFile f(content);
  auto r = Open(f, LocalReads::kMappedViews);
  const uint64_t chunk = 256u << 10;
  // Forward through the file, back to the start (drops the window), a jump into the middle,
  // back a little (inside the window), then to the end.
  std::vector<uint64_t> at;
  for (uint64_t o = 0; o + chunk <= content.size(); o += chunk) at.push_back(o);
  for (uint64_t o : {uint64_t{0}, uint64_t{10u << 20}, uint64_t{(10u << 20) - chunk},
                     uint64_t{content.size() - chunk}})
    at.push_back(o);
  for (uint64_t o : at) {
    const std::byte* v = r->View(o, chunk);
    REQUIRE(v != nullptr);
    REQUIRE(Bytes(v, chunk) == content.substr(o, chunk));
  }
  CHECK(r->CheckViews().ok());
}

TEST_CASE("a file truncated under a view reads zeros and reports the change", "[worker][views]") {
  const std::string content = Pattern(8 * kPage);
  TempFile f(content);
  auto r = Open(f, LocalReads::kMappedViews);
  const volatile std::byte* v = r->View(0, content.size());
  REQUIRE(v != nullptr);
  CHECK(v[5 * kPage + 1] == std::byte(content[5 * kPage + 1]));  // paged in before
  CHECK(r->CheckViews().ok());
  fs::resize_file(f.path, 2 * kPage + 10);
  CHECK(v[kPage] == std::byte(content[kPage]));  // still inside the file
  CHECK(v[5 * kPage + 1] == std::byte{0});       // past the new end: a zero page, no SIGBUS
  CHECK(v[8 * kPage - 1] == std::byte{0});
  auto s = r->CheckViews();
  REQUIRE(!s.ok());
  CHECK(s.error().code() == ErrorCode::kUnavailable);
  CHECK(s.error().message() == "file changed while reading");
  CHECK(!r->CheckViews().ok());  // stays failed
}

TEST_CASE("MappedFile: a fault stays flagged when the file grows back", "[worker][views]") {
  const std::string content = Pattern(4 * kPage);
  TempFile f(content);
  const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto m = MappedFile::Map(fd, content.size());
  ::close(fd);  // the mapping does not need it
  REQUIRE(m != nullptr);
  const volatile std::byte* p = m->data();
  CHECK(p[3 * kPage] == std::byte(content[3 * kPage]));
  CHECK(!m->faulted());
  fs::resize_file(f.path, 2 * kPage);
  CHECK(p[3 * kPage] == std::byte{0});
  fs::resize_file(f.path, content.size());  // same size again: only the flag tells
  CHECK(m->faulted());
  CHECK(p[3 * kPage] == std::byte{0});  // the zero page stays in place
  CHECK(p[kPage] == std::byte(content[kPage]));
}

TEST_CASE("a file that changes size while mapped fails CheckViews without a fault",
          "[worker][views]") {
  TempFile f(Pattern(4 * kPage));
  auto r = Open(f, LocalReads::kMappedViews);
  REQUIRE(r->View(0, kPage) != nullptr);
  fs::resize_file(f.path, 5 * kPage);  // grew: nothing we read faulted
  CHECK(!r->CheckViews().ok());
}

namespace {

// Forwards to `inner`; on View (or with `in_check`, CheckViews) call number `truncate_at` first
// truncates `path` to `new_size`.
class TruncatingReader : public verifier::FileReader {
 public:
  TruncatingReader(verifier::FileReader& inner, fs::path path, int truncate_at, bool in_check,
                   uint64_t new_size)
      : inner_(inner),
        path_(std::move(path)),
        at_(truncate_at),
        in_check_(in_check),
        new_size_(new_size) {}
  uint64_t Size() const override { return inner_.Size(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    return inner_.ReadAt(offset, buf);
  }
  const std::byte* View(uint64_t offset, uint64_t len) override {
    if (!in_check_ && ++calls_ == at_) fs::resize_file(path_, new_size_);
    return inner_.View(offset, len);
  }
  Status CheckViews() override {
    if (in_check_ && ++calls_ == at_) fs::resize_file(path_, new_size_);
    return inner_.CheckViews();
  }

 private:
  verifier::FileReader& inner_;
  fs::path path_;
  int at_;
  bool in_check_;
  int calls_ = 0;
  uint64_t new_size_;
};

}  // namespace

TEST_CASE("a fidelity check over a file truncated between chunks fails, never a result",
          "[worker][views][fidelity]") {
  // 4096 x 100 bf16 rows (4 chunks of 32 rows) and their faithful Q8_0 bytes.
  const uint64_t ne0 = 4096, rows = 100;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(ne0 * rows);
  std::string src;
  for (float& w : x) {
    const uint16_t b = verifier::Fp32ToBf16(normal(rng));
    w = verifier::Bf16ToFp32(b);
    src.push_back(static_cast<char>(b & 0xff));
    src.push_back(static_cast<char>(b >> 8));
  }
  std::string gguf(rows * ne0 / 32 * 34, '\0');
  REQUIRE(verifier::QuantizeRowRef(
      verifier::GgmlType::kQ8_0, x.data(), static_cast<int64_t>(x.size()),
      verifier::RoundingVariant::kPlain, reinterpret_cast<uint8_t*>(gguf.data())));
  verifier::GgufTensorInfo info;
  info.name = "t";
  info.n_dims = 2;
  info.ne = {ne0, rows, 1, 1};
  info.type = static_cast<uint32_t>(verifier::GgmlType::kQ8_0);
  info.size = gguf.size();
  verifier::SafetensorsTensor source;
  source.name = "t";
  source.dtype = "BF16";
  source.shape = {rows, ne0};
  source.end = src.size();
  // at 0: never truncated (the check is exact); else before the source's or the GGUF's view
  // of chunk 2 or 4 (the last), or after it (before that chunk's CheckViews); truncated to half.
  for (int at : {0, 2, 4}) {
    for (int how = 0; how < 4; ++how) {
      const bool on_source = how & 1, in_check = how & 2;
      INFO("truncate at " << (in_check ? "check " : "view ") << at
                          << (on_source ? " of the source" : " of the GGUF"));
      TempFile fs_src(src), fs_gguf(gguf);
      auto s = Open(fs_src, LocalReads::kMappedViews), g = Open(fs_gguf, LocalReads::kMappedViews);
      TruncatingReader ts(*s, fs_src.path, on_source ? at : 0, in_check, src.size() / 2),
          tg(*g, fs_gguf.path, on_source ? 0 : at, in_check, gguf.size() / 2);
      verifier::fidelity::TensorCheckInput in;
      in.info = &info;
      in.gguf = &tg;
      in.source = &source;
      in.source_reader = &ts;
      auto r = verifier::fidelity::CheckTensor(in, verifier::FidelityOptions{});
      if (at == 0) {
        REQUIRE(r.ok());
        CHECK(r->candidates[0].blocks_mismatch == 0);
        CHECK(r->candidates[0].complete);
        continue;
      }
      REQUIRE(!r.ok());
      CHECK(r.error().code() == ErrorCode::kUnavailable);
      CHECK(r.error().message().find("file changed while reading") != std::string::npos);
    }
  }
}

TEST_CASE("a SIGBUS outside our mappings still kills the process", "[worker][views]") {
  if (kSanitized) return;  // the sanitizer's handler reports the fault: a failed CI run
  REQUIRE(InstallMappingFaultHandler());
  TempFile f(Pattern(4 * kPage));
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // the child touches a page of its own mapping past the file's end
    const int fd = ::open(f.path.c_str(), O_RDWR);
    void* p = fd < 0 ? MAP_FAILED : mmap(nullptr, 4 * kPage, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || ftruncate(fd, 0) != 0) _exit(3);
    const volatile char c = static_cast<const volatile char*>(p)[2 * kPage];
    _exit(c == 0 ? 0 : 1);  // not reached
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGBUS);
}

}  // namespace provbadge::worker
