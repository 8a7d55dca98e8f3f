// normal_ of float32 tensors with at::normal_'s draws and bits, without a call into the generator
// per element (normalFill.cc).
#pragma once
#include <ATen/ATen.h>

namespace lrlab {
/** Whether t is a tensor normalFill fills: float32, contiguous, >= 16 elements, on the CPU (what ATen's AVX2 fill takes). */
bool fillable(const at::Tensor& t);
/** Fill t with N(mean, sd^2) from gen as at::normal_ does (t float32, contiguous, >= 16 elements, on the CPU); false: not done (other t). */
bool normalFill(at::Tensor& t, double mean, double sd, at::Generator& gen);
/** Whether normalFill gives at::normal_'s bits and leaves the generator where at::normal_ does, here (checked once). */
bool normalFillExact();
/**
 * t += sd * N(0, 1) drawn from gen in place, with the bits of t.add_(randn(t.shape, gen).mul(sd)), by
 * normalFill into a buffer where that is exact (t float32, contiguous, >= 16 elements); false: not done.
 */
bool addNormal(at::Tensor& t, double sd, at::Generator& gen);
/** t.normal_(mean, sd, gen), by normalFill where that is exact. */
void normal_(at::Tensor& t, double mean, double sd, at::Generator& gen);
} // namespace lrlab
