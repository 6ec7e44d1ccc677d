/*
 * afmp: the congestion-control registry and the calls the TCP state
 * machine makes at Linux's decision points (cc.h).
 */
#include "model/tcp/cc.h"

#include <errno.h>
#include <string.h>

#include "model/trace.h"

/* Constant, sorted by name: that is the order of mp_cc_names(). Coupled
 * MPTCP algorithms join this table when they exist. */
static const struct mp_cc_ops *const algorithms[] = {
    &mp_cc_cubic_ops,
    &mp_cc_reno_ops,
};
static const char *const names[] = {"cubic", "reno", NULL};

const struct mp_cc_ops *mp_cc_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < MP_ARRAY_LEN(algorithms); i++)
        if (!strcmp(algorithms[i]->name, name))
            return algorithms[i];
    return NULL;
}

const char *const *mp_cc_names(void)
{
    return names;
}

int mp_cc_init(struct mp_cc_state *st, const struct mp_cc_ops *ops, uint32_t mss,
               struct mp_cc_group *group, mp_time_t now)
{
    if (!ops || !ops->init || !ops->ssthresh || !ops->cong_avoid || !ops->undo_cwnd || mss == 0)
        return -EINVAL;
    memset(st, 0, sizeof(*st));
    st->ops = ops;
    st->group = group;
    st->cwnd = MP_CC_INIT_CWND;
    st->ssthresh = MP_CC_INFINITE_SSTHRESH;
    st->cwnd_clamp = UINT32_MAX;
    st->mss = mss;
    st->ca_state = MP_CC_OPEN;
    st->last_send = now;
    ops->init(st, now);
    return 0;
}

int mp_cc_init_by_name(struct mp_cc_state *st, const char *name, uint32_t mss,
                       struct mp_cc_group *group, mp_time_t now)
{
    const struct mp_cc_ops *ops = mp_cc_lookup(name);
    if (!ops)
        return -ENOENT;
    return mp_cc_init(st, ops, mss, group, now);
}

void mp_cc_release(struct mp_cc_state *st)
{
    if (st->ops && st->ops->release)
        st->ops->release(st);
    st->ops = NULL;
}

void mp_cc_set_state(struct mp_cc_state *st, enum mp_cc_ca_state state, mp_time_t now)
{
    if (st->ops->set_state)
        st->ops->set_state(st, state, now);
    st->ca_state = state;
}

void mp_cc_event(struct mp_cc_state *st, enum mp_cc_event ev, mp_time_t now)
{
    if (st->ops->cwnd_event)
        st->ops->cwnd_event(st, ev, now);
}

void mp_cc_on_ack(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    st->in_flight = ack->in_flight;
    if (st->ops->pkts_acked)
        st->ops->pkts_acked(st, ack, now);
    /* RFC 6937: during a reduction PRR alone sets cwnd, so the algorithm
     * must not grow it (Linux: tcp_in_cwnd_reduction()). */
    if (st->ca_state == MP_CC_CWR || st->ca_state == MP_CC_RECOVERY || ack->acked == 0)
        return;
    st->ops->cong_avoid(st, ack, now);
}

/* Linux's tcp_current_ssthresh(): what undo may bring ssthresh back to. */
static uint32_t current_ssthresh(const struct mp_cc_state *st)
{
    if (st->ca_state == MP_CC_CWR || st->ca_state == MP_CC_RECOVERY)
        return st->ssthresh;
    uint32_t three_quarters = (st->cwnd >> 1) + (st->cwnd >> 2);
    return st->ssthresh > three_quarters ? st->ssthresh : three_quarters;
}

void mp_cc_enter_recovery(struct mp_cc_state *st, enum mp_cc_ca_state state, uint32_t in_flight,
                          mp_time_t now)
{
    if (st->ca_state == MP_CC_CWR || st->ca_state == MP_CC_RECOVERY)
        return;
    st->in_flight = in_flight;
    /* An ECN echo is a real signal, never undone (Linux keeps no
     * prior_ssthresh for CWR). */
    st->prior_ssthresh = state == MP_CC_RECOVERY ? current_ssthresh(st) : 0;
    st->prior_cwnd = st->cwnd;
    st->ssthresh = st->ops->ssthresh(st, now);
    mp_cc_set_state(st, state, now);
}

void mp_cc_exit_recovery(struct mp_cc_state *st, mp_time_t now)
{
    /* RFC 6937 3: "On exit: cwnd = ssthresh". */
    if (st->ssthresh < MP_CC_INFINITE_SSTHRESH) {
        st->cwnd = st->ssthresh < st->cwnd_clamp ? st->ssthresh : st->cwnd_clamp;
        st->cwnd_cnt = 0;
    }
    mp_cc_event(st, MP_CC_EV_COMPLETE_CWR, now);
    mp_cc_set_state(st, MP_CC_OPEN, now);
}

void mp_cc_on_rto(struct mp_cc_state *st, uint32_t in_flight, bool new_episode, mp_time_t now)
{
    st->in_flight = in_flight;
    if (st->ca_state <= MP_CC_DISORDER || new_episode) {
        st->prior_ssthresh = current_ssthresh(st);
        st->prior_cwnd = st->cwnd;
        st->ssthresh = st->ops->ssthresh(st, now);
        mp_cc_event(st, MP_CC_EV_LOSS, now);
    }
    /* RFC 5681 3.1: "the congestion window MUST be set to no more than the
     * loss window, LW, which equals 1 full-sized segment". */
    st->cwnd = MP_CC_LOSS_WINDOW;
    st->cwnd_cnt = 0;
    mp_cc_set_state(st, MP_CC_LOSS, now);
}

bool mp_cc_undo(struct mp_cc_state *st, mp_time_t now)
{
    if (st->prior_ssthresh == 0)
        return false;
    st->cwnd = st->ops->undo_cwnd(st);
    if (st->prior_ssthresh > st->ssthresh)
        st->ssthresh = st->prior_ssthresh;
    st->prior_ssthresh = 0;
    return true;
}

uint32_t mp_cc_slow_start(struct mp_cc_state *st, uint32_t acked)
{
    uint64_t grown = (uint64_t)st->cwnd + acked;
    uint32_t cwnd = grown < st->ssthresh ? (uint32_t)grown : st->ssthresh;
    /* The part of |acked| that took cwnd past ssthresh is left for
     * congestion avoidance (Linux's tcp_slow_start()). */
    acked -= cwnd - st->cwnd;
    st->cwnd = cwnd < st->cwnd_clamp ? cwnd : st->cwnd_clamp;
    return acked;
}

void mp_cc_cong_avoid_ai(struct mp_cc_state *st, uint32_t w, uint32_t acked)
{
    if (w == 0)
        w = 1;
    if (st->cwnd_cnt >= w) {
        st->cwnd_cnt = 0;
        st->cwnd++;
    }
    st->cwnd_cnt += acked;
    if (st->cwnd_cnt >= w) {
        uint32_t delta = st->cwnd_cnt / w;
        st->cwnd_cnt -= delta * w;
        st->cwnd += delta;
    }
    if (st->cwnd > st->cwnd_clamp)
        st->cwnd = st->cwnd_clamp;
}

void mp_cc_get_info(const struct mp_cc_state *st, struct mp_cc_info *out)
{
    out->n = 0;
    if (st->ops && st->ops->get_info)
        st->ops->get_info(st, out);
}

const char *mp_cc_state_name(enum mp_cc_ca_state s)
{
    switch (s) {
    case MP_CC_OPEN:
        return "open";
    case MP_CC_DISORDER:
        return "disorder";
    case MP_CC_CWR:
        return "cwr";
    case MP_CC_RECOVERY:
        return "recovery";
    case MP_CC_LOSS:
        return "loss";
    }
    return "?";
}

void mp_cc_trace_fields(const struct mp_cc_state *st, struct mp_trace_rec *r)
{
    struct mp_cc_info info;

    mp_trace_str(r, "cc", st->ops ? st->ops->name : "none");
    mp_trace_str(r, "ca", mp_cc_state_name(st->ca_state));
    mp_trace_u64(r, "cwnd", st->cwnd);
    mp_trace_u64(r, "ssthresh", st->ssthresh);
    mp_trace_u64(r, "mss", st->mss);
    mp_trace_u64(r, "inflight", st->in_flight);
    mp_cc_get_info(st, &info);
    for (size_t i = 0; i < info.n && i < MP_CC_INFO_MAX; i++)
        mp_trace_u64(r, info.f[i].key, info.f[i].val);
}
