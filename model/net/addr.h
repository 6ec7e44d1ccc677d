/*
 * afmp: IP addresses, prefixes and endpoints as text and as values.
 *
 * Works on struct mp_ip (model/types.h): IPv4 in b[0..3] network order, the
 * rest zero, so addresses compare with memcmp. Text conversion goes through
 * inet_pton/inet_ntop, so every form the C library accepts is accepted (and
 * only those: "1.2.3" or "010.0.0.1" are rejected, as inet_pton does).
 *
 * Errors: functions that can fail return 0 (or a length) on success and a
 * negative errno value on failure:
 *   -EINVAL  the input is malformed or of the wrong family;
 *   -ENOSPC  the output buffer is too small (nothing useful was written,
 *            but the buffer holds a terminated empty string when len > 0).
 * Predicates return bool and are false for an address of family 0.
 */
#ifndef MP_NET_ADDR_H
#define MP_NET_ADDR_H

#include "model/types.h"

/* Buffer sizes that always suffice for the formatters below, NUL included. */
#define MP_IP_STRLEN 46       /* INET6_ADDRSTRLEN */
#define MP_PREFIX_STRLEN 50   /* address, '/', 3 digits */
#define MP_ENDPOINT_STRLEN 54 /* '[', address, "]:", 5 digits */

/* An address with a prefix length. The host bits are kept as given, so
 * "10.0.1.2/24" can describe an interface address; mp_prefix_masked() clears
 * them when the network is wanted. */
struct mp_prefix {
    struct mp_ip ip;
    uint8_t len; /* 0..32 or 0..128 */
};

/* Scopes of RFC 4007 section 4 / RFC 4291 section 2.7, the numeric values
 * of the multicast scope field, which RFC 6724 section 3.1 compares. */
enum mp_ip_scope {
    MP_SCOPE_INTERFACE = 0x1,
    MP_SCOPE_LINK = 0x2,
    MP_SCOPE_ADMIN = 0x4,
    MP_SCOPE_SITE = 0x5,
    MP_SCOPE_ORG = 0x8,
    MP_SCOPE_GLOBAL = 0xe,
};

/* --- constructors ------------------------------------------------------- */

/* The IPv4 address |addr|, given in host order (0x0a000001 is 10.0.0.1). */
struct mp_ip mp_ip_v4(uint32_t addr);

/* The IPv4 address |ip| in host order; 0 if |ip| is not IPv4. */
uint32_t mp_ip_v4_u32(const struct mp_ip *ip);

/* The IPv6 address whose 16 bytes (network order) are |b|. */
struct mp_ip mp_ip_v6(const uint8_t b[16]);

/* The unspecified address of family |v| (4 or 6: 0.0.0.0 or ::); any other
 * |v| gives the "none" address (v = 0). */
struct mp_ip mp_ip_any(int v);

/* Number of bits in an address of |ip|'s family: 32, 128, or 0 for none. */
unsigned mp_ip_bits(const struct mp_ip *ip);

/* Total order: family first (none < 4 < 6), then the bytes. Returns <0, 0,
 * >0 like memcmp. Used wherever output order must not depend on pointers. */
int mp_ip_cmp(const struct mp_ip *a, const struct mp_ip *b);

/* --- text ----------------------------------------------------------------- */

/* Parses the |len| bytes at |s| as an IPv4 dotted quad or an IPv6 address
 * (no brackets, no zone index, no surrounding blanks) into |out|. |s| need
 * not be terminated. Returns 0, or -EINVAL if the text is not exactly one
 * address (|out| is then left as the none address). */
int mp_ip_parse_n(const char *s, size_t len, struct mp_ip *out);

/* mp_ip_parse_n() on the NUL-terminated string |s|. */
int mp_ip_parse(const char *s, struct mp_ip *out);

/* Writes |ip| as text ("10.0.0.1", "2001:db8::1", RFC 5952 form as inet_ntop
 * gives it) with a terminating NUL into |buf| of |len| bytes. Returns the
 * text length (without the NUL), -EINVAL if |ip| has no family, -ENOSPC if
 * |len| is too small (MP_IP_STRLEN always suffices). */
int mp_ip_format(const struct mp_ip *ip, char *buf, size_t len);

/* Like mp_ip_format() but never fails: the none address reads "none".
 * Returns |buf|, for use in messages. */
const char *mp_ip_str(const struct mp_ip *ip, char buf[MP_IP_STRLEN]);

/* Parses "ADDR/LEN" ("10.0.0.0/8", "2001:db8::/32", "10.0.1.2/24"): LEN is
 * 1 to 3 decimal digits, at most 32 (IPv4) or 128 (IPv6). A bare "ADDR"
 * means the host prefix (/32, /128), as `ip route` reads it. Host bits are
 * kept. Returns 0 or -EINVAL (bad address, bad or too long length, trailing
 * junk). */
int mp_prefix_parse(const char *s, struct mp_prefix *out);

/* Writes "ADDR/LEN" into |buf| of |len| bytes. Returns the text length,
 * -EINVAL (no family or length beyond the family's bits) or -ENOSPC. */
int mp_prefix_format(const struct mp_prefix *p, char *buf, size_t len);

/* Parses "10.0.0.1:80" or "[2001:db8::1]:80" (IPv6 always in brackets; the
 * port is 1 to 5 decimal digits, at most 65535). Returns 0 or -EINVAL. */
int mp_endpoint_parse(const char *s, struct mp_endpoint *out);

/* Writes |ep| as "10.0.0.1:80" or "[2001:db8::1]:80". Returns the text
 * length, -EINVAL (no family) or -ENOSPC. */
int mp_endpoint_format(const struct mp_endpoint *ep, char *buf, size_t len);

/* --- prefixes ------------------------------------------------------------- */

/* |ip| with every bit after the first |len| cleared, into |out| (which may
 * be |ip|). |len| beyond the family's bits keeps every bit. */
void mp_ip_mask(const struct mp_ip *ip, unsigned len, struct mp_ip *out);

/* Number of leading bits |a| and |b| share (0 if the families differ, and at
 * most mp_ip_bits()). This is RFC 6724's CommonPrefixLen before the cap at
 * the source's prefix length, which callers apply. */
unsigned mp_ip_common_prefix_len(const struct mp_ip *a, const struct mp_ip *b);

/* Builds the prefix |ip|/|len| into |out|. Returns 0, or -EINVAL if |ip| has
 * no family or |len| exceeds its bits. */
int mp_prefix_make(const struct mp_ip *ip, unsigned len, struct mp_prefix *out);

/* |p| with its host bits cleared (the network), into |out| (may be |p|). */
void mp_prefix_masked(const struct mp_prefix *p, struct mp_prefix *out);

/* True if |p| has no host bits set. */
bool mp_prefix_is_masked(const struct mp_prefix *p);

/* True if |ip| is of |p|'s family and its first p->len bits equal p's. */
bool mp_prefix_contains(const struct mp_prefix *p, const struct mp_ip *ip);

/* True if every address of |inner| is in |outer| (same family,
 * inner->len >= outer->len, and the network matches). */
bool mp_prefix_covers(const struct mp_prefix *outer, const struct mp_prefix *inner);

/* True if |a| and |b| denote the same network (family, length, and the
 * masked addresses are equal; host bits are ignored). */
bool mp_prefix_same_net(const struct mp_prefix *a, const struct mp_prefix *b);

/* --- classification (RFC 6724 section 3, RFC 4291 section 2.4) ------------- */

/* 0.0.0.0 or :: */
bool mp_ip_is_unspecified(const struct mp_ip *ip);
/* 127.0.0.0/8 or ::1 */
bool mp_ip_is_loopback(const struct mp_ip *ip);
/* 169.254.0.0/16 (RFC 3927) or fe80::/10 */
bool mp_ip_is_link_local(const struct mp_ip *ip);
/* fec0::/10, the deprecated IPv6 site-local prefix (RFC 3879) */
bool mp_ip_is_site_local(const struct mp_ip *ip);
/* fc00::/7, unique local addresses (RFC 4193) */
bool mp_ip_is_ula(const struct mp_ip *ip);
/* ::ffff:0:0/96 */
bool mp_ip_is_v4_mapped(const struct mp_ip *ip);
/* 224.0.0.0/4 or ff00::/8 */
bool mp_ip_is_multicast(const struct mp_ip *ip);

/* The scope of |ip| as RFC 6724 section 3.1 and 3.2 define it: an IPv6
 * multicast address has the scope in its scope field; fe80::/10 and ::1 are
 * link-local (RFC 4007 section 4 puts the loopback address on an imaginary
 * link), fec0::/10 is site-local, other IPv6 addresses are global (ULAs
 * included, RFC 4193 section 3.3). IPv4 addresses, native or IPv4-mapped:
 * 127.0.0.0/8 and 169.254.0.0/16 are link-local (RFC 6724 section 3.2),
 * 224.0.0.0/24 is link-local multicast, the rest global. None: global. */
enum mp_ip_scope mp_ip_scope(const struct mp_ip *ip);

/* ::ffff:a.b.c.d for the IPv4 address |v4|, into |out|. Returns 0 or
 * -EINVAL if |v4| is not IPv4. */
int mp_ip_map_v4(const struct mp_ip *v4, struct mp_ip *out);

/* The IPv4 address inside the IPv4-mapped |v6|, into |out|. Returns 0 or
 * -EINVAL if |v6| is not IPv4-mapped. */
int mp_ip_unmap_v4(const struct mp_ip *v6, struct mp_ip *out);

#endif
