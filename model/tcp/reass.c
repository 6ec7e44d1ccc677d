/*
 * afmp: the TCP reassembly queue (see reass.h).
 */
#include "model/tcp/reass.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

void mp_reass_init(struct mp_reass *r, size_t limit)
{
    memset(r, 0, sizeof(*r));
    r->limit = limit;
    r->index = g_sequence_new(NULL);
}

void mp_reass_clear(struct mp_reass *r)
{
    struct mp_reass_frag *f = r->fhead;
    while (f) {
        struct mp_reass_frag *n = f->next;
        g_free(f);
        f = n;
    }
    struct mp_reass_run *u = r->head;
    while (u) {
        struct mp_reass_run *n = u->next;
        g_free(u);
        u = n;
    }
    if (r->index)
        g_sequence_free(r->index);
    size_t limit = r->limit;
    memset(r, 0, sizeof(*r));
    r->limit = limit;
}

void mp_reass_set_limit(struct mp_reass *r, size_t limit)
{
    r->limit = limit;
}

void mp_reass_set_dsack(struct mp_reass *r, uint32_t start, uint32_t end)
{
    r->has_dsack = true;
    r->dsack = (struct mp_sack_block){start, end};
}

/* ---- lists ---- */

static void frag_insert_after(struct mp_reass *r, struct mp_reass_frag *pos,
                              struct mp_reass_frag *f)
{
    f->prev = pos;
    f->next = pos ? pos->next : r->fhead;
    if (f->next)
        f->next->prev = f;
    else
        r->ftail = f;
    if (pos)
        pos->next = f;
    else
        r->fhead = f;
    r->nfrags++;
    r->bytes += f->len;
    r->mem += f->len + MP_REASS_FRAG_OVERHEAD;
}

static void frag_free(struct mp_reass *r, struct mp_reass_frag *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        r->fhead = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        r->ftail = f->prev;
    r->nfrags--;
    r->bytes -= f->len;
    r->mem -= f->len + MP_REASS_FRAG_OVERHEAD;
    g_free(f);
}

static gint cmp_start(gconstpointer a, gconstpointer b, gpointer unused)
{
    const struct mp_reass_run *x = a, *y = b;
    int32_t d = mp_seq_diff(x->start, y->start);
    return d < 0 ? -1 : d > 0;
}

static void lru_remove(struct mp_reass *r, struct mp_reass_run *u)
{
    if (u->lru_prev)
        u->lru_prev->lru_next = u->lru_next;
    else
        r->lru_head = u->lru_next;
    if (u->lru_next)
        u->lru_next->lru_prev = u->lru_prev;
    else
        r->lru_tail = u->lru_prev;
    u->lru_next = u->lru_prev = NULL;
}

static void lru_push_front(struct mp_reass *r, struct mp_reass_run *u)
{
    u->lru_prev = NULL;
    u->lru_next = r->lru_head;
    if (r->lru_head)
        r->lru_head->lru_prev = u;
    else
        r->lru_tail = u;
    r->lru_head = u;
}

/* The run holding the most recently received segment goes first
 * (RFC 2018 4). */
static void touch(struct mp_reass *r, struct mp_reass_run *u)
{
    if (r->lru_head == u)
        return;
    lru_remove(r, u);
    lru_push_front(r, u);
}

/* A new, empty run after |prev| (NULL: first). The caller sets its start
 * before anything searches the index. */
static struct mp_reass_run *run_new(struct mp_reass *r, struct mp_reass_run *prev, uint32_t start)
{
    struct mp_reass_run *u = g_new0(struct mp_reass_run, 1);
    u->start = start;
    u->prev = prev;
    u->next = prev ? prev->next : r->head;
    if (u->next)
        u->next->prev = u;
    else
        r->tail = u;
    if (prev)
        prev->next = u;
    else
        r->head = u;
    u->it = prev ? g_sequence_insert_before(g_sequence_iter_next(prev->it), u)
                 : g_sequence_prepend(r->index, u);
    lru_push_front(r, u);
    r->nruns++;
    return u;
}

static void run_unlink(struct mp_reass *r, struct mp_reass_run *u)
{
    lru_remove(r, u);
    g_sequence_remove(u->it);
    if (u->prev)
        u->prev->next = u->next;
    else
        r->head = u->next;
    if (u->next)
        u->next->prev = u->prev;
    else
        r->tail = u->prev;
    r->nruns--;
    g_free(u);
}

/* The last run starting at or before |s|, or NULL. */
static struct mp_reass_run *run_before(const struct mp_reass *r, uint32_t s)
{
    if (!r->head || mp_seq_lt(s, r->head->start))
        return NULL;
    /* Most segments extend the highest run. */
    if (mp_seq_geq(s, r->tail->start))
        return r->tail;
    struct mp_reass_run key = {.start = s};
    GSequenceIter *it = g_sequence_search(r->index, &key, cmp_start, NULL);
    return g_sequence_get(g_sequence_iter_prev(it));
}

/* ---- insertion ---- */

struct walk {
    uint32_t added;
    uint32_t pieces;
    uint32_t dup;
    bool has_dup;
    struct mp_sack_block first_dup;
    struct mp_reass_run *last; /* run holding the end of the segment */
};

/* D-SACK reports the first contiguous duplicate range of a segment. */
static void note_dup(struct walk *w, uint32_t a, uint32_t b)
{
    w->dup += b - a;
    if (!w->has_dup) {
        w->has_dup = true;
        w->first_dup = (struct mp_sack_block){a, b};
    } else if (w->first_dup.end == a) {
        w->first_dup.end = b;
    }
}

/* Stores [cur, cur + n) from |p| between runs |prev| and |next| (either may
 * be NULL); returns the run now holding it, joined with its neighbours when
 * they touch. */
static struct mp_reass_run *store(struct mp_reass *r, struct mp_reass_run *prev,
                                  struct mp_reass_run *next, uint32_t cur, const uint8_t *p,
                                  uint32_t n)
{
    struct mp_reass_frag *f = g_malloc(sizeof(*f) + n);
    f->seq = cur;
    f->len = n;
    memcpy(f->data, p, n);
    frag_insert_after(r, prev ? prev->last : NULL, f);

    struct mp_reass_run *u;
    if (prev && prev->end == cur) {
        u = prev;
        u->last = f;
        u->end = cur + n;
    } else if (next && next->start == cur + n) {
        u = next;
        u->first = f;
        u->start = cur;
        return u;
    } else {
        u = run_new(r, prev, cur);
        u->end = cur + n;
        u->first = u->last = f;
    }
    if (next && u->end == next->start) {
        u->end = next->end;
        u->last = next->last;
        run_unlink(r, next);
    }
    return u;
}

/* Goes over [s, e) (s not before rcv_nxt) against the runs: counts the new
 * bytes and the pieces they form, notes duplicates and, unless |dry|,
 * stores the new bytes (|p| holds the byte at s). */
static void walk(struct mp_reass *r, uint32_t s, uint32_t e, const uint8_t *p, bool dry,
                 struct walk *w)
{
    struct mp_reass_run *prev = run_before(r, s);
    uint32_t cur = s;

    while (mp_seq_lt(cur, e)) {
        if (prev && mp_seq_gt(prev->end, cur)) {
            uint32_t d = mp_seq_min(e, prev->end);
            note_dup(w, cur, d);
            cur = d;
            continue;
        }
        struct mp_reass_run *next = prev ? prev->next : r->head;
        uint32_t gap_end = next ? mp_seq_min(e, next->start) : e;
        w->added += gap_end - cur;
        w->pieces++;
        if (!dry)
            prev = store(r, prev, next, cur, p + (cur - s), gap_end - cur);
        else if (next && next->start == gap_end)
            prev = next;
        cur = gap_end;
    }
    w->last = prev;
}

/* Bytes of memory that dropping every fragment wholly at or after |e|
 * would free. */
static size_t prunable(const struct mp_reass *r, uint32_t e)
{
    size_t m = 0;
    for (const struct mp_reass_frag *f = r->ftail; f && mp_seq_geq(f->seq, e); f = f->prev)
        m += f->len + MP_REASS_FRAG_OVERHEAD;
    return m;
}

/* Drops the highest fragment, which lies in the last run. */
static uint32_t drop_last(struct mp_reass *r)
{
    struct mp_reass_frag *f = r->ftail;
    struct mp_reass_run *u = r->tail;
    uint32_t n = f->len;
    if (u->first == f) {
        run_unlink(r, u);
    } else {
        u->last = f->prev;
        u->end = f->seq;
    }
    frag_free(r, f);
    return n;
}

int mp_reass_insert(struct mp_reass *r, uint32_t rcv_nxt, uint32_t seq, const uint8_t *data,
                    size_t len, struct mp_reass_result *out)
{
    struct mp_reass_result dummy;
    if (!out)
        out = &dummy;
    memset(out, 0, sizeof(*out));
    if (len > (1u << 30))
        return -EINVAL;
    if (len == 0)
        return 0;

    uint32_t s = seq, e = seq + (uint32_t)len;
    const uint8_t *p = data;
    struct walk w = {0};
    int rc = 0;

    if (mp_seq_leq(e, rcv_nxt)) {
        note_dup(&w, s, e);
        goto done;
    }
    if (mp_seq_lt(s, rcv_nxt)) {
        note_dup(&w, s, rcv_nxt);
        p += rcv_nxt - s;
        s = rcv_nxt;
    }

    struct walk dry = w;
    walk(r, s, e, p, true, &dry);
    size_t need = dry.added + (size_t)dry.pieces * MP_REASS_FRAG_OVERHEAD;
    if (dry.added > 0 && r->mem + need > r->limit) {
        if (r->mem - prunable(r, e) + need > r->limit) {
            w = dry;
            w.added = 0;
            w.last = NULL;
            rc = -ENOBUFS;
            goto done;
        }
        while (r->mem + need > r->limit)
            out->pruned += drop_last(r);
    }
    walk(r, s, e, p, false, &w);
    if (w.last)
        touch(r, w.last);

done:
    if (w.has_dup)
        mp_reass_set_dsack(r, w.first_dup.start, w.first_dup.end);
    out->added = w.added;
    out->dup = w.dup;
    return rc;
}

/* ---- delivery and SACK ---- */

size_t mp_reass_pull(struct mp_reass *r, uint32_t rcv_nxt, mp_reass_deliver_fn fn, void *arg)
{
    struct mp_reass_run *u;
    while ((u = r->head) && mp_seq_leq(u->end, rcv_nxt)) {
        struct mp_reass_frag *f = u->first, *stop = u->last->next;
        while (f != stop) {
            struct mp_reass_frag *n = f->next;
            frag_free(r, f);
            f = n;
        }
        run_unlink(r, u);
    }
    if (!u || mp_seq_gt(u->start, rcv_nxt))
        return 0;

    size_t delivered = 0;
    uint32_t cur = rcv_nxt;
    struct mp_reass_frag *f = u->first, *stop = u->last->next;
    while (f != stop) {
        struct mp_reass_frag *n = f->next;
        uint32_t fend = f->seq + f->len;
        if (mp_seq_gt(fend, cur)) {
            uint32_t skip = mp_seq_gt(cur, f->seq) ? cur - f->seq : 0;
            fn(arg, f->data + skip, f->len - skip);
            delivered += f->len - skip;
            cur = fend;
        }
        frag_free(r, f);
        f = n;
    }
    run_unlink(r, u);
    return delivered;
}

size_t mp_reass_sack(const struct mp_reass *r, uint32_t rcv_nxt, struct mp_sack_block *out,
                     size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    if (r->has_dsack)
        out[n++] = r->dsack;

    /* Most recently grown runs first; runs not after rcv_nxt are waiting
     * to be pulled. */
    for (const struct mp_reass_run *u = r->lru_head; u && n < max; u = u->lru_next)
        if (mp_seq_gt(u->start, rcv_nxt))
            out[n++] = (struct mp_sack_block){u->start, u->end};
    return n;
}
