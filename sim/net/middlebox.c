/* afmp: middleboxes on link directions (see middlebox.h). */
#include "sim/net/middlebox.h"

#include <string.h>

#include "model/net/addr.h"
#include "model/wire/wire.h"
#include "sim/units.h"

/* --- packet access ------------------------------------------------------- */

/* The transport header of an unfragmented IPv4 or IPv6 packet. */
struct l4 {
    uint8_t proto;
    uint8_t *p; /* the transport header */
    size_t len; /* from there to the end of the IP payload */
};

static bool find_l4(struct mp_pkt *pkt, struct l4 *x)
{
    if (pkt->len == 0)
        return false;
    if (pkt->data[0] >> 4 == 4) {
        struct mp_wire_ip4 h;
        if (mp_wire_ip4_parse(pkt->data, pkt->len, &h) < 0 || h.is_fragment)
            return false;
        x->proto = h.proto;
        x->p = pkt->data + h.payload_off;
        x->len = h.payload_len;
        return true;
    }
    if (pkt->data[0] >> 4 == 6) {
        struct mp_wire_ip6 h;
        if (mp_wire_ip6_parse(pkt->data, pkt->len, &h) < 0 || h.is_fragment)
            return false;
        x->proto = h.proto;
        x->p = pkt->data + h.l4_off;
        x->len = h.l4_len;
        return true;
    }
    return false;
}

static bool find_tcp(struct mp_pkt *pkt, struct l4 *x, struct mp_wire_tcp *t)
{
    return find_l4(pkt, x) && x->proto == MP_IPPROTO_TCP && mp_wire_tcp_parse(x->p, x->len, t) == 0;
}

#define TCP_CSUM_OFF 16u

/* The 16-bit word at even offset |off| of a checksummed area of |len|
 * bytes; an odd last byte is padded with zero, as the checksum pads it. */
static uint16_t csum_word(const uint8_t *p, size_t len, size_t off)
{
    return (uint16_t)((unsigned)p[off] << 8 | (off + 1 < len ? p[off + 1] : 0));
}

/* Updates the 16-bit checksum field at |field| for |len| bytes (|len| even)
 * that changed from |old| to |new_|. */
static void csum_fix(uint8_t *field, const uint8_t *old, const uint8_t *new_, size_t len)
{
    mp_wire_put16(field, mp_wire_csum_update(mp_wire_get16(field), old, new_, len));
}

/* --- strip-mptcp --------------------------------------------------------- */

static void strip_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct l4 x;
    struct mp_wire_tcp t;
    struct mp_wire_opt_iter it;
    struct mp_wire_opt o;
    uint8_t old[MP_WIRE_TCP_MAX_OPTS];
    unsigned n = 0;

    if (!find_tcp(pkt, &x, &t) || t.opts_len == 0) {
        mp_fault_next(f, pkt, now);
        return;
    }
    memcpy(old, t.opts, t.opts_len);
    mp_wire_opt_iter_init(&it, old, t.opts_len);
    while (mp_wire_opt_next(&it, &o) > 0)
        n += o.kind == MP_TCPOPT_MPTCP;
    /* Checksums become real bytes first: the update below is relative. */
    if (n == 0 || mp_wire_csum_finalize(pkt) < 0) {
        mp_fault_next(f, pkt, now);
        return;
    }
    /* The options are still at t.opts (finalizing writes checksums only). */
    uint8_t *opts = x.p + MP_WIRE_TCP_HLEN;
    mp_wire_opt_iter_init(&it, old, t.opts_len);
    while (mp_wire_opt_next(&it, &o) > 0)
        if (o.kind == MP_TCPOPT_MPTCP)
            memset(opts + o.off, MP_TCPOPT_NOP, o.len);
    /* The options start at offset 20 and fill whole 32-bit words. */
    csum_fix(x.p + TCP_CSUM_OFF, old, opts, t.opts_len);
    f->hits++;
    f->dir->st.stripped++;
    mp_link_trace_mbox(f->dir->link, f->dir->end, f->ops->kind, "strip", pkt, NULL, now);
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops strip_ops = {
    .kind = "strip-mptcp",
    .stage = MP_FAULT_STAGE_MIDDLEBOX,
    .input = strip_input,
};

struct mp_fault *mp_fault_strip_mptcp_new(void)
{
    return mp_fault_alloc(sizeof(struct mp_fault), &strip_ops, 0);
}

/* --- drop-join ----------------------------------------------------------- */

struct drop_join {
    struct mp_fault f;
    bool synack;
};

/* The segment carries an MPTCP option of |subtype| (RFC 8684 2.1: the
 * high nibble of the third byte; MP_JOIN is 1, ADD_ADDR 3) whose low
 * nibble has all of |flags| set. */
static bool has_mptcp(const struct mp_wire_tcp *t, unsigned subtype, unsigned flags)
{
    struct mp_wire_opt_iter it;
    struct mp_wire_opt o;

    mp_wire_opt_iter_init(&it, t->opts, t->opts_len);
    while (mp_wire_opt_next(&it, &o) > 0)
        if (o.kind == MP_TCPOPT_MPTCP && o.data_len >= 1 && o.data[0] >> 4 == subtype &&
            (o.data[0] & flags) == flags)
            return true;
    return false;
}

static void drop_join_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct drop_join *dj = (struct drop_join *)f;
    struct l4 x;
    struct mp_wire_tcp t;

    if (find_tcp(pkt, &x, &t) && (t.flags & MP_TCP_SYN) &&
        (!(t.flags & MP_TCP_ACK) || dj->synack) && has_mptcp(&t, 1, 0)) {
        f->hits++;
        mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_FILTER, now);
        return;
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops drop_join_ops = {
    .kind = "drop-join",
    .stage = MP_FAULT_STAGE_MIDDLEBOX,
    .input = drop_join_input,
};

struct mp_fault *mp_fault_drop_join_new(bool synack)
{
    struct drop_join *dj = (struct drop_join *)mp_fault_alloc(sizeof(*dj), &drop_join_ops, 0);
    dj->synack = synack;
    return &dj->f;
}

/* --- drop-add-addr ------------------------------------------------------- */

static void drop_add_addr_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct drop_join *dj = (struct drop_join *)f; /* synack: only the echoes */
    struct l4 x;
    struct mp_wire_tcp t;

    /* ADD_ADDR: subtype 3; E is bit 0 of the low nibble. */
    if (find_tcp(pkt, &x, &t) && has_mptcp(&t, 3, dj->synack ? 1u : 0u)) {
        f->hits++;
        mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_FILTER, now);
        return;
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops drop_add_addr_ops = {
    .kind = "drop-add-addr",
    .stage = MP_FAULT_STAGE_MIDDLEBOX,
    .input = drop_add_addr_input,
};

struct mp_fault *mp_fault_drop_add_addr_new(bool echo_only)
{
    struct drop_join *dj =
        (struct drop_join *)mp_fault_alloc(sizeof(*dj), &drop_add_addr_ops, 0);
    dj->synack = echo_only;
    return &dj->f;
}

/* --- blackhole ----------------------------------------------------------- */

static void blackhole_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    f->hits++;
    mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_BLACKHOLE, now);
}

static const struct mp_fault_ops blackhole_ops = {
    .kind = "blackhole",
    .stage = MP_FAULT_STAGE_MIDDLEBOX,
    .input = blackhole_input,
};

struct mp_fault *mp_fault_blackhole_new(void)
{
    return mp_fault_alloc(sizeof(struct mp_fault), &blackhole_ops, 0);
}

/* --- rewrite-payload ----------------------------------------------------- */

static void rewrite_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct l4 x;
    struct mp_wire_tcp t;
    /* One draw per packet, whatever it is, as the other faults take. */
    bool hit = mp_fault_chance(&f->rng, f->p32);

    if (!hit || !find_tcp(pkt, &x, &t) || t.payload_len == 0 || mp_wire_csum_finalize(pkt) < 0) {
        mp_fault_next(f, pkt, now);
        return;
    }
    size_t off = (size_t)(t.payload - x.p) + t.payload_len / 2;
    size_t w = off & ~(size_t)1;
    uint8_t before[2], after[2];
    mp_wire_put16(before, csum_word(x.p, x.len, w));
    x.p[off] ^= 0xff;
    mp_wire_put16(after, csum_word(x.p, x.len, w));
    csum_fix(x.p + TCP_CSUM_OFF, before, after, 2);
    f->hits++;
    f->dir->st.rewritten++;
    mp_link_trace_mbox(f->dir->link, f->dir->end, f->ops->kind, "rewrite", pkt, NULL, now);
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops rewrite_ops = {
    .kind = "rewrite-payload",
    .stage = MP_FAULT_STAGE_MIDDLEBOX,
    .input = rewrite_input,
};

struct mp_fault *mp_fault_rewrite_payload_new(uint32_t p32)
{
    return mp_fault_alloc(sizeof(struct mp_fault), &rewrite_ops, p32);
}

/* --- nat44 --------------------------------------------------------------- */

#define NAT_PORT_MIN 1024u

enum { NAT_TCP, NAT_UDP, NAT_ICMP, NAT__PROTOS };

struct nat_map {
    gint64 key; /* proto << 48 | inside address << 16 | inside port */
    uint8_t proto;
    uint8_t in_addr[4];
    uint16_t in_port, out_port;
};

struct mp_nat44 {
    unsigned refs;
    struct mp_ip outside;
    GHashTable *out;                 /* &map->key -> map (owns the maps) */
    GHashTable *in;                  /* proto << 16 | outside port -> map */
    uint32_t next_port[NAT__PROTOS]; /* where the search for a free port starts */
    uint32_t used[NAT__PROTOS];
    uint64_t mappings;
};

struct mp_nat44 *mp_nat44_new(const struct mp_ip *outside)
{
    struct mp_nat44 *n = g_new0(struct mp_nat44, 1);
    n->refs = 1;
    n->outside = *outside;
    n->out = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    n->in = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (int i = 0; i < NAT__PROTOS; i++)
        n->next_port[i] = NAT_PORT_MIN;
    return n;
}

void mp_nat44_ref(struct mp_nat44 *nat)
{
    nat->refs++;
}

void mp_nat44_unref(struct mp_nat44 *nat)
{
    if (!nat || --nat->refs)
        return;
    g_hash_table_destroy(nat->in);
    g_hash_table_destroy(nat->out);
    g_free(nat);
}

uint64_t mp_nat44_mappings(const struct mp_nat44 *nat)
{
    return nat->mappings;
}

static gpointer in_key(uint8_t proto, uint16_t port)
{
    return GUINT_TO_POINTER((guint)proto << 16 | port);
}

static const char *proto_name(uint8_t proto)
{
    return proto == MP_IPPROTO_TCP ? "tcp" : proto == MP_IPPROTO_UDP ? "udp" : "icmp";
}

/* Where a protocol keeps what the NAT rewrites, relative to the transport
 * header: the port (echo identifier) of each direction and the checksum. */
struct nat_proto {
    unsigned idx;        /* NAT_TCP, ... */
    size_t min_len;      /* header bytes needed */
    size_t sport, dport; /* offsets; ICMP: both the identifier */
    size_t csum;         /* offset of the checksum */
    bool pseudo;         /* the checksum covers the addresses */
    bool zero_is_none;   /* UDP over IPv4: checksum 0 means none */
};

static const struct nat_proto nat_tcp = {NAT_TCP, MP_WIRE_TCP_HLEN, 0, 2, 16, true, false};
static const struct nat_proto nat_udp = {NAT_UDP, MP_WIRE_UDP_HLEN, 0, 2, 6, true, true};
static const struct nat_proto nat_icmp = {NAT_ICMP, MP_WIRE_ICMP_HLEN, 4, 4, 2, false, false};

/* The layout for a packet's transport header, or NULL when the NAT does
 * not translate it: only echo requests go out and echo replies come in. */
static const struct nat_proto *nat_proto_of(uint8_t proto, const uint8_t *l4, size_t len,
                                            bool inbound)
{
    const struct nat_proto *np = NULL;
    if (proto == MP_IPPROTO_TCP)
        np = &nat_tcp;
    else if (proto == MP_IPPROTO_UDP)
        np = &nat_udp;
    else if (proto == MP_IPPROTO_ICMP && len >= 1 &&
             l4[0] == (inbound ? MP_ICMP_ECHO_REPLY : MP_ICMP_ECHO))
        np = &nat_icmp;
    return np && len >= np->min_len ? np : NULL;
}

/* The next free outside port from |next_port| up, wrapping around; false
 * when all are taken. */
static bool nat_alloc_port(struct mp_nat44 *n, const struct nat_proto *np, uint8_t proto,
                           uint16_t *out)
{
    if (n->used[np->idx] >= 65536u - NAT_PORT_MIN)
        return false;
    for (;;) {
        uint32_t p = n->next_port[np->idx];
        n->next_port[np->idx] = p == 65535u ? NAT_PORT_MIN : p + 1;
        if (!g_hash_table_contains(n->in, in_key(proto, (uint16_t)p))) {
            *out = (uint16_t)p;
            return true;
        }
    }
}

/* Rewrites the IPv4 address at |addr| and the 16-bit port at |port| of the
 * packet at |ip| to |naddr| and |nport|, updating the header checksum and
 * the transport checksum at |csum| (which covers the address too when
 * |np->pseudo|). */
static void nat_rewrite(uint8_t *ip, uint8_t *addr, const uint8_t *naddr, uint8_t *port,
                        uint16_t nport, uint8_t *csum, const struct nat_proto *np)
{
    uint8_t oaddr[4], oport[2], np16[2];
    bool none = np->zero_is_none && mp_wire_get16(csum) == 0;

    memcpy(oaddr, addr, 4);
    memcpy(oport, port, 2);
    mp_wire_put16(np16, nport);
    memcpy(addr, naddr, 4);
    memcpy(port, np16, 2);
    csum_fix(ip + 10, oaddr, naddr, 4);
    if (none)
        return;
    if (np->pseudo)
        csum_fix(csum, oaddr, naddr, 4);
    csum_fix(csum, oport, np16, 2);
    /* RFC 768: a computed UDP checksum of zero is sent as all ones. */
    if (np->zero_is_none && mp_wire_get16(csum) == 0)
        mp_wire_put16(csum, 0xffff);
}

struct nat_fault {
    struct mp_fault f;
    struct mp_nat44 *nat;
    bool inbound;
};

static struct nat_map *nat_map_new(struct nat_fault *nf, uint8_t proto, const struct nat_proto *np,
                                   const uint8_t *src, uint16_t sport, mp_time_t now)
{
    struct mp_nat44 *n = nf->nat;
    uint16_t port;

    if (!nat_alloc_port(n, np, proto, &port))
        return NULL;
    struct nat_map *m = g_new0(struct nat_map, 1);
    m->proto = proto;
    memcpy(m->in_addr, src, 4);
    m->in_port = sport;
    m->out_port = port;
    m->key = (gint64)((uint64_t)proto << 48 | (uint64_t)mp_wire_get32(src) << 16 | sport);
    g_hash_table_insert(n->out, &m->key, m);
    g_hash_table_insert(n->in, in_key(proto, port), m);
    n->used[np->idx]++;
    n->mappings++;
    if (mp_link_tracing(nf->f.dir->link)) {
        char a[MP_IP_STRLEN], b[MP_IP_STRLEN];
        struct mp_ip in = {.v = 4};
        memcpy(in.b, src, 4);
        char *d = g_strdup_printf("%s %s:%u -> %s:%u", proto_name(proto), mp_ip_str(&in, a), sport,
                                  mp_ip_str(&n->outside, b), port);
        mp_link_trace_mbox(nf->f.dir->link, nf->f.dir->end, nf->f.ops->kind, "map", NULL, d, now);
        g_free(d);
    }
    return m;
}

static void nat_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct nat_fault *nf = (struct nat_fault *)f;
    struct mp_nat44 *n = nf->nat;
    struct mp_wire_ip4 h;
    struct nat_map *m;

    /* IPv6, and what is not IPv4 at all, is none of the NAT's business. */
    if (pkt->len == 0 || pkt->data[0] >> 4 != 4 || mp_wire_ip4_parse(pkt->data, pkt->len, &h) < 0) {
        mp_fault_next(f, pkt, now);
        return;
    }
    uint8_t *ip = pkt->data;
    uint8_t *src = ip + 12, *dst = ip + 16;
    if (nf->inbound && memcmp(dst, n->outside.b, 4) != 0) {
        mp_fault_next(f, pkt, now);
        return;
    }
    if (h.is_fragment)
        goto drop;
    uint8_t *l4 = ip + h.payload_off;
    const struct nat_proto *np = nat_proto_of(h.proto, l4, h.payload_len, nf->inbound);
    if (!np) {
        if (nf->inbound)
            goto drop;
        mp_fault_next(f, pkt, now);
        return;
    }
    if (nf->inbound) {
        m = g_hash_table_lookup(n->in, in_key(h.proto, mp_wire_get16(l4 + np->dport)));
        if (!m || mp_wire_csum_finalize(pkt) < 0)
            goto drop;
        nat_rewrite(ip, dst, m->in_addr, l4 + np->dport, m->in_port, l4 + np->csum, np);
    } else {
        uint16_t sport = mp_wire_get16(l4 + np->sport);
        gint64 key = (gint64)((uint64_t)h.proto << 48 | (uint64_t)mp_wire_get32(src) << 16 | sport);
        m = g_hash_table_lookup(n->out, &key);
        if (!m)
            m = nat_map_new(nf, h.proto, np, src, sport, now);
        if (!m || mp_wire_csum_finalize(pkt) < 0)
            goto drop;
        nat_rewrite(ip, src, n->outside.b, l4 + np->sport, m->out_port, l4 + np->csum, np);
    }
    f->hits++;
    f->dir->st.translated++;
    mp_fault_next(f, pkt, now);
    return;
drop:
    f->hits++;
    mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_NAT, now);
}

static void nat_destroy(struct mp_fault *f)
{
    mp_nat44_unref(((struct nat_fault *)f)->nat);
}

static const struct mp_fault_ops nat_ops = {
    .kind = "nat44",
    .stage = MP_FAULT_STAGE_MIDDLEBOX,
    .input = nat_input,
    .destroy = nat_destroy,
};

struct mp_fault *mp_fault_nat44_new(struct mp_nat44 *nat, bool inbound)
{
    struct nat_fault *nf = (struct nat_fault *)mp_fault_alloc(sizeof(*nf), &nat_ops, 0);
    mp_nat44_ref(nat);
    nf->nat = nat;
    nf->inbound = inbound;
    return &nf->f;
}

/* --- the kinds by name --------------------------------------------------- */

/* Parses the argument words of one entry into |m|: NULL, or why not
 * (g_free it). */
typedef char *(*mbox_parse_fn)(char **args, guint n, struct mp_mbox *m);

static char *no_args(char **args, guint n, struct mp_mbox *m)
{
    return n ? g_strdup_printf("%s takes no argument, got '%s'", mp_mbox_kind_name(m->kind),
                               args[0])
             : NULL;
}

static char *drop_join_args(char **args, guint n, struct mp_mbox *m)
{
    if (n == 0)
        return NULL;
    if (n == 1 && !strcmp(args[0], "synack")) {
        m->synack = true;
        return NULL;
    }
    return g_strdup_printf("drop-join takes only 'synack' (drop SYN/ACKs with MP_JOIN too), "
                           "got '%s'",
                           args[0]);
}

static char *drop_add_addr_args(char **args, guint n, struct mp_mbox *m)
{
    if (n == 0)
        return NULL;
    if (n == 1 && !strcmp(args[0], "echo")) {
        m->echo = true;
        return NULL;
    }
    return g_strdup_printf("drop-add-addr takes only 'echo' (drop only the echoes), got '%s'",
                           args[0]);
}

static char *rewrite_args(char **args, guint n, struct mp_mbox *m)
{
    int rc;

    m->ratio_ppm = 1000000;
    if (n == 0)
        return NULL;
    if (n > 1)
        return g_strdup_printf("rewrite-payload takes one ratio, got '%s' too", args[1]);
    if ((rc = mp_units_parse_ppm(args[0], &m->ratio_ppm)) != 0)
        return g_strdup_printf("rewrite-payload: expected a ratio like 50%% (or 5000ppm), at "
                               "most 100%%, got '%s' (%s)",
                               args[0], mp_units_strerror(rc));
    return NULL;
}

static char *nat44_args(char **args, guint n, struct mp_mbox *m)
{
    if (n == 0)
        return NULL;
    if (n > 1)
        return g_strdup_printf("nat44 takes one address, got '%s' too", args[1]);
    if (mp_ip_parse(args[0], &m->addr) < 0 || m->addr.v != 4) {
        m->addr.v = 0;
        return g_strdup_printf("nat44: expected the outside IPv4 address like 203.0.113.1, "
                               "got '%s'%s",
                               args[0],
                               strchr(args[0], ':') ? " (nat44 translates IPv4 only)" : "");
    }
    return NULL;
}

static const struct {
    const char *name;
    mbox_parse_fn parse;
} kinds[MP_MBOX__COUNT] = {
    [MP_MBOX_STRIP_MPTCP] = {"strip-mptcp", no_args},
    [MP_MBOX_DROP_JOIN] = {"drop-join", drop_join_args},
    [MP_MBOX_BLACKHOLE] = {"blackhole", no_args},
    [MP_MBOX_REWRITE_PAYLOAD] = {"rewrite-payload", rewrite_args},
    [MP_MBOX_NAT44] = {"nat44", nat44_args},
    [MP_MBOX_DROP_ADD_ADDR] = {"drop-add-addr", drop_add_addr_args},
};

const char *mp_mbox_kind_name(enum mp_mbox_kind kind)
{
    return (unsigned)kind < MP_MBOX__COUNT ? kinds[kind].name : "?";
}

bool mp_mbox_parse(const char *text, struct mp_mbox_list *out, char **why, char **unknown)
{
    gchar **items = g_strsplit(text, ",", -1);
    guint n_items = g_strv_length(items);
    bool ok = false;

    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (unknown)
        *unknown = NULL;
    if (n_items == 0)
        *why = g_strdup("nothing written");
    for (guint i = 0; i < n_items && !*why; i++) {
        gchar **raw = g_strsplit_set(items[i], " \t", -1);
        GPtrArray *w = g_ptr_array_new();
        for (gchar **r = raw; *r; r++)
            if (**r)
                g_ptr_array_add(w, *r);
        if (w->len == 0) {
            *why = g_strdup(n_items > 1 ? "an empty entry between commas" : "nothing written");
        } else if (!strcmp(w->pdata[0], "none")) {
            if (n_items > 1 || w->len > 1)
                *why = g_strdup("'none' (no middlebox) stands alone");
        } else if (out->n == MP_MBOX_MAX) {
            *why = g_strdup_printf("at most %u middleboxes per direction", MP_MBOX_MAX);
        } else {
            struct mp_mbox *m = &out->m[out->n];
            int k = -1;
            for (int j = 0; j < MP_MBOX__COUNT; j++)
                if (!strcmp(w->pdata[0], kinds[j].name))
                    k = j;
            if (k < 0) {
                *why = g_strdup_printf("unknown middlebox '%s'", (char *)w->pdata[0]);
                if (unknown)
                    *unknown = g_strdup(w->pdata[0]);
            } else if (k == MP_MBOX_NAT44 && mp_mbox_list_nat44(out, NULL)) {
                *why = g_strdup("nat44 given twice: one NAT per link");
            } else {
                m->kind = (enum mp_mbox_kind)k;
                *why = kinds[k].parse((char **)w->pdata + 1, w->len - 1, m);
                out->n += !*why;
            }
        }
        g_ptr_array_unref(w);
        g_strfreev(raw);
    }
    ok = !*why;
    if (!ok)
        memset(out, 0, sizeof(*out));
    g_strfreev(items);
    return ok;
}

char *mp_mbox_format_one(const struct mp_mbox *m)
{
    char a[MP_IP_STRLEN];

    switch (m->kind) {
    case MP_MBOX_DROP_JOIN:
        return g_strdup(m->synack ? "drop-join synack" : "drop-join");
    case MP_MBOX_DROP_ADD_ADDR:
        return g_strdup(m->echo ? "drop-add-addr echo" : "drop-add-addr");
    case MP_MBOX_REWRITE_PAYLOAD:
        if (m->ratio_ppm % 10000 == 0)
            return g_strdup_printf("rewrite-payload %u%%", m->ratio_ppm / 10000);
        return g_strdup_printf("rewrite-payload %uppm", m->ratio_ppm);
    case MP_MBOX_NAT44:
        if (m->addr.v)
            return g_strdup_printf("nat44 %s", mp_ip_str(&m->addr, a));
        return g_strdup("nat44");
    default:
        return g_strdup(mp_mbox_kind_name(m->kind));
    }
}

char *mp_mbox_format(const struct mp_mbox_list *list)
{
    GString *s = g_string_new(NULL);

    for (unsigned i = 0; i < list->n; i++) {
        char *one = mp_mbox_format_one(&list->m[i]);
        g_string_append_printf(s, "%s%s", i ? ", " : "", one);
        g_free(one);
    }
    if (list->n == 0)
        g_string_append(s, "none");
    return g_string_free(s, FALSE);
}

bool mp_mbox_list_nat44(const struct mp_mbox_list *list, struct mp_ip *addr)
{
    for (unsigned i = 0; i < list->n; i++)
        if (list->m[i].kind == MP_MBOX_NAT44) {
            if (addr)
                *addr = list->m[i].addr;
            return true;
        }
    return false;
}

struct mp_fault *mp_mbox_fault_new(const struct mp_mbox *m)
{
    switch (m->kind) {
    case MP_MBOX_STRIP_MPTCP:
        return mp_fault_strip_mptcp_new();
    case MP_MBOX_DROP_JOIN:
        return mp_fault_drop_join_new(m->synack);
    case MP_MBOX_DROP_ADD_ADDR:
        return mp_fault_drop_add_addr_new(m->echo);
    case MP_MBOX_BLACKHOLE:
        return mp_fault_blackhole_new();
    case MP_MBOX_REWRITE_PAYLOAD:
        return mp_fault_rewrite_payload_new(mp_prob_from_ppm(m->ratio_ppm));
    default:
        return NULL;
    }
}

void mp_middlebox_set(struct mp_link *l, const struct mp_mbox_list *lists[2], bool trace,
                      mp_time_t now)
{
    struct mp_ip a0, a1;
    struct mp_nat44 *shared = NULL;

    if (lists[0] && lists[1] && mp_mbox_list_nat44(lists[0], &a0) &&
        mp_mbox_list_nat44(lists[1], &a1) && mp_ip_eq(&a0, &a1))
        shared = mp_nat44_new(&a0);
    for (int e = 0; e < 2; e++) {
        const struct mp_mbox_list *list = lists[e];
        if (!list)
            continue;
        mp_link_remove_stage(l, e, MP_FAULT_STAGE_MIDDLEBOX);
        for (unsigned i = 0; i < list->n; i++) {
            const struct mp_mbox *m = &list->m[i];
            struct mp_fault *f;
            if (m->kind == MP_MBOX_NAT44) {
                if (m->addr.v != 4) {
                    g_critical("mp_middlebox_set: nat44 without its IPv4 address");
                    continue;
                }
                struct mp_nat44 *nat = shared ? shared : mp_nat44_new(&m->addr);
                f = mp_fault_nat44_new(nat, e == 1);
                if (!shared)
                    mp_nat44_unref(nat);
            } else {
                f = mp_mbox_fault_new(m);
            }
            mp_link_add_fault(l, e, f);
        }
        if (trace && mp_link_tracing(l)) {
            char *d = mp_mbox_format(list);
            mp_link_trace_mbox(l, e, "middlebox", "set", NULL, d, now);
            g_free(d);
        }
    }
    mp_nat44_unref(shared);
}
