/*
 * afmp: LIA, OLIA and BALIA (cc_coupled.h): the arithmetic, and the TCP
 * congestion-control ops tables (model/tcp/cc.h) that MPTCP installs on
 * every subflow of a connection when the host's mptcp.cc names them.
 *
 * The subflow's TCP calls the ops with its own state; the coupling object
 * (struct mp_cc_group, protocol.h) leads to the connection and its other
 * subflows, whose windows and smoothed RTTs enter the increase. Only
 * subflows that can carry data and have an RTT sample count (Linux's
 * mptcp_ccc_sk_can_send). A subflow its connection no longer owns (closed
 * by MPTCP, or fallen back) runs Reno.
 */
#include <string.h>

#include "model/mptcp/cc_coupled.h"
#include "model/mptcp/protocol.h"
#include "model/tcp/cc.h"

typedef unsigned __int128 u128;

/* ---- arithmetic ---- */

uint64_t mp_cc_lia_alpha(const struct mp_cc_path *p, size_t n)
{
    uint64_t max_num = 0, best_cwnd = 0, best_rtt = 1, total = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t rtt = p[i].rtt_us ? p[i].rtt_us : 1;
        uint64_t tmp = (uint64_t)(((u128)p[i].cwnd << 32) / ((u128)rtt * rtt));
        if (tmp >= max_num) {
            max_num = tmp;
            best_cwnd = p[i].cwnd;
            best_rtt = rtt;
        }
        total += p[i].cwnd;
    }
    u128 den = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t rtt = p[i].rtt_us ? p[i].rtt_us : 1;
        den += ((u128)p[i].cwnd << 10) * best_rtt / rtt;
    }
    if (!den)
        return 0;
    return (uint64_t)(((u128)total << 32) * best_cwnd / (den * den));
}

uint32_t mp_cc_lia_ai_window(uint32_t cwnd, uint64_t cwnd_total, uint64_t alpha)
{
    if (!alpha)
        return cwnd;
    uint64_t w = (cwnd_total << MP_CC_LIA_ALPHA_SHIFT) / alpha;
    if (w > UINT32_MAX)
        w = UINT32_MAX;
    return w > cwnd ? (uint32_t)w : cwnd;
}

int64_t mp_cc_coupled_term(const struct mp_cc_path *p, size_t n, size_t r)
{
    uint64_t rtt_r = p[r].rtt_us ? p[r].rtt_us : 1;
    /* sum_p w_p / rtt_p, relative to rtt_r and scaled 2^10 */
    u128 d = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t rtt = p[i].rtt_us ? p[i].rtt_us : 1;
        d += ((u128)p[i].cwnd << 10) * rtt_r / rtt;
    }
    if (!d)
        return 0;
    return (int64_t)(((u128)p[r].cwnd << (MP_CC_INC_SHIFT + 20)) / (d * d));
}

/* Path a has a larger l^2 / rtt^2 than path b (1), the same (0), or a
 * smaller one (-1). */
static int cmp_l(const struct mp_cc_path *a, const struct mp_cc_path *b)
{
    u128 x = (u128)a->l * (b->rtt_us ? b->rtt_us : 1);
    u128 y = (u128)b->l * (a->rtt_us ? a->rtt_us : 1);
    return x > y ? 1 : x < y ? -1 : 0;
}

void mp_cc_olia_alpha(const struct mp_cc_path *p, size_t n, size_t r, int64_t *num,
                      int64_t *den)
{
    size_t best = 0, wmax = 0;
    for (size_t i = 1; i < n; i++) {
        if (cmp_l(&p[i], &p[best]) > 0)
            best = i;
        if (p[i].cwnd > p[wmax].cwnd)
            wmax = i;
    }
    size_t n_bm = 0, n_m = 0;
    bool r_b = false, r_m = false;
    for (size_t i = 0; i < n; i++) {
        bool in_b = cmp_l(&p[i], &p[best]) == 0;
        bool in_m = p[i].cwnd == p[wmax].cwnd;
        n_m += in_m;
        n_bm += in_b && !in_m;
        if (i == r) {
            r_b = in_b;
            r_m = in_m;
        }
    }
    *num = 0;
    *den = 1;
    if (r_b && !r_m) {
        *num = 1;
        *den = (int64_t)(n * n_bm);
    } else if (r_m && n_bm) {
        *num = -1;
        *den = (int64_t)(n * n_m);
    }
}

int64_t mp_cc_olia_inc(const struct mp_cc_path *p, size_t n, size_t r)
{
    int64_t num, den;
    mp_cc_olia_alpha(p, n, r, &num, &den);
    int64_t inc = mp_cc_coupled_term(p, n, r);
    uint32_t w = p[r].cwnd ? p[r].cwnd : 1;
    return inc + num * ((int64_t)1 << MP_CC_INC_SHIFT) / (den * (int64_t)w);
}

uint64_t mp_cc_balia_alpha(const struct mp_cc_path *p, size_t n, size_t r)
{
    const uint64_t lo = 1u << MP_CC_BALIA_ALPHA_SHIFT, hi = 1u << 20;
    uint64_t xmax = 0, xr = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = ((uint64_t)p[i].cwnd << 20) / (p[i].rtt_us ? p[i].rtt_us : 1);
        xmax = x > xmax ? x : xmax;
        if (i == r)
            xr = x;
    }
    if (!xr)
        return hi;
    uint64_t a = (xmax << MP_CC_BALIA_ALPHA_SHIFT) / xr;
    return a < lo ? lo : a > hi ? hi : a;
}

int64_t mp_cc_balia_inc(const struct mp_cc_path *p, size_t n, size_t r)
{
    uint64_t a = mp_cc_balia_alpha(p, n, r);
    /* ((1 + a) / 2) * ((4 + a) / 5), scaled 2^20 */
    uint64_t f = ((1024 + a) * (4096 + a)) / 10;
    return (int64_t)(((u128)mp_cc_coupled_term(p, n, r) * f) >> 20);
}

uint32_t mp_cc_balia_ssthresh(const struct mp_cc_path *p, size_t n, size_t r)
{
    uint64_t a = mp_cc_balia_alpha(p, n, r);
    uint64_t m = a < 1536 ? a : 1536; /* min(alpha, 1.5), scaled 2^10 */
    uint64_t w = p[r].cwnd;
    uint64_t s = w - (w * m) / 2048;
    return s < 2 ? 2 : (uint32_t)s;
}

void mp_cc_apply_inc(uint32_t *cwnd, int64_t *cnt, int64_t inc, uint32_t acked, uint32_t clamp)
{
    const int64_t one = (int64_t)1 << MP_CC_INC_SHIFT;
    *cnt += inc * (int64_t)acked;
    while (*cnt >= one) {
        if (*cwnd < clamp)
            (*cwnd)++;
        *cnt -= one;
    }
    while (*cnt <= -one) {
        if (*cwnd > 1)
            (*cwnd)--;
        *cnt += one;
    }
}

/* ---- the ops tables ---- */

enum coupled_kind { LIA, OLIA, BALIA };

/* Per subflow (st->priv). */
struct coupled_priv {
    int64_t cnt;     /* OLIA, BALIA: the signed credit, scaled 2^24 */
    uint64_t l1, l2; /* OLIA: segments between the last two losses, since the last */
    uint64_t alpha;  /* the last alpha computed, for traces (LIA 2^12, BALIA 2^10) */
};
G_STATIC_ASSERT(sizeof(struct coupled_priv) <= MP_CC_PRIV_SIZE);

#define MAX_PATHS 16

/* The connection still owns this subflow and runs MPTCP on it. */
static bool group_live(const struct mp_cc_group *g)
{
    return g && g->ssk && mp_tcp_ext_arg(g->ssk) == g->sf && g->sf->ssk == g->ssk &&
           !g->msk->fallback && !g->msk->dead;
}

/* The connection's subflows that count, with |st|'s own at *self (or
 * SIZE_MAX when it does not count itself yet). */
static size_t gather(const struct mp_cc_state *st, struct mp_cc_path *p, size_t *self)
{
    const struct mp_cc_group *g = st->group;
    *self = SIZE_MAX;
    size_t n = 0;
    for (guint i = 0; i < g->msk->subflows->len && n < MAX_PATHS; i++) {
        const struct mp_mptcp_subflow *sf = g->msk->subflows->pdata[i];
        if (!sf->ssk || sf->closed || !mp_mptcp_subflow_active(sf))
            continue;
        const struct mp_cc_state *cs = mp_tcp_cc_state(sf->ssk);
        mp_time_t srtt = mp_tcp_srtt(sf->ssk);
        if (!cs || !srtt)
            continue;
        if (sf == g->sf)
            *self = n;
        p[n].cwnd = cs->cwnd;
        p[n].rtt_us = srtt / 1000 ? (uint64_t)(srtt / 1000) : 1;
        const struct coupled_priv *cp = mp_cc_priv_const(cs);
        p[n].l = cs->ops == st->ops ? MAX(cp->l1, cp->l2) : 0;
        n++;
    }
    return n;
}

static enum coupled_kind kind_of(const struct mp_cc_state *st);

static void c_init(struct mp_cc_state *st, mp_time_t now)
{
    (void)st;
    (void)now;
}

static void c_release(struct mp_cc_state *st)
{
    g_free(st->group);
    st->group = NULL;
}

static uint32_t c_ssthresh(struct mp_cc_state *st, mp_time_t now)
{
    if (kind_of(st) == BALIA && group_live(st->group)) {
        struct mp_cc_path p[MAX_PATHS];
        size_t self, n = gather(st, p, &self);
        if (self != SIZE_MAX && n > 1) {
            struct coupled_priv *cp = mp_cc_priv(st);
            cp->alpha = mp_cc_balia_alpha(p, n, self);
            return mp_cc_balia_ssthresh(p, n, self);
        }
    }
    /* LIA and OLIA halve the window, as Reno. */
    return mp_cc_reno_ops.ssthresh(st, now);
}

static void c_cong_avoid(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    uint32_t acked = ack->acked;
    (void)now;
    if (!ack->cwnd_limited)
        return;
    if (mp_cc_in_slow_start(st)) {
        acked = mp_cc_slow_start(st, acked);
        if (!acked)
            return;
    }
    struct mp_cc_path p[MAX_PATHS];
    size_t self = SIZE_MAX, n = group_live(st->group) ? gather(st, p, &self) : 0;
    if (self == SIZE_MAX || n < 2) {
        mp_cc_cong_avoid_ai(st, st->cwnd, acked); /* alone: Reno */
        return;
    }
    struct coupled_priv *cp = mp_cc_priv(st);
    uint32_t clamp = st->cwnd_clamp ? st->cwnd_clamp : UINT32_MAX;
    switch (kind_of(st)) {
    case LIA: {
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += p[i].cwnd;
        cp->alpha = mp_cc_lia_alpha(p, n);
        mp_cc_cong_avoid_ai(st, mp_cc_lia_ai_window(st->cwnd, total, cp->alpha), acked);
        break;
    }
    case OLIA:
        mp_cc_apply_inc(&st->cwnd, &cp->cnt, mp_cc_olia_inc(p, n, self), acked, clamp);
        break;
    case BALIA:
        cp->alpha = mp_cc_balia_alpha(p, n, self);
        mp_cc_apply_inc(&st->cwnd, &cp->cnt, mp_cc_balia_inc(p, n, self), acked, clamp);
        break;
    }
}

static void c_pkts_acked(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    struct coupled_priv *cp = mp_cc_priv(st);
    (void)now;
    cp->l2 += ack->acked;
}

static void c_set_state(struct mp_cc_state *st, enum mp_cc_ca_state ns, mp_time_t now)
{
    struct coupled_priv *cp = mp_cc_priv(st);
    (void)now;
    /* OLIA's l: a loss starts a new inter-loss interval (a reduction that
     * is already under way does not). */
    if ((ns == MP_CC_RECOVERY || ns == MP_CC_LOSS) &&
        (st->ca_state == MP_CC_OPEN || st->ca_state == MP_CC_DISORDER)) {
        cp->l1 = cp->l2;
        cp->l2 = 0;
        cp->cnt = 0;
    }
}

static uint32_t c_undo_cwnd(struct mp_cc_state *st)
{
    return mp_cc_reno_ops.undo_cwnd(st);
}

static void c_get_info(const struct mp_cc_state *st, struct mp_cc_info *out)
{
    const struct coupled_priv *cp = mp_cc_priv_const(st);
    mp_cc_info_add(out, "cwnd_cnt", st->cwnd_cnt);
    switch (kind_of(st)) {
    case LIA:
        mp_cc_info_add(out, "alpha_x4096", cp->alpha);
        break;
    case OLIA:
        mp_cc_info_add(out, "l1", cp->l1);
        mp_cc_info_add(out, "l2", cp->l2);
        break;
    case BALIA:
        mp_cc_info_add(out, "alpha_x1024", cp->alpha);
        break;
    }
}

#define COUPLED_OPS(id, nm)                                                                   \
    {                                                                                          \
        .name = nm, .init = c_init, .release = c_release, .ssthresh = c_ssthresh,              \
        .cong_avoid = c_cong_avoid, .set_state = c_set_state, .undo_cwnd = c_undo_cwnd,        \
        .pkts_acked = c_pkts_acked, .get_info = c_get_info,                                    \
    }

static const struct mp_cc_ops tcp_ops[3] = {
    [LIA] = COUPLED_OPS(LIA, "lia"),
    [OLIA] = COUPLED_OPS(OLIA, "olia"),
    [BALIA] = COUPLED_OPS(BALIA, "balia"),
};

static enum coupled_kind kind_of(const struct mp_cc_state *st)
{
    return (enum coupled_kind)(st->ops - tcp_ops);
}

/* ---- MPTCP's side: the algorithm on every subflow that comes up ---- */

static void subflow_init(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                         enum coupled_kind k)
{
    if (!sf->ssk || !mp_tcp_cc_state(sf->ssk))
        return;
    struct mp_cc_group *g = g_new0(struct mp_cc_group, 1);
    g->msk = msk;
    g->sf = sf;
    g->ssk = sf->ssk;
    if (mp_tcp_set_cc(sf->ssk, &tcp_ops[k], g, mp_env_now(msk->st->env)) < 0)
        g_free(g);
}

static void lia_init(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf)
{
    subflow_init(msk, sf, LIA);
}

static void olia_init(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf)
{
    subflow_init(msk, sf, OLIA);
}

static void balia_init(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf)
{
    subflow_init(msk, sf, BALIA);
}

const struct mp_mptcp_cc_ops mp_mptcp_cc_lia = {.name = "lia", .subflow_init = lia_init};
const struct mp_mptcp_cc_ops mp_mptcp_cc_olia = {.name = "olia", .subflow_init = olia_init};
const struct mp_mptcp_cc_ops mp_mptcp_cc_balia = {.name = "balia", .subflow_init = balia_init};
