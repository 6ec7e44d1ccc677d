/*
 * afmp: helpers shared by the built-in applications (util.h).
 */
#include "sim/apps/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/units.h"

/* Products of 64-bit figures (bytes * 8 * 1e9, rtt^2) need 128 bits. GCC
 * and Clang have them on every 64-bit target Debian builds for. */
__extension__ typedef unsigned __int128 u128;

/* ---- options ---- */

enum mp_app_opts_result mp_app_parse_options(const char *prog, const char *params,
                                             const char *summary, const GOptionEntry *entries,
                                             int *argc, char ***argv)
{
    GOptionContext *ctx = g_option_context_new(params);
    GError *err = NULL;
    enum mp_app_opts_result r = MP_APP_OPTS_OK;

    /* GLib's --help prints to the real stdout and calls exit(): it would end
     * the simulator, not the simulated process. */
    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_set_summary(ctx, summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    for (int i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--"))
            break;
        if (!strcmp((*argv)[i], "--help") || !strcmp((*argv)[i], "-h")) {
            char *help = g_option_context_get_help(ctx, TRUE, NULL);
            afmp_log("%s", help);
            g_free(help);
            g_option_context_free(ctx);
            return MP_APP_OPTS_HELP;
        }
    }
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        afmp_log("%s: %s (try --help)", prog, err->message);
        g_error_free(err);
        r = MP_APP_OPTS_ERROR;
    } else if (!*params && *argc > 1) {
        /* A program without positional parameters takes none. */
        afmp_log("%s: unexpected argument '%s'", prog, (*argv)[1]);
        r = MP_APP_OPTS_ERROR;
    }
    g_option_context_free(ctx);
    return r;
}

static bool opt_fail(const char *prog, const char *opt, const char *what, const char *s, int rc)
{
    afmp_log("%s: %s: expected %s, got '%s' (%s)", prog, opt, what, s, mp_units_strerror(rc));
    return false;
}

bool mp_app_opt_time(const char *prog, const char *opt, const char *s, bool bare_seconds,
                     mp_time_t *out)
{
    int rc = mp_units_parse_time(s, out);
    if (rc == MP_UNITS_ENOUNIT && bare_seconds) {
        /* iputils reads "-i 0.2" as seconds; so do we, exactly. */
        char *withs = g_strconcat(s, "s", NULL);
        rc = mp_units_parse_time(withs, out);
        g_free(withs);
        if (rc == 0)
            return true;
        rc = MP_UNITS_ENOUNIT;
    }
    return rc == 0 || opt_fail(prog, opt, "a time like 10ms (units ns, us, ms, s)", s, rc);
}

bool mp_app_opt_rate(const char *prog, const char *opt, const char *s, uint64_t *out)
{
    int rc = mp_units_parse_rate(s, out);
    if (rc == 0 && *out == 0)
        return opt_fail(prog, opt, "a rate above zero like 1Mbit", s, MP_UNITS_ERANGE);
    return rc == 0 || opt_fail(prog, opt, "a rate like 1Mbit (units bit, kbit, Mbit, Gbit)", s, rc);
}

bool mp_app_opt_size(const char *prog, const char *opt, const char *s, uint64_t *out)
{
    int rc = mp_units_parse_size(s, out);
    if (rc == MP_UNITS_ENOUNIT && mp_units_parse_uint(s, UINT64_MAX, out) == 0)
        return true;
    return rc == 0 || opt_fail(prog, opt, "a size like 1000B or 1000 (bytes)", s, rc);
}

bool mp_app_opt_uint(const char *prog, const char *opt, const char *s, uint64_t max,
                     uint64_t *out)
{
    int rc = mp_units_parse_uint(s, max, out);
    if (rc == 0)
        return true;
    afmp_log("%s: %s: expected an integer 0..%" G_GUINT64_FORMAT ", got '%s' (%s)", prog, opt, max,
             s, mp_units_strerror(rc));
    return false;
}

/* ---- addresses ---- */

bool mp_app_resolve(const char *prog, const char *host, uint16_t port,
                    struct sockaddr_storage *ss, socklen_t *len)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);

    memset(ss, 0, sizeof(*ss));
    /* "[2001:db8::1]" as in URLs and "host:port" forms. */
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        *len = sizeof(*in);
        return true;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof(*in6);
        return true;
    }
    afmp_log("%s: '%s': expected a numeric IPv4 or IPv6 address (names need the resolver, "
             "which is not there yet)",
             prog, host);
    return false;
}

bool mp_app_split_hostport(const char *prog, const char *opt, const char *s, char **host,
                           uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    uint64_t p;
    bool ok = colon && colon != s;

    if (ok && s[0] == '[')
        ok = colon[-1] == ']';
    else if (ok)
        ok = strchr(s, ':') == colon; /* a bare IPv6 address needs brackets */
    if (ok)
        ok = mp_units_parse_uint(colon + 1, 65535, &p) == 0 && p > 0;
    if (!ok) {
        afmp_log("%s: %s: expected HOST:PORT or [IPV6]:PORT with a port 1..65535, got '%s'",
                 prog, opt, s);
        return false;
    }
    *host = g_strndup(s, (gsize)(colon - s));
    *port = (uint16_t)p;
    return true;
}

bool mp_app_parse_list(const char *prog, const char *opt, const char *s, uint16_t port,
                       struct sockaddr_mp_storage *mp, socklen_t *len)
{
    struct sockaddr_mp_storage raw;
    socklen_t rlen = sizeof(raw);
    size_t at = 0;
    if (afmp_mp_parse(s, (struct sockaddr *)&raw, &rlen, &at) < 0) {
        afmp_log("%s: %s: expected numeric addresses separated by commas (IPv6 in brackets%s), "
                 "got '%s' (wrong from offset %zu)",
                 prog, opt, port ? "" : ", each with :PORT", s, at);
        return false;
    }
    struct afmp_mp_iter it;
    struct afmp_mp_entry e;
    *len = 0;
    afmp_mp_iter_init(&it, (struct sockaddr *)&raw, rlen);
    while (afmp_mp_iter_next(&it, &e) == 1) {
        if (!e.port && !port) {
            afmp_log("%s: %s: every address needs a port (ADDR:PORT, [IPV6]:PORT), got '%s'",
                     prog, opt, s);
            return false;
        }
        if (!e.port)
            e.port = port;
        if (afmp_mp_append((struct sockaddr *)mp, sizeof(*mp), len, &e) < 0) {
            afmp_log("%s: %s: too many addresses in '%s'", prog, opt, s);
            return false;
        }
    }
    return true;
}

/* One list as text, or NULL when the call fails; *n its entries. */
static char *list_text(int fd, bool peer, int *n)
{
    struct sockaddr_mp_storage mp;
    socklen_t len = sizeof(mp);
    int rc = peer ? afmp_getpeername(fd, (struct sockaddr *)&mp, &len)
                  : afmp_getsockname(fd, (struct sockaddr *)&mp, &len);
    if (rc < 0 || mp.smp_family != AF_MULTIPATH || len > sizeof(mp))
        return NULL;
    char *buf = g_malloc(AFMP_MP_STRLEN);
    if (afmp_mp_format((struct sockaddr *)&mp, len, buf, AFMP_MP_STRLEN) < 0) {
        g_free(buf);
        return NULL;
    }
    *n = mp.smp_count;
    return buf;
}

void mp_app_lists_watch(const char *prog, int fd, struct mp_app_lists *l)
{
    int nl = 0, np = 0;
    char *local = list_text(fd, false, &nl);
    char *peer = list_text(fd, true, &np);
    if (!local || !peer ||
        (l->local && !strcmp(local, l->local) && l->peer && !strcmp(peer, l->peer))) {
        g_free(local);
        g_free(peer);
        return;
    }
    afmp_log("%s: [%3d] local %s peer %s", prog, fd, local, peer);
    g_free(l->local);
    g_free(l->peer);
    l->local = local;
    l->peer = peer;
    l->nlocal = nl;
    l->npeer = np;
    l->local_max = MAX(l->local_max, nl);
    l->peer_max = MAX(l->peer_max, np);
    l->changes++;
}

void mp_app_lists_clear(struct mp_app_lists *l)
{
    g_free(l->local);
    g_free(l->peer);
    memset(l, 0, sizeof(*l));
}

int mp_app_subflows(int fd, int name, void *buf, socklen_t cap, size_t elem)
{
    struct afmp_mptcp_subflow_data hd = {.size_subflow_data = sizeof(hd),
                                         .size_user = (uint32_t)elem};
    memcpy(buf, &hd, sizeof(hd));
    if (afmp_getsockopt(fd, SOL_MPTCP, name, buf, &cap) < 0)
        return -1;
    memcpy(&hd, buf, sizeof(hd));
    return (int)hd.num_subflows;
}

const char *mp_app_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *a = sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                                              : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (!inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
        g_strlcpy(buf, "?", len);
    return buf;
}

/* ---- the CBR datagram ---- */

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static const uint8_t cbr_magic[4] = {0x61, 0x66, 0x6d, 0x70};

/* The splitmix64 finalizer: a bijection on 64 bits that spreads every input
 * bit over the output. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint8_t pattern(uint64_t key, size_t i)
{
    return (uint8_t)(key >> (8 * (i % 8))) ^ (uint8_t)i;
}

long mp_app_cbr_emit(uint8_t *p, size_t len, const struct mp_app_cbr_hdr *h)
{
    if (len < MP_APP_CBR_HDR)
        return -1;
    memcpy(p, cbr_magic, 4);
    put64(p + 4, h->seq);
    put64(p + 12, h->sent_ns);
    uint64_t key = mix(h->seq ^ mix(h->sent_ns));
    for (size_t i = MP_APP_CBR_HDR; i < len; i++)
        p[i] = pattern(key, i);
    return (long)len;
}

int mp_app_cbr_parse(const uint8_t *p, size_t len, struct mp_app_cbr_hdr *out)
{
    if (len < MP_APP_CBR_HDR)
        return -1;
    if (memcmp(p, cbr_magic, 4) != 0)
        return -2;
    out->seq = get64(p + 4);
    out->sent_ns = get64(p + 12);
    uint64_t key = mix(out->seq ^ mix(out->sent_ns));
    for (size_t i = MP_APP_CBR_HDR; i < len; i++)
        if (p[i] != pattern(key, i))
            return -3;
    return 0;
}

/* ---- integers ---- */

uint64_t mp_app_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    if (c == 0)
        return 0;
    u128 q = (u128)a * b / c;
    return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

const char *mp_app_fmt_ms(uint64_t ns, char *buf, size_t len)
{
    g_snprintf(buf, len, "%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT, ns / 1000000u,
               ns % 1000000u / 1000u);
    return buf;
}

const char *mp_app_fmt_ppm(uint32_t ppm, char *buf, size_t len)
{
    /* 1% = 10000 ppm: four decimals are exact. */
    unsigned whole = ppm / 10000u, frac = ppm % 10000u;
    if (!frac) {
        g_snprintf(buf, len, "%u", whole);
        return buf;
    }
    int digits = 4;
    while (frac % 10u == 0) {
        frac /= 10u;
        digits--;
    }
    g_snprintf(buf, len, "%u.%0*u", whole, digits, frac);
    return buf;
}

void mp_app_stat_add(struct mp_app_stat *s, uint64_t v)
{
    if (s->n == 0 || v < s->min)
        s->min = v;
    if (v > s->max)
        s->max = v;
    s->n++;
    s->sum += v;
    u128 sq = ((u128)s->sumsq_hi << 64 | s->sumsq_lo) + (u128)v * v;
    s->sumsq_hi = (uint64_t)(sq >> 64);
    s->sumsq_lo = (uint64_t)sq;
}

uint64_t mp_app_stat_mean(const struct mp_app_stat *s)
{
    return s->n ? s->sum / s->n : 0;
}

static uint64_t isqrt128(u128 v)
{
    /* Bit by bit, from the highest even bit: exact floor for any v. */
    u128 r = 0, bit = (u128)1 << 126;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint64_t)r;
}

uint64_t mp_app_stat_mdev(const struct mp_app_stat *s)
{
    if (s->n < 2)
        return 0;
    /* n * sumsq - sum^2 = n^2 * variance; exact in 128 bits as long as
     * n * sumsq fits, which holds for any realistic run (2^128 ns^2). */
    u128 sumsq = (u128)s->sumsq_hi << 64 | s->sumsq_lo;
    u128 num = sumsq * s->n - (u128)s->sum * s->sum;
    return isqrt128(num) / s->n;
}

/* A socket of |type| bound to |bind| or the family's wildcard and |port|;
 * failures logged. */
static int open_bound(const char *prog, int family, int type, int proto,
                      const struct sockaddr_storage *bind, socklen_t blen, uint16_t port)
{
    struct sockaddr_storage any;
    char abuf[INET6_ADDRSTRLEN];

    if (!bind) {
        memset(&any, 0, sizeof(any));
        any.ss_family = (sa_family_t)family;
        if (family == AF_INET) {
            ((struct sockaddr_in *)&any)->sin_port = htons(port);
            blen = sizeof(struct sockaddr_in);
        } else {
            ((struct sockaddr_in6 *)&any)->sin6_port = htons(port);
            blen = sizeof(struct sockaddr_in6);
        }
        bind = &any;
    }
    int fd = afmp_socket(family, type, proto);
    if (fd < 0) {
        afmp_log("%s: socket: %s", prog, g_strerror(errno));
        return -1;
    }
    if (afmp_bind(fd, (const struct sockaddr *)bind, blen) < 0) {
        afmp_log("%s: bind %s port %u: %s", prog,
                 mp_app_addr_str((const struct sockaddr *)bind, abuf, sizeof(abuf)), port,
                 g_strerror(errno));
        afmp_close(fd);
        return -1;
    }
    return fd;
}

int mp_app_udp_open(const char *prog, int family, const struct sockaddr_storage *bind,
                    socklen_t blen, uint16_t port)
{
    return open_bound(prog, family, SOCK_DGRAM, 0, bind, blen, port);
}

/* ---- the stream pattern ---- */

/* Byte |pos| of the stream: byte pos % 8 of the little-endian block key. */
static inline uint8_t stream_byte(uint64_t pos)
{
    return (uint8_t)(mix(pos / 8) >> (8 * (pos % 8)));
}

/* Whole 8-byte blocks go as one little-endian word (a key per block; the
 * bytes are the same as byte by byte): this runs on every byte a bulk
 * transfer sends and receives, and was a quarter of the instructions of a
 * bulk run. The word loops below have no early exit so that the compiler
 * vectorises them; on x86-64 a second version for AVX-512 (which multiplies
 * 64-bit lanes) is chosen at load time. Integer arithmetic: the bytes are
 * the same on every machine and with either version. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define STREAM_WORDS __attribute__((target_clones("arch=x86-64-v4", "default"), optimize("O3")))
#else
#define STREAM_WORDS
#endif

/* Words w0, w0 + 1, ... of the pattern to |p| (unaligned), |n| of them. */
STREAM_WORDS static void fill_words(uint8_t *p, size_t n, uint64_t w0)
{
    for (size_t j = 0; j < n; j++) {
        uint64_t k = GUINT64_TO_LE(mix(w0 + j));
        memcpy(p + 8 * j, &k, 8);
    }
}

/* Zero when the |n| words at |p| are pattern words w0, w0 + 1, ... */
STREAM_WORDS static uint64_t diff_words(const uint8_t *p, size_t n, uint64_t w0)
{
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t v;
        memcpy(&v, p + 8 * j, 8);
        acc |= v ^ GUINT64_TO_LE(mix(w0 + j));
    }
    return acc;
}

void mp_app_stream_fill(uint8_t *p, size_t len, uint64_t off)
{
    size_t i = 0;
    for (; i < len && (off + i) % 8; i++)
        p[i] = stream_byte(off + i);
    size_t words = (len - i) / 8;
    fill_words(p + i, words, (off + i) / 8);
    i += 8 * words;
    for (; i < len; i++)
        p[i] = stream_byte(off + i);
}

/* Words are compared in runs of this many; a run that differs is searched
 * byte by byte for the first wrong byte. */
#define CHECK_RUN 64u

size_t mp_app_stream_check(const uint8_t *p, size_t len, uint64_t off)
{
    size_t i = 0;
    for (; i < len && (off + i) % 8; i++)
        if (p[i] != stream_byte(off + i))
            return i;
    while (len - i >= 8) {
        size_t words = MIN((len - i) / 8, (size_t)CHECK_RUN);
        if (diff_words(p + i, words, (off + i) / 8))
            break; /* the byte-wise loop below finds which */
        i += 8 * words;
    }
    for (; i < len; i++)
        if (p[i] != stream_byte(off + i))
            return i;
    return len;
}

/* ---- TCP ---- */

int mp_app_tcp_listen(const char *prog, int family, bool mptcp, const struct sockaddr_storage *bind,
                      socklen_t blen, uint16_t port, int backlog)
{
    int fd = open_bound(prog, family, SOCK_STREAM, mptcp ? AFMP_IPPROTO_MPTCP : 0, bind, blen, port);
    if (fd < 0)
        return -1;
    if (afmp_listen(fd, backlog) < 0) {
        afmp_log("%s: listen: %s", prog, g_strerror(errno));
        afmp_close(fd);
        return -1;
    }
    return fd;
}

/* |v| in units of |unit|, with three significant digits as iperf3's
 * "%4.2f" / "%4.1f" / "%4.0f" choose them, rounded half up. */
static void fmt3(char *buf, size_t len, uint64_t v, uint64_t unit, const char *name)
{
    uint64_t h = mp_app_muldiv(v, 100, unit) + (mp_app_muldiv(v, 1000, unit) % 10 >= 5);
    if (h < 1000)
        g_snprintf(buf, len, "%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT " %s", h / 100,
                   h % 100, name);
    else if (h < 10000)
        g_snprintf(buf, len, "%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT " %s", (h + 5) / 100,
                   (h + 5) / 10 % 10, name);
    else
        g_snprintf(buf, len, "%4" G_GUINT64_FORMAT " %s", (h + 50) / 100, name);
}

const char *mp_app_fmt_interval(char *buf, size_t len, int id, uint64_t from, uint64_t to,
                                uint64_t bytes)
{
    char amount[32], rate[32], t0[16], t1[16];
    uint64_t bps = mp_app_muldiv(bytes * 8u, 1000000000u, to > from ? to - from : 0);

    if (bytes >= (UINT64_C(1) << 30))
        fmt3(amount, sizeof(amount), bytes, UINT64_C(1) << 30, "GBytes");
    else if (bytes >= (UINT64_C(1) << 20))
        fmt3(amount, sizeof(amount), bytes, UINT64_C(1) << 20, "MBytes");
    else if (bytes >= 1024)
        fmt3(amount, sizeof(amount), bytes, 1024, "KBytes");
    else
        g_snprintf(amount, sizeof(amount), "%4" G_GUINT64_FORMAT " Bytes", bytes);
    if (bps >= 1000000000u)
        fmt3(rate, sizeof(rate), bps, 1000000000u, "Gbits/sec");
    else if (bps >= 1000000u)
        fmt3(rate, sizeof(rate), bps, 1000000u, "Mbits/sec");
    else if (bps >= 1000u)
        fmt3(rate, sizeof(rate), bps, 1000u, "Kbits/sec");
    else
        g_snprintf(rate, sizeof(rate), "%4" G_GUINT64_FORMAT " bits/sec", bps);
    /* Seconds with two decimals, rounded to the nearest hundredth. */
    uint64_t c0 = (from + 5000000u) / 10000000u, c1 = (to + 5000000u) / 10000000u;
    g_snprintf(t0, sizeof(t0), "%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT, c0 / 100, c0 % 100);
    g_snprintf(t1, sizeof(t1), "%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT, c1 / 100, c1 % 100);
    g_snprintf(buf, len, "[%3d] %6s-%-6s  sec  %s  %s", id, t0, t1, amount, rate);
    return buf;
}

/* ---- interval reports ---- */

void mp_app_meter_init(struct mp_app_meter *m, const char *prog, int id, uint64_t start,
                       uint64_t interval)
{
    *m = (struct mp_app_meter){.prog = prog, .id = id, .start = start, .interval = interval};
}

uint64_t mp_app_meter_next(const struct mp_app_meter *m)
{
    return m->interval ? m->start + (m->k + 1) * m->interval : MP_TIME_NEVER;
}

void mp_app_meter_tick(struct mp_app_meter *m, uint64_t now, uint64_t total)
{
    char line[128];
    /* Bytes are counted at the first wake-up at or after a boundary, so an
     * interval slept through entirely (a stall) reports zero. */
    while (m->interval && now >= mp_app_meter_next(m)) {
        afmp_log("%s: %s", m->prog,
                 mp_app_fmt_interval(line, sizeof(line), m->id, m->k * m->interval,
                                     (m->k + 1) * m->interval, total - m->reported));
        m->reported = total;
        m->k++;
    }
}

void mp_app_meter_finish(struct mp_app_meter *m, uint64_t now, uint64_t total, const char *what)
{
    char line[128];
    mp_app_meter_tick(m, now, total);
    uint64_t from = m->k * m->interval, to = now > m->start ? now - m->start : 0;
    if (m->interval && to > from)
        afmp_log("%s: %s", m->prog,
                 mp_app_fmt_interval(line, sizeof(line), m->id, from, to, total - m->reported));
    afmp_log("%s: - - - - - - - - - - - - - - - - - - - - - - - - -", m->prog);
    afmp_log("%s: %s  %s", m->prog, mp_app_fmt_interval(line, sizeof(line), m->id, 0, to, total),
             what);
}

struct timespec *mp_app_timeout(struct timespec *ts, uint64_t now, uint64_t t)
{
    if (t == MP_TIME_NEVER)
        return NULL;
    uint64_t d = t > now ? t - now : 0;
    ts->tv_sec = (time_t)(d / 1000000000u);
    ts->tv_nsec = (long)(d % 1000000000u);
    return ts;
}
