// The fidelity check of one large Q8_0 tensor from real files, through the production reader
// (worker OpenLocalFile) with pread copies or mmap views: time, throughput and the process's
// CPU time (with the kernel's: faults, pread copies), minor faults, peak resident memory
// (VmHWM) and file-backed resident memory at the end (RssFile), to show
// memory stays flat in the model size. One mode per run, so VmHWM is that mode's. Modes
// "read-pread" and "read-mmap" only stream the same bytes through the same reader (1 MiB chunks,
// every 8-byte word XORed): the floor the check is compared with.
// The files (a bf16 source and its Q8_0 bytes, `GB` GiB of source) are written once into DIR
// (default /tmp) and reused while their sizes match: the same 256 rows repeated, so generating
// them is cheap; the check still streams every byte of both files.
// Usage: fidelity_file_bench GB pread|mmap|read-pread|read-mmap [DIR]
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "../verifier/src/fidelity_tensor.h"
#include "bench_readers.h"
#include "provbadge/verifier/quant.h"

namespace {
namespace v = provbadge::verifier;
namespace fs = std::filesystem;

constexpr uint64_t kRow = 4096, kBlockRows = 256;

// `path` holding `repeats` copies of `block`, written unless it already has that size.
void EnsureFile(const std::string& path, const std::vector<uint8_t>& block, uint64_t repeats) {
  std::error_code ec;
  if (fs::file_size(path, ec) == block.size() * repeats && !ec) return;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  for (uint64_t i = 0; f && i < repeats; ++i) {
    if (std::fwrite(block.data(), 1, block.size(), f) != block.size()) break;
  }
  if (!f || std::fclose(f) != 0 || fs::file_size(path, ec) != block.size() * repeats) {
    std::fprintf(stderr, "fidelity_file_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// A "Vm...:" / "Rss...:" line of /proc/self/status in kB, or -1.
long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

// This thread's CPU time, user + system (page faults, copies in the kernel).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Streams [0, size) of `reader` in 1 MiB pieces (views when `views`, else ReadAt copies),
// XORing every 8-byte word; false when a read fails.
bool StreamOnly(v::FileReader& reader, uint64_t size, bool views, uint64_t* acc) {
  constexpr uint64_t kChunk = 1u << 20;
  std::vector<uint64_t> buf(kChunk / 8);
  for (uint64_t off = 0; off < size; off += kChunk) {
    const uint64_t n = std::min(kChunk, size - off);
    const std::byte* p = views ? reader.View(off, n) : nullptr;
    if (!p) {
      auto got = reader.ReadAt(off, std::as_writable_bytes(std::span(buf)).first(n));
      if (!got.ok() || *got != n) return false;
      p = reinterpret_cast<const std::byte*>(buf.data());
    }
    *acc ^= provbadge::bench::XorWords(p, n);
  }
  return views ? reader.CheckViews().ok() : true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[2] : "";
  if (mode != "pread" && mode != "mmap" && mode != "read-pread" && mode != "read-mmap") {
    std::fprintf(stderr, "usage: fidelity_file_bench GB pread|mmap|read-pread|read-mmap [DIR]\n");
    return 2;
  }
  const bool mmap = mode == "mmap" || mode == "read-mmap";
  const bool read_only = mode.rfind("read-", 0) == 0;
  const std::string dir = argc > 3 ? argv[3] : "/tmp";
  const uint64_t src_block_bytes = kBlockRows * kRow * 2;
  const uint64_t repeats = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::atof(argv[1]) * (1ull << 30)) / src_block_bytes);
  const uint64_t rows = repeats * kBlockRows;
  // One block of rows: bf16-rounded N(0, 0.02) weights and their Q8_0 bytes.
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(kBlockRows * kRow);
  std::vector<uint8_t> src(src_block_bytes), q8(kBlockRows * kRow / 32 * 34);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint16_t b = v::Fp32ToBf16(normal(rng));
    x[i] = v::Bf16ToFp32(b);
    src[2 * i] = static_cast<uint8_t>(b & 0xff);
    src[2 * i + 1] = static_cast<uint8_t>(b >> 8);
  }
  v::QuantizeRowRef(v::GgmlType::kQ8_0, x.data(), static_cast<int64_t>(x.size()),
                    v::RoundingVariant::kPlain, q8.data());
  const std::string src_path = dir + "/fidelity_file_bench.bf16",
                    gguf_path = dir + "/fidelity_file_bench.q8_0";
  EnsureFile(src_path, src, repeats);
  EnsureFile(gguf_path, q8, repeats);

  v::GgufTensorInfo info;
  info.n_dims = 2;
  info.ne = {kRow, rows, 1, 1};
  info.type = static_cast<uint32_t>(v::GgmlType::kQ8_0);
  info.size = q8.size() * repeats;
  v::SafetensorsTensor source;
  source.dtype = "BF16";
  source.shape = {rows, kRow};
  source.end = src.size() * repeats;
  auto gguf = provbadge::bench::OpenFileReader(gguf_path, mmap),
       source_reader = provbadge::bench::OpenFileReader(src_path, mmap);
  v::fidelity::TensorCheckInput in;
  in.info = &info;
  in.gguf = gguf.get();
  in.source = &source;
  in.source_reader = source_reader.get();
  const long hwm_before = StatusKb("VmHWM:");
  rusage ru0{}, ru1{};
  getrusage(RUSAGE_SELF, &ru0);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = CpuSeconds();
  if (read_only) {
    uint64_t acc = 0;
    const bool ok = StreamOnly(*source_reader, source.end, mmap, &acc) &&
                    StreamOnly(*gguf, info.size, mmap, &acc);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = CpuSeconds() - c0;
    const double w = static_cast<double>(rows * kRow);
    std::printf(
        "fidelity_file_bench %s: %.2f GiB bf16 + %.2f GiB Q8_0 streamed only, %.2f s, %.1f M "
        "weights/s, %.1f M per CPU-s (%.2f CPU-s), %.2f GB/s read; %s (xor %llx)\n",
        mode.c_str(), static_cast<double>(source.end) / (1ull << 30),
        static_cast<double>(info.size) / (1ull << 30), s, w / s / 1e6, w / cpu / 1e6, cpu,
        static_cast<double>(source.end + info.size) / s / 1e9, ok ? "ok" : "READ FAILED",
        static_cast<unsigned long long>(acc));
    return ok ? 0 : 1;
  }
  auto r = v::fidelity::CheckTensor(in, v::FidelityOptions{});
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - c0;
  getrusage(RUSAGE_SELF, &ru1);
  const bool exact = r.ok() && r->candidates[0].complete && r->candidates[0].blocks_mismatch == 0;
  const double w = static_cast<double>(rows * kRow);
  std::printf(
      "fidelity_file_bench %s: %.2f GiB bf16 + %.2f GiB Q8_0, %.2f s, %.1f M weights/s, %.1f M "
      "per CPU-s (%.2f CPU-s, %ld minor faults), %.2f GB/s read; VmHWM %ld kB (before the check "
      "%ld kB), RssFile at the end %ld kB; %s\n",
      argv[2], static_cast<double>(source.end) / (1ull << 30),
      static_cast<double>(info.size) / (1ull << 30), s, w / s / 1e6, w / cpu / 1e6, cpu,
      ru1.ru_minflt - ru0.ru_minflt, static_cast<double>(source.end + info.size) / s / 1e9,
      StatusKb("VmHWM:"), hwm_before, StatusKb("RssFile:"),
      exact ? "bit-exact" : (r.ok() ? "MISMATCH" : r.error().message().c_str()));
  return exact ? 0 : 1;
}
