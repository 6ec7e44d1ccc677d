/*
 * afmp: the discrete-event engine (see engine.h).
 *
 * A small pending set (up to a few thousand entries) is a binary min-heap on
 * (time, sequence): it stays in the first-level cache. A large one is a
 * radix heap with radix 256 (after Ahuja, Mehlhorn, Orlin and Tarjan's radix
 * heap), O(1) per operation; the set moves between the two as it grows and
 * shrinks, with a gap between the thresholds (HEAP_MAX, RADIX_MIN).
 *
 * In the radix heap, keys are event times, never smaller than |last|, the
 * key of the current bucket. A key k that first differs from last
 * in byte L (counting from the low end) goes to bucket (L, byte L of k); keys
 * equal to last sit in the current bucket (0, low byte of last). Taking the
 * minimum either finds the current bucket non-empty, or moves to the lowest
 * non-empty bucket: at level 0 that bucket holds a single key and simply
 * becomes current; at a higher level its entries are re-filed relative to
 * their minimum, into lower levels only. An event therefore moves at most 8
 * times and, for increments below 2^24 ns, at most twice.
 *
 * Tie order comes nearly for free: a bucket is filled by appends or by one
 * redistribution of a higher bucket into empty lower levels (which keeps
 * relative order), so entries with equal times stay in the order they were
 * appended and the current bucket is a FIFO. Each entry still carries its
 * sequence number, for the one case where that order is not the sequence
 * order: an event scheduled with a sequence reserved earlier
 * (mp_engine_at_seq). An append behind an entry with a larger sequence marks
 * a level-0 bucket (a single key) unsorted, and the bucket is put in
 * sequence order before its next entry is taken.
 */
#include "sim/engine.h"

#include <glib.h>
#include <signal.h>
#include <string.h>

/*
 * Entries carry the callback inline, so running an event touches only the
 * bucket array (read in order) and its own object; with a million events
 * pending, a pointer to a separately allocated node would cost a cache miss
 * per event (and a side table of callbacks indexed by id, too: an id freed
 * by a pop was handed out a million events earlier). A handle is the entry's
 * id + 1 disguised as a pointer; cancelling sets the id's bit in a compact
 * bitmap (128 KiB for a million ids) that the pop checks.
 */
struct entry {
    mp_time_t when;
    mp_event_fn fn;
    void *arg;
    uint64_t seq; /* tie order among equal times */
    uint32_t id;
};

struct bucket {
    struct entry *e;
    uint32_t len, cap;
    uint32_t head;  /* first unread entry (the current bucket is a FIFO) */
    bool unsorted;  /* level 0: an entry sits behind one with a larger seq */
};

#define LEVELS 8
#define NBUCKETS (LEVELS * 256)
#define SPARES 16
#define KEEP_CAP 64u /* entries: 2 KiB */

struct mp_engine {
    mp_time_t now;
    mp_time_t last; /* radix-heap base: key of the current bucket */
    mp_time_t stop;
    uint64_t budget_end; /* events_run value to stop at; 0: none */
    uint64_t events_run;
    uint64_t live;   /* scheduled and not cancelled */
    uint64_t queued; /* entries in buckets, cancelled ones included */
    uint64_t seq;    /* the next insertion sequence */
    bool radix;      /* the pending set is in the radix heap, not in |heap| */
    struct entry *heap; /* binary min-heap on (when, seq) while the set is small */
    uint32_t hcap;
    uint32_t level_mask;           /* bit L: level L has a non-empty bucket */
    uint64_t used[LEVELS][4];      /* bit b of level L: bucket (L, b) non-empty */
    volatile sig_atomic_t interrupted;
    uint32_t *free_ids; /* stack of reusable ids */
    uint32_t nfree;
    uint32_t nids;    /* ids handed out so far (high-water mark) */
    uint32_t cap_ids; /* capacity of free_ids and cancelled */
    uint64_t *cancelled;
    struct entry *spare[SPARES]; /* arrays of redistributed buckets, for reuse */
    uint32_t spare_cap[SPARES];
    uint32_t nspare;
    struct bucket b[NBUCKETS];
};

struct mp_engine *mp_engine_new(void)
{
    struct mp_engine *eng = g_new0(struct mp_engine, 1);
    eng->stop = MP_TIME_NEVER;
    return eng;
}

void mp_engine_free(struct mp_engine *eng)
{
    if (!eng)
        return;
    for (int i = 0; i < NBUCKETS; i++)
        g_free(eng->b[i].e);
    for (uint32_t i = 0; i < eng->nspare; i++)
        g_free(eng->spare[i]);
    g_free(eng->heap);
    g_free(eng->free_ids);
    g_free(eng->cancelled);
    g_free(eng);
}

mp_time_t mp_engine_now(const struct mp_engine *eng)
{
    return eng->now;
}

const mp_time_t *mp_engine_clock(const struct mp_engine *eng)
{
    return &eng->now;
}

static uint32_t id_get(struct mp_engine *eng)
{
    if (eng->nfree)
        return eng->free_ids[--eng->nfree];
    if (G_UNLIKELY(eng->nids == eng->cap_ids)) {
        uint32_t old = eng->cap_ids;
        eng->cap_ids = old ? old * 2 : 1024;
        eng->free_ids = g_renew(uint32_t, eng->free_ids, eng->cap_ids);
        eng->cancelled = g_renew(uint64_t, eng->cancelled, eng->cap_ids / 64);
        memset(eng->cancelled + old / 64, 0, (eng->cap_ids - old) / 8);
    }
    return eng->nids++;
}

static inline bool id_cancelled(const struct mp_engine *eng, uint32_t id)
{
    return (eng->cancelled[id >> 6] >> (id & 63)) & 1;
}

/* The entry with |id| has left the queue: the id may be reused. */
static inline void id_put(struct mp_engine *eng, uint32_t id)
{
    eng->cancelled[id >> 6] &= ~(UINT64_C(1) << (id & 63));
    eng->free_ids[eng->nfree++] = id;
}

static inline uint32_t handle_id(const struct mp_event *h)
{
    return (uint32_t)((uintptr_t)h - 1);
}

static inline unsigned bucket_of(mp_time_t last, mp_time_t key)
{
    if (key == last)
        return (unsigned)(last & 255);
    unsigned level = (63u - (unsigned)__builtin_clzll(key ^ last)) >> 3;
    return level * 256 + (unsigned)((key >> (8 * level)) & 255);
}

static inline __attribute__((always_inline)) void bucket_append(struct mp_engine *eng, unsigned i, const struct entry *x)
{
    struct bucket *b = &eng->b[i];
    if (G_UNLIKELY(b->len == b->cap)) {
        if (b->cap == 0 && eng->nspare) {
            eng->nspare--;
            b->e = eng->spare[eng->nspare];
            b->cap = eng->spare_cap[eng->nspare];
        } else {
            b->cap = b->cap ? b->cap * 2 : 16;
            b->e = g_renew(struct entry, b->e, b->cap);
        }
    }
    if (i < 256 && b->len > b->head && b->e[b->len - 1].seq > x->seq)
        b->unsorted = true;
    b->e[b->len++] = *x;
    eng->used[i >> 8][(i >> 6) & 3] |= UINT64_C(1) << (i & 63);
    eng->level_mask |= 1u << (i >> 8);
}

static void bucket_empty(struct mp_engine *eng, unsigned i)
{
    unsigned level = i >> 8;
    uint64_t *u = eng->used[level];
    eng->b[i].len = 0;
    eng->b[i].head = 0;
    eng->b[i].unsorted = false;
    u[(i >> 6) & 3] &= ~(UINT64_C(1) << (i & 63));
    if (!(u[0] | u[1] | u[2] | u[3]))
        eng->level_mask &= ~(1u << level);
}

/* Moves the base down to |key| (< last), re-filing every entry. Only happens
 * when something is scheduled after a peek moved the base past now (at a stop
 * time), so it is rare. Entries with equal keys share a bucket, and buckets
 * are re-filed in order, so tie order survives. */
static void rebase(struct mp_engine *eng, mp_time_t key)
{
    struct bucket *old = g_memdup2(eng->b, sizeof(eng->b));

    memset(eng->b, 0, sizeof(eng->b));
    memset(eng->used, 0, sizeof(eng->used));
    eng->level_mask = 0;
    eng->last = key;
    for (int i = 0; i < NBUCKETS; i++) {
        for (uint32_t j = old[i].head; j < old[i].len; j++)
            bucket_append(eng, bucket_of(key, old[i].e[j].when), &old[i].e[j]);
        g_free(old[i].e);
    }
    g_free(old);
}

/* --- the small set: a binary heap ------------------------------------------ */

static inline bool before(const struct entry *a, const struct entry *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_push(struct mp_engine *eng, const struct entry *x)
{
    if (G_UNLIKELY(eng->queued == eng->hcap)) {
        eng->hcap = eng->hcap ? eng->hcap * 2 : 64;
        eng->heap = g_renew(struct entry, eng->heap, eng->hcap);
    }
    struct entry *h = eng->heap;
    uint32_t i = (uint32_t)eng->queued;
    while (i > 0) {
        uint32_t up = (i - 1) / 2;
        if (!before(x, &h[up]))
            break;
        h[i] = h[up];
        i = up;
    }
    h[i] = *x;
}

/* Sifts |x| down from position |i| of a heap of |n| entries. */
static void sift_down(struct entry *h, uint32_t n, uint32_t i, const struct entry *x)
{
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&h[c + 1], &h[c]))
            c++;
        if (!before(&h[c], x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = *x;
}

/* Removes the root; |queued| still counts it. */
static void heap_pop(struct mp_engine *eng)
{
    struct entry *h = eng->heap;
    uint32_t n = (uint32_t)eng->queued - 1;
    if (n == 0)
        return;
    struct entry x = h[n];
    sift_down(h, n, 0, &x);
}

/* Drops the cancelled entries from the heap and restores its order (Floyd's
 * construction, O(n)). A cancelled entry otherwise stays until its time
 * comes: a deadline moved earlier again and again (MPTCP's push at every
 * ACK cancels a timer hundreds of ms away) left nine dead entries for each
 * live one, and every pop sifted through them. */
static void heap_compact(struct mp_engine *eng)
{
    struct entry *h = eng->heap;
    uint32_t n = 0;
    for (uint64_t j = 0; j < eng->queued; j++) {
        if (id_cancelled(eng, h[j].id))
            id_put(eng, h[j].id);
        else
            h[n++] = h[j];
    }
    eng->queued = n;
    for (uint32_t i = n / 2; i-- > 0;) {
        struct entry x = h[i];
        sift_down(h, n, i, &x);
    }
}

/* The set has outgrown the heap: every entry moves to the radix heap, based
 * at now (no key is smaller). Equal keys may come in any sequence order;
 * the unsorted marks put them right before they run. */
static void to_radix(struct mp_engine *eng)
{
    eng->last = eng->now;
    for (uint64_t j = 0; j < eng->queued; j++)
        bucket_append(eng, bucket_of(eng->last, eng->heap[j].when), &eng->heap[j]);
    eng->radix = true;
}

/* The set has shrunk: the live entries move back to the heap. */
static void to_heap(struct mp_engine *eng)
{
    uint64_t n = eng->queued;
    eng->queued = 0;
    eng->radix = false;
    for (unsigned i = 0; i < NBUCKETS; i++) {
        struct bucket *b = &eng->b[i];
        if (!b->len)
            continue;
        for (uint32_t j = b->head; j < b->len; j++) {
            if (id_cancelled(eng, b->e[j].id)) {
                id_put(eng, b->e[j].id);
                n--;
                continue;
            }
            heap_push(eng, &b->e[j]);
            eng->queued++;
        }
        bucket_empty(eng, i);
    }
    g_assert(eng->queued == n);
}

/* Heap above HEAP_MAX entries: radix heap; radix heap below RADIX_MIN:
 * heap. The gap makes a switch cost O(1) per operation, amortised. A heap
 * of a few hundred entries stays in the first-level cache, where the radix
 * heap would move each event through two or three buckets in as many
 * cache lines; with many thousands pending, the radix heap's O(1) wins. */
#define HEAP_MAX 4096u
#define RADIX_MIN 512u

uint64_t mp_engine_reserve(struct mp_engine *eng)
{
    return eng->seq++;
}

struct mp_event *mp_engine_at(struct mp_engine *eng, mp_time_t when, mp_event_fn fn, void *arg)
{
    return mp_engine_at_seq(eng, when, eng->seq++, fn, arg);
}

struct mp_event *mp_engine_at_seq(struct mp_engine *eng, mp_time_t when, uint64_t seq,
                                  mp_event_fn fn, void *arg)
{
    struct entry x;

    if (when < eng->now)
        when = eng->now;
    if (G_UNLIKELY(eng->radix && when < eng->last))
        rebase(eng, when);
    x.when = when;
    x.fn = fn;
    x.arg = arg;
    x.seq = seq;
    x.id = id_get(eng);
    if (!eng->radix) {
        heap_push(eng, &x);
        eng->live++;
        if (G_UNLIKELY(++eng->queued > HEAP_MAX))
            to_radix(eng);
        return (struct mp_event *)(uintptr_t)(x.id + 1);
    }
    bucket_append(eng, bucket_of(eng->last, when), &x);
    eng->live++;
    eng->queued++;
    return (struct mp_event *)(uintptr_t)(x.id + 1);
}

void mp_engine_cancel(struct mp_engine *eng, struct mp_event *ev)
{
    uint32_t id = handle_id(ev);
    g_return_if_fail(id < eng->nids && !id_cancelled(eng, id));
    eng->cancelled[id >> 6] |= UINT64_C(1) << (id & 63);
    eng->live--;
    /* Compacting when the dead outnumber the live three to one (and a few
     * dozen) costs O(1) per cancel, amortised. */
    if (!eng->radix && eng->queued > 64 && eng->queued > 4 * eng->live)
        heap_compact(eng);
}

struct mp_event *mp_engine_reschedule(struct mp_engine *eng, struct mp_event *ev, mp_time_t when,
                                      mp_event_fn fn, void *arg)
{
    mp_engine_cancel(eng, ev);
    return mp_engine_at(eng, when, fn, arg);
}

/* Makes the current bucket non-empty if anything is queued, moving the base
 * up; returns that bucket or NULL when nothing is queued. */
static struct bucket *fill_current(struct mp_engine *eng)
{
    for (;;) {
        unsigned cur = (unsigned)(eng->last & 255);
        struct bucket *b = &eng->b[cur];
        if (b->head < b->len)
            return b;
        if (b->len)
            bucket_empty(eng, cur);
        if (!eng->level_mask)
            return NULL;

        unsigned level = (unsigned)__builtin_ctz(eng->level_mask);
        uint64_t *u = eng->used[level];
        unsigned w = 0;
        while (!u[w])
            w++;
        unsigned i = level * 256 + w * 64 + (unsigned)__builtin_ctzll(u[w]);
        b = &eng->b[i];
        if (level == 0) {
            /* Every entry of a level-0 bucket has the same key. */
            eng->last = (eng->last & ~(mp_time_t)255) | (i & 255);
            return b;
        }
        /* The new base is the bucket's lower bound: the bits its entries
         * share, with everything below byte |level| cleared. It need not be
         * the minimum (no scan): entries are re-filed relative to it into
         * lower levels, which are all empty now, and the loop goes on. */
        eng->last = b->e[0].when & ~((UINT64_C(1) << (8 * level)) - 1);
        struct entry *e = b->e;
        uint32_t n = b->len;
        bucket_empty(eng, i);
        for (uint32_t j = 0; j < n; j++)
            bucket_append(eng, bucket_of(eng->last, e[j].when), &e[j]);
        /* A small array stays with its bucket: nearly every event is
         * re-filed once (times a few hundred ns apart differ above the low
         * byte), and handing each array on cost a free and a regrowth per
         * event. A large one goes to the next bucket that fills instead of
         * staying with one that may not fill again (at most 2048 small
         * arrays stay: 4 MiB). */
        if (b->cap <= KEEP_CAP)
            continue;
        if (eng->nspare < SPARES) {
            eng->spare[eng->nspare] = b->e;
            eng->spare_cap[eng->nspare] = b->cap;
            eng->nspare++;
        } else {
            g_free(b->e);
        }
        b->e = NULL;
        b->cap = 0;
    }
}

/* Puts the unread entries of a level-0 bucket (one key) in sequence order:
 * an insertion sort, as only the few entries scheduled with a reserved
 * sequence are out of place. */
static void bucket_sort(struct bucket *b)
{
    for (uint32_t j = b->head + 1; j < b->len; j++) {
        struct entry x = b->e[j];
        uint32_t k = j;
        while (k > b->head && b->e[k - 1].seq > x.seq) {
            b->e[k] = b->e[k - 1];
            k--;
        }
        b->e[k] = x;
    }
    b->unsorted = false;
}

/* The next live entry, skipping (and recycling) cancelled ones; NULL if
 * none. Does not remove it. */
static struct entry *peek(struct mp_engine *eng, struct bucket **bp)
{
    if (!eng->radix) {
        while (eng->queued) {
            struct entry *e = &eng->heap[0];
            if (!id_cancelled(eng, e->id)) {
                *bp = NULL;
                return e;
            }
            uint32_t id = e->id;
            heap_pop(eng);
            eng->queued--;
            id_put(eng, id);
        }
        return NULL;
    }
    if (G_UNLIKELY(eng->queued < RADIX_MIN)) {
        to_heap(eng);
        return peek(eng, bp);
    }
    for (;;) {
        struct bucket *b = fill_current(eng);
        if (!b)
            return NULL;
        if (G_UNLIKELY(b->unsorted))
            bucket_sort(b);
        struct entry *e = &b->e[b->head];
        if (!id_cancelled(eng, e->id)) {
            *bp = b;
            return e;
        }
        b->head++;
        eng->queued--;
        id_put(eng, e->id);
    }
}

bool mp_engine_interrupted(const struct mp_engine *eng)
{
    return eng->interrupted != 0;
}

void mp_engine_advance(struct mp_engine *eng, mp_time_t t)
{
    if (t <= eng->now)
        return;
    g_return_if_fail(mp_engine_next_time(eng) >= t);
    eng->now = t;
}

mp_time_t mp_engine_next_time(struct mp_engine *eng)
{
    struct bucket *b;
    struct entry *e = peek(eng, &b);
    return e ? e->when : MP_TIME_NEVER;
}

bool mp_engine_step(struct mp_engine *eng)
{
    struct bucket *b;
    struct entry *e = peek(eng, &b);
    if (!e || e->when > eng->stop)
        return false;

    mp_event_fn fn = e->fn;
    void *arg = e->arg;
    mp_time_t when = e->when;
    uint32_t id = e->id;
    if (b)
        b->head++;
    else
        heap_pop(eng);
    eng->queued--;
    eng->live--;
    eng->now = when;
    id_put(eng, id);
    eng->events_run++;
    fn(arg, eng->now);
    return true;
}

void mp_engine_set_stop(struct mp_engine *eng, mp_time_t stop)
{
    eng->stop = stop;
}

void mp_engine_set_budget(struct mp_engine *eng, uint64_t events)
{
    eng->budget_end = events ? eng->events_run + events : 0;
}

enum mp_run_result mp_engine_run(struct mp_engine *eng)
{
    for (;;) {
        if (G_UNLIKELY(eng->interrupted))
            return MP_RUN_INTERRUPTED;
        if (G_UNLIKELY(eng->budget_end && eng->events_run >= eng->budget_end))
            return MP_RUN_BUDGET;
        if (!mp_engine_step(eng)) {
            /* Time runs up to the stop time even when nothing happens
             * there, so a later run continues from it. */
            if (eng->stop != MP_TIME_NEVER && eng->now < eng->stop)
                eng->now = eng->stop;
            return eng->live ? MP_RUN_STOP_TIME : MP_RUN_IDLE;
        }
    }
}

/* Sticky: an interrupted simulation (SIGINT) stays stopped. */
void mp_engine_interrupt(struct mp_engine *eng)
{
    eng->interrupted = 1;
}

uint64_t mp_engine_events_run(const struct mp_engine *eng)
{
    return eng->events_run;
}

uint64_t mp_engine_pending(const struct mp_engine *eng)
{
    return eng->live;
}
