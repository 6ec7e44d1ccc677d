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

#endif
