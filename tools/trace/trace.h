/*
 * afmp-trace: the analyser's internal interface.
 *
 * pcapin.c reads captures (pcap and pcapng through libpcap), merges them by
 * timestamp, drops the second sighting of a packet seen in two files and
 * decodes TCP segments; conn.c rebuilds TCP and MPTCP v1 connections from
 * them (the options are parsed by the simulator's own model/mptcp/options.c
 * and the tokens and IDSNs derived by model/mptcp/crypto.c); out.c writes
 * the report, the CSV files and the JSON document described in
 * tools/trace/OUTPUTS.md; compare.c puts two runs side by side.
 */
#ifndef AT_TRACE_H
#define AT_TRACE_H

#include <glib.h>
#include <stdio.h>

#include "model/mptcp/options.h"
#include "model/types.h"

/* ---- input ------------------------------------------------------------ */

/* One TCP segment as captured. */
struct at_seg {
    int64_t t;     /* ns since the origin */
    unsigned file; /* index in the input list */
    struct mp_ip src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags; /* MP_TCP_* */
    uint16_t win;
    uint32_t len; /* payload bytes, from the IP header (not what was captured) */
    uint8_t opts[40];
    uint8_t opts_len;
    bool opts_bad;             /* the TCP options area did not parse */
    struct mp_mptcp_opts mp;   /* kind-30 options */
};

struct at_input;

/* Opens every file; a folder stands for its *.pcapng files (sorted). Returns
 * NULL with |err| set (the file and libpcap's message) on failure. */
struct at_input *at_input_open(char **paths, GError **err);
/* The files actually read, in order. */
const GPtrArray *at_input_files(const struct at_input *in);
/* Next TCP segment in time order (ties: the earlier file), duplicates and
 * non-TCP packets skipped. Returns 1 with |seg| filled, 0 at the end, -1 with
 * |err| set on a read error. */
int at_input_next(struct at_input *in, struct at_seg *seg, GError **err);
/* What was read: packets, TCP segments, duplicates dropped, packets not
 * decoded as TCP over IP (ARP, UDP, ICMP, truncated, fragments, ...). */
void at_input_counts(const struct at_input *in, uint64_t *packets, uint64_t *segments,
                     uint64_t *duplicates, uint64_t *ignored);
/* The time origin in ns (see OUTPUTS.md): 0, or the first timestamp. */
int64_t at_input_origin(const struct at_input *in);
void at_input_close(struct at_input *in);

/* ---- connections ------------------------------------------------------ */

enum at_class { AT_NEW, AT_RETRANS, AT_REINJECT, AT_CTL };
enum at_end { AT_OPEN, AT_FIN, AT_RST };

/* One direction of a subflow, in the subflow's own orientation. */
struct at_sfdir {
    bool have_isn;
    uint32_t isn;
    uint64_t snd_max; /* relative, unwrapped: end of the highest byte sent */
    bool any_data;
    uint64_t payload, retrans, reinject, segments;
    struct at_map {
        uint64_t dsn; /* absolute */
        uint64_t rel; /* relative subflow sequence of its first byte */
        uint32_t len;
    } maps[64];
    unsigned nmaps, head;
    bool fin;
};

struct at_conn;

struct at_sf {
    unsigned id;
    struct at_conn *conn;
    bool join;
    bool flip; /* the subflow's client is the connection's server */
    struct mp_ip cip, sip; /* subflow client and server */
    uint16_t cport, sport;
    int client_id, server_id; /* address IDs; -1 unknown */
    bool backup;
    int64_t t_syn, t_est, t_end;
    enum at_end end;
    int rst_reason;
    bool synack, established, fin_c, fin_s;
    bool mpc_syn; /* the initial SYN carried MP_CAPABLE */
    struct at_sfdir d[2]; /* [0]: sent by the subflow's client */
};

/* One direction of a connection (connection orientation: 0 is the client). */
struct at_cdir {
    uint64_t bytes;    /* unique data bytes: relative end of the highest sequence sent */
    uint64_t acked;    /* relative data (or TCP) ACK the other side sent, at most bytes */
    uint64_t reinject, retrans;
    int64_t t_first, t_last_new; /* first payload, last new payload */
    int64_t t_ack_last;          /* the last advance of the ACK over data */
    int64_t t_acked;             /* when every byte was acknowledged; -1 if never */
    bool any;
    int64_t progress_t; /* start of the current wait for the ACK to advance */
    int64_t max_stall;
    uint64_t mappings;
    bool data_fin;
    bool have_ack;
    uint64_t ack_max; /* highest relative ACK seen */
    GArray *sent;     /* data-level ranges sent, struct at_range, sorted, disjoint */
};

struct at_range {
    uint64_t s, e; /* [s, e) */
};

struct at_event {
    int64_t t;
    int sf;
    int dir; /* connection orientation, -1 none */
    char *event;
    char *detail;
};

struct at_row {
    int64_t t;
    uint16_t sf;
    uint8_t dir;
    uint8_t klass;
    uint32_t len;
    uint64_t dsn;      /* relative; UINT64_MAX when none */
    uint64_t data_ack; /* relative; UINT64_MAX when none */
};

struct at_conn {
    unsigned id;
    bool mptcp;     /* MP_CAPABLE negotiated */
    char *fallback; /* why MPTCP was not, or no longer, used; NULL */
    bool unknown_join; /* a join whose token matched no connection */
    bool has_key[2];
    uint64_t key[2];
    uint32_t token[2];
    uint64_t idsn[2];
    bool have_idsn[2]; /* from the key, or guessed from the first DSN seen */
    bool csum;
    struct mp_ip ip[2];
    uint16_t port[2];
    int64_t t_start, t_end;
    GPtrArray *sfs; /* struct at_sf * */
    struct at_cdir d[2];
    GArray *events; /* struct at_event */
    GArray *rows;   /* struct at_row, payload segments, when series are kept */
    /* DSN expansion of 32-bit values */
    uint64_t last_dsn[2];
    bool have_dsn[2];
};

struct at_opts {
    int64_t t_end; /* when the observation ended (a run's end), if later than the last packet; 0 */
    bool keep_rows; /* keep the payload segments per connection (JSON series) */
    FILE *segments; /* segments.csv or NULL */
    FILE *mappings; /* mappings.csv or NULL */
};

struct at_analysis {
    GPtrArray *conns; /* struct at_conn *, by id */
    GPtrArray *files;
    int64_t origin;
    int64_t t_end; /* the last packet, or the run's end when later */
    uint64_t packets, segments, duplicates, ignored;
};

/* Reads every segment of |in| into connections. */
struct at_analysis *at_analyse(struct at_input *in, const struct at_opts *o, GError **err);
void at_analysis_free(struct at_analysis *a);
/* The connection with the most data bytes (both directions); NULL if none. */
struct at_conn *at_main_conn(const struct at_analysis *a);

/* ---- outputs ---------------------------------------------------------- */

void at_print_report(FILE *f, const struct at_analysis *a);
int at_write_csv_headers(FILE *segments, FILE *mappings);
/* events.csv, subflows.csv, connections.csv in |dir|. */
int at_write_csv_tables(const struct at_analysis *a, const char *dir, GError **err);
int at_write_json(const struct at_analysis *a, const char *path, GError **err);

/* Shared helpers. */
const char *at_ip_str(const struct mp_ip *ip, char *buf, size_t len);
void at_fmt_time(char *buf, size_t len, int64_t ns);
const char *at_class_name(enum at_class c);
const char *at_end_name(enum at_end e);

/* Goodput of one direction in bit/s: acknowledged bytes over the time from
 * the first payload to the last advance of the ACK. */
double at_goodput(const struct at_cdir *d);

/* The trace.jsonl of the first of |inputs| that is a run folder with one,
 * or NULL. */
char *at_run_trace(char **inputs);

/* Analyses |inputs| and writes the CSVs into |csv_dir| (and JSON if
 * |json_path|): what `report` does. Returns the analysis. */
struct at_analysis *at_run_analysis(char **inputs, const char *csv_dir, const char *json_path,
                                    GError **err);

#endif
