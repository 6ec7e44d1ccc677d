/*
 * afmp-trace: an MPTCP v1-aware analyser of captures (tools/trace/).
 *
 *   afmp-trace report INPUT... [--json FILE] [--csv DIR] [--quiet]
 *   afmp-trace plot INPUT... --out DIR [--trace FILE] [--conn N] [--bin S]
 *   afmp-trace compare RUN_A RUN_B [--out DIR] [--label A --label B] [--bin S]
 *
 * INPUT: a pcap or pcapng file, or a run folder of afmp-sim (its *.pcapng).
 * Outputs: tools/trace/OUTPUTS.md. Exit status: 0; 2 bad arguments or
 * unreadable input; 1 an output could not be written.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "afmp-version.h"
#include "tools/trace/compare.h"
#include "tools/trace/plot.h"
#include "tools/trace/trace.h"

static bool make_dir(const char *dir, GError **err)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static FILE *open_part(const char *dir, const char *name, GError **err)
{
    char *p = g_strdup_printf("%s/%s.part", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", p,
                    g_strerror(errno));
    g_free(p);
    return f;
}

static bool finish_part(FILE *f, const char *dir, const char *name, bool keep, GError **err)
{
    char *p = g_strdup_printf("%s/%s.part", dir, name);
    char *final = g_strdup_printf("%s/%s", dir, name);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (ok && keep && rename(p, final) != 0)
        ok = false;
    if (!ok && err && !*err)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", final,
                    g_strerror(errno));
    if (!ok || !keep)
        g_unlink(p);
    g_free(p);
    g_free(final);
    return ok;
}

struct at_analysis *at_run_analysis(char **inputs, const char *csv_dir, const char *json_path,
                                    GError **err)
{
    struct at_input *in = at_input_open(inputs, err);
    if (!in)
        return NULL;
    struct at_opts o = {.keep_rows = json_path != NULL};
    if (csv_dir) {
        if (!make_dir(csv_dir, err))
            goto fail;
        o.segments = open_part(csv_dir, "segments.csv", err);
        if (!o.segments)
            goto fail;
        o.mappings = open_part(csv_dir, "mappings.csv", err);
        if (!o.mappings)
            goto fail;
        at_write_csv_headers(o.segments, o.mappings);
    }
    struct at_analysis *a = at_analyse(in, &o, err);
    at_input_close(in);
    in = NULL;
    bool ok = a != NULL;
    if (o.segments)
        ok = finish_part(o.segments, csv_dir, "segments.csv", ok, ok ? err : NULL) && ok;
    if (o.mappings)
        ok = finish_part(o.mappings, csv_dir, "mappings.csv", ok, ok ? err : NULL) && ok;
    o.segments = o.mappings = NULL;
    if (ok && csv_dir && at_write_csv_tables(a, csv_dir, err) < 0)
        ok = false;
    if (ok && json_path && at_write_json(a, json_path, err) < 0)
        ok = false;
    if (!ok) {
        at_analysis_free(a);
        return NULL;
    }
    return a;
fail:
    if (o.segments)
        finish_part(o.segments, csv_dir, "segments.csv", false, NULL);
    if (o.mappings)
        finish_part(o.mappings, csv_dir, "mappings.csv", false, NULL);
    at_input_close(in);
    return NULL;
}

static void usage(FILE *f)
{
    fputs("usage: afmp-trace report INPUT... [--json FILE] [--csv DIR] [--quiet]\n"
          "       afmp-trace plot INPUT... --out DIR [--trace FILE] [--conn N] [--bin S]\n"
          "       afmp-trace compare RUN_A RUN_B [--out DIR] [--label A --label B] [--bin S]\n"
          "INPUT: a pcap or pcapng file, or a folder of afmp-sim's outputs (its *.pcapng).\n"
          "Outputs are described in tools/trace/OUTPUTS.md.\n",
          f);
}

static int fail(GError *err, int code)
{
    fprintf(stderr, "afmp-trace: %s\n", err ? err->message : "failed");
    g_clear_error(&err);
    return code;
}

/* A run folder's trace.jsonl when INPUT is a folder that has one. */
static char *find_trace(char **inputs)
{
    for (char **p = inputs; *p; p++) {
        if (!g_file_test(*p, G_FILE_TEST_IS_DIR))
            continue;
        char *t = g_build_filename(*p, "trace.jsonl", NULL);
        if (g_file_test(t, G_FILE_TEST_EXISTS))
            return t;
        g_free(t);
    }
    return NULL;
}

static int cmd_report(int argc, char **argv)
{
    char *json = NULL, *csv = NULL;
    gboolean quiet = false;
    char **rest = NULL;
    GOptionEntry ent[] = {
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &json, "write the JSON document", "FILE"},
        {"csv", 0, 0, G_OPTION_ARG_FILENAME, &csv, "write the CSV tables into DIR", "DIR"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no report on stdout", NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "INPUT..."},
        {NULL}};
    GOptionContext *ctx = g_option_context_new("report INPUT...");
    g_option_context_add_main_entries(ctx, ent, NULL);
    GError *err = NULL;
    int rc = 0;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        rc = fail(err, 2);
        goto out;
    }
    if (!rest || !rest[0]) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    struct at_analysis *a = at_run_analysis(rest, csv, json, &err);
    if (!a) {
        rc = fail(err, 2);
        goto out;
    }
    if (!quiet)
        at_print_report(stdout, a);
    at_analysis_free(a);
out:
    g_option_context_free(ctx);
    g_free(json);
    g_free(csv);
    g_strfreev(rest);
    return rc;
}

static int cmd_plot(int argc, char **argv)
{
    char *out = NULL, *trace = NULL, *title = NULL;
    int conn = 0;
    double bin = 0.1;
    char **rest = NULL;
    GOptionEntry ent[] = {
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "output folder (required)", "DIR"},
        {"trace", 0, 0, G_OPTION_ARG_FILENAME, &trace,
         "trace records (default: the run folder's trace.jsonl)", "FILE"},
        {"conn", 0, 0, G_OPTION_ARG_INT, &conn, "connection (default: the one with most data)",
         "N"},
        {"bin", 0, 0, G_OPTION_ARG_DOUBLE, &bin, "goodput bin in seconds (default 0.1)", "S"},
        {"title", 0, 0, G_OPTION_ARG_STRING, &title, "label in titles", "T"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "INPUT..."},
        {NULL}};
    GOptionContext *ctx = g_option_context_new("plot INPUT...");
    g_option_context_add_main_entries(ctx, ent, NULL);
    GError *err = NULL;
    int rc = 0;
    char *csv = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        rc = fail(err, 2);
        goto out;
    }
    if (!rest || !rest[0] || !out || conn < 0 || !(bin > 0)) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    csv = g_build_filename(out, "csv", NULL);
    struct at_analysis *a = at_run_analysis(rest, csv, NULL, &err);
    if (!a) {
        rc = fail(err, 2);
        goto out;
    }
    at_analysis_free(a);
    if (!trace)
        trace = find_trace(rest);
    struct at_plot_input in = {.label = title ? title : rest[0], .csv_dir = csv,
                               .trace_jsonl = trace};
    if (at_plot_run(&in, (unsigned)conn, bin, out, &err) < 0) {
        rc = fail(err, 1);
        goto out;
    }
    printf("plots in %s\n", out);
out:
    g_option_context_free(ctx);
    g_free(out);
    g_free(trace);
    g_free(title);
    g_free(csv);
    g_strfreev(rest);
    return rc;
}

static int cmd_compare(int argc, char **argv)
{
    char *out = NULL;
    char **labels = NULL, **rest = NULL;
    double bin = 0.1;
    GOptionEntry ent[] = {
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "write tables and plots into DIR", "DIR"},
        {"label", 0, 0, G_OPTION_ARG_STRING_ARRAY, &labels, "names of the two runs", "NAME"},
        {"bin", 0, 0, G_OPTION_ARG_DOUBLE, &bin, "goodput bin in seconds (default 0.1)", "S"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "RUN_A RUN_B"},
        {NULL}};
    GOptionContext *ctx = g_option_context_new("compare RUN_A RUN_B");
    g_option_context_add_main_entries(ctx, ent, NULL);
    GError *err = NULL;
    int rc = 0;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        rc = fail(err, 2);
        goto out;
    }
    if (!rest || g_strv_length(rest) != 2 || (labels && g_strv_length(labels) != 2) ||
        !(bin > 0)) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    rc = at_compare(rest[0], rest[1], labels ? labels[0] : rest[0], labels ? labels[1] : rest[1],
                    out, bin, stdout, &err);
    if (rc != 0)
        rc = fail(err, rc);
out:
    g_option_context_free(ctx);
    g_free(out);
    g_strfreev(labels);
    g_strfreev(rest);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("afmp-trace %s (%s)\n", AFMP_VERSION, AFMP_GIT_REVISION);
        return 0;
    }
    const char *cmd = argv[1];
    argv[1] = argv[0];
    if (!strcmp(cmd, "report"))
        return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot"))
        return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc - 1, argv + 1);
    fprintf(stderr, "afmp-trace: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
