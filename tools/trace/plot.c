/*
 * afmp-trace plot and compare (see plot.h): reads the analyser's CSV files
 * and a run's trace.jsonl, writes gnuplot data files and a script, runs
 * gnuplot on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tools/trace/plot.h"

G_DEFINE_QUARK(at - plot - error - quark, at_plot_error)

#define MAX_POINTS 20000 /* per plot (dsn) or per subflow (cwnd, srtt) */
#define DEFAULT_BIN_S 0.1

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define N_COLOURS (sizeof colours / sizeof colours[0])

enum { CLS_NEW, CLS_RETRANS, CLS_REINJECT, N_CLS };

/* ---- CSV -------------------------------------------------------------- */

struct csv {
    FILE *f;
    char *path;
    char *line;
    size_t cap;
    unsigned lineno;
    GString *buf;     /* the current row, fields NUL-separated */
    GPtrArray *field; /* const char *, into buf */
    GPtrArray *hdr;   /* char *, the header's names */
};

static void csv_close(struct csv *c)
{
    if (!c)
        return;
    if (c->f)
        fclose(c->f);
    g_free(c->path);
    free(c->line);
    g_string_free(c->buf, TRUE);
    g_ptr_array_unref(c->field);
    if (c->hdr)
        g_ptr_array_unref(c->hdr);
    g_free(c);
}

/* Splits c->line into c->field: RFC 4180 fields, "" inside quotes. */
static void csv_split(struct csv *c)
{
    const char *s = c->line;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    g_string_truncate(c->buf, 0);
    g_ptr_array_set_size(c->field, 0);
    size_t i = 0;
    for (;;) {
        size_t start = c->buf->len;
        if (i < n && s[i] == '"') {
            for (i++; i < n; i++) {
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"')
                        i++;
                    else {
                        i++;
                        break;
                    }
                }
                g_string_append_c(c->buf, s[i]);
            }
        }
        while (i < n && s[i] != ',')
            g_string_append_c(c->buf, s[i++]);
        g_string_append_c(c->buf, '\0');
        g_ptr_array_add(c->field, (gpointer)(gsize)start); /* an offset until the end */
        if (i >= n)
            break;
        i++; /* the comma */
    }
    for (guint k = 0; k < c->field->len; k++)
        c->field->pdata[k] = c->buf->str + (gsize)c->field->pdata[k];
}

/* Reads the next row; 1, or 0 at the end. Blank lines are skipped. */
static int csv_next(struct csv *c)
{
    for (;;) {
        if (getline(&c->line, &c->cap, c->f) < 0)
            return 0;
        c->lineno++;
        if (c->line[0] == '\n' || c->line[0] == '\r' || c->line[0] == '\0')
            continue;
        csv_split(c);
        return 1;
    }
}

static struct csv *csv_open(const char *dir, const char *name, GError **err)
{
    struct csv *c = g_new0(struct csv, 1);
    c->path = g_build_filename(dir, name, NULL);
    c->buf = g_string_new(NULL);
    c->field = g_ptr_array_new();
    c->f = fopen(c->path, "r");
    if (!c->f) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT, "cannot open %s: %s", c->path,
                    g_strerror(errno));
        csv_close(c);
        return NULL;
    }
    if (!csv_next(c)) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT, "%s is empty (no header)", c->path);
        csv_close(c);
        return NULL;
    }
    c->hdr = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < c->field->len; k++)
        g_ptr_array_add(c->hdr, g_strdup(c->field->pdata[k]));
    return c;
}

/* Column indexes of the names in |names| (NULL-terminated) into |col|. */
static bool csv_cols(struct csv *c, const char *const *names, int *col, GError **err)
{
    for (int i = 0; names[i]; i++) {
        col[i] = -1;
        for (guint k = 0; k < c->hdr->len; k++)
            if (strcmp(c->hdr->pdata[k], names[i]) == 0)
                col[i] = (int)k;
        if (col[i] < 0) {
            g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT,
                        "%s: no column \"%s\" in the header", c->path, names[i]);
            return false;
        }
    }
    return true;
}

static const char *csv_get(const struct csv *c, int col)
{
    return (guint)col < c->field->len ? c->field->pdata[col] : "";
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    if (!*s)
        return false;
    errno = 0;
    gint64 x = g_ascii_strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

static bool parse_dbl(const char *s, double *v)
{
    char *end;
    if (!*s)
        return false;
    errno = 0;
    double x = g_ascii_strtod(s, &end);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

static bool bad_field(const struct csv *c, const char *name, const char *v, GError **err)
{
    g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT, "%s:%u: bad %s \"%s\"", c->path, c->lineno,
                name, v);
    return false;
}

/* ---- one run's data ---------------------------------------------------- */

struct sf {
    unsigned id;
    char *client, *server;
    unsigned cport, sport;
    GArray *ack_bins;  /* double: bytes the subflow ACK advanced by, per bin */
    GArray *sent_bins; /* double: new subflow-level bytes sent, per bin */
    int64_t ack_max;
    bool ack_seen;
    GArray *tcp; /* struct tcp_sample, the sending end's */
};

struct pt {
    double t;
    int64_t dsn; /* -1: none */
    int64_t seq;
    uint32_t len;
    uint16_t sfi;
    uint8_t cls;
};

struct tcp_sample {
    double t, cwnd, srtt_ms;
};

struct ev {
    double t;
    char *text;
    int run;    /* compare: 0 or 1 */
    bool proto; /* from events.csv (else a scenario event) */
};

struct run {
    const struct at_plot_input *in;
    double bin_s;
    unsigned conn;
    bool mptcp, c2s, use_dsn;
    char *fallback;
    uint64_t bytes_c2s, bytes_s2c;
    GArray *sfs;        /* struct sf */
    GArray *pts;        /* struct pt, payload segments of the data direction */
    GArray *dack_bins;  /* double: data ACK advance per bin */
    GArray *sent_total; /* double: new data-level bytes per bin */
    int64_t dack_max;
    bool dack_seen;
    double t_end;
    GArray *evs; /* struct ev */
    char *sender_node;
    unsigned n_nodsn; /* MPTCP payload segments without a DSN, left out */
};

static void sf_clear(struct sf *s)
{
    g_free(s->client);
    g_free(s->server);
    g_array_unref(s->ack_bins);
    g_array_unref(s->sent_bins);
    g_array_unref(s->tcp);
}

static void ev_clear(struct ev *e)
{
    g_free(e->text);
}

static void run_init(struct run *r, const struct at_plot_input *in, double bin_s)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->bin_s = bin_s;
    r->sfs = g_array_new(FALSE, TRUE, sizeof(struct sf));
    g_array_set_clear_func(r->sfs, (GDestroyNotify)sf_clear);
    r->pts = g_array_new(FALSE, FALSE, sizeof(struct pt));
    r->dack_bins = g_array_new(FALSE, TRUE, sizeof(double));
    r->sent_total = g_array_new(FALSE, TRUE, sizeof(double));
    r->evs = g_array_new(FALSE, TRUE, sizeof(struct ev));
    g_array_set_clear_func(r->evs, (GDestroyNotify)ev_clear);
}

static void run_clear(struct run *r)
{
    g_array_unref(r->sfs);
    g_array_unref(r->pts);
    g_array_unref(r->dack_bins);
    g_array_unref(r->sent_total);
    g_array_unref(r->evs);
    g_free(r->fallback);
    g_free(r->sender_node);
}

static const char *run_label(const struct run *r)
{
    return r->in->label && *r->in->label ? r->in->label : "run";
}

static guint bin_of(const struct run *r, double t)
{
    return t <= 0 ? 0 : (guint)(t / r->bin_s);
}

static void bin_add(GArray *bins, guint i, double v)
{
    if (i >= bins->len)
        g_array_set_size(bins, i + 1);
    g_array_index(bins, double, i) += v;
}

static double bin_get(const GArray *bins, guint i)
{
    return i < bins->len ? g_array_index(bins, double, i) : 0;
}

static guint run_nbins(const struct run *r)
{
    return bin_of(r, r->t_end) + 1;
}

static struct sf *sf_add(struct run *r, unsigned id)
{
    struct sf s = {.id = id};
    s.ack_bins = g_array_new(FALSE, TRUE, sizeof(double));
    s.sent_bins = g_array_new(FALSE, TRUE, sizeof(double));
    s.tcp = g_array_new(FALSE, FALSE, sizeof(struct tcp_sample));
    /* Kept sorted by id. */
    guint i = 0;
    while (i < r->sfs->len && g_array_index(r->sfs, struct sf, i).id < id)
        i++;
    g_array_insert_val(r->sfs, i, s);
    return &g_array_index(r->sfs, struct sf, i);
}

static int sf_pos(const struct run *r, unsigned id)
{
    for (guint i = 0; i < r->sfs->len; i++)
        if (g_array_index(r->sfs, struct sf, i).id == id)
            return (int)i;
    return -1;
}

static bool load_connections(struct run *r, unsigned want, GError **err)
{
    static const char *const names[] = {"conn",      "mptcp",     "fallback",
                                        "bytes_c2s", "bytes_s2c", NULL};
    int col[5];
    struct csv *c = csv_open(r->in->csv_dir, "connections.csv", err);
    if (!c)
        return false;
    if (!csv_cols(c, names, col, err))
        goto fail;
    bool found = false;
    uint64_t best = 0;
    unsigned n = 0;
    while (csv_next(c)) {
        int64_t id, mp, b1, b2;
        if (!parse_i64(csv_get(c, col[0]), &id) || id <= 0) {
            bad_field(c, "conn", csv_get(c, col[0]), err);
            goto fail;
        }
        if (!parse_i64(csv_get(c, col[1]), &mp))
            mp = 0;
        if (!parse_i64(csv_get(c, col[3]), &b1) || b1 < 0)
            b1 = 0;
        if (!parse_i64(csv_get(c, col[4]), &b2) || b2 < 0)
            b2 = 0;
        n++;
        bool take = want ? (unsigned)id == want
                         : !found || (uint64_t)(b1 + b2) > best; /* ties: the first */
        if (take) {
            found = true;
            best = (uint64_t)(b1 + b2);
            r->conn = (unsigned)id;
            r->mptcp = mp != 0;
            g_free(r->fallback);
            r->fallback = *csv_get(c, col[2]) ? g_strdup(csv_get(c, col[2])) : NULL;
            r->bytes_c2s = (uint64_t)b1;
            r->bytes_s2c = (uint64_t)b2;
        }
    }
    if (!found) {
        if (want)
            g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_NOCONN,
                        "%s: no connection %u (it lists %u)", c->path, want, n);
        else
            g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_NOCONN, "%s: no connection", c->path);
        goto fail;
    }
    r->c2s = r->bytes_c2s >= r->bytes_s2c;
    csv_close(c);
    return true;
fail:
    csv_close(c);
    return false;
}

static bool load_subflows(struct run *r, GError **err)
{
    static const char *const names[] = {"conn", "sf", "client", "cport", "server", "sport", NULL};
    int col[6];
    struct csv *c = csv_open(r->in->csv_dir, "subflows.csv", err);
    if (!c)
        return false;
    if (!csv_cols(c, names, col, err))
        goto fail;
    while (csv_next(c)) {
        int64_t id, sf, cp, sp;
        if (!parse_i64(csv_get(c, col[0]), &id)) {
            bad_field(c, "conn", csv_get(c, col[0]), err);
            goto fail;
        }
        if (id != r->conn)
            continue;
        if (!parse_i64(csv_get(c, col[1]), &sf) || sf < 0 || sf > 65535) {
            bad_field(c, "sf", csv_get(c, col[1]), err);
            goto fail;
        }
        if (!parse_i64(csv_get(c, col[3]), &cp))
            cp = 0;
        if (!parse_i64(csv_get(c, col[5]), &sp))
            sp = 0;
        if (sf_pos(r, (unsigned)sf) >= 0)
            continue;
        struct sf *s = sf_add(r, (unsigned)sf);
        s->client = g_strdup(csv_get(c, col[2]));
        s->server = g_strdup(csv_get(c, col[4]));
        s->cport = (unsigned)cp;
        s->sport = (unsigned)sp;
    }
    csv_close(c);
    return true;
fail:
    csv_close(c);
    return false;
}

static int class_of(const char *s)
{
    if (strcmp(s, "new") == 0)
        return CLS_NEW;
    if (strcmp(s, "retrans") == 0)
        return CLS_RETRANS;
    if (strcmp(s, "reinject") == 0)
        return CLS_REINJECT;
    return -1;
}

/* The advance of a cumulative acknowledgement (relative: from 0), counted
 * in its bin. */
static void ack_advance(GArray *bins, guint bin, int64_t *max, bool *seen, int64_t v)
{
    *seen = true;
    if (v > *max) {
        bin_add(bins, bin, (double)(v - *max));
        *max = v;
    }
}

static bool load_segments(struct run *r, GError **err)
{
    static const char *const names[] = {"t",   "conn", "sf",       "dir",   "len", "seq",
                                        "ack", "dsn",  "data_ack", "class", NULL};
    enum { T, CONN, SF, DIR, LEN, SEQ, ACK, DSN, DACK, CLASS };
    int col[10];
    struct csv *c = csv_open(r->in->csv_dir, "segments.csv", err);
    if (!c)
        return false;
    if (!csv_cols(c, names, col, err))
        goto fail;
    const char *data_dir = r->c2s ? "c2s" : "s2c";
    char conn_s[16];
    g_snprintf(conn_s, sizeof conn_s, "%u", r->conn);
    unsigned with_dsn = 0;
    while (csv_next(c)) {
        if (strcmp(csv_get(c, col[CONN]), conn_s) != 0)
            continue;
        double t;
        int64_t sfid, len, v;
        if (!parse_dbl(csv_get(c, col[T]), &t)) {
            bad_field(c, "t", csv_get(c, col[T]), err);
            goto fail;
        }
        if (!parse_i64(csv_get(c, col[SF]), &sfid) || sfid < 0 || sfid > 65535) {
            bad_field(c, "sf", csv_get(c, col[SF]), err);
            goto fail;
        }
        if (!parse_i64(csv_get(c, col[LEN]), &len) || len < 0) {
            bad_field(c, "len", csv_get(c, col[LEN]), err);
            goto fail;
        }
        if (t > r->t_end)
            r->t_end = t;
        int pos = sf_pos(r, (unsigned)sfid);
        if (pos < 0) { /* not in subflows.csv: addresses unknown */
            sf_add(r, (unsigned)sfid);
            pos = sf_pos(r, (unsigned)sfid);
            /* Earlier points refer to positions: shift those after it. */
            for (guint i = 0; i < r->pts->len; i++) {
                struct pt *p = &g_array_index(r->pts, struct pt, i);
                if (p->sfi >= pos)
                    p->sfi++;
            }
        }
        struct sf *s = &g_array_index(r->sfs, struct sf, pos);
        guint bin = bin_of(r, t);
        if (strcmp(csv_get(c, col[DIR]), data_dir) == 0) {
            int cls = class_of(csv_get(c, col[CLASS]));
            if (len == 0 || cls < 0)
                continue;
            struct pt p = {.t = t, .len = (uint32_t)len, .sfi = (uint16_t)pos, .cls = (uint8_t)cls};
            if (!parse_i64(csv_get(c, col[SEQ]), &p.seq)) {
                bad_field(c, "seq", csv_get(c, col[SEQ]), err);
                goto fail;
            }
            if (!parse_i64(csv_get(c, col[DSN]), &p.dsn) || p.dsn < 0)
                p.dsn = -1;
            else
                with_dsn++;
            g_array_append_val(r->pts, p);
            if (cls != CLS_RETRANS)
                bin_add(s->sent_bins, bin, (double)len);
            if (cls == CLS_NEW)
                bin_add(r->sent_total, bin, (double)len);
        } else {
            if (parse_i64(csv_get(c, col[ACK]), &v))
                ack_advance(s->ack_bins, bin, &s->ack_max, &s->ack_seen, v);
            if (parse_i64(csv_get(c, col[DACK]), &v))
                ack_advance(r->dack_bins, bin, &r->dack_max, &r->dack_seen, v);
        }
    }
    r->use_dsn = r->mptcp && with_dsn > 0;
    if (r->use_dsn)
        r->n_nodsn = r->pts->len - with_dsn;
    if (r->pts->len == 0 || (r->use_dsn && with_dsn == 0)) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_NOCONN,
                    "%s: connection %u has no payload segments (%s)", c->path, r->conn, data_dir);
        goto fail;
    }
    csv_close(c);
    return true;
fail:
    csv_close(c);
    return false;
}

static void ev_add(struct run *r, double t, const char *text, bool proto)
{
    struct ev e = {t, g_strdup(text), 0, proto};
    g_array_append_val(r->evs, e);
}

static bool load_events(struct run *r, GError **err)
{
    static const char *const wanted[] = {"remove-addr", "mp-fail",          "fastclose",
                                         "fallback",    "infinite-mapping", NULL};
    static const char *const names[] = {"t", "conn", "event", "detail", NULL};
    int col[4];
    char *path = g_build_filename(r->in->csv_dir, "events.csv", NULL);
    bool exists = g_file_test(path, G_FILE_TEST_EXISTS);
    g_free(path);
    if (!exists) /* nothing to mark */
        return true;
    struct csv *c = csv_open(r->in->csv_dir, "events.csv", err);
    if (!c)
        return false;
    if (!csv_cols(c, names, col, err))
        goto fail;
    char conn_s[16];
    g_snprintf(conn_s, sizeof conn_s, "%u", r->conn);
    while (csv_next(c)) {
        if (strcmp(csv_get(c, col[1]), conn_s) != 0)
            continue;
        const char *what = csv_get(c, col[2]);
        if (!g_strv_contains(wanted, what))
            continue;
        double t;
        if (!parse_dbl(csv_get(c, col[0]), &t)) {
            bad_field(c, "t", csv_get(c, col[0]), err);
            goto fail;
        }
        const char *detail = csv_get(c, col[3]);
        char *text = *detail ? g_strdup_printf("%s %s", what, detail) : g_strdup(what);
        ev_add(r, t, text, true);
        g_free(text);
    }
    csv_close(c);
    return true;
fail:
    csv_close(c);
    return false;
}

/* ---- trace.jsonl --------------------------------------------------------- */

static bool j_int(JsonObject *o, const char *name, int64_t *v)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return false;
    *v = json_node_get_int(n);
    return true;
}

static bool j_num(JsonObject *o, const char *name, double *v)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return false;
    GType ty = json_node_get_value_type(n);
    if (ty == G_TYPE_INT64)
        *v = (double)json_node_get_int(n);
    else if (ty == G_TYPE_DOUBLE)
        *v = json_node_get_double(n);
    else
        return false;
    return true;
}

static const char *j_str(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

/* The position of the subflow whose sending end has this 4-tuple, or -1. */
static int match_sender(const struct run *r, const char *local, int64_t lport, const char *remote,
                        int64_t rport)
{
    for (guint i = 0; i < r->sfs->len; i++) {
        const struct sf *s = &g_array_index(r->sfs, struct sf, i);
        if (!s->client || !s->server)
            continue;
        const char *snd = r->c2s ? s->client : s->server, *rcv = r->c2s ? s->server : s->client;
        unsigned sp = r->c2s ? s->cport : s->sport, rp = r->c2s ? s->sport : s->cport;
        if (strcmp(local, snd) == 0 && lport == sp && strcmp(remote, rcv) == 0 && rport == rp)
            return (int)i;
    }
    return -1;
}

/* Scenario events always; with |tcp|, the sending end's cwnd and srtt. */
static bool load_trace(struct run *r, bool tcp, GError **err)
{
    const char *path = r->in->trace_jsonl;
    FILE *f = fopen(path, "r");
    if (!f) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT, "cannot open %s: %s", path,
                    g_strerror(errno));
        return false;
    }
    JsonParser *p = json_parser_new();
    GHashTable *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0, matched = 0;
    GPtrArray *needles = NULL; /* "node":"NAME" of the mapped nodes */
    bool unfiltered = false;
    bool ok = true;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        bool want = strstr(line, "scenario.event") || (tcp && strstr(line, "tcp.state"));
        if (!want && tcp && strstr(line, "tcp.ack")) {
            /* Most tcp.ack records are of other nodes: when the mapped
             * nodes' records were seen to spell "node":"NAME" so, a line
             * without any of those is not parsed. */
            want = !needles;
            for (guint i = 0; needles && i < needles->len && !want; i++)
                want = strstr(line, needles->pdata[i]) != NULL;
        }
        if (!want)
            continue;
        GError *e = NULL;
        if (!json_parser_load_from_data(p, line, n, &e)) {
            g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT, "%s:%u: not JSON: %s", path,
                        lineno, e->message);
            g_error_free(e);
            ok = false;
            break;
        }
        JsonNode *root = json_parser_get_root(p);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
            continue;
        JsonObject *o = json_node_get_object(root);
        const char *ev = j_str(o, "ev"), *node = j_str(o, "node");
        double t;
        int64_t conn;
        if (!ev || !j_num(o, "t", &t))
            continue;
        t /= 1e9;
        if (strcmp(ev, "scenario.event") == 0) {
            const char *what = j_str(o, "what");
            ev_add(r, t, what ? what : "event", false);
            continue;
        }
        if (!node || !j_int(o, "conn", &conn))
            continue;
        char *key = g_strdup_printf("%s#%" PRId64, node, conn);
        if (strcmp(ev, "tcp.state") == 0) {
            const char *local = j_str(o, "local"), *remote = j_str(o, "remote");
            int64_t lport, rport;
            if (local && remote && j_int(o, "lport", &lport) && j_int(o, "rport", &rport)) {
                int pos = match_sender(r, local, lport, remote, rport);
                if (pos >= 0) {
                    g_hash_table_replace(map, key, GINT_TO_POINTER(pos + 1));
                    if (!r->sender_node)
                        r->sender_node = g_strdup(node);
                    key = NULL;
                    char *needle = g_strdup_printf("\"node\":\"%s\"", node);
                    if (!unfiltered && !strpbrk(node, "\"\\") && strstr(line, needle)) {
                        if (!needles)
                            needles = g_ptr_array_new_with_free_func(g_free);
                        bool have = false;
                        for (guint i = 0; i < needles->len; i++)
                            have = have || strcmp(needles->pdata[i], needle) == 0;
                        if (!have) {
                            g_ptr_array_add(needles, needle);
                            needle = NULL;
                        }
                    } else { /* spelt otherwise: parse every tcp.ack */
                        if (needles)
                            g_ptr_array_unref(needles);
                        needles = NULL;
                        unfiltered = true;
                    }
                    g_free(needle);
                } else {
                    g_hash_table_remove(map, key); /* the id names another connection now */
                }
            }
        } else if (strcmp(ev, "tcp.ack") == 0) {
            int pos = GPOINTER_TO_INT(g_hash_table_lookup(map, key)) - 1;
            struct tcp_sample s = {t, 0, 0};
            if (pos >= 0 && j_num(o, "cwnd", &s.cwnd) && j_num(o, "srtt", &s.srtt_ms)) {
                s.srtt_ms /= 1e6;
                g_array_append_val(g_array_index(r->sfs, struct sf, pos).tcp, s);
                matched++;
            }
        }
        g_free(key);
    }
    free(line);
    fclose(f);
    g_object_unref(p);
    g_hash_table_unref(map);
    if (needles)
        g_ptr_array_unref(needles);
    if (ok && tcp && matched == 0) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT,
                    "%s: no tcp.ack record of the sending end of connection %u's subflows "
                    "(matched by the 4-tuple of tcp.state records): is it the same run?",
                    path, r->conn);
        ok = false;
    }
    return ok;
}

static int ev_cmp(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->run != y->run)
        return x->run - y->run;
    return strcmp(x->text, y->text);
}

static bool run_load(struct run *r, const struct at_plot_input *in, unsigned conn, double bin_s,
                     bool tcp, int run_no, GError **err)
{
    run_init(r, in, bin_s);
    if (!in || !in->csv_dir) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT, "no CSV folder given");
        return false;
    }
    if (!g_file_test(in->csv_dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_INPUT,
                    "CSV folder %s does not exist or is not a folder", in->csv_dir);
        return false;
    }
    if (!load_connections(r, conn, err) || !load_subflows(r, err) || !load_segments(r, err) ||
        !load_events(r, err))
        return false;
    if (in->trace_jsonl && !load_trace(r, tcp, err))
        return false;
    for (guint i = 0; i < r->evs->len; i++)
        g_array_index(r->evs, struct ev, i).run = run_no;
    g_array_sort(r->evs, ev_cmp);
    return true;
}

/* ---- writing ------------------------------------------------------------- */

static void put_num(GString *s, const char *fmt, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(s, g_ascii_formatd(buf, sizeof buf, fmt, v));
}

/* A gnuplot single-quoted string: no escapes but '' for a quote; control
 * characters become spaces. */
static void put_quoted(GString *s, const char *text)
{
    g_string_append_c(s, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            g_string_append(s, "''");
        else if ((unsigned char)*p < 0x20 || *p == 0x7f)
            g_string_append_c(s, ' ');
        else
            g_string_append_c(s, *p);
    }
    g_string_append_c(s, '\'');
}

/* A comment line's text: control characters become spaces. */
static void put_comment(GString *s, const char *text)
{
    for (const char *p = text; *p; p++)
        g_string_append_c(s, (unsigned char)*p < 0x20 ? ' ' : *p);
}

static bool write_out(const char *dir, const char *name, const GString *s, GError **err)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *e = NULL;
    bool ok = g_file_set_contents(path, s->str, (gssize)s->len, &e);
    if (!ok) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_OUTPUT, "cannot write %s: %s", path,
                    e->message);
        g_error_free(e);
    }
    g_free(path);
    return ok;
}

static bool make_dir(const char *dir, GError **err)
{
    if (!dir || !*dir) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_OUTPUT, "no output folder given");
        return false;
    }
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_OUTPUT, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static char *addr_port(const char *a, unsigned port)
{
    return strchr(a, ':') ? g_strdup_printf("[%s]:%u", a, port) : g_strdup_printf("%s:%u", a, port);
}

/* "sf0 10.0.1.2 → 10.0.3.2", sender first; with the ports when another
 * subflow has the same addresses. */
static char *sf_legend(const struct run *r, guint pos)
{
    const struct sf *s = &g_array_index(r->sfs, struct sf, pos);
    if (!s->client || !s->server)
        return g_strdup_printf("sf%u", s->id);
    bool dup = false;
    for (guint i = 0; i < r->sfs->len; i++) {
        const struct sf *o = &g_array_index(r->sfs, struct sf, i);
        if (i != pos && o->client && o->server && strcmp(o->client, s->client) == 0 &&
            strcmp(o->server, s->server) == 0)
            dup = true;
    }
    const char *snd = r->c2s ? s->client : s->server, *rcv = r->c2s ? s->server : s->client;
    if (!dup)
        return g_strdup_printf("sf%u %s → %s", s->id, snd, rcv);
    char *a = addr_port(snd, r->c2s ? s->cport : s->sport);
    char *b = addr_port(rcv, r->c2s ? s->sport : s->cport);
    char *l = g_strdup_printf("sf%u %s → %s", s->id, a, b);
    g_free(a);
    g_free(b);
    return l;
}

static char *conn_desc(const struct run *r)
{
    return g_strdup_printf("connection %u, %s, %s, %u subflow%s", r->conn,
                           !r->mptcp     ? "TCP"
                           : r->fallback ? "MPTCP fallen back to TCP"
                                         : "MPTCP",
                           r->c2s ? "client to server" : "server to client", r->sfs->len,
                           r->sfs->len == 1 ? "" : "s");
}

/* The script's head: terminals, the loop variable's commands. */
static void gp_head(GString *gp, const char *script, const char *what)
{
    g_string_append(gp, "# ");
    put_comment(gp, what);
    g_string_append_printf(gp,
                           "\n# Written by afmp-trace; edit and run again in this folder with "
                           "`gnuplot %s`.\n",
                           script);
    g_string_append(gp, "set encoding utf8\n"
                        "if (strstrt(' '.GPVAL_TERMINALS.' ', ' pngcairo ') > 0) {\n"
                        "    png_term = \"set terminal pngcairo size 1000,600 font 'Sans,11' "
                        "noenhanced\"\n"
                        "} else {\n"
                        "    png_term = \"set terminal png size 1000,600 noenhanced\"\n"
                        "}\n"
                        "svg_term = \"set terminal svg size 1000,600 font 'Sans,11' noenhanced "
                        "background '#ffffff'\"\n"
                        "set xlabel 'time (s)'\n"
                        "set grid lc rgb '#dddddd'\n"
                        "set key below horizontal\n"
                        "set border 3\n"
                        "set tics nomirror\n"
                        "set datafile commentschars '#'\n"
                        "set style textbox opaque noborder margins 0.5,0.5\n");
}

/* Vertical lines with their text for the events between 0 and xmax: dashed
 * grey for the scenario's, dotted brown for the connection's. With two runs, an event both have
 * (same time, same text) is marked once; others are prefixed with their run's label and drawn in
 * its colour. */
static void gp_events(GString *gp, const struct run *runs, int nrun, double xmax)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(struct ev));
    for (int k = 0; k < nrun; k++)
        for (guint i = 0; i < runs[k].evs->len; i++)
            g_array_append_val(all, g_array_index(runs[k].evs, struct ev, i));
    g_array_sort(all, ev_cmp);
    g_string_append(gp, "\n# events\n");
    unsigned tag = 1;
    for (guint i = 0; i < all->len; i++) {
        const struct ev *e = &g_array_index(all, struct ev, i);
        if (e->t < 0 || e->t > xmax)
            continue;
        bool shared = false;
        if (nrun > 1) {
            bool dup_earlier = false;
            for (guint j = 0; j < all->len; j++) {
                const struct ev *o = &g_array_index(all, struct ev, j);
                if (j != i && o->run != e->run && o->t == e->t && strcmp(o->text, e->text) == 0) {
                    shared = true;
                    dup_earlier = dup_earlier || j < i;
                }
            }
            if (dup_earlier)
                continue;
        }
        const char *colour = nrun > 1 && !shared ? colours[e->run % N_COLOURS]
                             : e->proto          ? "#8c564b"
                                                 : "#555555";
        char *text = nrun > 1 && !shared
                         ? g_strdup_printf("%s: %s", run_label(&runs[e->run]), e->text)
                         : g_strdup(e->text);
        if (g_utf8_strlen(text, -1) > 48) {
            char *cut = g_utf8_substring(text, 0, 47);
            g_free(text);
            text = g_strconcat(cut, "…", NULL);
            g_free(cut);
        }
        g_string_append_printf(gp, "set arrow %u from ", tag);
        put_num(gp, "%.9f", e->t);
        g_string_append(gp, ", graph 0 to ");
        put_num(gp, "%.9f", e->t);
        g_string_append_printf(gp, ", graph 1 nohead back dt %d lw 1.5 lc rgb '%s'\n",
                               e->proto ? 3 : 2, colour);
        g_string_append_printf(gp, "set label %u ", tag);
        put_quoted(gp, text);
        g_string_append(gp, " at ");
        put_num(gp, "%.9f", e->t);
        g_string_append_printf(gp,
                               ", graph 0.98 rotate by 90 right offset char 1,0 front "
                               "boxed font ',9' tc rgb '%s'\n",
                               colour);
        g_free(text);
        tag++;
    }
    g_array_free(all, TRUE);
}

/* Opens a plot for both formats: the loop's head and the output. */
static void gp_begin(GString *gp, const char *name)
{
    g_string_append_printf(gp,
                           "do for [fmt in 'png svg'] {\n"
                           "    eval(fmt eq 'png' ? png_term : svg_term)\n"
                           "    set output '%s.'.fmt\n",
                           name);
}

static void gp_end(GString *gp)
{
    g_string_append(gp, "    set output\n}\n");
}

static void gp_title(GString *gp, const char *title)
{
    g_string_append(gp, "    set title ");
    put_quoted(gp, title);
    g_string_append_c(gp, '\n');
}

/* Plot clauses are separated by ", \\\n". */
static void gp_clause(GString *gp, bool *first)
{
    g_string_append(gp, *first ? "    plot " : ", \\\n         ");
    *first = false;
}

/* Selects points: new and retransmitted ones thinned to MAX_POINTS in all,
 * reinjections all. */
static void decimate(struct run *r, GArray *keep)
{
    guint n = 0, nrei = 0;
    for (guint i = 0; i < r->pts->len; i++) {
        const struct pt *p = &g_array_index(r->pts, struct pt, i);
        if (r->use_dsn && p->dsn < 0)
            continue;
        n++;
        nrei += p->cls == CLS_REINJECT;
    }
    guint k = 1;
    if (n > MAX_POINTS) {
        guint room = nrei < MAX_POINTS / 2 ? MAX_POINTS - nrei : MAX_POINTS / 2;
        k = (n - nrei + room - 1) / room;
    }
    guint c = 0;
    for (guint i = 0; i < r->pts->len; i++) {
        const struct pt *p = &g_array_index(r->pts, struct pt, i);
        if (r->use_dsn && p->dsn < 0)
            continue;
        if (p->cls == CLS_REINJECT || c++ % k == 0)
            g_array_append_val(keep, i);
    }
}

static int64_t pt_y(const struct run *r, const struct pt *p)
{
    return r->use_dsn ? p->dsn : p->seq;
}

static const char *seq_name(const struct run *r)
{
    return r->use_dsn ? "relative DSN" : "relative sequence";
}

static void plot_dsn(struct run *r, GString *gp, GString *dat)
{
    GArray *keep = g_array_new(FALSE, FALSE, sizeof(guint));
    decimate(r, keep);
    guint nsf = r->sfs->len;
    struct cls_count {
        guint n[N_CLS];
    } *count = g_new0(struct cls_count, nsf);
    for (guint i = 0; i < keep->len; i++) {
        const struct pt *p = &g_array_index(r->pts, struct pt, g_array_index(keep, guint, i));
        count[p->sfi].n[p->cls]++;
    }
    g_string_append_printf(dat, "# %s of each payload segment", seq_name(r));
    if (keep->len < r->pts->len)
        g_string_append_printf(dat, " (%u of %u kept: every reinjection, evenly spaced others)",
                               keep->len, r->pts->len);
    g_string_append(dat, "\n# columns: t (s), sequence (bytes), len (bytes), "
                         "class (0 new, 1 retransmission, 2 reinjection)\n");
    int block = 0;
    bool first = true;
    char *desc = conn_desc(r);
    char *title = g_strdup_printf("%s: data sequence (%s)", run_label(r), desc);
    g_free(desc);
    g_string_append(gp, "\n# data sequence: dsn.dat\n");
    gp_begin(gp, "dsn");
    gp_title(gp, title);
    g_string_append_printf(gp, "    set ylabel '%s (MB)'\n    set yrange [0:*]\n", seq_name(r));
    int *block_of = g_new(int, nsf);
    for (guint s = 0; s < nsf; s++) {
        block_of[s] = -1;
        if (!count[s].n[CLS_NEW] && !count[s].n[CLS_RETRANS] && !count[s].n[CLS_REINJECT])
            continue;
        char *legend = sf_legend(r, s);
        if (block)
            g_string_append(dat, "\n\n");
        block_of[s] = block++;
        g_string_append(dat, "# ");
        put_comment(dat, legend);
        g_string_append_c(dat, '\n');
        for (guint i = 0; i < keep->len; i++) {
            const struct pt *p = &g_array_index(r->pts, struct pt, g_array_index(keep, guint, i));
            if (p->sfi != s)
                continue;
            put_num(dat, "%.9f", p->t);
            g_string_append_printf(dat, " %" PRId64 " %u %u\n", pt_y(r, p), p->len, p->cls);
        }
        g_free(legend);
    }
    /* New segments first, a point type per subflow too (print in grey);
     * retransmissions (crosses) and reinjections (open triangles) over them. */
    static const int new_pt[] = {7, 5, 13, 11, 9, 15};
    static const char *const what[N_CLS] = {"", " retransmission", " reinjection"};
    /* The legend's entries for the new segments in subflow order, their
     * points in the reverse order: the initial subflow on top. */
    for (guint s = 0; s < nsf; s++) {
        if (block_of[s] < 0 || !count[s].n[CLS_NEW])
            continue;
        gp_clause(gp, &first);
        g_string_append_printf(gp, "keyentry with points pt %d ps 0.8 lc rgb '%s' title ",
                               new_pt[s % G_N_ELEMENTS(new_pt)], colours[s % N_COLOURS]);
        char *t = sf_legend(r, s);
        put_quoted(gp, t);
        g_free(t);
    }
    for (int cls = 0; cls < N_CLS; cls++) {
        for (guint k = 0; k < nsf; k++) {
            guint s = cls == CLS_NEW ? nsf - 1 - k : k;
            if (block_of[s] < 0 || !count[s].n[cls])
                continue;
            gp_clause(gp, &first);
            g_string_append_printf(gp, "'dsn.dat' index %d using 1:($4 == %d ? $2 / 1e6 : 1/0) ",
                                   block_of[s], cls);
            if (cls == CLS_NEW)
                g_string_append_printf(gp, "with points pt %d ps 0.5",
                                       new_pt[s % G_N_ELEMENTS(new_pt)]);
            else
                g_string_append_printf(gp, "with points pt %d ps %s lw 1.5",
                                       cls == CLS_RETRANS ? 2 : 8,
                                       cls == CLS_RETRANS ? "1" : "1.3");
            g_string_append_printf(gp, " lc rgb '%s' ", colours[s % N_COLOURS]);
            if (cls == CLS_NEW) {
                g_string_append(gp, "notitle");
                continue;
            }
            g_string_append(gp, "title ");
            char *t = g_strdup_printf("sf%u%s", g_array_index(r->sfs, struct sf, s).id, what[cls]);
            put_quoted(gp, t);
            g_free(t);
        }
    }
    g_free(block_of);
    g_string_append(gp, "\n");
    gp_end(gp);
    g_free(title);
    g_free(count);
    g_array_free(keep, TRUE);
}

/* Which goodput: ACKs (subflow ACK, data ACK) when the capture has any. */
static bool acked_mode(const struct run *r)
{
    for (guint s = 0; s < r->sfs->len; s++)
        if (g_array_index(r->sfs, struct sf, s).ack_seen)
            return true;
    return r->dack_seen;
}

static double total_bytes(const struct run *r, guint b)
{
    if (!acked_mode(r))
        return bin_get(r->sent_total, b);
    if (r->use_dsn && r->dack_seen)
        return bin_get(r->dack_bins, b);
    double v = 0;
    for (guint s = 0; s < r->sfs->len; s++)
        v += bin_get(g_array_index(r->sfs, struct sf, s).ack_bins, b);
    return v;
}

static double mbps(const struct run *r, double bytes)
{
    return bytes * 8 / r->bin_s / 1e6;
}

static void plot_goodput(struct run *r, GString *gp, GString *dat)
{
    bool acked = acked_mode(r);
    guint nb = run_nbins(r), nsf = r->sfs->len;
    g_string_append(dat, acked ? "# goodput: bytes acknowledged per bin (subflows: their ACK; "
                                 "total: the data ACK, for TCP the ACK), in Mbit/s\n"
                               : "# goodput: no ACK in the capture, new bytes sent per bin "
                                 "(subflow level; total: data level), in Mbit/s\n");
    g_string_append(dat, "# bin ");
    put_num(dat, "%g", r->bin_s);
    g_string_append(dat, " s; columns: middle of the bin (s)");
    for (guint s = 0; s < nsf; s++)
        g_string_append_printf(dat, ", sf%u", g_array_index(r->sfs, struct sf, s).id);
    g_string_append(dat, ", total\n");
    for (guint b = 0; b < nb; b++) {
        put_num(dat, "%.9f", (b + 0.5) * r->bin_s);
        for (guint s = 0; s < nsf; s++) {
            const struct sf *f = &g_array_index(r->sfs, struct sf, s);
            g_string_append_c(dat, ' ');
            put_num(dat, "%.6f", mbps(r, bin_get(acked ? f->ack_bins : f->sent_bins, b)));
        }
        g_string_append_c(dat, ' ');
        put_num(dat, "%.6f", mbps(r, total_bytes(r, b)));
        g_string_append_c(dat, '\n');
    }
    char *desc = conn_desc(r);
    char bin[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(bin, sizeof bin, "%g", r->bin_s);
    char *title = g_strdup_printf("%s: goodput%s over %s s (%s)", run_label(r),
                                  acked ? "" : " (sent, no ACKs captured)", bin, desc);
    g_free(desc);
    g_string_append(gp, "\n# goodput: goodput.dat\n");
    gp_begin(gp, "goodput");
    gp_title(gp, title);
    g_string_append(gp, "    set ylabel 'goodput (Mbit/s)'\n    set yrange [0:*]\n");
    bool first = true;
    for (guint s = 0; s < nsf && nsf > 1; s++) {
        char *legend = sf_legend(r, s);
        gp_clause(gp, &first);
        g_string_append_printf(gp, "'goodput.dat' using 1:%u with lines lw 1.5 lc rgb '%s' title ",
                               s + 2, colours[s % N_COLOURS]);
        put_quoted(gp, legend);
        g_free(legend);
    }
    gp_clause(gp, &first);
    g_string_append_printf(gp,
                           "'goodput.dat' using 1:%u with lines lw 2.5 lc rgb '#000000' "
                           "title 'total'\n",
                           nsf + 2);
    gp_end(gp);
    g_free(title);
}

static void plot_tcp(struct run *r, GString *gp, GString *dat)
{
    g_string_append_printf(dat,
                           "# the sending end's (%s) tcp.ack records, per subflow\n"
                           "# columns: t (s), cwnd (segments), srtt (ms)\n",
                           r->sender_node ? r->sender_node : "?");
    int block = 0;
    GString *clauses[2] = {g_string_new(NULL), g_string_new(NULL)};
    bool first[2] = {true, true};
    for (guint s = 0; s < r->sfs->len; s++) {
        GArray *a = g_array_index(r->sfs, struct sf, s).tcp;
        if (!a->len)
            continue;
        char *legend = sf_legend(r, s);
        if (block)
            g_string_append(dat, "\n\n");
        g_string_append(dat, "# ");
        put_comment(dat, legend);
        g_string_append_c(dat, '\n');
        guint k = (a->len + MAX_POINTS - 1) / MAX_POINTS;
        for (guint i = 0; i < a->len; i++) {
            if (i % k && i + 1 != a->len)
                continue;
            const struct tcp_sample *x = &g_array_index(a, struct tcp_sample, i);
            put_num(dat, "%.9f", x->t);
            g_string_append_c(dat, ' ');
            put_num(dat, "%.6g", x->cwnd);
            g_string_append_c(dat, ' ');
            put_num(dat, "%.6f", x->srtt_ms);
            g_string_append_c(dat, '\n');
        }
        for (int w = 0; w < 2; w++) {
            gp_clause(clauses[w], &first[w]);
            g_string_append_printf(clauses[w],
                                   "'tcp.dat' index %d using 1:%d with %s lw 1.5 lc rgb '%s' "
                                   "title ",
                                   block, w ? 3 : 2, w ? "lines" : "steps", colours[s % N_COLOURS]);
            put_quoted(clauses[w], legend);
        }
        g_free(legend);
        block++;
    }
    static const char *const name[2] = {"cwnd", "srtt"};
    static const char *const ylabel[2] = {"congestion window (segments)", "smoothed RTT (ms)"};
    static const char *const what[2] = {"congestion window", "smoothed RTT"};
    char *desc = conn_desc(r);
    for (int w = 0; w < 2; w++) {
        char *title = g_strdup_printf("%s: %s of the sender %s (%s)", run_label(r), what[w],
                                      r->sender_node ? r->sender_node : "?", desc);
        g_string_append_printf(gp, "\n# %s: tcp.dat\n", what[w]);
        gp_begin(gp, name[w]);
        gp_title(gp, title);
        g_string_append_printf(gp, "    set ylabel '%s'\n    set yrange [0:*]\n", ylabel[w]);
        g_string_append(gp, clauses[w]->str);
        g_string_append_c(gp, '\n');
        gp_end(gp);
        g_free(title);
        g_string_free(clauses[w], TRUE);
    }
    g_free(desc);
}

static bool run_gnuplot(const char *dir, const char *script, GError **err)
{
    const char *prog = g_getenv("AFMP_GNUPLOT");
    if (!prog || !*prog)
        prog = "gnuplot";
    char *argv[] = {(char *)prog, (char *)script, NULL};
    char *out = NULL, *errout = NULL;
    int status = 0;
    GError *e = NULL;
    bool ok =
        g_spawn_sync(dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, &status, &e);
    if (!ok) {
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_GNUPLOT,
                    "cannot run %s (%s; Debian package gnuplot-nox): %s and its data are in %s, "
                    "run `gnuplot %s` there later",
                    prog, e->message, script, dir, script);
        g_error_free(e);
    } else if (!g_spawn_check_wait_status(status, &e)) {
        g_strstrip(errout);
        g_set_error(err, AT_PLOT_ERROR, AT_PLOT_ERROR_GNUPLOT, "%s failed on %s/%s (%s)%s%s", prog,
                    dir, script, e->message, *errout ? ": " : "", errout);
        g_error_free(e);
        ok = false;
    }
    g_free(out);
    g_free(errout);
    return ok;
}

static double xmax_of(const struct run *r)
{
    return run_nbins(r) * r->bin_s;
}

int at_plot_run(const struct at_plot_input *in, unsigned conn, double bin_s, const char *out_dir,
                GError **err)
{
    struct run r;
    if (bin_s <= 0)
        bin_s = DEFAULT_BIN_S;
    int rc = -1;
    bool ok = run_load(&r, in, conn, bin_s, in && in->trace_jsonl, 0, err);
    GString *gp = g_string_new(NULL), *dsn = g_string_new(NULL), *good = g_string_new(NULL),
            *tcp = g_string_new(NULL);
    if (!ok || !make_dir(out_dir, err))
        goto out;
    char *what = g_strdup_printf("afmp-trace plot of %s, connection %u, from %s%s%s", run_label(&r),
                                 r.conn, in->csv_dir, in->trace_jsonl ? " and " : "",
                                 in->trace_jsonl ? in->trace_jsonl : "");
    gp_head(gp, "plot.gp", what);
    g_free(what);
    g_string_append(gp, "set xrange [0:");
    put_num(gp, "%.9f", xmax_of(&r));
    g_string_append(gp, "]\n");
    if (r.n_nodsn)
        g_string_append_printf(gp, "# %u payload segments without a DSN are not plotted\n",
                               r.n_nodsn);
    gp_events(gp, &r, 1, xmax_of(&r));
    plot_dsn(&r, gp, dsn);
    plot_goodput(&r, gp, good);
    if (in->trace_jsonl)
        plot_tcp(&r, gp, tcp);
    if (!write_out(out_dir, "dsn.dat", dsn, err) || !write_out(out_dir, "goodput.dat", good, err) ||
        (in->trace_jsonl && !write_out(out_dir, "tcp.dat", tcp, err)) ||
        !write_out(out_dir, "plot.gp", gp, err))
        goto out;
    if (run_gnuplot(out_dir, "plot.gp", err))
        rc = 0;
out:
    g_string_free(gp, TRUE);
    g_string_free(dsn, TRUE);
    g_string_free(good, TRUE);
    g_string_free(tcp, TRUE);
    run_clear(&r);
    return rc;
}

/* Progress: the highest sequence sent so far, a row each time it grows. */
static void compare_dsn_block(const struct run *r, GString *dat)
{
    int64_t max = -1;
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(struct pt));
    for (guint i = 0; i < r->pts->len; i++) {
        struct pt p = g_array_index(r->pts, struct pt, i);
        if (r->use_dsn && p.dsn < 0)
            continue;
        int64_t end = pt_y(r, &p) + p.len;
        if (end > max) {
            max = end;
            p.seq = end;
            g_array_append_val(rows, p);
        }
    }
    guint k = (rows->len + MAX_POINTS / 2 - 1) / (MAX_POINTS / 2);
    g_string_append(dat, "# ");
    put_comment(dat, run_label(r));
    g_string_append_c(dat, '\n');
    for (guint i = 0; i < rows->len; i++) {
        if (i % k && i + 1 != rows->len)
            continue;
        const struct pt *p = &g_array_index(rows, struct pt, i);
        put_num(dat, "%.9f", p->t);
        g_string_append_printf(dat, " %" PRId64 "\n", p->seq);
    }
    g_array_free(rows, TRUE);
}

int at_plot_compare(const struct at_plot_input *a, const struct at_plot_input *b, double bin_s,
                    const char *out_dir, GError **err)
{
    struct run r[2];
    if (bin_s <= 0)
        bin_s = DEFAULT_BIN_S;
    int rc = -1;
    bool ok = run_load(&r[0], a, 0, bin_s, false, 0, err);
    if (ok)
        ok = run_load(&r[1], b, 0, bin_s, false, 1, err);
    else
        run_init(&r[1], b, bin_s);
    GString *gp = g_string_new(NULL), *dsn = g_string_new(NULL), *good = g_string_new(NULL);
    if (!ok || !make_dir(out_dir, err))
        goto out;
    const char *la = run_label(&r[0]), *lb = run_label(&r[1]);
    double xmax = MAX(xmax_of(&r[0]), xmax_of(&r[1]));
    guint nb = MAX(run_nbins(&r[0]), run_nbins(&r[1]));
    char *what = g_strdup_printf("afmp-trace compare: %s (%s) against %s (%s)", la, a->csv_dir, lb,
                                 b->csv_dir);
    gp_head(gp, "compare.gp", what);
    g_free(what);
    g_string_append(gp, "set xrange [0:");
    put_num(gp, "%.9f", xmax);
    g_string_append(gp, "]\n");
    gp_events(gp, r, 2, xmax);

    g_string_append(dsn, "# highest sequence sent so far (bytes), an index block per run\n"
                         "# columns: t (s), sequence (bytes)\n");
    compare_dsn_block(&r[0], dsn);
    g_string_append(dsn, "\n\n");
    compare_dsn_block(&r[1], dsn);
    bool same = r[0].use_dsn == r[1].use_dsn;
    char *title = g_strdup_printf("data sequence progress: %s against %s", la, lb);
    g_string_append(gp, "\n# data sequence progress: compare-dsn.dat\n");
    gp_begin(gp, "compare-dsn");
    gp_title(gp, title);
    g_free(title);
    g_string_append_printf(gp, "    set ylabel '%s (MB)'\n    set yrange [0:*]\n",
                           same ? seq_name(&r[0]) : "relative DSN or sequence");
    bool first = true;
    for (int k = 0; k < 2; k++) {
        char *legend = g_strdup_printf("%s (connection %u, %s, %u subflow%s)", run_label(&r[k]),
                                       r[k].conn, r[k].mptcp ? "MPTCP" : "TCP", r[k].sfs->len,
                                       r[k].sfs->len == 1 ? "" : "s");
        gp_clause(gp, &first);
        g_string_append_printf(gp,
                               "'compare-dsn.dat' index %d using 1:($2 / 1e6) with steps "
                               "lw %s lc rgb '%s' title ",
                               k, k ? "1.5" : "3.5", colours[k]);
        put_quoted(gp, legend);
        g_free(legend);
    }
    g_string_append_c(gp, '\n');
    gp_end(gp);

    g_string_append(good, "# total goodput (Mbit/s) per bin of ");
    put_num(good, "%g", bin_s);
    g_string_append(good, " s\n# columns: middle of the bin (s), ");
    put_comment(good, la);
    g_string_append(good, ", ");
    put_comment(good, lb);
    g_string_append_c(good, '\n');
    for (guint i = 0; i < nb; i++) {
        put_num(good, "%.9f", (i + 0.5) * bin_s);
        for (int k = 0; k < 2; k++) {
            g_string_append_c(good, ' ');
            put_num(good, "%.6f", mbps(&r[k], total_bytes(&r[k], i)));
        }
        g_string_append_c(good, '\n');
    }
    char bin[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(bin, sizeof bin, "%g", bin_s);
    title = g_strdup_printf("total goodput over %s s: %s against %s", bin, la, lb);
    g_string_append(gp, "\n# total goodput: compare-goodput.dat\n");
    gp_begin(gp, "compare-goodput");
    gp_title(gp, title);
    g_free(title);
    g_string_append(gp, "    set ylabel 'goodput (Mbit/s)'\n    set yrange [0:*]\n");
    first = true;
    for (int k = 0; k < 2; k++) {
        gp_clause(gp, &first);
        g_string_append_printf(gp,
                               "'compare-goodput.dat' using 1:%d with lines lw %s lc rgb '%s' "
                               "title ",
                               k + 2, k ? "1.5" : "3", colours[k]);
        put_quoted(gp, run_label(&r[k]));
    }
    g_string_append_c(gp, '\n');
    gp_end(gp);

    if (!write_out(out_dir, "compare-dsn.dat", dsn, err) ||
        !write_out(out_dir, "compare-goodput.dat", good, err) ||
        !write_out(out_dir, "compare.gp", gp, err))
        goto out;
    if (run_gnuplot(out_dir, "compare.gp", err))
        rc = 0;
out:
    g_string_free(gp, TRUE);
    g_string_free(dsn, TRUE);
    g_string_free(good, TRUE);
    run_clear(&r[0]);
    run_clear(&r[1]);
    return rc;
}
