/* Helpers shared by the tests that build small worlds. */
#ifndef AFMP_TEST_FIXTURE_H
#define AFMP_TEST_FIXTURE_H

#include "sim/net/world.h"

/* Assigns |pfx| ("10.0.1.2/24") to interface |ifindex| of |n|; asserts. */
void fx_addr(struct mp_node *n, uint32_t ifindex, const char *pfx);
/* A link named |name| with the same rate and delay both ways. */
void fx_link_conf(struct mp_link_conf *c, const char *name, uint64_t rate, mp_time_t delay);
/* What process |p| of node |n| reported under |key| (afmp_result). */
bool fx_result_get(struct mp_node *n, struct mp_proc *p, const char *key, int64_t *out);
/* The same, failing the test when the key was not reported. */
int64_t fx_result(struct mp_node *n, struct mp_proc *p, const char *key);
/* What |p| wrote to its log ("" when nothing). */
const char *fx_log(struct mp_node *n, struct mp_proc *p);

/* client -- r1 -- server: 10.0.1.0/24 + 2001:db8:1::/64 between client
 * (.2, ::2) and r1 (.1, ::1), 10.0.2.0/24 + 2001:db8:2::/64 between r1 and
 * server; both links at |rate| and |delay|; routes computed. The client has
 * no IPv6 address unless |client_v6|; hosts are captured when
 * |capture_hosts| (captures themselves follow |wc|). */
struct fx_chain {
    struct mp_world *w;
    struct mp_node *client, *r1, *server;
    struct mp_link *l1, *l2; /* client-r1 (end 0: client), r1-server (end 0: r1) */
};

void fx_chain_build(struct fx_chain *f, const struct mp_world_conf *wc, uint64_t rate,
                    mp_time_t delay, bool client_v6, bool capture_hosts);

#endif
