/*
 * afmp: wire formats.
 *
 * model/wire turns bytes into validated structs and back, and nothing else:
 * no state, no allocation, no clock. Parsers take (p, len, out), check every
 * length before reading and return 0 or a negative MP_WIRE_E* code; on error
 * |out| is left in an unspecified state. Parsed structs point into the input
 * buffer (options, payloads), so they live no longer than it. Emitters take a
 * buffer and its capacity, never write past it, and return the number of
 * bytes written or a negative code.
 *
 * Multi-byte fields in the structs are in host order; addresses are struct
 * mp_ip (model/types.h).
 *
 * Checksums are lazy (see model/pkt.h): "build" helpers that produce a whole
 * IP packet take |csum_now|; when false they leave the IPv4 header checksum
 * and the L4 checksum zero and the caller marks the packet
 * MP_PKT_CSUM_PENDING, to be filled by mp_wire_csum_finalize() when real bytes
 * are needed.
 *
 * Sections: errors, byte access, checksum, generic option iterator, IPv4,
 * IPv6, IP helpers, UDP, ICMPv4, ICMPv6, neighbour discovery, Ethernet, ARP,
 * TCP, lazy checksums on packets.
 */
#ifndef MP_WIRE_H
#define MP_WIRE_H

#include "model/pkt.h"
#include "model/types.h"

/* ------------------------------------------------------------------------ */
/* Errors                                                                     */

/*
 * Every parser and emitter returns 0 (or a length) on success and one of
 * these on failure. Hosts count malformed input per code: the codes are
 * dense, so counters[-code] with MP_WIRE_NERR slots works.
 */
enum mp_wire_err {
    MP_WIRE_OK = 0,
    MP_WIRE_ETRUNC = -1,   /* buffer ends inside a fixed header */
    MP_WIRE_EVERSION = -2, /* IP version field wrong */
    MP_WIRE_EHDRLEN = -3,  /* header length field below the minimum */
    MP_WIRE_ELEN = -4,     /* a length field disagrees with the buffer or another field */
    MP_WIRE_EOPT = -5,     /* malformed option (length 0/1, past the end, bad size) */
    MP_WIRE_EEXT = -6,     /* malformed IPv6 extension header chain */
    MP_WIRE_ENOSPC = -7,   /* output buffer too small */
    MP_WIRE_EINVAL = -8,   /* emitter argument out of range or inconsistent */
    MP_WIRE_EUNSUPP = -9,  /* valid but unsupported (ARP hardware type, ...) */
    MP_WIRE_EFIELD = -10,  /* field value forbidden by the RFC (ND code != 0, ...) */
    MP_WIRE_EQUOTE = -11,  /* ICMP error quotes a malformed datagram */
    MP_WIRE_ECSUM = -12,   /* checksum mismatch */
};

/* Number of codes including MP_WIRE_OK: valid codes are 0 > c > -MP_WIRE_NERR. */
#define MP_WIRE_NERR 13

/* A short, static, lowercase description of |err| ("truncated header", ...);
 * "unknown error" for anything that is not an MP_WIRE_E* code. Also gives a
 * stable counter name with mp_wire_errname(). */
const char *mp_wire_strerror(int err);
/* A stable identifier for |err| suitable for counter names ("Trunc",
 * "Version", ...); "Unknown" for anything else. */
const char *mp_wire_errname(int err);

/* ------------------------------------------------------------------------ */
/* Byte access (network order, any alignment)                                 */

static inline uint16_t mp_wire_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t mp_wire_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void mp_wire_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void mp_wire_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* IP protocol / IPv6 next-header numbers used here (IANA). */
enum {
    MP_IPPROTO_HOPOPTS = 0,
    MP_IPPROTO_ICMP = 1,
    MP_IPPROTO_TCP = 6,
    MP_IPPROTO_UDP = 17,
    MP_IPPROTO_ROUTING = 43,
    MP_IPPROTO_FRAGMENT = 44,
    MP_IPPROTO_ESP = 50,
    MP_IPPROTO_AH = 51,
    MP_IPPROTO_ICMPV6 = 58,
    MP_IPPROTO_NONE = 59,
    MP_IPPROTO_DSTOPTS = 60,
    MP_IPPROTO_MOBILITY = 135,
    MP_IPPROTO_HIP = 139,
    MP_IPPROTO_SHIM6 = 140,
};

/* ------------------------------------------------------------------------ */
/* Internet checksum (RFC 1071, RFC 1624)                                     */

/*
 * Adds the bytes at |p| to the running one's-complement sum |sum| and
 * returns the new sum. Words are big-endian 16-bit values, so the result is
 * the same on every machine. A chunk of odd length is padded with a zero
 * byte, so only the last chunk of a chained computation may be odd.
 * The returned sum is not folded; pass it to mp_wire_csum_fold().
 * Any |sum| returned by this family may be passed back in.
 */
uint32_t mp_wire_csum_add(uint32_t sum, const void *p, size_t len);

/* Folds |sum| to 16 bits and complements it: the value to store in a
 * checksum field (host order). */
uint16_t mp_wire_csum_fold(uint32_t sum);

/* The checksum of |len| bytes at |p| (host order), as stored in an IPv4
 * header or an ICMPv4 message whose checksum field was zero. */
uint16_t mp_wire_csum(const void *p, size_t len);

/*
 * The sum of the pseudo-header for an upper-layer checksum: RFC 768/9293
 * for IPv4 (src, dst, zero, protocol, length), RFC 8200 8.1 for IPv6 (src,
 * dst, 32-bit length, zeros, next header). |len| is the upper-layer length
 * (header plus data). |src| and |dst| must be of the same family; for
 * anything else the result is 0.
 */
uint32_t mp_wire_csum_pseudo(const struct mp_ip *src, const struct mp_ip *dst, uint8_t proto,
                             uint32_t len);

/* The checksum of an upper-layer message (TCP, UDP, ICMPv6) at |l4|, |len|
 * bytes long, with the pseudo-header of (src, dst, proto). The checksum field
 * inside |l4| must be zero when computing, or hold the received value when
 * verifying (then the result is 0 for a correct message). */
uint16_t mp_wire_csum_l4(const struct mp_ip *src, const struct mp_ip *dst, uint8_t proto,
                         const uint8_t *l4, size_t len);

/*
 * RFC 1624 incremental update: the checksum field |csum| (host order) after
 * a 16-bit word of the covered data changed from |old| to |new_|, computed as
 * HC' = ~(~HC + ~m + m') (RFC 1624 eqn. 3), which never yields the -0 that
 * eqn. 2 can produce.
 */
uint16_t mp_wire_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);

/* RFC 1624 update for a run of |len| bytes (|len| even, starting at an even
 * offset of the covered data) that changed from |old| to |new_|: an address
 * rewritten by a NAT, for instance. */
uint16_t mp_wire_csum_update(uint16_t csum, const uint8_t *old, const uint8_t *new_, size_t len);

/* ------------------------------------------------------------------------ */
/* Generic type-length-value options (TCP, IPv4)                              */

/*
 * TCP (RFC 9293 3.1) and IPv4 (RFC 791 3.1) options share one layout: kind 0
 * ends the list, kind 1 is a one-byte no-op, every other kind is followed by
 * a length byte counting kind and length bytes. The iterator skips no-ops
 * and stops at end-of-list or at the end of the area.
 */
struct mp_wire_opt_iter {
    const uint8_t *p;
    size_t len;
    size_t off;
    bool bad; /* a malformed option was met: every later call fails */
};

struct mp_wire_opt {
    uint8_t kind;
    uint8_t len;         /* the length byte: data_len + 2 */
    const uint8_t *data; /* points into the options area */
    size_t data_len;
    size_t off; /* offset of the kind byte in the area */
};

void mp_wire_opt_iter_init(struct mp_wire_opt_iter *it, const uint8_t *p, size_t len);

/*
 * Returns 1 and fills |out| with the next option, 0 at the end of the list
 * (end-of-list kind or end of the area), or MP_WIRE_EOPT when the length
 * byte is missing, below 2, or runs past the area. After an error the
 * iterator keeps returning MP_WIRE_EOPT.
 */
int mp_wire_opt_next(struct mp_wire_opt_iter *it, struct mp_wire_opt *out);

/* Checks a whole options area with the iterator: 0 or MP_WIRE_EOPT. */
int mp_wire_opt_validate(const uint8_t *p, size_t len);

/*
 * Appends one option at |buf| (capacity |cap|): kind, length, then |dlen|
 * bytes of |data| (which may be NULL when |dlen| is 0). Kinds 0 and 1 are
 * written as a single byte and ignore |data|. Returns the bytes written,
 * MP_WIRE_ENOSPC, or MP_WIRE_EINVAL if |dlen| > 253.
 */
int mp_wire_opt_put(uint8_t *buf, size_t cap, uint8_t kind, const uint8_t *data, size_t dlen);

/* ------------------------------------------------------------------------ */
/* IPv4 (RFC 791)                                                             */

#define MP_WIRE_IP4_HLEN 20u
#define MP_WIRE_IP4_MAX_OPTS 40u

struct mp_wire_ip4 {
    uint8_t version;    /* parse: always 4; ignored on emit */
    uint8_t ihl;        /* header length in 32-bit words; ignored on emit (from opts_len) */
    uint8_t dscp;       /* 6 bits */
    uint8_t ecn;        /* 2 bits */
    uint16_t total_len; /* header + payload, bytes */
    uint16_t id;
    bool rf, df, mf;   /* reserved ("evil") bit, don't fragment, more fragments */
    uint16_t frag_off; /* in 8-byte units, 13 bits */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum; /* as on the wire; parse does not verify it */
    struct mp_ip src, dst;
    const uint8_t *opts; /* options area (ihl * 4 - 20 bytes) */
    size_t opts_len;
    /* Parse results (ignored on emit): */
    bool is_fragment;   /* MF set or offset non-zero: payload is not a whole L4 message */
    size_t payload_off; /* ihl * 4 */
    size_t payload_len; /* total_len - ihl * 4 (the bytes after total_len are link padding) */
};

/*
 * Parses the IPv4 header at |p|. Fragments are reported (is_fragment), not
 * reassembled; options are a raw slice (see mp_wire_opt_next), not checked.
 * Errors: MP_WIRE_ETRUNC (len < 20, or < ihl * 4), MP_WIRE_EVERSION (version
 * != 4), MP_WIRE_EHDRLEN (ihl < 5), MP_WIRE_ELEN (total length < header
 * length or > |len|).
 */
int mp_wire_ip4_parse(const uint8_t *p, size_t len, struct mp_wire_ip4 *out);

/*
 * Like mp_wire_ip4_parse() for the header quoted in an ICMP error, which is
 * usually cut short (RFC 792: header plus 64 bits): a total length beyond
 * |len| is accepted and payload_len is what is present.
 */
int mp_wire_ip4_parse_quote(const uint8_t *p, size_t len, struct mp_wire_ip4 *out);

/*
 * Writes the header described by |h| at |buf|: 20 bytes plus opts_len bytes
 * of options. Every field is written as given, checksum included (use
 * mp_wire_ip4_set_csum() to compute it). Returns the header length or
 * MP_WIRE_ENOSPC, MP_WIRE_EINVAL (src/dst not IPv4, opts_len not a multiple
 * of 4 or > 40, dscp > 63, ecn > 3, frag_off > 8191).
 */
int mp_wire_ip4_emit(uint8_t *buf, size_t cap, const struct mp_wire_ip4 *h);

/* Computes and stores the header checksum of the IPv4 header at |hdr|, whose
 * length |hlen| the caller has checked. */
void mp_wire_ip4_set_csum(uint8_t *hdr, size_t hlen);

/* ------------------------------------------------------------------------ */
/* IPv6 (RFC 8200)                                                            */

#define MP_WIRE_IP6_HLEN 40u

struct mp_wire_ip6 {
    uint8_t version;      /* parse: always 6; ignored on emit */
    uint8_t dscp;         /* traffic class, upper 6 bits */
    uint8_t ecn;          /* traffic class, lower 2 bits */
    uint32_t flow;        /* 20 bits */
    uint16_t payload_len; /* bytes after the fixed header, extensions included */
    uint8_t next_hdr;     /* of the fixed header */
    uint8_t hop_limit;
    struct mp_ip src, dst;
    /* Parse results (ignored on emit): the end of the extension chain. */
    uint8_t proto;     /* upper-layer protocol (or 59, 50, or the fragment's next header) */
    size_t l4_off;     /* offset of the upper-layer header from the start of the packet */
    size_t l4_len;     /* its length up to the end of the payload */
    size_t ext_len;    /* bytes of extension headers skipped */
    bool is_fragment;  /* a fragment header was seen */
    uint16_t frag_off; /* in 8-byte units */
    bool frag_more;    /* M flag */
    uint32_t frag_id;
    bool truncated; /* parse_quote only: the chain or payload is cut short */
};

/*
 * Parses the fixed header at |p| and walks the extension headers (hop-by-hop
 * options, routing, fragment, destination options, AH; RFC 8200 4, RFC 4302)
 * to the upper-layer header. ESP, "no next header", and the mobility, HIP and
 * Shim6 headers (which carry messages of their own) end the walk. A fragment with a non-zero offset
 * stops the walk: its data is reported as the payload of the fragment's next
 * header. Jumbograms (payload length 0 with a jumbo option) are not
 * supported: they parse as an empty payload.
 * Errors: MP_WIRE_ETRUNC (len < 40), MP_WIRE_EVERSION (version != 6),
 * MP_WIRE_ELEN (40 + payload length > |len|), MP_WIRE_EEXT (an extension
 * header runs past the payload, or hop-by-hop options not first, RFC 8200
 * 4.1).
 */
int mp_wire_ip6_parse(const uint8_t *p, size_t len, struct mp_wire_ip6 *out);

/* Like mp_wire_ip6_parse() for the datagram quoted in an ICMPv6 error: the
 * payload may be cut anywhere; a walk that runs off the end stops at the
 * header that is cut, reported as proto with truncated set. Errors:
 * MP_WIRE_ETRUNC, MP_WIRE_EVERSION, MP_WIRE_EEXT (misplaced hop-by-hop). */
int mp_wire_ip6_parse_quote(const uint8_t *p, size_t len, struct mp_wire_ip6 *out);

/* Writes the 40-byte fixed header described by |h|. Returns 40 or
 * MP_WIRE_ENOSPC, MP_WIRE_EINVAL (src/dst not IPv6, dscp > 63, ecn > 3, flow
 * >= 2^20). */
int mp_wire_ip6_emit(uint8_t *buf, size_t cap, const struct mp_wire_ip6 *h);

/* ------------------------------------------------------------------------ */
/* IP header for builders                                                     */

/* IP fields a builder cannot derive. NULL means the defaults: TTL/hop limit
 * 64, DF set, id 0, DSCP/ECN/flow 0. (With DF set and no fragmentation the
 * id may be anything, RFC 6864 4.1, so 0 keeps captures deterministic.) */
struct mp_wire_ipx {
    uint8_t ttl; /* 0 means 64 */
    uint8_t dscp;
    uint8_t ecn;
    uint16_t id;
    bool df;
    uint32_t flow;
};

/* Length of the IP header a builder writes for addresses of family |v|: 20,
 * 40, or 0 for an unknown family. */
static inline size_t mp_wire_ip_hlen(uint8_t v)
{
    return v == 4 ? MP_WIRE_IP4_HLEN : v == 6 ? MP_WIRE_IP6_HLEN : 0;
}

/*
 * Writes an IPv4 or IPv6 header (by the family of |src|) for |l4_len| bytes
 * of upper-layer |proto|, with the IPv4 header checksum filled if |csum_now|
 * (else zero). Returns the header length or MP_WIRE_ENOSPC, MP_WIRE_EINVAL
 * (families differ or unknown, datagram longer than 65535, bad |x| fields).
 */
int mp_wire_ip_build_hdr(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                         uint8_t proto, size_t l4_len, const struct mp_wire_ipx *x, bool csum_now);

/* ------------------------------------------------------------------------ */
/* UDP (RFC 768)                                                              */

#define MP_WIRE_UDP_HLEN 8u

struct mp_wire_udp {
    uint16_t sport, dport;
    uint16_t len;           /* header + data */
    uint16_t csum;          /* as on the wire; 0 = none (IPv4 only) */
    const uint8_t *payload; /* parse result */
    size_t payload_len;     /* len - 8 */
};

/* Parses a UDP header at |p| (|len| bytes up to the end of the IP payload).
 * Errors: MP_WIRE_ETRUNC (len < 8), MP_WIRE_ELEN (length field < 8 or >
 * |len|). Bytes after the UDP length are ignored. */
int mp_wire_udp_parse(const uint8_t *p, size_t len, struct mp_wire_udp *out);

/* Writes the 8-byte header as given. Returns 8 or MP_WIRE_ENOSPC. */
int mp_wire_udp_emit(uint8_t *buf, size_t cap, const struct mp_wire_udp *h);

/*
 * Builds a whole IP/UDP datagram at |buf|: IP header (see
 * mp_wire_ip_build_hdr), UDP header, |plen| bytes of |payload|. |payload|
 * may be NULL when the caller has already put the data at buf +
 * mp_wire_ip_hlen(v) + 8, and may overlap |buf|. With |csum_now| the
 * checksums are filled (a computed UDP checksum of 0 is sent as 0xffff, RFC
 * 768); without, they are zero and the packet must be finalized. |x| may be
 * NULL. Returns the datagram length or MP_WIRE_ENOSPC, MP_WIRE_EINVAL.
 */
int mp_wire_udp_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                      uint16_t sport, uint16_t dport, const uint8_t *payload, size_t plen,
                      const struct mp_wire_ipx *x, bool csum_now);

/* ------------------------------------------------------------------------ */
/* ICMPv4 (RFC 792, RFC 1191)                                                 */

#define MP_WIRE_ICMP_HLEN 8u

enum {
    MP_ICMP_ECHO_REPLY = 0,
    MP_ICMP_UNREACH = 3,
    MP_ICMP_SOURCE_QUENCH = 4,
    MP_ICMP_REDIRECT = 5,
    MP_ICMP_ECHO = 8,
    MP_ICMP_TIME_EXCEEDED = 11,
    MP_ICMP_PARAM_PROBLEM = 12,
};

/* Codes of MP_ICMP_UNREACH (RFC 792, RFC 1191, RFC 1812). */
enum {
    MP_ICMP_UNREACH_NET = 0,
    MP_ICMP_UNREACH_HOST = 1,
    MP_ICMP_UNREACH_PROTO = 2,
    MP_ICMP_UNREACH_PORT = 3,
    MP_ICMP_UNREACH_NEEDFRAG = 4,
    MP_ICMP_UNREACH_ADMIN = 13,
};

struct mp_wire_icmp {
    uint8_t type, code;
    uint16_t csum;
    /* The second 32-bit word, whose meaning depends on the type; use the
     * accessors below. Kept raw so that parse/emit round-trips exactly. */
    uint32_t rest;
    /* Parse results: */
    const uint8_t *body; /* after the 8-byte header: echo data or the quote */
    size_t body_len;
    bool has_quote;           /* error types 3, 4, 5, 11, 12 */
    struct mp_wire_ip4 quote; /* the quoted header; payload_off/len index body */
    bool quote_truncated;     /* the quote ends before its total length */
};

static inline uint16_t mp_wire_icmp_echo_id(const struct mp_wire_icmp *m)
{
    return (uint16_t)(m->rest >> 16);
}

static inline uint16_t mp_wire_icmp_echo_seq(const struct mp_wire_icmp *m)
{
    return (uint16_t)m->rest;
}

/* Next-hop MTU of "fragmentation needed" (RFC 1191 4); 0 from old routers. */
static inline uint16_t mp_wire_icmp_mtu(const struct mp_wire_icmp *m)
{
    return (uint16_t)m->rest;
}

static inline uint32_t mp_wire_icmp_rest_echo(uint16_t id, uint16_t seq)
{
    return (uint32_t)id << 16 | seq;
}

/*
 * Parses an ICMPv4 message at |p| (the whole IP payload). For error types the
 * quoted IPv4 header is parsed with mp_wire_ip4_parse_quote(). The checksum
 * is not verified. Errors: MP_WIRE_ETRUNC (len < 8), MP_WIRE_EQUOTE (an
 * error message whose quote is not an IPv4 header followed by 8 bytes of
 * its payload, RFC 792).
 */
int mp_wire_icmp_parse(const uint8_t *p, size_t len, struct mp_wire_icmp *out);

/* Writes the 8-byte header (type, code, csum, rest) as given. Returns 8 or
 * MP_WIRE_ENOSPC. */
int mp_wire_icmp_emit(uint8_t *buf, size_t cap, const struct mp_wire_icmp *h);

/*
 * Builds a whole IPv4/ICMP packet: IP header, the 8-byte ICMP header from
 * |h| (type, code, rest; csum ignored), then |blen| bytes of |body| (echo
 * data, or for errors the start of the offending datagram: RFC 1812 4.3.2.3
 * says as much as fits in 576 bytes). |body| may be NULL if already in place
 * at buf + 28, and may overlap |buf|. Returns the packet length or
 * MP_WIRE_ENOSPC, MP_WIRE_EINVAL (addresses not IPv4).
 */
int mp_wire_icmp_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                       const struct mp_wire_icmp *h, const uint8_t *body, size_t blen,
                       const struct mp_wire_ipx *x, bool csum_now);

/* ------------------------------------------------------------------------ */
/* ICMPv6 (RFC 4443)                                                          */

#define MP_WIRE_ICMP6_HLEN 8u

enum {
    MP_ICMP6_UNREACH = 1,
    MP_ICMP6_PACKET_TOO_BIG = 2,
    MP_ICMP6_TIME_EXCEEDED = 3,
    MP_ICMP6_PARAM_PROBLEM = 4,
    MP_ICMP6_ECHO = 128,
    MP_ICMP6_ECHO_REPLY = 129,
    MP_ICMP6_ROUTER_SOLICIT = 133,
    MP_ICMP6_ROUTER_ADVERT = 134,
    MP_ICMP6_NEIGH_SOLICIT = 135,
    MP_ICMP6_NEIGH_ADVERT = 136,
};

/* Codes of MP_ICMP6_UNREACH (RFC 4443 3.1). */
enum {
    MP_ICMP6_UNREACH_NOROUTE = 0,
    MP_ICMP6_UNREACH_ADMIN = 1,
    MP_ICMP6_UNREACH_BEYOND_SCOPE = 2,
    MP_ICMP6_UNREACH_ADDR = 3,
    MP_ICMP6_UNREACH_PORT = 4,
};

/* RFC 4443 2.4(c): an error message must not exceed the minimum IPv6 MTU. */
#define MP_WIRE_IP6_MIN_MTU 1280u

struct mp_wire_icmp6 {
    uint8_t type, code;
    uint16_t csum;
    /* Second word: echo id/seq, packet-too-big MTU, parameter-problem
     * pointer, unused for the rest, flags for ND (see mp_wire_nd_parse). */
    uint32_t rest;
    /* Parse results: */
    const uint8_t *body; /* after the 8-byte header */
    size_t body_len;
    bool has_quote;           /* error types 1..4 */
    struct mp_wire_ip6 quote; /* the quoted header; offsets index body */
};

static inline uint16_t mp_wire_icmp6_echo_id(const struct mp_wire_icmp6 *m)
{
    return (uint16_t)(m->rest >> 16);
}

static inline uint16_t mp_wire_icmp6_echo_seq(const struct mp_wire_icmp6 *m)
{
    return (uint16_t)m->rest;
}

/*
 * Parses an ICMPv6 message at |p| (the upper-layer payload). Error types
 * (1..4, RFC 4443 2.1: types below 128) have their quote parsed with
 * mp_wire_ip6_parse_quote(). The checksum is not verified (it needs the IP
 * addresses; see mp_wire_csum_l4). Errors: MP_WIRE_ETRUNC (len < 8),
 * MP_WIRE_EQUOTE (an error whose quote is not an IPv6 header).
 */
int mp_wire_icmp6_parse(const uint8_t *p, size_t len, struct mp_wire_icmp6 *out);

/* Writes the 8-byte header as given. Returns 8 or MP_WIRE_ENOSPC. */
int mp_wire_icmp6_emit(uint8_t *buf, size_t cap, const struct mp_wire_icmp6 *h);

/*
 * Builds a whole IPv6/ICMPv6 packet, as mp_wire_icmp_build() does for IPv4;
 * |body| may be NULL if already in place at buf + 48. For error messages the
 * caller cuts the quote so that the packet fits in 1280 bytes (RFC 4443
 * 2.4(c)). Returns the packet length or MP_WIRE_ENOSPC, MP_WIRE_EINVAL
 * (addresses not IPv6).
 */
int mp_wire_icmp6_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                        const struct mp_wire_icmp6 *h, const uint8_t *body, size_t blen,
                        const struct mp_wire_ipx *x, bool csum_now);

/* ------------------------------------------------------------------------ */
/* IPv6 neighbour discovery (RFC 4861)                                        */

#define MP_WIRE_ND_MAX_PREFIX 4

/* Option types (RFC 4861 4.6). */
enum {
    MP_ND_OPT_SRC_LLADDR = 1,
    MP_ND_OPT_TGT_LLADDR = 2,
    MP_ND_OPT_PREFIX = 3,
    MP_ND_OPT_REDIRECTED = 4,
    MP_ND_OPT_MTU = 5,
};

/* Flags: router advertisement (M, O), neighbour advertisement (R, S, O),
 * prefix information (L, A). */
enum {
    MP_ND_RA_MANAGED = 0x80,
    MP_ND_RA_OTHER = 0x40,
    MP_ND_NA_ROUTER = 0x80,
    MP_ND_NA_SOLICITED = 0x40,
    MP_ND_NA_OVERRIDE = 0x20,
    MP_ND_PFX_ONLINK = 0x80,
    MP_ND_PFX_AUTO = 0x40,
};

struct mp_wire_nd_prefix {
    uint8_t len;    /* prefix length in bits, <= 128 */
    uint8_t flags;  /* MP_ND_PFX_* (and reserved bits, kept raw) */
    uint32_t valid; /* lifetime, seconds; 0xffffffff = infinity */
    uint32_t preferred;
    struct mp_ip prefix;
};

/*
 * One of router solicitation (133), router advertisement (134), neighbour
 * solicitation (135) or neighbour advertisement (136), with the options a
 * host needs decoded. Unknown options are skipped (RFC 4861 4.6: "silently
 * ignore"). Emission writes the decoded options in a fixed order: source
 * link-layer address, target link-layer address, MTU, prefixes.
 */
struct mp_wire_nd {
    uint8_t type;
    uint16_t csum; /* parse only */
    uint8_t flags; /* RA: MP_ND_RA_*; NA: MP_ND_NA_* (raw byte) */
    /* RA: */
    uint8_t hop_limit;        /* cur hop limit, 0 = unspecified */
    uint16_t router_lifetime; /* seconds */
    uint32_t reachable_time;  /* ms */
    uint32_t retrans_timer;   /* ms */
    /* NS, NA: */
    struct mp_ip target;
    /* Options: */
    bool has_src_ll, has_tgt_ll, has_mtu;
    uint8_t src_ll[6], tgt_ll[6];
    uint32_t mtu;
    size_t n_prefix;         /* decoded into prefix[] */
    size_t n_prefix_dropped; /* parse: prefix options beyond MP_WIRE_ND_MAX_PREFIX */
    struct mp_wire_nd_prefix prefix[MP_WIRE_ND_MAX_PREFIX];
    const uint8_t *opts; /* parse: the raw options area */
    size_t opts_len;
};

/*
 * Parses the ND message at |p| (the whole ICMPv6 message, header included).
 * Checks RFC 4861 6.1/7.1 conditions that need no IP header: code 0, the
 * minimum length per type, every option length non-zero and inside the
 * message, target not multicast, known options of the right size. The hop
 * limit 255 check is the caller's (it needs the IP header).
 * Errors: MP_WIRE_ETRUNC (shorter than the fixed part), MP_WIRE_EUNSUPP (not
 * an ND type handled here), MP_WIRE_EFIELD (code != 0, multicast target),
 * MP_WIRE_EOPT (option length 0, past the end, or wrong for its type;
 * prefix length > 128).
 */
int mp_wire_nd_parse(const uint8_t *p, size_t len, struct mp_wire_nd *out);

/* Writes the ND message (ICMPv6 header with |csum| as given, fixed part,
 * options) at |buf|. Reserved fields are written as zero. Returns its length or MP_WIRE_ENOSPC,
 * MP_WIRE_EUNSUPP (type), MP_WIRE_EINVAL (target not IPv6 for NS/NA, n_prefix too large, prefix not
 * IPv6 or longer than 128). */
int mp_wire_nd_emit(uint8_t *buf, size_t cap, const struct mp_wire_nd *nd);

/* Builds a whole IPv6 packet carrying |nd| with hop limit 255 (RFC 4861
 * 6.1.1 / 7.1.1 make receivers drop anything else). Returns the packet length
 * or the errors of mp_wire_nd_emit() and mp_wire_ip_build_hdr(). */
int mp_wire_nd_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                     const struct mp_wire_nd *nd, bool csum_now);

/* ------------------------------------------------------------------------ */
/* Ethernet II with optional 802.1Q tag                                       */

#define MP_WIRE_ETH_HLEN 14u
#define MP_WIRE_ETH_VLAN_HLEN 18u

enum {
    MP_ETHERTYPE_IPV4 = 0x0800,
    MP_ETHERTYPE_ARP = 0x0806,
    MP_ETHERTYPE_VLAN = 0x8100,
    MP_ETHERTYPE_IPV6 = 0x86dd,
};

struct mp_wire_eth {
    uint8_t dst[6], src[6];
    bool has_vlan;
    uint16_t tci;       /* PCP (3) | DEI (1) | VID (12) */
    uint16_t ethertype; /* of the payload (inside the tag if any) */
    /* Parse results: */
    size_t hdr_len; /* 14 or 18 */
    const uint8_t *payload;
    size_t payload_len;
};

/* Parses an Ethernet II frame (no FCS). Errors: MP_WIRE_ETRUNC (len < 14,
 * or < 18 with a tag), MP_WIRE_EUNSUPP (type/length field < 0x0600, an
 * 802.3 length rather than an EtherType). */
int mp_wire_eth_parse(const uint8_t *p, size_t len, struct mp_wire_eth *out);

/* Writes the 14- or 18-byte header. Returns its length or MP_WIRE_ENOSPC. */
int mp_wire_eth_emit(uint8_t *buf, size_t cap, const struct mp_wire_eth *h);

/* ------------------------------------------------------------------------ */
/* ARP for IPv4 over Ethernet (RFC 826)                                       */

#define MP_WIRE_ARP_LEN 28u

enum {
    MP_ARP_REQUEST = 1,
    MP_ARP_REPLY = 2,
};

struct mp_wire_arp {
    uint16_t op;
    uint8_t sha[6];
    struct mp_ip spa;
    uint8_t tha[6];
    struct mp_ip tpa;
};

/* Parses an ARP packet. Errors: MP_WIRE_ETRUNC (len < 8, or < 28 for
 * Ethernet/IPv4), MP_WIRE_EUNSUPP (hardware type not Ethernet, protocol not
 * IPv4, or address lengths not 6/4). Any operation code is returned. */
int mp_wire_arp_parse(const uint8_t *p, size_t len, struct mp_wire_arp *out);

/* Writes a 28-byte Ethernet/IPv4 ARP packet. Returns 28 or MP_WIRE_ENOSPC,
 * MP_WIRE_EINVAL (spa/tpa not IPv4). */
int mp_wire_arp_emit(uint8_t *buf, size_t cap, const struct mp_wire_arp *a);

/* ------------------------------------------------------------------------ */
/* TCP header (RFC 9293)                                                      */

#define MP_WIRE_TCP_HLEN 20u
#define MP_WIRE_TCP_MAX_OPTS 40u

/* Control bits (RFC 9293 3.1, RFC 3168 for ECE/CWR). AE is the bit just
 * above CWR (formerly NS, RFC 3540, now historic), used by accurate ECN. The
 * three bits above AE are reserved; flags keeps all 12 bits raw. */
enum {
    MP_TCP_FIN = 0x001,
    MP_TCP_SYN = 0x002,
    MP_TCP_RST = 0x004,
    MP_TCP_PSH = 0x008,
    MP_TCP_ACK = 0x010,
    MP_TCP_URG = 0x020,
    MP_TCP_ECE = 0x040,
    MP_TCP_CWR = 0x080,
    MP_TCP_AE = 0x100,
};

/* Option kinds (IANA). */
enum {
    MP_TCPOPT_EOL = 0,
    MP_TCPOPT_NOP = 1,
    MP_TCPOPT_MSS = 2,
    MP_TCPOPT_WSCALE = 3,
    MP_TCPOPT_SACK_PERM = 4,
    MP_TCPOPT_SACK = 5,
    MP_TCPOPT_TIMESTAMP = 8,
    MP_TCPOPT_MPTCP = 30,
};

struct mp_wire_tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t doff;    /* data offset in 32-bit words; ignored on emit (from opts_len) */
    uint16_t flags;  /* MP_TCP_* and the reserved bits, 12 bits */
    uint16_t window; /* unscaled */
    uint16_t csum;
    uint16_t urg;
    const uint8_t *opts; /* options area, doff * 4 - 20 bytes; see mp_wire_opt_next */
    size_t opts_len;
    /* Parse results: */
    const uint8_t *payload;
    size_t payload_len;
};

/*
 * Parses a TCP header at |p| (|len| bytes: the whole segment). Options are a
 * raw slice and are not checked here (RFC 9293 3.1: a receiver must handle
 * an illegal option length itself; walk them with mp_wire_opt_next()).
 * Errors: MP_WIRE_ETRUNC (len < 20 or < doff * 4), MP_WIRE_EHDRLEN
 * (doff < 5).
 */
int mp_wire_tcp_parse(const uint8_t *p, size_t len, struct mp_wire_tcp *out);

/* Writes the header with its options as given (checksum included). Returns
 * 20 + opts_len or MP_WIRE_ENOSPC, MP_WIRE_EINVAL (opts_len not a multiple
 * of 4 or > 40, flags >= 2^12). */
int mp_wire_tcp_emit(uint8_t *buf, size_t cap, const struct mp_wire_tcp *h);

/* Builds a whole IP/TCP segment: IP header, the TCP header from |h| (csum
 * ignored), |plen| bytes of |payload| (NULL if already in place after the
 * TCP header; may overlap |buf|). Returns the packet length or the errors of
 * mp_wire_tcp_emit() and mp_wire_ip_build_hdr(). */
int mp_wire_tcp_build(uint8_t *buf, size_t cap, const struct mp_ip *src, const struct mp_ip *dst,
                      const struct mp_wire_tcp *h, const uint8_t *payload, size_t plen,
                      const struct mp_wire_ipx *x, bool csum_now);

/* ------------------------------------------------------------------------ */
/* Lazy checksums on packets                                                  */

/*
 * Fills in the IPv4 header checksum and the checksum of a TCP, UDP, ICMP or
 * ICMPv6 payload of the IP packet at p->data, then clears
 * MP_PKT_CSUM_PENDING. Does nothing (returns 0) if the flag is not set. A
 * fragment's L4 checksum covers the whole datagram, so for fragments only
 * the IPv4 header checksum is filled. Other protocols are left alone.
 * The IPv6 pseudo-header uses the destination of the fixed header: packets
 * with a routing header are not emitted by afmp.
 * Errors (the flag stays set): the parse errors of mp_wire_ip4_parse() /
 * mp_wire_ip6_parse(), MP_WIRE_EVERSION (empty packet or unknown version),
 * MP_WIRE_ETRUNC (L4 message too short to hold its checksum field),
 * MP_WIRE_ELEN (UDP length field below 8 or beyond the IP payload; the UDP
 * checksum covers exactly the UDP length, RFC 768).
 */
int mp_wire_csum_finalize(struct mp_pkt *p);

/*
 * Checks the checksums that finalize fills: the IPv4 header checksum and the
 * L4 checksum of unfragmented TCP, UDP, ICMP and ICMPv6. A zero UDP checksum
 * over IPv4 means "none" and passes (RFC 768); over IPv6 it fails (RFC 8200
 * 8.1). Returns false also when the IP header does not parse or its length
 * field is not exactly p->len: packets are bare IP datagrams (model/pkt.h),
 * and without this a flipped version bit can turn an IPv4 packet into an
 * "IPv6" one of an unknown protocol that no checksum covers.
 */
bool mp_wire_csum_verify(const struct mp_pkt *p);

#endif
