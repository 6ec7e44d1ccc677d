/*
 * afmp: IP addresses, prefixes and endpoints (see addr.h).
 */
#include "model/net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Longest text any address form can take ("ffff:...:255.255.255.255" is 45
 * characters); longer input is rejected before it reaches inet_pton. */
#define ADDR_TEXT_MAX 45

struct mp_ip mp_ip_v4(uint32_t addr)
{
    struct mp_ip ip = {.v = 4};
    ip.b[0] = (uint8_t)(addr >> 24);
    ip.b[1] = (uint8_t)(addr >> 16);
    ip.b[2] = (uint8_t)(addr >> 8);
    ip.b[3] = (uint8_t)addr;
    return ip;
}

uint32_t mp_ip_v4_u32(const struct mp_ip *ip)
{
    if (ip->v != 4)
        return 0;
    return (uint32_t)ip->b[0] << 24 | (uint32_t)ip->b[1] << 16 | (uint32_t)ip->b[2] << 8 |
           (uint32_t)ip->b[3];
}

struct mp_ip mp_ip_v6(const uint8_t b[16])
{
    struct mp_ip ip = {.v = 6};
    memcpy(ip.b, b, 16);
    return ip;
}

struct mp_ip mp_ip_any(int v)
{
    struct mp_ip ip = {0};
    if (v == 4 || v == 6)
        ip.v = (uint8_t)v;
    return ip;
}

unsigned mp_ip_bits(const struct mp_ip *ip)
{
    return ip->v == 4 ? 32u : ip->v == 6 ? 128u : 0u;
}

int mp_ip_cmp(const struct mp_ip *a, const struct mp_ip *b)
{
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return memcmp(a->b, b->b, sizeof a->b);
}

/* --- text ----------------------------------------------------------------- */

int mp_ip_parse_n(const char *s, size_t len, struct mp_ip *out)
{
    char tmp[ADDR_TEXT_MAX + 1];
    struct mp_ip ip = {0};

    *out = ip;
    if (len == 0 || len > ADDR_TEXT_MAX || memchr(s, '\0', len))
        return -EINVAL;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    /* A colon decides the family, so "1.2.3.4" never reaches the IPv6
     * parser and the error is that of the family the text claims. */
    if (memchr(tmp, ':', len)) {
        if (inet_pton(AF_INET6, tmp, ip.b) != 1)
            return -EINVAL;
        ip.v = 6;
    } else {
        if (inet_pton(AF_INET, tmp, ip.b) != 1)
            return -EINVAL;
        ip.v = 4;
    }
    *out = ip;
    return 0;
}

int mp_ip_parse(const char *s, struct mp_ip *out)
{
    return mp_ip_parse_n(s, strlen(s), out);
}

/* Copies |n| bytes of |src| and a NUL into |buf| of |len| bytes; the common
 * tail of every formatter. */
static int put_text(char *buf, size_t len, const char *src, size_t n)
{
    if (n + 1 > len) {
        if (len > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, src, n);
    buf[n] = '\0';
    return (int)n;
}

/* Writes the address text into |tmp| (MP_IP_STRLEN bytes); returns its
 * length or -EINVAL. */
static int ip_text(const struct mp_ip *ip, char tmp[MP_IP_STRLEN])
{
    int af = ip->v == 4 ? AF_INET : ip->v == 6 ? AF_INET6 : 0;
    if (!af || !inet_ntop(af, ip->b, tmp, MP_IP_STRLEN))
        return -EINVAL;
    return (int)strlen(tmp);
}

int mp_ip_format(const struct mp_ip *ip, char *buf, size_t len)
{
    char tmp[MP_IP_STRLEN];
    int n = ip_text(ip, tmp);
    if (n < 0) {
        if (len > 0)
            buf[0] = '\0';
        return n;
    }
    return put_text(buf, len, tmp, (size_t)n);
}

const char *mp_ip_str(const struct mp_ip *ip, char buf[MP_IP_STRLEN])
{
    if (mp_ip_format(ip, buf, MP_IP_STRLEN) < 0)
        memcpy(buf, "none", sizeof "none");
    return buf;
}

/* Parses 1..|maxdigits| decimal digits at s[0..len) into |out|; nothing else
 * may be there (no sign, no blanks). */
static int parse_decimal(const char *s, size_t len, size_t maxdigits, unsigned long *out)
{
    unsigned long v = 0;
    if (len == 0 || len > maxdigits)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int mp_prefix_parse(const char *s, struct mp_prefix *out)
{
    size_t n = strlen(s);
    const char *slash = memchr(s, '/', n);
    struct mp_prefix p = {0};
    unsigned long len;
    int rc;

    memset(out, 0, sizeof *out);
    rc = mp_ip_parse_n(s, slash ? (size_t)(slash - s) : n, &p.ip);
    if (rc < 0)
        return rc;
    if (!slash) {
        p.len = (uint8_t)mp_ip_bits(&p.ip);
    } else {
        rc = parse_decimal(slash + 1, n - (size_t)(slash + 1 - s), 3, &len);
        if (rc < 0 || len > mp_ip_bits(&p.ip))
            return -EINVAL;
        p.len = (uint8_t)len;
    }
    *out = p;
    return 0;
}

int mp_prefix_format(const struct mp_prefix *p, char *buf, size_t len)
{
    char tmp[MP_PREFIX_STRLEN];
    int n = ip_text(&p->ip, tmp);
    if (n < 0 || p->len > mp_ip_bits(&p->ip)) {
        if (len > 0)
            buf[0] = '\0';
        return -EINVAL;
    }
    n += snprintf(tmp + n, sizeof tmp - (size_t)n, "/%u", (unsigned)p->len);
    return put_text(buf, len, tmp, (size_t)n);
}

int mp_endpoint_parse(const char *s, struct mp_endpoint *out)
{
    size_t n = strlen(s);
    const char *addr, *colon;
    size_t alen;
    unsigned long port;
    int rc;

    memset(out, 0, sizeof *out);
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close[1] != ':')
            return -EINVAL;
        addr = s + 1;
        alen = (size_t)(close - addr);
        colon = close + 1;
    } else {
        colon = memchr(s, ':', n);
        if (!colon)
            return -EINVAL;
        addr = s;
        alen = (size_t)(colon - s);
    }
    struct mp_ip ip;
    rc = mp_ip_parse_n(addr, alen, &ip);
    if (rc < 0)
        return rc;
    /* A bracket says IPv6 and its absence IPv4: "[10.0.0.1]:80" is as
     * wrong as an unbracketed IPv6 address, whose own colons fail above. */
    if ((ip.v == 6) != (addr != s))
        return -EINVAL;
    rc = parse_decimal(colon + 1, n - (size_t)(colon + 1 - s), 5, &port);
    if (rc < 0 || port > 65535)
        return -EINVAL;
    out->ip = ip;
    out->port = (uint16_t)port;
    return 0;
}

int mp_endpoint_format(const struct mp_endpoint *ep, char *buf, size_t len)
{
    char tmp[MP_ENDPOINT_STRLEN];
    char a[MP_IP_STRLEN];
    int n = ip_text(&ep->ip, a);
    if (n < 0) {
        if (len > 0)
            buf[0] = '\0';
        return n;
    }
    if (ep->ip.v == 6)
        n = snprintf(tmp, sizeof tmp, "[%s]:%u", a, (unsigned)ep->port);
    else
        n = snprintf(tmp, sizeof tmp, "%s:%u", a, (unsigned)ep->port);
    return put_text(buf, len, tmp, (size_t)n);
}

/* --- prefixes ------------------------------------------------------------- */

void mp_ip_mask(const struct mp_ip *ip, unsigned len, struct mp_ip *out)
{
    unsigned bits = mp_ip_bits(ip);
    *out = *ip;
    if (len >= bits)
        return;
    size_t i = len / 8;
    if (len % 8) {
        out->b[i] &= (uint8_t)(0xff00u >> (len % 8));
        i++;
    }
    for (; i < sizeof out->b; i++)
        out->b[i] = 0;
}

unsigned mp_ip_common_prefix_len(const struct mp_ip *a, const struct mp_ip *b)
{
    if (a->v != b->v || !a->v)
        return 0;
    size_t n = mp_ip_len(a);
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a->b[i] ^ b->b[i];
        if (x)
            return (unsigned)(i * 8) + (unsigned)__builtin_clz(x) - 24u;
    }
    return (unsigned)n * 8;
}

int mp_prefix_make(const struct mp_ip *ip, unsigned len, struct mp_prefix *out)
{
    if (!ip->v || len > mp_ip_bits(ip))
        return -EINVAL;
    out->ip = *ip;
    out->len = (uint8_t)len;
    return 0;
}

void mp_prefix_masked(const struct mp_prefix *p, struct mp_prefix *out)
{
    uint8_t len = p->len;
    mp_ip_mask(&p->ip, len, &out->ip);
    out->len = len;
}

bool mp_prefix_is_masked(const struct mp_prefix *p)
{
    struct mp_ip m;
    mp_ip_mask(&p->ip, p->len, &m);
    return mp_ip_eq(&m, &p->ip);
}

bool mp_prefix_contains(const struct mp_prefix *p, const struct mp_ip *ip)
{
    return p->ip.v && ip->v == p->ip.v && mp_ip_common_prefix_len(&p->ip, ip) >= p->len;
}

bool mp_prefix_covers(const struct mp_prefix *outer, const struct mp_prefix *inner)
{
    return inner->len >= outer->len && mp_prefix_contains(outer, &inner->ip);
}

bool mp_prefix_same_net(const struct mp_prefix *a, const struct mp_prefix *b)
{
    return a->len == b->len && mp_prefix_covers(a, b);
}

/* --- classification ------------------------------------------------------- */

static const uint8_t v4_mapped_head[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool mp_ip_is_unspecified(const struct mp_ip *ip)
{
    static const uint8_t zero[16];
    return ip->v && memcmp(ip->b, zero, mp_ip_len(ip)) == 0;
}

bool mp_ip_is_loopback(const struct mp_ip *ip)
{
    static const uint8_t one[16] = {[15] = 1};
    if (ip->v == 4)
        return ip->b[0] == 127;
    return ip->v == 6 && memcmp(ip->b, one, 16) == 0;
}

bool mp_ip_is_link_local(const struct mp_ip *ip)
{
    if (ip->v == 4)
        return ip->b[0] == 169 && ip->b[1] == 254;
    return ip->v == 6 && ip->b[0] == 0xfe && (ip->b[1] & 0xc0) == 0x80;
}

bool mp_ip_is_site_local(const struct mp_ip *ip)
{
    return ip->v == 6 && ip->b[0] == 0xfe && (ip->b[1] & 0xc0) == 0xc0;
}

bool mp_ip_is_ula(const struct mp_ip *ip)
{
    return ip->v == 6 && (ip->b[0] & 0xfe) == 0xfc;
}

bool mp_ip_is_v4_mapped(const struct mp_ip *ip)
{
    return ip->v == 6 && memcmp(ip->b, v4_mapped_head, sizeof v4_mapped_head) == 0;
}

bool mp_ip_is_multicast(const struct mp_ip *ip)
{
    if (ip->v == 4)
        return (ip->b[0] & 0xf0) == 0xe0;
    return ip->v == 6 && ip->b[0] == 0xff;
}

static enum mp_ip_scope v4_scope(const uint8_t *b)
{
    /* RFC 6724 3.2: "IPv4 loopback addresses ... and IPv4 autoconfiguration
     * addresses ... are assigned link-local scope". */
    if (b[0] == 127 || (b[0] == 169 && b[1] == 254))
        return MP_SCOPE_LINK;
    if (b[0] == 224 && b[1] == 0 && b[2] == 0)
        return MP_SCOPE_LINK;
    return MP_SCOPE_GLOBAL;
}

enum mp_ip_scope mp_ip_scope(const struct mp_ip *ip)
{
    if (ip->v == 4)
        return v4_scope(ip->b);
    if (ip->v != 6)
        return MP_SCOPE_GLOBAL;
    if (ip->b[0] == 0xff)
        return (enum mp_ip_scope)(ip->b[1] & 0x0f);
    if (mp_ip_is_v4_mapped(ip))
        return v4_scope(ip->b + 12);
    if (mp_ip_is_link_local(ip) || mp_ip_is_loopback(ip))
        return MP_SCOPE_LINK;
    if (mp_ip_is_site_local(ip))
        return MP_SCOPE_SITE;
    return MP_SCOPE_GLOBAL;
}

int mp_ip_map_v4(const struct mp_ip *v4, struct mp_ip *out)
{
    if (v4->v != 4)
        return -EINVAL;
    struct mp_ip m = {.v = 6};
    memcpy(m.b, v4_mapped_head, sizeof v4_mapped_head);
    memcpy(m.b + 12, v4->b, 4);
    *out = m;
    return 0;
}

int mp_ip_unmap_v4(const struct mp_ip *v6, struct mp_ip *out)
{
    if (!mp_ip_is_v4_mapped(v6))
        return -EINVAL;
    struct mp_ip m = {.v = 4};
    memcpy(m.b, v6->b + 12, 4);
    *out = m;
    return 0;
}
