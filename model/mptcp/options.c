/*
 * afmp: MPTCP v1 options (RFC 8684 section 3), parse and emit.
 *
 * Byte 0 is the kind (30), byte 1 the length, the high nibble of byte 2 the
 * subtype. Each parser checks the length against the exact set the RFC
 * allows for its subtype before reading a field; each emitter computes the
 * length first and writes nothing when it does not fit.
 */
#include <errno.h>
#include <string.h>

#include "model/mptcp/options.h"
#include "model/wire/wire.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                    */

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)mp_wire_get32(p) << 32 | mp_wire_get32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    mp_wire_put32(p, (uint32_t)(v >> 32));
    mp_wire_put32(p + 4, (uint32_t)v);
}

/*
 * Common checks of the per-subtype parsers: a readable kind, length and
 * subtype byte, kind 30, the right subtype, and the option's own length
 * within |len|. Returns the option's length (>= 3), or 0 when any fails.
 */
static size_t opt_head(const uint8_t *p, size_t len, unsigned subtype)
{
    if (len < 3 || p[0] != MP_TCPOPT_MPTCP || p[1] < 3 || p[1] > len)
        return 0;
    if ((unsigned)(p[2] >> 4) != subtype)
        return 0;
    return p[1];
}

/* Writes kind, length and the subtype nibble with |low| in the low nibble. */
static void put_head(uint8_t *buf, size_t olen, unsigned subtype, uint8_t low)
{
    buf[0] = MP_TCPOPT_MPTCP;
    buf[1] = (uint8_t)olen;
    buf[2] = (uint8_t)(subtype << 4 | (low & 0x0f));
}

/* ------------------------------------------------------------------------ */
/* MP_CAPABLE (RFC 8684 3.1, figure 4)                                        */

int mp_mptcp_parse_capable(const uint8_t *p, size_t len, struct mp_mptcp_capable *out)
{
    size_t olen = opt_head(p, len, MP_MPTCP_CAPABLE);

    memset(out, 0, sizeof(*out));
    if (olen < MP_MPTCP_LEN_CAPABLE_SYN)
        return -EBADMSG;
    /* The version is kept whatever it is: RFC 8684 3.1 has the receiver of
     * an unsupported version fall back (or answer with its own), which is
     * the caller's decision. The layout is the v1 one, chosen by length. */
    out->version = p[2] & 0x0f;
    out->flags = p[3];
    switch (olen) {
    case MP_MPTCP_LEN_CAPABLE_SYN:
        out->nkeys = 0;
        break;
    case MP_MPTCP_LEN_CAPABLE_SYNACK:
        out->nkeys = 1;
        out->snd_key = get64(p + 4);
        break;
    case MP_MPTCP_LEN_CAPABLE_ACK:
    case MP_MPTCP_LEN_CAPABLE_DATA:
    case MP_MPTCP_LEN_CAPABLE_DATA_CSUM:
        out->nkeys = 2;
        out->snd_key = get64(p + 4);
        out->rcv_key = get64(p + 12);
        if (olen >= MP_MPTCP_LEN_CAPABLE_DATA) {
            out->has_data_len = true;
            out->data_len = mp_wire_get16(p + 20);
        }
        if (olen == MP_MPTCP_LEN_CAPABLE_DATA_CSUM) {
            out->has_csum = true;
            out->csum = mp_wire_get16(p + 22);
        }
        break;
    default:
        memset(out, 0, sizeof(*out));
        return -EBADMSG;
    }
    return 0;
}

size_t mp_mptcp_capable_len(const struct mp_mptcp_capable *o)
{
    switch (o->nkeys) {
    case 0:
    case 1:
        if (o->has_data_len || o->has_csum)
            return 0;
        return o->nkeys ? MP_MPTCP_LEN_CAPABLE_SYNACK : MP_MPTCP_LEN_CAPABLE_SYN;
    case 2:
        if (o->has_csum && !o->has_data_len)
            return 0;
        if (!o->has_data_len)
            return MP_MPTCP_LEN_CAPABLE_ACK;
        return o->has_csum ? MP_MPTCP_LEN_CAPABLE_DATA_CSUM : MP_MPTCP_LEN_CAPABLE_DATA;
    default:
        return 0;
    }
}

size_t mp_mptcp_write_capable(uint8_t *buf, size_t len, const struct mp_mptcp_capable *o)
{
    size_t olen = mp_mptcp_capable_len(o);

    if (olen == 0 || olen > len)
        return 0;
    put_head(buf, olen, MP_MPTCP_CAPABLE, o->version);
    buf[3] = o->flags;
    if (o->nkeys >= 1)
        put64(buf + 4, o->snd_key);
    if (o->nkeys == 2)
        put64(buf + 12, o->rcv_key);
    if (o->has_data_len)
        mp_wire_put16(buf + 20, o->data_len);
    if (o->has_csum)
        mp_wire_put16(buf + 22, o->csum);
    return olen;
}

/* ------------------------------------------------------------------------ */
/* MP_JOIN (RFC 8684 3.2, figures 5-7)                                        */

int mp_mptcp_parse_join(const uint8_t *p, size_t len, struct mp_mptcp_join *out)
{
    size_t olen = opt_head(p, len, MP_MPTCP_JOIN);

    memset(out, 0, sizeof(*out));
    switch (olen) {
    case MP_MPTCP_LEN_JOIN_SYN:
        out->kind = MP_JOIN_SYN;
        out->flags = p[2] & MP_JOIN_FLAG_B;
        out->addr_id = p[3];
        out->token = mp_wire_get32(p + 4);
        out->nonce = mp_wire_get32(p + 8);
        return 0;
    case MP_MPTCP_LEN_JOIN_SYNACK:
        out->kind = MP_JOIN_SYNACK;
        out->flags = p[2] & MP_JOIN_FLAG_B;
        out->addr_id = p[3];
        out->hmac64 = get64(p + 4);
        out->nonce = mp_wire_get32(p + 12);
        return 0;
    case MP_MPTCP_LEN_JOIN_ACK:
        /* 12 reserved bits, then the 160-bit HMAC. */
        out->kind = MP_JOIN_ACK;
        memcpy(out->hmac, p + 4, sizeof(out->hmac));
        return 0;
    default:
        return -EBADMSG;
    }
}

size_t mp_mptcp_join_len(const struct mp_mptcp_join *o)
{
    switch (o->kind) {
    case MP_JOIN_SYN:
        return MP_MPTCP_LEN_JOIN_SYN;
    case MP_JOIN_SYNACK:
        return MP_MPTCP_LEN_JOIN_SYNACK;
    case MP_JOIN_ACK:
        return MP_MPTCP_LEN_JOIN_ACK;
    default:
        return 0;
    }
}

size_t mp_mptcp_write_join(uint8_t *buf, size_t len, const struct mp_mptcp_join *o)
{
    size_t olen = mp_mptcp_join_len(o);

    if (olen == 0 || olen > len)
        return 0;
    switch (o->kind) {
    case MP_JOIN_SYN:
        put_head(buf, olen, MP_MPTCP_JOIN, o->flags & MP_JOIN_FLAG_B);
        buf[3] = o->addr_id;
        mp_wire_put32(buf + 4, o->token);
        mp_wire_put32(buf + 8, o->nonce);
        break;
    case MP_JOIN_SYNACK:
        put_head(buf, olen, MP_MPTCP_JOIN, o->flags & MP_JOIN_FLAG_B);
        buf[3] = o->addr_id;
        put64(buf + 4, o->hmac64);
        mp_wire_put32(buf + 12, o->nonce);
        break;
    case MP_JOIN_ACK:
        put_head(buf, olen, MP_MPTCP_JOIN, 0);
        buf[3] = 0;
        memcpy(buf + 4, o->hmac, sizeof(o->hmac));
        break;
    }
    return olen;
}

/* ------------------------------------------------------------------------ */
/* DSS (RFC 8684 3.3, figure 9)                                               */

/* The DSS length its flags imply, without a mapping checksum. */
static size_t dss_len_flags(uint8_t flags)
{
    size_t n = MP_MPTCP_LEN_DSS_BASE;

    if (flags & MP_DSS_FLAG_A)
        n += (flags & MP_DSS_FLAG_a) ? 8 : 4;
    if (flags & MP_DSS_FLAG_M)
        n += ((flags & MP_DSS_FLAG_m) ? 8 : 4) + 4 + 2;
    return n;
}

int mp_mptcp_parse_dss(const uint8_t *p, size_t len, struct mp_mptcp_dss *out)
{
    size_t olen = opt_head(p, len, MP_MPTCP_DSS), want, off = 4;
    uint8_t flags;

    memset(out, 0, sizeof(*out));
    if (olen < MP_MPTCP_LEN_DSS_BASE)
        return -EBADMSG;
    /* Only the low 5 bits of byte 3 are flags; the rest is reserved and
     * ignored on receipt. The a and m bits mean nothing without A and M. */
    flags = p[3];
    want = dss_len_flags(flags);
    /* RFC 8684 3.3: the checksum field exists only in a mapping, and only
     * when checksums were negotiated, which the length tells here. */
    if (olen != want && !((flags & MP_DSS_FLAG_M) && olen == want + 2))
        return -EBADMSG;
    out->data_fin = (flags & MP_DSS_FLAG_F) != 0;
    if (flags & MP_DSS_FLAG_A) {
        out->has_ack = true;
        out->ack64 = (flags & MP_DSS_FLAG_a) != 0;
        if (out->ack64) {
            out->data_ack = get64(p + off);
            off += 8;
        } else {
            out->data_ack = mp_wire_get32(p + off);
            off += 4;
        }
    }
    if (flags & MP_DSS_FLAG_M) {
        out->has_map = true;
        out->dsn64 = (flags & MP_DSS_FLAG_m) != 0;
        if (out->dsn64) {
            out->dsn = get64(p + off);
            off += 8;
        } else {
            out->dsn = mp_wire_get32(p + off);
            off += 4;
        }
        out->ssn = mp_wire_get32(p + off);
        out->data_len = mp_wire_get16(p + off + 4);
        off += 6;
        if (olen == want + 2) {
            out->has_csum = true;
            out->csum = mp_wire_get16(p + off);
        }
    }
    return 0;
}

size_t mp_mptcp_dss_len(const struct mp_mptcp_dss *o)
{
    size_t n = MP_MPTCP_LEN_DSS_BASE;

    if (o->has_ack)
        n += o->ack64 ? 8 : 4;
    if (o->has_map)
        n += (o->dsn64 ? 8 : 4) + 4 + 2 + (o->has_csum ? 2 : 0);
    return n;
}

size_t mp_mptcp_write_dss(uint8_t *buf, size_t len, const struct mp_mptcp_dss *o)
{
    size_t olen = mp_mptcp_dss_len(o), off = 4;
    uint8_t flags = 0;

    if (olen > len)
        return 0;
    if (o->data_fin)
        flags |= MP_DSS_FLAG_F;
    if (o->has_ack)
        flags |= MP_DSS_FLAG_A | (o->ack64 ? MP_DSS_FLAG_a : 0);
    if (o->has_map)
        flags |= MP_DSS_FLAG_M | (o->dsn64 ? MP_DSS_FLAG_m : 0);
    put_head(buf, olen, MP_MPTCP_DSS, 0);
    buf[3] = flags;
    if (o->has_ack) {
        if (o->ack64) {
            put64(buf + off, o->data_ack);
            off += 8;
        } else {
            /* The low 32 bits: RFC 8684 3.3 lets either side send the
             * short form and the receiver expand it. */
            mp_wire_put32(buf + off, (uint32_t)o->data_ack);
            off += 4;
        }
    }
    if (o->has_map) {
        if (o->dsn64) {
            put64(buf + off, o->dsn);
            off += 8;
        } else {
            mp_wire_put32(buf + off, (uint32_t)o->dsn);
            off += 4;
        }
        mp_wire_put32(buf + off, o->ssn);
        mp_wire_put16(buf + off + 4, o->data_len);
        off += 6;
        if (o->has_csum)
            mp_wire_put16(buf + off, o->csum);
    }
    return olen;
}

/* ------------------------------------------------------------------------ */
/* ADD_ADDR (RFC 8684 3.4.1, figure 12)                                       */

#define ADD_ADDR_BASE 4u /* kind, length, subtype/E, address ID */

int mp_mptcp_parse_add_addr(const uint8_t *p, size_t len, struct mp_mptcp_add_addr *out)
{
    size_t olen = opt_head(p, len, MP_MPTCP_ADD_ADDR), alen, rest;

    memset(out, 0, sizeof(*out));
    if (olen < ADD_ADDR_BASE)
        return -EBADMSG;
    /* v1 dropped the IPVer field: the family follows from the length. The
     * two families' length sets (8..18, 20..30) do not overlap. */
    if (olen >= ADD_ADDR_BASE + 16) {
        alen = 16;
        out->addr.v = 6;
    } else {
        alen = 4;
        out->addr.v = 4;
    }
    if (olen < ADD_ADDR_BASE + alen)
        return -EBADMSG;
    rest = olen - ADD_ADDR_BASE - alen;
    out->echo = (p[2] & 0x01) != 0;
    /* RFC 8684 3.4.1: the truncated HMAC is present if and only if E = 0
     * (an echo repeats the address without it); Linux drops an ADD_ADDR
     * whose length disagrees with E the same way. */
    switch (rest) {
    case 0:
        break;
    case 2:
        out->has_port = true;
        break;
    case 8:
        out->has_hmac = true;
        break;
    case 10:
        out->has_port = true;
        out->has_hmac = true;
        break;
    default:
        memset(out, 0, sizeof(*out));
        return -EBADMSG;
    }
    if (out->has_hmac == out->echo) {
        memset(out, 0, sizeof(*out));
        return -EBADMSG;
    }
    out->addr_id = p[3];
    memcpy(out->addr.b, p + ADD_ADDR_BASE, alen);
    if (out->has_port)
        out->port = mp_wire_get16(p + ADD_ADDR_BASE + alen);
    if (out->has_hmac)
        out->hmac64 = get64(p + ADD_ADDR_BASE + alen + (out->has_port ? 2 : 0));
    return 0;
}

size_t mp_mptcp_add_addr_len(const struct mp_mptcp_add_addr *o)
{
    if (o->addr.v != 4 && o->addr.v != 6)
        return 0;
    if (o->has_hmac == o->echo)
        return 0;
    return ADD_ADDR_BASE + (o->addr.v == 4 ? 4 : 16) + (o->has_port ? 2 : 0) +
           (o->has_hmac ? 8 : 0);
}

size_t mp_mptcp_write_add_addr(uint8_t *buf, size_t len, const struct mp_mptcp_add_addr *o)
{
    size_t olen = mp_mptcp_add_addr_len(o), alen, off;

    if (olen == 0 || olen > len)
        return 0;
    alen = o->addr.v == 4 ? 4 : 16;
    put_head(buf, olen, MP_MPTCP_ADD_ADDR, o->echo ? 0x01 : 0);
    buf[3] = o->addr_id;
    memcpy(buf + ADD_ADDR_BASE, o->addr.b, alen);
    off = ADD_ADDR_BASE + alen;
    if (o->has_port) {
        mp_wire_put16(buf + off, o->port);
        off += 2;
    }
    if (o->has_hmac)
        put64(buf + off, o->hmac64);
    return olen;
}

/* ------------------------------------------------------------------------ */
/* REMOVE_ADDR (RFC 8684 3.4.2, figure 13)                                    */

int mp_mptcp_parse_remove_addr(const uint8_t *p, size_t len, struct mp_mptcp_remove_addr *out)
{
    size_t olen = opt_head(p, len, MP_MPTCP_REMOVE_ADDR), n;

    memset(out, 0, sizeof(*out));
    /* At least one ID; more than 37 cannot come in a TCP header. */
    if (olen < MP_MPTCP_LEN_REMOVE_ADDR_BASE + 1 ||
        olen > MP_MPTCP_LEN_REMOVE_ADDR_BASE + MP_MPTCP_RM_IDS_MAX)
        return -EBADMSG;
    n = olen - MP_MPTCP_LEN_REMOVE_ADDR_BASE;
    out->n = (uint8_t)n;
    memcpy(out->ids, p + MP_MPTCP_LEN_REMOVE_ADDR_BASE, n);
    return 0;
}

size_t mp_mptcp_remove_addr_len(const struct mp_mptcp_remove_addr *o)
{
    if (o->n == 0 || o->n > MP_MPTCP_RM_IDS_MAX)
        return 0;
    return MP_MPTCP_LEN_REMOVE_ADDR_BASE + o->n;
}

size_t mp_mptcp_write_remove_addr(uint8_t *buf, size_t len, const struct mp_mptcp_remove_addr *o)
{
    size_t olen = mp_mptcp_remove_addr_len(o);

    if (olen == 0 || olen > len)
        return 0;
    put_head(buf, olen, MP_MPTCP_REMOVE_ADDR, 0);
    memcpy(buf + MP_MPTCP_LEN_REMOVE_ADDR_BASE, o->ids, o->n);
    return olen;
}

/* ------------------------------------------------------------------------ */
/* MP_PRIO (RFC 8684 3.3.8, figure 11)                                        */

int mp_mptcp_parse_prio(const uint8_t *p, size_t len, struct mp_mptcp_prio *out)
{
    size_t olen = opt_head(p, len, MP_MPTCP_PRIO);

    memset(out, 0, sizeof(*out));
    if (olen != MP_MPTCP_LEN_PRIO && olen != MP_MPTCP_LEN_PRIO_OLD)
        return -EBADMSG;
    out->backup = (p[2] & 0x01) != 0;
    /* The RFC 6824 form had an address ID; v1 applies MP_PRIO to the
     * subflow it arrives on, so the ID is only reported. */
    if (olen == MP_MPTCP_LEN_PRIO_OLD) {
        out->has_addr_id = true;
        out->addr_id = p[3];
    }
    return 0;
}

size_t mp_mptcp_write_prio(uint8_t *buf, size_t len, const struct mp_mptcp_prio *o)
{
    size_t olen = o->has_addr_id ? MP_MPTCP_LEN_PRIO_OLD : MP_MPTCP_LEN_PRIO;

    if (olen > len)
        return 0;
    put_head(buf, olen, MP_MPTCP_PRIO, o->backup ? 0x01 : 0);
    if (o->has_addr_id)
        buf[3] = o->addr_id;
    return olen;
}

/* ------------------------------------------------------------------------ */
/* MP_FAIL (RFC 8684 3.7) and MP_FASTCLOSE (RFC 8684 3.5): 12 reserved bits
 * and a 64-bit value.                                                        */

static int parse_u64_opt(const uint8_t *p, size_t len, unsigned subtype, uint64_t *v)
{
    if (opt_head(p, len, subtype) != 12)
        return -EBADMSG;
    *v = get64(p + 4);
    return 0;
}

static size_t write_u64_opt(uint8_t *buf, size_t len, unsigned subtype, uint64_t v)
{
    if (len < 12)
        return 0;
    put_head(buf, 12, subtype, 0);
    buf[3] = 0;
    put64(buf + 4, v);
    return 12;
}

int mp_mptcp_parse_fail(const uint8_t *p, size_t len, struct mp_mptcp_fail *out)
{
    memset(out, 0, sizeof(*out));
    return parse_u64_opt(p, len, MP_MPTCP_FAIL, &out->dsn);
}

size_t mp_mptcp_write_fail(uint8_t *buf, size_t len, const struct mp_mptcp_fail *o)
{
    return write_u64_opt(buf, len, MP_MPTCP_FAIL, o->dsn);
}

int mp_mptcp_parse_fastclose(const uint8_t *p, size_t len, struct mp_mptcp_fastclose *out)
{
    memset(out, 0, sizeof(*out));
    return parse_u64_opt(p, len, MP_MPTCP_FASTCLOSE, &out->rcv_key);
}

size_t mp_mptcp_write_fastclose(uint8_t *buf, size_t len, const struct mp_mptcp_fastclose *o)
{
    return write_u64_opt(buf, len, MP_MPTCP_FASTCLOSE, o->rcv_key);
}

/* ------------------------------------------------------------------------ */
/* MP_TCPRST (RFC 8684 3.6, figure 15)                                        */

int mp_mptcp_parse_tcprst(const uint8_t *p, size_t len, struct mp_mptcp_tcprst *out)
{
    memset(out, 0, sizeof(*out));
    if (opt_head(p, len, MP_MPTCP_TCPRST) != MP_MPTCP_LEN_TCPRST)
        return -EBADMSG;
    out->flags = p[2] & 0x0f;
    out->reason = p[3];
    return 0;
}

size_t mp_mptcp_write_tcprst(uint8_t *buf, size_t len, const struct mp_mptcp_tcprst *o)
{
    if (len < MP_MPTCP_LEN_TCPRST)
        return 0;
    put_head(buf, MP_MPTCP_LEN_TCPRST, MP_MPTCP_TCPRST, o->flags);
    buf[3] = o->reason;
    return MP_MPTCP_LEN_TCPRST;
}

/* ------------------------------------------------------------------------ */
/* The whole options area                                                     */

/* Parses one kind-30 option into its slot of |out|. */
static void parse_one(const uint8_t *p, size_t len, struct mp_mptcp_opts *out)
{
    unsigned subtype = p[2] >> 4;
    uint32_t bit = 1u << subtype;
    int rc;

    if (subtype > MP_MPTCP_TCPRST)
        return; /* unknown or experimental: ignored */
    if (out->present & bit)
        return; /* the first well-formed one wins */
    switch (subtype) {
    case MP_MPTCP_CAPABLE:
        rc = mp_mptcp_parse_capable(p, len, &out->mpc);
        break;
    case MP_MPTCP_JOIN:
        rc = mp_mptcp_parse_join(p, len, &out->join);
        break;
    case MP_MPTCP_DSS:
        rc = mp_mptcp_parse_dss(p, len, &out->dss);
        break;
    case MP_MPTCP_ADD_ADDR:
        rc = mp_mptcp_parse_add_addr(p, len, &out->add_addr);
        break;
    case MP_MPTCP_REMOVE_ADDR:
        rc = mp_mptcp_parse_remove_addr(p, len, &out->rm);
        break;
    case MP_MPTCP_PRIO:
        rc = mp_mptcp_parse_prio(p, len, &out->prio);
        break;
    case MP_MPTCP_FAIL:
        rc = mp_mptcp_parse_fail(p, len, &out->fail);
        break;
    case MP_MPTCP_FASTCLOSE:
        rc = mp_mptcp_parse_fastclose(p, len, &out->fastclose);
        break;
    default:
        rc = mp_mptcp_parse_tcprst(p, len, &out->rst);
        break;
    }
    if (rc == 0)
        out->present |= bit;
    else
        out->malformed |= bit;
}

int mp_mptcp_opts_parse(const uint8_t *opts, size_t len, struct mp_mptcp_opts *out)
{
    struct mp_wire_opt_iter it;
    struct mp_wire_opt o;
    int rc;

    memset(out, 0, sizeof(*out));
    mp_wire_opt_iter_init(&it, opts, len);
    while ((rc = mp_wire_opt_next(&it, &o)) > 0) {
        /* A kind-30 option without a subtype byte names no subtype to
         * count it under: ignored like an unknown subtype. */
        if (o.kind != MP_TCPOPT_MPTCP || o.len < 3)
            continue;
        parse_one(opts + o.off, o.len, out);
    }
    return rc < 0 ? -EBADMSG : 0;
}

const char *mp_mptcp_subtype_name(unsigned subtype)
{
    static const char *const names[] = {
        "MP_CAPABLE", "MP_JOIN", "DSS",          "ADD_ADDR",  "REMOVE_ADDR",
        "MP_PRIO",    "MP_FAIL", "MP_FASTCLOSE", "MP_TCPRST",
    };

    if (subtype < MP_ARRAY_LEN(names))
        return names[subtype];
    if (subtype == MP_MPTCP_EXPERIMENTAL)
        return "MP_EXPERIMENTAL";
    return "unknown";
}

const char *mp_mptcp_rst_reason_name(unsigned reason)
{
    static const char *const names[] = {
        "unspecified",
        "mptcp-error",
        "lack-of-resources",
        "admin-prohibited",
        "too-much-outstanding",
        "unacceptable-performance",
        "middlebox-interference",
    };

    return reason < MP_ARRAY_LEN(names) ? names[reason] : "unknown";
}
