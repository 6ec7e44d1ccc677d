/* Helpers shared by the tests that build small worlds (see fixture.h). */
#include "fixture.h"

#include <string.h>

#include "afmp/stack.h"

void fx_addr(struct mp_node *n, uint32_t ifindex, const char *pfx)
{
    struct mp_prefix p;
    g_assert_cmpint(mp_prefix_parse(pfx, &p), ==, 0);
    g_assert_cmpint(mp_host_addr_add(mp_node_host(n), ifindex, &p.ip, p.len, 0), ==, 0);
}

void fx_link_conf(struct mp_link_conf *c, const char *name, uint64_t rate, mp_time_t delay)
{
    memset(c, 0, sizeof(*c));
    c->name = name;
    for (int e = 0; e < 2; e++) {
        c->dir[e].rate_bps = rate;
        c->dir[e].delay = delay;
    }
}

bool fx_result_get(struct mp_node *n, struct mp_proc *p, const char *key, int64_t *out)
{
    const GArray *a = afmp_stack_results(mp_node_host(n), mp_proc_pid(p));
    for (guint i = 0; a && i < a->len; i++) {
        const struct afmp_result *r = &g_array_index(a, struct afmp_result, i);
        if (!strcmp(r->key, key)) {
            *out = r->value;
            return true;
        }
    }
    return false;
}

int64_t fx_result(struct mp_node *n, struct mp_proc *p, const char *key)
{
    int64_t v = 0;
    if (!fx_result_get(n, p, key, &v))
        g_error("%s did not report '%s'", mp_proc_name(p), key);
    return v;
}

const char *fx_log(struct mp_node *n, struct mp_proc *p)
{
    const char *l = afmp_stack_log(mp_node_host(n), mp_proc_pid(p));
    return l ? l : "";
}
