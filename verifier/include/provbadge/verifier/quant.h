// ggml block types and the llama.cpp reference quantizers, re-implemented bit-exactly so the
// verifier can re-derive a GGUF tensor from its source weights (notes/quant.md §3).
//
// Contract: every function is a pure function of its arguments (the one global is the kernel
// width, which never changes a result; SetQuantKernelLanes) and is
// deterministic across x86-64 builds: the sources are compiled with -ffp-contract=off, so a
// float expression is evaluated with exactly the roundings the llama.cpp reference performs.
// The FMA variant of the legacy types is computed with a fused multiply-add (std::fma, or the
// vfmadd instruction in the vectorized kernels) where the reference build would have contracted.
// Callers own every buffer; nothing allocates.
//
// Thread-safety: all functions are reentrant.
#ifndef PROVBADGE_VERIFIER_QUANT_H_
#define PROVBADGE_VERIFIER_QUANT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace provbadge::verifier {

// ggml_type ids (ggml.h). Only ids with a known layout are named.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

// Layout of one ggml type: `block_bytes` bytes hold `block_elems` consecutive elements of a row.
struct GgmlTypeInfo {
  uint32_t id;
  std::string_view name;  // "Q4_K", "F32", ...
  uint32_t block_elems;
  uint32_t block_bytes;
  bool requantizable;  // the verifier can re-derive it bit-exactly (or by grid check)
};

// The layout of `id`, or nullopt for removed ids (4, 5, 31-33, 36-38) and ids beyond the
// highest known type. Known-but-unverifiable types (IQ*, TQ*, MXFP4, ...) are returned with
// requantizable = false so a file carrying them still parses.
std::optional<GgmlTypeInfo> LookupGgmlType(uint32_t id);

// IEEE binary16 <-> binary32 (round to nearest even, subnormals kept, NaN -> 0x7E00 | sign).
float Fp16ToFp32(uint16_t h);
uint16_t Fp32ToFp16(float f);
// bfloat16 <-> binary32. Fp32ToBf16 rounds to nearest even and forces NaNs quiet (gguf-py).
float Bf16ToFp32(uint16_t b);
uint16_t Fp32ToBf16(float f);
// The same conversions over rows of n values (16-bit values little-endian), vectorized; the
// results equal the scalar functions above element by element.
void Bf16RowToFp32(const uint8_t* in, int64_t n, float* out);
void Fp16RowToFp32(const uint8_t* in, int64_t n, float* out);
void Fp32RowToFp16(const float* x, int64_t n, uint8_t* out);
void Fp32RowToBf16(const float* x, int64_t n, uint8_t* out);
// out[i] = Fp16ToFp32(Fp32ToFp16(x[i])); true when every out[i] has x[i]'s bits.
bool Fp16RoundTripRow(const float* x, int64_t n, float* out);

// How the legacy quantizers' `x*id + 0.5` was evaluated by the build that made the file.
enum class RoundingVariant { kPlain, kFma };
std::string_view RoundingVariantName(RoundingVariant v);  // "ref" | "ref-fma"

// True when the type has an FMA-dependent rounding (Q4_0, Q4_1, Q5_0, Q5_1).
bool HasFmaVariant(GgmlType type);

// Reference-quantizes one row of `n` floats (n a multiple of the block size) into `out`
// (n / block_elems * block_bytes bytes), exactly as quantize_row_<type>_ref would. F32, F16 and
// BF16 are casts. Returns false (writing nothing) for types without a reference quantizer here.
bool QuantizeRowRef(GgmlType type, const float* x, int64_t n, RoundingVariant variant,
                    uint8_t* out);

// QuantizeRowRef(type, x, n, kPlain, out) that also sets may_differ[b] (n / 32 bytes) to 0 for
// each block whose FMA-variant bytes provably equal these (no rounding lands within 2^-14 of an
// integer step) and to 1 where they might differ. False (writing nothing) unless
// HasFmaVariant(type).
bool QuantizeRowRefPlainFlagged(GgmlType type, const float* x, int64_t n, uint8_t* out,
                                uint8_t* may_differ);

// QuantizeRowRef of `x2` when `base` already holds QuantizeRowRef of `x` (same type, n and
// variant): the blocks where x2 has x's bits are copied from base, only the others quantized.
bool QuantizeRowRefReusing(GgmlType type, const float* x2, const float* x, const uint8_t* base,
                           int64_t n, RoundingVariant variant, uint8_t* out);

// The same bytes through the plain scalar port of the reference (no SIMD): the oracle the
// tests and the benchmark hold the vectorized kernels (legacy types, K-quants, casts) to.
bool QuantizeRowRefScalar(GgmlType type, const float* x, int64_t n, RoundingVariant variant,
                          uint8_t* out);

// The width of the vectorized kernels QuantizeRowRef and the row conversions use: 16 lanes
// (AVX-512), 8 (AVX2) or 4 (portable), the widest this CPU runs unless narrowed. All widths give
// the same bytes.
int QuantKernelLanes();
// Forces a width (4, 8 or 16; 0 = the widest again) so tests and benchmarks can hold every
// kernel to the scalar port on one machine. False (nothing changed) when the CPU or build lacks
// it. Process-wide; call it while no quantization runs.
bool SetQuantKernelLanes(int lanes);

// Decodes one row of `n` elements (dequantize_row_<type>). False for unsupported types.
bool DequantizeRow(GgmlType type, const uint8_t* in, int64_t n, float* out);

// K-quants (Q2_K..Q6_K): the number of weights of one super-block (256 floats at `x`) whose
// stored quant is not what nearest rounding under the block's stored scales gives, i.e. the
// final step of every K-quantizer, with or without an imatrix. -1 for other types.
int GridInconsistentWeights(GgmlType type, const float* x, const uint8_t* block);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_QUANT_H_
