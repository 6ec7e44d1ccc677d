/*
 * afmp-sim sweep: one scenario over a grid of parameter values and seeds.
 *
 *   afmp-sim sweep FILE --set GROUP.KEY=V1,V2,... [--set ...] [--seeds 1-N]
 *                  [--jobs N] [--out DIR] [--stop T] [--no-pcap] [--snaplen N]
 *                  [--print parallel|slurm] [--collect]
 *
 * The runs are the cartesian product of every --set's values (in the order
 * given, the last --set varying fastest) and the seeds; run i writes to
 * DIR/run-NNNN (DIR default traces/<scenario>-sweep). By default they run
 * here, --jobs at a time; --print parallel prints one afmp-sim run command
 * per line instead (for GNU parallel, which can spread them over machines
 * with --sshlogin), --print slurm a Slurm array job script running run
 * $SLURM_ARRAY_TASK_ID. Either way `--collect` (with the same arguments)
 * reads the runs' results.json into DIR/results.csv: a row per run with
 * run, seed, the swept keys, verdict and expectations failed, and every
 * application result as APP.KEY (the union over runs, sorted; empty where
 * a run lacks it). A local sweep collects by itself. The CSV is written to
 * a temporary name and renamed, so it is never half written.
 *
 * A value containing a comma is written with "\," (a middlebox list).
 */
#include <errno.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/units.h"
#include "tools/sweep.h"

struct axis {
    char *key;     /* GROUP.KEY */
    GPtrArray *vs; /* char *, the values */
};

struct run {
    struct mp_run_opts o;
    struct mp_run_report rep;
    GError *err;
    GPtrArray *sets; /* "GROUP.KEY=V", NULL-terminated */
    uint64_t seed;
    guint *pick; /* value index per axis */
    char *dir;
    int slot;
};

static gchar **sw_sets;
static char *sw_seeds, *sw_out, *sw_stop, *sw_print;
static gboolean sw_no_pcap, sw_collect;
static gint sw_jobs = 1, sw_snaplen;
static sweep_hook_fn sw_hook;

static const GOptionEntry entries[] = {
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sw_sets, "Values to sweep (comma-separated)",
     "GROUP.KEY=V1,V2,..."},
    {"seeds", 0, 0, G_OPTION_ARG_STRING, &sw_seeds, "Seeds: N, A-B or A,B,... (default 1)", "1-N"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &sw_jobs, "Runs in parallel (local sweep)", "N"},
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &sw_out, "Output root (default traces/<scenario>-sweep)",
     "DIR"},
    {"stop", 0, 0, G_OPTION_ARG_STRING, &sw_stop, "Simulated time to stop at", "T"},
    {"no-pcap", 0, 0, G_OPTION_ARG_NONE, &sw_no_pcap, "Write no captures", NULL},
    {"snaplen", 0, 0, G_OPTION_ARG_INT, &sw_snaplen, "Capture snap length in bytes", "N"},
    {"print", 0, 0, G_OPTION_ARG_STRING, &sw_print,
     "Print the runs instead: 'parallel' (a command per line) or 'slurm' (an array job)", "HOW"},
    {"collect", 0, 0, G_OPTION_ARG_NONE, &sw_collect, "Only gather the runs' results into the CSV",
     NULL},
    {NULL}};

/* "a,b\,c" -> "a", "b,c". */
static GPtrArray *split_values(const char *s)
{
    GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    for (const char *p = s;; p++) {
        if (*p == '\\' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',' || !*p) {
            g_ptr_array_add(v, g_strdup(cur->str));
            g_string_truncate(cur, 0);
            if (!*p)
                break;
        } else {
            g_string_append_c(cur, *p);
        }
    }
    g_string_free(cur, TRUE);
    return v;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    *out = g_ascii_strtoull(s, &end, 10);
    return *s && !*end && !errno && *out <= INT64_MAX;
}

static bool parse_seeds(const char *s, GArray *out, GError **err)
{
    gchar **parts = g_strsplit(s ? s : "1", ",", -1);
    bool ok = true;
    for (gchar **p = parts; *p && ok; p++) {
        uint64_t a, b;
        char *dash = strchr(*p, '-');
        if (dash) {
            *dash = 0;
            ok = parse_u64(*p, &a) && parse_u64(dash + 1, &b) && a <= b && b - a < 100000;
        } else {
            ok = parse_u64(*p, &a);
            b = a;
        }
        for (uint64_t x = a; ok && x <= b; x++)
            g_array_append_val(out, x);
    }
    g_strfreev(parts);
    if (!ok || !out->len)
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--seeds: expected N, A-B or a comma-separated list, got '%s'", s);
    return ok && out->len;
}

/* The command that does run |r| alone (for --print). */
static char *run_command(const char *self, const char *file, const struct run *r)
{
    GString *s = g_string_new(NULL);
    char *q = g_shell_quote(self);
    g_string_append(s, q);
    g_free(q);
    g_string_append_printf(s, " run --seed %" G_GUINT64_FORMAT, r->seed);
    q = g_shell_quote(r->dir);
    g_string_append_printf(s, " --out %s", q);
    g_free(q);
    if (sw_stop)
        g_string_append_printf(s, " --stop %s", sw_stop);
    if (sw_no_pcap)
        g_string_append(s, " --no-pcap");
    if (sw_snaplen)
        g_string_append_printf(s, " --snaplen %d", sw_snaplen);
    for (guint i = 0; i + 1 < r->sets->len; i++) {
        q = g_shell_quote(r->sets->pdata[i]);
        g_string_append_printf(s, " --set %s", q);
        g_free(q);
    }
    q = g_shell_quote(file);
    g_string_append_printf(s, " %s", q);
    g_free(q);
    return g_string_free(s, FALSE);
}

static void run_one(gpointer data, gpointer user)
{
    struct run *r = data;
    (void)user;
    r->o.hook_arg = GINT_TO_POINTER(r->slot);
    if (!mp_run(&r->o, &r->rep, &r->err))
        r->rep.verdicts = NULL;
}

/* A CSV field: quoted when it needs to be (RFC 4180). */
static void csv_field(GString *s, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        g_string_append(s, v);
        return;
    }
    g_string_append_c(s, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            g_string_append_c(s, '"');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
}

/* Reads DIR/results.json into |row| (APP.KEY -> value text), the verdict
 * and the failed expectations; false when there is none. */
static bool read_results(const char *dir, GHashTable *row)
{
    char *path = g_build_filename(dir, "results.json", NULL);
    JsonParser *jp = json_parser_new();
    bool ok = json_parser_load_from_file(jp, path, NULL);
    g_free(path);
    JsonNode *root = ok ? json_parser_get_root(jp) : NULL;
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_object_unref(jp);
        return false;
    }
    JsonObject *o = json_node_get_object(root);
    if (json_object_has_member(o, "verdict"))
        g_hash_table_insert(row, g_strdup("verdict"),
                            g_strdup(json_object_get_string_member(o, "verdict")));
    if (json_object_has_member(o, "expectations")) {
        JsonArray *ex = json_object_get_array_member(o, "expectations");
        guint failed = 0;
        for (guint i = 0; i < json_array_get_length(ex); i++) {
            JsonObject *e = json_array_get_object_element(ex, i);
            if (json_object_has_member(e, "ok") && !json_object_get_boolean_member(e, "ok"))
                failed++;
        }
        g_hash_table_insert(row, g_strdup("expect_failed"), g_strdup_printf("%u", failed));
    }
    JsonArray *apps = json_object_has_member(o, "apps") ? json_object_get_array_member(o, "apps")
                                                        : NULL;
    for (guint i = 0; apps && i < json_array_get_length(apps); i++) {
        JsonObject *a = json_array_get_object_element(apps, i);
        if (!json_object_has_member(a, "results"))
            continue;
        const char *name = json_object_get_string_member(a, "name");
        JsonObject *res = json_object_get_object_member(a, "results");
        GList *keys = json_object_get_members(res);
        for (GList *k = keys; k; k = k->next) {
            JsonNode *n = json_object_get_member(res, k->data);
            char *v = NULL;
            if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
                v = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
            else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
                v = g_strdup(json_node_get_string(n));
            else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_DOUBLE)
                v = g_strdup_printf("%.17g", json_node_get_double(n));
            else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
                v = g_strdup(json_node_get_boolean(n) ? "1" : "0");
            if (v)
                g_hash_table_insert(row, g_strdup_printf("%s.%s", name, (char *)k->data), v);
        }
        g_list_free(keys);
    }
    g_object_unref(jp);
    return true;
}

static int by_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(const char *out, const GPtrArray *axes, struct run *runs, size_t n)
{
    GHashTable **rows = g_new0(GHashTable *, n);
    GHashTable *cols = g_hash_table_new(g_str_hash, g_str_equal);
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) {
        rows[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        if (!read_results(runs[i].dir, rows[i]))
            missing++;
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, rows[i]);
        while (g_hash_table_iter_next(&it, &k, NULL))
            if (strcmp(k, "verdict") && strcmp(k, "expect_failed"))
                g_hash_table_add(cols, k);
    }
    GPtrArray *keys = g_ptr_array_new();
    GHashTableIter ci;
    gpointer ck;
    g_hash_table_iter_init(&ci, cols);
    while (g_hash_table_iter_next(&ci, &ck, NULL))
        g_ptr_array_add(keys, ck);
    g_ptr_array_sort(keys, by_str);
    GString *s = g_string_new("run,seed");
    for (guint a = 0; a < axes->len; a++) {
        g_string_append_c(s, ',');
        csv_field(s, ((const struct axis *)axes->pdata[a])->key);
    }
    g_string_append(s, ",verdict,expect_failed");
    for (guint k = 0; k < keys->len; k++) {
        g_string_append_c(s, ',');
        csv_field(s, keys->pdata[k]);
    }
    g_string_append_c(s, '\n');
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%zu,%" G_GUINT64_FORMAT, i + 1, runs[i].seed);
        for (guint a = 0; a < axes->len; a++) {
            const struct axis *ax = axes->pdata[a];
            g_string_append_c(s, ',');
            csv_field(s, ax->vs->pdata[runs[i].pick[a]]);
        }
        const char *v = g_hash_table_lookup(rows[i], "verdict");
        const char *f = g_hash_table_lookup(rows[i], "expect_failed");
        g_string_append_printf(s, ",%s,%s", v ? v : "missing", f ? f : "");
        for (guint k = 0; k < keys->len; k++) {
            const char *x = g_hash_table_lookup(rows[i], keys->pdata[k]);
            g_string_append_c(s, ',');
            csv_field(s, x ? x : "");
        }
        g_string_append_c(s, '\n');
    }
    char *path = g_build_filename(out, "results.csv", NULL);
    char *part = g_strconcat(path, ".part", NULL);
    GError *err = NULL;
    int rc = 0;
    if (!g_file_set_contents(part, s->str, (gssize)s->len, &err) || rename(part, path) != 0) {
        g_printerr("afmp-sim sweep: %s: %s\n", path, err ? err->message : g_strerror(errno));
        g_clear_error(&err);
        rc = 2;
    } else {
        printf("%s: %zu runs%s\n", path, n, missing ? " (some without results)" : "");
        if (missing)
            printf("# %zu runs have no results.json yet\n", missing);
    }
    g_free(part);
    g_free(path);
    g_string_free(s, TRUE);
    g_ptr_array_free(keys, TRUE);
    g_hash_table_destroy(cols);
    for (size_t i = 0; i < n; i++)
        g_hash_table_destroy(rows[i]);
    g_free(rows);
    return rc;
}

int afmp_sweep(int argc, char **argv, const char *self, const char *cmdline, sweep_hook_fn hook)
{
    GError *err = NULL;
    GOptionContext *ctx =
        g_option_context_new("FILE - run a scenario over a grid of values and seeds");
    g_option_context_add_main_entries(ctx, entries, NULL);
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    sw_hook = hook;
    GArray *seeds = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    GPtrArray *axes = g_ptr_array_new();
    int rc = 2;
    mp_time_t stop = MP_TIME_NEVER;
    if (parsed && argc != 2) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "expected one scenario file");
        parsed = false;
    }
    if (parsed)
        parsed = parse_seeds(sw_seeds, seeds, &err);
    if (parsed && sw_stop && mp_units_parse_time(sw_stop, &stop) < 0) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--stop: expected a time like 10s, got '%s'", sw_stop);
        parsed = false;
    }
    if (parsed && sw_print && strcmp(sw_print, "parallel") && strcmp(sw_print, "slurm")) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--print: expected parallel or slurm, got '%s'", sw_print);
        parsed = false;
    }
    if (parsed && (sw_jobs < 1 || sw_jobs > 64 || sw_snaplen < 0 || sw_snaplen > 262144)) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--jobs: expected 1 to 64; --snaplen: 1 to 262144 bytes");
        parsed = false;
    }
    for (gchar **s = sw_sets; parsed && s && *s; s++) {
        const char *eq = strchr(*s, '=');
        if (!eq || eq == *s) {
            g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--set: expected GROUP.KEY=V1,V2,..., got '%s'", *s);
            parsed = false;
            break;
        }
        struct axis *ax = g_new0(struct axis, 1);
        ax->key = g_strndup(*s, (gsize)(eq - *s));
        ax->vs = split_values(eq + 1);
        g_ptr_array_add(axes, ax);
    }
    /* Loading the scenario with the first values checks the file and the
     * keys before anything runs; every combination is loaded again below. */
    struct mp_scenario *scn = NULL;
    if (parsed) {
        GPtrArray *first = g_ptr_array_new_with_free_func(g_free);
        for (guint a = 0; a < axes->len; a++) {
            const struct axis *ax = axes->pdata[a];
            g_ptr_array_add(first, g_strdup_printf("%s=%s", ax->key, (char *)ax->vs->pdata[0]));
        }
        g_ptr_array_add(first, NULL);
        scn = mp_scenario_load_file(argv[1], (const char *const *)first->pdata, &err);
        g_ptr_array_free(first, TRUE);
        parsed = scn != NULL;
    }
    if (!parsed) {
        g_printerr("afmp-sim sweep: %s\n", err->message);
        g_error_free(err);
        goto out;
    }
    size_t n = seeds->len;
    for (guint a = 0; a < axes->len; a++)
        n *= ((struct axis *)axes->pdata[a])->vs->len;
    char *out = sw_out ? g_strdup(sw_out) : g_strdup_printf("traces/%s-sweep", scn->name);
    mp_scenario_free(scn);
    struct run *runs = g_new0(struct run, n);
    for (size_t i = 0; i < n; i++) {
        struct run *r = &runs[i];
        r->pick = g_new0(guint, axes->len + 1);
        size_t rest = i;
        r->seed = g_array_index(seeds, uint64_t, rest % seeds->len);
        rest /= seeds->len;
        for (guint a = axes->len; a-- > 0;) {
            const struct axis *ax = axes->pdata[a];
            r->pick[a] = (guint)(rest % ax->vs->len);
            rest /= ax->vs->len;
        }
        r->sets = g_ptr_array_new_with_free_func(g_free);
        for (guint a = 0; a < axes->len; a++) {
            const struct axis *ax = axes->pdata[a];
            g_ptr_array_add(r->sets, g_strdup_printf("%s=%s", ax->key,
                                                     (char *)ax->vs->pdata[r->pick[a]]));
        }
        g_ptr_array_add(r->sets, NULL);
        char name[32];
        g_snprintf(name, sizeof(name), "run-%04zu", i + 1);
        r->dir = g_build_filename(out, name, NULL);
        struct mp_run_opts *o = &r->o;
        o->file = argv[1];
        o->sets = (const char *const *)r->sets->pdata;
        o->outdir = r->dir;
        o->has_seed = true;
        o->seed = r->seed;
        o->stop = stop;
        o->no_pcap = sw_no_pcap;
        o->snaplen = (uint32_t)sw_snaplen;
        o->command_line = cmdline;
        o->engine_hook = sw_hook;
        r->slot = (int)(i % (size_t)sw_jobs);
    }
    if (sw_collect) {
        rc = collect(out, axes, runs, n);
    } else if (sw_print && !strcmp(sw_print, "parallel")) {
        for (size_t i = 0; i < n; i++) {
            char *c = run_command(self, argv[1], &runs[i]);
            printf("%s\n", c);
            g_free(c);
        }
        rc = 0;
    } else if (sw_print) {
        printf("#!/bin/bash\n#SBATCH --job-name=afmp-sweep\n#SBATCH --array=0-%zu\n", n - 1);
        printf("# Submit with sbatch; afterwards gather the results with the same\n"
               "# afmp-sim sweep arguments and --collect.\nruns=(\n");
        for (size_t i = 0; i < n; i++) {
            char *c = run_command(self, argv[1], &runs[i]);
            char *q = g_shell_quote(c);
            printf("  %s\n", q);
            g_free(q);
            g_free(c);
        }
        printf(")\neval \"${runs[$SLURM_ARRAY_TASK_ID]}\"\n");
        rc = 0;
    } else {
        g_mkdir_with_parents(out, 0755);
        GThreadPool *pool = g_thread_pool_new(run_one, NULL, sw_jobs, TRUE, NULL);
        for (size_t i = 0; i < n; i++)
            g_thread_pool_push(pool, &runs[i], NULL);
        g_thread_pool_free(pool, FALSE, TRUE);
        rc = 0;
        for (size_t i = 0; i < n; i++) {
            struct run *r = &runs[i];
            if (r->err) {
                g_printerr("afmp-sim sweep: run %zu: %s\n", i + 1, r->err->message);
                rc = 2;
            } else if (r->rep.interrupted) {
                rc = 130;
            }
        }
        if (rc != 130) {
            int c = collect(out, axes, runs, n);
            rc = rc ? rc : c;
        }
    }
    for (size_t i = 0; i < n; i++) {
        mp_run_report_clear(&runs[i].rep);
        if (runs[i].err)
            g_error_free(runs[i].err);
        g_ptr_array_free(runs[i].sets, TRUE);
        g_free(runs[i].pick);
        g_free(runs[i].dir);
    }
    g_free(runs);
    g_free(out);
out:
    for (guint a = 0; a < axes->len; a++) {
        struct axis *ax = axes->pdata[a];
        g_free(ax->key);
        g_ptr_array_free(ax->vs, TRUE);
        g_free(ax);
    }
    g_ptr_array_free(axes, TRUE);
    g_array_free(seeds, TRUE);
    g_strfreev(sw_sets);
    g_free(sw_seeds);
    g_free(sw_out);
    g_free(sw_stop);
    g_free(sw_print);
    return rc;
}
