// Fidelity-check throughput: re-quantize + compare, in weights per second per core for each
// ggml type, single thread and all cores in one run, next to this machine's memcpy bandwidth.
// Usage: fidelity_bench [million_weights_per_thread (default 4)] [type label, e.g. Q4_K: only the
// rows whose label starts with it; for `valgrind --tool=callgrind` instruction counts]
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

using provbadge::verifier::Bf16ToFp32;
using provbadge::verifier::Fp32ToBf16;
using provbadge::verifier::GgmlType;
using provbadge::verifier::LookupGgmlType;
using provbadge::verifier::QuantizeRowRef;
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
  std::vector<uint8_t> stored;
};

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
Timing Run(GgmlType type, bool scalar, std::vector<Data>& data, int threads, uint64_t* bad) {
  std::vector<std::thread> pool;
  std::vector<uint64_t> mism(threads);
  std::vector<double> cpu(threads);
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Data& d = data[t];
      const double c0 = ThreadCpuSeconds();
      mism[t] = VerifyRows(type, scalar, d.x.data(), d.stored.data(),
                           static_cast<int64_t>(d.x.size()) / kRow);
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
  std::printf("%-14s %14s %14s %14s %14s  %s\n", "type", "1 thread M/s", "all cores M/s",
              "per core M/s", "per CPU-s M", "check");
  struct Case {
    GgmlType type;
    bool scalar;
    const char* label;
    int lanes = 0;  // K-quant kernel width (0: the widest this CPU runs)
  };
  const Case cases[] = {
      {GgmlType::kBF16, false, "BF16"},
      {GgmlType::kF16, false, "F16"},
      {GgmlType::kQ8_0, false, "Q8_0"},
      {GgmlType::kQ4_0, false, "Q4_0"},
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
    if (std::strncmp(c.label, only, std::strlen(only)) != 0) continue;
    if (!SetQuantKernelLanes(c.lanes)) continue;  // a width this CPU lacks
    const auto info = *LookupGgmlType(static_cast<uint32_t>(c.type));
    std::vector<Data> data(cores);
    for (int t = 0; t < cores; ++t) {
      data[t].x = MakeWeights(rows * kRow, 100 + t);
      data[t].stored.resize(rows * (kRow / info.block_elems) * info.block_bytes);
      // The "stored" file bytes come from the scalar port: the run also proves the fast path equal.
      QuantizeRowRefScalar(c.type, data[t].x.data(), rows * kRow, RoundingVariant::kPlain,
                           data[t].stored.data());
    }
    uint64_t bad1 = 0, badn = 0;
    const Timing t1 = Run(c.type, c.scalar, data, 1, &bad1);
    const Timing tn = Run(c.type, c.scalar, data, cores, &badn);
    const double w = static_cast<double>(rows * kRow);
    // The last column divides by the CPU time the threads actually got (both runs): on a
    // machine shared with other jobs it is the meaningful per-core figure.
    std::printf("%-14s %14.1f %14.1f %14.1f %14.1f  %s\n", c.label, w / t1.wall / 1e6,
                w * cores / tn.wall / 1e6, w / tn.wall / 1e6,
                w * (1 + cores) / (t1.cpu + tn.cpu) / 1e6,
                bad1 + badn == 0 ? "bit-exact" : "MISMATCH");
  }
  return 0;
}
