/*
 * afmp: DNS messages (RFC 1035 section 4, AAAA from RFC 3596).
 *
 * Like the rest of model/wire (wire.h): parsers take (p, len, out), check
 * every length before reading and return 0 or a negative MP_WIRE_E* code;
 * emitters take a buffer and its capacity, never write past it, and return
 * the bytes written or a negative code. No state, no allocation, no clock.
 *
 * Names are kept in uncompressed wire form (length-prefixed labels ending
 * with the root label) in a fixed buffer, so every name is a value that can
 * be compared and copied without pointers into the message. Compression
 * pointers (RFC 1035 4.1.4) are followed on parse and, optionally, produced
 * on emit.
 *
 * Resource records: A and AAAA of class IN are decoded (their address in
 * |addr|); the RDATA of every other type is kept raw (a slice of the input)
 * and not interpreted: CNAME, SOA or OPT are skipped by a DNS client that
 * only wants addresses, but their lengths are checked like any other.
 *
 * Errors used here:
 *   MP_WIRE_ETRUNC  the message ends inside the header, a name, a question,
 *                   the fixed part of a record or its RDATA (this includes
 *                   counts that promise more entries than the data holds);
 *   MP_WIRE_ELEN    a name longer than 255 bytes (RFC 1035 2.3.4), a
 *                   compression pointer past the end of the message, an A
 *                   record whose RDATA is not 4 bytes or an AAAA record not
 *                   16 (RFC 3596 2.2);
 *   MP_WIRE_EFIELD  a label length byte with the high bits 01 or 10 (a label
 *                   longer than 63, or the extended label types RFC 6891
 *                   retired), a compression pointer that does not point
 *                   strictly before the name that holds it (this is the
 *                   loop protection: every jump goes backwards, so a walk
 *                   always ends);
 *   MP_WIRE_EINVAL  emit: a name or record the codec cannot write (a text
 *                   name with an empty label or a label > 63, RDATA > 65535,
 *                   an A/AAAA record whose address is of the other family);
 *   MP_WIRE_ENOSPC  emit: the buffer is too small.
 */
#ifndef MP_WIRE_DNS_H
#define MP_WIRE_DNS_H

#include "model/types.h"
#include "model/wire/wire.h"

#define MP_DNS_PORT 53
#define MP_DNS_HLEN 12u
#define MP_DNS_MAX_NAME 255u /* wire form, length bytes and root included */
#define MP_DNS_MAX_LABEL 63u
#define MP_DNS_UDP_MAX 512u /* RFC 1035 4.2.1: UDP messages without EDNS */
/* Longest text form: 255 wire bytes where every byte of a label is escaped
 * as \DDD (4 characters), plus the NUL. */
#define MP_DNS_NAME_STRLEN 1010u

/* Types (IANA) the codec knows by name; any 16-bit type parses. */
enum {
    MP_DNS_TYPE_A = 1,
    MP_DNS_TYPE_NS = 2,
    MP_DNS_TYPE_CNAME = 5,
    MP_DNS_TYPE_SOA = 6,
    MP_DNS_TYPE_PTR = 12,
    MP_DNS_TYPE_MX = 15,
    MP_DNS_TYPE_TXT = 16,
    MP_DNS_TYPE_AAAA = 28,
    MP_DNS_TYPE_OPT = 41,
    MP_DNS_TYPE_ANY = 255,
};

enum { MP_DNS_CLASS_IN = 1 };

/* RCODEs (RFC 1035 4.1.1). */
enum {
    MP_DNS_RCODE_NOERROR = 0,
    MP_DNS_RCODE_FORMERR = 1,
    MP_DNS_RCODE_SERVFAIL = 2,
    MP_DNS_RCODE_NXDOMAIN = 3,
    MP_DNS_RCODE_NOTIMP = 4,
    MP_DNS_RCODE_REFUSED = 5,
};

enum { MP_DNS_OPCODE_QUERY = 0 };

/* A domain name in uncompressed wire form: wire[0..len) is a sequence of
 * length-prefixed labels ending with the zero-length root label, so the
 * root name is {len 1, wire "\0"}. len is 1..255. */
struct mp_dns_name {
    uint8_t len;
    uint8_t wire[MP_DNS_MAX_NAME];
};

struct mp_dns_header {
    uint16_t id;
    bool qr;        /* response */
    uint8_t opcode; /* 4 bits */
    bool aa, tc, rd, ra;
    uint8_t z;     /* the 3 bits between RA and RCODE (Z, AD, CD), raw */
    uint8_t rcode; /* 4 bits */
    uint16_t qdcount, ancount, nscount, arcount;
};

struct mp_dns_question {
    struct mp_dns_name name;
    uint16_t qtype, qclass;
};

struct mp_dns_rr {
    struct mp_dns_name name;
    uint16_t type, rclass;
    uint32_t ttl;
    /* A/AAAA of class IN: the address (parse: decoded; emit: written from
     * here, |rdata| ignored). Other records: v = 0 and the raw RDATA. */
    struct mp_ip addr;
    const uint8_t *rdata; /* parse: points into the message */
    uint16_t rdlen;
};

/* How many questions and answers a parsed message keeps; entries past these
 * are still checked, then counted in the *_dropped fields. */
#define MP_DNS_MAX_QUESTIONS 4u
#define MP_DNS_MAX_ANSWERS 32u

struct mp_dns_msg {
    struct mp_dns_header h;
    size_t n_question; /* stored in question[] */
    struct mp_dns_question question[MP_DNS_MAX_QUESTIONS];
    size_t n_answer; /* stored in answer[] */
    struct mp_dns_rr answer[MP_DNS_MAX_ANSWERS];
    /* Parse results (ignored on emit): */
    size_t n_question_dropped, n_answer_dropped;
    size_t end; /* offset just past the last record of the additional section */
};

/* ---- names ---- */

/*
 * mp_dns_name_from_text converts the dotted name |s| ("www.example.com",
 * with or without the final dot; "" and "." are the root) into wire form.
 * Labels are taken byte for byte (no escapes). Returns 0 or MP_WIRE_EINVAL
 * (empty label, label longer than 63, name longer than 255 in wire form).
 */
int mp_dns_name_from_text(const char *s, struct mp_dns_name *out);

/*
 * mp_dns_name_to_text writes |n| as dotted text without the final dot
 * (root: "."), escaping '.', '\\' and bytes outside printable ASCII as
 * \DDD (RFC 1035 5.1), with a terminating NUL into |buf| of |len| bytes.
 * Returns the text length or MP_WIRE_ENOSPC (MP_DNS_NAME_STRLEN always
 * suffices), MP_WIRE_EINVAL (|n| is not a valid wire name).
 */
int mp_dns_name_to_text(const struct mp_dns_name *n, char *buf, size_t len);

/* True if |a| and |b| are the same name, ASCII letters compared without
 * case (RFC 1035 2.3.3, RFC 4343). */
bool mp_dns_name_eq(const struct mp_dns_name *a, const struct mp_dns_name *b);

/*
 * mp_dns_name_parse reads the (possibly compressed) name at offset |off| of
 * the message |msg| (|len| bytes: pointers are offsets from its start) into
 * |out| and stores in |*next| the offset just past the name's bytes at
 * |off| (after its first pointer, if any). Errors: MP_WIRE_ETRUNC,
 * MP_WIRE_ELEN, MP_WIRE_EFIELD as described at the top.
 */
int mp_dns_name_parse(const uint8_t *msg, size_t len, size_t off, struct mp_dns_name *out,
                      size_t *next);

/* ---- header ---- */

/* Parses the 12-byte header. Errors: MP_WIRE_ETRUNC. */
int mp_dns_header_parse(const uint8_t *p, size_t len, struct mp_dns_header *out);

/* Writes the 12-byte header as given. Returns 12, MP_WIRE_ENOSPC or
 * MP_WIRE_EINVAL (opcode > 15, rcode > 15, z > 7). */
int mp_dns_header_emit(uint8_t *buf, size_t cap, const struct mp_dns_header *h);

/* ---- whole messages ---- */

/*
 * mp_dns_msg_parse parses a whole message: header, the question section
 * (qdcount entries), the answer section (ancount records) and, checked and
 * skipped, the authority and additional sections. Every name, question and
 * record is checked even when it is not stored. Bytes after the last record
 * are ignored (msg->end tells where the records ended). Errors: those of
 * mp_dns_name_parse, MP_WIRE_ETRUNC, MP_WIRE_ELEN (A/AAAA RDATA length).
 */
int mp_dns_msg_parse(const uint8_t *p, size_t len, struct mp_dns_msg *out);

/* Flags of mp_dns_msg_emit. */
enum {
    MP_DNS_EMIT_COMPRESS = 1u << 0, /* point repeated names back (RFC 1035 4.1.4) */
    /* When an answer does not fit, stop there, set TC and count only the
     * answers written (RFC 2181 9), instead of failing with ENOSPC. */
    MP_DNS_EMIT_TRUNCATE = 1u << 1,
};

/*
 * mp_dns_msg_emit writes |m| (header, n_question questions, n_answer
 * answers; no authority or additional records) into |buf| of |cap| bytes.
 * The header's counts are taken from n_question and n_answer, whatever
 * m->h says; the other fields are written as given. Returns the message
 * length, MP_WIRE_ENOSPC (the buffer is too small, or the questions do not
 * fit even with MP_DNS_EMIT_TRUNCATE), MP_WIRE_EINVAL (n_question or
 * n_answer above the array sizes, an invalid name, an A/AAAA record whose
 * address is of the wrong family, header fields out of range).
 */
int mp_dns_msg_emit(uint8_t *buf, size_t cap, const struct mp_dns_msg *m, unsigned flags);

/*
 * mp_dns_query_emit writes a standard query with one question (|name|,
 * |qtype|, class IN), identifier |id| and RD set as |rd| says: what a stub
 * resolver sends. Returns its length or MP_WIRE_ENOSPC, MP_WIRE_EINVAL.
 */
int mp_dns_query_emit(uint8_t *buf, size_t cap, uint16_t id, const struct mp_dns_name *name,
                      uint16_t qtype, bool rd);

/* A short static name for an RCODE ("NOERROR", "NXDOMAIN", ...; "RCODE<n>"
 * is not produced: unknown values give "unknown"). */
const char *mp_dns_rcode_str(unsigned rcode);

#endif
