/*
 * afmp-trace compare: the metrics of two runs side by side.
 */
#ifndef AT_COMPARE_H
#define AT_COMPARE_H

#include <glib.h>
#include <stdio.h>

/* Analyses |a| and |b| (run folders or capture files), prints the table on
 * |f|, and with |out| writes compare.csv, compare.json, each run's CSV
 * tables (out/a, out/b) and the overlay plots there. Returns 0, 2 (bad
 * input) or 1 (an output failed) with |err| set. */
int at_compare(const char *a, const char *b, const char *label_a, const char *label_b,
               const char *out, double bin_s, FILE *f, GError **err);

#endif
