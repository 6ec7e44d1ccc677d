/* afmp: packet buffers (see pkt.h). */
#include "model/pkt.h"

#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* See struct mp_pkt: the data of a fresh packet starts a cache line. */
#define LINE 64u
G_STATIC_ASSERT(offsetof(struct mp_pkt, buf) == LINE);
G_STATIC_ASSERT(MP_PKT_HEADROOM % LINE == 0);
G_STATIC_ASSERT((sizeof(struct mp_pkt) + MP_PKT_POOL_SMALL_BYTES) % LINE == 0);

/* Buffers come from posix_memalign (freed with free(), as g_free() does
 * since GLib 2.46) so that data is aligned whatever malloc's alignment. */
static struct mp_pkt *buf_new(uint32_t cap)
{
    void *m = NULL;
    if (posix_memalign(&m, LINE, sizeof(struct mp_pkt) + cap) != 0)
        g_error("out of memory allocating a %u-byte packet buffer", cap);
    return m;
}

void mp_pkt_pool_init(struct mp_pkt_pool *pool)
{
    memset(pool, 0, sizeof(*pool));
    pool->next_id = 1;
}

static void free_list(struct mp_pkt **head)
{
    struct mp_pkt *p = *head;
    while (p) {
        struct mp_pkt *n = p->next;
        free(p);
        p = n;
    }
    *head = NULL;
}

void mp_pkt_pool_clear(struct mp_pkt_pool *pool)
{
    free_list(&pool->free);
    free_list(&pool->free_small);
}

struct mp_pkt *mp_pkt_alloc(struct mp_pkt_pool *pool, uint32_t len)
{
    struct mp_pkt *p;
    uint32_t need = MP_PKT_HEADROOM + len;
    struct mp_pkt **list = NULL;
    uint32_t cap = need;

    if (need <= MP_PKT_POOL_SMALL_BYTES) {
        list = &pool->free_small;
        cap = MP_PKT_POOL_SMALL_BYTES;
    } else if (need <= MP_PKT_POOL_BYTES) {
        list = &pool->free;
        cap = MP_PKT_POOL_BYTES;
    }
    if (list && *list) {
        p = *list;
        *list = p->next;
    } else {
        p = buf_new(cap);
        p->cap = cap;
    }
    p->next = NULL;
    p->data = p->buf + MP_PKT_HEADROOM;
    p->len = len;
    p->flags = 0;
    p->ifindex = 0;
    p->id = pool->next_id++;
    p->ts = 0;
    p->pool = pool;
    pool->live++;
    pool->allocs++;
    return p;
}

struct mp_pkt *mp_pkt_clone(const struct mp_pkt *p)
{
    struct mp_pkt *c = mp_pkt_alloc(p->pool, p->len);
    memcpy(c->data, p->data, p->len);
    c->flags = p->flags;
    c->ifindex = p->ifindex;
    c->ts = p->ts;
    return c;
}

void mp_pkt_free(struct mp_pkt *p)
{
    struct mp_pkt_pool *pool;

    if (!p)
        return;
    pool = p->pool;
    pool->live--;
    if (p->cap == MP_PKT_POOL_SMALL_BYTES) {
        p->next = pool->free_small;
        pool->free_small = p;
    } else if (p->cap == MP_PKT_POOL_BYTES) {
        p->next = pool->free;
        pool->free = p;
    } else {
        free(p);
    }
}

uint8_t *mp_pkt_push(struct mp_pkt *p, uint32_t n)
{
    if ((uint32_t)(p->data - p->buf) < n)
        return NULL;
    p->data -= n;
    p->len += n;
    return p->data;
}

bool mp_pkt_pull(struct mp_pkt *p, uint32_t n)
{
    if (p->len < n)
        return false;
    p->data += n;
    p->len -= n;
    return true;
}

void mp_pkt_queue_purge(struct mp_pkt_queue *q)
{
    struct mp_pkt *p;
    while ((p = mp_pkt_queue_pop(q)))
        mp_pkt_free(p);
}
