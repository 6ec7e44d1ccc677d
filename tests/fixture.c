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
    return afmp_stack_result(mp_node_host(n), mp_proc_pid(p), key, out);
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

void fx_chain_build(struct fx_chain *f, const struct mp_world_conf *wc, uint64_t rate,
                    mp_time_t delay, bool client_v6, bool capture_hosts)
{
    struct mp_host_opts ro;
    struct mp_link_conf lc;
    mp_host_opts_default(&ro);
    ro.forward = true;
    f->w = mp_world_new(wc);
    f->client = mp_world_add_node(f->w, "client", NULL, capture_hosts);
    f->r1 = mp_world_add_node(f->w, "r1", &ro, false);
    f->server = mp_world_add_node(f->w, "server", NULL, capture_hosts);
    uint32_t c0 = mp_node_add_iface(f->client, "eth0", 1500);
    uint32_t r0 = mp_node_add_iface(f->r1, "eth0", 1500);
    uint32_t r1 = mp_node_add_iface(f->r1, "eth1", 1500);
    uint32_t s0 = mp_node_add_iface(f->server, "eth0", 1500);
    fx_addr(f->client, c0, "10.0.1.2/24");
    if (client_v6)
        fx_addr(f->client, c0, "2001:db8:1::2/64");
    fx_addr(f->r1, r0, "10.0.1.1/24");
    fx_addr(f->r1, r0, "2001:db8:1::1/64");
    fx_addr(f->r1, r1, "10.0.2.1/24");
    fx_addr(f->r1, r1, "2001:db8:2::1/64");
    fx_addr(f->server, s0, "10.0.2.2/24");
    fx_addr(f->server, s0, "2001:db8:2::2/64");
    fx_link_conf(&lc, "l1", rate, delay);
    f->l1 = mp_world_connect(f->w, f->client, c0, f->r1, r0, &lc, NULL);
    fx_link_conf(&lc, "l2", rate, delay);
    f->l2 = mp_world_connect(f->w, f->r1, r1, f->server, s0, &lc, NULL);
    g_assert_nonnull(f->l1);
    g_assert_nonnull(f->l2);
    mp_world_compute_routes(f->w);
}
