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
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "afmp-version.h"
#include "tools/trace/compare.h"
#include "tools/trace/plot.h"
#include "tools/trace/trace.h"

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
        trace = at_run_trace(rest);
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
