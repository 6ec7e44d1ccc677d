/*
 * afmp: plain C programs as simulated processes (see program.h): the loader
 * that gives each process its own copy of a program, and the run-time
 * support behind compat.h.
 */
#include "afmp/program.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gmodule.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/proc/proc.h"

#if __has_include("sockaddr_mp.h")
#include "afmp/sockaddr_mp.h"
#endif
#if __has_include("resolver.c")
#include "afmp/resolver.h"
#define HAVE_RESOLVER 1
#endif

#ifndef AF_MULTIPATH
#define AF_MULTIPATH 46
#endif

/* ---------------------------------------------------------------------- */
/* The functions programs find in the executable.                          */

#define ANCHOR(f) (mp_program_anchor_fn)(f)

/* clang-format off */
const mp_program_anchor_fn mp_program_anchors[] = {
    ANCHOR(afmp_socket), ANCHOR(afmp_bind), ANCHOR(afmp_connect), ANCHOR(afmp_sendto),
    ANCHOR(afmp_recvfrom), ANCHOR(afmp_send), ANCHOR(afmp_recv), ANCHOR(afmp_getsockname),
    ANCHOR(afmp_getpeername), ANCHOR(afmp_setsockopt), ANCHOR(afmp_getsockopt),
    ANCHOR(afmp_poll), ANCHOR(afmp_ppoll), ANCHOR(afmp_close), ANCHOR(afmp_sleep),
    ANCHOR(afmp_usleep), ANCHOR(afmp_nanosleep), ANCHOR(afmp_clock_gettime),
    ANCHOR(afmp_gethostname), ANCHOR(afmp_result), ANCHOR(afmp_log), ANCHOR(afmp_now_ns),
    ANCHOR(afmp_exit),
#if __has_include("container.c")
    /* The container helpers compat.h brings (sockaddr_mp.h). */
    ANCHOR(afmp_mp_check), ANCHOR(afmp_mp_iter_init), ANCHOR(afmp_mp_iter_next),
    ANCHOR(afmp_mp_get), ANCHOR(afmp_mp_find), ANCHOR(afmp_mp_build), ANCHOR(afmp_mp_append),
    ANCHOR(afmp_mp_append_sockaddr), ANCHOR(afmp_mp_remove), ANCHOR(afmp_mp_set_port),
    ANCHOR(afmp_mp_entry_equal), ANCHOR(afmp_mp_equal), ANCHOR(afmp_mp_same_set),
    ANCHOR(afmp_mp_entry_from_sockaddr), ANCHOR(afmp_mp_entry_to_sockaddr),
    ANCHOR(afmp_mp_format), ANCHOR(afmp_mp_parse),
#endif
#ifdef HAVE_RESOLVER
    ANCHOR(afmp_getaddrinfo), ANCHOR(afmp_freeaddrinfo), ANCHOR(afmp_gai_strerror),
    ANCHOR(afmp_gethostbyname2), ANCHOR(afmp_herror), ANCHOR(afmp_hstrerror),
    ANCHOR(afmp_h_errno_location),
#endif
    NULL,
};
/* clang-format on */

/* ---------------------------------------------------------------------- */
/* The loader.                                                              */

/* Writes |len| bytes of |data| to a new file in the temporary folder whose
 * name holds its inode number (see program.h for why), and returns that
 * name. */
static char *private_copy(const char *path, const char *data, gsize len, GError **err)
{
    const char *dir = g_get_tmp_dir();
    char *tmpl = g_build_filename(dir, "afmp-prog-XXXXXX", NULL);
    int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0700);
    if (fd < 0) {
        int e = errno;
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN,
                    "%s: cannot make a private copy in %s: %s", path, dir, g_strerror(e));
        g_free(tmpl);
        return NULL;
    }
    char *name = NULL;
    struct stat st;
    gsize off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO;
        if (n <= 0)
            goto fail;
        off += (gsize)n;
    }
    if (fstat(fd, &st) < 0)
        goto fail;
    /* The original name last, cut short, for whoever reads a backtrace. */
    char *base = g_path_get_basename(path);
    if (strlen(base) > 64)
        base[64] = '\0';
    char *file = g_strdup_printf("afmp-prog-%ju-%s", (uintmax_t)st.st_ino, base);
    name = g_build_filename(dir, file, NULL);
    g_free(file);
    g_free(base);
    if (g_rename(tmpl, name) < 0) {
        g_free(name);
        name = NULL;
        goto fail;
    }
    close(fd);
    g_free(tmpl);
    return name;

fail:;
    int e = errno;
    g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN, "%s: cannot make a private copy in %s: %s",
                path, dir, g_strerror(e));
    close(fd);
    g_unlink(tmpl);
    g_free(tmpl);
    return NULL;
}

GModule *mp_program_open(const char *path, afmp_prog_main_fn *entry_out, GError **err)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *e = NULL;

    if (!g_file_get_contents(path, &data, &len, &e)) {
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN, "%s: cannot load the program: %s", path,
                    e->message);
        g_error_free(e);
        return NULL;
    }
    char *copy = private_copy(path, data, len, err);
    g_free(data);
    if (!copy)
        return NULL;
    /* No G_MODULE_BIND_LAZY: RTLD_NOW, so a missing function is a load
     * error now rather than the end of the simulator at its first call. */
    GModule *m = g_module_open(copy, G_MODULE_BIND_LOCAL);
    /* The mapping keeps the copy alive; its name is not needed any more. */
    g_unlink(copy);
    g_free(copy);
    if (!m) {
        const char *why = g_module_error();
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN, "%s: cannot load the program: %s%s",
                    path, why,
                    strstr(why, "undefined symbol: afmp_")
                        ? " (the simulator does not export the afmp API: link it with "
                          "--export-dynamic, as gmodule-2.0 does)"
                        : "");
        return NULL;
    }

    gpointer main_sym = NULL, state_sym = NULL, entry_sym = NULL;
    if (!g_module_symbol(m, MP_APPS_PLUGIN_SYMBOL, &main_sym) || !main_sym) {
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_SYMBOL,
                    "%s: the program has no symbol '%s' (build it with -include afmp/compat.h, "
                    "or define int %s(int argc, char **argv))",
                    path, MP_APPS_PLUGIN_SYMBOL, MP_APPS_PLUGIN_SYMBOL);
        g_module_close(m);
        return NULL;
    }
    if (!g_module_symbol(m, "afmp_prog_state", &state_sym) || !state_sym) {
        /* Written against afmp.h without compat.h: its own globals are
         * still per copy; it has no per-instance libc state to set up. */
        *entry_out = (afmp_prog_main_fn)main_sym;
        return m;
    }
    struct afmp_prog_state *(*get_state)(void) = (struct afmp_prog_state * (*)(void)) state_sym;
    struct afmp_prog_state *st = get_state();
    if (st->abi != AFMP_PROG_ABI || st->size != sizeof(*st) ||
        !g_module_symbol(m, "afmp_prog_entry", &entry_sym) || !entry_sym) {
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN,
                    "%s: the program was built with another afmp/compat.h (ABI %u, %u bytes of "
                    "state; this simulator has ABI %u, %zu bytes): rebuild it",
                    path, st->abi, st->size, (unsigned)AFMP_PROG_ABI, sizeof(*st));
        g_module_close(m);
        return NULL;
    }
    st->main = (afmp_prog_main_fn)main_sym;
    *entry_out = (afmp_prog_main_fn)entry_sym;
    return m;
}

/* ---------------------------------------------------------------------- */
/* Output: whole lines to the process's log.                                */

static struct afmp_prog_line *line_of(struct afmp_prog_state *st, FILE *f)
{
    if (f == stdout)
        return &st->out[0];
    if (f == stderr)
        return &st->out[1];
    return NULL;
}

static void line_emit(struct afmp_prog_line *l)
{
    l->buf[l->len] = '\0';
    afmp_log("%s", l->buf);
    l->len = 0;
}

static void line_write(struct afmp_prog_line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            line_emit(l);
            continue;
        }
        if (l->len == sizeof(l->buf) - 1)
            line_emit(l);
        l->buf[l->len++] = s[i];
    }
}

static void flush_lines(struct afmp_prog_state *st)
{
    for (size_t i = 0; i < G_N_ELEMENTS(st->out); i++)
        if (st->out[i].len)
            line_emit(&st->out[i]);
}

static void errf(struct afmp_prog_state *st, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A message on the program's stderr, as libc would print it. */
static void errf(struct afmp_prog_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)afmp_prog_vfprintf(st, stderr, fmt, ap);
    va_end(ap);
}

int afmp_prog_vfprintf(struct afmp_prog_state *st, FILE *f, const char *fmt, va_list ap)
{
    struct afmp_prog_line *l = line_of(st, f);
    if (!l)
        return vfprintf(f, fmt, ap);
    char *s = NULL;
    int n = g_vasprintf(&s, fmt, ap);
    if (n > 0)
        line_write(l, s, (size_t)n);
    g_free(s);
    return n;
}

int afmp_prog_fputs(struct afmp_prog_state *st, const char *s, FILE *f)
{
    struct afmp_prog_line *l = line_of(st, f);
    if (!l)
        return fputs(s, f);
    line_write(l, s, strlen(s));
    return 1;
}

int afmp_prog_puts(struct afmp_prog_state *st, const char *s)
{
    line_write(&st->out[0], s, strlen(s));
    line_write(&st->out[0], "\n", 1);
    return 1;
}

int afmp_prog_fputc(struct afmp_prog_state *st, int c, FILE *f)
{
    struct afmp_prog_line *l = line_of(st, f);
    if (!l)
        return fputc(c, f);
    char ch = (char)(unsigned char)c;
    line_write(l, &ch, 1);
    return (unsigned char)c;
}

size_t afmp_prog_fwrite(struct afmp_prog_state *st, const void *p, size_t size, size_t n, FILE *f)
{
    struct afmp_prog_line *l = line_of(st, f);
    if (!l)
        return fwrite(p, size, n, f);
    if (size && n > SIZE_MAX / size) {
        errno = EOVERFLOW;
        return 0;
    }
    line_write(l, p, size * n);
    return n;
}

int afmp_prog_fflush(struct afmp_prog_state *st, FILE *f)
{
    /* fflush(NULL) flushes every libc stream; ours are line-oriented. */
    if (line_of(st, f))
        return 0;
    return fflush(f);
}

void afmp_prog_perror(struct afmp_prog_state *st, const char *s)
{
    const char *msg = g_strerror(errno);
    if (s && *s)
        errf(st, "%s: %s\n", s, msg);
    else
        errf(st, "%s\n", msg);
}

/* ---------------------------------------------------------------------- */
/* Ending.                                                                  */

/* What exit() and returning from main share: the atexit handlers, last
 * registered first (a handler may register more or call exit itself),
 * then the partial lines. */
static int wind_up(struct afmp_prog_state *st, int status)
{
    while (st->n_atexit > 0) {
        void (*fn)(void) = st->atexit_fn[--st->n_atexit];
        fn();
    }
    flush_lines(st);
    /* What wait() reports on Linux: the low 8 bits. */
    return status & 0xff;
}

int afmp_prog_run(struct afmp_prog_state *st, int argc, char **argv)
{
    st->argv0 = argc > 0 && argv[0] ? argv[0] : "program";
    if (!st->main) {
        errf(st, "%s: not started by mp_program_open: no main to run\n", st->argv0);
        flush_lines(st);
        return 127;
    }
    int status = st->main(argc, argv);
    return wind_up(st, status);
}

_Noreturn void afmp_prog_exit(struct afmp_prog_state *st, int status)
{
    afmp_exit(wind_up(st, status));
}

_Noreturn void afmp_prog__exit(struct afmp_prog_state *st, int status)
{
    afmp_exit(status & 0xff);
}

_Noreturn void afmp_prog_abort(struct afmp_prog_state *st)
{
    /* glibc's abort() no longer flushes stdio (2.27); ours writes the
     * partial lines anyway, since the log is all there is to debug with. */
    flush_lines(st);
    afmp_log("Aborted");
    afmp_exit(AFMP_PROG_ABORT_STATUS);
}

_Noreturn void afmp_prog_assert_fail(struct afmp_prog_state *st, const char *expr, const char *file,
                                     unsigned line, const char *func)
{
    errf(st, "%s: %s:%u: %s%sAssertion `%s' failed.\n", st->argv0 ? st->argv0 : "program", file,
         line, func ? func : "", func ? ": " : "", expr);
    afmp_prog_abort(st);
}

int afmp_prog_atexit(struct afmp_prog_state *st, void (*fn)(void))
{
    if (st->n_atexit >= AFMP_PROG_ATEXIT_MAX) {
        errno = ENOMEM;
        return -1;
    }
    st->atexit_fn[st->n_atexit++] = fn;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* getopt (GNU behaviour, per instance).                                    */

enum { PERMUTE, REQUIRE_ORDER, RETURN_IN_ORDER };

static bool nonoption(const char *s)
{
    return s[0] != '-' || s[1] == '\0';
}

static void reverse(char **v, int from, int to)
{
    for (to--; from < to; from++, to--) {
        char *t = v[from];
        v[from] = v[to];
        v[to] = t;
    }
}

/* Moves the options argv[last..optind) in front of the non-options skipped
 * before them, argv[first..last), keeping each block's order. */
static void exchange(char **argv, struct afmp_prog_getopt *g, int optind)
{
    reverse(argv, g->first, g->last);
    reverse(argv, g->last, optind);
    reverse(argv, g->first, optind);
    g->first += optind - g->last;
    g->last = optind;
}

/* One long option at g->next (the text after "--" or "-"). Returns the
 * option's value, '?' or ':' for an error, or -2 when nothing matches and
 * getopt_long_only may still try a short option. */
static int long_option(struct afmp_prog_state *st, int argc, char **argv, const char *optstring,
                       const struct option *longopts, int *longindex, const char *prefix,
                       bool may_fall_back, bool colon)
{
    struct afmp_prog_getopt *g = &st->getopt;
    int *optind = st->optind;
    const char *name = g->next;
    size_t nlen = strcspn(name, "=");
    int found = -1;
    bool ambiguous = false;

    for (int i = 0; longopts[i].name; i++) {
        if (strncmp(longopts[i].name, name, nlen) != 0)
            continue;
        if (strlen(longopts[i].name) == nlen) {
            found = i; /* exact match wins */
            ambiguous = false;
            break;
        }
        if (found < 0)
            found = i;
        else if (longopts[found].has_arg != longopts[i].has_arg ||
                 longopts[found].flag != longopts[i].flag || longopts[found].val != longopts[i].val)
            ambiguous = true; /* prefixes of options that mean the same are fine */
    }
    if (ambiguous) {
        if (*st->opterr && !colon)
            errf(st, "%s: option '%s%.*s' is ambiguous\n", argv[0], prefix, (int)nlen, name);
        g->next = NULL;
        (*optind)++;
        *st->optopt = 0;
        return '?';
    }
    if (found < 0) {
        if (may_fall_back && *name && strchr(optstring, *name))
            return -2;
        if (*st->opterr && !colon)
            errf(st, "%s: unrecognized option '%s%.*s'\n", argv[0], prefix, (int)nlen, name);
        g->next = NULL;
        (*optind)++;
        *st->optopt = 0;
        return '?';
    }

    const struct option *o = &longopts[found];
    g->next = NULL;
    (*optind)++;
    if (name[nlen] == '=') {
        if (o->has_arg == no_argument) {
            if (*st->opterr && !colon)
                errf(st, "%s: option '%s%s' doesn't allow an argument\n", argv[0], prefix, o->name);
            *st->optopt = o->val;
            return '?';
        }
        *st->optarg = (char *)name + nlen + 1;
    } else if (o->has_arg == required_argument) {
        if (*optind >= argc) {
            if (*st->opterr && !colon)
                errf(st, "%s: option '%s%s' requires an argument\n", argv[0], prefix, o->name);
            *st->optopt = o->val;
            return colon ? ':' : '?';
        }
        *st->optarg = argv[(*optind)++];
    }
    if (longindex)
        *longindex = found;
    if (o->flag) {
        *o->flag = o->val;
        return 0;
    }
    return o->val;
}

static int getopt_step(struct afmp_prog_state *st, int argc, char **argv, const char *optstring,
                       const struct option *longopts, int *longindex, int long_only)
{
    struct afmp_prog_getopt *g = &st->getopt;
    int *optind = st->optind;

    /* Start over on the first call, when the program set optind to 0, or
     * when it moved optind itself since the last call. */
    if (!g->ready || *optind == 0 || *optind != g->seen_optind) {
        if (*optind == 0)
            *optind = 1;
        g->first = g->last = *optind;
        g->next = NULL;
        g->ready = 1;
    }
    const char *opts = optstring;
    g->ordering = PERMUTE;
    if (*opts == '-') {
        g->ordering = RETURN_IN_ORDER;
        opts++;
    } else if (*opts == '+') {
        g->ordering = REQUIRE_ORDER;
        opts++;
    } else if (getenv("POSIXLY_CORRECT")) {
        g->ordering = REQUIRE_ORDER;
    }
    bool colon = *opts == ':';
    if (colon)
        opts++;
    *st->optarg = NULL;

    if (!g->next || !*g->next) {
        /* Between elements: find the next option, skipping (and later
         * moving back) non-options when permuting. */
        if (g->last > *optind)
            g->last = *optind;
        if (g->first > *optind)
            g->first = *optind;
        if (g->ordering == PERMUTE) {
            if (g->first != g->last && g->last != *optind)
                exchange(argv, g, *optind);
            else if (g->last != *optind)
                g->first = *optind;
            while (*optind < argc && nonoption(argv[*optind]))
                (*optind)++;
            g->last = *optind;
        }
        /* "--" ends the options; what follows are non-options. */
        if (*optind != argc && !strcmp(argv[*optind], "--")) {
            (*optind)++;
            if (g->first != g->last && g->last != *optind)
                exchange(argv, g, *optind);
            else if (g->first == g->last)
                g->first = *optind;
            g->last = argc;
            *optind = argc;
        }
        if (*optind == argc) {
            /* Point at the first non-option, now that they are last. */
            if (g->first != g->last)
                *optind = g->first;
            return -1;
        }
        if (nonoption(argv[*optind])) {
            if (g->ordering == REQUIRE_ORDER)
                return -1;
            *st->optarg = argv[(*optind)++];
            return 1;
        }
        const char *arg = argv[*optind];
        if (longopts && arg[1] == '-') {
            g->next = arg + 2;
            return long_option(st, argc, argv, opts, longopts, longindex, "--", false, colon);
        }
        /* getopt_long_only: "-name" is a long option, unless it is a single
         * letter that is a short option. */
        if (longopts && long_only && (arg[2] || !strchr(opts, arg[1]))) {
            g->next = arg + 1;
            int c = long_option(st, argc, argv, opts, longopts, longindex, "-", true, colon);
            if (c != -2)
                return c;
        }
        g->next = arg + 1;
    }

    /* The next short option of the current element. */
    char c = *g->next++;
    const char *spec = c == ':' || c == ';' ? NULL : strchr(opts, c);
    if (!*g->next)
        (*optind)++;
    if (!spec) {
        if (*st->opterr && !colon)
            errf(st, "%s: invalid option -- '%c'\n", argv[0], c);
        *st->optopt = (unsigned char)c;
        return '?';
    }
    if (spec[1] == ':') {
        if (spec[2] == ':') {
            /* Optional: only glued to the option ("-ovalue"). */
            if (*g->next) {
                *st->optarg = (char *)g->next;
                (*optind)++;
            }
        } else if (*g->next) {
            *st->optarg = (char *)g->next;
            (*optind)++;
        } else if (*optind >= argc) {
            if (*st->opterr && !colon)
                errf(st, "%s: option requires an argument -- '%c'\n", argv[0], c);
            *st->optopt = (unsigned char)c;
            g->next = NULL;
            return colon ? ':' : '?';
        } else {
            *st->optarg = argv[(*optind)++];
        }
        g->next = NULL;
    }
    return (unsigned char)c;
}

int afmp_prog_getopt(struct afmp_prog_state *st, int argc, char *const argv[],
                     const char *optstring, const struct option *longopts, int *longindex,
                     int long_only)
{
    /* GNU getopt permutes argv in place despite the const in its
     * prototype; so does this one. */
    int c = getopt_step(st, argc, (char **)argv, optstring, longopts, longindex, long_only);
    st->getopt.seen_optind = *st->optind;
    return c;
}

/* ---------------------------------------------------------------------- */
/* Calls whose shape differs from afmp's.                                   */

int afmp_prog_fcntl(int fd, int cmd, ...)
{
    int arg = 0;
    switch (cmd) {
    case F_SETFL:
    case F_SETFD:
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        /* Only these take an int; reading one that was not passed is
         * undefined. */
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
        break;
    }
    default:
        break;
    }
    return afmp_fcntl(fd, cmd, arg);
}

time_t afmp_prog_time(time_t *t)
{
    struct timespec ts;
    if (afmp_clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return (time_t)-1;
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

int afmp_prog_gettimeofday(struct timeval *tv, void *tz)
{
    struct timespec ts;
    if (afmp_clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    if (tv) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    }
    return 0;
}

clock_t afmp_prog_clock(void)
{
    struct mp_proc *p = mp_proc_current();
    if (!p)
        return (clock_t)-1;
    mp_time_t ran = mp_proc_now() - mp_proc_start_time(p);
    return (clock_t)(ran / (1000000000u / CLOCKS_PER_SEC));
}

pid_t afmp_prog_getpid(void)
{
    struct mp_proc *p = mp_proc_current();
    return p ? (pid_t)mp_proc_pid(p) : -1;
}

/* ---------------------------------------------------------------------- */
/* Name lookup without afmp's resolver.                                      */

int afmp_prog_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    struct addrinfo h = {0};
    if (hints)
        h = *hints;
    /* What a stack without AF_MULTIPATH answers: the program may retry
     * with AF_UNSPEC. */
    if (h.ai_family == AF_MULTIPATH)
        return EAI_FAMILY;
    /* Never the real DNS, and never the real host's interfaces. */
    h.ai_flags |= AI_NUMERICHOST;
    h.ai_flags &= ~AI_ADDRCONFIG;
    return getaddrinfo(node, service, &h, res);
}

struct hostent *afmp_prog_gethostbyname2(struct afmp_prog_state *st, const char *name, int af)
{
    size_t alen = af == AF_INET ? 4 : af == AF_INET6 ? 16 : 0;
    if (!alen || !name || strlen(name) >= sizeof(st->he_name) ||
        inet_pton(af, name, st->he_addr) != 1) {
        *afmp_prog_h_errno_location(st) = HOST_NOT_FOUND;
        return NULL;
    }
    strcpy(st->he_name, name);
    st->he_aliases[0] = NULL;
    st->he_addrs[0] = (char *)st->he_addr;
    st->he_addrs[1] = NULL;
    st->he.h_name = st->he_name;
    st->he.h_aliases = st->he_aliases;
    st->he.h_addrtype = af;
    st->he.h_length = (int)alen;
    st->he.h_addr_list = st->he_addrs;
    return &st->he;
}

int *afmp_prog_h_errno_location(struct afmp_prog_state *st)
{
#ifdef HAVE_RESOLVER
    int *p = afmp_h_errno_location();
    if (p)
        return p;
#endif
    return &st->herr;
}
