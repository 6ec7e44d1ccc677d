/*
 * afmp: the TCP send buffer (see sndbuf.h for the design).
 */
#include "model/tcp/sndbuf.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "model/tcp/seq.h"

#define BLK ((uint64_t)MP_SNDBUF_BLOCK)

void mp_sndbuf_init(struct mp_sndbuf *sb, uint32_t seq, size_t limit)
{
    memset(sb, 0, sizeof(*sb));
    sb->una_seq = seq;
    sb->limit = MIN(limit, (size_t)MP_SNDBUF_MAX_LIMIT);
}

void mp_sndbuf_clear(struct mp_sndbuf *sb)
{
    for (uint32_t i = 0; i < sb->ring_len; i++)
        g_free(sb->ring[(sb->ring_head + i) & (sb->ring_cap - 1)]);
    g_free(sb->ring);
    g_free(sb->spare);
    sb->ring = NULL;
    sb->spare = NULL;
    sb->ring_cap = sb->ring_len = sb->ring_head = 0;
}

void mp_sndbuf_set_limit(struct mp_sndbuf *sb, size_t limit)
{
    sb->limit = MIN(limit, (size_t)MP_SNDBUF_MAX_LIMIT);
}

void mp_sndbuf_set_pattern(struct mp_sndbuf *sb, mp_sndbuf_pattern_fn fn, void *arg)
{
    sb->pattern = fn;
    sb->pattern_arg = arg;
}

bool mp_sndbuf_use_pattern(struct mp_sndbuf *sb, mp_sndbuf_pattern_fn fn, void *arg)
{
    if (!fn)
        return false;
    if (!sb->pattern)
        mp_sndbuf_set_pattern(sb, fn, arg);
    return sb->pattern == fn && sb->pattern_arg == arg;
}

size_t mp_sndbuf_unsent(const struct mp_sndbuf *sb, uint32_t snd_nxt)
{
    size_t held = mp_sndbuf_bytes(sb);
    uint32_t d = snd_nxt - sb->una_seq;
    return d >= held ? 0 : held - d;
}

size_t mp_sndbuf_in_flight(const struct mp_sndbuf *sb, uint32_t snd_nxt)
{
    size_t held = mp_sndbuf_bytes(sb);
    uint32_t d = snd_nxt - sb->una_seq;
    return MIN((size_t)d, held);
}

static uint8_t **slot(const struct mp_sndbuf *sb, uint64_t off)
{
    uint64_t i = (off - sb->head_off) / BLK;
    return &sb->ring[(sb->ring_head + (uint32_t)i) & (sb->ring_cap - 1)];
}

size_t mp_sndbuf_mem(const struct mp_sndbuf *sb)
{
    size_t n = 0;
    for (uint32_t i = 0; i < sb->ring_len; i++)
        if (sb->ring[(sb->ring_head + i) & (sb->ring_cap - 1)])
            n += MP_SNDBUF_BLOCK;
    return n;
}

/* Adds a slot at the tail of the ring, holding |blk| (NULL: virtual). The
 * ring of pointers doubles when full; only pointers move, never bytes. */
static void push_slot(struct mp_sndbuf *sb, uint8_t *blk)
{
    if (sb->ring_len == sb->ring_cap) {
        uint32_t cap = sb->ring_cap ? sb->ring_cap * 2 : 8;
        uint8_t **ring = g_new(uint8_t *, cap);
        for (uint32_t i = 0; i < sb->ring_len; i++)
            ring[i] = sb->ring[(sb->ring_head + i) & (sb->ring_cap - 1)];
        g_free(sb->ring);
        sb->ring = ring;
        sb->ring_cap = cap;
        sb->ring_head = 0;
    }
    sb->ring[(sb->ring_head + sb->ring_len) & (sb->ring_cap - 1)] = blk;
    sb->ring_len++;
}

static uint8_t *new_block(struct mp_sndbuf *sb)
{
    uint8_t *b = sb->spare;
    if (b) {
        sb->spare = NULL;
        return b;
    }
    return g_malloc(MP_SNDBUF_BLOCK);
}

static void drop_block(struct mp_sndbuf *sb, uint8_t *b)
{
    if (!b)
        return;
    if (!sb->spare)
        sb->spare = b;
    else
        g_free(b);
}

size_t mp_sndbuf_append(struct mp_sndbuf *sb, const void *data, size_t len)
{
    const uint8_t *src = data;
    size_t n = MIN(len, mp_sndbuf_space(sb));
    size_t left = n;

    while (left > 0) {
        uint64_t within = sb->end_off % BLK;
        uint8_t *b;
        if (within == 0) {
            b = new_block(sb);
            push_slot(sb, b);
        } else {
            uint8_t **s = slot(sb, sb->end_off);
            if (!*s) {
                /* Real bytes after pattern bytes in one block: write the
                 * pattern part out so the block is stored whole. */
                *s = new_block(sb);
                sb->pattern(sb->pattern_arg, sb->end_off - within, *s, (size_t)within);
            }
            b = *s;
        }
        size_t chunk = (size_t)MIN((uint64_t)left, BLK - within);
        memcpy(b + within, src, chunk);
        src += chunk;
        left -= chunk;
        sb->end_off += chunk;
    }
    return n;
}

uint8_t *mp_sndbuf_reserve(struct mp_sndbuf *sb, size_t len)
{
    if (len > mp_sndbuf_space(sb))
        return NULL;
    uint64_t within = sb->end_off % BLK;
    if (within == 0) {
        /* The spare block, if there is one, pushed only when something is
         * committed: nothing changes if nothing is. Never a new block: a
         * connection that asks and gets nothing would keep 16 KiB. */
        return sb->spare;
    }
    if (BLK - within < len)
        return NULL;
    uint8_t *b = *slot(sb, sb->end_off);
    return b ? b + within : NULL;
}

void mp_sndbuf_commit(struct mp_sndbuf *sb, size_t n)
{
    if (!n)
        return;
    if (sb->end_off % BLK == 0)
        push_slot(sb, new_block(sb)); /* the spare mp_sndbuf_reserve() returned */
    sb->end_off += n;
}

size_t mp_sndbuf_append_pattern(struct mp_sndbuf *sb, size_t len)
{
    if (!sb->pattern)
        return 0;
    size_t n = MIN(len, mp_sndbuf_space(sb));
    size_t left = n;

    while (left > 0) {
        uint64_t within = sb->end_off % BLK;
        size_t chunk = (size_t)MIN((uint64_t)left, BLK - within);
        if (within == 0) {
            push_slot(sb, NULL);
        } else {
            uint8_t *b = *slot(sb, sb->end_off);
            /* Pattern bytes after real bytes in one stored block: the block
             * stays stored, so the pattern is written into it. */
            if (b)
                sb->pattern(sb->pattern_arg, sb->end_off, b + within, chunk);
        }
        left -= chunk;
        sb->end_off += chunk;
    }
    return n;
}

/* The stream offset of |seq| in *off, if [seq, seq + len) lies inside
 * [una, end). */
static bool range_off(const struct mp_sndbuf *sb, uint32_t seq, size_t len, uint64_t *off)
{
    uint32_t d = seq - sb->una_seq;
    size_t held = mp_sndbuf_bytes(sb);
    if (d > held || len > held - d)
        return false;
    *off = sb->una_off + d;
    return true;
}

int mp_sndbuf_peek(const struct mp_sndbuf *sb, uint32_t seq, void *dst, size_t len)
{
    uint64_t off;
    if (!range_off(sb, seq, len, &off))
        return -ERANGE;
    uint8_t *out = dst;
    while (len > 0) {
        uint64_t within = off % BLK;
        size_t chunk = (size_t)MIN((uint64_t)len, BLK - within);
        const uint8_t *b = *slot(sb, off);
        if (b)
            memcpy(out, b + within, chunk);
        else
            sb->pattern(sb->pattern_arg, off, out, chunk);
        out += chunk;
        off += chunk;
        len -= chunk;
    }
    /* The next segment usually starts here: fetch it while this one is on
     * its way (it was written by the application long ago). */
    if (off < sb->end_off) {
        const uint8_t *b = *slot(sb, off);
        if (b) {
            uint64_t within = off % BLK;
            size_t n = (size_t)MIN(MIN((uint64_t)2048, BLK - within), sb->end_off - off);
            for (size_t i = 0; i < n; i += 64)
                __builtin_prefetch(b + within + i);
        }
    }
    return 0;
}

int mp_sndbuf_spans(const struct mp_sndbuf *sb, uint32_t seq, size_t len,
                    struct mp_sndbuf_span *spans, size_t max)
{
    uint64_t off;
    if (!range_off(sb, seq, len, &off))
        return -ERANGE;
    size_t n = 0;
    while (len > 0) {
        if (n == max)
            return -ENOSPC;
        uint64_t within = off % BLK;
        size_t chunk = (size_t)MIN((uint64_t)len, BLK - within);
        const uint8_t *b = *slot(sb, off);
        spans[n].p = b ? b + within : NULL;
        spans[n].off = off;
        spans[n].len = chunk;
        n++;
        off += chunk;
        len -= chunk;
    }
    return (int)n;
}

size_t mp_sndbuf_ack(struct mp_sndbuf *sb, uint32_t ack)
{
    if (mp_seq_leq(ack, sb->una_seq))
        return 0;
    size_t freed = MIN((size_t)(uint32_t)(ack - sb->una_seq), mp_sndbuf_bytes(sb));
    sb->una_off += freed;
    sb->una_seq += (uint32_t)freed;
    /* Free every block wholly before una. The block holding una stays,
     * and so does a partly filled tail block when everything is
     * acknowledged: the next append continues it. */
    while (sb->ring_len > 0 && sb->head_off + BLK <= sb->una_off) {
        drop_block(sb, sb->ring[sb->ring_head]);
        sb->ring_head = (sb->ring_head + 1) & (sb->ring_cap - 1);
        sb->ring_len--;
        sb->head_off += BLK;
    }
    return freed;
}
