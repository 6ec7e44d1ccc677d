/*
 * afmp-trace: the report, the CSV tables and the JSON document
 * (tools/trace/OUTPUTS.md). Numbers are printed with fixed formats so that
 * the same captures give the same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "afmp-version.h"
#include "tools/trace/trace.h"

const char *at_ip_str(const struct mp_ip *ip, char *buf, size_t len)
{
    if (ip->v == 4)
        inet_ntop(AF_INET, ip->b, buf, (socklen_t)len);
    else if (ip->v == 6)
        inet_ntop(AF_INET6, ip->b, buf, (socklen_t)len);
    else
        g_strlcpy(buf, "?", len);
    return buf;
}

void at_fmt_time(char *buf, size_t len, int64_t ns)
{
    g_snprintf(buf, len, "%s%" PRId64 ".%09" PRId64, ns < 0 ? "-" : "", (ns < 0 ? -ns : ns) / 1000000000,
               (ns < 0 ? -ns : ns) % 1000000000);
}

const char *at_class_name(enum at_class c)
{
    static const char *const n[] = {"new", "retrans", "reinject", "ctl"};
    return n[c];
}

const char *at_end_name(enum at_end e)
{
    static const char *const n[] = {"open", "fin", "rst"};
    return n[e];
}

static void endpoint_str(const struct mp_ip *ip, uint16_t port, char *buf, size_t len)
{
    char a[64];
    at_ip_str(ip, a, sizeof(a));
    if (ip->v == 6)
        g_snprintf(buf, len, "[%s]:%u", a, port);
    else
        g_snprintf(buf, len, "%s:%u", a, port);
}

static const char *dir_name(int d)
{
    return d < 0 ? "" : d ? "s2c" : "c2s";
}

static void print_bytes(FILE *f, uint64_t b)
{
    if (b >= 10u * 1024 * 1024)
        fprintf(f, "%" PRIu64 " B (%.1f MiB)", b, b / 1048576.0);
    else if (b >= 10u * 1024)
        fprintf(f, "%" PRIu64 " B (%.1f KiB)", b, b / 1024.0);
    else
        fprintf(f, "%" PRIu64 " B", b);
}

void at_print_report(FILE *f, const struct at_analysis *a)
{
    char t1[32], t2[32], e1[96], e2[96];
    fprintf(f, "%" PRIu64 " packets, %" PRIu64 " TCP segments, %" PRIu64
               " duplicates dropped, %" PRIu64 " other packets; %u connections\n",
            a->packets, a->segments, a->duplicates, a->ignored, a->conns->len);
    for (guint i = 0; i < a->conns->len; i++) {
        const struct at_conn *c = a->conns->pdata[i];
        endpoint_str(&c->ip[0], c->port[0], e1, sizeof(e1));
        endpoint_str(&c->ip[1], c->port[1], e2, sizeof(e2));
        at_fmt_time(t1, sizeof(t1), c->t_start);
        at_fmt_time(t2, sizeof(t2), c->t_end);
        fprintf(f, "\nconnection %u: %s%s%s%s  %s -> %s  %s - %s s\n", c->id,
                c->mptcp ? "MPTCP v1" : "TCP", c->fallback ? " (fallback: " : "",
                c->fallback ? c->fallback : "", c->fallback ? ")" : "", e1, e2, t1, t2);
        if (c->mptcp || c->fallback) {
            for (int s = 0; s < 2; s++) {
                if (c->has_key[s])
                    fprintf(f, "  %s key 0x%016" PRIx64 " token 0x%08" PRIx32
                               " idsn 0x%016" PRIx64 "%s\n",
                            s ? "server" : "client", c->key[s], c->token[s], c->idsn[s],
                            s == 0 && c->csum ? "  (DSS checksums)" : "");
                else if (c->mptcp)
                    fprintf(f, "  %s key not seen\n", s ? "server" : "client");
            }
        }
        for (int d = 0; d < 2; d++) {
            const struct at_cdir *cd = &c->d[d];
            fprintf(f, "  %s: ", dir_name(d));
            print_bytes(f, cd->bytes);
            if (cd->bytes) {
                char st[32];
                at_fmt_time(st, sizeof(st), cd->max_stall);
                fprintf(f, ", acked %" PRIu64 ", goodput %.3f Mbit/s, retransmitted %" PRIu64
                           " B, reinjected %" PRIu64 " B, longest stall %s s",
                        cd->acked, at_goodput(cd) / 1e6, cd->retrans, cd->reinject, st);
                if (c->mptcp)
                    fprintf(f, ", %" PRIu64 " mappings%s", cd->mappings,
                            cd->data_fin ? ", DATA_FIN" : "");
            }
            fputc('\n', f);
        }
        fprintf(f, "  subflows:\n");
        for (guint j = 0; j < c->sfs->len; j++) {
            const struct at_sf *sf = c->sfs->pdata[j];
            endpoint_str(&sf->cip, sf->cport, e1, sizeof(e1));
            endpoint_str(&sf->sip, sf->sport, e2, sizeof(e2));
            at_fmt_time(t1, sizeof(t1), sf->t_syn);
            if (sf->t_end >= 0)
                at_fmt_time(t2, sizeof(t2), sf->t_end);
            else
                g_strlcpy(t2, "", sizeof(t2));
            fprintf(f, "    %u %-7s IPv%u %s -> %s", sf->id, sf->join ? "join" : "initial",
                    sf->cip.v, e1, e2);
            if (sf->client_id >= 0 || sf->server_id >= 0)
                fprintf(f, "  ids %d/%d", sf->client_id, sf->server_id);
            if (sf->backup)
                fprintf(f, "  backup");
            if (!sf->established)
                fprintf(f, "  %s, not established%s%s", t1, sf->t_end >= 0 ? " - " : "", t2);
            else if (sf->t_end >= 0)
                fprintf(f, "  %s - %s %s", t1, t2, at_end_name(sf->end));
            else
                fprintf(f, "  %s, open at the end", t1);
            if (sf->rst_reason >= 0)
                fprintf(f, " (MP_TCPRST %d)", sf->rst_reason);
            fputc('\n', f);
            for (int d = 0; d < 2; d++) {
                const struct at_sfdir *sd = &sf->d[d];
                if (!sd->payload)
                    continue;
                fprintf(f, "      %s: ", dir_name(d ^ sf->flip));
                print_bytes(f, sd->payload);
                fprintf(f, " in %" PRIu64 " segments, retransmitted %" PRIu64
                           " B, reinjected %" PRIu64 " B\n",
                        sd->segments, sd->retrans, sd->reinject);
            }
        }
        guint shown = 0, nev = c->events->len;
        for (guint j = 0; j < nev; j++) {
            const struct at_event *e = &g_array_index(c->events, struct at_event, j);
            if (!strcmp(e->event, "syn") || !strcmp(e->event, "established") ||
                !strcmp(e->event, "fin"))
                continue;
            if (shown == 0)
                fprintf(f, "  events:\n");
            if (++shown > 40) {
                fprintf(f, "    ... and more (all of them in events.csv)\n");
                break;
            }
            at_fmt_time(t1, sizeof(t1), e->t);
            fprintf(f, "    %s sf%d %s %s%s%s\n", t1, e->sf, dir_name(e->dir), e->event,
                    *e->detail ? " " : "", e->detail);
        }
    }
}

int at_write_csv_headers(FILE *segments, FILE *mappings)
{
    if (segments)
        fputs("t,conn,sf,dir,flags,len,seq,ack,dsn,data_ack,class\n", segments);
    if (mappings)
        fputs("t,conn,sf,dir,dsn_raw,dsn,ssn,len,csum\n", mappings);
    return 0;
}

static FILE *open_out(const char *dir, const char *name, char **tmp, GError **err)
{
    char *path = g_build_filename(dir, name, NULL);
    *tmp = g_strconcat(path, ".part", NULL);
    g_free(path);
    FILE *f = fopen(*tmp, "w");
    if (!f)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", *tmp,
                    g_strerror(errno));
    return f;
}

/* Closes |f| and renames |tmp| to its final name (without ".part"). */
static bool close_out(FILE *f, char *tmp, GError **err)
{
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    char *final = g_strndup(tmp, strlen(tmp) - 5);
    if (ok && rename(tmp, final) != 0)
        ok = false;
    if (!ok) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", final,
                    g_strerror(errno));
        unlink(tmp);
    }
    g_free(final);
    g_free(tmp);
    return ok;
}

static void csv_time(FILE *f, int64_t t)
{
    char b[32];
    if (t >= 0) {
        at_fmt_time(b, sizeof(b), t);
        fputs(b, f);
    }
}

int at_write_csv_tables(const struct at_analysis *a, const char *dir, GError **err)
{
    char *tmp;
    FILE *f = open_out(dir, "events.csv", &tmp, err);
    if (!f)
        return -1;
    fputs("t,conn,sf,dir,event,detail\n", f);
    for (guint i = 0; i < a->conns->len; i++) {
        const struct at_conn *c = a->conns->pdata[i];
        for (guint j = 0; j < c->events->len; j++) {
            const struct at_event *e = &g_array_index(c->events, struct at_event, j);
            csv_time(f, e->t);
            fprintf(f, ",%u,%d,%s,%s,%s\n", c->id, e->sf, dir_name(e->dir), e->event,
                    e->detail);
        }
    }
    if (!close_out(f, tmp, err))
        return -1;

    char a1[64], a2[64];
    f = open_out(dir, "subflows.csv", &tmp, err);
    if (!f)
        return -1;
    fputs("conn,sf,kind,family,client,cport,server,sport,client_id,server_id,backup,t_syn,"
          "t_established,t_end,end,payload_c2s,payload_s2c,retrans_c2s,retrans_s2c,"
          "reinject_c2s,reinject_s2c\n",
          f);
    for (guint i = 0; i < a->conns->len; i++) {
        const struct at_conn *c = a->conns->pdata[i];
        for (guint j = 0; j < c->sfs->len; j++) {
            const struct at_sf *sf = c->sfs->pdata[j];
            /* c2s / s2c in the connection's orientation */
            const struct at_sfdir *c2s = &sf->d[sf->flip], *s2c = &sf->d[!sf->flip];
            fprintf(f, "%u,%u,%s,%u,%s,%u,%s,%u,", c->id, sf->id, sf->join ? "join" : "initial",
                    sf->cip.v, at_ip_str(&sf->cip, a1, sizeof(a1)), sf->cport,
                    at_ip_str(&sf->sip, a2, sizeof(a2)), sf->sport);
            if (sf->client_id >= 0)
                fprintf(f, "%d", sf->client_id);
            fputc(',', f);
            if (sf->server_id >= 0)
                fprintf(f, "%d", sf->server_id);
            fprintf(f, ",%d,", sf->backup ? 1 : 0);
            csv_time(f, sf->t_syn);
            fputc(',', f);
            csv_time(f, sf->t_est);
            fputc(',', f);
            csv_time(f, sf->t_end);
            fprintf(f,
                    ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    "\n",
                    at_end_name(sf->end), c2s->payload, s2c->payload, c2s->retrans, s2c->retrans,
                    c2s->reinject, s2c->reinject);
        }
    }
    if (!close_out(f, tmp, err))
        return -1;

    f = open_out(dir, "connections.csv", &tmp, err);
    if (!f)
        return -1;
    fputs("conn,mptcp,fallback,client,cport,server,sport,subflows,t_start,t_end,bytes_c2s,"
          "bytes_s2c,goodput_c2s_bps,goodput_s2c_bps,reinject_c2s,reinject_s2c,retrans_c2s,"
          "retrans_s2c,max_stall_c2s,max_stall_s2c\n",
          f);
    for (guint i = 0; i < a->conns->len; i++) {
        const struct at_conn *c = a->conns->pdata[i];
        fprintf(f, "%u,%d,%s,%s,%u,%s,%u,%u,", c->id, c->mptcp ? 1 : 0,
                c->fallback ? c->fallback : "", at_ip_str(&c->ip[0], a1, sizeof(a1)), c->port[0],
                at_ip_str(&c->ip[1], a2, sizeof(a2)), c->port[1], c->sfs->len);
        csv_time(f, c->t_start);
        fputc(',', f);
        csv_time(f, c->t_end);
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%.0f,%.0f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
                   ",%" PRIu64 ",",
                c->d[0].bytes, c->d[1].bytes, at_goodput(&c->d[0]), at_goodput(&c->d[1]),
                c->d[0].reinject, c->d[1].reinject, c->d[0].retrans, c->d[1].retrans);
        csv_time(f, c->d[0].max_stall);
        fputc(',', f);
        csv_time(f, c->d[1].max_stall);
        fputc('\n', f);
    }
    return close_out(f, tmp, err) ? 0 : -1;
}

/* ---- JSON ------------------------------------------------------------- */

static void js_str(GString *g, const char *s)
{
    g_string_append_c(g, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(g, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(g, "\\u%04x", *p);
        else
            g_string_append_c(g, (char)*p);
    }
    g_string_append_c(g, '"');
}

static void js_time(GString *g, int64_t t)
{
    char b[32];
    if (t < 0) {
        g_string_append(g, "null");
        return;
    }
    at_fmt_time(b, sizeof(b), t);
    g_string_append(g, b);
}

static void js_side(GString *g, const struct at_conn *c, int s)
{
    char a[64];
    g_string_append(g, "{\"addr\":");
    js_str(g, at_ip_str(&c->ip[s], a, sizeof(a)));
    g_string_append_printf(g, ",\"port\":%u,", c->port[s]);
    if (c->has_key[s])
        g_string_append_printf(g,
                               "\"key\":\"0x%016" PRIx64 "\",\"token\":\"0x%08" PRIx32
                               "\",\"idsn\":\"0x%016" PRIx64 "\"}",
                               c->key[s], c->token[s], c->idsn[s]);
    else
        g_string_append(g, "\"key\":null,\"token\":null,\"idsn\":null}");
}

static void js_cdir(GString *g, const struct at_cdir *d)
{
    g_string_append_printf(g,
                           "{\"bytes\":%" PRIu64 ",\"acked\":%" PRIu64
                           ",\"goodput_bps\":%.0f,\"reinject\":%" PRIu64 ",\"retrans\":%" PRIu64
                           ",\"max_stall\":",
                           d->bytes, d->acked, at_goodput(d), d->reinject, d->retrans);
    js_time(g, d->max_stall);
    g_string_append(g, ",\"t_first\":");
    js_time(g, d->any ? d->t_first : -1);
    g_string_append(g, ",\"t_acked\":");
    js_time(g, d->t_acked);
    g_string_append_printf(g, ",\"data_fin\":%s,\"mappings\":%" PRIu64 "}",
                           d->data_fin ? "true" : "false", d->mappings);
}

static void js_u64_or_null(GString *g, uint64_t v)
{
    if (v == UINT64_MAX)
        g_string_append(g, "null");
    else
        g_string_append_printf(g, "%" PRIu64, v);
}

static void js_conn(GString *g, const struct at_conn *c)
{
    char a[64];
    g_string_append_printf(g, "{\"id\":%u,\"mptcp\":%s,\"fallback\":", c->id,
                           c->mptcp ? "true" : "false");
    if (c->fallback)
        js_str(g, c->fallback);
    else
        g_string_append(g, "null");
    g_string_append(g, ",\"client\":");
    js_side(g, c, 0);
    g_string_append(g, ",\"server\":");
    js_side(g, c, 1);
    g_string_append(g, ",\"t_start\":");
    js_time(g, c->t_start);
    g_string_append(g, ",\"t_end\":");
    js_time(g, c->t_end);
    g_string_append(g, ",\"c2s\":");
    js_cdir(g, &c->d[0]);
    g_string_append(g, ",\"s2c\":");
    js_cdir(g, &c->d[1]);
    g_string_append(g, ",\"subflows\":[");
    for (guint j = 0; j < c->sfs->len; j++) {
        const struct at_sf *sf = c->sfs->pdata[j];
        if (j)
            g_string_append_c(g, ',');
        g_string_append_printf(g, "{\"id\":%u,\"kind\":\"%s\",\"family\":%u,\"client\":", sf->id,
                               sf->join ? "join" : "initial", sf->cip.v);
        js_str(g, at_ip_str(&sf->cip, a, sizeof(a)));
        g_string_append_printf(g, ",\"cport\":%u,\"server\":", sf->cport);
        js_str(g, at_ip_str(&sf->sip, a, sizeof(a)));
        g_string_append_printf(g, ",\"sport\":%u,\"client_id\":", sf->sport);
        if (sf->client_id >= 0)
            g_string_append_printf(g, "%d", sf->client_id);
        else
            g_string_append(g, "null");
        g_string_append(g, ",\"server_id\":");
        if (sf->server_id >= 0)
            g_string_append_printf(g, "%d", sf->server_id);
        else
            g_string_append(g, "null");
        g_string_append_printf(g, ",\"backup\":%s,\"established\":%s,\"t_syn\":",
                               sf->backup ? "true" : "false", sf->established ? "true" : "false");
        js_time(g, sf->t_syn);
        g_string_append(g, ",\"t_established\":");
        js_time(g, sf->t_est);
        g_string_append(g, ",\"t_end\":");
        js_time(g, sf->t_end);
        g_string_append_printf(g, ",\"end\":\"%s\",\"rst_reason\":", at_end_name(sf->end));
        if (sf->rst_reason >= 0)
            g_string_append_printf(g, "%d", sf->rst_reason);
        else
            g_string_append(g, "null");
        for (int d = 0; d < 2; d++) {
            const struct at_sfdir *sd = &sf->d[d ^ sf->flip];
            g_string_append_printf(g,
                                   ",\"%s\":{\"payload\":%" PRIu64 ",\"retrans\":%" PRIu64
                                   ",\"reinject\":%" PRIu64 ",\"segments\":%" PRIu64 "}",
                                   d ? "s2c" : "c2s", sd->payload, sd->retrans, sd->reinject,
                                   sd->segments);
        }
        g_string_append_c(g, '}');
    }
    g_string_append(g, "],\"events\":[");
    for (guint j = 0; j < c->events->len; j++) {
        const struct at_event *e = &g_array_index(c->events, struct at_event, j);
        if (j)
            g_string_append_c(g, ',');
        g_string_append(g, "{\"t\":");
        js_time(g, e->t);
        g_string_append_printf(g, ",\"sf\":%d,\"dir\":", e->sf);
        if (e->dir < 0)
            g_string_append(g, "null");
        else
            js_str(g, dir_name(e->dir));
        g_string_append(g, ",\"event\":");
        js_str(g, e->event);
        g_string_append(g, ",\"detail\":");
        js_str(g, e->detail);
        g_string_append_c(g, '}');
    }
    g_string_append(g, "],\"series\":{\"columns\":[\"t\",\"sf\",\"dir\",\"len\",\"dsn\","
                       "\"data_ack\",\"class\"],\"rows\":[");
    for (guint j = 0; c->rows && j < c->rows->len; j++) {
        const struct at_row *r = &g_array_index(c->rows, struct at_row, j);
        if (j)
            g_string_append_c(g, ',');
        g_string_append_c(g, '[');
        js_time(g, r->t);
        g_string_append_printf(g, ",%u,\"%s\",%u,", r->sf, dir_name(r->dir), r->len);
        js_u64_or_null(g, r->dsn);
        g_string_append_c(g, ',');
        js_u64_or_null(g, r->data_ack);
        g_string_append_printf(g, ",\"%s\"]", at_class_name(r->klass));
    }
    g_string_append(g, "]}}");
}

int at_write_json(const struct at_analysis *a, const char *path, GError **err)
{
    GString *g = g_string_sized_new(1 << 16);
    g_string_append(g, "{\"tool\":\"afmp-trace\",\"version\":");
    js_str(g, AFMP_VERSION);
    g_string_append(g, ",\"inputs\":[");
    for (guint i = 0; i < a->files->len; i++) {
        if (i)
            g_string_append_c(g, ',');
        js_str(g, a->files->pdata[i]);
    }
    g_string_append(g, "],\"t_origin\":");
    js_time(g, a->origin);
    g_string_append_printf(g,
                           ",\"packets\":%" PRIu64 ",\"segments\":%" PRIu64
                           ",\"duplicates\":%" PRIu64 ",\"ignored\":%" PRIu64
                           ",\"connections\":[",
                           a->packets, a->segments, a->duplicates, a->ignored);
    for (guint i = 0; i < a->conns->len; i++) {
        if (i)
            g_string_append(g, ",\n");
        js_conn(g, a->conns->pdata[i]);
    }
    g_string_append(g, "]}\n");
    char *tmp = g_strconcat(path, ".part", NULL);
    bool ok = g_file_set_contents(tmp, g->str, (gssize)g->len, err) && rename(tmp, path) == 0;
    if (!ok && err && !*err)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
    if (!ok)
        unlink(tmp);
    g_free(tmp);
    g_string_free(g, true);
    return ok ? 0 : -1;
}
