/* afmp: evaluating expectations (see expect.h). */
#include "sim/expect.h"

#include <string.h>

#include "afmp/stack.h"
#include "model/net/addr.h"
#include "model/net/counters.h"
#include "sim/units.h"

static char *fmt_value(enum mp_scn_unit unit, uint64_t v)
{
    char buf[64];
    switch (unit) {
    case MP_SCN_UNIT_NS:
        mp_units_format_time(v, buf, sizeof(buf));
        return g_strdup(buf);
    case MP_SCN_UNIT_BPS:
        mp_units_format_rate(v, buf, sizeof(buf));
        return g_strdup(buf);
    case MP_SCN_UNIT_PPM:
        /* Exact: ppm as a percentage with four decimals, trailing zeros cut. */
        g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT ".%04" G_GUINT64_FORMAT, v / 10000,
                   v % 10000);
        for (size_t n = strlen(buf); buf[n - 1] == '0' || buf[n - 1] == '.'; n--) {
            bool dot = buf[n - 1] == '.';
            buf[n - 1] = 0;
            if (dot)
                break;
        }
        return g_strdup_printf("%s%%", buf);
    default:
        return g_strdup_printf("%" G_GUINT64_FORMAT, v);
    }
}

static char *fmt_expected(const struct mp_scn_expect *x)
{
    if (x->op == MP_SCN_OP_WITHIN) {
        char *lo = fmt_value(x->unit, x->value), *hi = fmt_value(x->unit, x->hi);
        char *s = g_strdup_printf("within %s..%s", lo, hi);
        g_free(lo);
        g_free(hi);
        return s;
    }
    char *v = fmt_value(x->unit, x->value);
    char *s = g_strdup_printf("%s %s", mp_scn_op_name(x->op), v);
    g_free(v);
    return s;
}

static bool compare(const struct mp_scn_expect *x, uint64_t m)
{
    switch (x->op) {
    case MP_SCN_OP_EQ: return m == x->value;
    case MP_SCN_OP_GE: return m >= x->value;
    case MP_SCN_OP_LE: return m <= x->value;
    case MP_SCN_OP_LT: return m < x->value;
    case MP_SCN_OP_GT: return m > x->value;
    case MP_SCN_OP_WITHIN: return m >= x->value && m <= x->hi;
    default: return false;
    }
}

bool mp_expect_app_result(struct mp_build *b, size_t app, const char *key, int64_t *out)
{
    struct mp_build_app *a = &b->apps[app];
    if (!a->proc)
        return false;
    return afmp_stack_result(mp_node_host(a->node), mp_proc_pid(a->proc), key, out);
}

static void numeric(struct mp_build *b, const struct mp_scn_expect *x, const char *key,
                    struct mp_verdict *v)
{
    int64_t m;
    if (!mp_expect_app_result(b, (size_t)x->app, key, &m)) {
        v->measured = g_strdup_printf("'%s' not reported by the application", key);
        return;
    }
    if (m < 0) {
        v->measured = g_strdup_printf("%" G_GINT64_FORMAT, m);
        return;
    }
    v->measured = fmt_value(x->unit, (uint64_t)m);
    v->ok = compare(x, (uint64_t)m);
}

static void eval_done(struct mp_build *b, const struct mp_scn_expect *x, struct mp_verdict *v)
{
    struct mp_proc *p = b->apps[x->app].proc;
    char t[32];
    switch (p ? mp_proc_state(p) : MP_PROC_NEW) {
    case MP_PROC_EXITED:
        mp_units_format_time(mp_proc_end_time(p), t, sizeof(t));
        v->measured = g_strdup_printf("exited %d at %s", mp_proc_exit_status(p), t);
        v->ok = mp_proc_exit_status(p) == 0;
        if (x->op != MP_SCN_OP_NONE)
            v->ok = v->ok && compare(x, mp_proc_end_time(p));
        break;
    case MP_PROC_KILLED:
        mp_units_format_time(mp_proc_end_time(p), t, sizeof(t));
        v->measured = g_strdup_printf("killed at %s", t);
        break;
    case MP_PROC_NEW:
        v->measured = g_strdup("never started");
        break;
    default:
        v->measured = g_strdup("still running at the end");
        break;
    }
    v->expected = x->op == MP_SCN_OP_NONE ? g_strdup("exit status 0") : NULL;
    if (!v->expected) {
        char *e = fmt_expected(x);
        v->expected = g_strdup_printf("exit status 0, end %s", e);
        g_free(e);
    }
}

static bool ip_in(const struct mp_ip *v, size_t n, const struct mp_ip *ip)
{
    for (size_t i = 0; i < n; i++)
        if (mp_ip_eq(&v[i], ip))
            return true;
    return false;
}

/* The addresses the application saw in the lists of its AF_MULTIPATH
 * sockets (getsockname or getpeername, every call of the run). */
/* share's other form: an application that knows only its local addresses
 * (bulk-send over MPTCP) reports path_bytes.<address>; the path's bytes are
 * those of the addresses of the app's host on that link or interface. */
static bool path_bytes_by_addr(struct mp_build *b, const struct mp_scn_expect *x, int64_t *out)
{
    const struct mp_scenario *scn = b->scn;
    int host = scn->apps[x->app].host, iface = -1;
    if (x->link >= 0) {
        const struct mp_scn_link *l = &scn->links[x->link];
        for (int e = 0; e < 2; e++)
            if (l->node[e] == host)
                iface = l->iface[e];
    } else if (x->node == host) {
        iface = x->iface;
    }
    if (iface < 0)
        return false;
    const struct mp_scn_iface *f = &scn->nodes[host].ifaces[iface];
    bool any = false;
    *out = 0;
    for (size_t i = 0; i < f->n_addrs; i++) {
        char ip[MP_IP_STRLEN], key[80];
        int64_t v;
        g_snprintf(key, sizeof(key), "path_bytes.%s", mp_ip_str(&f->addrs[i].ip, ip));
        if (mp_expect_app_result(b, (size_t)x->app, key, &v)) {
            *out += v;
            any = true;
        }
    }
    return any;
}

static void eval_addrs(struct mp_build *b, const struct mp_scn_expect *x, struct mp_verdict *v)
{
    struct mp_build_app *a = &b->apps[x->app];
    const GArray *seen =
        a->proc ? afmp_stack_seen_addrs(mp_node_host(a->node), mp_proc_pid(a->proc), x->peer)
                : NULL;
    const char *which = x->peer ? "getpeername" : "getsockname";
    char ip[MP_IP_STRLEN];
    GString *e = g_string_new(x->op == MP_SCN_OP_EQ ? "exactly" : "at least");
    for (size_t i = 0; i < x->n_addrs; i++)
        g_string_append_printf(e, " %s", mp_ip_str(&x->addrs[i], ip));
    v->expected = g_string_free(e, FALSE);
    if (!seen || !seen->len) {
        v->measured = g_strdup_printf("no AF_MULTIPATH %s list seen", which);
        return;
    }
    const struct mp_ip *got = (const struct mp_ip *)(void *)seen->data;
    GString *m = g_string_new(NULL);
    for (guint i = 0; i < seen->len; i++)
        g_string_append_printf(m, "%s%s", i ? " " : "", mp_ip_str(&got[i], ip));
    bool ok = true;
    for (size_t i = 0; i < x->n_addrs; i++)
        ok = ok && ip_in(got, seen->len, &x->addrs[i]);
    if (x->op == MP_SCN_OP_EQ)
        for (guint i = 0; i < seen->len; i++)
            ok = ok && ip_in(x->addrs, x->n_addrs, &got[i]);
    v->ok = ok;
    v->measured = g_string_free(m, FALSE);
}

GArray *mp_expect_evaluate(struct mp_build *b)
{
    const struct mp_scenario *scn = b->scn;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(struct mp_verdict));
    for (size_t i = 0; i < scn->n_expects; i++) {
        const struct mp_scn_expect *x = &scn->expects[i];
        struct mp_verdict v = {g_strdup(x->name), g_strdup(x->text), false, NULL, NULL};
        switch (x->kind) {
        case MP_SCN_EXP_DONE:
            eval_done(b, x, &v);
            break;
        case MP_SCN_EXP_INTACT: {
            int64_t m;
            v.expected = g_strdup("intact");
            if (!mp_expect_app_result(b, (size_t)x->app, "intact", &m))
                v.measured = g_strdup("'intact' not reported by the application");
            else {
                v.ok = m == 1;
                v.measured = g_strdup(m == 1 ? "intact" : "damaged");
            }
            break;
        }
        case MP_SCN_EXP_STALL:
            numeric(b, x, "stall_ns", &v);
            break;
        case MP_SCN_EXP_GOODPUT:
            numeric(b, x, "goodput_bps", &v);
            break;
        case MP_SCN_EXP_SUBFLOWS:
            numeric(b, x, "subflows", &v);
            break;
        case MP_SCN_EXP_RESULT:
            numeric(b, x, x->counter, &v);
            break;
        case MP_SCN_EXP_SHARE: {
            /* An application that knows its paths reports bytes per path
             * as path_bytes.<link or node.iface> and its total as bytes. */
            const char *path = x->link >= 0 ? scn->links[x->link].name : NULL;
            char *pname = path ? g_strdup(path)
                               : g_strdup_printf("%s.%s", scn->nodes[x->node].name,
                                                 scn->nodes[x->node].ifaces[x->iface].name);
            char *key = g_strdup_printf("path_bytes.%s", pname);
            int64_t part, total;
            bool have = mp_expect_app_result(b, (size_t)x->app, key, &part) ||
                        path_bytes_by_addr(b, x, &part);
            if (!have || !mp_expect_app_result(b, (size_t)x->app, "bytes", &total))
                v.measured = g_strdup_printf("'%s' and 'bytes' not reported by the application", key);
            else {
                uint64_t ppm = total > 0 ? (uint64_t)part * 1000000u / (uint64_t)total : 0;
                v.measured = fmt_value(MP_SCN_UNIT_PPM, ppm);
                v.ok = compare(x, ppm);
            }
            g_free(key);
            g_free(pname);
            break;
        }
        case MP_SCN_EXP_COUNTER: {
            int id = mp_ctr_lookup(x->counter);
            uint64_t m = id >= 0 ? mp_node_host(b->nodes[x->node])->ctr.v[id] : 0;
            v.measured = g_strdup_printf("%" G_GUINT64_FORMAT, m);
            v.ok = id >= 0 && compare(x, m);
            break;
        }
        case MP_SCN_EXP_ADDRS:
            eval_addrs(b, x, &v);
            break;
        }
        if (!v.expected)
            v.expected = fmt_expected(x);
        g_array_append_val(out, v);
    }
    return out;
}

void mp_verdicts_free(GArray *v)
{
    if (!v)
        return;
    for (guint i = 0; i < v->len; i++) {
        struct mp_verdict *e = &g_array_index(v, struct mp_verdict, i);
        g_free(e->name);
        g_free(e->text);
        g_free(e->measured);
        g_free(e->expected);
    }
    g_array_free(v, TRUE);
}

size_t mp_verdicts_failed(const GArray *v)
{
    size_t n = 0;
    for (guint i = 0; i < v->len; i++)
        n += !g_array_index(v, struct mp_verdict, i).ok;
    return n;
}
