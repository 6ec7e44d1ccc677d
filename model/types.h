/*
 * afmp: basic types shared by every layer.
 *
 * Time is an unsigned 64-bit count of nanoseconds of simulated time; there is
 * no floating-point time anywhere in the engine or the protocols, so that a
 * scenario and a seed give the same bytes on every machine.
 */
#ifndef MP_TYPES_H
#define MP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t mp_time_t;

/* The deadline that never comes. */
#define MP_TIME_NEVER UINT64_MAX

#define MP_NS(x) ((mp_time_t)(x))
#define MP_US(x) ((mp_time_t)(x) * UINT64_C(1000))
#define MP_MS(x) ((mp_time_t)(x) * UINT64_C(1000000))
#define MP_S(x) ((mp_time_t)(x) * UINT64_C(1000000000))

/* An IPv4 or IPv6 address. IPv4 lives in b[0..3] in network order; the rest
 * of b is zero so that two addresses compare with memcmp. */
struct mp_ip {
    uint8_t v; /* 4 or 6; 0 for "none" */
    uint8_t b[16];
};

/* An address and a port (host order), the transport endpoint. */
struct mp_endpoint {
    struct mp_ip ip;
    uint16_t port;
};

static inline bool mp_ip_eq(const struct mp_ip *a, const struct mp_ip *b)
{
    if (a->v != b->v)
        return false;
    for (int i = 0; i < (a->v == 4 ? 4 : 16); i++)
        if (a->b[i] != b->b[i])
            return false;
    return true;
}

static inline size_t mp_ip_len(const struct mp_ip *a)
{
    return a->v == 4 ? 4 : 16;
}

#define MP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
