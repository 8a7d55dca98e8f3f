// lrlab native addon: a thin, generic N-API layer over libtorch (ATen + autograd).
// It exposes tensors, generic ops and autograd only; all experiment logic lives in TypeScript.
#include <napi.h>
#include "normalFill.h"
#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/MemoryOverlap.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <c10/core/CPUAllocator.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <malloc.h>
#include <climits>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <type_traits>
#include <dlfcn.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------- tensor handles
// Tensors live in a slot table; JavaScript holds integer handles. This keeps every op call free of
// object wrapping and native finalizers (which Node runs only after the event loop turns, so a tight
// training loop would pile them up). JavaScript frees handles deterministically (dispose / tidy) and
// through a FinalizationRegistry as a safety net.
std::vector<at::Tensor> g_table;
std::vector<uint8_t> g_live;
std::vector<int32_t> g_free;
// tensors read by the current op, for error messages
thread_local std::vector<const at::Tensor*> g_seen;

int32_t put(at::Tensor t) {
  int32_t id;
  if (!g_free.empty()) {
    id = g_free.back();
    g_free.pop_back();
    g_table[id] = std::move(t);
  } else {
    id = static_cast<int32_t>(g_table.size());
    g_table.push_back(std::move(t));
    g_live.push_back(0);
  }
  g_live[id] = 1;
  return id;
}
void release(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= g_table.size() || !g_live[id]) return;
  g_table[id] = at::Tensor();
  g_live[id] = 0;
  g_free.push_back(id);
}

class GeneratorWrap : public Napi::ObjectWrap<GeneratorWrap> {
 public:
  static Napi::FunctionReference* ctor;
  at::Generator gen;
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeGenerator", {
      InstanceMethod("getState", &GeneratorWrap::GetState),
      InstanceMethod("setState", &GeneratorWrap::SetState),
      InstanceMethod("initialSeed", &GeneratorWrap::InitialSeed),
    });
  }
  // new NativeGenerator(seed: number, device: string)
  explicit GeneratorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GeneratorWrap>(info) {
    Napi::Env env = info.Env();
    try {
      uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
      std::string dev = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
      at::Device device(dev);
      if (device.is_cuda()) {
        gen = at::detail::getCUDAHooks().getDefaultCUDAGenerator(device.index() < 0 ? 0 : device.index()).clone();
      } else {
        gen = at::make_generator<at::CPUGeneratorImpl>(seed);
      }
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    } catch (const std::exception& e) {
      Napi::Error::New(env, std::string("Generator: ") + e.what()).ThrowAsJavaScriptException();
    }
  }
  Napi::Value GetState(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    at::Tensor s = gen.get_state().contiguous();
    auto buf = Napi::Buffer<uint8_t>::Copy(info.Env(), s.data_ptr<uint8_t>(), s.numel());
    return buf;
  }
  Napi::Value SetState(const Napi::CallbackInfo& info) {
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    at::Tensor s = at::empty({static_cast<int64_t>(buf.Length())}, at::kByte);
    std::memcpy(s.data_ptr<uint8_t>(), buf.Data(), buf.Length());
    try {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(s);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), std::string("Generator.setState: invalid state (") + e.what() + ")");
    }
    return info.Env().Undefined();
  }
  Napi::Value InitialSeed(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(gen.current_seed()));
  }
};
Napi::FunctionReference* GeneratorWrap::ctor = nullptr;

// glibc < 2.38 reuses chunks freed after posix_memalign (c10's default CPU allocation) poorly, so a
// training loop grows the heap; align by hand over plain malloc instead (64 bytes, as c10).
struct MallocAlignedAllocator final : c10::Allocator {
  static void deleter(void* p) { if (p) std::free(static_cast<void**>(p)[-1]); }
  c10::DataPtr allocate(size_t n) const override {
    void* raw = std::malloc(n + 64 + sizeof(void*));
    if (!raw) throw std::bad_alloc();
    auto a = (reinterpret_cast<uintptr_t>(raw) + sizeof(void*) + 63) & ~static_cast<uintptr_t>(63);
    void* p = reinterpret_cast<void*>(a);
    static_cast<void**>(p)[-1] = raw;
    return {p, p, &deleter, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &deleter; }
};
MallocAlignedAllocator gMallocAligned;

// ---------------------------------------------------------------- helpers
struct OpError : std::runtime_error { using std::runtime_error::runtime_error; };

Napi::Value wrap(Napi::Env env, at::Tensor t) { return Napi::Number::New(env, put(std::move(t))); }

at::Tensor& byId(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw OpError(what + " must be a tensor");
  int32_t id = v.As<Napi::Number>().Int32Value();
  if (id < 0 || static_cast<size_t>(id) >= g_table.size() || !g_live[id]) throw OpError("tensor was disposed (" + what + ")");
  g_seen.push_back(&g_table[id]);
  return g_table[id];
}
at::Tensor& T(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) throw OpError("argument " + std::to_string(i) + " must be a tensor");
  return byId(info[i], "argument " + std::to_string(i));
}
// optional tensor: undefined/null -> undefined at::Tensor
at::Tensor OT(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return at::Tensor();
  return T(info, i);
}
double N(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) throw OpError("argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
int64_t I(const Napi::CallbackInfo& info, size_t i) { return static_cast<int64_t>(N(info, i)); }
bool B(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].ToBoolean().Value(); }
std::vector<int64_t> IL(const Napi::CallbackInfo& info, size_t i) {
  std::vector<int64_t> out;
  if (i >= info.Length()) return out;
  if (info[i].IsNumber()) { out.push_back(info[i].As<Napi::Number>().Int64Value()); return out; }
  if (!info[i].IsArray()) throw OpError("argument " + std::to_string(i) + " must be an array of integers");
  auto a = info[i].As<Napi::Array>();
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) out.push_back(a.Get(k).As<Napi::Number>().Int64Value());
  return out;
}
std::vector<at::Tensor> TL(const Napi::CallbackInfo& info, size_t i) {
  auto a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t k = 0; k < a.Length(); ++k) out.push_back(byId(a.Get(k), "list element " + std::to_string(k)));
  return out;
}

// dtype codes shared with src/engine/dtype.ts
at::ScalarType dtypeOf(int code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kLong;
    case 3: return at::kInt;
    case 4: return at::kBool;
    case 5: return at::kByte;
  }
  throw OpError("unknown dtype code " + std::to_string(code));
}
int codeOf(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kLong: return 2;
    case at::kInt: return 3;
    case at::kBool: return 4;
    case at::kByte: return 5;
    default: return -1;
  }
}
at::TensorOptions opts(const Napi::CallbackInfo& info, size_t dtypeIdx, size_t deviceIdx) {
  auto o = at::TensorOptions().dtype(dtypeOf(static_cast<int>(I(info, dtypeIdx))));
  if (deviceIdx < info.Length() && info[deviceIdx].IsString()) o = o.device(at::Device(info[deviceIdx].As<Napi::String>().Utf8Value()));
  return o;
}
at::Generator G(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject() || !info[i].As<Napi::Object>().InstanceOf(GeneratorWrap::ctor->Value()))
    throw OpError("argument " + std::to_string(i) + " must be a Generator");
  return GeneratorWrap::Unwrap(info[i].As<Napi::Object>())->gen;
}
// number or tensor argument
bool isNum(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].IsNumber(); }
at::Scalar S(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsBoolean()) return at::Scalar(info[i].As<Napi::Boolean>().Value());
  return at::Scalar(N(info, i));
}

std::string shapeStr(const at::Tensor& t) {
  std::ostringstream s;
  s << "[";
  for (int64_t k = 0; k < t.dim(); ++k) s << (k ? "," : "") << t.size(k);
  s << "]";
  return s.str();
}
std::string firstLine(const std::string& m) {
  auto p = m.find('\n');
  return p == std::string::npos ? m : m.substr(0, p);
}
std::string describeArgs() {
  std::string out;
  for (const at::Tensor* t : g_seen) {
    if (!t->defined()) continue;
    out += (out.empty() ? "" : ", ") + shapeStr(*t);
  }
  return out;
}

#define OP(name) static Napi::Value op_##name(const Napi::CallbackInfo& info, Napi::Env env)

using OpFn = Napi::Value (*)(const Napi::CallbackInfo&, Napi::Env);

template <OpFn F>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = static_cast<const char*>(info.Data());
  if (name.size() > 1 && name.back() == 'S') name.pop_back();  // addS -> add (scalar variants)
  g_seen.clear();
  try {
    return F(info, env);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    std::string shapes = describeArgs();
    throw Napi::Error::New(env, name + ": " + firstLine(e.what_without_backtrace()) +
                                    (shapes.empty() ? "" : " (input shapes " + shapes + ")"));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, name + ": " + firstLine(e.what()));
  }
}

#define W(expr) return wrap(env, (expr))
#define UNARY(name, expr) OP(name) { auto& a = T(info, 0); W(expr); }
// name(a, b) takes two tensors; nameS(a, s) a tensor and a number
#define BINARY(name, tensorExpr, scalarExpr)                      \
  OP(name) { auto& a = T(info, 0); auto& b = T(info, 1); W(tensorExpr); } \
  OP(name##S) { auto& a = T(info, 0); auto b = S(info, 1); W(scalarExpr); }

// ---------------------------------------------------------------- creation
OP(zeros) { W(at::zeros(IL(info, 0), opts(info, 1, 2))); }
OP(ones) { W(at::ones(IL(info, 0), opts(info, 1, 2))); }
OP(full) { W(at::full(IL(info, 0), S(info, 1), opts(info, 2, 3))); }
OP(arange) { W(at::arange(S(info, 0), S(info, 1), S(info, 2), opts(info, 3, 4))); }
OP(eye) { W(at::eye(I(info, 0), opts(info, 1, 2))); }
// fromBuffer(typedArray, shape, dtype, device): copies the data
OP(fromBuffer) {
  auto ta = info[0].As<Napi::TypedArray>();
  auto shape = IL(info, 1);
  auto o = opts(info, 2, 99);
  at::Tensor t = at::empty(shape, o);
  size_t bytes = t.nbytes();
  size_t have = ta.ByteLength();
  if (bytes != have) throw OpError("data has " + std::to_string(have) + " bytes but shape " + shapeStr(t) + " needs " + std::to_string(bytes));
  auto* src = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  if (bytes) std::memcpy(t.data_ptr(), src, bytes);
  if (info.Length() > 3 && info[3].IsString()) {
    std::string dev = info[3].As<Napi::String>().Utf8Value();
    if (dev != "cpu") t = t.to(at::Device(dev));
  }
  W(t);
}

// ---------------------------------------------------------------- random (explicit generators only)
OP(randn) { W(at::randn(IL(info, 0), G(info, 1), opts(info, 2, 3))); }
OP(rand) { W(at::rand(IL(info, 0), G(info, 1), opts(info, 2, 3))); }
OP(randint) { W(at::randint(I(info, 0), I(info, 1), IL(info, 2), G(info, 3), opts(info, 4, 5))); }
OP(randperm) { W(at::randperm(I(info, 0), G(info, 1), opts(info, 2, 3))); }
OP(bernoulli) { auto& p = T(info, 0); W(at::bernoulli(p, G(info, 1))); }
OP(normal_) { auto& a = T(info, 0); a.normal_(N(info, 1), N(info, 2), G(info, 3)); return info[0]; }
OP(uniform_) { auto& a = T(info, 0); a.uniform_(N(info, 1), N(info, 2), G(info, 3)); return info[0]; }

// ---------------------------------------------------------------- elementwise
BINARY(add, at::add(a, b), at::add(a, b))
BINARY(sub, at::sub(a, b), at::sub(a, b))
BINARY(mul, at::mul(a, b), at::mul(a, b))
BINARY(div, at::div(a, b), at::div(a, b))
BINARY(pow, at::pow(a, b), at::pow(a, b))
BINARY(maximum, at::maximum(a, b), at::clamp_min(a, b))
BINARY(minimum, at::minimum(a, b), at::clamp_max(a, b))
BINARY(eq, at::eq(a, b), at::eq(a, b))
BINARY(ne, at::ne(a, b), at::ne(a, b))
BINARY(lt, at::lt(a, b), at::lt(a, b))
BINARY(le, at::le(a, b), at::le(a, b))
BINARY(gt, at::gt(a, b), at::gt(a, b))
BINARY(ge, at::ge(a, b), at::ge(a, b))
BINARY(logicalAnd, at::logical_and(a, b), at::logical_and(a, at::scalar_tensor(b, a.options())))
BINARY(logicalOr, at::logical_or(a, b), at::logical_or(a, at::scalar_tensor(b, a.options())))
UNARY(neg, at::neg(a))
UNARY(abs, at::abs(a))
UNARY(exp, at::exp(a))
UNARY(log, at::log(a))
UNARY(log1p, at::log1p(a))
UNARY(sqrt, at::sqrt(a))
UNARY(rsqrt, at::rsqrt(a))
UNARY(square, at::square(a))
UNARY(sign, at::sign(a))
UNARY(floor, at::floor(a))
UNARY(relu, at::relu(a))
UNARY(sigmoid, at::sigmoid(a))
UNARY(tanh, at::tanh(a))
UNARY(logSigmoid, at::log_sigmoid(a))
UNARY(logicalNot, at::logical_not(a))
UNARY(isfinite, at::isfinite(a))
OP(softplus) { auto& a = T(info, 0); W(at::softplus(a, N(info, 1), N(info, 2))); }
OP(clamp) {
  auto& a = T(info, 0);
  c10::optional<at::Scalar> lo, hi;
  if (isNum(info, 1)) lo = S(info, 1);
  if (isNum(info, 2)) hi = S(info, 2);
  W(at::clamp(a, lo, hi));
}
// where(cond, a, b, aIsScalar, bIsScalar)
OP(where) {
  auto& c = T(info, 0);
  bool sa = B(info, 3), sb = B(info, 4);
  if (sa && sb) W(at::where(c, S(info, 1), S(info, 2)));
  if (sa) W(at::where(c, S(info, 1), T(info, 2)));
  if (sb) W(at::where(c, T(info, 1), S(info, 2)));
  W(at::where(c, T(info, 1), T(info, 2)));
}
OP(maskedFill) { auto& a = T(info, 0); W(at::masked_fill(a, T(info, 1), S(info, 2))); }

// ---------------------------------------------------------------- linear algebra
// matmul and linear: a matrix times a vector (matmul's at::mv) and a matrix times a weight's
// transpose without bias (linear's at::mm) by mvEach's and mmEach's ways for one slice where those
// give the same bits (outside autograd recording; they check), else ATen's own
static at::Tensor matmulOf(const at::Tensor& a, const at::Tensor& b);
static at::Tensor linearOf(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& bias);
OP(matmul) { auto& a = T(info, 0); W(matmulOf(a, T(info, 1))); }
OP(linear) { auto& a = T(info, 0); W(linearOf(a, T(info, 1), OT(info, 2))); }
OP(outer) { auto& a = T(info, 0); W(at::outer(a, T(info, 1))); }

// ---------------------------------------------------------------- reductions
// sum(t, dims|null, keepdim)
OP(sum) {
  auto& a = T(info, 0);
  if (info.Length() < 2 || info[1].IsNull() || info[1].IsUndefined()) W(at::sum(a));
  W(at::sum(a, IL(info, 1), B(info, 2)));
}
OP(mean) {
  auto& a = T(info, 0);
  if (info.Length() < 2 || info[1].IsNull() || info[1].IsUndefined()) W(at::mean(a));
  W(at::mean(a, IL(info, 1), B(info, 2)));
}
// variance(t, dims|null, unbiased, keepdim)
OP(variance) {
  auto& a = T(info, 0);
  if (info[1].IsNull() || info[1].IsUndefined()) W(at::var(a, B(info, 2)));
  W(at::var(a, IL(info, 1), B(info, 2), B(info, 3)));
}
OP(logsumexp) { auto& a = T(info, 0); W(at::logsumexp(a, IL(info, 1), B(info, 2))); }
OP(norm) { auto& a = T(info, 0); W(at::norm(a)); }
OP(maxAll) { auto& a = T(info, 0); W(at::max(a)); }
OP(minAll) { auto& a = T(info, 0); W(at::min(a)); }
// maxDim(t, dim, keepdim) -> [values, indices]
OP(maxDim) {
  auto& a = T(info, 0);
  auto r = at::max(a, I(info, 1), B(info, 2));
  auto arr = Napi::Array::New(env, 2);
  arr.Set(0u, wrap(env, std::get<0>(r)));
  arr.Set(1u, wrap(env, std::get<1>(r)));
  return arr;
}
OP(minDim) {
  auto& a = T(info, 0);
  auto r = at::min(a, I(info, 1), B(info, 2));
  auto arr = Napi::Array::New(env, 2);
  arr.Set(0u, wrap(env, std::get<0>(r)));
  arr.Set(1u, wrap(env, std::get<1>(r)));
  return arr;
}
OP(argmax) { auto& a = T(info, 0); W(at::argmax(a, I(info, 1), B(info, 2))); }
OP(argmin) { auto& a = T(info, 0); W(at::argmin(a, I(info, 1), B(info, 2))); }

// ---------------------------------------------------------------- shape
OP(reshape) { auto& a = T(info, 0); W(at::reshape(a, IL(info, 1))); }
OP(transpose) { auto& a = T(info, 0); W(at::transpose(a, I(info, 1), I(info, 2))); }
OP(permute) { auto& a = T(info, 0); W(a.permute(IL(info, 1))); }
OP(squeeze) { auto& a = T(info, 0); W(at::squeeze(a, I(info, 1))); }
OP(unsqueeze) { auto& a = T(info, 0); W(at::unsqueeze(a, I(info, 1))); }
OP(expand) { auto& a = T(info, 0); W(a.expand(IL(info, 1))); }
OP(repeat) { auto& a = T(info, 0); W(a.repeat(IL(info, 1))); }
OP(flatten) { auto& a = T(info, 0); W(at::flatten(a, I(info, 1), I(info, 2))); }
OP(narrow) { auto& a = T(info, 0); W(at::narrow(a, I(info, 1), I(info, 2), I(info, 3))); }
OP(contiguous) { auto& a = T(info, 0); W(a.contiguous()); }
OP(clone) { auto& a = T(info, 0); W(a.clone()); }
OP(cat) { W(at::cat(TL(info, 0), I(info, 1))); }
OP(stack) { W(at::stack(TL(info, 0), I(info, 1))); }
OP(indexSelect) { auto& a = T(info, 0); W(at::index_select(a, I(info, 1), T(info, 2))); }
OP(gather) { auto& a = T(info, 0); W(at::gather(a, I(info, 1), T(info, 2))); }
OP(maskedSelect) { auto& a = T(info, 0); W(at::masked_select(a, T(info, 1))); }
OP(nonzero) { auto& a = T(info, 0); W(at::nonzero(a)); }
// indexPut_(t, index(int64 along dim 0), values): t[index] = values, in place
OP(indexCopy_) { auto& a = T(info, 0); a.index_copy_(I(info, 1), T(info, 2), T(info, 3)); return info[0]; }
OP(indexAdd_) { auto& a = T(info, 0); a.index_add_(I(info, 1), T(info, 2), T(info, 3)); return info[0]; }

// ---------------------------------------------------------------- neural-network ops
// conv2d(x, w, b|null, stride[2], padding[2], dilation[2], groups)
OP(conv2d) {
  auto& x = T(info, 0);
  W(at::conv2d(x, T(info, 1), OT(info, 2), IL(info, 3), IL(info, 4), IL(info, 5), I(info, 6)));
}
// batchNorm(x, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps)
OP(batchNorm) {
  auto& x = T(info, 0);
  W(at::batch_norm(x, OT(info, 1), OT(info, 2), OT(info, 3), OT(info, 4), B(info, 5), N(info, 6), N(info, 7),
                   at::globalContext().userEnabledCuDNN()));
}
// maxPool2d(x, kernel[2], stride[2], padding[2])
OP(maxPool2d) { auto& x = T(info, 0); W(at::max_pool2d(x, IL(info, 1), IL(info, 2), IL(info, 3))); }
OP(avgPool2d) { auto& x = T(info, 0); W(at::avg_pool2d(x, IL(info, 1), IL(info, 2), IL(info, 3))); }
OP(adaptiveAvgPool2d) { auto& x = T(info, 0); W(at::adaptive_avg_pool2d(x, IL(info, 1))); }
OP(logSoftmax) { auto& x = T(info, 0); W(at::log_softmax(x, I(info, 1))); }
OP(softmax) { auto& x = T(info, 0); W(at::softmax(x, I(info, 1))); }
// crossEntropy(logits, target(int64), reduction: 0 none, 1 mean, 2 sum)
OP(crossEntropy) {
  auto& x = T(info, 0);
  W(at::cross_entropy_loss(x, T(info, 1), {}, I(info, 2), -100, 0.0));
}

// ---------------------------------------------------------------- batched programs (many parts per step)
// Ops over a stack of same-shaped problems along dim 0, each slice computed by the same ATen call as
// a lone tensor would be (so a batched program reproduces its parts' results exactly), plus the
// backward kernels autograd itself calls (for hand-written closed-form gradients).
OP(bmm) { auto& a = T(info, 0); W(at::bmm(a, T(info, 1))); }
// ---- small products by one fused multiply-add chain per element
// seqMm: C[i, j] = fma(a[i, K-1], b[K-1, j], ... fma(a[i, 0], b[0, j], +0)) + 0: each output element's
// products summed in k order, one rounding per term, as a BLAS kernel that keeps one accumulator per
// element computes it (OpenBLAS's Haswell/Zen dgemm, and its sgemm on some shapes: below 8 terms,
// or two output columns), then added to the zeroed C as such a kernel stores it (so a result that
// rounds to -0 is +0, as there). (Where two NaNs meet, the payload kept may differ; the value stays NaN.) Where at::mm
// itself sums in this order (checked per dtype, shape, layout and thread count: mmSeqExact), an
// at::mm of a small slice is this loop with none of the BLAS call's packing, zeroing and dispatch
// (which is most of the time of a product of a few thousand multiply-adds). Vectorized over j where
// rows of the output are 8 or more wide, else over i; either way each element's chain is the same.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
template <typename F> struct Vec;
template <> struct Vec<float> {
  static constexpr int W = 8; using V = __m256;
  __attribute__((target("avx2,fma"))) static V zero() { return _mm256_setzero_ps(); }
  __attribute__((target("avx2,fma"))) static V set1(float x) { return _mm256_set1_ps(x); }
  __attribute__((target("avx2,fma"))) static V load(const float* p) { return _mm256_loadu_ps(p); }
  __attribute__((target("avx2,fma"))) static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  __attribute__((target("avx2,fma"))) static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  __attribute__((target("avx2,fma"))) static V plusZero(V a) { return _mm256_add_ps(a, _mm256_setzero_ps()); }
};
template <> struct Vec<double> {
  static constexpr int W = 4; using V = __m256d;
  __attribute__((target("avx2,fma"))) static V zero() { return _mm256_setzero_pd(); }
  __attribute__((target("avx2,fma"))) static V set1(double x) { return _mm256_set1_pd(x); }
  __attribute__((target("avx2,fma"))) static V load(const double* p) { return _mm256_loadu_pd(p); }
  __attribute__((target("avx2,fma"))) static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  __attribute__((target("avx2,fma"))) static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  __attribute__((target("avx2,fma"))) static V plusZero(V a) { return _mm256_add_pd(a, _mm256_setzero_pd()); }
};
// out[r, c] (rows R, cols Cn, row stride Cn) = sum_k x[r, k] y[k, c] by the chain above, with x read
// through its strides (xs0, xs1) and y's rows contiguous (row stride ys0): vectorized over c, in tiles
// of RB rows x CV vectors (8 or so independent chains, to keep the FMA units busy).
template <typename F, int RB, int CV>
__attribute__((target("avx2,fma"), optimize("O3"), always_inline)) inline void chainTile(const F* x, int64_t xs0, int64_t xs1, const F* y, int64_t ys0, F* out, int64_t Cn, int64_t K, int64_t c) {
  using O = Vec<F>; constexpr int W = O::W;
  typename O::V acc[RB][CV];
  for (int r = 0; r < RB; ++r) for (int v = 0; v < CV; ++v) acc[r][v] = O::zero();
  for (int64_t k = 0; k < K; ++k) {
    const F* yk = y + k * ys0 + c;
    typename O::V yv[CV];
    for (int v = 0; v < CV; ++v) yv[v] = O::load(yk + v * W);
    for (int r = 0; r < RB; ++r) {
      auto xv = O::set1(x[r * xs0 + k * xs1]);
      for (int v = 0; v < CV; ++v) acc[r][v] = O::fma(xv, yv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < RB; ++r) for (int v = 0; v < CV; ++v) O::store(out + r * Cn + c + v * W, O::plusZero(acc[r][v]));
}
template <typename F, int RB, int CV>
__attribute__((target("avx2,fma"), optimize("O3"))) static void chainRowBlock(const F* x, int64_t xs0, int64_t xs1, const F* y, int64_t ys0, F* out, int64_t K, int64_t Cn) {
  constexpr int W = Vec<F>::W;
  int64_t c = 0;
  for (; c + CV * W <= Cn; c += CV * W) chainTile<F, RB, CV>(x, xs0, xs1, y, ys0, out, Cn, K, c);
  for (; c + W <= Cn; c += W) chainTile<F, RB, 1>(x, xs0, xs1, y, ys0, out, Cn, K, c);
  for (int r = 0; r < RB; ++r) for (int64_t cc = c; cc < Cn; ++cc) {
    const F* xr = x + r * xs0;
    F acc = 0;
    for (int64_t k = 0; k < K; ++k) acc = std::fma(xr[k * xs1], y[k * ys0 + cc], acc);
    out[r * Cn + cc] = acc + F(0);
  }
}
template <typename F>
static void chainRows(const F* x, int64_t xs0, int64_t xs1, const F* y, int64_t ys0, F* out, int64_t R, int64_t K, int64_t Cn) {
  int64_t r = 0;
  for (; r + 4 <= R; r += 4) chainRowBlock<F, 4, 2>(x + r * xs0, xs0, xs1, y, ys0, out + r * Cn, K, Cn);
  const F* xr = x + r * xs0; F* o = out + r * Cn;
  switch (R - r) {
    case 3: chainRowBlock<F, 3, 2>(xr, xs0, xs1, y, ys0, o, K, Cn); break;
    case 2: chainRowBlock<F, 2, 4>(xr, xs0, xs1, y, ys0, o, K, Cn); break;
    case 1: chainRowBlock<F, 1, 8>(xr, xs0, xs1, y, ys0, o, K, Cn); break;
    default: break;
  }
}
// dst [R, C] (contiguous) = src[r * s0 + c * s1]: row by row where src's rows are contiguous; where its
// columns are (a transpose), by 8 x 8 (float) or 4 x 4 (double) register transposes; else element by element.
__attribute__((target("avx2,fma"), optimize("O3"))) static void transposeBlock(const float* src, int64_t s1, float* dst, int64_t C) {
  // src column c (8 floats at src + c * s1) -> dst row entries dst[r * C + c], for an 8 x 8 block
  __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + s1), r2 = _mm256_loadu_ps(src + 2 * s1), r3 = _mm256_loadu_ps(src + 3 * s1);
  __m256 r4 = _mm256_loadu_ps(src + 4 * s1), r5 = _mm256_loadu_ps(src + 5 * s1), r6 = _mm256_loadu_ps(src + 6 * s1), r7 = _mm256_loadu_ps(src + 7 * s1);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * C, _mm256_permute2f128_ps(u0, u4, 0x20)); _mm256_storeu_ps(dst + 1 * C, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * C, _mm256_permute2f128_ps(u2, u6, 0x20)); _mm256_storeu_ps(dst + 3 * C, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * C, _mm256_permute2f128_ps(u0, u4, 0x31)); _mm256_storeu_ps(dst + 5 * C, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * C, _mm256_permute2f128_ps(u2, u6, 0x31)); _mm256_storeu_ps(dst + 7 * C, _mm256_permute2f128_ps(u3, u7, 0x31));
}
__attribute__((target("avx2,fma"), optimize("O3"))) static void transposeBlock(const double* src, int64_t s1, double* dst, int64_t C) {
  __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + s1), r2 = _mm256_loadu_pd(src + 2 * s1), r3 = _mm256_loadu_pd(src + 3 * s1);
  __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1), t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(dst + 0 * C, _mm256_permute2f128_pd(t0, t2, 0x20)); _mm256_storeu_pd(dst + 1 * C, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(dst + 2 * C, _mm256_permute2f128_pd(t0, t2, 0x31)); _mm256_storeu_pd(dst + 3 * C, _mm256_permute2f128_pd(t1, t3, 0x31));
}
template <typename F>
__attribute__((target("avx2,fma"), optimize("O3"))) static void pack(const F* src, int64_t s0, int64_t s1, int64_t R, int64_t C, F* __restrict dst) {
  if (s1 == 1) { for (int64_t r = 0; r < R; ++r) std::memcpy(dst + r * C, src + r * s0, sizeof(F) * static_cast<size_t>(C)); return; }
  constexpr int64_t B = Vec<F>::W;
  int64_t r0 = 0;
  if (s0 == 1) for (; r0 + B <= R; r0 += B) {
    int64_t c0 = 0;
    for (; c0 + B <= C; c0 += B) transposeBlock(src + r0 + c0 * s1, s1, dst + r0 * C + c0, C);
    for (int64_t r = r0; r < r0 + B; ++r) for (int64_t c = c0; c < C; ++c) dst[r * C + c] = src[r + c * s1];
  }
  for (int64_t r = r0; r < R; ++r) for (int64_t c = 0; c < C; ++c) dst[r * C + c] = src[r * s0 + c * s1];
}
// C [n, m] (contiguous) = A [n, K] B [K, m], each through its strides.
template <typename F>
static void seqMm(const F* A, int64_t as0, int64_t as1, const F* B, int64_t bs0, int64_t bs1, F* C, int64_t n, int64_t K, int64_t m, std::vector<F>& buf) {
  if (m >= Vec<F>::W || n < Vec<F>::W) {
    // over j: B's rows contiguous (packed when they are not)
    const F* Bp = B; int64_t ys0 = bs0;
    if (bs1 != 1) { buf.resize(static_cast<size_t>(K * m)); pack<F>(B, bs0, bs1, K, m, buf.data()); Bp = buf.data(); ys0 = m; }
    chainRows<F>(A, as0, as1, Bp, ys0, C, n, K, m);
    return;
  }
  // over i (narrow outputs): C^T [m, n] = B^T A^T with A's columns contiguous (packed when they are not), then transposed into C
  buf.resize(static_cast<size_t>((as0 == 1 ? 0 : K * n) + m * n));
  const F* At = A; int64_t ys0 = as1;
  F* Ct = buf.data();
  if (as0 != 1) { F* p = buf.data() + m * n; pack<F>(A, as1, as0, K, n, p); At = p; ys0 = n; }
  chainRows<F>(B, bs1, bs0, At, ys0, Ct, m, K, n);
  pack<F>(Ct, 1, n, n, m, C);
}
#endif
// The probes' pieces. A verdict decided once per key (under a lock: the first caller decides, the
// others wait and read it); `known` and `mu` are the calling probe's own.
static bool verdictOnce(std::map<std::vector<int64_t>, bool>& known, std::mutex& mu, std::vector<int64_t> key, const std::function<bool()>& decide) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = known.find(key);
  if (it != known.end()) return it->second;
  const bool v = decide();
  known.emplace(std::move(key), v);
  return v;
}
// A random tensor laid out as t (its sizes and strides, t dense), from g: standard normal, or with
// `rough` a third exact zeros and magnitudes over about 1e-5..1e5.
static at::Tensor randomLike(const at::Tensor& t, at::Generator& g, bool rough) {
  auto o = at::TensorOptions().dtype(t.scalar_type());
  at::Tensor v = at::randn(t.sizes(), g, o);
  if (rough) v = v.mul(at::randn(t.sizes(), g, o).mul_(4).exp_()).mul_(at::rand(t.sizes(), g, o).gt(0.33));
  at::Tensor x = at::empty_strided(t.sizes(), t.strides(), o);
  x.copy_(v);
  return x;
}
// Whether `compute(x, y, out)` (out a contiguous [n, m]) gives at::mm's bits for a [n, K] x [K, m]
// product of this dtype, these strides and the current thread count (ATen picks its BLAS call's
// transposes, or a copy, from the strides, and the BLAS its kernel from those): once per such product
// and compute (each has its own cache), on random operands laid out with those very strides, drawn from a generator of its own:
// plain values, values with a third exact zeros and magnitudes over about 1e-5..1e5, and one element
// whose exact sum underflows to -0, in trials until at least 1024 output elements agree. Operands
// whose elements overlap (expanded) are left to at::mm.
template <typename F, typename Compute>
static bool mmExact(const at::Tensor& a, const at::Tensor& b, Compute compute) {
  static std::mutex mu;
  static std::map<std::vector<int64_t>, bool> known;
  const int64_t n = a.size(0), K = a.size(1), m = b.size(1);
  if (n == 0 || K == 0 || m == 0) return false;
  if (at::has_internal_overlap(a) != at::MemOverlap::No || at::has_internal_overlap(b) != at::MemOverlap::No) return false;
  return verdictOnce(known, mu, {static_cast<int64_t>(a.scalar_type()), n, K, m, a.stride(0), a.stride(1), b.stride(0), b.stride(1), at::get_num_threads()}, [&] {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(20261202);
    auto o = at::TensorOptions().dtype(a.scalar_type());
    const F tiny = std::numeric_limits<F>::min();  // tiny * -tiny: an exact sum that rounds to -0
    int64_t checked = 0;
    for (int trial = 0; trial < 3 || checked < 1024; ++trial) {
      at::Tensor x = randomLike(a, g, trial % 2 == 1), y = randomLike(b, g, trial % 2 == 1);
      if (trial == 2) { x.select(0, 0).zero_(); y.select(1, 0).zero_(); x.select(0, 0).select(0, K - 1).fill_(tiny); y.select(0, K - 1).select(0, 0).fill_(-tiny); }
      at::Tensor ref = at::mm(x, y), mine = at::empty({n, m}, o);
      compute(x, y, mine);
      if (!at::equal(ref, mine)) return false;
      // (equal compares values: the sign of the zero by its bits)
      if (std::signbit(mine.data_ptr<F>()[0]) != std::signbit(ref.contiguous().data_ptr<F>()[0])) return false;
      checked += n * m;
    }
    return true;
  });
}
#if defined(__x86_64__) || defined(__i386__)
// Whether at::mm sums as seqMm for such a product (mmExact), up to 256 terms (beyond, BLAS kernels split the sum).
template <typename F>
static bool mmSeqExact(const at::Tensor& a, const at::Tensor& b) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") || a.size(1) > 256) return false;
  return mmExact<F>(a, b, [](const at::Tensor& x, const at::Tensor& y, at::Tensor& out) {
    std::vector<F> buf;
    seqMm<F>(x.data_ptr<F>(), x.stride(0), x.stride(1), y.data_ptr<F>(), y.stride(0), y.stride(1), out.data_ptr<F>(), x.size(0), x.size(1), y.size(1), buf);
  });
}
#endif
// ---- small products by the BLAS call itself, without ATen's dispatch around it
// The BLAS's own gemm (the Fortran interface ATen calls), found in the BLAS already loaded; null where none is.
template <typename F> using GemmFn = void (*)(const char*, const char*, const int*, const int*, const int*, const F*, const F*, const int*, const F*, const int*, const F*, F*, const int*);
// A function of the BLAS (or OpenBLAS) library already loaded; null where none has it.
static void* blasSymbol(const char* name) {
  for (const char* lib : {"libblas.so.3", "libopenblas.so.0", "libopenblasp.so.0"}) {
    void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (h == nullptr) continue;
    if (void* f = dlsym(h, name)) return f;
  }
  return nullptr;
}
template <typename F> static GemmFn<F> blasGemm() {
  static GemmFn<F> fn = reinterpret_cast<GemmFn<F>>(blasSymbol(std::is_same<F, float>::value ? "sgemm_" : "dgemm_"));
  return fn;
}
// The column-major call that computes C [n, m] (row-major, contiguous) = A [n, K] B [K, m] as
// C^T = B^T A^T, each operand passed as it lies ('n' where its rows are contiguous, 't' where its
// columns are), as ATen 1.13's addmm passes them; ok false for other layouts and for one output
// column. (Slices that are not dense, e.g. padded rows, are left to at::mm by the probe.)
struct GemmCall { char tb, ta; int m, n, k, ldb, lda; bool ok; };
static GemmCall gemmCall(int64_t n, int64_t K, int64_t m, int64_t as0, int64_t as1, int64_t bs0, int64_t bs1) {
  GemmCall c{'n', 'n', 0, 0, 0, 0, 0, false};
  // (one output column: ATen makes another call, unswapped)
  if (m == 1 || std::max({n, K, m, as0, as1, bs0, bs1}) > INT32_MAX / 2) return c;
  c.m = static_cast<int>(m); c.n = static_cast<int>(n); c.k = static_cast<int>(K);
  if (bs1 == 1 && bs0 >= std::max<int64_t>(1, m)) { c.tb = 'n'; c.ldb = static_cast<int>(bs0); }
  else if (bs0 == 1 && bs1 >= std::max<int64_t>(1, K)) { c.tb = 't'; c.ldb = static_cast<int>(bs1); }
  else return c;
  if (as1 == 1 && as0 >= std::max<int64_t>(1, K)) { c.ta = 'n'; c.lda = static_cast<int>(as0); }
  else if (as0 == 1 && as1 >= std::max<int64_t>(1, n)) { c.ta = 't'; c.lda = static_cast<int>(as1); }
  else return c;
  c.ok = true;
  return c;
}
template <typename F>
static void blasMm(const GemmCall& c, const F* A, const F* B, F* C) {
  const F one = 1, zero = 0;
  blasGemm<F>()(&c.tb, &c.ta, &c.m, &c.n, &c.k, &one, B, &c.ldb, A, &c.lda, &zero, C, &c.m);
}
// Whether calling the BLAS directly so gives at::mm's bits for such a product (mmExact).
template <typename F>
static bool mmBlasExact(const at::Tensor& a, const at::Tensor& b) {
  if (blasGemm<F>() == nullptr || !gemmCall(a.size(0), a.size(1), b.size(1), a.stride(0), a.stride(1), b.stride(0), b.stride(1)).ok) return false;
  return mmExact<F>(a, b, [](const at::Tensor& x, const at::Tensor& y, at::Tensor& out) {
    blasMm<F>(gemmCall(x.size(0), x.size(1), y.size(1), x.stride(0), x.stride(1), y.stride(0), y.stride(1)), x.data_ptr<F>(), y.data_ptr<F>(), out.data_ptr<F>());
  });
}
// How mmEach multiplies slices of a and b (shaped and laid out as these), outside autograd recording
// and on the CPU: by seqMm where that gives at::mm's bits (for slices of up to 2^21 multiply-adds:
// beyond, a BLAS kernel's cache blocking pays for its packing); else by the BLAS call itself where
// that does (ATen's dispatch, output and checks around a small product cost as much as the product);
// else by at::mm.
enum class MmPath { Chain, Blas, Mm };
template <typename F>
static MmPath mmPathOf(const at::Tensor& a0, const at::Tensor& b0) {
#if defined(__x86_64__) || defined(__i386__)
  if (a0.size(0) * a0.size(1) * b0.size(1) <= (int64_t{1} << 21) && mmSeqExact<F>(a0, b0)) return MmPath::Chain;
#endif
  return mmBlasExact<F>(a0, b0) ? MmPath::Blas : MmPath::Mm;
}
static MmPath mmEachPath(const at::Tensor& a, const at::Tensor& b) {
  if (a.size(0) == 0 || !a.device().is_cpu() || !b.device().is_cpu() || a.scalar_type() != b.scalar_type() ||
      (c10::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad()))) return MmPath::Mm;
  if (a.scalar_type() == at::kFloat) return mmPathOf<float>(a.select(0, 0), b.select(0, 0));
  if (a.scalar_type() == at::kDouble) return mmPathOf<double>(a.select(0, 0), b.select(0, 0));
  return MmPath::Mm;
}
static void checkMmEach(const at::Tensor& a, const at::Tensor& b) {
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0) || a.size(2) != b.size(1))
    throw OpError("mmEach needs a [P, n, k] and b [P, k, m], got " + shapeStr(a) + " and " + shapeStr(b));
}
// mmEach(a [P, n, k], b [P, k, m]) -> [P, n, m]: at::mm of each slice, the slices side by side on the
// intra-op threads (each product as a lone mm computes it, by mmEachPath's way)
static at::Tensor mmEachOf(const at::Tensor& a, const at::Tensor& b, MmPath path) {
  at::Tensor out = at::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  const int64_t n = a.size(1), K = a.size(2), m = b.size(2);
  at::parallel_for(0, a.size(0), 1, [&](int64_t s, int64_t e) {
    auto run = [&](auto* pa, auto* pb, auto* pc) {
      using F = std::remove_pointer_t<decltype(pa)>;
      if (path == MmPath::Blas) {
        const GemmCall c = gemmCall(n, K, m, a.stride(1), a.stride(2), b.stride(1), b.stride(2));
        for (int64_t k = s; k < e; ++k) blasMm<F>(c, pa + k * a.stride(0), pb + k * b.stride(0), pc + k * n * m);
        return;
      }
#if defined(__x86_64__) || defined(__i386__)
      std::vector<F> buf;
      for (int64_t k = s; k < e; ++k)
        seqMm<F>(pa + k * a.stride(0), a.stride(1), a.stride(2), pb + k * b.stride(0), b.stride(1), b.stride(2), pc + k * n * m, n, K, m, buf);
#endif
    };
    if (path == MmPath::Mm) {
      for (int64_t k = s; k < e; ++k) { at::Tensor o = out.select(0, k); at::mm_out(o, a.select(0, k), b.select(0, k)); }
    } else if (a.scalar_type() == at::kFloat) run(a.data_ptr<float>(), b.data_ptr<float>(), out.data_ptr<float>());
    else run(a.data_ptr<double>(), b.data_ptr<double>(), out.data_ptr<double>());
  });
  return out;
}
OP(mmEach) {
  auto& a = T(info, 0); auto& b = T(info, 1);
  checkMmEach(a, b);
  W(mmEachOf(a, b, mmEachPath(a, b)));
}
// reluGradMmEach(gf [P, b], u [P, m], h [P, b, m], X [P, b, c]) -> [P, m, c]: per slice,
// threshold_backward(gf[:, None] * u[None, :], h, 0)^T X (the gradient of a relu layer's weights from
// the output's gradient gf, the second layer u, the relu's output h and the input X) with the bits of
// those ops and mmEach's product: the masked outer product made in a buffer per slice (each entry
// the product gf[i] u[j], or +0 where h[i, j] <= 0, as threshold_backward gives), then multiplied as
// mmEach multiplies a transposed [b, m] by X, without the [P, b, m] tensors of the separate ops.
// (branch-free: half the relu outputs are 0, at random; a NaN in h compares false and keeps the product)
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"), optimize("O3"))) static void maskedRow(float g, const float* __restrict u, const float* __restrict h, int64_t m, float* __restrict o) {
  int64_t j = 0;
  const __m256 gv = _mm256_set1_ps(g), zero = _mm256_setzero_ps();
  for (; j + 8 <= m; j += 8) _mm256_storeu_ps(o + j, _mm256_andnot_ps(_mm256_cmp_ps(_mm256_loadu_ps(h + j), zero, _CMP_LE_OQ), _mm256_mul_ps(gv, _mm256_loadu_ps(u + j))));
  for (; j < m; ++j) { const float v = g * u[j]; o[j] = h[j] <= 0.0f ? 0.0f : v; }
}
__attribute__((target("avx2,fma"), optimize("O3"))) static void maskedRow(double g, const double* __restrict u, const double* __restrict h, int64_t m, double* __restrict o) {
  int64_t j = 0;
  const __m256d gv = _mm256_set1_pd(g), zero = _mm256_setzero_pd();
  for (; j + 4 <= m; j += 4) _mm256_storeu_pd(o + j, _mm256_andnot_pd(_mm256_cmp_pd(_mm256_loadu_pd(h + j), zero, _CMP_LE_OQ), _mm256_mul_pd(gv, _mm256_loadu_pd(u + j))));
  for (; j < m; ++j) { const double v = g * u[j]; o[j] = h[j] <= 0.0 ? 0.0 : v; }
}
#endif
template <typename F> static void maskedRowScalar(F g, const F* __restrict u, const F* __restrict h, int64_t m, F* __restrict o) {
  for (int64_t j = 0; j < m; ++j) { const F v = g * u[j]; o[j] = h[j] <= F(0) ? F(0) : v; }
}
template <typename F>
static void maskedOuter(const F* gf, const F* u, const F* h, int64_t b, int64_t m, F* out) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) { for (int64_t i = 0; i < b; ++i) maskedRow(gf[i], u, h + i * m, m, out + i * m); return; }
#endif
  for (int64_t i = 0; i < b; ++i) maskedRowScalar(gf[i], u, h + i * m, m, out + i * m);
}
OP(reluGradMmEach) {
  at::Tensor gf = T(info, 0), u = T(info, 1), h = T(info, 2); auto& X = T(info, 3);
  if (gf.dim() != 2 || u.dim() != 2 || h.dim() != 3 || X.dim() != 3 || h.size(0) != gf.size(0) || h.size(1) != gf.size(1) || u.size(0) != h.size(0) ||
      u.size(1) != h.size(2) || X.size(0) != h.size(0) || X.size(1) != h.size(1))
    throw OpError("reluGradMmEach needs gf [P, b], u [P, m], h [P, b, m] and X [P, b, c], got " + shapeStr(gf) + ", " + shapeStr(u) + ", " + shapeStr(h) + " and " + shapeStr(X));
  const auto st = h.scalar_type();
  if (gf.scalar_type() != st || u.scalar_type() != st || X.scalar_type() != st || (st != at::kFloat && st != at::kDouble) ||
      !h.device().is_cpu() || !gf.device().is_cpu() || !u.device().is_cpu() || !X.device().is_cpu())
    throw OpError("reluGradMmEach needs float32 or float64 CPU tensors of one dtype");
  if (c10::GradMode::is_enabled() && (gf.requires_grad() || u.requires_grad() || h.requires_grad() || X.requires_grad()))
    throw OpError("reluGradMmEach records no autograd: use it under noGrad");
  const int64_t P = h.size(0), b = h.size(1), m = h.size(2), c = X.size(2);
  // the product as mmEach would make it for the transposed [P, b, m] threshold output (strides b m, 1,
  // m: a contiguous h's; the separate ops, where h is laid out otherwise, or where mmEach would call at::mm)
  const at::Tensor layout = at::empty_strided({1, m, b}, {b * m, 1, m}, h.options());
  const MmPath path = P == 0 || m == 0 || b == 0 || !h.is_contiguous() ? MmPath::Mm : mmEachPath(layout, X);
  if (path == MmPath::Mm) {
    at::Tensor t = at::threshold_backward(gf.unsqueeze(2).mul(u.unsqueeze(1)), h, 0).transpose(1, 2);
    W(mmEachOf(t, X, t.size(0) == 0 ? MmPath::Mm : mmEachPath(t, X)));
  }
  gf = gf.contiguous(); u = u.contiguous();
  at::Tensor out = at::empty({P, m, c}, h.options());
  at::parallel_for(0, P, 1, [&](int64_t s, int64_t e) {
    auto run = [&](auto* pg, auto* pu, auto* ph, auto* px, auto* po) {
      using F = std::remove_pointer_t<decltype(pg)>;
      std::vector<F> A(static_cast<size_t>(b * m)), buf;
      const GemmCall call = path == MmPath::Blas ? gemmCall(m, b, c, 1, m, X.stride(1), X.stride(2)) : GemmCall{};
      for (int64_t k = s; k < e; ++k) {
        maskedOuter<F>(pg + k * b, pu + k * m, ph + k * b * m, b, m, A.data());
        const F* xk = px + k * X.stride(0);
        if (path == MmPath::Blas) blasMm<F>(call, A.data(), xk, po + k * m * c);
#if defined(__x86_64__) || defined(__i386__)
        else seqMm<F>(A.data(), 1, m, xk, X.stride(1), X.stride(2), po + k * m * c, m, b, c, buf);
#endif
      }
    };
    if (st == at::kFloat) run(gf.data_ptr<float>(), u.data_ptr<float>(), h.data_ptr<float>(), X.data_ptr<float>(), out.data_ptr<float>());
    else run(gf.data_ptr<double>(), u.data_ptr<double>(), h.data_ptr<double>(), X.data_ptr<double>(), out.data_ptr<double>());
  });
  W(out);
}
// mmEachKernel(a, b): how mmEach(a, b) multiplies the slices: 'chain' (seqMm), 'blas' (the BLAS call itself) or 'mm' (at::mm)
OP(mmEachKernel) {
  auto& a = T(info, 0); auto& b = T(info, 1);
  checkMmEach(a, b);
  const MmPath path = mmEachPath(a, b);
  return Napi::String::New(env, path == MmPath::Chain ? "chain" : path == MmPath::Blas ? "blas" : "mm");
}
// The BLAS's own gemv (as blasGemm); null where none is.
template <typename F> using GemvFn = void (*)(const char*, const int*, const int*, const F*, const F*, const int*, const F*, const int*, const F*, F*, const int*);
template <typename F> static GemvFn<F> blasGemv() {
  static GemvFn<F> fn = reinterpret_cast<GemvFn<F>>(blasSymbol(std::is_same<F, float>::value ? "sgemv_" : "dgemv_"));
  return fn;
}
// The call that computes y [r] = A [r, c] v, as ATen 1.13's addmv passes it: 'n' (m = r) where A's
// columns are contiguous, else 't' (m = c) where its rows are; ok false for other layouts.
struct GemvCall { char t; int m, n, lda, incx; bool ok; };
static GemvCall gemvCall(int64_t r, int64_t c, int64_t s0, int64_t s1, int64_t vs) {
  GemvCall g{'n', 0, 0, 0, static_cast<int>(vs), false};
  if (r > INT32_MAX / 2 || c > INT32_MAX / 2 || s0 > INT32_MAX / 2 || s1 > INT32_MAX / 2 || vs < 1 || vs > INT32_MAX / 2) return g;
  if (s0 == 1 && s1 >= std::max<int64_t>(1, r)) g = {'n', static_cast<int>(r), static_cast<int>(c), static_cast<int>(s1), g.incx, true};
  else if (s1 == 1 && s0 >= std::max<int64_t>(1, c)) g = {'t', static_cast<int>(c), static_cast<int>(r), static_cast<int>(s0), g.incx, true};
  if (g.ok && g.n == 1) g.lda = g.m;  // (as ATen's gemv sets it for one column)
  return g;
}
// y (contiguous, zeroed first) = A v by the BLAS call itself.
template <typename F>
static void blasMv(const GemvCall& g, const F* A, const F* v, F* y) {
  const F one = 1, zero = 0; const int incy = 1;
  std::fill(y, y + (g.t == 'n' ? g.m : g.n), F(0));
  blasGemv<F>()(&g.t, &g.m, &g.n, &one, A, &g.lda, v, &g.incx, &zero, y, &incy);
}
// Whether blasMv gives at::mv's bits for an [r, c] matrix of these strides and dtype at the current
// thread count (once per such product, on random operands of that layout from a generator of its own,
// plain and with zeros and mixed magnitudes, until at least 1024 outputs agree).
template <typename F>
static bool mvBlasExact(const at::Tensor& A, const at::Tensor& v) {
  static std::mutex mu;
  static std::map<std::vector<int64_t>, bool> known;
  const int64_t r = A.size(0), c = A.size(1);
  if (blasGemv<F>() == nullptr || r == 0 || c == 0 || !gemvCall(r, c, A.stride(0), A.stride(1), v.stride(0)).ok ||
      at::has_internal_overlap(A) != at::MemOverlap::No) return false;
  return verdictOnce(known, mu, {static_cast<int64_t>(A.scalar_type()), r, c, A.stride(0), A.stride(1), v.stride(0), at::get_num_threads()}, [&] {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(20261203);
    for (int64_t trial = 0, checked = 0; trial < 2 || checked < 1024; ++trial, checked += r) {
      at::Tensor x = randomLike(A, g, trial % 2 == 1), y = randomLike(v, g, trial % 2 == 1);
      at::Tensor ref = at::mv(x, y), mine = at::empty({r}, x.options());
      blasMv<F>(gemvCall(r, c, x.stride(0), x.stride(1), y.stride(0)), x.data_ptr<F>(), y.data_ptr<F>(), mine.data_ptr<F>());
      if (!at::equal(ref, mine)) return false;
    }
    return true;
  });
}
static void checkMvEach(const at::Tensor& a, const at::Tensor& v) {
  if (a.dim() != 3 || v.dim() != 2 || a.size(0) != v.size(0) || a.size(2) != v.size(1))
    throw OpError("mvEach needs A [P, n, h] and v [P, h], got " + shapeStr(a) + " and " + shapeStr(v));
}
// Whether mvEach multiplies such slices by the BLAS call itself: outside autograd recording, on the CPU, where that gives at::mv's bits.
static bool mvEachDirect(const at::Tensor& a, const at::Tensor& v) {
  return a.size(0) > 0 && a.device().is_cpu() && v.device().is_cpu() && a.scalar_type() == v.scalar_type() &&
    !(c10::GradMode::is_enabled() && (a.requires_grad() || v.requires_grad())) &&
    ((a.scalar_type() == at::kFloat && mvBlasExact<float>(a.select(0, 0), v.select(0, 0))) ||
     (a.scalar_type() == at::kDouble && mvBlasExact<double>(a.select(0, 0), v.select(0, 0))));
}
// mvEachKernel(A, v): 'blas' where mvEach(A, v) makes the BLAS call itself, 'mv' where at::mv per slice
OP(mvEachKernel) { auto& a = T(info, 0); auto& v = T(info, 1); checkMvEach(a, v); return Napi::String::New(env, mvEachDirect(a, v) ? "blas" : "mv"); }
// mvEach(A [P, n, h], v [P, h]) -> [P, n]: at::mv of each slice (what A[k].matmul(v[k]) computes), by
// the BLAS call itself where that gives at::mv's bits (outside autograd recording, on the CPU)
// the direct gemv of mvEach on slices mvEachDirect accepts
static at::Tensor mvEachBlas(const at::Tensor& a, const at::Tensor& v) {
  at::Tensor out = at::empty({a.size(0), a.size(1)}, a.options());
  const GemvCall g = gemvCall(a.size(1), a.size(2), a.stride(1), a.stride(2), v.stride(1));
  auto run = [&](auto* pa, auto* pv, auto* po) {
    for (int64_t k = 0; k < a.size(0); ++k) blasMv(g, pa + k * a.stride(0), pv + k * v.stride(0), po + k * a.size(1));
  };
  if (a.scalar_type() == at::kFloat) run(a.data_ptr<float>(), v.data_ptr<float>(), out.data_ptr<float>());
  else run(a.data_ptr<double>(), v.data_ptr<double>(), out.data_ptr<double>());
  return out;
}
OP(mvEach) {
  auto& a = T(info, 0); auto& v = T(info, 1);
  checkMvEach(a, v);
  if (mvEachDirect(a, v)) W(mvEachBlas(a, v));
  at::Tensor out = at::empty({a.size(0), a.size(1)}, a.options());
  for (int64_t k = 0; k < a.size(0); ++k) { at::Tensor o = out.select(0, k); at::mv_out(o, a.select(0, k), v.select(0, k)); }
  W(out);
}
static at::Tensor matmulOf(const at::Tensor& a, const at::Tensor& b) {
  if (a.dim() == 2 && b.dim() == 1 && a.size(1) == b.size(0) && a.layout() == at::kStrided && b.layout() == at::kStrided) {
    const at::Tensor a3 = a.unsqueeze(0), b2 = b.unsqueeze(0);
    if (mvEachDirect(a3, b2)) return mvEachBlas(a3, b2).squeeze(0);
  }
  return at::matmul(a, b);
}
static at::Tensor linearOf(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& bias) {
  if (!(bias && bias->defined()) && x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1) && x.size(0) > 0 && w.size(0) > 0 && x.layout() == at::kStrided && w.layout() == at::kStrided) {
    const at::Tensor a = x.unsqueeze(0), b = w.t().unsqueeze(0);
    const MmPath path = mmEachPath(a, b);
    if (path != MmPath::Mm) return mmEachOf(a, b, path).squeeze(0);
  }
  return at::linear(x, w, bias);
}
// d[i] = fma(s[i], alpha, d[i]) over n elements: what ATen's add_(src, alpha) computes per element
// where its kernel fuses the multiply-add (checked once per dtype against add_ itself: fusedAddExact).
// x86-64 only (AVX2 + FMA); elsewhere addEach_ keeps ATen's add_ per slice. (A NaN's payload may
// differ from add_'s where both operands are NaN; the value stays NaN.)
#if defined(__x86_64__) || defined(__i386__)
template <typename F>
__attribute__((target("avx2,fma"), optimize("O3"))) static void fmaLoop(F* d, const F* s, F alpha, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = std::fma(s[i], alpha, d[i]);
}
// Whether fmaLoop gives add_'s bits for dtype F on this CPU and libtorch (the vector body and the
// scalar tail of several lengths, alphas of both signs); decided at the first use, once per dtype.
template <typename F> static bool fusedAddExact(at::ScalarType st) {
  static const bool exact = [st] {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(20261201); // (not the default generator: its draws stay the program's)
    for (int64_t n : {1, 7, 64, 1031}) for (double alpha : {-0.0123456789, 3.3, 1.0}) {
      at::Tensor d = at::randn({n}, g, at::TensorOptions().dtype(st)), s = at::randn({n}, g, at::TensorOptions().dtype(st)).mul_(1e3);
      at::Tensor ref = d.clone().add_(s, alpha), mine = d.clone();
      fmaLoop<F>(mine.data_ptr<F>(), s.data_ptr<F>(), static_cast<F>(alpha), n);
      if (!at::equal(ref, mine)) return false;
    }
    return true;
  }();
  return exact;
}
#else
template <typename F> static void fmaLoop(F*, const F*, F, int64_t) {}
template <typename F> static bool fusedAddExact(at::ScalarType) { return false; }
#endif
// addEach_(dst [P, ...], src [P, ...], alphas[P]): dst[k] += alphas[k] * src[k], in place, each slice
// as add_ computes it: in one pass over contiguous float tensors where that gives add_'s bits, else slice by slice
OP(addEach_) {
  auto& a = T(info, 0); auto& b = T(info, 1);
  auto al = info[2].As<Napi::Array>();
  if (a.dim() < 1 || b.sizes() != a.sizes() || static_cast<int64_t>(al.Length()) != a.size(0))
    throw OpError("addEach_ needs dst and src of one shape [P, ...] and P alphas, got " + shapeStr(a) + ", " + shapeStr(b) + " and " + std::to_string(al.Length()));
  const int64_t P = a.size(0);
  std::vector<double> alphas(static_cast<size_t>(P));
  for (int64_t k = 0; k < P; ++k) alphas[k] = al.Get(static_cast<uint32_t>(k)).As<Napi::Number>().DoubleValue();
  // the one pass only where add_ would do nothing else: both on the CPU, one dtype, contiguous, no
  // autograd to record, no partial overlap (add_ refuses it), alphas within float's range (add_ refuses a float overflow)
  const bool alphasFit = a.scalar_type() != at::kFloat || std::all_of(alphas.begin(), alphas.end(), [](double x) { return std::fabs(x) <= 3.4028234663852886e38; });
  const bool fused = a.device().is_cpu() && b.device().is_cpu() && a.scalar_type() == b.scalar_type() && a.is_contiguous() && b.is_contiguous() &&
    !(c10::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad())) && alphasFit &&
    at::get_overlap_status(a, b) == at::MemOverlapStatus::No &&
    ((a.scalar_type() == at::kFloat && fusedAddExact<float>(at::kFloat)) || (a.scalar_type() == at::kDouble && fusedAddExact<double>(at::kDouble)));
  if (!fused) {
    for (int64_t k = 0; k < P; ++k) a.select(0, k).add_(b.select(0, k), alphas[k]);
    return info[0];
  }
  const int64_t n = P == 0 ? 0 : a.numel() / P;
  if (a.scalar_type() == at::kFloat) {
    float* d = a.data_ptr<float>(); const float* s = b.data_ptr<float>();
    for (int64_t k = 0; k < P; ++k) fmaLoop<float>(d + k * n, s + k * n, static_cast<float>(alphas[k]), n);
  } else {
    double* d = a.data_ptr<double>(); const double* s = b.data_ptr<double>();
    for (int64_t k = 0; k < P; ++k) fmaLoop<double>(d + k * n, s + k * n, alphas[k], n);
  }
  a.unsafeGetTensorImpl()->bump_version();
  return info[0];
}
// The generators of an op over slices (null or undefined: none for that slice), each a Generator and
// none given for two slices (slices fill in parallel: a shared generator would give draws that depend
// on the threads' timing)
static std::vector<at::Generator> sliceGenerators(const Napi::Array& gs, const char* op) {
  std::vector<at::Generator> gens(gs.Length());
  std::vector<const void*> seen;
  for (uint32_t k = 0; k < gs.Length(); ++k) {
    Napi::Value g = gs.Get(k);
    if (g.IsNull() || g.IsUndefined()) continue;
    if (!g.IsObject() || !g.As<Napi::Object>().InstanceOf(GeneratorWrap::ctor->Value())) throw OpError(std::string(op) + ": gens[" + std::to_string(k) + "] must be a Generator or null");
    gens[k] = GeneratorWrap::Unwrap(g.As<Napi::Object>())->gen;
    seen.push_back(gens[k].unsafeGetGeneratorImpl());
  }
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) throw OpError(std::string(op) + ": a generator is given for two slices (each slice needs its own)");
  return gens;
}
// normalEach_(t [P, ...], gens[P] (distinct; null: leave the slice), mean, std): slice k filled from gens[k]
OP(normalEach_) {
  auto& a = T(info, 0);
  auto gs = info[1].As<Napi::Array>();
  if (a.dim() < 1 || static_cast<int64_t>(gs.Length()) != a.size(0)) throw OpError("normalEach_ needs one generator (or null) per slice of dim 0");
  double mean = N(info, 2), sd = N(info, 3);
  // each slice has its own generator, so the slices fill in parallel with the draws of a serial fill
  std::vector<at::Generator> gens = sliceGenerators(gs, "normalEach_");
  // (a tensor autograd records: ATen's normal_, which refuses an in-place fill of a leaf that requires grad)
  const bool recorded = c10::GradMode::is_enabled() && a.requires_grad();
  at::parallel_for(0, a.size(0), 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) if (gens[k].defined()) { at::Tensor s = a.select(0, k); if (recorded) s.normal_(mean, sd, gens[k]); else lrlab::normal_(s, mean, sd, gens[k]); }
  });
  return info[0];
}
// normalKernel(t): 'fill' where normalEach_ / addNormalEach_ fill a slice shaped and typed as t by
// normalFill (at::normal_'s bits, checked here once), else 'normal_' (at::normal_ itself)
OP(normalKernel) {
  auto& a = T(info, 0);
  const bool fill = lrlab::normalFillExact() && lrlab::fillable(a);
  return Napi::String::New(env, fill ? "fill" : "normal_");
}
// addNormalEach_(t [P, ...], gens[P] (distinct; null: leave the slice), stds[P]): t[k] += randn * stds[k]
// in place, the noise of slice k drawn from gens[k] into a tensor of its own (the draws and the rounding
// of t[k].add(randn(shape, gens[k]).mul(stds[k])): the product in t's dtype, then the sum), slices in parallel
OP(addNormalEach_) {
  auto& a = T(info, 0);
  auto gs = info[1].As<Napi::Array>();
  auto ss = info[2].As<Napi::Array>();
  if (a.dim() < 1 || static_cast<int64_t>(gs.Length()) != a.size(0) || static_cast<int64_t>(ss.Length()) != a.size(0))
    throw OpError("addNormalEach_ needs one generator (or null) and one std per slice of dim 0, got " + shapeStr(a) + ", " + std::to_string(gs.Length()) + " and " + std::to_string(ss.Length()));
  if (c10::GradMode::is_enabled() && a.requires_grad()) throw OpError("addNormalEach_: t requires grad (use it under noGrad)");
  std::vector<at::Generator> gens = sliceGenerators(gs, "addNormalEach_");
  std::vector<double> stds(static_cast<size_t>(a.size(0)));
  for (int64_t k = 0; k < a.size(0); ++k) stds[k] = ss.Get(static_cast<uint32_t>(k)).As<Napi::Number>().DoubleValue();
  at::parallel_for(0, a.size(0), 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      if (!gens[k].defined()) continue;
      at::Tensor slice = a.select(0, k);
      if (lrlab::addNormal(slice, stds[k], gens[k])) continue;
      at::Tensor z = at::empty(slice.sizes(), a.options());
      lrlab::normal_(z, 0, 1, gens[k]);
      slice.add_(z.mul_(stds[k]));
    }
  });
  return info[0];
}
// thresholdBackward(grad, x, threshold): grad where x > threshold, else 0 (relu's backward)
OP(thresholdBackward) { auto& g = T(info, 0); W(at::threshold_backward(g, T(info, 1), S(info, 2))); }
// softplusBackward(grad, x, beta, threshold): the gradient of softplus(x, beta, threshold) times grad
OP(softplusBackward) { auto& g = T(info, 0); W(at::softplus_backward(g, T(info, 1), S(info, 2), S(info, 3))); }

// ---------------------------------------------------------------- in place (optimizers; no autograd)
// addAlpha(a, b, alpha): a + alpha b in one kernel (torch's add(a, b, alpha=...))
OP(addAlpha) { W(at::add(T(info, 0), T(info, 1), N(info, 2))); }
OP(add_) { auto& a = T(info, 0); a.add_(T(info, 1), N(info, 2)); return info[0]; }
OP(add_S) { auto& a = T(info, 0); a.add_(S(info, 1), N(info, 2)); return info[0]; }
OP(mul_) { auto& a = T(info, 0); a.mul_(T(info, 1)); return info[0]; }
OP(mul_S) { auto& a = T(info, 0); a.mul_(S(info, 1)); return info[0]; }
OP(copy_) { auto& a = T(info, 0); a.copy_(T(info, 1)); return info[0]; }
OP(zero_) { auto& a = T(info, 0); a.zero_(); return info[0]; }
OP(fill_) { auto& a = T(info, 0); a.fill_(S(info, 1)); return info[0]; }
OP(addcmul_) { auto& a = T(info, 0); a.addcmul_(T(info, 1), T(info, 2), S(info, 3)); return info[0]; }

// ---------------------------------------------------------------- autograd
OP(setRequiresGrad) { auto& a = T(info, 0); a.requires_grad_(B(info, 1)); return info[0]; }
OP(requiresGrad) { return Napi::Boolean::New(env, T(info, 0).requires_grad()); }
OP(isLeaf) { return Napi::Boolean::New(env, T(info, 0).is_leaf()); }
OP(grad) {
  auto& a = T(info, 0);
  const at::Tensor& g = a.grad();
  if (!g.defined()) return env.Null();
  W(g);
}
OP(setGrad) {
  auto& a = T(info, 0);
  if (info[1].IsNull() || info[1].IsUndefined()) a.mutable_grad() = at::Tensor();
  else a.mutable_grad() = T(info, 1);
  return env.Undefined();
}
// backward(t, grad|null, retainGraph)
OP(backward) {
  auto& a = T(info, 0);
  a.backward(OT(info, 1), B(info, 2), false);
  return env.Undefined();
}
OP(retainGrad) { auto& a = T(info, 0); a.retain_grad(); return env.Undefined(); }
OP(detach) { auto& a = T(info, 0); W(a.detach()); }
OP(setGradEnabled) { bool prev = c10::GradMode::is_enabled(); c10::GradMode::set_enabled(B(info, 0)); return Napi::Boolean::New(env, prev); }
OP(isGradEnabled) { return Napi::Boolean::New(env, c10::GradMode::is_enabled()); }

// ---------------------------------------------------------------- data out, metadata, memory
OP(shape) {
  auto& a = T(info, 0);
  auto arr = Napi::Array::New(env, a.dim());
  for (int64_t k = 0; k < a.dim(); ++k) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(a.size(k))));
  return arr;
}
OP(dtype) { return Napi::Number::New(env, codeOf(T(info, 0).scalar_type())); }
OP(device) { return Napi::String::New(env, T(info, 0).device().str()); }
OP(numel) { return Napi::Number::New(env, static_cast<double>(T(info, 0).numel())); }
OP(item) {
  auto& a = T(info, 0);
  if (a.numel() != 1) throw OpError("item() needs a tensor with one element, got shape " + shapeStr(a));
  if (a.scalar_type() == at::kBool) return Napi::Boolean::New(env, a.item<bool>());
  return Napi::Number::New(env, a.item<double>());
}
// toBuffer(t, dtype) -> ArrayBuffer with the contiguous data converted to dtype
OP(toBuffer) {
  auto& a = T(info, 0);
  at::Tensor c = a.detach().to(at::kCPU, dtypeOf(static_cast<int>(I(info, 1)))).contiguous();
  auto buf = Napi::ArrayBuffer::New(env, c.nbytes());
  if (c.nbytes()) std::memcpy(buf.Data(), c.data_ptr(), c.nbytes());
  return buf;
}
// to(t, dtype|null, device|null)
OP(to) {
  auto& a = T(info, 0);
  at::Tensor r = a;
  if (info[1].IsNumber()) r = r.to(dtypeOf(static_cast<int>(I(info, 1))));
  if (info.Length() > 2 && info[2].IsString()) r = r.to(at::Device(info[2].As<Napi::String>().Utf8Value()));
  W(r);
}
OP(dispose) { if (info[0].IsNumber()) release(info[0].As<Napi::Number>().Int32Value()); return env.Undefined(); }
OP(liveTensors) { return Napi::Number::New(env, static_cast<double>(g_table.size() - g_free.size())); }
OP(sameStorage) { auto& a = T(info, 0); return Napi::Boolean::New(env, a.is_same(T(info, 1)) || a.storage().is_alias_of(T(info, 1).storage())); }

// ---------------------------------------------------------------- runtime
OP(setNumThreads) { at::set_num_threads(static_cast<int>(I(info, 0))); return env.Undefined(); }
OP(getNumThreads) { return Napi::Number::New(env, at::get_num_threads()); }
// setBlasThreads(n): OpenBLAS's own thread pool (its GEMMs do not use ATen's threads), through the
// openblas_set_num_threads of the OpenBLAS already loaded; false where there is none (another BLAS)
OP(setBlasThreads) {
  using SetThreads = void (*)(int);
  static SetThreads set = reinterpret_cast<SetThreads>(blasSymbol("openblas_set_num_threads"));
  if (set == nullptr) return Napi::Boolean::New(env, false);
  set(static_cast<int>(I(info, 0)));
  return Napi::Boolean::New(env, true);
}
// getBlasThreads(): the thread count of the OpenBLAS already loaded (openblas_get_num_threads), -1 where there is none
OP(getBlasThreads) {
  using GetThreads = int (*)();
  static GetThreads get = reinterpret_cast<GetThreads>(blasSymbol("openblas_get_num_threads"));
  return Napi::Number::New(env, get == nullptr ? -1 : get());
}
OP(cudaAvailable) { return Napi::Boolean::New(env, at::hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0); }
OP(cudaDeviceCount) { return Napi::Number::New(env, at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0); }
OP(setDeterministic) { at::globalContext().setDeterministicAlgorithms(B(info, 0), true); return env.Undefined(); }
OP(config) { return Napi::String::New(env, at::show_config()); }
OP(parallelInfo) { return Napi::String::New(env, at::get_parallel_info()); }

#define REG(name) exports.Set(#name, Napi::Function::New(env, guarded<op_##name>, #name, const_cast<char*>(#name)))

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Keep freed tensor memory in the heap for reuse instead of returning it to the kernel (mmap and
  // trimming would make every large tensor a fresh set of page faults).
  if (!getenv("LRLAB_NO_MALLOPT")) {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    mallopt(M_MMAP_MAX, 0); // tensors of 32 MiB and more from the heap as well (measured: W1 302 -> 138 ms per step)
  }
  if (!getenv("LRLAB_DEFAULT_ALLOCATOR")) c10::SetCPUAllocator(&gMallocAligned, /*priority=*/1);
  Napi::Function gc = GeneratorWrap::Init(env);
  GeneratorWrap::ctor = new Napi::FunctionReference(Napi::Persistent(gc));
  exports.Set("Generator", gc);

  REG(zeros); REG(ones); REG(full); REG(arange); REG(eye); REG(fromBuffer);
  REG(randn); REG(rand); REG(randint); REG(randperm); REG(bernoulli); REG(normal_); REG(uniform_);
  REG(add); REG(sub); REG(mul); REG(div); REG(pow); REG(maximum); REG(minimum);
  REG(addS); REG(subS); REG(mulS); REG(divS); REG(powS); REG(maximumS); REG(minimumS);
  REG(eq); REG(ne); REG(lt); REG(le); REG(gt); REG(ge); REG(logicalAnd); REG(logicalOr);
  REG(eqS); REG(neS); REG(ltS); REG(leS); REG(gtS); REG(geS); REG(logicalAndS); REG(logicalOrS);
  REG(neg); REG(abs); REG(exp); REG(log); REG(log1p); REG(sqrt); REG(rsqrt); REG(square); REG(sign); REG(floor);
  REG(relu); REG(sigmoid); REG(tanh); REG(logSigmoid); REG(logicalNot); REG(isfinite); REG(softplus); REG(clamp);
  REG(where); REG(maskedFill);
  REG(matmul); REG(linear); REG(outer);
  REG(sum); REG(mean); REG(variance); REG(logsumexp); REG(norm); REG(maxAll); REG(minAll); REG(maxDim); REG(minDim);
  REG(argmax); REG(argmin);
  REG(reshape); REG(transpose); REG(permute); REG(squeeze); REG(unsqueeze); REG(expand); REG(repeat); REG(flatten);
  REG(narrow); REG(contiguous); REG(clone); REG(cat); REG(stack); REG(indexSelect); REG(gather); REG(maskedSelect);
  REG(nonzero); REG(indexCopy_); REG(indexAdd_);
  REG(conv2d); REG(batchNorm); REG(maxPool2d); REG(avgPool2d); REG(adaptiveAvgPool2d); REG(logSoftmax); REG(softmax);
  REG(crossEntropy);
  REG(bmm); REG(mmEach); REG(mmEachKernel); REG(reluGradMmEach); REG(mvEach); REG(mvEachKernel); REG(addEach_); REG(normalEach_); REG(addNormalEach_); REG(normalKernel); REG(thresholdBackward); REG(softplusBackward);
  REG(addAlpha); REG(add_); REG(add_S); REG(mul_); REG(mul_S); REG(copy_); REG(zero_); REG(fill_); REG(addcmul_);
  REG(setRequiresGrad); REG(requiresGrad); REG(isLeaf); REG(grad); REG(setGrad); REG(backward); REG(retainGrad);
  REG(detach); REG(setGradEnabled); REG(isGradEnabled);
  REG(shape); REG(dtype); REG(device); REG(numel); REG(item); REG(toBuffer); REG(to); REG(dispose); REG(liveTensors);
  REG(sameStorage);
  REG(setNumThreads); REG(getNumThreads); REG(setBlasThreads); REG(getBlasThreads); REG(cudaAvailable); REG(cudaDeviceCount); REG(setDeterministic);
  REG(config); REG(parallelInfo);
  return exports;
}

}  // namespace

NODE_API_MODULE(lrlab, Init)
