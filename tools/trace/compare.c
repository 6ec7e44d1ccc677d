/*
 * afmp-trace compare: two runs (the same failover with AF_MULTIPATH and with
 * AF_INET, fullmesh against backup, ...) side by side. Each run is analysed
 * as `report` would; the metrics are those of its main connection (the one
 * with the most data), in its main direction, plus what the run's
 * results.json says of its applications when the run is a folder.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "tools/trace/compare.h"
#include "tools/trace/plot.h"
#include "tools/trace/trace.h"

struct metric {
    const char *name;
    const char *unit;
    bool numeric;
    double v[2];
    char *text[2];
};

/* The row |name|, added (numeric, no values yet) when it is not there. */
static struct metric *row(GPtrArray *m, const char *name, const char *unit, bool numeric)
{
    for (guint i = 0; i < m->len; i++)
        if (!strcmp(((struct metric *)m->pdata[i])->name, name))
            return m->pdata[i];
    struct metric *x = g_new0(struct metric, 1);
    x->name = name;
    x->unit = unit;
    x->numeric = numeric;
    x->v[0] = x->v[1] = NAN;
    g_ptr_array_add(m, x);
    return x;
}

static void set_num(GPtrArray *m, const char *name, const char *unit, int run, double v)
{
    row(m, name, unit, true)->v[run] = v;
}

static void set_text(GPtrArray *m, const char *name, int run, char *text)
{
    struct metric *x = row(m, name, "", false);
    g_free(x->text[run]);
    x->text[run] = text;
}

static void metric_free(gpointer p)
{
    struct metric *x = p;
    g_free(x->text[0]);
    g_free(x->text[1]);
    g_free(x);
}

static unsigned count_events(const struct at_conn *c, const char *ev)
{
    unsigned n = 0;
    for (guint i = 0; i < c->events->len; i++)
        if (!strcmp(g_array_index(c->events, struct at_event, i).event, ev))
            n++;
    return n;
}

static void conn_metrics(GPtrArray *m, int run, const struct at_analysis *a)
{
    const struct at_conn *c = at_main_conn(a);
    set_num(m, "connections", "", run, a->conns->len);
    if (!c) {
        set_text(m, "main connection", run, g_strdup("none"));
        return;
    }
    int d = c->d[1].bytes > c->d[0].bytes;
    const struct at_cdir *cd = &c->d[d];
    unsigned est = 0, v6 = 0;
    for (guint i = 0; i < c->sfs->len; i++) {
        const struct at_sf *sf = c->sfs->pdata[i];
        est += sf->established;
        v6 += sf->established && sf->cip.v == 6;
    }
    set_text(m, "main connection", run,
             g_strdup_printf("%u, %s%s%s", c->id, c->mptcp ? "MPTCP" : "TCP",
                             c->fallback ? ", fallback: " : "", c->fallback ? c->fallback : ""));
    set_text(m, "direction", run, g_strdup(d ? "s2c" : "c2s"));
    set_num(m, "subflows established", "", run, est);
    set_num(m, "IPv6 subflows", "", run, v6);
    set_num(m, "data bytes sent", "B", run, (double)cd->bytes);
    set_num(m, "data bytes acked", "B", run, (double)cd->acked);
    if (cd->any) {
        set_num(m, "first data", "s", run, cd->t_first / 1e9);
        if (cd->t_acked >= 0)
            set_num(m, "all data acked", "s", run, cd->t_acked / 1e9);
        else
            set_text(m, "all data acked", run, g_strdup("never"));
        set_num(m, "last ACK progress", "s", run, cd->t_ack_last / 1e9);
        set_num(m, "goodput", "Mbit/s", run, at_goodput(cd) / 1e6);
    }
    set_num(m, "longest stall", "s", run, cd->max_stall / 1e9);
    set_num(m, "retransmitted bytes", "B", run, (double)cd->retrans);
    set_num(m, "reinjected bytes", "B", run, (double)cd->reinject);
    set_num(m, "ADD_ADDR", "", run, count_events(c, "add-addr"));
    set_num(m, "REMOVE_ADDR", "", run, count_events(c, "remove-addr"));
    set_num(m, "MP_PRIO", "", run, count_events(c, "mp-prio"));
    set_num(m, "MP_FAIL", "", run, count_events(c, "mp-fail"));
    set_num(m, "subflow resets", "", run, count_events(c, "rst"));
}

/* What results.json says of the applications: exit status, end time and
 * the results a comparison needs. */
static void app_metrics(GPtrArray *m, int run, const char *dir)
{
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        return;
    char *p = g_build_filename(dir, "results.json", NULL);
    JsonParser *jp = json_parser_new();
    if (!json_parser_load_from_file(jp, p, NULL)) {
        g_object_unref(jp);
        g_free(p);
        return;
    }
    g_free(p);
    JsonObject *root = json_node_get_object(json_parser_get_root(jp));
    JsonArray *apps = root && json_object_has_member(root, "apps")
                          ? json_object_get_array_member(root, "apps")
                          : NULL;
    static const char *const keys[] = {"bytes", "completion_ns", "goodput_bps", "stall_ns",
                                       "subflows", "fallback"};
    for (guint i = 0; apps && i < json_array_get_length(apps); i++) {
        JsonObject *app = json_array_get_object_element(apps, i);
        const char *name = json_object_get_string_member_with_default(app, "name", "?");
        const char *state = json_object_get_string_member_with_default(app, "state", "?");
        char *k = g_strdup_printf("app %s", name);
        if (json_object_has_member(app, "status") &&
            !JSON_NODE_HOLDS_NULL(json_object_get_member(app, "status")))
            set_text(m, g_intern_string(k), run,
                     g_strdup_printf("%s, status %" PRId64, state,
                                     json_object_get_int_member(app, "status")));
        else
            set_text(m, g_intern_string(k), run, g_strdup(state));
        g_free(k);
        JsonObject *res = json_object_has_member(app, "results")
                              ? json_object_get_object_member(app, "results")
                              : NULL;
        for (size_t j = 0; res && j < G_N_ELEMENTS(keys); j++) {
            if (!json_object_has_member(res, keys[j]))
                continue;
            double v = (double)json_object_get_int_member(res, keys[j]);
            const char *unit = "";
            char *kk;
            if (g_str_has_suffix(keys[j], "_ns")) {
                v /= 1e9;
                unit = "s";
                kk = g_strdup_printf("%s %.*s", name, (int)strlen(keys[j]) - 3, keys[j]);
            } else if (!strcmp(keys[j], "goodput_bps")) {
                v /= 1e6;
                unit = "Mbit/s";
                kk = g_strdup_printf("%s goodput", name);
            } else {
                kk = g_strdup_printf("%s %s", name, keys[j]);
                unit = !strcmp(keys[j], "bytes") ? "B" : "";
            }
            set_num(m, g_intern_string(kk), unit, run, v);
            g_free(kk);
        }
    }
    g_object_unref(jp);
}

static void fmt_val(const struct metric *x, int run, char *buf, size_t len)
{
    if (!x->numeric) {
        g_strlcpy(buf, x->text[run] ? x->text[run] : "-", len);
        return;
    }
    if (x->text[run]) {
        g_strlcpy(buf, x->text[run], len);
        return;
    }
    double v = x->v[run];
    if (isnan(v))
        g_strlcpy(buf, "-", len);
    else if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v)
        g_snprintf(buf, len, "%.0f", v);
    else
        g_snprintf(buf, len, "%.3f", v);
}

static void print_table(FILE *f, GPtrArray *m, const char *la, const char *lb)
{
    int w0 = 6, w1 = (int)strlen(la), w2 = (int)strlen(lb);
    char b[160];
    for (guint i = 0; i < m->len; i++) {
        const struct metric *x = m->pdata[i];
        int n = (int)strlen(x->name) + (*x->unit ? (int)strlen(x->unit) + 3 : 0);
        w0 = MAX(w0, n);
        fmt_val(x, 0, b, sizeof(b));
        w1 = MAX(w1, (int)strlen(b));
        fmt_val(x, 1, b, sizeof(b));
        w2 = MAX(w2, (int)strlen(b));
    }
    fprintf(f, "%-*s  %*s  %*s  %s\n", w0, "metric", w1, la, w2, lb, "B/A");
    for (guint i = 0; i < m->len; i++) {
        const struct metric *x = m->pdata[i];
        char name[128], va[160], vb[160], r[32] = "";
        if (*x->unit)
            g_snprintf(name, sizeof(name), "%s (%s)", x->name, x->unit);
        else
            g_strlcpy(name, x->name, sizeof(name));
        fmt_val(x, 0, va, sizeof(va));
        fmt_val(x, 1, vb, sizeof(vb));
        if (x->numeric && !x->text[0] && !x->text[1] && !isnan(x->v[0]) && !isnan(x->v[1]) &&
            x->v[0] != 0)
            g_snprintf(r, sizeof(r), "%.2f", x->v[1] / x->v[0]);
        fprintf(f, "%-*s  %*s  %*s  %s\n", w0, name, w1, va, w2, vb, r);
    }
}

static void csv_field(GString *g, const char *s)
{
    if (strpbrk(s, ",\"\n")) {
        g_string_append_c(g, '"');
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                g_string_append_c(g, '"');
            g_string_append_c(g, *p);
        }
        g_string_append_c(g, '"');
    } else {
        g_string_append(g, s);
    }
}

static bool write_tables(GPtrArray *m, const char *la, const char *lb, const char *out,
                         GError **err)
{
    GString *csv = g_string_new("metric,unit,");
    csv_field(csv, la);
    g_string_append_c(csv, ',');
    csv_field(csv, lb);
    g_string_append_c(csv, '\n');
    JsonBuilder *jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "runs");
    json_builder_begin_array(jb);
    json_builder_add_string_value(jb, la);
    json_builder_add_string_value(jb, lb);
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "metrics");
    json_builder_begin_array(jb);
    for (guint i = 0; i < m->len; i++) {
        const struct metric *x = m->pdata[i];
        char v[2][160];
        fmt_val(x, 0, v[0], sizeof(v[0]));
        fmt_val(x, 1, v[1], sizeof(v[1]));
        csv_field(csv, x->name);
        g_string_append_c(csv, ',');
        csv_field(csv, x->unit);
        for (int r = 0; r < 2; r++) {
            g_string_append_c(csv, ',');
            csv_field(csv, v[r]);
        }
        g_string_append_c(csv, '\n');
        json_builder_begin_object(jb);
        json_builder_set_member_name(jb, "metric");
        json_builder_add_string_value(jb, x->name);
        json_builder_set_member_name(jb, "unit");
        json_builder_add_string_value(jb, x->unit);
        json_builder_set_member_name(jb, "values");
        json_builder_begin_array(jb);
        for (int r = 0; r < 2; r++) {
            if (x->numeric && !x->text[r] && !isnan(x->v[r]))
                json_builder_add_double_value(jb, x->v[r]);
            else if (x->text[r])
                json_builder_add_string_value(jb, x->text[r]);
            else
                json_builder_add_null_value(jb);
        }
        json_builder_end_array(jb);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(jb);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, true);
    char *js = json_generator_to_data(gen, NULL);
    char *pc = g_build_filename(out, "compare.csv", NULL);
    char *pj = g_build_filename(out, "compare.json", NULL);
    char *jsn = g_strconcat(js, "\n", NULL);
    bool ok = g_file_set_contents(pc, csv->str, (gssize)csv->len, err) &&
              g_file_set_contents(pj, jsn, -1, err);
    g_free(jsn);
    g_free(pc);
    g_free(pj);
    g_free(js);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(jb);
    g_string_free(csv, true);
    return ok;
}

int at_compare(const char *a, const char *b, const char *label_a, const char *label_b,
               const char *out, double bin_s, FILE *f, GError **err)
{
    const char *runs[2] = {a, b};
    char *csv[2] = {NULL, NULL};
    char *tmpdir = NULL;
    GPtrArray *m = g_ptr_array_new_with_free_func(metric_free);
    int rc = 0;
    if (out && g_mkdir_with_parents(out, 0755) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", out,
                    g_strerror(errno));
        rc = 1;
        goto done;
    }
    for (int r = 0; r < 2; r++) {
        char *in[2] = {(char *)runs[r], NULL};
        if (out)
            csv[r] = g_build_filename(out, r ? "b" : "a", NULL);
        struct at_analysis *an = at_run_analysis(in, csv[r], NULL, err);
        if (!an) {
            rc = 2;
            goto done;
        }
        conn_metrics(m, r, an);
        app_metrics(m, r, runs[r]);
        at_analysis_free(an);
    }
    print_table(f, m, label_a, label_b);
    if (out) {
        if (!write_tables(m, label_a, label_b, out, err)) {
            rc = 1;
            goto done;
        }
        char *ia[] = {(char *)a, NULL}, *ib[] = {(char *)b, NULL};
        char *ta = at_run_trace(ia), *tb = at_run_trace(ib);
        struct at_plot_input pa = {label_a, csv[0], ta}, pb = {label_b, csv[1], tb};
        GError *perr = NULL;
        if (at_plot_compare(&pa, &pb, bin_s, out, &perr) < 0) {
            fprintf(stderr, "afmp-trace: no plots: %s\n", perr->message);
            g_clear_error(&perr);
        }
        g_free(ta);
        g_free(tb);
        fprintf(f, "tables and plots in %s\n", out);
    }
done:
    g_free(csv[0]);
    g_free(csv[1]);
    g_free(tmpdir);
    g_ptr_array_unref(m);
    return rc;
}
