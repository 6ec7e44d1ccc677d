/*
 * afmp: CUBIC congestion control (RFC 9438) as Linux's tcp_cubic behaves,
 * with HyStart++ (RFC 9406) to leave the initial slow start.
 *
 * Integer arithmetic throughout. The cubic curve runs on a clock of
 * 2^-10 s units (Linux's BICTCP_HZ) so that (t - K)^3 fits in 64 bits;
 * times are kept in ns and converted at the last moment. Where Linux and
 * the RFC differ, Linux wins, and the comment says so:
 *  - beta is 717/1024 (RFC: 0.7), C is 0.4 exactly (Linux: 410/1024);
 *  - the growth target is W_cubic(t + min RTT) turned into "segments
 *    acknowledged per +1 segment" (cnt) for the shared AI counter, with at
 *    least 2 (cwnd grows at most 1.5x per RTT, RFC 9438 4.4's bound);
 *  - before the first loss (W_max = 0) cnt is at most 20 (5% per RTT);
 *  - the Reno-friendly estimate grows one segment per cwnd * 15/8 segments
 *    acknowledged (alpha = 8/15, close to RFC 9438's 3(1-b)/(1+b)), and
 *    alpha stays there after W_est passes W_max (RFC 9438 4.3 says 1);
 *  - ssthresh = cwnd * beta (RFC 9438 4.6 allows cwnd for flight_size when
 *    growth is limited to cwnd-limited periods, which cong_avoid does);
 *  - cnt is recomputed at most once per 1 ms tick, and not at all within
 *    31 ms (HZ/32) while cwnd is unchanged;
 *  - RTT samples within 1 s of an epoch start do not update the min RTT.
 * HyStart++ replaces Linux's HyStart (ACK train and delay): it runs only
 * while ssthresh still has its initial value (RFC 9406 4.1).
 */
#include "model/tcp/cc.h"

#include <string.h>

#include "model/tcp/seq.h"

#define BETA_SCALE 1024u
#define BETA 717u /* RFC 9438 4.6: beta_cubic = 0.7 */
/* One segment of Reno-friendly growth per cwnd * FRIENDLY_SCALE / 8 segments
 * acknowledged: 8 * (1 + b) / (3 * (1 - b)) in Linux's integer form (15). */
#define FRIENDLY_SCALE (8u * (BETA_SCALE + BETA) / 3u / (BETA_SCALE - BETA))
#define NS_PER_S UINT64_C(1000000000)
/* Linux recomputes cnt at most once per jiffy and, with cwnd unchanged,
 * once per HZ/32; afmp's tick is 1 ms (HZ = 1000). */
#define TICK_NS MP_MS(1)
#define RECALC_HOLD_NS MP_MS(31)
#define DELAY_SKIP_NS MP_S(1)
#define OFFS_MAX (UINT64_C(1) << 20)

/* RFC 9406 4.3 constants. */
#define HS_MIN_RTT_THRESH MP_MS(4)
#define HS_MAX_RTT_THRESH MP_MS(16)
#define HS_MIN_RTT_DIVISOR 8u
#define HS_N_RTT_SAMPLE 8u
#define HS_CSS_GROWTH_DIVISOR 4u
#define HS_CSS_ROUNDS 5u
#define HS_L_UNPACED 8u /* RFC 9406 4.3: L = 8 for non-paced senders */
#define HS_INF MP_TIME_NEVER

enum hs_state {
    HS_SS,   /* standard slow start, watching the RTT */
    HS_CSS,  /* conservative slow start */
    HS_DONE, /* left for congestion avoidance, or a loss happened */
};

struct cubic {
    uint32_t cnt;           /* segments acknowledged per +1 segment of cwnd */
    uint32_t w_max;         /* W_max: cwnd before the last reduction (0: none yet) */
    uint32_t last_cwnd;     /* cwnd when cnt was last computed */
    uint32_t origin;        /* the curve's plateau (W_max, or cwnd if above it) */
    uint32_t k;             /* K in 2^-10 s */
    uint32_t ack_cnt;       /* acknowledged segments not yet turned into w_est */
    uint32_t w_est;         /* Reno-friendly window estimate (RFC 9438 4.3) */
    uint32_t hs_samples;    /* rttSampleCount */
    uint32_t hs_window_end; /* windowEnd */
    uint32_t hs_css_acc;    /* CSS growth credit in segments */
    uint8_t hs_state;
    uint8_t hs_css_rounds;
    bool hs_round_valid;
    mp_time_t last_time;   /* when cnt was last computed */
    mp_time_t epoch_start; /* MP_TIME_NEVER: no epoch */
    mp_time_t delay_min;   /* smallest RTT seen, 0 for none */
    mp_time_t hs_last_min; /* lastRoundMinRTT (HS_INF: none) */
    mp_time_t hs_cur_min;  /* currentRoundMinRTT */
    mp_time_t hs_css_base; /* cssBaselineMinRtt */
};

_Static_assert(sizeof(struct cubic) <= MP_CC_PRIV_SIZE, "cubic state exceeds the private area");

uint32_t mp_cc_cubic_root(uint64_t x)
{
    if (x == 0)
        return 0;
    /* Start above the root (2^ceil(bits/3)) and run integer Newton steps
     * y' = (2y + x/y^2) / 3 down: from above they decrease monotonically
     * until they reach floor(cbrt(x)) and then stop decreasing. */
    int bits = 64 - __builtin_clzll(x);
    uint64_t y = UINT64_C(1) << ((bits + 2) / 3);
    for (;;) {
        uint64_t next = (2 * y + x / (y * y)) / 3;
        if (next >= y)
            break;
        y = next;
    }
    /* The fixed point can sit one above the root for small x; settle it
     * exactly. 2642245 is floor(cbrt(2^64 - 1)). */
    while (y * y * y > x)
        y--;
    while (y < 2642245 && (y + 1) * (y + 1) * (y + 1) <= x)
        y++;
    return (uint32_t)y;
}

uint32_t mp_cc_cubic_k(uint32_t w_max, uint32_t cwnd)
{
    if (cwnd >= w_max)
        return 0;
    /* RFC 9438 4.2, eq. 2: K = cbrt((W_max - cwnd_epoch) / C). In 2^-10 s
     * units K^3 = dW / C * 2^30 = dW * 5 * 2^29 (C = 2/5); dW < 2^32 keeps
     * it below 2^64. */
    uint64_t dw = (uint64_t)(w_max - cwnd);
    return mp_cc_cubic_root(dw * 5 << 29);
}

uint32_t mp_cc_cubic_w(uint32_t origin, uint32_t k, mp_time_t t)
{
    /* 2^53 ns is 104 days: far beyond any epoch, and << 10 stays in range. */
    if (t > (UINT64_C(1) << 53))
        t = UINT64_C(1) << 53;
    uint64_t tu = (t << MP_CC_CUBIC_HZ_SHIFT) / NS_PER_S;
    uint64_t offs = tu >= k ? tu - k : k - tu;
    if (offs > OFFS_MAX)
        offs = OFFS_MAX;
    /* C * offs^3 in segments: offs^3 <= 2^60, times 2 (C = 2/5) fits. */
    uint64_t delta = 2 * offs * offs * offs / (UINT64_C(5) << (3 * MP_CC_CUBIC_HZ_SHIFT));
    if (tu >= k) {
        uint64_t w = (uint64_t)origin + delta;
        return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
    }
    return delta >= origin ? 0 : origin - (uint32_t)delta;
}

static void hs_reset(struct cubic *ca)
{
    ca->hs_state = HS_SS;
    ca->hs_round_valid = false;
    ca->hs_samples = 0;
    ca->hs_css_rounds = 0;
    ca->hs_css_acc = 0;
    ca->hs_last_min = HS_INF;
    ca->hs_cur_min = HS_INF;
    ca->hs_css_base = HS_INF;
}

static void cubic_reset(struct cubic *ca)
{
    memset(ca, 0, sizeof(*ca));
    ca->epoch_start = MP_TIME_NEVER;
}

static void cubic_init(struct mp_cc_state *st, mp_time_t now)
{
    struct cubic *ca = mp_cc_priv(st);
    cubic_reset(ca);
    hs_reset(ca);
}

/* RFC 9406 4.1: HyStart++ is for the initial slow start only. */
static bool hs_active(const struct mp_cc_state *st, const struct cubic *ca)
{
    return ca->hs_state != HS_DONE && st->ssthresh == MP_CC_INFINITE_SSTHRESH;
}

static void hs_new_round(struct cubic *ca, uint32_t snd_nxt)
{
    ca->hs_last_min = ca->hs_cur_min;
    ca->hs_cur_min = HS_INF;
    ca->hs_samples = 0;
    ca->hs_window_end = snd_nxt;
    ca->hs_round_valid = true;
}

/* RFC 9406 4.2, per ACK in slow start or CSS: the RTT bookkeeping and the
 * decisions; growth itself is in cubic_cong_avoid(). */
static void hs_on_ack(struct mp_cc_state *st, struct cubic *ca, const struct mp_cc_ack *ack)
{
    if (!ca->hs_round_valid)
        hs_new_round(ca, ack->snd_nxt);
    if (ack->rtt >= 0) {
        mp_time_t rtt = (mp_time_t)ack->rtt;
        if (rtt < ca->hs_cur_min)
            ca->hs_cur_min = rtt;
        ca->hs_samples++;
    }
    if (ca->hs_samples >= HS_N_RTT_SAMPLE && ca->hs_cur_min != HS_INF) {
        if (ca->hs_state == HS_SS && ca->hs_last_min != HS_INF) {
            /* RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT /
             * MIN_RTT_DIVISOR, MAX_RTT_THRESH)) */
            mp_time_t thresh = ca->hs_last_min / HS_MIN_RTT_DIVISOR;
            if (thresh > HS_MAX_RTT_THRESH)
                thresh = HS_MAX_RTT_THRESH;
            if (thresh < HS_MIN_RTT_THRESH)
                thresh = HS_MIN_RTT_THRESH;
            if (ca->hs_cur_min >= ca->hs_last_min + thresh) {
                /* "exit slow start and enter CSS"; the partial round
                 * counts towards CSS_ROUNDS. */
                ca->hs_css_base = ca->hs_cur_min;
                ca->hs_state = HS_CSS;
                ca->hs_css_rounds = 1;
                ca->hs_css_acc = 0;
            }
        } else if (ca->hs_state == HS_CSS && ca->hs_cur_min < ca->hs_css_base) {
            /* The delay increase was spurious: "resume slow start
             * including HyStart++". */
            ca->hs_css_base = HS_INF;
            ca->hs_state = HS_SS;
        }
    }
    /* "When windowEnd is ACKed, the current round ends". */
    if (mp_seq_gt(ack->snd_una, ca->hs_window_end)) {
        if (ca->hs_state == HS_CSS) {
            if (ca->hs_css_rounds >= HS_CSS_ROUNDS) {
                /* "enter congestion avoidance by setting the ssthresh to
                 * the current cwnd" */
                st->ssthresh = st->cwnd;
                ca->hs_state = HS_DONE;
                return;
            }
            ca->hs_css_rounds++;
        }
        hs_new_round(ca, ack->snd_nxt);
    }
}

/* Slow-start growth under HyStart++ (RFC 9406 4.2): min(N, L) segments per
 * ACK, divided by CSS_GROWTH_DIVISOR in CSS (with a credit for the
 * fraction). Returns 0: nothing is left over for congestion avoidance
 * while ssthresh is infinite. */
static uint32_t hs_slow_start(struct mp_cc_state *st, struct cubic *ca, uint32_t acked)
{
    if (!st->paced && acked > HS_L_UNPACED)
        acked = HS_L_UNPACED;
    if (ca->hs_state == HS_CSS) {
        ca->hs_css_acc += acked;
        acked = ca->hs_css_acc / HS_CSS_GROWTH_DIVISOR;
        ca->hs_css_acc %= HS_CSS_GROWTH_DIVISOR;
    }
    return mp_cc_slow_start(st, acked);
}

/* The cubic part of Linux's bictcp_update(): start an epoch if needed and
 * turn the target W_cubic(t + RTT) into ca->cnt. */
static void cubic_recompute(struct cubic *ca, uint32_t cwnd, uint32_t acked, mp_time_t now)
{
    ca->last_cwnd = cwnd;
    ca->last_time = now;

    if (ca->epoch_start == MP_TIME_NEVER) {
        /* RFC 9438 4.2: a new epoch begins with the first ACK of
         * congestion avoidance. */
        ca->epoch_start = now;
        ca->ack_cnt = acked;
        ca->w_est = cwnd;
        if (ca->w_max <= cwnd) {
            ca->k = 0;
            ca->origin = cwnd;
        } else {
            ca->k = mp_cc_cubic_k(ca->w_max, cwnd);
            ca->origin = ca->w_max;
        }
    }

    /* RFC 9438 4.2: the target is W_cubic(t + RTT), one RTT ahead. */
    uint32_t target = mp_cc_cubic_w(ca->origin, ca->k, now - ca->epoch_start + ca->delay_min);
    if (target > cwnd)
        ca->cnt = cwnd / (target - cwnd);
    else
        ca->cnt = cwnd > UINT32_MAX / 100 ? UINT32_MAX : 100 * cwnd; /* plateau: almost none */
    if (ca->w_max == 0 && ca->cnt > 20)
        ca->cnt = 20;
}

/* Linux's bictcp_update(), restated: sets ca->cnt for the AI counter. */
static void cubic_update(struct cubic *ca, uint32_t cwnd, uint32_t acked, mp_time_t now)
{
    ca->ack_cnt += acked;

    if (ca->last_cwnd == cwnd && now - ca->last_time <= RECALC_HOLD_NS)
        return;
    /* Within one tick only the Reno-friendly estimate moves. */
    if (ca->epoch_start == MP_TIME_NEVER || now / TICK_NS != ca->last_time / TICK_NS)
        cubic_recompute(ca, cwnd, acked, now);

    /* RFC 9438 4.3: the Reno-friendly region. W_est grows as Reno with
     * beta = 0.7 would; when it is ahead of cwnd, grow at least as fast. */
    uint32_t per_seg = (uint32_t)(((uint64_t)cwnd * FRIENDLY_SCALE) >> 3);
    if (per_seg == 0)
        per_seg = 1;
    if (ca->ack_cnt > per_seg) {
        uint32_t n = (ca->ack_cnt - 1) / per_seg;
        ca->ack_cnt -= n * per_seg;
        ca->w_est += n;
    }
    if (ca->w_est > cwnd) {
        uint32_t max_cnt = cwnd / (ca->w_est - cwnd);
        if (ca->cnt > max_cnt)
            ca->cnt = max_cnt;
    }
    if (ca->cnt < 2)
        ca->cnt = 2;
}

static void cubic_cong_avoid(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    struct cubic *ca = mp_cc_priv(st);
    uint32_t acked = ack->acked;

    if (!ack->cwnd_limited)
        return;
    if (mp_cc_in_slow_start(st)) {
        if (hs_active(st, ca))
            acked = hs_slow_start(st, ca, acked);
        else
            acked = mp_cc_slow_start(st, acked);
        if (acked == 0)
            return;
    }
    cubic_update(ca, st->cwnd, acked, now);
    mp_cc_cong_avoid_ai(st, ca->cnt, acked);
}

static void cubic_pkts_acked(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    struct cubic *ca = mp_cc_priv(st);

    if (hs_active(st, ca) && mp_cc_in_slow_start(st))
        hs_on_ack(st, ca, ack);
    if (ack->rtt < 0)
        return;
    /* Delay right after a reduction still includes the queue built before
     * it (Linux discards it for one second). */
    if (ca->epoch_start != MP_TIME_NEVER && now - ca->epoch_start < DELAY_SKIP_NS)
        return;
    mp_time_t delay = ack->rtt > 0 ? (mp_time_t)ack->rtt : 1;
    if (ca->delay_min == 0 || delay < ca->delay_min)
        ca->delay_min = delay;
}

static uint32_t cubic_ssthresh(struct mp_cc_state *st, mp_time_t now)
{
    struct cubic *ca = mp_cc_priv(st);
    uint32_t cwnd = st->cwnd;

    ca->epoch_start = MP_TIME_NEVER;
    /* RFC 9406 4.2: a loss in slow start or CSS ends HyStart++. */
    ca->hs_state = HS_DONE;
    /* RFC 9438 4.7, fast convergence: a flow whose W_max shrinks releases
     * bandwidth by remembering W_max * (1 + beta) / 2. */
    if (cwnd < ca->w_max)
        ca->w_max = (uint32_t)((uint64_t)cwnd * (BETA_SCALE + BETA) / (2 * BETA_SCALE));
    else
        ca->w_max = cwnd;
    /* RFC 9438 4.6: ssthresh = cwnd * beta, at least 2 segments. */
    uint32_t ss = (uint32_t)((uint64_t)cwnd * BETA / BETA_SCALE);
    return ss > 2 ? ss : 2;
}

static void cubic_set_state(struct mp_cc_state *st, enum mp_cc_ca_state new_state, mp_time_t now)
{
    struct cubic *ca = mp_cc_priv(st);

    /* A timeout forgets the curve (Linux's bictcp_reset()); HyStart++ does
     * not come back (RFC 9406 4.1: initial slow start only). */
    if (new_state == MP_CC_LOSS) {
        cubic_reset(ca);
        hs_reset(ca);
        ca->hs_state = HS_DONE;
    }
}

static void cubic_cwnd_event(struct mp_cc_state *st, enum mp_cc_event ev, mp_time_t now)
{
    struct cubic *ca = mp_cc_priv(st);

    /* RFC 9438 5.8: after an application-limited idle period, shift the
     * epoch so the curve continues where it was rather than jumping. */
    if (ev == MP_CC_EV_TX_START && ca->epoch_start != MP_TIME_NEVER && now > st->last_send) {
        ca->epoch_start += now - st->last_send;
        if (ca->epoch_start > now)
            ca->epoch_start = now;
    }
}

static uint32_t cubic_undo_cwnd(struct mp_cc_state *st)
{
    return st->cwnd > st->prior_cwnd ? st->cwnd : st->prior_cwnd;
}

static void cubic_get_info(const struct mp_cc_state *st, struct mp_cc_info *out)
{
    const struct cubic *ca = mp_cc_priv_const(st);

    mp_cc_info_add(out, "w_max", ca->w_max);
    mp_cc_info_add(out, "k_ns", (uint64_t)ca->k * NS_PER_S >> MP_CC_CUBIC_HZ_SHIFT);
    mp_cc_info_add(out, "origin", ca->origin);
    if (ca->epoch_start != MP_TIME_NEVER)
        mp_cc_info_add(out, "epoch_ns", ca->epoch_start);
    mp_cc_info_add(out, "cnt", ca->cnt);
    mp_cc_info_add(out, "w_est", ca->w_est);
    mp_cc_info_add(out, "min_rtt_ns", ca->delay_min);
    mp_cc_info_add(out, "hystart", ca->hs_state);
    if (ca->hs_state == HS_CSS)
        mp_cc_info_add(out, "css_rounds", ca->hs_css_rounds);
}

const struct mp_cc_ops mp_cc_cubic_ops = {
    .name = "cubic",
    .init = cubic_init,
    .ssthresh = cubic_ssthresh,
    .cong_avoid = cubic_cong_avoid,
    .set_state = cubic_set_state,
    .cwnd_event = cubic_cwnd_event,
    .undo_cwnd = cubic_undo_cwnd,
    .pkts_acked = cubic_pkts_acked,
    .get_info = cubic_get_info,
};
