/* afmp: fault decorators on link directions (see fault.h). */
#include "sim/net/fault.h"

#include "model/wire/wire.h"

struct mp_fault *mp_fault_alloc(size_t size, const struct mp_fault_ops *ops, uint32_t p32)
{
    struct mp_fault *f = g_malloc0(size);
    f->ops = ops;
    f->p32 = p32;
    return f;
}

void mp_fault_set_prob(struct mp_fault *f, uint32_t p32, mp_time_t now)
{
    f->p32 = p32;
    if (f->dir)
        mp_link_trace_fault(f->dir, f->ops->kind, p32, now);
}

void mp_fault_free(struct mp_fault *f)
{
    if (!f)
        return;
    if (f->ops->destroy)
        f->ops->destroy(f);
    g_free(f);
}

/* --- Bernoulli loss ------------------------------------------------------ */

static void loss_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    if (mp_fault_chance(&f->rng, f->p32)) {
        f->hits++;
        mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_LOSS, now);
        return;
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops loss_ops = {
    .kind = "loss",
    .stage = MP_FAULT_STAGE_LOSS,
    .input = loss_input,
};

struct mp_fault *mp_fault_loss_new(uint32_t p32)
{
    return mp_fault_alloc(sizeof(struct mp_fault), &loss_ops, p32);
}

struct mp_fault *mp_fault_loss_new_ppm(uint32_t ppm)
{
    return mp_fault_loss_new(mp_prob_from_ppm(ppm));
}

/* --- Gilbert-Elliott loss ------------------------------------------------ */

struct gilbert {
    struct mp_fault f; /* f.p32 is p (good -> bad) */
    uint32_t r, k, h;
    bool bad;
};

static void gilbert_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct gilbert *g = (struct gilbert *)f;

    /* Transition first, then the state's loss decision: one draw each. */
    if (g->bad)
        g->bad = !mp_fault_chance(&f->rng, g->r);
    else
        g->bad = mp_fault_chance(&f->rng, f->p32);
    if (!mp_fault_chance(&f->rng, g->bad ? g->h : g->k)) {
        f->hits++;
        mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_LOSS, now);
        return;
    }
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops gilbert_ops = {
    .kind = "gilbert",
    .stage = MP_FAULT_STAGE_LOSS,
    .input = gilbert_input,
};

struct mp_fault *mp_fault_gilbert_new(const struct mp_gilbert *ge)
{
    struct gilbert *g = (struct gilbert *)mp_fault_alloc(sizeof(*g), &gilbert_ops, ge->p);
    g->r = ge->r;
    g->k = ge->k;
    g->h = ge->h;
    return &g->f;
}

/* --- corruption ---------------------------------------------------------- */

struct corrupt {
    struct mp_fault f;
    bool fcs_drop;
};

static void corrupt_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct corrupt *c = (struct corrupt *)f;

    if (!mp_fault_chance(&f->rng, f->p32) || pkt->len == 0) {
        mp_fault_next(f, pkt, now);
        return;
    }
    f->hits++;
    if (c->fcs_drop) {
        mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_CORRUPT, now);
        return;
    }
    /* Real checksums first: computed after the damage they would cover it
     * up. A packet that does not parse keeps its flag and is damaged
     * anyway. */
    (void)mp_wire_csum_finalize(pkt);
    uint64_t bit = mp_rng_below(&f->rng, (uint64_t)pkt->len * 8u);
    pkt->data[bit >> 3] ^= (uint8_t)(1u << (bit & 7));
    pkt->flags |= MP_PKT_CSUM_UNTRUSTED;
    f->dir->st.corrupted++;
    mp_fault_next(f, pkt, now);
}

static const struct mp_fault_ops corrupt_ops = {
    .kind = "corrupt",
    .stage = MP_FAULT_STAGE_CORRUPT,
    .input = corrupt_input,
};

struct mp_fault *mp_fault_corrupt_new(uint32_t p32, bool fcs_drop)
{
    struct corrupt *c = (struct corrupt *)mp_fault_alloc(sizeof(*c), &corrupt_ops, p32);
    c->fcs_drop = fcs_drop;
    return &c->f;
}

/* --- duplication --------------------------------------------------------- */

static void dup_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    if (!mp_fault_chance(&f->rng, f->p32)) {
        mp_fault_next(f, pkt, now);
        return;
    }
    /* Copy before passing on: the next stage may free the original. */
    struct mp_pkt *copy = mp_pkt_clone(pkt);
    f->hits++;
    f->dir->st.duplicated++;
    mp_fault_next(f, pkt, now);
    mp_fault_next(f, copy, now);
}

static const struct mp_fault_ops dup_ops = {
    .kind = "dup",
    .stage = MP_FAULT_STAGE_DUP,
    .input = dup_input,
};

struct mp_fault *mp_fault_dup_new(uint32_t p32)
{
    return mp_fault_alloc(sizeof(struct mp_fault), &dup_ops, p32);
}

/* --- reordering ---------------------------------------------------------- */

struct reorder {
    struct mp_fault f;
    mp_time_t extra;
    mp_time_t last_release;
    struct mp_pkt_queue held; /* pkt->ts: release time, non-decreasing */
    struct mp_event *ev;      /* release of the head; NULL when none held */
};

static void reorder_fire(void *arg, mp_time_t now)
{
    struct reorder *ro = arg;
    struct mp_pkt *pkt;

    ro->ev = NULL;
    while (ro->held.head && ro->held.head->ts <= now) {
        pkt = mp_pkt_queue_pop(&ro->held);
        mp_fault_next(&ro->f, pkt, now);
    }
    if (ro->held.head)
        ro->ev = mp_engine_at(mp_link_engine(ro->f.dir->link), ro->held.head->ts, reorder_fire, ro);
}

static void reorder_input(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    struct reorder *ro = (struct reorder *)f;
    mp_time_t release;

    if (!mp_fault_chance(&f->rng, f->p32)) {
        mp_fault_next(f, pkt, now);
        return;
    }
    f->hits++;
    f->dir->st.reordered++;
    release = now + ro->extra;
    if (release < ro->last_release)
        release = ro->last_release;
    ro->last_release = release;
    pkt->ts = release;
    mp_pkt_queue_push(&ro->held, pkt);
    if (!ro->ev)
        ro->ev = mp_engine_at(mp_link_engine(f->dir->link), release, reorder_fire, ro);
}

static void reorder_purge(struct mp_fault *f, mp_time_t now)
{
    struct reorder *ro = (struct reorder *)f;
    struct mp_pkt *pkt;

    if (ro->ev) {
        mp_engine_cancel(mp_link_engine(f->dir->link), ro->ev);
        ro->ev = NULL;
    }
    while ((pkt = mp_pkt_queue_pop(&ro->held)))
        mp_link_dir_drop(f->dir, pkt, MP_LINK_DROP_DOWN, now);
    ro->last_release = now;
}

static void reorder_destroy(struct mp_fault *f)
{
    struct reorder *ro = (struct reorder *)f;

    if (ro->ev)
        mp_engine_cancel(mp_link_engine(f->dir->link), ro->ev);
    mp_pkt_queue_purge(&ro->held);
}

static const struct mp_fault_ops reorder_ops = {
    .kind = "reorder",
    .stage = MP_FAULT_STAGE_REORDER,
    .input = reorder_input,
    .purge = reorder_purge,
    .destroy = reorder_destroy,
};

struct mp_fault *mp_fault_reorder_new(uint32_t p32, mp_time_t extra)
{
    struct reorder *ro = (struct reorder *)mp_fault_alloc(sizeof(*ro), &reorder_ops, p32);
    ro->extra = extra;
    return &ro->f;
}
