/*
 * afmp: plain C programs run as simulated processes.
 *
 * A user program is an ordinary C source file built as a shared object with
 * afmp/compat.h forced in front of it:
 *
 *   cc -I AFMP_SRC -include afmp/compat.h -shared -fPIC -o prog.so prog.c
 *
 * compat.h renames main() to afmp_main() and the standard calls (socket,
 * sendto, poll, sleep, printf, exit, getopt, ...) to the afmp ones, so the
 * source needs no change. A scenario names the object ([app] plugin = ...),
 * and every [app] that names it runs as its own simulated process.
 *
 * This header has two halves: the loader (mp_program_open), used by whoever
 * spawns processes, and the run-time support that compat.h calls from inside
 * a program (afmp_prog_*). It is plain C so that programs can be built with
 * nothing but a C compiler.
 *
 * --- One copy of the program per process ------------------------------------
 *
 * Two processes running one program must not share its globals (a counter,
 * a static buffer, getopt's position). dlopen() loads an object once per
 * process image: opening the same file again only bumps a reference count.
 * So mp_program_open copies the object to a private file in the temporary
 * folder (g_get_tmp_dir(): $TMPDIR or /tmp) and opens the copy: glibc
 * identifies loaded objects by name and by device and inode, and the copy
 * differs in all three, so it gets its own mappings, its own .data and .bss
 * and its own relocations. The copy is unlinked as soon as it is open (the
 * mapping keeps it alive), so nothing is left behind even when the
 * simulator is killed later; only a crash inside the few system calls
 * between creating and opening it can leave one.
 *
 * Why not the alternatives:
 *  - dlmopen(LM_ID_NEWLM): glibc has 16 link-map namespaces, too few for a
 *    sweep with hundreds of instances, and each namespace loads its own libc
 *    (its own malloc arena, its own stdio), which the simulator cannot see.
 *  - memfd_create + dlopen("/proc/self/fd/N"): no file at all, but GModule
 *    (and glibc) match already loaded objects by name first, and fd numbers
 *    are reused as soon as the fd is closed, so the fd would have to stay
 *    open as long as the object: one fd per instance.
 * The copy's name holds its inode number: while an earlier copy is mapped
 * its inode cannot be reused, so no two loaded copies ever share a name and
 * GModule's cache by name never hands back another instance.
 * The temporary folder must allow executable mappings (a /tmp mounted
 * noexec does not: set TMPDIR elsewhere).
 *
 * The object is opened with RTLD_NOW | RTLD_LOCAL: every symbol is bound at
 * load, so a program calling a function the simulator lacks fails to load
 * with a message naming it, instead of killing the simulator when the call
 * is first made; and two copies never see each other's symbols. The afmp_*
 * functions a program calls are found in the simulator's executable, which
 * exports its symbols (gmodule-2.0's pkg-config flags link it with
 * --export-dynamic). mp_program_anchors below makes sure the linker keeps
 * every function compat.h maps to in the executable, even those nothing
 * else in the simulator calls.
 *
 * Cost per instance ("/program/load/cost" in tests/test-program.c prints
 * it; 2-core machine, a 38 KB object built with -g): 0.15 ms to open on a
 * tmpfs, 0.25 to 0.35 ms on ext4 (read, copy, rename, dlopen with RTLD_NOW,
 * unlink), 0.03 ms to close: a sweep of 1000 instances spends well under a
 * second loading. Each loaded copy keeps a few pages mapped until it is
 * closed.
 *
 * --- libc's own state ---------------------------------------------------------
 *
 * Copying the object separates the program's globals, not libc's, which
 * every instance shares with the simulator. compat.h therefore moves the
 * libc state that programs touch into the program's own object, so that it
 * is per instance too:
 *  - getopt's optind, optarg, opterr, optopt and its position inside argv;
 *  - strtok's saved pointer (strtok_r on a per-instance pointer);
 *  - rand()/srand() and random()/srandom() (rand_r on a per-instance seed,
 *    1 at start as in C; the sequence is rand_r's, not glibc's rand());
 *  - atexit() handlers (run by exit() and by returning from main, not by the
 *    simulator's exit);
 *  - stdout and stderr: printf and friends fill a per-instance line buffer
 *    that goes to the process's log (afmp_log, afmp_stack_log()) a line at a
 *    time; what is left without a newline is written when the process
 *    exits or returns from main (a killed process loses it, as with
 *    SIGKILL);
 *  - errno needs nothing: the process layer saves and restores it around
 *    every switch (sim/proc/proc.h).
 * All of it lives in one struct afmp_prog_state that compat.h defines (with
 * hidden visibility) in the program; the run-time functions below get a
 * pointer to it with every call. So no state is kept on the simulator's side,
 * nothing is global, and nothing needs cleaning up when a process ends: it
 * goes away with the copy.
 *
 * --- Ending a process -----------------------------------------------------------
 *
 *  - return from main and exit(n): the atexit handlers run (last registered
 *    first), the partial output lines are written, and the process ends
 *    with status n & 0xff (what wait() reports on Linux); other processes go
 *    on.
 *  - _exit(n), _Exit(n): the same without the handlers and the output flush.
 *  - abort() and a failed assert(): "Aborted" (and the assertion's message)
 *    in the log, and the process ends with status AFMP_PROG_ABORT_STATUS
 *    (134, 128 + SIGABRT, as a shell reports it); the simulator goes on.
 *    abort() called by libc or another library the program uses is libc's
 *    and does end the simulator.
 */
#ifndef AFMP_PROGRAM_H
#define AFMP_PROGRAM_H

#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of struct afmp_prog_state and of the calls below. A program
 * built with another compat.h is refused at load. */
#define AFMP_PROG_ABI 1

/* A longer output line is written in pieces of this many bytes. */
#define AFMP_PROG_LINE_MAX 1024
/* atexit() registrations per process (POSIX asks for at least 32). */
#define AFMP_PROG_ATEXIT_MAX 32
/* Exit status of a process that called abort() or failed an assert(). */
#define AFMP_PROG_ABORT_STATUS 134

typedef int (*afmp_prog_main_fn)(int argc, char **argv);

/* One output stream's partial line. */
struct afmp_prog_line {
    size_t len;
    char buf[AFMP_PROG_LINE_MAX];
};

/* getopt's position inside argv (GNU getopt's permutation state). */
struct afmp_prog_getopt {
    const char *next; /* rest of the current cluster of short options */
    int first, last;  /* non-options skipped so far: argv[first..last) */
    int ordering;     /* permute, stop at the first non-option, return them */
    int ready;        /* 0: (re)initialise on the next call */
    int seen_optind;  /* optind after the last call, to notice a reset */
};

/*
 * The per-instance state of a program. compat.h defines one in each
 * program object (hidden, so every loaded copy has its own); the program
 * never touches it, and the simulator reaches it only through the calls
 * below and the loader. Fields are private to program.c.
 */
struct afmp_prog_state {
    unsigned abi;  /* AFMP_PROG_ABI of the compat.h it was built with */
    unsigned size; /* sizeof(struct afmp_prog_state) there */
    afmp_prog_main_fn main;
    const char *argv0; /* for messages, as program_invocation_name */
    /* getopt's public variables live in the program (compat.h maps the
     * names optind, ... onto them); these point at them. */
    int *optind, *opterr, *optopt;
    char **optarg;
    struct afmp_prog_getopt getopt;
    char *strtok_save;
    unsigned rand_seed;
    void (*atexit_fn[AFMP_PROG_ATEXIT_MAX])(void);
    unsigned n_atexit;
    struct afmp_prog_line out[2]; /* stdout, stderr */
    /* Storage for the numeric gethostbyname2() used while afmp has no
     * resolver. */
    int herr; /* h_errno when afmp's resolver keeps none */
    struct hostent he;
    char he_name[64];
    char *he_aliases[1];
    char *he_addrs[2];
    unsigned char he_addr[16];
};

/* ---- the loader ---- */

struct _GModule;
struct _GError;

/*
 * mp_program_open loads a private copy of the program object |path| (see
 * "One copy of the program per process") and returns the function a process
 * must run, in |*entry_out|: for a program built with compat.h, a small
 * entry of the program's own that runs afmp_main and then the atexit
 * handlers and the output flush; for any other object exporting afmp_main
 * (written against afmp/afmp.h directly), afmp_main itself. Call it once for
 * each process to spawn; every call gives a fresh copy with fresh globals.
 * The copy stays loaded until the caller closes the returned module with
 * g_module_close(), which it must do only once no process runs its code
 * (after the process table is freed).
 *
 * Returns the module, or NULL with |err| set in the MP_APPS_ERROR domain
 * (sim/apps/apps.h), the message naming |path|:
 *   MP_APPS_ERROR_OPEN    |path| cannot be read, the private copy cannot be
 *                         written in the temporary folder, the object does
 *                         not load (not a shared object, a symbol it needs
 *                         is missing: dlerror()'s text is quoted), or it was
 *                         built with a compat.h of another AFMP_PROG_ABI
 *   MP_APPS_ERROR_SYMBOL  it exports no afmp_main
 */
struct _GModule *mp_program_open(const char *path, afmp_prog_main_fn *entry_out,
                                 struct _GError **err);

/* Every function compat.h maps a standard name to. Referencing them here
 * makes the static core library bring their objects into any executable
 * that can load programs (one that calls mp_program_open), so that a
 * program finds them there. Not for calling. */
typedef void (*mp_program_anchor_fn)(void);
extern const mp_program_anchor_fn mp_program_anchors[];

/* ---- run-time support, called by the code compat.h puts in a program ----
 *
 * Every call takes the program's state |st|. They are meant to be called
 * only through compat.h's names (printf, exit, getopt, ...), whose standard
 * contract they follow; the differences are listed in compat.h. Process
 * context: outside a simulated process the output calls drop their text
 * and the exit calls abort the simulator (as mp_proc_exit does).
 */

/* Runs st->main(argc, argv), then ends as exit() with its return value. */
int afmp_prog_run(struct afmp_prog_state *st, int argc, char **argv);
_Noreturn void afmp_prog_exit(struct afmp_prog_state *st, int status);
_Noreturn void afmp_prog__exit(struct afmp_prog_state *st, int status);
_Noreturn void afmp_prog_abort(struct afmp_prog_state *st);
_Noreturn void afmp_prog_assert_fail(struct afmp_prog_state *st, const char *expr, const char *file,
                                     unsigned line, const char *func);
/* Returns 0, or -1 (ENOMEM) beyond AFMP_PROG_ATEXIT_MAX registrations. */
int afmp_prog_atexit(struct afmp_prog_state *st, void (*fn)(void));

/* stdio: |f| stdout or stderr goes to the process's log a line at a time;
 * any other FILE is passed to libc. fflush() of stdout or stderr writes
 * nothing (the log is made of whole lines). */
int afmp_prog_vfprintf(struct afmp_prog_state *st, FILE *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int afmp_prog_fputs(struct afmp_prog_state *st, const char *s, FILE *f);
int afmp_prog_puts(struct afmp_prog_state *st, const char *s);
int afmp_prog_fputc(struct afmp_prog_state *st, int c, FILE *f);
size_t afmp_prog_fwrite(struct afmp_prog_state *st, const void *p, size_t size, size_t n, FILE *f);
int afmp_prog_fflush(struct afmp_prog_state *st, FILE *f);
void afmp_prog_perror(struct afmp_prog_state *st, const char *s);

/*
 * GNU getopt, getopt_long and getopt_long_only on the program's own state:
 * argv is permuted so that non-options come last (unless |optstring| starts
 * with '+' or POSIXLY_CORRECT is set: stop at the first non-option; '-':
 * return each non-option as the argument of option 1); a leading ':' makes a
 * missing argument return ':' and silences the messages; "::" marks an
 * optional argument; long options take "--name=value" or "--name value" and
 * may be abbreviated to a unique prefix. Setting optind to 0 (or back to 1
 * after a full parse) starts over. Messages go to the process's log when
 * opterr is set.
 */
int afmp_prog_getopt(struct afmp_prog_state *st, int argc, char *const argv[],
                     const char *optstring, const struct option *longopts, int *longindex,
                     int long_only);

/* fcntl() with its optional third argument (an int for the commands
 * afmp_fcntl knows). */
int afmp_prog_fcntl(int fd, int cmd, ...);
/* time() and gettimeofday() on the simulated clock (CLOCK_REALTIME, the
 * epoch at the start of the simulation). |tz| is ignored. */
time_t afmp_prog_time(time_t *t);
int afmp_prog_gettimeofday(struct timeval *tv, void *tz);
/* clock(): the process's simulated time since it started, in
 * CLOCKS_PER_SEC units (a simulated process spends no processor time of its
 * own; what it measures is how long it has been running). (clock_t)-1
 * outside a process. */
clock_t afmp_prog_clock(void);
/* getpid(): the process's number on its host (1, 2, ... in spawn order),
 * the same in every run, unlike the simulator's own pid. -1 outside a
 * process. */
pid_t afmp_prog_getpid(void);

/* Name lookup while afmp has no resolver (afmp/resolver.h): numeric
 * addresses only, never the real DNS. getaddrinfo answers AF_MULTIPATH
 * hints with EAI_FAMILY (what a stack without AF_MULTIPATH says) and a name
 * with EAI_NONAME; gethostbyname2 answers a numeric address of |af| and
 * sets h_errno to HOST_NOT_FOUND otherwise. */
int afmp_prog_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res);
struct hostent *afmp_prog_gethostbyname2(struct afmp_prog_state *st, const char *name, int af);
/* Where h_errno is: the resolver's per-process one when it keeps one, else
 * the program's own. */
int *afmp_prog_h_errno_location(struct afmp_prog_state *st);

#ifdef __cplusplus
}
#endif

#endif
