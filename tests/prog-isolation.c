/*
 * A plain C program for tests/test-program.c: globals, static buffers,
 * getopt, strtok, rand, atexit and the ways to end, so that two instances
 * running at once show whether anything is shared. Built with
 * -include afmp/compat.h (tests/meson.build); nothing in it knows afmp
 * except the results it reports when built for the simulator.
 *
 *   prog-isolation [-n N] [-d MS] [--tag T] [-e STATUS | -E STATUS | -A | -F]
 *                  [-r STATUS] [-l] [ARG...]
 *
 * -n  times to bump the global counter, sleeping -d ms (default 10) before
 *     each; -e exit(), -E _exit(), -A abort(), -F a failed assert() after
 *     that; -r the value main returns; -l a log line longer than stdio's
 *     line buffer. Remaining arguments are counted.
 */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int counter;
static char tag[32] = "none";
static char words[128];

static void bye(void)
{
    printf("bye %s counter=%d\n", tag, counter);
}

static void bye_first(void)
{
    printf("atexit order: second registered runs first (%s)\n", tag);
}

static void report(const char *key, long value)
{
#ifdef AFMP_COMPAT_H
    afmp_result(key, value);
#else
    printf("%s=%ld\n", key, value);
#endif
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"tag", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int n = 3, delay_ms = 10, exit_with = -1, _exit_with = -1, ret = 0;
    int do_abort = 0, do_assert = 0, long_line = 0, c;

    while ((c = getopt_long(argc, argv, "n:d:t:e:E:AFr:l", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            n = atoi(optarg);
            break;
        case 'd':
            delay_ms = atoi(optarg);
            break;
        case 't':
            snprintf(tag, sizeof(tag), "%s", optarg);
            break;
        case 'e':
            exit_with = atoi(optarg);
            break;
        case 'E':
            _exit_with = atoi(optarg);
            break;
        case 'A':
            do_abort = 1;
            break;
        case 'F':
            do_assert = 1;
            break;
        case 'r':
            ret = atoi(optarg);
            break;
        case 'l':
            long_line = 1;
            break;
        default:
            return 2;
        }
    }
    report("optind", optind);
    report("args", argc - optind);
    report("rand", rand() % 1000000);
    atexit(bye);
    atexit(bye_first);

    /* A partial line across a sleep: the other instance prints meanwhile. */
    printf("hello ");
    usleep(1000);
    printf("from %s\n", tag);

    /* strtok keeps its place across a sleep. */
    snprintf(words, sizeof(words), "%s-a %s-b %s-c", tag, tag, tag);
    int ntok = 0;
    for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
        if (strncmp(w, tag, strlen(tag)) == 0)
            ntok++;
        usleep(1000);
    }
    report("tokens", ntok);

    for (int i = 0; i < n; i++) {
        usleep((useconds_t)delay_ms * 1000u);
        counter++;
        report("counter", counter);
    }
    report("pid", getpid());
    report("clock", (long)clock());
    fprintf(stderr, "%s done after %d\n", tag, counter);
    if (long_line) {
        char big[3000];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        printf("%s\n", big);
    }
    printf("unfinished %s", tag);
    if (exit_with >= 0)
        exit(exit_with);
    if (_exit_with >= 0)
        _exit(_exit_with);
    if (do_abort)
        abort();
    if (do_assert)
        assert(counter == -1);
    return ret;
}
