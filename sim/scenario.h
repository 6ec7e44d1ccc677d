/*
 * afmp: scenario files.
 *
 * A scenario file (format reference: scenarios/FORMAT.md) describes nodes,
 * interfaces and addresses, links and their faults, routes and policy rules,
 * timed events, applications, DNS zones, capture options and expectations.
 * This module reads it strictly and produces a validated, fully resolved
 * *description*: defaults filled in, every quantity converted (time in ns,
 * rates in bit/s, sizes in bytes, probabilities in parts per million), every
 * reference resolved to an index. Nothing here creates simulation objects;
 * the topology builder turns the description into hosts, links and apps, and
 * sim/expect evaluates the expectations.
 *
 * Two steps, so that the command line can change values before validation:
 *
 *   struct mp_scn_doc *doc = mp_scn_doc_load_file("x.ini", &err);
 *   mp_scn_doc_set(doc, "link.l1.delay=20ms", &err);   // --set, any number
 *   struct mp_scenario *scn = mp_scn_doc_resolve(doc, &err);
 *   mp_scn_doc_free(doc);
 *
 * or mp_scenario_load_file(path, overrides, &err) for all three at once.
 *
 * Every error is a GError in MP_SCENARIO_ERROR whose message names the file,
 * the line, the group, the key and the expected form:
 *   dual.ini:14: [link l1] delay: expected a time like 10ms (units ns, us,
 *   ms, s), got '10' (the unit is missing)
 * An error in an override names it in place of the line:
 *   dual.ini: --set link.l1.delay=10: [link l1] delay: expected ...
 * Loading stops at the first error.
 *
 * Arrays keep the order of the file (groups in the order they appear, keys in
 * the order they appear in their group); events are sorted by time, ties in
 * file order. The JSON dump follows the same order, so two parses of one
 * file dump the same bytes.
 */
#ifndef MP_SIM_SCENARIO_H
#define MP_SIM_SCENARIO_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model/mptcp/mptcp.h"
#include "model/types.h"
#include "sim/net/dtrace.h"
#include "sim/net/middlebox.h"

#define MP_SCENARIO_ERROR (mp_scenario_error_quark())
GQuark mp_scenario_error_quark(void);

enum mp_scenario_error {
    MP_SCENARIO_ERROR_IO,        /* the file cannot be read */
    MP_SCENARIO_ERROR_SYNTAX,    /* a line that is neither group, key nor comment; bad escape */
    MP_SCENARIO_ERROR_DUPLICATE, /* a group, key or name given twice */
    MP_SCENARIO_ERROR_UNKNOWN,   /* unknown group or key (message suggests the closest) */
    MP_SCENARIO_ERROR_VALUE,     /* a value not in the expected form (units, addresses, ...) */
    MP_SCENARIO_ERROR_MISSING,   /* a required group or key is absent */
    MP_SCENARIO_ERROR_REFERENCE, /* a name that refers to nothing (node, iface, link, app) */
    MP_SCENARIO_ERROR_FORMAT,    /* format = N is missing or not supported */
    MP_SCENARIO_ERROR_OVERRIDE,  /* a --set that is not group.key=value or names no group */
};

/* The format versions this parser reads. */
#define MP_SCENARIO_FORMAT 1

/* An address with a prefix length: an interface address (host bits kept) or
 * a route/rule prefix (host bits zero). */
struct mp_scn_prefix {
    struct mp_ip ip;
    uint8_t len;
};

/* ---- per-node stack options ------------------------------------------- */

enum mp_scn_opt_type {
    MP_SCN_OPT_BOOL,
    MP_SCN_OPT_UINT,
    MP_SCN_OPT_TIME, /* ns */
    MP_SCN_OPT_SIZE, /* bytes */
    MP_SCN_OPT_RATE, /* bit/s */
    MP_SCN_OPT_PPM,
    MP_SCN_OPT_ENUM, /* one of |choices|; u = its index */
    MP_SCN_OPT_STRING,
    /* one size, or three as Linux's tcp_rmem ("min default max", each a
     * size); u = the single or the middle one, s = the bytes in decimal,
     * space-separated */
    MP_SCN_OPT_SIZES,
    /* the "kernel" path manager's endpoints (mp_mptcp_parse_endpoints);
     * s = the text, "" for none */
    MP_SCN_OPT_ENDPOINTS,
};

enum {
    MP_SCN_FOR_HOST = 1u << 0,
    MP_SCN_FOR_ROUTER = 1u << 1,
};

/* One row of the option table (mp_scn_options). Adding an option is adding
 * a row there; every node gets every option that applies to its kind, with
 * the default when the file does not set it. */
struct mp_scn_opt_def {
    const char *key;            /* as written in the file: "mptcp", "ip.forward" */
    enum mp_scn_opt_type type;
    const char *def_host;       /* default as it would be written, for hosts */
    const char *def_router;     /* ... for routers */
    unsigned for_kinds;         /* MP_SCN_FOR_* */
    uint64_t max;               /* MP_SCN_OPT_UINT: largest value; 0 = UINT64_MAX */
    const char *const *choices; /* MP_SCN_OPT_ENUM: NULL-terminated */
    const char *help;           /* one line for FORMAT.md and error messages */
};

/* The option table and its length. */
const struct mp_scn_opt_def *mp_scn_options(size_t *n);

struct mp_scn_opt {
    const struct mp_scn_opt_def *def;
    uint64_t u;   /* bool 0/1, uint, time, size, rate, ppm, enum index */
    char *s;      /* the text of a string or enum value */
    bool set;     /* given in the file (or by --set), not defaulted */
};

/* ---- topology --------------------------------------------------------- */

enum mp_scn_node_kind { MP_SCN_HOST, MP_SCN_ROUTER };

struct mp_scn_iface {
    char *name;
    struct mp_scn_prefix *addrs; /* in the order written */
    size_t n_addrs;
    int link;     /* index in mp_scenario.links, -1 if no link attaches here */
    int link_end; /* 0 (a) or 1 (b) */
    unsigned line;
};

enum mp_scn_route_kind { MP_SCN_ROUTE_UNICAST, MP_SCN_ROUTE_BLACKHOLE, MP_SCN_ROUTE_UNREACHABLE };

/* Well-known table ids, as Linux numbers them. */
#define MP_SCN_TABLE_DEFAULT 253u
#define MP_SCN_TABLE_MAIN 254u
#define MP_SCN_TABLE_LOCAL 255u

struct mp_scn_route {
    char *label;                /* the part after "route." */
    enum mp_scn_route_kind kind;
    struct mp_scn_prefix dst;
    struct mp_ip via;           /* v == 0: on-link */
    int dev;                    /* iface index in the node, -1: from the route to via */
    uint32_t metric;            /* default 0 */
    struct mp_ip src;           /* v == 0: none; otherwise an address of the node */
    uint32_t table;             /* default MP_SCN_TABLE_MAIN */
    unsigned line;
};

struct mp_scn_rule {
    char *label;
    uint32_t priority;
    bool has_from, has_to;
    struct mp_scn_prefix from, to;
    int iif, oif;               /* iface index, -1: any */
    uint32_t table;
    unsigned line;
};

/* ra.IFNAME: router advertisements sent on an interface (model/net/radv.h).
 * Lifetimes in seconds, MP_SCN_RA_INFINITY for "infinite". */
#define MP_SCN_RA_INFINITY 0xffffffffu

struct mp_scn_ra {
    int iface;                  /* index in the node */
    struct mp_scn_prefix prefix; /* IPv6, host bits zero */
    uint32_t valid, preferred;  /* AdvValidLifetime, AdvPreferredLifetime */
    mp_time_t interval;         /* MaxRtrAdvInterval */
    uint32_t router_lifetime;   /* seconds, 0..9000; 0: not a default router */
    unsigned line;
};

struct mp_scn_node {
    char *name;
    enum mp_scn_node_kind kind;
    struct mp_scn_iface *ifaces;
    size_t n_ifaces;
    struct mp_scn_route *routes;
    size_t n_routes;
    bool routes_auto;           /* no route.* key: the builder computes routes */
    struct mp_scn_rule *rules;  /* sorted by priority, ties in file order */
    size_t n_rules;
    bool capture;               /* write this node's captures */
    struct mp_scn_opt *opts;    /* the options that apply to the kind, table order */
    size_t n_opts;
    struct mp_scn_ra *ras;      /* ra.IFNAME keys, in file order */
    size_t n_ras;
    unsigned line;
};

/* One direction of a link. Probabilities in ppm; 0 disables a fault. */
struct mp_scn_dir {
    uint64_t rate;              /* bit/s, 0 = unlimited; unused with a trace */
    struct mp_dtrace *trace;    /* NULL: rate-driven; else its delivery trace (a
                                   reference; both directions may share it) */
    mp_time_t delay;
    uint64_t queue_limit;       /* packets or bytes */
    bool queue_bytes;
    uint32_t loss;              /* Bernoulli */
    bool ge;                    /* Gilbert-Elliott enabled */
    uint32_t ge_p;              /* good -> bad per packet */
    uint32_t ge_r;              /* bad -> good per packet */
    uint32_t ge_loss_good;      /* loss probability in the good state (1-k) */
    uint32_t ge_loss_bad;       /* loss probability in the bad state (1-h) */
    uint32_t corrupt;
    uint32_t duplicate;
    uint32_t reorder;
    mp_time_t reorder_delay;    /* extra delay of reordered packets */
    struct mp_mbox_list mbox;   /* middleboxes, in order; nat44 with its address */
};

struct mp_scn_link {
    char *name;
    int node[2];                /* end a = 0, end b = 1 */
    int iface[2];
    uint32_t mtu;
    uint32_t framing;           /* framing = ppp: 2 bytes of PPP header on every packet's
                                   serialization time (as ns-3's point-to-point links) */
    bool wifi;                  /* kind = wifi (the ns-3 engine only): a is the station, b the AP */
    bool csma;                  /* kind = csma (the ns-3 engine only): shared half-duplex Ethernet */
    char *wifi_standard;        /* 80211a, 80211g, 80211n, 80211ac (default 80211n) */
    char *wifi_manager;         /* rate adaptation: minstrel (default), ideal, aarf */
    uint32_t wifi_distance_mm;  /* the station's distance from the AP at the start (default 5 m) */
    uint32_t wifi_speed_mm_s;   /* its speed away from the AP (default 0) */
    unsigned kind_line;
    struct mp_scn_dir dir[2];   /* dir[0]: a -> b, dir[1]: b -> a */
    unsigned line;
};

/* ---- applications, events, DNS ---------------------------------------- */

struct mp_scn_app {
    char *name;
    int host;                   /* node index (a host) */
    mp_time_t start;
    mp_time_t stop;             /* MP_TIME_NEVER: runs until it ends */
    size_t stack;               /* process stack in bytes; 0: the default 256 KiB */
    int argc;
    char **argv;                /* NULL-terminated; argv[0] names the program */
    char *plugin;               /* shared object path, NULL for a built-in */
    unsigned line;
};

/* Built-in application names accepted in argv[0] without a plugin. */
const char *const *mp_scn_builtin_apps(void);

/* The link parameters that have keys (and may change in events). */
enum mp_scn_link_param {
    MP_SCN_LP_RATE,
    MP_SCN_LP_DELAY,
    MP_SCN_LP_QUEUE,
    MP_SCN_LP_LOSS,
    MP_SCN_LP_GE_P,
    MP_SCN_LP_GE_R,
    MP_SCN_LP_GE_LOSS_GOOD,
    MP_SCN_LP_GE_LOSS_BAD,
    MP_SCN_LP_CORRUPT,
    MP_SCN_LP_DUPLICATE,
    MP_SCN_LP_REORDER,
    MP_SCN_LP_REORDER_DELAY,
    MP_SCN_LP_MIDDLEBOX,        /* a list (mbox), not a value */
    MP_SCN_LP_TRACE,            /* a file (trace), read at load; not in events */
};

enum mp_scn_event_kind {
    MP_SCN_EV_LINK_DOWN,
    MP_SCN_EV_LINK_UP,
    MP_SCN_EV_LINK_SET,         /* param/value/dirs */
    MP_SCN_EV_ADDR_ADD,
    MP_SCN_EV_ADDR_DEL,
    MP_SCN_EV_IFACE_DOWN,       /* node/iface */
    MP_SCN_EV_IFACE_UP,
    MP_SCN_EV_RA_STOP,          /* node/iface (which has an ra.IFNAME key) */
    MP_SCN_EV_RA_START,
    MP_SCN_EV_RA_PREFIX,        /* node/iface, addr = prefix, ra_valid/ra_preferred */
    MP_SCN_EV_LEASE,            /* node/iface, addr, value = its duration in ns */
    MP_SCN_EV_LEASE_LOST,       /* node/iface, addr */
    MP_SCN_EV_ENDPOINT_ADD,     /* node, ep: `ip mptcp endpoint add` */
    MP_SCN_EV_ENDPOINT_DEL,     /* node, ep.addr */
    MP_SCN_EV_ENDPOINT_CHANGE,  /* node, ep.addr, backup */
};

struct mp_scn_event {
    char *name;                 /* the key in [events] */
    mp_time_t at;
    enum mp_scn_event_kind kind;
    int link;                   /* LINK_*: link index, else -1 */
    unsigned dirs;              /* LINK_SET: bit 0 a->b, bit 1 b->a */
    enum mp_scn_link_param param;
    uint64_t value;             /* in the parameter's base unit */
    bool value_bytes;           /* MP_SCN_LP_QUEUE: limit in bytes */
    struct mp_mbox_list mbox;   /* MP_SCN_LP_MIDDLEBOX: the new list */
    int node, iface;            /* ADDR_*, IFACE_*, RA_*, LEASE*: indices, else -1 */
    struct mp_scn_prefix addr;
    uint32_t ra_valid, ra_preferred; /* RA_PREFIX: seconds or MP_SCN_RA_INFINITY */
    struct mp_mptcp_endpoint ep; /* ENDPOINT_*: the endpoint (DEL, CHANGE: its address) */
    bool backup;                /* ENDPOINT_CHANGE */
    char *text;                 /* the action as written, for traces and pcapng */
    unsigned line;
};

struct mp_scn_dns {
    char *name;                 /* lower case, no trailing dot */
    struct mp_ip *addrs;        /* in the order written (A and AAAA mixed) */
    size_t n_addrs;
    unsigned line;
};

/* ---- expectations ----------------------------------------------------- */

enum mp_scn_expect_kind {
    MP_SCN_EXP_DONE,     /* app finished; with "by T": finished at or before T */
    MP_SCN_EXP_INTACT,   /* app received its data intact */
    MP_SCN_EXP_STALL,    /* longest stall of the app (time) */
    MP_SCN_EXP_GOODPUT,  /* app goodput (rate) */
    MP_SCN_EXP_SHARE,    /* share of the app's bytes on a path (ppm) */
    MP_SCN_EXP_COUNTER,  /* a named per-node counter (integer) */
    MP_SCN_EXP_SUBFLOWS, /* subflows the app's connection opened (integer) */
    MP_SCN_EXP_ADDRS,    /* addresses the app observed, local or peer (list) */
    MP_SCN_EXP_RESULT,   /* a named result the app reported (afmp_result) */
};

enum mp_scn_op {
    MP_SCN_OP_NONE,      /* a plain assertion (done, intact) */
    MP_SCN_OP_EQ,
    MP_SCN_OP_GE,
    MP_SCN_OP_LE,
    MP_SCN_OP_LT,
    MP_SCN_OP_GT,
    MP_SCN_OP_WITHIN,    /* lo <= x <= hi */
};

enum mp_scn_unit {
    MP_SCN_UNIT_NONE,
    MP_SCN_UNIT_COUNT,   /* plain integer */
    MP_SCN_UNIT_NS,
    MP_SCN_UNIT_BPS,
    MP_SCN_UNIT_PPM,
    MP_SCN_UNIT_ADDRS,   /* a list of addresses: == set equality, >= contains all */
};

struct mp_scn_expect {
    char *name;                 /* the key in [expect] */
    enum mp_scn_expect_kind kind;
    int app;                    /* index or -1 */
    int node;                   /* COUNTER: the node; SHARE by NODE.IFACE: its node */
    int iface;                  /* SHARE by NODE.IFACE, else -1 */
    int link;                   /* SHARE by link, else -1 */
    char *counter;              /* COUNTER: e.g. "UdpInDatagrams"; RESULT: the
                                 * result key, e.g. "lost" or "delay_min_ns" */
    bool peer;                  /* ADDRS: peer (true) or local (false) list */
    enum mp_scn_op op;
    enum mp_scn_unit unit;
    uint64_t value;             /* EQ/GE/LE/LT/GT; WITHIN: lo */
    uint64_t hi;                /* WITHIN */
    struct mp_ip *addrs;        /* ADDRS */
    size_t n_addrs;
    char *text;                 /* as written */
    unsigned line;
};

/* ---- the scenario ----------------------------------------------------- */

/* [nameserver]: where a dns-server process answers for the [dns] zone, and
 * the address every host's resolver asks. */
struct mp_scn_nsfail {
    char *name;                 /* lower case */
    char *mode;                 /* nxdomain, timeout, servfail, a-only, aaaa-only */
};
struct mp_scn_nameserver {
    bool present;
    int node;                   /* a host or router */
    struct mp_ip addr;          /* default: the node's first address */
    mp_time_t delay;            /* answer delay, default 0 */
    struct mp_scn_nsfail *fails;
    size_t n_fails;
    unsigned line;
};

enum mp_scn_engine {
    MP_SCN_ENGINE_EMBEDDED, /* sim/engine.c and sim/net's links (the default) */
    MP_SCN_ENGINE_NS3,      /* ns-3's scheduler and point-to-point links (sim/ns3/) */
};

struct mp_scenario {
    char *file;                 /* path as given (or the name passed to load_data) */
    char *name;                 /* [scenario] name, default: file name without .ini */
    uint32_t format;
    mp_time_t duration;         /* default 60s */
    uint64_t seed;              /* default 1 */
    enum mp_scn_engine engine;  /* [scenario] engine, default embedded */
    unsigned engine_line;       /* its line, 0 when not given */
    bool compact_routes;        /* [scenario] routes = compact (default full) */
    bool pcap, pcapng;          /* [capture], default on */
    uint32_t snaplen;           /* default 65535 */

    struct mp_scn_node *nodes;  size_t n_nodes;
    struct mp_scn_link *links;  size_t n_links;
    struct mp_scn_app *apps;    size_t n_apps;
    struct mp_scn_event *events; size_t n_events;
    struct mp_scn_dns *dns;     size_t n_dns;
    struct mp_scn_nameserver ns;
    struct mp_scn_expect *expects; size_t n_expects;
};

/* ---- loading ---------------------------------------------------------- */

/* The text of a scenario file, with the line of every group and key. */
struct mp_scn_doc;

/* Reads |path|. Checks the line syntax, duplicate groups and duplicate keys
 * (GKeyFile would merge or overwrite them silently). Errors: IO, SYNTAX,
 * DUPLICATE. */
struct mp_scn_doc *mp_scn_doc_load_file(const char *path, GError **err);

/* The same on text in memory; |name| stands for the file in messages and
 * is also where relative plugin paths are resolved from (its directory). */
struct mp_scn_doc *mp_scn_doc_load_data(const char *name, const char *data, gssize len,
                                        GError **err);

/* Applies one override "GROUP.KEY=VALUE", where GROUP is "scenario",
 * "capture", "dns", "events", "expect" or KIND.NAME for "host", "router",
 * "link", "app" (e.g. "link.l1.delay=20ms", "host.client.mptcp=off",
 * "scenario.seed=7"). A named group must exist in the file; the key may be
 * new. The value is checked by mp_scn_doc_resolve(), whose messages then
 * name the override. Errors: OVERRIDE (no '=', no key, a named group that
 * does not exist), UNKNOWN (unknown group kind, with a suggestion). */
bool mp_scn_doc_set(struct mp_scn_doc *doc, const char *assignment, GError **err);

/* Validates everything and builds the description. |doc| is not changed and
 * may be resolved again. Returns NULL and sets |err| (any code but IO) on the
 * first problem. */
struct mp_scenario *mp_scn_doc_resolve(const struct mp_scn_doc *doc, GError **err);

void mp_scn_doc_free(struct mp_scn_doc *doc);

/* Load, apply |overrides| (NULL-terminated, may be NULL) in order, resolve. */
struct mp_scenario *mp_scenario_load_file(const char *path, const char *const *overrides,
                                          GError **err);
struct mp_scenario *mp_scenario_load_data(const char *name, const char *data, gssize len,
                                          const char *const *overrides, GError **err);

void mp_scenario_free(struct mp_scenario *scn);

/* ---- lookups ---------------------------------------------------------- */

/* Index of the node/link/app named |name|, or -1. */
int mp_scenario_find_node(const struct mp_scenario *scn, const char *name);
int mp_scenario_find_link(const struct mp_scenario *scn, const char *name);
int mp_scenario_find_app(const struct mp_scenario *scn, const char *name);
/* Index of |name| among the node's interfaces, or -1. */
int mp_scn_node_find_iface(const struct mp_scn_node *node, const char *name);

/* The node's option |key|, or NULL if no such option applies to its kind. */
const struct mp_scn_opt *mp_scn_node_opt(const struct mp_scn_node *node, const char *key);
/* Shorthands; they abort (g_error) on a key that is not in the table or has
 * another type, which is a programming error. */
bool mp_scn_node_opt_bool(const struct mp_scn_node *node, const char *key);
uint64_t mp_scn_node_opt_uint(const struct mp_scn_node *node, const char *key);
const char *mp_scn_node_opt_str(const struct mp_scn_node *node, const char *key);

const char *mp_scn_op_name(enum mp_scn_op op);
const char *mp_scn_expect_kind_name(enum mp_scn_expect_kind kind);
const char *mp_scn_link_param_name(enum mp_scn_link_param p);

/* ---- output ----------------------------------------------------------- */

/* The resolved scenario as JSON (for run.json): every default filled in,
 * quantities in base units with the unit in the member name (delay_ns,
 * rate_bps, loss_ppm), references by name, arrays in file order. Integers
 * above INT64_MAX (none in practice) are written as decimal strings. Source
 * lines are left out so that moving a comment does not change the dump. */
JsonNode *mp_scenario_to_json(const struct mp_scenario *scn);
/* The same as text; free with g_free. */
char *mp_scenario_to_json_string(const struct mp_scenario *scn, bool pretty);

#endif
