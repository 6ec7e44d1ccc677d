/* afmp: one run of a scenario (see run.h). */
#include "sim/run.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "afmp/stack.h"
#include "afmp-version.h"
#include "sim/ns3/ns3.h"
#include "sim/results.h"
#include "sim/units.h"

G_DEFINE_QUARK(mp-run-error-quark, mp_run_error)

static char **build_overrides(const struct mp_run_opts *o)
{
    GPtrArray *a = g_ptr_array_new();
    for (const char *const *s = o->sets; s && *s; s++)
        g_ptr_array_add(a, g_strdup(*s));
    if (o->has_seed)
        g_ptr_array_add(a, g_strdup_printf("scenario.seed=%" G_GUINT64_FORMAT, o->seed));
    if (o->stop != MP_TIME_NEVER)
        g_ptr_array_add(a, g_strdup_printf("scenario.duration=%" G_GUINT64_FORMAT "ns", o->stop));
    if (o->snaplen)
        g_ptr_array_add(a, g_strdup_printf("capture.snaplen=%uB", o->snaplen));
    if (o->no_pcap) {
        g_ptr_array_add(a, g_strdup("capture.pcap=off"));
        g_ptr_array_add(a, g_strdup("capture.pcapng=off"));
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* Removes what an earlier run left in |dir| (only files afmp writes). */
static void clean_outdir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    if (!d)
        return;
    while ((n = g_dir_read_name(d))) {
        if (g_str_has_suffix(n, ".pcap") || g_str_has_suffix(n, ".pcapng") ||
            !strcmp(n, "results.json") || !strcmp(n, "run.json") || !strcmp(n, "trace.jsonl") ||
            g_str_has_prefix(n, ".tmp-")) {
            char *p = g_build_filename(dir, n, NULL);
            g_unlink(p);
            g_free(p);
        }
    }
    g_dir_close(d);
    char *logs = g_build_filename(dir, "logs", NULL);
    d = g_dir_open(logs, 0, NULL);
    if (d) {
        while ((n = g_dir_read_name(d))) {
            if (g_str_has_suffix(n, ".log")) {
                char *p = g_build_filename(logs, n, NULL);
                g_unlink(p);
                g_free(p);
            }
        }
        g_dir_close(d);
    }
    g_free(logs);
}

/* Writes |text| to dir/name through a temporary file and a rename. */
static bool write_atomic(const char *dir, const char *name, const char *text, gsize len,
                         GError **err)
{
    char *path = g_build_filename(dir, name, NULL);
    /* g_file_set_contents writes a temporary file and renames it. */
    bool ok = g_file_set_contents(path, text, (gssize)len, err);
    g_free(path);
    return ok;
}

struct progress {
    struct mp_engine *eng;
    gint64 t0, last;
    mp_time_t step;
};

static void progress_tick(void *arg, mp_time_t now)
{
    struct progress *p = arg;
    gint64 t = g_get_monotonic_time();
    if (t - p->last >= 250000) {
        double wall = (double)(t - p->t0) / 1e6;
        g_printerr("\r[afmp] simulated %" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT " s, wall %.1f s, "
                   "%.2f M events/s   ",
                   now / 1000000000u, (now / 1000000u) % 1000u, wall,
                   (double)mp_engine_events_run(p->eng) / (wall > 0 ? wall : 1) / 1e6);
        p->last = t;
    }
    if (mp_engine_pending(p->eng) > 0)
        mp_engine_at(p->eng, now + p->step, progress_tick, p);
}

static void summary(struct mp_run_report *rep, struct mp_build *b, const struct mp_scenario *scn)
{
    GString *s = rep->summary;
    char t[32];
    mp_units_format_time(mp_engine_now(mp_world_engine(b->w)), t, sizeof(t));
    g_string_append_printf(s, "scenario %s (seed %" G_GUINT64_FORMAT "): simulated %s, %" G_GUINT64_FORMAT
                              " events in %.2f s\n",
                           scn->name, scn->seed, t, rep->events, rep->wall_s);
    for (size_t i = 0; i < scn->n_apps; i++) {
        struct mp_build_app *a = &b->apps[i];
        g_string_append_printf(s, "  app %s on %s:", scn->apps[i].name, scn->nodes[scn->apps[i].host].name);
        if (!a->proc) {
            g_string_append(s, " not started\n");
            continue;
        }
        const GPtrArray *r = afmp_stack_results(mp_node_host(a->node), mp_proc_pid(a->proc));
        for (guint k = 0; r && k < r->len && k < 8; k++) {
            const struct afmp_result *e = g_ptr_array_index(r, k);
            g_string_append_printf(s, " %s=%" G_GINT64_FORMAT, e->key, e->value);
        }
        g_string_append_c(s, '\n');
    }
    for (guint i = 0; rep->verdicts && i < rep->verdicts->len; i++) {
        const struct mp_verdict *v = &g_array_index(rep->verdicts, struct mp_verdict, i);
        g_string_append_printf(s, "  expect %s: %s (measured %s, expected %s)\n", v->name,
                               v->ok ? "ok" : "FAILED", v->measured, v->expected);
    }
    g_string_append_printf(s, "  output: %s\n", rep->outdir);
}

static char *run_json(const struct mp_run_opts *o, const struct mp_scenario *scn,
                      const struct mp_run_report *rep)
{
    JsonBuilder *jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "version");
    json_builder_add_string_value(jb, AFMP_VERSION);
    json_builder_set_member_name(jb, "git_revision");
    json_builder_add_string_value(jb, AFMP_GIT_REVISION);
    json_builder_set_member_name(jb, "command_line");
    json_builder_add_string_value(jb, o->command_line ? o->command_line : "");
    json_builder_set_member_name(jb, "wall_time_s");
    json_builder_add_double_value(jb, rep->wall_s);
    json_builder_set_member_name(jb, "events");
    json_builder_add_int_value(jb, (gint64)rep->events);
    json_builder_set_member_name(jb, "events_per_s");
    json_builder_add_double_value(jb, rep->wall_s > 0 ? (double)rep->events / rep->wall_s : 0);
    json_builder_set_member_name(jb, "scenario");
    json_builder_add_value(jb, mp_scenario_to_json(scn));
    json_builder_end_object(jb);
    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(jb);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    char *text = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(jb);
    char *out = g_strconcat(text, "\n", NULL);
    g_free(text);
    return out;
}

static bool write_logs(struct mp_build *b, const char *tmpdir, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_apps; i++) {
        struct mp_build_app *a = &b->apps[i];
        const char *log = a->proc ? afmp_stack_log(mp_node_host(a->node), mp_proc_pid(a->proc)) : NULL;
        if (!log)
            continue;
        char *name = g_strdup_printf("%s.log", scn->apps[i].name);
        bool ok = write_atomic(tmpdir, name, log, strlen(log), err);
        g_free(name);
        if (!ok)
            return false;
    }
    return true;
}

const struct mp_ns3_engine *mp_ns3_engine;

bool mp_run(const struct mp_run_opts *o, struct mp_run_report *rep, GError **err)
{
    memset(rep, 0, sizeof(*rep));
    rep->summary = g_string_new(NULL);
    char **sets = build_overrides(o);
    struct mp_scenario *scn = mp_scenario_load_file(o->file, (const char *const *)sets, err);
    g_strfreev(sets);
    if (!scn)
        return false;
    rep->name = g_strdup(scn->name);
    rep->outdir = o->outdir ? g_strdup(o->outdir) : g_build_filename("traces", scn->name, NULL);

    /* Everything that can be refused is refused before the folder is
     * touched: build without captures first. */
    struct mp_world_conf wc = {0};
    wc.outdir = rep->outdir;
    wc.pcap = true;
    wc.pcapng = true;
    wc.version = "afmp " AFMP_VERSION;
    wc.trace_mask = MP_TRACE_ALL;
    char *tmp_trace = NULL;
    FILE *trace = NULL;
    struct mp_build *b = NULL;

    bool existed = g_file_test(rep->outdir, G_FILE_TEST_IS_DIR);
    if (g_mkdir_with_parents(rep->outdir, 0755) < 0) {
        g_set_error(err, MP_RUN_ERROR, MP_RUN_ERROR_FAILED, "%s: cannot create the output folder: %s",
                    rep->outdir, g_strerror(errno));
        mp_scenario_free(scn);
        return false;
    }
    /* Results of an earlier run in this folder go first: whatever happens
     * now, nothing stale is left to be mistaken for this run's. */
    clean_outdir(rep->outdir);
    tmp_trace = g_build_filename(rep->outdir, ".tmp-trace.jsonl", NULL);
    /* With --no-trace there is no trace file at all, not an empty one. */
    trace = o->no_trace ? NULL : fopen(tmp_trace, "w");
    if (!o->no_trace && !trace) {
        g_set_error(err, MP_RUN_ERROR, MP_RUN_ERROR_FAILED, "%s: %s", tmp_trace, g_strerror(errno));
        g_free(tmp_trace);
        mp_scenario_free(scn);
        return false;
    }
    wc.trace = trace;
    b = mp_build_new(scn, &wc, err);
    if (b && scn->engine == MP_SCN_ENGINE_NS3 && !mp_ns3_engine) {
        g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_VALUE,
                    "%s:%u: [scenario] engine: ns3: this program has no ns-3 engine (afmp-sim "
                    "has it when built with Debian's libns3-dev and libgsl-dev: meson "
                    "configure -Dns3=enabled)",
                    scn->file, scn->engine_line ? scn->engine_line : 1);
        mp_build_free(b);
        b = NULL;
    }
    if (b && scn->engine == MP_SCN_ENGINE_NS3 && !mp_ns3_engine->check(b, err)) {
        mp_build_free(b);
        b = NULL;
    }
    if (!b) {
        /* Nothing left behind: not even the folder, if we made it. */
        if (trace)
            fclose(trace);
        g_unlink(tmp_trace);
        if (!existed)
            g_rmdir(rep->outdir);
        g_free(tmp_trace);
        mp_scenario_free(scn);
        return false;
    }
    if (!mp_world_open_captures(b->w, err))
        goto fail;

    struct mp_engine *eng = mp_world_engine(b->w);
    struct progress prog = {eng, g_get_monotonic_time(), 0, MP_MS(100)};
    if (o->progress)
        mp_engine_at(eng, 0, progress_tick, &prog);
    if (o->engine_hook)
        o->engine_hook(eng, true, o->hook_arg);
    gint64 t0 = g_get_monotonic_time();
    enum mp_run_result rr;
    if (scn->engine == MP_SCN_ENGINE_NS3) {
        GError *nerr = NULL;
        rr = mp_ns3_engine->run(b, scn->duration, scn->pcap && !o->no_pcap ? rep->outdir : NULL,
                                NULL, &nerr);
        if (nerr) {
            g_propagate_error(err, nerr);
            goto fail;
        }
    } else {
        rr = mp_world_run(b->w, scn->duration);
    }
    rep->wall_s = (double)(g_get_monotonic_time() - t0) / 1e6;
    if (o->engine_hook)
        o->engine_hook(eng, false, o->hook_arg);
    rep->events = mp_engine_events_run(eng);
    if (o->progress)
        g_printerr("\n");

    if (rr == MP_RUN_INTERRUPTED) {
        /* Captures stay valid; results are not written. */
        rep->interrupted = true;
        mp_world_close_captures(b->w, NULL);
        if (trace)
            fclose(trace);
        trace = NULL;
        g_unlink(tmp_trace);
        g_string_append_printf(rep->summary, "scenario %s: interrupted; captures in %s are valid up to "
                                             "the interruption, no results written\n",
                               scn->name, rep->outdir);
        goto done;
    }

    rep->verdicts = mp_expect_evaluate(b);
    if (!mp_world_close_captures(b->w, err))
        goto fail;
    if (trace && fclose(trace) != 0) {
        trace = NULL;
        g_set_error(err, MP_RUN_ERROR, MP_RUN_ERROR_FAILED, "%s: %s", tmp_trace, g_strerror(errno));
        goto fail;
    }
    trace = NULL;
    char *logdir = g_build_filename(rep->outdir, "logs", NULL);
    g_mkdir_with_parents(logdir, 0755);
    bool ok = write_logs(b, logdir, err);
    g_free(logdir);
    if (!ok)
        goto fail;
    char *final_trace = g_build_filename(rep->outdir, "trace.jsonl", NULL);
    if (!o->no_trace)
        g_rename(tmp_trace, final_trace);
    g_free(final_trace);
    char *res = mp_results_json(b, rep->verdicts);
    ok = write_atomic(rep->outdir, "results.json", res, strlen(res), err);
    g_free(res);
    if (!ok)
        goto fail;
    char *rj = run_json(o, scn, rep);
    ok = write_atomic(rep->outdir, "run.json", rj, strlen(rj), err);
    g_free(rj);
    if (!ok)
        goto fail;
    summary(rep, b, scn);
done:
    mp_build_free(b);
    mp_scenario_free(scn);
    g_free(tmp_trace);
    return true;
fail:
    if (trace)
        fclose(trace);
    g_unlink(tmp_trace);
    g_free(tmp_trace);
    mp_build_free(b);
    mp_scenario_free(scn);
    return false;
}

void mp_run_report_clear(struct mp_run_report *rep)
{
    g_free(rep->name);
    g_free(rep->outdir);
    mp_verdicts_free(rep->verdicts);
    if (rep->summary)
        g_string_free(rep->summary, TRUE);
    memset(rep, 0, sizeof(*rep));
}
