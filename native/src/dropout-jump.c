/*
 * See dropout-jump.h. xoshiro128** (random.ts's Rng) advances its 128-bit state by a map that is
 * linear over GF(2): next = T · state. So 2^14 steps are one 128 × 128 bit matrix M = T^(2^14),
 * built once by squaring, and the state at the start of chunk c is M^c · state: each thread draws
 * its own chunks from the right place in the one stream, and the mask is the serial mask.
 */
#include "dropout-jump.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "pool.h"

enum { JUMP_LOG2 = 14, JUMP = 1 << JUMP_LOG2 };
#define PAR_MIN_DRAWS ((size_t)1 << 16)

typedef struct {
  uint32_t w[4];
} state128;

/* the state update of Rng.nextUint32 (the output function is not part of it) */
static state128 step(state128 s) {
  const uint32_t t = s.w[1] << 9;
  s.w[2] ^= s.w[0];
  s.w[3] ^= s.w[1];
  s.w[1] ^= s.w[2];
  s.w[0] ^= s.w[3];
  s.w[2] ^= t;
  s.w[3] = (s.w[3] << 11) | (s.w[3] >> 21);
  return s;
}

/* m · s, m given by its 128 columns (the images of the unit states) */
static state128 apply(const state128 *m, state128 s) {
  state128 out = {{0, 0, 0, 0}};
  for (int b = 0; b < 128; b++)
    if ((s.w[b >> 5] >> (b & 31)) & 1u)
      for (int i = 0; i < 4; i++) out.w[i] ^= m[b].w[i];
  return out;
}

static state128 jump_matrix[128];
static int jump_ready;

static void build_jump(void) {
  state128 sq[128];
  for (int b = 0; b < 128; b++) {
    state128 e = {{0, 0, 0, 0}};
    e.w[b >> 5] = 1u << (b & 31);
    jump_matrix[b] = step(e);
  }
  for (int k = 0; k < JUMP_LOG2; k++) { /* M ← M · M */
    for (int b = 0; b < 128; b++) sq[b] = apply(jump_matrix, jump_matrix[b]);
    memcpy(jump_matrix, sq, sizeof sq);
  }
  jump_ready = 1;
}

typedef struct {
  state128 *starts;
  float *mask;
  size_t n;
  double p;
  float keep;
} job;

static void chunk_task(void *ctx, size_t task, int worker) {
  (void)worker;
  job *j = (job *)ctx;
  const size_t begin = task * JUMP, end = begin + JUMP < j->n ? begin + JUMP : j->n;
  ops_dropout_mask(j->starts[task].w, j->mask + begin, end - begin, j->p, j->keep); /* leaves its end state there */
}

void ops_dropout_mask_parallel(uint32_t state[4], float *mask, size_t n, double p, float keep, int threads) {
  const size_t chunks = (n + JUMP - 1) / JUMP;
  state128 *starts = threads > 1 && n >= PAR_MIN_DRAWS ? (state128 *)malloc(chunks * sizeof *starts) : NULL;
  if (!starts) {
    ops_dropout_mask(state, mask, n, p, keep);
    return;
  }
  if (!jump_ready) build_jump(); /* pool_run runs one job at a time and this is called from the JS thread only */
  memcpy(starts[0].w, state, sizeof starts[0].w);
  for (size_t c = 1; c < chunks; c++) starts[c] = apply(jump_matrix, starts[c - 1]);
  job j = {starts, mask, n, p, keep};
  pool_run(threads, chunks, chunk_task, &j);
  memcpy(state, starts[chunks - 1].w, sizeof starts[0].w); /* the last chunk's end state: the serial one */
  free(starts);
}
