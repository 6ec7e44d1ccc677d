/* Shared by the benchmarks (see harness.h). */
#include "harness.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

bool bench_run_forked(void (*fn)(void *arg, void *out), void *arg, void *out, size_t out_len)
{
    int fds[2];
    if (pipe(fds) < 0)
        return false;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        close(fds[0]);
        fn(arg, out);
        ssize_t n = write(fds[1], out, out_len);
        _exit(n == (ssize_t)out_len ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], out, out_len);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return n == (ssize_t)out_len && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint64_t bench_dir_bytes_remove(const char *dir)
{
    uint64_t total = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *f;
    if (d) {
        while ((f = g_dir_read_name(d))) {
            char *p = g_build_filename(dir, f, NULL);
            GStatBuf st;
            if (g_stat(p, &st) == 0)
                total += (uint64_t)st.st_size;
            g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_rmdir(dir);
    return total;
}
