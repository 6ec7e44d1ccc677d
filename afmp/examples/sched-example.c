/*
 * sched-example: a weighted round-robin MPTCP packet scheduler, written
 * against the policy ABI (afmp/mptcp_policy.h) as a researcher would write
 * one. Use it in a scenario with
 *
 *     mptcp.scheduler = plugin:@build/afmp/examples/sched-example.so
 *
 * The rule ("strict weighted round robin"). Subflows take turns in
 * creation order; subflow i keeps the turn for weight(i) segments (here:
 * the initial subflow 3, every join 1), so the initial subflow carries
 * three segments in four with one join (75%), three in five with two,
 * whatever the paths' speeds: a turn waits for its holder while the
 * holder's congestion window is full. A holder that cannot carry data at
 * all (not established, closed, backing off after a retransmission
 * timeout) passes the turn on, so a dead path does not stall the
 * connection. Backup subflows wait while a non-backup subflow is up
 * (afmp_conn_backups_allowed, the rule of the Linux v0.9x schedulers).
 * Compare the built-in roundrobin, which skips a subflow whose window is
 * full and so splits by window sizes, not by weights.
 *
 * How it plugs in. The connection pulls: whenever a subflow's windows
 * open it asks pick() which subflow gets the next new data, then tells
 * sent() what went where. pick() may be asked several times before
 * anything is sent, so the turn moves in sent(), not in pick(). The turn
 * is kept per connection in the scheduler's area (afmp_conn_data), never
 * in a global: one loaded copy serves every connection of every host.
 */
#include "afmp/mptcp_policy.h"

struct turn {
    uint32_t cur;  /* index of the subflow holding the turn */
    uint32_t left; /* segments it may still send in this turn */
};

_Static_assert(sizeof(struct turn) <= AFMP_POLICY_DATA_SIZE, "fits the area");

/* Segments per turn. */
static uint32_t weight(size_t i)
{
    return i == 0 ? 3 : 1;
}

/* May |sf| hold the turn at all? */
static bool eligible(struct afmp_conn *c, struct afmp_subflow *sf)
{
    return afmp_subflow_active(sf) && !afmp_subflow_backing_off(sf) &&
           (!afmp_subflow_is_backup(sf) || afmp_conn_backups_allowed(c));
}

static struct afmp_subflow *wrr_pick(struct afmp_conn *c, uint64_t now)
{
    (void)now;
    struct turn *t = afmp_conn_data(c, AFMP_POLICY_SCHEDULER);
    size_t n = afmp_conn_subflows(c);
    if (n == 0)
        return NULL;
    if (t->cur >= n || t->left == 0) {
        t->cur = t->cur >= n ? 0 : t->cur;
        t->left = weight(t->cur);
    }
    /* The holder, or the next subflow that may hold the turn (which then
     * gets a fresh one). */
    for (size_t k = 0; k < n; k++) {
        size_t i = (t->cur + k) % n;
        struct afmp_subflow *sf = afmp_conn_subflow(c, i);
        if (!eligible(c, sf))
            continue;
        if (k) {
            t->cur = (uint32_t)i;
            t->left = weight(i);
        }
        /* Its window full: everyone waits for it (it asks again when an
         * ACK opens the window). */
        return afmp_subflow_ready(sf) ? sf : NULL;
    }
    return NULL;
}

static void wrr_sent(struct afmp_conn *c, struct afmp_subflow *sf, size_t len, uint64_t now)
{
    (void)len;
    (void)now;
    struct turn *t = afmp_conn_data(c, AFMP_POLICY_SCHEDULER);
    if (afmp_subflow_index(sf) != t->cur || t->left == 0)
        return;
    if (--t->left == 0) {
        size_t n = afmp_conn_subflows(c);
        t->cur = (uint32_t)((t->cur + 1) % (n ? n : 1));
        t->left = weight(t->cur);
    }
}

/* A subflow asking for data pick did not give it (its TCP found room
 * pick could not see, as for a tail loss probe): only the holder. */
static bool wrr_unpicked_ok(struct afmp_conn *c, struct afmp_subflow *sf, uint64_t now)
{
    (void)now;
    const struct turn *t = afmp_conn_data(c, AFMP_POLICY_SCHEDULER);
    return afmp_subflow_index(sf) == t->cur && eligible(c, sf);
}

static const struct afmp_sched_ops ops = {
    .pick = wrr_pick,
    .unpicked_ok = wrr_unpicked_ok,
    .sent = wrr_sent,
};

AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
    .abi_version = AFMP_POLICY_ABI_VERSION,
    .kind = AFMP_POLICY_SCHEDULER,
    .name = "wrr-example",
    .description = "strict weighted round robin: 3 segments on the initial subflow, 1 on each join",
    .sched = &ops,
};
