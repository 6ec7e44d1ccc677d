/*
 * Expectations evaluated against a finished run, in passing and failing
 * cases, one table row per kind and comparison: a scenario is loaded from
 * text, built, run and judged in-process.
 */
#include <glib.h>
#include <string.h>

#include "sim/expect.h"

#define WORLD                                                                                  \
    "[scenario]\nformat = 1\nname = t\nduration = 3s\n"                                         \
    "[host a]\niface.eth0 = 10.9.0.1/24\n"                                                      \
    "[host b]\niface.eth0 = 10.9.0.2/24\n"                                                      \
    "[link l]\na = a.eth0\nb = b.eth0\nrate = 10Mbit\ndelay = 1ms\n"                            \
    "[app sink]\nhost = b\nargv = udp-sink --port 9 --duration 2s\n"                            \
    "[app cbr]\nhost = a\nstart = 100ms\n"                                                      \
    "argv = udp-cbr --dst 10.9.0.2 --port 9 --rate 1Mbit --size 500B --count 100\n"            \
    "[app idle]\nhost = a\nstart = 10ms\nstop = 20ms\nargv = udp-sink --port 10\n"             \
    "[expect]\n"

struct xcase {
    const char *path;
    const char *expect; /* the [expect] line, "x = ..." */
    bool ok;
    const char *measured; /* substring of what was measured */
};

/* cbr sends 100 datagrams of 500 B at 1 Mbit/s from 100 ms: one every 4 ms,
 * the last at 496 ms; each takes 528 B at 10 Mbit/s + 1 ms = 1.4224 ms; the
 * sink ends at 2 s. */
static const struct xcase cases[] = {
    {"/expect/done/ok", "x = done cbr", true, "exited 0 at 496ms"},
    {"/expect/done/by-ok", "x = done cbr by 500ms", true, "exited 0"},
    {"/expect/done/by-late", "x = done cbr by 400ms", false, "exited 0 at 496ms"},
    {"/expect/done/killed", "x = done idle", false, "killed at 20ms"},
    {"/expect/intact/ok", "x = intact sink", true, "intact"},
    {"/expect/intact/not-reported", "x = intact cbr", false, "not reported"},
    {"/expect/goodput/within", "x = goodput sink within 0.9Mbit..1.1Mbit", true, "Mbit"},
    {"/expect/goodput/ge-fails", "x = goodput sink >= 2Mbit", false, "Mbit"},
    {"/expect/stall/le", "x = stall sink <= 4ms", true, "4ms"},
    {"/expect/stall/lt-fails", "x = stall sink < 4ms", false, "4ms"},
    {"/expect/counter/eq", "x = counter b UdpInDatagrams == 100", true, "100"},
    {"/expect/counter/gt-fails", "x = counter b UdpInDatagrams > 100", false, "100"},
    {"/expect/counter/zero", "x = counter a UdpInErrors == 0", true, "0"},
    {"/expect/result/eq", "x = result sink lost == 0", true, "0"},
    {"/expect/result/time", "x = result sink delay_min_ns == 1.4224ms", true, "1.4224ms"},
    {"/expect/result/missing", "x = result sink no_such_key == 1", false, "not reported"},
    {"/expect/subflows/not-reported", "x = subflows sink >= 1", false, "not reported"},
    {"/expect/share/not-reported", "x = share sink l >= 50%", false, "not reported"},
    {"/expect/addrs/not-seen", "x = addrs cbr peer >= 10.9.0.2", false,
     "no AF_MULTIPATH getpeername list seen"},
};

static void run_case(gconstpointer data)
{
    const struct xcase *c = data;
    char *text = g_strconcat(WORLD, c->expect, "\n", NULL);
    GError *err = NULL;
    struct mp_scenario *scn = mp_scenario_load_data("t.ini", text, -1, NULL, &err);
    g_assert_no_error(err);
    struct mp_world_conf wc = {0};
    struct mp_build *b = mp_build_new(scn, &wc, &err);
    g_assert_no_error(err);
    mp_world_run(b->w, scn->duration);
    GArray *v = mp_expect_evaluate(b);
    g_assert_cmpuint(v->len, ==, 1);
    const struct mp_verdict *x = &g_array_index(v, struct mp_verdict, 0);
    if (x->ok != c->ok || !strstr(x->measured, c->measured))
        g_error("%s: ok=%d measured '%s' expected '%s'", c->expect, x->ok, x->measured, x->expected);
    g_assert_cmpuint(mp_verdicts_failed(v), ==, c->ok ? 0 : 1);
    mp_verdicts_free(v);
    mp_build_free(b);
    mp_scenario_free(scn);
    g_free(text);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_test_add_data_func(cases[i].path, &cases[i], run_case);
    return g_test_run();
}
