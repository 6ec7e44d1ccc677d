/*
 * afmp-trace plot and compare: gnuplot plots of the analyser's CSV files
 * (tools/trace/OUTPUTS.md) and, optionally, of a run's trace.jsonl.
 *
 * Every plot is made twice, PNG (pngcairo, or png without cairo) and SVG,
 * by one gnuplot script written into the output folder with the data files
 * it reads, so that it can be edited and run again there with
 * `gnuplot plot.gp`. The same inputs give the same files.
 *
 * What is plotted, for the connection chosen and the direction that carries
 * most of its data:
 *   dsn       every payload segment at its relative DSN (plain TCP, or an
 *             MPTCP connection without any mapping seen: its relative
 *             subflow sequence), one colour per subflow; retransmissions
 *             and reinjections with their own marks. Above 20000 points,
 *             every k-th new or retransmitted segment is kept, every
 *             reinjection.
 *   goodput   per subflow, the advance of its cumulative ACK; in total, the
 *             advance of the data ACK (plain TCP: of the ACK); in Mbit/s
 *             over bins of bin_s seconds. Without any ACK in the capture,
 *             the new bytes sent instead (said in the title).
 *   cwnd,     per subflow, from the trace's "tcp.ack" records of the
 *   srtt      sending end, matched to the subflows through the 4-tuple of
 *             its "tcp.state" records.
 * Events (the trace's "scenario.event" records and the analyser's
 * remove-addr, mp-fail, fastclose, fallback and infinite-mapping rows of
 * the connection) are vertical lines with their text, on every plot: dashed
 * for the scenario's, dotted for the connection's.
 *
 * The environment variable AFMP_GNUPLOT names another gnuplot program.
 */
#ifndef AT_PLOT_H
#define AT_PLOT_H

#include <glib.h>

#define AT_PLOT_ERROR (at_plot_error_quark())
GQuark at_plot_error_quark(void);

enum at_plot_error {
    AT_PLOT_ERROR_INPUT,   /* a CSV file or the trace is missing or malformed */
    AT_PLOT_ERROR_NOCONN,  /* no such connection, or no data to plot */
    AT_PLOT_ERROR_OUTPUT,  /* the output folder or a file in it cannot be written */
    AT_PLOT_ERROR_GNUPLOT, /* gnuplot is missing or failed (the script and data stay) */
};

struct at_plot_input {
    const char *label;       /* "A", "fullmesh", ... used in titles and legends */
    const char *csv_dir;     /* folder with the analyser's CSV files */
    const char *trace_jsonl; /* a run's trace.jsonl, or NULL */
};

/* Writes into out_dir (created if needed): dsn.{png,svg} (data sequence over time of the
 * connection with the most data: relative DSN of each new/reinjected/retransmitted payload
 * segment, one colour per subflow, reinjections marked distinctly; for plain TCP the relative
 * sequence), goodput.{png,svg} (goodput per subflow and total, in Mbit/s, over bins of
 * bin_s seconds, default 0.1), and when trace_jsonl is given cwnd.{png,svg} and srtt.{png,svg}
 * per subflow; scenario events (trace.jsonl "scenario.event" records: vertical lines labelled
 * with their "what"; and the analyser's events.csv rows remove-addr, mp-fail, fastclose,
 * fallback, infinite-mapping) marked on the time axis. Also writes plot.gp (the script) and
 * the .dat files it reads, so a user can edit and re-run `gnuplot plot.gp`. conn = 0 picks
 * the connection with the most bytes; otherwise that connection number.
 *
 * bin_s <= 0 means 0.1. The data files are dsn.dat (an index block per subflow with points:
 * t, sequence, len, class 0 new / 1 retransmission / 2 reinjection), goodput.dat (a row per
 * bin: its middle, Mbit/s of every subflow, total) and, with a trace, tcp.dat (an index block
 * per subflow with records: t, cwnd, srtt in ms). Returns 0, or -1 with |err| set. */
int at_plot_run(const struct at_plot_input *in, unsigned conn, double bin_s, const char *out_dir,
                GError **err);

/* Overlay of two runs: compare-dsn.{png,svg} (both runs' data sequence progress over time on
 * one plot, one colour per run) and compare-goodput.{png,svg} (total goodput of each run over
 * time), events of both marked; plus compare.gp. Each run's connection is the one with the
 * most bytes. Data: compare-dsn.dat (index 0 run a, 1 run b: t, highest sequence sent so far,
 * 1 on a reinjection), compare-goodput.dat (a row per bin: middle, total a, total b).
 * Returns 0, or -1 with |err| set. */
int at_plot_compare(const struct at_plot_input *a, const struct at_plot_input *b, double bin_s,
                    const char *out_dir, GError **err);

#endif
