/*
 * afmp: Reno congestion control (RFC 5681), grown the way Linux's
 * tcp_reno_cong_avoid() grows it.
 *
 * Slow start adds one segment per segment acknowledged, capped at ssthresh
 * (RFC 5681 3.1 with RFC 3465's byte counting, L unbounded as in Linux);
 * what is left of the ACK goes to congestion avoidance, which adds one
 * segment per cwnd segments acknowledged through the st->cwnd_cnt credit.
 * Reno keeps no private state.
 */
#include "model/tcp/cc.h"

static void reno_init(struct mp_cc_state *st, mp_time_t now)
{
}

/* RFC 5681 3.1, eq. (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t reno_ssthresh(struct mp_cc_state *st, mp_time_t now)
{
    uint32_t half = st->in_flight >> 1;
    return half > 2 ? half : 2;
}

static void reno_cong_avoid(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    uint32_t acked = ack->acked;

    /* RFC 7661 / Linux: a window the sender does not use is not validated,
     * so it does not grow. */
    if (!ack->cwnd_limited)
        return;
    if (mp_cc_in_slow_start(st)) {
        acked = mp_cc_slow_start(st, acked);
        if (acked == 0)
            return;
    }
    /* RFC 5681 3.1: "cwnd += SMSS*SMSS/cwnd" per ACK is approximately one
     * segment per RTT; counting acknowledged segments makes it exact. */
    mp_cc_cong_avoid_ai(st, st->cwnd, acked);
}

/* Linux's tcp_reno_undo_cwnd(): the window before the reduction. */
static uint32_t reno_undo_cwnd(struct mp_cc_state *st)
{
    return st->cwnd > st->prior_cwnd ? st->cwnd : st->prior_cwnd;
}

static void reno_get_info(const struct mp_cc_state *st, struct mp_cc_info *out)
{
    mp_cc_info_add(out, "cwnd_cnt", st->cwnd_cnt);
}

const struct mp_cc_ops mp_cc_reno_ops = {
    .name = "reno",
    .init = reno_init,
    .ssthresh = reno_ssthresh,
    .cong_avoid = reno_cong_avoid,
    .undo_cwnd = reno_undo_cwnd,
    .get_info = reno_get_info,
};
