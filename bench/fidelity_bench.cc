// Fidelity-check throughput: re-quantize + compare, in weights per second per core for each
// ggml type, single thread and all cores in one run, next to this machine's memcpy bandwidth.
// The "check" rows run the whole per-row work of the check for a BF16 source (fidelity_tensor.cc):
// bf16 -> f32, the bf16 -> f16 -> f32 candidate path, every rounding variant, the compare; the
// "scalar check" rows do it with the scalar conversions and ports (the code before the
// vectorized legacy kernels).
// Usage: fidelity_bench [million_weights_per_thread (default 4)] [type label, e.g. Q4_K: only the
// rows whose label starts with it, "Q4_K=": only that row; for `valgrind --tool=callgrind`]
#include <time.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "provbadge/verifier/quant.h"

namespace {

using provbadge::verifier::Bf16RowToFp32;
using provbadge::verifier::Bf16ToFp32;
using provbadge::verifier::Fp16RoundTripRow;
using provbadge::verifier::Fp16ToFp32;
using provbadge::verifier::Fp32ToBf16;
using provbadge::verifier::Fp32ToFp16;
using provbadge::verifier::GgmlType;
using provbadge::verifier::HasFmaVariant;
using provbadge::verifier::LookupGgmlType;
using provbadge::verifier::QuantizeRowRef;
using provbadge::verifier::QuantizeRowRefReusing;
using provbadge::verifier::QuantizeRowRefScalar;
using provbadge::verifier::RoundingVariant;
using provbadge::verifier::SetQuantKernelLanes;
using Clock = std::chrono::steady_clock;

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
};

volatile uint64_t g_sink = 0;  // keeps the unused candidates' compares

// One candidate: quantize `x` and compare with the stored row.
bool Candidate(GgmlType type, bool scalar, const float* x, RoundingVariant v, uint8_t* ref,
               const uint8_t* stored, size_t row_bytes) {
  scalar ? QuantizeRowRefScalar(type, x, kRow, v, ref) : QuantizeRowRef(type, x, kRow, v, ref);
  return std::memcmp(ref, stored, row_bytes) != 0;
}

// The check's per-row work for a bf16 source, as fidelity_tensor.cc's CheckRow does it.
uint64_t CheckRows(GgmlType type, bool scalar, const uint8_t* src, const uint8_t* stored,
                   int64_t rows) {
  const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
  const size_t row_bytes = kRow / info.block_elems * info.block_bytes;
  const int variants = HasFmaVariant(type) ? 2 : 1;
  std::vector<float> x(kRow), x16(kRow);
  std::vector<uint8_t> ref(row_bytes), ref16(row_bytes);
  uint64_t mismatches = 0;
  for (int64_t r = 0; r < rows; ++r, src += 2 * kRow, stored += row_bytes) {
    bool same16;
    if (scalar) {
      for (int64_t i = 0; i < kRow; ++i)
        x[i] = Bf16ToFp32(static_cast<uint16_t>(src[2 * i] | src[2 * i + 1] << 8));
      for (int64_t i = 0; i < kRow; ++i) x16[i] = Fp16ToFp32(Fp32ToFp16(x[i]));
      same16 = std::memcmp(x.data(), x16.data(), kRow * 4) == 0;
    } else {
      Bf16RowToFp32(src, kRow, x.data());
      same16 = Fp16RoundTripRow(x.data(), kRow, x16.data());
    }
    for (int v = 0; v < variants; ++v) {
      const auto variant = v ? RoundingVariant::kFma : RoundingVariant::kPlain;
      // The stored bytes are the plain variant's: only that one must match.
      const bool bad = Candidate(type, scalar, x.data(), variant, ref.data(), stored, row_bytes);
      mismatches += v == 0 && bad;
      if (same16) continue;
      if (scalar) {
        Candidate(type, scalar, x16.data(), variant, ref16.data(), stored, row_bytes);
      } else {
        QuantizeRowRefReusing(type, x16.data(), x.data(), ref.data(), kRow, variant, ref16.data());
        g_sink = g_sink + (std::memcmp(ref16.data(), stored, row_bytes) != 0);
      }
    }
  }
  return mismatches;
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
Timing Run(GgmlType type, bool scalar, bool check, std::vector<Data>& data, int threads,
           uint64_t* bad) {
  std::vector<std::thread> pool;
  std::vector<uint64_t> mism(threads);
  std::vector<double> cpu(threads);
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Data& d = data[t];
      const double c0 = ThreadCpuSeconds();
      const int64_t rows = static_cast<int64_t>(d.x.size()) / kRow;
      mism[t] = check ? CheckRows(type, scalar, d.src.data(), d.stored.data(), rows)
                      : VerifyRows(type, scalar, d.x.data(), d.stored.data(), rows);
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
  std::printf("%-18s %14s %14s %14s %14s  %s\n", "type", "1 thread M/s", "all cores M/s",
              "per core M/s", "per CPU-s M", "check");
  struct Case {
    GgmlType type;
    bool scalar;
    const char* label;
    int lanes = 0;       // kernel width (0: the widest this CPU runs)
    bool check = false;  // the whole per-row check from a bf16 source (CheckRows)
  };
  const Case cases[] = {
      {GgmlType::kBF16, false, "BF16"},
      {GgmlType::kF16, false, "F16"},
      {GgmlType::kQ8_0, false, "Q8_0"},
      {GgmlType::kQ8_0, true, "Q8_0 scalar"},
      {GgmlType::kQ8_0, false, "Q8_0 8 lanes", 8},
      {GgmlType::kQ8_0, false, "Q8_0 4 lanes", 4},
      {GgmlType::kQ8_0, false, "Q8_0 check", 0, true},
      {GgmlType::kQ8_0, true, "Q8_0 scalar check", 0, true},
      {GgmlType::kQ4_0, false, "Q4_0"},
      {GgmlType::kQ4_0, true, "Q4_0 scalar"},
      {GgmlType::kQ4_0, false, "Q4_0 8 lanes", 8},
      {GgmlType::kQ4_0, false, "Q4_0 4 lanes", 4},
      {GgmlType::kQ4_0, false, "Q4_0 check", 0, true},
      {GgmlType::kQ4_0, true, "Q4_0 scalar check", 0, true},
      {GgmlType::kQ4_1, false, "Q4_1"},
      {GgmlType::kQ5_0, false, "Q5_0"},
      {GgmlType::kQ5_1, false, "Q5_1"},
      {GgmlType::kQ2_K, false, "Q2_K"},
      {GgmlType::kQ3_K, false, "Q3_K"},
      {GgmlType::kQ4_K, false, "Q4_K"},
      {GgmlType::kQ4_K, true, "Q4_K scalar"},
      {GgmlType::kQ4_K, false, "Q4_K 8 lanes", 8},
      {GgmlType::kQ4_K, false, "Q4_K 4 lanes", 4},
      {GgmlType::kQ5_K, false, "Q5_K"},
      {GgmlType::kQ6_K, false, "Q6_K"},
  };
  const char* only = argc > 2 ? argv[2] : "";
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
      QuantizeRowRefScalar(c.type, data[t].x.data(), rows * kRow, RoundingVariant::kPlain,
                           data[t].stored.data());
    }
    uint64_t bad1 = 0, badn = 0;
    const Timing t1 = Run(c.type, c.scalar, c.check, data, 1, &bad1);
    const Timing tn = Run(c.type, c.scalar, c.check, data, cores, &badn);
    const double w = static_cast<double>(rows * kRow);
    // The last column divides by the CPU time the threads actually got (both runs): on a
    // machine shared with other jobs it is the meaningful per-core figure.
    std::printf("%-18s %14.1f %14.1f %14.1f %14.1f  %s\n", c.label, w / t1.wall / 1e6,
                w * cores / tn.wall / 1e6, w / tn.wall / 1e6,
                w * (1 + cores) / (t1.cpu + tn.cpu) / 1e6,
                bad1 + badn == 0 ? "bit-exact" : "MISMATCH");
  }
  return 0;
}
