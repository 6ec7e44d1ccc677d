/*
 * afmp-sim: run scenario files and check their expectations.
 *
 *   afmp-sim run FILE [--seed N] [--out DIR] [--stop T] [--no-pcap] [--engine NAME]
 *                     [--snaplen N] [--set group.key=value]...
 *   afmp-sim check FILE... [--jobs N] [--out DIR] [--no-pcap] [--set ...]
 *   afmp-sim sweep FILE --set GROUP.KEY=V1,V2,... [--seeds 1-N] [--jobs N]
 *                  [--print parallel|slurm] [--collect] ... (tools/sweep.c)
 *
 * Exit status: 0 success; 1 an expectation failed (check) ; 2 bad input
 * (a scenario error names file, line, group and key) or an output that
 * cannot be written; 130 interrupted (SIGINT/SIGTERM: captures are valid,
 * no results are written).
 */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "afmp-version.h"
#include "sim/ns3/ns3.h"
#include "sim/run.h"
#include "sim/units.h"
#include "tools/sweep.h"

/* The engines running now, for the signal handler: the only state outside
 * main(), because a signal handler can reach nothing else. At most one
 * engine per job. */
#define MAX_JOBS 64
static struct mp_engine *volatile running[MAX_JOBS];
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = 1;
    for (int i = 0; i < MAX_JOBS; i++)
        if (running[i])
            mp_engine_interrupt(running[i]);
}

static void engine_hook(struct mp_engine *eng, bool start, void *arg)
{
    int slot = GPOINTER_TO_INT(arg);
    running[slot] = start ? eng : NULL;
    if (start && interrupted)
        mp_engine_interrupt(eng);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static char *seed_str, *out_dir, *stop_str;
static gboolean no_pcap, no_trace;
static gint snaplen_opt;
static gchar **sets;
static gchar *engine_opt;
static gint jobs = 1;

static const GOptionEntry run_entries[] = {
    {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_str, "Seed (overrides the scenario's)", "N"},
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, "Output folder (default traces/<scenario>)", "DIR"},
    {"stop", 0, 0, G_OPTION_ARG_STRING, &stop_str, "Simulated time to stop at (e.g. 10s)", "T"},
    {"no-pcap", 0, 0, G_OPTION_ARG_NONE, &no_pcap, "Write no captures", NULL},
    {"no-trace", 0, 0, G_OPTION_ARG_NONE, &no_trace, "Write no trace records (no trace.jsonl)", NULL},
    {"snaplen", 0, 0, G_OPTION_ARG_INT, &snaplen_opt, "Capture snap length in bytes", "N"},
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario value", "GROUP.KEY=VALUE"},
    {"engine", 0, 0, G_OPTION_ARG_STRING, &engine_opt,
     "embedded or ns3 (as --set scenario.engine=NAME)", "NAME"},
    {NULL}};

static const GOptionEntry check_entries[] = {
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Scenarios run in parallel", "N"},
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, "Output root: DIR/<scenario> (default traces/)", "DIR"},
    {"no-pcap", 0, 0, G_OPTION_ARG_NONE, &no_pcap, "Write no captures", NULL},
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a value in every scenario", "GROUP.KEY=VALUE"},
    {"engine", 0, 0, G_OPTION_ARG_STRING, &engine_opt,
     "embedded or ns3 (as --set scenario.engine=NAME)", "NAME"},
    {NULL}};

static bool common_opts(struct mp_run_opts *o, GError **err)
{
    memset(o, 0, sizeof(*o));
    if (engine_opt) {
        /* --engine NAME is the last --set, so that it wins */
        guint n = sets ? g_strv_length(sets) : 0;
        sets = g_renew(gchar *, sets, n + 2);
        sets[n] = g_strdup_printf("scenario.engine=%s", engine_opt);
        sets[n + 1] = NULL;
        g_clear_pointer(&engine_opt, g_free);
    }
    o->stop = MP_TIME_NEVER;
    o->sets = (const char *const *)sets;
    o->no_pcap = no_pcap;
    o->no_trace = no_trace;
    if (seed_str) {
        char *end;
        o->seed = g_ascii_strtoull(seed_str, &end, 10);
        if (!*seed_str || *end || o->seed > INT64_MAX) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--seed: expected an integer from 0 to 2^63-1, got '%s'", seed_str);
            return false;
        }
        o->has_seed = true;
    }
    if (stop_str && mp_units_parse_time(stop_str, &o->stop) < 0) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--stop: expected a time like 10s (units ns, us, ms, s), got '%s'", stop_str);
        return false;
    }
    if (snaplen_opt < 0 || snaplen_opt > 262144) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--snaplen: expected 1 to 262144 bytes, got %d", snaplen_opt);
        return false;
    }
    o->snaplen = (uint32_t)snaplen_opt;
    return true;
}

static int cmd_run(int argc, char **argv, const char *cmdline)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("FILE - run a scenario");
    g_option_context_add_main_entries(ctx, run_entries, NULL);
    struct mp_run_opts o;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err) && common_opts(&o, &err);
    g_option_context_free(ctx);
    if (!parsed) {
        g_printerr("afmp-sim run: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    if (argc != 2) {
        g_printerr("afmp-sim run: expected one scenario file\n");
        return 2;
    }
    o.file = argv[1];
    o.outdir = out_dir;
    o.progress = isatty(STDERR_FILENO);
    o.command_line = cmdline;
    o.engine_hook = engine_hook;
    o.hook_arg = GINT_TO_POINTER(0);
    struct mp_run_report rep;
    if (!mp_run(&o, &rep, &err)) {
        g_printerr("afmp-sim: %s\n", err->message);
        g_error_free(err);
        mp_run_report_clear(&rep);
        return 2;
    }
    fputs(rep.summary->str, stdout);
    int rc = rep.interrupted ? 130 : 0;
    mp_run_report_clear(&rep);
    return rc;
}

/* ---- check ---- */

struct job {
    struct mp_run_opts o;
    struct mp_run_report rep;
    GError *err;
    int slot;
    size_t n_expects; /* counted before running, for the TAP plan */
    bool loaded;
};

static void run_job(gpointer data, gpointer user)
{
    struct job *j = data;
    j->o.hook_arg = GINT_TO_POINTER(j->slot);
    if (!mp_run(&j->o, &j->rep, &j->err))
        j->rep.verdicts = NULL;
}

static int cmd_check(int argc, char **argv, const char *cmdline)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("FILE... - run scenarios and check [expect] (TAP output)");
    g_option_context_add_main_entries(ctx, check_entries, NULL);
    struct mp_run_opts base;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err) && common_opts(&base, &err);
    g_option_context_free(ctx);
    if (!parsed) {
        g_printerr("afmp-sim check: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    if (argc < 2) {
        g_printerr("afmp-sim check: expected scenario files\n");
        return 2;
    }
    if (jobs < 1 || jobs > MAX_JOBS) {
        g_printerr("afmp-sim check: --jobs: expected 1 to %d, got %d\n", MAX_JOBS, jobs);
        return 2;
    }
    int n = argc - 1;
    struct job *js = g_new0(struct job, n);
    size_t plan = 0;
    for (int i = 0; i < n; i++) {
        struct job *j = &js[i];
        j->o = base;
        j->o.file = argv[i + 1];
        j->o.command_line = cmdline;
        j->o.engine_hook = engine_hook;
        /* Count the expectations for the plan: one line for the run itself
         * plus one per expectation. */
        GError *e2 = NULL;
        struct mp_scenario *scn = mp_scenario_load_file(j->o.file, j->o.sets, &e2);
        if (scn) {
            j->n_expects = scn->n_expects;
            j->loaded = true;
            j->o.outdir = g_build_filename(out_dir ? out_dir : "traces", scn->name, NULL);
            mp_scenario_free(scn);
        } else {
            j->err = e2;
        }
        plan += 1 + j->n_expects;
    }
    printf("TAP version 13\n1..%zu\n", plan);
    fflush(stdout);

    GThreadPool *pool = g_thread_pool_new(run_job, NULL, jobs, TRUE, NULL);
    /* Slots are handed out in order; a pool thread reuses them as jobs
     * finish, so each concurrent job has its own. */
    for (int i = 0; i < n; i++) {
        js[i].slot = i % jobs;
        if (js[i].loaded)
            g_thread_pool_push(pool, &js[i], NULL);
    }
    g_thread_pool_free(pool, FALSE, TRUE);

    size_t k = 0, failed = 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        struct job *j = &js[i];
        const char *file = j->o.file;
        if (j->err) {
            printf("not ok %zu - %s: %s\n", ++k, file, j->err->message);
            failed++;
            rc = 2;
            for (size_t x = 0; x < j->n_expects; x++)
                printf("not ok %zu - %s: not evaluated (the run failed)\n", ++k, file);
            failed += j->n_expects;
            continue;
        }
        if (j->rep.interrupted || !j->rep.verdicts) {
            printf("not ok %zu - %s: interrupted\n", ++k, file);
            for (size_t x = 0; x < j->n_expects; x++)
                printf("not ok %zu - %s: not evaluated (interrupted)\n", ++k, file);
            failed += 1 + j->n_expects;
            rc = 130;
            continue;
        }
        printf("ok %zu - %s: ran %s, %" G_GUINT64_FORMAT " events in %.2f s\n", ++k, file,
               j->rep.name, j->rep.events, j->rep.wall_s);
        for (guint x = 0; x < j->rep.verdicts->len; x++) {
            const struct mp_verdict *v = &g_array_index(j->rep.verdicts, struct mp_verdict, x);
            printf("%s %zu - %s: %s (%s): measured %s, expected %s\n", v->ok ? "ok" : "not ok", ++k,
                   j->rep.name, v->name, v->text, v->measured, v->expected);
            if (!v->ok) {
                failed++;
                if (!rc)
                    rc = 1;
            }
        }
    }
    printf("# %zu of %zu checks failed\n", failed, plan);
    for (int i = 0; i < n; i++) {
        mp_run_report_clear(&js[i].rep);
        if (js[i].err)
            g_error_free(js[i].err);
        g_free((char *)js[i].o.outdir);
    }
    g_free(js);
    return rc;
}

int main(int argc, char **argv)
{
    char *cmdline = g_strjoinv(" ", argv);
    int rc;
    install_signals();
#ifdef AFMP_HAVE_NS3
    mp_ns3_engine = &mp_ns3_engine_impl;
#endif
    if (argc >= 2 && !strcmp(argv[1], "--engines")) {
        /* the engines this program has, for scripts */
        puts(mp_ns3_engine ? "embedded ns3" : "embedded");
        rc = 0;
    } else if (argc >= 2 && !strcmp(argv[1], "run"))
        rc = cmd_run(argc - 1, argv + 1, cmdline);
    else if (argc >= 2 && !strcmp(argv[1], "check"))
        rc = cmd_check(argc - 1, argv + 1, cmdline);
    else if (argc >= 2 && !strcmp(argv[1], "sweep"))
        rc = afmp_sweep(argc - 1, argv + 1, argv[0], cmdline, engine_hook);
    else if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
        printf("afmp-sim %s (%s)\n", AFMP_VERSION, AFMP_GIT_REVISION);
        rc = 0;
    } else {
        g_printerr("usage: afmp-sim run FILE [--seed N] [--out DIR] [--stop T] [--no-pcap] "
                   "[--snaplen N] [--set group.key=value] [--engine embedded|ns3]\n"
                   "       afmp-sim check FILE... [--jobs N] [--out DIR] [--no-pcap] [--set ...] "
                   "[--engine embedded|ns3]\n"
                   "       afmp-sim sweep FILE --set GROUP.KEY=V1,V2,... [--seeds 1-N] [--jobs N] "
                   "[--out DIR] [--print parallel|slurm] [--collect]\n");
        rc = 2;
    }
    g_free(cmdline);
    g_strfreev(sets);
    return rc;
}
