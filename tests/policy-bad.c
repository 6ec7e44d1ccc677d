/*
 * Broken policies for tests/test-mptcp-policy.c, one per define: another
 * ABI version (BAD_ABI), no descriptor symbol (BAD_NOSYM), a scheduler
 * without pick (BAD_NOPICK), a congestion control on a TCP algorithm that
 * does not exist (BAD_BASE).
 */
#include "afmp/mptcp_policy.h"

static struct afmp_subflow *first(struct afmp_conn *c, uint64_t now)
{
    (void)now;
    return afmp_conn_subflow(c, 0);
}

static const struct afmp_sched_ops sched = {.pick = first};
static const struct afmp_sched_ops no_pick = {.pick = NULL};
static const struct afmp_cc_ops cc = {.base = "vegas"};

#if defined(BAD_ABI)
AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
    .abi_version = AFMP_POLICY_ABI_VERSION + 1,
    .kind = AFMP_POLICY_SCHEDULER,
    .name = "bad-abi",
    .sched = &sched,
};
#elif defined(BAD_NOSYM)
AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v0 = {
    .abi_version = AFMP_POLICY_ABI_VERSION,
    .kind = AFMP_POLICY_SCHEDULER,
    .name = "bad-nosym",
    .sched = &sched,
};
#elif defined(BAD_NOPICK)
AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
    .abi_version = AFMP_POLICY_ABI_VERSION,
    .kind = AFMP_POLICY_SCHEDULER,
    .name = "bad-nopick",
    .sched = &no_pick,
};
#elif defined(BAD_BASE)
AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
    .abi_version = AFMP_POLICY_ABI_VERSION,
    .kind = AFMP_POLICY_CC,
    .name = "bad-base",
    .cc = &cc,
};
#endif

/* Keeps every table referenced whichever variant is built. */
AFMP_POLICY_EXPORT const void *policy_bad_tables[] = {&sched, &no_pick, &cc};
