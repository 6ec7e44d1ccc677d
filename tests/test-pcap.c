/*
 * Tests of the capture writers (sim/capture/pcap.h, pcapng.h): files are
 * read back with libpcap, walked block by block, and checked with tshark when
 * it is installed.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/capture/pcap.h"
#include "sim/capture/pcapng.h"

#define NS_PER_S UINT64_C(1000000000)

/* ---- hand-made packets ------------------------------------------------ */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put_be16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* Fills the UDP header and payload at |u| (|ulen| bytes in all) and its
 * checksum over the pseudo-header sum |pseudo|. */
static void fill_udp(uint8_t *u, uint16_t ulen, uint32_t pseudo, uint8_t seed)
{
    put_be16(u, 40000);
    put_be16(u + 2, 5001);
    put_be16(u + 4, ulen);
    put_be16(u + 6, 0);
    for (unsigned i = 8; i < ulen; i++)
        u[i] = (uint8_t)(i * 7u + seed);
    uint16_t c = fold(sum16(pseudo + 17u + ulen, u, ulen));
    put_be16(u + 6, c ? c : 0xffff);
}

/* An IPv4 UDP datagram of |total| bytes (>= 28) from 10.0.0.1 to 10.0.1.2. */
static uint32_t make_ipv4_udp(uint8_t *b, uint16_t total, uint8_t seed)
{
    static const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 1, 2 };
    memset(b, 0, 20);
    b[0] = 0x45;
    put_be16(b + 2, total);
    put_be16(b + 4, seed);
    b[6] = 0x40; /* DF */
    b[8] = 64;
    b[9] = 17;
    memcpy(b + 12, src, 4);
    memcpy(b + 16, dst, 4);
    put_be16(b + 10, fold(sum16(0, b, 20)));
    fill_udp(b + 20, (uint16_t)(total - 20), sum16(sum16(0, src, 4), dst, 4), seed);
    return total;
}

/* An IPv6 UDP datagram of |total| bytes (>= 48) from 2001:db8::1 to
 * 2001:db8:1::2. */
static uint32_t make_ipv6_udp(uint8_t *b, uint16_t total, uint8_t seed)
{
    static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
    memset(b, 0, 40);
    b[0] = 0x60;
    put_be16(b + 4, (uint16_t)(total - 40));
    b[6] = 17;
    b[7] = 64;
    memcpy(b + 8, src, 16);
    memcpy(b + 24, dst, 16);
    fill_udp(b + 40, (uint16_t)(total - 40), sum16(sum16(0, src, 16), dst, 16), seed);
    return total;
}

/* The packets most tests write: both families, sizes around the snap
 * length, timestamps that exercise both 32-bit halves. */
struct tpkt {
    mp_time_t ts;
    int v;
    uint16_t len;
    uint32_t iface;
    int dir;
    const char *comment;
};

static const struct tpkt pkts[] = {
    { 0, 4, 28, 0, MP_PCAPNG_DIR_OUT, NULL },
    { 1, 6, 48, 0, MP_PCAPNG_DIR_IN, "first IPv6" },
    { 999999999, 4, 1400, 0, MP_PCAPNG_DIR_OUT, NULL },
    { NS_PER_S, 6, 1280, 1, MP_PCAPNG_DIR_IN, NULL },
    { UINT64_C(4294967296) + 5, 4, 257, 1, MP_PCAPNG_DIR_UNKNOWN, "comment, with comma" },
    { 3600 * NS_PER_S + 123456789, 6, 256, 0, MP_PCAPNG_DIR_OUT, NULL },
    { 3600 * NS_PER_S + 123456789, 4, 100, 1, MP_PCAPNG_DIR_IN, NULL },
};
#define SNAPLEN 256u

static uint32_t build(const struct tpkt *t, uint8_t *b, uint8_t seed)
{
    return t->v == 4 ? make_ipv4_udp(b, t->len, seed) : make_ipv6_udp(b, t->len, seed);
}

/* ---- temporary directory fixture -------------------------------------- */

struct fx {
    char *dir;
};

static void fx_setup(struct fx *f, gconstpointer data)
{
    GError *err = NULL;
    f->dir = g_dir_make_tmp("afmp-pcap-XXXXXX", &err);
    g_assert_no_error(err);
}

static void fx_teardown(struct fx *f, gconstpointer data)
{
    GDir *d = g_dir_open(f->dir, 0, NULL);
    g_assert_nonnull(d);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(f->dir, name, NULL);
        g_assert_cmpint(g_unlink(p), ==, 0);
        g_free(p);
    }
    g_dir_close(d);
    g_assert_cmpint(g_rmdir(f->dir), ==, 0);
    g_free(f->dir);
}

static char *fx_path(const struct fx *f, const char *name)
{
    return g_build_filename(f->dir, name, NULL);
}

static off_t file_size(const char *path)
{
    struct stat st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return st.st_size;
}

/* ---- reading back with libpcap ------------------------------------------ */

struct rec {
    uint64_t ts;
    uint32_t caplen, len;
    uint8_t *data;
};

static void rec_free(gpointer p)
{
    struct rec *r = p;
    g_free(r->data);
    g_free(r);
}

/* Reads every record of |path| (pcap or pcapng) with nanosecond timestamps.
 * |*clean| tells whether reading ended at a clean end of file rather than on
 * an error such as a truncated record. */
static GPtrArray *read_back(const char *path, int *linktype, int *snaplen, bool *clean)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p)
        g_error("%s: %s", path, errbuf);
    if (linktype)
        *linktype = pcap_datalink(p);
    if (snaplen)
        *snaplen = pcap_snapshot(p);
    GPtrArray *a = g_ptr_array_new_with_free_func(rec_free);
    struct pcap_pkthdr *h;
    const u_char *data;
    int r;
    while ((r = pcap_next_ex(p, &h, &data)) == 1) {
        struct rec *x = g_new(struct rec, 1);
        x->ts = (uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec;
        x->caplen = h->caplen;
        x->len = h->len;
        x->data = g_memdup2(data, h->caplen);
        g_ptr_array_add(a, x);
    }
    *clean = r == PCAP_ERROR_BREAK;
    if (!*clean && g_test_verbose())
        g_test_message("%s: reading stopped: %s", path, pcap_geterr(p));
    pcap_close(p);
    return a;
}

/* Checks that |a| holds exactly the packets of the table, cut at |snaplen|. */
static void check_table(GPtrArray *a, uint32_t snaplen)
{
    g_assert_cmpuint(a->len, ==, G_N_ELEMENTS(pkts));
    for (unsigned i = 0; i < G_N_ELEMENTS(pkts); i++) {
        const struct rec *r = a->pdata[i];
        uint8_t b[2048];
        uint32_t len = build(&pkts[i], b, (uint8_t)i);
        g_assert_cmpuint(r->ts, ==, pkts[i].ts);
        g_assert_cmpuint(r->len, ==, len);
        g_assert_cmpuint(r->caplen, ==, MIN(len, snaplen));
        g_assert_cmpmem(r->data, r->caplen, b, MIN(len, snaplen));
    }
}

/* ---- pcap --------------------------------------------------------------- */

static void write_table_pcap(const char *path)
{
    GError *err = NULL;
    struct mp_pcap *w = mp_pcap_open(path, SNAPLEN, &err);
    g_assert_no_error(err);
    g_assert_nonnull(w);
    for (unsigned i = 0; i < G_N_ELEMENTS(pkts); i++) {
        uint8_t b[2048];
        uint32_t len = build(&pkts[i], b, (uint8_t)i);
        mp_pcap_write(w, pkts[i].ts, b, len);
    }
    g_assert_cmpuint(mp_pcap_count(w), ==, G_N_ELEMENTS(pkts));
    g_assert_cmpint(mp_pcap_close(w, &err), ==, 0);
    g_assert_no_error(err);
}

static void test_pcap_roundtrip(struct fx *f, gconstpointer data)
{
    char *path = fx_path(f, "a.pcap");
    write_table_pcap(path);

    int linktype, snaplen;
    bool clean;
    GPtrArray *a = read_back(path, &linktype, &snaplen, &clean);
    g_assert_true(clean);
    g_assert_cmpint(linktype, ==, DLT_RAW);
    g_assert_cmpint(snaplen, ==, SNAPLEN);
    check_table(a, SNAPLEN);
    g_ptr_array_unref(a);

    /* The nanosecond magic, as libpcap wrote it in host order. */
    uint32_t magic;
    gchar *bytes;
    gsize n;
    g_assert_true(g_file_get_contents(path, &bytes, &n, NULL));
    g_assert_cmpuint(n, >=, 24);
    memcpy(&magic, bytes, 4);
    g_assert_cmphex(magic, ==, 0xa1b23c4d);
    g_free(bytes);
    g_free(path);
}

/* Bypassing pcap_dump() changes nothing: libpcap writes the same bytes. */
static void test_pcap_same_as_libpcap(struct fx *f, gconstpointer data)
{
    char *ours = fx_path(f, "ours.pcap"), *theirs = fx_path(f, "libpcap.pcap");
    write_table_pcap(ours);

    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_RAW, SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    g_assert_nonnull(p);
    pcap_dumper_t *d = pcap_dump_open(p, theirs);
    g_assert_nonnull(d);
    for (unsigned i = 0; i < G_N_ELEMENTS(pkts); i++) {
        uint8_t b[2048];
        struct pcap_pkthdr h = { 0 };
        h.len = build(&pkts[i], b, (uint8_t)i);
        h.caplen = MIN(h.len, SNAPLEN);
        h.ts.tv_sec = (time_t)(pkts[i].ts / NS_PER_S);
        h.ts.tv_usec = (suseconds_t)(pkts[i].ts % NS_PER_S); /* nanoseconds here */
        pcap_dump((u_char *)d, &h, b);
    }
    pcap_dump_close(d);
    pcap_close(p);

    gchar *a, *b;
    gsize na, nb;
    g_assert_true(g_file_get_contents(ours, &a, &na, NULL));
    g_assert_true(g_file_get_contents(theirs, &b, &nb, NULL));
    g_assert_cmpmem(a, na, b, nb);
    g_free(a);
    g_free(b);
    g_free(ours);
    g_free(theirs);
}

/* Records that fill the buffer many times over, and one larger than the
 * buffer, keep their order and bytes. */
static void test_pcap_big(struct fx *f, gconstpointer data)
{
    char *path = fx_path(f, "big.pcap");
    GError *err = NULL;
    struct mp_pcap *w = mp_pcap_open(path, 0, &err);
    g_assert_no_error(err);
    enum { N = 500, HUGE = 100000 };
    uint8_t *huge = g_malloc(HUGE);
    for (unsigned i = 0; i < HUGE; i++)
        huge[i] = (uint8_t)(i % 251u);
    for (unsigned i = 0; i < N; i++) {
        uint8_t b[2048];
        uint32_t len = make_ipv4_udp(b, (uint16_t)(28 + i * 3 % 1400), (uint8_t)i);
        mp_pcap_write(w, MP_US(i), b, len);
        if (i == N / 2)
            mp_pcap_write(w, MP_US(i), huge, HUGE);
    }
    g_assert_cmpint(mp_pcap_close(w, &err), ==, 0);
    g_assert_no_error(err);

    bool clean;
    int snaplen;
    GPtrArray *a = read_back(path, NULL, &snaplen, &clean);
    g_assert_true(clean);
    g_assert_cmpint(snaplen, ==, MP_CAP_SNAPLEN_MAX);
    g_assert_cmpuint(a->len, ==, N + 1);
    for (unsigned i = 0, k = 0; i < N; i++, k++) {
        uint8_t b[2048];
        uint32_t len = make_ipv4_udp(b, (uint16_t)(28 + i * 3 % 1400), (uint8_t)i);
        const struct rec *r = a->pdata[k];
        g_assert_cmpuint(r->ts, ==, MP_US(i));
        g_assert_cmpmem(r->data, r->caplen, b, len);
        if (i == N / 2) {
            r = a->pdata[++k];
            g_assert_cmpuint(r->len, ==, HUGE);
            g_assert_cmpmem(r->data, r->caplen, huge, HUGE);
        }
    }
    g_ptr_array_unref(a);
    g_free(huge);
    g_free(path);
}

static void test_pcap_open_errors(struct fx *f, gconstpointer data)
{
    GError *err = NULL;
    char *path = fx_path(f, "x.pcap");
    g_assert_null(mp_pcap_open(path, MP_CAP_SNAPLEN_MAX + 1, &err));
    g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_INVAL);
    g_clear_error(&err);
    g_assert_null(mp_pcapng_open(path, MP_CAP_SNAPLEN_MAX + 1, "t", &err));
    g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_INVAL);
    g_clear_error(&err);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

    char *missing = g_build_filename(f->dir, "no-such-dir", "x.pcap", NULL);
    g_assert_null(mp_pcap_open(missing, 0, &err));
    g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN);
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);
    g_assert_null(mp_pcapng_open(missing, 0, "t", &err));
    g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN);
    g_assert_nonnull(strstr(err->message, missing));
    g_clear_error(&err);

    /* A device that refuses every byte: the header cannot be written, and
     * the device itself must survive the clean-up. */
    if (access("/dev/full", W_OK) == 0) {
        g_assert_null(mp_pcap_open("/dev/full", 0, &err));
        g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN);
        g_clear_error(&err);
        g_assert_null(mp_pcapng_open("/dev/full", 0, "t", &err));
        g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN);
        g_clear_error(&err);
        g_assert_true(g_file_test("/dev/full", G_FILE_TEST_EXISTS));
    }
    g_free(missing);
    g_free(path);
}

/*
 * A file that cannot grow (here: a file size limit; a full disk is the same)
 * fails the write, reports it from flush and close, and the file is cut back
 * to the last whole record so that it still reads.
 */
static void write_until_limit(const char *path, bool ng)
{
    enum { LIMIT = 100000, N = 200 };
    GError *err = NULL;
    struct mp_pcap *w = NULL;
    struct mp_pcapng *g = NULL;
    if (ng) {
        g = mp_pcapng_open(path, 0, "t", &err);
        mp_pcapng_add_iface(g, "eth0", NULL, NULL, 0);
    } else {
        w = mp_pcap_open(path, 0, &err);
    }
    g_assert_no_error(err);

    struct rlimit old, lim;
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    lim = old;
    lim.rlim_cur = LIMIT;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);

    for (unsigned i = 0; i < N; i++) {
        uint8_t b[2048];
        uint32_t len = make_ipv4_udp(b, 1400, (uint8_t)i);
        if (ng)
            mp_pcapng_write(g, 0, MP_MS(i), b, len, MP_PCAPNG_DIR_OUT, NULL);
        else
            mp_pcap_write(w, MP_MS(i), b, len);
    }
    int r = ng ? mp_pcapng_flush(g, &err) : mp_pcap_flush(w, &err);
    g_assert_cmpint(r, ==, -1);
    g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_WRITE);
    g_assert_nonnull(strstr(err->message, path));
    g_clear_error(&err);
    /* Sticky: close reports it again. */
    r = ng ? mp_pcapng_close(g, &err) : mp_pcap_close(w, &err);
    g_assert_cmpint(r, ==, -1);
    g_assert_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_WRITE);
    g_clear_error(&err);

    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    signal(SIGXFSZ, old_sig);

    g_assert_cmpint(file_size(path), <, LIMIT);
    bool clean;
    GPtrArray *a = read_back(path, NULL, NULL, &clean);
    g_assert_true(clean);
    g_assert_cmpuint(a->len, >, 0);
    g_assert_cmpuint(a->len, <, N);
    for (unsigned i = 0; i < a->len; i++)
        g_assert_cmpuint(((struct rec *)a->pdata[i])->ts, ==, MP_MS(i));
    g_ptr_array_unref(a);
}

static void test_write_error(struct fx *f, gconstpointer data)
{
    bool ng = GPOINTER_TO_INT(data);
    char *path = fx_path(f, ng ? "limit.pcapng" : "limit.pcap");
    write_until_limit(path, ng);
    g_free(path);
}

/* ---- pcapng: blocks as written ---------------------------------------- */

struct blk {
    uint32_t type;
    const uint8_t *body; /* after type and length */
    size_t len;          /* of body, without the trailing length */
};

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* Splits a pcapng file into blocks, checking the framing of each. */
static GArray *walk(const uint8_t *p, size_t n)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(struct blk));
    size_t off = 0;
    while (off < n) {
        g_assert_cmpuint(n - off, >=, 12);
        uint32_t type = get32(p + off), len = get32(p + off + 4);
        g_assert_cmpuint(len % 4, ==, 0);
        g_assert_cmpuint(len, >=, 12);
        g_assert_cmpuint(len, <=, n - off);
        g_assert_cmpuint(get32(p + off + len - 4), ==, len);
        struct blk b = { type, p + off + 8, len - 12 };
        g_array_append_val(a, b);
        off += len;
    }
    g_assert_cmpuint(g_array_index(a, struct blk, 0).type, ==, 0x0A0D0D0A);
    g_assert_cmphex(get32(g_array_index(a, struct blk, 0).body), ==, 0x1A2B3C4D);
    return a;
}

struct opt {
    uint16_t code, len;
    const uint8_t *val;
};

/* The options of |b| starting |skip| bytes into its body. */
static GArray *opts_of(const struct blk *b, size_t skip)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(struct opt));
    size_t off = skip;
    while (off < b->len) {
        g_assert_cmpuint(b->len - off, >=, 4);
        struct opt o = { get16(b->body + off), get16(b->body + off + 2), b->body + off + 4 };
        if (o.code == 0)
            break;
        off += 4 + ((o.len + 3u) & ~3u);
        g_assert_cmpuint(off, <=, b->len);
        g_array_append_val(a, o);
    }
    return a;
}

/* How many options |code| of |a| equal |val|/|len|. */
static unsigned opt_count(GArray *a, uint16_t code, const void *val, size_t len)
{
    unsigned c = 0;
    for (unsigned i = 0; i < a->len; i++) {
        const struct opt *o = &g_array_index(a, struct opt, i);
        if (o->code == code && o->len == len && memcmp(o->val, val, len) == 0)
            c++;
    }
    return c;
}

static bool opt_str(GArray *a, uint16_t code, const char *s)
{
    return opt_count(a, code, s, strlen(s)) == 1;
}

/*
 * The table written to a pcapng: interface eth0 at the start and, with
 * |two_ifaces|, eth1 added after the first three packets (a host that gains
 * an interface); events around the packets, two of them left at close.
 */
static void write_table_pcapng(const char *path, bool two_ifaces)
{
    GError *err = NULL;
    struct mp_pcapng *w = mp_pcapng_open(path, SNAPLEN, "0.1.0-test", &err);
    g_assert_no_error(err);
    struct mp_pcapng_addr a0[] = {
        { { 4, { 10, 0, 0, 1 } }, 24 },
        { { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } }, 64 },
    };
    struct mp_pcapng_addr a1[] = { { { 4, { 192, 168, 7, 9 } }, 16 } };
    g_assert_cmpuint(mp_pcapng_add_iface(w, "eth0", "uplink A", a0, G_N_ELEMENTS(a0)), ==, 0);

    /* Event before any packet: goes on the first packet. */
    mp_pcapng_event(w, 0, "scenario start");
    for (unsigned i = 0; i < G_N_ELEMENTS(pkts); i++) {
        if (i == 3) {
            if (two_ifaces)
                g_assert_cmpuint(mp_pcapng_add_iface(w, "eth1", NULL, a1, 1), ==, 1);
            /* Announced ahead of time, out of order: attached to the
             * packet at 4294967301 ns, in time order. */
            mp_pcapng_event(w, UINT64_C(4294967300), "link l1 down");
            mp_pcapng_event(w, 2 * NS_PER_S, "link l2 up");
        }
        uint8_t b[2048];
        uint32_t len = build(&pkts[i], b, (uint8_t)i);
        mp_pcapng_write(w, two_ifaces ? pkts[i].iface : 0, pkts[i].ts, b, len, pkts[i].dir,
                        pkts[i].comment);
    }
    /* Left at close: into an Interface Statistics Block. */
    mp_pcapng_event(w, 7200 * NS_PER_S, "end of run");
    mp_pcapng_event(w, 7200 * NS_PER_S, "second at the same time");
    g_assert_cmpuint(mp_pcapng_count(w), ==, G_N_ELEMENTS(pkts));
    g_assert_cmpint(mp_pcapng_close(w, &err), ==, 0);
    g_assert_no_error(err);
}

/* libpcap reads a one-interface host capture back exactly. */
static void test_pcapng_roundtrip(struct fx *f, gconstpointer data)
{
    char *path = fx_path(f, "h.pcapng");
    write_table_pcapng(path, false);
    int linktype, snaplen;
    bool clean;
    GPtrArray *a = read_back(path, &linktype, &snaplen, &clean);
    g_assert_true(clean);
    g_assert_cmpint(linktype, ==, DLT_RAW);
    g_assert_cmpint(snaplen, ==, SNAPLEN);
    check_table(a, SNAPLEN);
    g_ptr_array_unref(a);
    g_free(path);
}

/*
 * libpcap (1.10.3 and its master branch as of this writing) stores the first
 * interface's link type converted to a DLT_ value (LINKTYPE_RAW 101 becomes
 * DLT_RAW 12) and compares each further Interface Description Block's
 * unconverted value with it, so it stops at the second raw-IP interface of
 * any pcapng. The file is valid (the block walk and tshark show it); this
 * test records the limitation and passes once libpcap is fixed.
 */
static void test_pcapng_libpcap_two_ifaces(struct fx *f, gconstpointer data)
{
    char *path = fx_path(f, "h2.pcapng");
    write_table_pcapng(path, true);
    bool clean;
    GPtrArray *a = read_back(path, NULL, NULL, &clean);
    if (clean) {
        check_table(a, SNAPLEN);
    } else {
        /* It read everything up to the second interface, correctly. */
        g_assert_cmpuint(a->len, ==, 3);
        for (unsigned i = 0; i < a->len; i++)
            g_assert_cmpuint(((struct rec *)a->pdata[i])->ts, ==, pkts[i].ts);
        g_test_message("libpcap stops at the second raw-IP interface of a pcapng");
    }
    g_ptr_array_unref(a);
    g_free(path);
}

static void test_pcapng_blocks(struct fx *f, gconstpointer data)
{
    char *path = fx_path(f, "h.pcapng");
    write_table_pcapng(path, true);
    gchar *bytes;
    gsize n;
    g_assert_true(g_file_get_contents(path, &bytes, &n, NULL));
    GArray *blocks = walk((const uint8_t *)bytes, n);

    /* SHB, IDB 0, 3 EPBs, IDB 1, 4 EPBs, ISB. */
    static const uint32_t order[] = { 0x0A0D0D0A, 1, 6, 6, 6, 1, 6, 6, 6, 6, 5 };
    g_assert_cmpuint(blocks->len, ==, G_N_ELEMENTS(order));
    for (unsigned i = 0; i < G_N_ELEMENTS(order); i++)
        g_assert_cmpuint(g_array_index(blocks, struct blk, i).type, ==, order[i]);

    GArray *o = opts_of(&g_array_index(blocks, struct blk, 0), 16);
    g_assert_true(opt_str(o, 4, "afmp 0.1.0-test"));
    g_assert_cmpuint(o->len, ==, 1); /* no hardware, no OS */
    g_array_unref(o);

    const struct blk *idb0 = &g_array_index(blocks, struct blk, 1);
    g_assert_cmpuint(get16(idb0->body), ==, 101);
    g_assert_cmpuint(get32(idb0->body + 4), ==, SNAPLEN);
    o = opts_of(idb0, 8);
    g_assert_true(opt_str(o, 2, "eth0"));
    g_assert_true(opt_str(o, 3, "uplink A"));
    static const uint8_t v4[8] = { 10, 0, 0, 1, 255, 255, 255, 0 };
    static const uint8_t v6[17] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 64 };
    g_assert_cmpuint(opt_count(o, 4, v4, 8), ==, 1);
    g_assert_cmpuint(opt_count(o, 5, v6, 17), ==, 1);
    g_assert_cmpuint(opt_count(o, 9, "\x09", 1), ==, 1);
    g_array_unref(o);

    o = opts_of(&g_array_index(blocks, struct blk, 5), 8);
    static const uint8_t v4b[8] = { 192, 168, 7, 9, 255, 255, 0, 0 };
    g_assert_true(opt_str(o, 2, "eth1"));
    g_assert_cmpuint(opt_count(o, 3, "", 0), ==, 0);
    g_assert_cmpuint(opt_count(o, 4, v4b, 8), ==, 1);
    g_array_unref(o);

    /* EPBs: interface, 64-bit nanosecond time, flags, comments. */
    unsigned k = 0;
    for (unsigned i = 0; i < blocks->len; i++) {
        const struct blk *b = &g_array_index(blocks, struct blk, i);
        if (b->type != 6)
            continue;
        const struct tpkt *t = &pkts[k];
        g_assert_cmpuint(get32(b->body), ==, t->iface);
        uint64_t ts = (uint64_t)get32(b->body + 4) << 32 | get32(b->body + 8);
        g_assert_cmpuint(ts, ==, t->ts);
        uint8_t pb[2048];
        uint32_t len = build(t, pb, (uint8_t)k);
        uint32_t caplen = get32(b->body + 12);
        g_assert_cmpuint(caplen, ==, MIN(len, SNAPLEN));
        g_assert_cmpuint(get32(b->body + 16), ==, len);
        g_assert_cmpmem(b->body + 20, caplen, pb, caplen);
        o = opts_of(b, 20 + ((caplen + 3u) & ~3u));
        uint32_t flags = (uint32_t)t->dir;
        g_assert_cmpuint(opt_count(o, 2, &flags, 4), ==, t->dir ? 1 : 0);
        if (t->comment)
            g_assert_true(opt_str(o, 1, t->comment));
        if (k == 0)
            g_assert_true(opt_str(o, 1, "event t=0.000000000: scenario start"));
        if (k == 4) {
            /* The packet's own comment first, then events by time. */
            g_assert_cmpuint(o->len, ==, 3);
            const struct opt *c1 = &g_array_index(o, struct opt, 1);
            const struct opt *c2 = &g_array_index(o, struct opt, 2);
            g_assert_cmpmem(c1->val, c1->len, "event t=2.000000000: link l2 up", 31);
            g_assert_cmpmem(c2->val, c2->len, "event t=4.294967300: link l1 down", 33);
        }
        if (k != 0 && k != 4)
            g_assert_cmpuint(o->len, ==, (t->dir ? 1u : 0u) + (t->comment ? 1u : 0u));
        g_array_unref(o);
        k++;
    }
    g_assert_cmpuint(k, ==, G_N_ELEMENTS(pkts));

    const struct blk *isb = &g_array_index(blocks, struct blk, blocks->len - 1);
    g_assert_cmpuint(get32(isb->body), ==, 0);
    uint64_t ts = (uint64_t)get32(isb->body + 4) << 32 | get32(isb->body + 8);
    g_assert_cmpuint(ts, ==, 7200 * NS_PER_S);
    o = opts_of(isb, 12);
    g_assert_cmpuint(o->len, ==, 2);
    g_assert_true(opt_str(o, 1, "event t=7200.000000000: end of run"));
    g_assert_true(opt_str(o, 1, "event t=7200.000000000: second at the same time"));
    g_assert_cmpuint(g_array_index(o, struct opt, 0).len, ==, 34);
    g_array_unref(o);

    g_array_unref(blocks);
    g_free(bytes);
    g_free(path);
}

/* Comments are cut at invalid UTF-8; a packet with no options has none. */
static void test_pcapng_comment_utf8(struct fx *f, gconstpointer data)
{
    char *path = fx_path(f, "u.pcapng");
    GError *err = NULL;
    struct mp_pcapng *w = mp_pcapng_open(path, 0, NULL, &err);
    g_assert_no_error(err);
    mp_pcapng_add_iface(w, "x", NULL, NULL, 0);
    uint8_t b[64];
    uint32_t len = make_ipv4_udp(b, 29, 1);
    mp_pcapng_write(w, 0, 5, b, len, MP_PCAPNG_DIR_UNKNOWN, "caf\xc3\xa9 ok\xff tail");
    mp_pcapng_write(w, 0, 6, b, len, MP_PCAPNG_DIR_UNKNOWN, NULL);
    g_assert_cmpint(mp_pcapng_close(w, &err), ==, 0);

    gchar *bytes;
    gsize n;
    g_assert_true(g_file_get_contents(path, &bytes, &n, NULL));
    GArray *blocks = walk((const uint8_t *)bytes, n);
    g_assert_cmpuint(blocks->len, ==, 4);
    GArray *o = opts_of(&g_array_index(blocks, struct blk, 0), 16);
    g_assert_true(opt_str(o, 4, "afmp"));
    g_array_unref(o);
    o = opts_of(&g_array_index(blocks, struct blk, 2), 20 + 32);
    g_assert_cmpuint(o->len, ==, 1);
    g_assert_true(opt_str(o, 1, "caf\xc3\xa9 ok"));
    g_array_unref(o);
    /* 29 bytes padded to 32, no options at all. */
    g_assert_cmpuint(g_array_index(blocks, struct blk, 3).len, ==, 20 + 32);
    g_array_unref(blocks);
    g_free(bytes);
    g_free(path);
}

/* Same calls, same bytes: nothing in the files depends on the machine's
 * clock or on the run. */
static void test_deterministic(struct fx *f, gconstpointer data)
{
    char *p1 = fx_path(f, "1.pcapng"), *p2 = fx_path(f, "2.pcapng");
    char *q1 = fx_path(f, "1.pcap"), *q2 = fx_path(f, "2.pcap");
    write_table_pcapng(p1, true);
    write_table_pcapng(p2, true);
    write_table_pcap(q1);
    write_table_pcap(q2);
    const char *pairs[2][2] = { { p1, p2 }, { q1, q2 } };
    for (unsigned i = 0; i < 2; i++) {
        gchar *a, *b;
        gsize na, nb;
        g_assert_true(g_file_get_contents(pairs[i][0], &a, &na, NULL));
        g_assert_true(g_file_get_contents(pairs[i][1], &b, &nb, NULL));
        g_assert_cmpmem(a, na, b, nb);
        g_free(a);
        g_free(b);
    }
    g_free(p1);
    g_free(p2);
    g_free(q1);
    g_free(q2);
}

/* ---- interrupted runs --------------------------------------------------- */

/*
 * Writes N packets without flushing, then checks the file as a killed run
 * would leave it: only whole records (the automatic flushes of the full
 * buffer), readable to a clean end. Then flushes at a record boundary,
 * writes more, closes, and cuts the file back to that boundary: it still
 * reads, to exactly the packets written before the flush; a cut inside a
 * record does not (so the check above can fail).
 */
static void test_interrupted(struct fx *f, gconstpointer data)
{
    bool ng = GPOINTER_TO_INT(data);
    enum { N = 300, M = 120 };
    off_t boundary = 0;
    char *path = fx_path(f, ng ? "k.pcapng" : "k.pcap");
    GError *err = NULL;
    struct mp_pcap *w = NULL;
    struct mp_pcapng *g = NULL;
    if (ng) {
        g = mp_pcapng_open(path, 0, "t", &err);
        g_assert_no_error(err);
        g_assert_cmpint(file_size(path), >, 0); /* the header is there at once */
        mp_pcapng_add_iface(g, "eth0", NULL, NULL, 0);
    } else {
        w = mp_pcap_open(path, 0, &err);
    }
    g_assert_no_error(err);
    /* The header (and the interface) are there at once: readable, empty. */
    off_t empty = file_size(path);
    bool clean0;
    GPtrArray *a0 = read_back(path, NULL, NULL, &clean0);
    g_assert_true(clean0);
    g_assert_cmpuint(a0->len, ==, 0);
    g_ptr_array_unref(a0);

    for (unsigned i = 0; i < N + M; i++) {
        if (i == N) {
            /* The state a killed run leaves behind. */
            bool clean;
            GPtrArray *a = read_back(path, NULL, NULL, &clean);
            g_assert_true(clean);
            g_assert_cmpuint(a->len, >, 0);
            g_assert_cmpuint(a->len, <, N);
            g_ptr_array_unref(a);
            int r = ng ? mp_pcapng_flush(g, &err) : mp_pcap_flush(w, &err);
            g_assert_cmpint(r, ==, 0);
            g_assert_no_error(err);
            boundary = file_size(path);
        }
        uint8_t b[2048];
        uint32_t len = i % 2 ? make_ipv6_udp(b, 1300, (uint8_t)i) : make_ipv4_udp(b, 1000, (uint8_t)i);
        if (ng)
            mp_pcapng_write(g, 0, MP_US(i), b, len, MP_PCAPNG_DIR_OUT, NULL);
        else
            mp_pcap_write(w, MP_US(i), b, len);
    }
    /* The size at the flush: header + N whole records. */
    off_t rec4 = ng ? 32 + 1000 + 12 : 16 + 1000, rec6 = ng ? 32 + 1300 + 12 : 16 + 1300;
    g_assert_cmpint(boundary, ==, empty + (N / 2) * (rec4 + rec6));
    int r = ng ? mp_pcapng_close(g, &err) : mp_pcap_close(w, &err);
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpint(file_size(path), ==, boundary + (M / 2) * (rec4 + rec6));

    g_assert_cmpint(truncate(path, boundary), ==, 0);
    bool clean;
    GPtrArray *a = read_back(path, NULL, NULL, &clean);
    g_assert_true(clean);
    g_assert_cmpuint(a->len, ==, N);
    for (unsigned i = 0; i < N; i++)
        g_assert_cmpuint(((struct rec *)a->pdata[i])->ts, ==, MP_US(i));
    g_ptr_array_unref(a);

    g_assert_cmpint(truncate(path, boundary - 7), ==, 0);
    a = read_back(path, NULL, NULL, &clean);
    g_assert_false(clean);
    g_ptr_array_unref(a);
    g_free(path);
}

/* ---- tshark ------------------------------------------------------------- */

/* Runs tshark -r |path| with |args|; returns its standard output and sets
 * |*status| to its exit code. */
static char *tshark(const char *path, const char *const *args, int *status)
{
    GPtrArray *argv = g_ptr_array_new();
    char *prog = g_find_program_in_path("tshark");
    g_ptr_array_add(argv, prog);
    g_ptr_array_add(argv, (char *)"-r");
    g_ptr_array_add(argv, (char *)path);
    for (; *args; args++)
        g_ptr_array_add(argv, (char *)*args);
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *errout = NULL;
    int wait_status;
    GError *err = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &errout, &wait_status, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
    *status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    if (*status != 0)
        g_test_message("tshark -r %s: %s", path, errout);
    g_free(errout);
    g_free(prog);
    g_ptr_array_unref(argv);
    return out;
}

static bool have_tshark(void)
{
    char *p = g_find_program_in_path("tshark");
    if (!p) {
        g_test_skip("tshark is not installed");
        return false;
    }
    g_free(p);
    return true;
}

static void assert_not_malformed(const char *path)
{
    static const char *const args[] = { "-Y", "_ws.malformed || _ws.expert.severity >= warning",
                                        NULL };
    int status;
    char *out = tshark(path, args, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_cmpstr(out, ==, "");
    g_free(out);
}

static void test_tshark_pcapng(struct fx *f, gconstpointer data)
{
    if (!have_tshark())
        return;
    char *path = fx_path(f, "h.pcapng");
    write_table_pcapng(path, true);

    static const char *const args[] = {
        "-T", "fields", "-E", "aggregator=|",
        "-e", "frame.interface_name", "-e", "frame.interface_description",
        "-e", "frame.packet_flags_direction", "-e", "frame.time_epoch",
        "-e", "frame.cap_len", "-e", "frame.comment", NULL,
    };
    static const char *const want[] = {
        "eth0\tuplink A\t0x00000002\t0.000000000\t28\tevent t=0.000000000: scenario start",
        "eth0\tuplink A\t0x00000001\t0.000000001\t48\tfirst IPv6",
        "eth0\tuplink A\t0x00000002\t0.999999999\t256\t",
        "eth1\t\t0x00000001\t1.000000000\t256\t",
        "eth1\t\t\t4.294967301\t256\tcomment, with comma|event t=2.000000000: link l2 up"
        "|event t=4.294967300: link l1 down",
        "eth0\tuplink A\t0x00000002\t3600.123456789\t256\t",
        "eth1\t\t0x00000001\t3600.123456789\t100\t",
    };
    int status;
    char *out = tshark(path, args, &status);
    g_assert_cmpint(status, ==, 0);
    char **lines = g_strsplit(out, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, G_N_ELEMENTS(want) + 1);
    for (unsigned i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpstr(lines[i], ==, want[i]);
    g_assert_cmpstr(lines[G_N_ELEMENTS(want)], ==, "");
    g_strfreev(lines);
    g_free(out);

    /* The packets themselves dissect as the UDP datagrams they are. */
    static const char *const udp[] = { "-Y", "udp.srcport == 40000 && udp.dstport == 5001",
                                       NULL };
    out = tshark(path, udp, &status);
    g_assert_cmpint(status, ==, 0);
    char **l2 = g_strsplit(g_strstrip(out), "\n", -1);
    g_assert_cmpuint(g_strv_length(l2), ==, G_N_ELEMENTS(pkts));
    g_strfreev(l2);
    g_free(out);

    assert_not_malformed(path);
    g_free(path);
}

static void test_tshark_pcap(struct fx *f, gconstpointer data)
{
    if (!have_tshark())
        return;
    char *path = fx_path(f, "a.pcap");
    write_table_pcap(path);
    static const char *const args[] = { "-T", "fields", "-e", "frame.time_epoch", "-e",
                                        "ip.src", "-e", "ipv6.src", "-e", "udp.length", NULL };
    int status;
    char *out = tshark(path, args, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_true(g_str_has_prefix(out, "0.000000000\t10.0.0.1\t\t8\n"
                                        "0.000000001\t\t2001:db8::1\t8\n"
                                        "0.999999999\t10.0.0.1\t\t1380\n"));
    g_free(out);
    assert_not_malformed(path);
    g_free(path);
}

/* A pcapng cut back to a flush is accepted by tshark too; a cut inside a
 * block is reported. */
static void test_tshark_truncated(struct fx *f, gconstpointer data)
{
    if (!have_tshark())
        return;
    char *path = fx_path(f, "t.pcapng");
    GError *err = NULL;
    struct mp_pcapng *w = mp_pcapng_open(path, 0, "t", &err);
    g_assert_no_error(err);
    mp_pcapng_add_iface(w, "eth0", NULL, NULL, 0);
    uint8_t b[2048];
    uint32_t len = make_ipv4_udp(b, 600, 3);
    for (unsigned i = 0; i < 10; i++)
        mp_pcapng_write(w, 0, MP_MS(i), b, len, MP_PCAPNG_DIR_IN, NULL);
    g_assert_cmpint(mp_pcapng_flush(w, &err), ==, 0);
    off_t boundary = file_size(path);
    mp_pcapng_event(w, MP_MS(10), "link l1 down");
    for (unsigned i = 10; i < 20; i++)
        mp_pcapng_write(w, 0, MP_MS(i), b, len, MP_PCAPNG_DIR_IN, NULL);
    g_assert_cmpint(mp_pcapng_close(w, &err), ==, 0);

    static const char *const args[] = { "-T", "fields", "-e", "frame.comment", NULL };
    int status;
    char *out = tshark(path, args, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_nonnull(strstr(out, "\n\n\n\nevent t=0.010000000: link l1 down\n"));
    g_free(out);

    g_assert_cmpint(truncate(path, boundary), ==, 0);
    static const char *const count[] = { "-T", "fields", "-e", "frame.number", NULL };
    out = tshark(path, count, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_true(g_str_has_suffix(out, "\n10\n"));
    g_free(out);
    assert_not_malformed(path);

    g_assert_cmpint(truncate(path, boundary - 5), ==, 0);
    out = tshark(path, count, &status);
    g_assert_cmpint(status, !=, 0);
    g_free(out);
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(path, fn, data) g_test_add(path, struct fx, data, fx_setup, fn, fx_teardown)
    ADD("/capture/pcap/roundtrip", test_pcap_roundtrip, NULL);
    ADD("/capture/pcap/same-as-libpcap", test_pcap_same_as_libpcap, NULL);
    ADD("/capture/pcap/big-records", test_pcap_big, NULL);
    ADD("/capture/pcap/open-errors", test_pcap_open_errors, NULL);
    ADD("/capture/pcap/write-error", test_write_error, GINT_TO_POINTER(0));
    ADD("/capture/pcap/interrupted", test_interrupted, GINT_TO_POINTER(0));
    ADD("/capture/pcap/tshark", test_tshark_pcap, NULL);
    ADD("/capture/pcapng/roundtrip", test_pcapng_roundtrip, NULL);
    ADD("/capture/pcapng/libpcap-two-ifaces", test_pcapng_libpcap_two_ifaces, NULL);
    ADD("/capture/pcapng/blocks", test_pcapng_blocks, NULL);
    ADD("/capture/pcapng/comment-utf8", test_pcapng_comment_utf8, NULL);
    ADD("/capture/pcapng/write-error", test_write_error, GINT_TO_POINTER(1));
    ADD("/capture/pcapng/interrupted", test_interrupted, GINT_TO_POINTER(1));
    ADD("/capture/pcapng/tshark", test_tshark_pcapng, NULL);
    ADD("/capture/pcapng/tshark-truncated", test_tshark_truncated, NULL);
    ADD("/capture/deterministic", test_deterministic, NULL);
#undef ADD

    return g_test_run();
}
