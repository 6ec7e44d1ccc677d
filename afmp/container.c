/*
 * afmp: AF_MULTIPATH container addresses. The layout, limits, error and
 * truncation conventions are in afmp/sockaddr_mp.h.
 *
 * Every reader goes through check() first, which walks the entries with a
 * bounds test before each read; the rest of the file may then decode
 * without re-checking. Fields are read and written with memcpy because
 * entries are packed at offsets the buffer's alignment does not promise.
 */
#include "afmp/sockaddr_mp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/types.h"

static int fail(int err)
{
    errno = err;
    return -1;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof(v));
}

/* Length of the entry at |off| of the |len|-byte container |p|, decoded
 * into |e| when |e| is not NULL; 0 if the entry is malformed or does not
 * fit. Never reads past |len|. */
static size_t decode_entry(const uint8_t *p, size_t len, size_t off, struct afmp_mp_entry *e)
{
    if (off > len || len - off < 2)
        return 0;
    size_t elen = p[off];
    uint8_t fam = p[off + 1];
    if (fam == AF_INET) {
        if (elen != AFMP_MP_V4_LEN)
            return 0;
    } else if (fam == AF_INET6) {
        if (elen != AFMP_MP_V6_LEN && elen != AFMP_MP_V6_SCOPE_LEN)
            return 0;
    } else {
        return 0;
    }
    if (len - off < elen)
        return 0;
    if (e) {
        uint16_t nport;
        memset(e, 0, sizeof(*e));
        e->family = fam;
        memcpy(&nport, p + off + 2, 2);
        e->port = ntohs(nport);
        memcpy(e->addr, p + off + 4, fam == AF_INET ? 4 : 16);
        if (elen == AFMP_MP_V6_SCOPE_LEN)
            memcpy(&e->scope_id, p + off + 20, 4);
    }
    return elen;
}

/* The number of entries of the container, or -1 with errno EINVAL. */
static int check(const uint8_t *p, size_t len)
{
    if (!p || len < AFMP_MP_HDR_LEN || len > AFMP_MP_LEN_MAX)
        return fail(EINVAL);
    if (rd16(p) != AF_MULTIPATH)
        return fail(EINVAL);
    unsigned count = rd16(p + 2);
    if (count == 0 || count > AFMP_MP_MAX_ENTRIES)
        return fail(EINVAL);
    size_t off = AFMP_MP_HDR_LEN;
    for (unsigned i = 0; i < count; i++) {
        size_t n = decode_entry(p, len, off, NULL);
        if (n == 0)
            return fail(EINVAL);
        off += n;
    }
    /* Bytes after the last counted entry: either the count is short or the
     * socklen_t is too long; both are malformed. */
    if (off != len)
        return fail(EINVAL);
    return (int)count;
}

/* Decodes every entry of a container into |out| (room for
 * AFMP_MP_MAX_ENTRIES). Returns the count or -1 with errno EINVAL. */
static int decode_all(const struct sockaddr *sa, socklen_t len, struct afmp_mp_entry *out)
{
    struct afmp_mp_iter it;
    int count = afmp_mp_iter_init(&it, sa, len);
    if (count < 0)
        return -1;
    for (int i = 0; i < count; i++)
        afmp_mp_iter_next(&it, &out[i]);
    return count;
}

/* Encoded length of |e|, or 0 if it cannot be written. */
static size_t entry_len(const struct afmp_mp_entry *e)
{
    if (!e)
        return 0;
    if (e->family == AF_INET) {
        if (e->scope_id != 0)
            return 0;
        for (int i = 4; i < 16; i++)
            if (e->addr[i] != 0)
                return 0;
        return AFMP_MP_V4_LEN;
    }
    if (e->family == AF_INET6)
        return e->scope_id ? AFMP_MP_V6_SCOPE_LEN : AFMP_MP_V6_LEN;
    return 0;
}

/* Writes |e| (valid, entry_len() bytes) at |dst|. */
static void encode_entry(uint8_t *dst, const struct afmp_mp_entry *e, size_t elen)
{
    uint16_t nport = htons(e->port);
    dst[0] = (uint8_t)elen;
    dst[1] = (uint8_t)e->family;
    memcpy(dst + 2, &nport, 2);
    memcpy(dst + 4, e->addr, e->family == AF_INET ? 4 : 16);
    if (elen == AFMP_MP_V6_SCOPE_LEN)
        memcpy(dst + 20, &e->scope_id, 4);
}

/* getsockname()-style output: the first min(*len, |full|) bytes of |src|
 * to |dst|, *len set to |full|. */
static int put_truncated(void *dst, socklen_t *len, const void *src, size_t full)
{
    if (!len || (!dst && *len > 0))
        return fail(EINVAL);
    size_t n = *len < full ? *len : full;
    if (n > 0)
        memcpy(dst, src, n);
    *len = (socklen_t)full;
    return 0;
}

/* Encodes |n| entries into |buf| (AFMP_MP_LEN_MAX bytes). Returns the
 * length or -1 with errno. */
static int encode_all(uint8_t *buf, const struct afmp_mp_entry *e, size_t n)
{
    if (n == 0 || !e)
        return fail(EINVAL);
    if (n > AFMP_MP_MAX_ENTRIES)
        return fail(ENOSPC);
    wr16(buf, AF_MULTIPATH);
    wr16(buf + 2, (uint16_t)n);
    size_t off = AFMP_MP_HDR_LEN;
    for (size_t i = 0; i < n; i++) {
        size_t elen = entry_len(&e[i]);
        if (elen == 0)
            return fail(EINVAL);
        encode_entry(buf + off, &e[i], elen);
        off += elen;
    }
    return (int)off;
}

/* --- checking and reading -------------------------------------------------- */

int afmp_mp_check(const struct sockaddr *sa, socklen_t len)
{
    return check((const uint8_t *)sa, len);
}

int afmp_mp_iter_init(struct afmp_mp_iter *it, const struct sockaddr *sa, socklen_t len)
{
    if (!it)
        return fail(EINVAL);
    it->p = NULL;
    it->len = 0;
    it->off = 0;
    int count = check((const uint8_t *)sa, len);
    if (count < 0)
        return -1;
    it->p = (const uint8_t *)sa;
    it->len = len;
    it->off = AFMP_MP_HDR_LEN;
    return count;
}

int afmp_mp_iter_next(struct afmp_mp_iter *it, struct afmp_mp_entry *e)
{
    struct afmp_mp_entry tmp;
    if (!it || !it->p || it->off >= it->len)
        return 0;
    size_t n = decode_entry(it->p, it->len, it->off, e ? e : &tmp);
    if (n == 0) /* only if the container changed under the iterator */
        return 0;
    it->off += n;
    return 1;
}

int afmp_mp_get(const struct sockaddr *sa, socklen_t len, size_t index, struct afmp_mp_entry *e)
{
    struct afmp_mp_iter it;
    struct afmp_mp_entry tmp;
    int count = afmp_mp_iter_init(&it, sa, len);
    if (count < 0)
        return -1;
    if (index >= (size_t)count || !e)
        return fail(EINVAL);
    for (size_t i = 0; i < index; i++)
        afmp_mp_iter_next(&it, &tmp);
    afmp_mp_iter_next(&it, e);
    return 0;
}

int afmp_mp_find(const struct sockaddr *sa, socklen_t len, const struct afmp_mp_entry *e)
{
    struct afmp_mp_iter it;
    struct afmp_mp_entry cur;
    if (afmp_mp_iter_init(&it, sa, len) < 0)
        return -1;
    if (!e)
        return fail(EINVAL);
    for (int i = 0; afmp_mp_iter_next(&it, &cur); i++)
        if (afmp_mp_entry_equal(&cur, e))
            return i;
    return fail(ENOENT);
}

/* --- building and editing ---------------------------------------------------- */

int afmp_mp_build(struct sockaddr *sa, socklen_t *len, const struct afmp_mp_entry *e, size_t n)
{
    uint8_t buf[AFMP_MP_LEN_MAX];
    if (!len)
        return fail(EINVAL);
    int full = encode_all(buf, e, n);
    if (full < 0)
        return -1;
    return put_truncated(sa, len, buf, (size_t)full);
}

/* Appends |nent| entries, already encoded as the |blen| bytes at |ents|, to
 * the container (or the empty state) in place; all or nothing. */
static int append_encoded(struct sockaddr *sa, socklen_t cap, socklen_t *len, const uint8_t *ents,
                          size_t blen, unsigned nent)
{
    uint8_t *p = (uint8_t *)sa;
    if (!p || !len)
        return fail(EINVAL);
    unsigned count = 0;
    size_t cur = *len;
    if (cur != 0) {
        int c = check(p, cur);
        if (c < 0)
            return -1;
        count = (unsigned)c;
    } else {
        cur = AFMP_MP_HDR_LEN; /* the header is written below */
    }
    if (count + nent > AFMP_MP_MAX_ENTRIES || cap < cur + blen)
        return fail(ENOSPC);
    /* Callers pass a private copy, so the source never overlaps. */
    memcpy(p + cur, ents, blen);
    wr16(p, AF_MULTIPATH);
    wr16(p + 2, (uint16_t)(count + nent));
    *len = (socklen_t)(cur + blen);
    return 0;
}

int afmp_mp_append(struct sockaddr *sa, socklen_t cap, socklen_t *len,
                   const struct afmp_mp_entry *e)
{
    uint8_t ent[AFMP_MP_ENTRY_LEN_MAX];
    size_t elen = entry_len(e);
    if (elen == 0)
        return fail(EINVAL);
    encode_entry(ent, e, elen);
    return append_encoded(sa, cap, len, ent, elen, 1);
}

int afmp_mp_append_sockaddr(struct sockaddr *sa, socklen_t cap, socklen_t *len,
                            const struct sockaddr *addr, socklen_t addrlen)
{
    sa_family_t fam;
    if (!addr || addrlen < sizeof(fam))
        return fail(EINVAL);
    memcpy(&fam, addr, sizeof(fam));
    if (fam == AF_MULTIPATH) {
        /* Copy first: |addr| may be |sa| itself, which the append moves. */
        uint8_t buf[AFMP_MP_LEN_MAX];
        int count = check((const uint8_t *)addr, addrlen);
        if (count < 0)
            return -1;
        memcpy(buf, (const uint8_t *)addr + AFMP_MP_HDR_LEN, addrlen - AFMP_MP_HDR_LEN);
        return append_encoded(sa, cap, len, buf, addrlen - AFMP_MP_HDR_LEN, (unsigned)count);
    }
    struct afmp_mp_entry e;
    if (afmp_mp_entry_from_sockaddr(addr, addrlen, &e) < 0)
        return -1;
    return afmp_mp_append(sa, cap, len, &e);
}

int afmp_mp_remove(struct sockaddr *sa, socklen_t *len, size_t index)
{
    uint8_t *p = (uint8_t *)sa;
    if (!len)
        return fail(EINVAL);
    int count = check(p, *len);
    if (count < 0)
        return -1;
    if (index >= (size_t)count)
        return fail(EINVAL);
    size_t off = AFMP_MP_HDR_LEN;
    for (size_t i = 0; i < index; i++)
        off += decode_entry(p, *len, off, NULL);
    size_t elen = decode_entry(p, *len, off, NULL);
    memmove(p + off, p + off + elen, *len - off - elen);
    wr16(p + 2, (uint16_t)(count - 1));
    *len = count == 1 ? 0 : (socklen_t)(*len - elen);
    return 0;
}

int afmp_mp_set_port(struct sockaddr *sa, socklen_t len, uint16_t port)
{
    uint8_t *p = (uint8_t *)sa;
    int count = check(p, len);
    if (count < 0)
        return -1;
    uint16_t nport = htons(port);
    size_t off = AFMP_MP_HDR_LEN;
    for (int i = 0; i < count; i++) {
        memcpy(p + off + 2, &nport, 2);
        off += decode_entry(p, len, off, NULL);
    }
    return 0;
}

/* --- comparing --------------------------------------------------------------- */

int afmp_mp_entry_equal(const struct afmp_mp_entry *a, const struct afmp_mp_entry *b)
{
    if (a->family != b->family || a->port != b->port || a->scope_id != b->scope_id)
        return 0;
    return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

int afmp_mp_equal(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
                  socklen_t blen)
{
    struct afmp_mp_entry ea[AFMP_MP_MAX_ENTRIES], eb[AFMP_MP_MAX_ENTRIES];
    int na = decode_all(a, alen, ea);
    if (na < 0)
        return -1;
    int nb = decode_all(b, blen, eb);
    if (nb < 0)
        return -1;
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (!afmp_mp_entry_equal(&ea[i], &eb[i]))
            return 0;
    return 1;
}

/* 1 if every entry of |x| is among |y|. At most 32 x 32 comparisons, so a
 * sort buys nothing. */
static int all_in(const struct afmp_mp_entry *x, int nx, const struct afmp_mp_entry *y, int ny)
{
    for (int i = 0; i < nx; i++) {
        int found = 0;
        for (int j = 0; j < ny && !found; j++)
            found = afmp_mp_entry_equal(&x[i], &y[j]);
        if (!found)
            return 0;
    }
    return 1;
}

int afmp_mp_same_set(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
                     socklen_t blen)
{
    struct afmp_mp_entry ea[AFMP_MP_MAX_ENTRIES], eb[AFMP_MP_MAX_ENTRIES];
    int na = decode_all(a, alen, ea);
    if (na < 0)
        return -1;
    int nb = decode_all(b, blen, eb);
    if (nb < 0)
        return -1;
    return all_in(ea, na, eb, nb) && all_in(eb, nb, ea, na);
}

/* --- converting ---------------------------------------------------------------- */

int afmp_mp_entry_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct afmp_mp_entry *e)
{
    sa_family_t fam;
    if (!sa || !e || len < sizeof(fam))
        return fail(EINVAL);
    memcpy(&fam, sa, sizeof(fam));
    if (fam == AF_INET) {
        struct sockaddr_in in;
        if (len < sizeof(in))
            return fail(EINVAL);
        memcpy(&in, sa, sizeof(in));
        memset(e, 0, sizeof(*e));
        e->family = AF_INET;
        e->port = ntohs(in.sin_port);
        memcpy(e->addr, &in.sin_addr, 4);
        return 0;
    }
    if (fam == AF_INET6) {
        struct sockaddr_in6 in6;
        if (len < sizeof(in6))
            return fail(EINVAL);
        memcpy(&in6, sa, sizeof(in6));
        memset(e, 0, sizeof(*e));
        e->family = AF_INET6;
        e->port = ntohs(in6.sin6_port);
        e->scope_id = in6.sin6_scope_id;
        memcpy(e->addr, &in6.sin6_addr, 16);
        return 0;
    }
    return fail(EAFNOSUPPORT);
}

int afmp_mp_entry_to_sockaddr(const struct afmp_mp_entry *e, struct sockaddr *sa, socklen_t *len)
{
    if (entry_len(e) == 0)
        return fail(EINVAL);
    if (e->family == AF_INET) {
        struct sockaddr_in in;
        memset(&in, 0, sizeof(in));
        in.sin_family = AF_INET;
        in.sin_port = htons(e->port);
        memcpy(&in.sin_addr, e->addr, 4);
        return put_truncated(sa, len, &in, sizeof(in));
    }
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof(in6));
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(e->port);
    in6.sin6_scope_id = e->scope_id;
    memcpy(&in6.sin6_addr, e->addr, 16);
    return put_truncated(sa, len, &in6, sizeof(in6));
}

int afmp_mp_entry_from_endpoint(const struct mp_endpoint *ep, struct afmp_mp_entry *e)
{
    if (!ep || !e || (ep->ip.v != 4 && ep->ip.v != 6))
        return fail(EINVAL);
    memset(e, 0, sizeof(*e));
    e->family = ep->ip.v == 4 ? AF_INET : AF_INET6;
    e->port = ep->port;
    memcpy(e->addr, ep->ip.b, ep->ip.v == 4 ? 4 : 16);
    return 0;
}

int afmp_mp_entry_to_endpoint(const struct afmp_mp_entry *e, struct mp_endpoint *ep)
{
    if (!ep || entry_len(e) == 0)
        return fail(EINVAL);
    memset(ep, 0, sizeof(*ep));
    ep->ip.v = e->family == AF_INET ? 4 : 6;
    memcpy(ep->ip.b, e->addr, e->family == AF_INET ? 4 : 16);
    ep->port = e->port;
    return 0;
}

int afmp_mp_to_endpoints(const struct sockaddr *sa, socklen_t len, struct mp_endpoint *out,
                         size_t max, size_t *n)
{
    struct afmp_mp_entry ents[AFMP_MP_MAX_ENTRIES];
    sa_family_t fam;
    int count;
    if (!sa || !n || len < sizeof(fam) || (max > 0 && !out))
        return fail(EINVAL);
    memcpy(&fam, sa, sizeof(fam));
    if (fam == AF_MULTIPATH) {
        count = decode_all(sa, len, ents);
        if (count < 0)
            return -1;
    } else {
        if (afmp_mp_entry_from_sockaddr(sa, len, &ents[0]) < 0)
            return -1;
        count = 1;
    }
    for (size_t i = 0; i < (size_t)count && i < max; i++)
        afmp_mp_entry_to_endpoint(&ents[i], &out[i]);
    *n = (size_t)count;
    return 0;
}

int afmp_mp_from_endpoints(const struct mp_endpoint *ep, size_t n, struct sockaddr *sa,
                           socklen_t *len)
{
    struct afmp_mp_entry ents[AFMP_MP_MAX_ENTRIES];
    if (!ep || n == 0)
        return fail(EINVAL);
    if (n > AFMP_MP_MAX_ENTRIES)
        return fail(ENOSPC);
    for (size_t i = 0; i < n; i++)
        if (afmp_mp_entry_from_endpoint(&ep[i], &ents[i]) < 0)
            return -1;
    return afmp_mp_build(sa, len, ents, n);
}

/* --- text ------------------------------------------------------------------------- */

/* snprintf-style accumulation: |n| counts every character, the buffer gets
 * what fits and stays terminated. */
struct textbuf {
    char *buf;
    size_t cap;
    size_t n;
};

static void put_text(struct textbuf *t, const char *s)
{
    size_t l = strlen(s);
    if (t->cap > 0 && t->n < t->cap - 1) {
        size_t room = t->cap - 1 - t->n;
        size_t k = l < room ? l : room;
        memcpy(t->buf + t->n, s, k);
        t->buf[t->n + k] = '\0';
    }
    t->n += l;
}

/* One entry as text into |out| (AFMP_MP_ENTRY_STRLEN bytes). */
static void format_entry(const struct afmp_mp_entry *e, char *out)
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(e->family, e->addr, a, sizeof(a));
    if (e->family == AF_INET)
        snprintf(out, AFMP_MP_ENTRY_STRLEN, "%s:%u", a, (unsigned)e->port);
    else if (e->scope_id)
        snprintf(out, AFMP_MP_ENTRY_STRLEN, "[%s%%%" PRIu32 "]:%u", a, e->scope_id,
                 (unsigned)e->port);
    else
        snprintf(out, AFMP_MP_ENTRY_STRLEN, "[%s]:%u", a, (unsigned)e->port);
}

int afmp_mp_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen)
{
    struct afmp_mp_iter it;
    struct afmp_mp_entry e;
    struct textbuf t = {buf, buflen, 0};
    if (!buf && buflen > 0)
        return fail(EINVAL);
    if (afmp_mp_iter_init(&it, sa, len) < 0)
        return -1;
    if (buflen > 0)
        buf[0] = '\0';
    for (int i = 0; afmp_mp_iter_next(&it, &e); i++) {
        char one[AFMP_MP_ENTRY_STRLEN];
        format_entry(&e, one);
        if (i > 0)
            put_text(&t, ",");
        put_text(&t, one);
    }
    return (int)t.n;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Parses 1..|maxdigits| decimal digits at s[*pos] not above |maxval|.
 * Returns 0 and advances *pos, or -1 leaving *pos at the number's start. */
static int parse_number(const char *s, size_t *pos, int maxdigits, uint64_t maxval, uint64_t *out)
{
    size_t i = *pos;
    uint64_t v = 0;
    int k = 0;
    while (is_digit(s[i])) {
        if (++k > maxdigits)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (k == 0 || v > maxval)
        return -1;
    *out = v;
    *pos = i;
    return 0;
}

/* inet_pton() on the |n| characters at |s|, which need not be terminated. */
static int pton_n(int fam, const char *s, size_t n, uint8_t *out)
{
    char tmp[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(fam, tmp, out) == 1 ? 0 : -1;
}

/* Parses one entry at s[*pos]. Returns 0 and advances *pos past it, or -1
 * with *pos at the offending character. */
static int parse_entry(const char *s, size_t *pos, struct afmp_mp_entry *e)
{
    size_t i = *pos;
    uint64_t v;
    memset(e, 0, sizeof(*e));
    if (s[i] == '[') {
        size_t start = ++i;
        /* hex digits, colons, and dots for an embedded IPv4 (::ffff:a.b.c.d) */
        while (is_hex(s[i]) || s[i] == ':' || s[i] == '.')
            i++;
        if (pton_n(AF_INET6, s + start, i - start, e->addr) < 0) {
            *pos = start;
            return -1;
        }
        e->family = AF_INET6;
        if (s[i] == '%') {
            i++;
            if (parse_number(s, &i, 10, UINT32_MAX, &v) < 0) {
                *pos = i;
                return -1;
            }
            e->scope_id = (uint32_t)v;
        }
        if (s[i] != ']') {
            *pos = i;
            return -1;
        }
        i++;
    } else {
        size_t start = i;
        while (is_digit(s[i]) || s[i] == '.')
            i++;
        if (pton_n(AF_INET, s + start, i - start, e->addr) < 0) {
            *pos = start;
            return -1;
        }
        e->family = AF_INET;
    }
    if (s[i] == ':') {
        i++;
        if (parse_number(s, &i, 5, UINT16_MAX, &v) < 0) {
            *pos = i;
            return -1;
        }
        e->port = (uint16_t)v;
    }
    *pos = i;
    return 0;
}

int afmp_mp_parse(const char *s, struct sockaddr *sa, socklen_t *len, size_t *errpos)
{
    struct afmp_mp_entry ents[AFMP_MP_MAX_ENTRIES];
    size_t pos = 0, n = 0;
    int err = EINVAL;
    if (!s || !len)
        goto bad;
    for (;;) {
        if (n == AFMP_MP_MAX_ENTRIES) {
            err = ENOSPC;
            goto bad;
        }
        if (parse_entry(s, &pos, &ents[n]) < 0)
            goto bad;
        n++;
        if (s[pos] == '\0')
            break;
        if (s[pos] != ',')
            goto bad;
        pos++;
    }
    return afmp_mp_build(sa, len, ents, n);
bad:
    if (errpos)
        *errpos = pos;
    return fail(err);
}
