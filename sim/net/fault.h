/*
 * afmp: fault decorators on link directions.
 *
 * A fault wraps one direction of a link (mp_link_add_fault()). Each packet
 * sent in that direction passes through the direction's faults in stage
 * order, then reaches the queue discipline:
 *
 *   middleboxes (middlebox.h) -> loss (Bernoulli, Gilbert-Elliott) ->
 *   corruption -> duplication -> reordering -> queue
 *
 * Why this order: a middlebox stands at the sending end of the wire, so
 * the wire's faults act on what it sends (a NAT makes its mapping even when
 * the translated packet is then lost, and damage done on the wire is not
 * covered up by a middlebox fixing checksums); a lost packet is neither
 * corrupted nor duplicated, so the counters do not overlap; a duplicate is
 * a copy of what went on the wire, damage included; duplicates may be
 * reordered like any packet. Link up/down is checked before all of them
 * (link.h).
 *
 * Probabilities are 32-bit fractions of 2^32 (model/rng.h);
 * mp_prob_from_ppm() builds them from parts per million. Here UINT32_MAX
 * means "always" (not "almost always"), so a scenario's 100% is exact. One
 * draw is taken per packet and decision whatever the probability, so a
 * stream stays aligned when a probability changes at run time.
 *
 * Each fault draws from its own stream "link/<name>/<end>/<kind>" (a second
 * fault of the same kind on the same direction gets "<kind>#2"), so changing
 * one fault or one link leaves every other draw unchanged.
 */
#ifndef MP_SIM_NET_FAULT_H
#define MP_SIM_NET_FAULT_H

#include "model/rng.h"
#include "sim/net/link.h"

/* Stage numbers: the order of decorators on a direction. Room is left
 * between them for later kinds (rate policers). */
enum mp_fault_stage {
    MP_FAULT_STAGE_MIDDLEBOX = 50,
    MP_FAULT_STAGE_LOSS = 100,
    MP_FAULT_STAGE_CORRUPT = 200,
    MP_FAULT_STAGE_DUP = 300,
    MP_FAULT_STAGE_REORDER = 400,
};

struct mp_fault;

struct mp_fault_ops {
    const char *kind; /* names the random stream and trace records */
    unsigned stage;   /* enum mp_fault_stage */
    /* Takes |pkt| and passes it on with mp_fault_next(), drops it with
     * mp_link_dir_drop(), or holds it (and passes it on later). */
    void (*input)(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now);
    /* Link down: drops held packets as MP_LINK_DROP_DOWN. May be NULL. */
    void (*purge)(struct mp_fault *f, mp_time_t now);
    /* Frees held packets (uncounted), cancels events. May be NULL. */
    void (*destroy)(struct mp_fault *f);
};

/* The common part of every fault; kinds embed it first. */
struct mp_fault {
    const struct mp_fault_ops *ops;
    struct mp_fault *next;   /* next stage; NULL: the queue */
    struct mp_link_dir *dir; /* set on attach */
    struct mp_rng rng;       /* derived on attach */
    uint32_t p32;            /* the main probability */
    uint64_t hits;           /* packets acted upon (lost, damaged, copied, held,
                                stripped, rewritten, translated, dropped) */
};

/* Bernoulli loss: each packet is lost with probability |p32|. */
struct mp_fault *mp_fault_loss_new(uint32_t p32);
/* The same with a probability in parts per million (scenario files). */
struct mp_fault *mp_fault_loss_new_ppm(uint32_t ppm);

/*
 * Gilbert-Elliott loss: a two-state chain, good and bad. Before each packet
 * the chain moves good->bad with probability |p| or bad->good with
 * probability |r|; the packet is then delivered with probability |k| in the
 * good state and |h| in the bad state (lost with 1-k and 1-h). The stationary
 * loss rate is (r(1-k) + p(1-h)) / (p + r); with k = 1 and h = 0 losses come
 * in bursts of mean length 1/r. The chain starts in the good state.
 * p32 (for mp_fault_set_prob) is |p|.
 */
struct mp_gilbert {
    uint32_t p, r, k, h; /* 32-bit fractions */
};
struct mp_fault *mp_fault_gilbert_new(const struct mp_gilbert *ge);

/* Corruption: with probability |p32| the packet's checksums are finalized
 * (mp_wire_csum_finalize(), so the damage is caught by checksums and not
 * hidden by a later lazy computation), one uniformly chosen bit of the
 * packet is flipped and the packet is marked MP_PKT_CSUM_UNTRUSTED. With
 * |fcs_drop| the damaged packet is instead dropped as MP_LINK_DROP_CORRUPT,
 * as a receiver that checks a frame check sequence would. */
struct mp_fault *mp_fault_corrupt_new(uint32_t p32, bool fcs_drop);

/* Duplication: with probability |p32| the packet is passed on followed by a
 * copy (mp_pkt_clone(): new id). */
struct mp_fault *mp_fault_dup_new(uint32_t p32);

/* Reordering: with probability |p32| the packet is held back for |extra| ns
 * before it goes on to the queue, so packets sent after it may overtake it.
 * Held packets leave in the order they came (a release time is clamped to
 * the previous one's). Costs one engine event per release time. */
struct mp_fault *mp_fault_reorder_new(uint32_t p32, mp_time_t extra);

/* Changes the main probability at |now| (traced as link.fault when
 * attached). */
void mp_fault_set_prob(struct mp_fault *f, uint32_t p32, mp_time_t now);

/* Frees a fault that was never attached (attached ones belong to the
 * link). */
void mp_fault_free(struct mp_fault *f);

/* For kinds defined in other files (middlebox.c): a zeroed fault of |size|
 * bytes (a struct that embeds struct mp_fault first). */
struct mp_fault *mp_fault_alloc(size_t size, const struct mp_fault_ops *ops, uint32_t p32);

/* True with probability p32 / 2^32, UINT32_MAX meaning always. Always takes
 * exactly one draw. */
static inline bool mp_fault_chance(struct mp_rng *r, uint32_t p32)
{
    uint32_t u = mp_rng_u32(r);
    return p32 == UINT32_MAX || u < p32;
}

/* Passes |pkt| to the stage after |f|. */
static inline void mp_fault_next(struct mp_fault *f, struct mp_pkt *pkt, mp_time_t now)
{
    if (f->next)
        f->next->ops->input(f->next, pkt, now);
    else
        mp_link_dir_enqueue(f->dir, pkt, now);
}

#endif
