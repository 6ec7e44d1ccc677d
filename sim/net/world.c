/* afmp: the embedded engine's world (see world.h). */
#include "sim/net/world.h"

#include <errno.h>
#include <string.h>

#include "afmp/stack.h"
#include "model/mptcp/mptcp.h"
#include "model/tcp/tcp.h"
#include "model/trace.h"
#include "model/wire/wire.h"
#include "sim/capture/pcap.h"
#include "sim/capture/pcapng.h"

struct port {
    struct mp_port port; /* first: the link hands us this pointer */
    struct mp_node *node;
    uint32_t ifindex;
    struct mp_link *link;
    struct port *peer; /* the link's other end */
    int end;
    struct mp_pcap *pcap;
    uint32_t png_iface;
    bool png_added;
};

struct mp_node {
    struct mp_world *w;
    char *name;
    struct mp_sim_env se;
    struct mp_host *host;
    struct mp_tcp_stack *tcp;
    char *tcp_cc; /* the name the TCP defaults point at */
    struct mp_proc_table *procs;
    GPtrArray *ports; /* struct port *, index ifindex - 1 */
    struct mp_pcapng *png;
    bool capture;
    bool per_iface_tables;
    bool auto_routes;
    bool rules_installed; /* per-interface tables: later addresses get rules too */
    guint index;          /* in w->nodes */
};

struct mp_world {
    struct mp_world_conf conf;
    char *outdir;
    char *version;
    struct mp_engine *eng;
    struct mp_pkt_pool pool;
    struct mp_trace_sink sink;
    GPtrArray *nodes; /* struct mp_node *, in the order added */
    GPtrArray *links; /* struct mp_link * */
    GPtrArray *link_names;
    bool captures_open;
};

G_DEFINE_QUARK(mp-world-error-quark, mp_world_error)

struct mp_world *mp_world_new(const struct mp_world_conf *conf)
{
    struct mp_world *w = g_new0(struct mp_world, 1);
    w->conf = *conf;
    w->outdir = g_strdup(conf->outdir);
    w->version = g_strdup(conf->version ? conf->version : "afmp");
    w->conf.outdir = w->outdir;
    w->conf.version = w->version;
    if (!w->conf.snaplen)
        w->conf.snaplen = 256;
    w->eng = mp_engine_new();
    mp_pkt_pool_init(&w->pool);
    w->sink.f = conf->trace;
    w->nodes = g_ptr_array_new();
    w->links = g_ptr_array_new();
    w->link_names = g_ptr_array_new_with_free_func(g_free);
    return w;
}

void mp_world_free(struct mp_world *w)
{
    if (!w)
        return;
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *n = g_ptr_array_index(w->nodes, i);
        mp_proc_table_free(n->procs);
        n->procs = NULL;
    }
    mp_world_close_captures(w, NULL);
    for (guint i = 0; i < w->links->len; i++)
        mp_link_free(g_ptr_array_index(w->links, i));
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *n = g_ptr_array_index(w->nodes, i);
        afmp_stack_detach(n->host);
        mp_mptcp_detach(mp_mptcp_stack_of(n->host));
        mp_tcp_detach(n->tcp);
        g_free(n->tcp_cc);
        mp_host_free(n->host);
        for (guint j = 0; j < n->ports->len; j++)
            g_free(g_ptr_array_index(n->ports, j));
        g_ptr_array_free(n->ports, TRUE);
        g_free(n->name);
        g_free(n);
    }
    g_ptr_array_free(w->nodes, TRUE);
    g_ptr_array_free(w->links, TRUE);
    g_ptr_array_free(w->link_names, TRUE);
    mp_engine_free(w->eng);
    mp_pkt_pool_clear(&w->pool);
    g_free(w->outdir);
    g_free(w->version);
    g_free(w);
}

struct mp_engine *mp_world_engine(struct mp_world *w)
{
    return w->eng;
}

struct mp_pkt_pool *mp_world_pool(struct mp_world *w)
{
    return &w->pool;
}

struct mp_trace_sink *mp_world_trace_sink(struct mp_world *w)
{
    return &w->sink;
}

/* ---- capture taps ---- */

static void tap(struct port *p, struct mp_pkt *pkt, int dir)
{
    struct mp_node *n = p->node;
    mp_time_t now = mp_engine_now(n->w->eng);
    if (pkt->flags & MP_PKT_CSUM_PENDING)
        mp_wire_csum_finalize(pkt);
    if (p->pcap)
        mp_pcap_write(p->pcap, now, pkt->data, pkt->len);
    if (n->png && p->png_added)
        mp_pcapng_write(n->png, p->png_iface, now, pkt->data, pkt->len, dir, NULL);
}

static inline bool tapped(const struct port *p)
{
    return p->pcap || (p->node->png && p->png_added);
}

/* ---- packets between hosts and links ---- */

static void node_output(void *owner, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct mp_node *n = owner;
    struct port *p = ifindex && ifindex <= n->ports->len ? g_ptr_array_index(n->ports, ifindex - 1)
                                                          : NULL;
    if (!p || !p->link) {
        mp_pkt_free(pkt);
        return;
    }
    if (G_UNLIKELY(tapped(p)))
        tap(p, pkt, MP_PCAPNG_DIR_OUT);
    mp_link_send(p->link, p->end, pkt);
}

static void port_deliver(struct mp_port *mport, struct mp_pkt *pkt, mp_time_t now)
{
    struct port *p = (struct port *)mport;
    if (G_UNLIKELY(tapped(p)))
        tap(p, pkt, MP_PCAPNG_DIR_IN);
    mp_host_input(p->node->host, p->ifindex, pkt);
}

static void port_carrier(struct mp_port *mport, bool up, mp_time_t now)
{
    struct port *p = (struct port *)mport;
    mp_host_set_carrier(p->node->host, p->ifindex, up);
}

/* ---- nodes ---- */

static void iface_addr_event(void *arg, struct mp_host *h, const struct mp_host_event *ev);

/* Address and interface changes of a captured node become comments in its
 * pcapng, as scenario events do in every one ("client: addr-removed wlan0
 * 10.0.2.2/24 expired"). Carrier changes are not: they follow link events,
 * which are comments already. */
static void note_host_event(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct mp_node *n = arg;
    if (!n->png || ev->kind == MP_HOST_CARRIER_UP || ev->kind == MP_HOST_CARRIER_DOWN)
        return;
    GString *s = g_string_new(NULL);
    g_string_printf(s, "%s: ", n->name);
    mp_host_event_format(h, ev, s);
    mp_pcapng_event(n->png, mp_engine_now(n->w->eng), s->str);
    g_string_free(s, TRUE);
}

struct mp_node *mp_world_add_node(struct mp_world *w, const char *name,
                                  const struct mp_host_opts *opts, bool capture)
{
    struct mp_node *n = g_new0(struct mp_node, 1);
    n->w = w;
    n->name = g_strdup(name);
    n->capture = capture;
    n->auto_routes = true;
    n->ports = g_ptr_array_new();
    mp_sim_env_init(&n->se, w->eng, w->conf.seed, &w->pool, node_output, n, &w->sink,
                    w->conf.trace ? w->conf.trace_mask : 0);
    n->host = mp_host_new(name, &n->se.env, opts);
    n->host->user = n;
    /* First of the host's listeners: a new address has its route before
     * MPTCP opens a subflow from it. */
    mp_host_listen(n->host, iface_addr_event, n);
    mp_host_listen(n->host, note_host_event, n);
    /* Every host speaks TCP, with Linux's defaults until the scenario
     * says otherwise (mp_node_set_tcp_opts). */
    n->tcp = mp_tcp_attach(n->host, NULL);
    mp_mptcp_attach(n->host, NULL);
    afmp_stack_attach(n->host);
    n->procs = mp_proc_table_new(&n->se.env, name, n->host);
    mp_proc_table_set_exit_hook(n->procs, afmp_stack_proc_exit, NULL);
    n->index = w->nodes->len;
    g_ptr_array_add(w->nodes, n);
    return n;
}

void mp_node_set_tcp_opts(struct mp_node *n, const struct mp_tcp_opts *o)
{
    struct mp_tcp_opts d;
    if (o) {
        d = *o;
    } else {
        mp_tcp_opts_default(&d);
    }
    char *cc = g_strdup(d.cc);
    d.cc = cc;
    /* A fresh stack with the new defaults (nothing uses the old one yet). */
    mp_tcp_detach(n->tcp);
    n->tcp = mp_tcp_attach(n->host, &d);
    g_free(n->tcp_cc);
    n->tcp_cc = cc;
}

int mp_node_set_mptcp(struct mp_node *n, const struct mp_mptcp_config *c)
{
    mp_mptcp_detach(mp_mptcp_stack_of(n->host));
    return mp_mptcp_attach(n->host, c) ? 0 : -ENOENT;
}

struct mp_node *mp_world_node(struct mp_world *w, const char *name)
{
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *n = g_ptr_array_index(w->nodes, i);
        if (strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

size_t mp_world_node_count(const struct mp_world *w)
{
    return w->nodes->len;
}

struct mp_node *mp_world_node_at(struct mp_world *w, size_t i)
{
    return i < w->nodes->len ? g_ptr_array_index(w->nodes, i) : NULL;
}

struct mp_host *mp_node_host(struct mp_node *n)
{
    return n->host;
}

const char *mp_node_name(const struct mp_node *n)
{
    return n->name;
}

const struct mp_env *mp_node_env(struct mp_node *n)
{
    return &n->se.env;
}

struct mp_proc_table *mp_node_procs(struct mp_node *n)
{
    return n->procs;
}

void mp_node_set_per_iface_tables(struct mp_node *n, bool on)
{
    n->per_iface_tables = on;
}

void mp_node_set_auto_routes(struct mp_node *n, bool on)
{
    n->auto_routes = on;
}

static void png_add_iface(struct mp_node *n, struct port *p)
{
    struct mp_iface *ifc = mp_host_iface(n->host, p->ifindex);
    struct mp_pcapng_addr addrs[16];
    size_t na = 0;
    for (guint i = 0; i < ifc->addrs->len && na < G_N_ELEMENTS(addrs); i++, na++) {
        struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, i);
        addrs[na].ip = a->ip;
        addrs[na].prefix_len = a->plen;
    }
    char *descr = g_strdup_printf("%s %s", n->name, ifc->name);
    p->png_iface = mp_pcapng_add_iface(n->png, ifc->name, descr, addrs, na);
    p->png_added = true;
    g_free(descr);
}

static bool open_port_pcap(struct mp_world *w, struct mp_node *n, struct port *p, GError **err)
{
    struct mp_iface *ifc = mp_host_iface(n->host, p->ifindex);
    if (w->conf.pcap) {
        char *base = g_strdup_printf("%s-%s.pcap", n->name, ifc->name);
        char *path = g_build_filename(w->outdir, base, NULL);
        p->pcap = mp_pcap_open(path, w->conf.snaplen, err);
        g_free(base);
        g_free(path);
        if (!p->pcap)
            return false;
    }
    if (n->png)
        png_add_iface(n, p);
    return true;
}

uint32_t mp_node_add_iface(struct mp_node *n, const char *name, uint32_t mtu)
{
    struct mp_iface *ifc = mp_host_add_iface(n->host, name, mtu);
    struct port *p = g_new0(struct port, 1);
    p->port.deliver = port_deliver;
    p->port.carrier = port_carrier;
    p->port.owner = p;
    p->node = n;
    p->ifindex = ifc->ifindex;
    g_ptr_array_add(n->ports, p);
    if (n->w->captures_open && n->capture)
        open_port_pcap(n->w, n, p, NULL);
    return ifc->ifindex;
}

struct mp_link *mp_world_connect(struct mp_world *w, struct mp_node *a, uint32_t ia,
                                 struct mp_node *b, uint32_t ib, const struct mp_link_conf *conf,
                                 GError **err)
{
    struct port *pa = ia && ia <= a->ports->len ? g_ptr_array_index(a->ports, ia - 1) : NULL;
    struct port *pb = ib && ib <= b->ports->len ? g_ptr_array_index(b->ports, ib - 1) : NULL;
    if (!pa || !pb || pa->link || pb->link || pa == pb) {
        g_set_error(err, MP_WORLD_ERROR, MP_WORLD_ERROR_FAILED,
                    "link %s: an end is missing or already connected", conf->name);
        return NULL;
    }
    struct mp_link_conf c = *conf;
    c.seed = w->conf.seed;
    if (w->conf.trace) {
        c.trace_write = mp_trace_sink_write;
        c.trace_ctx = &w->sink;
        c.trace_mask = w->conf.trace_mask;
    }
    struct mp_link *l = mp_link_new(w->eng, &c, err);
    if (!l)
        return NULL;
    mp_link_attach(l, 0, &pa->port);
    mp_link_attach(l, 1, &pb->port);
    pa->link = l;
    pa->end = 0;
    pa->peer = pb;
    pb->link = l;
    pb->end = 1;
    pb->peer = pa;
    g_ptr_array_add(w->links, l);
    g_ptr_array_add(w->link_names, g_strdup(conf->name));
    mp_host_set_carrier(a->host, ia, true);
    mp_host_set_carrier(b->host, ib, true);
    return l;
}

struct mp_link *mp_world_link(struct mp_world *w, const char *name)
{
    for (guint i = 0; i < w->link_names->len; i++)
        if (strcmp(g_ptr_array_index(w->link_names, i), name) == 0)
            return g_ptr_array_index(w->links, i);
    return NULL;
}

/* ---- routes from the topology ---- */

struct hop {
    int dist;        /* -1: unreached */
    uint32_t ifindex; /* first hop from the source */
    struct mp_ip gw;
};

static const struct mp_ifaddr *first_addr(const struct mp_iface *ifc, uint8_t v)
{
    for (guint i = 0; i < ifc->addrs->len; i++) {
        const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, i);
        if (a->ip.v == v)
            return a;
    }
    return NULL;
}

/* The neighbour across |p|'s link when both ends have an address of family
 * |v| (|any_mine|: whether or not |p| has one yet); its address there is
 * the gateway. */
static struct port *peer_port(struct port *p, uint8_t v, bool any_mine, struct mp_ip *gw)
{
    if (!p->link)
        return NULL;
    struct mp_iface *mine = mp_host_iface(p->node->host, p->ifindex);
    if (!mine->up || (!any_mine && !first_addr(mine, v)))
        return NULL;
    struct port *q = p->peer;
    const struct mp_ifaddr *a = first_addr(mp_host_iface(q->node->host, q->ifindex), v);
    if (!a)
        return NULL;
    *gw = a->ip;
    return q;
}

/* Breadth-first search from |src| for family |v|; with |only| != 0 the
 * first hop must be interface |only|. Fills |hops| (indexed like w->nodes)
 * and |order| (nodes in the order reached). Only routers carry transit
 * traffic: hosts are reached but not expanded. */
/* The neighbours of every forwarding node for family |v|, as the search
 * reaches them from a node that is not its root (node indices in port
 * order): computed once per family, since nothing that peer_port() reads
 * changes while the routes are computed. */
static GArray **neighbours_new(struct mp_world *w, uint8_t v)
{
    GArray **adj = g_new0(GArray *, w->nodes->len ? w->nodes->len : 1);
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *u = g_ptr_array_index(w->nodes, i);
        if (!u->host->opts.forward)
            continue;
        adj[i] = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint j = 0; j < u->ports->len; j++) {
            struct mp_ip gw;
            struct port *q = peer_port(g_ptr_array_index(u->ports, j), v, false, &gw);
            if (q)
                g_array_append_val(adj[i], q->node->index);
        }
    }
    return adj;
}

static void neighbours_free(struct mp_world *w, GArray **adj)
{
    for (guint i = 0; i < w->nodes->len; i++)
        if (adj[i])
            g_array_free(adj[i], TRUE);
    g_free(adj);
}

static void bfs(struct mp_world *w, struct mp_node *src, uint8_t v, uint32_t only, struct hop *hops,
                GArray *order, GArray **adj)
{
    guint n = w->nodes->len;
    for (guint i = 0; i < n; i++)
        hops[i].dist = -1;
    g_array_set_size(order, 0);
    guint s = src->index;
    hops[s].dist = 0;
    g_array_append_val(order, s);
    for (guint head = 0; head < order->len; head++) {
        guint ui = g_array_index(order, guint, head);
        struct mp_node *u = g_ptr_array_index(w->nodes, ui);
        if (ui != s && !u->host->opts.forward)
            continue;
        if (ui != s) {
            const GArray *nb = adj[ui];
            for (guint j = 0; j < nb->len; j++) {
                guint vi = g_array_index(nb, guint, j);
                if (hops[vi].dist >= 0)
                    continue;
                hops[vi].dist = hops[ui].dist + 1;
                hops[vi].ifindex = hops[ui].ifindex;
                hops[vi].gw = hops[ui].gw;
                g_array_append_val(order, vi);
            }
            continue;
        }
        for (guint j = 0; j < u->ports->len; j++) {
            struct port *p = g_ptr_array_index(u->ports, j);
            struct mp_ip gw;
            if (ui == s && only && p->ifindex != only)
                continue;
            /* An interface's own table is filled even while it has no
             * address of the family: one that comes later (DHCP, SLAAC,
             * `addr add`) leaves by it at once (iface_addr_event). */
            struct port *q = peer_port(p, v, ui == s && only, &gw);
            if (!q)
                continue;
            guint vi = q->node->index;
            if (hops[vi].dist >= 0)
                continue;
            hops[vi].dist = hops[ui].dist + 1;
            hops[vi].ifindex = ui == s ? p->ifindex : hops[ui].ifindex;
            hops[vi].gw = ui == s ? gw : hops[ui].gw;
            g_array_append_val(order, vi);
        }
    }
}

static bool connected_to(struct mp_host *h, const struct mp_prefix *pfx)
{
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < ifc->addrs->len; j++) {
            const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
            if (a->ip.v == pfx->ip.v && a->plen <= pfx->len && mp_prefix_contains(pfx, &a->ip) &&
                a->plen == pfx->len)
                return true;
        }
    }
    return false;
}

/* routes = compact: the prefixes of one family, numbered once per
 * mp_world_compute_routes() call: every distinct masked prefix an id, every
 * node the ids of its addresses (in address order). */
struct prefixes {
    GArray *pfx;       /* struct mp_prefix, by id */
    GArray **of_node;  /* guint ids, by node index */
    guint *stamp;      /* by id: the last table that took the prefix */
    guint epoch;
};

static guint prefix_hash(gconstpointer p)
{
    const struct mp_prefix *x = p;
    guint h = x->len * 16777619u ^ x->ip.v;
    for (int i = 0; i < 16; i++)
        h = (h ^ x->ip.b[i]) * 16777619u;
    return h;
}

static gboolean prefix_equal(gconstpointer a, gconstpointer b)
{
    const struct mp_prefix *x = a, *y = b;
    return x->len == y->len && mp_ip_eq(&x->ip, &y->ip);
}

static void prefixes_init(struct mp_world *w, uint8_t v, struct prefixes *px)
{
    guint n = w->nodes->len;
    GHashTable *ids = g_hash_table_new_full(prefix_hash, prefix_equal, g_free, NULL);
    px->pfx = g_array_new(FALSE, FALSE, sizeof(struct mp_prefix));
    px->of_node = g_new0(GArray *, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        struct mp_node *d = g_ptr_array_index(w->nodes, i);
        px->of_node[i] = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint k = 0; k < d->host->ifaces->len; k++) {
            struct mp_iface *ifc = g_ptr_array_index(d->host->ifaces, k);
            for (guint j = 0; j < ifc->addrs->len; j++) {
                const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
                if (a->ip.v != v)
                    continue;
                struct mp_prefix x;
                mp_prefix_make(&a->ip, a->plen, &x);
                mp_prefix_masked(&x, &x);
                gpointer id;
                if (!g_hash_table_lookup_extended(ids, &x, NULL, &id)) {
                    id = GUINT_TO_POINTER(px->pfx->len);
                    g_array_append_val(px->pfx, x);
                    g_hash_table_insert(ids, g_memdup2(&x, sizeof(x)), id);
                }
                guint u = GPOINTER_TO_UINT(id);
                g_array_append_val(px->of_node[i], u);
            }
        }
    }
    g_hash_table_destroy(ids);
    px->stamp = g_new0(guint, px->pfx->len ? px->pfx->len : 1);
    px->epoch = 0;
}

static void prefixes_clear(struct mp_world *w, struct prefixes *px)
{
    for (guint i = 0; i < w->nodes->len; i++)
        g_array_free(px->of_node[i], TRUE);
    g_free(px->of_node);
    g_array_free(px->pfx, TRUE);
    g_free(px->stamp);
}

static bool same_hop(const struct hop *a, const struct hop *b)
{
    return a->ifindex == b->ifindex && mp_ip_eq(&a->gw, &b->gw);
}

/*
 * routes = compact: the next hop that most destinations of the table share
 * becomes its default route, and only the destinations reached otherwise
 * get a route of their own. Every address in the world is forwarded as
 * with a route per prefix; an address of no node goes to that default
 * instead of "no route" (ENETUNREACH). The tables of a world of N hosts
 * shrink from N prefixes each to the exceptions (a tree of routers: none on
 * a host, its subtrees on a router). A table that has a default route of
 * the scenario's gets a route per prefix, as without the option (false).
 */
static bool install_compact(struct mp_world *w, struct mp_node *src, uint8_t v, uint32_t table,
                            struct hop *hops, GArray *order, struct prefixes *px)
{
    /* Each prefix once, from its nearest owner (BFS order), as the full
     * tables' "first add wins"; the main table leaves the connected ones
     * (the interfaces' own routes) out. */
    guint epoch = ++px->epoch;
    if (table == MP_RT_TABLE_MAIN) {
        GArray *own = px->of_node[src->index];
        for (guint j = 0; j < own->len; j++) {
            guint id = g_array_index(own, guint, j);
            const struct mp_prefix *x = &g_array_index(px->pfx, struct mp_prefix, id);
            if (connected_to(src->host, x))
                px->stamp[id] = epoch;
        }
    }
    GArray *dests = g_array_new(FALSE, FALSE, sizeof(guint[2])); /* {prefix id, node} */
    /* A first hop is an interface of |src| (its link's far end the
     * gateway): counted by ifindex. */
    guint nif = src->ports->len + 1;
    guint *cnt = g_new0(guint, nif), *rep = g_new0(guint, nif);
    for (guint k = 1; k < order->len; k++) {
        guint di = g_array_index(order, guint, k);
        GArray *ids = px->of_node[di];
        for (guint j = 0; j < ids->len; j++) {
            guint id = g_array_index(ids, guint, j);
            if (px->stamp[id] == epoch)
                continue;
            px->stamp[id] = epoch;
            guint e[2] = {id, di};
            g_array_append_vals(dests, e, 1);
            uint32_t fi = hops[di].ifindex;
            if (fi < nif) {
                if (!cnt[fi]++)
                    rep[fi] = di;
            }
        }
    }
    guint best = 0;
    for (guint q = 1; q < nif; q++)
        if (cnt[q] > cnt[best])
            best = q;
    bool ok = true;
    if (cnt[best] > 0) {
        const struct hop *dh = &hops[rep[best]];
        struct mp_rt_route def = {0};
        def.dst.ip.v = v;
        def.ifindex = dh->ifindex;
        def.gw = dh->gw;
        def.kind = MP_RT_UNICAST;
        def.metric = v == 4 ? 0 : 1024;
        if (mp_rt_route_add(src->host->rt, table, &def, 0) < 0) {
            ok = false; /* the scenario's own default: routes per prefix */
        } else {
            for (guint k = 0; k < dests->len; k++) {
                const guint *e = &g_array_index(dests, guint, 2 * k);
                if (same_hop(&hops[e[1]], dh))
                    continue;
                struct mp_rt_route r = {0};
                r.dst = g_array_index(px->pfx, struct mp_prefix, e[0]);
                r.ifindex = hops[e[1]].ifindex;
                r.gw = hops[e[1]].gw;
                r.kind = MP_RT_UNICAST;
                r.metric = def.metric;
                mp_rt_route_add(src->host->rt, table, &r, 0);
            }
        }
    }
    g_free(cnt);
    g_free(rep);
    g_array_free(dests, TRUE);
    return ok;
}

/* routes = compact without a search: a table whose every destination
 * leaves by one interface (the interface's own table, or the main table of
 * a host with one interface) towards a router is that default route alone.
 * True when done. */
static bool install_one_way(struct mp_world *w, struct mp_node *src, uint8_t v, uint32_t only,
                            uint32_t table, struct prefixes *px)
{
    if (!only && src->ports->len != 1)
        return false;
    struct port *p = g_ptr_array_index(src->ports, only ? only - 1 : 0);
    struct mp_ip gw;
    struct port *q = peer_port(p, v, only != 0, &gw);
    if (!q || !q->node->host->opts.forward)
        return false;
    /* the router owns a prefix that this table would route (the main one
     * leaves the connected ones out) */
    GArray *ids = px->of_node[q->node->index];
    bool any = false;
    for (guint j = 0; j < ids->len && !any; j++)
        any = table != MP_RT_TABLE_MAIN ||
              !connected_to(src->host, &g_array_index(px->pfx, struct mp_prefix,
                                                      g_array_index(ids, guint, j)));
    if (!any)
        return false;
    struct mp_rt_route def = {0};
    def.dst.ip.v = v;
    def.ifindex = p->ifindex;
    def.gw = gw;
    def.kind = MP_RT_UNICAST;
    def.metric = v == 4 ? 0 : 1024;
    return mp_rt_route_add(src->host->rt, table, &def, 0) == 0;
}

static void install(struct mp_world *w, struct mp_node *src, uint8_t v, uint32_t only,
                    uint32_t table, struct hop *hops, GArray *order, struct prefixes *px,
                    GArray **adj)
{
    if (px && !src->host->opts.forward && install_one_way(w, src, v, only, table, px))
        return;
    bfs(w, src, v, only, hops, order, adj);
    if (px && install_compact(w, src, v, table, hops, order, px))
        return;
    for (guint k = 1; k < order->len; k++) {
        guint di = g_array_index(order, guint, k);
        struct mp_node *d = g_ptr_array_index(w->nodes, di);
        for (guint i = 0; i < d->host->ifaces->len; i++) {
            struct mp_iface *ifc = g_ptr_array_index(d->host->ifaces, i);
            for (guint j = 0; j < ifc->addrs->len; j++) {
                const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
                struct mp_rt_route r = {0};
                if (a->ip.v != v)
                    continue;
                mp_prefix_make(&a->ip, a->plen, &r.dst);
                mp_prefix_masked(&r.dst, &r.dst);
                if (table == MP_RT_TABLE_MAIN && connected_to(src->host, &r.dst))
                    continue;
                r.ifindex = hops[di].ifindex;
                r.gw = hops[di].gw;
                r.kind = MP_RT_UNICAST;
                r.metric = v == 4 ? 0 : 1024;
                /* The nearest owner of a prefix wins: later adds of the same
                 * prefix fail with -EEXIST and are ignored. */
                mp_rt_route_add(src->host->rt, table, &r, 0);
            }
        }
    }
}

/* The rule and the connected route that make |a| leave by its own
 * interface's table (mp_world_compute_routes), added or removed. */
static void iface_source_rule(struct mp_node *n, uint32_t ifindex, const struct mp_ifaddr *a,
                              bool add)
{
    uint32_t table = 100 + ifindex;
    struct mp_rt_route conn = {0};
    mp_prefix_make(&a->ip, a->plen, &conn.dst);
    mp_prefix_masked(&conn.dst, &conn.dst);
    conn.ifindex = ifindex;
    conn.kind = MP_RT_UNICAST;
    struct mp_rt_rule rule = {0};
    rule.priority = table;
    rule.family = a->ip.v;
    mp_prefix_make(&a->ip, a->ip.v == 4 ? 32 : 128, &rule.from);
    rule.table = table;
    rule.action = MP_RT_RULE_LOOKUP;
    if (add) {
        mp_rt_route_add(n->host->rt, table, &conn, 0);
        mp_rt_rule_add(n->host->rt, &rule);
    } else {
        mp_rt_rule_del(n->host->rt, &rule);
    }
}

/* Addresses that come later (scenario events) get their rule too, as
 * those given at the start. */
static void iface_addr_event(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct mp_node *n = arg;
    (void)h;
    if (!n->rules_installed)
        return;
    if (ev->kind == MP_HOST_ADDR_ADDED || ev->kind == MP_HOST_ADDR_REMOVED)
        iface_source_rule(n, ev->ifindex, &ev->addr, ev->kind == MP_HOST_ADDR_ADDED);
}

void mp_world_compute_routes(struct mp_world *w)
{
    guint n = w->nodes->len;
    struct hop *hops = g_new0(struct hop, n);
    GArray *order = g_array_new(FALSE, FALSE, sizeof(guint));
    static const uint8_t fams[2] = {4, 6};
    struct prefixes px[2];
    if (w->conf.compact_routes)
        for (int f = 0; f < 2; f++)
            prefixes_init(w, fams[f], &px[f]);
    struct prefixes *pxp[2] = {w->conf.compact_routes ? &px[0] : NULL,
                               w->conf.compact_routes ? &px[1] : NULL};
    GArray **adj[2] = {neighbours_new(w, 4), neighbours_new(w, 6)};

    for (guint i = 0; i < n; i++) {
        struct mp_node *src = g_ptr_array_index(w->nodes, i);
        if (!src->auto_routes)
            continue;
        for (int f = 0; f < 2; f++) {
            install(w, src, fams[f], 0, MP_RT_TABLE_MAIN, hops, order, pxp[f], adj[f]);
            if (!src->per_iface_tables || src->ports->len < 2)
                continue;
            for (guint j = 0; j < src->host->ifaces->len; j++) {
                struct mp_iface *ifc = g_ptr_array_index(src->host->ifaces, j);
                install(w, src, fams[f], ifc->ifindex, 100 + ifc->ifindex, hops, order, pxp[f],
                        adj[f]);
                for (guint k = 0; k < ifc->addrs->len; k++) {
                    const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, k);
                    if (a->ip.v == fams[f])
                        iface_source_rule(src, ifc->ifindex, a, true);
                }
            }
        }
        src->rules_installed = src->per_iface_tables && src->ports->len >= 2;
    }
    if (w->conf.compact_routes)
        for (int f = 0; f < 2; f++)
            prefixes_clear(w, &px[f]);
    for (int f = 0; f < 2; f++)
        neighbours_free(w, adj[f]);
    g_array_free(order, TRUE);
    g_free(hops);
}

/* ---- captures ---- */

bool mp_world_open_captures(struct mp_world *w, GError **err)
{
    if (!w->outdir || w->captures_open)
        return true;
    if (g_mkdir_with_parents(w->outdir, 0755) < 0) {
        g_set_error(err, MP_WORLD_ERROR, MP_WORLD_ERROR_FAILED, "%s: cannot create: %s", w->outdir,
                    g_strerror(errno));
        return false;
    }
    w->captures_open = true;
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *n = g_ptr_array_index(w->nodes, i);
        if (!n->capture)
            continue;
        if (w->conf.pcapng) {
            char *base = g_strdup_printf("%s.pcapng", n->name);
            char *path = g_build_filename(w->outdir, base, NULL);
            n->png = mp_pcapng_open(path, w->conf.snaplen, w->version, err);
            g_free(base);
            g_free(path);
            if (!n->png)
                return false;
        }
        for (guint j = 0; j < n->ports->len; j++)
            if (!open_port_pcap(w, n, g_ptr_array_index(n->ports, j), err))
                return false;
    }
    return true;
}

bool mp_world_close_captures(struct mp_world *w, GError **err)
{
    bool ok = true;
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *n = g_ptr_array_index(w->nodes, i);
        for (guint j = 0; j < n->ports->len; j++) {
            struct port *p = g_ptr_array_index(n->ports, j);
            if (p->pcap && mp_pcap_close(p->pcap, ok ? err : NULL) < 0)
                ok = false;
            p->pcap = NULL;
            p->png_added = false;
        }
        if (n->png && mp_pcapng_close(n->png, ok ? err : NULL) < 0)
            ok = false;
        n->png = NULL;
    }
    w->captures_open = false;
    return ok;
}

void mp_world_note(struct mp_world *w, const char *text)
{
    mp_time_t now = mp_engine_now(w->eng);
    for (guint i = 0; i < w->nodes->len; i++) {
        struct mp_node *n = g_ptr_array_index(w->nodes, i);
        if (n->png)
            mp_pcapng_event(n->png, now, text);
    }
    if (w->conf.trace && (w->conf.trace_mask & MP_TRACE_SCENARIO)) {
        struct mp_trace_rec r;
        mp_trace_begin(&r, now, "scenario", "scenario.event");
        mp_trace_str(&r, "what", text);
        mp_trace_close(&r);
        mp_trace_sink_write(&w->sink, r.buf, r.len);
    }
}

enum mp_run_result mp_world_run(struct mp_world *w, mp_time_t stop)
{
    mp_engine_set_stop(w->eng, stop);
    return mp_engine_run(w->eng);
}
