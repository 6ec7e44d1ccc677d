/*
 * afmp: build an unmodified C program for the simulator.
 *
 *   cc -I AFMP_SRC -include afmp/compat.h -shared -fPIC -o prog.so prog.c
 *
 * Forced in front of every source file of a program, this header maps the
 * standard names to the afmp ones (afmp/afmp.h) with object-like macros, so
 * that calls, function pointers and redeclarations all follow:
 *
 *   main                          -> afmp_main (the entry the loader looks for)
 *   socket bind connect listen accept accept4 shutdown sendto recvfrom send
 *   recv getsockname getpeername setsockopt getsockopt poll ppoll close
 *                                 -> afmp_socket, ... (afmp.h)
 *   fcntl                         -> afmp_prog_fcntl (variadic, as fcntl)
 *   sleep usleep nanosleep clock_gettime
 *                                 -> afmp_sleep, ... (simulated time)
 *   time gettimeofday clock getpid
 *                                 -> afmp_prog_time, ... (program.h): simulated
 *                                    time, the process's own pid
 *   gethostname                   -> afmp_gethostname
 *   getaddrinfo freeaddrinfo gai_strerror gethostbyname2 h_errno herror
 *   hstrerror                     -> afmp/resolver.h's afmp_getaddrinfo, ...;
 *                                    without it, numeric-only stand-ins
 *                                    (afmp/program.h) that never ask the real DNS
 *   exit _exit _Exit abort atexit assert()
 *                                 -> end this process only (program.h)
 *   printf vprintf fprintf vfprintf puts fputs putchar fputc putc fwrite
 *   perror fflush                 -> stdout and stderr go to the process's
 *                                    log a line at a time; other FILEs to libc
 *   getopt getopt_long getopt_long_only optind optarg opterr optopt
 *   strtok rand srand random srandom
 *                                 -> per-instance versions (program.h)
 *   errno                         -> unchanged: already per process
 *
 * AF_MULTIPATH and the container helpers (afmp/sockaddr_mp.h) come with it
 * when that header exists.
 *
 * How it works: every system header that declares one of these names is
 * included first, so their declarations keep the real names and later
 * #includes by the program are no-ops; then the macros rename the program's
 * own uses. The program's per-instance state (program.h) and small wrappers
 * that pass it to the simulator are defined here as hidden weak symbols:
 * each source file of the program gets a copy, the linker keeps one, and
 * each loaded copy of the program has its own.
 *
 * What a program must keep in mind:
 *  - It is built with _GNU_SOURCE (defined here unless already), because a
 *    forced header is read before the program's own #define _GNU_SOURCE,
 *    which then would come too late for libc's headers.
 *  - A struct member or variable named like a mapped function (send, time,
 *    close, ...) is renamed too, consistently within the program; it only
 *    matters for a system struct declared before this header with such a
 *    member (none of the headers included here has one).
 *  - read(), write(), select() and signals are not mapped (read and write
 *    would take files away from the program): use recv/send and poll on
 *    sockets. stdin is the simulator's: do not read it.
 *  - afmp_main must be visible: do not build with -fvisibility=hidden, or
 *    mark main with __attribute__((visibility("default"))).
 *  - Other libc state (inet_ntoa's, gmtime's, localtime's buffers, getenv)
 *    stays shared; it is safe as long as it is not kept across a blocking
 *    call, since processes only switch inside afmp calls.
 *  - No threads, and no randomness from the real system (getrandom(),
 *    /dev/urandom): the run would no longer be deterministic. rand() and
 *    srand(time(NULL)) are fine: both are simulated.
 *  - Constructors (__attribute__((constructor))) run when the copy is
 *    loaded, outside any process: afmp calls fail there with EPERM and
 *    whole lines printed there are lost.
 */
#ifndef AFMP_COMPAT_H
#define AFMP_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "afmp.h"
#include "program.h"

#if __has_include("sockaddr_mp.h")
#include "sockaddr_mp.h"
#endif
#if __has_include("resolver.h")
#include "resolver.h"
#define AFMP_COMPAT_RESOLVER 1
#endif

/* Definitions that every source file of the program carries: hidden (each
 * loaded copy binds to its own) and weak (one kept per object). */
#define AFMP_C_LOCAL __attribute__((weak, visibility("hidden")))
/* The two symbols the loader looks up in a program besides afmp_main. */
#define AFMP_C_EXPORT __attribute__((weak, visibility("default")))

/* ---- per-instance state ---- */

extern int afmp_c_optind AFMP_C_LOCAL;
extern int afmp_c_opterr AFMP_C_LOCAL;
extern int afmp_c_optopt AFMP_C_LOCAL;
extern char *afmp_c_optarg AFMP_C_LOCAL;
extern struct afmp_prog_state afmp_c_state AFMP_C_LOCAL;

int afmp_c_optind AFMP_C_LOCAL = 1;
int afmp_c_opterr AFMP_C_LOCAL = 1;
int afmp_c_optopt AFMP_C_LOCAL = '?';
char *afmp_c_optarg AFMP_C_LOCAL;
struct afmp_prog_state afmp_c_state AFMP_C_LOCAL = {
    .abi = AFMP_PROG_ABI,
    .size = sizeof(struct afmp_prog_state),
    .optind = &afmp_c_optind,
    .opterr = &afmp_c_opterr,
    .optopt = &afmp_c_optopt,
    .optarg = &afmp_c_optarg,
    .rand_seed = 1,
};

/* For the loader (mp_program_open): the state of this copy, and the
 * function the process runs. */
struct afmp_prog_state *afmp_prog_state(void) AFMP_C_EXPORT;
int afmp_prog_entry(int argc, char **argv) AFMP_C_EXPORT;

struct afmp_prog_state *afmp_prog_state(void)
{
    return &afmp_c_state;
}

int afmp_prog_entry(int argc, char **argv)
{
    return afmp_prog_run(&afmp_c_state, argc, argv);
}

/* ---- wrappers that pass the state ---- */

_Noreturn void afmp_c_exit(int status) AFMP_C_LOCAL;
_Noreturn void afmp_c__exit(int status) AFMP_C_LOCAL;
_Noreturn void afmp_c_abort(void) AFMP_C_LOCAL;
void afmp_c_assert_fail(const char *expr, const char *file, unsigned int line,
                        const char *func) AFMP_C_LOCAL __attribute__((noreturn));
int afmp_c_atexit(void (*fn)(void)) AFMP_C_LOCAL;
int afmp_c_printf(const char *fmt, ...) AFMP_C_LOCAL __attribute__((format(printf, 1, 2)));
int afmp_c_vprintf(const char *fmt, va_list ap) AFMP_C_LOCAL __attribute__((format(printf, 1, 0)));
int afmp_c_fprintf(FILE *f, const char *fmt, ...) AFMP_C_LOCAL
    __attribute__((format(printf, 2, 3)));
int afmp_c_vfprintf(FILE *f, const char *fmt, va_list ap) AFMP_C_LOCAL
    __attribute__((format(printf, 2, 0)));
int afmp_c_puts(const char *s) AFMP_C_LOCAL;
int afmp_c_fputs(const char *s, FILE *f) AFMP_C_LOCAL;
int afmp_c_putchar(int c) AFMP_C_LOCAL;
int afmp_c_fputc(int c, FILE *f) AFMP_C_LOCAL;
size_t afmp_c_fwrite(const void *p, size_t size, size_t n, FILE *f) AFMP_C_LOCAL;
int afmp_c_fflush(FILE *f) AFMP_C_LOCAL;
void afmp_c_perror(const char *s) AFMP_C_LOCAL;
int afmp_c_getopt(int argc, char *const argv[], const char *optstring) AFMP_C_LOCAL;
int afmp_c_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts, int *longindex) AFMP_C_LOCAL;
int afmp_c_getopt_long_only(int argc, char *const argv[], const char *optstring,
                            const struct option *longopts, int *longindex) AFMP_C_LOCAL;
char *afmp_c_strtok(char *s, const char *delim) AFMP_C_LOCAL;
int afmp_c_rand(void) AFMP_C_LOCAL;
void afmp_c_srand(unsigned int seed) AFMP_C_LOCAL;
long afmp_c_random(void) AFMP_C_LOCAL;
void afmp_c_srandom(unsigned int seed) AFMP_C_LOCAL;
struct hostent *afmp_c_gethostbyname2(const char *name, int af) AFMP_C_LOCAL;
int *afmp_c_h_errno_location(void) AFMP_C_LOCAL;

void afmp_c_exit(int status)
{
    afmp_prog_exit(&afmp_c_state, status);
}

void afmp_c__exit(int status)
{
    afmp_prog__exit(&afmp_c_state, status);
}

void afmp_c_abort(void)
{
    afmp_prog_abort(&afmp_c_state);
}

void afmp_c_assert_fail(const char *expr, const char *file, unsigned int line, const char *func)
{
    afmp_prog_assert_fail(&afmp_c_state, expr, file, line, func);
}

int afmp_c_atexit(void (*fn)(void))
{
    return afmp_prog_atexit(&afmp_c_state, fn);
}

int afmp_c_vfprintf(FILE *f, const char *fmt, va_list ap)
{
    return afmp_prog_vfprintf(&afmp_c_state, f, fmt, ap);
}

int afmp_c_vprintf(const char *fmt, va_list ap)
{
    return afmp_prog_vfprintf(&afmp_c_state, stdout, fmt, ap);
}

int afmp_c_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = afmp_prog_vfprintf(&afmp_c_state, stdout, fmt, ap);
    va_end(ap);
    return n;
}

int afmp_c_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = afmp_prog_vfprintf(&afmp_c_state, f, fmt, ap);
    va_end(ap);
    return n;
}

int afmp_c_puts(const char *s)
{
    return afmp_prog_puts(&afmp_c_state, s);
}

int afmp_c_fputs(const char *s, FILE *f)
{
    return afmp_prog_fputs(&afmp_c_state, s, f);
}

int afmp_c_putchar(int c)
{
    return afmp_prog_fputc(&afmp_c_state, c, stdout);
}

int afmp_c_fputc(int c, FILE *f)
{
    return afmp_prog_fputc(&afmp_c_state, c, f);
}

size_t afmp_c_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    return afmp_prog_fwrite(&afmp_c_state, p, size, n, f);
}

int afmp_c_fflush(FILE *f)
{
    return afmp_prog_fflush(&afmp_c_state, f);
}

void afmp_c_perror(const char *s)
{
    afmp_prog_perror(&afmp_c_state, s);
}

int afmp_c_getopt(int argc, char *const argv[], const char *optstring)
{
    return afmp_prog_getopt(&afmp_c_state, argc, argv, optstring, NULL, NULL, 0);
}

int afmp_c_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts, int *longindex)
{
    return afmp_prog_getopt(&afmp_c_state, argc, argv, optstring, longopts, longindex, 0);
}

int afmp_c_getopt_long_only(int argc, char *const argv[], const char *optstring,
                            const struct option *longopts, int *longindex)
{
    return afmp_prog_getopt(&afmp_c_state, argc, argv, optstring, longopts, longindex, 1);
}

char *afmp_c_strtok(char *s, const char *delim)
{
    return strtok_r(s, delim, &afmp_c_state.strtok_save);
}

int afmp_c_rand(void)
{
    return rand_r(&afmp_c_state.rand_seed);
}

void afmp_c_srand(unsigned int seed)
{
    afmp_c_state.rand_seed = seed;
}

long afmp_c_random(void)
{
    return rand_r(&afmp_c_state.rand_seed);
}

void afmp_c_srandom(unsigned int seed)
{
    afmp_c_state.rand_seed = seed;
}

struct hostent *afmp_c_gethostbyname2(const char *name, int af)
{
    return afmp_prog_gethostbyname2(&afmp_c_state, name, af);
}

int *afmp_c_h_errno_location(void)
{
    return afmp_prog_h_errno_location(&afmp_c_state);
}

/* ---- the names ---- */

#define main afmp_main

#define socket afmp_socket
#define bind afmp_bind
#define connect afmp_connect
#define listen afmp_listen
#define accept afmp_accept
#define accept4 afmp_accept4
#define shutdown afmp_shutdown
#define sendto afmp_sendto
#define recvfrom afmp_recvfrom
#define send afmp_send
#define recv afmp_recv
#define getsockname afmp_getsockname
#define getpeername afmp_getpeername
#define setsockopt afmp_setsockopt
#define getsockopt afmp_getsockopt
#define fcntl afmp_prog_fcntl
#define poll afmp_poll
#define ppoll afmp_ppoll
#define close afmp_close

#define sleep afmp_sleep
#define usleep afmp_usleep
#define nanosleep afmp_nanosleep
#define clock_gettime afmp_clock_gettime
#define gettimeofday afmp_prog_gettimeofday
#define time afmp_prog_time
#define clock afmp_prog_clock
#define getpid afmp_prog_getpid

#define gethostname afmp_gethostname
#ifdef AFMP_COMPAT_RESOLVER
#define gethostbyname2 afmp_gethostbyname2
#define getaddrinfo afmp_getaddrinfo
#define freeaddrinfo afmp_freeaddrinfo
#define gai_strerror afmp_gai_strerror
#define herror afmp_herror
#define hstrerror afmp_hstrerror
#else
/* No afmp resolver yet: numeric addresses only; freeaddrinfo and
 * gai_strerror stay libc's, which match afmp_prog_getaddrinfo's results. */
#define gethostbyname2 afmp_c_gethostbyname2
#define getaddrinfo afmp_prog_getaddrinfo
#endif
#undef h_errno
#ifdef AFMP_COMPAT_RESOLVER
/* The resolver keeps h_errno per process with the host's resolver state. */
#define h_errno (*afmp_h_errno_location())
#else
#define h_errno (*afmp_c_h_errno_location())
#endif

#define exit afmp_c_exit
#define _exit afmp_c__exit
#define _Exit afmp_c__exit
#define abort afmp_c_abort
#define atexit afmp_c_atexit
/* glibc's assert() calls __assert_fail. */
#define __assert_fail afmp_c_assert_fail

#define printf afmp_c_printf
#define vprintf afmp_c_vprintf
#define fprintf afmp_c_fprintf
#define vfprintf afmp_c_vfprintf
#define puts afmp_c_puts
#define fputs afmp_c_fputs
/* Functions in glibc today; older ones made some of these macros. */
#undef putchar
#undef putc
#undef fputc
#define putchar afmp_c_putchar
#define fputc afmp_c_fputc
#define putc afmp_c_fputc
#define fwrite afmp_c_fwrite
#define fflush afmp_c_fflush
#define perror afmp_c_perror

#define getopt afmp_c_getopt
#define getopt_long afmp_c_getopt_long
#define getopt_long_only afmp_c_getopt_long_only
#define optind afmp_c_optind
#define optarg afmp_c_optarg
#define opterr afmp_c_opterr
#define optopt afmp_c_optopt

#define strtok afmp_c_strtok
#define rand afmp_c_rand
#define srand afmp_c_srand
#define random afmp_c_random
#define srandom afmp_c_srandom

#endif
