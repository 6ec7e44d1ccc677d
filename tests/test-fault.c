/* afmp: tests of fault decorators on links (sim/net/fault.h). */
#include <glib.h>
#include <string.h>

#include "model/pkt.h"
#include "model/rng.h"
#include "model/wire/wire.h"
#include "sim/engine.h"
#include "sim/net/fault.h"
#include "sim/net/link.h"

/* --- fixture -------------------------------------------------------------
 * Packets carry a 32-bit sequence number in their first bytes and a fixed
 * pattern after it; the receiving port records sequence numbers in arrival
 * order and keeps a copy of each packet's bytes and flags when asked. */

#define PKT_LEN 100u

struct rx_port {
    struct mp_port port;
    GArray *seq;       /* uint32_t, arrival order */
    GPtrArray *copies; /* GBytes of each packet, or NULL: not kept */
    GArray *flags;     /* uint32_t */
};

static uint32_t read_seq(const struct mp_pkt *pkt)
{
    uint32_t s;
    memcpy(&s, pkt->data, sizeof(s));
    return s;
}

static void rx_deliver(struct mp_port *port, struct mp_pkt *pkt, mp_time_t now)
{
    struct rx_port *r = (struct rx_port *)port;
    uint32_t s = read_seq(pkt);
    g_array_append_val(r->seq, s);
    if (r->copies) {
        g_ptr_array_add(r->copies, g_bytes_new(pkt->data, pkt->len));
        g_array_append_val(r->flags, pkt->flags);
    }
    mp_pkt_free(pkt);
}

struct fx {
    struct mp_engine *eng;
    struct mp_pkt_pool pool;
    struct rx_port rx;
    struct mp_link *link;
    uint32_t next_seq;
};

static void fx_init(struct fx *f, const char *name, uint64_t seed, bool keep)
{
    GError *err = NULL;
    memset(f, 0, sizeof(*f));
    f->eng = mp_engine_new();
    mp_pkt_pool_init(&f->pool);
    f->rx.port.deliver = rx_deliver;
    f->rx.seq = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (keep) {
        f->rx.copies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        f->rx.flags = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    }
    /* Infinite rate, no delay, no queue limit to speak of: only the faults
     * act. */
    struct mp_link_conf c = {.name = name, .seed = seed};
    for (int e = 0; e < 2; e++)
        c.dir[e].qdisc_params = "limit=4000000000";
    f->link = mp_link_new(f->eng, &c, &err);
    g_assert_no_error(err);
    mp_link_attach(f->link, 1, &f->rx.port);
}

static void fx_clear(struct fx *f)
{
    mp_link_free(f->link);
    g_assert_cmpuint(mp_engine_pending(f->eng), ==, 0);
    mp_engine_free(f->eng);
    g_assert_cmpuint(f->pool.live, ==, 0);
    mp_pkt_pool_clear(&f->pool);
    g_array_free(f->rx.seq, TRUE);
    if (f->rx.copies) {
        g_ptr_array_free(f->rx.copies, TRUE);
        g_array_free(f->rx.flags, TRUE);
    }
}

static struct mp_pkt *make_pkt(struct fx *f)
{
    struct mp_pkt *p = mp_pkt_alloc(&f->pool, PKT_LEN);
    uint32_t s = f->next_seq++;
    memcpy(p->data, &s, sizeof(s));
    for (uint32_t i = sizeof(s); i < PKT_LEN; i++)
        p->data[i] = (uint8_t)(i * 7);
    return p;
}

/* Sends |n| packets from end 0 in batches, running the engine between. */
static void send_run(struct fx *f, uint32_t n)
{
    while (n) {
        uint32_t batch = MIN(n, 4096u);
        for (uint32_t i = 0; i < batch; i++)
            mp_link_send(f->link, 0, make_pkt(f));
        n -= batch;
        g_assert_cmpint(mp_engine_run(f->eng), ==, MP_RUN_IDLE);
    }
}

/* Received[] as a bitmap over sequence numbers. */
static guint8 *received_map(struct fx *f)
{
    guint8 *m = g_malloc0(f->next_seq);
    for (guint i = 0; i < f->rx.seq->len; i++)
        m[g_array_index(f->rx.seq, uint32_t, i)] = 1;
    return m;
}

/* |observed - n p| <= k standard deviations of a binomial (compared
 * squared, so no libm is needed). */
static void assert_within_sd(double observed, double n, double p, double k)
{
    double mean = n * p, var = n * p * (1 - p), dev = observed - mean;
    if (dev * dev > k * k * var)
        g_error("observed %.0f, expected %.1f, variance %.1f: beyond %.0f sd", observed, mean, var,
                k);
}

static double absd(double x)
{
    return x < 0 ? -x : x;
}

/* --- Bernoulli loss ------------------------------------------------------ */

static void test_loss_bernoulli(gconstpointer data)
{
    uint32_t ppm = GPOINTER_TO_UINT(data);
    const uint32_t n = 200000;
    struct fx f;
    fx_init(&f, "bern", 7, false);
    struct mp_fault *loss = mp_fault_loss_new_ppm(ppm);
    mp_link_add_fault(f.link, 0, loss);
    send_run(&f, n);

    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    uint64_t lost = st->dropped[MP_LINK_DROP_LOSS];
    g_assert_cmpuint(lost + st->delivered_pkts, ==, n);
    g_assert_cmpuint(f.rx.seq->len, ==, st->delivered_pkts);
    g_assert_cmpuint(loss->hits, ==, lost);
    assert_within_sd((double)lost, n, ppm / 1e6, 5);
    /* Survivors keep their order. */
    for (guint i = 1; i < f.rx.seq->len; i++)
        g_assert_cmpuint(g_array_index(f.rx.seq, uint32_t, i), >,
                         g_array_index(f.rx.seq, uint32_t, i - 1));
    fx_clear(&f);
}

static void test_loss_extremes(void)
{
    struct fx f;
    fx_init(&f, "ext", 1, false);
    mp_link_add_fault(f.link, 0, mp_fault_loss_new_ppm(1000000));
    mp_link_add_fault(f.link, 1, mp_fault_loss_new_ppm(0));
    send_run(&f, 10000);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_LOSS], ==, 10000);
    g_assert_cmpuint(f.rx.seq->len, ==, 0);
    fx_clear(&f);

    fx_init(&f, "ext", 1, false);
    mp_link_add_fault(f.link, 0, mp_fault_loss_new(0));
    send_run(&f, 10000);
    g_assert_cmpuint(f.rx.seq->len, ==, 10000);
    fx_clear(&f);
}

/* Same seed and name: the same pattern; another name or seed: another,
 * uncorrelated pattern. */
static guint8 *loss_pattern(const char *name, uint64_t seed, uint32_t n)
{
    struct fx f;
    fx_init(&f, name, seed, false);
    mp_link_add_fault(f.link, 0, mp_fault_loss_new_ppm(100000));
    send_run(&f, n);
    guint8 *m = received_map(&f);
    fx_clear(&f);
    return m;
}

static void test_loss_streams(void)
{
    const uint32_t n = 100000;
    g_autofree guint8 *a = loss_pattern("wan1", 11, n);
    g_autofree guint8 *b = loss_pattern("wan1", 11, n);
    g_autofree guint8 *c = loss_pattern("wan2", 11, n);
    g_autofree guint8 *d = loss_pattern("wan1", 12, n);

    g_assert_cmpmem(a, n, b, n);
    /* Independent streams: both lost about p^2 n times. */
    uint32_t both_c = 0, both_d = 0;
    for (uint32_t i = 0; i < n; i++) {
        both_c += !a[i] && !c[i];
        both_d += !a[i] && !d[i];
    }
    assert_within_sd(both_c, n, 0.01, 5);
    assert_within_sd(both_d, n, 0.01, 5);

    /* The two directions of one link draw from different streams too. */
    struct fx f;
    fx_init(&f, "wan1", 11, false);
    struct rx_port back = {
        {rx_deliver, NULL, NULL}, g_array_new(FALSE, FALSE, sizeof(uint32_t)), NULL, NULL};
    mp_link_attach(f.link, 0, &back.port);
    mp_link_add_fault(f.link, 0, mp_fault_loss_new_ppm(100000));
    mp_link_add_fault(f.link, 1, mp_fault_loss_new_ppm(100000));
    for (uint32_t i = 0; i < 1000; i++) {
        mp_link_send(f.link, 0, make_pkt(&f));
        f.next_seq--;
        mp_link_send(f.link, 1, make_pkt(&f));
    }
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_true(f.rx.seq->len != back.seq->len ||
                  memcmp(f.rx.seq->data, back.seq->data, back.seq->len * 4) != 0);
    g_array_free(back.seq, TRUE);
    fx_clear(&f);
}

/* --- Gilbert-Elliott ----------------------------------------------------- */

struct ge_case {
    double p, r, k, h;
};

static uint32_t frac(double x)
{
    return x >= 1.0 ? UINT32_MAX : (uint32_t)(x * 4294967296.0);
}

static void test_gilbert(gconstpointer data)
{
    const struct ge_case *gc = data;
    const uint32_t n = 1000000;
    struct fx f;
    fx_init(&f, "ge", 3, false);
    struct mp_gilbert ge = {frac(gc->p), frac(gc->r), frac(gc->k), frac(gc->h)};
    mp_link_add_fault(f.link, 0, mp_fault_gilbert_new(&ge));
    send_run(&f, n);

    g_autofree guint8 *m = received_map(&f);
    uint64_t lost = 0, bursts = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!m[i]) {
            lost++;
            if (i == 0 || m[i - 1])
                bursts++;
        }
    }
    g_assert_cmpuint(lost, ==, mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_LOSS]);
    double rate = (double)lost / n;
    double expect = (gc->r * (1 - gc->k) + gc->p * (1 - gc->h)) / (gc->p + gc->r);
    g_test_message("GE p=%g r=%g k=%g h=%g: loss %.5f (expected %.5f), mean burst %.3f", gc->p,
                   gc->r, gc->k, gc->h, rate, expect, (double)lost / (double)bursts);
    /* Losses are correlated, so the binomial bound does not hold; with about
     * 10^4 bursts the relative error is a few percent at most. */
    g_assert_cmpfloat(absd(rate - expect), <, 0.08 * expect);
    if (gc->k == 1.0 && gc->h == 0.0) {
        double burst = (double)lost / (double)bursts;
        g_assert_cmpfloat(absd(burst - 1 / gc->r), <, 0.05 / gc->r);
    }
    fx_clear(&f);
}

/* --- corruption ---------------------------------------------------------- */

static int bit_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++)
        d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
    return d;
}

static void test_corrupt(void)
{
    const uint32_t n = 20000;
    struct fx f;
    fx_init(&f, "dirty", 5, true);
    struct mp_fault *c = mp_fault_corrupt_new(mp_prob_from_ppm(100000), false);
    mp_link_add_fault(f.link, 0, c);
    send_run(&f, n);

    g_assert_cmpuint(f.rx.seq->len, ==, n);
    uint64_t damaged = 0;
    uint8_t ref[PKT_LEN];
    for (guint i = 0; i < n; i++) {
        gsize len;
        const uint8_t *b = g_bytes_get_data(f.rx.copies->pdata[i], &len);
        uint32_t flags = g_array_index(f.rx.flags, uint32_t, i);
        g_assert_cmpuint(len, ==, PKT_LEN);
        /* Rebuild what was sent: the sequence number may itself be damaged,
         * so take it from the arrival order (no reordering here). */
        memcpy(ref, &i, 4);
        for (uint32_t j = 4; j < PKT_LEN; j++)
            ref[j] = (uint8_t)(j * 7);
        int d = bit_diff(ref, b, PKT_LEN);
        if (flags & MP_PKT_CSUM_UNTRUSTED) {
            g_assert_cmpint(d, ==, 1);
            damaged++;
        } else {
            g_assert_cmpint(d, ==, 0);
        }
    }
    g_assert_cmpuint(damaged, ==, mp_link_stats(f.link, 0)->corrupted);
    g_assert_cmpuint(damaged, ==, c->hits);
    assert_within_sd(damaged, n, 0.1, 5);
    fx_clear(&f);
}

static void test_corrupt_fcs(void)
{
    struct fx f;
    fx_init(&f, "fcs", 5, true);
    struct mp_fault *c = mp_fault_corrupt_new(mp_prob_from_ppm(200000), true);
    mp_link_add_fault(f.link, 0, c);
    send_run(&f, 10000);
    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    g_assert_cmpuint(st->dropped[MP_LINK_DROP_CORRUPT], ==, c->hits);
    g_assert_cmpuint(st->corrupted, ==, 0);
    g_assert_cmpuint(f.rx.seq->len + c->hits, ==, 10000);
    assert_within_sd(c->hits, 10000, 0.2, 5);
    for (guint i = 0; i < f.rx.flags->len; i++)
        g_assert_cmpuint(g_array_index(f.rx.flags, uint32_t, i), ==, 0);
    fx_clear(&f);
}

/* A real UDP/IPv4 packet with lazy checksums: the fault finalizes them
 * before the damage, so the receiver's check fails and the packet differs
 * from the honest finalized one in exactly one bit. */
static void test_corrupt_finalizes(void)
{
    struct fx f;
    uint8_t payload[64];
    struct mp_ip src = {.v = 4, .b = {10, 0, 0, 1}}, dst = {.v = 4, .b = {10, 0, 0, 2}};
    fx_init(&f, "csum", 9, true);
    mp_link_add_fault(f.link, 0, mp_fault_corrupt_new(UINT32_MAX, false));

    memset(payload, 0xa5, sizeof(payload));
    struct mp_pkt *p = mp_pkt_alloc(&f.pool, 200);
    int len = mp_wire_udp_build(p->data, 200, &src, &dst, 1000, 2000, payload, sizeof(payload),
                                NULL, false);
    g_assert_cmpint(len, >, 0);
    p->len = (uint32_t)len;
    p->flags = MP_PKT_CSUM_PENDING;
    struct mp_pkt *honest = mp_pkt_clone(p);
    g_assert_cmpint(mp_wire_csum_finalize(honest), ==, 0);
    g_assert_true(mp_wire_csum_verify(honest));

    mp_link_send(f.link, 0, p);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.rx.copies->len, ==, 1);
    gsize rlen;
    const uint8_t *b = g_bytes_get_data(f.rx.copies->pdata[0], &rlen);
    uint32_t flags = g_array_index(f.rx.flags, uint32_t, 0);
    g_assert_cmpuint(rlen, ==, honest->len);
    g_assert_cmpint(bit_diff(b, honest->data, rlen), ==, 1);
    g_assert_cmpuint(flags & MP_PKT_CSUM_PENDING, ==, 0);
    g_assert_cmpuint(flags & MP_PKT_CSUM_UNTRUSTED, !=, 0);
    memcpy(honest->data, b, rlen);
    g_assert_false(mp_wire_csum_verify(honest));
    mp_pkt_free(honest);
    fx_clear(&f);
}

/* --- duplication and reordering ------------------------------------------ */

static void test_dup(void)
{
    const uint32_t n = 50000;
    struct fx f;
    fx_init(&f, "dup", 5, false);
    struct mp_fault *d = mp_fault_dup_new(mp_prob_from_ppm(50000));
    mp_link_add_fault(f.link, 0, d);
    send_run(&f, n);
    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    g_assert_cmpuint(st->duplicated, ==, d->hits);
    g_assert_cmpuint(st->delivered_pkts, ==, n + st->duplicated);
    assert_within_sd(st->duplicated, n, 0.05, 5);
    /* A copy follows its original directly. */
    uint64_t repeats = 0;
    for (guint i = 1; i < f.rx.seq->len; i++) {
        uint32_t a = g_array_index(f.rx.seq, uint32_t, i - 1);
        uint32_t b = g_array_index(f.rx.seq, uint32_t, i);
        g_assert_cmpuint(b, >=, a);
        repeats += a == b;
    }
    g_assert_cmpuint(repeats, ==, st->duplicated);
    fx_clear(&f);
}

struct pacer {
    struct fx *f;
    uint32_t left;
    mp_time_t gap;
};

static void pacer_fire(void *arg, mp_time_t now)
{
    struct pacer *p = arg;
    mp_link_send(p->f->link, 0, make_pkt(p->f));
    if (--p->left)
        mp_engine_after(p->f->eng, p->gap, pacer_fire, p);
}

static void test_reorder(void)
{
    const uint32_t n = 20000;
    struct fx f;
    fx_init(&f, "ro", 5, false);
    struct mp_fault *r = mp_fault_reorder_new(mp_prob_from_ppm(100000), MP_MS(1));
    mp_link_add_fault(f.link, 0, r);
    /* One packet every 100 us; a held one is overtaken by about 10. */
    struct pacer pc = {&f, n, MP_US(100)};
    mp_engine_at(f.eng, 0, pacer_fire, &pc);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);

    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    g_assert_cmpuint(st->delivered_pkts, ==, n);
    g_assert_cmpuint(st->reordered, ==, r->hits);
    assert_within_sd(st->reordered, n, 0.1, 5);
    /* Count arrivals behind a higher sequence number. */
    uint32_t max = 0;
    uint64_t late = 0;
    for (guint i = 0; i < f.rx.seq->len; i++) {
        uint32_t s = g_array_index(f.rx.seq, uint32_t, i);
        if (i && s < max)
            late++;
        max = MAX(max, s);
    }
    /* The last packet, if held, overtakes nobody. */
    g_assert_cmpuint(late, <=, st->reordered);
    g_assert_cmpuint(late + 1, >=, st->reordered);
    fx_clear(&f);
}

/* --- composition --------------------------------------------------------- */

/* Attached in reverse order, faults still run loss first: a lost packet is
 * never duplicated. */
static void test_order(void)
{
    struct fx f;
    fx_init(&f, "ord", 5, false);
    struct mp_fault *dup = mp_fault_dup_new(UINT32_MAX);
    struct mp_fault *loss = mp_fault_loss_new(UINT32_MAX);
    mp_link_add_fault(f.link, 0, mp_fault_reorder_new(0, MP_MS(1)));
    mp_link_add_fault(f.link, 0, dup);
    mp_link_add_fault(f.link, 0, mp_fault_corrupt_new(0, false));
    mp_link_add_fault(f.link, 0, loss);
    send_run(&f, 1000);
    g_assert_cmpuint(loss->hits, ==, 1000);
    g_assert_cmpuint(dup->hits, ==, 0);
    /* Loss off at run time: everything is now duplicated. */
    struct mp_link_change ch = {.kind = MP_LINK_CHANGE_FAULT_PROB, .fault = loss, .value = 0};
    mp_link_change_at(f.link, MP_MS(1), &ch);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    send_run(&f, 1000);
    g_assert_cmpuint(dup->hits, ==, 1000);
    g_assert_cmpuint(f.rx.seq->len, ==, 2000);
    fx_clear(&f);
}

/* Everything at once: packets are conserved, and a link going down drops
 * the ones held by the reordering fault. */
static void test_conservation_and_down(void)
{
    struct fx f;
    fx_init(&f, "all", 5, false);
    mp_link_add_fault(f.link, 0, mp_fault_loss_new_ppm(50000));
    mp_link_add_fault(f.link, 0, mp_fault_corrupt_new(mp_prob_from_ppm(50000), false));
    mp_link_add_fault(f.link, 0, mp_fault_dup_new(mp_prob_from_ppm(50000)));
    mp_link_add_fault(f.link, 0, mp_fault_reorder_new(mp_prob_from_ppm(200000), MP_MS(5)));
    mp_link_set_rate(f.link, 0, 100000000);
    mp_link_set_delay(f.link, 0, MP_MS(1));

    struct pacer pc = {&f, 5000, MP_US(10)};
    mp_engine_at(f.eng, 0, pacer_fire, &pc);
    struct mp_link_change down = {.kind = MP_LINK_CHANGE_DOWN};
    mp_link_change_at(f.link, MP_US(25000) + 3, &down);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);

    const struct mp_link_stats *st = mp_link_stats(f.link, 0);
    uint64_t dropped = 0;
    for (int i = 0; i < MP_LINK_DROP__COUNT; i++)
        dropped += st->dropped[i];
    g_assert_cmpuint(st->sent_pkts, ==, 5000);
    g_assert_cmpuint(st->sent_pkts + st->duplicated, ==, st->delivered_pkts + dropped);
    g_assert_cmpuint(st->delivered_pkts, ==, f.rx.seq->len);
    /* About half were sent after the link went down; some were held. */
    g_assert_cmpuint(st->dropped[MP_LINK_DROP_DOWN], >, 2400);
    g_assert_cmpuint(st->dropped[MP_LINK_DROP_LOSS], >, 0);
    g_assert_cmpuint(st->corrupted, >, 0);
    fx_clear(&f);
}

int main(int argc, char **argv)
{
    static const struct ge_case gilbert_burst = {0.01, 0.3, 1.0, 0.0};
    static const struct ge_case gilbert_mixed = {0.05, 0.2, 0.99, 0.5};

    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/fault/loss/bernoulli/1pct", GUINT_TO_POINTER(10000),
                         test_loss_bernoulli);
    g_test_add_data_func("/fault/loss/bernoulli/10pct", GUINT_TO_POINTER(100000),
                         test_loss_bernoulli);
    g_test_add_func("/fault/loss/extremes", test_loss_extremes);
    g_test_add_func("/fault/loss/streams", test_loss_streams);
    g_test_add_data_func("/fault/loss/gilbert/bursts", &gilbert_burst, test_gilbert);
    g_test_add_data_func("/fault/loss/gilbert/mixed", &gilbert_mixed, test_gilbert);
    g_test_add_func("/fault/corrupt/one-bit", test_corrupt);
    g_test_add_func("/fault/corrupt/fcs-drop", test_corrupt_fcs);
    g_test_add_func("/fault/corrupt/finalizes-checksums", test_corrupt_finalizes);
    g_test_add_func("/fault/dup", test_dup);
    g_test_add_func("/fault/reorder", test_reorder);
    g_test_add_func("/fault/order", test_order);
    g_test_add_func("/fault/conservation-and-down", test_conservation_and_down);
    return g_test_run();
}
