/*
 * afmp-trace: a pcapng reader for what libpcap's API cannot express, a
 * link type per interface (libpcap 1.10 refuses a file whose interfaces
 * differ, and one with several raw-IP interfaces, such as afmp-sim's
 * per-node files). Section header, interface description (link type,
 * if_tsresol, if_tsoffset), enhanced, simple and obsolete packet blocks;
 * every other block is skipped. Either byte order; several sections.
 * A block cut short at the end of the file (a capture still being written)
 * ends the file; a malformed block is an error naming its offset.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/trace/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_OPB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BOM 0x1A2B3C4Du
#define MAX_BLOCK (64u << 20)

struct ngif {
    int linktype;
    uint32_t snaplen;
    bool res_pow2;   /* if_tsresol: 2^-res, else 10^-res */
    unsigned res;
    int64_t offset_s; /* if_tsoffset */
};

struct at_ng {
    FILE *f;
    char *path;
    bool swap;
    GArray *ifs; /* struct ngif, this section's */
    uint8_t *buf;
    size_t cap;
    long off; /* of the block being read */
};

static uint32_t u32(const struct at_ng *ng, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ng->swap ? GUINT32_SWAP_LE_BE(v) : v;
}

static uint16_t u16(const struct at_ng *ng, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return ng->swap ? GUINT16_SWAP_LE_BE(v) : v;
}

bool at_ng_is_pcapng(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t m[4];
    bool yes = fread(m, 1, 4, f) == 4 && m[0] == 0x0A && m[1] == 0x0D && m[2] == 0x0D &&
               m[3] == 0x0A;
    fclose(f);
    return yes;
}

struct at_ng *at_ng_open(const char *path, GError **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    struct at_ng *ng = g_new0(struct at_ng, 1);
    ng->f = f;
    ng->path = g_strdup(path);
    ng->ifs = g_array_new(false, true, sizeof(struct ngif));
    return ng;
}

void at_ng_close(struct at_ng *ng)
{
    if (!ng)
        return;
    fclose(ng->f);
    g_array_unref(ng->ifs);
    g_free(ng->buf);
    g_free(ng->path);
    g_free(ng);
}

static int bad(struct at_ng *ng, GError **err, const char *what)
{
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: malformed pcapng block at offset %ld: %s",
                ng->path, ng->off, what);
    return -1;
}

/* The interface's options: if_tsresol (9) and if_tsoffset (14). */
static void idb_options(struct at_ng *ng, struct ngif *i, const uint8_t *p, size_t n)
{
    while (n >= 4) {
        uint16_t code = u16(ng, p), len = u16(ng, p + 2);
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if (code == 0 || 4 + padded > n)
            break;
        if (code == 9 && len >= 1) {
            i->res_pow2 = p[4] & 0x80;
            i->res = p[4] & 0x7f;
        } else if (code == 14 && len >= 8) {
            uint64_t v;
            memcpy(&v, p + 4, 8);
            i->offset_s = (int64_t)(ng->swap ? GUINT64_SWAP_LE_BE(v) : v);
        }
        p += 4 + padded;
        n -= 4 + padded;
    }
}

static int64_t to_ns(const struct ngif *i, uint64_t ts)
{
    int64_t ns;
    if (i->res_pow2) {
        double s = (double)ts / (double)((uint64_t)1 << MIN(i->res, 63u));
        ns = (int64_t)(s * 1e9);
    } else if (i->res <= 9) {
        uint64_t m = 1;
        for (unsigned k = i->res; k < 9; k++)
            m *= 10;
        ns = (int64_t)(ts * m);
    } else {
        uint64_t d = 1;
        for (unsigned k = 9; k < i->res && k < 28; k++)
            d *= 10;
        ns = (int64_t)(ts / d);
    }
    return ns + i->offset_s * 1000000000;
}

int at_ng_next(struct at_ng *ng, struct at_ng_pkt *out, GError **err)
{
    for (;;) {
        uint8_t hdr[8];
        ng->off = ftell(ng->f);
        size_t got = fread(hdr, 1, 8, ng->f);
        if (got == 0)
            return 0;
        if (got < 8)
            return 0; /* cut short: the end */
        uint32_t type;
        memcpy(&type, hdr, 4);
        if (type == BT_SHB) {
            /* the byte order comes from the magic after the length */
            uint8_t bom[4];
            if (fread(bom, 1, 4, ng->f) < 4)
                return 0;
            uint32_t b;
            memcpy(&b, bom, 4);
            if (b == BOM)
                ng->swap = false;
            else if (GUINT32_SWAP_LE_BE(b) == BOM)
                ng->swap = true;
            else
                return bad(ng, err, "section header without its byte-order magic");
            g_array_set_size(ng->ifs, 0);
            uint32_t len = u32(ng, hdr + 4);
            if (len < 28 || len % 4 || len > MAX_BLOCK)
                return bad(ng, err, "section header length");
            if (fseek(ng->f, ng->off + (long)len, SEEK_SET) != 0)
                return 0;
            continue;
        }
        type = u32(ng, hdr);
        uint32_t len = u32(ng, hdr + 4);
        if (len < 12 || len % 4 || len > MAX_BLOCK)
            return bad(ng, err, "block length");
        size_t body = len - 12;
        if (ng->cap < body + 4) {
            ng->cap = body + 4;
            ng->buf = g_realloc(ng->buf, ng->cap);
        }
        if (fread(ng->buf, 1, body + 4, ng->f) < body + 4)
            return 0; /* cut short */
        if (u32(ng, ng->buf + body) != len)
            return bad(ng, err, "trailing length differs");
        const uint8_t *p = ng->buf;
        if (type == BT_IDB) {
            if (body < 8)
                return bad(ng, err, "interface description too short");
            struct ngif i = {.linktype = u16(ng, p), .snaplen = u32(ng, p + 4), .res = 6};
            idb_options(ng, &i, p + 8, body - 8);
            g_array_append_val(ng->ifs, i);
            continue;
        }
        uint32_t ifid, caplen, plen;
        uint64_t ts;
        const uint8_t *data;
        if (type == BT_EPB || type == BT_OPB) {
            /* the same layout but for the interface field: 32 bits in an
             * enhanced block, 16 (then 16 of drops) in an obsolete one */
            if (body < 20)
                return bad(ng, err, "packet block too short");
            ifid = type == BT_EPB ? u32(ng, p) : u16(ng, p);
            ts = (uint64_t)u32(ng, p + 4) << 32 | u32(ng, p + 8);
            caplen = u32(ng, p + 12);
            plen = u32(ng, p + 16);
            data = p + 20;
            if (caplen > body - 20)
                return bad(ng, err, "captured length beyond the block");
        } else if (type == BT_SPB) {
            if (body < 4 || ng->ifs->len == 0)
                return bad(ng, err, "simple packet block");
            ifid = 0;
            ts = 0;
            plen = u32(ng, p);
            caplen = MIN(plen, (uint32_t)(body - 4));
            const struct ngif *i0 = &g_array_index(ng->ifs, struct ngif, 0);
            if (i0->snaplen && caplen > i0->snaplen)
                caplen = i0->snaplen;
            data = p + 4;
        } else {
            continue; /* name resolution, statistics, custom, ... */
        }
        if (ifid >= ng->ifs->len)
            return bad(ng, err, "packet of an interface not described");
        const struct ngif *i = &g_array_index(ng->ifs, struct ngif, ifid);
        out->t = to_ns(i, ts);
        out->linktype = i->linktype;
        out->ifid = ifid;
        out->caplen = caplen;
        out->len = plen;
        out->data = data;
        return 1;
    }
}
