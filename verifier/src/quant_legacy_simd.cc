// Vectorized legacy quantizers (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): rows of the block kernels of
// quant_legacy_block.h, a block the kernel declines going to the scalar port (quant_legacy.cc).
// Widths as the K-quants (quant_simd.h): 16 lanes AVX-512, 8 AVX2 + FMA, 4 portable.
#include "quant_legacy_block.h"

namespace provbadge::verifier::quant_internal {
namespace {

using legacy::QuantizeBlock;

template <int W, GgmlType T, bool kFlag>
PB_INLINE void RowOf(const float* x, uint8_t* y, int64_t nb, RoundingVariant v, int block_bytes,
                     uint8_t* may_differ) {
  const bool fma = v == RoundingVariant::kFma;
  for (int64_t i = 0; i < nb; ++i, x += kQk, y += block_bytes) {
    if constexpr (kFlag) may_differ[i] = 0;
    if (QuantizeBlock<W, T, kFlag>(x, y, fma, kFlag ? may_differ + i : nullptr)) continue;
    QuantizeLegacyScalar(T, x, y, 1, v);
    if constexpr (kFlag) may_differ[i] = 1;
  }
}

template <int W, GgmlType T>
PB_INLINE void Row(const float* x, uint8_t* y, int64_t nb, RoundingVariant v, int block_bytes,
                   uint8_t* may_differ) {
  if (may_differ) return RowOf<W, T, true>(x, y, nb, v, block_bytes, may_differ);
  RowOf<W, T, false>(x, y, nb, v, block_bytes, nullptr);
}

template <int W>
PB_INLINE void LegacyImpl(GgmlType t, const float* x, uint8_t* y, int64_t nb, RoundingVariant v,
                          uint8_t* f) {
  switch (t) {
    case GgmlType::kQ8_0:
      return Row<W, GgmlType::kQ8_0>(x, y, nb, v, 34, f);
    case GgmlType::kQ4_0:
      return Row<W, GgmlType::kQ4_0>(x, y, nb, v, 18, f);
    case GgmlType::kQ4_1:
      return Row<W, GgmlType::kQ4_1>(x, y, nb, v, 20, f);
    case GgmlType::kQ5_0:
      return Row<W, GgmlType::kQ5_0>(x, y, nb, v, 22, f);
    case GgmlType::kQ5_1:
      return Row<W, GgmlType::kQ5_1>(x, y, nb, v, 24, f);
    default:
      return;
  }
}

void Legacy4(GgmlType t, const float* x, uint8_t* y, int64_t nb, RoundingVariant v, uint8_t* f) {
  LegacyImpl<4>(t, x, y, nb, v, f);
}
#if PB_QUANT_WIDE
PB_TARGET_AVX2_FMA void Legacy8(GgmlType t, const float* x, uint8_t* y, int64_t nb,
                                RoundingVariant v, uint8_t* f) {
  LegacyImpl<8>(t, x, y, nb, v, f);
}
PB_TARGET_AVX512 void Legacy16(GgmlType t, const float* x, uint8_t* y, int64_t nb,
                               RoundingVariant v, uint8_t* f) {
  LegacyImpl<16>(t, x, y, nb, v, f);
}

#endif

}  // namespace

int LegacyKernelWidth() {
#if PB_QUANT_WIDE
  static const bool fma = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma") != 0;
  }();
  const int w = KernelWidth();
  return w == 8 && !fma ? 4 : w;
#else
  return 4;
#endif
}

void QuantizeLegacy(GgmlType type, const float* x, uint8_t* y, int64_t nb, RoundingVariant v,
                    uint8_t* fma_may_differ) {
#if PB_QUANT_WIDE
  const int w = LegacyKernelWidth();
  if (w == 16) return Legacy16(type, x, y, nb, v, fma_may_differ);
  if (w == 8) return Legacy8(type, x, y, nb, v, fma_may_differ);
#endif
  Legacy4(type, x, y, nb, v, fma_may_differ);
}

}  // namespace provbadge::verifier::quant_internal
