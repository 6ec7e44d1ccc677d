/*
 * afmp: routing tables and policy rules (see route.h).
 *
 * Each table has two path-compressed binary tries, one per family. Keys are
 * 128-bit integers (IPv4 in the top 32 bits), so one trie implementation
 * serves both. A node stands for a prefix; it has the routes for exactly
 * that prefix (sorted by metric, then age) or none when it only branches.
 * Children hang by the first bit after the node's length. Lookup follows
 * the key's bits down, then picks the deepest route on that path whose
 * prefix the key really has (trie_lookup). Rules are kept as given for
 * listing and, compiled per family, for lookup (rules_compile).
 */
#include "model/net/route.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct key {
    uint64_t hi, lo;
};

struct rentry {
    struct rentry *next;
    struct mp_rt_route r;
};

struct node;

/* A link to a node with a copy of the node's length: the descent reads
 * both from the parent at once, so each level costs one dependent load. */
struct slot {
    struct node *n;
    unsigned len;
};

struct node {
    struct slot child[2];
    unsigned len;
    struct rentry *routes; /* by metric, then age; NULL for a branch node */
    struct key key;        /* masked to len */
};

struct trie {
    struct slot root;
    size_t nroutes;
};

static void slot_set(struct slot *s, struct node *n)
{
    s->n = n;
    s->len = n ? n->len : 0;
}

struct table {
    uint32_t id;
    struct trie t[2]; /* [0] IPv4, [1] IPv6 */
};

/* A rule compiled for lookup: selectors as masked keys, the table
 * resolved to its pointer (NULL while the table does not exist). */
struct crule {
    struct key from_key, from_mask, to_key, to_mask;
    bool any_addr; /* neither from nor to: skip the key tests */
    uint32_t iif, oif;
    uint32_t priority;
    uint32_t table;
    enum mp_rt_rule_action action;
    const struct table *tab;
};

struct mp_rt {
    uint64_t gen; /* bumped by every change: caches of lookups compare it */
    GArray *tables;   /* struct table *, sorted by id */
    GArray *rules;    /* struct mp_rt_rule, evaluation order, both families */
    GArray *crules[2]; /* struct crule per family ([0] IPv4), same order */
};

/* --- keys ----------------------------------------------------------------- */

static inline uint64_t load_be64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, sizeof v);
    return GUINT64_FROM_BE(v);
}

static inline struct key ip_key(const struct mp_ip *ip)
{
    struct key k;
    if (ip->v == 6) {
        k.hi = load_be64(ip->b);
        k.lo = load_be64(ip->b + 8);
    } else {
        k.hi = (uint64_t)ip->b[0] << 56 | (uint64_t)ip->b[1] << 48 | (uint64_t)ip->b[2] << 40 |
               (uint64_t)ip->b[3] << 32;
        k.lo = 0;
    }
    return k;
}

static struct key len_mask(unsigned len)
{
    struct key m = {0, 0};
    if (len == 0)
        return m;
    if (len <= 64) {
        m.hi = ~UINT64_C(0) << (64 - len);
    } else {
        m.hi = ~UINT64_C(0);
        m.lo = ~UINT64_C(0) << (128 - len);
    }
    return m;
}

static struct key key_and(struct key a, struct key m)
{
    return (struct key){a.hi & m.hi, a.lo & m.lo};
}

static inline unsigned key_bit(struct key k, unsigned i)
{
    return i < 64 ? (unsigned)(k.hi >> (63 - i)) & 1u : (unsigned)(k.lo >> (127 - i)) & 1u;
}

/* Leading bits |a| and |b| share, at most |max|. */
static inline unsigned key_common(struct key a, struct key b, unsigned max)
{
    uint64_t x = a.hi ^ b.hi;
    unsigned n;
    if (x)
        n = (unsigned)__builtin_clzll(x);
    else if ((x = a.lo ^ b.lo))
        n = 64 + (unsigned)__builtin_clzll(x);
    else
        n = 128;
    return n < max ? n : max;
}

static bool node_matches(const struct node *n, struct key k)
{
    return key_common(k, n->key, n->len) == n->len;
}

/* --- tries ---------------------------------------------------------------- */

static struct node *node_new(struct key k, unsigned len)
{
    struct node *n = g_new0(struct node, 1);
    n->key = key_and(k, len_mask(len));
    n->len = len;
    return n;
}

static void node_free_all(struct node *n)
{
    if (!n)
        return;
    node_free_all(n->child[0].n);
    node_free_all(n->child[1].n);
    for (struct rentry *e = n->routes, *next; e; e = next) {
        next = e->next;
        g_free(e);
    }
    g_free(n);
}

/* The node for exactly |k|/|len|, created (and the trie reshaped) if
 * missing. */
static struct node *trie_get(struct trie *t, struct key k, unsigned len)
{
    struct slot *link = &t->root;
    k = key_and(k, len_mask(len));
    while (link->n) {
        struct node *n = link->n;
        unsigned lim = len < n->len ? len : n->len;
        unsigned cpl = key_common(k, n->key, lim);
        if (cpl == n->len) {
            /* n is a prefix of k/len: the same node or further down. */
            if (n->len == len)
                return n;
            link = &n->child[key_bit(k, n->len)];
            continue;
        }
        struct node *fresh = node_new(k, len);
        if (cpl == len) {
            /* k/len is a prefix of n: it goes in between. */
            slot_set(&fresh->child[key_bit(n->key, len)], n);
            slot_set(link, fresh);
            return fresh;
        }
        /* They part at bit cpl: a branch node holds both. */
        struct node *br = node_new(k, cpl);
        slot_set(&br->child[key_bit(k, cpl)], fresh);
        slot_set(&br->child[key_bit(n->key, cpl)], n);
        slot_set(link, br);
        return fresh;
    }
    slot_set(link, node_new(k, len));
    return link->n;
}

/* Path from the root to the node for exactly |k|/|len|: links[0..*depth]
 * where links[*depth]->n is that node. Returns false if it does not exist. */
static bool trie_path(struct trie *t, struct key k, unsigned len, struct slot **links, int *depth)
{
    struct slot *link = &t->root;
    int d = 0;
    k = key_and(k, len_mask(len));
    while (link->n) {
        struct node *n = link->n;
        if (n->len > len || !node_matches(n, k))
            return false;
        links[d] = link;
        if (n->len == len) {
            *depth = d;
            return true;
        }
        link = &n->child[key_bit(k, n->len)];
        d++;
    }
    return false;
}

/* After routes left the node at links[d]: frees nodes that no longer hold
 * routes or branch, from there up. */
static void trie_prune(struct slot **links, int d)
{
    for (; d >= 0; d--) {
        struct node *n = links[d]->n;
        if (n->routes || (n->child[0].n && n->child[1].n))
            return;
        slot_set(links[d], n->child[0].n ? n->child[0].n : n->child[1].n);
        g_free(n);
    }
}

static bool is_reject(enum mp_rt_kind k)
{
    return k == MP_RT_BLACKHOLE || k == MP_RT_UNREACHABLE || k == MP_RT_PROHIBIT ||
           k == MP_RT_THROW;
}

/* The first route of |n| usable for |oif|. */
static inline const struct rentry *node_pick(const struct node *n, uint32_t oif)
{
    const struct rentry *e = n->routes;
    if (!oif)
        return e;
    for (; e; e = e->next)
        if (e->r.ifindex == oif || is_reject(e->r.kind))
            return e;
    return NULL;
}

/*
 * Longest prefix match in two passes, so the descent is one dependent load
 * per level and nothing else: first follow the key's bits down as far as
 * the trie goes, without comparing prefixes; then, with p the number of
 * leading bits the key shares with the last node reached, the answer is
 * the deepest node on that path holding a usable route and no longer than
 * p. Every node on the path is a prefix of the last one, so exactly those
 * of length <= p are prefixes of the key; and any prefix of the key in the
 * trie lies on the path, since the descent follows the key's own bits.
 */
static const struct rentry *trie_lookup(const struct trie *t, struct key k, uint32_t oif)
{
    const struct node *path[129]; /* the nodes with routes, top down */
    const struct slot *sl = &t->root;
    const struct node *n = sl->n;
    int d = 0;

    if (!n)
        return NULL;
    for (;;) {
        path[d] = n;
        d += n->routes != NULL;
        if (sl->len >= 128)
            break;
        sl = &n->child[key_bit(k, sl->len)];
        if (!sl->n)
            break;
        n = sl->n;
    }
    const unsigned p = key_common(k, n->key, 128);
    while (d > 0) {
        n = path[--d];
        if (n->len <= p) {
            const struct rentry *e = node_pick(n, oif);
            if (e)
                return e;
        }
    }
    return NULL;
}

/* Pre-order walk: by network address, then length (a node's prefix comes
 * before every longer prefix inside it, child 0 before child 1). */
static void trie_dump(const struct node *n, uint32_t table, GArray *out)
{
    if (!n)
        return;
    for (const struct rentry *e = n->routes; e; e = e->next) {
        struct mp_rt_entry ent = {.table = table, .route = e->r};
        g_array_append_val(out, ent);
    }
    trie_dump(n->child[0].n, table, out);
    trie_dump(n->child[1].n, table, out);
}

/* --- tables --------------------------------------------------------------- */

static int fam_index(const struct mp_ip *ip)
{
    return ip->v == 6 ? 1 : 0;
}

static struct table *table_find(const struct mp_rt *rt, uint32_t id)
{
    struct table **tabs = (struct table **)(void *)rt->tables->data;
    for (guint i = 0; i < rt->tables->len; i++) {
        if (tabs[i]->id == id)
            return tabs[i];
        if (tabs[i]->id > id)
            break;
    }
    return NULL;
}

static void rules_compile(struct mp_rt *rt);

static struct table *table_get(struct mp_rt *rt, uint32_t id)
{
    struct table *tab = table_find(rt, id);
    if (tab)
        return tab;
    tab = g_new0(struct table, 1);
    tab->id = id;
    guint i = 0;
    while (i < rt->tables->len && g_array_index(rt->tables, struct table *, i)->id < id)
        i++;
    g_array_insert_val(rt->tables, i, tab);
    rules_compile(rt); /* rules naming it now have a table */
    return tab;
}

static const struct mp_rt_rule default_rules[] = {
    {.priority = MP_RT_PRIO_LOCAL, .family = 4, .table = MP_RT_TABLE_LOCAL},
    {.priority = MP_RT_PRIO_LOCAL, .family = 6, .table = MP_RT_TABLE_LOCAL},
    {.priority = MP_RT_PRIO_MAIN, .family = 4, .table = MP_RT_TABLE_MAIN},
    {.priority = MP_RT_PRIO_MAIN, .family = 6, .table = MP_RT_TABLE_MAIN},
    {.priority = MP_RT_PRIO_DEFAULT, .family = 4, .table = MP_RT_TABLE_DEFAULT},
};

struct mp_rt *mp_rt_new(void)
{
    struct mp_rt *rt = g_new0(struct mp_rt, 1);
    rt->tables = g_array_new(FALSE, FALSE, sizeof(struct table *));
    rt->rules = g_array_new(FALSE, FALSE, sizeof(struct mp_rt_rule));
    rt->crules[0] = g_array_new(FALSE, FALSE, sizeof(struct crule));
    rt->crules[1] = g_array_new(FALSE, FALSE, sizeof(struct crule));
    for (size_t i = 0; i < MP_ARRAY_LEN(default_rules); i++) {
        int rc = mp_rt_rule_add(rt, &default_rules[i]);
        g_assert(rc == 0);
    }
    return rt;
}

void mp_rt_free(struct mp_rt *rt)
{
    if (!rt)
        return;
    for (guint i = 0; i < rt->tables->len; i++) {
        struct table *tab = g_array_index(rt->tables, struct table *, i);
        node_free_all(tab->t[0].root.n);
        node_free_all(tab->t[1].root.n);
        g_free(tab);
    }
    g_array_unref(rt->tables);
    g_array_unref(rt->rules);
    g_array_unref(rt->crules[0]);
    g_array_unref(rt->crules[1]);
    g_free(rt);
}

static bool prefix_valid(const struct mp_prefix *p)
{
    return (p->ip.v == 4 || p->ip.v == 6) && p->len <= mp_ip_bits(&p->ip);
}

static int route_check(uint32_t table, const struct mp_rt_route *r)
{
    if (table == 0 || !prefix_valid(&r->dst) || !mp_prefix_is_masked(&r->dst))
        return -EINVAL;
    if ((r->gw.v && r->gw.v != r->dst.ip.v) || (r->prefsrc.v && r->prefsrc.v != r->dst.ip.v))
        return -EINVAL;
    switch (r->kind) {
    case MP_RT_UNICAST:
        return r->ifindex ? 0 : -EINVAL;
    case MP_RT_LOCAL:
    case MP_RT_BLACKHOLE:
    case MP_RT_UNREACHABLE:
    case MP_RT_PROHIBIT:
    case MP_RT_THROW:
        return r->gw.v ? -EINVAL : 0;
    }
    return -EINVAL;
}

int mp_rt_route_add(struct mp_rt *rt, uint32_t table, const struct mp_rt_route *r, uint32_t flags)
{
    rt->gen++;
    int rc = route_check(table, r);
    if (rc < 0)
        return rc;
    struct table *tab = table_get(rt, table);
    struct trie *t = &tab->t[fam_index(&r->dst.ip)];
    struct node *n = trie_get(t, ip_key(&r->dst.ip), r->dst.len);

    /* Sorted by metric; a new route goes after older ones of equal metric
     * (there are none unless replacing, which keeps the position). */
    struct rentry **link = &n->routes;
    while (*link && (*link)->r.metric < r->metric)
        link = &(*link)->next;
    if (*link && (*link)->r.metric == r->metric) {
        if (!(flags & MP_RT_REPLACE))
            return -EEXIST;
        (*link)->r = *r;
        return 0;
    }
    struct rentry *e = g_new0(struct rentry, 1);
    e->r = *r;
    e->next = *link;
    *link = e;
    t->nroutes++;
    return 0;
}

/* Removes from trie |t| the route for |k|/|len| that |match| accepts (the
 * first in metric order). Returns 0 or -ESRCH. */
static int trie_remove(struct trie *t, struct key k, unsigned len,
                       bool (*match)(const struct mp_rt_route *, const void *), const void *arg)
{
    struct slot *links[130];
    int d;
    if (!trie_path(t, k, len, links, &d))
        return -ESRCH;
    struct node *n = links[d]->n;
    for (struct rentry **link = &n->routes; *link; link = &(*link)->next) {
        if (match(&(*link)->r, arg)) {
            struct rentry *e = *link;
            *link = e->next;
            g_free(e);
            t->nroutes--;
            trie_prune(links, d);
            return 0;
        }
    }
    return -ESRCH;
}

static bool match_metric(const struct mp_rt_route *r, const void *arg)
{
    const uint32_t *metric = arg;
    return !metric || r->metric == *metric;
}

int mp_rt_route_del(struct mp_rt *rt, uint32_t table, const struct mp_prefix *dst,
                    const uint32_t *metric)
{
    rt->gen++;
    if (!prefix_valid(dst) || !mp_prefix_is_masked(dst))
        return -EINVAL;
    struct table *tab = table_find(rt, table);
    if (!tab)
        return -ESRCH;
    return trie_remove(&tab->t[fam_index(&dst->ip)], ip_key(&dst->ip), dst->len, match_metric,
                       metric);
}

static void collect_ifindex(const struct node *n, uint32_t ifindex, GArray *out)
{
    if (!n)
        return;
    for (const struct rentry *e = n->routes; e; e = e->next)
        if (e->r.ifindex == ifindex)
            g_array_append_val(out, e->r);
    collect_ifindex(n->child[0].n, ifindex, out);
    collect_ifindex(n->child[1].n, ifindex, out);
}

static bool match_route(const struct mp_rt_route *r, const void *arg)
{
    const struct mp_rt_route *want = arg;
    return r->metric == want->metric && r->ifindex == want->ifindex;
}

size_t mp_rt_flush_ifindex(struct mp_rt *rt, uint32_t ifindex)
{
    rt->gen++;
    size_t removed = 0;
    GArray *victims = g_array_new(FALSE, FALSE, sizeof(struct mp_rt_route));
    for (guint i = 0; i < rt->tables->len; i++) {
        struct table *tab = g_array_index(rt->tables, struct table *, i);
        for (int f = 0; f < 2; f++) {
            g_array_set_size(victims, 0);
            collect_ifindex(tab->t[f].root.n, ifindex, victims);
            for (guint j = 0; j < victims->len; j++) {
                const struct mp_rt_route *r = &g_array_index(victims, struct mp_rt_route, j);
                if (trie_remove(&tab->t[f], ip_key(&r->dst.ip), r->dst.len, match_route, r) == 0)
                    removed++;
            }
        }
    }
    g_array_unref(victims);
    return removed;
}

size_t mp_rt_table_size(const struct mp_rt *rt, uint32_t table)
{
    const struct table *tab = table_find(rt, table);
    return tab ? tab->t[0].nroutes + tab->t[1].nroutes : 0;
}

/* --- rules ---------------------------------------------------------------- */

/* Validates |in| and writes the stored form (family resolved, prefixes
 * masked) to |out|. */
static int rule_normalise(const struct mp_rt_rule *in, struct mp_rt_rule *out)
{
    *out = *in;
    uint8_t fam = in->family;
    const struct mp_prefix *sel[2] = {&in->from, &in->to};
    struct mp_prefix *dst[2] = {&out->from, &out->to};
    for (int i = 0; i < 2; i++) {
        if (!sel[i]->ip.v) {
            memset(dst[i], 0, sizeof *dst[i]);
            continue;
        }
        if (!prefix_valid(sel[i]))
            return -EINVAL;
        if (fam && fam != sel[i]->ip.v)
            return -EINVAL;
        fam = sel[i]->ip.v;
        mp_prefix_masked(sel[i], dst[i]);
    }
    if (fam != 4 && fam != 6)
        return -EINVAL;
    out->family = fam;
    switch (in->action) {
    case MP_RT_RULE_LOOKUP:
        if (in->table == 0)
            return -EINVAL;
        break;
    case MP_RT_RULE_BLACKHOLE:
    case MP_RT_RULE_UNREACHABLE:
    case MP_RT_RULE_PROHIBIT:
        out->table = 0;
        break;
    default:
        return -EINVAL;
    }
    return 0;
}

static bool rule_eq(const struct mp_rt_rule *a, const struct mp_rt_rule *b)
{
    return a->priority == b->priority && a->family == b->family && a->iif == b->iif &&
           a->oif == b->oif && a->table == b->table && a->action == b->action &&
           a->from.len == b->from.len && mp_ip_eq(&a->from.ip, &b->from.ip) &&
           a->to.len == b->to.len && mp_ip_eq(&a->to.ip, &b->to.ip);
}

static void sel_keys(const struct mp_prefix *p, struct key *k, struct key *m)
{
    if (!p->ip.v) {
        *k = (struct key){0, 0};
        *m = (struct key){0, 0};
        return;
    }
    *m = len_mask(p->len);
    *k = key_and(ip_key(&p->ip), *m);
}

/* Rebuilds the per-family lookup form of the rules. Rules and tables change
 * rarely and are few, so a rebuild on every change is cheap and keeps the
 * per-packet loop free of family tests and table searches. */
static void rules_compile(struct mp_rt *rt)
{
    g_array_set_size(rt->crules[0], 0);
    g_array_set_size(rt->crules[1], 0);
    for (guint i = 0; i < rt->rules->len; i++) {
        const struct mp_rt_rule *r = &g_array_index(rt->rules, struct mp_rt_rule, i);
        struct crule c = {
            .any_addr = !r->from.ip.v && !r->to.ip.v,
            .iif = r->iif,
            .oif = r->oif,
            .priority = r->priority,
            .table = r->table,
            .action = r->action,
            .tab = r->action == MP_RT_RULE_LOOKUP ? table_find(rt, r->table) : NULL,
        };
        sel_keys(&r->from, &c.from_key, &c.from_mask);
        sel_keys(&r->to, &c.to_key, &c.to_mask);
        g_array_append_val(rt->crules[r->family == 6], c);
    }
}

int mp_rt_rule_add(struct mp_rt *rt, const struct mp_rt_rule *rule)
{
    rt->gen++;
    struct mp_rt_rule r;
    int rc = rule_normalise(rule, &r);
    if (rc < 0)
        return rc;
    const struct mp_rt_rule *rules = (const struct mp_rt_rule *)(void *)rt->rules->data;
    guint n = rt->rules->len;

    if (r.priority == MP_RT_PRIO_AUTO) {
        /* Linux (fib_default_rule_pref): just below the first rule of the
         * family whose priority is not 0. */
        r.priority = 0;
        for (guint i = 0; i < n; i++) {
            if (rules[i].family == r.family && rules[i].priority > 0) {
                r.priority = rules[i].priority - 1;
                break;
            }
        }
    }
    for (guint i = 0; i < n; i++)
        if (rule_eq(&rules[i], &r))
            return -EEXIST;

    /* After every rule of lower or equal priority: equal priorities keep
     * the order they were added in. */
    guint at = 0;
    while (at < n && rules[at].priority <= r.priority)
        at++;
    g_array_insert_val(rt->rules, at, r);
    rules_compile(rt);
    return 0;
}

int mp_rt_rule_del(struct mp_rt *rt, const struct mp_rt_rule *rule)
{
    rt->gen++;
    struct mp_rt_rule r;
    int rc = rule_normalise(rule, &r);
    if (rc < 0)
        return rc;
    for (guint i = 0; i < rt->rules->len; i++) {
        if (rule_eq(&g_array_index(rt->rules, struct mp_rt_rule, i), &r)) {
            g_array_remove_index(rt->rules, i);
            rules_compile(rt);
            return 0;
        }
    }
    return -ENOENT;
}

const struct mp_rt_rule *mp_rt_rules(const struct mp_rt *rt, size_t *n)
{
    *n = rt->rules->len;
    return (const struct mp_rt_rule *)(void *)rt->rules->data;
}

/* --- lookup --------------------------------------------------------------- */

static int kind_error(enum mp_rt_kind k)
{
    switch (k) {
    case MP_RT_BLACKHOLE:
        return -EINVAL;
    case MP_RT_UNREACHABLE:
        return -EHOSTUNREACH;
    case MP_RT_PROHIBIT:
        return -EACCES;
    default:
        return 0;
    }
}

static int action_error(enum mp_rt_rule_action a)
{
    switch (a) {
    case MP_RT_RULE_BLACKHOLE:
        return -EINVAL;
    case MP_RT_RULE_UNREACHABLE:
        return -EHOSTUNREACH;
    case MP_RT_RULE_PROHIBIT:
        return -EACCES;
    default:
        return 0;
    }
}

static inline bool sel_match(struct key k, struct key sk, struct key sm)
{
    return (((k.hi & sm.hi) ^ sk.hi) | ((k.lo & sm.lo) ^ sk.lo)) == 0;
}

int mp_rt_lookup_flow(const struct mp_rt *rt, const struct mp_rt_flow *fl, struct mp_rt_result *out)
{
    const uint8_t fam = fl->dst.v;
    if ((fam != 4 && fam != 6) || (fl->src.v && fl->src.v != fam))
        return -EINVAL;
    const struct key dk = ip_key(&fl->dst);
    /* An unchosen source is all zeros, as in Linux's flowi: it matches
     * "from all" (and from 0.0.0.0/n) but no real source prefix. */
    const struct key sk = fl->src.v ? ip_key(&fl->src) : (struct key){0, 0};
    const int fi = fam == 6 ? 1 : 0;
    const struct crule *rules = (const struct crule *)(void *)rt->crules[fi]->data;
    const guint nrules = rt->crules[fi]->len;

    for (guint i = 0; i < nrules; i++) {
        const struct crule *ru = &rules[i];
        if ((ru->iif && ru->iif != fl->iif) || (ru->oif && ru->oif != fl->oif))
            continue;
        if (!ru->any_addr &&
            (!sel_match(sk, ru->from_key, ru->from_mask) || !sel_match(dk, ru->to_key, ru->to_mask)))
            continue;
        if (ru->action != MP_RT_RULE_LOOKUP)
            return action_error(ru->action);
        const struct table *tab = ru->tab;
        if (!tab)
            continue;
        const struct rentry *e = trie_lookup(&tab->t[fi], dk, fl->oif);
        /* Linux fib4_rule_action: no route (or a throw route) is -EAGAIN,
         * "continue with the next rule". */
        if (!e || e->r.kind == MP_RT_THROW)
            continue;
        int err = kind_error(e->r.kind);
        if (err)
            return err;
        out->route = e->r;
        out->table = ru->table;
        out->rule_priority = ru->priority;
        out->ifindex = e->r.ifindex;
        out->nexthop = e->r.gw.v ? e->r.gw : fl->dst;
        out->flags = 0;
        return 0;
    }
    if (fl->oif) {
        memset(out, 0, sizeof *out);
        out->route.dst.ip = fl->dst;
        out->route.dst.len = (uint8_t)mp_ip_bits(&fl->dst);
        out->route.ifindex = fl->oif;
        out->ifindex = fl->oif;
        out->nexthop = fl->dst;
        out->flags = MP_RT_RES_ASSUMED_ONLINK;
        return 0;
    }
    return -ENETUNREACH;
}

int mp_rt_lookup(const struct mp_rt *rt, const struct mp_ip *src, const struct mp_ip *dst,
                 uint32_t oif, struct mp_rt_result *out)
{
    struct mp_rt_flow fl = {.dst = *dst, .oif = oif};
    if (src)
        fl.src = *src;
    return mp_rt_lookup_flow(rt, &fl, out);
}

/* --- listing -------------------------------------------------------------- */

GArray *mp_rt_dump(const struct mp_rt *rt)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct mp_rt_entry));
    for (guint i = 0; i < rt->tables->len; i++) {
        const struct table *tab = g_array_index(rt->tables, struct table *, i);
        trie_dump(tab->t[0].root.n, tab->id, out);
        trie_dump(tab->t[1].root.n, tab->id, out);
    }
    return out;
}

static const char *kind_name(enum mp_rt_kind k)
{
    switch (k) {
    case MP_RT_UNICAST:
        return "";
    case MP_RT_LOCAL:
        return "local ";
    case MP_RT_BLACKHOLE:
        return "blackhole ";
    case MP_RT_UNREACHABLE:
        return "unreachable ";
    case MP_RT_PROHIBIT:
        return "prohibit ";
    case MP_RT_THROW:
        return "throw ";
    }
    return NULL;
}

int mp_rt_route_format(uint32_t table, const struct mp_rt_route *r, char *buf, size_t len)
{
    char pfx[MP_PREFIX_STRLEN], a[MP_IP_STRLEN];
    const char *kind = kind_name(r->kind);
    GString *s;

    if (!kind || mp_prefix_format(&r->dst, pfx, sizeof pfx) < 0) {
        if (len > 0)
            buf[0] = '\0';
        return -EINVAL;
    }
    s = g_string_new(NULL);
    if (r->kind == MP_RT_UNICAST && r->dst.len == 0)
        g_string_append(s, "default");
    else
        g_string_append_printf(s, "%s%s", kind, pfx);
    if (r->gw.v)
        g_string_append_printf(s, " via %s", mp_ip_str(&r->gw, a));
    if (r->ifindex)
        g_string_append_printf(s, " dev %u", (unsigned)r->ifindex);
    if (table != MP_RT_TABLE_MAIN)
        g_string_append_printf(s, " table %u", (unsigned)table);
    if (r->metric)
        g_string_append_printf(s, " metric %u", (unsigned)r->metric);
    if (r->prefsrc.v)
        g_string_append_printf(s, " src %s", mp_ip_str(&r->prefsrc, a));
    int rc;
    if (s->len + 1 > len) {
        if (len > 0)
            buf[0] = '\0';
        rc = -ENOSPC;
    } else {
        memcpy(buf, s->str, s->len + 1);
        rc = (int)s->len;
    }
    g_string_free(s, TRUE);
    return rc;
}

uint64_t mp_rt_generation(const struct mp_rt *rt)
{
    return rt->gen;
}
