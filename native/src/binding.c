/*
 * N-API glue: exports the synchronous GemmKernel of src/tensor/kernels.ts.
 *
 *   gemmNT(a, b, out, m, k, n, bias?)   out (m x n) = a (m x k) . b^T, b stored (n x k), + bias (n)
 *   gemmNN(a, b, out, m, k, n)          out (m x n) = a (m x k) . b, b stored (k x n)
 *   gemmTN(a, b, out, m, k, n)          out (m x n) = a^T . b, a stored (k x m), b stored (k x n)
 *   info()                              { isa: "avx512" | "avx2" | "generic", mr, nr, threads }
 *   setThreads(t)                       threads per call from now on (1 .. 64); returns the old value
 *   fmaPeak(seconds)                    one core's measured fp32 FMA rate in GFLOP/s with the chosen
 *                                       micro-kernel's instructions (0 for the generic one); see peak.c
 *   keepFreedMemory(mmapBytes, trimBytes) glibc heap tuning (heap.h); whether it applied
 *
 * and the row-wise / elementwise kernels of src/tensor/op-kernels.ts (see ops.h), with the same
 * argument order as their TypeScript references there: geluForward, geluBackward,
 * layerNormForward, layerNormBackward, embeddingScatterAdd, adamw, sumSquares, scale, softmaxCrossEntropy, addInto, add, mul, transpose, columnSums, dropoutMask
 * (which takes the Rng's live state words instead of the Rng), attentionForward (the dropout as its mask,
 * the Rng's live state words and p instead of { p, rng, mask }) and attentionBackward (attention.h).
 * Every kernel uses the same thread count as the GEMM (the pool in pool.h).
 *
 * Arrays are Float32Array (views allowed); a short array or a bad size throws instead of reading
 * past the end. The environment variable SBERT_GEMM_ISA=generic|avx2|avx512 picks a micro-kernel
 * (tests use it; an unsupported choice falls back to the best available one).
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "attention.h"
#include "dropout-jump.h"
#include "gemm.h"
#include "heap.h"
#include "ops.h"
#include "peak.h"

typedef struct {
  gemm_workspace ws;
  const gemm_isa *isa;
  int threads;
} addon_state;

static void finalize_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  addon_state *state = (addon_state *)data;
  gemm_workspace_free(&state->ws);
  free(state);
}

#define CHECK(call)                                                 \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error(env, "SBERT_GEMM", "N-API call failed: " #call); \
      return NULL;                                                  \
    }                                                               \
  } while (0)

/* Reads argument `index` as a Float32Array with at least `need` elements; NULL after throwing. */
static float *f32_arg(napi_env env, napi_value value, const char *name, size_t need, int *ok) {
  bool is_typed = false;
  *ok = 0;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, "SBERT_GEMM", name);
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, "SBERT_GEMM", name);
    return NULL;
  }
  if (length < need) {
    napi_throw_range_error(env, "SBERT_GEMM", name);
    return NULL;
  }
  *ok = 1;
  return (float *)data;
}

/* A typed array of `type` with at least `need` elements, or NULL after throwing. */
static void *typed_arg(napi_env env, napi_value value, napi_typedarray_type want, const char *name, size_t need, size_t *length_out, int *ok) {
  bool is_typed = false;
  *ok = 0;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok || type != want) {
    napi_throw_type_error(env, "SBERT_KERNEL", name);
    return NULL;
  }
  if (length < need) {
    napi_throw_range_error(env, "SBERT_KERNEL", name);
    return NULL;
  }
  if (length_out) *length_out = length;
  *ok = 1;
  return data == NULL ? (void *)"" : data; /* an empty array may have no buffer */
}

static int double_arg(napi_env env, napi_value value, double *out) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    napi_throw_type_error(env, "SBERT_KERNEL", "expected a number");
    return 0;
  }
  return 1;
}

static int size_arg(napi_env env, napi_value value, size_t *out) {
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0) || d > 2147483647.0 || floor(d) != d) {
    napi_throw_range_error(env, "SBERT_GEMM", "m, k and n must be integers in [0, 2^31)");
    return 0;
  }
  *out = (size_t)d;
  return 1;
}

/* layout: GEMM_B_T and / or GEMM_A_T (gemm.h) */
static napi_value gemm_call(napi_env env, napi_callback_info info, int layout) {
  const int b_transposed = (layout & GEMM_B_T) != 0;
  size_t argc = 7;
  napi_value argv[7];
  addon_state *state = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_instance_data(env, (void **)&state));
  if (argc < 6) {
    napi_throw_type_error(env, "SBERT_GEMM", "expected (a, b, out, m, k, n[, bias])");
    return NULL;
  }
  size_t m, k, n;
  if (!size_arg(env, argv[3], &m) || !size_arg(env, argv[4], &k) || !size_arg(env, argv[5], &n)) return NULL;
  int ok;
  const float *a = f32_arg(env, argv[0], "a must be a Float32Array of at least m*k elements", m * k, &ok);
  if (!ok) return NULL;
  const float *b = f32_arg(env, argv[1], "b must be a Float32Array of at least k*n elements", k * n, &ok);
  if (!ok) return NULL;
  float *out = f32_arg(env, argv[2], "out must be a Float32Array of at least m*n elements", m * n, &ok);
  if (!ok) return NULL;
  const float *bias = NULL;
  if (b_transposed && argc >= 7) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[6], &t));
    if (t != napi_undefined && t != napi_null) {
      bias = f32_arg(env, argv[6], "bias must be a Float32Array of at least n elements", n, &ok);
      if (!ok) return NULL;
    }
  }
  if (gemm_sgemm(&state->ws, state->isa, layout, m, k, n, a, b, out, bias, state->threads) != 0) {
    napi_throw_error(env, "SBERT_GEMM", "out of memory for the packed GEMM panels");
    return NULL;
  }
  return NULL;
}

static napi_value js_gemm_nt(napi_env env, napi_callback_info info) { return gemm_call(env, info, GEMM_B_T); }
static napi_value js_gemm_nn(napi_env env, napi_callback_info info) { return gemm_call(env, info, 0); }
static napi_value js_gemm_tn(napi_env env, napi_callback_info info) { return gemm_call(env, info, GEMM_A_T); }

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  addon_state *state = NULL;
  napi_value obj, isa, mr, nr, threads;
  CHECK(napi_get_instance_data(env, (void **)&state));
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_string_utf8(env, state->isa->name, NAPI_AUTO_LENGTH, &isa));
  CHECK(napi_create_int32(env, state->isa->mr, &mr));
  CHECK(napi_create_int32(env, state->isa->nr, &nr));
  CHECK(napi_create_int32(env, state->threads, &threads));
  CHECK(napi_set_named_property(env, obj, "isa", isa));
  CHECK(napi_set_named_property(env, obj, "mr", mr));
  CHECK(napi_set_named_property(env, obj, "nr", nr));
  CHECK(napi_set_named_property(env, obj, "threads", threads));
  return obj;
}

/* keepFreedMemory(mmapThresholdBytes, trimThresholdBytes) -> whether it applied (glibc); see heap.h */
static napi_value js_keep_freed_memory(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  double mmap_threshold = 0, trim_threshold = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_double(env, argv[0], &mmap_threshold) != napi_ok ||
      napi_get_value_double(env, argv[1], &trim_threshold) != napi_ok || !(mmap_threshold >= 0 && mmap_threshold <= 2147483647.0) ||
      !(trim_threshold >= 0 && trim_threshold <= 2147483647.0)) {
    napi_throw_range_error(env, "SBERT_GEMM", "keepFreedMemory(mmapThreshold, trimThreshold): byte counts in 0 .. 2^31 - 1");
    return NULL;
  }
  CHECK(napi_get_boolean(env, heap_keep_freed_memory((size_t)mmap_threshold, (size_t)trim_threshold) != 0, &result));
  return result;
}

static napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  addon_state *state = NULL;
  double seconds = 0.2;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_instance_data(env, (void **)&state));
  if (argc >= 1 && napi_get_value_double(env, argv[0], &seconds) != napi_ok) {
    napi_throw_type_error(env, "SBERT_GEMM", "fmaPeak(seconds): seconds must be a number");
    return NULL;
  }
  if (!(seconds > 0 && seconds <= 10)) {
    napi_throw_range_error(env, "SBERT_GEMM", "fmaPeak(seconds): seconds must be in (0, 10]");
    return NULL;
  }
  CHECK(napi_create_double(env, sbert_fma_peak_gflops(state->isa->name, seconds), &result));
  return result;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], previous;
  addon_state *state = NULL;
  size_t t = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_instance_data(env, (void **)&state));
  if (argc < 1 || !size_arg(env, argv[0], &t)) return NULL;
  if (t < 1 || t > 64) {
    napi_throw_range_error(env, "SBERT_GEMM", "threads must be between 1 and 64");
    return NULL;
  }
  CHECK(napi_create_int32(env, state->threads, &previous));
  state->threads = (int)t;
  return previous;
}


#define ARGS(count)                                                           \
  size_t argc = count;                                                        \
  napi_value argv[count];                                                     \
  addon_state *state = NULL;                                                  \
  int ok = 0;                                                                 \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                \
  CHECK(napi_get_instance_data(env, (void **)&state));                        \
  if (argc < count) {                                                         \
    napi_throw_type_error(env, "SBERT_KERNEL", "expected " #count " arguments"); \
    return NULL;                                                              \
  }
#define F32(i, need, len) (float *)typed_arg(env, argv[i], napi_float32_array, "argument " #i " must be a Float32Array of the right length", need, len, &ok); if (!ok) return NULL
#define F64(i, need) (double *)typed_arg(env, argv[i], napi_float64_array, "argument " #i " must be a Float64Array of the right length", need, NULL, &ok); if (!ok) return NULL

/* (x, out, tanhForm) and (x, g, dx, tanhForm) */
static napi_value js_gelu_forward(napi_env env, napi_callback_info info) {
  ARGS(3);
  size_t n = 0;
  const float *x = F32(0, 0, &n);
  float *y = F32(1, n, NULL);
  bool tanh_form = false;
  CHECK(napi_get_value_bool(env, argv[2], &tanh_form));
  ops_gelu_forward(x, y, n, tanh_form, state->threads);
  return NULL;
}

static napi_value js_gelu_backward(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t n = 0;
  const float *x = F32(0, 0, &n);
  const float *g = F32(1, n, NULL);
  float *dx = F32(2, n, NULL);
  bool tanh_form = false;
  CHECK(napi_get_value_bool(env, argv[3], &tanh_form));
  ops_gelu_backward(x, g, dx, n, tanh_form, state->threads);
  return NULL;
}

/* (x, gamma, beta, out, rows, c, eps) */
static napi_value js_layer_norm_forward(napi_env env, napi_callback_info info) {
  ARGS(7);
  size_t rows, c;
  double eps;
  if (!size_arg(env, argv[4], &rows) || !size_arg(env, argv[5], &c) || !double_arg(env, argv[6], &eps)) return NULL;
  const float *x = F32(0, rows * c, NULL);
  const float *gamma = F32(1, c, NULL);
  const float *beta = F32(2, c, NULL);
  float *y = F32(3, rows * c, NULL);
  ops_layer_norm_forward(x, gamma, beta, y, rows, c, eps, state->threads);
  return NULL;
}

/* (x, gamma, dy, dx | null, dgamma: Float64Array, dbeta: Float64Array, rows, c, eps) */
static napi_value js_layer_norm_backward(napi_env env, napi_callback_info info) {
  ARGS(9);
  size_t rows, c;
  double eps;
  if (!size_arg(env, argv[6], &rows) || !size_arg(env, argv[7], &c) || !double_arg(env, argv[8], &eps)) return NULL;
  const float *x = F32(0, rows * c, NULL);
  const float *gamma = F32(1, c, NULL);
  const float *dy = F32(2, rows * c, NULL);
  float *dx = NULL;
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[3], &t));
  if (t != napi_null && t != napi_undefined) {
    dx = F32(3, rows * c, NULL);
  }
  double *dg = F64(4, c);
  double *db = F64(5, c);
  ops_layer_norm_backward(x, gamma, dy, dx, dg, db, rows, c, eps, state->threads);
  return NULL;
}

/* (dst, g, ids: Int32Array, c) */
static napi_value js_embedding_scatter_add(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t c, count = 0, dst_len = 0;
  if (!size_arg(env, argv[3], &c)) return NULL;
  float *dst = F32(0, 0, &dst_len);
  const int32_t *ids = (const int32_t *)typed_arg(env, argv[2], napi_int32_array, "ids must be an Int32Array", 0, &count, &ok);
  if (!ok) return NULL;
  const float *g = F32(1, count * c, NULL);
  for (size_t i = 0; i < count; i++) {
    if (ids[i] < 0 || (size_t)ids[i] * c + c > dst_len) {
      napi_throw_range_error(env, "SBERT_KERNEL", "embeddingScatterAdd: an id is outside the table");
      return NULL;
    }
  }
  ops_embedding_scatter_add(dst, g, ids, count, c);
  return NULL;
}

/* (w, g, m, v, beta1, beta2, stepSize, bc2Sqrt, decay, eps) */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  ARGS(10);
  size_t n = 0;
  float *w = F32(0, 0, &n);
  const float *g = F32(1, n, NULL);
  float *m = F32(2, n, NULL);
  float *v = F32(3, n, NULL);
  ops_adamw_hyper h;
  if (!double_arg(env, argv[4], &h.beta1) || !double_arg(env, argv[5], &h.beta2) || !double_arg(env, argv[6], &h.step_size) ||
      !double_arg(env, argv[7], &h.bc2_sqrt) || !double_arg(env, argv[8], &h.decay) || !double_arg(env, argv[9], &h.eps))
    return NULL;
  ops_adamw(w, g, m, v, n, &h, state->threads);
  return NULL;
}

static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  ARGS(1);
  size_t n = 0;
  const float *x = F32(0, 0, &n);
  napi_value out;
  CHECK(napi_create_double(env, ops_sum_squares(x, n), &out));
  return out;
}

static napi_value js_scale(napi_env env, napi_callback_info info) {
  ARGS(2);
  size_t n = 0;
  float *x = F32(0, 0, &n);
  double s;
  if (!double_arg(env, argv[1], &s)) return NULL;
  ops_scale(x, n, s, state->threads);
  return NULL;
}

/* (x, n, c, labels: Int32Array, excluded: Uint8Array | null, probs: Float64Array) -> total */
static napi_value js_softmax_cross_entropy(napi_env env, napi_callback_info info) {
  ARGS(6);
  (void)state;
  size_t n, c;
  if (!size_arg(env, argv[1], &n) || !size_arg(env, argv[2], &c)) return NULL;
  const float *x = F32(0, n * c, NULL);
  const int32_t *labels = (const int32_t *)typed_arg(env, argv[3], napi_int32_array, "labels must be an Int32Array of n labels", n, NULL, &ok);
  if (!ok) return NULL;
  const uint8_t *excluded = NULL;
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[4], &t));
  if (t != napi_null && t != napi_undefined) {
    excluded = (const uint8_t *)typed_arg(env, argv[4], napi_uint8_array, "excluded must be a Uint8Array of n*c flags", n * c, NULL, &ok);
    if (!ok) return NULL;
  }
  double *probs = F64(5, n * c);
  for (size_t r = 0; r < n; r++) {
    if (labels[r] < 0 || (size_t)labels[r] >= c) {
      napi_throw_range_error(env, "SBERT_KERNEL", "softmaxCrossEntropy: a label is not a class");
      return NULL;
    }
  }
  napi_value out;
  CHECK(napi_create_double(env, ops_softmax_cross_entropy(x, n, c, labels, excluded, probs), &out));
  return out;
}

/* (dst, src) */
static napi_value js_add_into(napi_env env, napi_callback_info info) {
  ARGS(2);
  size_t n = 0;
  float *dst = F32(0, 0, &n);
  const float *src = F32(1, n, NULL);
  ops_add_into(dst, src, n, state->threads);
  return NULL;
}

/* (a, b, out): out = a + b or a · b, all one length */
static napi_value binary(napi_env env, napi_callback_info info, int mul) {
  ARGS(3);
  size_t n = 0;
  const float *a = F32(0, 0, &n);
  const float *b = F32(1, n, NULL);
  float *out = F32(2, n, NULL);
  ops_binary(a, b, out, n, mul, state->threads);
  return NULL;
}
static napi_value js_add(napi_env env, napi_callback_info info) { return binary(env, info, 0); }
static napi_value js_mul(napi_env env, napi_callback_info info) { return binary(env, info, 1); }

/* (data, rows, cols, out) */
static napi_value js_transpose(napi_env env, napi_callback_info info) {
  ARGS(4);
  (void)state;
  size_t rows, cols;
  if (!size_arg(env, argv[1], &rows) || !size_arg(env, argv[2], &cols)) return NULL;
  const float *data = F32(0, rows * cols, NULL);
  float *out = F32(3, rows * cols, NULL);
  ops_transpose(data, rows, cols, out);
  return NULL;
}

/* (g, rows, cols, out: Float64Array) */
static napi_value js_column_sums(napi_env env, napi_callback_info info) {
  ARGS(4);
  (void)state;
  size_t rows, cols;
  if (!size_arg(env, argv[1], &rows) || !size_arg(env, argv[2], &cols)) return NULL;
  const float *g = F32(0, rows * cols, NULL);
  double *out = F64(3, cols);
  ops_column_sums(g, rows, cols, out);
  return NULL;
}

/* (state: Uint32Array(4), mask, p, keep) */
static napi_value js_dropout_mask(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t n = 0;
  uint32_t *words = (uint32_t *)typed_arg(env, argv[0], napi_uint32_array, "state must be a Uint32Array of 4 words", 4, NULL, &ok);
  if (!ok) return NULL;
  float *mask = F32(1, 0, &n);
  double p, keep;
  if (!double_arg(env, argv[2], &p) || !double_arg(env, argv[3], &keep)) return NULL;
  ops_dropout_mask_parallel(words, mask, n, p, (float)keep, state->threads);
  return NULL;
}

/* dims: the AttentionDims object of src/tensor/attention-kernel.ts; 0 after throwing. */
static int attn_dims_arg(napi_env env, napi_value obj, attn_dims *dm) {
  static const char *const sizes[] = {"batch", "seqLen", "heads", "kvHeads", "headDim"};
  size_t *const out[] = {&dm->batch, &dm->t, &dm->heads, &dm->kv_heads, &dm->d};
  napi_value value;
  for (int i = 0; i < 5; i++) {
    if (napi_get_named_property(env, obj, sizes[i], &value) != napi_ok || !size_arg(env, value, out[i])) return 0;
  }
  bool causal = false, per_batch = false;
  if (napi_get_named_property(env, obj, "scale", &value) != napi_ok || !double_arg(env, value, &dm->scale) ||
      napi_get_named_property(env, obj, "window", &value) != napi_ok || !double_arg(env, value, &dm->window))
    return 0;
  if (napi_get_named_property(env, obj, "causal", &value) != napi_ok || napi_get_value_bool(env, value, &causal) != napi_ok ||
      napi_get_named_property(env, obj, "biasPerBatch", &value) != napi_ok ||
      napi_get_value_bool(env, value, &per_batch) != napi_ok) {
    napi_throw_type_error(env, "SBERT_KERNEL", "attention dims: causal and biasPerBatch must be booleans");
    return 0;
  }
  dm->causal = causal;
  dm->bias_per_batch = per_batch;
  if (dm->heads > 0 && (dm->kv_heads == 0 || dm->heads % dm->kv_heads != 0)) {
    napi_throw_range_error(env, "SBERT_KERNEL", "attention dims: kvHeads must divide heads");
    return 0;
  }
  /* every array below holds at most this many elements, so the products cannot overflow */
  const double lim = 281474976710656.0; /* 2^48 */
  const double bt = (double)dm->batch * (double)dm->t, tt = (double)dm->t * (double)dm->t;
  if (bt * (double)dm->heads * (double)dm->d > lim || (double)dm->batch * (double)dm->heads * tt > lim) {
    napi_throw_range_error(env, "SBERT_KERNEL", "attention dims: too large");
    return 0;
  }
  return 1;
}

static int is_nullish(napi_env env, napi_value value) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, value, &t);
  return t == napi_null || t == napi_undefined;
}

#define U8(i, need) (const uint8_t *)typed_arg(env, argv[i], napi_uint8_array, "argument " #i " must be a Uint8Array of the right length", need, NULL, &ok); if (!ok) return NULL

/* (q, k, v, keyMask: Uint8Array, bias | null, dims, out, probs | null, dropMask | null, rngState: Uint32Array(4) | null, p) */
static napi_value js_attention_forward(napi_env env, napi_callback_info info) {
  ARGS(11);
  attn_dims dm;
  if (!attn_dims_arg(env, argv[5], &dm)) return NULL;
  const size_t rows = dm.batch * dm.t, nprob = dm.batch * dm.heads * dm.t * dm.t;
  const float *q = F32(0, rows * dm.heads * dm.d, NULL);
  const float *k = F32(1, rows * dm.kv_heads * dm.d, NULL);
  const float *v = F32(2, rows * dm.kv_heads * dm.d, NULL);
  const uint8_t *key_mask = U8(3, rows);
  const float *bias = NULL;
  if (!is_nullish(env, argv[4])) {
    bias = F32(4, (dm.bias_per_batch ? dm.batch : 1) * dm.heads * dm.t * dm.t, NULL);
  }
  float *out = F32(6, rows * dm.heads * dm.d, NULL);
  float *probs = NULL, *drop = NULL;
  if (!is_nullish(env, argv[7])) {
    probs = F32(7, nprob, NULL);
  }
  uint32_t *words = NULL;
  double p = 0;
  if (!is_nullish(env, argv[8])) {
    drop = F32(8, nprob, NULL);
    words = (uint32_t *)typed_arg(env, argv[9], napi_uint32_array, "rngState must be a Uint32Array of 4 words", 4, NULL, &ok);
    if (!ok) return NULL;
    if (!double_arg(env, argv[10], &p)) return NULL;
    if (!(p >= 0 && p < 1)) {
      napi_throw_range_error(env, "SBERT_KERNEL", "attention dropout p must be in [0, 1)");
      return NULL;
    }
  }
  if (attn_forward(q, k, v, key_mask, bias, &dm, out, probs, drop, words, p, state->threads) != 0) {
    napi_throw_error(env, "SBERT_KERNEL", "out of memory for the attention scratch");
  }
  return NULL;
}

/* (q, k, v, keyMask, dims, probs, g, dropMask | null, dq, dk, dv: Float64Array, dBias: Float64Array | null) */
static napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  ARGS(12);
  attn_dims dm;
  if (!attn_dims_arg(env, argv[4], &dm)) return NULL;
  const size_t rows = dm.batch * dm.t, nprob = dm.batch * dm.heads * dm.t * dm.t;
  const size_t nq = rows * dm.heads * dm.d, nkv = rows * dm.kv_heads * dm.d;
  const float *q = F32(0, nq, NULL);
  const float *k = F32(1, nkv, NULL);
  const float *v = F32(2, nkv, NULL);
  const uint8_t *key_mask = U8(3, rows);
  const float *probs = F32(5, nprob, NULL);
  const float *g = F32(6, nq, NULL);
  const float *drop = NULL;
  if (!is_nullish(env, argv[7])) {
    drop = F32(7, nprob, NULL);
  }
  float *dq = F32(8, nq, NULL);
  float *dk = F32(9, nkv, NULL);
  float *dv = F32(10, nkv, NULL);
  double *dbias = NULL;
  if (!is_nullish(env, argv[11])) {
    dbias = F64(11, (dm.bias_per_batch ? dm.batch : 1) * dm.heads * dm.t * dm.t);
  }
  if (attn_backward(q, k, v, key_mask, &dm, probs, g, drop, dq, dk, dv, dbias, state->threads) != 0) {
    napi_throw_error(env, "SBERT_KERNEL", "out of memory for the attention scratch");
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  addon_state *state = (addon_state *)calloc(1, sizeof *state);
  if (!state) {
    napi_throw_error(env, "SBERT_GEMM", "out of memory");
    return NULL;
  }
  state->isa = gemm_select_isa(getenv("SBERT_GEMM_ISA"));
  state->threads = 1;
  if (napi_set_instance_data(env, state, finalize_state, NULL) != napi_ok) {
    free(state);
    napi_throw_error(env, "SBERT_GEMM", "napi_set_instance_data failed");
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"gemmNT", NULL, js_gemm_nt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gemmNN", NULL, js_gemm_nn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gemmTN", NULL, js_gemm_tn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fmaPeak", NULL, js_fma_peak, NULL, NULL, NULL, napi_enumerable, NULL},
      {"keepFreedMemory", NULL, js_keep_freed_memory, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geluForward", NULL, js_gelu_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geluBackward", NULL, js_gelu_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormForward", NULL, js_layer_norm_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormBackward", NULL, js_layer_norm_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"embeddingScatterAdd", NULL, js_embedding_scatter_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamw", NULL, js_adamw, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumSquares", NULL, js_sum_squares, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scale", NULL, js_scale, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropoutMask", NULL, js_dropout_mask, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addInto", NULL, js_add_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"add", NULL, js_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mul", NULL, js_mul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxCrossEntropy", NULL, js_softmax_cross_entropy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"transpose", NULL, js_transpose, NULL, NULL, NULL, napi_enumerable, NULL},
      {"columnSums", NULL, js_column_sums, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionForward", NULL, js_attention_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionBackward", NULL, js_attention_backward, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
