// The fused legacy check's compute alone (quant_internal::FusedLegacyCheckBf16, candidate 0 of
// the fidelity check: bf16 -> f32, f16-trip flags, quantization, compare with the stored
// blocks), without the tensor check's chunked reads: one thread, rows of 4096 weights, in CPU
// seconds. "stream": 4M weights per type unless given (about 10 MB, beyond L2, from L3; 48M
// weights, 123 MB for Q4_0, are beyond L3: the regime a model check runs in, where the loads of
// each group of 16 blocks are first touches); "cached": 64K weights (fits L2) checked repeatedly.
// Flags "all": changed and may_differ as FusedRowChecker asks for them when every candidate is
// evaluated; "trip": changed only, as it asks once the other rounding variant's candidates
// mismatched (after the first rows of a tensor: the mode a whole file is checked in); "none":
// candidate 0 only. Usage: fused_kernel_bench [lanes (0 = all widths)] [repeats (default 10)]
// [type, e.g. Q8_0] [stream weights in millions (default 4)]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../verifier/src/quant_internal.h"
#include "provbadge/verifier/quant.h"

namespace pv = provbadge::verifier;

namespace {

constexpr int64_t kRow = 4096;

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Data {
  std::vector<uint8_t> src, stored;
};

Data Make(pv::GgmlType type, int64_t n) {
  std::mt19937 rng(100);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(n);
  Data d;
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t b = pv::Fp32ToBf16(normal(rng) * (i % 997 == 13 ? 8 : 1));
    x[i] = pv::Bf16ToFp32(b);
    d.src.push_back(static_cast<uint8_t>(b & 0xff));
    d.src.push_back(static_cast<uint8_t>(b >> 8));
  }
  d.stored.resize(n / 32 * pv::LookupGgmlType(static_cast<uint32_t>(type))->block_bytes);
  pv::QuantizeRowRefScalar(type, x.data(), n, pv::RoundingVariant::kPlain, d.stored.data());
  return d;
}

// Best of `repeats` CPU seconds for one pass over d (rows of kRow weights); false on a mismatch.
// flags: 2 all, 1 trip, 0 none.
bool Time(pv::GgmlType type, const Data& d, int flags, int repeats, int passes, double* best) {
  const int64_t bb = pv::LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
  const int64_t rows = static_cast<int64_t>(d.src.size()) / 2 / kRow, nb = kRow / 32;
  std::vector<uint8_t> changed(nb), may(nb);
  *best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const double c0 = CpuSeconds();
    for (int p = 0; p < passes; ++p) {
      for (int64_t row = 0; row < rows; ++row) {
        if (!pv::quant_internal::FusedLegacyCheckBf16(
                type, d.src.data() + row * kRow * 2, d.stored.data() + row * nb * bb, nb,
                flags > 0 ? changed.data() : nullptr, flags > 1 ? may.data() : nullptr)) {
          return false;
        }
      }
    }
    *best = std::min(*best, (CpuSeconds() - c0) / passes);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int only = argc > 1 ? std::atoi(argv[1]) : 0;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 10;
  const std::string type = argc > 3 ? argv[3] : "";
  const int64_t stream_weights = std::max<int64_t>(1, argc > 4 ? std::atoll(argv[4]) : 4) << 20;
  const struct {
    pv::GgmlType type;
    const char* name;
  } types[] = {{pv::GgmlType::kQ8_0, "Q8_0"},
               {pv::GgmlType::kQ4_0, "Q4_0"},
               {pv::GgmlType::kQ4_1, "Q4_1"},
               {pv::GgmlType::kQ5_0, "Q5_0"},
               {pv::GgmlType::kQ5_1, "Q5_1"}};
  std::printf("%-6s %5s %-6s %-5s %14s %9s\n", "type", "lanes", "data", "flags", "M per CPU-s",
              "GB/s");
  for (const auto& t : types) {
    if (!type.empty() && type != t.name) continue;
    const Data stream = Make(t.type, stream_weights), cached = Make(t.type, 64 << 10);
    const double bytes =
        2.0 + pv::LookupGgmlType(static_cast<uint32_t>(t.type))->block_bytes / 32.0;
    for (int lanes : {16, 8, 4}) {
      if ((only && lanes != only) || !pv::SetQuantKernelLanes(lanes)) continue;
      for (int which = 0; which < 2; ++which) {
        const Data& d = which ? cached : stream;
        const double n = static_cast<double>(d.src.size() / 2);
        for (int flags : {2, 1, 0}) {
          double s = 0;
          const bool ok = Time(t.type, d, flags, repeats, which ? 64 : 1, &s);
          std::printf("%-6s %5d %-6s %-5s %14.1f %9.1f%s\n", t.name, lanes,
                      which ? "cached" : "stream", flags == 2 ? "all" : (flags ? "trip" : "none"),
                      n / s / 1e6, n * bytes / s / 1e9, ok ? "" : "  MISMATCH");
        }
      }
    }
  }
  pv::SetQuantKernelLanes(0);
  return 0;
}
