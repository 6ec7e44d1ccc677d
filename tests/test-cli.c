/*
 * afmp-sim end to end: scenario errors exit 2 and leave nothing behind,
 * results.json and captures are byte-identical across runs, check prints
 * TAP with what was measured against what was expected, and an interrupted
 * run leaves valid captures and no results.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

static char *sim_path(void)
{
    return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "..", "tools", "afmp-sim", NULL);
}

static char *src_path(const char *rel)
{
    return g_build_filename(g_getenv("AFMP_SOURCE_ROOT"), rel, NULL);
}

/* Runs afmp-sim with |args|; returns the exit status. */
static int run_sim(const char *const *args, char **out, char **errout)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, sim_path());
    for (; *args; args++)
        g_ptr_array_add(argv, g_strdup(*args));
    g_ptr_array_add(argv, NULL);
    int status = 0;
    GError *err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL, out, errout, &status,
                               &err));
    g_assert_no_error(err);
    g_ptr_array_free(argv, TRUE);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_bad_scenario(void)
{
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = g_build_filename(tmp, "bad.ini", NULL);
    char *out = g_build_filename(tmp, "out", NULL);
    g_file_set_contents(file, "[scenario]\nformat = 1\nduration = 1s\nduration = 2s\n", -1, NULL);
    const char *args[] = {"run", file, "--out", out, NULL};
    char *so = NULL, *se = NULL;
    g_assert_cmpint(run_sim(args, &so, &se), ==, 2);
    /* The message names the file, the line, the group and the key. */
    g_assert_nonnull(strstr(se, "bad.ini:4"));
    g_assert_nonnull(strstr(se, "[scenario]"));
    g_assert_nonnull(strstr(se, "duration"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));

    /* A unit error, and a bad command-line value. */
    g_file_set_contents(file, "[scenario]\nformat = 1\nduration = 10\n", -1, NULL);
    g_free(so);
    g_free(se);
    g_assert_cmpint(run_sim(args, &so, &se), ==, 2);
    g_assert_nonnull(strstr(se, "bad.ini:3"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    const char *args2[] = {"run", file, "--stop", "10 parsecs", NULL};
    g_free(so);
    g_free(se);
    g_assert_cmpint(run_sim(args2, &so, &se), ==, 2);
    g_assert_nonnull(strstr(se, "--stop"));
    g_free(so);
    g_free(se);
    g_unlink(file);
    g_rmdir(tmp);
    g_free(file);
    g_free(out);
    g_free(tmp);
}

static char *slurp(const char *dir, const char *name)
{
    char *p = g_build_filename(dir, name, NULL);
    char *text = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(p, &text, &len, NULL));
    g_free(p);
    return text;
}

static void rm_rf(const char *dir)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(cmd);
}

static void test_deterministic(void)
{
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = src_path("scenarios/udp-single-path.ini");
    char *a = g_build_filename(tmp, "a", NULL), *b = g_build_filename(tmp, "b", NULL);
    const char *args_a[] = {"run", file, "--out", a, NULL};
    const char *args_b[] = {"run", file, "--out", b, NULL};
    char *so, *se;
    g_assert_cmpint(run_sim(args_a, &so, &se), ==, 0);
    g_free(so);
    g_free(se);
    g_assert_cmpint(run_sim(args_b, &so, &se), ==, 0);
    g_assert_nonnull(strstr(so, "udp-single-path"));
    g_free(so);
    g_free(se);
    const char *same[] = {"results.json", "trace.jsonl", "client.pcapng", "server.pcapng",
                          "client-eth0.pcap", "server-eth0.pcap", NULL};
    for (const char *const *n = same; *n; n++) {
        char *x = slurp(a, *n), *y = slurp(b, *n);
        g_assert_true(strlen(x) > 0 || g_str_has_suffix(*n, "jsonl"));
        /* Binary files: compare lengths and bytes via GBytes. */
        char *pa = g_build_filename(a, *n, NULL), *pb = g_build_filename(b, *n, NULL);
        GMappedFile *ma = g_mapped_file_new(pa, FALSE, NULL), *mb = g_mapped_file_new(pb, FALSE, NULL);
        g_assert_cmpuint(g_mapped_file_get_length(ma), ==, g_mapped_file_get_length(mb));
        g_assert_cmpint(memcmp(g_mapped_file_get_contents(ma), g_mapped_file_get_contents(mb),
                               g_mapped_file_get_length(ma)),
                        ==, 0);
        g_mapped_file_unref(ma);
        g_mapped_file_unref(mb);
        g_free(pa);
        g_free(pb);
        g_free(x);
        g_free(y);
    }
    /* Routers are not captured unless asked. */
    char *r = g_build_filename(a, "r1.pcapng", NULL);
    g_assert_false(g_file_test(r, G_FILE_TEST_EXISTS));
    g_free(r);
    char *rj = slurp(a, "run.json");
    g_assert_nonnull(strstr(rj, "\"git_revision\""));
    g_assert_nonnull(strstr(rj, "\"events_per_s\""));
    g_free(rj);
    char *res = slurp(a, "results.json");
    g_assert_nonnull(strstr(res, "\"verdict\" : \"pass\""));
    g_free(res);
    rm_rf(tmp);
    g_free(a);
    g_free(b);
    g_free(file);
    g_free(tmp);
}

/* --no-trace: the same results, no trace.jsonl (nor its temporary file). */
static void test_no_trace(void)
{
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = src_path("scenarios/udp-single-path.ini");
    char *a = g_build_filename(tmp, "a", NULL), *b = g_build_filename(tmp, "b", NULL);
    const char *args_a[] = {"run", file, "--out", a, "--no-pcap", NULL};
    const char *args_b[] = {"run", file, "--out", b, "--no-pcap", "--no-trace", NULL};
    char *so, *se;
    g_assert_cmpint(run_sim(args_a, &so, &se), ==, 0);
    g_free(so);
    g_free(se);
    g_assert_cmpint(run_sim(args_b, &so, &se), ==, 0);
    g_free(so);
    g_free(se);
    char *ra = slurp(a, "results.json"), *rb = slurp(b, "results.json");
    g_assert_cmpstr(ra, ==, rb);
    char *ta = g_build_filename(a, "trace.jsonl", NULL), *tb = g_build_filename(b, "trace.jsonl", NULL);
    char *tt = g_build_filename(b, ".tmp-trace.jsonl", NULL);
    g_assert_true(g_file_test(ta, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(tb, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(tt, G_FILE_TEST_EXISTS));
    g_free(ta);
    g_free(tb);
    g_free(tt);
    g_free(ra);
    g_free(rb);
    rm_rf(tmp);
    g_free(a);
    g_free(b);
    g_free(file);
    g_free(tmp);
}

/* afmp-sim sweep: the grid (two rates x two seeds, the last --set fastest,
 * seeds innermost), a CSV with the parameters as columns and every app
 * result, the job list for GNU parallel, a Slurm array script, --collect,
 * and a bad --set. */
static void test_sweep(void)
{
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = src_path("scenarios/udp-single-path.ini");
    const char *args[] = {"sweep", file, "--out", tmp, "--no-pcap", "--stop", "3s",
                          "--set", "link.access.rate=1Mbit,5Mbit", "--seeds", "1-2",
                          "--jobs", "2", NULL};
    char *so, *se;
    g_assert_cmpint(run_sim(args, &so, &se), ==, 0);
    g_assert_nonnull(strstr(so, "4 runs"));
    g_free(so);
    g_free(se);
    char *csv = slurp(tmp, "results.csv");
    gchar **lines = g_strsplit(csv, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 6); /* header, 4 rows, "" */
    g_assert_true(g_str_has_prefix(lines[0], "run,seed,link.access.rate,verdict,expect_failed,"));
    g_assert_nonnull(strstr(lines[0], ",sink.bytes,"));
    g_assert_true(g_str_has_prefix(lines[1], "1,1,1Mbit,"));
    g_assert_true(g_str_has_prefix(lines[2], "2,2,1Mbit,"));
    g_assert_true(g_str_has_prefix(lines[3], "3,1,5Mbit,"));
    g_assert_true(g_str_has_prefix(lines[4], "4,2,5Mbit,"));
    g_strfreev(lines);
    g_free(csv);
    char *r1 = g_build_filename(tmp, "run-0001", "results.json", NULL);
    g_assert_true(g_file_test(r1, G_FILE_TEST_EXISTS));
    g_free(r1);

    char *jobs_out = g_build_filename(tmp, "jobs", NULL);
    const char *pargs[] = {"sweep", file, "--out", jobs_out, "--print", "parallel",
                           "--set", "link.access.rate=1Mbit,5Mbit", "--seeds", "7", NULL};
    g_assert_cmpint(run_sim(pargs, &so, &se), ==, 0);
    lines = g_strsplit(so, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_nonnull(strstr(lines[0], " run --seed 7 --out "));
    g_assert_nonnull(strstr(lines[0], "run-0001"));
    g_assert_nonnull(strstr(lines[1], "--set 'link.access.rate=5Mbit'"));
    /* A printed job does the run. */
    int st = -1;
    char *jo = NULL, *je = NULL;
    g_assert_true(g_spawn_command_line_sync(lines[1], &jo, &je, &st, NULL));
    g_assert_true(g_spawn_check_wait_status(st, NULL));
    char *r2 = g_build_filename(jobs_out, "run-0002", "results.json", NULL);
    char *txt = NULL;
    g_assert_true(g_file_get_contents(r2, &txt, NULL, NULL));
    g_assert_nonnull(strstr(txt, "\"seed\" : 7"));
    g_free(txt);
    g_free(r2);
    g_free(jo);
    g_free(je);
    g_free(jobs_out);
    g_strfreev(lines);
    g_free(so);
    g_free(se);
    const char *sargs[] = {"sweep", file, "--out", tmp, "--print", "slurm",
                           "--set", "link.access.rate=1Mbit,5Mbit", NULL};
    g_assert_cmpint(run_sim(sargs, &so, &se), ==, 0);
    g_assert_nonnull(strstr(so, "#SBATCH --array=0-1\n"));
    g_assert_nonnull(strstr(so, "$SLURM_ARRAY_TASK_ID"));
    g_free(so);
    g_free(se);
    /* --collect over the runs above (same arguments): the same CSV. */
    const char *cargs[] = {"sweep", file, "--out", tmp, "--collect",
                           "--set", "link.access.rate=1Mbit,5Mbit", "--seeds", "1-2", NULL};
    char *before = slurp(tmp, "results.csv");
    g_assert_cmpint(run_sim(cargs, &so, &se), ==, 0);
    char *after = slurp(tmp, "results.csv");
    g_assert_cmpstr(before, ==, after);
    g_free(before);
    g_free(after);
    g_free(so);
    g_free(se);
    const char *bad[] = {"sweep", file, "--out", tmp, "--set", "link.nosuch.rate=1Mbit", NULL};
    g_assert_cmpint(run_sim(bad, &so, &se), ==, 2);
    g_assert_nonnull(strstr(se, "nosuch"));
    g_free(so);
    g_free(se);
    rm_rf(tmp);
    g_free(file);
    g_free(tmp);
}

static void test_check_tap(void)
{
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = src_path("tests/scenarios/cli-fail.ini");
    const char *args[] = {"check", file, "--out", tmp, "--no-pcap", NULL};
    char *so, *se;
    g_assert_cmpint(run_sim(args, &so, &se), ==, 1);
    g_assert_nonnull(strstr(so, "1..3\n"));
    g_assert_nonnull(strstr(so, "ok 1 - "));
    g_assert_nonnull(strstr(so, "ok 2 - cli-fail: arrived"));
    g_assert_nonnull(strstr(so, "not ok 3 - cli-fail: impossible"));
    g_assert_nonnull(strstr(so, "expected >= 1Gbit"));
    g_free(so);
    g_free(se);
    rm_rf(tmp);
    g_free(file);
    g_free(tmp);
}

static void test_interrupted(void)
{
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = src_path("tests/scenarios/cli-long.ini");
    char *sim = sim_path();
    char *argv[] = {sim, "run", file, "--out", tmp, NULL};
    GPid pid;
    GError *err = NULL;
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                NULL, NULL, &pid, &err));
    /* Interrupt once the run is under way: its first capture file has
     * packets in it (the writer flushes whole records every 64 KiB). */
    char *first = g_build_filename(tmp, "a-eth0.pcap", NULL);
    for (int i = 0; i < 200; i++) {
        GStatBuf st;
        if (g_stat(first, &st) == 0 && st.st_size > 65536)
            break;
        g_usleep(50000);
    }
    g_free(first);
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 130);
    char *res = g_build_filename(tmp, "results.json", NULL);
    g_assert_false(g_file_test(res, G_FILE_TEST_EXISTS));
    g_free(res);
    /* The captures are valid: libpcap reads every record. */
    char *cap = g_build_filename(tmp, "a-eth0.pcap", NULL);
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(cap, ebuf);
    g_assert_nonnull(p);
    struct pcap_pkthdr *h;
    const u_char *d;
    int n = 0, rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1)
        n++;
    g_assert_cmpint(rc, ==, PCAP_ERROR_BREAK);
    g_assert_cmpint(n, >, 0);
    pcap_close(p);
    g_free(cap);
    rm_rf(tmp);
    g_free(sim);
    g_free(file);
    g_free(tmp);
}

/* The AF_MULTIPATH lookup of the dual-stack-lookup scenario, as Wireshark
 * sees it: the A and the AAAA query leave together, before any answer, and
 * the answers carry both families. */
static void test_lookup_capture(void)
{
    char *tshark = g_find_program_in_path("tshark");
    if (!tshark) {
        g_test_skip("tshark is not installed");
        return;
    }
    char *tmp = g_dir_make_tmp("afmp-cli-XXXXXX", NULL);
    char *file = src_path("scenarios/dual-stack-lookup.ini");
    const char *args[] = {"run", file, "--out", tmp, NULL};
    char *so, *se;
    g_assert_cmpint(run_sim(args, &so, &se), ==, 0);
    g_free(so);
    g_free(se);
    char *cap = g_build_filename(tmp, "client.pcapng", NULL);
    char *argv[] = {tshark, "-r", cap, "-Y", "dns", "-T", "fields", "-e", "dns.flags.response",
                    "-e", "dns.qry.type", "-e", "dns.a", "-e", "dns.aaaa", NULL};
    char *out = NULL;
    int status;
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                               &status, NULL));
    g_assert_cmpstr(out, ==,
                    "0\t1\t\t\n"
                    "0\t28\t\t\n"
                    "1\t1\t10.0.3.2,10.0.9.9\t\n"
                    "1\t28\t\t2001:db8:3::2\n");
    g_free(out);
    g_free(cap);
    g_free(tshark);
    rm_rf(tmp);
    g_free(file);
    g_free(tmp);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cli/bad-scenario", test_bad_scenario);
    g_test_add_func("/cli/deterministic", test_deterministic);
    g_test_add_func("/cli/no-trace", test_no_trace);
    g_test_add_func("/cli/check-tap", test_check_tap);
    g_test_add_func("/cli/sweep", test_sweep);
    g_test_add_func("/cli/interrupted", test_interrupted);
    g_test_add_func("/cli/lookup-capture", test_lookup_capture);
    return g_test_run();
}
