/* Tests of TCP congestion control: the registry, reno (RFC 5681), cubic
 * (RFC 9438) with its integer arithmetic, HyStart++ (RFC 9406), PRR
 * (RFC 6937) against the RFC's examples, and determinism of the traces. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "model/tcp/cc.h"
#include "model/tcp/prr.h"
#include "model/trace.h"

#define MSS 1460u

/* ---- helpers ---- */

static void init_cc(struct mp_cc_state *st, const char *name)
{
    g_assert_cmpint(mp_cc_init_by_name(st, name, MSS, NULL, 0), ==, 0);
}

/* One ACK of |acked| segments with the window in use. */
static void ack_n(struct mp_cc_state *st, uint32_t acked, int64_t rtt, mp_time_t now)
{
    struct mp_cc_ack a = {
        .acked = acked,
        .in_flight = st->cwnd,
        .rtt = rtt,
        .cwnd_limited = true,
    };
    mp_cc_on_ack(st, &a, now);
}

static uint64_t info_get(const struct mp_cc_state *st, const char *key)
{
    struct mp_cc_info info;
    mp_cc_get_info(st, &info);
    for (size_t i = 0; i < info.n; i++)
        if (!strcmp(info.f[i].key, key))
            return info.f[i].val;
    g_assert_not_reached();
    return 0;
}

/*
 * A bulk sender in segments: |una| and |nxt| count segments, each ACK
 * acknowledges one segment and the sender refills the window at once.
 * flow_flight() acknowledges everything sent so far (one "flight") with
 * RTT samples |rtt|, spreading the ACKs over one RTT.
 */
struct flow {
    struct mp_cc_state st;
    uint32_t una, nxt;
    mp_time_t now;
    GString *trace; /* if set, one record per ACK */
};

static void flow_init(struct flow *f, const char *name)
{
    memset(f, 0, sizeof(*f));
    init_cc(&f->st, name);
    f->nxt = f->st.cwnd;
}

static void flow_trace(struct flow *f)
{
    struct mp_trace_rec r;
    mp_trace_begin(&r, f->now, "h", "tcp.cc");
    mp_cc_trace_fields(&f->st, &r);
    mp_trace_close(&r);
    g_assert_false(r.overflow);
    g_string_append_len(f->trace, r.buf, (gssize)r.len);
    g_string_append_c(f->trace, '\n');
}

static void flow_flight(struct flow *f, mp_time_t rtt)
{
    uint32_t end = f->nxt;
    uint32_t n = end - f->una;
    for (uint32_t i = 0; i < n; i++) {
        struct mp_cc_ack a = {
            .acked = 1,
            .in_flight = f->nxt - f->una,
            .snd_una = f->una + 1,
            .snd_nxt = f->nxt,
            .rtt = (int64_t)rtt,
            .cwnd_limited = true,
        };
        f->una++;
        f->now += rtt / n;
        mp_cc_on_ack(&f->st, &a, f->now);
        if (f->una + f->st.cwnd > f->nxt)
            f->nxt = f->una + f->st.cwnd;
        if (f->trace)
            flow_trace(f);
    }
}

/* A loss detected by fast retransmit, recovered in one RTT with PRR
 * driving cwnd from RecoverFS to ssthresh (segments, no further loss). */
static void flow_loss(struct flow *f, mp_time_t rtt)
{
    uint32_t flight = f->nxt - f->una;
    mp_cc_enter_recovery(&f->st, MP_CC_RECOVERY, flight, f->now);
    struct mp_prr prr;
    mp_prr_init(&prr, f->st.prior_cwnd, f->st.ssthresh, 1, MP_PRR_SSRB);
    uint32_t pipe = flight - 1; /* one segment lost */
    for (uint32_t i = 0; i < flight - 1; i++) {
        pipe--;
        f->now += rtt / flight;
        uint64_t snd = mp_prr_on_ack(&prr, 1, pipe, true);
        f->st.cwnd = (uint32_t)mp_prr_cwnd(pipe, snd);
        mp_prr_on_send(&prr, snd);
        pipe += (uint32_t)snd;
        if (f->trace)
            flow_trace(f);
    }
    mp_cc_exit_recovery(&f->st, f->now);
    g_assert_cmpuint(f->st.cwnd, ==, f->st.ssthresh);
    f->una = f->nxt - pipe;
    if (f->una + f->st.cwnd > f->nxt)
        f->nxt = f->una + f->st.cwnd;
    if (f->trace)
        flow_trace(f);
}

/* ---- registry ---- */

static void test_registry_lookup(void)
{
    g_assert_true(mp_cc_lookup("reno") == &mp_cc_reno_ops);
    g_assert_true(mp_cc_lookup("cubic") == &mp_cc_cubic_ops);
    g_assert_null(mp_cc_lookup("bbr"));
    g_assert_null(mp_cc_lookup("Reno"));
    g_assert_null(mp_cc_lookup(""));
    g_assert_null(mp_cc_lookup(NULL));

    const char *const *names = mp_cc_names();
    size_t n = 0;
    for (; names[n]; n++) {
        const struct mp_cc_ops *ops = mp_cc_lookup(names[n]);
        g_assert_nonnull(ops);
        g_assert_cmpstr(ops->name, ==, names[n]);
        if (n > 0)
            g_assert_cmpint(strcmp(names[n - 1], names[n]), <, 0);
    }
    g_assert_cmpuint(n, ==, 2);
}

static void noop_init(struct mp_cc_state *st, mp_time_t now)
{
}

static void test_registry_init(void)
{
    struct mp_cc_state st;
    g_assert_cmpint(mp_cc_init_by_name(&st, "westwood", MSS, NULL, 0), ==, -ENOENT);
    g_assert_cmpint(mp_cc_init_by_name(&st, NULL, MSS, NULL, 0), ==, -ENOENT);
    g_assert_cmpint(mp_cc_init_by_name(&st, "reno", 0, NULL, 0), ==, -EINVAL);
    g_assert_cmpint(mp_cc_init(&st, NULL, MSS, NULL, 0), ==, -EINVAL);
    static const struct mp_cc_ops incomplete = {.name = "x", .init = noop_init};
    g_assert_cmpint(mp_cc_init(&st, &incomplete, MSS, NULL, 0), ==, -EINVAL);

    /* RFC 6928: IW 10; RFC 5681: ssthresh arbitrarily high. */
    int group_tag;
    struct mp_cc_group *group = (struct mp_cc_group *)&group_tag;
    g_assert_cmpint(mp_cc_init_by_name(&st, "cubic", MSS, group, MP_MS(5)), ==, 0);
    g_assert_true(st.ops == &mp_cc_cubic_ops);
    g_assert_true(st.group == group);
    g_assert_cmpuint(st.cwnd, ==, 10);
    g_assert_cmpuint(mp_cc_cwnd_bytes(&st), ==, 10 * MSS);
    g_assert_cmpuint(st.ssthresh, ==, MP_CC_INFINITE_SSTHRESH);
    g_assert_cmpint(st.ca_state, ==, MP_CC_OPEN);
    g_assert_true(mp_cc_in_slow_start(&st));
    mp_cc_release(&st);
    g_assert_null(st.ops);
}

/* ---- reno ---- */

static void test_reno_slow_start(void)
{
    struct mp_cc_state st;
    init_cc(&st, "reno");
    /* One segment of growth per segment acknowledged, ACK by ACK. */
    for (uint32_t i = 1; i <= 10; i++) {
        ack_n(&st, 1, -1, 0);
        g_assert_cmpuint(st.cwnd, ==, 10 + i);
    }
    /* Delayed ACKs: two segments per ACK, two segments of growth. */
    ack_n(&st, 2, -1, 0);
    g_assert_cmpuint(st.cwnd, ==, 22);
    /* A stretch ACK counts every segment (Linux: no L limit). */
    ack_n(&st, 5, -1, 0);
    g_assert_cmpuint(st.cwnd, ==, 27);
    /* Not cwnd-limited: no growth. */
    struct mp_cc_ack a = {.acked = 3, .in_flight = 5, .cwnd_limited = false};
    mp_cc_on_ack(&st, &a, 0);
    g_assert_cmpuint(st.cwnd, ==, 27);
    g_assert_cmpuint(st.in_flight, ==, 5);
    /* Slow start stops at ssthresh; the rest goes to the AI credit. */
    st.ssthresh = 29;
    ack_n(&st, 5, -1, 0);
    g_assert_cmpuint(st.cwnd, ==, 29);
    g_assert_cmpuint(st.cwnd_cnt, ==, 3);
    g_assert_false(mp_cc_in_slow_start(&st));
}

static void test_reno_cong_avoid(void)
{
    struct mp_cc_state st;
    init_cc(&st, "reno");
    st.cwnd = 20;
    st.ssthresh = 20;
    /* One cwnd of acknowledged segments adds exactly one segment, on the
     * ACK that completes it and not before. */
    for (uint32_t rtt = 0; rtt < 5; rtt++) {
        uint32_t w = st.cwnd;
        for (uint32_t i = 1; i < w; i++) {
            ack_n(&st, 1, -1, 0);
            g_assert_cmpuint(st.cwnd, ==, w);
        }
        ack_n(&st, 1, -1, 0);
        g_assert_cmpuint(st.cwnd, ==, w + 1);
        g_assert_cmpuint(st.cwnd_cnt, ==, 0);
    }
    g_assert_cmpuint(st.cwnd, ==, 25);
    /* With delayed ACKs, 13 ACKs of 2 = 26 segments: +1, credit 1. */
    for (int i = 0; i < 13; i++)
        ack_n(&st, 2, -1, 0);
    g_assert_cmpuint(st.cwnd, ==, 26);
    g_assert_cmpuint(st.cwnd_cnt, ==, 1);
}

static void test_reno_loss(void)
{
    struct mp_cc_state st;
    init_cc(&st, "reno");
    st.cwnd = 40;
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 41, MP_MS(1));
    /* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
    g_assert_cmpuint(st.ssthresh, ==, 20);
    g_assert_cmpuint(st.prior_cwnd, ==, 40);
    g_assert_cmpint(st.ca_state, ==, MP_CC_RECOVERY);
    /* No growth during recovery: PRR owns cwnd. */
    ack_n(&st, 1, -1, MP_MS(2));
    g_assert_cmpuint(st.cwnd, ==, 40);
    /* A second loss in the same recovery changes nothing. */
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 30, MP_MS(3));
    g_assert_cmpuint(st.ssthresh, ==, 20);
    mp_cc_exit_recovery(&st, MP_MS(4));
    g_assert_cmpuint(st.cwnd, ==, 20);
    g_assert_cmpint(st.ca_state, ==, MP_CC_OPEN);
    /* Small flights: never below 2 segments. */
    st.cwnd = 3;
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 3, MP_MS(5));
    g_assert_cmpuint(st.ssthresh, ==, 2);
    /* Undo after a spurious recovery restores the window. */
    g_assert_true(mp_cc_undo(&st, MP_MS(6)));
    g_assert_cmpuint(st.cwnd, ==, 3);
    g_assert_cmpuint(st.ssthresh, ==, 20);
    g_assert_false(mp_cc_undo(&st, MP_MS(6)));
}

static void test_reno_rto(void)
{
    struct mp_cc_state st;
    init_cc(&st, "reno");
    st.cwnd = 40;
    mp_cc_on_rto(&st, 40, false, MP_MS(1));
    g_assert_cmpuint(st.ssthresh, ==, 20);
    /* RFC 5681 3.1: loss window of one segment. */
    g_assert_cmpuint(st.cwnd, ==, 1);
    g_assert_cmpint(st.ca_state, ==, MP_CC_LOSS);
    /* A repeated timeout of the same episode does not halve again. */
    mp_cc_on_rto(&st, 1, false, MP_MS(2));
    g_assert_cmpuint(st.ssthresh, ==, 20);
    g_assert_cmpuint(st.cwnd, ==, 1);
    /* Slow start from the loss window, in the Loss state. */
    ack_n(&st, 1, -1, MP_MS(3));
    g_assert_cmpuint(st.cwnd, ==, 2);
    ack_n(&st, 2, -1, MP_MS(4));
    g_assert_cmpuint(st.cwnd, ==, 4);
    /* A timeout of a new episode does. */
    st.cwnd = 10;
    mp_cc_on_rto(&st, 9, true, MP_MS(5));
    g_assert_cmpuint(st.ssthresh, ==, 4);
    g_assert_cmpuint(st.cwnd, ==, 1);
}

/* ---- cubic arithmetic ---- */

/* floor(cbrt(x)), computed offline with exact integers (python3 binary
 * search on n^3 <= x). */
static const struct {
    uint64_t x;
    uint32_t root;
} cbrt_table[] = {
    {UINT64_C(0), 0},
    {UINT64_C(1), 1},
    {UINT64_C(2), 1},
    {UINT64_C(7), 1},
    {UINT64_C(8), 2},
    {UINT64_C(9), 2},
    {UINT64_C(26), 2},
    {UINT64_C(27), 3},
    {UINT64_C(28), 3},
    {UINT64_C(63), 3},
    {UINT64_C(64), 4},
    {UINT64_C(65), 4},
    {UINT64_C(999), 9},
    {UINT64_C(1000), 10},
    {UINT64_C(1001), 10},
    {UINT64_C(123456789), 497},
    {UINT64_C(4294967295), 1625},
    {UINT64_C(4294967296), 1625},
    {UINT64_C(1000000000000), 10000},
    {UINT64_C(1000000000001), 10000},
    {UINT64_C(999999999999), 9999},
    {UINT64_C(805306368000), 9303},
    {UINT64_C(9007199254740992), 208063},
    {UINT64_C(1152921504606846976), 1048576},
    {UINT64_C(9223372036854775807), 2097151},
    {UINT64_C(9223372036854775808), 2097152},
    {UINT64_C(18446724184312856124), 2642244},
    {UINT64_C(18446724184312856125), 2642245},
    {UINT64_C(18446744073709551615), 2642245},
    {UINT64_C(12345678901234567890), 2311204},
};

static void test_cubic_root(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cbrt_table); i++)
        g_assert_cmpuint(mp_cc_cubic_root(cbrt_table[i].x), ==, cbrt_table[i].root);

    /* Exact and monotone over every small value... */
    uint32_t prev = 0;
    for (uint64_t x = 0; x < (1u << 20); x++) {
        uint64_t y = mp_cc_cubic_root(x);
        g_assert_cmpuint(y * y * y, <=, x);
        g_assert_cmpuint((y + 1) * (y + 1) * (y + 1), >, x);
        g_assert_cmpuint(y, >=, prev);
        prev = (uint32_t)y;
    }
    /* ...around every cube up to the largest 64-bit one... */
    for (uint64_t n = 2; n <= 2642245; n += 997) {
        uint64_t c = n * n * n;
        g_assert_cmpuint(mp_cc_cubic_root(c - 1), ==, n - 1);
        g_assert_cmpuint(mp_cc_cubic_root(c), ==, n);
        g_assert_cmpuint(mp_cc_cubic_root(c + 1), ==, n);
    }
    /* ...and over an increasing walk through the whole range. */
    prev = 0;
    for (uint64_t x = 1; x < UINT64_MAX / 3; x = x * 3 + 1) {
        uint64_t y = mp_cc_cubic_root(x);
        g_assert_cmpuint(y * y * y, <=, x);
        g_assert_true(y == 2642245 || (y + 1) * (y + 1) * (y + 1) > x);
        g_assert_cmpuint(y, >=, prev);
        prev = (uint32_t)y;
    }
}

static void test_cubic_k(void)
{
    /* K = cbrt((W_max - cwnd) / 0.4) in 2^-10 s, rounded down (python3:
     * icbrt((W_max - cwnd) * 5 * 2^29)); the real K in ns alongside. */
    static const struct {
        uint32_t w_max, cwnd, k;
        uint64_t exact_ns;
    } t[] = {
        {1000, 700, 9303, UINT64_C(9085602964)},
        {100, 70, 4318, UINT64_C(4217163326)},
        {64000, 44812, 37206, UINT64_C(36334838942)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        uint32_t k = mp_cc_cubic_k(t[i].w_max, t[i].cwnd);
        g_assert_cmpuint(k, ==, t[i].k);
        uint64_t k_ns = (uint64_t)k * 1000000000u >> 10;
        /* Rounded down by less than one unit (977 us). */
        g_assert_cmpuint(k_ns, <=, t[i].exact_ns);
        g_assert_cmpuint(t[i].exact_ns - k_ns, <, UINT64_C(976563));
    }
    g_assert_cmpuint(mp_cc_cubic_k(700, 1000), ==, 0);
    g_assert_cmpuint(mp_cc_cubic_k(700, 700), ==, 0);
    /* The largest possible gap still fits. */
    g_assert_cmpuint(mp_cc_cubic_k(UINT32_MAX, 0), ==, 2259088);
}

static void test_cubic_w(void)
{
    /* W_cubic(t) = C (t - K)^3 + W_max with C = 0.4, t in 2^-10 s units and
     * K from mp_cc_cubic_k(): expected integers computed offline with
     * python3; "exact_milli" is the real-valued RFC 9438 formula (real K,
     * real t) in thousandths of a segment, rounded down. */
    static const struct {
        uint32_t w_max, cwnd;
        uint64_t t_ns;
        uint32_t w;
        int64_t exact_milli;
    } t[] = {
        {1000, 700, UINT64_C(0), 701, INT64_C(700000)},
        {1000, 700, UINT64_C(250000000), 725, INT64_C(724089)},
        {1000, 700, UINT64_C(1000000000), 789, INT64_C(788555)},
        {1000, 700, UINT64_C(3333333333), 924, INT64_C(923866)},
        {1000, 700, UINT64_C(9085602964), 1000, INT64_C(999999)},
        {1000, 700, UINT64_C(12000000000), 1009, INT64_C(1009901)},
        {1000, 700, UINT64_C(20000000000), 1520, INT64_C(1520066)},
        {1000, 700, UINT64_C(40000000000), 12818, INT64_C(12817955)},
        {64000, 44812, UINT64_C(0), 44814, INT64_C(44812000)},
        {64000, 44812, UINT64_C(250000000), 45207, INT64_C(45205347)},
        {64000, 44812, UINT64_C(1000000000), 46355, INT64_C(46353062)},
        {64000, 44812, UINT64_C(3333333333), 49624, INT64_C(49623232)},
        {64000, 44812, UINT64_C(36334838942), 64000, INT64_C(63999999)},
        {64000, 44812, UINT64_C(12000000000), 58237, INT64_C(58235715)},
        {64000, 44812, UINT64_C(20000000000), 62257, INT64_C(62256569)},
        {64000, 44812, UINT64_C(40000000000), 64019, INT64_C(64019694)},
        {20, 14, UINT64_C(0), 15, INT64_C(14000)},
        {20, 14, UINT64_C(250000000), 16, INT64_C(15645)},
        {20, 14, UINT64_C(1000000000), 19, INT64_C(18739)},
        {20, 14, UINT64_C(2466212074), 20, INT64_C(19999)},
        {20, 14, UINT64_C(3333333333), 20, INT64_C(20260)},
        {20, 14, UINT64_C(12000000000), 366, INT64_C(366622)},
        {20, 14, UINT64_C(20000000000), 2176, INT64_C(2176191)},
        {20, 14, UINT64_C(40000000000), 21171, INT64_C(21170818)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        uint32_t k = mp_cc_cubic_k(t[i].w_max, t[i].cwnd);
        uint32_t w = mp_cc_cubic_w(t[i].w_max, k, t[i].t_ns);
        g_assert_cmpuint(w, ==, t[i].w);
        /* K rounded down by < 1 ms moves the curve by at most W'(t) * 1 ms
         * (under 2 segments here) plus the rounding of the result. */
        int64_t err = (int64_t)w * 1000 - t[i].exact_milli;
        g_assert_cmpint(err, >=, -2000);
        g_assert_cmpint(err, <=, 2000);
    }
    /* Monotone in t, below and above K. */
    uint32_t k = mp_cc_cubic_k(1000, 700), prev = 0;
    for (mp_time_t tt = 0; tt < MP_S(30); tt += MP_MS(7)) {
        uint32_t w = mp_cc_cubic_w(1000, k, tt);
        g_assert_cmpuint(w, >=, prev);
        prev = w;
    }
    /* Far beyond K, |t - K| is capped at 2^20 units instead of wrapping:
     * 0.4 * 1024^3 = 429496729 segments above the origin. */
    g_assert_cmpuint(mp_cc_cubic_w(1000, k, MP_S(100000)), ==, 1000 + 429496729);
    g_assert_cmpuint(mp_cc_cubic_w(UINT32_MAX - 5, 0, MP_S(2000)), ==, UINT32_MAX);
    g_assert_cmpuint(mp_cc_cubic_w(5, 100000, 0), ==, 0);
}

/* ---- cubic behaviour ---- */

static void test_cubic_loss(void)
{
    struct mp_cc_state st;
    init_cc(&st, "cubic");
    st.cwnd = 1000;
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 1000, MP_S(1));
    /* RFC 9438 4.6: ssthresh = cwnd * 0.7 (717/1024). */
    g_assert_cmpuint(st.ssthresh, ==, 700);
    g_assert_cmpuint(info_get(&st, "w_max"), ==, 1000);
    mp_cc_exit_recovery(&st, MP_S(1));
    g_assert_cmpuint(st.cwnd, ==, 700);

    /* RFC 9438 4.7 fast convergence: a loss below W_max remembers
     * W_max = cwnd * (1 + beta) / 2 = 900 * 1741 / 2048. */
    st.cwnd = 900;
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 900, MP_S(2));
    g_assert_cmpuint(info_get(&st, "w_max"), ==, 765);
    g_assert_cmpuint(st.ssthresh, ==, 630);
    mp_cc_exit_recovery(&st, MP_S(2));
    /* A loss above W_max takes cwnd as the new W_max. */
    st.cwnd = 800;
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 800, MP_S(3));
    g_assert_cmpuint(info_get(&st, "w_max"), ==, 800);
    g_assert_cmpuint(st.ssthresh, ==, 560);
    mp_cc_exit_recovery(&st, MP_S(3));
    /* Never below 2. */
    st.cwnd = 2;
    mp_cc_enter_recovery(&st, MP_CC_RECOVERY, 2, MP_S(4));
    g_assert_cmpuint(st.ssthresh, ==, 2);
    /* Undo brings back the window before the reduction. */
    g_assert_true(mp_cc_undo(&st, MP_S(4)));
    g_assert_cmpuint(st.cwnd, ==, 2);
    g_assert_cmpuint(st.ssthresh, ==, 560);
}

/* A large BDP (100 ms RTT, W_max 1000): after the loss cwnd follows the
 * cubic curve, concave up to W_max near t = K, then convex. */
static void test_cubic_curve(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    f.st.cwnd = 1000;
    f.st.ssthresh = 1000;
    f.nxt = 1000;
    f.now = MP_S(1);
    const mp_time_t rtt = MP_MS(100);
    flow_flight(&f, rtt); /* gives cubic its min RTT */
    uint32_t before = f.st.cwnd;
    g_assert_cmpuint(before, >=, 1000);
    flow_loss(&f, rtt);
    g_assert_cmpuint(f.st.cwnd, ==, before * 717 / 1024);
    mp_time_t epoch = f.now;
    uint32_t k = mp_cc_cubic_k(before, f.st.cwnd);

    uint32_t last = f.st.cwnd;
    int flights = 0;
    while (f.now - epoch < MP_S(20)) {
        flow_flight(&f, rtt);
        flights++;
        /* Never more than 1.5x per RTT, never shrinking. */
        g_assert_cmpuint(f.st.cwnd, >=, last);
        g_assert_cmpuint(f.st.cwnd, <=, last + last / 2 + 1);
        last = f.st.cwnd;
        mp_time_t t = f.now - epoch;
        /* cwnd tracks W_cubic(t + RTT) (the target one RTT ahead) to
         * within the growth of one RTT. */
        uint32_t lo = mp_cc_cubic_w(before, k, t > rtt ? t - rtt : 0);
        uint32_t hi = mp_cc_cubic_w(before, k, t + 2 * rtt);
        g_assert_cmpuint(f.st.cwnd + 2, >=, lo);
        g_assert_cmpuint(f.st.cwnd, <=, hi + 2);
        if (t >= MP_S(8) && t <= MP_S(10)) {
            /* the plateau around K = 9.08 s */
            g_assert_cmpuint(f.st.cwnd, >=, before - 5);
            g_assert_cmpuint(f.st.cwnd, <=, before + 5);
        }
    }
    g_assert_cmpint(flights, >, 150);
    g_assert_cmpuint(f.st.cwnd, >, before + 400); /* convex probing by 20 s */
    g_assert_cmpuint(info_get(&f.st, "k_ns"), ==, (uint64_t)k * 1000000000u >> 10);
    g_assert_cmpuint(info_get(&f.st, "origin"), ==, before);
    g_assert_cmpuint(info_get(&f.st, "epoch_ns"), >=, epoch);
    g_assert_cmpuint(info_get(&f.st, "min_rtt_ns"), ==, rtt);
}

/* A small BDP (40 ms RTT, W_max 20): K is 2.47 s, so over 40 RTTs (1.6 s)
 * the cubic curve stays below W_max while the Reno-friendly estimate
 * (8/15 segment per RTT, RFC 9438 4.3's alpha) sets the pace. (With an RTT
 * under Linux's 1 ms tick the curve is re-evaluated once per tick and grows
 * in bursts, as Linux's does; this RTT keeps to the smooth case.) */
static void test_cubic_reno_friendly(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    f.st.cwnd = 20;
    f.st.ssthresh = 20;
    f.nxt = 20;
    f.now = MP_S(1);
    const mp_time_t rtt = MP_MS(40);
    flow_flight(&f, rtt);
    uint32_t before = f.st.cwnd;
    flow_loss(&f, rtt);
    mp_time_t epoch = f.now;
    uint32_t start = f.st.cwnd;
    g_assert_cmpuint(start, ==, before * 717 / 1024);
    uint32_t k = mp_cc_cubic_k(before, start);
    for (int i = 0; i < 40; i++) {
        flow_flight(&f, rtt);
        /* cwnd follows W_est, not the curve */
        g_assert_cmpuint(info_get(&f.st, "w_est") + 1, >=, f.st.cwnd);
        g_assert_cmpuint(info_get(&f.st, "w_est"), <=, f.st.cwnd + 1);
    }
    uint32_t cubic_only = mp_cc_cubic_w(before, k, f.now - epoch + rtt);
    g_assert_cmpuint(cubic_only, <=, before);
    /* Reno with beta 0.7 gains 40 * 8/15 = 21 segments in 40 RTTs. */
    g_assert_cmpuint(f.st.cwnd, >=, start + 18);
    g_assert_cmpuint(f.st.cwnd, <=, start + 24);
    g_assert_cmpuint(f.st.cwnd, >, cubic_only + 10);
}

/* RFC 9438 5.8: an idle period shifts the epoch instead of counting as
 * growth time. */
static void test_cubic_idle(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    f.st.cwnd = 100;
    f.st.ssthresh = 100;
    f.nxt = 100;
    f.now = MP_S(1);
    flow_flight(&f, MP_MS(50));
    flow_loss(&f, MP_MS(50));
    flow_flight(&f, MP_MS(50));
    uint64_t epoch = info_get(&f.st, "epoch_ns");
    f.st.last_send = f.now;
    f.now += MP_S(3);
    mp_cc_event(&f.st, MP_CC_EV_TX_START, f.now);
    g_assert_cmpuint(info_get(&f.st, "epoch_ns"), ==, epoch + MP_S(3));

    /* Without the shift (20 s unannounced), the curve is far ahead of
     * cwnd: growth is capped at one segment per two ACKed (1.5x per RTT,
     * RFC 9438 4.4's target <= 1.5 cwnd). */
    f.now += MP_S(20);
    uint32_t w = f.st.cwnd;
    flow_flight(&f, MP_MS(50));
    g_assert_cmpuint(f.st.cwnd, >=, w + w / 2);
    g_assert_cmpuint(f.st.cwnd, <=, w + w / 2 + 1); /* + the AI credit carried in */
}

static void test_cubic_rto(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    f.now = MP_S(1);
    for (int i = 0; i < 3; i++)
        flow_flight(&f, MP_MS(20));
    uint32_t cwnd = f.st.cwnd;
    mp_cc_on_rto(&f.st, f.nxt - f.una, false, f.now);
    g_assert_cmpuint(f.st.cwnd, ==, 1);
    g_assert_cmpuint(f.st.ssthresh, ==, cwnd * 717 / 1024);
    /* The curve is forgotten (Linux's reset on the Loss state). */
    g_assert_cmpuint(info_get(&f.st, "w_max"), ==, 0);
    g_assert_cmpuint(info_get(&f.st, "min_rtt_ns"), ==, 0);
    /* Standard slow start afterwards (HyStart++ is for the initial one). */
    ack_n(&f.st, 3, MP_MS(20), f.now + 1);
    g_assert_cmpuint(f.st.cwnd, ==, 4);
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, 2);
}

/* ---- HyStart++ ---- */

enum { HS_SS = 0, HS_CSS = 1, HS_DONE = 2 };

/* A flow in slow start whose per-round min RTT steps from |base| to
 * base + |rise| after three rounds. */
struct hs_case {
    mp_time_t base, rise;
    bool css; /* expected: the rise enters CSS */
};

static void test_hystart_threshold(gconstpointer data)
{
    const struct hs_case *c = data;
    struct flow f;
    flow_init(&f, "cubic");
    for (int i = 0; i < 3; i++) {
        uint32_t w = f.st.cwnd;
        flow_flight(&f, c->base);
        g_assert_cmpuint(f.st.cwnd, ==, 2 * w); /* standard slow start */
        g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_SS);
    }
    flow_flight(&f, c->base + c->rise);
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, c->css ? HS_CSS : HS_SS);
    g_assert_cmpuint(f.st.ssthresh, ==, MP_CC_INFINITE_SSTHRESH);
}

static const struct hs_case hs_cases[] = {
    /* RttThresh = max(4 ms, min(lastRoundMinRTT / 8, 16 ms)) */
    {MP_MS(100), MP_US(12499), false}, {MP_MS(100), MP_US(12500), true},
    {MP_MS(10), MP_US(3999), false},   {MP_MS(10), MP_MS(4), true},
    {MP_MS(200), MP_US(15999), false}, {MP_MS(200), MP_MS(16), true},
    {MP_MS(200), MP_MS(24), true},
};

/* Jitter below the threshold, round after round: no exit. */
static void test_hystart_jitter(void)
{
    static const mp_time_t rtts[] = {MP_MS(100), MP_MS(108), MP_MS(104), MP_MS(112),
                                     MP_MS(100), MP_MS(111), MP_MS(103)};
    struct flow f;
    flow_init(&f, "cubic");
    for (size_t i = 0; i < G_N_ELEMENTS(rtts); i++) {
        uint32_t w = f.st.cwnd;
        flow_flight(&f, rtts[i]);
        g_assert_cmpuint(f.st.cwnd, ==, 2 * w);
        g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_SS);
    }
    g_assert_cmpuint(f.st.cwnd, ==, 10u << G_N_ELEMENTS(rtts));
}

/* A delay rise enters CSS: growth slows to a quarter, and after CSS_ROUNDS
 * rounds (the partial first one included) ssthresh = cwnd ends slow
 * start. */
static void test_hystart_css(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    for (int i = 0; i < 3; i++)
        flow_flight(&f, MP_MS(50));
    flow_flight(&f, MP_MS(60));
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_CSS);
    g_assert_true(mp_cc_in_slow_start(&f.st));

    int rounds = 0;
    while (info_get(&f.st, "hystart") == HS_CSS) {
        uint32_t w = f.st.cwnd, n = f.nxt - f.una;
        flow_flight(&f, MP_MS(60));
        rounds++;
        g_assert_cmpint(rounds, <=, 5);
        if (info_get(&f.st, "hystart") == HS_CSS) {
            /* CSS_GROWTH_DIVISOR 4: a quarter of the ACKed segments. */
            g_assert_cmpuint(f.st.cwnd - w, >=, n / 4 - 1);
            g_assert_cmpuint(f.st.cwnd - w, <=, n / 4 + 1);
        }
    }
    /* Rounds end a few ACKs into each flight (when the first segment sent
     * in the round is acknowledged). The partial round in which CSS began
     * is the first of CSS_ROUNDS = 5, so the fifth ends early in the fifth
     * flight after the rise (without the partial round it would take a
     * sixth). */
    g_assert_cmpint(rounds, ==, 5);
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_DONE);
    g_assert_false(mp_cc_in_slow_start(&f.st));
    g_assert_cmpuint(f.st.ssthresh, <=, f.st.cwnd);
    /* Now congestion avoidance: with no W_max yet, at most 5% per RTT. */
    uint32_t w = f.st.cwnd;
    flow_flight(&f, MP_MS(60));
    g_assert_cmpuint(f.st.cwnd, >, w);
    g_assert_cmpuint(f.st.cwnd, <=, w + w / 20 + 1);
}

/* A min RTT back below the CSS baseline means the exit was spurious:
 * back to slow start, with HyStart++ still watching. */
static void test_hystart_css_spurious(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    for (int i = 0; i < 3; i++)
        flow_flight(&f, MP_MS(50));
    flow_flight(&f, MP_MS(60));
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_CSS);
    flow_flight(&f, MP_MS(59));
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_SS);
    uint32_t w = f.st.cwnd;
    flow_flight(&f, MP_MS(59));
    g_assert_cmpuint(f.st.cwnd, >=, 2 * w - 2);
    /* and a later rise is caught again */
    flow_flight(&f, MP_MS(80));
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_CSS);
}

/* A loss during slow start or CSS ends HyStart++ (RFC 9406 4.2). */
static void test_hystart_loss(void)
{
    struct flow f;
    flow_init(&f, "cubic");
    for (int i = 0; i < 3; i++)
        flow_flight(&f, MP_MS(50));
    flow_flight(&f, MP_MS(60));
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_CSS);
    flow_loss(&f, MP_MS(60));
    g_assert_cmpuint(info_get(&f.st, "hystart"), ==, HS_DONE);
    g_assert_false(mp_cc_in_slow_start(&f.st));
}

/* Paced senders have no L limit; others grow at most 8 per ACK. */
static void test_hystart_l(void)
{
    struct mp_cc_state st;
    init_cc(&st, "cubic");
    ack_n(&st, 20, MP_MS(10), MP_MS(10));
    g_assert_cmpuint(st.cwnd, ==, 18);
    st.paced = true;
    ack_n(&st, 20, MP_MS(10), MP_MS(11));
    g_assert_cmpuint(st.cwnd, ==, 38);
}

/* ---- PRR: RFC 6937 3.1's examples, in segments ---- */

/*
 * The scoreboard of the examples: segments 0..19 in flight (cwnd =
 * FlightSize = pipe = 20, ssthresh 10 at recovery), |lost| leading
 * segments dropped, one ACK (a SACK) per later segment. The first two
 * duplicate ACKs send new data by Limited Transmit (RFC 3042), the third
 * starts recovery and marks the holes lost (RFC 6675). pipe = segments
 * sent and neither SACKed nor lost, plus retransmissions.
 */
struct board {
    uint32_t nxt, sacked, lost, rexmit;
};

static uint32_t board_pipe(const struct board *b)
{
    return b->nxt - b->sacked - b->lost + b->rexmit;
}

static void board_send(struct board *b, uint32_t n, uint32_t *r, uint32_t *nw)
{
    /* Retransmit holes first, then new data. */
    for (; n > 0; n--) {
        if (b->rexmit < b->lost) {
            b->rexmit++;
            (*r)++;
        } else {
            b->nxt++;
            (*nw)++;
        }
    }
}

struct prr_run {
    uint32_t pipe_before[20], pipe_after[20], sent[20], rexmit[20], rb[20];
};

static void run_example(uint32_t lost, enum mp_prr_bound bound, struct prr_run *out)
{
    struct board b = {.nxt = 20};
    struct mp_prr prr;
    bool recovery = false;
    memset(out, 0, sizeof(*out));
    for (uint32_t k = lost; k < 20; k++) {
        uint32_t r = 0, nw = 0;
        b.sacked++;
        uint32_t dupacks = k - lost + 1;
        if (dupacks == 3) {
            /* Linux's RecoverFS, the cwnd at entry: the example's 20. */
            mp_prr_init(&prr, 20, 10, 1, bound);
            b.lost = lost;
            recovery = true;
        }
        out->pipe_before[k] = board_pipe(&b);
        if (!recovery) {
            board_send(&b, 1, &r, &nw); /* Limited Transmit */
        } else {
            uint64_t sndcnt = mp_prr_on_ack(&prr, 1, board_pipe(&b), false);
            board_send(&b, (uint32_t)sndcnt, &r, &nw);
            mp_prr_on_send(&prr, sndcnt);
            out->rb[k] = prr.last_rb;
        }
        out->sent[k] = r + nw;
        out->rexmit[k] = r;
        out->pipe_after[k] = board_pipe(&b);
    }
}

static void test_prr_single_loss(gconstpointer data)
{
    enum mp_prr_bound bound = GPOINTER_TO_INT(data);
    struct prr_run run;
    run_example(1, bound, &run);
    /* RFC 6937 3.1, "PRR" (either bound: a single loss never reaches the
     * reduction bound before the end):
     *   ack#   X  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19
     *   pipe:    19 19 18 18 18 17 17 16 16 15 15 14 14 13 13 12 12 11 10
     * The pipe row gives the value before sending for ACKs 1-3 and after
     * sending from ACK 4 on; both are checked. The diagram's sent row puts
     * the last two transmissions on ACKs 18 and 19, which its own pipe row
     * contradicts (pipe 12 after ACK 17 needs a send there, and 10 after
     * ACK 19 allows only 8 segments in recovery): the formula sends one
     * segment on every second ACK, 3 to 17, and reaches pipe = ssthresh. */
    static const uint32_t pipe_row[20] = {0,  19, 19, 18, 18, 18, 17, 17, 16, 16,
                                          15, 15, 14, 14, 13, 13, 12, 12, 11, 10};
    for (uint32_t k = 1; k < 20; k++) {
        if (k <= 3)
            g_assert_cmpuint(run.pipe_before[k], ==, pipe_row[k]);
        else
            g_assert_cmpuint(run.pipe_after[k], ==, pipe_row[k]);
    }
    uint32_t total = 0;
    for (uint32_t k = 1; k < 20; k++) {
        uint32_t expect = k <= 2 || (k % 2 == 1 && k <= 17) ? 1 : 0;
        g_assert_cmpuint(run.sent[k], ==, expect);
        if (k >= 3)
            total += run.sent[k];
    }
    g_assert_cmpuint(run.rexmit[3], ==, 1); /* the fast retransmit */
    g_assert_cmpuint(total, ==, 8);
    g_assert_cmpuint(run.pipe_after[19], ==, 10); /* = ssthresh */
    for (uint32_t k = 3; k < 19; k++)
        g_assert_cmpuint(run.rb[k] & ~(uint32_t)MP_PRR_RB_FORCED, ==, MP_PRR_RB_PROP);
    g_assert_cmpuint(run.rb[19], ==, MP_PRR_RB_S); /* "s": ssthresh - pipe */
}

static void test_prr_burst_crb(void)
{
    struct prr_run run;
    run_example(15, MP_PRR_CRB, &run);
    /* RFC 6937 3.1, "PRR-CRB" with segments 0-14 lost:
     *   ack#   ... 15 16 17 18 19
     *   pipe:      19 19  4  4  4
     *   sent:       N  N  R  R  R
     *   RB:               b  b  b                                      */
    static const uint32_t pipe[] = {19, 19, 4, 4, 4};
    static const uint32_t sent[] = {1, 1, 1, 1, 1};
    static const uint32_t rexmit[] = {0, 0, 1, 1, 1};
    for (uint32_t i = 0; i < 5; i++) {
        g_assert_cmpuint(run.pipe_before[15 + i], ==, pipe[i]);
        g_assert_cmpuint(run.sent[15 + i], ==, sent[i]);
        g_assert_cmpuint(run.rexmit[15 + i], ==, rexmit[i]);
    }
    for (uint32_t k = 17; k < 20; k++)
        g_assert_cmpuint(run.rb[k] & ~(uint32_t)MP_PRR_RB_FORCED, ==, MP_PRR_RB_B);
}

static void test_prr_burst_ssrb(void)
{
    struct prr_run run;
    run_example(15, MP_PRR_SSRB, &run);
    /* RFC 6937 3.1, "PRR-SSRB" with segments 0-14 lost:
     *   ack#   ... 15 16 17 18 19
     *   pipe:      19 19  4  5  6
     *   sent:       N  N 2R 2R 2R
     *   RB:              bd  d  d                                      */
    static const uint32_t pipe[] = {19, 19, 4, 5, 6};
    static const uint32_t sent[] = {1, 1, 2, 2, 2};
    static const uint32_t rexmit[] = {0, 0, 2, 2, 2};
    static const uint32_t rb[] = {0, 0, MP_PRR_RB_B | MP_PRR_RB_D, MP_PRR_RB_D, MP_PRR_RB_D};
    for (uint32_t i = 0; i < 5; i++) {
        g_assert_cmpuint(run.pipe_before[15 + i], ==, pipe[i]);
        g_assert_cmpuint(run.sent[15 + i], ==, sent[i]);
        g_assert_cmpuint(run.rexmit[15 + i], ==, rexmit[i]);
        g_assert_cmpuint(run.rb[15 + i], ==, rb[i]);
    }
}

/* The arithmetic in bytes, as the RFC writes it, and the Linux bound. */
static void test_prr_bytes(void)
{
    struct mp_prr p;
    mp_prr_init(&p, 20 * MSS, 10 * MSS, MSS, MP_PRR_SSRB);
    /* CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out: half an MSS
     * per MSS delivered; the first ACK is raised to one MSS for the fast
     * retransmit. */
    g_assert_cmpuint(mp_prr_on_ack(&p, MSS, 18 * MSS, false), ==, MSS);
    g_assert_cmpuint(p.last_rb, ==, MP_PRR_RB_PROP | MP_PRR_RB_FORCED);
    mp_prr_on_send(&p, MSS);
    g_assert_cmpuint(mp_prr_on_ack(&p, MSS, 17 * MSS, false), ==, 0);
    g_assert_cmpuint(mp_prr_on_ack(&p, MSS, 16 * MSS, false), ==, MSS / 2);
    /* Unsent credit carries over; a partial segment counts by bytes. */
    g_assert_cmpuint(mp_prr_on_ack(&p, 100, 15 * MSS, false), ==, MSS / 2 + 50);
    g_assert_cmpuint(p.prr_delivered, ==, 3 * MSS + 100);
    mp_prr_on_send(&p, MSS);
    g_assert_cmpuint(mp_prr_on_ack(&p, 1, 15 * MSS, false), ==, 0);
    g_assert_cmpuint(mp_prr_exit(&p), ==, 10 * MSS);
    g_assert_cmpuint(mp_prr_cwnd(15 * MSS, 50), ==, 15 * MSS + 50);

    /* Linux's bound: + SMSS only on a safe ACK. */
    mp_prr_init(&p, 20, 10, 1, MP_PRR_SAFE_ACK);
    mp_prr_on_send(&p, 1); /* the fast retransmit already went out */
    g_assert_cmpuint(mp_prr_on_ack(&p, 1, 4, false), ==, 1);
    g_assert_cmpuint(p.last_rb, ==, MP_PRR_RB_D);
    g_assert_cmpuint(mp_prr_on_ack(&p, 1, 4, true), ==, 2);
    /* CRB never goes beyond what was delivered: banked credit negative. */
    mp_prr_init(&p, 20, 10, 1, MP_PRR_CRB);
    mp_prr_on_send(&p, 5);
    g_assert_cmpuint(mp_prr_on_ack(&p, 1, 4, false), ==, 0);
    /* The first ACK always lets the fast retransmit out. */
    mp_prr_init(&p, 100, 2, 1, MP_PRR_CRB);
    g_assert_cmpuint(mp_prr_on_ack(&p, 0, 50, false), ==, 1);
    g_assert_true(p.last_rb & MP_PRR_RB_FORCED);
    /* Room is the limit when pipe is just below ssthresh. */
    mp_prr_init(&p, 20, 10, 1, MP_PRR_SSRB);
    mp_prr_on_send(&p, 1);
    g_assert_cmpuint(mp_prr_on_ack(&p, 5, 9, false), ==, 1);
    g_assert_cmpuint(p.last_rb, ==, MP_PRR_RB_S);
}

/* ---- determinism ---- */

static void run_scenario(struct flow *f, const char *name)
{
    f->now = MP_MS(3);
    for (int i = 0; i < 4; i++)
        flow_flight(f, MP_MS(30));
    flow_flight(f, MP_MS(40)); /* HyStart++ (cubic) */
    for (int i = 0; i < 3; i++)
        flow_flight(f, MP_MS(40));
    flow_loss(f, MP_MS(40));
    for (int i = 0; i < 20; i++)
        flow_flight(f, MP_MS(35) + (mp_time_t)i * MP_US(250));
    mp_cc_on_rto(&f->st, f->nxt - f->una, false, f->now + MP_MS(200));
    f->una = f->nxt;
    f->nxt = f->una + f->st.cwnd;
    for (int i = 0; i < 8; i++)
        flow_flight(f, MP_MS(35));
}

static void test_determinism(void)
{
    const char *algs[] = {"reno", "cubic"};
    GString *out[2];
    for (size_t a = 0; a < 2; a++) {
        GString *t1 = g_string_new(NULL), *t2 = g_string_new(NULL);
        /* One state on the stack, one on a heap filled with garbage. */
        struct flow f1;
        struct flow *f2 = g_malloc(sizeof(*f2));
        memset(f2, 0xa5, sizeof(*f2));
        flow_init(&f1, algs[a]);
        flow_init(f2, algs[a]);
        f1.trace = t1;
        f2->trace = t2;
        run_scenario(&f1, algs[a]);
        run_scenario(f2, algs[a]);
        g_assert_cmpuint(t1->len, >, 10000);
        g_assert_cmpuint(t1->len, ==, t2->len);
        g_assert_true(memcmp(t1->str, t2->str, t1->len) == 0);
        g_assert_nonnull(strstr(t1->str, algs[a]));
        g_assert_nonnull(strstr(t1->str, "\"ca\":\"recovery\""));
        g_assert_nonnull(strstr(t1->str, "\"ca\":\"loss\""));
        out[a] = t1;
        g_string_free(t2, TRUE);
        g_free(f2);
    }
    g_assert_nonnull(strstr(out[1]->str, "\"w_max\":"));
    g_assert_false(g_string_equal(out[0], out[1]));
    g_string_free(out[0], TRUE);
    g_string_free(out[1], TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tcp/cc/registry/lookup", test_registry_lookup);
    g_test_add_func("/tcp/cc/registry/init", test_registry_init);
    g_test_add_func("/tcp/cc/reno/slow-start", test_reno_slow_start);
    g_test_add_func("/tcp/cc/reno/cong-avoid", test_reno_cong_avoid);
    g_test_add_func("/tcp/cc/reno/loss", test_reno_loss);
    g_test_add_func("/tcp/cc/reno/rto", test_reno_rto);
    g_test_add_func("/tcp/cc/cubic/root", test_cubic_root);
    g_test_add_func("/tcp/cc/cubic/k", test_cubic_k);
    g_test_add_func("/tcp/cc/cubic/w", test_cubic_w);
    g_test_add_func("/tcp/cc/cubic/loss", test_cubic_loss);
    g_test_add_func("/tcp/cc/cubic/curve", test_cubic_curve);
    g_test_add_func("/tcp/cc/cubic/reno-friendly", test_cubic_reno_friendly);
    g_test_add_func("/tcp/cc/cubic/idle", test_cubic_idle);
    g_test_add_func("/tcp/cc/cubic/rto", test_cubic_rto);
    for (size_t i = 0; i < G_N_ELEMENTS(hs_cases); i++) {
        char *path = g_strdup_printf("/tcp/cc/hystart/threshold/%zu", i);
        g_test_add_data_func(path, &hs_cases[i], test_hystart_threshold);
        g_free(path);
    }
    g_test_add_func("/tcp/cc/hystart/jitter", test_hystart_jitter);
    g_test_add_func("/tcp/cc/hystart/css", test_hystart_css);
    g_test_add_func("/tcp/cc/hystart/css-spurious", test_hystart_css_spurious);
    g_test_add_func("/tcp/cc/hystart/loss", test_hystart_loss);
    g_test_add_func("/tcp/cc/hystart/l-limit", test_hystart_l);
    g_test_add_data_func("/tcp/prr/rfc6937/single-loss/ssrb", GINT_TO_POINTER(MP_PRR_SSRB),
                         test_prr_single_loss);
    g_test_add_data_func("/tcp/prr/rfc6937/single-loss/crb", GINT_TO_POINTER(MP_PRR_CRB),
                         test_prr_single_loss);
    g_test_add_func("/tcp/prr/rfc6937/burst/crb", test_prr_burst_crb);
    g_test_add_func("/tcp/prr/rfc6937/burst/ssrb", test_prr_burst_ssrb);
    g_test_add_func("/tcp/prr/bytes", test_prr_bytes);
    g_test_add_func("/tcp/cc/determinism", test_determinism);
    return g_test_run();
}
