/* afmp: packet buffers (see pkt.h). */
#include "model/pkt.h"

#include <glib.h>
#include <string.h>

void mp_pkt_pool_init(struct mp_pkt_pool *pool)
{
    memset(pool, 0, sizeof(*pool));
    pool->next_id = 1;
}

void mp_pkt_pool_clear(struct mp_pkt_pool *pool)
{
    struct mp_pkt *p = pool->free;
    while (p) {
        struct mp_pkt *n = p->next;
        g_free(p);
        p = n;
    }
    pool->free = NULL;
}

struct mp_pkt *mp_pkt_alloc(struct mp_pkt_pool *pool, uint32_t len)
{
    struct mp_pkt *p;
    uint32_t need = MP_PKT_HEADROOM + len;

    if (need <= MP_PKT_POOL_BYTES && pool->free) {
        p = pool->free;
        pool->free = p->next;
    } else {
        uint32_t cap = need <= MP_PKT_POOL_BYTES ? MP_PKT_POOL_BYTES : need;
        p = g_malloc(sizeof(*p) + cap);
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
    if (p->cap == MP_PKT_POOL_BYTES) {
        p->next = pool->free;
        pool->free = p;
    } else {
        g_free(p);
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
