/*
 * afmp: TCP sequence-number arithmetic.
 *
 * RFC 9293 3.4: sequence numbers live in a 32-bit space that wraps, so
 * "a < b" means "a comes before b" within half the space (2^31), computed
 * on the signed difference. Every comparison of sequence numbers in
 * model/tcp goes through these helpers; a plain `<` on two sequence numbers
 * is a bug that shows only after 4 GiB.
 *
 * The helpers are only meaningful for numbers less than 2^31 apart; TCP
 * guarantees that for everything in flight (the window is at most 2^30,
 * RFC 7323 2.3).
 *
 * Also here: the SACK block (RFC 2018 3), shared by the retransmission
 * queue (which consumes blocks) and the reassembly queue (which produces
 * them).
 */
#ifndef MP_TCP_SEQ_H
#define MP_TCP_SEQ_H

#include "model/types.h"

/* Signed distance from |b| to |a|: positive when |a| is after |b|. The
 * conversion of an unsigned difference to int32_t wraps (two's complement)
 * on every compiler afmp supports. */
static inline int32_t mp_seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static inline bool mp_seq_lt(uint32_t a, uint32_t b)
{
    return mp_seq_diff(a, b) < 0;
}

static inline bool mp_seq_leq(uint32_t a, uint32_t b)
{
    return mp_seq_diff(a, b) <= 0;
}

static inline bool mp_seq_gt(uint32_t a, uint32_t b)
{
    return mp_seq_diff(a, b) > 0;
}

static inline bool mp_seq_geq(uint32_t a, uint32_t b)
{
    return mp_seq_diff(a, b) >= 0;
}

static inline uint32_t mp_seq_max(uint32_t a, uint32_t b)
{
    return mp_seq_gt(a, b) ? a : b;
}

static inline uint32_t mp_seq_min(uint32_t a, uint32_t b)
{
    return mp_seq_lt(a, b) ? a : b;
}

/* True when lo <= s < hi (the half-open range may wrap around 2^32). An
 * empty range (lo == hi) holds nothing. Unsigned offsets from |lo| make it
 * exact for any range shorter than 2^32, not just 2^31. */
static inline bool mp_seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
    return s - lo < hi - lo;
}

/* True when lo <= s <= hi. */
static inline bool mp_seq_in_closed(uint32_t s, uint32_t lo, uint32_t hi)
{
    return s - lo <= hi - lo;
}

/* RFC 9293 3.10.7.4, the segment acceptability test: does a segment of
 * |len| sequence numbers (data plus SYN and FIN) starting at |seq| overlap
 * the receive window [rcv_nxt, rcv_nxt + rcv_wnd)? The four cases of the
 * RFC's table: a zero-length segment is acceptable when it sits at rcv_nxt
 * (zero window) or inside the window; a segment with data needs a zero
 * window to be refused outright, else its first or last octet must fall in
 * the window. */
static inline bool mp_seq_acceptable(uint32_t seq, uint32_t len, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
    if (len == 0) {
        if (rcv_wnd == 0)
            return seq == rcv_nxt;
        return mp_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd);
    }
    if (rcv_wnd == 0)
        return false;
    return mp_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd) ||
           mp_seq_in(seq + len - 1, rcv_nxt, rcv_nxt + rcv_wnd);
}

/* A SACK block (RFC 2018 3): the receiver holds [start, end). */
struct mp_sack_block {
    uint32_t start;
    uint32_t end;
};

/* At most four blocks fit in the 40 bytes of TCP options (2 + 4 * 8 = 34),
 * three when timestamps are on (RFC 2018 3). */
#define MP_SACK_MAX_BLOCKS 4u

#endif
