/*
 * afmp: coupled congestion control for MPTCP subflows: LIA (RFC 6356),
 * OLIA (Khalili et al., "MPTCP is not Pareto-optimal", CoNEXT 2012) and
 * BALIA (Peng et al., "Multipath TCP: analysis, design and
 * implementation", IEEE/ACM ToN 2016), as the out-of-tree Linux v0.9x
 * kernels carried them (mptcp_coupled.c, mptcp_olia.c, mptcp_balia.c).
 *
 * Every subflow keeps its own window (segments, model/tcp/cc.h); slow start
 * and the reaction to a retransmission timeout are TCP's own. In congestion
 * avoidance each acknowledged segment grows the subflow's window by an
 * amount that depends on all the subflows of the connection (their windows
 * and smoothed RTTs); BALIA also couples the decrease after a loss.
 *
 * The arithmetic is integer fixed point so that a run gives the same bytes
 * on every machine; the functions below compute it from plain arrays, for
 * the algorithms and for the unit tests. RTTs are in microseconds (Linux's
 * srtt_us), windows in segments.
 */
#ifndef MP_MPTCP_CC_COUPLED_H
#define MP_MPTCP_CC_COUPLED_H

#include "model/types.h"

/* One subflow as the coupled algorithms see it. */
struct mp_cc_path {
    uint32_t cwnd;   /* segments */
    uint64_t rtt_us; /* smoothed RTT, at least 1 */
    uint64_t l;      /* OLIA: max(l1, l2), segments between losses */
};

/* LIA's alpha scaled by 2^12 (Linux's alpha_scale):
 *   alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i cwnd_i / rtt_i)^2
 * computed as Linux's mptcp_ccc_recalc_alpha (numerator scaled 2^32,
 * denominator terms 2^10, relative to the RTT of the path with the largest
 * cwnd / rtt^2). 0 for no path. */
#define MP_CC_LIA_ALPHA_SHIFT 12
uint64_t mp_cc_lia_alpha(const struct mp_cc_path *p, size_t n);

/* LIA in congestion avoidance: the subflow with window |cwnd| grows by one
 * segment per this many acknowledged segments, i.e. RFC 6356's
 * min(alpha / cwnd_total, 1 / cwnd) per segment:
 * max(cwnd, cwnd_total * 2^12 / alpha). */
uint32_t mp_cc_lia_ai_window(uint32_t cwnd, uint64_t cwnd_total, uint64_t alpha);

/* The increase per acknowledged segment of OLIA and BALIA, scaled by
 * 2^24 (may be negative for OLIA). */
#define MP_CC_INC_SHIFT 24

/* (w_r / rtt_r^2) / (sum_p w_p / rtt_p)^2 for path |r|, scaled 2^24: the
 * first term of OLIA, the base of BALIA's increase; 1 / w_r for a single
 * path, as Reno. */
int64_t mp_cc_coupled_term(const struct mp_cc_path *p, size_t n, size_t r);

/* OLIA's alpha_r (Khalili et al. eq. 5) as a fraction num / den (den > 0):
 * with B the paths with the largest l^2 / rtt^2 and M those with the
 * largest window, 1 / (|P| |B \ M|) for r in B \ M, -1 / (|P| |M|) for r in
 * M when B \ M is not empty, else 0. */
void mp_cc_olia_alpha(const struct mp_cc_path *p, size_t n, size_t r, int64_t *num,
                      int64_t *den);

/* OLIA's increase per acknowledged segment on path r, scaled 2^24:
 * term + alpha_r / w_r. */
int64_t mp_cc_olia_inc(const struct mp_cc_path *p, size_t n, size_t r);

/* BALIA's alpha_r = max_k x_k / x_r with x = w / rtt, scaled 2^10 (at
 * least 2^10, at most 2^20). */
#define MP_CC_BALIA_ALPHA_SHIFT 10
uint64_t mp_cc_balia_alpha(const struct mp_cc_path *p, size_t n, size_t r);

/* BALIA's increase per acknowledged segment, scaled 2^24:
 * term * ((1 + alpha) / 2) * ((4 + alpha) / 5). */
int64_t mp_cc_balia_inc(const struct mp_cc_path *p, size_t n, size_t r);

/* BALIA's window after a loss: w_r - (w_r / 2) * min(alpha_r, 1.5), at
 * least 2. */
uint32_t mp_cc_balia_ssthresh(const struct mp_cc_path *p, size_t n, size_t r);

/* Applies a scaled increase |inc| (per segment) for |acked| segments to
 * *cwnd with the signed credit *cnt (scaled 2^24): whole segments move
 * the window, within [1, clamp]. */
void mp_cc_apply_inc(uint32_t *cwnd, int64_t *cnt, int64_t inc, uint32_t acked, uint32_t clamp);

#endif
