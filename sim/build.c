/* afmp: building a world from a resolved scenario (see build.h). */
#include "sim/build.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "afmp/program.h"
#include "afmp/resolver.h"
#include "model/net/counters.h"
#include "model/net/radv.h"
#include "afmp/stack.h"
#include "model/mptcp/mptcp.h"
#include "model/tcp/tcp.h"
#include "sim/apps/apps.h"
#include "sim/net/fault.h"
#include "sim/net/middlebox.h"

G_DEFINE_QUARK(mp-build-error-quark, mp_build_error)

static bool fail(GError **err, const struct mp_scenario *scn, unsigned line, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static bool fail(GError **err, const struct mp_scenario *scn, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, MP_BUILD_ERROR, MP_BUILD_ERROR_FAILED, "%s:%u: %s", scn->file, line, msg);
    g_free(msg);
    return false;
}

static void host_opts(const struct mp_scn_node *sn, struct mp_host_opts *o)
{
    mp_host_opts_default(o);
    o->forward = mp_scn_node_opt_bool(sn, "ip.forward");
    o->ttl = (uint8_t)mp_scn_node_opt_uint(sn, "ip.ttl");
    o->accept_ra = mp_scn_node_opt_bool(sn, "ipv6.accept-ra");
    o->keep_addr_on_down = mp_scn_node_opt_bool(sn, "ipv6.keep-addr-on-down");
}

/* A tcp.rmem / tcp.wmem value: three sizes (min default max, as the
 * sysctl) set the autotuning range; one size fixes the buffer as
 * SO_RCVBUF / SO_SNDBUF would (Linux doubles the value). Returns whether
 * the buffer is locked. */
static bool tcp_mem(const struct mp_scn_node *sn, const char *key, size_t mem[3], size_t *buf)
{
    const struct mp_scn_opt *opt = mp_scn_node_opt(sn, key);
    char **t = g_strsplit(opt && opt->s ? opt->s : "", " ", -1);
    guint n = g_strv_length(t);
    bool locked = n != 3;
    if (n == 3) {
        for (guint i = 0; i < 3; i++)
            mem[i] = (size_t)g_ascii_strtoull(t[i], NULL, 10);
        *buf = mem[1];
    } else {
        *buf = (size_t)MIN(mp_scn_node_opt_uint(sn, key), (uint64_t)SIZE_MAX / 2) * 2;
    }
    g_strfreev(t);
    return locked;
}

/* The mptcp.* options as the host's MPTCP settings. */
static void mptcp_config(const struct mp_scn_node *sn, struct mp_mptcp_config *c)
{
    mp_mptcp_config_default(c);
    c->enabled = mp_scn_node_opt_bool(sn, "mptcp");
    c->pm = mp_scn_node_opt_str(sn, "mptcp.pm");
    c->scheduler = mp_scn_node_opt_str(sn, "mptcp.scheduler");
    c->cc = mp_scn_node_opt_str(sn, "mptcp.cc");
    c->subflows = (uint32_t)mp_scn_node_opt_uint(sn, "mptcp.subflows");
    c->add_addr_accepted = (uint32_t)mp_scn_node_opt_uint(sn, "mptcp.add-addr-accepted");
    c->checksum = mp_scn_node_opt_bool(sn, "mptcp.checksum");
    const char *eps = mp_scn_node_opt_str(sn, "mptcp.endpoints");
    char *why = NULL;
    /* Checked when the scenario was loaded. */
    if (eps && *eps && !mp_mptcp_parse_endpoints(eps, c->endpoints, MP_MPTCP_MAX_ENDPOINTS,
                                                 &c->n_endpoints, &why))
        g_error("mptcp.endpoints '%s': %s", eps, why);
    c->ndiffports = (uint32_t)mp_scn_node_opt_uint(sn, "mptcp.ndiffports");
    c->add_addr_timeout = mp_scn_node_opt_uint(sn, "mptcp.add-addr-timeout");
    c->stale_loss_cnt = (uint32_t)mp_scn_node_opt_uint(sn, "mptcp.stale-loss-cnt");
    c->opportunistic = mp_scn_node_opt_bool(sn, "mptcp.opportunistic");
    c->penalise = mp_scn_node_opt_bool(sn, "mptcp.penalise");
}

/* The tcp.* options as the host's TCP defaults. */
static void tcp_opts(const struct mp_scn_node *sn, struct mp_tcp_opts *o)
{
    mp_tcp_opts_default(o);
    o->cc = mp_scn_node_opt_str(sn, "tcp.cc");
    o->sack = mp_scn_node_opt_bool(sn, "tcp.sack");
    o->timestamps = mp_scn_node_opt_bool(sn, "tcp.timestamps");
    o->wscale = mp_scn_node_opt_bool(sn, "tcp.window-scaling");
    o->time_wait = mp_scn_node_opt_uint(sn, "tcp.time-wait");
    o->rcvbuf_lock = tcp_mem(sn, "tcp.rmem", o->rmem, &o->rcvbuf);
    o->sndbuf_lock = tcp_mem(sn, "tcp.wmem", o->wmem, &o->sndbuf);
    o->pacing = mp_scn_node_opt_bool(sn, "tcp.pacing");
    o->nagle = !mp_scn_node_opt_bool(sn, "tcp.nodelay");
    o->delack_min = mp_scn_node_opt_uint(sn, "tcp.delayed-ack");
    o->syn_retries = (uint32_t)mp_scn_node_opt_uint(sn, "tcp.syn-retries");
}

static bool build_nodes(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_nodes; i++) {
        const struct mp_scn_node *sn = &scn->nodes[i];
        struct mp_host_opts o;
        host_opts(sn, &o);
        struct mp_node *n = mp_world_add_node(b->w, sn->name, &o, sn->capture);
        b->nodes[i] = n;
        if (sn->kind == MP_SCN_HOST) {
            struct mp_tcp_opts to;
            tcp_opts(sn, &to);
            mp_node_set_tcp_opts(n, &to);
            struct mp_mptcp_config mc;
            mptcp_config(sn, &mc);
            mp_node_set_mptcp(n, &mc);
            struct afmp_stack_conf sc = {
                .multipath = strcmp(mp_scn_node_opt_str(sn, "stack"), "afmp") == 0,
                .mptcpize = mp_scn_node_opt_bool(sn, "mptcp.mptcpize"),
            };
            afmp_stack_configure(mp_node_host(n), &sc);
        }
        for (size_t j = 0; j < sn->n_ifaces; j++) {
            const struct mp_scn_iface *si = &sn->ifaces[j];
            uint32_t mtu = si->link >= 0 ? scn->links[si->link].mtu : 1500;
            uint32_t ifindex = mp_node_add_iface(n, si->name, mtu);
            for (size_t k = 0; k < si->n_addrs; k++) {
                int rc = mp_host_addr_add(mp_node_host(n), ifindex, &si->addrs[k].ip,
                                          si->addrs[k].len, 0);
                if (rc < 0 && rc != -EEXIST)
                    return fail(err, scn, si->line, "[%s %s] iface.%s: cannot assign an address: %s",
                                sn->kind == MP_SCN_ROUTER ? "router" : "host", sn->name,
                                si->name, g_strerror(-rc));
            }
        }
        /* A multihomed host whose routes are computed gets one table per
         * interface and rules by source address, so each address leaves by
         * its own interface (what MPTCP subflows need). */
        if (sn->routes_auto && sn->kind == MP_SCN_HOST && sn->n_ifaces > 1)
            mp_node_set_per_iface_tables(n, true);
        mp_node_set_auto_routes(n, sn->routes_auto);
    }
    return true;
}

static bool static_routes(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_nodes; i++) {
        const struct mp_scn_node *sn = &scn->nodes[i];
        struct mp_host *h = mp_node_host(b->nodes[i]);
        for (size_t j = 0; j < sn->n_routes; j++) {
            const struct mp_scn_route *sr = &sn->routes[j];
            struct mp_rt_route r = {0};
            r.dst.ip = sr->dst.ip;
            r.dst.len = sr->dst.len;
            mp_prefix_masked(&r.dst, &r.dst);
            r.gw = sr->via;
            r.metric = sr->metric;
            r.prefsrc = sr->src;
            r.kind = sr->kind == MP_SCN_ROUTE_BLACKHOLE     ? MP_RT_BLACKHOLE
                     : sr->kind == MP_SCN_ROUTE_UNREACHABLE ? MP_RT_UNREACHABLE
                                                            : MP_RT_UNICAST;
            if (r.kind == MP_RT_UNICAST) {
                if (sr->dev >= 0) {
                    r.ifindex = (uint32_t)sr->dev + 1;
                } else {
                    /* The interface whose subnet holds the gateway. */
                    struct mp_rt_result res;
                    if (mp_rt_lookup(h->rt, NULL, &sr->via, 0, &res) < 0 ||
                        res.route.gw.v != 0)
                        return fail(err, scn, sr->line,
                                    "[%s] route.%s: gateway %s is not on a connected subnet",
                                    sn->name, sr->label, "");
                    r.ifindex = res.ifindex;
                }
            }
            int rc = mp_rt_route_add(h->rt, sr->table, &r, 0);
            if (rc < 0)
                return fail(err, scn, sr->line, "[%s] route.%s: %s", sn->name, sr->label,
                            rc == -EEXIST ? "a route for this prefix and metric exists already"
                                          : g_strerror(-rc));
        }
        for (size_t j = 0; j < sn->n_rules; j++) {
            const struct mp_scn_rule *su = &sn->rules[j];
            struct mp_rt_rule u = {0};
            u.priority = su->priority;
            if (su->has_from) {
                u.from.ip = su->from.ip;
                u.from.len = su->from.len;
            }
            if (su->has_to) {
                u.to.ip = su->to.ip;
                u.to.len = su->to.len;
            }
            u.iif = su->iif >= 0 ? (uint32_t)su->iif + 1 : 0;
            u.oif = su->oif >= 0 ? (uint32_t)su->oif + 1 : 0;
            u.table = su->table;
            u.action = MP_RT_RULE_LOOKUP;
            int rc = mp_rt_rule_add(h->rt, &u);
            if (rc < 0)
                return fail(err, scn, su->line, "[%s] rule.%s: %s", sn->name, su->label,
                            g_strerror(-rc));
        }
    }
    return true;
}

/* ra.IFNAME: after the routes are computed, so that the link-local
 * addresses the advertising interfaces get take no part in them. The first
 * RAs leave when the run starts. */
static bool start_radv(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_nodes; i++) {
        const struct mp_scn_node *sn = &scn->nodes[i];
        for (size_t j = 0; j < sn->n_ras; j++) {
            const struct mp_scn_ra *sr = &sn->ras[j];
            struct mp_radv_conf c = {0};
            c.interval = sr->interval;
            c.router_lifetime = (uint16_t)sr->router_lifetime;
            c.n_prefix = 1;
            c.prefix[0] = (struct mp_radv_prefix){sr->prefix.ip, sr->prefix.len, sr->valid,
                                                  sr->preferred};
            int rc = mp_radv_configure(mp_node_host(b->nodes[i]), (uint32_t)sr->iface + 1, &c);
            if (rc < 0)
                return fail(err, scn, sr->line, "[%s] ra.%s: %s", sn->name,
                            sn->ifaces[sr->iface].name, g_strerror(-rc));
        }
    }
    return true;
}

static struct mp_fault *add_fault(struct mp_link *l, int end, struct mp_fault *f)
{
    mp_link_add_fault(l, end, f);
    return f;
}

/* Which run-time changes a link direction needs a fault for, so that a
 * fault that starts at 0 exists when an event sets it. */
static bool event_touches(const struct mp_scenario *scn, size_t link, int dir,
                          enum mp_scn_link_param p)
{
    for (size_t i = 0; i < scn->n_events; i++) {
        const struct mp_scn_event *e = &scn->events[i];
        if (e->kind == MP_SCN_EV_LINK_SET && e->link == (int)link && e->param == p &&
            (e->dirs & (1u << dir)))
            return true;
    }
    return false;
}

static bool build_links(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_links; i++) {
        const struct mp_scn_link *sl = &scn->links[i];
        struct mp_link_conf c = {0};
        char *params[2];
        c.name = sl->name;
        for (int d = 0; d < 2; d++) {
            const struct mp_scn_dir *sd = &sl->dir[d];
            c.dir[d].rate_bps = sd->rate;
            c.dir[d].trace = sd->trace;
            c.dir[d].delay = sd->delay;
            c.dir[d].overhead = sl->framing;
            c.dir[d].qdisc = "droptail";
            params[d] = g_strdup_printf("%s=%" G_GUINT64_FORMAT, sd->queue_bytes ? "bytes" : "limit",
                                        sd->queue_limit);
            c.dir[d].qdisc_params = params[d];
        }
        struct mp_node *na = b->nodes[sl->node[0]], *nb = b->nodes[sl->node[1]];
        b->links[i] = mp_world_connect(b->w, na, (uint32_t)sl->iface[0] + 1, nb,
                                       (uint32_t)sl->iface[1] + 1, &c, err);
        g_free(params[0]);
        g_free(params[1]);
        if (!b->links[i]) {
            g_prefix_error(err, "%s:%u: [link %s]: ", scn->file, sl->line, sl->name);
            return false;
        }
        for (int d = 0; d < 2; d++) {
            const struct mp_scn_dir *sd = &sl->dir[d];
            struct mp_build_faults *f = &b->faults[i][d];
            struct mp_link *l = b->links[i];
            if (sd->loss || event_touches(scn, i, d, MP_SCN_LP_LOSS))
                f->loss = add_fault(l, d, mp_fault_loss_new_ppm(sd->loss));
            if (sd->ge) {
                struct mp_gilbert ge = {mp_prob_from_ppm(sd->ge_p), mp_prob_from_ppm(sd->ge_r),
                                        mp_prob_from_ppm(1000000 - sd->ge_loss_good),
                                        mp_prob_from_ppm(1000000 - sd->ge_loss_bad)};
                add_fault(l, d, mp_fault_gilbert_new(&ge));
            }
            if (sd->corrupt || event_touches(scn, i, d, MP_SCN_LP_CORRUPT))
                f->corrupt = add_fault(l, d, mp_fault_corrupt_new(mp_prob_from_ppm(sd->corrupt), false));
            if (sd->duplicate || event_touches(scn, i, d, MP_SCN_LP_DUPLICATE))
                f->dup = add_fault(l, d, mp_fault_dup_new(mp_prob_from_ppm(sd->duplicate)));
            if (sd->reorder || event_touches(scn, i, d, MP_SCN_LP_REORDER))
                f->reorder = add_fault(l, d, mp_fault_reorder_new(mp_prob_from_ppm(sd->reorder),
                                                                  sd->reorder_delay));
        }
        const struct mp_mbox_list *mboxes[2] = {&sl->dir[0].mbox, &sl->dir[1].mbox};
        if (mboxes[0]->n || mboxes[1]->n)
            mp_middlebox_set(b->links[i], mboxes, false, 0);
    }
    return true;
}

/* ---- the timeline ---- */

struct ev_ctx {
    struct mp_build *b;
    const struct mp_scn_event *e;
};

/* The events that act on one interface of a node. What they change reaches
 * the traces and captures through the host's listeners. */
static void node_event(struct mp_host *h, const struct mp_scn_event *e, mp_time_t now)
{
    uint32_t ifindex = (uint32_t)e->iface + 1;
    const struct mp_ip *ip = &e->addr.ip;
    struct mp_radv_prefix p = {e->addr.ip, e->addr.len, e->ra_valid, e->ra_preferred};

    switch (e->kind) {
    case MP_SCN_EV_ADDR_ADD:
        mp_host_addr_add(h, ifindex, ip, e->addr.len, 0);
        break;
    case MP_SCN_EV_ADDR_DEL:
    case MP_SCN_EV_LEASE_LOST:
        mp_host_addr_del(h, ifindex, ip);
        break;
    case MP_SCN_EV_IFACE_DOWN:
    case MP_SCN_EV_IFACE_UP:
        mp_host_set_up(h, ifindex, e->kind == MP_SCN_EV_IFACE_UP);
        break;
    case MP_SCN_EV_RA_STOP:
    case MP_SCN_EV_RA_START:
        mp_radv_set_running(h, ifindex, e->kind == MP_SCN_EV_RA_START);
        break;
    case MP_SCN_EV_RA_PREFIX:
        mp_radv_set_prefix(h, ifindex, &p);
        break;
    case MP_SCN_EV_LEASE:
        /* A DHCP lease without DHCP: the address with valid_lft and
         * preferred_lft of the lease, as dhclient sets them; a new lease
         * for the address replaces what was left of the old one. */
        if (mp_host_addr_find(h, ifindex, ip))
            mp_host_addr_set_lifetimes(h, ifindex, ip, now + e->value, now + e->value);
        else
            mp_host_addr_add_lifetimes(h, ifindex, ip, e->addr.len, 0, now + e->value,
                                       now + e->value);
        break;
    default:
        break;
    }
}

static void apply_event(void *arg, mp_time_t now)
{
    struct ev_ctx *c = arg;
    struct mp_build *b = c->b;
    const struct mp_scn_event *e = c->e;
    char *note = g_strdup_printf("%s: %s", e->name, e->text);
    mp_world_note(b->w, note);
    g_free(note);
    b->events_applied++;

    if (e->kind == MP_SCN_EV_LINK_DOWN || e->kind == MP_SCN_EV_LINK_UP) {
        mp_link_set_up(b->links[e->link], e->kind == MP_SCN_EV_LINK_UP);
        return;
    }
    if (e->kind == MP_SCN_EV_ENDPOINT_ADD || e->kind == MP_SCN_EV_ENDPOINT_DEL ||
        e->kind == MP_SCN_EV_ENDPOINT_CHANGE) {
        struct mp_mptcp_stack *st = mp_mptcp_stack_of(mp_node_host(b->nodes[e->node]));
        int rc = -ENOPROTOOPT; /* mptcp = off */
        if (st && e->kind == MP_SCN_EV_ENDPOINT_ADD)
            rc = mp_mptcp_endpoint_add(st, &e->ep, now);
        else if (st && e->kind == MP_SCN_EV_ENDPOINT_DEL)
            rc = mp_mptcp_endpoint_del(st, &e->ep.addr, now);
        else if (st)
            rc = mp_mptcp_endpoint_change(st, &e->ep.addr, e->backup, now);
        if (rc < 0) {
            /* As `ip mptcp endpoint` would: the run goes on. */
            char *w = g_strdup_printf("%s: %s: %s", e->name, e->text, g_strerror(-rc));
            mp_world_note(b->w, w);
            g_free(w);
        }
        return;
    }
    if (e->kind != MP_SCN_EV_LINK_SET) {
        node_event(mp_node_host(b->nodes[e->node]), e, now);
        return;
    }
    struct mp_link *l = b->links[e->link];
    if (e->param == MP_SCN_LP_MIDDLEBOX) {
        const struct mp_mbox_list *lists[2];
        for (int d = 0; d < 2; d++)
            lists[d] = e->dirs & (1u << d) ? &e->mbox : NULL;
        mp_middlebox_set(l, lists, true, now);
        return;
    }
    for (int d = 0; d < 2; d++) {
        if (!(e->dirs & (1u << d)))
            continue;
        struct mp_build_faults *f = &b->faults[e->link][d];
        switch (e->param) {
        case MP_SCN_LP_RATE:
            mp_link_set_rate(l, d, e->value);
            break;
        case MP_SCN_LP_DELAY:
            mp_link_set_delay(l, d, e->value);
            break;
        case MP_SCN_LP_LOSS:
            mp_fault_set_prob(f->loss, mp_prob_from_ppm((uint32_t)e->value), now);
            break;
        case MP_SCN_LP_CORRUPT:
            mp_fault_set_prob(f->corrupt, mp_prob_from_ppm((uint32_t)e->value), now);
            break;
        case MP_SCN_LP_DUPLICATE:
            mp_fault_set_prob(f->dup, mp_prob_from_ppm((uint32_t)e->value), now);
            break;
        case MP_SCN_LP_REORDER:
            mp_fault_set_prob(f->reorder, mp_prob_from_ppm((uint32_t)e->value), now);
            break;
        default:
            break; /* rejected when building */
        }
    }
}

static bool schedule_events(struct mp_build *b, struct ev_ctx *ctxs, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_events; i++) {
        const struct mp_scn_event *e = &scn->events[i];
        if (e->kind == MP_SCN_EV_LINK_SET) {
            switch (e->param) {
            case MP_SCN_LP_RATE:
            case MP_SCN_LP_DELAY:
            case MP_SCN_LP_LOSS:
            case MP_SCN_LP_CORRUPT:
            case MP_SCN_LP_DUPLICATE:
            case MP_SCN_LP_REORDER:
            case MP_SCN_LP_MIDDLEBOX:
                break;
            default:
                return fail(err, scn, e->line,
                            "[events] %s: changing %s while the simulation runs is not supported "
                            "(supported: rate, delay, loss, corrupt, duplicate, reorder, "
                            "middlebox)",
                            e->name, mp_scn_link_param_name(e->param));
            }
        }
        ctxs[i].b = b;
        ctxs[i].e = e;
        mp_engine_at(mp_world_engine(b->w), e->at, apply_event, &ctxs[i]);
    }
    return true;
}

/* ---- applications ---- */

static void app_stop(void *arg, mp_time_t now)
{
    struct mp_build_app *a = arg;
    mp_proc_kill(a->proc);
}

/* [nameserver]: a dns-server process answering for [dns], and its address
 * as every host's name server. */
static bool start_nameserver(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    const struct mp_scn_nameserver *ns = &scn->ns;
    if (!ns->present)
        return true;
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    char ip[MP_IP_STRLEN];
    g_ptr_array_add(argv, g_strdup("dns-server"));
    g_ptr_array_add(argv, g_strdup("--port=53"));
    g_ptr_array_add(argv, g_strdup_printf("--bind=%s", mp_ip_str(&ns->addr, ip)));
    if (ns->delay)
        g_ptr_array_add(argv, g_strdup_printf("--delay=%" G_GUINT64_FORMAT "ns", ns->delay));
    for (size_t i = 0; i < scn->n_dns; i++) {
        GString *r = g_string_new(NULL);
        g_string_printf(r, "--record=%s=", scn->dns[i].name);
        for (size_t j = 0; j < scn->dns[i].n_addrs; j++)
            g_string_append_printf(r, "%s%s", j ? "," : "", mp_ip_str(&scn->dns[i].addrs[j], ip));
        g_ptr_array_add(argv, g_string_free(r, FALSE));
    }
    for (size_t i = 0; i < ns->n_fails; i++)
        g_ptr_array_add(argv, g_strdup_printf("--fail=%s=%s", ns->fails[i].name, ns->fails[i].mode));
    const struct mp_app_def *def = mp_apps_lookup("dns-server");
    struct mp_node *n = b->nodes[ns->node];
    b->ns_proc = def ? mp_proc_spawn(mp_node_procs(n), "nameserver", 0, def->main, (int)argv->len,
                                     (char **)argv->pdata, 0)
                     : NULL;
    g_ptr_array_free(argv, TRUE);
    b->ns_node = n;
    if (!b->ns_proc)
        return fail(err, scn, ns->line, "[nameserver]: cannot start the name server");

    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (ns->addr.v == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(53);
        memcpy(&in->sin_addr, ns->addr.b, 4);
        len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(53);
        memcpy(&in6->sin6_addr, ns->addr.b, 16);
        len = sizeof(*in6);
    }
    for (size_t i = 0; i < scn->n_nodes; i++)
        if (afmp_resolver_host_set_server(mp_node_host(b->nodes[i]), (struct sockaddr *)&ss, len) < 0)
            return fail(err, scn, ns->line, "[nameserver]: cannot configure the resolver of %s: %s",
                        scn->nodes[i].name, g_strerror(errno));
    return true;
}

static bool spawn_apps(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_apps; i++) {
        const struct mp_scn_app *sa = &scn->apps[i];
        int (*main_fn)(int, char **) = NULL;
        if (sa->plugin) {
            GError *e2 = NULL;
            mp_app_main_fn fn = NULL;
            /* A private copy per [app]: instances share no globals. */
            GModule *mod = mp_program_open(sa->plugin, &fn, &e2);
            if (mod)
                g_ptr_array_add(b->modules, mod);
            main_fn = fn;
            if (!mod) {
                fail(err, scn, sa->line, "[app %s] plugin: %s", sa->name, e2->message);
                g_error_free(e2);
                return false;
            }
        } else {
            const struct mp_app_def *def = mp_apps_lookup(sa->argv[0]);
            if (!def)
                return fail(err, scn, sa->line, "[app %s] argv: no built-in application '%s'",
                            sa->name, sa->argv[0]);
            main_fn = def->main;
        }
        struct mp_node *n = b->nodes[sa->host];
        b->apps[i].node = n;
        b->apps[i].proc = mp_proc_spawn(mp_node_procs(n), sa->name, sa->start, main_fn, sa->argc,
                                        sa->argv, sa->stack);
        if (!b->apps[i].proc)
            return fail(err, scn, sa->line, "[app %s]: cannot start: %s", sa->name,
                        g_strerror(errno));
        if (sa->stop != MP_TIME_NEVER)
            mp_engine_at(mp_world_engine(b->w), sa->stop, app_stop, &b->apps[i]);
    }
    return true;
}

static bool check_expectations(struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_expects; i++) {
        const struct mp_scn_expect *x = &scn->expects[i];
        if (x->kind == MP_SCN_EXP_COUNTER && mp_ctr_lookup(x->counter) < 0)
            return fail(err, scn, x->line, "[expect] %s: no counter named '%s'", x->name,
                        x->counter);
    }
    return true;
}

static void close_module(gpointer m)
{
    g_module_close(m);
}

struct mp_build *mp_build_new(const struct mp_scenario *scn, const struct mp_world_conf *wc,
                              GError **err)
{
    struct mp_world_conf c = *wc;
    struct mp_build *b = g_new0(struct mp_build, 1);
    c.seed = scn->seed;
    c.compact_routes = scn->compact_routes;
    if (!c.snaplen)
        c.snaplen = scn->snaplen;
    c.pcap = c.pcap && scn->pcap;
    c.pcapng = c.pcapng && scn->pcapng;
    b->scn = scn;
    b->w = mp_world_new(&c);
    b->nodes = g_new0(struct mp_node *, scn->n_nodes + 1);
    b->links = g_new0(struct mp_link *, scn->n_links + 1);
    b->faults = g_malloc0_n(scn->n_links + 1, sizeof(*b->faults));
    b->apps = g_new0(struct mp_build_app, scn->n_apps + 1);
    b->ev_ctxs = g_new0(struct ev_ctx, scn->n_events + 1);
    b->modules = g_ptr_array_new_with_free_func(close_module);
    if (!check_expectations(b, err) || !build_nodes(b, err) || !build_links(b, err)) {
        mp_build_free(b);
        return NULL;
    }
    /* Routes: computed for nodes without route.* keys, written for the
     * others (connected prefixes come with the addresses either way). */
    mp_world_compute_routes(b->w);
    if (!static_routes(b, err) || !start_radv(b, err) || !schedule_events(b, b->ev_ctxs, err) ||
        !start_nameserver(b, err) || !spawn_apps(b, err)) {
        mp_build_free(b);
        return NULL;
    }
    return b;
}

void mp_build_free(struct mp_build *b)
{
    if (!b)
        return;
    /* Processes end before the code they run is unloaded. */
    mp_world_free(b->w);
    g_ptr_array_free(b->modules, TRUE);
    g_free(b->nodes);
    g_free(b->links);
    g_free(b->faults);
    g_free(b->apps);
    g_free(b->ev_ctxs);
    g_free(b);
}
