/*
 * afmp: random streams.
 *
 * Every random choice in a simulation comes from a stream derived from
 * hash(seed, stable object name), e.g. "host/client/tcp/isn" or
 * "link/l1/loss". A stream never depends on creation order or on pointers, so
 * adding an object changes nobody else's draws. The generator is
 * xoshiro256**; the seed state comes from SHA-256(seed || name).
 *
 * No floating point: probabilities are 32-bit fractions of 2^32 so the same
 * seed gives the same draws on every machine.
 */
#ifndef MP_RNG_H
#define MP_RNG_H

#include "model/types.h"

struct mp_rng {
    uint64_t s[4];
};

/* Fills |out| with the stream named |name| under |seed|. */
void mp_rng_derive(uint64_t seed, const char *name, struct mp_rng *out);

static inline uint64_t mp_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t mp_rng_u64(struct mp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = mp_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = mp_rng_rotl(s[3], 45);
    return result;
}

static inline uint32_t mp_rng_u32(struct mp_rng *r)
{
    return (uint32_t)(mp_rng_u64(r) >> 32);
}

/* Uniform in [0, n), unbiased (Lemire's multiply-and-reject). n > 0. */
uint64_t mp_rng_below(struct mp_rng *r, uint64_t n);

/* True with probability p32 / 2^32. p32 = UINT32_MAX is "almost always";
 * use mp_prob_from_ppm() and friends to build p32. */
static inline bool mp_rng_chance(struct mp_rng *r, uint32_t p32)
{
    return mp_rng_u32(r) < p32;
}

/* Probability conversions (integer arithmetic, exact rounding down). */
static inline uint32_t mp_prob_from_ppm(uint32_t ppm)
{
    if (ppm >= 1000000)
        return UINT32_MAX;
    return (uint32_t)(((uint64_t)ppm << 32) / 1000000);
}

#endif
