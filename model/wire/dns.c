/*
 * afmp: DNS messages (dns.h).
 */
#include "model/wire/dns.h"

#include <string.h>

/* ---- names ---- */

int mp_dns_name_from_text(const char *s, struct mp_dns_name *out)
{
    size_t n = 0, slen = strlen(s);

    /* "" and "." are the root; one final dot is allowed (fully qualified). */
    if (slen && s[slen - 1] == '.')
        slen--;
    for (size_t i = 0; i < slen;) {
        size_t j = i;
        while (j < slen && s[j] != '.')
            j++;
        size_t l = j - i;
        if (l == 0 || l > MP_DNS_MAX_LABEL || n + 1 + l + 1 > MP_DNS_MAX_NAME)
            return MP_WIRE_EINVAL;
        out->wire[n] = (uint8_t)l;
        memcpy(out->wire + n + 1, s + i, l);
        n += 1 + l;
        i = j + 1;
        /* "a." was cut above; "a..b" or "a.." leaves an empty label. */
        if (j < slen && i == slen)
            return MP_WIRE_EINVAL;
    }
    out->wire[n++] = 0;
    out->len = (uint8_t)n;
    return 0;
}

/* Walks the labels of a stored name; false if it is not well formed. */
static bool name_valid(const struct mp_dns_name *n)
{
    size_t i = 0;
    while (i < n->len) {
        uint8_t l = n->wire[i];
        if (l > MP_DNS_MAX_LABEL)
            return false;
        if (l == 0)
            return i + 1 == n->len;
        i += 1u + l;
    }
    return false;
}

int mp_dns_name_to_text(const struct mp_dns_name *n, char *buf, size_t len)
{
    size_t o = 0;

    if (!len)
        return MP_WIRE_ENOSPC;
    buf[0] = '\0';
    if (!name_valid(n))
        return MP_WIRE_EINVAL;
    if (n->len == 1) {
        if (len < 2)
            return MP_WIRE_ENOSPC;
        buf[0] = '.';
        buf[1] = '\0';
        return 1;
    }
    for (size_t i = 0; n->wire[i]; i += 1u + n->wire[i]) {
        if (i) {
            if (o + 1 >= len)
                goto nospc;
            buf[o++] = '.';
        }
        for (size_t k = 0; k < n->wire[i]; k++) {
            uint8_t c = n->wire[i + 1 + k];
            if (c == '.' || c == '\\' || c < 0x21 || c > 0x7e) {
                /* RFC 1035 5.1: \DDD, the byte in decimal. */
                if (o + 4 >= len)
                    goto nospc;
                buf[o++] = '\\';
                buf[o++] = (char)('0' + c / 100);
                buf[o++] = (char)('0' + c / 10 % 10);
                buf[o++] = (char)('0' + c % 10);
            } else {
                if (o + 1 >= len)
                    goto nospc;
                buf[o++] = (char)c;
            }
        }
    }
    buf[o] = '\0';
    return (int)o;
nospc:
    buf[0] = '\0';
    return MP_WIRE_ENOSPC;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool mp_dns_name_eq(const struct mp_dns_name *a, const struct mp_dns_name *b)
{
    if (a->len != b->len)
        return false;
    /* Length bytes are at most 63, so they compare equal under lower()
     * only if they are equal. */
    for (size_t i = 0; i < a->len; i++)
        if (lower(a->wire[i]) != lower(b->wire[i]))
            return false;
    return true;
}

int mp_dns_name_parse(const uint8_t *msg, size_t len, size_t off, struct mp_dns_name *out,
                      size_t *next)
{
    size_t pos = off, n = 0;
    /* Every pointer must point strictly before the last place the walk
     * started from (RFC 1035 4.1.4: "a prior occurance of the same name"),
     * so the walk moves backwards at each jump and always ends. */
    size_t limit = off;
    bool jumped = false;

    for (;;) {
        if (pos >= len)
            return MP_WIRE_ETRUNC;
        uint8_t b = msg[pos];
        if ((b & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return MP_WIRE_ETRUNC;
            size_t target = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
            if (!jumped)
                *next = pos + 2;
            jumped = true;
            if (target >= len)
                return MP_WIRE_ELEN;
            if (target >= limit)
                return MP_WIRE_EFIELD;
            limit = pos = target;
            continue;
        }
        /* RFC 1035 4.1.4: 01 and 10 are reserved (RFC 6891 retired the
         * extended label types): a length byte above 63. */
        if (b & 0xc0)
            return MP_WIRE_EFIELD;
        if (n + 1u + b > MP_DNS_MAX_NAME)
            return MP_WIRE_ELEN;
        if (pos + 1u + b > len)
            return MP_WIRE_ETRUNC;
        out->wire[n] = b;
        memcpy(out->wire + n + 1, msg + pos + 1, b);
        n += 1u + b;
        pos += 1u + b;
        if (b == 0) {
            if (!jumped)
                *next = pos;
            out->len = (uint8_t)n;
            return 0;
        }
    }
}

/* ---- header ---- */

int mp_dns_header_parse(const uint8_t *p, size_t len, struct mp_dns_header *out)
{
    if (len < MP_DNS_HLEN)
        return MP_WIRE_ETRUNC;
    out->id = mp_wire_get16(p);
    out->qr = p[2] & 0x80;
    out->opcode = (p[2] >> 3) & 0x0f;
    out->aa = p[2] & 0x04;
    out->tc = p[2] & 0x02;
    out->rd = p[2] & 0x01;
    out->ra = p[3] & 0x80;
    out->z = (p[3] >> 4) & 0x07;
    out->rcode = p[3] & 0x0f;
    out->qdcount = mp_wire_get16(p + 4);
    out->ancount = mp_wire_get16(p + 6);
    out->nscount = mp_wire_get16(p + 8);
    out->arcount = mp_wire_get16(p + 10);
    return 0;
}

int mp_dns_header_emit(uint8_t *buf, size_t cap, const struct mp_dns_header *h)
{
    if (h->opcode > 15 || h->rcode > 15 || h->z > 7)
        return MP_WIRE_EINVAL;
    if (cap < MP_DNS_HLEN)
        return MP_WIRE_ENOSPC;
    mp_wire_put16(buf, h->id);
    buf[2] = (uint8_t)((h->qr ? 0x80 : 0) | h->opcode << 3 | (h->aa ? 0x04 : 0) |
                       (h->tc ? 0x02 : 0) | (h->rd ? 0x01 : 0));
    buf[3] = (uint8_t)((h->ra ? 0x80 : 0) | h->z << 4 | h->rcode);
    mp_wire_put16(buf + 4, h->qdcount);
    mp_wire_put16(buf + 6, h->ancount);
    mp_wire_put16(buf + 8, h->nscount);
    mp_wire_put16(buf + 10, h->arcount);
    return (int)MP_DNS_HLEN;
}

/* ---- messages: parse ---- */

static int question_parse(const uint8_t *p, size_t len, size_t *off, struct mp_dns_question *q)
{
    int r = mp_dns_name_parse(p, len, *off, &q->name, off);
    if (r < 0)
        return r;
    if (len - *off < 4)
        return MP_WIRE_ETRUNC;
    q->qtype = mp_wire_get16(p + *off);
    q->qclass = mp_wire_get16(p + *off + 2);
    *off += 4;
    return 0;
}

static int rr_parse(const uint8_t *p, size_t len, size_t *off, struct mp_dns_rr *rr)
{
    int r = mp_dns_name_parse(p, len, *off, &rr->name, off);
    if (r < 0)
        return r;
    if (len - *off < 10)
        return MP_WIRE_ETRUNC;
    const uint8_t *f = p + *off;
    rr->type = mp_wire_get16(f);
    rr->rclass = mp_wire_get16(f + 2);
    rr->ttl = mp_wire_get32(f + 4);
    rr->rdlen = mp_wire_get16(f + 8);
    *off += 10;
    if (len - *off < rr->rdlen)
        return MP_WIRE_ETRUNC;
    rr->rdata = p + *off;
    rr->addr.v = 0;
    if (rr->rclass == MP_DNS_CLASS_IN && rr->type == MP_DNS_TYPE_A) {
        /* RFC 1035 3.4.1: a 32-bit address. */
        if (rr->rdlen != 4)
            return MP_WIRE_ELEN;
        memset(&rr->addr, 0, sizeof(rr->addr));
        rr->addr.v = 4;
        memcpy(rr->addr.b, rr->rdata, 4);
    } else if (rr->rclass == MP_DNS_CLASS_IN && rr->type == MP_DNS_TYPE_AAAA) {
        /* RFC 3596 2.2: a 128-bit address. */
        if (rr->rdlen != 16)
            return MP_WIRE_ELEN;
        rr->addr.v = 6;
        memcpy(rr->addr.b, rr->rdata, 16);
    }
    *off += rr->rdlen;
    return 0;
}

int mp_dns_msg_parse(const uint8_t *p, size_t len, struct mp_dns_msg *out)
{
    struct mp_dns_question q;
    struct mp_dns_rr rr;
    size_t off = MP_DNS_HLEN;
    int r = mp_dns_header_parse(p, len, &out->h);

    if (r < 0)
        return r;
    out->n_question = out->n_answer = 0;
    out->n_question_dropped = out->n_answer_dropped = 0;
    for (unsigned i = 0; i < out->h.qdcount; i++) {
        struct mp_dns_question *dst =
            out->n_question < MP_DNS_MAX_QUESTIONS ? &out->question[out->n_question] : &q;
        if ((r = question_parse(p, len, &off, dst)) < 0)
            return r;
        if (dst == &q)
            out->n_question_dropped++;
        else
            out->n_question++;
    }
    for (unsigned i = 0; i < out->h.ancount; i++) {
        struct mp_dns_rr *dst =
            out->n_answer < MP_DNS_MAX_ANSWERS ? &out->answer[out->n_answer] : &rr;
        if ((r = rr_parse(p, len, &off, dst)) < 0)
            return r;
        if (dst == &rr)
            out->n_answer_dropped++;
        else
            out->n_answer++;
    }
    /* Authority and additional records: checked, not kept. */
    unsigned rest = (unsigned)out->h.nscount + out->h.arcount;
    for (unsigned i = 0; i < rest; i++)
        if ((r = rr_parse(p, len, &off, &rr)) < 0)
            return r;
    out->end = off;
    return 0;
}

/* ---- messages: emit ---- */

#define COMP_MAX 64u

struct writer {
    uint8_t *buf;
    size_t cap, len;
    bool compress;
    /* Offsets of label sequences already written that a pointer may name
     * (14-bit offsets only). */
    uint16_t comp[COMP_MAX];
    size_t n_comp;
};

/* True if the name in |w| at offset |o| (ours, so well formed) is the
 * labels |s| (wire form, ending with the root label) byte for byte: case
 * too, so that compression keeps the case of every name (RFC 4343 4.1). */
static bool same_suffix(const struct writer *w, size_t o, const uint8_t *s)
{
    for (;;) {
        uint8_t b = w->buf[o];
        if ((b & 0xc0) == 0xc0) {
            o = (size_t)(b & 0x3f) << 8 | w->buf[o + 1];
            continue;
        }
        if (b != *s)
            return false;
        if (b == 0)
            return true;
        if (memcmp(w->buf + o + 1, s + 1, b))
            return false;
        o += 1u + b;
        s += 1u + b;
    }
}

static int put_name(struct writer *w, const struct mp_dns_name *n)
{
    size_t i = 0;

    if (!name_valid(n))
        return MP_WIRE_EINVAL;
    while (n->wire[i]) {
        if (w->compress) {
            for (size_t c = 0; c < w->n_comp; c++) {
                if (!same_suffix(w, w->comp[c], n->wire + i))
                    continue;
                if (w->cap - w->len < 2)
                    return MP_WIRE_ENOSPC;
                mp_wire_put16(w->buf + w->len, (uint16_t)(0xc000 | w->comp[c]));
                w->len += 2;
                return 0;
            }
            if (w->len < 0x4000 && w->n_comp < COMP_MAX)
                w->comp[w->n_comp++] = (uint16_t)w->len;
        }
        size_t l = 1u + n->wire[i];
        if (w->cap - w->len < l)
            return MP_WIRE_ENOSPC;
        memcpy(w->buf + w->len, n->wire + i, l);
        w->len += l;
        i += l;
    }
    if (w->cap - w->len < 1)
        return MP_WIRE_ENOSPC;
    w->buf[w->len++] = 0;
    return 0;
}

static int put_question(struct writer *w, const struct mp_dns_name *name, uint16_t qtype,
                        uint16_t qclass)
{
    int r = put_name(w, name);
    if (r < 0)
        return r;
    if (w->cap - w->len < 4)
        return MP_WIRE_ENOSPC;
    mp_wire_put16(w->buf + w->len, qtype);
    mp_wire_put16(w->buf + w->len + 2, qclass);
    w->len += 4;
    return 0;
}

static int put_rr(struct writer *w, const struct mp_dns_rr *rr)
{
    const uint8_t *rdata = rr->rdata;
    size_t rdlen = rr->rdlen;

    if (rr->rclass == MP_DNS_CLASS_IN && rr->type == MP_DNS_TYPE_A) {
        if (rr->addr.v != 4)
            return MP_WIRE_EINVAL;
        rdata = rr->addr.b;
        rdlen = 4;
    } else if (rr->rclass == MP_DNS_CLASS_IN && rr->type == MP_DNS_TYPE_AAAA) {
        if (rr->addr.v != 6)
            return MP_WIRE_EINVAL;
        rdata = rr->addr.b;
        rdlen = 16;
    } else if (rdlen && !rdata) {
        return MP_WIRE_EINVAL;
    }
    int r = put_name(w, &rr->name);
    if (r < 0)
        return r;
    if (w->cap - w->len < 10 + rdlen)
        return MP_WIRE_ENOSPC;
    uint8_t *f = w->buf + w->len;
    mp_wire_put16(f, rr->type);
    mp_wire_put16(f + 2, rr->rclass);
    mp_wire_put32(f + 4, rr->ttl);
    mp_wire_put16(f + 8, (uint16_t)rdlen);
    if (rdlen)
        memcpy(f + 10, rdata, rdlen);
    w->len += 10 + rdlen;
    return 0;
}

int mp_dns_msg_emit(uint8_t *buf, size_t cap, const struct mp_dns_msg *m, unsigned flags)
{
    struct writer w = {.buf = buf, .cap = cap, .compress = flags & MP_DNS_EMIT_COMPRESS};
    struct mp_dns_header h = m->h;
    int r;

    if (m->n_question > MP_DNS_MAX_QUESTIONS || m->n_answer > MP_DNS_MAX_ANSWERS)
        return MP_WIRE_EINVAL;
    h.qdcount = (uint16_t)m->n_question;
    h.ancount = (uint16_t)m->n_answer;
    h.nscount = h.arcount = 0;
    /* The header goes first with the planned counts, and again at the end
     * if truncation changed them. */
    if ((r = mp_dns_header_emit(buf, cap, &h)) < 0)
        return r;
    w.len = MP_DNS_HLEN;
    for (size_t i = 0; i < m->n_question; i++) {
        const struct mp_dns_question *q = &m->question[i];
        if ((r = put_question(&w, &q->name, q->qtype, q->qclass)) < 0)
            return r;
    }
    for (size_t i = 0; i < m->n_answer; i++) {
        size_t len0 = w.len, comp0 = w.n_comp;
        r = put_rr(&w, &m->answer[i]);
        if (r == MP_WIRE_ENOSPC && (flags & MP_DNS_EMIT_TRUNCATE)) {
            /* RFC 2181 9: set TC when not all the data fits; what was
             * written of the record that did not fit is dropped. */
            w.len = len0;
            w.n_comp = comp0;
            h.tc = true;
            h.ancount = (uint16_t)i;
            mp_dns_header_emit(buf, cap, &h);
            break;
        }
        if (r < 0)
            return r;
    }
    return (int)w.len;
}

int mp_dns_query_emit(uint8_t *buf, size_t cap, uint16_t id, const struct mp_dns_name *name,
                      uint16_t qtype, bool rd)
{
    struct mp_dns_header h = {.id = id, .opcode = MP_DNS_OPCODE_QUERY, .rd = rd, .qdcount = 1};
    struct writer w = {.buf = buf, .cap = cap};
    int r = mp_dns_header_emit(buf, cap, &h);

    if (r < 0)
        return r;
    w.len = MP_DNS_HLEN;
    if ((r = put_question(&w, name, qtype, MP_DNS_CLASS_IN)) < 0)
        return r;
    return (int)w.len;
}

const char *mp_dns_rcode_str(unsigned rcode)
{
    static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                        "NXDOMAIN", "NOTIMP",  "REFUSED"};
    return rcode < MP_ARRAY_LEN(names) ? names[rcode] : "unknown";
}
