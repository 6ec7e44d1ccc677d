/*
 * Tests of model/mptcp's stateless parts: option codecs (options.c), keys,
 * HMACs and the DSS checksum (crypto.c), and the token table (token.c).
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "model/mptcp/crypto.h"
#include "model/mptcp/options.h"
#include "model/mptcp/token.h"
#include "model/rng.h"
#include "model/wire/wire.h"

/* ------------------------------------------------------------------------ */
/* A codec table over the nine subtypes, so that generic checks (round trip,
 * guard bytes, short buffers) run on every option.                           */

union anyopt {
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

static size_t write_any(unsigned subtype, uint8_t *buf, size_t len, const union anyopt *o)
{
    switch (subtype) {
    case MP_MPTCP_CAPABLE:
        return mp_mptcp_write_capable(buf, len, &o->mpc);
    case MP_MPTCP_JOIN:
        return mp_mptcp_write_join(buf, len, &o->join);
    case MP_MPTCP_DSS:
        return mp_mptcp_write_dss(buf, len, &o->dss);
    case MP_MPTCP_ADD_ADDR:
        return mp_mptcp_write_add_addr(buf, len, &o->add_addr);
    case MP_MPTCP_REMOVE_ADDR:
        return mp_mptcp_write_remove_addr(buf, len, &o->rm);
    case MP_MPTCP_PRIO:
        return mp_mptcp_write_prio(buf, len, &o->prio);
    case MP_MPTCP_FAIL:
        return mp_mptcp_write_fail(buf, len, &o->fail);
    case MP_MPTCP_FASTCLOSE:
        return mp_mptcp_write_fastclose(buf, len, &o->fastclose);
    case MP_MPTCP_TCPRST:
        return mp_mptcp_write_tcprst(buf, len, &o->rst);
    }
    g_assert_not_reached();
}

static int parse_any(unsigned subtype, const uint8_t *p, size_t len, union anyopt *o)
{
    switch (subtype) {
    case MP_MPTCP_CAPABLE:
        return mp_mptcp_parse_capable(p, len, &o->mpc);
    case MP_MPTCP_JOIN:
        return mp_mptcp_parse_join(p, len, &o->join);
    case MP_MPTCP_DSS:
        return mp_mptcp_parse_dss(p, len, &o->dss);
    case MP_MPTCP_ADD_ADDR:
        return mp_mptcp_parse_add_addr(p, len, &o->add_addr);
    case MP_MPTCP_REMOVE_ADDR:
        return mp_mptcp_parse_remove_addr(p, len, &o->rm);
    case MP_MPTCP_PRIO:
        return mp_mptcp_parse_prio(p, len, &o->prio);
    case MP_MPTCP_FAIL:
        return mp_mptcp_parse_fail(p, len, &o->fail);
    case MP_MPTCP_FASTCLOSE:
        return mp_mptcp_parse_fastclose(p, len, &o->fastclose);
    case MP_MPTCP_TCPRST:
        return mp_mptcp_parse_tcprst(p, len, &o->rst);
    }
    g_assert_not_reached();
}

/* Field-by-field equality (not memcmp: padding bytes are not values). */
static void assert_eq_any(unsigned subtype, const union anyopt *a, const union anyopt *b)
{
    switch (subtype) {
    case MP_MPTCP_CAPABLE:
        g_assert_cmpuint(a->mpc.version, ==, b->mpc.version);
        g_assert_cmpuint(a->mpc.flags, ==, b->mpc.flags);
        g_assert_cmpuint(a->mpc.nkeys, ==, b->mpc.nkeys);
        g_assert_cmphex(a->mpc.snd_key, ==, b->mpc.snd_key);
        g_assert_cmphex(a->mpc.rcv_key, ==, b->mpc.rcv_key);
        g_assert_cmpint(a->mpc.has_data_len, ==, b->mpc.has_data_len);
        g_assert_cmpuint(a->mpc.data_len, ==, b->mpc.data_len);
        g_assert_cmpint(a->mpc.has_csum, ==, b->mpc.has_csum);
        g_assert_cmphex(a->mpc.csum, ==, b->mpc.csum);
        break;
    case MP_MPTCP_JOIN:
        g_assert_cmpint(a->join.kind, ==, b->join.kind);
        g_assert_cmpuint(a->join.flags, ==, b->join.flags);
        g_assert_cmpuint(a->join.addr_id, ==, b->join.addr_id);
        g_assert_cmphex(a->join.token, ==, b->join.token);
        g_assert_cmphex(a->join.nonce, ==, b->join.nonce);
        g_assert_cmphex(a->join.hmac64, ==, b->join.hmac64);
        g_assert_cmpmem(a->join.hmac, 20, b->join.hmac, 20);
        break;
    case MP_MPTCP_DSS:
        g_assert_cmpint(a->dss.has_ack, ==, b->dss.has_ack);
        g_assert_cmpint(a->dss.ack64, ==, b->dss.ack64);
        g_assert_cmphex(a->dss.data_ack, ==, b->dss.data_ack);
        g_assert_cmpint(a->dss.has_map, ==, b->dss.has_map);
        g_assert_cmpint(a->dss.dsn64, ==, b->dss.dsn64);
        g_assert_cmphex(a->dss.dsn, ==, b->dss.dsn);
        g_assert_cmphex(a->dss.ssn, ==, b->dss.ssn);
        g_assert_cmpuint(a->dss.data_len, ==, b->dss.data_len);
        g_assert_cmpint(a->dss.has_csum, ==, b->dss.has_csum);
        g_assert_cmphex(a->dss.csum, ==, b->dss.csum);
        g_assert_cmpint(a->dss.data_fin, ==, b->dss.data_fin);
        break;
    case MP_MPTCP_ADD_ADDR:
        g_assert_cmpint(a->add_addr.echo, ==, b->add_addr.echo);
        g_assert_cmpuint(a->add_addr.addr_id, ==, b->add_addr.addr_id);
        g_assert_true(mp_ip_eq(&a->add_addr.addr, &b->add_addr.addr));
        g_assert_cmpint(a->add_addr.has_port, ==, b->add_addr.has_port);
        g_assert_cmpuint(a->add_addr.port, ==, b->add_addr.port);
        g_assert_cmpint(a->add_addr.has_hmac, ==, b->add_addr.has_hmac);
        g_assert_cmphex(a->add_addr.hmac64, ==, b->add_addr.hmac64);
        break;
    case MP_MPTCP_REMOVE_ADDR:
        g_assert_cmpmem(a->rm.ids, a->rm.n, b->rm.ids, b->rm.n);
        break;
    case MP_MPTCP_PRIO:
        g_assert_cmpint(a->prio.backup, ==, b->prio.backup);
        g_assert_cmpint(a->prio.has_addr_id, ==, b->prio.has_addr_id);
        g_assert_cmpuint(a->prio.addr_id, ==, b->prio.addr_id);
        break;
    case MP_MPTCP_FAIL:
        g_assert_cmphex(a->fail.dsn, ==, b->fail.dsn);
        break;
    case MP_MPTCP_FASTCLOSE:
        g_assert_cmphex(a->fastclose.rcv_key, ==, b->fastclose.rcv_key);
        break;
    case MP_MPTCP_TCPRST:
        g_assert_cmpuint(a->rst.flags, ==, b->rst.flags);
        g_assert_cmpuint(a->rst.reason, ==, b->rst.reason);
        break;
    default:
        g_assert_not_reached();
    }
}

#define GUARD 0xa5
#define MAXOPT 40

/*
 * The checks every vector goes through: exact length (and bytes when given),
 * nothing written past the option, 0 and nothing written with one byte
 * less, the parser back to an equal struct, and mp_mptcp_opts_parse
 * finding it present in an options area.
 */
static void check_vector(unsigned subtype, const union anyopt *o, size_t want_len,
                         const uint8_t *want_bytes)
{
    uint8_t buf[MAXOPT + 16], ref[MAXOPT + 16];
    union anyopt back;
    struct mp_mptcp_opts all;
    size_t n;

    memset(buf, GUARD, sizeof(buf));
    n = write_any(subtype, buf, want_len, o);
    g_assert_cmpuint(n, ==, want_len);
    g_assert_cmpuint(buf[0], ==, MP_TCPOPT_MPTCP);
    g_assert_cmpuint(buf[1], ==, want_len);
    g_assert_cmpuint(buf[2] >> 4, ==, subtype);
    for (size_t i = n; i < sizeof(buf); i++)
        g_assert_cmphex(buf[i], ==, GUARD);
    if (want_bytes)
        g_assert_cmpmem(buf, n, want_bytes, want_len);

    /* One byte short: 0, and the buffer untouched. */
    memset(ref, GUARD, sizeof(ref));
    memcpy(buf, ref, sizeof(buf));
    g_assert_cmpuint(write_any(subtype, buf, want_len - 1, o), ==, 0);
    g_assert_cmpmem(buf, sizeof(buf), ref, sizeof(ref));
    g_assert_cmpuint(write_any(subtype, buf, 0, o), ==, 0);
    g_assert_cmpmem(buf, sizeof(buf), ref, sizeof(ref));

    n = write_any(subtype, buf, sizeof(buf), o);
    g_assert_cmpuint(n, ==, want_len);
    memset(&back, 0x5a, sizeof(back));
    g_assert_cmpint(parse_any(subtype, buf, n, &back), ==, 0);
    assert_eq_any(subtype, o, &back);
    /* The option cut short is rejected by the per-subtype parser. */
    g_assert_cmpint(parse_any(subtype, buf, n - 1, &back), ==, -EBADMSG);

    /* Inside a whole options area, behind a NOP. */
    memmove(buf + 1, buf, n);
    buf[0] = MP_TCPOPT_NOP;
    g_assert_cmpint(mp_mptcp_opts_parse(buf, n + 1, &all), ==, 0);
    g_assert_cmphex(all.present, ==, 1u << subtype);
    g_assert_cmphex(all.malformed, ==, 0);
    switch (subtype) {
    case MP_MPTCP_CAPABLE:
        back.mpc = all.mpc;
        break;
    case MP_MPTCP_JOIN:
        back.join = all.join;
        break;
    case MP_MPTCP_DSS:
        back.dss = all.dss;
        break;
    case MP_MPTCP_ADD_ADDR:
        back.add_addr = all.add_addr;
        break;
    case MP_MPTCP_REMOVE_ADDR:
        back.rm = all.rm;
        break;
    case MP_MPTCP_PRIO:
        back.prio = all.prio;
        break;
    case MP_MPTCP_FAIL:
        back.fail = all.fail;
        break;
    case MP_MPTCP_FASTCLOSE:
        back.fastclose = all.fastclose;
        break;
    case MP_MPTCP_TCPRST:
        back.rst = all.rst;
        break;
    }
    assert_eq_any(subtype, o, &back);
}

/* ------------------------------------------------------------------------ */
/* Round trips with hand-checked bytes                                        */

struct vec {
    const char *name;
    unsigned subtype;
    union anyopt o;
    size_t len;
    bool has_bytes;
    uint8_t bytes[MAXOPT];
};

#define K1 UINT64_C(0x0102030405060708)
#define K2 UINT64_C(0x1112131415161718)
#define K1B 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
#define K2B 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18

/* clang-format off */
static const struct vec vectors[] = {
    /* MP_CAPABLE: RFC 8684 3.1 figure 4. Byte 2 = subtype 0 | version 1;
     * byte 3 = flags (A|H = 0x81). */
    {"capable/syn", MP_MPTCP_CAPABLE, {.mpc = {.version = 1, .flags = MP_MPC_FLAG_H}}, 4, true,
     {30, 4, 0x01, 0x01}},
    {"capable/synack", MP_MPTCP_CAPABLE,
     {.mpc = {.version = 1, .flags = MP_MPC_FLAG_A | MP_MPC_FLAG_H, .nkeys = 1, .snd_key = K1}},
     12, true, {30, 12, 0x01, 0x81, K1B}},
    {"capable/ack", MP_MPTCP_CAPABLE,
     {.mpc = {.version = 1, .flags = MP_MPC_FLAG_H, .nkeys = 2, .snd_key = K1, .rcv_key = K2}},
     20, true, {30, 20, 0x01, 0x01, K1B, K2B}},
    {"capable/data", MP_MPTCP_CAPABLE,
     {.mpc = {.version = 1, .flags = MP_MPC_FLAG_H, .nkeys = 2, .snd_key = K1, .rcv_key = K2,
              .has_data_len = true, .data_len = 0x05dc}},
     22, true, {30, 22, 0x01, 0x01, K1B, K2B, 0x05, 0xdc}},
    {"capable/data-csum", MP_MPTCP_CAPABLE,
     {.mpc = {.version = 1, .flags = MP_MPC_FLAG_A | MP_MPC_FLAG_H, .nkeys = 2, .snd_key = K1,
              .rcv_key = K2, .has_data_len = true, .data_len = 100, .has_csum = true,
              .csum = 0xbeef}},
     24, true, {30, 24, 0x01, 0x81, K1B, K2B, 0x00, 100, 0xbe, 0xef}},
    {"capable/v0-syn-kept", MP_MPTCP_CAPABLE,
     {.mpc = {.version = 0, .flags = MP_MPC_FLAG_H, .nkeys = 1, .snd_key = K2}}, 12, true,
     {30, 12, 0x00, 0x01, K2B}},
    /* MP_JOIN: RFC 8684 3.2 figures 5-7; byte 2 = subtype 1 << 4 | B. */
    {"join/syn", MP_MPTCP_JOIN,
     {.join = {.kind = MP_JOIN_SYN, .flags = MP_JOIN_FLAG_B, .addr_id = 3, .token = 0xcd266215,
               .nonce = 0xdeadbeef}},
     12, true, {30, 12, 0x11, 3, 0xcd, 0x26, 0x62, 0x15, 0xde, 0xad, 0xbe, 0xef}},
    {"join/synack", MP_MPTCP_JOIN,
     {.join = {.kind = MP_JOIN_SYNACK, .addr_id = 0, .hmac64 = K1, .nonce = 0x01020304}}, 16,
     true, {30, 16, 0x10, 0, K1B, 1, 2, 3, 4}},
    {"join/ack", MP_MPTCP_JOIN,
     {.join = {.kind = MP_JOIN_ACK,
               .hmac = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}}},
     24, true,
     {30, 24, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
    /* DSS: RFC 8684 3.3 figure 9. 8-byte ack + 8-byte mapping with
     * checksum and DATA_FIN: flags F|m|M|a|A = 0x1f, length 28. */
    {"dss/full", MP_MPTCP_DSS,
     {.dss = {.has_ack = true, .ack64 = true, .data_ack = K2, .has_map = true, .dsn64 = true,
              .dsn = K1, .ssn = 0x0a0b0c0d, .data_len = 0x0102, .has_csum = true, .csum = 0xcafe,
              .data_fin = true}},
     28, true,
     {30, 28, 0x20, 0x1f, K2B, K1B, 0x0a, 0x0b, 0x0c, 0x0d, 0x01, 0x02, 0xca, 0xfe}},
    {"dss/ack4", MP_MPTCP_DSS, {.dss = {.has_ack = true, .data_ack = 0x89abcdef}}, 8, true,
     {30, 8, 0x20, 0x01, 0x89, 0xab, 0xcd, 0xef}},
    {"dss/fin-only", MP_MPTCP_DSS, {.dss = {.data_fin = true}}, 4, true, {30, 4, 0x20, 0x10}},
    /* ADD_ADDR: RFC 8684 3.4.1 figure 12; byte 2 = subtype 3 << 4 | E. */
    {"add-addr/v4-hmac-port", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.addr_id = 2, .addr = {.v = 4, .b = {10, 0, 1, 2}}, .has_port = true,
                   .port = 8080, .has_hmac = true, .hmac64 = K1}},
     18, true, {30, 18, 0x30, 2, 10, 0, 1, 2, 0x1f, 0x90, K1B}},
    {"add-addr/v4-echo", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.echo = true, .addr_id = 2, .addr = {.v = 4, .b = {10, 0, 1, 2}}}}, 8, true,
     {30, 8, 0x31, 2, 10, 0, 1, 2}},
    {"add-addr/v4-echo-port", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.echo = true, .addr_id = 9, .addr = {.v = 4, .b = {192, 0, 2, 1}},
                   .has_port = true, .port = 1}},
     10, true, {30, 10, 0x31, 9, 192, 0, 2, 1, 0, 1}},
    {"add-addr/v4-hmac", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.addr_id = 1, .addr = {.v = 4, .b = {192, 0, 2, 1}}, .has_hmac = true,
                   .hmac64 = K2}},
     16, true, {30, 16, 0x30, 1, 192, 0, 2, 1, K2B}},
    {"add-addr/v6-echo", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.echo = true, .addr_id = 4,
                   .addr = {.v = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}}},
     20, true, {30, 20, 0x31, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {"add-addr/v6-echo-port", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.echo = true, .addr_id = 4, .addr = {.v = 6, .b = {0xfe, 0x80, [15] = 7}},
                   .has_port = true, .port = 443}},
     22, false, {0}},
    {"add-addr/v6-hmac", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.addr_id = 5, .addr = {.v = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}},
                   .has_hmac = true, .hmac64 = UINT64_MAX}},
     28, false, {0}},
    {"add-addr/v6-hmac-port", MP_MPTCP_ADD_ADDR,
     {.add_addr = {.addr_id = 255, .addr = {.v = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 3}},
                   .has_port = true, .port = 65535, .has_hmac = true, .hmac64 = 1}},
     30, true,
     {30, 30, 0x30, 255, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff,
      0, 0, 0, 0, 0, 0, 0, 1}},
    /* REMOVE_ADDR: RFC 8684 3.4.2 figure 13, length 3 + n. */
    {"remove-addr/one", MP_MPTCP_REMOVE_ADDR, {.rm = {.n = 1, .ids = {7}}}, 4, true,
     {30, 4, 0x40, 7}},
    {"remove-addr/three", MP_MPTCP_REMOVE_ADDR, {.rm = {.n = 3, .ids = {1, 2, 250}}}, 6, true,
     {30, 6, 0x40, 1, 2, 250}},
    {"remove-addr/max", MP_MPTCP_REMOVE_ADDR,
     {.rm = {.n = 37, .ids = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                              14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                              27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37}}},
     40, false, {0}},
    /* MP_PRIO: RFC 8684 3.3.8 figure 11, B = bit 0 of byte 2. */
    {"prio/backup", MP_MPTCP_PRIO, {.prio = {.backup = true}}, 3, true, {30, 3, 0x51}},
    {"prio/regular", MP_MPTCP_PRIO, {.prio = {.backup = false}}, 3, true, {30, 3, 0x50}},
    {"prio/old-form", MP_MPTCP_PRIO, {.prio = {.backup = true, .has_addr_id = true, .addr_id = 6}},
     4, true, {30, 4, 0x51, 6}},
    /* MP_FAIL: RFC 8684 3.7, 12 reserved bits then the 8-byte DSN. */
    {"fail", MP_MPTCP_FAIL, {.fail = {.dsn = K1}}, 12, true, {30, 12, 0x60, 0, K1B}},
    /* MP_FASTCLOSE: RFC 8684 3.5, 12 reserved bits then the receiver's key. */
    {"fastclose", MP_MPTCP_FASTCLOSE, {.fastclose = {.rcv_key = K2}}, 12, true,
     {30, 12, 0x70, 0, K2B}},
    /* MP_TCPRST: RFC 8684 3.6, U V W T in byte 2's low nibble, reason. */
    {"tcprst/transient", MP_MPTCP_TCPRST,
     {.rst = {.flags = MP_TCPRST_FLAG_T, .reason = MP_TCPRST_PROHIBITED}}, 4, true,
     {30, 4, 0x81, 3}},
    {"tcprst/all-flags", MP_MPTCP_TCPRST, {.rst = {.flags = 0xf, .reason = 6}}, 4, true,
     {30, 4, 0x8f, 6}},
};
/* clang-format on */

static void test_roundtrip(gconstpointer data)
{
    const struct vec *v = data;
    size_t hl = 0;

    check_vector(v->subtype, &v->o, v->len, v->has_bytes ? v->bytes : NULL);
    /* The length helpers agree with the emitters. */
    switch (v->subtype) {
    case MP_MPTCP_CAPABLE:
        hl = mp_mptcp_capable_len(&v->o.mpc);
        break;
    case MP_MPTCP_JOIN:
        hl = mp_mptcp_join_len(&v->o.join);
        break;
    case MP_MPTCP_DSS:
        hl = mp_mptcp_dss_len(&v->o.dss);
        break;
    case MP_MPTCP_ADD_ADDR:
        hl = mp_mptcp_add_addr_len(&v->o.add_addr);
        break;
    case MP_MPTCP_REMOVE_ADDR:
        hl = mp_mptcp_remove_addr_len(&v->o.rm);
        break;
    default:
        hl = v->len;
        break;
    }
    g_assert_cmpuint(hl, ==, v->len);
}

/* Every DSS layout: ack none/4/8 x mapping none/4/8 x checksum x DATA_FIN,
 * against the lengths listed in REFERENCE.md (computed there by hand). */
static void test_dss_all(void)
{
    static const struct {
        int ack, map; /* 0 none, 4, 8 */
        bool csum;
        size_t len;
    } table[] = {
        {0, 0, false, 4}, {4, 0, false, 8},  {8, 0, false, 12}, {0, 4, false, 14},
        {0, 4, true, 16}, {0, 8, false, 18}, {0, 8, true, 20},  {4, 4, false, 18},
        {4, 4, true, 20}, {4, 8, false, 22}, {4, 8, true, 24},  {8, 4, false, 22},
        {8, 4, true, 24}, {8, 8, false, 26}, {8, 8, true, 28},
    };

    for (size_t i = 0; i < MP_ARRAY_LEN(table); i++) {
        for (int fin = 0; fin < 2; fin++) {
            union anyopt o;
            uint8_t buf[MAXOPT];

            memset(&o, 0, sizeof(o));
            o.dss.data_fin = fin;
            if (table[i].ack) {
                o.dss.has_ack = true;
                o.dss.ack64 = table[i].ack == 8;
                o.dss.data_ack = o.dss.ack64 ? UINT64_C(0xfedcba9876543210) : 0x76543210;
            }
            if (table[i].map) {
                o.dss.has_map = true;
                o.dss.dsn64 = table[i].map == 8;
                o.dss.dsn = o.dss.dsn64 ? UINT64_C(0x8877665544332211) : 0x44332211;
                o.dss.ssn = 1000 + (uint32_t)i;
                o.dss.data_len = 1 + (uint16_t)i;
                o.dss.has_csum = table[i].csum;
                o.dss.csum = table[i].csum ? 0x1234 : 0;
            }
            g_test_message("dss ack %d map %d csum %d fin %d", table[i].ack, table[i].map,
                           table[i].csum, fin);
            g_assert_cmpuint(mp_mptcp_dss_len(&o.dss), ==, table[i].len);
            check_vector(MP_MPTCP_DSS, &o, table[i].len, NULL);
            /* The flag byte says exactly what is there. */
            g_assert_cmpuint(mp_mptcp_write_dss(buf, sizeof(buf), &o.dss), ==, table[i].len);
            g_assert_cmphex(buf[3], ==,
                            (fin ? 0x10 : 0) | (table[i].map == 8 ? 0x08 : 0) |
                                (table[i].map ? 0x04 : 0) | (table[i].ack == 8 ? 0x02 : 0) |
                                (table[i].ack ? 0x01 : 0));
        }
    }
}

/* A 32-bit ack or DSN goes out as its low 32 bits and comes back
 * zero-extended; the a/m bits are ignored without A/M. */
static void test_dss_short(void)
{
    struct mp_mptcp_dss d = {.has_ack = true,
                             .data_ack = UINT64_C(0x1122334455667788),
                             .has_map = true,
                             .dsn = UINT64_C(0xaabbccdd00000010),
                             .ssn = 5,
                             .data_len = 9};
    struct mp_mptcp_dss back;
    uint8_t buf[MAXOPT];
    /* A without a, but a stray m with no M: length is 8 (4 + 4-byte ack). */
    static const uint8_t stray[] = {30, 8, 0x20, MP_DSS_FLAG_A | MP_DSS_FLAG_m, 0, 0, 0, 9};

    g_assert_cmpuint(mp_mptcp_write_dss(buf, sizeof(buf), &d), ==, 18);
    g_assert_cmpint(mp_mptcp_parse_dss(buf, 18, &back), ==, 0);
    g_assert_cmphex(back.data_ack, ==, 0x55667788);
    g_assert_cmphex(back.dsn, ==, 0x00000010);
    g_assert_cmpint(mp_mptcp_parse_dss(stray, sizeof(stray), &back), ==, 0);
    g_assert_true(back.has_ack && !back.has_map && !back.dsn64);
    g_assert_cmphex(back.data_ack, ==, 9);
}

/* ------------------------------------------------------------------------ */
/* Malformed options                                                          */

struct bad {
    const char *name;
    unsigned subtype;
    size_t len;
    uint8_t bytes[MAXOPT];
};

/* clang-format off */
static const struct bad bads[] = {
    {"capable/5", MP_MPTCP_CAPABLE, 5, {30, 5, 0x01, 0x01, 0}},
    {"capable/13", MP_MPTCP_CAPABLE, 13, {30, 13, 0x01, 0x01}},
    {"capable/21", MP_MPTCP_CAPABLE, 21, {30, 21, 0x01, 0x01}},
    {"capable/23", MP_MPTCP_CAPABLE, 23, {30, 23, 0x01, 0x01}},
    {"capable/3", MP_MPTCP_CAPABLE, 3, {30, 3, 0x01}},
    {"join/13", MP_MPTCP_JOIN, 13, {30, 13, 0x10}},
    {"join/11", MP_MPTCP_JOIN, 11, {30, 11, 0x10}},
    {"join/20", MP_MPTCP_JOIN, 20, {30, 20, 0x10}},
    {"join/4", MP_MPTCP_JOIN, 4, {30, 4, 0x10}},
    /* Flags A|a say an 8-byte ack: 12 bytes, not 8. */
    {"dss/ack8-len8", MP_MPTCP_DSS, 8, {30, 8, 0x20, 0x03}},
    /* A 4-byte ack with 2 extra bytes: a checksum needs a mapping. */
    {"dss/ack4-csum-no-map", MP_MPTCP_DSS, 10, {30, 10, 0x20, 0x01}},
    {"dss/map4-15", MP_MPTCP_DSS, 15, {30, 15, 0x20, 0x04}},
    {"dss/map8-14", MP_MPTCP_DSS, 14, {30, 14, 0x20, 0x0c}},
    {"dss/none-6", MP_MPTCP_DSS, 6, {30, 6, 0x20, 0x00}},
    {"dss/3", MP_MPTCP_DSS, 3, {30, 3, 0x20}},
    {"add-addr/9", MP_MPTCP_ADD_ADDR, 9, {30, 9, 0x31, 1, 10, 0, 0, 1, 0}},
    {"add-addr/7", MP_MPTCP_ADD_ADDR, 7, {30, 7, 0x31, 1, 10, 0, 0}},
    {"add-addr/19", MP_MPTCP_ADD_ADDR, 19, {30, 19, 0x30, 1}},
    {"add-addr/31", MP_MPTCP_ADD_ADDR, 31, {30, 31, 0x30, 1}},
    /* RFC 8684 3.4.1: HMAC present exactly when E = 0. */
    {"add-addr/echo-with-hmac", MP_MPTCP_ADD_ADDR, 16, {30, 16, 0x31, 1, 10, 0, 0, 1}},
    {"add-addr/no-echo-no-hmac", MP_MPTCP_ADD_ADDR, 8, {30, 8, 0x30, 1, 10, 0, 0, 1}},
    {"add-addr/v6-no-echo-no-hmac", MP_MPTCP_ADD_ADDR, 22, {30, 22, 0x30, 1}},
    {"remove-addr/3", MP_MPTCP_REMOVE_ADDR, 3, {30, 3, 0x40}},
    {"prio/5", MP_MPTCP_PRIO, 5, {30, 5, 0x51, 1, 2}},
    {"fail/11", MP_MPTCP_FAIL, 11, {30, 11, 0x60}},
    {"fail/13", MP_MPTCP_FAIL, 13, {30, 13, 0x60}},
    {"fastclose/11", MP_MPTCP_FASTCLOSE, 11, {30, 11, 0x70}},
    {"fastclose/4", MP_MPTCP_FASTCLOSE, 4, {30, 4, 0x70}},
    {"tcprst/5", MP_MPTCP_TCPRST, 5, {30, 5, 0x81, 1, 0}},
    {"tcprst/3", MP_MPTCP_TCPRST, 3, {30, 3, 0x81}},
};
/* clang-format on */

static void test_malformed(gconstpointer data)
{
    const struct bad *b = data;
    union anyopt o;
    struct mp_mptcp_opts all;
    /* A timestamp after the bad option must still be walked over. */
    uint8_t area[MAXOPT + 12];

    g_assert_cmpuint(b->bytes[1], ==, b->len);
    g_assert_cmpint(parse_any(b->subtype, b->bytes, b->len, &o), ==, -EBADMSG);

    memcpy(area, b->bytes, b->len);
    memcpy(area + b->len, (const uint8_t[]){1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 12);
    g_assert_cmpint(mp_mptcp_opts_parse(area, b->len + 12, &all), ==, 0);
    g_assert_cmphex(all.malformed, ==, 1u << b->subtype);
    g_assert_cmphex(all.present, ==, 0);
}

/* Parsers reject a wrong kind, a wrong subtype and an option longer than
 * the bytes given, before reading any field. */
static void test_parser_heads(void)
{
    static const uint8_t fail[] = {30, 12, 0x60, 0, K1B};
    struct mp_mptcp_fail f;
    struct mp_mptcp_fastclose fc;
    uint8_t wrong_kind[12];

    g_assert_cmpint(mp_mptcp_parse_fail(fail, sizeof(fail), &f), ==, 0);
    g_assert_cmphex(f.dsn, ==, K1);
    /* Longer |len| than the option is fine: the option's own length rules. */
    g_assert_cmpint(mp_mptcp_parse_fail(fail, 40, &f), ==, 0);
    g_assert_cmpint(mp_mptcp_parse_fastclose(fail, sizeof(fail), &fc), ==, -EBADMSG);
    memcpy(wrong_kind, fail, sizeof(wrong_kind));
    wrong_kind[0] = 29;
    g_assert_cmpint(mp_mptcp_parse_fail(wrong_kind, sizeof(wrong_kind), &f), ==, -EBADMSG);
    for (size_t l = 0; l < sizeof(fail); l++)
        g_assert_cmpint(mp_mptcp_parse_fail(fail, l, &f), ==, -EBADMSG);
}

/* ------------------------------------------------------------------------ */
/* The options-area walk                                                      */

static void test_walk_mixed(void)
{
    /* A data segment as Linux lays it out: NOP NOP timestamps (12), a DSS
     * with a 4-byte ack and a 4-byte mapping (18), REMOVE_ADDR (4), MP_PRIO
     * (3), then EOL and bytes after it that must not be read. */
    uint8_t area[40];
    size_t n = 0;
    struct mp_mptcp_opts o;
    struct mp_mptcp_dss dss = {
        .has_ack = true, .data_ack = 77, .has_map = true, .dsn = 1000, .ssn = 1, .data_len = 500};
    struct mp_mptcp_remove_addr rm = {.n = 1, .ids = {4}};
    struct mp_mptcp_prio prio = {.backup = true};

    memcpy(area, (const uint8_t[]){1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 12);
    n = 12;
    n += mp_mptcp_write_dss(area + n, sizeof(area) - n, &dss);
    n += mp_mptcp_write_remove_addr(area + n, sizeof(area) - n, &rm);
    n += mp_mptcp_write_prio(area + n, sizeof(area) - n, &prio);
    g_assert_cmpuint(n, ==, 37);
    area[n++] = 0; /* EOL: what follows is padding, not options */
    area[n++] = 30;
    area[n++] = 0x10; /* would be a bad length if it were read */
    g_assert_cmpuint(n, ==, 40);

    g_assert_cmpint(mp_mptcp_opts_parse(area, n, &o), ==, 0);
    g_assert_cmphex(o.present, ==, MP_MPTCP_HAS_DSS | MP_MPTCP_HAS_REMOVE_ADDR | MP_MPTCP_HAS_PRIO);
    g_assert_cmphex(o.malformed, ==, 0);
    g_assert_cmphex(o.dss.data_ack, ==, 77);
    g_assert_cmphex(o.dss.dsn, ==, 1000);
    g_assert_cmpuint(o.dss.data_len, ==, 500);
    g_assert_cmpuint(o.rm.n, ==, 1);
    g_assert_cmpuint(o.rm.ids[0], ==, 4);
    g_assert_true(o.prio.backup);
}

static void test_walk_sack_mss(void)
{
    /* MSS, SACK-permitted, NOP, window scale, a SACK with one block, an
     * MP_CAPABLE SYN, an unknown subtype (9), MP_EXPERIMENTAL (15), and a
     * kind-30 option with no subtype byte. */
    /* clang-format off */
    static const uint8_t area[] = {
        2,  4,    0x05, 0xb4,                         /* MSS 1460 */
        4,  2,                                        /* SACK-permitted */
        1,  3,    3,    7,                            /* NOP, WS 7 */
        5,  10,   0,    0,    0, 1, 0, 0, 0, 2,       /* SACK 1 block */
        30, 4,    0x01, 0x81,                         /* MP_CAPABLE SYN v1 A|H */
        30, 4,    0x90, 0,                            /* subtype 9: unknown */
        30, 3,    0xf0,                               /* MP_EXPERIMENTAL */
        30, 2,                                        /* no subtype byte */
    };
    /* clang-format on */
    struct mp_mptcp_opts o;

    g_assert_cmpint(mp_mptcp_opts_parse(area, sizeof(area), &o), ==, 0);
    g_assert_cmphex(o.present, ==, MP_MPTCP_HAS_CAPABLE);
    g_assert_cmphex(o.malformed, ==, 0);
    g_assert_cmpuint(o.mpc.version, ==, 1);
    g_assert_cmpuint(o.mpc.nkeys, ==, 0);
    g_assert_cmphex(o.mpc.flags, ==, MP_MPC_FLAG_A | MP_MPC_FLAG_H);
}

static void test_walk_duplicates(void)
{
    /* A malformed DSS, then two good ones: the first good one wins and the
     * malformed one is still counted. Same for two ADD_ADDRs. */
    /* clang-format off */
    static const uint8_t area[] = {
        30, 6,  0x20, 0x00, 0, 0,             /* DSS, bad length */
        30, 8,  0x20, 0x01, 0, 0, 0, 1,       /* DSS ack 1 */
        30, 8,  0x20, 0x01, 0, 0, 0, 2,       /* DSS ack 2 */
        30, 8,  0x31, 1, 10, 0, 0, 1,         /* ADD_ADDR echo 10.0.0.1 */
        30, 8,  0x31, 2, 10, 0, 0, 2,         /* ADD_ADDR echo 10.0.0.2 */
    };
    /* clang-format on */
    struct mp_mptcp_opts o;

    g_assert_cmpint(mp_mptcp_opts_parse(area, sizeof(area), &o), ==, 0);
    g_assert_cmphex(o.present, ==, MP_MPTCP_HAS_DSS | MP_MPTCP_HAS_ADD_ADDR);
    g_assert_cmphex(o.malformed, ==, 1u << MP_MPTCP_DSS);
    g_assert_cmphex(o.dss.data_ack, ==, 1);
    g_assert_cmpuint(o.add_addr.addr_id, ==, 1);
    g_assert_cmpuint(o.add_addr.addr.b[3], ==, 1);
}

/* A version other than 1 is not malformed: the caller falls back. */
static void test_walk_version(void)
{
    static const uint8_t area[] = {30, 12, 0x00, 0x81, K1B};
    struct mp_mptcp_opts o;

    g_assert_cmpint(mp_mptcp_opts_parse(area, sizeof(area), &o), ==, 0);
    g_assert_cmphex(o.present, ==, MP_MPTCP_HAS_CAPABLE);
    g_assert_cmpuint(o.mpc.version, ==, 0);
    g_assert_cmphex(o.mpc.snd_key, ==, K1);
}

struct badarea {
    const char *name;
    size_t len;
    uint8_t bytes[16];
};

/* clang-format off */
static const struct badarea badareas[] = {
    {"len0", 6, {1, 1, 30, 0, 0x20, 0}},
    {"len1", 4, {8, 1, 0, 0}},
    {"past-end", 8, {1, 30, 12, 0x60, 0, 0, 0, 0}},
    {"no-len-byte", 3, {1, 1, 30}},
    /* A whole MP_FAIL with its last byte cut off by the area. */
    {"truncated-option", 11, {30, 12, 0x60, 0, 1, 2, 3, 4, 5, 6, 7}},
    /* A good DSS, then a timestamp whose length runs past the area. */
    {"good-then-bad", 12, {30, 8, 0x20, 0x01, 0, 0, 0, 5, 8, 10, 0, 0}},
};
/* clang-format on */

static void test_bad_area(gconstpointer data)
{
    const struct badarea *b = data;
    struct mp_mptcp_opts o;

    g_assert_cmpint(mp_mptcp_opts_parse(b->bytes, b->len, &o), ==, -EBADMSG);
}

static void test_empty_area(void)
{
    struct mp_mptcp_opts o;
    static const uint8_t nops[] = {1, 1, 1, 0};

    memset(&o, 0xff, sizeof(o));
    g_assert_cmpint(mp_mptcp_opts_parse(NULL, 0, &o), ==, 0);
    g_assert_cmphex(o.present, ==, 0);
    g_assert_cmphex(o.malformed, ==, 0);
    g_assert_cmpint(mp_mptcp_opts_parse(nops, sizeof(nops), &o), ==, 0);
    g_assert_cmphex(o.present, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Emitters given structs that describe no option                             */

static void test_invalid_structs(void)
{
    uint8_t buf[MAXOPT], ref[MAXOPT];
    struct mp_mptcp_capable c = {.version = 1, .nkeys = 3};
    struct mp_mptcp_capable c2 = {.version = 1, .nkeys = 1, .has_data_len = true};
    struct mp_mptcp_capable c3 = {.version = 1, .nkeys = 2, .has_csum = true};
    struct mp_mptcp_add_addr a = {.addr = {.v = 0}, .has_hmac = true};
    struct mp_mptcp_add_addr a2 = {.echo = true, .addr = {.v = 4}, .has_hmac = true};
    struct mp_mptcp_remove_addr r0 = {.n = 0};
    struct mp_mptcp_remove_addr r38 = {.n = 38};
    struct mp_mptcp_join j = {.kind = (enum mp_mptcp_join_kind)7};

    memset(ref, GUARD, sizeof(ref));
    memcpy(buf, ref, sizeof(buf));
    g_assert_cmpuint(mp_mptcp_capable_len(&c), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_capable(buf, sizeof(buf), &c), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_capable(buf, sizeof(buf), &c2), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_capable(buf, sizeof(buf), &c3), ==, 0);
    g_assert_cmpuint(mp_mptcp_add_addr_len(&a), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_add_addr(buf, sizeof(buf), &a), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_add_addr(buf, sizeof(buf), &a2), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_remove_addr(buf, sizeof(buf), &r0), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_remove_addr(buf, sizeof(buf), &r38), ==, 0);
    g_assert_cmpuint(mp_mptcp_write_join(buf, sizeof(buf), &j), ==, 0);
    g_assert_cmpmem(buf, sizeof(buf), ref, sizeof(ref));
}

static void test_names(void)
{
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_CAPABLE), ==, "MP_CAPABLE");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_JOIN), ==, "MP_JOIN");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_DSS), ==, "DSS");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_ADD_ADDR), ==, "ADD_ADDR");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_REMOVE_ADDR), ==, "REMOVE_ADDR");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_PRIO), ==, "MP_PRIO");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_FAIL), ==, "MP_FAIL");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_FASTCLOSE), ==, "MP_FASTCLOSE");
    g_assert_cmpstr(mp_mptcp_subtype_name(MP_MPTCP_TCPRST), ==, "MP_TCPRST");
    g_assert_cmpstr(mp_mptcp_subtype_name(15), ==, "MP_EXPERIMENTAL");
    g_assert_cmpstr(mp_mptcp_subtype_name(9), ==, "unknown");
    g_assert_cmpstr(mp_mptcp_subtype_name(1000), ==, "unknown");
    g_assert_cmpstr(mp_mptcp_rst_reason_name(0), ==, "unspecified");
    g_assert_cmpstr(mp_mptcp_rst_reason_name(6), ==, "middlebox-interference");
    g_assert_cmpstr(mp_mptcp_rst_reason_name(7), ==, "unknown");
}

/* ------------------------------------------------------------------------ */
/* Crypto                                                                     */

struct keyrow {
    uint64_t key;
    uint32_t token;
    uint64_t idsn;
};

/* REFERENCE.md, confirmed by Wireshark's MPTCP dissector. */
static const struct keyrow keyrows[] = {
    {UINT64_C(0x0000000000000001), 0xcd266215, UINT64_C(0x19ec509083d00a50)},
    {UINT64_C(0x0102030405060708), 0x66840dda, UINT64_C(0xf5a101d3d29d6f72)},
    {UINT64_C(0x1112131415161718), 0xccad45ac, UINT64_C(0x535beea38e087c8e)},
    {UINT64_C(0x3062306230623062), 0xb858117d, UINT64_C(0xb70ba6abee68da50)},
    {UINT64_C(0x0a0b0c0d0e0f1011), 0x5b7d294f, UINT64_C(0x69d572422fb31e82)},
    {UINT64_C(0x8000000000000000), 0xb1b0bee5, UINT64_C(0x8e13d367c47404a9)},
    {UINT64_C(0xffffffffffffffff), 0x12a3ae44, UINT64_C(0x57fb595bbbacf0ca)},
};

static void test_key_derive(gconstpointer data)
{
    const struct keyrow *r = data;
    uint32_t token = 0;
    uint64_t idsn = 0;

    mp_mptcp_key_derive(r->key, &token, &idsn);
    g_assert_cmphex(token, ==, r->token);
    g_assert_cmphex(idsn, ==, r->idsn);
    /* Either output may be skipped. */
    token = 0;
    mp_mptcp_key_derive(r->key, &token, NULL);
    g_assert_cmphex(token, ==, r->token);
    idsn = 0;
    mp_mptcp_key_derive(r->key, NULL, &idsn);
    g_assert_cmphex(idsn, ==, r->idsn);
}

struct hmacrow {
    const char *key; /* 16 ASCII bytes: key1 = first 8, key2 = next 8 */
    const char *msg; /* 8 ASCII bytes */
    const char *hex;
};

/* Linux net/mptcp/crypto_test.c (ASCII strings, not hex). */
static const struct hmacrow hmacrows[] = {
    {"0b0b0b0b0b0b0b0b", "48692054",
     "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa"},
    {"aaaaaaaaaaaaaaaa", "dddddddd",
     "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9"},
    {"0102030405060708", "cdcdcdcd",
     "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d"},
};

static uint64_t be64(const char *s)
{
    return (uint64_t)mp_wire_get32((const uint8_t *)s) << 32 |
           mp_wire_get32((const uint8_t *)s + 4);
}

static void test_hmac(gconstpointer data)
{
    const struct hmacrow *r = data;
    uint64_t k1 = be64(r->key), k2 = be64(r->key + 8);
    uint8_t mac[32], ack[20];
    char hex[65];
    uint32_t n1 = mp_wire_get32((const uint8_t *)r->msg);
    uint32_t n2 = mp_wire_get32((const uint8_t *)r->msg + 4);

    mp_mptcp_hmac(k1, k2, (const uint8_t *)r->msg, 8, mac);
    for (int i = 0; i < 32; i++)
        g_snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    g_assert_cmpstr(hex, ==, r->hex);
    /* The message is two nonces: the MP_JOIN helpers truncate the same HMAC. */
    g_assert_cmphex(mp_mptcp_join_synack_hmac(k1, k2, n1, n2), ==, be64((const char *)mac));
    mp_mptcp_join_ack_hmac(k1, k2, n1, n2, ack);
    g_assert_cmpmem(ack, 20, mac, 20);
}

/* Both ends of a join compute the same values with the documented argument
 * order, and swapping roles gives a different HMAC. */
static void test_join_roles(void)
{
    uint64_t key_a = K1, key_b = K2;
    uint32_t nonce_a = 0x11111111, nonce_b = 0x22222222;
    uint8_t sent[20], checked[20];
    uint64_t synack = mp_mptcp_join_synack_hmac(key_b, key_a, nonce_b, nonce_a);

    g_assert_cmphex(synack, ==, mp_mptcp_join_synack_hmac(key_b, key_a, nonce_b, nonce_a));
    g_assert_cmphex(synack, !=, mp_mptcp_join_synack_hmac(key_a, key_b, nonce_a, nonce_b));
    mp_mptcp_join_ack_hmac(key_a, key_b, nonce_a, nonce_b, sent);
    mp_mptcp_join_ack_hmac(key_a, key_b, nonce_a, nonce_b, checked);
    g_assert_cmpmem(sent, 20, checked, 20);
    mp_mptcp_join_ack_hmac(key_b, key_a, nonce_b, nonce_a, checked);
    g_assert_true(memcmp(sent, checked, 20) != 0);
}

/* ADD_ADDR HMAC: the rightmost 64 bits over id || address || port (0 when
 * absent), RFC 8684 3.4.1; rebuilt here from mp_mptcp_hmac. */
static void test_add_addr_hmac(void)
{
    struct mp_ip v4 = {.v = 4, .b = {10, 0, 2, 1}};
    struct mp_ip v6 = {.v = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 9}};
    struct mp_ip none = {.v = 0};
    uint8_t msg4[] = {3, 10, 0, 2, 1, 0x1f, 0x90};
    uint8_t msg4np[] = {3, 10, 0, 2, 1, 0, 0};
    uint8_t msg6[19] = {7};
    uint8_t mac[32];

    mp_mptcp_hmac(K1, K2, msg4, sizeof(msg4), mac);
    g_assert_cmphex(mp_mptcp_add_addr_hmac(K1, K2, 3, &v4, 8080), ==, be64((char *)mac + 24));
    mp_mptcp_hmac(K1, K2, msg4np, sizeof(msg4np), mac);
    g_assert_cmphex(mp_mptcp_add_addr_hmac(K1, K2, 3, &v4, 0), ==, be64((char *)mac + 24));
    memcpy(msg6 + 1, v6.b, 16);
    mp_mptcp_hmac(K2, K1, msg6, sizeof(msg6), mac);
    g_assert_cmphex(mp_mptcp_add_addr_hmac(K2, K1, 7, &v6, 0), ==, be64((char *)mac + 24));
    g_assert_cmphex(mp_mptcp_add_addr_hmac(K1, K2, 3, &v4, 0), !=,
                    mp_mptcp_add_addr_hmac(K2, K1, 3, &v4, 0));
    g_assert_cmphex(mp_mptcp_add_addr_hmac(K1, K2, 3, &none, 0), ==, 0);
}

/* An independent DSS checksum: 16-bit big-endian words, end-around carry,
 * odd byte padded, complemented. */
static uint16_t plain_csum(uint64_t dsn, uint32_t ssn, uint16_t dlen, uint16_t csum_field,
                           const uint8_t *data, size_t n)
{
    uint8_t buf[16 + 2048];
    size_t len = 16 + n;
    uint32_t sum = 0;

    g_assert_cmpuint(n, <=, 2048);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(dsn >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        buf[8 + i] = (uint8_t)(ssn >> (24 - 8 * i));
    buf[12] = (uint8_t)(dlen >> 8);
    buf[13] = (uint8_t)dlen;
    buf[14] = (uint8_t)(csum_field >> 8);
    buf[15] = (uint8_t)csum_field;
    if (n)
        memcpy(buf + 16, data, n);
    for (size_t i = 0; i < len; i += 2) {
        uint32_t w = (uint32_t)buf[i] << 8 | (i + 1 < len ? buf[i + 1] : 0);
        sum += w;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static void test_dss_csum(void)
{
    const uint8_t *hello = (const uint8_t *)"hello";
    uint8_t big[1001];
    struct mp_rng rng;
    uint32_t sum;
    uint16_t c;

    /*
     * By hand: DSN 0x0102030405060708, SSN 1, length 5, "hello".
     * 0102+0304+0506+0708 = 1014; +0000+0001 = 1015; +0005+0000 = 101a;
     * +6865 ("he") = 787f; +6c6c ("ll") = e4eb; +6f00 ("o", padded) =
     * 153eb -> 53ec; complement: ac13.
     */
    c = mp_mptcp_dss_csum(UINT64_C(0x0102030405060708), 1, 5, hello, 5);
    g_assert_cmphex(c, ==, 0xac13);
    g_assert_cmphex(c, ==, plain_csum(UINT64_C(0x0102030405060708), 1, 5, 0, hello, 5));
    /* The receiver sums everything with the checksum in the zero field. */
    g_assert_cmphex(plain_csum(UINT64_C(0x0102030405060708), 1, 5, c, hello, 5), ==, 0);
    g_assert_true(mp_mptcp_dss_csum_ok(UINT64_C(0x0102030405060708), 1, 5, c, hello, 5));
    g_assert_false(mp_mptcp_dss_csum_ok(UINT64_C(0x0102030405060708), 1, 5, c ^ 1, hello, 5));
    g_assert_false(mp_mptcp_dss_csum_ok(UINT64_C(0x0102030405060708), 2, 5, c, hello, 5));
    /* The full 64-bit DSN counts even if the option carries 32 bits. */
    g_assert_cmphex(c, !=, mp_mptcp_dss_csum(UINT64_C(0x05060708), 1, 5, hello, 5));

    /* Random payloads of odd and even sizes; chained in even chunks. */
    mp_rng_derive(42, "test/mptcp/csum", &rng);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)mp_rng_u32(&rng);
    for (size_t n = 0; n <= sizeof(big); n += 37) {
        uint64_t dsn = mp_rng_u64(&rng);
        uint32_t ssn = mp_rng_u32(&rng);

        c = mp_mptcp_dss_csum(dsn, ssn, (uint16_t)n, big, n);
        g_assert_cmphex(c, ==, plain_csum(dsn, ssn, (uint16_t)n, 0, big, n));
        g_assert_true(mp_mptcp_dss_csum_ok(dsn, ssn, (uint16_t)n, c, big, n));
        sum = mp_mptcp_csum_start(dsn, ssn, (uint16_t)n);
        sum = mp_wire_csum_add(sum, big, n / 2 & ~(size_t)1);
        sum = mp_wire_csum_add(sum, big + (n / 2 & ~(size_t)1), n - (n / 2 & ~(size_t)1));
        g_assert_cmphex(mp_wire_csum_fold(sum), ==, c);
    }
    /* A DATA_FIN alone: length 1, no payload byte. */
    c = mp_mptcp_dss_csum(7, 0, 1, NULL, 0);
    g_assert_cmphex(c, ==, plain_csum(7, 0, 1, 0, NULL, 0));
}

/* ------------------------------------------------------------------------ */
/* Token table                                                                */

static void test_token_unique(void)
{
    struct mp_mptcp_tokens *t = mp_mptcp_tokens_new();
    struct mp_rng rng;
    GHashTable *keys = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    int owners[2000];

    mp_rng_derive(1, "test/mptcp/tokens", &rng);
    for (int i = 0; i < 2000; i++) {
        uint64_t key = 0, idsn = 0, want_idsn;
        uint32_t token = 0, want_token;

        g_assert_cmpint(mp_mptcp_token_new(t, &rng, &owners[i], &key, &token, &idsn), ==, 0);
        g_assert_cmphex(key, !=, 0);
        mp_mptcp_key_derive(key, &want_token, &want_idsn);
        g_assert_cmphex(token, ==, want_token);
        g_assert_cmphex(idsn, ==, want_idsn);
        g_assert_true(mp_mptcp_token_lookup(t, token) == &owners[i]);
        g_assert_true(g_hash_table_add(keys, g_memdup2(&key, sizeof(key))));
    }
    g_assert_cmpuint(mp_mptcp_tokens_count(t), ==, 2000);
    g_hash_table_destroy(keys);
    mp_mptcp_tokens_free(t);
}

/* xoshiro256** outputs rotl(s1 * 5, 7) * 9: zero exactly when s1 is 0. */
static void test_token_zero_key(void)
{
    struct mp_mptcp_tokens *t = mp_mptcp_tokens_new();
    struct mp_rng rng = {{0x1234, 0, 0x5678, 0x9abc}}, copy = rng;
    struct mp_rng dead = {{0, 0, 0, 0}};
    uint64_t key = 0, second;
    uint32_t token;
    int owner;

    g_assert_cmphex(mp_rng_u64(&copy), ==, 0);
    second = mp_rng_u64(&copy);
    g_assert_cmphex(second, !=, 0);
    g_assert_cmpint(mp_mptcp_token_new(t, &rng, &owner, &key, &token, NULL), ==, 0);
    g_assert_cmphex(key, ==, second);
    /* An rng stuck at zero never yields a key. */
    g_assert_cmpint(mp_mptcp_token_new(t, &dead, &owner, &key, NULL, NULL), ==, -EAGAIN);
    g_assert_cmpuint(mp_mptcp_tokens_count(t), ==, 1);
    mp_mptcp_tokens_free(t);
}

/* Pre-fill the table with the tokens of the next draws. */
static void test_token_collide(void)
{
    struct mp_mptcp_tokens *t = mp_mptcp_tokens_new();
    struct mp_rng rng, copy;
    uint64_t keys[MP_MPTCP_TOKEN_TRIES + 1], key = 0;
    uint32_t token;
    int other, owner;

    mp_rng_derive(7, "test/mptcp/collide", &rng);
    copy = rng;
    for (int i = 0; i <= MP_MPTCP_TOKEN_TRIES; i++)
        keys[i] = mp_rng_u64(&copy);
    for (int i = 0; i < MP_MPTCP_TOKEN_TRIES; i++) {
        mp_mptcp_key_derive(keys[i], &token, NULL);
        g_assert_cmpint(mp_mptcp_token_insert(t, token, &other), ==, 0);
    }
    copy = rng;
    g_assert_cmpint(mp_mptcp_token_new(t, &copy, &owner, &key, &token, NULL), ==, -EAGAIN);
    g_assert_cmpuint(mp_mptcp_tokens_count(t), ==, MP_MPTCP_TOKEN_TRIES);
    /* Free the last slot: the 32nd draw is taken. */
    mp_mptcp_key_derive(keys[MP_MPTCP_TOKEN_TRIES - 1], &token, NULL);
    mp_mptcp_token_remove(t, token);
    copy = rng;
    g_assert_cmpint(mp_mptcp_token_new(t, &copy, &owner, &key, &token, NULL), ==, 0);
    g_assert_cmphex(key, ==, keys[MP_MPTCP_TOKEN_TRIES - 1]);
    g_assert_true(mp_mptcp_token_lookup(t, token) == &owner);
    mp_mptcp_tokens_free(t);
}

static void test_token_table(void)
{
    struct mp_mptcp_tokens *t = mp_mptcp_tokens_new();
    int a, b;

    g_assert_cmpuint(mp_mptcp_tokens_count(t), ==, 0);
    g_assert_null(mp_mptcp_token_lookup(t, 0xcd266215));
    g_assert_cmpint(mp_mptcp_token_insert(t, 0xcd266215, &a), ==, 0);
    g_assert_cmpint(mp_mptcp_token_insert(t, 0xcd266215, &b), ==, -EEXIST);
    g_assert_true(mp_mptcp_token_lookup(t, 0xcd266215) == &a);
    /* Token 0 is a token like any other. */
    g_assert_null(mp_mptcp_token_lookup(t, 0));
    g_assert_cmpint(mp_mptcp_token_insert(t, 0, &b), ==, 0);
    g_assert_true(mp_mptcp_token_lookup(t, 0) == &b);
    g_assert_cmpint(mp_mptcp_token_insert(t, 0, &a), ==, -EEXIST);
    g_assert_cmpuint(mp_mptcp_tokens_count(t), ==, 2);
    mp_mptcp_token_remove(t, 0xcd266215);
    mp_mptcp_token_remove(t, 0xcd266215); /* twice: no-op */
    g_assert_null(mp_mptcp_token_lookup(t, 0xcd266215));
    g_assert_cmpuint(mp_mptcp_tokens_count(t), ==, 1);
    g_assert_cmpint(mp_mptcp_token_insert(t, 0xcd266215, &b), ==, 0);
    g_assert_true(mp_mptcp_token_lookup(t, 0xcd266215) == &b);
    mp_mptcp_tokens_free(t);
    mp_mptcp_tokens_free(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < MP_ARRAY_LEN(vectors); i++) {
        g_autofree char *path = g_strdup_printf("/mptcp/wire/roundtrip/%s", vectors[i].name);
        g_test_add_data_func(path, &vectors[i], test_roundtrip);
    }
    g_test_add_func("/mptcp/wire/dss/all-layouts", test_dss_all);
    g_test_add_func("/mptcp/wire/dss/short-forms", test_dss_short);
    for (size_t i = 0; i < MP_ARRAY_LEN(bads); i++) {
        g_autofree char *path = g_strdup_printf("/mptcp/wire/malformed/%s", bads[i].name);
        g_test_add_data_func(path, &bads[i], test_malformed);
    }
    g_test_add_func("/mptcp/wire/malformed/heads", test_parser_heads);
    g_test_add_func("/mptcp/wire/walk/mixed", test_walk_mixed);
    g_test_add_func("/mptcp/wire/walk/sack-mss", test_walk_sack_mss);
    g_test_add_func("/mptcp/wire/walk/duplicates", test_walk_duplicates);
    g_test_add_func("/mptcp/wire/walk/version", test_walk_version);
    g_test_add_func("/mptcp/wire/walk/empty", test_empty_area);
    for (size_t i = 0; i < MP_ARRAY_LEN(badareas); i++) {
        g_autofree char *path = g_strdup_printf("/mptcp/wire/bad-area/%s", badareas[i].name);
        g_test_add_data_func(path, &badareas[i], test_bad_area);
    }
    g_test_add_func("/mptcp/wire/invalid-structs", test_invalid_structs);
    g_test_add_func("/mptcp/wire/names", test_names);

    for (size_t i = 0; i < MP_ARRAY_LEN(keyrows); i++) {
        g_autofree char *path =
            g_strdup_printf("/mptcp/crypto/key/%016" G_GINT64_MODIFIER "x", keyrows[i].key);
        g_test_add_data_func(path, &keyrows[i], test_key_derive);
    }
    for (size_t i = 0; i < MP_ARRAY_LEN(hmacrows); i++) {
        g_autofree char *path = g_strdup_printf("/mptcp/crypto/hmac/%zu", i);
        g_test_add_data_func(path, &hmacrows[i], test_hmac);
    }
    g_test_add_func("/mptcp/crypto/join-roles", test_join_roles);
    g_test_add_func("/mptcp/crypto/add-addr-hmac", test_add_addr_hmac);
    g_test_add_func("/mptcp/crypto/dss-csum", test_dss_csum);

    g_test_add_func("/mptcp/token/unique", test_token_unique);
    g_test_add_func("/mptcp/token/zero-key", test_token_zero_key);
    g_test_add_func("/mptcp/token/collide", test_token_collide);
    g_test_add_func("/mptcp/token/table", test_token_table);

    return g_test_run();
}
