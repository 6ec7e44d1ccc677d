/*
 * afmp: scenario files (format: scenarios/FORMAT.md, API: scenario.h).
 *
 * Reading happens in two layers. A raw pre-scan of the text records every
 * group header and key with its line, in file order, and rejects duplicate
 * groups and keys: GKeyFile would merge a repeated group and let a repeated
 * key overwrite the first without a word. GKeyFile then parses the same text
 * and gives the values (with its escapes). Resolution walks the pre-scan's
 * records, so every message can name the line, and builds the description.
 */
#include "sim/scenario.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/mptcp/mptcp.h"
#include "model/net/addr.h"
#include "model/net/radv.h"
#include "sim/apps/apps.h"
#include "sim/units.h"

G_DEFINE_QUARK(mp-scenario-error-quark, mp_scenario_error)

/* ---- tables ----------------------------------------------------------- */

static const char *const stack_choices[] = {"afmp", "legacy", NULL};
static const char *const tcp_cc_choices[] = {"cubic", "reno", NULL};
static const char *const mptcp_pm_choices[] = {"fullmesh", "kernel", "ndiffports", NULL};
static const char *const mptcp_sched_choices[] = {"default", "minrtt", "roundrobin",
                                                    "redundant", NULL};
static const char *const mptcp_cc_choices[] = {"uncoupled", "lia", "olia", "balia", NULL};

/* The per-node option table. One row per option; later work adds tcp.* and
 * mptcp.* rows here and nothing else. */
static const struct mp_scn_opt_def options[] = {
    {"stack", MP_SCN_OPT_ENUM, "afmp", NULL, MP_SCN_FOR_HOST, 0, stack_choices,
     "socket layer: afmp (AF_MULTIPATH and MPTCP) or legacy (AF_INET/AF_INET6 only)"},
    {"mptcp", MP_SCN_OPT_BOOL, "on", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "MPTCP enabled in the stack (net.mptcp.enabled)"},
    {"mptcp.pm", MP_SCN_OPT_ENUM, "fullmesh", NULL, MP_SCN_FOR_HOST, 0, mptcp_pm_choices,
     "MPTCP path manager, or plugin:FILE.so (afmp/mptcp_policy.h)"},
    {"mptcp.scheduler", MP_SCN_OPT_ENUM, "default", NULL, MP_SCN_FOR_HOST, 0,
     mptcp_sched_choices,
     "MPTCP packet scheduler (default: upstream Linux's; minrtt, roundrobin, redundant: Linux "
     "v0.9x's), or plugin:FILE.so (afmp/mptcp_policy.h)"},
    {"mptcp.cc", MP_SCN_OPT_ENUM, "uncoupled", NULL, MP_SCN_FOR_HOST, 0, mptcp_cc_choices,
     "MPTCP congestion control (uncoupled: each subflow its own tcp.cc), or plugin:FILE.so "
     "(afmp/mptcp_policy.h)"},
    {"mptcp.subflows", MP_SCN_OPT_UINT, "2", NULL, MP_SCN_FOR_HOST, 8, NULL,
     "additional subflows per connection, opened or accepted (ip mptcp limits subflows)"},
    {"mptcp.add-addr-accepted", MP_SCN_OPT_UINT, "0", NULL, MP_SCN_FOR_HOST, 8, NULL,
     "remote addresses taken from ADD_ADDR (ip mptcp limits add_addr_accepted)"},
    {"mptcp.endpoints", MP_SCN_OPT_ENDPOINTS, "", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "the kernel path manager's endpoints (ip mptcp endpoint add ADDR FLAGS [id N], "
     "comma-separated)"},
    {"mptcp.ndiffports", MP_SCN_OPT_UINT, "2", NULL, MP_SCN_FOR_HOST, 9, NULL,
     "ndiffports path manager: subflows over the first address pair, all told"},
    {"mptcp.stale-loss-cnt", MP_SCN_OPT_UINT, "4", NULL, MP_SCN_FOR_HOST, 255, NULL,
     "data-level retransmission intervals without a segment that make a subflow stale "
     "(net.mptcp.stale_loss_cnt)"},
    {"mptcp.opportunistic", MP_SCN_OPT_BOOL, "off", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "opportunistic retransmission when the peer's receive window blocks (Raiciu et al.)"},
    {"mptcp.penalise", MP_SCN_OPT_BOOL, "off", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "halve the window of the subflow that holds the receive window back (Raiciu et al.)"},
    {"mptcp.add-addr-timeout", MP_SCN_OPT_TIME, "120s", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "time between ADD_ADDR retransmissions until echoed (net.mptcp.add_addr_timeout)"},
    {"mptcp.checksum", MP_SCN_OPT_BOOL, "off", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "ask for DSS checksums (net.mptcp.checksum_enabled)"},
    {"mptcp.mptcpize", MP_SCN_OPT_BOOL, "off", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "AF_INET/AF_INET6 stream sockets are MPTCP (as Linux's mptcpize run)"},
    {"ip.forward", MP_SCN_OPT_BOOL, "off", "on", MP_SCN_FOR_HOST | MP_SCN_FOR_ROUTER, 0, NULL,
     "forward packets not addressed to this node"},
    {"ip.ttl", MP_SCN_OPT_UINT, "64", "64", MP_SCN_FOR_HOST | MP_SCN_FOR_ROUTER, 255, NULL,
     "TTL / hop limit of packets this node originates"},
    {"ipv6.accept-ra", MP_SCN_OPT_BOOL, "on", "on", MP_SCN_FOR_HOST | MP_SCN_FOR_ROUTER, 0, NULL,
     "SLAAC addresses and default routes from router advertisements while not forwarding "
     "(accept_ra = 1)"},
    {"ipv6.keep-addr-on-down", MP_SCN_OPT_BOOL, "off", "off", MP_SCN_FOR_HOST | MP_SCN_FOR_ROUTER,
     0, NULL, "an interface set down keeps its permanent global IPv6 addresses (keep_addr_on_down)"},
    /* TCP defaults of the host's connections: Linux's sysctls by default. */
    {"tcp.cc", MP_SCN_OPT_ENUM, "cubic", NULL, MP_SCN_FOR_HOST, 0, tcp_cc_choices,
     "TCP congestion control (net.ipv4.tcp_congestion_control)"},
    {"tcp.sack", MP_SCN_OPT_BOOL, "on", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP selective acknowledgements, RFC 2018 (tcp_sack)"},
    {"tcp.timestamps", MP_SCN_OPT_BOOL, "on", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP timestamps, RFC 7323 (tcp_timestamps)"},
    {"tcp.window-scaling", MP_SCN_OPT_BOOL, "on", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP window scaling, RFC 7323 (tcp_window_scaling)"},
    {"tcp.time-wait", MP_SCN_OPT_TIME, "60s", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP TIME_WAIT length (Linux TCP_TIMEWAIT_LEN)"},
    {"tcp.rmem", MP_SCN_OPT_SIZES, "4096 131072 6291456", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP receive buffer: min default max, autotuned (tcp_rmem); one size: fixed, as SO_RCVBUF"},
    {"tcp.wmem", MP_SCN_OPT_SIZES, "4096 16384 4194304", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP send buffer: min default max, autotuned (tcp_wmem); one size: fixed, as SO_SNDBUF"},
    {"tcp.pacing", MP_SCN_OPT_BOOL, "off", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP pacing at Linux's rate (200% of cwnd/srtt in slow start, 120% after), as with fq"},
    {"tcp.nodelay", MP_SCN_OPT_BOOL, "off", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP_NODELAY on every connection (Nagle off)"},
    {"tcp.delayed-ack", MP_SCN_OPT_TIME, "40ms", NULL, MP_SCN_FOR_HOST, 0, NULL,
     "TCP delayed-ACK timeout (Linux TCP_ATO_MIN)"},
    {"tcp.syn-retries", MP_SCN_OPT_UINT, "6", NULL, MP_SCN_FOR_HOST, 255, NULL,
     "SYN retransmissions before connect() fails with ETIMEDOUT (tcp_syn_retries)"},
};

const struct mp_scn_opt_def *mp_scn_options(size_t *n)
{
    *n = MP_ARRAY_LEN(options);
    return options;
}

/* The built-in applications are those of the registry (sim/apps), so a
 * name is accepted only when the program exists. */
const char *const *mp_scn_builtin_apps(void)
{
    return mp_apps_names();
}

enum gkind {
    G_SCENARIO, G_CAPTURE, G_HOST, G_ROUTER, G_LINK, G_APP, G_EVENTS, G_DNS, G_EXPECT, G_NAMESERVER
};

static const struct {
    const char *word;
    bool named;
} group_kinds[] = {
    [G_SCENARIO] = {"scenario", false}, [G_CAPTURE] = {"capture", false},
    [G_HOST] = {"host", true},          [G_ROUTER] = {"router", true},
    [G_LINK] = {"link", true},          [G_APP] = {"app", true},
    [G_EVENTS] = {"events", false},     [G_DNS] = {"dns", false},
    [G_EXPECT] = {"expect", false},     [G_NAMESERVER] = {"nameserver", false},
};

enum vtype { V_TIME, V_RATE, V_SIZE, V_QUEUE, V_PPM, V_MBOX, V_TRACE };

static const struct {
    const char *key;
    enum mp_scn_link_param param;
    enum vtype type;
} link_params[] = {
    {"rate", MP_SCN_LP_RATE, V_RATE},
    {"delay", MP_SCN_LP_DELAY, V_TIME},
    {"queue", MP_SCN_LP_QUEUE, V_QUEUE},
    {"loss", MP_SCN_LP_LOSS, V_PPM},
    {"ge.p", MP_SCN_LP_GE_P, V_PPM},
    {"ge.r", MP_SCN_LP_GE_R, V_PPM},
    {"ge.loss-good", MP_SCN_LP_GE_LOSS_GOOD, V_PPM},
    {"ge.loss-bad", MP_SCN_LP_GE_LOSS_BAD, V_PPM},
    {"corrupt", MP_SCN_LP_CORRUPT, V_PPM},
    {"duplicate", MP_SCN_LP_DUPLICATE, V_PPM},
    {"reorder", MP_SCN_LP_REORDER, V_PPM},
    {"reorder-delay", MP_SCN_LP_REORDER_DELAY, V_TIME},
    {"middlebox", MP_SCN_LP_MIDDLEBOX, V_MBOX},
    {"trace", MP_SCN_LP_TRACE, V_TRACE},
};

static const char *const expected_form[] = {
    [V_TIME] = "a time like 10ms (units ns, us, ms, s)",
    [V_RATE] = "a rate like 10Mbit (units bit, kbit, Mbit, Gbit; 1000-based)",
    [V_SIZE] = "a size like 1500B (units B, kB/KB, MB, GB = 1000-based; KiB, MiB, GiB = 1024-based)",
    [V_QUEUE] = "a queue limit like 100p (packets) or 64KB (bytes)",
    [V_PPM] = "a percentage like 0.5% (or 50ppm), at most 100%",
    [V_MBOX] = "middleboxes like 'strip-mptcp' or 'nat44, drop-join' (comma-separated: "
               "strip-mptcp, drop-join [synack], drop-add-addr [echo], blackhole, "
               "rewrite-payload [RATIO], nat44 [ADDR]; or none)",
    [V_TRACE] = "a Mahimahi delivery trace file (one millisecond time per line; relative paths "
                "start at the scenario's folder)",
};

/* ---- the document (pre-scan + GKeyFile) ------------------------------- */

struct dkey {
    char *key;
    unsigned line;  /* 0 when it came from --set */
    char *override; /* the --set text that last set it, or NULL */
};

struct dgroup {
    char *name;
    unsigned line;
    char *override; /* the --set that created the group */
    GPtrArray *keys; /* struct dkey *, file order */
};

struct mp_scn_doc {
    char *file;
    GKeyFile *kf;
    GPtrArray *groups; /* struct dgroup *, file order */
    GHashTable *by_name; /* group name (the group's own) -> struct dgroup * */
};

static void dkey_free(gpointer p)
{
    struct dkey *k = p;
    g_free(k->key);
    g_free(k->override);
    g_free(k);
}

static void dgroup_free(gpointer p)
{
    struct dgroup *g = p;
    g_free(g->name);
    g_free(g->override);
    g_ptr_array_unref(g->keys);
    g_free(g);
}

static struct dgroup *doc_group(const struct mp_scn_doc *doc, const char *name)
{
    return g_hash_table_lookup(doc->by_name, name);
}

static struct dkey *group_key(const struct dgroup *g, const char *key)
{
    for (guint i = 0; i < g->keys->len; i++) {
        struct dkey *k = g->keys->pdata[i];
        if (strcmp(k->key, key) == 0)
            return k;
    }
    return NULL;
}

static struct dgroup *group_new(struct mp_scn_doc *doc, const char *name, unsigned line)
{
    struct dgroup *g = g_new0(struct dgroup, 1);
    g->name = g_strdup(name);
    g->line = line;
    g->keys = g_ptr_array_new_with_free_func(dkey_free);
    g_ptr_array_add(doc->groups, g);
    if (!g_hash_table_contains(doc->by_name, g->name))
        g_hash_table_insert(doc->by_name, g->name, g); /* the first of a name */
    return g;
}

static struct dkey *key_new(struct dgroup *g, const char *key, unsigned line)
{
    struct dkey *k = g_new0(struct dkey, 1);
    k->key = g_strdup(key);
    k->line = line;
    g_ptr_array_add(g->keys, k);
    return k;
}

/* Mirrors GKeyFile's line grammar: leading blanks ignored, '#' starts a
 * comment line, "[...]" is a group (its name ends at the last ']'), anything
 * else must be key=value with the key trimmed. */
static bool prescan(struct mp_scn_doc *doc, const char *data, gsize len, GError **err)
{
    gchar **lines;
    struct dgroup *cur = NULL;
    bool ok = true;
    char *text = g_strndup(data, len);

    lines = g_strsplit(text, "\n", -1);
    g_free(text);
    for (unsigned i = 0; lines[i] && ok; i++) {
        unsigned ln = i + 1;
        char *l = g_strstrip(lines[i]);

        if (*l == '\0' || *l == '#')
            continue;
        if (*l == '[') {
            char *end = strrchr(l, ']');
            if (!end || end[1] != '\0') {
                g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_SYNTAX,
                            "%s:%u: expected a group header like [link l1], got '%s'", doc->file,
                            ln, l);
                ok = false;
                break;
            }
            *end = '\0';
            char *name = l + 1;
            /* One spelling per group: "[host  a]" would be a different group
             * to GKeyFile, so ask for the normal form instead of guessing. */
            gchar **w = g_strsplit_set(name, " \t", -1);
            GString *norm = g_string_new(NULL);
            for (unsigned j = 0; w[j]; j++) {
                if (!*w[j])
                    continue;
                if (norm->len)
                    g_string_append_c(norm, ' ');
                g_string_append(norm, w[j]);
            }
            g_strfreev(w);
            if (strcmp(norm->str, name) != 0 || !*name) {
                g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_SYNTAX,
                            "%s:%u: [%s]: write the group header as [%s], one space between "
                            "words",
                            doc->file, ln, name, *norm->str ? norm->str : "KIND NAME");
                g_string_free(norm, TRUE);
                ok = false;
                break;
            }
            struct dgroup *prev = doc_group(doc, norm->str);
            if (prev) {
                g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_DUPLICATE,
                            "%s:%u: [%s]: duplicate group (first at line %u); merge the two "
                            "groups or rename one",
                            doc->file, ln, norm->str, prev->line);
                ok = false;
            } else {
                cur = group_new(doc, norm->str, ln);
            }
            g_string_free(norm, TRUE);
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_SYNTAX,
                        "%s:%u: %s%s%s'%s' is neither a group header, a key = value line nor a "
                        "# comment",
                        doc->file, ln, cur ? "[" : "", cur ? cur->name : "", cur ? "]: " : "", l);
            ok = false;
            break;
        }
        *eq = '\0';
        char *key = g_strstrip(l);
        if (!cur) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_SYNTAX,
                        "%s:%u: %s: key outside any group; start the file with [scenario]",
                        doc->file, ln, key);
            ok = false;
            break;
        }
        if (!*key) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_SYNTAX,
                        "%s:%u: [%s]: a line with '=' but no key", doc->file, ln, cur->name);
            ok = false;
            break;
        }
        struct dkey *prev = group_key(cur, key);
        if (prev) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_DUPLICATE,
                        "%s:%u: [%s] %s: duplicate key (first at line %u); a key may appear "
                        "once per group",
                        doc->file, ln, cur->name, key, prev->line);
            ok = false;
            break;
        }
        key_new(cur, key, ln);
    }
    g_strfreev(lines);
    return ok;
}

struct mp_scn_doc *mp_scn_doc_load_data(const char *name, const char *data, gssize len,
                                        GError **err)
{
    struct mp_scn_doc *doc = g_new0(struct mp_scn_doc, 1);
    GError *kerr = NULL;
    gsize n = len < 0 ? strlen(data) : (gsize)len;

    /* Editors on some systems start UTF-8 files with a byte order mark. */
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        n -= 3;
    }
    doc->file = g_strdup(name);
    doc->groups = g_ptr_array_new_with_free_func(dgroup_free);
    doc->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    doc->kf = g_key_file_new();
    if (!prescan(doc, data, n, err)) {
        mp_scn_doc_free(doc);
        return NULL;
    }
    if (!g_key_file_load_from_data(doc->kf, data, n, G_KEY_FILE_NONE, &kerr)) {
        g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_SYNTAX, "%s: %s", name,
                    kerr->message);
        g_error_free(kerr);
        mp_scn_doc_free(doc);
        return NULL;
    }
    return doc;
}

struct mp_scn_doc *mp_scn_doc_load_file(const char *path, GError **err)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *ferr = NULL;

    if (!g_file_get_contents(path, &data, &len, &ferr)) {
        g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_IO, "%s: cannot read: %s", path,
                    ferr->message);
        g_error_free(ferr);
        return NULL;
    }
    struct mp_scn_doc *doc = mp_scn_doc_load_data(path, data, (gssize)len, err);
    g_free(data);
    return doc;
}

void mp_scn_doc_free(struct mp_scn_doc *doc)
{
    if (!doc)
        return;
    g_free(doc->file);
    g_key_file_unref(doc->kf);
    g_hash_table_destroy(doc->by_name);
    g_ptr_array_unref(doc->groups);
    g_free(doc);
}

/* ---- suggestions ------------------------------------------------------ */

/* Optimal string alignment distance: Levenshtein plus adjacent
 * transpositions, so "dealy" is one edit from "delay". */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned *d = g_new(unsigned, (la + 1) * (lb + 1));
#define D(i, j) d[(i) * (lb + 1) + (j)]
    for (size_t i = 0; i <= la; i++)
        D(i, 0) = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        D(0, j) = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
            unsigned v = MIN(D(i - 1, j) + 1, D(i, j - 1) + 1);
            v = MIN(v, D(i - 1, j - 1) + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                v = MIN(v, D(i - 2, j - 2) + 1);
            D(i, j) = v;
        }
    }
    unsigned r = D(la, lb);
#undef D
    g_free(d);
    return r;
}

/* The closest candidate, or NULL when none is close enough to be a typo. */
static const char *closest(const char *word, GPtrArray *cands)
{
    const char *best = NULL;
    unsigned bestd = UINT32_MAX;
    size_t wl = strlen(word);
    unsigned limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;

    for (guint i = 0; i < cands->len; i++) {
        unsigned dd = edit_distance(word, cands->pdata[i]);
        /* A suggestion shares something with the word: 'c' is not a typo of 'a'. */
        if (dd >= wl || dd >= strlen(cands->pdata[i]))
            continue;
        if (dd < bestd) {
            bestd = dd;
            best = cands->pdata[i];
        }
    }
    return bestd <= limit ? best : NULL;
}

/* ---- resolution context and errors ------------------------------------ */

struct rctx {
    const struct mp_scn_doc *doc;
    GError **err;
    struct mp_scenario *scn;
    GArray *nodes, *links, *apps, *events, *dns, *expects;
    GPtrArray *node_groups; /* struct dgroup * per node index */
    GPtrArray *link_groups;
    GPtrArray *app_groups;
    GHashTable *node_by_name; /* name -> index + 1, built by resolve_end */
};

/* Sets the error "FILE:LINE: [GROUP] KEY: message". The line is the key's
 * (or the group's when the key is absent); a value that came from --set is
 * named instead of a line. */
G_GNUC_PRINTF(5, 6)
static bool fail(struct rctx *c, const struct dgroup *g, const char *key, int code,
                 const char *fmt, ...)
{
    va_list ap;
    char *msg, *where;
    const struct dkey *k = g && key ? group_key(g, key) : NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (k && k->override)
        where = g_strdup_printf("%s: --set %s", c->doc->file, k->override);
    else if (!k && g && g->override)
        where = g_strdup_printf("%s: --set %s", c->doc->file, g->override);
    else
        where = g_strdup_printf("%s:%u", c->doc->file, k ? k->line : g ? g->line : 1);
    if (g && key)
        g_set_error(c->err, MP_SCENARIO_ERROR, code, "%s: [%s] %s: %s", where, g->name, key, msg);
    else if (g)
        g_set_error(c->err, MP_SCENARIO_ERROR, code, "%s: [%s]: %s", where, g->name, msg);
    else
        g_set_error(c->err, MP_SCENARIO_ERROR, code, "%s: %s", where, msg);
    g_free(where);
    g_free(msg);
    return false;
}

static unsigned key_line(const struct dgroup *g, const char *key)
{
    const struct dkey *k = group_key(g, key);
    return k ? k->line : g->line;
}

/* The value of |key| in |g| (unescaped, stripped), or NULL when absent or
 * on error (|*bad| set). Free with g_free. */
static char *get_value(struct rctx *c, const struct dgroup *g, const char *key, bool *bad)
{
    GError *e = NULL;
    char *v;

    *bad = false;
    if (!group_key(g, key))
        return NULL;
    v = g_key_file_get_string(c->doc->kf, g->name, key, &e);
    if (!v) {
        fail(c, g, key, MP_SCENARIO_ERROR_SYNTAX, "%s", e->message);
        g_error_free(e);
        *bad = true;
        return NULL;
    }
    return g_strstrip(v);
}

static const char *comment_hint(const char *v)
{
    return strchr(v, '#') ? "; comments go on their own line, starting with #" : "";
}

static bool fail_unit(struct rctx *c, const struct dgroup *g, const char *key, const char *form,
                      const char *v, int rc)
{
    return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s' (%s%s)", form, v,
                mp_units_strerror(rc), comment_hint(v));
}

/* Parses |v| as |type| into *out (and *bytes for queues). */
static int parse_vtype(enum vtype type, const char *v, uint64_t *out, bool *bytes)
{
    int rc;
    uint32_t ppm = 0;
    struct mp_units_queue q = {0, false};

    *bytes = false;
    switch (type) {
    case V_TIME:
        return mp_units_parse_time(v, out);
    case V_RATE:
        return mp_units_parse_rate(v, out);
    case V_SIZE:
        return mp_units_parse_size(v, out);
    case V_QUEUE:
        rc = mp_units_parse_queue(v, &q);
        if (rc == 0) {
            *out = q.limit;
            *bytes = q.bytes;
        }
        return rc;
    case V_PPM:
        rc = mp_units_parse_ppm(v, &ppm);
        if (rc == 0)
            *out = ppm;
        return rc;
    case V_MBOX:
        break; /* a list: parse_mbox() */
    case V_TRACE:
        break; /* a file: parse_link() */
    }
    return MP_UNITS_ESYNTAX;
}

/* Reads an optional key of a unit type. Returns false on error; *present
 * tells whether the key was there. */
static bool read_vtype(struct rctx *c, const struct dgroup *g, const char *key, enum vtype type,
                       uint64_t *out, bool *bytes, bool *present)
{
    bool bad, b = false;
    char *v = get_value(c, g, key, &bad);
    *present = v != NULL;
    if (!v)
        return !bad;
    int rc = parse_vtype(type, v, out, &b);
    if (rc == 0 && bytes)
        *bytes = b;
    bool ok = rc == 0 || fail_unit(c, g, key, expected_form[type], v, rc);
    g_free(v);
    return ok;
}

static bool read_bool(struct rctx *c, const struct dgroup *g, const char *key, bool *out)
{
    bool bad;
    char *v = get_value(c, g, key, &bad);
    if (!v)
        return !bad;
    int rc = mp_units_parse_bool(v, out);
    bool ok = rc == 0 || fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                              "expected on or off (also true/false, yes/no), got '%s'%s", v,
                              comment_hint(v));
    g_free(v);
    return ok;
}

static bool read_uint(struct rctx *c, const struct dgroup *g, const char *key, uint64_t max,
                      uint64_t *out)
{
    bool bad;
    char *v = get_value(c, g, key, &bad);
    if (!v)
        return !bad;
    int rc = mp_units_parse_uint(v, max, out);
    bool ok = rc == 0 || fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                              "expected an integer from 0 to %" G_GUINT64_FORMAT ", got '%s' (%s%s)",
                              max, v, mp_units_strerror(rc), comment_hint(v));
    g_free(v);
    return ok;
}

/* Rejects the keys of |g| that |known| does not accept, suggesting the
 * closest of |cands|. */
static bool check_keys(struct rctx *c, const struct dgroup *g,
                       bool (*known)(const char *key, void *arg), void *arg, GPtrArray *cands,
                       const char *note)
{
    for (guint i = 0; i < g->keys->len; i++) {
        const struct dkey *k = g->keys->pdata[i];
        if (known(k->key, arg))
            continue;
        /* Families ("iface.eth0") are suggested with the user's suffix. */
        GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
        const char *dot = strchr(k->key, '.');
        for (guint j = 0; j < cands->len; j++) {
            const char *cnd = cands->pdata[j];
            size_t cl = strlen(cnd);
            if (cl > 2 && strcmp(cnd + cl - 2, ".*") == 0) {
                if (dot)
                    g_ptr_array_add(all, g_strdup_printf("%.*s%s", (int)(cl - 2), cnd, dot));
            } else {
                g_ptr_array_add(all, g_strdup(cnd));
            }
        }
        const char *s = closest(k->key, all);
        GString *list = g_string_new(NULL);
        for (guint j = 0; j < cands->len; j++)
            if (!g_str_has_suffix(cands->pdata[j], ".ab"))
                g_string_append_printf(list, "%s%s", list->len ? ", " : "",
                                       (const char *)cands->pdata[j]);
        if (s)
            fail(c, g, k->key, MP_SCENARIO_ERROR_UNKNOWN, "unknown key; did you mean '%s'?", s);
        else
            fail(c, g, k->key, MP_SCENARIO_ERROR_UNKNOWN, "unknown key (known keys: %s%s)",
                 list->str, note ? note : "");
        g_string_free(list, TRUE);
        g_ptr_array_unref(all);
        return false;
    }
    return true;
}

/* "unknown link 'l9'; did you mean 'l1'?", or the list of known names. */
static bool fail_ref(struct rctx *c, const struct dgroup *g, const char *key, const char *what,
                     const char *name, GPtrArray *cands, const char *declare)
{
    const char *s = closest(name, cands);
    if (s) {
        fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE, "unknown %s '%s'; did you mean '%s'?", what,
             name, s);
    } else if (cands->len == 0) {
        fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE, "unknown %s '%s' (none is declared; %s)",
             what, name, declare);
    } else {
        GString *l = g_string_new(NULL);
        for (guint i = 0; i < cands->len; i++)
            g_string_append_printf(l, "%s%s", i ? ", " : "", (const char *)cands->pdata[i]);
        fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE, "unknown %s '%s' (known: %s)", what, name,
             l->str);
        g_string_free(l, TRUE);
    }
    return false;
}

/* ---- names, addresses, tokens ----------------------------------------- */

static bool valid_name(const char *s, bool allow_dot)
{
    if (!g_ascii_isalpha(*s))
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && !(allow_dot && *p == '.'))
            return false;
    return true;
}

static bool valid_label(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

/* Splits on blanks, dropping empty fields. */
static gchar **tokens(const char *s)
{
    gchar **raw = g_strsplit_set(s, " \t", -1);
    GPtrArray *out = g_ptr_array_new();
    for (unsigned i = 0; raw[i]; i++) {
        if (*raw[i])
            g_ptr_array_add(out, raw[i]);
        else
            g_free(raw[i]);
    }
    g_free(raw);
    g_ptr_array_add(out, NULL);
    return (gchar **)g_ptr_array_free(out, FALSE);
}

static bool parse_ip(const char *s, struct mp_ip *out)
{
    memset(out, 0, sizeof(*out));
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, out->b) != 1)
            return false;
        out->v = 6;
    } else {
        if (inet_pton(AF_INET, s, out->b) != 1)
            return false;
        out->v = 4;
    }
    return true;
}

static void format_ip(const struct mp_ip *ip, char *buf, size_t len)
{
    if (ip->v == 0 || !inet_ntop(ip->v == 4 ? AF_INET : AF_INET6, ip->b, buf, (socklen_t)len))
        g_strlcpy(buf, "none", len);
}

static char *prefix_str(const struct mp_scn_prefix *p)
{
    char b[INET6_ADDRSTRLEN];
    format_ip(&p->ip, b, sizeof(b));
    return g_strdup_printf("%s/%u", b, p->len);
}

/* Parses "ADDR/LEN" (or "ADDR" meaning a full-length prefix when
 * |len_optional|). Returns NULL or a reason. */
static const char *parse_prefix(const char *s, bool len_optional, struct mp_scn_prefix *out)
{
    char *a = g_strdup(s);
    char *slash = strchr(a, '/');
    const char *why = NULL;
    uint64_t len;

    if (slash)
        *slash = '\0';
    if (!parse_ip(a, &out->ip)) {
        why = "not an IPv4 or IPv6 address";
    } else if (!slash) {
        if (len_optional)
            out->len = out->ip.v == 4 ? 32 : 128;
        else
            why = "the prefix length is missing";
    } else if (mp_units_parse_uint(slash + 1, out->ip.v == 4 ? 32 : 128, &len) != 0) {
        why = out->ip.v == 4 ? "the prefix length must be 0 to 32"
                             : "the prefix length must be 0 to 128";
    } else {
        out->len = (uint8_t)len;
    }
    g_free(a);
    return why;
}

static bool prefix_contains(const struct mp_scn_prefix *p, const struct mp_ip *ip)
{
    if (p->ip.v != ip->v)
        return false;
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->ip.b, ip->b, full) != 0)
        return false;
    if (rest) {
        uint8_t m = (uint8_t)(0xffu << (8 - rest));
        return (p->ip.b[full] & m) == (ip->b[full] & m);
    }
    return true;
}

static bool host_bits_zero(const struct mp_scn_prefix *p)
{
    unsigned n = p->ip.v == 4 ? 4 : 16;
    for (unsigned i = 0; i < n; i++) {
        unsigned bit0 = i * 8;
        uint8_t m = bit0 >= p->len ? 0 : bit0 + 8 <= p->len ? 0xff : (uint8_t)(0xffu << (8 - (p->len - bit0)));
        if (p->ip.b[i] & (uint8_t)~m)
            return false;
    }
    return true;
}

static void mask_prefix(struct mp_scn_prefix *p)
{
    unsigned n = p->ip.v == 4 ? 4 : 16;
    for (unsigned i = 0; i < n; i++) {
        unsigned bit0 = i * 8;
        uint8_t m = bit0 >= p->len ? 0 : bit0 + 8 <= p->len ? 0xff : (uint8_t)(0xffu << (8 - (p->len - bit0)));
        p->ip.b[i] &= m;
    }
}

#define ADDR_FORM "an address with prefix length like 10.0.1.2/24 or 2001:db8:1::2/64"

/* ---- group classification --------------------------------------------- */

/* Splits "host client" into kind and name; fails with a suggestion. */
static bool classify(struct rctx *c, const struct dgroup *g, enum gkind *kind, const char **name)
{
    const char *sp = strchr(g->name, ' ');
    char *word = sp ? g_strndup(g->name, (gsize)(sp - g->name)) : g_strdup(g->name);
    bool ok = false;

    for (unsigned k = 0; k < MP_ARRAY_LEN(group_kinds); k++) {
        if (strcmp(word, group_kinds[k].word) != 0)
            continue;
        *kind = (enum gkind)k;
        *name = sp ? sp + 1 : NULL;
        if (group_kinds[k].named && (!sp || strchr(sp + 1, ' ') || !valid_name(sp + 1, false)))
            fail(c, g, NULL, MP_SCENARIO_ERROR_SYNTAX,
                 "expected [%s NAME], NAME made of letters, digits, '-' and '_', starting "
                 "with a letter",
                 word);
        else if (!group_kinds[k].named && sp)
            fail(c, g, NULL, MP_SCENARIO_ERROR_SYNTAX, "expected [%s] without a name", word);
        else
            ok = true;
        g_free(word);
        return ok;
    }
    GPtrArray *cands = g_ptr_array_new();
    for (unsigned k = 0; k < MP_ARRAY_LEN(group_kinds); k++)
        g_ptr_array_add(cands, (gpointer)group_kinds[k].word);
    const char *s = closest(word, cands);
    if (s)
        fail(c, g, NULL, MP_SCENARIO_ERROR_UNKNOWN, "unknown group; did you mean [%s%s]?", s,
             sp ? sp : "");
    else
        fail(c, g, NULL, MP_SCENARIO_ERROR_UNKNOWN,
             "unknown group (known: scenario, capture, host NAME, router NAME, link NAME, "
             "app NAME, events, dns, expect)");
    g_ptr_array_unref(cands);
    g_free(word);
    return false;
}

/* ---- [scenario] and [capture] ----------------------------------------- */

static bool known_scenario_key(const char *k, void *arg)
{
    return !strcmp(k, "format") || !strcmp(k, "name") || !strcmp(k, "duration") ||
           !strcmp(k, "seed") || !strcmp(k, "engine") || !strcmp(k, "routes");
}

static bool known_capture_key(const char *k, void *arg)
{
    return !strcmp(k, "pcap") || !strcmp(k, "pcapng") || !strcmp(k, "snaplen");
}

static GPtrArray *cands_of(const char *const *list)
{
    GPtrArray *a = g_ptr_array_new();
    for (unsigned i = 0; list[i]; i++)
        g_ptr_array_add(a, (gpointer)list[i]);
    return a;
}

static bool check_format(struct rctx *c)
{
    const struct dgroup *g = doc_group(c->doc, "scenario");
    struct dgroup fake = {.name = "scenario", .line = 1};
    bool bad;
    uint64_t f;

    if (!g) {
        fake.keys = g_ptr_array_new();
        fail(c, &fake, "format", MP_SCENARIO_ERROR_FORMAT,
             "missing: a scenario file starts with [scenario] and format = %d", MP_SCENARIO_FORMAT);
        g_ptr_array_unref(fake.keys);
        return false;
    }
    char *v = get_value(c, g, "format", &bad);
    if (!v) {
        if (!bad)
            fail(c, g, "format", MP_SCENARIO_ERROR_FORMAT,
                 "missing: write format = %d (supported formats: %d)", MP_SCENARIO_FORMAT,
                 MP_SCENARIO_FORMAT);
        return false;
    }
    if (mp_units_parse_uint(v, UINT32_MAX, &f) != 0 || f != MP_SCENARIO_FORMAT) {
        fail(c, g, "format", MP_SCENARIO_ERROR_FORMAT,
             "format '%s' is not supported (supported formats: %d)", v, MP_SCENARIO_FORMAT);
        g_free(v);
        return false;
    }
    g_free(v);
    c->scn->format = (uint32_t)f;
    return true;
}

static bool one_of(struct rctx *c, const struct dgroup *g, const char *key,
                   const char *const *allowed, const char *dflt, char **out);

static bool parse_scenario(struct rctx *c, const struct dgroup *g)
{
    static const char *const keys[] = {"format", "name", "duration", "seed", "engine", "routes",
                                       NULL};
    GPtrArray *cands = cands_of(keys);
    bool ok = check_keys(c, g, known_scenario_key, NULL, cands, NULL), present, bad, b;
    uint64_t v;
    g_ptr_array_unref(cands);
    if (!ok)
        return false;
    char *name = get_value(c, g, "name", &bad);
    if (bad)
        return false;
    if (name) {
        if (!valid_label(name)) {
            fail(c, g, "name", MP_SCENARIO_ERROR_VALUE,
                 "expected a name of letters, digits, '-', '_' and '.', got '%s'", name);
            g_free(name);
            return false;
        }
        g_free(c->scn->name);
        c->scn->name = name;
    }
    if (!read_vtype(c, g, "duration", V_TIME, &v, &b, &present))
        return false;
    if (present) {
        if (v == 0)
            return fail(c, g, "duration", MP_SCENARIO_ERROR_VALUE,
                        "expected a time above zero like 30s");
        c->scn->duration = v;
    }
    if (!read_uint(c, g, "seed", INT64_MAX, &c->scn->seed))
        return false;
    char *engine = get_value(c, g, "engine", &bad);
    if (bad)
        return false;
    if (engine) {
        c->scn->engine_line = key_line(g, "engine");
        if (!strcmp(engine, "ns3"))
            c->scn->engine = MP_SCN_ENGINE_NS3;
        else if (!strcmp(engine, "embedded"))
            c->scn->engine = MP_SCN_ENGINE_EMBEDDED;
        else {
            fail(c, g, "engine", MP_SCENARIO_ERROR_VALUE,
                 "expected embedded or ns3, got '%s'", engine);
            g_free(engine);
            return false;
        }
        g_free(engine);
    }
    static const char *const routes[] = {"full", "compact", NULL};
    char *r = NULL;
    if (!one_of(c, g, "routes", routes, "full", &r))
        return false;
    c->scn->compact_routes = !strcmp(r, "compact");
    g_free(r);
    return true;
}

static bool parse_capture(struct rctx *c, const struct dgroup *g)
{
    static const char *const keys[] = {"pcap", "pcapng", "snaplen", NULL};
    GPtrArray *cands = cands_of(keys);
    bool ok = check_keys(c, g, known_capture_key, NULL, cands, NULL), present, b;
    uint64_t v;
    g_ptr_array_unref(cands);
    if (!ok || !read_bool(c, g, "pcap", &c->scn->pcap) ||
        !read_bool(c, g, "pcapng", &c->scn->pcapng) ||
        !read_vtype(c, g, "snaplen", V_SIZE, &v, &b, &present))
        return false;
    if (present) {
        if (v < 1 || v > 262144)
            return fail(c, g, "snaplen", MP_SCENARIO_ERROR_VALUE,
                        "expected a size from 1B to 262144B, got %" G_GUINT64_FORMAT " bytes", v);
        c->scn->snaplen = (uint32_t)v;
    }
    return true;
}

/* ---- nodes ------------------------------------------------------------ */

struct node_keys_arg {
    enum mp_scn_node_kind kind;
};

static bool known_node_key(const char *k, void *arg)
{
    const struct node_keys_arg *a = arg;
    unsigned mask = a->kind == MP_SCN_HOST ? MP_SCN_FOR_HOST : MP_SCN_FOR_ROUTER;
    if (g_str_has_prefix(k, "iface.") || g_str_has_prefix(k, "route.") ||
        g_str_has_prefix(k, "rule.") || g_str_has_prefix(k, "ra.") || !strcmp(k, "capture"))
        return true;
    for (size_t i = 0; i < MP_ARRAY_LEN(options); i++)
        if ((options[i].for_kinds & mask) && !strcmp(k, options[i].key))
            return true;
    return false;
}

static const char *iface_list(const struct mp_scn_node *n, GString *s)
{
    g_string_truncate(s, 0);
    for (size_t i = 0; i < n->n_ifaces; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", n->ifaces[i].name);
    if (!n->n_ifaces)
        g_string_append(s, "none");
    return s->str;
}

/* Resolves an iface name of |n| or fails with a suggestion. */
static bool resolve_iface(struct rctx *c, const struct dgroup *g, const char *key,
                          const struct mp_scn_node *n, const char *name, int *out)
{
    int i = mp_scn_node_find_iface(n, name);
    if (i >= 0) {
        *out = i;
        return true;
    }
    GPtrArray *cands = g_ptr_array_new();
    for (size_t j = 0; j < n->n_ifaces; j++)
        g_ptr_array_add(cands, n->ifaces[j].name);
    const char *s = closest(name, cands);
    GString *l = g_string_new(NULL);
    if (s)
        fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE,
             "%s has no interface '%s'; did you mean '%s'?", n->name, name, s);
    else
        fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE,
             "%s has no interface '%s' (its interfaces: %s)", n->name, name, iface_list(n, l));
    g_string_free(l, TRUE);
    g_ptr_array_unref(cands);
    return false;
}

static bool node_has_addr(const struct mp_scn_node *n, const struct mp_ip *ip)
{
    for (size_t i = 0; i < n->n_ifaces; i++)
        for (size_t j = 0; j < n->ifaces[i].n_addrs; j++)
            if (mp_ip_eq(&n->ifaces[i].addrs[j].ip, ip))
                return true;
    return false;
}

static bool parse_table(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!strcmp(s, "main"))
        *out = MP_SCN_TABLE_MAIN;
    else if (!strcmp(s, "local"))
        *out = MP_SCN_TABLE_LOCAL;
    else if (!strcmp(s, "default"))
        *out = MP_SCN_TABLE_DEFAULT;
    else if (mp_units_parse_uint(s, UINT32_MAX, &v) == 0 && v > 0)
        *out = (uint32_t)v;
    else
        return false;
    return true;
}

#define ROUTE_FORM                                                                             \
    "[blackhole|unreachable] PREFIX|default [via ADDR] [dev IFACE] [metric N] [src ADDR] "     \
    "[table N|main]"

static bool parse_route(struct rctx *c, const struct dgroup *g, const char *key,
                        struct mp_scn_node *n, const char *v, struct mp_scn_route *r)
{
    gchar **t = tokens(v);
    unsigned i = 0;
    bool ok = false, has_via = false, has_dev = false, has_metric = false, has_src = false,
         has_table = false, is_default = false;
    const char *why;
    char *dev_name = NULL;

    memset(r, 0, sizeof(*r));
    r->dev = -1;
    r->table = MP_SCN_TABLE_MAIN;
    r->label = g_strdup(key + strlen("route."));
    if (t[i] && (!strcmp(t[i], "blackhole") || !strcmp(t[i], "unreachable"))) {
        r->kind = !strcmp(t[i], "blackhole") ? MP_SCN_ROUTE_BLACKHOLE : MP_SCN_ROUTE_UNREACHABLE;
        i++;
    } else if (t[i] && !strcmp(t[i], "unicast")) {
        i++;
    }
    if (!t[i]) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s'", ROUTE_FORM, v);
        goto out;
    }
    if (!strcmp(t[i], "default")) {
        is_default = true;
    } else if ((why = parse_prefix(t[i], true, &r->dst)) != NULL) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
             "expected a destination prefix like 10.0.2.0/24, ::/0 or default, got '%s' (%s)",
             t[i], why);
        goto out;
    } else if (!host_bits_zero(&r->dst)) {
        struct mp_scn_prefix m = r->dst;
        mask_prefix(&m);
        char *ms = prefix_str(&m);
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
             "prefix '%s' has host bits set; did you mean %s?", t[i], ms);
        g_free(ms);
        goto out;
    }
    for (i++; t[i]; i += 2) {
        const char *w = t[i], *arg = t[i + 1];
        bool *seen = !strcmp(w, "via") ? &has_via : !strcmp(w, "dev") ? &has_dev
                   : !strcmp(w, "metric") ? &has_metric : !strcmp(w, "src") ? &has_src
                   : !strcmp(w, "table") ? &has_table : NULL;
        if (!seen) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "unexpected '%s'; expected %s", w,
                 ROUTE_FORM);
            goto out;
        }
        if (*seen || !arg) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "'%s' %s; expected %s", w,
                 *seen ? "given twice" : "needs a value", ROUTE_FORM);
            goto out;
        }
        *seen = true;
        if (!strcmp(w, "via") || !strcmp(w, "src")) {
            struct mp_ip *ip = !strcmp(w, "via") ? &r->via : &r->src;
            if (!parse_ip(arg, ip)) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "%s: expected an address like 10.0.1.1 or fe80::1, got '%s'", w, arg);
                goto out;
            }
        } else if (!strcmp(w, "dev")) {
            dev_name = g_strdup(arg);
        } else if (!strcmp(w, "metric")) {
            uint64_t m;
            if (mp_units_parse_uint(arg, UINT32_MAX, &m) != 0) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "metric: expected an integer from 0 to 4294967295, got '%s'", arg);
                goto out;
            }
            r->metric = (uint32_t)m;
        } else if (!parse_table(arg, &r->table)) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "table: expected main, local, default or an integer from 1 to 4294967295, "
                 "got '%s'",
                 arg);
            goto out;
        }
    }
    if (is_default) {
        /* "default" takes its family from the gateway or the source. */
        uint8_t fam = has_via ? r->via.v : has_src ? r->src.v : 0;
        if (!fam) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "'default' without via or src has no address family; write 0.0.0.0/0 or ::/0");
            goto out;
        }
        memset(&r->dst, 0, sizeof(r->dst));
        r->dst.ip.v = fam;
    }
    if ((has_via && r->via.v != r->dst.ip.v) || (has_src && r->src.v != r->dst.ip.v)) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
             "via and src must be of the destination's address family (IPv%u)", r->dst.ip.v);
        goto out;
    }
    if (r->kind != MP_SCN_ROUTE_UNICAST && (has_via || has_dev)) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "a %s route takes no via or dev",
             r->kind == MP_SCN_ROUTE_BLACKHOLE ? "blackhole" : "unreachable");
        goto out;
    }
    if (r->kind == MP_SCN_ROUTE_UNICAST && !has_via && !has_dev) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "a route needs via ADDR or dev IFACE");
        goto out;
    }
    if (has_dev && !resolve_iface(c, g, key, n, dev_name, &r->dev))
        goto out;
    if (has_via && !has_dev) {
        /* Resolve the interface now, as Linux does when the route is added:
         * the gateway must be inside a subnet of one of the interfaces. */
        for (size_t a = 0; a < n->n_ifaces && r->dev < 0; a++)
            for (size_t b = 0; b < n->ifaces[a].n_addrs; b++)
                if (prefix_contains(&n->ifaces[a].addrs[b], &r->via)) {
                    r->dev = (int)a;
                    break;
                }
        if (r->dev < 0) {
            char b[INET6_ADDRSTRLEN];
            format_ip(&r->via, b, sizeof(b));
            fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE,
                 "gateway %s is not inside a subnet of any interface of %s; add dev IFACE", b,
                 n->name);
            goto out;
        }
    }
    if (has_src && !node_has_addr(n, &r->src)) {
        char b[INET6_ADDRSTRLEN];
        format_ip(&r->src, b, sizeof(b));
        fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE, "src %s is not an address of %s", b,
             n->name);
        goto out;
    }
    ok = true;
out:
    g_free(dev_name);
    g_strfreev(t);
    return ok;
}

#define RULE_FORM "[from PREFIX|all] [to PREFIX|all] [iif IFACE] [oif IFACE] table N|main [priority N]"

static bool parse_rule(struct rctx *c, const struct dgroup *g, const char *key,
                       struct mp_scn_node *n, const char *v, unsigned pos, struct mp_scn_rule *r)
{
    gchar **t = tokens(v);
    bool ok = false, seen[6] = {false};
    static const char *const words[] = {"from", "to", "iif", "oif", "table", "priority"};

    memset(r, 0, sizeof(*r));
    r->iif = r->oif = -1;
    r->label = g_strdup(key + strlen("rule."));
    r->priority = 1000 + pos; /* unnumbered rules apply in file order */
    for (unsigned i = 0; t[i]; i += 2) {
        const char *w = t[i], *arg = t[i + 1];
        int which = -1;
        if (!strcmp(w, "lookup"))
            w = "table";
        if (!strcmp(w, "pref"))
            w = "priority";
        for (unsigned j = 0; j < MP_ARRAY_LEN(words); j++)
            if (!strcmp(w, words[j]))
                which = (int)j;
        if (which < 0 || seen[which] || !arg) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "%s '%s'; expected %s",
                 which < 0 ? "unexpected" : seen[which] ? "given twice:" : "no value after", w,
                 RULE_FORM);
            goto out;
        }
        seen[which] = true;
        if (which <= 1) {
            struct mp_scn_prefix *p = which == 0 ? &r->from : &r->to;
            const char *why;
            if (!strcmp(arg, "all"))
                continue;
            if ((why = parse_prefix(arg, true, p)) != NULL) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "%s: expected a prefix like 10.0.2.0/24 or all, got '%s' (%s)", w, arg, why);
                goto out;
            }
            if (!host_bits_zero(p)) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "%s: prefix '%s' has host bits set", w,
                     arg);
                goto out;
            }
            *(which == 0 ? &r->has_from : &r->has_to) = true;
        } else if (which <= 3) {
            if (!resolve_iface(c, g, key, n, arg, which == 2 ? &r->iif : &r->oif))
                goto out;
        } else if (which == 4) {
            if (!parse_table(arg, &r->table)) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "table: expected main, local, default or an integer from 1 to 4294967295, "
                     "got '%s'",
                     arg);
                goto out;
            }
        } else {
            uint64_t p;
            if (mp_units_parse_uint(arg, 32767, &p) != 0) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "priority: expected an integer from 0 to 32767, got '%s'", arg);
                goto out;
            }
            r->priority = (uint32_t)p;
        }
    }
    if (!seen[4]) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "a rule needs table N; expected %s", RULE_FORM);
        goto out;
    }
    if (r->has_from && r->has_to && r->from.ip.v != r->to.ip.v) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "from and to are of different address families");
        goto out;
    }
    ok = true;
out:
    g_strfreev(t);
    return ok;
}

/* A shared object's (or a delivery trace's) path as written: "@build/..."
 * is in the build folder of the running program (the folder above its own:
 * build/tools/afmp-sim -> build/), for what afmp builds itself; other
 * relative paths are relative to the scenario file, so a scenario and its
 * plug-ins and traces move together. Takes |p| (g_free) and returns the
 * resolved path. */
static char *resolve_so_path(const struct rctx *c, char *p)
{
    if (g_str_has_prefix(p, "@build/")) {
        char *exe = g_file_read_link("/proc/self/exe", NULL);
        char *bin = exe ? g_path_get_dirname(exe) : g_strdup(".");
        char *root = g_path_get_dirname(bin);
        char *full = g_build_filename(root, p + 7, NULL);
        g_free(exe);
        g_free(bin);
        g_free(root);
        g_free(p);
        p = full;
    }
    if (!g_path_is_absolute(p)) {
        char *dir = g_path_get_dirname(c->doc->file);
        char *full = g_build_filename(dir, p, NULL);
        g_free(dir);
        g_free(p);
        p = full;
    }
    return p;
}

/* mptcp.pm, mptcp.scheduler and mptcp.cc also take "plugin:PATH", a
 * policy loaded from a shared object (afmp/mptcp_policy.h). */
static int policy_kind_of(const char *key)
{
    if (!strcmp(key, "mptcp.scheduler"))
        return MP_MPTCP_POLICY_SCHED;
    if (!strcmp(key, "mptcp.pm"))
        return MP_MPTCP_POLICY_PM;
    if (!strcmp(key, "mptcp.cc"))
        return MP_MPTCP_POLICY_CC;
    return 0;
}

/* An option's string, releasing the policy it names (the scenario holds
 * one reference per option that names a loaded policy). */
static void opt_clear_s(struct mp_scn_opt *o)
{
    if (o->s && g_str_has_prefix(o->s, MP_MPTCP_POLICY_PREFIX) && policy_kind_of(o->def->key))
        mp_mptcp_policy_unload(o->s);
    g_free(o->s);
    o->s = NULL;
}

/* Loads the policy now, so that every problem with the object (missing,
 * not loadable, no descriptor, another ABI version, another kind) is
 * reported with the file, line, group and key. */
static bool parse_policy(struct rctx *c, const struct dgroup *g, const struct mp_scn_opt_def *d,
                         const char *text, int kind, struct mp_scn_opt *o)
{
    const char *rest = text + strlen(MP_MPTCP_POLICY_PREFIX);
    const char *what = mp_mptcp_policy_kind_name((enum mp_mptcp_policy_kind)kind);
    if (!*rest)
        return fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE,
                    "expected plugin:FILE.so (a %s built against afmp/mptcp_policy.h), got '%s'",
                    what, text);
    char *path = resolve_so_path(c, g_strdup(rest));
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        fail(c, g, d->key, MP_SCENARIO_ERROR_REFERENCE,
             "no such shared object '%s' (expected plugin:FILE.so, a %s; relative paths start at "
             "the scenario's folder, @build/ at the build folder)",
             path, what);
        g_free(path);
        return false;
    }
    GError *e = NULL;
    const char *name = mp_mptcp_policy_load(path, (enum mp_mptcp_policy_kind)kind, &e);
    if (!name) {
        fail(c, g, d->key, MP_SCENARIO_ERROR_REFERENCE, "'%s': %s", path, e->message);
        g_error_free(e);
        g_free(path);
        return false;
    }
    g_free(path);
    o->s = g_strdup(name);
    o->u = UINT64_MAX;
    return true;
}

static bool parse_opt(struct rctx *c, const struct dgroup *g, const struct mp_scn_opt_def *d,
                      const char *text, bool from_file, struct mp_scn_opt *o)
{
    int rc = 0;
    bool b = false;
    uint32_t ppm = 0;
    const char *form = NULL;

    o->def = d;
    o->set = from_file;
    opt_clear_s(o);
    switch (d->type) {
    case MP_SCN_OPT_BOOL:
        rc = mp_units_parse_bool(text, &b);
        o->u = b;
        form = "on or off (also true/false, yes/no)";
        break;
    case MP_SCN_OPT_UINT:
        rc = mp_units_parse_uint(text, d->max ? d->max : UINT64_MAX, &o->u);
        form = "an integer";
        break;
    case MP_SCN_OPT_TIME:
        rc = mp_units_parse_time(text, &o->u);
        form = expected_form[V_TIME];
        break;
    case MP_SCN_OPT_SIZE:
        rc = mp_units_parse_size(text, &o->u);
        form = expected_form[V_SIZE];
        break;
    case MP_SCN_OPT_RATE:
        rc = mp_units_parse_rate(text, &o->u);
        form = expected_form[V_RATE];
        break;
    case MP_SCN_OPT_PPM:
        rc = mp_units_parse_ppm(text, &ppm);
        o->u = ppm;
        form = expected_form[V_PPM];
        break;
    case MP_SCN_OPT_ENUM:
        if (policy_kind_of(d->key) && g_str_has_prefix(text, MP_MPTCP_POLICY_PREFIX))
            return parse_policy(c, g, d, text, policy_kind_of(d->key), o);
        rc = MP_UNITS_ESYNTAX;
        for (unsigned i = 0; d->choices[i]; i++)
            if (!strcmp(text, d->choices[i])) {
                o->u = i;
                rc = 0;
            }
        if (rc) {
            char *l = g_strjoinv(", ", (gchar **)d->choices);
            fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE, "expected one of %s%s, got '%s'", l,
                 policy_kind_of(d->key) ? " or plugin:FILE.so" : "", text);
            g_free(l);
            return false;
        }
        o->s = g_strdup(text);
        return true;
    case MP_SCN_OPT_STRING:
        o->s = g_strdup(text);
        return true;
    case MP_SCN_OPT_ENDPOINTS: {
        struct mp_mptcp_endpoint eps[MP_MPTCP_MAX_ENDPOINTS];
        size_t n = 0;
        char *why = NULL, *trimmed = g_strstrip(g_strdup(text));
        bool none = !*trimmed;
        g_free(trimmed);
        if (!none && !mp_mptcp_parse_endpoints(text, eps, G_N_ELEMENTS(eps), &n, &why)) {
            fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE,
                 "%s (expected ADDR FLAG... [id N], comma-separated; flags signal, subflow, "
                 "backup, fullmesh)",
                 why);
            g_free(why);
            return false;
        }
        o->s = g_strdup(text);
        return true;
    }
    case MP_SCN_OPT_SIZES: {
        /* As the sysctl: "min default max", or one size. */
        char **t = g_strsplit_set(text, " \t", -1);
        uint64_t v[3] = {0, 0, 0};
        guint n = 0, words = 0;
        rc = 0;
        for (guint i = 0; t[i]; i++) {
            if (!*t[i])
                continue;
            if (words++ >= 3 || rc)
                continue;
            /* Bare numbers are bytes, as the sysctl writes them. */
            rc = mp_units_parse_uint(t[i], UINT64_MAX, &v[n]);
            if (rc)
                rc = mp_units_parse_size(t[i], &v[n]);
            n++;
        }
        g_strfreev(t);
        form = "one size, or three: min default max (like 4096 131072 6MiB)";
        if (words != 1 && words != 3)
            return fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s'", form, text);
        if (rc)
            return fail_unit(c, g, d->key, form, text, rc);
        if (n == 3 && (v[0] > v[1] || v[1] > v[2]))
            return fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE,
                        "expected min <= default <= max, got '%s'", text);
        o->u = n == 3 ? v[1] : v[0];
        o->s = n == 3 ? g_strdup_printf("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                                        v[0], v[1], v[2])
                      : g_strdup_printf("%" G_GUINT64_FORMAT, v[0]);
        return true;
    }
    }
    if (rc == 0)
        return true;
    if (d->type == MP_SCN_OPT_UINT)
        return fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE,
                    "expected an integer from 0 to %" G_GUINT64_FORMAT ", got '%s' (%s)",
                    d->max ? d->max : UINT64_MAX, text, mp_units_strerror(rc));
    if (d->type == MP_SCN_OPT_BOOL)
        return fail(c, g, d->key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s'%s", form, text,
                    comment_hint(text));
    return fail_unit(c, g, d->key, form, text, rc);
}

/* ---- router advertisements -------------------------------------------- */

#define RA_WORDS "valid, preferred, interval or router-lifetime"

/* A lifetime of an RA: whole seconds (the field's unit) or "infinite". */
static bool ra_seconds(struct rctx *c, const struct dgroup *g, const char *key, const char *word,
                       const char *v, bool infinite_ok, uint32_t *out)
{
    mp_time_t t;
    int rc;
    if (infinite_ok && !strcmp(v, "infinite")) {
        *out = MP_SCN_RA_INFINITY;
        return true;
    }
    if ((rc = mp_units_parse_time(v, &t)) != 0)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "%s: expected a time in whole seconds like 600s%s, got '%s' (%s)", word,
                    infinite_ok ? ", or infinite" : "", v, mp_units_strerror(rc));
    if (t % MP_S(1) || t / MP_S(1) >= MP_SCN_RA_INFINITY)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "%s: expected whole seconds below 4294967295s (router advertisements carry "
                    "seconds), got '%s'",
                    word, v);
    *out = (uint32_t)(t / MP_S(1));
    return true;
}

/* "PREFIX/LEN [valid T] [preferred T]", and with |is_key| (ra.IFNAME)
 * also "[interval T] [router-lifetime T]"; defaults from RFC 4861 6.2.1. */
static bool parse_ra(struct rctx *c, const struct dgroup *g, const char *key, gchar **t,
                     bool is_key, struct mp_scn_ra *ra)
{
    const char *form = is_key ? "PREFIX/LEN [valid T|infinite] [preferred T|infinite] [interval T] "
                                "[router-lifetime T]"
                              : "PREFIX/LEN [valid T|infinite] [preferred T|infinite]";
    bool seen[4] = {false, false, false, false};
    const char *why = t[0] ? parse_prefix(t[0], false, &ra->prefix) : "nothing given";
    if (!why && ra->prefix.ip.v != 6)
        why = "router advertisements carry IPv6 prefixes";
    if (!why && !host_bits_zero(&ra->prefix))
        why = "the host bits must be zero";
    if (why)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "expected %s like 2001:db8:1::/64, got '%s' (%s)", form, t[0] ? t[0] : "",
                    why);
    ra->valid = MP_RADV_VALID;
    ra->interval = MP_RADV_INTERVAL;
    for (guint i = 1; t[i]; i += 2) {
        static const char *const words[] = {"valid", "preferred", "interval", "router-lifetime"};
        int w = -1;
        for (int j = 0; j < (is_key ? 4 : 2); j++)
            if (!strcmp(t[i], words[j]))
                w = j;
        if (w < 0)
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s after the prefix, got '%s'",
                        is_key ? RA_WORDS : "valid or preferred", t[i]);
        if (seen[w])
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "%s: given twice", t[i]);
        seen[w] = true;
        if (!t[i + 1])
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "%s: the value is missing (expected %s)",
                        t[i], form);
        uint32_t sec;
        int rc;
        if (w == 0 && !ra_seconds(c, g, key, t[i], t[i + 1], true, &ra->valid))
            return false;
        if (w == 1 && !ra_seconds(c, g, key, t[i], t[i + 1], true, &ra->preferred))
            return false;
        if (w == 2) {
            /* RFC 4861 6.2.1 wants 4s..1800s; Mobile IPv6 (RFC 6275 7.5)
             * goes down to 30ms, which short simulations want too. */
            if ((rc = mp_units_parse_time(t[i + 1], &ra->interval)) != 0)
                return fail_unit(c, g, key, "interval: a time from 30ms to 1800s", t[i + 1], rc);
            if (ra->interval < MP_MS(30) || ra->interval > MP_S(1800))
                return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                            "interval: expected a time from 30ms to 1800s, got '%s'", t[i + 1]);
        }
        if (w == 3) {
            if (!ra_seconds(c, g, key, t[i], t[i + 1], false, &sec))
                return false;
            if (sec > 9000)
                return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                            "router-lifetime: expected 0s to 9000s (RFC 4861 6.2.1), got '%s'",
                            t[i + 1]);
            ra->router_lifetime = sec;
        }
    }
    if (!seen[1])
        ra->preferred = MIN(MP_RADV_PREFERRED, ra->valid);
    if (ra->preferred > ra->valid)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "the preferred lifetime is above the valid one: hosts would ignore the prefix "
                    "(RFC 4862 5.5.3 c)");
    if (!seen[3])
        ra->router_lifetime = mp_radv_default_lifetime(ra->interval);
    else if (ra->router_lifetime && MP_S(ra->router_lifetime) < ra->interval)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "router-lifetime: expected 0s or at least the interval (RFC 4861 6.2.1)");
    return true;
}

static bool parse_node(struct rctx *c, const struct dgroup *g, struct mp_scn_node *n)
{
    struct node_keys_arg ka = {n->kind};
    unsigned mask = n->kind == MP_SCN_HOST ? MP_SCN_FOR_HOST : MP_SCN_FOR_ROUTER;
    GPtrArray *cands = g_ptr_array_new();
    GArray *ifaces = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_iface));
    GArray *routes = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_route));
    GArray *rules = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_rule));
    GArray *ras = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_ra));
    bool ok = false, bad;

    g_ptr_array_add(cands, "iface.*");
    g_ptr_array_add(cands, "route.*");
    g_ptr_array_add(cands, "rule.*");
    g_ptr_array_add(cands, "ra.*");
    g_ptr_array_add(cands, "capture");
    for (size_t i = 0; i < MP_ARRAY_LEN(options); i++)
        if (options[i].for_kinds & mask)
            g_ptr_array_add(cands, (gpointer)options[i].key);
    /* Keys of the other node kind are suggested as such rather than as typos. */
    for (guint i = 0; i < g->keys->len; i++) {
        const struct dkey *k = g->keys->pdata[i];
        for (size_t j = 0; j < MP_ARRAY_LEN(options); j++)
            if (!strcmp(k->key, options[j].key) && !(options[j].for_kinds & mask)) {
                fail(c, g, k->key, MP_SCENARIO_ERROR_UNKNOWN, "'%s' applies to %s only",
                     k->key, n->kind == MP_SCN_HOST ? "routers" : "hosts");
                goto out;
            }
    }
    if (!check_keys(c, g, known_node_key, &ka, cands, NULL))
        goto out;

    /* Interfaces first: routes and rules refer to them in any order. */
    n->ifaces = NULL;
    for (guint i = 0; i < g->keys->len; i++) {
        const struct dkey *k = g->keys->pdata[i];
        struct mp_scn_iface f = {0};
        if (!g_str_has_prefix(k->key, "iface."))
            continue;
        const char *iname = k->key + strlen("iface.");
        if (!valid_name(iname, true)) {
            fail(c, g, k->key, MP_SCENARIO_ERROR_SYNTAX,
                 "expected iface.NAME with NAME of letters, digits, '-', '_' and '.', starting "
                 "with a letter");
            goto out;
        }
        char *v = get_value(c, g, k->key, &bad);
        if (!v)
            goto out;
        gchar **t = tokens(v);
        GArray *addrs = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_prefix));
        f.name = g_strdup(iname);
        f.link = -1;
        f.line = k->line;
        g_array_append_val(ifaces, f);
        for (unsigned j = 0; t[j]; j++) {
            struct mp_scn_prefix p;
            const char *why = parse_prefix(t[j], false, &p);
            if (why) {
                fail(c, g, k->key, MP_SCENARIO_ERROR_VALUE,
                     "expected " ADDR_FORM " (several separated by spaces), got '%s' (%s)", t[j],
                     why);
                break;
            }
            /* An address appears once per node (weak host model). */
            bool dup = false;
            for (guint a = 0; a < ifaces->len && !dup; a++) {
                const struct mp_scn_iface *o = &g_array_index(ifaces, struct mp_scn_iface, a);
                const struct mp_scn_prefix *list =
                    a + 1 == ifaces->len ? (const struct mp_scn_prefix *)(void *)addrs->data
                                         : o->addrs;
                size_t cnt = a + 1 == ifaces->len ? addrs->len : o->n_addrs;
                for (size_t b = 0; b < cnt; b++)
                    if (mp_ip_eq(&list[b].ip, &p.ip))
                        dup = true;
            }
            if (dup) {
                fail(c, g, k->key, MP_SCENARIO_ERROR_DUPLICATE,
                     "address '%s' is already configured on %s", t[j], n->name);
                break;
            }
            g_array_append_val(addrs, p);
        }
        struct mp_scn_iface *last = &g_array_index(ifaces, struct mp_scn_iface, ifaces->len - 1);
        last->n_addrs = addrs->len;
        last->addrs = (struct mp_scn_prefix *)(void *)g_array_free(addrs, FALSE);
        bool failed = t[0] && last->n_addrs != g_strv_length(t);
        g_strfreev(t);
        g_free(v);
        if (failed)
            goto out;
    }
    n->n_ifaces = ifaces->len;
    n->ifaces = (struct mp_scn_iface *)(void *)ifaces->data;

    /* Options: every row for the kind, defaulted, in table order. */
    n->opts = g_new0(struct mp_scn_opt, MP_ARRAY_LEN(options));
    n->n_opts = 0;
    for (size_t i = 0; i < MP_ARRAY_LEN(options); i++) {
        const struct mp_scn_opt_def *d = &options[i];
        if (!(d->for_kinds & mask))
            continue;
        struct mp_scn_opt *o = &n->opts[n->n_opts++];
        const char *def = n->kind == MP_SCN_ROUTER && d->def_router ? d->def_router : d->def_host;
        char *v = get_value(c, g, d->key, &bad);
        if (bad)
            goto out;
        bool okv = parse_opt(c, g, d, v ? v : def, v != NULL, o);
        g_free(v);
        if (!okv)
            goto out;
    }
    n->capture = n->kind == MP_SCN_HOST;
    if (!read_bool(c, g, "capture", &n->capture))
        goto out;

    for (guint i = 0; i < g->keys->len; i++) {
        const struct dkey *k = g->keys->pdata[i];
        struct mp_scn_ra ra = {0};
        if (!g_str_has_prefix(k->key, "ra."))
            continue;
        if (!resolve_iface(c, g, k->key, n, k->key + strlen("ra."), &ra.iface))
            goto out;
        char *v = get_value(c, g, k->key, &bad);
        if (!v)
            goto out;
        gchar **t = tokens(v);
        bool okr = parse_ra(c, g, k->key, t, true, &ra);
        g_strfreev(t);
        g_free(v);
        if (!okr)
            goto out;
        ra.line = k->line;
        g_array_append_val(ras, ra);
    }

    for (guint i = 0; i < g->keys->len; i++) {
        const struct dkey *k = g->keys->pdata[i];
        bool is_route = g_str_has_prefix(k->key, "route.");
        if (!is_route && !g_str_has_prefix(k->key, "rule."))
            continue;
        const char *label = strchr(k->key, '.') + 1;
        if (!valid_label(label)) {
            fail(c, g, k->key, MP_SCENARIO_ERROR_SYNTAX,
                 "expected %s.LABEL with LABEL of letters, digits, '-', '_' and '.'",
                 is_route ? "route" : "rule");
            goto out;
        }
        char *v = get_value(c, g, k->key, &bad);
        if (!v)
            goto out;
        bool okr;
        if (is_route) {
            struct mp_scn_route r;
            okr = parse_route(c, g, k->key, n, v, &r);
            r.line = k->line;
            g_array_append_val(routes, r); /* appended even on error, for freeing */
        } else {
            struct mp_scn_rule r;
            okr = parse_rule(c, g, k->key, n, v, rules->len, &r);
            r.line = k->line;
            g_array_append_val(rules, r);
        }
        g_free(v);
        if (!okr)
            goto out;
    }
    /* Rules apply by priority; equal priorities keep file order. */
    for (guint i = 1; i < rules->len; i++) {
        struct mp_scn_rule x = g_array_index(rules, struct mp_scn_rule, i);
        guint j = i;
        while (j > 0 && g_array_index(rules, struct mp_scn_rule, j - 1).priority > x.priority) {
            g_array_index(rules, struct mp_scn_rule, j) =
                g_array_index(rules, struct mp_scn_rule, j - 1);
            j--;
        }
        g_array_index(rules, struct mp_scn_rule, j) = x;
    }
    ok = true;
out:
    n->n_ifaces = ifaces->len;
    n->ifaces = (struct mp_scn_iface *)(void *)g_array_free(ifaces, FALSE);
    n->n_routes = routes->len;
    n->routes = (struct mp_scn_route *)(void *)g_array_free(routes, FALSE);
    n->routes_auto = n->n_routes == 0;
    n->n_rules = rules->len;
    n->rules = (struct mp_scn_rule *)(void *)g_array_free(rules, FALSE);
    n->n_ras = ras->len;
    n->ras = (struct mp_scn_ra *)(void *)g_array_free(ras, FALSE);
    g_ptr_array_unref(cands);
    return ok;
}

/* ---- links ------------------------------------------------------------ */

/* Splits "rate.ab" into the parameter row and the direction mask. Returns
 * the row index or -1. */
static int link_param_of(const char *key, unsigned *dirs)
{
    size_t l = strlen(key);
    *dirs = 3;
    char *base = g_strdup(key);
    if (l > 3 && (!strcmp(key + l - 3, ".ab") || !strcmp(key + l - 3, ".ba"))) {
        *dirs = !strcmp(key + l - 3, ".ab") ? 1 : 2;
        base[l - 3] = '\0';
    }
    int found = -1;
    for (unsigned i = 0; i < MP_ARRAY_LEN(link_params); i++)
        if (!strcmp(base, link_params[i].key))
            found = (int)i;
    g_free(base);
    return found;
}

static bool known_link_key(const char *k, void *arg)
{
    unsigned d;
    return !strcmp(k, "a") || !strcmp(k, "b") || !strcmp(k, "mtu") || !strcmp(k, "framing") ||
           !strcmp(k, "kind") || !strcmp(k, "wifi.standard") || !strcmp(k, "wifi.manager") ||
           !strcmp(k, "wifi.distance") || !strcmp(k, "wifi.speed") || link_param_of(k, &d) >= 0;
}

static void dir_set(struct mp_scn_dir *d, enum mp_scn_link_param p, uint64_t v, bool bytes)
{
    switch (p) {
    case MP_SCN_LP_RATE: d->rate = v; break;
    case MP_SCN_LP_DELAY: d->delay = v; break;
    case MP_SCN_LP_QUEUE: d->queue_limit = v; d->queue_bytes = bytes; break;
    case MP_SCN_LP_LOSS: d->loss = (uint32_t)v; break;
    case MP_SCN_LP_GE_P: d->ge_p = (uint32_t)v; d->ge = true; break;
    case MP_SCN_LP_GE_R: d->ge_r = (uint32_t)v; d->ge = true; break;
    case MP_SCN_LP_GE_LOSS_GOOD: d->ge_loss_good = (uint32_t)v; d->ge = true; break;
    case MP_SCN_LP_GE_LOSS_BAD: d->ge_loss_bad = (uint32_t)v; d->ge = true; break;
    case MP_SCN_LP_CORRUPT: d->corrupt = (uint32_t)v; break;
    case MP_SCN_LP_DUPLICATE: d->duplicate = (uint32_t)v; break;
    case MP_SCN_LP_REORDER: d->reorder = (uint32_t)v; break;
    case MP_SCN_LP_REORDER_DELAY: d->reorder_delay = v; break;
    case MP_SCN_LP_MIDDLEBOX: break; /* a list, set by the caller */
    case MP_SCN_LP_TRACE: break;     /* a file, set by the caller */
    }
}

#define E_ZERO (-100) /* below every mp_units_error */

/* A link parameter value; "unlimited" is a rate of 0. Returns a unit error
 * code or 0. */
static int parse_link_value(unsigned row, const char *v, uint64_t *out, bool *bytes)
{
    if (link_params[row].param == MP_SCN_LP_RATE && !strcmp(v, "unlimited")) {
        *out = 0;
        *bytes = false;
        return 0;
    }
    int rc = parse_vtype(link_params[row].type, v, out, bytes);
    if (rc == 0 && *out == 0 &&
        (link_params[row].param == MP_SCN_LP_RATE || link_params[row].param == MP_SCN_LP_QUEUE))
        return E_ZERO; /* a zero rate or queue would pass nothing */
    return rc;
}

static const char *link_reason(unsigned row, int rc)
{
    if (rc == E_ZERO)
        return link_params[row].param == MP_SCN_LP_RATE
                   ? "a rate of zero sends nothing; write unlimited or leave the key out"
                   : "a queue of zero holds nothing";
    return mp_units_strerror(rc);
}

static const char *link_form(unsigned row)
{
    if (link_params[row].param == MP_SCN_LP_RATE)
        return "a rate like 10Mbit (units bit, kbit, Mbit, Gbit; 1000-based) or unlimited";
    return expected_form[link_params[row].type];
}

/* "client.eth0" -> node and iface indices. */
static bool resolve_end(struct rctx *c, const struct dgroup *g, const char *key, const char *v,
                        int *node, int *iface)
{
    const char *dot = strchr(v, '.');
    if (!dot || dot == v || !dot[1])
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "expected NODE.IFACE like client.eth0, got '%s'", v);
    char *nname = g_strndup(v, (gsize)(dot - v));
    if (!c->node_by_name || g_hash_table_size(c->node_by_name) != c->nodes->len) {
        if (c->node_by_name)
            g_hash_table_destroy(c->node_by_name);
        c->node_by_name = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < c->nodes->len; i++)
            g_hash_table_insert(c->node_by_name, g_array_index(c->nodes, struct mp_scn_node, i).name,
                                GUINT_TO_POINTER(i + 1));
    }
    int ni = (int)GPOINTER_TO_UINT(g_hash_table_lookup(c->node_by_name, nname)) - 1;
    if (ni < 0) {
        GPtrArray *cands = g_ptr_array_new();
        for (guint i = 0; i < c->nodes->len; i++)
            g_ptr_array_add(cands, g_array_index(c->nodes, struct mp_scn_node, i).name);
        fail_ref(c, g, key, "node", nname, cands, "declare [host NAME] or [router NAME]");
        g_ptr_array_unref(cands);
        g_free(nname);
        return false;
    }
    g_free(nname);
    *node = ni;
    return resolve_iface(c, g, key, &g_array_index(c->nodes, struct mp_scn_node, ni), dot + 1,
                         iface);
}

/* A middlebox list |v| for link |l| (key |key| of |g|; |param| prefixes
 * the message, for events). A nat44 without an address gets the first
 * IPv4 address of end a's interface: the NAT box's own outside address. */
static bool parse_mbox(struct rctx *c, const struct dgroup *g, const char *key, const char *param,
                       const char *v, const struct mp_scn_link *l, struct mp_mbox_list *out)
{
    char *why = NULL, *unknown = NULL;

    if (!mp_mbox_parse(v, out, &why, &unknown)) {
        const char *s = NULL;
        if (unknown) {
            GPtrArray *cands = g_ptr_array_new();
            for (int k = 0; k < MP_MBOX__COUNT; k++)
                g_ptr_array_add(cands, (gpointer)mp_mbox_kind_name((enum mp_mbox_kind)k));
            s = closest(unknown, cands);
            g_ptr_array_unref(cands);
        }
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "%sexpected %s, got '%s' (%s%s%s%s%s)", param,
             expected_form[V_MBOX], v, why, s ? "; did you mean '" : "", s ? s : "",
             s ? "'?" : "", comment_hint(v));
        g_free(why);
        g_free(unknown);
        return false;
    }
    for (unsigned i = 0; i < out->n; i++) {
        struct mp_mbox *m = &out->m[i];
        if (m->kind != MP_MBOX_NAT44 || m->addr.v)
            continue;
        const struct mp_scn_node *n = &g_array_index(c->nodes, struct mp_scn_node, l->node[0]);
        const struct mp_scn_iface *f = &n->ifaces[l->iface[0]];
        for (size_t j = 0; j < f->n_addrs && !m->addr.v; j++)
            if (f->addrs[j].ip.v == 4)
                m->addr = f->addrs[j].ip;
        if (!m->addr.v)
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                        "%snat44 takes the first IPv4 address of end a, but %s.%s has none; "
                        "write the outside address: nat44 ADDR",
                        param, n->name, f->name);
    }
    return true;
}

/* "5m", "2.5m", "1.5m/s": a non-negative decimal with its unit, in
 * thousandths (millimetres, millimetres per second), at most 100 km. */
static bool read_milli(struct rctx *c, const struct dgroup *g, const char *key, const char *unit,
                       uint32_t *out)
{
    bool bad;
    char *v = get_value(c, g, key, &bad);
    if (bad)
        return false;
    if (!v)
        return true;
    char *end;
    double x = g_ascii_strtod(v, &end);
    bool ok = end != v && !strcmp(end, unit) && x >= 0 && x <= 1e5;
    if (!ok)
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected a number with its unit like 5%s, got '%s'",
             unit, v);
    else
        *out = (uint32_t)(x * 1000 + 0.5);
    g_free(v);
    return ok;
}

static bool one_of(struct rctx *c, const struct dgroup *g, const char *key,
                   const char *const *allowed, const char *dflt, char **out)
{
    bool bad;
    char *v = get_value(c, g, key, &bad);
    if (bad)
        return false;
    if (!v) {
        *out = g_strdup(dflt);
        return true;
    }
    for (const char *const *a = allowed; *a; a++)
        if (!strcmp(v, *a)) {
            *out = v;
            return true;
        }
    char *list = g_strjoinv(", ", (char **)allowed);
    fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected one of %s, got '%s'", list, v);
    g_free(list);
    g_free(v);
    return false;
}

/* kind = p2p | wifi | csma and the wifi.* keys (Wi-Fi and CSMA links are
 * ns-3's). */
static bool parse_wifi(struct rctx *c, const struct dgroup *g, struct mp_scn_link *l)
{
    static const char *const kinds[] = {"p2p", "wifi", "csma", NULL};
    static const char *const standards[] = {"80211a", "80211g", "80211n", "80211ac", NULL};
    static const char *const managers[] = {"minstrel", "ideal", "aarf", NULL};
    char *kind = NULL;
    if (!one_of(c, g, "kind", kinds, "p2p", &kind))
        return false;
    l->wifi = !strcmp(kind, "wifi");
    l->csma = !strcmp(kind, "csma");
    l->kind_line = key_line(g, "kind");
    g_free(kind);
    static const char *const wkeys[] = {"wifi.standard", "wifi.manager", "wifi.distance",
                                        "wifi.speed"};
    for (size_t i = 0; i < G_N_ELEMENTS(wkeys); i++)
        if (!l->wifi && group_key(g, wkeys[i]))
            return fail(c, g, wkeys[i], MP_SCENARIO_ERROR_VALUE,
                        "only a link of kind = wifi has this key");
    if (!l->wifi)
        return true;
    l->wifi_distance_mm = 5000;
    return one_of(c, g, "wifi.standard", standards, "80211n", &l->wifi_standard) &&
           one_of(c, g, "wifi.manager", managers, "minstrel", &l->wifi_manager) &&
           read_milli(c, g, "wifi.distance", "m", &l->wifi_distance_mm) &&
           read_milli(c, g, "wifi.speed", "m/s", &l->wifi_speed_mm_s);
}

static bool parse_link(struct rctx *c, const struct dgroup *g, int li, struct mp_scn_link *l)
{
    GPtrArray *cands = g_ptr_array_new();
    bool bad;
    uint64_t v;

    g_ptr_array_add(cands, "a");
    g_ptr_array_add(cands, "b");
    g_ptr_array_add(cands, "mtu");
    g_ptr_array_add(cands, "framing");
    g_ptr_array_add(cands, "kind");
    g_ptr_array_add(cands, "wifi.standard");
    g_ptr_array_add(cands, "wifi.manager");
    g_ptr_array_add(cands, "wifi.distance");
    g_ptr_array_add(cands, "wifi.speed");
    for (unsigned i = 0; i < MP_ARRAY_LEN(link_params); i++)
        g_ptr_array_add(cands, (gpointer)link_params[i].key);
    for (unsigned i = 0; i < MP_ARRAY_LEN(link_params); i++)
        g_ptr_array_add(cands, g_strconcat(link_params[i].key, ".ab", NULL));
    bool ok = check_keys(c, g, known_link_key, NULL, cands,
                         "; rate to trace also as KEY.ab or KEY.ba for one direction");
    for (unsigned i = 9 + MP_ARRAY_LEN(link_params); i < cands->len; i++)
        g_free(cands->pdata[i]);
    g_ptr_array_unref(cands);
    if (!ok)
        return false;

    for (int e = 0; e < 2; e++) {
        const char *key = e ? "b" : "a";
        char *val = get_value(c, g, key, &bad);
        if (!val) {
            if (!bad)
                fail(c, g, key, MP_SCENARIO_ERROR_MISSING,
                     "missing: a link joins two interfaces, a = NODE.IFACE and b = NODE.IFACE");
            return false;
        }
        ok = resolve_end(c, g, key, val, &l->node[e], &l->iface[e]);
        g_free(val);
        if (!ok)
            return false;
        struct mp_scn_node *n = &g_array_index(c->nodes, struct mp_scn_node, l->node[e]);
        struct mp_scn_iface *f = &n->ifaces[l->iface[e]];
        if (f->link >= 0) {
            const struct mp_scn_link *other = &g_array_index(c->links, struct mp_scn_link, f->link);
            return fail(c, g, key, MP_SCENARIO_ERROR_DUPLICATE,
                        "%s.%s is already attached to link %s", n->name, f->name,
                        f->link == li ? l->name : other->name);
        }
        f->link = li;
        f->link_end = e;
    }

    bool present, b = false;
    l->mtu = 1500;
    if (!read_vtype(c, g, "mtu", V_SIZE, &v, &b, &present))
        return false;
    if (present) {
        if (v < 68 || v > 65535)
            return fail(c, g, "mtu", MP_SCENARIO_ERROR_VALUE,
                        "expected a size from 68B to 65535B, got %" G_GUINT64_FORMAT " bytes", v);
        l->mtu = (uint32_t)v;
    }
    char *framing = get_value(c, g, "framing", &bad);
    if (bad)
        return false;
    if (framing) {
        if (!strcmp(framing, "ppp"))
            l->framing = 2;
        else if (strcmp(framing, "none")) {
            fail(c, g, "framing", MP_SCENARIO_ERROR_VALUE, "expected none or ppp, got '%s'",
                 framing);
            g_free(framing);
            return false;
        }
        g_free(framing);
    }
    if (!parse_wifi(c, g, l))
        return false;
    for (int e = 0; e < 2; e++) {
        l->dir[e].queue_limit = 1000; /* Linux's default txqueuelen */
        l->dir[e].ge_loss_bad = 1000000;
    }
    /* Both-direction keys first, then the .ab/.ba ones override. */
    /* Which keys gave each direction a rate or a trace, and at which level
     * (1: both directions, 2: this one), so that rate.ba can follow a
     * trace for both and the other way round. */
    const char *rate_key[2] = {NULL, NULL}, *trace_key[2] = {NULL, NULL};
    int rate_lvl[2] = {0, 0}, trace_lvl[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < g->keys->len; i++) {
            const struct dkey *k = g->keys->pdata[i];
            unsigned dirs;
            int row = link_param_of(k->key, &dirs);
            if (row < 0 || (pass == 0) != (dirs == 3))
                continue;
            char *val = get_value(c, g, k->key, &bad);
            if (!val)
                return false;
            if (link_params[row].param == MP_SCN_LP_TRACE) {
                GError *te = NULL;
                val = resolve_so_path(c, val);
                struct mp_dtrace *t = mp_dtrace_load(val, &te);
                g_free(val);
                if (!t) {
                    fail(c, g, k->key,
                         te->code == MP_DTRACE_ERROR_IO ? MP_SCENARIO_ERROR_REFERENCE
                                                        : MP_SCENARIO_ERROR_VALUE,
                         "expected %s: %s", expected_form[V_TRACE], te->message);
                    g_error_free(te);
                    return false;
                }
                for (int e = 0; e < 2; e++)
                    if (dirs & (1u << e)) {
                        mp_dtrace_unref(l->dir[e].trace);
                        l->dir[e].trace = mp_dtrace_ref(t);
                        trace_key[e] = k->key;
                        trace_lvl[e] = dirs == 3 ? 1 : 2;
                    }
                mp_dtrace_unref(t);
                continue;
            }
            if (link_params[row].param == MP_SCN_LP_RATE)
                for (int e = 0; e < 2; e++)
                    if (dirs & (1u << e)) {
                        rate_key[e] = k->key;
                        rate_lvl[e] = dirs == 3 ? 1 : 2;
                    }
            if (link_params[row].param == MP_SCN_LP_MIDDLEBOX) {
                struct mp_mbox_list ml;
                ok = parse_mbox(c, g, k->key, "", val, l, &ml);
                g_free(val);
                if (!ok)
                    return false;
                for (int e = 0; e < 2; e++)
                    if (dirs & (1u << e))
                        l->dir[e].mbox = ml;
                continue;
            }
            int rc = parse_link_value((unsigned)row, val, &v, &b);
            if (rc) {
                fail(c, g, k->key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s' (%s%s)",
                     link_form((unsigned)row), val, link_reason((unsigned)row, rc),
                     comment_hint(val));
                g_free(val);
                return false;
            }
            g_free(val);
            for (int e = 0; e < 2; e++)
                if (dirs & (1u << e))
                    dir_set(&l->dir[e], link_params[row].param, v, b);
        }
    }
    for (int e = 0; e < 2; e++) {
        struct mp_scn_dir *d = &l->dir[e];
        const char *sfx = e ? ".ba" : ".ab";
        if (rate_lvl[e] && rate_lvl[e] == trace_lvl[e])
            return fail(c, g, trace_key[e], MP_SCENARIO_ERROR_VALUE,
                        "direction %s has both %s and %s: a direction follows a rate or a "
                        "delivery trace, not both (set one direction apart with rate%s or "
                        "trace%s)",
                        sfx + 1, rate_key[e], trace_key[e], sfx, sfx);
        if (rate_lvl[e] > trace_lvl[e]) {
            mp_dtrace_unref(d->trace); /* rate.ab after trace: ab follows the rate */
            d->trace = NULL;
        } else if (trace_lvl[e]) {
            d->rate = 0;
        }
        if (d->ge && (d->ge_p == 0 || d->ge_r == 0)) {
            const char *missing = d->ge_p == 0 ? "ge.p" : "ge.r";
            return fail(c, g, missing, MP_SCENARIO_ERROR_MISSING,
                        "missing (direction %s): Gilbert-Elliott loss needs both ge.p (good to "
                        "bad) and ge.r (bad to good) above 0%%",
                        sfx + 1);
        }
        if (d->reorder && !d->reorder_delay)
            return fail(c, g, "reorder-delay", MP_SCENARIO_ERROR_MISSING,
                        "missing (direction %s): reorder needs reorder-delay, the extra delay of "
                        "reordered packets, like 5ms",
                        sfx + 1);
    }
    /* One NAT serves both directions: its mappings are made going out
     * (a to b) and used coming back. */
    struct mp_ip na[2];
    bool nat[2];
    for (int e = 0; e < 2; e++)
        nat[e] = mp_mbox_list_nat44(&l->dir[e].mbox, &na[e]);
    const char *one = group_key(g, "middlebox.ab") ? "middlebox.ab" : "middlebox.ba";
    if (nat[0] != nat[1])
        return fail(c, g, one, MP_SCENARIO_ERROR_VALUE,
                    "nat44 translates both directions of the link (side a is the inside), so it "
                    "must be in the lists of both: write it in middlebox (or in middlebox.ab "
                    "and middlebox.ba)");
    if (nat[0] && !mp_ip_eq(&na[0], &na[1])) {
        char s0[INET6_ADDRSTRLEN], s1[INET6_ADDRSTRLEN];
        format_ip(&na[0], s0, sizeof(s0));
        format_ip(&na[1], s1, sizeof(s1));
        return fail(c, g, one, MP_SCENARIO_ERROR_VALUE,
                    "nat44 has the outside address %s in direction ab and %s in ba; one NAT "
                    "has one address",
                    s0, s1);
    }
    return true;
}

/* ---- apps ------------------------------------------------------------- */

static bool known_app_key(const char *k, void *arg)
{
    return !strcmp(k, "host") || !strcmp(k, "start") || !strcmp(k, "stop") || !strcmp(k, "stack") ||
           !strcmp(k, "argv") || !strcmp(k, "plugin");
}

static bool resolve_node(struct rctx *c, const struct dgroup *g, const char *key, const char *name,
                         int *out)
{
    for (guint i = 0; i < c->nodes->len; i++)
        if (!strcmp(g_array_index(c->nodes, struct mp_scn_node, i).name, name)) {
            *out = (int)i;
            return true;
        }
    GPtrArray *cands = g_ptr_array_new();
    for (guint i = 0; i < c->nodes->len; i++)
        g_ptr_array_add(cands, g_array_index(c->nodes, struct mp_scn_node, i).name);
    fail_ref(c, g, key, "node", name, cands, "declare [host NAME] or [router NAME]");
    g_ptr_array_unref(cands);
    return false;
}

static bool resolve_host(struct rctx *c, const struct dgroup *g, const char *key, const char *name,
                         int *out)
{
    if (!resolve_node(c, g, key, name, out))
        return false;
    if (g_array_index(c->nodes, struct mp_scn_node, *out).kind != MP_SCN_HOST)
        return fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE,
                    "'%s' is a router; applications run on hosts", name);
    return true;
}

static bool parse_app(struct rctx *c, const struct dgroup *g, struct mp_scn_app *a)
{
    static const char *const keys[] = {"host", "start", "stop", "stack", "argv", "plugin", NULL};
    GPtrArray *cands = cands_of(keys);
    bool ok = check_keys(c, g, known_app_key, NULL, cands, NULL), bad, present, b;
    uint64_t v;
    GError *e = NULL;
    g_ptr_array_unref(cands);
    if (!ok)
        return false;

    char *host = get_value(c, g, "host", &bad);
    if (!host) {
        if (!bad)
            fail(c, g, "host", MP_SCENARIO_ERROR_MISSING,
                 "missing: the host the application runs on, like host = client");
        return false;
    }
    ok = resolve_host(c, g, "host", host, &a->host);
    g_free(host);
    if (!ok)
        return false;
    a->start = 0;
    a->stop = MP_TIME_NEVER;
    if (!read_vtype(c, g, "start", V_TIME, &a->start, &b, &present) ||
        !read_vtype(c, g, "stop", V_TIME, &v, &b, &present))
        return false;
    if (present) {
        if (v <= a->start)
            return fail(c, g, "stop", MP_SCENARIO_ERROR_VALUE,
                        "the stop time must come after the start time");
        a->stop = v;
    }
    /* The process's stack: 256 KiB suits the built-ins; ported programs
     * may want more (a guard page catches an overflow either way). */
    if (!read_vtype(c, g, "stack", V_SIZE, &v, &b, &present))
        return false;
    if (present) {
        if (v < 16384 || v > 1073741824)
            return fail(c, g, "stack", MP_SCENARIO_ERROR_VALUE,
                        "expected a size from 16KiB to 1GiB, got %" G_GUINT64_FORMAT " bytes", v);
        a->stack = (size_t)v;
    }
    char *argv = get_value(c, g, "argv", &bad);
    if (!argv) {
        if (!bad)
            fail(c, g, "argv", MP_SCENARIO_ERROR_MISSING,
                 "missing: the command line, like argv = udp-cbr --to server:9000 --rate 1Mbit");
        return false;
    }
    if (!g_shell_parse_argv(argv, &a->argc, &a->argv, &e)) {
        fail(c, g, "argv", MP_SCENARIO_ERROR_VALUE,
             "expected a command line split like a shell would (quotes allowed), got '%s' (%s)",
             argv, e->message);
        g_error_free(e);
        g_free(argv);
        return false;
    }
    g_free(argv);
    char *plugin = get_value(c, g, "plugin", &bad);
    if (bad)
        return false;
    if (plugin) {
        plugin = resolve_so_path(c, plugin);
        if (!g_file_test(plugin, G_FILE_TEST_IS_REGULAR)) {
            fail(c, g, "plugin", MP_SCENARIO_ERROR_REFERENCE,
                 "no such shared object '%s' (relative paths start at the scenario's folder)",
                 plugin);
            g_free(plugin);
            return false;
        }
        a->plugin = plugin;
        return true;
    }
    const char *const *builtin_apps = mp_scn_builtin_apps();
    if (!mp_apps_lookup(a->argv[0])) {
        GPtrArray *bc = cands_of(builtin_apps);
        const char *s = closest(a->argv[0], bc);
        char *list = g_strjoinv(", ", (gchar **)builtin_apps);
        if (s)
            fail(c, g, "argv", MP_SCENARIO_ERROR_REFERENCE,
                 "unknown built-in application '%s'; did you mean '%s'? (or set plugin = "
                 "FILE.so)",
                 a->argv[0], s);
        else
            fail(c, g, "argv", MP_SCENARIO_ERROR_REFERENCE,
                 "unknown built-in application '%s' (built-ins: %s; or set plugin = FILE.so)",
                 a->argv[0], list);
        g_free(list);
        g_ptr_array_unref(bc);
        return false;
    }
    return true;
}

/* ---- events ----------------------------------------------------------- */

#define EVENT_FORM                                                                             \
    "'TIME link NAME down|up', 'TIME link NAME PARAM VALUE' (PARAM: rate, delay, loss, ...; "  \
    "PARAM.ab or PARAM.ba for one direction), 'TIME link NAME middlebox LIST', "               \
    "'TIME addr add|del NODE.IFACE ADDR/LEN', "                                                \
    "'TIME iface NODE.IFACE down|up', 'TIME ra NODE.IFACE stop|start', "                       \
    "'TIME ra NODE.IFACE PREFIX/LEN [valid T] [preferred T]', "                                 \
    "'TIME lease NODE.IFACE ADDR/LEN for T|lost' or "                                          \
    "'TIME mptcp HOST endpoint add ADDR FLAG... [id N]|del ADDR|change ADDR backup|nobackup'"

/* TIME mptcp HOST endpoint ...: `ip mptcp endpoint` at run time. */
static bool parse_endpoint_event(struct rctx *c, const struct dgroup *g, const char *key,
                                 gchar **t, guint n, struct mp_scn_event *ev)
{
    if (!resolve_host(c, g, key, t[2], &ev->node))
        return false;
    if (n >= 6 && !strcmp(t[4], "add")) {
        gchar *spec = g_strjoinv(" ", t + 5);
        char *why = NULL;
        size_t k = 0;
        bool ok = mp_mptcp_parse_endpoints(spec, &ev->ep, 1, &k, &why);
        g_free(spec);
        if (!ok || k != 1) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "endpoint add: %s",
                 why ? why : "expected one endpoint, ADDR FLAG... [id N]");
            g_free(why);
            return false;
        }
        /* The ID is numbered when applied, among the host's endpoints. */
        if (!g_strv_contains((const gchar *const *)t, "id"))
            ev->ep.id = 0;
        ev->kind = MP_SCN_EV_ENDPOINT_ADD;
        return true;
    }
    bool del = n == 6 && !strcmp(t[4], "del");
    bool change = n == 7 && !strcmp(t[4], "change") &&
                  (!strcmp(t[6], "backup") || !strcmp(t[6], "nobackup"));
    if (!del && !change)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "expected 'mptcp HOST endpoint add ADDR FLAG... [id N]', 'endpoint del "
                    "ADDR' or 'endpoint change ADDR backup|nobackup'");
    if (mp_ip_parse(t[5], &ev->ep.addr) != 0)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "endpoint %s: expected an IPv4 or IPv6 address, got '%s'", t[4], t[5]);
    ev->kind = del ? MP_SCN_EV_ENDPOINT_DEL : MP_SCN_EV_ENDPOINT_CHANGE;
    ev->backup = change && !strcmp(t[6], "backup");
    return true;
}

static bool resolve_link(struct rctx *c, const struct dgroup *g, const char *key, const char *name,
                         int *out)
{
    for (guint i = 0; i < c->links->len; i++)
        if (!strcmp(g_array_index(c->links, struct mp_scn_link, i).name, name)) {
            *out = (int)i;
            return true;
        }
    GPtrArray *cands = g_ptr_array_new();
    for (guint i = 0; i < c->links->len; i++)
        g_ptr_array_add(cands, g_array_index(c->links, struct mp_scn_link, i).name);
    fail_ref(c, g, key, "link", name, cands, "declare [link NAME]");
    g_ptr_array_unref(cands);
    return false;
}

/* "TIME ra NODE.IFACE stop|start" or "TIME ra NODE.IFACE PREFIX/LEN
 * [valid T] [preferred T]", on an interface with an ra.IFACE key. */
static bool parse_ra_event(struct rctx *c, const struct dgroup *g, const char *key, gchar **t,
                           struct mp_scn_event *ev)
{
    if (!resolve_end(c, g, key, t[2], &ev->node, &ev->iface))
        return false;
    const struct mp_scn_node *n = &g_array_index(c->nodes, struct mp_scn_node, ev->node);
    bool sends = false;
    for (size_t i = 0; i < n->n_ras; i++)
        sends = sends || n->ras[i].iface == ev->iface;
    if (!sends)
        return fail(c, g, key, MP_SCENARIO_ERROR_REFERENCE,
                    "%s sends no router advertisements (add ra.%s = PREFIX/LEN to [%s %s])", t[2],
                    n->ifaces[ev->iface].name, n->kind == MP_SCN_HOST ? "host" : "router",
                    n->name);
    if (!t[4] && (!strcmp(t[3], "stop") || !strcmp(t[3], "start"))) {
        ev->kind = !strcmp(t[3], "stop") ? MP_SCN_EV_RA_STOP : MP_SCN_EV_RA_START;
        return true;
    }
    struct mp_scn_ra ra = {0};
    if (!parse_ra(c, g, key, t + 3, false, &ra))
        return false;
    ev->kind = MP_SCN_EV_RA_PREFIX;
    ev->addr = ra.prefix;
    ev->ra_valid = ra.valid;
    ev->ra_preferred = ra.preferred;
    return true;
}

/* "TIME lease NODE.IFACE ADDR/LEN for T" or "... lost". */
static bool parse_lease_event(struct rctx *c, const struct dgroup *g, const char *key, gchar **t,
                              struct mp_scn_event *ev)
{
    const char *form = "'TIME lease NODE.IFACE ADDR/LEN for T' or 'TIME lease NODE.IFACE ADDR/LEN lost'";
    bool lost = !t[5] && !strcmp(t[4], "lost");
    bool lease = t[5] && !t[6] && !strcmp(t[4], "for");
    if (!lost && !lease)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s", form);
    if (!resolve_end(c, g, key, t[2], &ev->node, &ev->iface))
        return false;
    const char *why = parse_prefix(t[3], false, &ev->addr);
    if (why)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected " ADDR_FORM ", got '%s' (%s)",
                    t[3], why);
    ev->kind = lost ? MP_SCN_EV_LEASE_LOST : MP_SCN_EV_LEASE;
    if (lost)
        return true;
    int rc = mp_units_parse_time(t[5], &ev->value);
    if (rc)
        return fail_unit(c, g, key, "the lease time after 'for', a time like 30s", t[5], rc);
    if (ev->value == 0)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "expected a lease time above 0s after 'for' (write 'lost' to end it now)");
    return true;
}

static bool parse_event(struct rctx *c, const struct dgroup *g, const char *key, const char *v,
                        struct mp_scn_event *ev)
{
    gchar **t = tokens(v);
    guint n = g_strv_length(t);
    bool ok = false;
    int rc;

    ev->link = ev->node = ev->iface = -1;
    if (n < 1) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s", EVENT_FORM);
        goto out;
    }
    if ((rc = mp_units_parse_time(t[0], &ev->at)) != 0) {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
             "expected the event time first, %s, got '%s' (%s)", expected_form[V_TIME], t[0],
             mp_units_strerror(rc));
        goto out;
    }
    if (n >= 3 && !strcmp(t[1], "link")) {
        if (!resolve_link(c, g, key, t[2], &ev->link))
            goto out;
        if (n == 4 && (!strcmp(t[3], "down") || !strcmp(t[3], "up"))) {
            ev->kind = !strcmp(t[3], "down") ? MP_SCN_EV_LINK_DOWN : MP_SCN_EV_LINK_UP;
            ok = true;
            goto out;
        }
        int row = n >= 5 ? link_param_of(t[3], &ev->dirs) : -1;
        if (row >= 0 && link_params[row].param == MP_SCN_LP_MIDDLEBOX) {
            const struct mp_scn_link *l = &g_array_index(c->links, struct mp_scn_link, ev->link);
            char *list = g_strjoinv(" ", t + 4);
            char *param = g_strdup_printf("%s: ", t[3]);
            ev->kind = MP_SCN_EV_LINK_SET;
            ev->param = MP_SCN_LP_MIDDLEBOX;
            ok = parse_mbox(c, g, key, param, list, l, &ev->mbox);
            if (ok && ev->dirs != 3 && mp_mbox_list_nat44(&ev->mbox, NULL)) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "%snat44 translates both directions of the link (side a is the inside): "
                     "set it with middlebox, not %s",
                     param, t[3]);
                ok = false;
            }
            g_free(param);
            g_free(list);
            goto out;
        }
        if (row < 0 || n != 5) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s'", EVENT_FORM, v);
            goto out;
        }
        const struct mp_scn_link *el = &g_array_index(c->links, struct mp_scn_link, ev->link);
        if (link_params[row].param == MP_SCN_LP_TRACE) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "%s: a delivery trace is read when the scenario loads and cannot change "
                 "during a run",
                 t[3]);
            goto out;
        }
        if (link_params[row].param == MP_SCN_LP_RATE)
            for (int e = 0; e < 2; e++)
                if ((ev->dirs & (1u << e)) && el->dir[e].trace) {
                    fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                         "%s: direction %s of link %s follows the trace %s, so it has no rate "
                         "to change",
                         t[3], e ? "ba" : "ab", el->name, el->dir[e].trace->name);
                    goto out;
                }
        ev->kind = MP_SCN_EV_LINK_SET;
        ev->param = link_params[row].param;
        rc = parse_link_value((unsigned)row, t[4], &ev->value, &ev->value_bytes);
        if (rc) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "%s: expected %s, got '%s' (%s)", t[3],
                 link_form((unsigned)row), t[4], link_reason((unsigned)row, rc));
            goto out;
        }
        ok = true;
    } else if (n >= 6 && !strcmp(t[1], "mptcp") && !strcmp(t[3], "endpoint")) {
        ok = parse_endpoint_event(c, g, key, t, n, ev);
    } else if (n == 5 && !strcmp(t[1], "addr") &&
               (!strcmp(t[2], "add") || !strcmp(t[2], "del"))) {
        ev->kind = !strcmp(t[2], "add") ? MP_SCN_EV_ADDR_ADD : MP_SCN_EV_ADDR_DEL;
        if (!resolve_end(c, g, key, t[3], &ev->node, &ev->iface))
            goto out;
        const char *why = parse_prefix(t[4], false, &ev->addr);
        if (why) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected " ADDR_FORM ", got '%s' (%s)",
                 t[4], why);
            goto out;
        }
        ok = true;
    } else if (n == 4 && !strcmp(t[1], "iface")) {
        if (strcmp(t[3], "down") && strcmp(t[3], "up")) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "expected 'TIME iface NODE.IFACE down|up', got '%s'", v);
            goto out;
        }
        ev->kind = !strcmp(t[3], "down") ? MP_SCN_EV_IFACE_DOWN : MP_SCN_EV_IFACE_UP;
        ok = resolve_end(c, g, key, t[2], &ev->node, &ev->iface);
    } else if (n >= 4 && !strcmp(t[1], "ra")) {
        ok = parse_ra_event(c, g, key, t, ev);
    } else if (n >= 5 && !strcmp(t[1], "lease")) {
        ok = parse_lease_event(c, g, key, t, ev);
    } else {
        fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s, got '%s'", EVENT_FORM, v);
    }
out:
    if (ok) {
        /* The action as written, without the time, normalised to single spaces. */
        ev->text = g_strjoinv(" ", t + 1);
    }
    g_strfreev(t);
    return ok;
}

/* ---- dns -------------------------------------------------------------- */

static bool valid_dns_name(const char *s)
{
    size_t l = strlen(s), lab = 0;
    if (l == 0 || l > 253)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (lab == 0)
                return false;
            lab = 0;
        } else if (g_ascii_isalnum(*p) || *p == '-' || *p == '_') {
            if (++lab > 63)
                return false;
        } else {
            return false;
        }
    }
    return lab > 0;
}

/* ---- expectations ----------------------------------------------------- */

#define EXPECT_FORM                                                                             \
    "one of: done APP [by TIME]; intact APP; stall APP OP TIME; goodput APP OP RATE; share APP " \
    "LINK|NODE.IFACE OP PERCENT; counter NODE NAME OP N; subflows APP OP N; addrs APP "          \
    "local|peer ==|>= ADDR...; result APP KEY OP VALUE  (OP: == >= <= < > or within LO..HI)"

static const char *const expect_words[] = {
    [MP_SCN_EXP_DONE] = "done",       [MP_SCN_EXP_INTACT] = "intact",
    [MP_SCN_EXP_STALL] = "stall",     [MP_SCN_EXP_GOODPUT] = "goodput",
    [MP_SCN_EXP_SHARE] = "share",     [MP_SCN_EXP_COUNTER] = "counter",
    [MP_SCN_EXP_SUBFLOWS] = "subflows", [MP_SCN_EXP_ADDRS] = "addrs",
    [MP_SCN_EXP_RESULT] = "result",
};

static const char *const op_words[] = {
    [MP_SCN_OP_NONE] = "", [MP_SCN_OP_EQ] = "==", [MP_SCN_OP_GE] = ">=", [MP_SCN_OP_LE] = "<=",
    [MP_SCN_OP_LT] = "<",  [MP_SCN_OP_GT] = ">",  [MP_SCN_OP_WITHIN] = "within",
};

static bool resolve_app(struct rctx *c, const struct dgroup *g, const char *key, const char *name,
                        int *out)
{
    for (guint i = 0; i < c->apps->len; i++)
        if (!strcmp(g_array_index(c->apps, struct mp_scn_app, i).name, name)) {
            *out = (int)i;
            return true;
        }
    GPtrArray *cands = g_ptr_array_new();
    for (guint i = 0; i < c->apps->len; i++)
        g_ptr_array_add(cands, g_array_index(c->apps, struct mp_scn_app, i).name);
    fail_ref(c, g, key, "app", name, cands, "declare [app NAME]");
    g_ptr_array_unref(cands);
    return false;
}

static int parse_unit_value(enum mp_scn_unit u, const char *s, uint64_t *out)
{
    uint32_t ppm = 0;
    int rc;
    switch (u) {
    case MP_SCN_UNIT_COUNT:
        return mp_units_parse_uint(s, UINT64_MAX, out);
    case MP_SCN_UNIT_NS:
        return mp_units_parse_time(s, out);
    case MP_SCN_UNIT_BPS:
        return mp_units_parse_rate(s, out);
    case MP_SCN_UNIT_PPM:
        rc = mp_units_parse_ppm(s, &ppm);
        *out = ppm;
        return rc;
    default:
        return MP_UNITS_ESYNTAX;
    }
}

static const char *unit_form(enum mp_scn_unit u)
{
    switch (u) {
    case MP_SCN_UNIT_COUNT:
        return "an integer";
    case MP_SCN_UNIT_NS:
        return expected_form[V_TIME];
    case MP_SCN_UNIT_BPS:
        return expected_form[V_RATE];
    case MP_SCN_UNIT_PPM:
        return expected_form[V_PPM];
    default:
        return "a value";
    }
}

/* Parses "OP VALUE" or "within LO..HI" from t[0..]. */
static bool parse_comparison(struct rctx *c, const struct dgroup *g, const char *key, gchar **t,
                             struct mp_scn_expect *x)
{
    int op = -1, rc;
    if (!t[0] || !t[1] || t[2]) {
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "expected a comparison after the subject: OP %s with OP one of == >= <= < >, "
                    "or within LO..HI",
                    unit_form(x->unit));
    }
    for (unsigned i = 1; i < MP_ARRAY_LEN(op_words); i++)
        if (!strcmp(t[0], op_words[i]))
            op = (int)i;
    if (op < 0)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                    "expected a comparison operator (== >= <= < > within), got '%s'", t[0]);
    x->op = (enum mp_scn_op)op;
    if (x->op == MP_SCN_OP_WITHIN) {
        const char *dd = strstr(t[1], "..");
        if (!dd)
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                        "expected within LO..HI like within 5Mbit..8Mbit, got '%s'", t[1]);
        char *lo = g_strndup(t[1], (gsize)(dd - t[1]));
        rc = parse_unit_value(x->unit, lo, &x->value);
        if (rc == 0)
            rc = parse_unit_value(x->unit, dd + 2, &x->hi);
        g_free(lo);
        if (rc)
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                        "within: expected LO..HI with %s on both sides, got '%s' (%s)",
                        unit_form(x->unit), t[1], mp_units_strerror(rc));
        if (x->value > x->hi)
            return fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                        "within: the low bound is above the high bound in '%s'", t[1]);
        return true;
    }
    rc = parse_unit_value(x->unit, t[1], &x->value);
    if (rc)
        return fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s after %s, got '%s' (%s)",
                    unit_form(x->unit), t[0], t[1], mp_units_strerror(rc));
    return true;
}

static bool parse_expect(struct rctx *c, const struct dgroup *g, const char *key, const char *v,
                         struct mp_scn_expect *x)
{
    gchar **t = tokens(v);
    guint n = g_strv_length(t);
    bool ok = false;
    int kind = -1;

    x->app = x->node = x->iface = x->link = -1;
    x->text = g_strjoinv(" ", t);
    for (unsigned i = 0; i < MP_ARRAY_LEN(expect_words) && n; i++)
        if (!strcmp(t[0], expect_words[i]))
            kind = (int)i;
    if (kind < 0 || n < 2) {
        GPtrArray *cands = g_ptr_array_new();
        for (unsigned i = 0; i < MP_ARRAY_LEN(expect_words); i++)
            g_ptr_array_add(cands, (gpointer)expect_words[i]);
        const char *s = n ? closest(t[0], cands) : NULL;
        if (s && kind < 0)
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "unknown expectation '%s'; did you mean '%s'?",
                 t[0], s);
        else
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected %s", EXPECT_FORM);
        g_ptr_array_unref(cands);
        goto out;
    }
    x->kind = (enum mp_scn_expect_kind)kind;
    if (x->kind == MP_SCN_EXP_COUNTER) {
        if (!resolve_node(c, g, key, t[1], &x->node))
            goto out;
        if (n < 3 || !valid_name(t[2], false)) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "expected counter NODE NAME OP N, NAME like UdpInDatagrams");
            goto out;
        }
        x->counter = g_strdup(t[2]);
        x->unit = MP_SCN_UNIT_COUNT;
        ok = parse_comparison(c, g, key, t + 3, x);
        goto out;
    }
    if (!resolve_app(c, g, key, t[1], &x->app))
        goto out;
    switch (x->kind) {
    case MP_SCN_EXP_DONE:
        x->unit = MP_SCN_UNIT_NONE;
        if (n == 2) {
            ok = true;
        } else if (n == 4 && !strcmp(t[2], "by")) {
            int rc = mp_units_parse_time(t[3], &x->value);
            if (rc) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "by: expected %s, got '%s' (%s)",
                     expected_form[V_TIME], t[3], mp_units_strerror(rc));
                goto out;
            }
            x->op = MP_SCN_OP_LE;
            x->unit = MP_SCN_UNIT_NS;
            ok = true;
        } else {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected done APP or done APP by TIME");
        }
        break;
    case MP_SCN_EXP_INTACT:
        ok = n == 2 || fail(c, g, key, MP_SCENARIO_ERROR_VALUE, "expected intact APP");
        break;
    case MP_SCN_EXP_STALL:
        x->unit = MP_SCN_UNIT_NS;
        ok = parse_comparison(c, g, key, t + 2, x);
        break;
    case MP_SCN_EXP_GOODPUT:
        x->unit = MP_SCN_UNIT_BPS;
        ok = parse_comparison(c, g, key, t + 2, x);
        break;
    case MP_SCN_EXP_SUBFLOWS:
        x->unit = MP_SCN_UNIT_COUNT;
        ok = parse_comparison(c, g, key, t + 2, x);
        break;
    case MP_SCN_EXP_RESULT:
        /* The key's suffix says the unit, as applications name them:
         * _ns a time, _bps a rate, _ppm a ratio, else a plain count. */
        if (n < 3 || !valid_name(t[2], true)) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "expected result APP KEY OP VALUE, KEY like lost or delay_min_ns");
            goto out;
        }
        x->counter = g_strdup(t[2]);
        x->unit = g_str_has_suffix(t[2], "_ns")    ? MP_SCN_UNIT_NS
                  : g_str_has_suffix(t[2], "_bps") ? MP_SCN_UNIT_BPS
                  : g_str_has_suffix(t[2], "_ppm") ? MP_SCN_UNIT_PPM
                                                   : MP_SCN_UNIT_COUNT;
        ok = parse_comparison(c, g, key, t + 3, x);
        break;
    case MP_SCN_EXP_SHARE:
        if (n < 3) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "expected share APP LINK|NODE.IFACE OP PERCENT");
            goto out;
        }
        if (strchr(t[2], '.')) {
            if (!resolve_end(c, g, key, t[2], &x->node, &x->iface))
                goto out;
        } else if (!resolve_link(c, g, key, t[2], &x->link)) {
            goto out;
        }
        x->unit = MP_SCN_UNIT_PPM;
        ok = parse_comparison(c, g, key, t + 3, x);
        break;
    case MP_SCN_EXP_ADDRS: {
        if (n < 5 || (strcmp(t[2], "local") && strcmp(t[2], "peer")) ||
            (strcmp(t[3], "==") && strcmp(t[3], ">="))) {
            fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                 "expected addrs APP local|peer ==|>= ADDR... (== the same set, >= contains "
                 "all of them)");
            goto out;
        }
        x->peer = !strcmp(t[2], "peer");
        x->op = !strcmp(t[3], "==") ? MP_SCN_OP_EQ : MP_SCN_OP_GE;
        x->unit = MP_SCN_UNIT_ADDRS;
        x->n_addrs = n - 4;
        x->addrs = g_new0(struct mp_ip, x->n_addrs);
        for (guint i = 4; i < n; i++)
            if (!parse_ip(t[i], &x->addrs[i - 4])) {
                fail(c, g, key, MP_SCENARIO_ERROR_VALUE,
                     "expected an address like 10.0.1.2 or 2001:db8::2, got '%s'", t[i]);
                goto out;
            }
        ok = true;
        break;
    }
    default:
        break;
    }
out:
    g_strfreev(t);
    return ok;
}

/* ---- [nameserver] ------------------------------------------------------ */

static const char *const ns_fail_modes[] = {"nxdomain", "timeout", "servfail", "a-only",
                                            "aaaa-only", NULL};

static bool known_ns_key(const char *k, void *arg)
{
    return !strcmp(k, "host") || !strcmp(k, "address") || !strcmp(k, "delay") ||
           (g_str_has_prefix(k, "fail.") && k[5]);
}

static bool parse_nameserver(struct rctx *c, const struct dgroup *g)
{
    static const char *const keys[] = {"host", "address", "delay", "fail.*", NULL};
    struct mp_scn_nameserver *ns = &c->scn->ns;
    GPtrArray *cands = cands_of(keys);
    bool ok = check_keys(c, g, known_ns_key, NULL, cands, NULL), bad, present, b;
    g_ptr_array_unref(cands);
    if (!ok)
        return false;
    ns->present = true;
    ns->line = g->line;
    char *v = get_value(c, g, "host", &bad);
    if (!v) {
        if (!bad)
            fail(c, g, "host", MP_SCENARIO_ERROR_MISSING,
                 "expected the node that runs the name server");
        return false;
    }
    ok = resolve_node(c, g, "host", v, &ns->node);
    g_free(v);
    if (!ok)
        return false;
    const struct mp_scn_node *n = &g_array_index(c->nodes, struct mp_scn_node, ns->node);
    if ((v = get_value(c, g, "address", &bad))) {
        ok = parse_ip(v, &ns->addr);
        bool mine = false;
        for (size_t i = 0; ok && i < n->n_ifaces; i++)
            for (size_t j = 0; j < n->ifaces[i].n_addrs; j++)
                mine = mine || mp_ip_eq(&n->ifaces[i].addrs[j].ip, &ns->addr);
        if (!ok || !mine)
            fail(c, g, "address", MP_SCENARIO_ERROR_VALUE,
                 "expected an address of %s, got '%s'", n->name, v);
        g_free(v);
        if (!ok || !mine)
            return false;
    } else if (bad) {
        return false;
    } else {
        for (size_t i = 0; i < n->n_ifaces && !ns->addr.v; i++)
            if (n->ifaces[i].n_addrs)
                ns->addr = n->ifaces[i].addrs[0].ip;
        if (!ns->addr.v)
            return fail(c, g, "host", MP_SCENARIO_ERROR_VALUE, "%s has no address to serve on",
                        n->name);
    }
    uint64_t d;
    if (!read_vtype(c, g, "delay", V_TIME, &d, &b, &present))
        return false;
    ns->delay = present ? d : 0;
    GArray *fails = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_nsfail));
    for (guint i = 0; i < g->keys->len; i++) {
        const struct dkey *k = g->keys->pdata[i];
        if (!g_str_has_prefix(k->key, "fail."))
            continue;
        char *name = g_ascii_strdown(k->key + 5, -1);
        v = get_value(c, g, k->key, &bad);
        bool known = false;
        for (int m = 0; v && ns_fail_modes[m]; m++)
            known = known || !strcmp(v, ns_fail_modes[m]);
        if (!v || !known || !valid_dns_name(name)) {
            if (v && !valid_dns_name(name))
                fail(c, g, k->key, MP_SCENARIO_ERROR_SYNTAX,
                     "expected fail.NAME with a DNS name like server.example");
            else if (v)
                fail(c, g, k->key, MP_SCENARIO_ERROR_VALUE,
                     "expected nxdomain, timeout, servfail, a-only or aaaa-only, got '%s'", v);
            g_free(v);
            g_free(name);
            ns->fails = (struct mp_scn_nsfail *)g_array_free(fails, FALSE);
            ns->n_fails = 0;
            return false;
        }
        struct mp_scn_nsfail f = {name, v};
        g_array_append_val(fails, f);
    }
    ns->n_fails = fails->len;
    ns->fails = (struct mp_scn_nsfail *)g_array_free(fails, FALSE);
    return true;
}

/* ---- resolve ---------------------------------------------------------- */

static bool check_label(struct rctx *c, const struct dgroup *g, const char *key)
{
    if (valid_label(key))
        return true;
    return fail(c, g, key, MP_SCENARIO_ERROR_SYNTAX,
                "expected a label of letters, digits, '-', '_' and '.' as the key");
}

static bool resolve_all(struct rctx *c)
{
    const struct mp_scn_doc *doc = c->doc;
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    bool ok = false, bad;

    if (!check_format(c))
        goto out;
    /* Pass 1: classify every group and register the names, so references
     * may point forward. */
    for (guint i = 0; i < doc->groups->len; i++) {
        const struct dgroup *g = doc->groups->pdata[i];
        enum gkind kind;
        const char *name;
        if (!classify(c, g, &kind, &name))
            goto out;
        if (kind == G_HOST || kind == G_ROUTER) {
            const struct dgroup *prev = g_hash_table_lookup(names, name);
            if (prev) {
                fail(c, g, NULL, MP_SCENARIO_ERROR_DUPLICATE,
                     "node name '%s' is already used by [%s] at line %u", name, prev->name,
                     prev->line);
                goto out;
            }
            g_hash_table_insert(names, (gpointer)name, (gpointer)g);
            struct mp_scn_node nd = {0};
            nd.name = g_strdup(name);
            nd.kind = kind == G_HOST ? MP_SCN_HOST : MP_SCN_ROUTER;
            nd.line = g->line;
            g_array_append_val(c->nodes, nd);
            g_ptr_array_add(c->node_groups, (gpointer)g);
        } else if (kind == G_LINK) {
            struct mp_scn_link l = {0};
            l.name = g_strdup(name);
            l.line = g->line;
            l.node[0] = l.node[1] = l.iface[0] = l.iface[1] = -1;
            g_array_append_val(c->links, l);
            g_ptr_array_add(c->link_groups, (gpointer)g);
        } else if (kind == G_APP) {
            struct mp_scn_app a = {0};
            a.name = g_strdup(name);
            a.line = g->line;
            a.host = -1;
            g_array_append_val(c->apps, a);
            g_ptr_array_add(c->app_groups, (gpointer)g);
        }
    }
    /* Pass 2: contents, in dependency order. */
    {
        const struct dgroup *g = doc_group(doc, "scenario");
        if (!parse_scenario(c, g))
            goto out;
        if ((g = doc_group(doc, "capture")) && !parse_capture(c, g))
            goto out;
    }
    for (guint i = 0; i < c->nodes->len; i++)
        if (!parse_node(c, c->node_groups->pdata[i], &g_array_index(c->nodes, struct mp_scn_node, i)))
            goto out;
    for (guint i = 0; i < c->links->len; i++)
        if (!parse_link(c, c->link_groups->pdata[i], (int)i,
                        &g_array_index(c->links, struct mp_scn_link, i)))
            goto out;
    for (guint i = 0; i < c->links->len; i++) {
        const struct mp_scn_link *l = &g_array_index(c->links, struct mp_scn_link, i);
        if (l->wifi && c->scn->engine != MP_SCN_ENGINE_NS3) {
            fail(c, c->link_groups->pdata[i], "kind", MP_SCENARIO_ERROR_VALUE,
                 "wifi: only the ns-3 engine has Wi-Fi links ([scenario] engine = ns3, or "
                 "--engine ns3)");
            goto out;
        }
        if (l->csma && c->scn->engine != MP_SCN_ENGINE_NS3) {
            fail(c, c->link_groups->pdata[i], "kind", MP_SCENARIO_ERROR_VALUE,
                 "csma: only the ns-3 engine has CSMA links ([scenario] engine = ns3, or "
                 "--engine ns3)");
            goto out;
        }
    }
    for (guint i = 0; i < c->apps->len; i++)
        if (!parse_app(c, c->app_groups->pdata[i], &g_array_index(c->apps, struct mp_scn_app, i)))
            goto out;
    const struct dgroup *g;
    if ((g = doc_group(doc, "events"))) {
        for (guint i = 0; i < g->keys->len; i++) {
            const struct dkey *k = g->keys->pdata[i];
            struct mp_scn_event ev = {0};
            if (!check_label(c, g, k->key))
                goto out;
            char *v = get_value(c, g, k->key, &bad);
            if (!v)
                goto out;
            bool okv = parse_event(c, g, k->key, v, &ev);
            g_free(v);
            ev.name = g_strdup(k->key);
            ev.line = key_line(g, k->key);
            g_array_append_val(c->events, ev);
            if (!okv)
                goto out;
        }
        /* Time order; same time keeps file order (insertion sort is stable). */
        for (guint i = 1; i < c->events->len; i++) {
            struct mp_scn_event x = g_array_index(c->events, struct mp_scn_event, i);
            guint j = i;
            while (j > 0 && g_array_index(c->events, struct mp_scn_event, j - 1).at > x.at) {
                g_array_index(c->events, struct mp_scn_event, j) =
                    g_array_index(c->events, struct mp_scn_event, j - 1);
                j--;
            }
            g_array_index(c->events, struct mp_scn_event, j) = x;
        }
    }
    if ((g = doc_group(doc, "dns"))) {
        for (guint i = 0; i < g->keys->len; i++) {
            const struct dkey *k = g->keys->pdata[i];
            struct mp_scn_dns d = {0};
            char *lname = g_ascii_strdown(k->key, -1);
            size_t l = strlen(lname);
            if (l > 1 && lname[l - 1] == '.')
                lname[l - 1] = '\0';
            d.name = lname;
            d.line = k->line;
            g_array_append_val(c->dns, d);
            if (!valid_dns_name(lname)) {
                fail(c, g, k->key, MP_SCENARIO_ERROR_SYNTAX,
                     "expected a DNS name like server.example as the key");
                goto out;
            }
            for (guint j = 0; j + 1 < c->dns->len; j++)
                if (!strcmp(g_array_index(c->dns, struct mp_scn_dns, j).name, lname)) {
                    fail(c, g, k->key, MP_SCENARIO_ERROR_DUPLICATE,
                         "the name is already given at line %u (names ignore case)",
                         g_array_index(c->dns, struct mp_scn_dns, j).line);
                    goto out;
                }
            char *v = get_value(c, g, k->key, &bad);
            if (!v)
                goto out;
            gchar **t = tokens(v);
            struct mp_scn_dns *dp = &g_array_index(c->dns, struct mp_scn_dns, c->dns->len - 1);
            dp->n_addrs = g_strv_length(t);
            dp->addrs = g_new0(struct mp_ip, dp->n_addrs);
            bool okv = dp->n_addrs > 0;
            for (size_t j = 0; j < dp->n_addrs && okv; j++)
                okv = parse_ip(t[j], &dp->addrs[j]);
            if (!okv)
                fail(c, g, k->key, MP_SCENARIO_ERROR_VALUE,
                     "expected addresses separated by spaces, like 10.0.2.1 2001:db8:2::1, "
                     "got '%s'",
                     v);
            g_strfreev(t);
            g_free(v);
            if (!okv)
                goto out;
        }
    }
    if ((g = doc_group(doc, "nameserver")) && !parse_nameserver(c, g))
        goto out;
    if ((g = doc_group(doc, "expect"))) {
        for (guint i = 0; i < g->keys->len; i++) {
            const struct dkey *k = g->keys->pdata[i];
            struct mp_scn_expect x = {0};
            if (!check_label(c, g, k->key))
                goto out;
            char *v = get_value(c, g, k->key, &bad);
            if (!v)
                goto out;
            bool okv = parse_expect(c, g, k->key, v, &x);
            g_free(v);
            x.name = g_strdup(k->key);
            x.line = k->line;
            g_array_append_val(c->expects, x);
            if (!okv)
                goto out;
        }
    }
    ok = true;
out:
    g_hash_table_unref(names);
    return ok;
}

#define STEAL(arr, type, field, count)                                                       \
    do {                                                                                     \
        scn->count = c.arr->len;                                                             \
        scn->field = (type *)(void *)g_array_free(c.arr, FALSE);                             \
    } while (0)

struct mp_scenario *mp_scn_doc_resolve(const struct mp_scn_doc *doc, GError **err)
{
    struct mp_scenario *scn = g_new0(struct mp_scenario, 1);
    struct rctx c = {0};

    scn->file = g_strdup(doc->file);
    char *base = g_path_get_basename(doc->file);
    if (g_str_has_suffix(base, ".ini"))
        base[strlen(base) - 4] = '\0';
    scn->name = base;
    scn->duration = MP_S(60);
    scn->seed = 1;
    scn->pcap = scn->pcapng = true;
    scn->snaplen = 256; /* headers and the start of the payload; full on request */

    c.doc = doc;
    c.err = err;
    c.scn = scn;
    c.nodes = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_node));
    c.links = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_link));
    c.apps = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_app));
    c.events = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_event));
    c.dns = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_dns));
    c.expects = g_array_new(FALSE, TRUE, sizeof(struct mp_scn_expect));
    c.node_groups = g_ptr_array_new();
    c.link_groups = g_ptr_array_new();
    c.app_groups = g_ptr_array_new();

    bool ok = resolve_all(&c);

    STEAL(nodes, struct mp_scn_node, nodes, n_nodes);
    STEAL(links, struct mp_scn_link, links, n_links);
    STEAL(apps, struct mp_scn_app, apps, n_apps);
    STEAL(events, struct mp_scn_event, events, n_events);
    STEAL(dns, struct mp_scn_dns, dns, n_dns);
    STEAL(expects, struct mp_scn_expect, expects, n_expects);
    g_ptr_array_unref(c.node_groups);
    g_ptr_array_unref(c.link_groups);
    g_ptr_array_unref(c.app_groups);
    if (c.node_by_name)
        g_hash_table_destroy(c.node_by_name);
    if (!ok) {
        mp_scenario_free(scn);
        return NULL;
    }
    return scn;
}

/* ---- overrides -------------------------------------------------------- */

bool mp_scn_doc_set(struct mp_scn_doc *doc, const char *assignment, GError **err)
{
    const char *eq = strchr(assignment, '=');
    char *lhs, *group = NULL, *key = NULL;
    const char *value;
    bool ok = false;

    if (!eq || eq == assignment) {
        g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_OVERRIDE,
                    "%s: --set %s: expected GROUP.KEY=VALUE like link.l1.delay=20ms or "
                    "scenario.seed=7",
                    doc->file, assignment);
        return false;
    }
    lhs = g_strstrip(g_strndup(assignment, (gsize)(eq - assignment)));
    value = eq + 1;
    while (g_ascii_isspace(*value))
        value++;

    char *dot = strchr(lhs, '.');
    char *kindw = dot ? g_strndup(lhs, (gsize)(dot - lhs)) : g_strdup(lhs);
    int kind = -1;
    for (unsigned k = 0; k < MP_ARRAY_LEN(group_kinds); k++)
        if (!strcmp(kindw, group_kinds[k].word))
            kind = (int)k;
    if (kind < 0) {
        GPtrArray *cands = g_ptr_array_new();
        for (unsigned k = 0; k < MP_ARRAY_LEN(group_kinds); k++)
            g_ptr_array_add(cands, (gpointer)group_kinds[k].word);
        const char *s = closest(kindw, cands);
        g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_UNKNOWN,
                    "%s: --set %s: unknown group kind '%s'%s%s%s (known: scenario, capture, host, "
                    "router, link, app, events, dns, expect)",
                    doc->file, assignment, kindw, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
        g_ptr_array_unref(cands);
        goto out;
    }
    if (group_kinds[kind].named) {
        char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
        if (!dot2 || dot2 == dot + 1 || !dot2[1]) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_OVERRIDE,
                        "%s: --set %s: expected %s.NAME.KEY=VALUE like %s", doc->file, assignment, kindw,
                        kind == G_LINK ? "link.l1.delay=20ms" : kind == G_APP ? "app.a1.start=2s"
                                                                             : "host.client.mptcp=off");
            goto out;
        }
        group = g_strdup_printf("%s %.*s", kindw, (int)(dot2 - dot - 1), dot + 1);
        key = g_strdup(dot2 + 1);
    } else {
        if (!dot || !dot[1]) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_OVERRIDE,
                        "%s: --set %s: expected %s.KEY=VALUE like scenario.seed=7", doc->file, assignment,
                        kindw);
            goto out;
        }
        group = g_strdup(kindw);
        key = g_strdup(dot + 1);
    }
    struct dgroup *g = doc_group(doc, group);
    if (!g) {
        if (group_kinds[kind].named) {
            g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_OVERRIDE,
                        "%s: --set %s: the file has no group [%s]; --set changes existing %ss only",
                        doc->file, assignment, group, kindw);
            goto out;
        }
        g = group_new(doc, group, 0);
        g->override = g_strdup(assignment);
    }
    struct dkey *k = group_key(g, key);
    if (!k)
        k = key_new(g, key, 0);
    g_free(k->override);
    k->override = g_strdup(assignment);
    g_key_file_set_string(doc->kf, g->name, key, value);
    ok = true;
out:
    g_free(kindw);
    g_free(lhs);
    g_free(group);
    g_free(key);
    return ok;
}

struct mp_scenario *mp_scenario_load_data(const char *name, const char *data, gssize len,
                                          const char *const *overrides, GError **err)
{
    struct mp_scn_doc *doc = mp_scn_doc_load_data(name, data, len, err);
    struct mp_scenario *scn = NULL;
    if (!doc)
        return NULL;
    for (unsigned i = 0; overrides && overrides[i]; i++)
        if (!mp_scn_doc_set(doc, overrides[i], err))
            goto out;
    scn = mp_scn_doc_resolve(doc, err);
out:
    mp_scn_doc_free(doc);
    return scn;
}

struct mp_scenario *mp_scenario_load_file(const char *path, const char *const *overrides,
                                          GError **err)
{
    struct mp_scn_doc *doc = mp_scn_doc_load_file(path, err);
    struct mp_scenario *scn = NULL;
    if (!doc)
        return NULL;
    for (unsigned i = 0; overrides && overrides[i]; i++)
        if (!mp_scn_doc_set(doc, overrides[i], err))
            goto out;
    scn = mp_scn_doc_resolve(doc, err);
out:
    mp_scn_doc_free(doc);
    return scn;
}

void mp_scenario_free(struct mp_scenario *scn)
{
    if (!scn)
        return;
    for (size_t i = 0; i < scn->n_nodes; i++) {
        struct mp_scn_node *n = &scn->nodes[i];
        g_free(n->name);
        for (size_t j = 0; j < n->n_ifaces; j++) {
            g_free(n->ifaces[j].name);
            g_free(n->ifaces[j].addrs);
        }
        g_free(n->ifaces);
        for (size_t j = 0; j < n->n_routes; j++)
            g_free(n->routes[j].label);
        g_free(n->routes);
        for (size_t j = 0; j < n->n_rules; j++)
            g_free(n->rules[j].label);
        g_free(n->rules);
        g_free(n->ras);
        if (n->opts)
            for (size_t j = 0; j < MP_ARRAY_LEN(options); j++)
                opt_clear_s(&n->opts[j]);
        g_free(n->opts);
    }
    g_free(scn->nodes);
    for (size_t i = 0; i < scn->n_links; i++) {
        g_free(scn->links[i].name);
        g_free(scn->links[i].wifi_standard);
        g_free(scn->links[i].wifi_manager);
        for (int e = 0; e < 2; e++)
            mp_dtrace_unref(scn->links[i].dir[e].trace);
    }
    g_free(scn->links);
    for (size_t i = 0; i < scn->n_apps; i++) {
        g_free(scn->apps[i].name);
        g_strfreev(scn->apps[i].argv);
        g_free(scn->apps[i].plugin);
    }
    g_free(scn->apps);
    for (size_t i = 0; i < scn->n_events; i++) {
        g_free(scn->events[i].name);
        g_free(scn->events[i].text);
    }
    g_free(scn->events);
    for (size_t i = 0; i < scn->ns.n_fails; i++) {
        g_free(scn->ns.fails[i].name);
        g_free(scn->ns.fails[i].mode);
    }
    g_free(scn->ns.fails);
    for (size_t i = 0; i < scn->n_dns; i++) {
        g_free(scn->dns[i].name);
        g_free(scn->dns[i].addrs);
    }
    g_free(scn->dns);
    for (size_t i = 0; i < scn->n_expects; i++) {
        g_free(scn->expects[i].name);
        g_free(scn->expects[i].counter);
        g_free(scn->expects[i].addrs);
        g_free(scn->expects[i].text);
    }
    g_free(scn->expects);
    g_free(scn->file);
    g_free(scn->name);
    g_free(scn);
}

/* ---- lookups ---------------------------------------------------------- */

int mp_scenario_find_node(const struct mp_scenario *scn, const char *name)
{
    for (size_t i = 0; i < scn->n_nodes; i++)
        if (!strcmp(scn->nodes[i].name, name))
            return (int)i;
    return -1;
}

int mp_scenario_find_link(const struct mp_scenario *scn, const char *name)
{
    for (size_t i = 0; i < scn->n_links; i++)
        if (!strcmp(scn->links[i].name, name))
            return (int)i;
    return -1;
}

int mp_scenario_find_app(const struct mp_scenario *scn, const char *name)
{
    for (size_t i = 0; i < scn->n_apps; i++)
        if (!strcmp(scn->apps[i].name, name))
            return (int)i;
    return -1;
}

int mp_scn_node_find_iface(const struct mp_scn_node *node, const char *name)
{
    for (size_t i = 0; i < node->n_ifaces; i++)
        if (!strcmp(node->ifaces[i].name, name))
            return (int)i;
    return -1;
}

const struct mp_scn_opt *mp_scn_node_opt(const struct mp_scn_node *node, const char *key)
{
    for (size_t i = 0; i < node->n_opts; i++)
        if (!strcmp(node->opts[i].def->key, key))
            return &node->opts[i];
    return NULL;
}

static const struct mp_scn_opt *opt_checked(const struct mp_scn_node *node, const char *key,
                                            bool want_str)
{
    const struct mp_scn_opt *o = mp_scn_node_opt(node, key);
    if (!o)
        g_error("scenario: option '%s' does not apply to node %s", key, node->name);
    bool is_str = o->def->type == MP_SCN_OPT_STRING || o->def->type == MP_SCN_OPT_ENUM ||
                  o->def->type == MP_SCN_OPT_ENDPOINTS;
    if (is_str != want_str)
        g_error("scenario: option '%s' read with the wrong type", key);
    return o;
}

bool mp_scn_node_opt_bool(const struct mp_scn_node *node, const char *key)
{
    return opt_checked(node, key, false)->u != 0;
}

uint64_t mp_scn_node_opt_uint(const struct mp_scn_node *node, const char *key)
{
    return opt_checked(node, key, false)->u;
}

const char *mp_scn_node_opt_str(const struct mp_scn_node *node, const char *key)
{
    return opt_checked(node, key, true)->s;
}

const char *mp_scn_op_name(enum mp_scn_op op)
{
    return (unsigned)op < MP_ARRAY_LEN(op_words) ? op_words[op] : "?";
}

const char *mp_scn_expect_kind_name(enum mp_scn_expect_kind kind)
{
    return (unsigned)kind < MP_ARRAY_LEN(expect_words) ? expect_words[kind] : "?";
}

const char *mp_scn_link_param_name(enum mp_scn_link_param p)
{
    for (unsigned i = 0; i < MP_ARRAY_LEN(link_params); i++)
        if (link_params[i].param == p)
            return link_params[i].key;
    return "?";
}

/* ---- JSON ------------------------------------------------------------- */

static void j_u64(JsonBuilder *b, const char *member, uint64_t v)
{
    json_builder_set_member_name(b, member);
    if (v <= (uint64_t)G_MAXINT64) {
        json_builder_add_int_value(b, (gint64)v);
    } else {
        char s[24];
        g_snprintf(s, sizeof(s), "%" G_GUINT64_FORMAT, v);
        json_builder_add_string_value(b, s);
    }
}

static void j_str(JsonBuilder *b, const char *member, const char *s)
{
    json_builder_set_member_name(b, member);
    if (s)
        json_builder_add_string_value(b, s);
    else
        json_builder_add_null_value(b);
}

static void j_bool(JsonBuilder *b, const char *member, bool v)
{
    json_builder_set_member_name(b, member);
    json_builder_add_boolean_value(b, v);
}

static void j_ip(JsonBuilder *b, const char *member, const struct mp_ip *ip)
{
    char s[INET6_ADDRSTRLEN];
    if (ip->v == 0) {
        j_str(b, member, NULL);
        return;
    }
    format_ip(ip, s, sizeof(s));
    j_str(b, member, s);
}

static void j_prefix(JsonBuilder *b, const char *member, const struct mp_scn_prefix *p)
{
    char *s = prefix_str(p);
    if (member)
        json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, s);
    g_free(s);
}

static const char *table_name(uint32_t t, char *buf, size_t len)
{
    if (t == MP_SCN_TABLE_MAIN)
        return "main";
    if (t == MP_SCN_TABLE_LOCAL)
        return "local";
    if (t == MP_SCN_TABLE_DEFAULT)
        return "default";
    g_snprintf(buf, len, "%u", t);
    return buf;
}

static void j_iface_ref(JsonBuilder *b, const char *member, const struct mp_scenario *scn,
                        int node, int iface)
{
    char *s = g_strdup_printf("%s.%s", scn->nodes[node].name, scn->nodes[node].ifaces[iface].name);
    j_str(b, member, s);
    g_free(s);
}

static void j_node(JsonBuilder *b, const struct mp_scenario *scn, const struct mp_scn_node *n)
{
    char tb[16];
    json_builder_begin_object(b);
    j_str(b, "name", n->name);
    j_str(b, "kind", n->kind == MP_SCN_HOST ? "host" : "router");
    j_bool(b, "capture", n->capture);
    json_builder_set_member_name(b, "options");
    json_builder_begin_object(b);
    for (size_t i = 0; i < n->n_opts; i++) {
        const struct mp_scn_opt *o = &n->opts[i];
        if (o->def->type == MP_SCN_OPT_BOOL)
            j_bool(b, o->def->key, o->u != 0);
        else if (o->s)
            j_str(b, o->def->key, o->s);
        else
            j_u64(b, o->def->key, o->u);
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "ifaces");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n->n_ifaces; i++) {
        const struct mp_scn_iface *f = &n->ifaces[i];
        json_builder_begin_object(b);
        j_str(b, "name", f->name);
        json_builder_set_member_name(b, "addrs");
        json_builder_begin_array(b);
        for (size_t j = 0; j < f->n_addrs; j++)
            j_prefix(b, NULL, &f->addrs[j]);
        json_builder_end_array(b);
        j_str(b, "link", f->link >= 0 ? scn->links[f->link].name : NULL);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    j_bool(b, "routes_auto", n->routes_auto);
    json_builder_set_member_name(b, "routes");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n->n_routes; i++) {
        const struct mp_scn_route *r = &n->routes[i];
        static const char *const kinds[] = {"unicast", "blackhole", "unreachable"};
        json_builder_begin_object(b);
        j_str(b, "label", r->label);
        j_str(b, "kind", kinds[r->kind]);
        j_prefix(b, "dst", &r->dst);
        j_ip(b, "via", &r->via);
        j_str(b, "dev", r->dev >= 0 ? n->ifaces[r->dev].name : NULL);
        j_u64(b, "metric", r->metric);
        j_ip(b, "src", &r->src);
        j_str(b, "table", table_name(r->table, tb, sizeof(tb)));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "rules");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n->n_rules; i++) {
        const struct mp_scn_rule *r = &n->rules[i];
        json_builder_begin_object(b);
        j_str(b, "label", r->label);
        j_u64(b, "priority", r->priority);
        if (r->has_from)
            j_prefix(b, "from", &r->from);
        else
            j_str(b, "from", NULL);
        if (r->has_to)
            j_prefix(b, "to", &r->to);
        else
            j_str(b, "to", NULL);
        j_str(b, "iif", r->iif >= 0 ? n->ifaces[r->iif].name : NULL);
        j_str(b, "oif", r->oif >= 0 ? n->ifaces[r->oif].name : NULL);
        j_str(b, "table", table_name(r->table, tb, sizeof(tb)));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "ras");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n->n_ras; i++) {
        const struct mp_scn_ra *r = &n->ras[i];
        json_builder_begin_object(b);
        j_str(b, "iface", n->ifaces[r->iface].name);
        j_prefix(b, "prefix", &r->prefix);
        j_u64(b, "valid_s", r->valid);
        j_u64(b, "preferred_s", r->preferred);
        j_u64(b, "interval_ns", r->interval);
        j_u64(b, "router_lifetime_s", r->router_lifetime);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

/* A middlebox list as an array of entries in their written form. */
static void j_mbox(JsonBuilder *b, const char *member, const struct mp_mbox_list *l)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (unsigned i = 0; i < l->n; i++) {
        char *s = mp_mbox_format_one(&l->m[i]);
        json_builder_add_string_value(b, s);
        g_free(s);
    }
    json_builder_end_array(b);
}

static void j_dir(JsonBuilder *b, const char *member, const struct mp_scn_dir *d)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_object(b);
    j_u64(b, "rate_bps", d->rate);
    if (d->trace) {
        /* Only on trace-driven directions, so that other dumps stay as they were. */
        json_builder_set_member_name(b, "trace");
        json_builder_begin_object(b);
        j_str(b, "name", d->trace->name);
        j_u64(b, "opportunities", d->trace->n);
        j_u64(b, "period_ms", d->trace->period_ms);
        j_u64(b, "average_rate_bps", mp_dtrace_rate(d->trace));
        json_builder_end_object(b);
    }
    j_u64(b, "delay_ns", d->delay);
    j_u64(b, d->queue_bytes ? "queue_bytes" : "queue_packets", d->queue_limit);
    j_u64(b, "loss_ppm", d->loss);
    if (d->ge) {
        json_builder_set_member_name(b, "gilbert_elliott");
        json_builder_begin_object(b);
        j_u64(b, "p_ppm", d->ge_p);
        j_u64(b, "r_ppm", d->ge_r);
        j_u64(b, "loss_good_ppm", d->ge_loss_good);
        j_u64(b, "loss_bad_ppm", d->ge_loss_bad);
        json_builder_end_object(b);
    } else {
        j_str(b, "gilbert_elliott", NULL);
    }
    j_u64(b, "corrupt_ppm", d->corrupt);
    j_u64(b, "duplicate_ppm", d->duplicate);
    j_u64(b, "reorder_ppm", d->reorder);
    j_u64(b, "reorder_delay_ns", d->reorder_delay);
    j_mbox(b, "middlebox", &d->mbox);
    json_builder_end_object(b);
}

static const char *unit_suffix(enum mp_scn_unit u)
{
    static const char *const s[] = {
        [MP_SCN_UNIT_NONE] = NULL, [MP_SCN_UNIT_COUNT] = "count", [MP_SCN_UNIT_NS] = "ns",
        [MP_SCN_UNIT_BPS] = "bps", [MP_SCN_UNIT_PPM] = "ppm",     [MP_SCN_UNIT_ADDRS] = "addrs",
    };
    return s[u];
}

JsonNode *mp_scenario_to_json(const struct mp_scenario *scn)
{
    JsonBuilder *b = json_builder_new();

    json_builder_begin_object(b);
    j_u64(b, "format", scn->format);
    j_str(b, "name", scn->name);
    j_u64(b, "duration_ns", scn->duration);
    j_u64(b, "seed", scn->seed);
    if (scn->compact_routes)
        j_str(b, "routes", "compact");
    json_builder_set_member_name(b, "capture");
    json_builder_begin_object(b);
    j_bool(b, "pcap", scn->pcap);
    j_bool(b, "pcapng", scn->pcapng);
    j_u64(b, "snaplen", scn->snaplen);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "nodes");
    json_builder_begin_array(b);
    for (size_t i = 0; i < scn->n_nodes; i++)
        j_node(b, scn, &scn->nodes[i]);
    json_builder_end_array(b);

    json_builder_set_member_name(b, "links");
    json_builder_begin_array(b);
    for (size_t i = 0; i < scn->n_links; i++) {
        const struct mp_scn_link *l = &scn->links[i];
        json_builder_begin_object(b);
        j_str(b, "name", l->name);
        j_iface_ref(b, "a", scn, l->node[0], l->iface[0]);
        j_iface_ref(b, "b", scn, l->node[1], l->iface[1]);
        j_u64(b, "mtu", l->mtu);
        j_u64(b, "framing_bytes", l->framing);
        if (l->wifi) {
            j_str(b, "kind", "wifi");
            j_str(b, "wifi_standard", l->wifi_standard);
            j_str(b, "wifi_manager", l->wifi_manager);
            j_u64(b, "wifi_distance_mm", l->wifi_distance_mm);
            j_u64(b, "wifi_speed_mm_s", l->wifi_speed_mm_s);
        } else if (l->csma) {
            j_str(b, "kind", "csma");
        }
        j_dir(b, "ab", &l->dir[0]);
        j_dir(b, "ba", &l->dir[1]);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "apps");
    json_builder_begin_array(b);
    for (size_t i = 0; i < scn->n_apps; i++) {
        const struct mp_scn_app *a = &scn->apps[i];
        json_builder_begin_object(b);
        j_str(b, "name", a->name);
        j_str(b, "host", scn->nodes[a->host].name);
        j_u64(b, "start_ns", a->start);
        if (a->stop == MP_TIME_NEVER)
            j_str(b, "stop_ns", NULL);
        else
            j_u64(b, "stop_ns", a->stop);
        json_builder_set_member_name(b, "argv");
        json_builder_begin_array(b);
        for (int j = 0; j < a->argc; j++)
            json_builder_add_string_value(b, a->argv[j]);
        json_builder_end_array(b);
        j_str(b, "plugin", a->plugin);
        if (a->stack)
            j_u64(b, "stack_bytes", a->stack);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "events");
    json_builder_begin_array(b);
    for (size_t i = 0; i < scn->n_events; i++) {
        const struct mp_scn_event *e = &scn->events[i];
        static const char *const kinds[] = {
            "link-down",  "link-up",  "link-set",  "addr-add",     "addr-del",
            "iface-down", "iface-up", "ra-stop",   "ra-start",     "ra-prefix",
            "lease",      "lease-lost", "endpoint-add", "endpoint-del", "endpoint-change"};
        json_builder_begin_object(b);
        j_str(b, "name", e->name);
        j_u64(b, "at_ns", e->at);
        j_str(b, "kind", kinds[e->kind]);
        j_str(b, "action", e->text);
        if (e->link >= 0)
            j_str(b, "link", scn->links[e->link].name);
        if (e->kind == MP_SCN_EV_LINK_SET) {
            j_str(b, "param", mp_scn_link_param_name(e->param));
            j_str(b, "dirs", e->dirs == 3 ? "both" : e->dirs == 1 ? "ab" : "ba");
            if (e->param == MP_SCN_LP_MIDDLEBOX)
                j_mbox(b, "middlebox", &e->mbox);
            else
                j_u64(b, "value", e->value);
            if (e->param == MP_SCN_LP_QUEUE)
                j_bool(b, "value_bytes", e->value_bytes);
        }
        if (e->node >= 0 && e->iface >= 0) {
            j_iface_ref(b, "iface", scn, e->node, e->iface);
            if (e->kind != MP_SCN_EV_IFACE_DOWN && e->kind != MP_SCN_EV_IFACE_UP &&
                e->kind != MP_SCN_EV_RA_STOP && e->kind != MP_SCN_EV_RA_START)
                j_prefix(b, "addr", &e->addr);
        } else if (e->node >= 0) {
            char s[INET6_ADDRSTRLEN];
            j_str(b, "host", scn->nodes[e->node].name);
            format_ip(&e->ep.addr, s, sizeof(s));
            j_str(b, "endpoint", s);
            if (e->kind == MP_SCN_EV_ENDPOINT_ADD)
                j_u64(b, "flags", e->ep.flags);
            if (e->kind == MP_SCN_EV_ENDPOINT_CHANGE)
                j_bool(b, "backup", e->backup);
        }
        if (e->kind == MP_SCN_EV_RA_PREFIX) {
            j_u64(b, "valid_s", e->ra_valid);
            j_u64(b, "preferred_s", e->ra_preferred);
        }
        if (e->kind == MP_SCN_EV_LEASE)
            j_u64(b, "lease_ns", e->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "dns");
    json_builder_begin_array(b);
    for (size_t i = 0; i < scn->n_dns; i++) {
        json_builder_begin_object(b);
        j_str(b, "name", scn->dns[i].name);
        json_builder_set_member_name(b, "addrs");
        json_builder_begin_array(b);
        for (size_t j = 0; j < scn->dns[i].n_addrs; j++) {
            char s[INET6_ADDRSTRLEN];
            format_ip(&scn->dns[i].addrs[j], s, sizeof(s));
            json_builder_add_string_value(b, s);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    if (scn->ns.present) {
        char s[INET6_ADDRSTRLEN];
        json_builder_set_member_name(b, "nameserver");
        json_builder_begin_object(b);
        j_str(b, "host", scn->nodes[scn->ns.node].name);
        format_ip(&scn->ns.addr, s, sizeof(s));
        j_str(b, "address", s);
        j_u64(b, "delay_ns", scn->ns.delay);
        json_builder_set_member_name(b, "fail");
        json_builder_begin_object(b);
        for (size_t i = 0; i < scn->ns.n_fails; i++)
            j_str(b, scn->ns.fails[i].name, scn->ns.fails[i].mode);
        json_builder_end_object(b);
        json_builder_end_object(b);
    }

    json_builder_set_member_name(b, "expect");
    json_builder_begin_array(b);
    for (size_t i = 0; i < scn->n_expects; i++) {
        const struct mp_scn_expect *x = &scn->expects[i];
        json_builder_begin_object(b);
        j_str(b, "name", x->name);
        j_str(b, "kind", mp_scn_expect_kind_name(x->kind));
        j_str(b, "text", x->text);
        if (x->app >= 0)
            j_str(b, "app", scn->apps[x->app].name);
        if (x->link >= 0)
            j_str(b, "link", scn->links[x->link].name);
        if (x->iface >= 0)
            j_iface_ref(b, "iface", scn, x->node, x->iface);
        else if (x->node >= 0)
            j_str(b, "node", scn->nodes[x->node].name);
        if (x->counter)
            j_str(b, "counter", x->counter);
        if (x->kind == MP_SCN_EXP_ADDRS)
            j_str(b, "which", x->peer ? "peer" : "local");
        if (x->op != MP_SCN_OP_NONE) {
            j_str(b, "op", mp_scn_op_name(x->op));
            j_str(b, "unit", unit_suffix(x->unit));
            if (x->unit == MP_SCN_UNIT_ADDRS) {
                json_builder_set_member_name(b, "value");
                json_builder_begin_array(b);
                for (size_t j = 0; j < x->n_addrs; j++) {
                    char s[INET6_ADDRSTRLEN];
                    format_ip(&x->addrs[j], s, sizeof(s));
                    json_builder_add_string_value(b, s);
                }
                json_builder_end_array(b);
            } else if (x->op == MP_SCN_OP_WITHIN) {
                j_u64(b, "lo", x->value);
                j_u64(b, "hi", x->hi);
            } else {
                j_u64(b, "value", x->value);
            }
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

char *mp_scenario_to_json_string(const struct mp_scenario *scn, bool pretty)
{
    JsonNode *root = mp_scenario_to_json(scn);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, pretty);
    json_generator_set_root(gen, root);
    char *s = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    json_node_unref(root);
    return s;
}
