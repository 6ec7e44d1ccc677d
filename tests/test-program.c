/*
 * Plain C programs as simulated processes (afmp/program.h, afmp/compat.h):
 * two instances of one program keep their own globals, static buffers,
 * getopt, strtok and rand state; exit(), _exit(), abort(), assert() and
 * returning from main end only their own process; output reaches the
 * process's log a line at a time; the loader makes a fresh copy per
 * instance and leaves no file behind; getopt behaves as glibc's; an
 * unmodified program builds with cc -include afmp/compat.h; and the
 * example mp-probe finds which addresses of a host answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gmodule.h>
#include <stdlib.h>
#include <string.h>

#include "afmp/afmp.h"
#include "afmp/program.h"
#include "afmp/stack.h"
#include "sim/apps/apps.h"
#include "fixture.h"
#include "sim/net/world.h"

/* The private temporary folder every copy goes to (set in main). */
static const char *tmp_dir(void)
{
    return g_get_tmp_dir();
}

static guint tmp_entries(void)
{
    GDir *d = g_dir_open(tmp_dir(), 0, NULL);
    g_assert_nonnull(d);
    guint n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

static char *isolation_so(void)
{
    return g_test_build_filename(G_TEST_BUILT, "prog-isolation.so", NULL);
}

/* ---- a world ---- */

#define RATE 10000000u
#define DELAY MP_MS(5)

struct fx {
    struct mp_world *w;
    struct mp_node *a, *b, *c;
    GPtrArray *mods; /* GModule *, closed after the world */
};

static void close_module(gpointer m)
{
    g_module_close(m);
}

/* a -- b (10.0.1.0/24, 2001:db8:1::/64) and a -- c (10.0.2.0/24). */
static void fx_init(struct fx *f)
{
    struct mp_world_conf wc = {.seed = 1};
    struct mp_link_conf lc;
    f->w = mp_world_new(&wc);
    f->a = mp_world_add_node(f->w, "a", NULL, false);
    f->b = mp_world_add_node(f->w, "b", NULL, false);
    f->c = mp_world_add_node(f->w, "c", NULL, false);
    uint32_t a0 = mp_node_add_iface(f->a, "eth0", 1500);
    uint32_t a1 = mp_node_add_iface(f->a, "eth1", 1500);
    uint32_t b0 = mp_node_add_iface(f->b, "eth0", 1500);
    uint32_t c0 = mp_node_add_iface(f->c, "eth0", 1500);
    fx_addr(f->a, a0, "10.0.1.1/24");
    fx_addr(f->a, a0, "2001:db8:1::1/64");
    fx_addr(f->b, b0, "10.0.1.2/24");
    fx_addr(f->b, b0, "2001:db8:1::2/64");
    fx_addr(f->a, a1, "10.0.2.1/24");
    fx_addr(f->c, c0, "10.0.2.2/24");
    memset(&lc, 0, sizeof(lc));
    for (int e = 0; e < 2; e++) {
        lc.dir[e].rate_bps = RATE;
        lc.dir[e].delay = DELAY;
    }
    lc.name = "ab";
    g_assert_nonnull(mp_world_connect(f->w, f->a, a0, f->b, b0, &lc, NULL));
    lc.name = "ac";
    g_assert_nonnull(mp_world_connect(f->w, f->a, a1, f->c, c0, &lc, NULL));
    mp_world_compute_routes(f->w);
    f->mods = g_ptr_array_new_with_free_func(close_module);
}

static void fx_free(struct fx *f)
{
    /* Processes end before the code they run is unloaded. */
    mp_world_free(f->w);
    g_ptr_array_free(f->mods, TRUE);
}

/* Starts program |so| on |n| with the command line |cmd| (split on
 * spaces), as the scenario builder does. */
static struct mp_proc *spawn_prog(struct fx *f, struct mp_node *n, mp_time_t start, const char *so,
                                  const char *cmd)
{
    GError *err = NULL;
    afmp_prog_main_fn entry = NULL;
    GModule *m = mp_program_open(so, &entry, &err);
    g_assert_no_error(err);
    g_assert_nonnull(m);
    g_ptr_array_add(f->mods, m);
    gchar **argv = g_strsplit(cmd, " ", -1);
    struct mp_proc *p =
        mp_proc_spawn(mp_node_procs(n), argv[0], start, entry, (int)g_strv_length(argv), argv, 0);
    g_assert_nonnull(p);
    g_strfreev(argv);
    return p;
}

static struct mp_proc *spawn_builtin(struct mp_node *n, const char *cmd)
{
    gchar **argv = g_strsplit(cmd, " ", -1);
    const struct mp_app_def *def = mp_apps_lookup(argv[0]);
    g_assert_nonnull(def);
    struct mp_proc *p =
        mp_proc_spawn(mp_node_procs(n), argv[0], 0, def->main, (int)g_strv_length(argv), argv, 0);
    g_assert_nonnull(p);
    g_strfreev(argv);
    return p;
}

/* The log's lines without their time stamps. */
static gchar **log_lines(struct mp_node *n, struct mp_proc *p)
{
    gchar **v = g_strsplit(fx_log(n, p), "\n", -1);
    for (gchar **l = v; *l; l++) {
        char *sp = strchr(*l, ' ');
        if (sp)
            memmove(*l, sp + 1, strlen(sp + 1) + 1);
    }
    return v;
}

/* Index of the line that is exactly |line|, or -1. */
static int line_index(gchar **lines, const char *line)
{
    for (int i = 0; lines[i]; i++)
        if (!strcmp(lines[i], line))
            return i;
    return -1;
}

#define assert_line(n, p, s)                                                                       \
    do {                                                                                           \
        gchar **l_ = log_lines(n, p);                                                              \
        if (line_index(l_, s) < 0)                                                                 \
            g_error("log of %s lacks the line '%s':\n%s", mp_proc_name(p), s, fx_log(n, p));       \
        g_strfreev(l_);                                                                            \
    } while (0)

#define assert_no_text(n, p, s)                                                                    \
    do {                                                                                           \
        if (strstr(fx_log(n, p), s))                                                               \
            g_error("log of %s has '%s':\n%s", mp_proc_name(p), s, fx_log(n, p));                  \
    } while (0)

static int first_rand(void)
{
    unsigned seed = 1;
    return rand_r(&seed) % 1000000;
}

/* ---- isolation ---- */

static void test_isolation(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    /* Same program, same host, same time; different options, in different
     * orders (b's operand comes first and must be permuted behind). */
    struct mp_proc *pa = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 3 --tag A x y");
    struct mp_proc *pb = spawn_prog(&f, f.a, 0, so, "prog-isolation z -n 5 -t B -d 7");
    mp_world_run(f.w, MP_S(10));

    g_assert_true(mp_proc_ended(pa));
    g_assert_true(mp_proc_ended(pb));
    g_assert_cmpint(mp_proc_exit_status(pa), ==, 0);
    g_assert_cmpint(mp_proc_exit_status(pb), ==, 0);
    /* Each bumped its own counter. */
    g_assert_cmpint(fx_result(f.a, pa, "counter"), ==, 3);
    g_assert_cmpint(fx_result(f.a, pb, "counter"), ==, 5);
    /* Each parsed its own argv with its own optind. */
    g_assert_cmpint(fx_result(f.a, pa, "optind"), ==, 5);
    g_assert_cmpint(fx_result(f.a, pa, "args"), ==, 2);
    g_assert_cmpint(fx_result(f.a, pb, "optind"), ==, 7);
    g_assert_cmpint(fx_result(f.a, pb, "args"), ==, 1);
    g_assert_cmpstr(mp_proc_argv(pb)[7], ==, "z");
    /* strtok's place survived the other's strtok calls. */
    g_assert_cmpint(fx_result(f.a, pa, "tokens"), ==, 3);
    g_assert_cmpint(fx_result(f.a, pb, "tokens"), ==, 3);
    /* getpid() and clock() are the process's: its number on the host and
     * its simulated running time (1 + 3 ms of short sleeps, then the loop). */
    g_assert_cmpint(fx_result(f.a, pa, "pid"), ==, 1);
    g_assert_cmpint(fx_result(f.a, pb, "pid"), ==, 2);
    g_assert_cmpint(fx_result(f.a, pa, "clock"), ==, (4 + 3 * 10) * (CLOCKS_PER_SEC / 1000));
    g_assert_cmpint(fx_result(f.a, pb, "clock"), ==, (4 + 5 * 7) * (CLOCKS_PER_SEC / 1000));
    /* Both start from seed 1: neither consumed the other's sequence. */
    g_assert_cmpint(fx_result(f.a, pa, "rand"), ==, first_rand());
    g_assert_cmpint(fx_result(f.a, pb, "rand"), ==, first_rand());

    /* Static buffer (tag) and output: whole lines, each in its own log. */
    assert_line(f.a, pa, "hello from A");
    assert_line(f.a, pb, "hello from B");
    assert_line(f.a, pa, "A done after 3");
    assert_line(f.a, pb, "B done after 5");
    assert_no_text(f.a, pa, " B");
    assert_no_text(f.a, pb, " A");
    /* Returning from main ran the atexit handlers, last registered first;
     * the unfinished line went on with the first handler's output, as on a
     * terminal. */
    gchar **l = log_lines(f.a, pa);
    int i1 = line_index(l, "unfinished Aatexit order: second registered runs first (A)");
    int i2 = line_index(l, "bye A counter=3");
    g_assert_cmpint(i1, >=, 0);
    g_assert_cmpint(i2, ==, i1 + 1);
    g_strfreev(l);
    /* b's five sleeps of 7 ms after a's three of 10 ms: different ends. */
    g_assert_cmpuint(mp_proc_end_time(pa), !=, mp_proc_end_time(pb));
    fx_free(&f);
    g_free(so);
}

/* ---- ending ---- */

static void test_exit_alone(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    struct mp_proc *pa = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 2 -t A -e 7");
    struct mp_proc *pb = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 6 -t B");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_state(pa), ==, MP_PROC_EXITED);
    g_assert_cmpint(mp_proc_exit_status(pa), ==, 7);
    g_assert_cmpint(mp_proc_exit_status(pb), ==, 0);
    g_assert_cmpint(fx_result(f.a, pb, "counter"), ==, 6);
    g_assert_cmpuint(mp_proc_end_time(pa), <, mp_proc_end_time(pb));
    /* exit() runs the handlers and flushes, as in C. */
    assert_line(f.a, pa, "unfinished Aatexit order: second registered runs first (A)");
    assert_line(f.a, pa, "bye A counter=2");
    assert_line(f.a, pb, "bye B counter=6");
    fx_free(&f);
    g_free(so);
}

static void test_return_status(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    struct mp_proc *p3 = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 1 -r 3");
    /* Only the low 8 bits reach the parent, as with wait(). */
    struct mp_proc *p5 = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 1 -e 261");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(p3), ==, 3);
    g_assert_cmpint(mp_proc_exit_status(p5), ==, 5);
    g_assert_cmpint(mp_proc_state(p3), ==, MP_PROC_EXITED);
    fx_free(&f);
    g_free(so);
}

static void test_underscore_exit(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    struct mp_proc *p = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 1 -t A -E 4");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 4);
    /* Neither handlers nor the stdio flush. */
    assert_line(f.a, p, "A done after 1");
    assert_no_text(f.a, p, "bye");
    assert_no_text(f.a, p, "unfinished");
    fx_free(&f);
    g_free(so);
}

static void test_abort(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    struct mp_proc *pa = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 1 -t A -A");
    struct mp_proc *pf = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 2 -t F -F");
    struct mp_proc *pb = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 4 -t B");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(pa), ==, AFMP_PROG_ABORT_STATUS);
    g_assert_cmpint(mp_proc_exit_status(pf), ==, AFMP_PROG_ABORT_STATUS);
    assert_line(f.a, pa, "Aborted");
    assert_no_text(f.a, pa, "bye");
    assert_line(f.a, pf, "Aborted");
    g_assert_nonnull(strstr(fx_log(f.a, pf), "Assertion `counter == -1' failed."));
    g_assert_nonnull(strstr(fx_log(f.a, pf), "prog-isolation.c:"));
    /* The simulator and the third instance went on. */
    g_assert_cmpint(mp_proc_exit_status(pb), ==, 0);
    g_assert_cmpint(fx_result(f.a, pb, "counter"), ==, 4);
    fx_free(&f);
    g_free(so);
}

static void kill_at(void *arg, mp_time_t now)
{
    mp_proc_kill(arg);
}

static void test_killed(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    struct mp_proc *pa = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 10 -t A");
    struct mp_proc *pb = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 3 -t B");
    mp_engine_at(mp_world_engine(f.w), MP_MS(25), kill_at, pa);
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_state(pa), ==, MP_PROC_KILLED);
    g_assert_cmpint(mp_proc_exit_status(pa), ==, MP_PROC_KILLED_STATUS);
    g_assert_cmpuint(mp_proc_end_time(pa), ==, MP_MS(25));
    /* As with SIGKILL: no handlers. */
    assert_no_text(f.a, pa, "bye");
    g_assert_cmpint(mp_proc_exit_status(pb), ==, 0);
    assert_line(f.a, pb, "bye B counter=3");
    fx_free(&f);
    g_free(so);
}

/* ---- output ---- */

static void test_long_line(void)
{
    struct fx f;
    fx_init(&f);
    char *so = isolation_so();
    struct mp_proc *p = spawn_prog(&f, f.a, 0, so, "prog-isolation -n 0 -t L -l");
    mp_world_run(f.w, MP_S(1));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
    /* 2999 bytes: pieces of AFMP_PROG_LINE_MAX - 1, then the rest. */
    char *piece = g_strnfill(AFMP_PROG_LINE_MAX - 1, 'x');
    char *rest = g_strnfill(2999 - 2 * (AFMP_PROG_LINE_MAX - 1), 'x');
    gchar **l = log_lines(f.a, p);
    int i = line_index(l, piece);
    g_assert_cmpint(i, >=, 0);
    g_assert_cmpstr(l[i + 1], ==, piece);
    g_assert_cmpstr(l[i + 2], ==, rest);
    g_strfreev(l);
    g_free(piece);
    g_free(rest);
    fx_free(&f);
    g_free(so);
}

/* ---- the loader ---- */

static void test_load_missing(void)
{
    GError *err = NULL;
    afmp_prog_main_fn entry = NULL;
    g_assert_null(mp_program_open("/nonexistent/prog.so", &entry, &err));
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN);
    g_assert_nonnull(strstr(err->message, "/nonexistent/prog.so"));
    g_assert_null(entry);
    g_clear_error(&err);

    /* Not an object: refused, and its copy is gone too. */
    char *junk = g_build_filename(tmp_dir(), "junk.so", NULL);
    g_assert_true(g_file_set_contents(junk, "not an ELF file", -1, NULL));
    guint before = tmp_entries();
    g_assert_null(mp_program_open(junk, &entry, &err));
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN);
    g_assert_nonnull(strstr(err->message, junk));
    g_clear_error(&err);
    g_assert_cmpuint(tmp_entries(), ==, before);
    g_unlink(junk);
    g_free(junk);
}

static struct afmp_prog_state *state_of(GModule *m)
{
    gpointer sym = NULL;
    g_assert_true(g_module_symbol(m, "afmp_prog_state", &sym));
    return ((struct afmp_prog_state * (*)(void)) sym)();
}

/* Every open is a new copy with its own state, and leaves no file. */
static void test_load_copies(void)
{
    char *so = isolation_so();
    guint before = tmp_entries();
    GModule *m[3];
    afmp_prog_main_fn entry[3];
    for (int i = 0; i < 3; i++) {
        GError *err = NULL;
        m[i] = mp_program_open(so, &entry[i], &err);
        g_assert_no_error(err);
        g_assert_cmpuint(tmp_entries(), ==, before);
    }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < i; j++) {
            g_assert_true(m[i] != m[j]);
            g_assert_true(entry[i] != entry[j]);
            g_assert_true(state_of(m[i]) != state_of(m[j]));
        }
        struct afmp_prog_state *st = state_of(m[i]);
        g_assert_cmpuint(st->abi, ==, AFMP_PROG_ABI);
        g_assert_nonnull(st->main);
        g_assert_cmpint(*st->optind, ==, 1);
    }
    for (int i = 0; i < 3; i++)
        g_module_close(m[i]);
    g_free(so);
}

/* What a copy costs; the figure is printed, never judged. */
static void test_load_cost(void)
{
    enum { N = 100 };
    char *so = isolation_so();
    GModule **m = g_new0(GModule *, N);
    gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < N; i++) {
        afmp_prog_main_fn entry;
        m[i] = mp_program_open(so, &entry, NULL);
        g_assert_nonnull(m[i]);
    }
    gint64 t1 = g_get_monotonic_time();
    for (int i = 0; i < N; i++)
        g_module_close(m[i]);
    gint64 t2 = g_get_monotonic_time();
    GStatBuf sb;
    g_assert_cmpint(g_stat(so, &sb), ==, 0);
    g_test_message("program load: %d copies of a %lld-byte object: %.1f us each to open, "
                   "%.1f us each to close",
                   N, (long long)sb.st_size, (double)(t1 - t0) / N, (double)(t2 - t1) / N);
    g_free(m);
    g_free(so);
}

/* ---- building programs with cc ---- */

/* Builds |src| into |dir|/|name| with the system's cc and |extra| flags
 * (NULL-terminated). NULL if there is no working compiler; the build must
 * otherwise succeed. */
static char *build_so(const char *dir, const char *name, const char *src, const char *const *extra)
{
    char *cc = g_find_program_in_path("cc");
    if (!cc)
        return NULL;
    char *c = g_build_filename(dir, "p.c", NULL);
    char *so = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(c, src, -1, NULL));
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, cc);
    for (; extra && *extra; extra++)
        g_ptr_array_add(argv, (gpointer)*extra);
    const char *tail[] = {"-shared", "-fPIC", "-o", so, c, NULL};
    for (size_t i = 0; i < G_N_ELEMENTS(tail); i++)
        g_ptr_array_add(argv, (gpointer)tail[i]);
    int status = -1;
    char *errout = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               &errout, &status, NULL);
    g_ptr_array_free(argv, TRUE);
    g_free(cc);
    g_unlink(c);
    g_free(c);
    if (!ok) {
        g_free(errout);
        g_free(so);
        return NULL;
    }
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("cc failed on a test program:\n%s", errout);
    g_free(errout);
    return so;
}

/* An ordinary UDP client, not a line of it changed for afmp. */
static const char unmodified_src[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <time.h>\n"
    "#include <unistd.h>\n"
    "#include <poll.h>\n"
    "#include <sys/socket.h>\n"
    "#include <netinet/in.h>\n"
    "#include <arpa/inet.h>\n"
    "#include <netdb.h>\n"
    "\n"
    "static char last[64];\n"
    "\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    char host[64];\n"
    "    struct addrinfo hints, *res;\n"
    "    if (argc < 3) {\n"
    "        fprintf(stderr, \"usage: %s ADDR PORT\\n\", argv[0]);\n"
    "        return 2;\n"
    "    }\n"
    "    gethostname(host, sizeof(host));\n"
    "    memset(&hints, 0, sizeof(hints));\n"
    "    hints.ai_socktype = SOCK_DGRAM;\n"
    "    int rc = getaddrinfo(argv[1], argv[2], &hints, &res);\n"
    "    if (rc != 0) {\n"
    "        fprintf(stderr, \"%s: %s\\n\", argv[1], gai_strerror(rc));\n"
    "        return 1;\n"
    "    }\n"
    "    int fd = socket(res->ai_family, SOCK_DGRAM, 0);\n"
    "    sleep(1);\n"
    "    time_t t0 = time(NULL);\n"
    "    sendto(fd, \"hello\", 5, 0, res->ai_addr, res->ai_addrlen);\n"
    "    freeaddrinfo(res);\n"
    "    struct pollfd p = {fd, POLLIN, 0};\n"
    "    if (poll(&p, 1, 2000) != 1) {\n"
    "        perror(\"poll\");\n"
    "        return 1;\n"
    "    }\n"
    "    ssize_t n = recvfrom(fd, last, sizeof(last) - 1, 0, NULL, NULL);\n"
    "    close(fd);\n"
    "    printf(\"%s got '%.*s' back at t=%ld\\n\", host, (int)n, last, (long)t0);\n"
    "    return 0;\n"
    "}\n";

static void test_compile_unmodified(void)
{
    char *dir = g_dir_make_tmp("afmp-test-cc-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *root = g_strdup(g_getenv("AFMP_SOURCE_ROOT"));
    if (!root)
        root = g_test_build_filename(G_TEST_DIST, "..", NULL);
    char *compat = g_build_filename(root, "afmp", "compat.h", NULL);
    char *inc = g_strconcat("-I", root, NULL);
    const char *flags[] = {inc, "-include", compat, NULL};
    char *so = build_so(dir, "client.so", unmodified_src, flags);
    g_free(inc);
    g_free(compat);
    g_free(root);
    if (!so) {
        g_rmdir(dir);
        g_free(dir);
        g_test_skip("no working C compiler to build a test program");
        return;
    }
    struct fx f;
    fx_init(&f);
    struct mp_proc *echo = spawn_builtin(f.b, "udp-echo --port 7");
    struct mp_proc *p = spawn_prog(&f, f.a, 0, so, "client 10.0.1.2 7");
    g_unlink(so); /* the loaded copies do not need it */
    mp_world_run(f.w, MP_S(5));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
    /* One second of simulated sleep, then 2 x 5 ms and serialisation. */
    assert_line(f.a, p, "a got 'hello' back at t=1");
    g_assert_cmpuint(mp_proc_end_time(p), >, MP_S(1) + 2 * DELAY);
    g_assert_cmpuint(mp_proc_end_time(p), <, MP_S(1) + 2 * DELAY + MP_MS(1));
    g_assert_false(mp_proc_ended(echo));
    fx_free(&f);
    g_free(so);
    g_rmdir(dir);
    g_free(dir);
}

/* An object that is not a program, and one from a future compat.h. */
static void test_load_bad_objects(void)
{
    char *dir = g_dir_make_tmp("afmp-test-cc-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *nomain = build_so(dir, "nomain.so", "int other(int c, char **v) { return c; }\n", NULL);
    if (!nomain) {
        g_rmdir(dir);
        g_free(dir);
        g_test_skip("no working C compiler to build a test program");
        return;
    }
    GError *err = NULL;
    afmp_prog_main_fn entry = NULL;
    g_assert_null(mp_program_open(nomain, &entry, &err));
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_SYMBOL);
    g_assert_nonnull(strstr(err->message, "afmp_main"));
    g_clear_error(&err);

    char *future = build_so(dir, "future.so",
                            "struct s { unsigned abi, size; } st = {999, 8};\n"
                            "struct s *afmp_prog_state(void) { return &st; }\n"
                            "int afmp_prog_entry(int c, char **v) { return 0; }\n"
                            "int afmp_main(int c, char **v) { return 0; }\n",
                            NULL);
    g_assert_nonnull(future);
    g_assert_null(mp_program_open(future, &entry, &err));
    g_assert_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN);
    g_assert_nonnull(strstr(err->message, "ABI 999"));
    g_clear_error(&err);

    /* Written against afmp.h alone: runs afmp_main itself. */
    char *plain =
        build_so(dir, "plain.so", "int afmp_main(int c, char **v) { return 40 + c; }\n", NULL);
    GModule *m = mp_program_open(plain, &entry, &err);
    g_assert_no_error(err);
    g_assert_cmpint(entry(2, NULL), ==, 42);
    g_module_close(m);

    g_unlink(nomain);
    g_unlink(future);
    g_unlink(plain);
    g_free(nomain);
    g_free(future);
    g_free(plain);
    g_rmdir(dir);
    g_free(dir);
}

/* ---- getopt against glibc's ---- */

struct getopt_case {
    const char *optstring;
    const char *args; /* after argv[0], split on spaces */
    bool longopts;
    bool long_only;
};

static int flag_var;

static const struct option test_longopts[] = {
    {"verbose", no_argument, NULL, 'v'},
    {"verbatim", no_argument, NULL, 'b'},
    {"verb", no_argument, NULL, 'w'},
    {"value", required_argument, NULL, 'V'},
    {"opt", optional_argument, NULL, 'o'},
    {"flag", no_argument, &flag_var, 42},
    {"also-flag", no_argument, &flag_var, 42},
    {"also-fleg", no_argument, &flag_var, 42},
    {NULL, 0, NULL, 0},
};

static const struct getopt_case getopt_cases[] = {
    {"ab:c", "-a -b x -c foo", false, false},
    {"ab:c", "foo -a bar -bx baz", false, false},
    {"ab:", "x -a -- -b y", false, false},
    {"ab:", "-a -- x", false, false},
    {"ab:", "x y", false, false},
    {"ab:", "", false, false},
    {"+ab:", "-a x -b y", false, false},
    {"-ab:", "x -a y -b z w", false, false},
    {":ab:", "-a -b", false, false},
    {"ab:", "-a -b", false, false},
    {"ab", "-z -a", false, false},
    {"ab", "-azb", false, false},
    {":ab", "-a: -b", false, false},
    {"a::b", "-afoo -a foo -b", false, false},
    {"ab:", "-ab x y", false, false},
    {"abc", "-abc - -c", false, false},
    {"v", "--verbose --value=3 --value 4 --opt --opt=5 --flag x", true, false},
    {"v", "--verbo --verba --verb --ver --val 3", true, false},
    {"v", "--also-f --also", true, false},
    {"v", "--value", true, false},
    {":v", "--value", true, false},
    {"v", "--verbose=1 --nope -v", true, false},
    {"v", "a --opt b -- --verbose", true, false},
    {"vx:", "-verbose -v -value 3 -x 4 -xy -nope", true, true},
    {"vo", "-o -opt=1 -vo", true, true},
};

/* Runs getopt over |c| and describes every return, optarg, optopt,
 * optind and longindex, then the final argv. */
static char *getopt_trace(const struct getopt_case *c, bool mine)
{
    char *line = g_strconcat("prog", *c->args ? " " : "", c->args, NULL);
    gchar **argv = g_strsplit(line, " ", -1);
    int argc = (int)g_strv_length(argv);
    GString *t = g_string_new(NULL);
    struct afmp_prog_state st;
    int my_optind = 1, my_opterr = 0, my_optopt = '?';
    char *my_optarg = NULL;
    memset(&st, 0, sizeof(st));
    st.optind = &my_optind;
    st.opterr = &my_opterr;
    st.optopt = &my_optopt;
    st.optarg = &my_optarg;
    if (!mine) {
        optind = 0; /* glibc: start over */
        opterr = 0;
    }
    flag_var = 0;
    for (int guard = 0; guard < 64; guard++) {
        int li = -1, r;
        const struct option *lo = c->longopts ? test_longopts : NULL;
        if (mine)
            r = afmp_prog_getopt(&st, argc, argv, c->optstring, lo, &li, c->long_only);
        else if (!lo)
            r = getopt(argc, argv, c->optstring);
        else if (c->long_only)
            r = getopt_long_only(argc, argv, c->optstring, lo, &li);
        else
            r = getopt_long(argc, argv, c->optstring, lo, &li);
        const char *arg = mine ? my_optarg : optarg;
        int oi = mine ? my_optind : optind, oo = mine ? my_optopt : optopt;
        if (r > ' ' && r < 127)
            g_string_append_printf(t, "%c", r);
        else
            g_string_append_printf(t, "%d", r);
        if (arg)
            g_string_append_printf(t, "(%s)", arg);
        if (r == '?' || r == ':')
            g_string_append_printf(t, "[optopt %d]", oo);
        if (li >= 0)
            g_string_append_printf(t, "[long %d flag %d]", li, flag_var);
        g_string_append_printf(t, " @%d; ", oi);
        if (r == -1)
            break;
    }
    g_string_append(t, "argv:");
    for (int i = 0; i < argc; i++)
        g_string_append_printf(t, " %s", argv[i]);
    g_strfreev(argv);
    g_free(line);
    return g_string_free(t, FALSE);
}

static void test_getopt(gconstpointer data)
{
    const struct getopt_case *c = data;
    g_unsetenv("POSIXLY_CORRECT");
    char *want = getopt_trace(c, false);
    char *got = getopt_trace(c, true);
    g_test_message("glibc: %s", want);
    g_assert_cmpstr(got, ==, want);
    g_free(want);
    g_free(got);
}

/* Hand-checked, so that agreeing with glibc is not the only evidence. */
static void test_getopt_known(void)
{
    static const struct getopt_case c1 = {"ab:", "x -a -b y z", false, false};
    char *t = getopt_trace(&c1, true);
    g_assert_cmpstr(t, ==, "a @3; b(y) @5; -1 @4; argv: prog -a -b y x z");
    g_free(t);
    static const struct getopt_case c2 = {":b:", "-b", false, false};
    t = getopt_trace(&c2, true);
    g_assert_cmpstr(t, ==, ":[optopt 98] @2; -1 @2; argv: prog -b");
    g_free(t);
}

/* Setting optind back starts a new parse of another argv. */
static void test_getopt_restart(void)
{
    struct afmp_prog_state st;
    int oi = 1, oe = 0, oo = 0;
    char *oa = NULL;
    memset(&st, 0, sizeof(st));
    st.optind = &oi;
    st.opterr = &oe;
    st.optopt = &oo;
    st.optarg = &oa;
    char *v1[] = {"p", "-ab", NULL};
    g_assert_cmpint(afmp_prog_getopt(&st, 2, v1, "ab", NULL, NULL, 0), ==, 'a');
    /* Abandon the cluster half way: a reset forgets "b". */
    char *v2[] = {"p", "-b", "x", NULL};
    oi = 1;
    g_assert_cmpint(afmp_prog_getopt(&st, 3, v2, "ab", NULL, NULL, 0), ==, 'b');
    g_assert_cmpint(afmp_prog_getopt(&st, 3, v2, "ab", NULL, NULL, 0), ==, -1);
    g_assert_cmpint(oi, ==, 2);
    oi = 0;
    g_assert_cmpint(afmp_prog_getopt(&st, 2, v1, "ab", NULL, NULL, 0), ==, 'a');
    g_assert_cmpint(afmp_prog_getopt(&st, 2, v1, "ab", NULL, NULL, 0), ==, 'b');
    g_assert_cmpint(afmp_prog_getopt(&st, 2, v1, "ab", NULL, NULL, 0), ==, -1);
    g_assert_cmpint(oi, ==, 2);
}

/* ---- the example ---- */

static void test_mp_probe(void)
{
    char *so = g_test_build_filename(G_TEST_BUILT, "..", "afmp", "examples", "mp-probe.so", NULL);
    if (!g_file_test(so, G_FILE_TEST_EXISTS)) {
        g_free(so);
        g_test_skip("afmp/examples/mp-probe.so is not built");
        return;
    }
    struct fx f;
    fx_init(&f);
    spawn_builtin(f.b, "udp-echo --port 7");
    /* b answers on both its addresses; c has no echo and refuses. */
    struct mp_proc *p =
        spawn_prog(&f, f.a, MP_MS(1), so, "mp-probe -t 500 10.0.1.2 2001:db8:1::2 10.0.2.2");
    struct mp_proc *bad = spawn_prog(&f, f.a, 0, so, "mp-probe -p 0 10.0.1.2");
    struct mp_proc *none = spawn_prog(&f, f.a, 0, so, "mp-probe");
    mp_world_run(f.w, MP_S(10));
    g_assert_cmpint(mp_proc_exit_status(bad), ==, 2);
    assert_line(f.a, bad, "mp-probe: bad port '0'");
    g_assert_cmpint(mp_proc_exit_status(none), ==, 2);
    assert_line(f.a, none, "usage: mp-probe [-p PORT] [-t TIMEOUT_MS] [-n TRIES] NAME...");
    g_assert_true(mp_proc_ended(p));
    g_assert_cmpint(mp_proc_exit_status(p), ==, 0);
    g_assert_cmpint(fx_result(f.a, p, "probed"), ==, 3);
    g_assert_cmpint(fx_result(f.a, p, "answered"), ==, 2);
    /* The IPv6 probe is the longer: 40 + 8 + 12 bytes each way over one
     * 10 Mbit/s, 5 ms link. */
    int64_t hop6 = (60 * 8 * 1000000000ll + RATE - 1) / RATE + (int64_t)DELAY;
    g_assert_cmpint(fx_result(f.a, p, "rtt_max_ns"), ==, 2 * hop6);
    assert_line(f.a, p, "  10.0.1.2 port 7: answered in 10.064 ms");
    assert_line(f.a, p, "  [2001:db8:1::2] port 7: answered in 10.096 ms");
    g_assert_nonnull(strstr(fx_log(f.a, p), "  10.0.2.2 port 7: "));
    assert_line(f.a, p, "2 of 3 addresses answered");
    g_test_message("mp-probe's log:\n%s", fx_log(f.a, p));
    fx_free(&f);
    g_free(so);
}

int main(int argc, char **argv)
{
    /* Every private copy goes to a folder of our own, so the tests can see
     * that none is left behind. Set before anything reads it: GLib keeps
     * the first value. */
    char *dir = g_build_filename(g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/tmp",
                                 "afmp-test-program-XXXXXX", NULL);
    g_assert_nonnull(g_mkdtemp(dir));
    g_setenv("TMPDIR", dir, TRUE);

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/program/isolation/globals", test_isolation);
    g_test_add_func("/program/exit/alone", test_exit_alone);
    g_test_add_func("/program/exit/return", test_return_status);
    g_test_add_func("/program/exit/underscore", test_underscore_exit);
    g_test_add_func("/program/exit/abort", test_abort);
    g_test_add_func("/program/exit/killed", test_killed);
    g_test_add_func("/program/output/long-line", test_long_line);
    g_test_add_func("/program/load/missing", test_load_missing);
    g_test_add_func("/program/load/copies", test_load_copies);
    g_test_add_func("/program/load/cost", test_load_cost);
    g_test_add_func("/program/load/bad-objects", test_load_bad_objects);
    g_test_add_func("/program/compile/unmodified", test_compile_unmodified);
    for (size_t i = 0; i < G_N_ELEMENTS(getopt_cases); i++) {
        char *path = g_strdup_printf("/program/getopt/glibc/%zu", i);
        g_test_add_data_func(path, &getopt_cases[i], test_getopt);
        g_free(path);
    }
    g_test_add_func("/program/getopt/known", test_getopt_known);
    g_test_add_func("/program/getopt/restart", test_getopt_restart);
    g_test_add_func("/program/example/mp-probe", test_mp_probe);
    int rc = g_test_run();

    /* Nothing may be left in it. */
    if (g_rmdir(dir) != 0 && rc == 0) {
        g_printerr("files left behind in %s\n", dir);
        rc = 1;
    }
    g_free(dir);
    return rc;
}
