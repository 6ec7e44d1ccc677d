/*
 * afmp-trace: reading captures. libpcap reads pcap and pcapng alike; the
 * files are merged by timestamp, the second sighting of a packet seen in two
 * files is dropped (OUTPUTS.md says when two sightings are the same packet),
 * and TCP segments are decoded with the simulator's wire parsers.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#include "model/wire/wire.h"
#include "tools/trace/pcapng.h"
#include "tools/trace/trace.h"

/* Two sightings further apart than this are different packets. */
#define AT_DUP_WINDOW_NS (INT64_C(60) * 1000000000)
/* A capture whose first timestamp is below this comes from a simulation. */
#define AT_SIM_ORIGIN_LIMIT_NS (INT64_C(1000000) * 1000000000)

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

/* One packet as a file gives it. */
struct raw {
    int64_t t; /* ns since the epoch */
    int dlt;   /* DLT_* (pcapng's LINKTYPE_RAW mapped to DLT_RAW), -1 unsupported */
    uint32_t caplen;
    const uint8_t *data;
};

/* A packet held in memory, for a file that is not in time order. */
struct held {
    struct raw r;
    guint pos; /* in the file: ties keep the file's order */
};

/* A file: through libpcap (pcap) or pcapng.c (pcapng). */
struct reader {
    char *path;
    pcap_t *p;
    int dlt;
    struct at_ng *ng;
    GArray *held; /* struct held, sorted by time; NULL when the file streams */
    guint next;
    bool have; /* |cur| is the next packet */
    struct raw cur;
};

/* Sightings of one packet content per file. */
struct sight {
    int64_t t_last;
    uint16_t n[];
};

struct at_input {
    GPtrArray *files;
    struct reader *r;
    unsigned nr;
    bool origin_set;
    int64_t origin;
    GHashTable *seen; /* uint64 hash -> struct sight */
    uint64_t since_sweep;
    uint64_t packets, segments, duplicates, ignored;
};

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *files_with_suffix(const char *dir, const char *suffix, GError **err)
{
    GDir *d = g_dir_open(dir, 0, err);
    if (!d)
        return NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    /* ns3-*.pcap: ns-3's captures of its links (the ns-3 engine), the same
     * packets as the hosts' at microsecond resolution: read by name only */
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, suffix) && !g_str_has_prefix(n, "ns3-"))
            g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_str);
    return names;
}

/* A run folder stands for its per-interface pcap files, or for its pcapng
 * files when it has no pcap (the same packets: the pcap files are read by
 * libpcap, and a host's interfaces are files of their own). */
static bool add_path(GPtrArray *files, const char *path, GError **err)
{
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such file or folder",
                        path);
            return false;
        }
        g_ptr_array_add(files, g_strdup(path));
        return true;
    }
    GPtrArray *names = files_with_suffix(path, ".pcap", err);
    if (names && names->len == 0) {
        g_ptr_array_unref(names);
        names = files_with_suffix(path, ".pcapng", err);
    }
    if (!names)
        return false;
    if (names->len == 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: a folder without *.pcap or *.pcapng files", path);
        g_ptr_array_unref(names);
        return false;
    }
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(files, g_strdup(names->pdata[i]));
    g_ptr_array_unref(names);
    return true;
}

static bool dlt_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_PPP:
    case DLT_IEEE802_11:
    case DLT_IEEE802_11_RADIO:
        return true;
    default:
        return false;
    }
}

/* pcapng's link types are LINKTYPE_* values; only raw IP's differs from
 * its DLT_* here. */
static int linktype_to_dlt(int lt)
{
    int dlt = lt == 101 ? DLT_RAW : lt;
    return dlt_supported(dlt) ? dlt : -1;
}

static bool reader_open(struct reader *r, GError **err)
{
    if (at_ng_is_pcapng(r->path)) {
        r->ng = at_ng_open(r->path, err);
        return r->ng != NULL;
    }
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    r->p = pcap_open_offline_with_tstamp_precision(r->path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!r->p) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", r->path, ebuf);
        return false;
    }
    r->dlt = pcap_datalink(r->p);
    if (!dlt_supported(r->dlt)) {
        const char *n = pcap_datalink_val_to_name(r->dlt);
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: link type %s (%d) is not one afmp-trace reads (Ethernet, raw IP, "
                    "Linux cooked, loopback, PPP, 802.11)",
                    r->path, n ? n : "?", r->dlt);
        return false;
    }
    return true;
}

static void reader_close(struct reader *r)
{
    if (r->p)
        pcap_close(r->p);
    at_ng_close(r->ng);
    r->p = NULL;
    r->ng = NULL;
}

/* The file's next packet: 1, 0 at the end, -1 on an error. */
static int source_next(struct reader *r, struct raw *out, GError **err)
{
    if (r->ng) {
        struct at_ng_pkt k;
        int rc = at_ng_next(r->ng, &k, err);
        if (rc == 1)
            *out = (struct raw){k.t, linktype_to_dlt(k.linktype), k.caplen, k.data};
        return rc;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(r->p, &h, &d);
    if (rc == 1) {
        *out = (struct raw){(int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec, r->dlt,
                            h->caplen, d};
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK)
        return 0;
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: %s", r->path, pcap_geterr(r->p));
    return -1;
}

static bool reader_fill(struct reader *r, GError **err)
{
    if (r->held) {
        r->have = r->next < r->held->len;
        if (r->have)
            r->cur = g_array_index(r->held, struct held, r->next++).r;
        return true;
    }
    int rc = source_next(r, &r->cur, err);
    r->have = rc == 1;
    return rc >= 0;
}

static gint cmp_held(gconstpointer a, gconstpointer b)
{
    const struct held *x = a, *y = b;
    if (x->r.t != y->r.t)
        return x->r.t < y->r.t ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void held_clear(gpointer p)
{
    g_free((void *)((struct held *)p)->r.data);
}

/* Most captures are in time order and are read as they come. A file that
 * is not (dumpcap writing several interfaces into one pcapng file writes
 * them in blocks) is read whole into memory and sorted, stably. */
static bool reader_prepare(struct reader *r, GError **err)
{
    struct raw k;
    int64_t last = INT64_MIN;
    bool sorted = true;
    int rc;
    while ((rc = source_next(r, &k, err)) == 1) {
        if (k.t < last) {
            sorted = false;
            break;
        }
        last = k.t;
    }
    if (rc < 0)
        return false;
    reader_close(r);
    if (!reader_open(r, err))
        return false;
    if (sorted)
        return true;
    r->held = g_array_new(false, false, sizeof(struct held));
    g_array_set_clear_func(r->held, held_clear);
    while ((rc = source_next(r, &k, err)) == 1) {
        struct held x = {.r = k, .pos = r->held->len};
        x.r.data = g_memdup2(k.data, k.caplen);
        g_array_append_val(r->held, x);
    }
    if (rc < 0)
        return false;
    /* g_array_sort is not stable: it sorts on (time, position) */
    g_array_sort(r->held, cmp_held);
    return true;
}

struct at_input *at_input_open(char **paths, GError **err)
{
    struct at_input *in = g_new0(struct at_input, 1);
    in->files = g_ptr_array_new_with_free_func(g_free);
    for (char **p = paths; *p; p++)
        if (!add_path(in->files, *p, err))
            goto fail;
    if (in->files->len == 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "no input files");
        goto fail;
    }
    if (in->files->len > 1024) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%u files: at most 1024",
                    in->files->len);
        goto fail;
    }
    in->nr = in->files->len;
    in->r = g_new0(struct reader, in->nr);
    for (unsigned i = 0; i < in->nr; i++) {
        struct reader *r = &in->r[i];
        r->path = in->files->pdata[i];
        if (!reader_open(r, err))
            goto fail;
        if (!reader_prepare(r, err) || !reader_fill(r, err))
            goto fail;
    }
    in->seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    return in;
fail:
    at_input_close(in);
    return NULL;
}

const GPtrArray *at_input_files(const struct at_input *in)
{
    return in->files;
}

void at_input_counts(const struct at_input *in, uint64_t *packets, uint64_t *segments,
                     uint64_t *duplicates, uint64_t *ignored)
{
    *packets = in->packets;
    *segments = in->segments;
    *duplicates = in->duplicates;
    *ignored = in->ignored;
}

int64_t at_input_origin(const struct at_input *in)
{
    return in->origin;
}

void at_input_close(struct at_input *in)
{
    if (!in)
        return;
    for (unsigned i = 0; in->r && i < in->nr; i++) {
        reader_close(&in->r[i]);
        if (in->r[i].held)
            g_array_unref(in->r[i].held);
    }
    g_free(in->r);
    if (in->seen)
        g_hash_table_destroy(in->seen);
    g_ptr_array_unref(in->files);
    g_free(in);
}

/* The IP packet inside a frame of link type |dlt|: its offset, or -1. */
static int l3_offset(int dlt, const uint8_t *p, size_t len, uint16_t *ethertype)
{
    switch (dlt) {
    case DLT_EN10MB: {
        struct mp_wire_eth e;
        if (mp_wire_eth_parse(p, len, &e) < 0)
            return -1;
        *ethertype = e.ethertype;
        return (int)e.hdr_len;
    }
    case DLT_LINUX_SLL:
        if (len < 16)
            return -1;
        *ethertype = mp_wire_get16(p + 14);
        return 16;
    case DLT_LINUX_SLL2:
        if (len < 20)
            return -1;
        *ethertype = mp_wire_get16(p);
        return 20;
    case DLT_PPP: {
        /* ns-3's point-to-point captures: the 2-byte PPP protocol, maybe
         * after address and control (0xff 0x03) */
        int o = len >= 2 && p[0] == 0xff && p[1] == 0x03 ? 2 : 0;
        if (len < (size_t)o + 2)
            return -1;
        uint16_t proto = mp_wire_get16(p + o);
        if (proto != 0x0021 && proto != 0x0057)
            return -1;
        *ethertype = proto == 0x0021 ? MP_ETHERTYPE_IPV4 : MP_ETHERTYPE_IPV6;
        return o + 2;
    }
    case DLT_IEEE802_11_RADIO:
    case DLT_IEEE802_11: {
        /* ns-3's Wi-Fi captures (and monitor mode): a radiotap header (its
         * length at offset 2, little-endian), the 802.11 MAC header of a
         * data frame, then LLC/SNAP with the EtherType */
        size_t o = 0;
        if (dlt == DLT_IEEE802_11_RADIO) {
            if (len < 4)
                return -1;
            o = (size_t)p[2] | (size_t)p[3] << 8;
        }
        if (len < o + 24)
            return -1;
        uint8_t fc0 = p[o], fc1 = p[o + 1];
        if (((fc0 >> 2) & 3) != 2 || (fc1 & 0x40))
            return -1; /* not a data frame, or encrypted */
        if (fc1 & 0x08)
            return -1; /* an 802.11 retry: the frame was captured before */
        size_t h = 24;
        if ((fc1 & 3) == 3)
            h += 6; /* four addresses */
        if (fc0 & 0x80)
            h += 2; /* QoS control */
        if (fc0 & 0x40)
            return -1; /* a null-data subtype: no payload */
        o += h;
        static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
        if (len < o + 8 || memcmp(p + o, snap, 6) != 0)
            return -1;
        *ethertype = mp_wire_get16(p + o + 6);
        return (int)(o + 8);
    }
    case DLT_NULL:
    case DLT_LOOP: {
        if (len < 4)
            return -1;
        uint32_t fam;
        memcpy(&fam, p, 4);
        uint32_t be = mp_wire_get32(p);
        /* the family in either byte order: 2 is IPv4; 10, 24, 28, 30 IPv6 */
        uint32_t f = (fam == 2 || be == 2) ? 2 : (fam < 256 ? fam : be);
        *ethertype = f == 2 ? MP_ETHERTYPE_IPV4 : MP_ETHERTYPE_IPV6;
        return 4;
    }
    default: /* raw IP: the version nibble says */
        if (len < 1)
            return -1;
        *ethertype = (p[0] >> 4) == 6 ? MP_ETHERTYPE_IPV6 : MP_ETHERTYPE_IPV4;
        return 0;
    }
}

/* Decodes a frame into |s|; false when it is not a whole TCP header over IP. */
static bool decode(int dlt, const uint8_t *p, size_t caplen, struct at_seg *s)
{
    uint16_t et = 0;
    int off = l3_offset(dlt, p, caplen, &et);
    if (off < 0)
        return false;
    p += off;
    caplen -= (size_t)off;
    size_t l4_off, l4_len;
    if (et == MP_ETHERTYPE_IPV4) {
        struct mp_wire_ip4 h;
        if (mp_wire_ip4_parse_quote(p, caplen, &h) < 0 || h.proto != 6 || h.is_fragment)
            return false;
        s->src = h.src;
        s->dst = h.dst;
        l4_off = h.payload_off;
        l4_len = h.total_len - h.payload_off;
    } else if (et == MP_ETHERTYPE_IPV6) {
        struct mp_wire_ip6 h;
        if (mp_wire_ip6_parse_quote(p, caplen, &h) < 0 || h.proto != 6 || h.is_fragment ||
            h.l4_off > caplen)
            return false;
        if (h.truncated && h.l4_off + 20 > caplen)
            return false;
        s->src = h.src;
        s->dst = h.dst;
        l4_off = h.l4_off;
        l4_len = (size_t)MP_WIRE_IP6_HLEN + h.payload_len - h.l4_off;
    } else {
        return false;
    }
    if (l4_off + 20 > caplen)
        return false;
    const uint8_t *t = p + l4_off;
    size_t tcap = caplen - l4_off;
    if (tcap > l4_len)
        tcap = l4_len;
    struct mp_wire_tcp th;
    if (mp_wire_tcp_parse(t, tcap, &th) < 0)
        return false;
    size_t hlen = (size_t)th.doff * 4;
    if (hlen > l4_len)
        return false;
    s->sport = th.sport;
    s->dport = th.dport;
    s->seq = th.seq;
    s->ack = th.ack;
    s->flags = th.flags;
    s->win = th.window;
    s->len = (uint32_t)(l4_len - hlen);
    s->opts_len = (uint8_t)th.opts_len;
    memcpy(s->opts, th.opts, th.opts_len);
    s->opts_bad = mp_mptcp_opts_parse(s->opts, s->opts_len, &s->mp) < 0;
    return true;
}

/* FNV-1a over what makes two sightings the same packet. */
static uint64_t seg_hash(const struct at_seg *s)
{
    uint8_t buf[128];
    size_t n = 0;
#define PUT(x)                                                                                     \
    do {                                                                                           \
        memcpy(buf + n, &(x), sizeof(x));                                                          \
        n += sizeof(x);                                                                            \
    } while (0)
    PUT(s->src);
    PUT(s->dst);
    PUT(s->sport);
    PUT(s->dport);
    PUT(s->seq);
    PUT(s->ack);
    PUT(s->flags);
    PUT(s->win);
    PUT(s->len);
#undef PUT
    memcpy(buf + n, s->opts, s->opts_len);
    n += s->opts_len;
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < n; i++) {
        h ^= buf[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static gboolean sight_old(gpointer key, gpointer value, gpointer now)
{
    (void)key;
    const struct sight *si = value;
    return *(const int64_t *)now - si->t_last > AT_DUP_WINDOW_NS;
}

/* True when |s| from |file| is another sighting of a packet already counted:
 * some other file has seen this content more often than |file| has. */
static bool duplicate(struct at_input *in, const struct at_seg *s)
{
    if (in->nr < 2)
        return false;
    if (++in->since_sweep >= 65536) {
        int64_t now = s->t;
        g_hash_table_foreach_remove(in->seen, sight_old, &now);
        in->since_sweep = 0;
    }
    uint64_t h = seg_hash(s);
    struct sight *si = g_hash_table_lookup(in->seen, &h);
    if (si && s->t - si->t_last > AT_DUP_WINDOW_NS) {
        memset(si->n, 0, sizeof(uint16_t) * in->nr);
    }
    if (!si) {
        si = g_malloc0(sizeof(*si) + sizeof(uint16_t) * in->nr);
        uint64_t *k = g_new(uint64_t, 1);
        *k = h;
        g_hash_table_insert(in->seen, k, si);
    }
    si->t_last = s->t;
    uint16_t most = 0;
    for (unsigned f = 0; f < in->nr; f++)
        if (f != s->file && si->n[f] > most)
            most = si->n[f];
    bool dup = si->n[s->file] < most;
    if (si->n[s->file] < UINT16_MAX)
        si->n[s->file]++;
    return dup;
}

int at_input_next(struct at_input *in, struct at_seg *seg, GError **err)
{
    for (;;) {
        struct reader *best = NULL;
        for (unsigned i = 0; i < in->nr; i++)
            if (in->r[i].have && (!best || in->r[i].cur.t < best->cur.t))
                best = &in->r[i];
        if (!best)
            return 0;
        if (!in->origin_set) {
            in->origin_set = true;
            in->origin = best->cur.t < AT_SIM_ORIGIN_LIMIT_NS ? 0 : best->cur.t;
        }
        in->packets++;
        memset(seg, 0, sizeof(*seg));
        bool ok = best->cur.dlt >= 0 && decode(best->cur.dlt, best->cur.data, best->cur.caplen, seg);
        seg->t = best->cur.t - in->origin;
        seg->file = (unsigned)(best - in->r);
        if (!reader_fill(best, err))
            return -1;
        if (!ok) {
            in->ignored++;
            continue;
        }
        if (duplicate(in, seg)) {
            in->duplicates++;
            continue;
        }
        in->segments++;
        return 1;
    }
}
