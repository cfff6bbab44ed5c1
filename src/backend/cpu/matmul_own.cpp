// strata's own matrix product, for the cases matmul.cpp does not hand to BLAS. Three forms:
// - small products (small layers and their gradients, see gemm_small) without packing;
// - one row or one column (gemm_skinny) as dot products / axpy;
// - the rest as a small blocked GEMM in the GotoBLAS layout. Blocks of B (and of A unless its rows
//   are contiguous) are packed into contiguous panels, which also absorbs any strides and
//   transposes, and the product is computed in MR x NR register tiles whose inner loop the
//   compiler vectorises.
// The library is built for the baseline ISA, so on x86 a second copy of each hot loop compiled for
// AVX2+FMA is chosen at run time when the CPU has it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "backend/cpu/matmul_own.h"

namespace strata::backend::cpu {
namespace {

// Block sizes: a packed KC x NC block of B stays in L2/L3, an MC x KC block of A in L2, and each
// tile streams one KC x NR sliver of B from L1.
constexpr int64_t kKC = 256, kMC = 96, kNC = 2048;

// out (MR x NR, row-major) = sum over k of A(r, k) * b[k][c]. A(r, k) is a[r * a_rs + k * a_ks]:
// either a packed panel (a_rs 1, a_ks MR) or MR rows of A read in place. b is a packed panel: kc
// steps of NR = NV * (VB / sizeof(T)) values. The accumulators are explicit vectors so that they
// stay in registers; GCC contracts the multiply-add into an FMA where the target has one.
template <typename T, int MR, int NV, int VB>
[[gnu::always_inline]] inline void tile_body(int64_t kc, const T* __restrict a, int64_t a_rs, int64_t a_ks,
                                             const T* __restrict b, T* __restrict out) {
  typedef T V __attribute__((vector_size(VB)));
  constexpr int L = VB / static_cast<int>(sizeof(T)), NR = NV * L;
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = V{};
  for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + k * NR + v * L, VB);
    const T* ak = a + k * a_ks;
    for (int r = 0; r < MR; ++r) {
      const V av = ak[r * a_rs] - V{};  // a broadcast (x - 0 is exactly x, so it folds away)
      for (int v = 0; v < NV; ++v) acc[r][v] += av * bv[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(out + r * NR + v * L, &acc[r][v], VB);
}

template <typename T>
using TileFn = void (*)(int64_t kc, const T* a, int64_t a_rs, int64_t a_ks, const T* b, T* out);

// SSE2-sized tiles: 8 accumulator registers of 16 bytes.
constexpr int kGenericMR = 4, kGenericNV = 2, kGenericVB = 16;
template <typename T>
constexpr int kGenericNR = kGenericNV* kGenericVB / static_cast<int>(sizeof(T));
template <typename T>
void tile_generic(int64_t kc, const T* a, int64_t a_rs, int64_t a_ks, const T* b, T* out) {
  tile_body<T, kGenericMR, kGenericNV, kGenericVB>(kc, a, a_rs, a_ks, b, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
// AVX2 tiles: 12 accumulator registers of 32 bytes (6 rows x 2 vectors).
[[gnu::target("avx2,fma")]] void tile_avx2_f32(int64_t kc, const float* a, int64_t a_rs, int64_t a_ks,
                                               const float* b, float* out) {
  tile_body<float, 6, 2, 32>(kc, a, a_rs, a_ks, b, out);
}
[[gnu::target("avx2,fma")]] void tile_avx2_f64(int64_t kc, const double* a, int64_t a_rs, int64_t a_ks,
                                               const double* b, double* out) {
  tile_body<double, 6, 2, 32>(kc, a, a_rs, a_ks, b, out);
}
bool cpu_has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

// Scratch panels reused across calls, so a product allocates nothing once warmed up.
template <typename T>
T* scratch(std::vector<T>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

// Packs rows [0, mc) x cols [0, kc) of A into panels of MR rows: panel p holds, for each k, the
// MR values A(p*MR + r, k), zero past the last row.
template <typename T, int MR>
void pack_a(const Mat<const T>& A, int64_t mc, int64_t kc, T* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int64_t rows = std::min<int64_t>(MR, mc - i0);
    if (rows == MR && A.rs == 1) {  // column-major A: each k step is MR contiguous values
      for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * MR, &A.at(i0, k), MR * sizeof(T));
      continue;
    }
    for (int64_t r = 0; r < rows; ++r) {
      const T* src = &A.at(i0 + r, 0);
      if (A.cs == 1) {
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
      } else {
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k * A.cs];
      }
    }
    for (int64_t r = rows; r < MR; ++r)
      for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = T(0);
  }
}

// Packs rows [0, kc) x cols [0, nc) of B into panels of NR columns, zero past the last column.
template <typename T, int NR>
void pack_b(const Mat<const T>& B, int64_t kc, int64_t nc, T* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - j0);
    for (int64_t k = 0; k < kc; ++k, dst += NR) {
      const T* src = &B.at(k, j0);
      if (cols == NR && B.cs == 1) {
        std::memcpy(dst, src, NR * sizeof(T));
        continue;
      }
      for (int64_t c = 0; c < cols; ++c) dst[c] = src[c * B.cs];
      for (int64_t c = cols; c < NR; ++c) dst[c] = T(0);
    }
  }
}

// Writes (or adds, after the first K block) the valid rows x cols of an MR x NR tile into C.
template <typename T, int MR, int NR>
void store_tile(const Mat<T>& C, const T* tile, int64_t rows, int64_t cols, bool accumulate) {
  if (cols == NR && C.cs == 1) {
    for (int64_t r = 0; r < rows; ++r) {
      T* c = C.p + r * C.rs;
      if (accumulate) {
        for (int j = 0; j < NR; ++j) c[j] += tile[r * NR + j];
      } else {
        for (int j = 0; j < NR; ++j) c[j] = tile[r * NR + j];
      }
    }
    return;
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) {
      T& c = C.at(r, j);
      c = accumulate ? T(c + tile[r * NR + j]) : tile[r * NR + j];
    }
}

// C = A @ B, or C += A @ B when `accumulate`.
template <typename T>
using GemmFn = void (*)(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N,
                        int64_t K, bool accumulate);

template <typename T, int MR, int NR, TileFn<T> Tile>
void gemm_blocked(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N,
                  int64_t K, bool accumulate) {
  thread_local std::vector<T> a_buf, b_buf;
  alignas(64) T tile[MR * NR];
  // Row-major A is read in place (its rows are already contiguous in k); only a last panel with
  // fewer than MR rows is packed, so that the tile never reads past the matrix.
  const bool a_in_place = A.cs == 1;
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      T* bp = scratch(b_buf, (nc + NR - 1) / NR * NR * kc);
      pack_b<T, NR>({&B.at(pc, jc), B.rs, B.cs}, kc, nc, bp);
      for (int64_t ic = 0; ic < M; ic += kMC) {
        const int64_t mc = std::min(kMC, M - ic);
        const int64_t full = a_in_place ? mc / MR * MR : 0;  // rows read in place
        T* ap = scratch(a_buf, (mc - full + MR - 1) / MR * MR * kc);
        if (full < mc) pack_a<T, MR>({&A.at(ic + full, pc), A.rs, A.cs}, mc - full, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const T* b_panel = bp + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            if (ir < full)
              Tile(kc, &A.at(ic + ir, pc), A.rs, 1, b_panel, tile);
            else
              Tile(kc, ap + (ir - full) * kc, 1, MR, b_panel, tile);
            store_tile<T, MR, NR>({&C.at(ic + ir, jc + jr), C.rs, C.cs}, tile, std::min<int64_t>(MR, mc - ir),
                                  std::min<int64_t>(NR, nc - jr), accumulate || pc > 0);
          }
        }
      }
    }
  }
}

// The blocked product with the widest tile this CPU runs for T.
template <typename T>
GemmFn<T> pick_gemm() {
#if defined(__x86_64__) && defined(__GNUC__)
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2_fma()) return &gemm_blocked<float, 6, 16, &tile_avx2_f32>;
  } else if constexpr (std::is_same_v<T, double>) {
    if (cpu_has_avx2_fma()) return &gemm_blocked<double, 6, 8, &tile_avx2_f64>;
  }
#endif
  return &gemm_blocked<T, kGenericMR, kGenericNR<T>, &tile_generic<T>>;
}

// sum_k x[k * incx] * y[k * incy], with independent partial sums so the contiguous case vectorises.
template <typename T>
[[gnu::always_inline]] inline T dot(int64_t n, const T* x, int64_t incx, const T* y, int64_t incy) {
  constexpr int kLanes = 8;
  T part[kLanes] = {};
  int64_t k = 0;
  if (incx == 1 && incy == 1) {
    for (; k + kLanes <= n; k += kLanes)
      for (int u = 0; u < kLanes; ++u) part[u] += x[k + u] * y[k + u];
  }
  for (; k < n; ++k) part[0] += x[k * incx] * y[k * incy];
  T s = T(0);
  for (int u = 0; u < kLanes; ++u) s += part[u];
  return s;
}

// One row or one column: no reuse to exploit, so packing would only cost.
template <typename T>
void gemm_skinny(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N,
                 int64_t K, bool accumulate) {
  // C may hold garbage when not accumulating, so it is never read then (0 * NaN is NaN).
  auto put = [accumulate](T& c, T v) { c = accumulate ? T(c + v) : v; };
  if (N == 1) {
    for (int64_t i = 0; i < M; ++i) put(C.at(i, 0), dot(K, &A.at(i, 0), A.cs, B.p, B.rs));
    return;
  }
  // M == 1: C row = sum_k A(0, k) * B row k, unless B's columns are the contiguous direction.
  if (B.rs == 1 && B.cs != 1) {
    for (int64_t j = 0; j < N; ++j) put(C.at(0, j), dot(K, A.p, A.cs, &B.at(0, j), B.rs));
    return;
  }
  if (!accumulate)
    for (int64_t j = 0; j < N; ++j) C.at(0, j) = T(0);
  for (int64_t k = 0; k < K; ++k) {
    const T av = A.at(0, k);
    const T* b = &B.at(k, 0);
    if (B.cs == 1 && C.cs == 1) {
      for (int64_t j = 0; j < N; ++j) C.p[j] += av * b[j];
    } else {
      for (int64_t j = 0; j < N; ++j) C.at(0, j) += av * b[j * B.cs];
    }
  }
}

// Small products (a few thousand multiply-adds: small layers, their gradients) skip packing and
// blocking, whose set-up would cost more than the arithmetic. C is built in strips of vector
// registers that each accumulate over all k, in whichever form costs fewest instructions for the
// shapes and strides at hand:
// - rows: C's row i = sum_k A(i, k) * B's row k, along contiguous rows of B (a strided B is first
//   copied to a contiguous scratch). When A's columns are contiguous (a transposed A, as in the
//   weight gradient g^T @ x), the last N % L columns, too narrow for a vector, are built as columns
//   instead: C's column j = sum_k B(k, j) * A's column k, written into C element by element.
// - dots: C(i, j) = A's row i . B's column j, when both are contiguous and C has few columns.
// With `accumulate` the products are added to C (which holds the addend); otherwise C is written.
// MR lines of NV vectors: c[r * ldc + (0, NV * lanes)] (+)= sum_k a[r * a_rs + k * a_ks] *
// b[k * ldb + (0, NV * lanes)] for r < MR, accumulating in registers (each b vector serves MR lines).
template <typename T, int MR, int NV, int VB>
[[gnu::always_inline]] inline void strip_tile(const T* a, int64_t a_rs, int64_t a_ks, const T* b, int64_t ldb,
                                              int64_t K, bool accumulate, T* c, int64_t ldc) {
  typedef T V __attribute__((vector_size(VB)));
  constexpr int L = VB / static_cast<int>(sizeof(T));
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      if (accumulate)
        std::memcpy(&acc[r][v], c + r * ldc + v * L, VB);
      else
        acc[r][v] = V{};
    }
  for (int64_t k = 0; k < K; ++k) {
    T as[MR];
    for (int r = 0; r < MR; ++r) as[r] = a[r * a_rs + k * a_ks];
    for (int v = 0; v < NV; ++v) {
      V bv;
      std::memcpy(&bv, b + k * ldb + v * L, VB);
      for (int r = 0; r < MR; ++r) acc[r][v] += as[r] * bv;  // the scalar is broadcast
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(c + r * ldc + v * L, &acc[r][v], VB);
}

// MR (1 or 4) lines of `full` values (a multiple of L): out[r * ldo + (0, full)] (+)= sum_k
// s[r * s_rs + k * s_ks] * v[k * ldv + (0, full)], v's rows contiguous along the lines.
template <typename T, int MR, int VB>
[[gnu::always_inline]] inline void strip_lines(const T* s, int64_t s_rs, int64_t s_ks, const T* v,
                                               int64_t ldv, int64_t K, int64_t full, bool accumulate, T* out,
                                               int64_t ldo) {
  constexpr int64_t L = VB / sizeof(T);
  constexpr int kWide = MR >= 2 ? 2 : 1;  // lines at a time for 4-vector strips: 8 accumulators
  int64_t j = 0;
  for (; j + 4 * L <= full; j += 4 * L)
    for (int r = 0; r < MR; r += kWide)
      strip_tile<T, kWide, 4, VB>(s + r * s_rs, s_rs, s_ks, v + j, ldv, K, accumulate, out + r * ldo + j,
                                  ldo);
  for (; j < full; j += L) strip_tile<T, MR, 1, VB>(s, s_rs, s_ks, v + j, ldv, K, accumulate, out + j, ldo);
}

// strip_lines for a single line.
template <typename T, int VB>
[[gnu::always_inline]] inline void strip_line(const T* s, int64_t s_ks, const T* v, int64_t ldv, int64_t K,
                                              int64_t full, bool accumulate, T* out) {
  strip_lines<T, 1, VB>(s, 0, s_ks, v, ldv, K, full, accumulate, out, 0);
}

// Contiguous copy of B (K x N) into dst, four columns a step: a strided gather has no vector form here.
template <typename T>
void copy_rows(const Mat<const T>& B, int64_t K, int64_t N, T* dst) {
  const int64_t cs = B.cs;
  for (int64_t k = 0; k < K; ++k, dst += N) {
    const T* src = B.p + k * B.rs;
    int64_t j = 0;
    for (; j + 4 <= N; j += 4, src += 4 * cs) {
      dst[j] = src[0];
      dst[j + 1] = src[cs];
      dst[j + 2] = src[2 * cs];
      dst[j + 3] = src[3 * cs];
    }
    for (; j < N; ++j, src += cs) dst[j] = *src;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// copy_rows with AVX2 gathers: eight strided elements of a row of B a step (a transposed weight
// read row by row), instead of eight scalar loads and stores.
[[gnu::target("avx2,fma")]] void copy_rows_avx2(const Mat<const float>& B, int64_t K, int64_t N, float* dst) {
  const int64_t cs = B.cs;
  const __m256i lanes =
      _mm256_mullo_epi32(_mm256_set1_epi32(static_cast<int>(cs)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int64_t k = 0; k < K; ++k, dst += N) {
    const float* src = B.p + k * B.rs;
    int64_t j = 0;
    for (; j + 8 <= N; j += 8) _mm256_storeu_ps(dst + j, _mm256_i32gather_ps(src + j * cs, lanes, 4));
    for (; j < N; ++j) dst[j] = src[j * cs];
  }
}
#endif

// Scratch elements gemm_small_body needs: a copy of B, a padded panel, one column of C.
template <typename T>
int64_t small_scratch(int64_t M, int64_t N, int64_t K) {
  return K * N + K * (32 / static_cast<int64_t>(sizeof(T))) + M + 32 / static_cast<int64_t>(sizeof(T));
}

template <typename T, int VB>
[[gnu::always_inline]] inline void gemm_small_body(const Mat<const T>& A, const Mat<const T>& B,
                                                   T* __restrict C, int64_t ldc, int64_t M, int64_t N,
                                                   int64_t K, bool accumulate, T* scratch) {
  constexpr int64_t L = VB / sizeof(T);  // lanes of a vector
  const int64_t full = N / L * L, rest = N - full;
  // Rough instruction counts of the forms: per strip a fixed cost and a few per k.
  const int64_t line = full / (4 * L) * (9 * K + 12) + full % (4 * L) / L * (3 * K + 20);
  const int64_t col = (M + L - 1) / L * (3 * K + 20) + 4 * M;  // one column built as a strip, then written
  const bool rest_as_columns = rest > 0 && A.rs == 1;
  const int64_t rows_cost = M * line + (B.cs != 1 ? 3 * K * N : 0) +
                            (rest_as_columns ? rest * col
                             : rest > 0      ? M * (3 * K + 30) + K * L
                                             : 0);
  const int64_t dot_cost = A.cs == 1 && B.rs == 1 ? M * N * ((K + L - 1) / L * 2 + 10) : INT64_MAX;
  if (dot_cost < rows_cost) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T& c = C[i * ldc + j];
        c = (accumulate ? c : T(0)) + dot(K, &A.at(i, 0), 1, &B.at(0, j), 1);
      }
    return;
  }
  const T* b = B.p;
  int64_t ldb = B.rs;
  if (B.cs != 1 && full > 0) {
    bool gathered = false;
#if defined(__x86_64__) && defined(__GNUC__)
    // Gathers need the column offsets of eight columns in 32-bit lanes.
    if constexpr (VB == 32 && std::is_same_v<T, float>) {
      if (std::abs(B.cs) * 8 < INT32_MAX) {
        copy_rows_avx2(B, K, N, scratch);
        gathered = true;
      }
    }
#endif
    if (!gathered) copy_rows(B, K, N, scratch);
    b = scratch;
    ldb = N;
  }
  if (full > 0) {
    int64_t i = 0;
    for (; i + 4 <= M; i += 4)
      strip_lines<T, 4, VB>(&A.at(i, 0), A.rs, A.cs, b, ldb, K, full, accumulate, C + i * ldc, ldc);
    for (; i < M; ++i) strip_line<T, VB>(&A.at(i, 0), A.cs, b, ldb, K, full, accumulate, C + i * ldc);
  }
  if (rest == 0) return;
  T* panel = scratch + K * N;
  if (rest_as_columns) {
    // Each remaining column as a line over A's contiguous columns (padded to whole vectors).
    const int64_t mfull = M / L * L;
    T* colbuf = panel + K * L;
    for (int64_t j = full; j < N; ++j) {
      strip_line<T, VB>(&B.at(0, j), B.rs, A.p, A.cs, K, mfull, false, colbuf);
      for (int64_t i = mfull; i < M; ++i) {  // rows past the last whole vector
        T sum = T(0);
        for (int64_t k = 0; k < K; ++k) sum += A.at(i, k) * B.at(k, j);
        colbuf[i] = sum;
      }
      T* c = C + j;
      int64_t i = 0;
      for (; i + 4 <= M; i += 4, c += 4 * ldc) {  // unrolled: a strided walk the compiler handles poorly
        c[0] = (accumulate ? c[0] : T(0)) + colbuf[i];
        c[ldc] = (accumulate ? c[ldc] : T(0)) + colbuf[i + 1];
        c[2 * ldc] = (accumulate ? c[2 * ldc] : T(0)) + colbuf[i + 2];
        c[3 * ldc] = (accumulate ? c[3 * ldc] : T(0)) + colbuf[i + 3];
      }
      for (; i < M; ++i, c += ldc) *c = (accumulate ? *c : T(0)) + colbuf[i];
    }
    return;
  }
  // The last columns as one more strip over a zero-padded K x L panel, through a temporary.
  for (int64_t k = 0; k < K; ++k)
    for (int64_t jj = 0; jj < L; ++jj) panel[k * L + jj] = jj < rest ? B.at(k, full + jj) : T(0);
  for (int64_t i = 0; i < M; ++i) {
    T tmp[L];
    strip_tile<T, 1, 1, VB>(&A.at(i, 0), 0, A.cs, panel, L, K, false, tmp, 0);
    T* c = C + i * ldc + full;
    for (int64_t jj = 0; jj < rest; ++jj) c[jj] = (accumulate ? c[jj] : T(0)) + tmp[jj];
  }
}

template <typename T>
using SmallFn = void (*)(const Mat<const T>& A, const Mat<const T>& B, T* C, int64_t ldc, int64_t M,
                         int64_t N, int64_t K, bool accumulate, T* scratch);

template <typename T>
void gemm_small_generic(const Mat<const T>& A, const Mat<const T>& B, T* C, int64_t ldc, int64_t M, int64_t N,
                        int64_t K, bool accumulate, T* scratch) {
  gemm_small_body<T, 16>(A, B, C, ldc, M, N, K, accumulate, scratch);
}

#if defined(__x86_64__) && defined(__GNUC__)
[[gnu::target("avx2,fma")]] void gemm_small_avx2_f32(const Mat<const float>& A, const Mat<const float>& B,
                                                     float* C, int64_t ldc, int64_t M, int64_t N, int64_t K,
                                                     bool accumulate, float* scratch) {
  gemm_small_body<float, 32>(A, B, C, ldc, M, N, K, accumulate, scratch);
}
[[gnu::target("avx2,fma")]] void gemm_small_avx2_f64(const Mat<const double>& A, const Mat<const double>& B,
                                                     double* C, int64_t ldc, int64_t M, int64_t N, int64_t K,
                                                     bool accumulate, double* scratch) {
  gemm_small_body<double, 32>(A, B, C, ldc, M, N, K, accumulate, scratch);
}
#endif

template <typename T>
SmallFn<T> pick_small() {
#if defined(__x86_64__) && defined(__GNUC__)
  if constexpr (std::is_same_v<T, float>) {
    if (cpu_has_avx2_fma()) return &gemm_small_avx2_f32;
  } else if constexpr (std::is_same_v<T, double>) {
    if (cpu_has_avx2_fma()) return &gemm_small_avx2_f64;
  }
#endif
  return &gemm_small_generic<T>;
}

// C (+)= A @ B for a small product; a C with strided rows is computed in a scratch and copied.
template <typename T>
void gemm_small(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N,
                int64_t K, bool accumulate) {
  static const SmallFn<T> body = pick_small<T>();
  thread_local std::vector<T> b_buf, c_buf;
  T* sb = scratch(b_buf, small_scratch<T>(M, N, K));
  if (C.cs == 1) {
    body(A, B, C.p, C.rs, M, N, K, accumulate, sb);
    return;
  }
  T* c = scratch(c_buf, M * N);
  if (accumulate)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) c[i * N + j] = C.at(i, j);
  body(A, B, c, N, M, N, K, accumulate, sb);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C.at(i, j) = c[i * N + j];
}

}  // namespace

template <typename T>
void own_gemm(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N, int64_t K,
              bool accumulate) {
  static const GemmFn<T> blocked = pick_gemm<T>();
  if (M == 1 || N == 1)
    gemm_skinny<T>(A, B, C, M, N, K, accumulate);
  else if (static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) <= kOwnSmallWork)
    gemm_small<T>(A, B, C, M, N, K, accumulate);
  else
    blocked(A, B, C, M, N, K, accumulate);
}

#define STRATA_OWN_GEMM(T)                                                                             \
  template void own_gemm<T>(const Mat<const T>&, const Mat<const T>&, const Mat<T>&, int64_t, int64_t, \
                            int64_t, bool);
STRATA_OWN_GEMM(float)
STRATA_OWN_GEMM(double)
STRATA_OWN_GEMM(uint8_t)
STRATA_OWN_GEMM(uint32_t)
STRATA_OWN_GEMM(uint64_t)
#undef STRATA_OWN_GEMM

}  // namespace strata::backend::cpu
