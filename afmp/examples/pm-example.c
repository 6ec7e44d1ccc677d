/*
 * pm-example: an MPTCP path manager written against the policy ABI
 * (afmp/mptcp_policy.h). Use it in a scenario with
 *
 *     mptcp.pm = plugin:@build/afmp/examples/pm-example.so
 *
 * The rule ("one extra subflow per local address, backup after the
 * first"). On the side that opened the connection, once it is fully
 * established: one subflow from every other usable local address of the
 * host, of the family of the initial subflow, to the initial subflow's
 * remote address, in the host's address order. The first of these is a
 * regular subflow; every further one is a backup (MP_JOIN with the B flag)
 * that carries data only when the others cannot. The host's limit
 * (mptcp.subflows, afmp_conn_subflow_limit) caps the number. The peer's
 * other addresses, announced or given by the application, are ignored:
 * this policy multiplies local paths, not remote ones. The passive side
 * opens nothing and accepts joins within its own limit (no allow_join:
 * the simulator's default).
 *
 * Everything the policy needs comes through accessors (afmp_conn_*), and
 * it keeps no state between calls: the connection knows its subflows.
 */
#include <string.h>

#include "afmp/mptcp_policy.h"

#define MAX_LOCAL 16

static bool same_addr(const struct afmp_addr *a, const struct afmp_addr *b)
{
    size_t n = a->family == 4 ? 4 : 16;
    return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

/* The index of the initial subflow's remote address among the known ones. */
static bool first_remote(struct afmp_conn *c, const struct afmp_addr *r, size_t *out)
{
    for (size_t i = 0; i < afmp_conn_remotes(c); i++) {
        struct afmp_addr a;
        if (afmp_conn_remote(c, i, &a, NULL) && same_addr(&a, r) && a.port == r->port) {
            *out = i;
            return true;
        }
    }
    return false;
}

static void pm_established(struct afmp_conn *c, uint64_t now)
{
    struct afmp_addr fl, fr, la[MAX_LOCAL];
    size_t ri;
    if (afmp_conn_is_passive(c) || !afmp_conn_first_addrs(c, &fl, &fr) ||
        !first_remote(c, &fr, &ri))
        return;
    size_t n = afmp_conn_local_addrs(c, la, MAX_LOCAL);
    if (n > MAX_LOCAL)
        n = MAX_LOCAL;
    uint32_t opened = 0;
    for (size_t i = 0; i < n; i++) {
        if (afmp_conn_joins_opened(c) >= afmp_conn_subflow_limit(c))
            return;
        if (la[i].family != fl.family || same_addr(&la[i], &fl) || afmp_conn_has_subflow(c, &la[i], ri))
            continue;
        if (afmp_conn_open_subflow(c, &la[i], ri, opened > 0, now) == 0)
            opened++;
    }
}

static const struct afmp_pm_ops ops = {
    .established = pm_established,
};

AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
    .abi_version = AFMP_POLICY_ABI_VERSION,
    .kind = AFMP_POLICY_PATH_MANAGER,
    .name = "perlocal-example",
    .description = "one subflow per other local address to the first remote; backups after the first",
    .pm = &ops,
};
