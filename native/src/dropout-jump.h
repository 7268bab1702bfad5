/*
 * Dropout masks drawn on several threads, equal to the serial ops_dropout_mask (ops.h) draw for
 * draw: the stream is cut into chunks of 2^14 draws and each chunk's starting state is reached
 * with a jump (dropout-jump.c), so the mask and the Rng's final state do not depend on `threads`.
 */
#ifndef SBERT_DROPOUT_JUMP_H
#define SBERT_DROPOUT_JUMP_H

#include <stddef.h>
#include <stdint.h>

void ops_dropout_mask_parallel(uint32_t state[4], float *mask, size_t n, double p, float keep, int threads);

#endif
