// CheckTensor (fidelity_tensor.h). Compiled with -ffp-contract=off.
#include "fidelity_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "fidelity_fused.h"
#include "gguf_stream_reader.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier::fidelity {
namespace {

enum class SourceDtype { kBf16, kF16, kF32 };

// The larger deviation; NaN once either is NaN (a NaN weight or scale is the worst deviation).
double MaxDev(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  return std::max(a, b);
}

// Chunks of at most this much (within limits::kFidelityChunkBytes): the source and GGUF rows
// of one chunk stay in a core's L2 between the read that copies them in and the check, which
// then does not stream them from memory a second time (measured in bench/README.md).
constexpr uint64_t kCacheChunkBytes = 256u << 10;

// Source row `gguf_row` of a permuted Q/K weight: GGUF row h*2*half + r*2 + a holds source
// row h*2*half + a*half + r (notes/quant.md §3.6).
uint64_t SourceRow(uint64_t gguf_row, uint64_t rows, int heads) {
  if (heads == 0) return gguf_row;
  const uint64_t half = rows / static_cast<uint64_t>(heads) / 2;
  const uint64_t h = gguf_row / (2 * half), r = (gguf_row % (2 * half)) / 2, a = gguf_row % 2;
  return h * 2 * half + a * half + r;
}

void ToFloat(SourceDtype dt, const uint8_t* raw, uint64_t n, float* x) {
  switch (dt) {
    case SourceDtype::kBf16:
      return Bf16RowToFp32(raw, static_cast<int64_t>(n), x);
    case SourceDtype::kF16:
      return Fp16RowToFp32(raw, static_cast<int64_t>(n), x);
    case SourceDtype::kF32:
      std::memcpy(x, raw, n * 4);
      return;
  }
}

class Checker {
 public:
  Checker(const TensorCheckInput& in, const FidelityOptions& opt, GgmlTypeInfo type, SourceDtype dt)
      : in_(in), opt_(opt), type_(type), gtype_(static_cast<GgmlType>(type.id)), dt_(dt) {}

  // Rows [row_begin, row_end).
  Result<TensorPart> Run(uint64_t row_begin, uint64_t row_end) {
    const GgufTensorInfo& t = *in_.info;
    ne0_ = t.ne[0];
    rows_ = t.Rows();
    row_bytes_ = t.RowBytes();
    blocks_per_row_ = ne0_ / type_.block_elems;
    src_row_bytes_ = ne0_ * (dt_ == SourceDtype::kF32 ? 4 : 2);
    part_.result.blocks_total = blocks_per_row_ * rows_;
    const bool quantized = type_.block_elems > 1;
    const int paths = quantized && dt_ != SourceDtype::kF16 ? 2 : 1;
    const int variants = HasFmaVariant(gtype_) && !in_.grid_only ? 2 : 1;
    for (int p = 0; p < paths; ++p) {
      for (int v = 0; v < variants; ++v) part_.result.candidates[p * 2 + v].enabled = true;
    }
    const uint64_t chunk_rows = std::min<uint64_t>(
        std::max<uint64_t>(1, row_end - row_begin),
        std::max<uint64_t>(1, std::min<uint64_t>(limits::kFidelityChunkBytes, kCacheChunkBytes) /
                                  std::max(row_bytes_, src_row_bytes_)));
    // Every byte is read into before it is used: no zeroing. Unused (and never touched) when
    // the readers offer views.
    gguf_buf_.reset(new uint8_t[chunk_rows * row_bytes_]);
    src_buf_.reset(new uint8_t[in_.permute_heads ? src_row_bytes_ : chunk_rows * src_row_bytes_]);
    // The fused fast path: a faithful bf16 file of a legacy type, checked lazily.
    if (dt_ == SourceDtype::kBf16 && !in_.grid_only && !opt_.eager_candidates &&
        FusedRowChecker::Supports(gtype_)) {
      fused_.emplace(gtype_, blocks_per_row_);
    }
    x_.resize(ne0_);
    x16_.resize(ne0_);
    for (auto& r : ref_) r.resize(row_bytes_);
    deq_a_.resize(type_.block_elems);
    deq_b_.resize(type_.block_elems);
    may_differ_.resize(blocks_per_row_);
    block_.resize(type_.block_bytes);
    for (uint64_t r0 = row_begin; r0 < row_end; r0 += chunk_rows) {
      const uint64_t n = std::min(chunk_rows, row_end - r0);
      if (Status s = CheckChunk(r0, n); !s.ok()) return s.error();
    }
    return std::move(part_);
  }

 private:
  // Rows [r0, r0 + n): read (or viewed), checked, and trusted only once both readers say
  // their views stayed valid.
  Status CheckChunk(uint64_t r0, uint64_t n) {
    auto gguf = ReadGguf(r0, n);
    if (!gguf.ok()) return gguf.error();
    const uint8_t* src = nullptr;
    if (!in_.permute_heads) {
      auto s = ReadSource(r0, n);
      if (!s.ok()) return s.error();
      src = *s;
    }
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* raw = src ? src + i * src_row_bytes_ : nullptr;
      if (in_.permute_heads) {
        auto s = ReadSource(SourceRow(r0 + i, rows_, in_.permute_heads), 1);
        if (!s.ok()) return s.error();
        raw = *s;
      }
      const uint8_t* gguf_row = *gguf + i * row_bytes_;
      if (FusedRow(r0 + i, raw, gguf_row)) continue;
      ToFloat(dt_, raw, ne0_, x_.data());
      CheckRow(r0 + i, gguf_row);
    }
    if (Status s = in_.gguf->CheckViews(); !s.ok()) return s.error().Wrap("gguf");
    if (Status s = in_.source_reader->CheckViews(); !s.ok()) return s.error().Wrap("safetensors");
    return Status::Ok();
  }

  // `len` bytes at `off`: a view of the reader's bytes when `view` and it offers one, else
  // `buf` after reading them into it.
  static Result<const uint8_t*> Bytes(FileReader& reader, uint64_t off, uint64_t len, bool view,
                                      uint8_t* buf, const char* truncated_code) {
    if (const std::byte* v = view ? reader.View(off, len) : nullptr) {
      return reinterpret_cast<const uint8_t*>(v);
    }
    if (Status s =
            ReadExactly(reader, off, std::as_writable_bytes(std::span(buf, len)), truncated_code);
        !s.ok()) {
      return s.error();
    }
    return static_cast<const uint8_t*>(buf);
  }

  Result<const uint8_t*> ReadGguf(uint64_t row, uint64_t n) {
    const uint64_t off = in_.data_offset + in_.info->offset + row * row_bytes_;
    return Bytes(*in_.gguf, off, n * row_bytes_, true, gguf_buf_.get(), "gguf.truncated");
  }

  // One reader passed as both (one file) keeps one view at a time: the GGUF's; the source is
  // then read into the buffer.
  Result<const uint8_t*> ReadSource(uint64_t row, uint64_t n) {
    const uint64_t off = in_.source->begin + row * src_row_bytes_;
    return Bytes(*in_.source_reader, off, n * src_row_bytes_, in_.source_reader != in_.gguf,
                 src_buf_.get(), "safetensors.truncated");
  }

  bool AnyClean() const {
    for (const CandidateStats& c : part_.result.candidates) {
      if (c.Clean()) return true;
    }
    return false;
  }

  // The candidates this row evaluates: a candidate stops once it mismatches while another is
  // still clean, but for keep_candidate.
  std::array<bool, kCandidates> Evaluate() const {
    const bool any_clean = AnyClean();
    std::array<bool, kCandidates> evaluate = {};
    for (int c = 0; c < kCandidates; ++c) {
      const CandidateStats& st = part_.result.candidates[c];
      evaluate[c] = st.enabled && (c == in_.keep_candidate || !any_clean || st.Clean());
    }
    return evaluate;
  }

  // The row through the fused fast path while candidate 0 is clean, or else candidate 1 (a file
  // the FMA variant made; candidate 0 has then stopped, unless kept): true when it settled the
  // row (every evaluated candidate reproduces it but a kept candidate 0, whose mismatching
  // blocks it records as CompareRow does, so CheckRow would record nothing else but the
  // candidates it skips); false to evaluate the row in full.
  bool FusedRow(uint64_t row, const uint8_t* raw, const uint8_t* gguf_row) {
    if (!fused_) return false;
    const auto& cands = part_.result.candidates;
    const int primary = cands[0].Clean() ? 0 : (cands[1].Clean() ? 1 : -1);
    if (primary < 0) return false;
    const std::array<bool, kCandidates> evaluate = Evaluate();
    mismatches0_.clear();
    if (!fused_->Clean(evaluate, primary, raw, gguf_row, &mismatches0_)) return false;
    const uint32_t bb = type_.block_bytes, be = type_.block_elems;
    for (uint64_t b : mismatches0_) {
      Record(row, b, &part_.result.candidates[0]);
      if (!NeedsDetail(0)) continue;
      Bf16RowToFp32(raw + b * be * 2, be, x_.data());
      QuantizeRowRef(gtype_, x_.data(), be, RoundingVariant::kPlain, block_.data());
      Detail(0, x_.data(), gguf_row + b * bb, block_.data());
    }
    for (int c = 0; c < kCandidates; ++c) {
      if (part_.result.candidates[c].enabled && !evaluate[c])
        part_.result.candidates[c].complete = false;
    }
    return true;
  }

  void CheckRow(uint64_t row, const uint8_t* gguf_row) {
    const std::array<bool, kCandidates> evaluate = Evaluate();
    bool same16 = true;
    const float* x16 = x_.data();  // the bf16 -> f16 -> f32 path's input
    if (evaluate[2] || evaluate[3]) {
      same16 = Fp16RoundTripRow(x_.data(), static_cast<int64_t>(ne0_), x16_.data());
      if (!same16) x16 = x16_.data();
    }
    const bool lazy = !opt_.eager_candidates && !in_.grid_only;
    // The other candidates derived from candidate 0's bytes: only while it is evaluated (else
    // each is re-derived in full, as eagerly).
    const bool derive = lazy && evaluate[0];
    // Candidate 0's FMA flags, for the FMA candidates derived from it.
    const bool flags = derive && (evaluate[1] || evaluate[3]);
    bool primary_exact = false;  // candidate 0 (evaluated first) reproduced the whole row
    std::array<bool, kCandidates> computed = {};
    for (int c = 0; c < kCandidates; ++c) {
      CandidateStats& st = part_.result.candidates[c];
      if (!st.enabled) continue;
      if (!evaluate[c]) {
        st.complete = false;
        continue;
      }
      const int path = c / 2, variant = c % 2;
      const float* input = path == 1 ? x16 : x_.data();
      if (in_.grid_only) {
        GridRow(row, input, gguf_row, &st);
        continue;
      }
      if (c != 0 && derive) {
        CheckDerived(row, c, input, same16, primary_exact, gguf_row);
        continue;
      }
      const RoundingVariant rv = variant ? RoundingVariant::kFma : RoundingVariant::kPlain;
      const int64_t n = static_cast<int64_t>(ne0_);
      if (c == 0 && flags) {
        QuantizeRowRefPlainFlagged(gtype_, input, n, ref_[c].data(), may_differ_.data());
      } else if (path == 1 && same16 && computed[variant]) {
        std::memcpy(ref_[c].data(), ref_[variant].data(), row_bytes_);
      } else if (path == 1 && computed[variant]) {  // only the blocks the f16 trip changed
        QuantizeRowRefReusing(gtype_, input, x_.data(), ref_[variant].data(), n, rv,
                              ref_[c].data());
      } else {
        QuantizeRowRef(gtype_, input, n, rv, ref_[c].data());
      }
      computed[c] = true;
      const bool exact = CompareRow(row, input, gguf_row, ref_[c].data(), c);
      if (c == 0) primary_exact = exact;
    }
  }

  // Candidate c (> 0) on this row from candidate 0's bytes (ref_[0]): they can differ only in
  // the blocks whose input the f16 trip changed (path 1) and those flagged by
  // QuantizeRowRefPlainFlagged (FMA variant); only those are quantized. When candidate 0
  // reproduced the row, comparing those blocks settles it; otherwise (or when one differs) c's
  // row is assembled and compared as the eager evaluation does.
  void CheckDerived(uint64_t row, int c, const float* input, bool same16, bool primary_exact,
                    const uint8_t* gguf_row) {
    const uint32_t bb = type_.block_bytes, be = type_.block_elems;
    const bool fma = c % 2 == 1;
    const RoundingVariant rv = fma ? RoundingVariant::kFma : RoundingVariant::kPlain;
    todo_.clear();
    for (uint64_t b = 0; b < blocks_per_row_; ++b) {
      const bool changed = c / 2 == 1 && !same16 &&
                           std::memcmp(input + b * be, x_.data() + b * be, size_t{be} * 4) != 0;
      if (changed || (fma && may_differ_[b])) todo_.push_back(b);
    }
    if (primary_exact) {
      bool exact = true;
      for (uint64_t b : todo_) {
        QuantizeRowRef(gtype_, input + b * be, be, rv, block_.data());
        if (std::memcmp(block_.data(), gguf_row + b * bb, bb) != 0) {
          exact = false;
          break;
        }
      }
      if (exact) return;
    }
    uint8_t* ref = ref_[c].data();
    std::memcpy(ref, ref_[0].data(), row_bytes_);
    for (uint64_t b : todo_) QuantizeRowRef(gtype_, input + b * be, be, rv, ref + b * bb);
    CompareRow(row, input, gguf_row, ref, c);
  }

  void Record(uint64_t row, uint64_t b, CandidateStats* st) {
    if (st->blocks_mismatch++ == 0) {
      st->first_block = static_cast<int64_t>(row * blocks_per_row_ + b);
      st->first_row = static_cast<int64_t>(row);
    }
  }

  // Records candidate c's mismatching blocks of the row (the first max_detailed_mismatches in
  // detail); true when there are none.
  bool CompareRow(uint64_t row, const float* x, const uint8_t* got, const uint8_t* want, int c) {
    const uint32_t bb = type_.block_bytes, be = type_.block_elems;
    CandidateStats* st = &part_.result.candidates[c];
    if (std::memcmp(got, want, row_bytes_) == 0) return true;
    for (uint64_t b = 0; b < blocks_per_row_; ++b) {
      if (std::memcmp(got + b * bb, want + b * bb, bb) == 0) continue;
      Record(row, b, st);
      if (NeedsDetail(c)) Detail(c, x + b * be, got + b * bb, want + b * bb);
    }
    return false;
  }

  bool NeedsDetail(int c) const {
    return part_.result.candidates[c].detailed < opt_.max_detailed_mismatches;
  }

  // Candidate c's mismatching block examined in detail: x its weights, got the GGUF's bytes,
  // want the candidate's.
  void Detail(int c, const float* x, const uint8_t* got, const uint8_t* want) {
    const uint32_t be = type_.block_elems;
    ++part_.result.candidates[c].detailed;
    DequantizeRow(gtype_, got, be, deq_a_.data());
    DequantizeRow(gtype_, want, be, deq_b_.data());
    BlockDetail detail;
    for (uint32_t i = 0; i < be; ++i) {
      detail.max_abs_dev =
          MaxDev(detail.max_abs_dev, std::fabs(static_cast<double>(deq_a_[i]) - deq_b_[i]));
    }
    detail.grid_bad_weights = std::max(0, GridInconsistentWeights(gtype_, x, got));
    part_.details[c].push_back(detail);
  }

  void GridRow(uint64_t row, const float* x, const uint8_t* got, CandidateStats* st) {
    const uint32_t bb = type_.block_bytes, be = type_.block_elems;
    for (uint64_t b = 0; b < blocks_per_row_; ++b) {
      const int bad = GridInconsistentWeights(gtype_, x + b * be, got + b * bb);
      if (bad <= 0) continue;
      Record(row, b, st);
      st->grid_bad_weights += bad;
    }
  }

  const TensorCheckInput& in_;
  const FidelityOptions& opt_;
  GgmlTypeInfo type_;
  GgmlType gtype_;
  SourceDtype dt_;
  uint64_t ne0_ = 0, rows_ = 0, row_bytes_ = 0, blocks_per_row_ = 0, src_row_bytes_ = 0;
  TensorPart part_;
  std::unique_ptr<uint8_t[]> gguf_buf_, src_buf_;  // one chunk of rows
  std::vector<uint8_t> may_differ_, block_;
  std::optional<FusedRowChecker> fused_;
  std::vector<float> x_, x16_, deq_a_, deq_b_;
  std::array<std::vector<uint8_t>, kCandidates> ref_;
  std::vector<uint64_t> todo_;         // CheckDerived's blocks to quantize
  std::vector<uint64_t> mismatches0_;  // FusedRow's blocks where candidate 0 differs
};

// The source dtype CheckTensor takes, if any.
std::optional<SourceDtype> DtypeOf(const std::string& dtype) {
  if (dtype == "BF16") return SourceDtype::kBf16;
  if (dtype == "F16") return SourceDtype::kF16;
  if (dtype == "F32") return SourceDtype::kF32;
  return std::nullopt;
}

// Adds `details` to a candidate's max_abs_dev and grid_bad_weights.
void Fold(std::span<const BlockDetail> details, CandidateStats* st) {
  for (const BlockDetail& d : details) {
    st->max_abs_dev = MaxDev(st->max_abs_dev, d.max_abs_dev);
    st->grid_bad_weights += d.grid_bad_weights;
  }
}

}  // namespace

std::string UnverifiableReason(const TensorCheckInput& in) {
  const GgufTensorInfo& t = *in.info;
  auto type = LookupGgmlType(t.type);
  if (!type || !type->requantizable) {
    return "ggml type " + std::string(type ? type->name : "unknown") + " cannot be re-derived";
  }
  if (!DtypeOf(in.source->dtype)) {
    return "source dtype " + in.source->dtype + " is not BF16, F16 or F32";
  }
  if (t.ne[2] != 1 || t.ne[3] != 1)
    return "tensors with more than 2 dimensions are not supported yet";
  if (t.ne[0] > limits::kMaxFidelityRowElems) return "rows longer than the limit";
  if (in.permute_heads && t.Rows() % (2 * static_cast<uint64_t>(in.permute_heads)) != 0) {
    return "rows are not a multiple of 2 x n_head; the permutation is undefined";
  }
  if (in.grid_only && (type->block_elems != 256)) {
    return "a legacy type quantized with an imatrix cannot be re-derived without it";
  }
  return "";
}

Result<TensorPart> CheckTensorRows(const TensorCheckInput& in, const FidelityOptions& options,
                                   uint64_t row_begin, uint64_t row_end) {
  const GgmlTypeInfo type = *LookupGgmlType(in.info->type);
  return Checker(in, options, type, *DtypeOf(in.source->dtype)).Run(row_begin, row_end);
}

TensorCheckResult MergeTensorParts(std::vector<TensorPart>&& parts, uint64_t max_detailed) {
  TensorCheckResult out = std::move(parts.front().result);
  for (int c = 0; c < kCandidates; ++c) {
    CandidateStats& st = out.candidates[c];
    st.detailed = 0;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (p > 0) {
        const CandidateStats& more = parts[p].result.candidates[c];
        if (st.blocks_mismatch == 0) {
          st.first_block = more.first_block;
          st.first_row = more.first_row;
        }
        st.blocks_mismatch += more.blocks_mismatch;
        st.grid_bad_weights += more.grid_bad_weights;
        st.complete = st.complete && more.complete;
      }
      const uint64_t take =
          std::min<uint64_t>(parts[p].details[c].size(), max_detailed - st.detailed);
      Fold(std::span(parts[p].details[c]).first(take), &st);
      st.detailed += take;
    }
  }
  return out;
}

Result<TensorCheckResult> CheckTensor(const TensorCheckInput& in, const FidelityOptions& options) {
  if (std::string why = UnverifiableReason(in); !why.empty()) {
    TensorCheckResult r;
    r.unverifiable = true;
    r.note = std::move(why);
    return r;
  }
  auto part = CheckTensorRows(in, options, 0, in.info->Rows());
  if (!part.ok()) return part.error();
  std::vector<TensorPart> parts;
  parts.push_back(std::move(*part));
  return MergeTensorParts(std::move(parts), options.max_detailed_mismatches);
}

}  // namespace provbadge::verifier::fidelity
