/*
 * afmp-trace: plots with gnuplot from the analyser's CSV tables.
 */
#ifndef AT_PLOT_H
#define AT_PLOT_H

#include <glib.h>

struct at_plot_input {
    const char *label;       /* "A", "fullmesh", ... used in titles and legends */
    const char *csv_dir;     /* folder with the analyser's CSV files */
    const char *trace_jsonl; /* a run's trace.jsonl, or NULL */
};

int at_plot_run(const struct at_plot_input *in, unsigned conn, double bin_s, const char *out_dir,
                GError **err);
int at_plot_compare(const struct at_plot_input *a, const struct at_plot_input *b, double bin_s,
                    const char *out_dir, GError **err);

#endif
