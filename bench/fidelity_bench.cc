// Fidelity-check throughput: re-quantize + compare, in weights per second per core for each
// ggml type, single thread and all cores in one run, next to this machine's memcpy bandwidth.
// The "check" rows run the verifier's whole tensor check (fidelity::CheckTensor) on an in-memory
// BF16 source and GGUF tensor: the chunked reads, bf16 -> f32, the f16 trip, every candidate
// (lazily: candidate 0 in full, the others from it), the compares; "eager check" the same with
// FidelityOptions::eager_candidates (every candidate quantized in full, the code before); the
// check rows read the in-memory bytes through zero-copy views (FileReader::View), "check copy"
// through ReadAt copies into the check's buffers (the code before views), "check file pread" /
// "check file mmap" from real files (PROVBADGE_BENCH_DIR, default /dev/shm) through the
// production reader (worker OpenLocalFile) with pread copies or mmap views; the
// "scalar check" rows the per-row work with the scalar conversions and ports, every candidate
// on every row (the code before the vectorized legacy kernels).
// Bandwidth: memcpy (read + write) and a read-only XOR stream; the GB/s columns are the bytes
// the row reads (input + stored) per wall-clock second, 1 thread and all cores; the "floor"
// columns the same bytes only streamed (XorBytes) in each pass right before the run, so that a
// machine whose bandwidth drifts is compared with itself.
// Usage: fidelity_bench [million_weights_per_thread (default 4)] [type label, e.g. Q4_K: only the
// rows whose label starts with it, "Q4_K=": only that row; for `valgrind --tool=callgrind`]
// [passes (default 1): each timing is the fastest of that many passes over the same data, so
// that a profile or a noisy machine sees the check rather than the data set-up]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../verifier/src/fidelity_tensor.h"
#include "bench_readers.h"
#include "provbadge/verifier/quant.h"

namespace {

using provbadge::verifier::Bf16ToFp32;
using provbadge::verifier::Fp16ToFp32;
using provbadge::verifier::Fp32ToBf16;
using provbadge::verifier::Fp32ToFp16;
using provbadge::verifier::GgmlType;
using provbadge::verifier::HasFmaVariant;
using provbadge::verifier::LookupGgmlType;
using provbadge::verifier::QuantizeRowRef;
using provbadge::verifier::QuantizeRowRefScalar;
using provbadge::verifier::RoundingVariant;
using provbadge::verifier::SetQuantKernelLanes;
using Clock = std::chrono::steady_clock;
using provbadge::bench::BenchFile;
using provbadge::bench::BufferReader;

constexpr int64_t kRow = 4096;

// Weights like a real checkpoint: bf16-rounded N(0, 0.02) with outliers.
std::vector<float> MakeWeights(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = Bf16ToFp32(Fp32ToBf16(normal(rng) * (i % 997 == 13 ? 8 : 1)));
  return x;
}

// The verifier's inner loop: re-derive each row and compare it with the stored bytes.
uint64_t VerifyRows(GgmlType type, bool scalar, const float* x, const uint8_t* stored,
                    int64_t rows) {
  const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
  const size_t row_bytes = kRow / info.block_elems * info.block_bytes;
  std::vector<uint8_t> ref(row_bytes);
  uint64_t mismatches = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (scalar) {
      QuantizeRowRefScalar(type, x + r * kRow, kRow, RoundingVariant::kPlain, ref.data());
    } else {
      QuantizeRowRef(type, x + r * kRow, kRow, RoundingVariant::kPlain, ref.data());
    }
    mismatches += std::memcmp(ref.data(), stored + r * row_bytes, row_bytes) != 0;
  }
  return mismatches;
}

struct Data {
  std::vector<float> x;
  std::vector<uint8_t> src;  // x as little-endian bf16
  std::vector<uint8_t> stored;
  std::unique_ptr<BenchFile> src_file, stored_file;  // the file rows' copies of src, stored
};

volatile uint64_t g_sink = 0;  // keeps the unused candidates' compares

// One candidate through the scalar port: quantize `x` and compare with the stored row.
bool Candidate(GgmlType type, const float* x, RoundingVariant v, uint8_t* ref,
               const uint8_t* stored, size_t row_bytes) {
  QuantizeRowRefScalar(type, x, kRow, v, ref);
  return std::memcmp(ref, stored, row_bytes) != 0;
}

// The check's per-row work for a bf16 source with the scalar conversions and port, every
// candidate on every row.
uint64_t ScalarCheckRows(GgmlType type, const uint8_t* src, const uint8_t* stored, int64_t rows) {
  const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
  const size_t row_bytes = kRow / info.block_elems * info.block_bytes;
  const int variants = HasFmaVariant(type) ? 2 : 1;
  std::vector<float> x(kRow), x16(kRow);
  std::vector<uint8_t> ref(row_bytes), ref16(row_bytes);
  uint64_t mismatches = 0;
  for (int64_t r = 0; r < rows; ++r, src += 2 * kRow, stored += row_bytes) {
    for (int64_t i = 0; i < kRow; ++i)
      x[i] = Bf16ToFp32(static_cast<uint16_t>(src[2 * i] | src[2 * i + 1] << 8));
    for (int64_t i = 0; i < kRow; ++i) x16[i] = Fp16ToFp32(Fp32ToFp16(x[i]));
    const bool same16 = std::memcmp(x.data(), x16.data(), kRow * 4) == 0;
    for (int v = 0; v < variants; ++v) {
      const auto variant = v ? RoundingVariant::kFma : RoundingVariant::kPlain;
      // The stored bytes are the plain variant's: only that one must match.
      const bool bad = Candidate(type, x.data(), variant, ref.data(), stored, row_bytes);
      mismatches += v == 0 && bad;
      if (!same16)
        g_sink = g_sink + Candidate(type, x16.data(), variant, ref16.data(), stored, row_bytes);
    }
  }
  return mismatches;
}

// Where a check row's readers get their bytes: memory through ReadAt copies only (the code
// before views), memory through views, or real files (the production reader, OpenLocalFile)
// with pread copies or mmap views.
enum class Bytes { kCopy, kView, kFilePread, kFileMmap };

std::unique_ptr<provbadge::verifier::FileReader> Reader(Bytes bytes,
                                                        const std::vector<uint8_t>& data,
                                                        const BenchFile* file) {
  if (bytes == Bytes::kCopy || bytes == Bytes::kView)
    return std::make_unique<BufferReader>(data.data(), data.size(), bytes == Bytes::kView);
  return provbadge::bench::OpenFileReader(file->path, bytes == Bytes::kFileMmap);
}

// fidelity::CheckTensor over `rows` rows of the bf16 source `src` and GGUF bytes `stored`
// (read as `bytes` says); 1 when the candidate that made `stored` (direct path, plain or FMA)
// does not come out clean.
uint64_t CheckTensorRows(GgmlType type, bool eager, bool fma_file, Bytes bytes, const Data& d,
                         int64_t rows) {
  const std::vector<uint8_t>&src = d.src, &stored = d.stored;
  namespace v = provbadge::verifier;
  v::GgufTensorInfo info;
  info.n_dims = 2;
  info.ne = {static_cast<uint64_t>(kRow), static_cast<uint64_t>(rows), 1, 1};
  info.type = static_cast<uint32_t>(type);
  info.size = stored.size();
  v::SafetensorsTensor source;
  source.dtype = "BF16";
  source.shape = {static_cast<uint64_t>(rows), static_cast<uint64_t>(kRow)};
  source.end = src.size();
  auto gguf = Reader(bytes, stored, d.stored_file.get());
  auto source_reader = Reader(bytes, src, d.src_file.get());
  v::fidelity::TensorCheckInput in;
  in.info = &info;
  in.gguf = gguf.get();
  in.source = &source;
  in.source_reader = source_reader.get();
  v::FidelityOptions options;
  options.eager_candidates = eager;
  auto r = v::fidelity::CheckTensor(in, options);
  if (!r.ok()) return 1;
  const v::fidelity::CandidateStats& made = r->candidates[fma_file ? 1 : 0];
  return !(made.complete && made.blocks_mismatch == 0);
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall = 0;  // seconds for the whole run
  double cpu = 0;   // CPU seconds summed over the threads (what a loaded machine gave us)
};

// `threads` threads, each verifying its own copy of the rows.
Timing Run(GgmlType type, bool scalar, bool check, bool eager, bool fma_file, Bytes bytes,
           std::vector<Data>& data, int threads, uint64_t* bad) {
  std::vector<std::thread> pool;
  std::vector<uint64_t> mism(threads);
  std::vector<double> cpu(threads);
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Data& d = data[t];
      const double c0 = ThreadCpuSeconds();
      const int64_t rows = static_cast<int64_t>(d.x.size()) / kRow;
      if (!check) {
        mism[t] = VerifyRows(type, scalar, d.x.data(), d.stored.data(), rows);
      } else if (scalar) {
        mism[t] = ScalarCheckRows(type, d.src.data(), d.stored.data(), rows);
      } else {
        mism[t] = CheckTensorRows(type, eager, fma_file, bytes, d, rows);
      }
      cpu[t] = ThreadCpuSeconds() - c0;
    });
  }
  for (auto& th : pool) th.join();
  Timing timing;
  timing.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  *bad = 0;
  for (int t = 0; t < threads; ++t) {
    *bad += mism[t];
    timing.cpu += cpu[t];
  }
  return timing;
}

double MemcpyGBs(int threads) {
  const size_t n = 64u << 20;
  std::vector<std::vector<char>> src(threads, std::vector<char>(n, 1)),
      dst(threads, std::vector<char>(n));
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> pool;
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { std::memcpy(dst[t].data(), src[t].data(), n); });
    for (auto& th : pool) th.join();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return 2.0 * n * threads / best / 1e9;  // read + write
}

// XOR of the n bytes at p as 64-bit words (the tail bytewise): a read-only stream in four
// accumulators of vector type V, from *i on, up to the last whole 4 x sizeof(V) bytes.
template <typename V>
inline __attribute__((always_inline)) uint64_t XorRun(const uint8_t* p, size_t n, size_t* i) {
  V a{}, b{}, c{}, d{}, v[4];
  for (; *i + sizeof v <= n; *i += sizeof v) {
    std::memcpy(v, p + *i, sizeof v);
    a ^= v[0];
    b ^= v[1];
    c ^= v[2];
    d ^= v[3];
  }
  const V r = a ^ b ^ c ^ d;
  uint64_t x = 0;
  for (size_t k = 0; k < sizeof(V) / 8; ++k) x ^= r[k];
  return x;
}

// XorRun with 64-byte loads where the CPU has AVX-512.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) uint64_t Xor64(const uint8_t* p, size_t n, size_t* i) {
  typedef uint64_t V __attribute__((vector_size(64)));
  return XorRun<V>(p, n, i);
}
bool HasAvx512() { return __builtin_cpu_supports("avx512f"); }
#else
uint64_t Xor64(const uint8_t*, size_t, size_t*) { return 0; }
bool HasAvx512() { return false; }
#endif

// The n bytes at p XORed: 64-byte loads where the CPU has AVX-512, then 16-byte ones (SSE2, this
// file's baseline), then bytes.
uint64_t XorBytes(const uint8_t* p, size_t n) {
  static const bool wide = HasAvx512();
  typedef uint64_t V __attribute__((vector_size(16)));
  size_t i = 0;
  uint64_t x = wide ? Xor64(p, n, &i) : 0;
  x ^= XorRun<V>(p, n, &i);
  for (; i < n; ++i) x ^= p[i];
  return x;
}

// Read-only streaming bandwidth: XorBytes over 256 MiB per thread (beyond the L3 of the machines
// seen here), best of 3.
double ReadGBs(int threads) {
  const size_t n = 256u << 20;
  std::vector<std::vector<uint8_t>> buf(threads, std::vector<uint8_t>(n, 1));
  std::vector<uint64_t> sink(threads);
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> pool;
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { sink[t] = XorBytes(buf[t].data(), n); });
    for (auto& th : pool) th.join();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  for (uint64_t v : sink) g_sink = g_sink + v;
  return static_cast<double>(n) * threads / best / 1e9;
}

// The read floor of a row: `threads` threads each streaming the bytes its run reads (the bf16
// source for the check rows, the f32 weights otherwise, and the stored bytes) through XorBytes;
// wall-clock seconds.
double FloorSeconds(bool check, std::vector<Data>& data, int threads) {
  std::vector<std::thread> pool;
  std::vector<uint64_t> sink(threads);
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const Data& d = data[t];
      const uint8_t* in = check ? d.src.data() : reinterpret_cast<const uint8_t*>(d.x.data());
      const size_t in_bytes = check ? d.src.size() : d.x.size() * sizeof(float);
      sink[t] = XorBytes(in, in_bytes) ^ XorBytes(d.stored.data(), d.stored.size());
    });
  }
  for (auto& th : pool) th.join();
  for (uint64_t v : sink) g_sink = g_sink + v;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The label starts with `only`, or equals it without its trailing '='.
bool Selected(const char* label, const char* only) {
  const size_t n = std::strlen(only);
  if (n > 0 && only[n - 1] == '=')
    return std::strlen(label) == n - 1 && !std::strncmp(label, only, n - 1);
  return std::strncmp(label, only, n) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const double million = argc > 1 ? std::atof(argv[1]) : 4;
  const int64_t rows = std::max<int64_t>(1, static_cast<int64_t>(million * 1e6) / kRow);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("fidelity_bench: %lld weights per thread, %d cores, K-quant kernels %d lanes\n",
              static_cast<long long>(rows * kRow), cores, provbadge::verifier::QuantKernelLanes());
  const double bw1 = MemcpyGBs(1), bwn = MemcpyGBs(cores);
  std::printf("memcpy bandwidth (read+write): 1 thread %.1f GB/s, %d threads %.1f GB/s\n", bw1,
              cores, bwn);
  const double rd1 = ReadGBs(1), rdn = ReadGBs(cores);
  std::printf("read-only streaming bandwidth: 1 thread %.1f GB/s, %d threads %.1f GB/s\n", rd1,
              cores, rdn);
  // GB/s read: the input (bf16 source for the check rows, f32 otherwise) and the stored bytes.
  std::printf("%-22s %14s %14s %14s %14s %9s %9s %9s %9s  %s\n", "type", "1 thread M/s",
              "all cores M/s", "per core M/s", "per CPU-s M", "GB/s 1t", "GB/s all", "floor 1t",
              "floor all", "check");
  struct Case {
    GgmlType type;
    bool scalar;
    const char* label;
    int lanes = 0;          // kernel width (0: the widest this CPU runs)
    bool check = false;     // the whole check from a bf16 source (CheckTensor, ScalarCheckRows)
    bool eager = false;     // FidelityOptions::eager_candidates
    bool fma_file = false;  // the GGUF bytes are the FMA variant's (else the plain one's)
    Bytes bytes = Bytes::kView;  // check rows: where the readers' bytes come from
  };
  const Case cases[] = {
      {GgmlType::kBF16, false, "BF16"},
      {GgmlType::kF16, false, "F16"},
      {GgmlType::kQ8_0, false, "Q8_0"},
      {GgmlType::kQ8_0, true, "Q8_0 scalar"},
      {GgmlType::kQ8_0, false, "Q8_0 8 lanes", 8},
      {GgmlType::kQ8_0, false, "Q8_0 4 lanes", 4},
      {GgmlType::kQ8_0, false, "Q8_0 check", 0, true},
      {GgmlType::kQ8_0, false, "Q8_0 check copy", 0, true, false, false, Bytes::kCopy},
      {GgmlType::kQ8_0, false, "Q8_0 check file pread", 0, true, false, false, Bytes::kFilePread},
      {GgmlType::kQ8_0, false, "Q8_0 check file mmap", 0, true, false, false, Bytes::kFileMmap},
      {GgmlType::kQ8_0, false, "Q8_0 check 8 lanes", 8, true},
      {GgmlType::kQ8_0, false, "Q8_0 eager check", 0, true, true},
      {GgmlType::kQ8_0, true, "Q8_0 scalar check", 0, true},
      {GgmlType::kQ4_0, false, "Q4_0"},
      {GgmlType::kQ4_0, true, "Q4_0 scalar"},
      {GgmlType::kQ4_0, false, "Q4_0 8 lanes", 8},
      {GgmlType::kQ4_0, false, "Q4_0 4 lanes", 4},
      {GgmlType::kQ4_0, false, "Q4_0 check", 0, true},
      {GgmlType::kQ4_0, false, "Q4_0 check copy", 0, true, false, false, Bytes::kCopy},
      {GgmlType::kQ4_0, false, "Q4_0 check file pread", 0, true, false, false, Bytes::kFilePread},
      {GgmlType::kQ4_0, false, "Q4_0 check file mmap", 0, true, false, false, Bytes::kFileMmap},
      {GgmlType::kQ4_0, false, "Q4_0 check 8 lanes", 8, true},
      {GgmlType::kQ4_0, false, "Q4_0 eager check", 0, true, true},
      {GgmlType::kQ4_0, false, "Q4_0 check, FMA file", 0, true, false, true},
      {GgmlType::kQ4_0, false, "Q4_0 eager, FMA file", 0, true, true, true},
      {GgmlType::kQ4_0, true, "Q4_0 scalar check", 0, true},
      {GgmlType::kQ4_1, false, "Q4_1"},
      {GgmlType::kQ4_1, false, "Q4_1 check", 0, true},
      {GgmlType::kQ5_0, false, "Q5_0"},
      {GgmlType::kQ5_0, false, "Q5_0 check", 0, true},
      {GgmlType::kQ5_0, false, "Q5_0 check, FMA file", 0, true, false, true},
      {GgmlType::kQ5_1, false, "Q5_1"},
      {GgmlType::kQ5_1, false, "Q5_1 check", 0, true},
      {GgmlType::kQ2_K, false, "Q2_K"},
      {GgmlType::kQ3_K, false, "Q3_K"},
      {GgmlType::kQ4_K, false, "Q4_K"},
      {GgmlType::kQ4_K, false, "Q4_K check", 0, true},
      {GgmlType::kQ4_K, false, "Q4_K eager check", 0, true, true},
      {GgmlType::kQ4_K, true, "Q4_K scalar"},
      {GgmlType::kQ4_K, false, "Q4_K 8 lanes", 8},
      {GgmlType::kQ4_K, false, "Q4_K 4 lanes", 4},
      {GgmlType::kQ5_K, false, "Q5_K"},
      {GgmlType::kQ6_K, false, "Q6_K"},
  };
  const char* only = argc > 2 ? argv[2] : "";
  const int passes = std::max(1, argc > 3 ? std::atoi(argv[3]) : 1);
  for (const Case& c : cases) {
    if (!Selected(c.label, only)) continue;
    if (!SetQuantKernelLanes(c.lanes)) continue;  // a width this CPU lacks
    const auto info = *LookupGgmlType(static_cast<uint32_t>(c.type));
    std::vector<Data> data(cores);
    for (int t = 0; t < cores; ++t) {
      data[t].x = MakeWeights(rows * kRow, 100 + t);
      data[t].src.resize(2 * data[t].x.size());
      for (size_t i = 0; i < data[t].x.size(); ++i) {
        const uint16_t b = Fp32ToBf16(data[t].x[i]);
        data[t].src[2 * i] = static_cast<uint8_t>(b & 0xff);
        data[t].src[2 * i + 1] = static_cast<uint8_t>(b >> 8);
      }
      data[t].stored.resize(rows * (kRow / info.block_elems) * info.block_bytes);
      // The "stored" file bytes come from the scalar port: the run also proves the fast path equal.
      QuantizeRowRefScalar(c.type, data[t].x.data(), rows * kRow,
                           c.fma_file ? RoundingVariant::kFma : RoundingVariant::kPlain,
                           data[t].stored.data());
      if (c.bytes == Bytes::kFilePread || c.bytes == Bytes::kFileMmap) {
        data[t].src_file = std::make_unique<BenchFile>(data[t].src, std::to_string(t) + ".bf16");
        data[t].stored_file =
            std::make_unique<BenchFile>(data[t].stored, std::to_string(t) + ".gguf");
      }
    }
    uint64_t bad1 = 0, badn = 0;
    Timing t1, tn;
    double floor1 = 1e30, floorn = 1e30;  // each pass: the floor right before the run
    for (int p = 0; p < passes; ++p) {
      uint64_t b1 = 0, bn = 0;
      floor1 = std::min(floor1, FloorSeconds(c.check, data, 1));
      const Timing a = Run(c.type, c.scalar, c.check, c.eager, c.fma_file, c.bytes, data, 1, &b1);
      floorn = std::min(floorn, FloorSeconds(c.check, data, cores));
      const Timing b =
          Run(c.type, c.scalar, c.check, c.eager, c.fma_file, c.bytes, data, cores, &bn);
      if (p == 0 || a.wall < t1.wall) t1 = a;
      if (p == 0 || b.wall < tn.wall) tn = b;
      bad1 += b1;
      badn += bn;
    }
    const double w = static_cast<double>(rows * kRow);
    // The last column divides by the CPU time the threads actually got (both runs): on a
    // machine shared with other jobs it is the meaningful per-core figure.
    const double bytes = (c.check ? 2.0 : 4.0) + static_cast<double>(info.block_bytes) /
                                                     info.block_elems;  // read per weight
    std::printf("%-22s %14.1f %14.1f %14.1f %14.1f %9.1f %9.1f %9.1f %9.1f  %s\n", c.label,
                w / t1.wall / 1e6, w * cores / tn.wall / 1e6, w / tn.wall / 1e6,
                w * (1 + cores) / (t1.cpu + tn.cpu) / 1e6, w * bytes / t1.wall / 1e9,
                w * cores * bytes / tn.wall / 1e9, w * bytes / floor1 / 1e9,
                w * cores * bytes / floorn / 1e9, bad1 + badn == 0 ? "bit-exact" : "MISMATCH");
  }
  return 0;
}
