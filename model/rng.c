/* afmp: random streams (see rng.h). */
#include "model/rng.h"

#include <glib.h>
#include <string.h>

void mp_rng_derive(uint64_t seed, const char *name, struct mp_rng *out)
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t seed_le[8], digest[32];
    gsize dlen = sizeof(digest);

    /* The seed as 8 little-endian bytes, a separator, then the name: the
     * stream depends on (seed, name) only. */
    for (int i = 0; i < 8; i++)
        seed_le[i] = (uint8_t)(seed >> (8 * i));
    g_checksum_update(ck, seed_le, sizeof(seed_le));
    g_checksum_update(ck, (const guchar *)"/", 1);
    g_checksum_update(ck, (const guchar *)name, (gssize)strlen(name));
    g_checksum_get_digest(ck, digest, &dlen);
    g_checksum_free(ck);

    for (int w = 0; w < 4; w++) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v |= (uint64_t)digest[w * 8 + i] << (8 * i);
        out->s[w] = v;
    }
    /* xoshiro256** must not start from the all-zero state. */
    if (!(out->s[0] | out->s[1] | out->s[2] | out->s[3]))
        out->s[0] = UINT64_C(0x9e3779b97f4a7c15);
}

uint64_t mp_rng_below(struct mp_rng *r, uint64_t n)
{
    /* Lemire's nearly-divisionless method on the full 64-bit product. */
    unsigned __int128 m = (unsigned __int128)mp_rng_u64(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (unsigned __int128)mp_rng_u64(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
