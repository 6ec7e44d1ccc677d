/*
 * Tests of sim/units and sim/scenario: unit parser tables, one case per
 * scenario error class (each message must name file, line, group and key),
 * a full scenario checked field by field, overrides, and the JSON dump.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "sim/scenario.h"
#include "sim/units.h"

/* ---- units ------------------------------------------------------------ */

enum ukind { U_TIME, U_RATE, U_SIZE, U_QUEUE, U_PPM, U_UINT, U_BOOL };

struct ucase {
    enum ukind kind;
    const char *in;
    int rc;          /* expected return */
    uint64_t want;   /* when rc == 0 */
    bool bytes;      /* U_QUEUE */
};

static const struct ucase unit_cases[] = {
    /* time */
    {U_TIME, "10ms", 0, 10000000},
    {U_TIME, "1.5ms", 0, 1500000},
    {U_TIME, "1.50ms", 0, 1500000},
    {U_TIME, "0.000000001s", 0, 1},
    {U_TIME, "7ns", 0, 7},
    {U_TIME, "250us", 0, 250000},
    {U_TIME, "0s", 0, 0},
    {U_TIME, "2.5s", 0, 2500000000u},
    {U_TIME, "18446744073s", 0, UINT64_C(18446744073000000000)},
    {U_TIME, "10", MP_UNITS_ENOUNIT, 0},
    {U_TIME, "10 ms", MP_UNITS_ESPACE, 0},
    {U_TIME, "-1ms", MP_UNITS_ENEGATIVE, 0},
    {U_TIME, "+1ms", MP_UNITS_ESYNTAX, 0},
    {U_TIME, "1.5ns", MP_UNITS_EPRECISION, 0},
    {U_TIME, "0.0000000001s", MP_UNITS_EPRECISION, 0},
    {U_TIME, "18446744074s", MP_UNITS_ERANGE, 0},
    {U_TIME, "99999999999999999999999ns", MP_UNITS_ERANGE, 0},
    {U_TIME, "10msx", MP_UNITS_EUNIT, 0},
    {U_TIME, "10ms5", MP_UNITS_EUNIT, 0},
    {U_TIME, "10sec", MP_UNITS_EUNIT, 0},
    {U_TIME, "10MS", MP_UNITS_EUNIT, 0},
    {U_TIME, ".5s", MP_UNITS_ESYNTAX, 0},
    {U_TIME, "1.s", MP_UNITS_ESYNTAX, 0},
    {U_TIME, "1e3ms", MP_UNITS_ESYNTAX, 0},
    {U_TIME, "", MP_UNITS_EEMPTY, 0},
    {U_TIME, "ms", MP_UNITS_ESYNTAX, 0},
    /* rate */
    {U_RATE, "10Mbit", 0, 10000000},
    {U_RATE, "1.5kbit", 0, 1500},
    {U_RATE, "2.5Gbit/s", 0, 2500000000u},
    {U_RATE, "100bit", 0, 100},
    {U_RATE, "0.001Mbit", 0, 1000},
    {U_RATE, "10Mbps", MP_UNITS_EAMBIGUOUS, 0},
    {U_RATE, "10kbps", MP_UNITS_EAMBIGUOUS, 0},
    {U_RATE, "10M", MP_UNITS_EAMBIGUOUS, 0},
    {U_RATE, "10mbit", MP_UNITS_EUNIT, 0},
    {U_RATE, "10", MP_UNITS_ENOUNIT, 0},
    {U_RATE, "1.5bit", MP_UNITS_EPRECISION, 0},
    {U_RATE, "18446744074Gbit", MP_UNITS_ERANGE, 0},
    /* size */
    {U_SIZE, "1500B", 0, 1500},
    {U_SIZE, "64KB", 0, 64000},
    {U_SIZE, "64kB", 0, 64000},
    {U_SIZE, "64KiB", 0, 65536},
    {U_SIZE, "1.5MB", 0, 1500000},
    {U_SIZE, "1.5KiB", 0, 1536},
    {U_SIZE, "1GiB", 0, 1073741824},
    {U_SIZE, "0.1KiB", MP_UNITS_EPRECISION, 0},
    {U_SIZE, "64kb", MP_UNITS_EAMBIGUOUS, 0},
    {U_SIZE, "64K", MP_UNITS_EAMBIGUOUS, 0},
    {U_SIZE, "64Mb", MP_UNITS_EAMBIGUOUS, 0},
    {U_SIZE, "1500", MP_UNITS_ENOUNIT, 0},
    {U_SIZE, "1500bytes", MP_UNITS_EUNIT, 0},
    /* queue */
    {U_QUEUE, "100p", 0, 100, false},
    {U_QUEUE, "64KB", 0, 64000, true},
    {U_QUEUE, "1.5p", MP_UNITS_EPRECISION, 0},
    {U_QUEUE, "100", MP_UNITS_ENOUNIT, 0},
    {U_QUEUE, "100pkts", MP_UNITS_EUNIT, 0},
    {U_QUEUE, "4294967296p", MP_UNITS_ERANGE, 0},
    /* ppm */
    {U_PPM, "0.5%", 0, 5000},
    {U_PPM, "100%", 0, 1000000},
    {U_PPM, "0.0001%", 0, 1},
    {U_PPM, "0%", 0, 0},
    {U_PPM, "50ppm", 0, 50},
    {U_PPM, "0.00001%", MP_UNITS_EPRECISION, 0},
    {U_PPM, "100.1%", MP_UNITS_ERANGE, 0},
    {U_PPM, "0.5", MP_UNITS_ENOUNIT, 0},
    {U_PPM, "0.5 %", MP_UNITS_ESPACE, 0},
    {U_PPM, "-1%", MP_UNITS_ENEGATIVE, 0},
    /* uint */
    {U_UINT, "42", 0, 42},
    {U_UINT, "0", 0, 0},
    {U_UINT, "18446744073709551615", 0, UINT64_MAX},
    {U_UINT, "18446744073709551616", MP_UNITS_ERANGE, 0},
    {U_UINT, "4.2", MP_UNITS_ESYNTAX, 0},
    {U_UINT, "42x", MP_UNITS_EUNIT, 0},
    {U_UINT, "-3", MP_UNITS_ENEGATIVE, 0},
    {U_UINT, "", MP_UNITS_EEMPTY, 0},
    /* bool */
    {U_BOOL, "on", 0, 1},
    {U_BOOL, "off", 0, 0},
    {U_BOOL, "Yes", 0, 1},
    {U_BOOL, "false", 0, 0},
    {U_BOOL, "1", MP_UNITS_ESYNTAX, 0},
    {U_BOOL, "enabled", MP_UNITS_ESYNTAX, 0},
};

static void test_unit_case(gconstpointer data)
{
    const struct ucase *c = data;
    uint64_t v = 0xdeadbeef;
    uint32_t ppm = 0xdeadbeef;
    bool b = false;
    struct mp_units_queue q = {0xdeadbeef, false};
    int rc = 1;

    switch (c->kind) {
    case U_TIME: rc = mp_units_parse_time(c->in, &v); break;
    case U_RATE: rc = mp_units_parse_rate(c->in, &v); break;
    case U_SIZE: rc = mp_units_parse_size(c->in, &v); break;
    case U_QUEUE:
        rc = mp_units_parse_queue(c->in, &q);
        v = q.limit;
        break;
    case U_PPM:
        rc = mp_units_parse_ppm(c->in, &ppm);
        v = ppm;
        break;
    case U_UINT: rc = mp_units_parse_uint(c->in, UINT64_MAX, &v); break;
    case U_BOOL:
        rc = mp_units_parse_bool(c->in, &b);
        v = b;
        break;
    }
    g_assert_cmpint(rc, ==, c->rc);
    if (rc == 0) {
        g_assert_cmpuint(v, ==, c->want);
        if (c->kind == U_QUEUE)
            g_assert_cmpint(q.bytes, ==, c->bytes);
    } else if (c->kind == U_TIME || c->kind == U_RATE || c->kind == U_SIZE || c->kind == U_UINT) {
        g_assert_cmpuint(v, ==, 0xdeadbeef); /* untouched on error */
    }
    g_assert_nonnull(mp_units_strerror(rc));
}

static void test_units_format(void)
{
    static const struct {
        mp_time_t t;
        const char *s;
    } times[] = {
        {0, "0s"}, {1500000, "1.5ms"}, {MP_S(30), "30s"}, {7, "7ns"}, {MP_US(250), "250us"},
        {1500000001, "1.500000001s"}, {MP_TIME_NEVER, "never"},
    };
    char buf[64];
    for (size_t i = 0; i < G_N_ELEMENTS(times); i++) {
        mp_units_format_time(times[i].t, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, times[i].s);
        if (times[i].t != MP_TIME_NEVER) {
            mp_time_t back = 0;
            g_assert_cmpint(mp_units_parse_time(buf, &back), ==, 0);
            g_assert_cmpuint(back, ==, times[i].t);
        }
    }
    mp_units_format_rate(10000000, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "10Mbit");
    mp_units_format_rate(1500, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "1.5kbit");
    /* Never writes past the buffer, and says how much it needed. */
    char small[4] = "xxx";
    g_assert_cmpint(mp_units_format_time(1500000, small, sizeof(small)), ==, 5);
    g_assert_cmpstr(small, ==, "1.5");
}

/* ---- error classes ---------------------------------------------------- */

/* Lines 1..12; text appended by a case starts at line 13, inside [link l1]. */
#define BASE                                                                                   \
    "[scenario]\nformat = 1\n\n[host a]\niface.eth0 = 10.0.0.1/24\n\n[host b]\n"               \
    "iface.eth0 = 10.0.0.2/24\n\n[link l1]\na = a.eth0\nb = b.eth0\n"

#define RA_BASE "[scenario]\nformat = 1\n[router r]\niface.eth0 = 2001:db8::1/64\n"

struct ecase {
    const char *path;      /* test path */
    const char *file;      /* under tests/scenarios/, or NULL for |text| */
    const char *text;
    const char *set[3];    /* overrides */
    int code;
    const char *must[3];   /* substrings of the message; must[0] names file:line: [group] key */
};

static const struct ecase error_cases[] = {
    {"/scenario/error/nameserver-missing-host", NULL, BASE "\n[nameserver]\ndelay = 5ms\n", {NULL},
     MP_SCENARIO_ERROR_MISSING, {"t.ini:14: [nameserver] host:", "the node that runs the name server"}},
    {"/scenario/error/nameserver-unknown-host", NULL, BASE "\n[nameserver]\nhost = c\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [nameserver] host:", "unknown node 'c'"}},
    {"/scenario/error/nameserver-foreign-address", NULL,
     BASE "\n[nameserver]\nhost = a\naddress = 10.0.0.2\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:16: [nameserver] address:", "an address of a"}},
    {"/scenario/error/nameserver-bad-mode", NULL,
     BASE "\n[nameserver]\nhost = a\nfail.x.example = sometimes\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:16: [nameserver] fail.x.example:", "nxdomain, timeout"}},
    {"/scenario/error/app-stack", NULL,
     BASE "\n[app s]\nhost = b\nargv = udp-sink --port 9\nstack = 1KiB\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:17: [app s] stack:", "16KiB to 1GiB"}},
    {"/scenario/error/expect-result-key", NULL,
     BASE "\n[app s]\nhost = b\nargv = udp-sink --port 9\n[expect]\nx = result s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:18: [expect] x:", "result APP KEY OP VALUE"}},
    {"/scenario/error/duplicate-group", "bad-duplicate-group.ini", NULL, {NULL},
     MP_SCENARIO_ERROR_DUPLICATE, {"bad-duplicate-group.ini:8: [host a]:", "first at line 4"}},
    {"/scenario/error/duplicate-key", "bad-duplicate-key.ini", NULL, {NULL},
     MP_SCENARIO_ERROR_DUPLICATE, {"bad-duplicate-key.ini:15: [link l1] delay:", "first at line 13"}},
    {"/scenario/error/unknown-group", NULL, BASE "\n[hots c]\n", {NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"t.ini:14: [hots c]:", "did you mean [host c]?"}},
    {"/scenario/error/unknown-key", NULL, BASE "dealy = 10ms\n", {NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"t.ini:13: [link l1] dealy:", "did you mean 'delay'?"}},
    {"/scenario/error/unknown-key-family", NULL,
     "[scenario]\nformat = 1\n[host a]\nifac.eth0 = 10.0.0.1/24\n", {NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"t.ini:4: [host a] ifac.eth0:", "did you mean 'iface.eth0'?"}},
    {"/scenario/error/unknown-key-list", NULL, BASE "colour = blue\n", {NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"t.ini:13: [link l1] colour:", "known keys: a, b, mtu, framing, kind, wifi.standard, wifi.manager, wifi.distance, wifi.speed, rate"}},
    {"/scenario/error/router-only-key", NULL,
     "[scenario]\nformat = 1\n[router r]\nmptcp = on\n", {NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"t.ini:4: [router r] mptcp:", "applies to hosts only"}},
    {"/scenario/error/bad-bool", NULL,
     "[scenario]\nformat = 1\n[host a]\nmptcp = maybe\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [host a] mptcp:", "expected on or off", "got 'maybe'"}},
    {"/scenario/error/bad-enum", NULL,
     "[scenario]\nformat = 1\n[host a]\nstack = linux\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [host a] stack:", "one of afmp, legacy", "got 'linux'"}},
    {"/scenario/error/endpoints-flag", NULL,
     "[scenario]\nformat = 1\n[host a]\nmptcp.endpoints = 10.0.2.2 subflow bakcup\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:4: [host a] mptcp.endpoints:", "'bakcup': expected signal, subflow, backup"}},
    {"/scenario/error/endpoints-no-kind", NULL,
     "[scenario]\nformat = 1\n[host a]\nmptcp.endpoints = 10.0.2.2 backup\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"mptcp.endpoints:", "endpoint 1: expected signal or subflow"}},
    {"/scenario/error/endpoints-fullmesh", NULL,
     "[scenario]\nformat = 1\n[host a]\nmptcp.endpoints = 10.0.2.2 signal fullmesh\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"mptcp.endpoints:", "fullmesh needs subflow"}},
    {"/scenario/error/endpoints-id", NULL,
     "[scenario]\nformat = 1\n[host a]\nmptcp.endpoints = 10.0.2.2 signal id 3, "
     "10.0.3.2 subflow id 3\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"mptcp.endpoints:", "endpoint 2: id 3 is taken by endpoint 1"}},
    {"/scenario/error/endpoints-addr", NULL,
     "[scenario]\nformat = 1\n[host a]\nmptcp.endpoints = 10.0.2 signal\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"mptcp.endpoints:", "'10.0.2': expected an IPv4 or IPv6 address"}},
    {"/scenario/error/bad-uint-option", NULL,
     "[scenario]\nformat = 1\n[router r]\nip.ttl = 256\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [router r] ip.ttl:", "0 to 255"}},
    {"/scenario/error/bad-unit", NULL, BASE "delay = 10xs\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] delay:", "expected a time like 10ms (units ns, us, ms, s), got '10xs'"}},
    {"/scenario/error/missing-unit", NULL, BASE "delay = 10\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] delay:", "got '10' (the unit is missing)"}},
    {"/scenario/error/space-unit", NULL, BASE "delay = 10 ms\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] delay:", "no space"}},
    {"/scenario/error/trailing-comment", NULL, BASE "delay = 10ms # one way\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] delay:", "comments go on their own line"}},
    {"/scenario/error/ambiguous-unit", NULL, BASE "rate = 10Mbps\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] rate:", "ambiguous"}},
    {"/scenario/error/overflow", NULL, BASE "delay = 99999999999999999999s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] delay:", "out of range"}},
    {"/scenario/error/negative", NULL, BASE "loss = -1%\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] loss:", "negative"}},
    {"/scenario/error/percent-range", NULL, BASE "loss = 101%\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] loss:", "at most 100%"}},
    {"/scenario/error/zero-rate", NULL, BASE "rate = 0bit\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] rate:", "a rate of zero sends nothing"}},
    {"/scenario/error/trace-missing-file", "trace-link.ini", NULL,
     {"link.l1.trace=traces/none.trace"}, MP_SCENARIO_ERROR_REFERENCE,
     {"--set link.l1.trace=traces/none.trace: [link l1] trace:", "none.trace",
      "a Mahimahi delivery trace"}},
    {"/scenario/error/trace-syntax", "trace-link.ini", NULL,
     {"link.l1.trace=traces/bad-syntax.trace"}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] trace:", "bad-syntax.trace:2: expected a delivery time in whole milliseconds",
      "got '2x'"}},
    {"/scenario/error/trace-order", "trace-link.ini", NULL,
     {"link.l1.trace=traces/bad-order.trace"}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] trace:", "bad-order.trace:3: expected a time at or after", "got 4 after 5"}},
    {"/scenario/error/trace-empty", "trace-link.ini", NULL,
     {"link.l1.trace=traces/empty.trace"}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] trace:", "empty.trace: expected one delivery time"}},
    {"/scenario/error/trace-zero-period", "trace-link.ini", NULL,
     {"link.l1.trace=traces/zero.trace"}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] trace:", "zero.trace:2: the last time is the period"}},
    {"/scenario/error/trace-and-rate", "trace-link.ini", NULL, {"link.l1.rate=10Mbit"},
     MP_SCENARIO_ERROR_VALUE,
     {"trace-link.ini:10: [link l1] trace:", "direction ab has both rate and trace"}},
    {"/scenario/error/trace-and-rate-one-dir", "trace-link.ini", NULL,
     {"link.l1.rate.ba=10Mbit", "link.l1.trace.ba=traces/good.trace"}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] trace.ba:", "direction ba has both rate.ba and trace.ba"}},
    {"/scenario/error/trace-event", "trace-link.ini", NULL,
     {"events.x=1s link l1 trace traces/good.trace"}, MP_SCENARIO_ERROR_VALUE,
     {"[events] x:", "cannot change during a run"}},
    {"/scenario/error/trace-rate-event", "trace-link.ini", NULL,
     {"events.x=1s link l1 rate.ba 1Mbit"}, MP_SCENARIO_ERROR_VALUE,
     {"[events] x:", "direction ba of link l1 follows the trace good.trace"}},
    {"/scenario/error/ge-incomplete", NULL, BASE "ge.p = 1%\n", {NULL},
     MP_SCENARIO_ERROR_MISSING, {"t.ini:10: [link l1] ge.r:", "Gilbert-Elliott"}},
    {"/scenario/error/reorder-no-delay", NULL, BASE "reorder.ba = 1%\n", {NULL},
     MP_SCENARIO_ERROR_MISSING, {"t.ini:10: [link l1] reorder-delay:", "direction ba"}},
    {"/scenario/error/missing-format", NULL, "[scenario]\nname = x\n[host a]\n", {NULL},
     MP_SCENARIO_ERROR_FORMAT, {"t.ini:1: [scenario] format:", "supported formats: 1"}},
    {"/scenario/error/missing-scenario", NULL, "[host a]\niface.eth0 = 10.0.0.1/24\n", {NULL},
     MP_SCENARIO_ERROR_FORMAT, {"t.ini:1: [scenario] format:", "format = 1"}},
    {"/scenario/error/wrong-format", NULL, "[scenario]\nformat = 2\n", {NULL},
     MP_SCENARIO_ERROR_FORMAT, {"t.ini:2: [scenario] format:", "'2' is not supported (supported formats: 1)"}},
    {"/scenario/error/bad-address", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.256/24\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [host a] iface.eth0:", "got '10.0.0.256/24' (not an IPv4"}},
    {"/scenario/error/bad-prefix-v4", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/33\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [host a] iface.eth0:", "0 to 32"}},
    {"/scenario/error/bad-prefix-v6", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24 2001:db8::1/129\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [host a] iface.eth0:", "got '2001:db8::1/129'", "0 to 128"}},
    {"/scenario/error/missing-prefix", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:4: [host a] iface.eth0:", "prefix length is missing"}},
    {"/scenario/error/route-host-bits", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\n"
     "route.x = 10.1.2.3/16 via 10.0.0.2\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [host a] route.x:", "did you mean 10.1.0.0/16?"}},
    {"/scenario/error/route-default-family", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\nroute.x = default dev eth0\n",
     {NULL}, MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [host a] route.x:", "0.0.0.0/0 or ::/0"}},
    {"/scenario/error/duplicate-address", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\niface.eth1 = 10.0.0.1/24\n",
     {NULL}, MP_SCENARIO_ERROR_DUPLICATE, {"t.ini:5: [host a] iface.eth1:", "already configured"}},
    {"/scenario/error/duplicate-node", NULL,
     "[scenario]\nformat = 1\n[host a]\n[router a]\n", {NULL},
     MP_SCENARIO_ERROR_DUPLICATE, {"t.ini:4: [router a]:", "already used by [host a] at line 3"}},
    {"/scenario/error/syntax-line", NULL, BASE "just words\n", {NULL},
     MP_SCENARIO_ERROR_SYNTAX, {"t.ini:13: [link l1]:", "neither a group header"}},
    {"/scenario/error/group-spaces", NULL, "[scenario]\nformat = 1\n[host   a]\n", {NULL},
     MP_SCENARIO_ERROR_SYNTAX, {"t.ini:3: [host   a]:", "[host a]"}},
    {"/scenario/error/group-no-name", NULL, "[scenario]\nformat = 1\n[link]\n", {NULL},
     MP_SCENARIO_ERROR_SYNTAX, {"t.ini:3: [link]:", "expected [link NAME]"}},
    /* references */
    {"/scenario/ref/link-node", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\n[link l1]\na = a.eth0\nb = aa.eth0\n",
     {NULL}, MP_SCENARIO_ERROR_REFERENCE, {"t.ini:7: [link l1] b:", "unknown node 'aa' (known: a)"}},
    {"/scenario/ref/link-iface", NULL, BASE "\n[link l2]\na = a.eth9\nb = b.eth0\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [link l2] a:", "a has no interface 'eth9'"}},
    {"/scenario/ref/link-iface-taken", NULL,
     BASE "\n[host c]\niface.eth0 = 10.0.0.3/24\n[link l2]\na = c.eth0\nb = b.eth0\n", {NULL},
     MP_SCENARIO_ERROR_DUPLICATE, {"t.ini:18: [link l2] b:", "b.eth0 is already attached to link l1"}},
    {"/scenario/ref/route-dev", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\n"
     "route.up = 10.1.0.0/16 via 10.0.0.2 dev eht0\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:5: [host a] route.up:", "did you mean 'eth0'?"}},
    {"/scenario/ref/route-gateway", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\n"
     "route.up = 10.1.0.0/16 via 10.9.0.2\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:5: [host a] route.up:", "not inside a subnet"}},
    {"/scenario/ref/route-src", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\n"
     "route.up = 10.1.0.0/16 via 10.0.0.2 src 10.0.0.9\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:5: [host a] route.up:", "src 10.0.0.9 is not an address of a"}},
    {"/scenario/ref/rule-iface", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 10.0.0.1/24\nrule.r = oif eth1 table 5\n",
     {NULL}, MP_SCENARIO_ERROR_REFERENCE, {"t.ini:5: [host a] rule.r:", "no interface 'eth1'"}},
    {"/scenario/ref/event-link", NULL, BASE "\n[events]\ncut = 2s link l9 down\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [events] cut:", "unknown link 'l9'; did you mean 'l1'?"}},
    {"/scenario/ref/event-addr-iface", NULL, BASE "\n[events]\nv6 = 2s addr add b.eth1 2001:db8::2/64\n",
     {NULL}, MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [events] v6:", "b has no interface 'eth1'"}},
    {"/scenario/ref/app-host", NULL, BASE "\n[app p]\nhost = c\nargv = ping 10.0.0.2\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [app p] host:", "unknown node 'c'"}},
    {"/scenario/ref/app-router", NULL,
     "[scenario]\nformat = 1\n[router r]\n[app p]\nhost = r\nargv = ping 10.0.0.2\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:5: [app p] host:", "is a router"}},
    {"/scenario/ref/app-builtin", NULL, BASE "\n[app p]\nhost = a\nargv = pnig 10.0.0.2\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:16: [app p] argv:", "did you mean 'ping'?"}},
    {"/scenario/ref/app-plugin", NULL,
     BASE "\n[app p]\nhost = a\nargv = mine\nplugin = /nonexistent/libmine.so\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:17: [app p] plugin:", "no such shared object"}},
    {"/scenario/ref/expect-app", NULL, BASE "\n[app p]\nhost = a\nargv = ping 10.0.0.2\n"
     "[expect]\nok = done q\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:18: [expect] ok:", "unknown app 'q' (known: p)"}},
    {"/scenario/ref/expect-host", NULL, BASE "\n[expect]\nrx = counter bb UdpInDatagrams >= 1\n",
     {NULL}, MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [expect] rx:", "unknown node 'bb'"}},
    {"/scenario/ref/expect-link", NULL, BASE "\n[app p]\nhost = a\nargv = ping 10.0.0.2\n"
     "[expect]\nsh = share p l2 >= 10%\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:18: [expect] sh:", "unknown link 'l2'"}},
    {"/scenario/error/expect-op", NULL, BASE "\n[app p]\nhost = a\nargv = ping 10.0.0.2\n"
     "[expect]\nst = stall p => 1s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:18: [expect] st:", "got '=>'"}},
    {"/scenario/error/expect-within", NULL, BASE "\n[app p]\nhost = a\nargv = ping 10.0.0.2\n"
     "[expect]\ng = goodput p within 9Mbit..8Mbit\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:18: [expect] g:", "low bound is above"}},
    {"/scenario/error/expect-kind", NULL, BASE "\n[app p]\nhost = a\nargv = ping 10.0.0.2\n"
     "[expect]\ng = godput p >= 1Mbit\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:18: [expect] g:", "did you mean 'goodput'?"}},
    {"/scenario/error/event-time", NULL, BASE "\n[events]\ncut = 2 link l1 down\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:15: [events] cut:", "event time first"}},
    /* router advertisements (ra.IFNAME) and the address events */
    {"/scenario/error/ra-not-v6", NULL, RA_BASE "ra.eth0 = 10.0.0.0/24\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "carry IPv6 prefixes"}},
    {"/scenario/error/ra-host-bits", NULL, RA_BASE "ra.eth0 = 2001:db8::1/64\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "host bits must be zero"}},
    {"/scenario/ref/ra-iface", NULL, RA_BASE "ra.eth1 = 2001:db8::/64\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:5: [router r] ra.eth1:", "did you mean 'eth0'?"}},
    {"/scenario/error/ra-preferred-above-valid", NULL,
     RA_BASE "ra.eth0 = 2001:db8::/64 valid 10s preferred 20s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "RFC 4862 5.5.3 c"}},
    {"/scenario/error/ra-whole-seconds", NULL, RA_BASE "ra.eth0 = 2001:db8::/64 valid 1.5s\n",
     {NULL}, MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "valid: expected whole seconds"}},
    {"/scenario/error/ra-word", NULL, RA_BASE "ra.eth0 = 2001:db8::/64 lifetime 10s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:5: [router r] ra.eth0:", "expected valid, preferred, interval or router-lifetime",
      "got 'lifetime'"}},
    {"/scenario/error/ra-value-missing", NULL, RA_BASE "ra.eth0 = 2001:db8::/64 valid\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "valid: the value is missing"}},
    {"/scenario/error/ra-interval", NULL, RA_BASE "ra.eth0 = 2001:db8::/64 interval 10ms\n",
     {NULL}, MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "30ms to 1800s"}},
    {"/scenario/error/ra-router-lifetime", NULL,
     RA_BASE "ra.eth0 = 2001:db8::/64 router-lifetime 10000s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:5: [router r] ra.eth0:", "0s to 9000s"}},
    {"/scenario/error/event-iface-state", NULL, BASE "\n[events]\nx = 2s iface a.eth0 sideways\n",
     {NULL}, MP_SCENARIO_ERROR_VALUE, {"t.ini:15: [events] x:", "'TIME iface NODE.IFACE down|up'"}},
    {"/scenario/ref/event-iface", NULL, BASE "\n[events]\nx = 2s iface a.eth9 down\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE, {"t.ini:15: [events] x:", "a has no interface 'eth9'"}},
    {"/scenario/ref/event-ra-no-key", NULL, BASE "\n[events]\nx = 2s ra a.eth0 stop\n", {NULL},
     MP_SCENARIO_ERROR_REFERENCE,
     {"t.ini:15: [events] x:", "a.eth0 sends no router advertisements", "ra.eth0"}},
    {"/scenario/error/event-ra-word", NULL,
     RA_BASE "ra.eth0 = 2001:db8::/64\n[events]\nx = 2s ra r.eth0 2001:db8::/64 interval 5s\n",
     {NULL}, MP_SCENARIO_ERROR_VALUE, {"t.ini:7: [events] x:", "expected valid or preferred"}},
    {"/scenario/error/event-lease-form", NULL,
     BASE "\n[events]\nx = 2s lease a.eth0 10.0.0.9/24 10s\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:15: [events] x:", "'TIME lease NODE.IFACE ADDR/LEN for T'"}},
    {"/scenario/error/event-lease-zero", NULL,
     BASE "\n[events]\nx = 2s lease a.eth0 10.0.0.9/24 for 0s\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:15: [events] x:", "above 0s"}},
    {"/scenario/error/event-lease-time", NULL,
     BASE "\n[events]\nx = 2s lease a.eth0 10.0.0.9/24 for 10\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:15: [events] x:", "the lease time after 'for'", "got '10'"}},
    {"/scenario/error/event-lease-addr", NULL,
     BASE "\n[events]\nx = 2s lease a.eth0 10.0.0.9 lost\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:15: [events] x:", "the prefix length is missing"}},
    {"/scenario/error/dns-address", NULL, BASE "\n[dns]\nx.example = 10.0.0.300\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:15: [dns] x.example:", "got '10.0.0.300'"}},
    {"/scenario/error/dns-duplicate", NULL, BASE "\n[dns]\nx.example = 10.0.0.3\nX.Example = 10.0.0.4\n",
     {NULL}, MP_SCENARIO_ERROR_DUPLICATE, {"t.ini:16: [dns] X.Example:", "line 15"}},
    /* --set */
    {"/scenario/error/middlebox-kind", NULL, BASE "middlebox = strip-mtpcp\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] middlebox:", "expected middleboxes like 'strip-mptcp'",
      "unknown middlebox 'strip-mtpcp'; did you mean 'strip-mptcp'?"}},
    {"/scenario/error/middlebox-ratio", NULL, BASE "middlebox.ab = rewrite-payload 120%\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] middlebox.ab:", "rewrite-payload: expected a ratio", "got '120%'"}},
    {"/scenario/error/middlebox-addr", NULL, BASE "middlebox = nat44 10.0.0\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] middlebox:", "nat44: expected the outside IPv4 address", "'10.0.0'"}},
    {"/scenario/error/middlebox-nat-one-way", NULL, BASE "middlebox.ab = nat44\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] middlebox.ab:", "must be in the lists of both"}},
    {"/scenario/error/middlebox-nat-two-addrs", NULL,
     BASE "middlebox = nat44 192.0.2.1\nmiddlebox.ba = nat44 192.0.2.2\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:14: [link l1] middlebox.ba:", "192.0.2.1 in direction ab and 192.0.2.2 in ba"}},
    {"/scenario/error/middlebox-nat-no-v4", NULL,
     "[scenario]\nformat = 1\n[host a]\niface.eth0 = 2001:db8::1/64\n[host b]\n"
     "iface.eth0 = 2001:db8::2/64\n[link l1]\na = a.eth0\nb = b.eth0\nmiddlebox = nat44\n",
     {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:10: [link l1] middlebox:", "a.eth0 has none", "nat44 ADDR"}},
    {"/scenario/error/middlebox-event-kind", NULL,
     BASE "\n[events]\nx = 1s link l1 middlebox blackhol\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:15: [events] x:", "middlebox: expected middleboxes", "did you mean 'blackhole'?"}},
    {"/scenario/error/middlebox-event-nat-one-way", NULL,
     BASE "\n[events]\nx = 1s link l1 middlebox.ba strip-mptcp, nat44\n", {NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini:15: [events] x:", "nat44 translates both directions", "not middlebox.ba"}},
    {"/scenario/error/engine", NULL, BASE, {"scenario.engine=ns-3", NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini: --set scenario.engine=ns-3: [scenario] engine:", "expected embedded or ns3"}},
    {"/scenario/error/routes", NULL, BASE, {"scenario.routes=sparse", NULL},
     MP_SCENARIO_ERROR_VALUE,
     {"t.ini: --set scenario.routes=sparse: [scenario] routes:", "expected one of full, compact"}},
    {"/scenario/error/framing", NULL, BASE "framing = hdlc\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] framing:", "expected none or ppp, got 'hdlc'"}},
    {"/scenario/error/wifi-key-on-p2p", NULL, BASE "wifi.speed = 1m/s\n", {NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini:13: [link l1] wifi.speed:", "only a link of kind = wifi"}},
    {"/scenario/error/wifi-embedded", NULL, BASE "kind = wifi\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] kind:", "only the ns-3 engine has Wi-Fi links"}},
    {"/scenario/error/csma-embedded", NULL, BASE "kind = csma\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] kind:", "only the ns-3 engine has CSMA links"}},
    {"/scenario/error/kind", NULL, BASE "kind = token-ring\n", {NULL}, MP_SCENARIO_ERROR_VALUE,
     {"t.ini:13: [link l1] kind:", "expected one of p2p, wifi, csma, got 'token-ring'"}},
    {"/scenario/error/wifi-distance", NULL, BASE "kind = wifi\nwifi.distance = 5\n",
     {"scenario.engine=ns3", NULL}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] wifi.distance:", "a number with its unit like 5m, got '5'"}},
    {"/scenario/error/wifi-standard", NULL, BASE "kind = wifi\nwifi.standard = 80211b\n",
     {"scenario.engine=ns3", NULL}, MP_SCENARIO_ERROR_VALUE,
     {"[link l1] wifi.standard:", "expected one of 80211a, 80211g, 80211n, 80211ac, got '80211b'"}},
    {"/scenario/set/bad-value", NULL, BASE, {"link.l1.delay=10", NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini: --set link.l1.delay=10: [link l1] delay:", "unit is missing"}},
    {"/scenario/set/unknown-key", NULL, BASE, {"link.l1.dealy=10ms", NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"t.ini: --set link.l1.dealy=10ms: [link l1] dealy:", "did you mean 'delay'?"}},
    {"/scenario/set/no-equals", NULL, BASE, {"link.l1.delay", NULL},
     MP_SCENARIO_ERROR_OVERRIDE, {"t.ini: --set link.l1.delay:", "GROUP.KEY=VALUE"}},
    {"/scenario/set/no-group", NULL, BASE, {"link.l7.delay=1ms", NULL},
     MP_SCENARIO_ERROR_OVERRIDE, {"--set link.l7.delay=1ms:", "no group [link l7]"}},
    {"/scenario/set/bad-kind", NULL, BASE, {"lnk.l1.delay=1ms", NULL},
     MP_SCENARIO_ERROR_UNKNOWN, {"--set lnk.l1.delay=1ms:", "did you mean 'link'?"}},
    {"/scenario/set/named-no-key", NULL, BASE, {"host.a=1", NULL},
     MP_SCENARIO_ERROR_OVERRIDE, {"--set host.a=1:", "host.NAME.KEY=VALUE"}},
    {"/scenario/set/new-group-bad", NULL, BASE, {"capture.snaplen=0B", NULL},
     MP_SCENARIO_ERROR_VALUE, {"t.ini: --set capture.snaplen=0B: [capture] snaplen:", "1B to 262144B"}},
};

static void test_error_case(gconstpointer data)
{
    const struct ecase *c = data;
    GError *err = NULL;
    struct mp_scenario *scn;

    if (c->file) {
        char *path = g_test_build_filename(G_TEST_DIST, "scenarios", c->file, NULL);
        scn = mp_scenario_load_file(path, c->set, &err);
        g_free(path);
    } else {
        scn = mp_scenario_load_data("t.ini", c->text, -1, c->set, &err);
    }
    g_assert_null(scn);
    g_assert_nonnull(err);
    g_test_message("%s", err->message);
    g_assert_true(err->domain == MP_SCENARIO_ERROR);
    g_assert_cmpint(err->code, ==, c->code);
    for (unsigned i = 0; i < G_N_ELEMENTS(c->must) && c->must[i]; i++) {
        if (!strstr(err->message, c->must[i]))
            g_error("message '%s' lacks '%s'", err->message, c->must[i]);
    }
    g_error_free(err);
}

/* Windows line ends and a UTF-8 byte order mark are accepted. */
static void test_crlf_bom(void)
{
    GError *err = NULL;
    const char *text = "\xEF\xBB\xBF[scenario]\r\nformat = 1\r\nduration = 5s\r\n"
                       "[host a]\r\niface.eth0 = 10.0.0.1/24\r\n";
    struct mp_scenario *scn = mp_scenario_load_data("w.ini", text, -1, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(scn->duration, ==, MP_S(5));
    g_assert_cmpuint(scn->nodes[0].ifaces[0].n_addrs, ==, 1);
    mp_scenario_free(scn);
}

static void test_io_error(void)
{
    GError *err = NULL;
    g_assert_null(mp_scenario_load_file("/nonexistent/x.ini", NULL, &err));
    g_assert_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_IO);
    g_assert_nonnull(strstr(err->message, "/nonexistent/x.ini"));
    g_error_free(err);
}

/* ---- a full scenario, field by field ---------------------------------- */

static struct mp_scenario *load_test_file(const char *name, const char *const *set)
{
    GError *err = NULL;
    char *path = g_test_build_filename(G_TEST_DIST, "scenarios", name, NULL);
    struct mp_scenario *scn = mp_scenario_load_file(path, set, &err);
    g_assert_no_error(err);
    g_assert_nonnull(scn);
    g_free(path);
    return scn;
}

static void assert_prefix(const struct mp_scn_prefix *p, const char *addr, unsigned len)
{
    struct mp_ip want = {0};
    if (strchr(addr, ':')) {
        want.v = 6;
        g_assert_cmpint(inet_pton(AF_INET6, addr, want.b), ==, 1);
    } else {
        want.v = 4;
        g_assert_cmpint(inet_pton(AF_INET, addr, want.b), ==, 1);
    }
    g_assert_true(mp_ip_eq(&p->ip, &want));
    g_assert_cmpuint(p->len, ==, len);
}

static void assert_ip(const struct mp_ip *ip, const char *addr)
{
    struct mp_scn_prefix p = {*ip, 0};
    assert_prefix(&p, addr, 0);
}

static void test_full(void)
{
    struct mp_scenario *scn = load_test_file("dual.ini", NULL);

    g_assert_cmpuint(scn->format, ==, 1);
    g_assert_cmpstr(scn->name, ==, "dual-test");
    g_assert_cmpuint(scn->duration, ==, MP_S(30));
    g_assert_cmpuint(scn->seed, ==, 42);
    g_assert_true(scn->pcap);
    g_assert_false(scn->pcapng);
    g_assert_cmpuint(scn->snaplen, ==, 128);

    /* nodes */
    g_assert_cmpuint(scn->n_nodes, ==, 3);
    const struct mp_scn_node *cl = &scn->nodes[0], *r1 = &scn->nodes[1], *sv = &scn->nodes[2];
    g_assert_cmpstr(cl->name, ==, "client");
    g_assert_cmpint(cl->kind, ==, MP_SCN_HOST);
    g_assert_cmpstr(r1->name, ==, "r1");
    g_assert_cmpint(r1->kind, ==, MP_SCN_ROUTER);
    g_assert_cmpstr(sv->name, ==, "server");
    g_assert_cmpint(mp_scenario_find_node(scn, "server"), ==, 2);
    g_assert_cmpint(mp_scenario_find_node(scn, "nobody"), ==, -1);

    g_assert_cmpuint(cl->n_ifaces, ==, 2);
    g_assert_cmpstr(cl->ifaces[0].name, ==, "wlan0");
    g_assert_cmpuint(cl->ifaces[0].n_addrs, ==, 2);
    assert_prefix(&cl->ifaces[0].addrs[0], "10.0.1.2", 24);
    assert_prefix(&cl->ifaces[0].addrs[1], "2001:db8:1::2", 64);
    g_assert_cmpint(cl->ifaces[0].link, ==, 0);
    g_assert_cmpint(cl->ifaces[0].link_end, ==, 0);
    g_assert_cmpstr(cl->ifaces[1].name, ==, "lte0");
    g_assert_cmpint(cl->ifaces[1].link, ==, 1);
    g_assert_cmpint(r1->ifaces[2].link, ==, 2);
    g_assert_cmpint(r1->ifaces[2].link_end, ==, 0);
    g_assert_cmpint(sv->ifaces[0].link_end, ==, 1);
    g_assert_cmpuint(cl->ifaces[1].line, ==, 15);

    /* options: set, defaulted, per-kind defaults */
    g_assert_cmpstr(mp_scn_node_opt_str(cl, "stack"), ==, "afmp");
    g_assert_false(mp_scn_node_opt(cl, "stack")->set);
    g_assert_true(mp_scn_node_opt_bool(cl, "mptcp"));
    g_assert_true(mp_scn_node_opt(cl, "mptcp")->set);
    g_assert_false(mp_scn_node_opt_bool(cl, "ip.forward"));
    g_assert_cmpuint(mp_scn_node_opt_uint(cl, "ip.ttl"), ==, 64);
    g_assert_cmpstr(mp_scn_node_opt_str(sv, "stack"), ==, "legacy");
    g_assert_cmpuint(mp_scn_node_opt_uint(sv, "ip.ttl"), ==, 32);
    g_assert_true(mp_scn_node_opt_bool(r1, "ip.forward"));
    g_assert_null(mp_scn_node_opt(r1, "mptcp"));
    g_assert_true(cl->capture);
    g_assert_true(r1->capture);
    g_assert_true(sv->capture);

    /* routes, in file order, interfaces resolved */
    g_assert_false(cl->routes_auto);
    g_assert_true(r1->routes_auto);
    g_assert_cmpuint(cl->n_routes, ==, 5);
    const struct mp_scn_route *rt = cl->routes;
    g_assert_cmpstr(rt[0].label, ==, "wifi");
    assert_prefix(&rt[0].dst, "0.0.0.0", 0);
    assert_ip(&rt[0].via, "10.0.1.1");
    g_assert_cmpint(rt[0].dev, ==, 0); /* found from the gateway's subnet */
    g_assert_cmpuint(rt[0].metric, ==, 10);
    g_assert_cmpuint(rt[0].table, ==, MP_SCN_TABLE_MAIN);
    g_assert_cmpuint(rt[0].src.v, ==, 0);
    g_assert_cmpint(rt[1].dev, ==, 1);
    g_assert_cmpuint(rt[1].metric, ==, 20);
    g_assert_cmpuint(rt[2].table, ==, 2);
    g_assert_cmpint(rt[2].dev, ==, 1);
    assert_prefix(&rt[3].dst, "::", 0);
    assert_ip(&rt[3].via, "2001:db8:1::1");
    g_assert_cmpint(rt[4].kind, ==, MP_SCN_ROUTE_BLACKHOLE);
    assert_prefix(&rt[4].dst, "192.0.2.0", 24);
    g_assert_cmpint(rt[4].dev, ==, -1);
    g_assert_cmpuint(rt[4].line, ==, 21);

    /* rules sorted by priority: the numbered one first */
    g_assert_cmpuint(cl->n_rules, ==, 2);
    g_assert_cmpstr(cl->rules[0].label, ==, "lte");
    g_assert_cmpuint(cl->rules[0].priority, ==, 100);
    g_assert_true(cl->rules[0].has_from);
    assert_prefix(&cl->rules[0].from, "10.0.2.0", 24);
    g_assert_false(cl->rules[0].has_to);
    g_assert_cmpuint(cl->rules[0].table, ==, 2);
    g_assert_cmpstr(cl->rules[1].label, ==, "late");
    g_assert_cmpuint(cl->rules[1].priority, ==, 1001);
    g_assert_true(cl->rules[1].has_to);
    g_assert_cmpuint(cl->rules[1].table, ==, MP_SCN_TABLE_MAIN);
    g_assert_cmpint(cl->rules[1].iif, ==, -1);

    /* links */
    g_assert_cmpuint(scn->n_links, ==, 3);
    const struct mp_scn_link *wifi = &scn->links[0], *lte = &scn->links[1], *core = &scn->links[2];
    g_assert_cmpstr(wifi->name, ==, "wifi");
    g_assert_cmpint(wifi->node[0], ==, 0);
    g_assert_cmpint(wifi->iface[0], ==, 0);
    g_assert_cmpint(wifi->node[1], ==, 1);
    g_assert_cmpint(wifi->iface[1], ==, 0);
    g_assert_cmpuint(wifi->mtu, ==, 1500);
    g_assert_cmpuint(wifi->dir[0].rate, ==, 20000000);
    g_assert_cmpuint(wifi->dir[1].rate, ==, 50000000);
    g_assert_cmpuint(wifi->dir[0].delay, ==, MP_MS(10));
    g_assert_cmpuint(wifi->dir[1].delay, ==, 12500000);
    g_assert_cmpuint(wifi->dir[0].queue_limit, ==, 100);
    g_assert_false(wifi->dir[0].queue_bytes);
    g_assert_cmpuint(wifi->dir[1].loss, ==, 5000);
    g_assert_false(wifi->dir[0].ge);
    g_assert_cmpuint(lte->mtu, ==, 1400);
    for (int e = 0; e < 2; e++) {
        const struct mp_scn_dir *d = &lte->dir[e];
        g_assert_cmpuint(d->rate, ==, 5000000);
        g_assert_cmpuint(d->queue_limit, ==, 64000);
        g_assert_true(d->queue_bytes);
        g_assert_true(d->ge);
        g_assert_cmpuint(d->ge_p, ==, 10000);
        g_assert_cmpuint(d->ge_r, ==, 250000);
        g_assert_cmpuint(d->ge_loss_good, ==, 0);
        g_assert_cmpuint(d->ge_loss_bad, ==, 1000000);
        g_assert_cmpuint(d->corrupt, ==, 10);
        g_assert_cmpuint(d->duplicate, ==, 100);
        g_assert_cmpuint(d->reorder, ==, 10000);
        g_assert_cmpuint(d->reorder_delay, ==, MP_MS(2));
        g_assert_cmpuint(d->loss, ==, 0);
    }
    g_assert_cmpuint(core->dir[1].rate, ==, 1000000000);
    g_assert_cmpuint(core->dir[1].queue_limit, ==, 1000); /* default */
    g_assert_cmpint(mp_scenario_find_link(scn, "lte"), ==, 1);

    /* apps */
    g_assert_cmpuint(scn->n_apps, ==, 2);
    const struct mp_scn_app *sink = &scn->apps[0], *cbr = &scn->apps[1];
    g_assert_cmpint(sink->host, ==, 2);
    g_assert_cmpuint(sink->start, ==, 0);
    g_assert_cmpuint(sink->stop, ==, MP_TIME_NEVER);
    g_assert_cmpint(cbr->host, ==, 0);
    g_assert_cmpuint(cbr->start, ==, MP_S(1));
    g_assert_cmpuint(cbr->stop, ==, MP_S(20));
    g_assert_cmpint(cbr->argc, ==, 5);
    g_assert_cmpstr(cbr->argv[0], ==, "udp-cbr");
    g_assert_cmpstr(cbr->argv[2], ==, "server.example:9000");
    g_assert_null(cbr->argv[5]);
    g_assert_null(cbr->plugin);
    g_assert_cmpint(mp_scenario_find_app(scn, "cbr"), ==, 1);

    /* events: by time, ties in file order */
    g_assert_cmpuint(scn->n_events, ==, 5);
    const struct mp_scn_event *ev = scn->events;
    g_assert_cmpstr(ev[0].name, ==, "v4-gone");
    g_assert_cmpuint(ev[0].at, ==, MP_S(3));
    g_assert_cmpint(ev[0].kind, ==, MP_SCN_EV_ADDR_DEL);
    g_assert_cmpint(ev[0].node, ==, 0);
    g_assert_cmpint(ev[0].iface, ==, 0);
    assert_prefix(&ev[0].addr, "10.0.1.2", 24);
    g_assert_cmpstr(ev[1].name, ==, "early");
    g_assert_cmpint(ev[1].kind, ==, MP_SCN_EV_LINK_SET);
    g_assert_cmpint(ev[1].link, ==, 2);
    g_assert_cmpint(ev[1].param, ==, MP_SCN_LP_DELAY);
    g_assert_cmpuint(ev[1].dirs, ==, 3);
    g_assert_cmpuint(ev[1].value, ==, MP_MS(2));
    g_assert_cmpstr(ev[2].name, ==, "wifi-down");
    g_assert_cmpint(ev[2].kind, ==, MP_SCN_EV_LINK_DOWN);
    g_assert_cmpstr(ev[2].text, ==, "link wifi down");
    g_assert_cmpstr(ev[3].name, ==, "lte-slow");
    g_assert_cmpuint(ev[3].at, ==, 6500000000u);
    g_assert_cmpint(ev[3].param, ==, MP_SCN_LP_RATE);
    g_assert_cmpuint(ev[3].dirs, ==, 1);
    g_assert_cmpuint(ev[3].value, ==, 1000000);
    g_assert_cmpint(ev[4].kind, ==, MP_SCN_EV_LINK_UP);
    g_assert_cmpuint(ev[4].line, ==, 79);

    /* dns: names lower-cased, trailing dot dropped, order kept */
    g_assert_cmpuint(scn->n_dns, ==, 2);
    g_assert_cmpstr(scn->dns[0].name, ==, "server.example");
    g_assert_cmpuint(scn->dns[0].n_addrs, ==, 2);
    assert_ip(&scn->dns[0].addrs[1], "2001:db8:3::2");
    g_assert_cmpstr(scn->dns[1].name, ==, "client.example");

    /* expectations */
    g_assert_cmpuint(scn->n_expects, ==, 9);
    const struct mp_scn_expect *x = scn->expects;
    g_assert_cmpint(x[0].kind, ==, MP_SCN_EXP_DONE);
    g_assert_cmpint(x[0].app, ==, 1);
    g_assert_cmpint(x[0].op, ==, MP_SCN_OP_LE);
    g_assert_cmpuint(x[0].value, ==, MP_S(25));
    g_assert_cmpint(x[1].kind, ==, MP_SCN_EXP_INTACT);
    g_assert_cmpint(x[1].op, ==, MP_SCN_OP_NONE);
    g_assert_cmpint(x[2].kind, ==, MP_SCN_EXP_STALL);
    g_assert_cmpint(x[2].unit, ==, MP_SCN_UNIT_NS);
    g_assert_cmpuint(x[2].value, ==, MP_S(3));
    g_assert_cmpint(x[3].op, ==, MP_SCN_OP_WITHIN);
    g_assert_cmpuint(x[3].value, ==, 800000);
    g_assert_cmpuint(x[3].hi, ==, 1000000);
    g_assert_cmpint(x[4].link, ==, 0);
    g_assert_cmpuint(x[4].value, ==, 200000);
    g_assert_cmpint(x[5].link, ==, -1);
    g_assert_cmpint(x[5].node, ==, 0);
    g_assert_cmpint(x[5].iface, ==, 1);
    g_assert_cmpint(x[5].op, ==, MP_SCN_OP_LT);
    g_assert_cmpint(x[6].kind, ==, MP_SCN_EXP_COUNTER);
    g_assert_cmpint(x[6].node, ==, 2);
    g_assert_cmpstr(x[6].counter, ==, "UdpInDatagrams");
    g_assert_cmpuint(x[6].value, ==, 1000);
    g_assert_cmpint(x[7].kind, ==, MP_SCN_EXP_SUBFLOWS);
    g_assert_cmpint(x[7].op, ==, MP_SCN_OP_EQ);
    g_assert_cmpint(x[8].kind, ==, MP_SCN_EXP_ADDRS);
    g_assert_false(x[8].peer);
    g_assert_cmpint(x[8].op, ==, MP_SCN_OP_GE);
    g_assert_cmpuint(x[8].n_addrs, ==, 2);
    assert_ip(&x[8].addrs[1], "2001:db8:1::2");
    g_assert_cmpstr(x[8].name, ==, "local");
    g_assert_cmpuint(x[8].line, ==, 97);

    mp_scenario_free(scn);
}

static void test_defaults(void)
{
    struct mp_scenario *scn = load_test_file("minimal.ini", NULL);
    g_assert_cmpstr(scn->name, ==, "minimal"); /* from the file name */
    g_assert_cmpuint(scn->duration, ==, MP_S(60));
    g_assert_cmpuint(scn->seed, ==, 1);
    g_assert_true(scn->pcap);
    g_assert_true(scn->pcapng);
    g_assert_cmpuint(scn->snaplen, ==, 256);
    g_assert_true(scn->nodes[0].routes_auto);
    g_assert_cmpuint(scn->links[0].dir[0].rate, ==, 0);
    g_assert_cmpuint(scn->links[0].dir[1].delay, ==, 0);
    g_assert_cmpuint(scn->links[0].dir[1].queue_limit, ==, 1000);
    g_assert_cmpuint(scn->links[0].mtu, ==, 1500);
    g_assert_cmpuint(scn->n_events, ==, 0);
    g_assert_cmpuint(scn->n_expects, ==, 0);
    mp_scenario_free(scn);
}

static void test_overrides(void)
{
    const char *const set[] = {
        "scenario.seed=7",  "link.wifi.delay=20ms", "link.wifi.loss.ab=1%",
        "host.client.mptcp=off", "capture.pcapng = on", "events.late=25s link lte down",
        NULL,
    };
    struct mp_scenario *scn = load_test_file("dual.ini", set);
    g_assert_cmpuint(scn->seed, ==, 7);
    /* delay.ba in the file still wins over the both-direction override */
    g_assert_cmpuint(scn->links[0].dir[0].delay, ==, MP_MS(20));
    g_assert_cmpuint(scn->links[0].dir[1].delay, ==, 12500000);
    g_assert_cmpuint(scn->links[0].dir[0].loss, ==, 10000);
    g_assert_cmpuint(scn->links[0].dir[1].loss, ==, 5000);
    g_assert_false(mp_scn_node_opt_bool(&scn->nodes[0], "mptcp"));
    g_assert_true(scn->pcapng);
    g_assert_cmpuint(scn->n_events, ==, 6);
    g_assert_cmpstr(scn->events[5].name, ==, "late");
    g_assert_cmpint(scn->events[5].link, ==, 1);
    mp_scenario_free(scn);

    /* A document resolves again after further overrides; the first result
     * is unaffected. */
    GError *err = NULL;
    char *path = g_test_build_filename(G_TEST_DIST, "scenarios", "minimal.ini", NULL);
    struct mp_scn_doc *doc = mp_scn_doc_load_file(path, &err);
    g_assert_no_error(err);
    struct mp_scenario *s1 = mp_scn_doc_resolve(doc, &err);
    g_assert_no_error(err);
    g_assert_true(mp_scn_doc_set(doc, "link.l.rate=unlimited", &err));
    g_assert_true(mp_scn_doc_set(doc, "link.l.rate.ba=2Mbit", &err));
    g_assert_true(mp_scn_doc_set(doc, "scenario.duration=5s", &err));
    struct mp_scenario *s2 = mp_scn_doc_resolve(doc, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(s1->duration, ==, MP_S(60));
    g_assert_cmpuint(s2->duration, ==, MP_S(5));
    g_assert_cmpuint(s2->links[0].dir[0].rate, ==, 0);
    g_assert_cmpuint(s2->links[0].dir[1].rate, ==, 2000000);
    mp_scenario_free(s1);
    mp_scenario_free(s2);
    mp_scn_doc_free(doc);
    g_free(path);
}

/* Middlebox keys: both directions, one overridden, nat44 taking end a's
 * address, and events that change the lists. */
/* trace = FILE, from the scenario's folder; rate.ba takes one direction
 * back to a rate. */
static void test_trace_keys(void)
{
    GError *err = NULL;
    char *path = g_test_build_filename(G_TEST_DIST, "scenarios", "trace-link.ini", NULL);
    struct mp_scenario *scn = mp_scenario_load_file(path, NULL, &err);
    g_assert_no_error(err);
    const struct mp_scn_dir *ab = &scn->links[0].dir[0], *ba = &scn->links[0].dir[1];
    g_assert_nonnull(ab->trace);
    g_assert_true(ab->trace == ba->trace);
    g_assert_cmpstr(ab->trace->name, ==, "good.trace");
    g_assert_cmpuint(ab->trace->n, ==, 3);
    g_assert_cmpuint(ab->trace->period_ms, ==, 3);
    g_assert_cmpuint(ab->delay, ==, MP_MS(5));
    char *json = mp_scenario_to_json_string(scn, false);
    g_assert_nonnull(strstr(json, "\"trace\":{\"name\":\"good.trace\",\"opportunities\":3,"
                                  "\"period_ms\":3,\"average_rate_bps\":12000000}"));
    g_free(json);
    mp_scenario_free(scn);

    const char *const set[] = {"link.l1.rate.ba=10Mbit", NULL};
    scn = mp_scenario_load_file(path, set, &err);
    g_assert_no_error(err);
    g_assert_nonnull(scn->links[0].dir[0].trace);
    g_assert_null(scn->links[0].dir[1].trace);
    g_assert_cmpuint(scn->links[0].dir[1].rate, ==, 10000000);
    mp_scenario_free(scn);
    g_free(path);
}

static void test_middlebox_keys(void)
{
    GError *err = NULL;
    const char *text = BASE "middlebox = strip-mptcp, nat44\n"
                            "middlebox.ba = drop-join synack, nat44\n"
                            "\n[events]\n"
                            "off = 2s link l1 middlebox none\n"
                            "hole = 3s link l1 middlebox.ab blackhole , rewrite-payload 25%\n"
                            "nat = 4s link l1 middlebox nat44 192.0.2.7\n";
    struct mp_scenario *scn = mp_scenario_load_data("t.ini", text, -1, NULL, &err);
    g_assert_no_error(err);
    const struct mp_scn_dir *ab = &scn->links[0].dir[0], *ba = &scn->links[0].dir[1];
    g_assert_cmpuint(ab->mbox.n, ==, 2);
    g_assert_cmpint(ab->mbox.m[0].kind, ==, MP_MBOX_STRIP_MPTCP);
    g_assert_cmpint(ab->mbox.m[1].kind, ==, MP_MBOX_NAT44);
    assert_ip(&ab->mbox.m[1].addr, "10.0.0.1");
    g_assert_cmpuint(ba->mbox.n, ==, 2);
    g_assert_cmpint(ba->mbox.m[0].kind, ==, MP_MBOX_DROP_JOIN);
    g_assert_true(ba->mbox.m[0].synack);
    assert_ip(&ba->mbox.m[1].addr, "10.0.0.1");
    g_assert_cmpuint(scn->n_events, ==, 3);
    const struct mp_scn_event *e = scn->events;
    g_assert_cmpint(e[0].param, ==, MP_SCN_LP_MIDDLEBOX);
    g_assert_cmpuint(e[0].dirs, ==, 3);
    g_assert_cmpuint(e[0].mbox.n, ==, 0);
    g_assert_cmpuint(e[1].dirs, ==, 1);
    g_assert_cmpuint(e[1].mbox.n, ==, 2);
    g_assert_cmpint(e[1].mbox.m[1].kind, ==, MP_MBOX_REWRITE_PAYLOAD);
    g_assert_cmpuint(e[1].mbox.m[1].ratio_ppm, ==, 250000);
    assert_ip(&e[2].mbox.m[0].addr, "192.0.2.7");
    char *json = mp_scenario_to_json_string(scn, false);
    g_assert_nonnull(strstr(json, "\"middlebox\":[\"strip-mptcp\",\"nat44 10.0.0.1\"]"));
    g_assert_nonnull(strstr(json, "\"middlebox\":[\"blackhole\",\"rewrite-payload 25%\"]"));
    g_free(json);
    mp_scenario_free(scn);
}

/* ---- JSON ------------------------------------------------------------- */

static void test_json(void)
{
    struct mp_scenario *a = load_test_file("dual.ini", NULL);
    struct mp_scenario *b = load_test_file("dual.ini", NULL);
    char *ja = mp_scenario_to_json_string(a, true);
    char *jb = mp_scenario_to_json_string(b, true);
    g_assert_cmpstr(ja, ==, jb);

    /* It is valid JSON and carries resolved values. */
    JsonParser *p = json_parser_new();
    GError *err = NULL;
    g_assert_true(json_parser_load_from_data(p, ja, -1, &err));
    g_assert_no_error(err);
    JsonObject *root = json_node_get_object(json_parser_get_root(p));
    g_assert_cmpint(json_object_get_int_member(root, "duration_ns"), ==, 30000000000);
    JsonArray *links = json_object_get_array_member(root, "links");
    JsonObject *wifi = json_array_get_object_element(links, 0);
    g_assert_cmpstr(json_object_get_string_member(wifi, "a"), ==, "client.wlan0");
    JsonObject *ba = json_object_get_object_member(wifi, "ba");
    g_assert_cmpint(json_object_get_int_member(ba, "delay_ns"), ==, 12500000);
    g_assert_cmpint(json_object_get_int_member(ba, "loss_ppm"), ==, 5000);
    JsonArray *nodes = json_object_get_array_member(root, "nodes");
    JsonObject *client = json_array_get_object_element(nodes, 0);
    JsonObject *opts = json_object_get_object_member(client, "options");
    g_assert_cmpstr(json_object_get_string_member(opts, "stack"), ==, "afmp");
    g_assert_true(json_object_get_boolean_member(opts, "mptcp"));
    JsonArray *apps = json_object_get_array_member(root, "apps");
    JsonObject *sink = json_array_get_object_element(apps, 0);
    g_assert_true(json_object_get_null_member(sink, "stop_ns"));
    JsonArray *ev = json_object_get_array_member(root, "events");
    g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(ev, 0), "name"),
                    ==, "v4-gone");
    g_object_unref(p);

    /* An override shows in the dump. */
    const char *const set[] = {"link.wifi.delay.ba=13ms", NULL};
    struct mp_scenario *c = load_test_file("dual.ini", set);
    char *jc = mp_scenario_to_json_string(c, true);
    g_assert_cmpstr(ja, !=, jc);
    g_assert_nonnull(strstr(jc, "\"delay_ns\" : 13000000"));

    g_free(ja);
    g_free(jb);
    g_free(jc);
    mp_scenario_free(a);
    mp_scenario_free(b);
    mp_scenario_free(c);
}

/* The example in scenarios/FORMAT.md parses: the documentation cannot drift
 * from the parser. */
static void test_format_md_example(void)
{
    const char *root = g_getenv("AFMP_SOURCE_ROOT");
    if (!root) {
        g_test_skip("AFMP_SOURCE_ROOT not set (run through meson test)");
        return;
    }
    char *path = g_build_filename(root, "scenarios", "FORMAT.md", NULL);
    char *md = NULL;
    GError *err = NULL;
    g_assert_true(g_file_get_contents(path, &md, NULL, &err));
    const char *start = strstr(md, "```ini\n");
    g_assert_nonnull(start);
    start += strlen("```ini\n");
    const char *end = strstr(start, "```");
    g_assert_nonnull(end);
    struct mp_scenario *scn =
        mp_scenario_load_data("FORMAT.md-example.ini", start, end - start, NULL, &err);
    g_assert_no_error(err);
    g_assert_nonnull(scn);
    g_assert_cmpuint(scn->n_nodes, >, 2);
    g_assert_cmpuint(scn->n_expects, >, 3);
    mp_scenario_free(scn);
    g_free(md);
    g_free(path);
}

/* ra.IFNAME with its defaults (RFC 4861 6.2.1) and the address events. */
static void test_addr_events(void)
{
    const char *text = RA_BASE "ra.eth0 = 2001:db8::/64 interval 5s\n"
                               "iface.eth1 = 10.0.0.1/24\n"
                               "ra.eth1 = 2001:db8:9::/64 valid 100s router-lifetime 0s\n"
                               "[events]\n"
                               "d = 1s iface r.eth0 down\n"
                               "u = 2s iface r.eth0 up\n"
                               "s = 3s ra r.eth0 stop\n"
                               "g = 4s ra r.eth0 start\n"
                               "w = 5s ra r.eth0 2001:db8::/64 valid 0s\n"
                               "p = 6s ra r.eth1 2001:db8:9::/64 valid infinite preferred 50s\n"
                               "l = 7s lease r.eth1 10.0.0.9/24 for 30s\n"
                               "x = 8s lease r.eth1 10.0.0.9/24 lost\n";
    GError *err = NULL;
    struct mp_scenario *scn = mp_scenario_load_data("t.ini", text, -1, NULL, &err);
    g_assert_no_error(err);
    const struct mp_scn_node *r = &scn->nodes[0];
    g_assert_cmpuint(r->n_ras, ==, 2);
    assert_prefix(&r->ras[0].prefix, "2001:db8::", 64);
    g_assert_cmpint(r->ras[0].iface, ==, 0);
    g_assert_cmpuint(r->ras[0].valid, ==, 2592000);
    g_assert_cmpuint(r->ras[0].preferred, ==, 604800);
    g_assert_cmpuint(r->ras[0].interval, ==, MP_S(5));
    g_assert_cmpuint(r->ras[0].router_lifetime, ==, 15);
    g_assert_cmpuint(r->ras[1].valid, ==, 100);
    g_assert_cmpuint(r->ras[1].preferred, ==, 100);
    g_assert_cmpuint(r->ras[1].interval, ==, MP_S(600));
    g_assert_cmpuint(r->ras[1].router_lifetime, ==, 0);
    g_assert_true(mp_scn_node_opt_bool(r, "ipv6.accept-ra"));
    g_assert_false(mp_scn_node_opt_bool(r, "ipv6.keep-addr-on-down"));

    g_assert_cmpuint(scn->n_events, ==, 8);
    const struct mp_scn_event *e = scn->events;
    g_assert_cmpint(e[0].kind, ==, MP_SCN_EV_IFACE_DOWN);
    g_assert_cmpint(e[0].node, ==, 0);
    g_assert_cmpint(e[0].iface, ==, 0);
    g_assert_cmpint(e[1].kind, ==, MP_SCN_EV_IFACE_UP);
    g_assert_cmpint(e[2].kind, ==, MP_SCN_EV_RA_STOP);
    g_assert_cmpint(e[3].kind, ==, MP_SCN_EV_RA_START);
    g_assert_cmpint(e[4].kind, ==, MP_SCN_EV_RA_PREFIX);
    g_assert_cmpuint(e[4].ra_valid, ==, 0);
    g_assert_cmpuint(e[4].ra_preferred, ==, 0);
    g_assert_cmpint(e[5].kind, ==, MP_SCN_EV_RA_PREFIX);
    g_assert_cmpint(e[5].iface, ==, 1);
    g_assert_cmpuint(e[5].ra_valid, ==, MP_SCN_RA_INFINITY);
    g_assert_cmpuint(e[5].ra_preferred, ==, 50);
    g_assert_cmpint(e[6].kind, ==, MP_SCN_EV_LEASE);
    assert_prefix(&e[6].addr, "10.0.0.9", 24);
    g_assert_cmpuint(e[6].value, ==, MP_S(30));
    g_assert_cmpint(e[7].kind, ==, MP_SCN_EV_LEASE_LOST);
    g_assert_cmpstr(e[7].text, ==, "lease r.eth1 10.0.0.9/24 lost");
    char *json = mp_scenario_to_json_string(scn, false);
    g_assert_nonnull(strstr(json, "\"kind\":\"lease\""));
    g_assert_nonnull(strstr(json, "\"router_lifetime_s\":15"));
    g_free(json);
    mp_scenario_free(scn);
}

static void test_option_table(void)
{
    size_t n;
    const struct mp_scn_opt_def *d = mp_scn_options(&n);
    g_assert_cmpuint(n, >=, 4);
    /* Every default in the table parses as its own type: a bad row fails
     * here, not in someone's scenario. */
    char *text = g_strdup("[scenario]\nformat = 1\n[host h]\n[router r]\n");
    GError *err = NULL;
    struct mp_scenario *scn = mp_scenario_load_data("t.ini", text, -1, NULL, &err);
    g_assert_no_error(err);
    for (size_t i = 0; i < n; i++) {
        const struct mp_scn_opt *o = mp_scn_node_opt(&scn->nodes[0], d[i].key);
        if (d[i].for_kinds & MP_SCN_FOR_HOST)
            g_assert_nonnull(o);
        else
            g_assert_null(o);
        g_assert_nonnull(d[i].help);
    }
    mp_scenario_free(scn);
    g_free(text);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(unit_cases); i++) {
        static const char *const kinds[] = {"time", "rate", "size", "queue", "ppm", "uint", "bool"};
        char *p = g_strdup_printf("/units/%s/%zu", kinds[unit_cases[i].kind], i);
        g_test_add_data_func(p, &unit_cases[i], test_unit_case);
        g_free(p);
    }
    g_test_add_func("/units/format", test_units_format);
    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++)
        g_test_add_data_func(error_cases[i].path, &error_cases[i], test_error_case);
    g_test_add_func("/scenario/error/io", test_io_error);
    g_test_add_func("/scenario/crlf-bom", test_crlf_bom);
    g_test_add_func("/scenario/full", test_full);
    g_test_add_func("/scenario/defaults", test_defaults);
    g_test_add_func("/scenario/overrides", test_overrides);
    g_test_add_func("/scenario/middlebox", test_middlebox_keys);
    g_test_add_func("/scenario/trace", test_trace_keys);
    g_test_add_func("/scenario/json/stable", test_json);
    g_test_add_func("/scenario/options/table", test_option_table);
    g_test_add_func("/scenario/addr-events", test_addr_events);
    g_test_add_func("/scenario/format-md-example", test_format_md_example);
    return g_test_run();
}
