// The fidelity check of a whole model, as `provbadge fidelity` runs it: CheckFidelity over a
// local folder (DirectorySource: mmap views of page-cached files) on 1 thread and on every core,
// next to the two floors of the same machine and thread count: streaming the same two files
// through the same readers (1 MiB views, every 8-byte word XORed; the cost of getting the bytes
// at all) and streaming anonymous memory (its read bandwidth). The model is a synthetic llama
// checkpoint (bench_model.h: TinyLlama-1.1B's shapes by default, 2.2 GB bf16) written once into
// DIR and reused. Every check must come out faithful and bit-exact, or the bench exits 1.
// Columns: wall-clock M weights/s, M weights per CPU-second (user + system of the process), GB/s
// of both files read, the check's share of each floor's GB/s, peak resident memory.
// Usage: fidelity_model_bench [TYPE (Q8_0; Q4_0-fma: the GGUF an FMA build makes)] [layers (22)]
//        [DIR (/tmp/provbadge-model-bench)] [passes (3): each figure is the best of that many]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_model.h"
#include "bench_readers.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/worker/directory_source.h"

namespace {

namespace v = provbadge::verifier;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

long VmHwmKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// Runs fn(t) on `threads` threads (t = 0 on the calling one) and joins them.
template <typename F>
void OnThreads(unsigned threads, F fn) {
  std::vector<std::jthread> others;
  for (unsigned t = 1; t < threads; ++t) others.emplace_back([&fn, t] { fn(t); });
  fn(0);
}

// Seconds to stream `files` through the production readers, each thread its share of each.
double FileFloor(const std::vector<std::string>& files, unsigned threads) {
  std::atomic<uint64_t> sink{0};
  const auto t0 = Clock::now();
  OnThreads(threads, [&](unsigned t) {
    uint64_t x = 0;
    for (const std::string& path : files) {
      auto reader = provbadge::bench::OpenFileReader(path, true);
      const uint64_t size = reader->Size(), begin = size * t / threads;
      const uint64_t end = size * (t + 1) / threads;
      for (uint64_t off = begin; off < end; off += 1 << 20) {
        const uint64_t n = std::min<uint64_t>(1 << 20, end - off);
        const std::byte* p = reader->View(off, n);
        if (p == nullptr) std::exit(1);
        x ^= provbadge::bench::XorWords(p, n);
      }
    }
    sink ^= x;
  });
  return Seconds(t0);
}

// Read bandwidth of anonymous memory (bytes/s), `threads` threads over 1 GiB each.
double MemoryFloor(unsigned threads) {
  constexpr uint64_t kBytes = uint64_t{1} << 30;
  std::vector<std::vector<uint64_t>> bufs(threads);
  OnThreads(threads, [&](unsigned t) { bufs[t].assign(kBytes / 8, t + 1); });
  std::atomic<uint64_t> sink{0};
  const auto t0 = Clock::now();
  OnThreads(threads, [&](unsigned t) {
    sink ^= provbadge::bench::XorWords(reinterpret_cast<const std::byte*>(bufs[t].data()), kBytes);
  });
  return static_cast<double>(kBytes) * threads / Seconds(t0);
}

struct CheckRun {
  double wall, cpu;
};

CheckRun Check(const std::string& dir, const std::string& gguf, unsigned threads) {
  provbadge::worker::DirectorySource source(dir, nullptr), quantized(dir, nullptr);
  v::FidelityOptions options;
  options.threads = threads;
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  auto report = v::CheckFidelity(source, quantized, gguf, options);
  const CheckRun run{Seconds(t0), ProcessCpuSeconds() - cpu0};
  if (!report.ok() || report->verdict != v::FidelityVerdict::kFaithful ||
      report->tier != "bit-exact") {
    std::fprintf(
        stderr, "fidelity_model_bench: the check is not bit-exact: %s\n",
        report.ok() ? v::FidelityReportToText(*report).c_str() : report.error().message().c_str());
    std::exit(1);
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::string type_name = argc > 1 ? argv[1] : "Q8_0";
  auto variant = v::RoundingVariant::kPlain;
  if (type_name.ends_with("-fma")) {
    type_name.resize(type_name.size() - 4);
    variant = v::RoundingVariant::kFma;
  }
  provbadge::bench::ModelShape shape;
  if (argc > 2) shape.layers = std::strtoull(argv[2], nullptr, 10);
  const std::string dir = argc > 3 ? argv[3] : "/tmp/provbadge-model-bench";
  const int passes = argc > 4 ? std::max(1, std::atoi(argv[4])) : 3;
  std::optional<v::GgmlType> type;
  for (uint32_t id = 0; id < 64; ++id) {
    auto info = v::LookupGgmlType(id);
    if (info && info->name == type_name && info->requantizable) type = v::GgmlType(id);
  }
  if (!type || shape.layers == 0) {
    std::fprintf(stderr, "usage: fidelity_model_bench [TYPE] [layers] [DIR] [passes]\n");
    return 2;
  }
  const auto t0 = Clock::now();
  const std::string gguf = provbadge::bench::WriteModel(dir, shape, *type, variant);
  const std::vector<std::string> files = {dir + "/model.safetensors", dir + "/" + gguf};
  uint64_t bytes = 0;
  for (const std::string& f : files) bytes += std::filesystem::file_size(f);
  const double weights = static_cast<double>(provbadge::bench::ModelWeights(shape));
  FileFloor(files, 1);  // into the page cache
  std::printf("fidelity_model_bench: %s, %.0f M weights, %.2f GB read per check (set-up %.1f s)\n",
              gguf.c_str(), weights / 1e6, static_cast<double>(bytes) / 1e9, Seconds(t0));
  std::printf("%-8s %12s %12s %9s %12s %14s %9s %12s\n", "threads", "M weights/s", "M per CPU-s",
              "GB/s", "file floor", "share of file", "memory", "share of mem");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<unsigned> counts = {1};
  if (cores > 1) counts.push_back(cores);
  struct Row {
    double wall = 1e30, cpu = 1e30, file = 1e30, mem = 0;
  };
  std::vector<Row> rows(counts.size());
  for (int p = 0; p < passes; ++p) {  // passes interleaved, so a drifting machine hits both
    for (size_t i = 0; i < counts.size(); ++i) {
      rows[i].file = std::min(rows[i].file, FileFloor(files, counts[i]));
      const CheckRun run = Check(dir, gguf, counts[i]);
      rows[i].wall = std::min(rows[i].wall, run.wall);
      rows[i].cpu = std::min(rows[i].cpu, run.cpu);
    }
  }
  const long hwm = VmHwmKb();  // before the memory floor's buffers
  for (int p = 0; p < passes; ++p) {
    for (size_t i = 0; i < counts.size(); ++i) {
      rows[i].mem = std::max(rows[i].mem, MemoryFloor(counts[i]));
    }
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    const Row& r = rows[i];
    const double gbs = static_cast<double>(bytes) / r.wall / 1e9;
    const double file_gbs = static_cast<double>(bytes) / r.file / 1e9;
    std::printf("%-8u %12.1f %12.1f %9.2f %12.2f %13.0f%% %9.2f %11.0f%%\n", counts[i],
                weights / r.wall / 1e6, weights / r.cpu / 1e6, gbs, file_gbs, 100 * gbs / file_gbs,
                r.mem / 1e9, 100 * gbs / (r.mem / 1e9));
  }
  std::printf("peak resident memory of the checks (VmHWM): %ld kB\n", hwm);
  return 0;
}
