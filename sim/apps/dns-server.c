/*
 * afmp: dns-server, answers A and AAAA queries over UDP from a flat zone
 * given on the command line or in a file (scenarios/FORMAT.md,
 * "Applications"):
 *
 *   dns-server [--port 53] [--bind ADDR] [--zone-file FILE]
 *              [--record NAME=ADDR[,ADDR...]]... [--delay T] [--ttl S]
 *              [--fail NAME=nxdomain|timeout|servfail|a-only|aaaa-only]...
 *
 * It stands for the recursive server a host's resolver asks: every answer
 * has RA set, names it does not know get NXDOMAIN, and a known name without
 * records of the asked type gets an empty NOERROR answer ("no data").
 * Addresses are given in the order answers list them. A zone file holds
 * one name per line, "NAME ADDR ADDR..." or the scenario's
 * "NAME = ADDR ADDR" (commas also separate), '#' or ';' starts a comment.
 * Repeating --record for a name appends addresses.
 *
 * --delay holds every answer that long after its query arrived (the same
 * for every query, so answers leave in arrival order). --fail changes what
 * one name gets: nxdomain, servfail, timeout (no answer at all), a-only
 * (AAAA queries get an empty NOERROR answer) or aaaa-only (likewise for A).
 *
 * Malformed queries whose header is readable get FORMERR, other opcodes
 * NOTIMP, classes other than IN (or ANY) REFUSED; responses and runts are
 * dropped. Answers never exceed 512 bytes (RFC 1035 4.2.1): what does not
 * fit is left out and TC set.
 *
 * Results (kept current; the server runs until the scenario stops it):
 * queries, queries_a, queries_aaaa, queries_other, malformed, responses,
 * responses_noerror, responses_nodata, responses_nxdomain,
 * responses_servfail, responses_other, answers_a, answers_aaaa (records
 * sent), dropped (timeout mode), first_query_ns, last_query_ns.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "model/net/addr.h"
#include "model/wire/dns.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"

#define PROG "dns-server"
/* Queries are small; a longer datagram is cut here and answered FORMERR. */
#define RECV_MAX 2048u
/* The server keeps everything it needs while it runs on its own stack, not
 * on the heap: a process stopped by the scenario never returns, and what it
 * allocated would leak. Hence fixed capacities. */
#define MAX_NAMES 64u
#define MAX_ADDRS 16u /* per name: 16 AAAA records fill a 512-byte answer */
#define MAX_FAILS 32u
#define MAX_PENDING 32u /* answers held by --delay; beyond, queries are dropped */

enum fail_mode {
    FAIL_NONE,
    FAIL_NXDOMAIN,
    FAIL_TIMEOUT,
    FAIL_SERVFAIL,
    FAIL_A_ONLY,
    FAIL_AAAA_ONLY
};

static const char *const fail_names[] = {
    [FAIL_NXDOMAIN] = "nxdomain", [FAIL_TIMEOUT] = "timeout",     [FAIL_SERVFAIL] = "servfail",
    [FAIL_A_ONLY] = "a-only",     [FAIL_AAAA_ONLY] = "aaaa-only",
};

struct zone_entry {
    struct mp_dns_name name;
    size_t n;
    struct mp_ip addrs[MAX_ADDRS]; /* answer order */
};

struct fail_entry {
    struct mp_dns_name name;
    enum fail_mode mode;
};

struct conf {
    uint16_t port;
    bool has_bind;
    struct sockaddr_storage bind;
    socklen_t blen;
    mp_time_t delay;
    uint32_t ttl;
    size_t n_zone, n_fails;
    struct zone_entry zone[MAX_NAMES];
    struct fail_entry fails[MAX_FAILS];
};

/* An answer waiting for its time. */
struct pending {
    mp_time_t due;
    int fd;
    struct sockaddr_storage to;
    socklen_t tolen;
    size_t len;
    uint8_t msg[MP_DNS_UDP_MAX];
};

/* Answers in due order (the delay is the same for all: arrival order). */
struct outq {
    size_t head, n;
    struct pending p[MAX_PENDING];
};

struct counts {
    uint64_t queries, queries_a, queries_aaaa, queries_other, malformed;
    uint64_t responses, noerror, nodata, nxdomain, servfail, other;
    uint64_t answers_a, answers_aaaa, dropped, overflow;
};

/* ---- the zone ---- */

static const struct zone_entry *zone_find(const struct conf *c, const struct mp_dns_name *n)
{
    for (size_t i = 0; i < c->n_zone; i++)
        if (mp_dns_name_eq(&c->zone[i].name, n))
            return &c->zone[i];
    return NULL;
}

static enum fail_mode fail_find(const struct conf *c, const struct mp_dns_name *n)
{
    enum fail_mode m = FAIL_NONE;
    /* The last --fail for a name wins, as options usually do. */
    for (size_t i = 0; i < c->n_fails; i++)
        if (mp_dns_name_eq(&c->fails[i].name, n))
            m = c->fails[i].mode;
    return m;
}

static bool parse_name(const char *where, const char *s, struct mp_dns_name *out)
{
    if (!*s || mp_dns_name_from_text(s, out) < 0 || out->len == 1) {
        afmp_log("%s: %s: '%s' is not a domain name (labels of 1 to 63 bytes, 255 in all)", PROG,
                 where, s);
        return false;
    }
    return true;
}

/* Adds |name| with the addresses in |addrs| (separated by blanks or
 * commas) to the zone. */
static bool zone_add(struct conf *c, const char *where, const char *name, const char *addrs)
{
    struct mp_dns_name n;
    if (!parse_name(where, name, &n))
        return false;
    struct zone_entry *e = (struct zone_entry *)zone_find(c, &n);
    if (!e) {
        if (c->n_zone == MAX_NAMES) {
            afmp_log("%s: %s: more than %u names", PROG, where, MAX_NAMES);
            return false;
        }
        e = &c->zone[c->n_zone++];
        e->name = n;
        e->n = 0;
    }
    gchar **tok = g_strsplit_set(addrs, " \t,", -1);
    size_t added = 0;
    bool ok = true;
    for (gchar **t = tok; *t && ok; t++) {
        if (!**t)
            continue;
        if (e->n == MAX_ADDRS) {
            afmp_log("%s: %s: more than %u addresses for '%s'", PROG, where, MAX_ADDRS, name);
            ok = false;
        } else if (mp_ip_parse(*t, &e->addrs[e->n]) < 0) {
            afmp_log("%s: %s: '%s': expected an IPv4 or IPv6 address", PROG, where, *t);
            ok = false;
        } else {
            e->n++;
            added++;
        }
    }
    g_strfreev(tok);
    if (ok && !added) {
        afmp_log("%s: %s: no address for '%s'", PROG, where, name);
        ok = false;
    }
    return ok;
}

static bool opt_record(struct conf *c, const char *s)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) {
        afmp_log("%s: --record: expected NAME=ADDR[,ADDR...], got '%s'", PROG, s);
        return false;
    }
    char *name = g_strndup(s, (gsize)(eq - s));
    bool ok = zone_add(c, "--record", name, eq + 1);
    g_free(name);
    return ok;
}

static bool opt_fail(struct conf *c, const char *s)
{
    const char *eq = strchr(s, '=');
    struct fail_entry f = {0};
    if (eq && eq != s) {
        for (size_t m = 1; m < G_N_ELEMENTS(fail_names); m++)
            if (!strcmp(eq + 1, fail_names[m]))
                f.mode = (enum fail_mode)m;
    }
    if (f.mode == FAIL_NONE) {
        afmp_log("%s: --fail: expected NAME=nxdomain|timeout|servfail|a-only|aaaa-only, got '%s'",
                 PROG, s);
        return false;
    }
    if (c->n_fails == MAX_FAILS) {
        afmp_log("%s: --fail: more than %u names", PROG, MAX_FAILS);
        return false;
    }
    char *name = g_strndup(s, (gsize)(eq - s));
    bool ok = parse_name("--fail", name, &f.name);
    g_free(name);
    if (ok)
        c->fails[c->n_fails++] = f;
    return ok;
}

static bool zone_file(struct conf *c, const char *path)
{
    char *text = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(path, &text, NULL, &err)) {
        afmp_log("%s: --zone-file: %s", PROG, err->message);
        g_error_free(err);
        return false;
    }
    gchar **lines = g_strsplit(text, "\n", -1);
    bool ok = true;
    for (size_t i = 0; lines[i] && ok; i++) {
        char *l = lines[i];
        l[strcspn(l, "#;")] = '\0';
        for (char *q = l; *q; q++)
            if (*q == '=' || *q == ',' || *q == '\t' || *q == '\r')
                *q = ' ';
        g_strstrip(l);
        if (!*l)
            continue;
        char *sp = strchr(l, ' ');
        char *where = g_strdup_printf("%s:%zu", path, i + 1);
        if (!sp) {
            afmp_log("%s: %s: expected NAME ADDR [ADDR...]", PROG, where);
            ok = false;
        } else {
            *sp = '\0';
            ok = zone_add(c, where, l, sp + 1);
        }
        g_free(where);
    }
    g_strfreev(lines);
    g_free(text);
    return ok;
}

/* ---- answering ---- */

static void publish(const struct counts *n)
{
    afmp_result("queries", (int64_t)n->queries);
    afmp_result("queries_a", (int64_t)n->queries_a);
    afmp_result("queries_aaaa", (int64_t)n->queries_aaaa);
    afmp_result("queries_other", (int64_t)n->queries_other);
    afmp_result("malformed", (int64_t)n->malformed);
    afmp_result("responses", (int64_t)n->responses);
    afmp_result("responses_noerror", (int64_t)n->noerror);
    afmp_result("responses_nodata", (int64_t)n->nodata);
    afmp_result("responses_nxdomain", (int64_t)n->nxdomain);
    afmp_result("responses_servfail", (int64_t)n->servfail);
    afmp_result("responses_other", (int64_t)n->other);
    afmp_result("answers_a", (int64_t)n->answers_a);
    afmp_result("answers_aaaa", (int64_t)n->answers_aaaa);
    afmp_result("dropped", (int64_t)n->dropped);
    afmp_result("overflow", (int64_t)n->overflow);
}

/* Fills |r| with the answer to the query |q| (already checked to be a
 * well-formed standard query with one IN question). Returns false when
 * the name is to time out. */
static bool answer(const struct conf *c, const struct mp_dns_msg *q, struct mp_dns_msg *r)
{
    const struct mp_dns_question *qq = &q->question[0];
    enum fail_mode mode = fail_find(c, &qq->name);
    const struct zone_entry *e = zone_find(c, &qq->name);

    if (mode == FAIL_TIMEOUT)
        return false;
    r->h.aa = true;
    if (mode == FAIL_NXDOMAIN || (!e && mode != FAIL_SERVFAIL)) {
        r->h.rcode = MP_DNS_RCODE_NXDOMAIN;
        return true;
    }
    if (mode == FAIL_SERVFAIL) {
        r->h.aa = false;
        r->h.rcode = MP_DNS_RCODE_SERVFAIL;
        return true;
    }
    bool want_a = qq->qtype == MP_DNS_TYPE_A || qq->qtype == MP_DNS_TYPE_ANY;
    bool want_aaaa = qq->qtype == MP_DNS_TYPE_AAAA || qq->qtype == MP_DNS_TYPE_ANY;
    if (mode == FAIL_A_ONLY)
        want_aaaa = false;
    if (mode == FAIL_AAAA_ONLY)
        want_a = false;
    for (size_t i = 0; i < e->n && r->n_answer < MP_DNS_MAX_ANSWERS; i++) {
        const struct mp_ip *ip = &e->addrs[i];
        if ((ip->v == 4 && !want_a) || (ip->v == 6 && !want_aaaa))
            continue;
        struct mp_dns_rr *rr = &r->answer[r->n_answer++];
        rr->name = qq->name; /* the case the client used (RFC 4343 4.1) */
        rr->type = ip->v == 4 ? MP_DNS_TYPE_A : MP_DNS_TYPE_AAAA;
        rr->rclass = MP_DNS_CLASS_IN;
        rr->ttl = c->ttl;
        rr->addr = *ip;
    }
    return true;
}

/* Handles one datagram; queues its answer (if any) on |out|. */
static void handle(const struct conf *c, struct counts *n, const uint8_t *buf, size_t len, int fd,
                   const struct sockaddr_storage *from, socklen_t flen, struct outq *out)
{
    struct mp_dns_msg *q = g_new(struct mp_dns_msg, 1);
    struct mp_dns_msg *r = g_new0(struct mp_dns_msg, 1);
    mp_time_t now = afmp_now_ns();
    int pr = mp_dns_msg_parse(buf, len, q);

    if (pr == MP_WIRE_ETRUNC && len < MP_DNS_HLEN) {
        n->malformed++;
        goto done;
    }
    if (pr < 0) {
        mp_dns_header_parse(buf, len, &q->h);
        q->n_question = 0;
    }
    if (q->h.qr)
        goto done; /* never answer a response */
    if (!n->queries)
        afmp_result("first_query_ns", (int64_t)now);
    afmp_result("last_query_ns", (int64_t)now);
    n->queries++;
    r->h.id = q->h.id;
    r->h.qr = true;
    r->h.opcode = q->h.opcode;
    r->h.rd = q->h.rd;
    r->h.ra = true;
    if (pr < 0 || q->n_question != 1 || q->n_question_dropped) {
        /* RFC 1035 4.1.1: format error. The question is echoed only when
         * there is exactly one readable question. */
        n->malformed++;
        r->h.rcode = MP_DNS_RCODE_FORMERR;
    } else {
        r->question[0] = q->question[0];
        r->n_question = 1;
        uint16_t qt = q->question[0].qtype, qc = q->question[0].qclass;
        if (qt == MP_DNS_TYPE_A)
            n->queries_a++;
        else if (qt == MP_DNS_TYPE_AAAA)
            n->queries_aaaa++;
        else
            n->queries_other++;
        if (q->h.opcode != MP_DNS_OPCODE_QUERY)
            r->h.rcode = MP_DNS_RCODE_NOTIMP;
        else if (qc != MP_DNS_CLASS_IN && qc != MP_DNS_TYPE_ANY)
            r->h.rcode = MP_DNS_RCODE_REFUSED;
        else if (!answer(c, q, r)) {
            n->dropped++;
            goto done;
        }
    }
    if (out->n == MAX_PENDING) {
        n->overflow++;
        goto done;
    }
    struct pending *p = &out->p[(out->head + out->n) % MAX_PENDING];
    int elen =
        mp_dns_msg_emit(p->msg, sizeof(p->msg), r, MP_DNS_EMIT_COMPRESS | MP_DNS_EMIT_TRUNCATE);
    if (elen < 0) {
        afmp_log("%s: cannot build an answer: %s", PROG, mp_wire_strerror(elen));
        goto done;
    }
    p->len = (size_t)elen;
    p->due = now + c->delay;
    p->fd = fd;
    p->to = *from;
    p->tolen = flen;
    out->n++;
done:
    publish(n);
    g_free(q);
    g_free(r);
}

static void send_due(struct counts *n, struct outq *out)
{
    mp_time_t now = afmp_now_ns();
    struct mp_dns_msg *m = g_new(struct mp_dns_msg, 1);

    while (out->n && out->p[out->head].due <= now) {
        struct pending *p = &out->p[out->head];
        out->head = (out->head + 1) % MAX_PENDING;
        out->n--;
        if (afmp_sendto(p->fd, p->msg, p->len, 0, (struct sockaddr *)&p->to, p->tolen) >= 0 &&
            mp_dns_msg_parse(p->msg, p->len, m) == 0) {
            /* Counted from what left, truncation included. */
            n->responses++;
            switch (m->h.rcode) {
            case MP_DNS_RCODE_NOERROR:
                n->noerror++;
                if (!m->n_answer)
                    n->nodata++;
                break;
            case MP_DNS_RCODE_NXDOMAIN:
                n->nxdomain++;
                break;
            case MP_DNS_RCODE_SERVFAIL:
                n->servfail++;
                break;
            default:
                n->other++;
            }
            for (size_t i = 0; i < m->n_answer; i++) {
                if (m->answer[i].type == MP_DNS_TYPE_A)
                    n->answers_a++;
                else if (m->answer[i].type == MP_DNS_TYPE_AAAA)
                    n->answers_aaaa++;
            }
        }
    }
    g_free(m);
    publish(n);
}

static int open_socket(const struct conf *c, int family)
{
    return mp_app_udp_open(PROG, family, c->has_bind ? &c->bind : NULL, c->blen, c->port);
}

static int run(const struct conf *c)
{
    struct pollfd pfd[2];
    nfds_t nfd = 0;
    struct counts n = {0};
    struct outq out = {0};
    uint8_t buf[RECV_MAX];

    if (c->has_bind) {
        int fd = open_socket(c, c->bind.ss_family);
        if (fd >= 0)
            pfd[nfd++] = (struct pollfd){.fd = fd, .events = POLLIN};
    } else {
        static const int fams[2] = {AF_INET, AF_INET6};
        for (int i = 0; i < 2; i++) {
            int fd = open_socket(c, fams[i]);
            if (fd >= 0)
                pfd[nfd++] = (struct pollfd){.fd = fd, .events = POLLIN};
        }
    }
    if (!nfd)
        return MP_APP_EXIT_FAIL;
    publish(&n);
    afmp_log("%s: %zu names on port %u, answer delay %" G_GUINT64_FORMAT " ns", PROG, c->n_zone,
             c->port, c->delay);
    for (;;) {
        struct pending *head = out.n ? &out.p[out.head] : NULL;
        struct timespec tmo, *tp = NULL;
        if (head) {
            mp_time_t now = afmp_now_ns(), d = head->due > now ? head->due - now : 0;
            tmo.tv_sec = (time_t)(d / 1000000000u);
            tmo.tv_nsec = (long)(d % 1000000000u);
            tp = &tmo;
        }
        if (afmp_ppoll(pfd, nfd, tp, NULL) < 0) {
            afmp_log("%s: poll: %s", PROG, g_strerror(errno));
            break;
        }
        for (nfds_t i = 0; i < nfd; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            for (;;) {
                struct sockaddr_storage from;
                socklen_t flen = sizeof(from);
                ssize_t len = afmp_recvfrom(pfd[i].fd, buf, RECV_MAX, MSG_DONTWAIT,
                                            (struct sockaddr *)&from, &flen);
                if (len < 0)
                    break;
                handle(c, &n, buf, (size_t)len, pfd[i].fd, &from, flen, &out);
            }
        }
        send_due(&n, &out);
    }
    for (nfds_t i = 0; i < nfd; i++)
        afmp_close(pfd[i].fd);
    return MP_APP_EXIT_FAIL;
}

int mp_app_dns_server_main(int argc, char **argv)
{
    gint port = MP_DNS_PORT, ttl = 60;
    char *bind = NULL, *zfile = NULL, *delay = NULL;
    char **records = NULL, **fails = NULL;
    const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "UDP port (default 53)", "P"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "local address (default: any, both families)",
         "ADDR"},
        {"zone-file", 0, 0, G_OPTION_ARG_FILENAME, &zfile, "names and addresses, one name a line",
         "FILE"},
        {"record", 0, 0, G_OPTION_ARG_STRING_ARRAY, &records,
         "a name and its addresses (repeatable)", "NAME=ADDR[,ADDR...]"},
        {"delay", 0, 0, G_OPTION_ARG_STRING, &delay, "answer delay (default 0)", "T"},
        {"ttl", 0, 0, G_OPTION_ARG_INT, &ttl, "TTL of the records, seconds (default 60)", "S"},
        {"fail", 0, 0, G_OPTION_ARG_STRING_ARRAY, &fails,
         "failure mode of a name: nxdomain, timeout, servfail, a-only, aaaa-only (repeatable)",
         "NAME=MODE"},
        {NULL},
    };
    struct conf c; /* ~40 KiB: on the process's stack (see MAX_NAMES) */
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    memset(&c, 0, sizeof(c));
    switch (mp_app_parse_options(PROG, "", "Answers A and AAAA queries over UDP from a zone.",
                                 entries, &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        rc = MP_APP_EXIT_OK;
        if (port <= 0 || port > 65535) {
            afmp_log("%s: --port: expected 1..65535", PROG);
            rc = MP_APP_EXIT_USAGE;
        } else if (ttl < 0) {
            afmp_log("%s: --ttl: expected 0 or more seconds", PROG);
            rc = MP_APP_EXIT_USAGE;
        } else if ((bind && !mp_app_resolve(PROG, bind, (uint16_t)port, &c.bind, &c.blen)) ||
                   (delay && !mp_app_opt_time(PROG, "--delay", delay, false, &c.delay)) ||
                   (zfile && !zone_file(&c, zfile))) {
            rc = MP_APP_EXIT_USAGE;
        }
        for (char **r = records; rc == MP_APP_EXIT_OK && r && *r; r++)
            if (!opt_record(&c, *r))
                rc = MP_APP_EXIT_USAGE;
        for (char **f = fails; rc == MP_APP_EXIT_OK && f && *f; f++)
            if (!opt_fail(&c, *f))
                rc = MP_APP_EXIT_USAGE;
    }
    c.port = (uint16_t)port;
    c.ttl = (uint32_t)ttl;
    c.has_bind = bind != NULL;
    g_free(bind);
    g_free(zfile);
    g_free(delay);
    g_strfreev(records);
    g_strfreev(fails);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
