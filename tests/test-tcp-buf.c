/*
 * Tests of TCP's data structures: model/tcp/seq.h, sndbuf, rtxq (the
 * retransmission queue and SACK scoreboard), reass, rtt and rack.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "model/tcp/rack.h"
#include "model/tcp/reass.h"
#include "model/tcp/rtt.h"
#include "model/tcp/rtxq.h"
#include "model/tcp/seq.h"
#include "model/tcp/sndbuf.h"

/* ======================================================================== */
/* seq.h                                                                    */

struct seq_case {
    const char *name;
    uint32_t a, b;
    int32_t diff;
    bool lt;
};

static const struct seq_case seq_cases[] = {
    {"equal", 5, 5, 0, false},
    {"plain", 1, 2, -1, true},
    {"plain-rev", 2, 1, 1, false},
    {"wrap", 0xffffff00u, 0x10u, -0x110, true},
    {"wrap-rev", 0x10u, 0xffffff00u, 0x110, false},
    {"max-wrap", 0xffffffffu, 0u, -1, true},
    {"half-minus-one", 0u, 0x7fffffffu, -0x7fffffff, true},
    {"half", 0u, 0x80000000u, INT32_MIN, false}, /* ambiguous: diff is -2^31 */
};

static void test_seq_compare(gconstpointer data)
{
    const struct seq_case *c = data;
    g_assert_cmpint(mp_seq_diff(c->a, c->b), ==, c->diff);
    g_assert_cmpint(mp_seq_lt(c->a, c->b), ==, c->diff < 0);
    if (c->diff != INT32_MIN) {
        g_assert_cmpint(mp_seq_lt(c->a, c->b), ==, c->lt);
        g_assert_cmpint(mp_seq_gt(c->b, c->a), ==, c->lt);
        g_assert_cmpint(mp_seq_leq(c->a, c->b), ==, c->lt || c->a == c->b);
        g_assert_cmpint(mp_seq_geq(c->b, c->a), ==, c->lt || c->a == c->b);
        g_assert_cmpuint(mp_seq_max(c->a, c->b), ==, c->lt ? c->b : c->a);
        g_assert_cmpuint(mp_seq_min(c->a, c->b), ==, c->lt ? c->a : c->b);
    }
}

static void test_seq_ranges(void)
{
    /* A range across the wrap. */
    g_assert_true(mp_seq_in(0xfffffff0u, 0xfffffff0u, 0x10));
    g_assert_true(mp_seq_in(0, 0xfffffff0u, 0x10));
    g_assert_true(mp_seq_in(0xf, 0xfffffff0u, 0x10));
    g_assert_false(mp_seq_in(0x10, 0xfffffff0u, 0x10));
    g_assert_false(mp_seq_in(0xffffffefu, 0xfffffff0u, 0x10));
    g_assert_true(mp_seq_in_closed(0x10, 0xfffffff0u, 0x10));
    g_assert_false(mp_seq_in(7, 7, 7)); /* empty */

    /* RFC 9293 3.10.7.4, the four cases of the acceptability table. */
    uint32_t nxt = 0xffffff00u;
    g_assert_true(mp_seq_acceptable(nxt, 0, nxt, 0)); /* len 0, wnd 0: at rcv_nxt */
    g_assert_false(mp_seq_acceptable(nxt + 1, 0, nxt, 0));
    g_assert_true(mp_seq_acceptable(nxt + 0x1ff, 0, nxt, 0x200)); /* len 0, inside */
    g_assert_false(mp_seq_acceptable(nxt + 0x200, 0, nxt, 0x200));
    g_assert_false(mp_seq_acceptable(nxt, 10, nxt, 0));         /* data, wnd 0 */
    g_assert_true(mp_seq_acceptable(nxt - 5, 10, nxt, 100));    /* last octet inside */
    g_assert_true(mp_seq_acceptable(nxt + 99, 10, nxt, 100));   /* first octet inside */
    g_assert_false(mp_seq_acceptable(nxt - 10, 10, nxt, 100));  /* wholly old */
    g_assert_false(mp_seq_acceptable(nxt + 100, 10, nxt, 100)); /* wholly beyond */
}

/* ======================================================================== */
/* sndbuf                                                                   */

static uint8_t data_byte(uint64_t off)
{
    return (uint8_t)((off * 7 + off / 251) & 0xff);
}

static void pattern_fn(void *arg, uint64_t off, uint8_t *dst, size_t len)
{
    uint64_t *calls = arg;
    if (calls)
        (*calls)++;
    for (size_t i = 0; i < len; i++)
        dst[i] = (uint8_t)((off + i) * 131 + 17);
}

static uint8_t pattern_byte(uint64_t off)
{
    return (uint8_t)(off * 131 + 17);
}

struct peek_case {
    uint32_t off, len;
};

static const struct peek_case peek_cases[] = {
    {0, 1},
    {0, MP_SNDBUF_BLOCK},
    {MP_SNDBUF_BLOCK - 1, 2},                       /* across the first block boundary */
    {MP_SNDBUF_BLOCK - 100, MP_SNDBUF_BLOCK + 200}, /* spans three blocks */
    {3 * MP_SNDBUF_BLOCK - 700, 1460},              /* across the third boundary */
    {50000 - 1460, 1460},                           /* the last segment */
    {0, 50000},
};

/* Bytes written in place (mp_sndbuf_reserve/commit) read back as appended
 * ones, across block boundaries. Reserve declines near the end of a block
 * and, at a boundary, unless a freed block is kept (it never allocates:
 * an idle subflow that asks and gets nothing would keep 16 KiB); an
 * uncommitted reservation changes nothing. */
static void test_sndbuf_reserve(void)
{
    const uint32_t isn = 0xfffff000u;
    struct mp_sndbuf sb;
    mp_sndbuf_init(&sb, isn, 1 << 20);
    size_t done = 0, direct = 0, acked = 0;
    while (done < 80000) {
        size_t n = MIN((size_t)1448, 80000 - done);
        uint8_t *dst = mp_sndbuf_reserve(&sb, n);
        size_t within = done % MP_SNDBUF_BLOCK;
        if (dst) {
            for (size_t i = 0; i < n; i++)
                dst[i] = data_byte((uint32_t)(done + i));
            mp_sndbuf_commit(&sb, n);
            direct++;
        } else {
            g_assert_true((within == 0 && !sb.spare) || MP_SNDBUF_BLOCK - within < n);
            uint8_t tmp[1448];
            for (size_t i = 0; i < n; i++)
                tmp[i] = data_byte((uint32_t)(done + i));
            g_assert_cmpuint(mp_sndbuf_append(&sb, tmp, n), ==, n);
        }
        done += n;
        g_assert_cmpuint(mp_sndbuf_bytes(&sb), ==, done - acked);
        /* Reserved and not committed: nothing changes. */
        size_t mem = mp_sndbuf_mem(&sb);
        (void)mp_sndbuf_reserve(&sb, 1);
        g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, mem);
        g_assert_cmpuint(mp_sndbuf_bytes(&sb), ==, done - acked);
        /* From the second block on, the oldest is acked (and kept as the
         * spare the next boundary takes). */
        if (done - acked > 2 * MP_SNDBUF_BLOCK) {
            uint8_t out[1448];
            g_assert_cmpint(mp_sndbuf_peek(&sb, isn + (uint32_t)acked, out, 1448), ==, 0);
            for (size_t i = 0; i < 1448; i++)
                g_assert_cmpuint(out[i], ==, data_byte((uint32_t)(acked + i)));
            acked += MP_SNDBUF_BLOCK;
            mp_sndbuf_ack(&sb, isn + (uint32_t)acked);
        }
    }
    g_assert_cmpuint(direct, >=, 45);
    uint8_t *out = g_malloc(80000);
    g_assert_cmpint(mp_sndbuf_peek(&sb, isn + (uint32_t)acked, out, 80000 - acked), ==, 0);
    for (size_t i = 0; i < 80000 - acked; i++)
        g_assert_cmpuint(out[i], ==, data_byte((uint32_t)(acked + i)));
    /* Beyond the limit: none. */
    mp_sndbuf_set_limit(&sb, mp_sndbuf_bytes(&sb) + 1000);
    g_assert_null(mp_sndbuf_reserve(&sb, 1001));
    g_assert_nonnull(mp_sndbuf_reserve(&sb, 1000));
    g_free(out);
    mp_sndbuf_clear(&sb);
}

static void test_sndbuf_append_peek(void)
{
    /* The first byte sits just before the 2^32 wrap. */
    const uint32_t isn = 0xffffff00u;
    struct mp_sndbuf sb;
    mp_sndbuf_init(&sb, isn, 1 << 20);
    uint8_t *src = g_malloc(50000);
    for (uint32_t i = 0; i < 50000; i++)
        src[i] = data_byte(i);
    /* Appends of odd sizes so that they straddle block boundaries. */
    size_t done = 0;
    while (done < 50000) {
        size_t n = MIN((size_t)1777, 50000 - done);
        g_assert_cmpuint(mp_sndbuf_append(&sb, src + done, n), ==, n);
        done += n;
    }
    g_assert_cmpuint(mp_sndbuf_bytes(&sb), ==, 50000);
    g_assert_cmpuint(mp_sndbuf_end(&sb), ==, isn + 50000);
    g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, 4 * MP_SNDBUF_BLOCK);

    uint8_t *out = g_malloc(50000);
    for (size_t i = 0; i < G_N_ELEMENTS(peek_cases); i++) {
        const struct peek_case *c = &peek_cases[i];
        memset(out, 0, c->len);
        g_assert_cmpint(mp_sndbuf_peek(&sb, isn + c->off, out, c->len), ==, 0);
        g_assert_cmpmem(out, c->len, src + c->off, c->len);
    }
    /* Past the end, or starting before una. */
    g_assert_cmpint(mp_sndbuf_peek(&sb, isn + 49000, out, 1001), ==, -ERANGE);
    g_assert_cmpint(mp_sndbuf_peek(&sb, isn - 1, out, 1), ==, -ERANGE);

    /* Spans: pointers into the blocks, in order. */
    struct mp_sndbuf_span sp[4];
    int n = mp_sndbuf_spans(&sb, isn + MP_SNDBUF_BLOCK - 100, MP_SNDBUF_BLOCK + 200, sp, 4);
    g_assert_cmpint(n, ==, 3);
    g_assert_cmpuint(sp[0].len, ==, 100);
    g_assert_cmpuint(sp[1].len, ==, MP_SNDBUF_BLOCK);
    g_assert_cmpuint(sp[2].len, ==, 100);
    g_assert_cmpmem(sp[1].p, sp[1].len, src + MP_SNDBUF_BLOCK, MP_SNDBUF_BLOCK);
    g_assert_cmpint(mp_sndbuf_spans(&sb, isn, 50000, sp, 2), ==, -ENOSPC);

    /* Unsent / in flight against a snd_nxt. */
    g_assert_cmpuint(mp_sndbuf_in_flight(&sb, isn + 3000), ==, 3000);
    g_assert_cmpuint(mp_sndbuf_unsent(&sb, isn + 3000), ==, 47000);
    g_assert_cmpuint(mp_sndbuf_unsent(&sb, isn + 50001), ==, 0); /* FIN sent */

    g_free(src);
    g_free(out);
    mp_sndbuf_clear(&sb);
}

static void test_sndbuf_ack(void)
{
    const uint32_t isn = 0xfffff000u;
    struct mp_sndbuf sb;
    mp_sndbuf_init(&sb, isn, 1 << 20);
    uint8_t buf[1000];
    for (uint32_t i = 0; i < 60; i++) {
        for (uint32_t j = 0; j < 1000; j++)
            buf[j] = data_byte(i * 1000 + j);
        g_assert_cmpuint(mp_sndbuf_append(&sb, buf, 1000), ==, 1000);
    }
    g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, 4 * MP_SNDBUF_BLOCK);

    /* An old ACK frees nothing. */
    g_assert_cmpuint(mp_sndbuf_ack(&sb, isn - 5), ==, 0);
    g_assert_cmpuint(mp_sndbuf_ack(&sb, isn), ==, 0);
    /* Within the first block: nothing freed in memory. */
    g_assert_cmpuint(mp_sndbuf_ack(&sb, isn + 10000), ==, 10000);
    g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, 4 * MP_SNDBUF_BLOCK);
    g_assert_cmpuint(mp_sndbuf_una(&sb), ==, isn + 10000);
    /* Past two block boundaries: two blocks go. */
    g_assert_cmpuint(mp_sndbuf_ack(&sb, isn + 2 * MP_SNDBUF_BLOCK + 5), ==,
                     2 * MP_SNDBUF_BLOCK + 5 - 10000);
    g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, 2 * MP_SNDBUF_BLOCK);
    g_assert_cmpint(mp_sndbuf_peek(&sb, isn + 10000, buf, 1), ==, -ERANGE);
    /* What is left still reads right, across the wrap. */
    uint8_t out[3000];
    uint32_t off = 2 * MP_SNDBUF_BLOCK + 5;
    g_assert_cmpint(mp_sndbuf_peek(&sb, isn + off, out, sizeof(out)), ==, 0);
    for (uint32_t j = 0; j < sizeof(out); j++)
        g_assert_cmpuint(out[j], ==, data_byte(off + j));
    g_assert_cmpuint(mp_sndbuf_offset(&sb, isn + off), ==, off);

    /* The FIN's ACK (end + 1) frees the rest; the partly filled tail block
     * stays for the next append. */
    g_assert_cmpuint(mp_sndbuf_ack(&sb, isn + 60001), ==, 60000 - off);
    g_assert_cmpuint(mp_sndbuf_bytes(&sb), ==, 0);
    g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, MP_SNDBUF_BLOCK);
    g_assert_cmpuint(mp_sndbuf_una(&sb), ==, isn + 60000);
    /* Appending continues where the stream left off. */
    g_assert_cmpuint(mp_sndbuf_append(&sb, "xyz", 3), ==, 3);
    g_assert_cmpint(mp_sndbuf_peek(&sb, isn + 60000, out, 3), ==, 0);
    g_assert_cmpmem(out, 3, "xyz", 3);
    mp_sndbuf_clear(&sb);
}

static void test_sndbuf_limit(void)
{
    struct mp_sndbuf sb;
    mp_sndbuf_init(&sb, 1, 10000);
    uint8_t buf[6000] = {0};
    g_assert_cmpuint(mp_sndbuf_append(&sb, buf, 6000), ==, 6000);
    g_assert_cmpuint(mp_sndbuf_space(&sb), ==, 4000);
    g_assert_cmpuint(mp_sndbuf_append(&sb, buf, 6000), ==, 4000);
    g_assert_cmpuint(mp_sndbuf_append(&sb, buf, 1), ==, 0);
    mp_sndbuf_set_limit(&sb, 5000); /* below what is held */
    g_assert_cmpuint(mp_sndbuf_space(&sb), ==, 0);
    mp_sndbuf_ack(&sb, 1 + 6000);
    g_assert_cmpuint(mp_sndbuf_space(&sb), ==, 1000);
    /* No pattern function: no virtual bytes. */
    g_assert_cmpuint(mp_sndbuf_append_pattern(&sb, 100), ==, 0);
    mp_sndbuf_set_limit(&sb, SIZE_MAX);
    g_assert_cmpuint(sb.limit, ==, MP_SNDBUF_MAX_LIMIT);
    mp_sndbuf_clear(&sb);
}

static void test_sndbuf_pattern(void)
{
    /* 1 GiB through a 4 MiB buffer, all virtual: no block ever stored. */
    struct mp_sndbuf sb;
    uint64_t calls = 0;
    const uint32_t isn = 0x80000000u;
    mp_sndbuf_init(&sb, isn, 4u << 20);
    mp_sndbuf_set_pattern(&sb, pattern_fn, &calls);
    uint64_t total = 0;
    uint8_t seg[1448];
    uint32_t nxt = isn;
    while (total < (UINT64_C(1) << 30)) {
        total += mp_sndbuf_append_pattern(&sb, 1u << 30);
        g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, 0);
        /* Send a few segments and check their bytes, then ack it all. */
        for (int i = 0; i < 3; i++) {
            g_assert_cmpint(mp_sndbuf_peek(&sb, nxt, seg, sizeof(seg)), ==, 0);
            uint64_t off = mp_sndbuf_offset(&sb, nxt);
            for (size_t j = 0; j < sizeof(seg); j += 97)
                g_assert_cmpuint(seg[j], ==, pattern_byte(off + j));
            nxt += sizeof(seg);
        }
        nxt = mp_sndbuf_end(&sb);
        mp_sndbuf_ack(&sb, nxt);
    }
    g_assert_cmpuint(total, ==, UINT64_C(1) << 30);
    g_assert_cmpuint(calls, >, 0);
    mp_sndbuf_clear(&sb);
}

static void test_sndbuf_mixed(void)
{
    /* Real, pattern, real, pattern: byte i of the stream is the same
     * whichever way it was written; blocks holding both are stored. */
    struct mp_sndbuf sb;
    mp_sndbuf_init(&sb, 1000, 1 << 20);
    mp_sndbuf_set_pattern(&sb, pattern_fn, NULL);
    const size_t parts[] = {100, 40000, 5000, 10, 30000};
    GByteArray *expect = g_byte_array_new();
    uint64_t off = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
        uint8_t *tmp = g_malloc(parts[i]);
        if (i % 2 == 0) {
            for (size_t j = 0; j < parts[i]; j++)
                tmp[j] = (uint8_t)(0xa5 ^ j);
            g_assert_cmpuint(mp_sndbuf_append(&sb, tmp, parts[i]), ==, parts[i]);
        } else {
            for (size_t j = 0; j < parts[i]; j++)
                tmp[j] = pattern_byte(off + j);
            g_assert_cmpuint(mp_sndbuf_append_pattern(&sb, parts[i]), ==, parts[i]);
        }
        g_byte_array_append(expect, tmp, (guint)parts[i]);
        off += parts[i];
        g_free(tmp);
    }
    /* 75110 bytes = 5 blocks: block 0 (real + pattern) stored, 1 virtual,
     * 2 (pattern + real + pattern + real) stored, 3 and 4 real. */
    g_assert_cmpuint(mp_sndbuf_bytes(&sb), ==, expect->len);
    g_assert_cmpuint(mp_sndbuf_mem(&sb), ==, 4 * MP_SNDBUF_BLOCK);
    uint8_t *out = g_malloc(expect->len);
    g_assert_cmpint(mp_sndbuf_peek(&sb, 1000, out, expect->len), ==, 0);
    g_assert_cmpmem(out, expect->len, expect->data, expect->len);
    /* Spans report the virtual block by offset. */
    struct mp_sndbuf_span sp[8];
    int n = mp_sndbuf_spans(&sb, 1000, expect->len, sp, 8);
    g_assert_cmpint(n, ==, 5);
    g_assert_null(sp[1].p);
    g_assert_cmpuint(sp[1].off, ==, MP_SNDBUF_BLOCK);
    g_assert_nonnull(sp[0].p);
    g_free(out);
    g_byte_array_unref(expect);
    mp_sndbuf_clear(&sb);
}

/* ======================================================================== */
/* rtxq                                                                     */

#define MSS 1000u

/* A queue with |n| segments of |len| from |isn|, segment i sent at i ms. */
static void fill(struct mp_rtxq *q, uint32_t isn, uint32_t n, uint32_t len)
{
    mp_rtxq_init(q, isn);
    for (uint32_t i = 0; i < n; i++)
        g_assert_nonnull(mp_rtxq_add(q, isn + i * len, isn + (i + 1) * len, 0, NULL, MP_MS(i)));
}

static void assert_ok(const struct mp_rtxq *q)
{
    const char *err = mp_rtxq_check(q);
    if (err)
        g_error("rtxq invariant: %s", err);
}

struct cum_case {
    const char *name;
    uint32_t ack; /* offset from isn */
    uint32_t acked;
    uint32_t count; /* entries left */
    uint32_t head;  /* offset of the head's start */
    bool syn, fin;
};

/* Entries: SYN [0,1), data [1,1001) [1001,2001) [2001,3001), data+FIN
 * [3001,3502). */
static const struct cum_case cum_cases[] = {
    {"nothing", 0, 0, 5, 0, false, false},
    {"syn", 1, 1, 4, 1, true, false},
    {"partial-first", 501, 501, 4, 501, true, false},
    {"two-segments", 2001, 2001, 2, 2001, true, false},
    {"partial-last", 3301, 3301, 1, 3301, true, false},
    {"data-not-fin", 3501, 3501, 1, 3501, true, false},
    {"all", 3502, 3502, 0, 3502, true, true},
};

static void test_rtxq_cumulative(gconstpointer data)
{
    const struct cum_case *c = data;
    const uint32_t isn = 0xfffffe00u; /* the queue wraps */
    struct mp_rtxq q;
    mp_rtxq_init(&q, isn);
    g_assert_nonnull(mp_rtxq_add(&q, isn, isn + 1, MP_RTX_SYN, NULL, 0));
    for (uint32_t i = 0; i < 3; i++)
        g_assert_nonnull(
            mp_rtxq_add(&q, isn + 1 + i * 1000, isn + 1 + (i + 1) * 1000, 0, NULL, MP_MS(10 + i)));
    g_assert_nonnull(mp_rtxq_add(&q, isn + 3001, isn + 3502, MP_RTX_FIN, NULL, MP_MS(13)));
    /* Not contiguous, empty: refused. */
    g_assert_null(mp_rtxq_add(&q, isn + 3503, isn + 3600, 0, NULL, MP_MS(13)));
    g_assert_null(mp_rtxq_add(&q, isn + 3502, isn + 3502, 0, NULL, MP_MS(13)));

    struct mp_rtx_ack a;
    g_assert_cmpint(mp_rtxq_ack(&q, isn + c->ack, NULL, 0, 0, MP_MS(100), &a), ==, 0);
    g_assert_cmpuint(a.acked, ==, c->acked);
    g_assert_cmpuint(a.delivered, ==, c->acked);
    g_assert_cmpuint(q.count, ==, c->count);
    g_assert_cmpuint(q.una, ==, isn + c->head);
    g_assert_cmpint(a.syn_acked, ==, c->syn);
    g_assert_cmpint(a.fin_acked, ==, c->fin);
    if (c->count)
        g_assert_cmpuint(mp_rtxq_head(&q)->start, ==, isn + c->head);
    g_assert_cmpuint(mp_rtxq_out(&q), ==, 3502 - c->head);
    if (c->acked) {
        g_assert_cmpuint(a.rtt, !=, MP_TIME_NEVER);
        g_assert_false(a.retrans_delivered);
    }
    assert_ok(&q);
    /* An ACK of data never sent is refused and changes nothing. */
    g_assert_cmpint(mp_rtxq_ack(&q, isn + 3503, NULL, 0, 0, MP_MS(101), &a), ==, -EINVAL);
    g_assert_cmpuint(q.count, ==, c->count);
    mp_rtxq_clear(&q);
}

static void test_rtxq_karn(void)
{
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, 1000, 4, MSS); /* sent at 0, 1, 2, 3 ms */
    /* Segment 0 retransmitted at 50 ms: the ACK of it gives no sample. */
    mp_rtxq_retransmitted(&q, mp_rtxq_head(&q), MP_MS(50));
    g_assert_cmpuint(q.retrans_out, ==, MSS);
    mp_rtxq_ack(&q, 1000 + MSS, NULL, 0, MP_MS(30), MP_MS(60), &a);
    g_assert_cmpuint(a.rtt, ==, MP_TIME_NEVER);
    g_assert_cmpuint(a.rtt_first, ==, MP_TIME_NEVER);
    g_assert_true(a.retrans_delivered);
    g_assert_cmpuint(q.retrans_out, ==, 0);
    /* RACK's filter: a retransmission "delivered" faster than min_rtt. */
    g_assert_false(a.rack_valid);
    assert_ok(&q);
    /* Segments 1 and 2 (sent at 1 and 2 ms): the newest gives |rtt|, the
     * oldest |rtt_first| (Linux's seq_rtt). */
    mp_rtxq_ack(&q, 1000 + 3 * MSS, NULL, 0, MP_MS(30), MP_MS(70), &a);
    g_assert_cmpuint(a.rtt, ==, MP_MS(68));
    g_assert_cmpuint(a.rtt_first, ==, MP_MS(69));
    g_assert_false(a.retrans_delivered);
    g_assert_true(a.rack_valid);
    g_assert_cmpuint(a.rack_xmit_ts, ==, MP_MS(2));
    g_assert_cmpuint(a.rack_end_seq, ==, 1000 + 3 * MSS);
    /* Karn holds for SACKed segments too: segment 3, retransmitted, then
     * SACKed, gives no sample. */
    struct mp_rtx_ack b;
    mp_rtxq_retransmitted(&q, mp_rtxq_head(&q), MP_MS(71));
    struct mp_sack_block blk = {1000 + 3 * MSS, 1000 + 4 * MSS};
    mp_rtxq_ack(&q, 1000 + 3 * MSS, &blk, 1, 0, MP_MS(80), &b);
    g_assert_cmpuint(b.sacked, ==, MSS);
    g_assert_cmpuint(b.rtt, ==, MP_TIME_NEVER);
    g_assert_true(b.retrans_delivered);
    g_assert_cmpuint(q.retrans_out, ==, 0);
    assert_ok(&q);
    mp_rtxq_clear(&q);
}

struct sack_case {
    const char *name;
    struct mp_sack_block blocks[3]; /* offsets from isn; end 0: unused */
    uint32_t sacked;                /* newly sacked */
    uint32_t entries;               /* after */
    bool dsack;
    uint32_t invalid;
};

/* 10 segments of 1000 from isn; a cumulative ACK of 1000 first. */
static const struct sack_case sack_cases[] = {
    {"aligned", {{3000, 5000}}, 2000, 9 - 1, false, 0},              /* 2 merge into 1 */
    {"split-both-edges", {{2500, 4500}}, 2000, 9 + 2 - 2, false, 0}, /* 2 splits, 3 pieces merge */
    {"inside-one", {{2200, 2700}}, 500, 9 + 2, false, 0},
    {"three-blocks", {{8000, 10000}, {5000, 6000}, {2000, 3000}}, 4000, 9 - 1, false, 0},
    {"dsack-below-ack", {{500, 1000}, {5000, 6000}}, 1000, 9, true, 0},
    {"dsack-inside-second", {{5200, 5400}, {5000, 6000}}, 1000, 9, true, 0},
    {"beyond-nxt", {{9000, 10001}}, 0, 9, false, 1},
    {"empty", {{4000, 4000}}, 0, 9, false, 1},
    {"dsack-straddling-ack", {{900, 2000}, {4000, 5000}}, 1000, 9, true, 0},
    {"clipped-below-una", {{4000, 5000}, {900, 2000}}, 2000, 9, false, 0},
    {"wholly-old-second", {{4000, 5000}, {200, 800}}, 1000, 9, false, 1},
};

static void test_rtxq_sack(gconstpointer data)
{
    const struct sack_case *c = data;
    const uint32_t isn = 0xffffd000u;
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, isn, 10, MSS);
    mp_rtxq_ack(&q, isn + 1000, NULL, 0, 0, MP_MS(20), &a);
    struct mp_sack_block b[3];
    size_t n = 0;
    for (; n < 3 && c->blocks[n].end; n++)
        b[n] = (struct mp_sack_block){isn + c->blocks[n].start, isn + c->blocks[n].end};
    g_assert_cmpint(mp_rtxq_ack(&q, isn + 1000, b, n, 0, MP_MS(30), &a), ==, 0);
    g_assert_cmpuint(a.sacked, ==, c->sacked);
    g_assert_cmpuint(a.delivered, ==, c->sacked);
    g_assert_cmpuint(q.sacked_out, ==, c->sacked);
    g_assert_cmpuint(q.count, ==, c->entries);
    g_assert_cmpint(a.dsack, ==, c->dsack);
    if (c->dsack) {
        g_assert_cmpuint(a.dsack_block.start, ==, b[0].start);
        g_assert_cmpuint(a.dsack_block.end, ==, b[0].end);
    }
    g_assert_cmpuint(a.sack_invalid, ==, c->invalid);
    g_assert_cmpuint(mp_rtxq_in_flight(&q), ==, 9000 - c->sacked);
    assert_ok(&q);
    /* The same blocks again: nothing new (and the cache skips them). */
    mp_rtxq_ack(&q, isn + 1000, b, n, 0, MP_MS(31), &a);
    g_assert_cmpuint(a.sacked, ==, 0);
    assert_ok(&q);
    mp_rtxq_clear(&q);
}

static void test_rtxq_sack_merge_and_ack(void)
{
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, 0, 10, MSS);
    /* Grow one block segment by segment: the SACKed run stays one entry. */
    for (uint32_t k = 2; k <= 9; k++) {
        struct mp_sack_block b = {1000, k * 1000};
        mp_rtxq_ack(&q, 0, &b, 1, 0, MP_MS(20 + k), &a);
        g_assert_cmpuint(a.sacked, ==, 1000);
        g_assert_cmpuint(q.count, ==, 2 + (10 - k));
        assert_ok(&q);
    }
    g_assert_cmpuint(q.sacked_segs, ==, 8);
    g_assert_cmpuint(mp_rtxq_high_sacked(&q), ==, 9000);
    /* The hole is filled: acked 10000 of which 8000 were SACKed before. */
    mp_rtxq_ack(&q, 10000, NULL, 0, 0, MP_MS(40), &a);
    g_assert_cmpuint(a.acked, ==, 10000);
    g_assert_cmpuint(a.acked_sacked, ==, 8000);
    g_assert_cmpuint(a.delivered, ==, 2000);
    g_assert_true(mp_rtxq_empty(&q));
    g_assert_cmpuint(q.sacked_out, ==, 0);
    g_assert_cmpuint(q.sacked_segs, ==, 0);
    assert_ok(&q);
    mp_rtxq_clear(&q);
}

/* RFC 6675: the scoreboard of a window of 10 segments (MSS 1000,
 * DupThresh 3) with segment 0 lost and |nsacked| segments after it
 * SACKed. */
struct r6675_case {
    const char *name;
    uint32_t seglen;
    uint32_t nsacked;
    bool lost0;    /* IsLost(segment 0) */
    uint32_t pipe; /* before any retransmission */
};

static const struct r6675_case r6675_cases[] = {
    /* Two SACKed segments, 2000 bytes: not more than (3 - 1) * 1000. */
    {"two-sacked", 1000, 2, false, 8000},
    /* Three SACKed segments: DupThresh reached. */
    {"three-sacked", 1000, 3, true, 6000},
    {"five-sacked", 1000, 5, true, 4000},
    /* Two SACKed segments of 1500 bytes: 3000 > 2000 bytes. */
    {"two-large", 1500, 2, true, 1500 * 7},
};

static void test_rtxq_6675(gconstpointer data)
{
    const struct r6675_case *c = data;
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, 0, 10, c->seglen);
    struct mp_sack_block b = {c->seglen, (1 + c->nsacked) * c->seglen};
    mp_rtxq_ack(&q, 0, &b, 1, 0, MP_MS(20), &a);
    g_assert_cmpuint(q.sacked_out, ==, c->nsacked * c->seglen);
    g_assert_cmpint(mp_rtxq_is_lost_6675(&q, mp_rtxq_head(&q), MSS, 3), ==, c->lost0);
    /* Segments above the SACKed ones are never lost (nothing above). */
    g_assert_false(mp_rtxq_is_lost_6675(&q, mp_rtxq_tail(&q), MSS, 3));
    g_assert_cmpuint(mp_rtxq_pipe_6675(&q, MSS, 3), ==, c->pipe);
    /* Marking by IsLost makes the counters agree with SetPipe. */
    g_assert_cmpuint(mp_rtxq_mark_lost_6675(&q, MSS, 3), ==, c->lost0 ? 1 : 0);
    g_assert_cmpuint(q.lost_out, ==, c->lost0 ? c->seglen : 0);
    g_assert_cmpuint(mp_rtxq_in_flight(&q), ==, c->pipe);
    if (c->lost0) {
        /* Retransmitting segment 0 puts it back in the pipe once (SetPipe
         * (b)), while it stays lost (SetPipe (a) does not count it). */
        struct mp_rtx_seg *s = mp_rtxq_first_lost(&q);
        g_assert_true(s == mp_rtxq_head(&q));
        mp_rtxq_retransmitted(&q, s, MP_MS(21));
        g_assert_null(mp_rtxq_first_lost(&q));
        g_assert_cmpuint(mp_rtxq_pipe_6675(&q, MSS, 3), ==, c->pipe + c->seglen);
        g_assert_cmpuint(mp_rtxq_in_flight(&q), ==, c->pipe + c->seglen);
        /* Not marked again while its retransmission is in flight. */
        g_assert_cmpuint(mp_rtxq_mark_lost_6675(&q, MSS, 3), ==, 0);
    }
    assert_ok(&q);
    mp_rtxq_clear(&q);
}

static void test_rtxq_lost_marks(void)
{
    struct mp_rtxq q;
    fill(&q, 0, 8, MSS);
    struct mp_rtx_seg *s[8];
    s[0] = mp_rtxq_head(&q);
    for (int i = 1; i < 8; i++)
        s[i] = s[i - 1]->next;
    g_assert_null(mp_rtxq_first_lost(&q));
    g_assert_true(mp_rtxq_mark_lost(&q, s[5]));
    g_assert_true(mp_rtxq_mark_lost(&q, s[2]));
    g_assert_false(mp_rtxq_mark_lost(&q, s[2])); /* already */
    g_assert_true(mp_rtxq_mark_lost(&q, s[6]));
    g_assert_cmpuint(q.lost_out, ==, 3 * MSS);
    g_assert_cmpuint(mp_rtxq_in_flight(&q), ==, 5 * MSS);
    /* In sequence order. */
    g_assert_true(mp_rtxq_first_lost(&q) == s[2]);
    g_assert_true(mp_rtxq_next_lost(&q, s[2]) == s[5]);
    g_assert_true(mp_rtxq_next_lost(&q, s[5]) == s[6]);
    g_assert_null(mp_rtxq_next_lost(&q, s[6]));
    mp_rtxq_retransmitted(&q, s[2], MP_MS(100));
    g_assert_true(mp_rtxq_first_lost(&q) == s[5]);
    g_assert_cmpuint(mp_rtxq_in_flight(&q), ==, 6 * MSS);
    /* The retransmission is lost too: back to lost-to-retransmit, and the
     * hint goes back. */
    g_assert_true(mp_rtxq_mark_lost(&q, s[2]));
    g_assert_cmpuint(q.retrans_out, ==, 0);
    g_assert_true(mp_rtxq_first_lost(&q) == s[2]);
    assert_ok(&q);
    /* An RTO: all lost, nothing in flight. */
    g_assert_cmpuint(mp_rtxq_mark_all_lost(&q), ==, 5);
    g_assert_cmpuint(mp_rtxq_in_flight(&q), ==, 0);
    g_assert_true(mp_rtxq_first_lost(&q) == s[0]);
    g_assert_null(q.thead);
    assert_ok(&q);
    mp_rtxq_clear(&q);
}

/* An extension that keeps a DSN per segment: u64[0] = DSN of the first
 * byte, u64[1] = length. Its split hook adjusts both halves. */
static void dsn_split(void *arg, union mp_rtx_meta *head, union mp_rtx_meta *tail,
                      uint32_t head_len, uint32_t tail_len)
{
    int *calls = arg;
    (*calls)++;
    tail->u64[0] = head->u64[0] + head_len;
    tail->u64[1] = tail_len;
    head->u64[1] = head_len;
}

static bool dsn_merge(void *arg, union mp_rtx_meta *a, const union mp_rtx_meta *b, uint32_t a_len,
                      uint32_t b_len)
{
    if (a->u64[0] + a_len != b->u64[0])
        return false;
    a->u64[1] = a_len + b_len;
    return true;
}

static void test_rtxq_meta(void)
{
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    union mp_rtx_meta m = {.u64 = {5000, 3000, 0, 0}};

    /* Default: a split copies the metadata to both pieces. */
    mp_rtxq_init(&q, 100);
    struct mp_rtx_seg *s = mp_rtxq_add(&q, 100, 3100, 0, &m, 0);
    struct mp_rtx_seg *t = mp_rtxq_split(&q, s, 1100);
    g_assert_nonnull(t);
    g_assert_null(mp_rtxq_split(&q, s, 100)); /* not strictly inside */
    g_assert_cmpmem(&s->meta, sizeof(m), &m, sizeof(m));
    g_assert_cmpmem(&t->meta, sizeof(m), &m, sizeof(m));
    /* Identical metadata: they merge back. */
    g_assert_true(mp_rtxq_merge_next(&q, s));
    g_assert_cmpuint(s->end, ==, 3100);
    /* Different metadata never merge without a hook. */
    union mp_rtx_meta m2 = {.u64 = {9000, 100, 0, 0}};
    g_assert_nonnull(mp_rtxq_add(&q, 3100, 3200, 0, &m2, 0));
    g_assert_false(mp_rtxq_merge_next(&q, s));
    assert_ok(&q);
    mp_rtxq_clear(&q);

    /* With the extension's hooks: splits by SACK edges and a partial ACK
     * keep every piece's DSN right; retransmission keeps it. */
    int calls = 0;
    struct mp_rtx_meta_ops ops = {.split = dsn_split, .merge = dsn_merge, .arg = &calls};
    mp_rtxq_init(&q, 100);
    mp_rtxq_set_meta_ops(&q, &ops);
    mp_rtxq_add(&q, 100, 3100, 0, &m, 0);
    struct mp_sack_block b = {1100, 2100};
    mp_rtxq_ack(&q, 100, &b, 1, 0, MP_MS(1), &a);
    g_assert_cmpuint(q.count, ==, 3);
    g_assert_cmpint(calls, ==, 2);
    const uint64_t want_dsn[3] = {5000, 6000, 7000};
    int i = 0;
    for (s = mp_rtxq_head(&q); s; s = s->next, i++) {
        g_assert_cmpuint(s->meta.u64[0], ==, want_dsn[i]);
        g_assert_cmpuint(s->meta.u64[1], ==, mp_rtx_seg_len(s));
    }
    mp_rtxq_retransmitted(&q, mp_rtxq_head(&q), MP_MS(2));
    g_assert_cmpuint(mp_rtxq_head(&q)->meta.u64[0], ==, 5000);
    /* A partial ACK trims the head: its DSN moves with the bytes. */
    mp_rtxq_ack(&q, 600, NULL, 0, 0, MP_MS(3), &a);
    g_assert_cmpuint(mp_rtxq_head(&q)->meta.u64[0], ==, 5500);
    g_assert_cmpuint(mp_rtxq_head(&q)->meta.u64[1], ==, 500);
    /* Contiguous mappings merge through the hook. */
    union mp_rtx_meta m3 = {.u64 = {8000, 1000, 0, 0}};
    s = mp_rtxq_add(&q, 3100, 4100, 0, &m3, MP_MS(4));
    g_assert_true(mp_rtxq_merge_next(&q, s->prev));
    g_assert_cmpuint(mp_rtxq_tail(&q)->meta.u64[1], ==, 2000);
    assert_ok(&q);
    mp_rtxq_clear(&q);
}

static void test_rtxq_reordering(void)
{
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, 0, 4, MSS);
    struct mp_sack_block b = {2000, 3000};
    mp_rtxq_ack(&q, 0, &b, 1, 0, MP_MS(100), &a);
    g_assert_false(a.reordering); /* first delivery info */
    g_assert_cmpuint(q.fack, ==, 3000);
    /* Segment 1 (never retransmitted) arrives after segment 2 was SACKed:
     * reordering. */
    struct mp_sack_block b2 = {1000, 3000};
    mp_rtxq_ack(&q, 0, &b2, 1, 0, MP_MS(101), &a);
    g_assert_true(a.reordering);
    /* Segment 0 retransmitted, then acked: a retransmission is not
     * evidence of reordering. */
    mp_rtxq_retransmitted(&q, mp_rtxq_head(&q), MP_MS(102));
    mp_rtxq_ack(&q, 1000, NULL, 0, 0, MP_MS(203), &a);
    g_assert_false(a.reordering);
    mp_rtxq_clear(&q);
}

static void test_rtxq_rate(void)
{
    /* 10 segments sent 1 ms apart, acked 1 ms apart one RTT later:
     * delivery rate = 1000 bytes / ms. */
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, 0, 10, MSS);
    for (uint32_t i = 1; i <= 10; i++) {
        mp_rtxq_ack(&q, i * MSS, NULL, 0, 0, MP_MS(50 + i), &a);
        g_assert_cmpuint(a.rs_delivered, >, 0);
        if (i >= 2) {
            g_assert_cmpuint(a.rs_interval, >, 0);
            g_assert_cmpuint(a.rs_delivered * MP_MS(1) / a.rs_interval, <=, 1000);
        }
    }
    /* The last sample: everything delivered since segment 9 was sent,
     * which was 51 ms of ACKs for... the first of the flight. */
    g_assert_cmpuint(a.rs_delivered, ==, 10 * MSS);
    g_assert_cmpuint(a.rs_interval, ==, MP_MS(60));
    /* App-limited marks stick until the flight is delivered. */
    mp_rtxq_set_app_limited(&q, 0);
    g_assert_nonnull(mp_rtxq_add(&q, 10 * MSS, 11 * MSS, 0, NULL, MP_MS(70)));
    g_assert_true(mp_rtxq_tail(&q)->flags & MP_RTX_APP_LIMITED);
    mp_rtxq_ack(&q, 11 * MSS, NULL, 0, 0, MP_MS(120), &a);
    g_assert_true(a.rs_app_limited);
    g_assert_cmpuint(q.app_limited, ==, 0);
    mp_rtxq_clear(&q);
}

/* The index across growth and slides: entries leave at the head while more
 * join at the tail, and splits and merges happen in both halves (each moves
 * the shorter side); every byte in flight is found. */
static void test_rtxq_index(void)
{
    const uint32_t isn = 0xffff0000u;
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    mp_rtxq_init(&q, isn);
    uint32_t sent = 0, una = 0;
    for (uint32_t round = 0; round < 6; round++) {
        for (uint32_t i = 0; i < 150; i++, sent += MSS)
            g_assert_nonnull(mp_rtxq_add(&q, isn + sent, isn + sent + MSS, 0, NULL, MP_MS(round)));
        una += 100 * MSS;
        g_assert_cmpint(mp_rtxq_ack(&q, isn + una, NULL, 0, 0, MP_MS(round), &a), ==, 0);
        /* Split entries near the head and near the tail, then SACK the
         * pieces so that they merge back. */
        uint32_t cut[] = {una + 3 * MSS + 100, sent - 4 * MSS + 300, una + 10 * MSS + 1,
                          sent - MSS - 1};
        for (size_t i = 0; i < G_N_ELEMENTS(cut); i++) {
            struct mp_rtx_seg *e = mp_rtxq_find(&q, isn + cut[i]);
            g_assert_nonnull(mp_rtxq_split(&q, e, isn + cut[i]));
            assert_ok(&q);
        }
        struct mp_sack_block b[] = {{isn + una + 2 * MSS, isn + una + 12 * MSS},
                                    {isn + sent - 6 * MSS, isn + sent - MSS / 2}};
        g_assert_cmpint(mp_rtxq_ack(&q, isn + una, b, 2, 0, MP_MS(round), &a), ==, 0);
        assert_ok(&q);
        for (uint32_t x = una; x < sent; x += 97) {
            q.hint = NULL;
            const struct mp_rtx_seg *e = mp_rtxq_find(&q, isn + x);
            g_assert_nonnull(e);
            g_assert_true(mp_seq_in(isn + x, e->start, e->end));
        }
    }
    g_assert_cmpuint(q.count, >, 64);
    mp_rtxq_clear(&q);
}

/* Random operations against a byte-level model of the SACK state; the
 * queue must agree with the model and keep its invariants throughout. */
static void test_rtxq_random(void)
{
    GRand *rng = g_rand_new_with_seed(42);
    for (int round = 0; round < 20; round++) {
        const uint32_t isn = g_rand_int(rng);
        const uint32_t total = 60000;
        uint8_t *sacked = g_malloc0(total); /* model: per byte */
        struct mp_rtxq q;
        mp_rtxq_init(&q, isn);
        uint32_t sent = 0, una = 0;
        mp_time_t now = 0;
        for (int step = 0; step < 400; step++) {
            now += MP_US(100);
            uint32_t op = g_rand_int_range(rng, 0, 10);
            struct mp_rtx_ack a;
            if (op < 3 && sent < total) {
                uint32_t len = (uint32_t)g_rand_int_range(rng, 1, 2000);
                len = MIN(len, total - sent);
                g_assert_nonnull(mp_rtxq_add(&q, isn + sent, isn + sent + len, 0, NULL, now));
                sent += len;
            } else if (op < 6 && sent > una) {
                /* Up to 3 random blocks within [una - 500, sent]. */
                struct mp_sack_block b[3];
                size_t n = (size_t)g_rand_int_range(rng, 1, 4);
                for (size_t i = 0; i < n; i++) {
                    uint32_t lo = una > 500 ? una - 500 : 0;
                    uint32_t s = (uint32_t)g_rand_int_range(rng, (gint32)lo, (gint32)sent);
                    uint32_t l = (uint32_t)g_rand_int_range(rng, 1, 5000);
                    uint32_t e = MIN(sent, s + l);
                    b[i] = (struct mp_sack_block){isn + s, isn + e};
                }
                g_assert_cmpint(mp_rtxq_ack(&q, isn + una, b, n, 0, now, &a), ==, 0);
                /* Model: a D-SACK first block is not applied. */
                for (size_t i = a.dsack ? 1 : 0; i < n; i++) {
                    uint32_t s = b[i].start - isn, e = b[i].end - isn;
                    if (e <= una)
                        continue;
                    for (uint32_t x = MAX(s, una); x < e; x++)
                        sacked[x] = 1;
                }
            } else if (op < 8 && sent > una) {
                uint32_t to = una + (uint32_t)g_rand_int_range(rng, 0, (gint32)(sent - una + 1));
                g_assert_cmpint(mp_rtxq_ack(&q, isn + to, NULL, 0, 0, now, &a), ==, 0);
                g_assert_cmpuint(a.acked, ==, to - una);
                una = to;
            } else if (op == 8 && !mp_rtxq_empty(&q)) {
                /* Mark lost and retransmit the first unSACKed entry. */
                struct mp_rtx_seg *s = mp_rtxq_head(&q);
                while (s && (s->flags & MP_RTX_SACKED))
                    s = s->next;
                if (s) {
                    mp_rtxq_mark_lost(&q, s);
                    if (mp_rtx_seg_len(s) > 700)
                        mp_rtxq_split(&q, s, s->start + 700);
                    mp_rtxq_retransmitted(&q, s, now);
                }
            } else if (op == 9) {
                mp_rtxq_mark_lost_6675(&q, MSS, 3);
            }
            assert_ok(&q);
            if (sent > una) {
                /* The index finds the entry holding any byte in flight. */
                uint32_t x = isn + una + (uint32_t)g_rand_int_range(rng, 0, (gint32)(sent - una));
                q.hint = NULL;
                const struct mp_rtx_seg *f = mp_rtxq_find(&q, x);
                g_assert_nonnull(f);
                g_assert_true(mp_seq_in(x, f->start, f->end));
            }
            uint32_t model = 0;
            for (uint32_t x = una; x < sent; x++)
                model += sacked[x];
            g_assert_cmpuint(q.sacked_out, ==, model);
            g_assert_cmpuint(q.una, ==, isn + una);
            g_assert_cmpuint(q.nxt, ==, isn + sent);
        }
        mp_rtxq_clear(&q);
        g_free(sacked);
    }
    g_rand_free(rng);
}

static void discard(void *arg, const uint8_t *p, size_t n)
{
}

/* The receiver is a real reassembly queue: segments arrive in |order|
 * (indices), each ACK carries the cumulative point and up to 3 blocks.
 * Returns the nanoseconds spent in mp_rtxq_ack(), and in |rx_ns| those of
 * the receiver (insert, pull, SACK blocks). */
static gint64 run_transfer(uint32_t nseg, const uint32_t *order, bool check, gint64 *rx_ns)
{
    const uint32_t isn = 0xfff00000u, len = 1448;
    struct mp_rtxq q;
    struct mp_reass r;
    fill(&q, isn, nseg, len);
    mp_reass_init(&r, SIZE_MAX);
    uint8_t *payload = g_malloc0(len);
    uint32_t rcv_nxt = isn;
    gint64 spent = 0;
    mp_time_t now = MP_S(1);
    gint64 rx = 0;
    for (uint32_t i = 0; i < nseg; i++) {
        uint32_t seq = isn + order[i] * len;
        gint64 t0 = g_get_monotonic_time();
        g_assert_cmpint(mp_reass_insert(&r, rcv_nxt, seq, payload, len, NULL), ==, 0);
        rcv_nxt += (uint32_t)mp_reass_pull(&r, rcv_nxt, discard, NULL);
        struct mp_sack_block b[3];
        size_t n = mp_reass_sack(&r, rcv_nxt, b, 3);
        mp_reass_dsack_clear(&r);
        struct mp_rtx_ack a;
        now += MP_US(10);
        gint64 t1 = g_get_monotonic_time();
        mp_rtxq_ack(&q, rcv_nxt, b, n, 0, now, &a);
        spent += g_get_monotonic_time() - t1;
        rx += t1 - t0;
        if (check && i % 97 == 0)
            assert_ok(&q);
    }
    g_assert_true(mp_rtxq_empty(&q));
    g_assert_true(mp_reass_empty(&r));
    mp_rtxq_clear(&q);
    mp_reass_clear(&r);
    g_free(payload);
    if (rx_ns)
        *rx_ns = rx * 1000;
    return spent * 1000;
}

static void test_rtxq_transfer(void)
{
    /* Small transfers checked thoroughly: in order, reversed, shuffled. */
    uint32_t order[2000];
    for (uint32_t i = 0; i < 2000; i++)
        order[i] = 1999 - i;
    run_transfer(2000, order, true, NULL);
    GRand *rng = g_rand_new_with_seed(7);
    for (uint32_t i = 0; i < 2000; i++)
        order[i] = i;
    for (uint32_t i = 1999; i > 0; i--) {
        uint32_t j = (uint32_t)g_rand_int_range(rng, 0, (gint32)i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    run_transfer(2000, order, true, NULL);
    g_rand_free(rng);
}

/* Micro-benchmark: 10,000 segments in flight, 3 SACK blocks per ACK. */
static void test_rtxq_bench(void)
{
    const uint32_t n = 10000;
    uint32_t *order = g_new(uint32_t, n);

    /* Three holes (segments 0, 3000, 6000) repaired last; every other ACK
     * grows the newest block by one segment. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (i != 0 && i != 3000 && i != 6000)
            order[k++] = i;
    order[k++] = 6000;
    order[k++] = 3000;
    order[k++] = 0;
    gint64 rx;
    gint64 ns = run_transfer(n, order, false, &rx);
    g_test_message("rtxq: %u segments in flight, 3 holes, 3 SACK blocks per ACK: "
                   "%.0f ns per ACK (receiver: %.0f ns per segment)",
                   n, (double)ns / n, (double)rx / n);

    /* Uniformly shuffled arrival: blocks anywhere in the window. */
    GRand *rng = g_rand_new_with_seed(1);
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)g_rand_int_range(rng, 0, (gint32)i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    ns = run_transfer(n, order, false, &rx);
    g_test_message("rtxq: %u segments in flight, random arrival order, up to 3 SACK blocks: "
                   "%.0f ns per ACK (receiver: %.0f ns per segment)",
                   n, (double)ns / n, (double)rx / n);

    /* Cost of filling the queue (add). */
    struct mp_rtxq q;
    gint64 t0 = g_get_monotonic_time();
    fill(&q, 0, n, 1448);
    gint64 t1 = g_get_monotonic_time();
    g_test_message("rtxq: add %.0f ns per segment", (double)(t1 - t0) * 1000 / n);
    g_assert_cmpuint(q.count, ==, n);
    mp_rtxq_clear(&q);
    g_free(order);
    g_rand_free(rng);
}

/* ======================================================================== */
/* reass                                                                    */

static void collect(void *arg, const uint8_t *p, size_t n)
{
    g_byte_array_append(arg, p, (guint)n);
}

static void fill_bytes(uint8_t *p, size_t n, uint8_t v)
{
    memset(p, v, n);
}

static void test_reass_basic(void)
{
    const uint32_t nxt0 = 0xfffffc00u; /* across the wrap */
    struct mp_reass r;
    mp_reass_init(&r, 1 << 20);
    uint8_t seg[500];
    struct mp_reass_result res;
    /* Segments 2, 4, 3 of 500 bytes arrive; 1 is missing. */
    const uint32_t arrivals[] = {2, 4, 3};
    for (size_t i = 0; i < G_N_ELEMENTS(arrivals); i++) {
        fill_bytes(seg, sizeof(seg), (uint8_t)arrivals[i]);
        g_assert_cmpint(mp_reass_insert(&r, nxt0, nxt0 + (arrivals[i] - 1) * 500, seg, 500, &res),
                        ==, 0);
        g_assert_cmpuint(res.added, ==, 500);
    }
    g_assert_cmpuint(r.nruns, ==, 1); /* 2, 3, 4 joined */
    g_assert_cmpuint(r.bytes, ==, 1500);
    g_assert_cmpuint(r.mem, ==, 1500 + 3 * MP_REASS_FRAG_OVERHEAD);
    GByteArray *got = g_byte_array_new();
    g_assert_cmpuint(mp_reass_pull(&r, nxt0, collect, got), ==, 0); /* hole at rcv_nxt */
    /* Segment 1 delivered directly by the connection; then the run follows. */
    g_assert_cmpuint(mp_reass_pull(&r, nxt0 + 500, collect, got), ==, 1500);
    g_assert_cmpuint(got->len, ==, 1500);
    for (guint i = 0; i < got->len; i++)
        g_assert_cmpuint(got->data[i], ==, 2 + i / 500);
    g_assert_true(mp_reass_empty(&r));
    g_assert_cmpuint(r.mem, ==, 0);

    /* Data at rcv_nxt may go through the queue too. */
    fill_bytes(seg, sizeof(seg), 9);
    mp_reass_insert(&r, nxt0 + 2000, nxt0 + 2000, seg, 500, &res);
    g_byte_array_set_size(got, 0);
    g_assert_cmpuint(mp_reass_pull(&r, nxt0 + 2000, collect, got), ==, 500);
    /* A zero-length insert does nothing; oversize is refused. */
    g_assert_cmpint(mp_reass_insert(&r, 0, 10, seg, 0, &res), ==, 0);
    g_assert_cmpint(mp_reass_insert(&r, 0, 10, seg, (1u << 30) + 1, &res), ==, -EINVAL);
    g_byte_array_unref(got);
    mp_reass_clear(&r);
}

struct ovl_case {
    const char *name;
    uint32_t have[3][2]; /* held runs [start, end), offsets from rcv_nxt; end 0: none */
    uint32_t seq, len;   /* the new segment, offset from rcv_nxt (may be "negative") */
    uint32_t added, dup;
    uint32_t dsack[2]; /* expected D-SACK (end 0: none) */
    uint32_t runs;
};

#define NEG(x) ((uint32_t) - (int32_t)(x))

static const struct ovl_case ovl_cases[] = {
    {"fresh", {{0}}, 1000, 500, 500, 0, {0, 0}, 1},
    {"exact-dup", {{1000, 1500}}, 1000, 500, 0, 500, {1000, 1500}, 1},
    {"inside-dup", {{1000, 2000}}, 1200, 300, 0, 300, {1200, 1500}, 1},
    {"overlap-front", {{1000, 1500}}, 800, 400, 200, 200, {1000, 1200}, 1},
    {"overlap-back", {{1000, 1500}}, 1300, 400, 200, 200, {1300, 1500}, 1},
    {"covers", {{1000, 1500}}, 900, 700, 200, 500, {1000, 1500}, 1},
    {"bridges", {{1000, 1500}, {2000, 2500}}, 1400, 700, 500, 200, {1400, 1500}, 1},
    {"fills-gap", {{1000, 1500}, {2000, 2500}}, 1500, 500, 500, 0, {0, 0}, 1},
    {"spans-three",
     {{1000, 1100}, {1200, 1300}, {1400, 1500}},
     1000,
     500,
     200,
     300,
     {1000, 1100},
     1},
    {"old", {{1000, 1500}}, NEG(500), 300, 0, 300, {NEG(500), NEG(200)}, 1},
    {"straddles-rcv-nxt", {{1000, 1500}}, NEG(100), 300, 200, 100, {NEG(100), 0}, 2},
    {"between", {{1000, 1500}, {3000, 3500}}, 2000, 100, 100, 0, {0, 0}, 3},
};

static void test_reass_overlap(gconstpointer data)
{
    const struct ovl_case *c = data;
    const uint32_t nxt = 0xfffff800u;
    struct mp_reass r;
    mp_reass_init(&r, 1 << 20);
    uint8_t buf[4000];
    /* Held bytes are 'A', new ones 'B': the first copy must win. */
    memset(buf, 'A', sizeof(buf));
    for (int i = 0; i < 3 && c->have[i][1]; i++)
        mp_reass_insert(&r, nxt, nxt + c->have[i][0], buf, c->have[i][1] - c->have[i][0], NULL);
    mp_reass_dsack_clear(&r);
    memset(buf, 'B', sizeof(buf));
    struct mp_reass_result res;
    g_assert_cmpint(mp_reass_insert(&r, nxt, nxt + c->seq, buf, c->len, &res), ==, 0);
    g_assert_cmpuint(res.added, ==, c->added);
    g_assert_cmpuint(res.dup, ==, c->dup);
    g_assert_cmpuint(r.nruns, ==, c->runs);
    if (c->dsack[0] || c->dsack[1]) {
        g_assert_true(r.has_dsack);
        g_assert_cmpuint(r.dsack.start, ==, nxt + c->dsack[0]);
        g_assert_cmpuint(r.dsack.end, ==, nxt + c->dsack[1]);
    } else {
        g_assert_false(r.has_dsack);
    }
    /* Bytes held: every held byte kept 'A'; new ones are 'B'. */
    for (struct mp_reass_frag *f = r.fhead; f; f = f->next) {
        for (uint32_t i = 0; i < f->len; i++) {
            uint32_t off = f->seq + i - nxt;
            bool was_held = false;
            for (int j = 0; j < 3 && c->have[j][1]; j++)
                if (off >= c->have[j][0] && off < c->have[j][1])
                    was_held = true;
            g_assert_cmpuint(f->data[i], ==, was_held ? 'A' : 'B');
        }
    }
    /* Runs are disjoint, ordered and not touching. */
    for (struct mp_reass_run *u = r.head; u && u->next; u = u->next)
        g_assert_true(mp_seq_lt(u->end, u->next->start));
    mp_reass_clear(&r);
}

/* RFC 2018 4, the example of the receiver's SACK options: 8 segments of
 * 500 bytes from 5000; the 2nd, 4th, 6th and 8th are dropped. */
static void test_reass_sack_order(void)
{
    struct mp_reass r;
    mp_reass_init(&r, 1 << 20);
    uint8_t seg[500] = {0};
    uint32_t rcv_nxt = 5500; /* the first segment was received in order */
    struct mp_sack_block b[4];

    mp_reass_insert(&r, rcv_nxt, 6000, seg, 500, NULL);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 1);
    g_assert_cmpuint(b[0].start, ==, 6000);
    g_assert_cmpuint(b[0].end, ==, 6500);

    mp_reass_insert(&r, rcv_nxt, 7000, seg, 500, NULL);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 2);
    g_assert_cmpuint(b[0].start, ==, 7000);
    g_assert_cmpuint(b[1].start, ==, 6000);

    mp_reass_insert(&r, rcv_nxt, 8000, seg, 500, NULL);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 3);
    g_assert_cmpuint(b[0].start, ==, 8000);
    g_assert_cmpuint(b[1].start, ==, 7000);
    g_assert_cmpuint(b[2].start, ==, 6000);
    /* Only two blocks fit (say, with timestamps and MPTCP): the most
     * recent ones. */
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 2), ==, 2);
    g_assert_cmpuint(b[0].start, ==, 8000);
    g_assert_cmpuint(b[1].start, ==, 7000);

    /* The 4th segment arrives: 6000-7500 first (it holds it), then
     * 8000-8500. */
    mp_reass_insert(&r, rcv_nxt, 6500, seg, 500, NULL);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 2);
    g_assert_cmpuint(b[0].start, ==, 6000);
    g_assert_cmpuint(b[0].end, ==, 7500);
    g_assert_cmpuint(b[1].start, ==, 8000);
    g_assert_cmpuint(b[1].end, ==, 8500);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 0), ==, 0);
    mp_reass_clear(&r);
}

/* RFC 2883 4.1.1 and 4.1.2: D-SACK for a duplicate below the cumulative
 * ACK, and for one inside an out-of-order block. */
static void test_reass_dsack(void)
{
    struct mp_reass r;
    mp_reass_init(&r, 1 << 20);
    uint8_t seg[500] = {0};
    struct mp_sack_block b[4];

    /* 4.1.1: data up to 4000 acknowledged; a retransmission of 3000-3500
     * arrives. */
    uint32_t rcv_nxt = 4000;
    struct mp_reass_result res;
    mp_reass_insert(&r, rcv_nxt, 3000, seg, 500, &res);
    g_assert_cmpuint(res.dup, ==, 500);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 1);
    g_assert_cmpuint(b[0].start, ==, 3000);
    g_assert_cmpuint(b[0].end, ==, 3500);
    mp_reass_dsack_clear(&r);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 0);

    /* 4.1.2: 4500-5000 and 5500-6000 held out of order; a duplicate of
     * 4500-5000 arrives: D-SACK first, then the block holding it. */
    mp_reass_insert(&r, rcv_nxt, 4500, seg, 500, NULL);
    mp_reass_insert(&r, rcv_nxt, 5500, seg, 500, NULL);
    mp_reass_insert(&r, rcv_nxt, 4500, seg, 500, &res);
    g_assert_cmpuint(res.dup, ==, 500);
    g_assert_cmpuint(mp_reass_sack(&r, rcv_nxt, b, 4), ==, 3);
    g_assert_cmpuint(b[0].start, ==, 4500);
    g_assert_cmpuint(b[0].end, ==, 5000);
    g_assert_cmpuint(b[1].start, ==, 4500);
    g_assert_cmpuint(b[2].start, ==, 5500);
    /* The sender's side agrees that this is a D-SACK. */
    struct mp_rtxq q;
    struct mp_rtx_ack a;
    fill(&q, 4000, 4, 500);
    mp_rtxq_ack(&q, rcv_nxt, b, 3, 0, MP_MS(1), &a);
    g_assert_true(a.dsack);
    g_assert_cmpuint(a.sacked, ==, 1000);
    mp_rtxq_clear(&q);
    mp_reass_clear(&r);
}

static void test_reass_limit(void)
{
    struct mp_reass r;
    const size_t per = 1000 + MP_REASS_FRAG_OVERHEAD;
    mp_reass_init(&r, 3 * per);
    uint8_t seg[2000] = {0};
    struct mp_reass_result res;
    /* Three segments far out fill the queue. */
    for (uint32_t i = 0; i < 3; i++)
        g_assert_cmpint(mp_reass_insert(&r, 0, 10000 + i * 1000, seg, 1000, &res), ==, 0);
    g_assert_cmpuint(r.mem, ==, 3 * per);
    /* Higher data does not fit and nothing above it can go. */
    g_assert_cmpint(mp_reass_insert(&r, 0, 20000, seg, 1000, &res), ==, -ENOBUFS);
    g_assert_cmpuint(res.added, ==, 0);
    g_assert_cmpuint(r.bytes, ==, 3000);
    /* Lower data (nearer rcv_nxt, more useful) pushes out the highest. */
    g_assert_cmpint(mp_reass_insert(&r, 0, 1000, seg, 1000, &res), ==, 0);
    g_assert_cmpuint(res.pruned, ==, 1000);
    g_assert_cmpuint(r.mem, ==, 3 * per);
    g_assert_cmpuint(mp_reass_high(&r), ==, 12000);
    /* A duplicate needs no room. */
    g_assert_cmpint(mp_reass_insert(&r, 0, 1000, seg, 1000, &res), ==, 0);
    g_assert_cmpuint(res.dup, ==, 1000);
    /* Two segments needed room: both pruned. */
    g_assert_cmpint(mp_reass_insert(&r, 0, 2000, seg, 2000, &res), ==, 0);
    g_assert_cmpuint(res.pruned, ==, 2000);
    g_assert_cmpuint(r.nruns, ==, 1);
    mp_reass_pull(&r, 1000, discard, NULL);
    g_assert_true(mp_reass_empty(&r));
    mp_reass_clear(&r);
}

/* Random segments against a byte-level model: the first copy of every
 * byte wins, duplicates are counted, pulls deliver exactly the model's
 * in-order bytes, and the SACK blocks are maximal held ranges, the one
 * holding the latest segment first. */
static void test_reass_random(void)
{
    GRand *rng = g_rand_new_with_seed(3);
    const uint32_t span = 20000;
    for (int round = 0; round < 10; round++) {
        const uint32_t base = g_rand_int(rng);
        int16_t *model = g_new(int16_t, span);
        for (uint32_t i = 0; i < span; i++)
            model[i] = -1;
        struct mp_reass r;
        mp_reass_init(&r, SIZE_MAX);
        uint32_t nxt = 0;
        uint8_t seg[1500];
        GByteArray *got = g_byte_array_new();
        for (int step = 0; step < 600 && nxt < span; step++) {
            uint32_t len = (uint32_t)g_rand_int_range(rng, 1, 1500);
            uint32_t lo = nxt > 2000 ? nxt - 2000 : 0;
            uint32_t s = (uint32_t)g_rand_int_range(rng, (gint32)lo, (gint32)span);
            len = MIN(len, span - s);
            uint8_t v = (uint8_t)step;
            memset(seg, v, len);
            uint32_t added = 0, dup = 0;
            for (uint32_t x = s; x < s + len; x++) {
                if (x < nxt || model[x] >= 0) {
                    dup++;
                } else {
                    model[x] = v;
                    added++;
                }
            }
            struct mp_reass_result res;
            g_assert_cmpint(mp_reass_insert(&r, base + nxt, base + s, seg, len, &res), ==, 0);
            g_assert_cmpuint(res.added, ==, added);
            g_assert_cmpuint(res.dup, ==, dup);
            g_assert_cmpint(r.has_dsack, ==, dup > 0);
            mp_reass_dsack_clear(&r);

            struct mp_sack_block b[4];
            size_t n = mp_reass_sack(&r, base + nxt, b, 4);
            for (size_t i = 0; i < n; i++) {
                uint32_t bs = b[i].start - base, be = b[i].end - base;
                g_assert_cmpuint(bs, >, nxt);
                g_assert_cmpint(model[bs - 1], <, 0);
                g_assert_true(be == span || model[be] < 0);
                for (uint32_t x = bs; x < be; x++)
                    g_assert_cmpint(model[x], >=, 0);
            }
            if (added > 0 && s > nxt) {
                /* RFC 2018 4: the block of the latest segment first. */
                g_assert_cmpuint(n, >, 0);
                g_assert_true(mp_seq_in(base + s + len - 1, b[0].start, b[0].end));
            }

            if (g_rand_int_range(rng, 0, 4) == 0) {
                g_byte_array_set_size(got, 0);
                size_t d = mp_reass_pull(&r, base + nxt, collect, got);
                g_assert_cmpuint(d, ==, got->len);
                for (size_t i = 0; i < d; i++)
                    g_assert_cmpint(got->data[i], ==, model[nxt + i]);
                nxt += (uint32_t)d;
                g_assert_true(nxt == span || model[nxt] < 0);
            }
            size_t held = 0;
            for (uint32_t x = nxt; x < span; x++)
                held += model[x] >= 0;
            g_assert_cmpuint(r.bytes, ==, held);
        }
        g_byte_array_unref(got);
        mp_reass_clear(&r);
        g_free(model);
    }
    g_rand_free(rng);
}

/* ======================================================================== */
/* rtt                                                                      */

static void test_rtt_rfc6298(void)
{
    struct mp_rtt_params p;
    mp_rtt_params_default(&p);
    p.linux_var = false;
    struct mp_rtt r;
    mp_rtt_init(&r, &p);
    /* RFC 6298 2.1: 1 s before any sample. */
    g_assert_cmpuint(mp_rtt_rto(&r), ==, MP_S(1));
    g_assert_cmpuint(mp_rtt_srtt(&r), ==, 0);

    /* Samples large enough that the 200 ms floor is not involved. */
    struct {
        mp_time_t sample, srtt, rttvar, rto;
    } steps[] = {
        /* 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR. */
        {MP_S(1), MP_S(1), MP_MS(500), MP_S(3)},
        /* 2.3: RTTVAR = 3/4 0.5 + 1/4 |1 - 2| = 0.625; SRTT = 7/8 1 + 1/8 2. */
        {MP_S(2), MP_MS(1125), MP_MS(625), MP_MS(1125) + MP_MS(2500)},
        /* RTTVAR = 3/4 0.625 + 1/4 |1.125 - 0.325| = 0.66875; SRTT =
         * 7/8 1.125 + 1/8 0.325 = 1.025. */
        {MP_MS(325), MP_MS(1025), MP_US(668750), MP_MS(1025) + MP_US(2675000)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        mp_rtt_sample(&r, steps[i].sample, 0, 0, MP_S(10 + i));
        g_assert_cmpuint(r.srtt, ==, steps[i].srtt);
        g_assert_cmpuint(r.rttvar, ==, steps[i].rttvar);
        g_assert_cmpuint(mp_rtt_rto(&r), ==, steps[i].rto);
    }
    g_assert_cmpuint(mp_rtt_min(&r), ==, MP_MS(325));
}

struct floor_case {
    const char *name;
    bool linux_var;
    mp_time_t sample;
    mp_time_t rto;
};

static const struct floor_case floor_cases[] = {
    /* Linux: RTO = SRTT + max(4 RTTVAR, 200 ms), not max(RTO, 1 s). */
    {"rfc-10ms", false, MP_MS(10), MP_MS(210)},
    {"linux-10ms", true, MP_MS(10), MP_MS(210)},
    {"rfc-100ms", false, MP_MS(100), MP_MS(300)},
    {"linux-100ms", true, MP_MS(100), MP_MS(300)},
    /* 4 RTTVAR = 2 * 150 = 300 ms > 200 ms: no floor. */
    {"linux-150ms", true, MP_MS(150), MP_MS(450)},
};

static void test_rtt_floor(gconstpointer data)
{
    const struct floor_case *c = data;
    struct mp_rtt_params p;
    mp_rtt_params_default(&p);
    p.linux_var = c->linux_var;
    struct mp_rtt r;
    mp_rtt_init(&r, &p);
    /* The same sample many times: SRTT stays, RTTVAR decays to 0 in the
     * RFC flavour; the floor holds the RTO at SRTT + 200 ms eventually. */
    mp_rtt_sample(&r, c->sample, 0, 0, 0);
    g_assert_cmpuint(mp_rtt_rto(&r), ==, c->rto);
    /* Each sample ends a flight (una passes the previous snd_nxt), so
     * Linux's RTO variance decays too, to within Linux's own resolution
     * (1 us) of the floor. */
    for (uint32_t i = 1; i < 100; i++)
        mp_rtt_sample(&r, c->sample, i * 10 + 5, i * 10 + 10, MP_MS(i));
    g_assert_cmpuint(r.srtt, ==, c->sample);
    g_assert_cmpuint(mp_rtt_rto(&r), >=, c->sample + MP_MS(200));
    g_assert_cmpuint(mp_rtt_rto(&r), <, c->sample + MP_MS(200) + MP_US(1));
}

static void test_rtt_linux_var(void)
{
    struct mp_rtt lin, rfc;
    struct mp_rtt_params p;
    mp_rtt_params_default(&p);
    mp_rtt_init(&lin, &p);
    p.linux_var = false;
    mp_rtt_init(&rfc, &p);

    /* A sample far below SRTT barely moves Linux's variance. SRTT 1 s,
     * RTTVAR 0.5 s; sample 0.1 s: |err| = 0.9 s, excess over RTTVAR 0.4 s:
     * RFC +0.1 s, Linux +0.0125 s. */
    mp_rtt_sample(&lin, MP_S(1), 0, 100, 0);
    mp_rtt_sample(&rfc, MP_S(1), 0, 100, 0);
    mp_rtt_sample(&lin, MP_MS(100), 0, 100, MP_S(1));
    mp_rtt_sample(&rfc, MP_MS(100), 0, 100, MP_S(1));
    g_assert_cmpuint(rfc.rttvar, ==, MP_MS(600));
    g_assert_cmpuint(lin.rttvar, ==, MP_US(512500));
    g_assert_cmpuint(lin.srtt, ==, rfc.srtt);

    /* Linux's RTO variance term only falls once per flight. */
    mp_rtt_init(&lin, NULL);
    mp_rtt_sample(&lin, MP_S(1), 0, 1000, 0);         /* flight ends when una passes 1000 */
    mp_rtt_sample(&lin, MP_S(2), 500, 1500, MP_S(1)); /* 4 * 0.625 = 2.5 s */
    g_assert_cmpuint(lin.rttvar_rto, ==, MP_MS(2500));
    mp_time_t rto = mp_rtt_rto(&lin);
    /* Steady samples within the flight: variance shrinks, RTO term stays. */
    for (int i = 0; i < 5; i++)
        mp_rtt_sample(&lin, lin.srtt, 600 + i, 1500, MP_S(2 + i));
    g_assert_cmpuint(lin.rttvar_rto, ==, MP_MS(2500));
    g_assert_cmpuint(mp_rtt_rto(&lin), ==, rto);
    g_assert_cmpuint(4 * lin.rttvar, <, MP_MS(2500));
    /* The flight ends (una 1001 > 1000): it falls a quarter of the way to
     * the largest 4 * RTTVAR of the flight. */
    mp_time_t before = lin.rttvar_rto, flight_max = lin.mdev_max;
    mp_rtt_sample(&lin, lin.srtt, 1001, 2000, MP_S(8));
    g_assert_cmpuint(lin.rttvar_rto, ==, before - (before - flight_max) / 4);
    g_assert_cmpuint(lin.flight_seq, ==, 2000);
}

static void test_rtt_backoff(void)
{
    struct mp_rtt r;
    mp_rtt_init(&r, NULL);
    /* 1 s doubling: 2, 4, ... 64, then the 120 s cap. */
    const mp_time_t want[] = {MP_S(2),  MP_S(4),   MP_S(8),   MP_S(16), MP_S(32),
                              MP_S(64), MP_S(120), MP_S(120), MP_S(120)};
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpuint(mp_rtt_backoff(&r), ==, want[i]);
    for (int i = 0; i < 100; i++)
        mp_rtt_backoff(&r);
    g_assert_cmpuint(mp_rtt_rto(&r), ==, MP_S(120));
    /* A valid sample resets the backoff. */
    mp_rtt_sample(&r, MP_MS(100), 0, 0, 0);
    g_assert_cmpuint(r.backoff, ==, 0);
    g_assert_cmpuint(mp_rtt_rto(&r), ==, MP_MS(300));
    g_assert_cmpuint(mp_rtt_backoff(&r), ==, MP_MS(600));
    /* The cap applies to a large RTT too. */
    mp_rtt_init(&r, NULL);
    mp_rtt_sample(&r, MP_S(100), 0, 0, 0);
    g_assert_cmpuint(mp_rtt_rto(&r), ==, MP_S(120));
}

static void test_rtt_minmax(void)
{
    struct mp_minmax m;
    const mp_time_t win = MP_S(10);
    mp_minmax_reset(&m, 0, 100);
    g_assert_cmpuint(mp_minmax_running_min(&m, win, MP_S(1), 120), ==, 100);
    g_assert_cmpuint(mp_minmax_running_min(&m, win, MP_S(2), 90), ==, 90);
    g_assert_cmpuint(mp_minmax_running_min(&m, win, MP_S(4), 110), ==, 90);
    g_assert_cmpuint(mp_minmax_running_min(&m, win, MP_S(7), 105), ==, 90);
    /* 90 (t = 2 s) leaves the window at 12 s: a later, recent sample
     * takes over, not the whole history. */
    uint64_t v = mp_minmax_running_min(&m, win, MP_S(13), 130);
    g_assert_cmpuint(v, >, 90);
    g_assert_cmpuint(v, <=, 130);
    /* Much later: only the new sample counts. */
    g_assert_cmpuint(mp_minmax_running_min(&m, win, MP_S(100), 150), ==, 150);
    /* Max filter. */
    mp_minmax_reset(&m, 0, 5);
    g_assert_cmpuint(mp_minmax_running_max(&m, win, MP_S(1), 9), ==, 9);
    g_assert_cmpuint(mp_minmax_running_max(&m, win, MP_S(2), 7), ==, 9);
    g_assert_cmpuint(mp_minmax_running_max(&m, win, MP_S(30), 3), ==, 3);

    /* The estimator's minimum over its 5 min window. */
    struct mp_rtt r;
    mp_rtt_init(&r, NULL);
    mp_rtt_sample(&r, MP_MS(50), 0, 0, 0);
    mp_rtt_sample(&r, MP_MS(40), 0, 0, MP_S(1));
    mp_rtt_sample(&r, MP_MS(60), 0, 0, MP_S(299));
    g_assert_cmpuint(mp_rtt_min(&r), ==, MP_MS(40));
    mp_rtt_sample(&r, MP_MS(70), 0, 0, MP_S(302));
    g_assert_cmpuint(mp_rtt_min(&r), ==, MP_MS(60));
}

static void test_rtt_ts(void)
{
    const mp_time_t ms = MP_MS(1);
    const uint32_t off = 0xfffffff0u; /* the clock wraps during the test */
    mp_time_t t0 = MP_S(1);
    uint32_t tsval = mp_rtt_tsval(t0, ms, off);
    g_assert_cmpuint(tsval, ==, 1000u + off);
    /* Echoed 37.4 ms later: 37 ticks. */
    g_assert_cmpuint(mp_rtt_ts_sample(t0 + MP_US(37400), tsval, ms, off), ==, MP_MS(37));
    /* Same tick: one tick, as Linux rounds. */
    g_assert_cmpuint(mp_rtt_ts_sample(t0 + MP_US(300), tsval, ms, off), ==, MP_MS(1));
    /* From the future: not ours. */
    g_assert_cmpuint(mp_rtt_ts_sample(t0, tsval + 5, ms, off), ==, MP_TIME_NEVER);
}

/* ======================================================================== */
/* rack                                                                     */

/* A connection's worth of loss-detection state. */
struct rack_fx {
    struct mp_rtxq q;
    struct mp_rtt rtt;
    struct mp_rack rack;
};

/* |n| segments of MSS, segment i sent at i ms; RTT 100 ms measured. */
static void rack_setup(struct rack_fx *f, uint32_t n)
{
    fill(&f->q, 0, n, MSS);
    mp_rtt_init(&f->rtt, NULL);
    mp_rtt_sample(&f->rtt, MP_MS(100), 0, 0, 0);
    mp_rack_init(&f->rack);
}

/* Applies an ACK as the connection would; returns the RACK deadline. */
static mp_time_t rack_ack(struct rack_fx *f, uint32_t ack, const struct mp_sack_block *b, size_t n,
                          bool in_recovery, mp_time_t now, uint32_t *marked, struct mp_rtx_ack *out)
{
    struct mp_rtx_ack a;
    if (!out)
        out = &a;
    g_assert_cmpint(mp_rtxq_ack(&f->q, ack, b, n, mp_rtt_min(&f->rtt), now, out), ==, 0);
    if (out->rtt != MP_TIME_NEVER)
        mp_rtt_sample(&f->rtt, out->rtt, f->q.una, f->q.nxt, now);
    mp_rack_on_ack(&f->rack, out, f->q.una, f->q.nxt);
    return mp_rack_detect_loss(&f->rack, &f->q, &f->rtt, in_recovery, now, marked);
}

/* RFC 8985 3.3-style: P1, P2, P3 sent; P2 is SACKed first. Whether P1 was
 * reordered or lost is decided by time: a reordering window of
 * min_rtt / 4 = 25 ms after P1's RTT. */
static void test_rack_reorder_vs_loss(void)
{
    struct rack_fx f;
    uint32_t marked;
    struct mp_sack_block p2 = {1000, 2000};

    /* Reordering: P1 arrives 5 ms after P2 was SACKed. */
    rack_setup(&f, 3);
    mp_time_t dl = rack_ack(&f, 0, &p2, 1, false, MP_MS(101), &marked, NULL);
    g_assert_cmpuint(marked, ==, 0);
    /* P1 sent at 0, RACK.rtt = 100 ms (P2's), reo_wnd 25 ms. */
    g_assert_cmpuint(mp_rack_reo_wnd(&f.rack, &f.q, &f.rtt, false), ==, MP_MS(25));
    g_assert_cmpuint(dl, ==, MP_MS(125));
    struct mp_sack_block p2b = {1000, 2000};
    rack_ack(&f, 2000, &p2b, 1, false, MP_MS(106), &marked, NULL);
    g_assert_cmpuint(marked, ==, 0);
    g_assert_true(f.rack.reordering_seen);
    g_assert_cmpuint(f.q.lost_out, ==, 0);
    mp_rtxq_clear(&f.q);

    /* Loss: nothing more arrives; the RACK timer fires at 125 ms. */
    rack_setup(&f, 3);
    dl = rack_ack(&f, 0, &p2, 1, false, MP_MS(101), &marked, NULL);
    g_assert_cmpuint(dl, ==, MP_MS(125));
    g_assert_cmpuint(mp_rack_detect_loss(&f.rack, &f.q, &f.rtt, false, MP_MS(124), &marked), ==,
                     MP_MS(125));
    g_assert_cmpuint(marked, ==, 0);
    g_assert_cmpuint(mp_rack_detect_loss(&f.rack, &f.q, &f.rtt, false, MP_MS(125), &marked), ==,
                     MP_TIME_NEVER);
    g_assert_cmpuint(marked, ==, 1);
    g_assert_true(mp_rtxq_first_lost(&f.q) == mp_rtxq_head(&f.q));
    /* P3 was sent after P2: never judged by P2. */
    g_assert_false(mp_rtxq_tail(&f.q)->flags & MP_RTX_LOST);
    mp_rtxq_clear(&f.q);
}

/* RFC 8985 3.4-style fast recovery: 5 segments, P1 lost, P2..P5 SACKed:
 * without reordering, reo_wnd is 0 once DupThresh segments are SACKed, so
 * P1 is lost at once (RACK.rtt after its send). */
static void test_rack_dupthresh(void)
{
    struct rack_fx f;
    uint32_t marked;
    rack_setup(&f, 5);
    struct mp_sack_block b = {1000, 5000};
    mp_time_t dl = rack_ack(&f, 0, &b, 1, false, MP_MS(104), &marked, NULL);
    g_assert_cmpuint(mp_rack_reo_wnd(&f.rack, &f.q, &f.rtt, false), ==, 0);
    g_assert_cmpuint(marked, ==, 1);
    g_assert_cmpuint(dl, ==, MP_TIME_NEVER);
    /* In recovery too, without reordering, the window is 0. */
    g_assert_cmpuint(mp_rack_reo_wnd(&f.rack, &f.q, &f.rtt, true), ==, 0);
    mp_rtxq_clear(&f.q);
}

/* RFC 8985 3.3 lost retransmission: P1 lost, retransmitted at 200 ms;
 * P6, sent after the retransmission, is SACKed while the retransmission
 * is not: the retransmission is lost, without waiting for an RTO. */
static void test_rack_lost_retransmission(void)
{
    struct rack_fx f;
    uint32_t marked;
    rack_setup(&f, 5);
    struct mp_sack_block b = {1000, 5000};
    rack_ack(&f, 0, &b, 1, false, MP_MS(104), &marked, NULL);
    g_assert_cmpuint(marked, ==, 1);
    struct mp_rtx_seg *p1 = mp_rtxq_first_lost(&f.q);
    mp_rtxq_retransmitted(&f.q, p1, MP_MS(200));
    g_assert_nonnull(mp_rtxq_add(&f.q, 5000, 6000, 0, NULL, MP_MS(201)));
    /* P6's SACK at 301 ms: P1's retransmission (200 ms) was sent before it
     * and RACK.rtt (100 ms) + reo_wnd (0: recovery, no reordering) passed. */
    struct mp_sack_block b2 = {1000, 6000};
    rack_ack(&f, 0, &b2, 1, true, MP_MS(301), &marked, NULL);
    g_assert_cmpuint(marked, ==, 1);
    g_assert_true(mp_rtxq_first_lost(&f.q) == p1);
    g_assert_cmpuint(f.q.retrans_out, ==, 0);
    assert_ok(&f.q);
    mp_rtxq_clear(&f.q);
}

/* A burst: 8 segments sent at the same time (one event), P3 SACKed. Ties
 * in time go by sequence: P1 and P2 were sent before P3, P4..P8 after it,
 * so only P1 and P2 are judged, and the reordering window (25 ms) runs
 * from their common send time. */
static void test_rack_burst(void)
{
    struct rack_fx f;
    uint32_t marked;
    mp_rtxq_init(&f.q, 0);
    for (uint32_t i = 0; i < 8; i++)
        g_assert_nonnull(mp_rtxq_add(&f.q, i * MSS, (i + 1) * MSS, 0, NULL, MP_MS(1)));
    mp_rtt_init(&f.rtt, NULL);
    mp_rtt_sample(&f.rtt, MP_MS(100), 0, 0, 0);
    mp_rack_init(&f.rack);
    struct mp_sack_block p3 = {2 * MSS, 3 * MSS};
    mp_time_t dl = rack_ack(&f, 0, &p3, 1, false, MP_MS(101), &marked, NULL);
    g_assert_cmpuint(marked, ==, 0);
    g_assert_cmpuint(f.rack.xmit_ts, ==, MP_MS(1));
    g_assert_cmpuint(dl, ==, MP_MS(1) + MP_MS(100) + MP_MS(25));
    g_assert_cmpuint(mp_rack_detect_loss(&f.rack, &f.q, &f.rtt, false, MP_MS(126), &marked), ==,
                     MP_TIME_NEVER);
    g_assert_cmpuint(marked, ==, 2);
    g_assert_cmpuint(f.q.lost_out, ==, 2 * MSS);
    uint32_t i = 0;
    for (const struct mp_rtx_seg *s = mp_rtxq_head(&f.q); s; s = s->next, i++)
        g_assert_cmpint(!!(s->flags & MP_RTX_LOST), ==, s->end <= 2 * MSS);
    g_assert_cmpuint(i, ==, 8);
    assert_ok(&f.q);
    mp_rtxq_clear(&f.q);
}

static void test_rack_dsack_window(void)
{
    struct rack_fx f;
    rack_setup(&f, 10);
    f.rack.reordering_seen = true;
    g_assert_cmpuint(mp_rack_reo_wnd(&f.rack, &f.q, &f.rtt, true), ==, MP_MS(25));
    /* A D-SACK: the multiplier grows once for the round. */
    struct mp_rtx_ack a = {.dsack = true};
    mp_rack_on_ack(&f.rack, &a, 0, 10000);
    g_assert_cmpuint(f.rack.reo_wnd_mult, ==, 2);
    g_assert_cmpuint(mp_rack_reo_wnd(&f.rack, &f.q, &f.rtt, true), ==, MP_MS(50));
    mp_rack_on_ack(&f.rack, &a, 5000, 10000);
    g_assert_cmpuint(f.rack.reo_wnd_mult, ==, 2);
    /* Next round (una past 10000): grows again. */
    mp_rack_on_ack(&f.rack, &a, 10000, 20000);
    g_assert_cmpuint(f.rack.reo_wnd_mult, ==, 3);
    /* Capped by SRTT. */
    for (uint32_t i = 2; i < 8; i++)
        mp_rack_on_ack(&f.rack, &a, i * 10000, (i + 1) * 10000);
    g_assert_cmpuint(mp_rack_reo_wnd(&f.rack, &f.q, &f.rtt, true), ==, MP_MS(100));
    /* 16 recoveries without D-SACK: back to 1. */
    for (uint32_t i = 0; i < MP_RACK_REO_PERSIST - 1; i++)
        mp_rack_recovery_exit(&f.rack);
    g_assert_cmpuint(f.rack.reo_wnd_mult, >, 1);
    mp_rack_recovery_exit(&f.rack);
    g_assert_cmpuint(f.rack.reo_wnd_mult, ==, 1);
    mp_rtxq_clear(&f.q);
}

static void test_rack_rto(void)
{
    struct rack_fx f;
    rack_setup(&f, 4);
    /* Reference: segment 1 delivered (RACK.rtt 100 ms). */
    struct mp_sack_block b = {1000, 2000};
    rack_ack(&f, 0, &b, 1, false, MP_MS(101), NULL, NULL);
    /* Segment 3 retransmitted at 250 ms for some reason; RTO at 300 ms:
     * the head is lost, segment 2 (sent at 2 ms) is, segment 3 (resent 50
     * ms ago) is not. */
    mp_rtxq_retransmitted(&f.q, mp_rtxq_tail(&f.q), MP_MS(250));
    g_assert_cmpuint(mp_rack_mark_lost_on_rto(&f.rack, &f.q, &f.rtt, MP_MS(300)), ==, 2);
    g_assert_true(mp_rtxq_head(&f.q)->flags & MP_RTX_LOST);
    g_assert_false(mp_rtxq_tail(&f.q)->flags & MP_RTX_LOST);
    g_assert_cmpuint(f.q.lost_out, ==, 2 * MSS);
    assert_ok(&f.q);
    mp_rtxq_clear(&f.q);
}

struct pto_case {
    const char *name;
    uint32_t nseg;
    bool sample;
    mp_time_t rto_deadline; /* offset from now; 0: far */
    mp_time_t pto;
};

static const struct pto_case pto_cases[] = {
    {"two-segments", 2, true, 0, MP_MS(200)}, /* 2 * SRTT */
    {"one-segment", 1, true, 0, MP_MS(400)},  /* + WCDelAckT */
    {"capped-by-rto", 1, true, MP_MS(300), MP_MS(300)},
    {"no-sample", 3, false, 0, MP_S(1)},
};

static void test_rack_pto(gconstpointer data)
{
    const struct pto_case *c = data;
    struct mp_rtxq q;
    struct mp_rtt rtt;
    struct mp_rack rack;
    fill(&q, 0, c->nseg, MSS);
    mp_rtt_init(&rtt, NULL);
    if (c->sample)
        mp_rtt_sample(&rtt, MP_MS(100), 0, 0, 0);
    mp_rack_init(&rack);
    const mp_time_t now = MP_S(5);
    g_assert_true(mp_rack_tlp_may_arm(&rack, &q, false));
    g_assert_false(mp_rack_tlp_may_arm(&rack, &q, true));
    mp_time_t rto = c->rto_deadline ? now + c->rto_deadline : MP_TIME_NEVER;
    g_assert_cmpuint(mp_rack_tlp_deadline(&rtt, &q, now, rto), ==, now + c->pto);
    mp_rtxq_clear(&q);
}

static void test_rack_tlp_probe(void)
{
    struct rack_fx f;
    rack_setup(&f, 3);
    /* Tail of 2500: a probe retransmits its last MSS. */
    g_assert_nonnull(mp_rtxq_add(&f.q, 3000, 5500, MP_RTX_FIN, NULL, MP_MS(3)));
    struct mp_rtx_seg *s;
    g_assert_cmpint(mp_rack_tlp_choose(&f.q, true, MSS, &s), ==, MP_TLP_NEW);
    g_assert_null(s);
    g_assert_cmpint(mp_rack_tlp_choose(&f.q, false, MSS, &s), ==, MP_TLP_RETRANS);
    g_assert_cmpuint(s->start, ==, 4500);
    g_assert_cmpuint(s->end, ==, 5500);
    g_assert_true(s->flags & MP_RTX_FIN);
    g_assert_false(s->prev->flags & MP_RTX_FIN);
    mp_rtxq_retransmitted(&f.q, s, MP_MS(300));
    mp_rack_tlp_sent(&f.rack, f.q.nxt, true);
    g_assert_false(mp_rack_tlp_may_arm(&f.rack, &f.q, false));
    assert_ok(&f.q);
    mp_rtxq_clear(&f.q);
}

struct tlp_case {
    const char *name;
    bool is_retrans;
    uint32_t ack; /* probe end is 5000 */
    bool dsack;
    uint32_t dsack_end;
    bool dupack_no_sack;
    enum mp_tlp_verdict v;
};

static const struct tlp_case tlp_cases[] = {
    {"below-end", true, 4000, false, 0, false, MP_TLP_PENDING},
    {"new-data-delivered", false, 5000, false, 0, false, MP_TLP_NO_LOSS},
    {"dsack-of-probe", true, 5000, true, 5000, false, MP_TLP_NO_LOSS},
    {"dsack-other", true, 5000, true, 3000, false, MP_TLP_PENDING},
    {"beyond-end", true, 6000, false, 0, false, MP_TLP_REPAIRED},
    {"pure-dupack", true, 5000, false, 0, true, MP_TLP_NO_LOSS},
    {"at-end-ambiguous", true, 5000, false, 0, false, MP_TLP_PENDING},
};

static void test_rack_tlp_verdict(gconstpointer data)
{
    const struct tlp_case *c = data;
    struct mp_rack rack;
    mp_rack_init(&rack);
    mp_rack_tlp_sent(&rack, 5000, c->is_retrans);
    struct mp_rtx_ack a = {.dsack = c->dsack, .dsack_block = {c->dsack_end - 1000, c->dsack_end}};
    g_assert_cmpint(mp_rack_tlp_on_ack(&rack, c->ack, &a, c->dupack_no_sack), ==, c->v);
    g_assert_cmpint(rack.tlp_pending, ==, c->v == MP_TLP_PENDING);
    /* No probe outstanding: always pending, nothing to conclude. */
    mp_rack_tlp_reset(&rack);
    g_assert_cmpint(mp_rack_tlp_on_ack(&rack, 9000, &a, false), ==, MP_TLP_PENDING);
}

/* ======================================================================== */

#define ADD_TABLE(prefix, arr, fn)                                                                 \
    for (size_t i_ = 0; i_ < G_N_ELEMENTS(arr); i_++) {                                            \
        char *p_ = g_strdup_printf("%s/%s", prefix, (arr)[i_].name);                               \
        g_test_add_data_func(p_, &(arr)[i_], fn);                                                  \
        g_free(p_);                                                                                \
    }

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ADD_TABLE("/tcp/seq/compare", seq_cases, test_seq_compare);
    g_test_add_func("/tcp/seq/ranges", test_seq_ranges);

    g_test_add_func("/tcp/sndbuf/append-peek", test_sndbuf_append_peek);
    g_test_add_func("/tcp/sndbuf/reserve", test_sndbuf_reserve);
    g_test_add_func("/tcp/sndbuf/ack", test_sndbuf_ack);
    g_test_add_func("/tcp/sndbuf/limit", test_sndbuf_limit);
    g_test_add_func("/tcp/sndbuf/pattern", test_sndbuf_pattern);
    g_test_add_func("/tcp/sndbuf/mixed", test_sndbuf_mixed);

    ADD_TABLE("/tcp/rtxq/cumulative", cum_cases, test_rtxq_cumulative);
    g_test_add_func("/tcp/rtxq/karn", test_rtxq_karn);
    ADD_TABLE("/tcp/rtxq/sack", sack_cases, test_rtxq_sack);
    g_test_add_func("/tcp/rtxq/sack-merge-ack", test_rtxq_sack_merge_and_ack);
    ADD_TABLE("/tcp/rtxq/rfc6675", r6675_cases, test_rtxq_6675);
    g_test_add_func("/tcp/rtxq/lost-marks", test_rtxq_lost_marks);
    g_test_add_func("/tcp/rtxq/meta", test_rtxq_meta);
    g_test_add_func("/tcp/rtxq/reordering", test_rtxq_reordering);
    g_test_add_func("/tcp/rtxq/rate", test_rtxq_rate);
    g_test_add_func("/tcp/rtxq/index", test_rtxq_index);
    g_test_add_func("/tcp/rtxq/random", test_rtxq_random);
    g_test_add_func("/tcp/rtxq/transfer", test_rtxq_transfer);
    g_test_add_func("/tcp/rtxq/bench", test_rtxq_bench);

    g_test_add_func("/tcp/reass/basic", test_reass_basic);
    ADD_TABLE("/tcp/reass/overlap", ovl_cases, test_reass_overlap);
    g_test_add_func("/tcp/reass/sack-order", test_reass_sack_order);
    g_test_add_func("/tcp/reass/dsack", test_reass_dsack);
    g_test_add_func("/tcp/reass/limit", test_reass_limit);
    g_test_add_func("/tcp/reass/random", test_reass_random);

    g_test_add_func("/tcp/rtt/rfc6298", test_rtt_rfc6298);
    ADD_TABLE("/tcp/rtt/floor", floor_cases, test_rtt_floor);
    g_test_add_func("/tcp/rtt/linux-var", test_rtt_linux_var);
    g_test_add_func("/tcp/rtt/backoff", test_rtt_backoff);
    g_test_add_func("/tcp/rtt/minmax", test_rtt_minmax);
    g_test_add_func("/tcp/rtt/timestamps", test_rtt_ts);

    g_test_add_func("/tcp/rack/reorder-vs-loss", test_rack_reorder_vs_loss);
    g_test_add_func("/tcp/rack/dupthresh", test_rack_dupthresh);
    g_test_add_func("/tcp/rack/lost-retransmission", test_rack_lost_retransmission);
    g_test_add_func("/tcp/rack/burst", test_rack_burst);
    g_test_add_func("/tcp/rack/dsack-window", test_rack_dsack_window);
    g_test_add_func("/tcp/rack/rto", test_rack_rto);
    ADD_TABLE("/tcp/rack/pto", pto_cases, test_rack_pto);
    g_test_add_func("/tcp/rack/tlp-probe", test_rack_tlp_probe);
    ADD_TABLE("/tcp/rack/tlp-verdict", tlp_cases, test_rack_tlp_verdict);

    return g_test_run();
}
