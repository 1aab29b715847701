// Zero-copy views in the fidelity check (FileReader::View / CheckViews, fidelity_tensor.cc):
// the same results with and without views (also with views that die at the next View call),
// views used when offered, and a reader whose views did not stay valid fails the check.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "../../verifier/src/fidelity_tensor.h"
#include "../common/memory_source.h"
#include "../common/test_paths.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

using testing::MemoryReader;
using Views = MemoryReader::Views;

// A bf16 source of `rows` x `ne0` and its GGUF bytes (plain rounding; rows permuted as
// llama.cpp does for Q/K with `heads` > 0), with a byte of GGUF row `tamper_row` flipped when
// >= 0.
struct Tensor {
  GgmlType type;
  uint64_t ne0, rows;
  std::string src, gguf;
};

Tensor Make(GgmlType type, uint64_t ne0, uint64_t rows, int64_t tamper_row, unsigned seed,
            uint64_t heads = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(ne0 * rows);
  Tensor t{type, ne0, rows, "", ""};
  for (float& v : x) {
    const uint16_t b = Fp32ToBf16(normal(rng));
    v = Bf16ToFp32(b);
    t.src.push_back(static_cast<char>(b & 0xff));
    t.src.push_back(static_cast<char>(b >> 8));
  }
  const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
  const uint64_t row_bytes = ne0 / info.block_elems * info.block_bytes;
  std::vector<uint8_t> q(row_bytes * rows);
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t from = r;  // GGUF row h*2*half + i*2 + a holds source row h*2*half + a*half + i
    if (heads) {
      const uint64_t half = rows / heads / 2;
      from = r / (2 * half) * 2 * half + r % 2 * half + r % (2 * half) / 2;
    }
    REQUIRE(QuantizeRowRef(type, x.data() + from * ne0, static_cast<int64_t>(ne0),
                           RoundingVariant::kPlain, q.data() + r * row_bytes));
  }
  if (tamper_row >= 0) q[static_cast<uint64_t>(tamper_row) * row_bytes + 3] ^= 0x5a;
  t.gguf.assign(q.begin(), q.end());
  return t;
}

struct Run {
  Result<fidelity::TensorCheckResult> result;
  uint64_t gguf_views, src_views, checks;
};

Run Check(const Tensor& t, Views gguf_views, Views src_views, int permute_heads = 0,
          int gguf_ok_checks = -1, int src_ok_checks = -1) {
  GgufTensorInfo info;
  info.name = "t";
  info.n_dims = 2;
  info.ne = {t.ne0, t.rows, 1, 1};
  info.type = static_cast<uint32_t>(t.type);
  info.size = t.gguf.size();
  SafetensorsTensor source;
  source.name = "t";
  source.dtype = "BF16";
  source.shape = {t.rows, t.ne0};
  source.end = t.src.size();
  MemoryReader gguf(t.gguf, gguf_views, gguf_ok_checks), src(t.src, src_views, src_ok_checks);
  fidelity::TensorCheckInput in;
  in.info = &info;
  in.gguf = &gguf;
  in.source = &source;
  in.source_reader = &src;
  in.permute_heads = permute_heads;
  auto r = fidelity::CheckTensor(in, FidelityOptions{});
  return {std::move(r), gguf.views_given(), src.views_given(), gguf.check_calls()};
}

void RequireSame(const fidelity::TensorCheckResult& a, const fidelity::TensorCheckResult& b) {
  REQUIRE(a.blocks_total == b.blocks_total);
  for (int c = 0; c < fidelity::kCandidates; ++c) {
    INFO("candidate " << c);
    CHECK(a.candidates[c].enabled == b.candidates[c].enabled);
    CHECK(a.candidates[c].complete == b.candidates[c].complete);
    CHECK(a.candidates[c].blocks_mismatch == b.candidates[c].blocks_mismatch);
    CHECK(a.candidates[c].first_block == b.candidates[c].first_block);
    CHECK(a.candidates[c].first_row == b.candidates[c].first_row);
    CHECK(a.candidates[c].max_abs_dev == b.candidates[c].max_abs_dev);
  }
}

}  // namespace

TEST_CASE("fidelity views: same result with views, without, and with short-lived views",
          "[fidelity][views]") {
  // 4096 x 100 bf16 rows: 32 rows (256 KiB of source) a chunk, 4 chunks; tamper in chunk 3.
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K}) {
    for (int heads : {0, 5}) {
      INFO("type " << static_cast<int>(type) << " permute_heads " << heads);
      const Tensor t = Make(type, 4096, 100, 70, 7, heads);
      const Run plain = Check(t, Views::kNone, Views::kNone, heads);
      REQUIRE(plain.result.ok());
      CHECK(plain.result->candidates[0].first_row == 70);
      CHECK(plain.result->candidates[0].blocks_mismatch == 1);
      for (auto [g, s] :
           {std::pair{Views::kDirect, Views::kDirect},
            std::pair{Views::kPoisoned, Views::kPoisoned}, std::pair{Views::kDirect, Views::kNone},
            std::pair{Views::kNone, Views::kPoisoned}}) {
        const Run viewed = Check(t, g, s, heads);
        REQUIRE(viewed.result.ok());
        RequireSame(*viewed.result, *plain.result);
        CHECK((viewed.gguf_views > 0) == (g != Views::kNone));
        CHECK((viewed.src_views > 0) == (s != Views::kNone));
        CHECK(viewed.checks == 4);  // CheckViews after every chunk
      }
    }
  }
}

TEST_CASE("fidelity views: a view that did not stay valid fails the check", "[fidelity][views]") {
  const Tensor t = Make(GgmlType::kQ8_0, 4096, 100, -1, 9);
  REQUIRE(Check(t, Views::kDirect, Views::kDirect).result.ok());
  for (int ok_checks : {0, 2, 3}) {  // the first, a middle and the last chunk
    INFO("CheckViews fails after " << ok_checks << " chunks");
    for (bool on_gguf : {true, false}) {
      const Run r = on_gguf ? Check(t, Views::kDirect, Views::kDirect, 0, ok_checks)
                            : Check(t, Views::kDirect, Views::kDirect, 0, -1, ok_checks);
      REQUIRE(!r.result.ok());
      CHECK(r.result.error().code() == ErrorCode::kUnavailable);
      CHECK(r.result.error().message().find("file changed while reading") != std::string::npos);
    }
  }
}

TEST_CASE("fidelity views: the shared GGUF vectors give the same reports with views",
          "[fidelity][views][vectors]") {
  testing::MemorySource copied = testing::LoadFolder(testing::SharedDir() + "/vectors/gguf");
  testing::MemorySource viewed = copied, poisoned = copied;
  viewed.OfferViews(Views::kDirect);
  poisoned.OfferViews(Views::kPoisoned);
  for (const char* gguf : {"tiny-BF16.gguf", "tiny-Q4_0.gguf", "tiny-Q4_K_M-from-F16.gguf",
                           "tiny-Q4_K_M-tampered.gguf", "tiny-Q4_K_M.gguf", "tiny-Q8_0.gguf"}) {
    INFO(gguf);
    auto a = CheckFidelity(copied, copied, gguf);
    auto b = CheckFidelity(viewed, viewed, gguf);
    auto c = CheckFidelity(poisoned, poisoned, gguf);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(c.ok());
    CHECK(FidelityReportToJson(*a) == FidelityReportToJson(*b));
    CHECK(FidelityReportToJson(*a) == FidelityReportToJson(*c));
  }
}

}  // namespace provbadge::verifier
