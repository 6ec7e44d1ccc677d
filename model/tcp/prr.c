/*
 * afmp: Proportional Rate Reduction arithmetic (prr.h).
 */
#include "model/tcp/prr.h"

void mp_prr_init(struct mp_prr *p, uint64_t recover_fs, uint64_t ssthresh, uint32_t smss,
                 enum mp_prr_bound bound)
{
    p->smss = smss ? smss : 1;
    p->prr_delivered = 0;
    p->prr_out = 0;
    p->recover_fs = recover_fs ? recover_fs : p->smss;
    p->ssthresh = ssthresh;
    p->bound = bound;
    p->last_rb = 0;
}

/* CEIL(a * b / c) without overflow for the sizes TCP sees: a and b below
 * 2^32 segments or bytes each keep the product in 64 bits; beyond that,
 * split a. */
static uint64_t mul_div_ceil(uint64_t a, uint64_t b, uint64_t c)
{
    if (a < (UINT64_C(1) << 32) && b < (UINT64_C(1) << 32))
        return (a * b + c - 1) / c;
    /* a * b / c = (a / c) * b + (a % c) * b / c, each part in range when
     * c < 2^32 (the second part may still be large; TCP never gets here). */
    uint64_t q = a / c, r = a % c;
    return q * b + (r * b + c - 1) / c;
}

uint64_t mp_prr_on_ack(struct mp_prr *p, uint64_t delivered, uint64_t pipe, bool safe_ack)
{
    int64_t sndcnt;

    p->prr_delivered += delivered;
    p->last_rb = 0;
    if (pipe > p->ssthresh) {
        /* RFC 6937 3: "Proportional Rate Reduction". */
        uint64_t allowed = mul_div_ceil(p->prr_delivered, p->ssthresh, p->recover_fs);
        sndcnt = (int64_t)allowed - (int64_t)p->prr_out;
        p->last_rb = MP_PRR_RB_PROP;
    } else {
        /* RFC 6937 3: "Two versions of the Reduction Bound". The banked
         * credit goes negative once SSRB sent ahead of delivery. */
        int64_t banked = (int64_t)p->prr_delivered - (int64_t)p->prr_out;
        int64_t limit;
        uint32_t rb;
        if (p->bound == MP_PRR_CRB) {
            limit = banked;
            rb = MP_PRR_RB_B;
        } else {
            int64_t d = (int64_t)delivered;
            limit = banked > d ? banked : d;
            rb = banked == d ? MP_PRR_RB_B | MP_PRR_RB_D : banked > d ? MP_PRR_RB_B : MP_PRR_RB_D;
            if (p->bound == MP_PRR_SSRB || safe_ack)
                limit += p->smss;
        }
        int64_t room = (int64_t)(p->ssthresh - pipe);
        if (room < limit) {
            sndcnt = room;
            p->last_rb = MP_PRR_RB_S;
        } else {
            sndcnt = limit;
            p->last_rb = room == limit ? rb | MP_PRR_RB_S : rb;
        }
    }
    if (sndcnt < 0)
        sndcnt = 0;
    /* Linux and RFC 9937: the first ACK of recovery always lets the fast
     * retransmission out, whatever the arithmetic says. */
    if (p->prr_out == 0 && sndcnt < (int64_t)p->smss) {
        sndcnt = p->smss;
        p->last_rb |= MP_PRR_RB_FORCED;
    }
    return (uint64_t)sndcnt;
}
