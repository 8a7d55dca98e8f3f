// normal_ of a float32 tensor with the draws and the bits of ATen's own CPU kernel, several times
// faster. ATen (1.13, AVX2 capability) fills a contiguous float tensor of >= 16 elements in two
// passes: one uniform per element, each a call into the generator (MT19937, tempered, the low 24
// bits scaled by 2^-24: ~90% of its time), then Box-Muller on blocks of 16 with the AVX2 log and
// sincos of ATen's avx_mathfun.h, and where the size is not a multiple of 16, 16 fresh uniforms for
// the last 16 elements, transformed again. Here the uniforms come from a copy of the generator's
// MT19937 state, twisted and tempered 8 words at a time, and the state goes back to the generator
// afterwards; the transform is the same arithmetic on the same AVX2 functions. Whether that gives
// at::normal_'s bits on this CPU and libtorch (the transform's contractions are the compiler's) is
// checked once against at::normal_ itself (normalFillExact); where not, callers keep at::normal_.
#include "normalFill.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/MT19937RNGEngine.h>
#include <c10/util/MathConstants.h>
#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <vector>
#include <mutex>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define CPU_CAPABILITY_AVX2
#include <immintrin.h>
#include <ATen/native/cpu/avx_mathfun.h>
#define LRLAB_NORMAL_FILL 1
#endif

namespace lrlab {

#ifdef LRLAB_NORMAL_FILL
namespace {

constexpr int kN = 624, kM = 397;
constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrixA = 0x9908b0dfu;

inline uint32_t twist(uint32_t u, uint32_t v) { return (((u & kUpper) | (v & kLower)) >> 1) ^ ((v & 1u) ? kMatrixA : 0u); }

inline __m256i twist8(__m256i u, __m256i v) {
  const __m256i mixed = _mm256_or_si256(_mm256_and_si256(u, _mm256_set1_epi32(static_cast<int>(kUpper))), _mm256_and_si256(v, _mm256_set1_epi32(static_cast<int>(kLower))));
  const __m256i odd = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_and_si256(v, _mm256_set1_epi32(1))); // all ones where v is odd
  return _mm256_xor_si256(_mm256_srli_epi32(mixed, 1), _mm256_and_si256(odd, _mm256_set1_epi32(static_cast<int>(kMatrixA))));
}

// MT19937's regeneration of all 624 words (the engine's next_state), 8 words at a time where no word
// of the block reads another word of the same block that the scalar order would have updated first
void nextState(at::mt19937_data_pod& d) {
  uint32_t* s = d.state_.data();
  d.left_ = kN;
  d.next_ = 0;
  int i = 0;
  for (; i + 8 <= kN - kM; i += 8) { // s[i] = s[i + M] ^ twist(s[i], s[i + 1]): all old words
    const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)), v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + 1));
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + kM));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s + i), _mm256_xor_si256(m, twist8(u, v)));
  }
  for (; i < kN - kM; ++i) s[i] = s[i + kM] ^ twist(s[i], s[i + 1]);
  for (; i + 8 <= kN - 1; i += 8) { // s[i] = s[i + M - N] ^ twist(s[i], s[i + 1]): s[i + M - N] already new (227 words back)
    const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)), v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + 1));
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + kM - kN));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s + i), _mm256_xor_si256(m, twist8(u, v)));
  }
  for (; i < kN - 1; ++i) s[i] = s[i + kM - kN] ^ twist(s[i], s[i + 1]);
  s[kN - 1] = s[kM - 1] ^ twist(s[kN - 1], s[0]);
}

inline uint32_t temper(uint32_t y) {
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= (y >> 18);
  return y;
}
constexpr float kTwoPow24Inv = 1.0f / 16777216.0f;
// words s[0, n) tempered, their low 24 bits times 2^-24 (uniform_real_distribution<float>(0, 1) of each)
inline void uniforms(const uint32_t* s, float* out, int64_t n) {
  int64_t i = 0;
  const __m256i low24 = _mm256_set1_epi32(0xffffff);
  for (; i + 8 <= n; i += 8) {
    __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    y = _mm256_xor_si256(y, _mm256_srli_epi32(y, 11));
    y = _mm256_xor_si256(y, _mm256_and_si256(_mm256_slli_epi32(y, 7), _mm256_set1_epi32(static_cast<int>(0x9d2c5680u))));
    y = _mm256_xor_si256(y, _mm256_and_si256(_mm256_slli_epi32(y, 15), _mm256_set1_epi32(static_cast<int>(0xefc60000u))));
    y = _mm256_xor_si256(y, _mm256_srli_epi32(y, 18));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(y, low24)), _mm256_set1_ps(kTwoPow24Inv)));
  }
  for (; i < n; ++i) out[i] = static_cast<float>(temper(s[i]) & 0xffffffu) * kTwoPow24Inv;
}

// n uniforms in the order the engine's operator() gives them (it counts `left` down and regenerates
// the state when it reaches 0)
void uniformFill(at::mt19937_data_pod& d, float* out, int64_t n) {
  while (n > 0) {
    if (d.left_ <= 1) { // this draw regenerates
      nextState(d);
      uniforms(d.state_.data(), out, 1);
      d.next_ = 1;
      ++out; --n;
      continue;
    }
    const int64_t m = std::min<int64_t>(n, d.left_ - 1);
    uniforms(d.state_.data() + d.next_, out, m);
    d.next_ += static_cast<uint32_t>(m);
    d.left_ -= static_cast<int>(m);
    out += m; n -= m;
  }
}

// Box-Muller on 16 uniforms in place (the first 8 give the radii, the last 8 the angles), mean + std n
inline void boxMuller16(float* data, __m256 mean, __m256 sd) {
  const __m256 u1 = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_loadu_ps(data));
  const __m256 u2 = _mm256_loadu_ps(data + 8);
  const __m256 radius = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), log256_ps(u1)));
  const __m256 theta = _mm256_mul_ps(_mm256_set1_ps(static_cast<float>(2.0f * c10::pi<double>)), u2);
  __m256 sintheta, costheta;
  sincos256_ps(theta, &sintheta, &costheta);
  _mm256_storeu_ps(data, _mm256_fmadd_ps(_mm256_mul_ps(radius, costheta), sd, mean));
  _mm256_storeu_ps(data + 8, _mm256_fmadd_ps(_mm256_mul_ps(radius, sintheta), sd, mean));
}

void fill(float* data, int64_t size, float mean, float sd, at::mt19937_data_pod& d) {
  uniformFill(d, data, size);
  const __m256 m = _mm256_set1_ps(mean), s = _mm256_set1_ps(sd);
  for (int64_t i = 0; i + 16 <= size; i += 16) boxMuller16(data + i, m, s);
  if (size % 16 != 0) { // the last 16 drawn again and transformed again
    uniformFill(d, data + size - 16, 16);
    boxMuller16(data + size - 16, m, s);
  }
}

// d[i] = d[i] + z[i] * s: the product rounded, then the sum (ATen's mul, then its add), never contracted into one FMA
__attribute__((optimize("O3", "fp-contract=off"))) void addScaled(float* __restrict d, const float* __restrict z, float s, int64_t n) {
  int64_t i = 0;
  const __m256 sv = _mm256_set1_ps(s);
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_add_ps(_mm256_loadu_ps(d + i), _mm256_mul_ps(_mm256_loadu_ps(z + i), sv)));
  for (; i < n; ++i) { const float p = z[i] * s; d[i] = d[i] + p; }
}
} // namespace
// (only the kernels above are AVX2 code: the entry points below run on any x86-64 and check the CPU first)
#pragma GCC pop_options
#endif

bool fillable(const at::Tensor& t) { return t.scalar_type() == at::kFloat && t.device().is_cpu() && t.is_contiguous() && t.numel() >= 16; }

#ifdef LRLAB_NORMAL_FILL
// n N(mean, sd^2) draws from gen into data (a CPU generator), on a copy of its MT19937 state that
// goes back to it afterwards, under its lock
static void fillFrom(at::Generator& gen, float* data, int64_t n, float mean, float sd) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  auto* impl = gen.get<at::CPUGeneratorImpl>();
  at::mt19937 engine = impl->engine();
  at::mt19937_data_pod d = engine.data();
  fill(data, n, mean, sd, d);
  engine.set_data(d);
  impl->set_engine(engine);
}
#endif

bool normalFill(at::Tensor& t, double mean, double sd, at::Generator& gen) {
#ifdef LRLAB_NORMAL_FILL
  if (!fillable(t) || gen.device().type() != c10::DeviceType::CPU || !(sd >= 0)) return false;
  fillFrom(gen, t.data_ptr<float>(), t.numel(), static_cast<float>(mean), static_cast<float>(sd));
  t.unsafeGetTensorImpl()->bump_version();
  return true;
#else
  (void)t; (void)mean; (void)sd; (void)gen;
  return false;
#endif
}

bool normalFillExact() {
#ifdef LRLAB_NORMAL_FILL
  static const bool exact = [] {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
    // sizes at and past a block of 16, with and without a tail, across regenerations of the state
    // (624 words); from fresh generators (their first draw regenerates; 607 and 1231 draw 623 and
    // 1247 words with their tails and stop one word before the next regeneration), then further on
    for (int64_t first : {16, 607, 1231, 10880}) {
      at::Generator ours = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(first)), theirs = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(first));
      for (int64_t n : {first, int64_t{17}, int64_t{16}, int64_t{31}, int64_t{623}, int64_t{1301}, int64_t{10240}}) for (double sd : {1.0, 0.37}) {
        const double mean = sd == 1.0 ? 0.0 : -1.5;
        at::Tensor a = at::empty({n}, at::kFloat), b = at::empty({n}, at::kFloat);
        if (!normalFill(a, mean, sd, ours)) return false;
        b.normal_(mean, sd, theirs);
        if (std::memcmp(a.data_ptr<float>(), b.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n)) != 0) return false; // (bit for bit: -0 too)
      }
      // the generators moved alike: their next draws agree
      if (ours.get<at::CPUGeneratorImpl>()->random() != theirs.get<at::CPUGeneratorImpl>()->random()) return false;
    }
    return true;
  }();
  return exact;
#else
  return false;
#endif
}


bool addNormal(at::Tensor& t, double sd, at::Generator& gen) {
#ifdef LRLAB_NORMAL_FILL
  if (!normalFillExact() || !fillable(t) || gen.device().type() != c10::DeviceType::CPU || !std::isfinite(sd)) return false;
  thread_local std::vector<float> z;
  z.resize(static_cast<size_t>(t.numel()));
  fillFrom(gen, z.data(), t.numel(), 0.0f, 1.0f);
  addScaled(t.data_ptr<float>(), z.data(), static_cast<float>(sd), t.numel());
  t.unsafeGetTensorImpl()->bump_version();
  return true;
#else
  (void)t; (void)sd; (void)gen;
  return false;
#endif
}

void normal_(at::Tensor& t, double mean, double sd, at::Generator& gen) {
  if (normalFillExact() && normalFill(t, mean, sd, gen)) return;
  t.normal_(mean, sd, gen);
}

} // namespace lrlab
