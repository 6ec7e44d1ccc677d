/*
 * afmp: pcapng writer per host. See pcapng.h for what the file holds and
 * why; block and option numbers are from draft-ietf-opsawg-pcapng.
 */
#include "sim/capture/pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Block types. */
#define BT_SHB UINT32_C(0x0A0D0D0A)
#define BT_IDB UINT32_C(0x00000001)
#define BT_ISB UINT32_C(0x00000005)
#define BT_EPB UINT32_C(0x00000006)
#define BYTE_ORDER_MAGIC UINT32_C(0x1A2B3C4D)

/* Option codes. */
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_IPV4ADDR 4
#define OPT_IF_IPV6ADDR 5
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2

#define LINKTYPE_RAW 101
#define OPT_MAX UINT16_MAX /* an option value's length is 16 bits */
#define NS_PER_S UINT64_C(1000000000)

/* Fixed parts: type, length ... trailing length. */
#define BLOCK_OVERHEAD 12u
#define EPB_FIXED (BLOCK_OVERHEAD + 20u) /* iface, ts high, ts low, caplen, len */
#define ISB_FIXED (BLOCK_OVERHEAD + 12u) /* iface, ts high, ts low */

/* A scenario event waiting for the next packet at or after its time. */
struct event {
    mp_time_t ts;
    size_t len;  /* of text, already cut to fit an option */
    char text[]; /* "event t=<s>.<ns>: <what>" */
};

struct mp_pcapng {
    uint32_t snaplen;
    uint32_t n_ifaces;
    uint64_t count;
    GQueue events;         /* struct event *, by time, ties in call order */
    struct mp_cap_out out; /* last: holds the 64 KiB buffer */
};

static inline size_t pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

static inline size_t opt_size(size_t len)
{
    return 4u + pad4(len);
}

/* Host byte order throughout, announced by BYTE_ORDER_MAGIC. */
static inline uint8_t *put16(uint8_t *b, uint16_t v)
{
    memcpy(b, &v, 2);
    return b + 2;
}

static inline uint8_t *put32(uint8_t *b, uint32_t v)
{
    memcpy(b, &v, 4);
    return b + 4;
}

/* Writes one option and its zero padding; returns the end. */
static uint8_t *put_opt(uint8_t *b, uint16_t code, const void *val, size_t len)
{
    b = put16(b, code);
    b = put16(b, (uint16_t)len);
    if (len)
        memcpy(b, val, len);
    size_t padded = pad4(len);
    memset(b + len, 0, padded - len);
    return b + padded;
}

/* The length of the longest prefix of |s| that is valid UTF-8 and fits an
 * option value. Wireshark expects UTF-8 in string options. */
static size_t text_len(const char *s)
{
    size_t n = strnlen(s, OPT_MAX);
    const gchar *end;
    if (!g_utf8_validate_len(s, n, &end))
        n = (size_t)(end - s);
    return n;
}

/*
 * Space for a block of |n| bytes: in the record buffer when it fits, else a
 * temporary allocation (only for packets and comments near 64 KiB). NULL when
 * the output has failed. Pair with finish_block().
 */
static uint8_t *begin_block(struct mp_pcapng *w, size_t n)
{
    uint8_t *b = mp_cap_out_reserve(&w->out, n);
    if (G_LIKELY(b != NULL) || w->out.err != 0)
        return b;
    return g_malloc(n);
}

static void finish_block(struct mp_pcapng *w, uint8_t *b, size_t n)
{
    if (G_LIKELY(b == w->out.buf + w->out.used)) {
        mp_cap_out_commit(&w->out, n);
        return;
    }
    struct iovec iov = { .iov_base = b, .iov_len = n };
    mp_cap_out_writev(&w->out, &iov, 1);
    g_free(b);
}

/* Writes the block type and length; returns where the body starts. */
static uint8_t *put_block_head(uint8_t *b, uint32_t type, size_t n)
{
    b = put32(b, type);
    return put32(b, (uint32_t)n);
}

/* Writes the trailing length after the body ending at |b|. */
static void put_block_tail(uint8_t *b, size_t n)
{
    put32(b, (uint32_t)n);
}

static uint8_t *put_ts(uint8_t *b, mp_time_t ts)
{
    /* With if_tsresol 9 a timestamp unit is one nanosecond, high word
     * first. */
    b = put32(b, (uint32_t)(ts >> 32));
    return put32(b, (uint32_t)ts);
}

static void write_shb(struct mp_pcapng *w, const char *version)
{
    char *appl = version ? g_strdup_printf("afmp %s", version) : g_strdup("afmp");
    size_t alen = text_len(appl);
    size_t n = BLOCK_OVERHEAD + 16u + opt_size(alen) + opt_size(0);
    uint8_t *start = begin_block(w, n);
    if (start) {
        uint8_t *b = put_block_head(start, BT_SHB, n);
        b = put32(b, BYTE_ORDER_MAGIC);
        b = put16(b, 1); /* major version */
        b = put16(b, 0); /* minor version */
        /* Section length unknown (-1): the file is written as it goes. */
        b = put32(b, UINT32_MAX);
        b = put32(b, UINT32_MAX);
        b = put_opt(b, OPT_SHB_USERAPPL, appl, alen);
        b = put_opt(b, OPT_ENDOFOPT, NULL, 0);
        put_block_tail(b, n);
        finish_block(w, start, n);
    }
    g_free(appl);
}

struct mp_pcapng *mp_pcapng_open(const char *path, uint32_t snaplen, const char *version,
                                 GError **err)
{
    g_return_val_if_fail(path != NULL, NULL);
    if (snaplen == 0)
        snaplen = MP_CAP_SNAPLEN_MAX;
    if (snaplen > MP_CAP_SNAPLEN_MAX) {
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_INVAL,
                    "%s: snap length %u is above the maximum %u that readers accept", path, snaplen,
                    MP_CAP_SNAPLEN_MAX);
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN, "%s: cannot create the file: %s", path,
                    g_strerror(e));
        return NULL;
    }
    struct mp_pcapng *w = g_new(struct mp_pcapng, 1);
    w->snaplen = snaplen;
    w->n_ifaces = 0;
    w->count = 0;
    g_queue_init(&w->events);
    mp_cap_out_init(&w->out, fd, path);

    write_shb(w, version);
    if (mp_cap_out_drain(&w->out) < 0) {
        int e = w->out.err;
        struct stat st;
        /* Remove what we created, but never a device such as /dev/full. */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            g_unlink(path);
        mp_cap_out_close(&w->out, NULL);
        g_free(w);
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN,
                    "%s: writing the section header failed: %s", path, g_strerror(e));
        return NULL;
    }
    return w;
}

uint32_t mp_pcapng_add_iface(struct mp_pcapng *w, const char *name, const char *descr,
                             const struct mp_pcapng_addr *addrs, size_t n)
{
    g_return_val_if_fail(name != NULL, UINT32_MAX);
    g_return_val_if_fail(addrs != NULL || n == 0, UINT32_MAX);

    size_t nlen = text_len(name);
    size_t dlen = descr ? text_len(descr) : 0;
    size_t size = BLOCK_OVERHEAD + 8u + opt_size(nlen) + opt_size(1) + opt_size(0);
    if (descr)
        size += opt_size(dlen);
    for (size_t i = 0; i < n; i++) {
        if (addrs[i].ip.v == 4)
            size += opt_size(8);
        else if (addrs[i].ip.v == 6)
            size += opt_size(17);
    }

    uint8_t *start = begin_block(w, size);
    if (start) {
        uint8_t *b = put_block_head(start, BT_IDB, size);
        b = put16(b, LINKTYPE_RAW);
        b = put16(b, 0);
        b = put32(b, w->snaplen);
        b = put_opt(b, OPT_IF_NAME, name, nlen);
        if (descr)
            b = put_opt(b, OPT_IF_DESCRIPTION, descr, dlen);
        for (size_t i = 0; i < n; i++) {
            const struct mp_pcapng_addr *a = &addrs[i];
            if (a->ip.v == 4) {
                /* if_IPv4addr: the address, then the netmask, network
                 * order. */
                uint8_t v[8];
                unsigned plen = MIN(a->prefix_len, 32u);
                uint32_t mask = plen ? g_htonl(UINT32_MAX << (32u - plen)) : 0;
                memcpy(v, a->ip.b, 4);
                memcpy(v + 4, &mask, 4);
                b = put_opt(b, OPT_IF_IPV4ADDR, v, sizeof(v));
            } else if (a->ip.v == 6) {
                /* if_IPv6addr: the address, then the prefix length. */
                uint8_t v[17];
                memcpy(v, a->ip.b, 16);
                v[16] = (uint8_t)MIN(a->prefix_len, 128u);
                b = put_opt(b, OPT_IF_IPV6ADDR, v, sizeof(v));
            }
        }
        uint8_t tsresol = 9; /* 10^-9 s */
        b = put_opt(b, OPT_IF_TSRESOL, &tsresol, 1);
        b = put_opt(b, OPT_ENDOFOPT, NULL, 0);
        put_block_tail(b, size);
        finish_block(w, start, size);
    }
    /* Interfaces are few, so each goes to the file at once: libpcap refuses
     * a pcapng without an Interface Description Block, and a run killed
     * before its first flush should still leave a file it opens. */
    mp_cap_out_drain(&w->out);
    /* The id is taken even if the block could not be written: the file is
     * broken then anyway, and callers keep consistent ids. */
    return w->n_ifaces++;
}

void mp_pcapng_write(struct mp_pcapng *w, uint32_t iface, mp_time_t ts, const uint8_t *data,
                     uint32_t len, int direction, const char *comment)
{
    g_return_if_fail(iface < w->n_ifaces);
    g_return_if_fail(direction >= MP_PCAPNG_DIR_UNKNOWN && direction <= MP_PCAPNG_DIR_OUT);

    w->count++;
    uint32_t caplen = MIN(len, w->snaplen);
    size_t opts = 0;
    size_t clen = 0;
    unsigned n_events = 0;

    if (direction != MP_PCAPNG_DIR_UNKNOWN)
        opts += opt_size(4);
    if (G_UNLIKELY(comment != NULL)) {
        clen = text_len(comment);
        opts += opt_size(clen);
    }
    for (GList *l = w->events.head; l; l = l->next) {
        const struct event *ev = l->data;
        if (ev->ts > ts)
            break;
        opts += opt_size(ev->len);
        n_events++;
    }
    if (opts)
        opts += opt_size(0);

    size_t size = EPB_FIXED + pad4(caplen) + opts;
    uint8_t *start = begin_block(w, size);
    if (G_LIKELY(start != NULL)) {
        uint8_t *b = put_block_head(start, BT_EPB, size);
        b = put32(b, iface);
        b = put_ts(b, ts);
        b = put32(b, caplen);
        b = put32(b, len);
        memcpy(b, data, caplen);
        memset(b + caplen, 0, pad4(caplen) - caplen);
        b += pad4(caplen);
        if (direction != MP_PCAPNG_DIR_UNKNOWN) {
            uint32_t flags = (uint32_t)direction; /* bits 0-1: direction */
            b = put_opt(b, OPT_EPB_FLAGS, &flags, 4);
        }
        if (comment)
            b = put_opt(b, OPT_COMMENT, comment, clen);
        GList *l = w->events.head;
        for (unsigned i = 0; i < n_events; i++, l = l->next) {
            const struct event *ev = l->data;
            b = put_opt(b, OPT_COMMENT, ev->text, ev->len);
        }
        if (opts)
            b = put_opt(b, OPT_ENDOFOPT, NULL, 0);
        put_block_tail(b, size);
        finish_block(w, start, size);
    }
    /* Events are consumed even when the block is dropped after a write
     * error: the file is incomplete from there on anyway. */
    for (unsigned i = 0; i < n_events; i++)
        g_free(g_queue_pop_head(&w->events));
}

void mp_pcapng_event(struct mp_pcapng *w, mp_time_t ts, const char *text)
{
    g_return_if_fail(text != NULL);

    char *s = g_strdup_printf("event t=%" G_GUINT64_FORMAT ".%09u: %s", ts / NS_PER_S,
                              (unsigned)(ts % NS_PER_S), text);
    size_t len = text_len(s);
    struct event *ev = g_malloc(sizeof(*ev) + len + 1);
    ev->ts = ts;
    ev->len = len;
    memcpy(ev->text, s, len);
    ev->text[len] = '\0';
    g_free(s);

    /* Usually the event is the latest: search from the tail, and after equal
     * times, so ties keep the order of the calls. */
    GList *l = w->events.tail;
    while (l && ((const struct event *)l->data)->ts > ts)
        l = l->prev;
    if (l)
        g_queue_insert_after(&w->events, l, ev);
    else
        g_queue_push_head(&w->events, ev);
}

/* Writes the pending events into an Interface Statistics Block on interface
 * 0 (see mp_pcapng_event() for why). */
static void write_leftover_events(struct mp_pcapng *w)
{
    if (g_queue_is_empty(&w->events) || w->n_ifaces == 0)
        return;
    size_t size = ISB_FIXED + opt_size(0);
    for (GList *l = w->events.head; l; l = l->next)
        size += opt_size(((const struct event *)l->data)->len);
    const struct event *last = w->events.tail->data;

    uint8_t *start = begin_block(w, size);
    if (!start)
        return;
    uint8_t *b = put_block_head(start, BT_ISB, size);
    b = put32(b, 0);
    b = put_ts(b, last->ts);
    for (GList *l = w->events.head; l; l = l->next) {
        const struct event *ev = l->data;
        b = put_opt(b, OPT_COMMENT, ev->text, ev->len);
    }
    b = put_opt(b, OPT_ENDOFOPT, NULL, 0);
    put_block_tail(b, size);
    finish_block(w, start, size);
}

int mp_pcapng_flush(struct mp_pcapng *w, GError **err)
{
    return mp_cap_out_flush(&w->out, err);
}

uint64_t mp_pcapng_count(const struct mp_pcapng *w)
{
    return w->count;
}

int mp_pcapng_close(struct mp_pcapng *w, GError **err)
{
    if (!w)
        return 0;
    write_leftover_events(w);
    int ret = mp_cap_out_close(&w->out, err);
    g_queue_clear_full(&w->events, g_free);
    g_free(w);
    return ret;
}
