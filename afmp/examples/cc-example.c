/*
 * cc-example: a coupled congestion control for MPTCP subflows, written
 * against the policy ABI (afmp/mptcp_policy.h). Use it in a scenario with
 *
 *     mptcp.cc = plugin:@build/afmp/examples/cc-example.so
 *
 * The rule ("coupled Reno", the fully coupled starting point of RFC 6356
 * section 3). Every subflow runs TCP Reno (base = "reno": slow start,
 * halving on loss, recovery and timeouts as Reno), except for the
 * increase in congestion avoidance: per segment acknowledged, a subflow
 * grows by 1 / cwnd_total segments, cwnd_total being the sum of the
 * windows of the connection's active subflows, instead of Reno's 1 / cwnd.
 * The connection as a whole then grows by one segment per round trip, as
 * one Reno flow would, however many subflows it has: on a shared
 * bottleneck it takes about one flow's share, not one per subflow. RFC
 * 6356's LIA would multiply this increase by its alpha (and cap it at
 * Reno's); the place for that is cong_avoid below.
 *
 * What the simulator lets a policy do, exactly: see the congestion
 * control section of afmp/mptcp_policy.h (the window outside fast
 * recovery, the threshold after a loss, the loss events; not pacing, not
 * recovery itself). Windows count segments.
 *
 * Bookkeeping for tests and traces: the subflow's area (afmp_subflow_data)
 * starts with struct cc_counts: the coupled increases made and the loss
 * events seen on that subflow.
 */
#include "afmp/mptcp_policy.h"

struct cc_counts {
    uint64_t coupled_acks; /* ACKs that grew the window the coupled way */
    uint64_t losses;       /* congestion events */
    uint64_t inits;        /* 1 once the subflow runs this policy */
};

_Static_assert(sizeof(struct cc_counts) <= AFMP_POLICY_DATA_SIZE, "fits the area");

static uint64_t total_cwnd(struct afmp_conn *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < afmp_conn_subflows(c); i++) {
        struct afmp_subflow *sf = afmp_conn_subflow(c, i);
        if (afmp_subflow_active(sf))
            sum += afmp_subflow_cwnd(sf);
    }
    return sum;
}

static int coupled_cong_avoid(struct afmp_conn *c, struct afmp_subflow *sf,
                              const struct afmp_cc_ack *ack, struct afmp_cc_window *w, uint64_t now)
{
    (void)now;
    /* Slow start: Reno's. */
    if (ack->slow_start)
        return AFMP_CC_BASE;
    /* Grow only a window that was used (RFC 7661): TCP's flag, or, as
     * Linux's tcp_is_cwnd_limited in congestion avoidance, a flight that
     * filled the window (a subflow whose data the connection hands out
     * stops asking at a full window, and TCP's flag may miss that). */
    if (!ack->cwnd_limited && ack->in_flight + 1 < w->cwnd)
        return AFMP_CC_DONE; /* no growth */
    struct cc_counts *k = afmp_subflow_data(sf, AFMP_POLICY_CC);
    k->coupled_acks++;
    uint64_t total = total_cwnd(c);
    if (total < w->cwnd)
        total = w->cwnd; /* this subflow is always counted */
    if (total == 0)
        total = 1;
    /* One segment per |total| segments acknowledged, the remainder kept
     * as credit (as Reno's cwnd_cnt, with w = total). */
    uint64_t credit = (uint64_t)w->cwnd_cnt + ack->acked;
    if (credit >= total) {
        uint64_t grow = credit / total;
        credit -= grow * total;
        uint64_t cwnd = w->cwnd + grow;
        w->cwnd = cwnd > w->cwnd_clamp ? w->cwnd_clamp : (uint32_t)cwnd;
    }
    w->cwnd_cnt = (uint32_t)credit;
    return AFMP_CC_DONE;
}

static void coupled_congestion(struct afmp_conn *c, struct afmp_subflow *sf,
                               enum afmp_cc_signal sig, uint64_t now)
{
    (void)c;
    (void)sig;
    (void)now;
    struct cc_counts *k = afmp_subflow_data(sf, AFMP_POLICY_CC);
    k->losses++;
}

static void coupled_init(struct afmp_conn *c, struct afmp_subflow *sf, uint64_t now)
{
    (void)c;
    (void)now;
    struct cc_counts *k = afmp_subflow_data(sf, AFMP_POLICY_CC);
    k->inits = 1;
}

static const struct afmp_cc_ops ops = {
    .base = "reno",
    .subflow_init = coupled_init,
    .cong_avoid = coupled_cong_avoid,
    .congestion = coupled_congestion,
};

AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
    .abi_version = AFMP_POLICY_ABI_VERSION,
    .kind = AFMP_POLICY_CC,
    .name = "coupled-reno",
    .description = "Reno with the fully coupled increase: 1/cwnd_total per segment acknowledged",
    .cc = &ops,
};
