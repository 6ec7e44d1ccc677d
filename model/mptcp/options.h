/*
 * afmp: MPTCP v1 options (RFC 8684 section 3), parse and emit.
 *
 * Every MPTCP option is TCP option kind 30 with a 4-bit subtype in the high
 * nibble of its third byte. This module turns one segment's options area into
 * a struct mp_mptcp_opts and each option struct back into bytes; it holds no
 * state and never judges whether an option is acceptable in the connection's
 * state (that is protocol.c's job). Lengths are checked exactly: Wireshark
 * does not flag a wrong MPTCP option length, so this is where they are held
 * to the RFC.
 *
 * Error convention: parsers return 0 or -EBADMSG (errno.h); emitters return
 * the option's length, or 0 when it does not fit or the struct describes no
 * valid option; nothing is written then.
 */
#ifndef MP_MPTCP_OPTIONS_H
#define MP_MPTCP_OPTIONS_H

#include "model/types.h"
/* MP_TCPOPT_MPTCP (30), the TCP option kind, is declared with the other
 * kinds in model/wire/wire.h; a #define here would clash with it. */
#include "model/wire/wire.h"

/* RFC 8684 3: the version this implementation speaks. */
#define MP_MPTCP_VERSION 1

enum mp_mptcp_subtype {
    MP_MPTCP_CAPABLE = 0,
    MP_MPTCP_JOIN = 1,
    MP_MPTCP_DSS = 2,
    MP_MPTCP_ADD_ADDR = 3,
    MP_MPTCP_REMOVE_ADDR = 4,
    MP_MPTCP_PRIO = 5,
    MP_MPTCP_FAIL = 6,
    MP_MPTCP_FASTCLOSE = 7,
    MP_MPTCP_TCPRST = 8,
    MP_MPTCP_EXPERIMENTAL = 15, /* RFC 8684 8: private use; never parsed */
};

/* Option lengths (RFC 8684 3.1-3.7). */
#define MP_MPTCP_LEN_CAPABLE_SYN 4u
#define MP_MPTCP_LEN_CAPABLE_SYNACK 12u
#define MP_MPTCP_LEN_CAPABLE_ACK 20u
#define MP_MPTCP_LEN_CAPABLE_DATA 22u
#define MP_MPTCP_LEN_CAPABLE_DATA_CSUM 24u
#define MP_MPTCP_LEN_JOIN_SYN 12u
#define MP_MPTCP_LEN_JOIN_SYNACK 16u
#define MP_MPTCP_LEN_JOIN_ACK 24u
#define MP_MPTCP_LEN_DSS_BASE 4u
#define MP_MPTCP_LEN_DSS_MAX 28u
#define MP_MPTCP_LEN_ADD_ADDR_MAX 30u
#define MP_MPTCP_LEN_REMOVE_ADDR_BASE 3u
#define MP_MPTCP_LEN_PRIO 3u
#define MP_MPTCP_LEN_PRIO_OLD 4u
#define MP_MPTCP_LEN_FAIL 12u
#define MP_MPTCP_LEN_FASTCLOSE 12u
#define MP_MPTCP_LEN_TCPRST 4u

/* The most address IDs one REMOVE_ADDR can carry: 40 bytes of TCP option
 * space less its 3-byte header. */
#define MP_MPTCP_RM_IDS_MAX 37u

/* MP_CAPABLE flags (byte 3) */
#define MP_MPC_FLAG_A 0x80 /* checksum required */
#define MP_MPC_FLAG_B 0x40 /* extensibility: a v1 peer falls back to TCP if set */
#define MP_MPC_FLAG_C 0x20 /* do not open subflows to this source address */
#define MP_MPC_FLAG_H 0x01 /* HMAC-SHA256 (must be set) */

struct mp_mptcp_capable {
    uint8_t version;           /* low nibble of byte 2 */
    uint8_t flags;             /* byte 3 */
    uint8_t nkeys;             /* 0 (SYN, len 4), 1 (SYN/ACK, 12), 2 (ACK 20, data 22/24) */
    uint64_t snd_key, rcv_key; /* sender's key first, then receiver's */
    bool has_data_len;         /* len 22 or 24 */
    uint16_t data_len;
    bool has_csum; /* len 24 */
    uint16_t csum;
};

#define MP_JOIN_FLAG_B 0x01
enum mp_mptcp_join_kind { MP_JOIN_SYN, MP_JOIN_SYNACK, MP_JOIN_ACK }; /* lengths 12, 16, 24 */
struct mp_mptcp_join {
    enum mp_mptcp_join_kind kind;
    uint8_t flags;    /* B in SYN and SYN/ACK */
    uint8_t addr_id;  /* SYN, SYN/ACK */
    uint32_t token;   /* SYN */
    uint32_t nonce;   /* SYN, SYN/ACK */
    uint64_t hmac64;  /* SYN/ACK: leftmost 64 bits of the HMAC, as a big-endian number */
    uint8_t hmac[20]; /* ACK: leftmost 160 bits */
};

#define MP_DSS_FLAG_F 0x10
#define MP_DSS_FLAG_m 0x08
#define MP_DSS_FLAG_M 0x04
#define MP_DSS_FLAG_a 0x02
#define MP_DSS_FLAG_A 0x01
struct mp_mptcp_dss {
    bool has_ack, ack64; /* A, a (ack64 is false on parse when has_ack is) */
    uint64_t data_ack;   /* 32-bit acks zero-extended */
    bool has_map, dsn64; /* M, m (dsn64 is false on parse when has_map is) */
    uint64_t dsn;        /* 32-bit DSNs zero-extended (the receiver expands them) */
    uint32_t ssn;        /* relative subflow sequence number */
    uint16_t data_len;
    bool has_csum; /* only with a mapping */
    uint16_t csum;
    bool data_fin; /* F */
};

struct mp_mptcp_add_addr {
    bool echo; /* E */
    uint8_t addr_id;
    struct mp_ip addr; /* model/types.h; v 4 or 6 */
    bool has_port;
    uint16_t port;
    bool has_hmac;
    uint64_t hmac64; /* rightmost 64 bits of the HMAC, big-endian number */
};

struct mp_mptcp_remove_addr {
    uint8_t n; /* 1..MP_MPTCP_RM_IDS_MAX */
    uint8_t ids[37];
};

struct mp_mptcp_prio {
    bool backup;
    bool has_addr_id; /* old 4-byte form (RFC 6824): the ID is ignored by v1 */
    uint8_t addr_id;
};

struct mp_mptcp_fail {
    uint64_t dsn;
};

struct mp_mptcp_fastclose {
    uint64_t rcv_key;
};

#define MP_TCPRST_FLAG_T 0x1 /* transient error: the peer may retry */
#define MP_TCPRST_FLAG_W 0x2
#define MP_TCPRST_FLAG_V 0x4
#define MP_TCPRST_FLAG_U 0x8
/* RFC 8684 3.6, table 4 (MPTCP TCPRST reason codes). */
enum mp_mptcp_rst_reason {
    MP_TCPRST_UNSPEC = 0,
    MP_TCPRST_MPTCP_ERROR = 1,
    MP_TCPRST_RESOURCES = 2,
    MP_TCPRST_PROHIBITED = 3,
    MP_TCPRST_WND_DATA = 4,
    MP_TCPRST_BAD_PERF = 5,
    MP_TCPRST_MIDDLEBOX = 6,
};
struct mp_mptcp_tcprst {
    uint8_t flags; /* U V W T: T = 0x1 */
    uint8_t reason;
};

/* Everything MPTCP in one segment's TCP options area. */
enum mp_mptcp_present {
    MP_MPTCP_HAS_CAPABLE = 1u << 0,
    MP_MPTCP_HAS_JOIN = 1u << 1,
    MP_MPTCP_HAS_DSS = 1u << 2,
    MP_MPTCP_HAS_ADD_ADDR = 1u << 3,
    MP_MPTCP_HAS_REMOVE_ADDR = 1u << 4,
    MP_MPTCP_HAS_PRIO = 1u << 5,
    MP_MPTCP_HAS_FAIL = 1u << 6,
    MP_MPTCP_HAS_FASTCLOSE = 1u << 7,
    MP_MPTCP_HAS_TCPRST = 1u << 8,
};

struct mp_mptcp_opts {
    uint32_t present;   /* enum mp_mptcp_present; bit i is subtype i */
    uint32_t malformed; /* bit per subtype (1u << subtype) with a bad length: for counters */
    struct mp_mptcp_capable mpc;
    struct mp_mptcp_join join;
    struct mp_mptcp_dss dss;
    struct mp_mptcp_add_addr add_addr;
    struct mp_mptcp_remove_addr rm;
    struct mp_mptcp_prio prio;
    struct mp_mptcp_fail fail;
    struct mp_mptcp_fastclose fastclose;
    struct mp_mptcp_tcprst rst;
};

/*
 * mp_mptcp_opts_parse walks the TCP options area |opts| of |len| bytes (kind
 * 0 ends it, kind 1 is a no-op, every other kind has a length byte) and
 * fills |out| with every kind-30 option, by subtype. |out| is zeroed first.
 *
 * An MPTCP option whose length is wrong for its subtype sets bit
 * (1u << subtype) in |out->malformed| and is not present. An MP_CAPABLE with
 * a version other than 1 is not malformed: it is parsed by its length and
 * the version is kept so that the caller can fall back (RFC 8684 3.1).
 * Unknown subtypes and kind-30 options too short to hold a subtype are
 * ignored. When a subtype appears twice, the first well-formed one wins.
 *
 * Returns 0, or -EBADMSG when a TCP option's length byte is missing, below 2
 * or runs past the area; |out| then holds what came before the bad option
 * and the caller should drop the segment.
 */
int mp_mptcp_opts_parse(const uint8_t *opts, size_t len, struct mp_mptcp_opts *out);

/*
 * Per-subtype parsers. |p| points at the kind byte of one option and |len| is
 * the number of bytes readable from |p| (at least the option's length byte,
 * p[1]; more is allowed and ignored). Each checks the kind, the subtype and
 * that p[1] is one of the lengths the RFC allows for the subtype, then fills
 * |out| (zeroed first).
 *
 * Return 0, or -EBADMSG when |len| < p[1], the kind or subtype is not the
 * parser's, or p[1] is not a valid length for the subtype (for DSS: not the
 * length its flags imply, with or without the 2-byte checksum of a mapping;
 * for ADD_ADDR: not one of 8, 10, 16, 18, 20, 22, 28, 30).
 */
int mp_mptcp_parse_capable(const uint8_t *p, size_t len, struct mp_mptcp_capable *out);
int mp_mptcp_parse_join(const uint8_t *p, size_t len, struct mp_mptcp_join *out);
int mp_mptcp_parse_dss(const uint8_t *p, size_t len, struct mp_mptcp_dss *out);
int mp_mptcp_parse_add_addr(const uint8_t *p, size_t len, struct mp_mptcp_add_addr *out);
int mp_mptcp_parse_remove_addr(const uint8_t *p, size_t len, struct mp_mptcp_remove_addr *out);
int mp_mptcp_parse_prio(const uint8_t *p, size_t len, struct mp_mptcp_prio *out);
int mp_mptcp_parse_fail(const uint8_t *p, size_t len, struct mp_mptcp_fail *out);
int mp_mptcp_parse_fastclose(const uint8_t *p, size_t len, struct mp_mptcp_fastclose *out);
int mp_mptcp_parse_tcprst(const uint8_t *p, size_t len, struct mp_mptcp_tcprst *out);

/*
 * Length helpers: the bytes the option described by the struct takes on the
 * wire, or 0 when the struct describes no valid option.
 *
 * mp_mptcp_capable_len: 4, 12, 20 for nkeys 0, 1, 2; 22 with has_data_len,
 * 24 with has_csum too. 0 for nkeys > 2, has_data_len without two keys, or
 * has_csum without has_data_len.
 * mp_mptcp_dss_len: 4 + (has_ack ? 4 or 8) + (has_map ? (4 or 8) + 6 +
 * (has_csum ? 2)); has_csum is ignored without a mapping.
 * mp_mptcp_add_addr_len: 8 (IPv4) or 20 (IPv6), +2 with a port, +8 with an
 * HMAC; 0 when addr.v is neither 4 nor 6.
 */
size_t mp_mptcp_capable_len(const struct mp_mptcp_capable *o);
size_t mp_mptcp_join_len(const struct mp_mptcp_join *o);
size_t mp_mptcp_dss_len(const struct mp_mptcp_dss *o);
size_t mp_mptcp_add_addr_len(const struct mp_mptcp_add_addr *o);
size_t mp_mptcp_remove_addr_len(const struct mp_mptcp_remove_addr *o);

/*
 * Emitters: each writes one option at |buf| (room |len|) and returns its
 * length, or 0 when it does not fit or the struct is invalid (see the length
 * helpers); nothing is written then. Reserved bits are written as zero, and
 * flag bits that the struct's layout fields decide (DSS A a M m, JOIN B
 * outside SYN and SYN/ACK) are taken from those fields.
 *
 * mp_mptcp_write_capable: length from nkeys/has_data_len/has_csum; the
 * version and flags bytes are written as given.
 * mp_mptcp_write_join: length from |kind| (12, 16, 24).
 * mp_mptcp_write_dss: what the struct says; a DATA_FIN flag without a
 * mapping is allowed by the format (RFC 8684 3.3.3 puts it in a mapping, but
 * the caller decides).
 * mp_mptcp_write_add_addr: length from the family, has_port and has_hmac.
 * mp_mptcp_write_remove_addr: 3 + n; 0 when n is 0 or above 37.
 * mp_mptcp_write_prio: 3, or the old 4-byte form with has_addr_id.
 * mp_mptcp_write_fail, _fastclose: 12. mp_mptcp_write_tcprst: 4 (flags are
 * masked to their 4 bits).
 */
size_t mp_mptcp_write_capable(uint8_t *buf, size_t len, const struct mp_mptcp_capable *o);
size_t mp_mptcp_write_join(uint8_t *buf, size_t len, const struct mp_mptcp_join *o);
size_t mp_mptcp_write_dss(uint8_t *buf, size_t len, const struct mp_mptcp_dss *o);
size_t mp_mptcp_write_add_addr(uint8_t *buf, size_t len, const struct mp_mptcp_add_addr *o);
size_t mp_mptcp_write_remove_addr(uint8_t *buf, size_t len, const struct mp_mptcp_remove_addr *o);
size_t mp_mptcp_write_prio(uint8_t *buf, size_t len, const struct mp_mptcp_prio *o);
size_t mp_mptcp_write_fail(uint8_t *buf, size_t len, const struct mp_mptcp_fail *o);
size_t mp_mptcp_write_fastclose(uint8_t *buf, size_t len, const struct mp_mptcp_fastclose *o);
size_t mp_mptcp_write_tcprst(uint8_t *buf, size_t len, const struct mp_mptcp_tcprst *o);

/* A static name for |subtype| ("MP_CAPABLE", "MP_JOIN", "DSS", "ADD_ADDR",
 * "REMOVE_ADDR", "MP_PRIO", "MP_FAIL", "MP_FASTCLOSE", "MP_TCPRST",
 * "MP_EXPERIMENTAL"), "unknown" for anything else. */
const char *mp_mptcp_subtype_name(unsigned subtype);

/* A static name for a MP_TCPRST reason code ("unspecified", ...), "unknown"
 * for codes RFC 8684 does not define. */
const char *mp_mptcp_rst_reason_name(unsigned reason);

#endif
