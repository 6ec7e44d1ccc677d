/* Shared by the benchmarks: runs in a forked child (so that peak memory is
 * the run's own), medians, and the size of a capture folder. */
#ifndef AFMP_BENCH_HARNESS_H
#define AFMP_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs fn(arg, out) in a child process and copies its |out_len| bytes of
 * result back into |out|. False when the child failed. */
bool bench_run_forked(void (*fn)(void *arg, void *out), void *arg, void *out, size_t out_len);

/* The median of |n| values (sorts |v|). */
double bench_median(double *v, int n);

/* Bytes of the files in |dir|; then removes them and the folder. */
uint64_t bench_dir_bytes_remove(const char *dir);

#endif
