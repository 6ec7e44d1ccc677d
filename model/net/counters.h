/*
 * afmp: named per-host counters.
 *
 * Every protocol event and anomaly bumps a counter; scenarios and tests
 * assert on them by name. Names follow Linux's SNMP/netstat counters where
 * the meaning is the same (IpInReceives, UdpNoPorts, ...); afmp's own carry
 * an "Afmp" prefix. Later layers add their counters to this one list, so a
 * host is a flat array of uint64_t and an increment is one add.
 */
#ifndef MP_NET_COUNTERS_H
#define MP_NET_COUNTERS_H

#include "model/types.h"

#define MP_COUNTER_LIST(X)                                                                        \
    X(IP_IN_RECEIVES, "IpInReceives")                                                             \
    X(IP_IN_HDR_ERRORS, "IpInHdrErrors")                                                          \
    X(IP_IN_TRUNCATED, "IpExtInTruncatedPkts")                                                   \
    X(IP_IN_CSUM_ERRORS, "IpExtInCsumErrors")                                                     \
    X(IP_IN_ADDR_ERRORS, "IpInAddrErrors")                                                        \
    X(IP_IN_UNKNOWN_PROTOS, "IpInUnknownProtos")                                                  \
    X(IP_IN_DISCARDS, "IpInDiscards")                                                             \
    X(IP_IN_DELIVERS, "IpInDelivers")                                                             \
    X(IP_FORW_DATAGRAMS, "IpForwDatagrams")                                                       \
    X(IP_OUT_REQUESTS, "IpOutRequests")                                                           \
    X(IP_OUT_NO_ROUTES, "IpOutNoRoutes")                                                          \
    X(IP_OUT_DISCARDS, "IpOutDiscards")                                                           \
    X(IP_IN_FRAGS, "AfmpIpInFragments")                                                           \
    X(IP_OUT_LINKDOWN, "AfmpIpOutLinkDown")                                                       \
    X(IP_TOO_BIG, "AfmpIpOutTooBig")                                                              \
    X(UDP_IN_DATAGRAMS, "UdpInDatagrams")                                                         \
    X(UDP_NO_PORTS, "UdpNoPorts")                                                                 \
    X(UDP_IN_ERRORS, "UdpInErrors")                                                               \
    X(UDP_IN_CSUM_ERRORS, "UdpInCsumErrors")                                                      \
    X(UDP_RCVBUF_ERRORS, "UdpRcvbufErrors")                                                       \
    X(UDP_OUT_DATAGRAMS, "UdpOutDatagrams")                                                       \
    X(ICMP_IN_MSGS, "IcmpInMsgs")                                                                 \
    X(ICMP_IN_ERRORS, "IcmpInErrors")                                                             \
    X(ICMP_IN_CSUM_ERRORS, "IcmpInCsumErrors")                                                    \
    X(ICMP_IN_ECHOS, "IcmpInEchos")                                                               \
    X(ICMP_IN_ECHO_REPS, "IcmpInEchoReps")                                                        \
    X(ICMP_IN_DEST_UNREACHS, "IcmpInDestUnreachs")                                                \
    X(ICMP_IN_TIME_EXCDS, "IcmpInTimeExcds")                                                      \
    X(ICMP_OUT_MSGS, "IcmpOutMsgs")                                                               \
    X(ICMP_OUT_ECHOS, "IcmpOutEchos")                                                             \
    X(ICMP_OUT_ECHO_REPS, "IcmpOutEchoReps")                                                      \
    X(ICMP_OUT_DEST_UNREACHS, "IcmpOutDestUnreachs")                                              \
    X(ICMP_OUT_TIME_EXCDS, "IcmpOutTimeExcds")                                                    \
    X(ICMP6_IN_MSGS, "Icmp6InMsgs")                                                               \
    X(ICMP6_IN_ERRORS, "Icmp6InErrors")                                                           \
    X(ICMP6_IN_CSUM_ERRORS, "Icmp6InCsumErrors")                                                  \
    X(ICMP6_IN_ECHOS, "Icmp6InEchos")                                                             \
    X(ICMP6_IN_ECHO_REPLIES, "Icmp6InEchoReplies")                                                \
    X(ICMP6_IN_DEST_UNREACHS, "Icmp6InDestUnreachs")                                              \
    X(ICMP6_IN_TIME_EXCDS, "Icmp6InTimeExcds")                                                    \
    X(ICMP6_IN_PKT_TOO_BIGS, "Icmp6InPktTooBigs")                                                 \
    X(ICMP6_OUT_MSGS, "Icmp6OutMsgs")                                                             \
    X(ICMP6_OUT_ECHOS, "Icmp6OutEchos")                                                           \
    X(ICMP6_OUT_ECHO_REPLIES, "Icmp6OutEchoReplies")                                              \
    X(ICMP6_OUT_DEST_UNREACHS, "Icmp6OutDestUnreachs")                                            \
    X(ICMP6_OUT_TIME_EXCDS, "Icmp6OutTimeExcds") \
    X(ICMP6_IN_ROUTER_ADVERTS, "Icmp6InRouterAdvertisements") \
    X(ICMP6_OUT_ROUTER_ADVERTS, "Icmp6OutRouterAdvertisements") \
    X(ICMP6_IN_BAD_RA, "AfmpIcmp6InBadRA") \
    X(ADDR_AUTOCONF, "AfmpAddrAutoconf") \
    X(ADDR_EXPIRED, "AfmpAddrExpired") \
    X(ADDR_FLUSHED, "AfmpAddrFlushed") \
    X(TCP_ACTIVE_OPENS, "TcpActiveOpens") \
    X(TCP_PASSIVE_OPENS, "TcpPassiveOpens") \
    X(TCP_ATTEMPT_FAILS, "TcpAttemptFails") \
    X(TCP_ESTAB_RESETS, "TcpEstabResets") \
    X(TCP_IN_SEGS, "TcpInSegs") \
    X(TCP_OUT_SEGS, "TcpOutSegs") \
    X(TCP_RETRANS_SEGS, "TcpRetransSegs") \
    X(TCP_IN_ERRS, "TcpInErrs") \
    X(TCP_IN_CSUM_ERRORS, "TcpInCsumErrors") \
    X(TCP_OUT_RSTS, "TcpOutRsts") \
    X(TCP_TIMEOUTS, "TcpExtTCPTimeouts") \
    X(TCP_FAST_RETRANS, "TcpExtTCPFastRetrans") \
    X(TCP_SACK_RECOVERY, "TcpExtTCPSackRecovery") \
    X(TCP_RENO_RECOVERY, "TcpExtTCPRenoRecovery") \
    X(TCP_LOSS_PROBES, "TcpExtTCPLossProbes") \
    X(TCP_LOSS_PROBE_RECOVERY, "TcpExtTCPLossProbeRecovery") \
    X(TCP_ACK_SKIPPED_PAWS, "TcpExtTCPACKSkippedPAWS") \
    X(TCP_ACK_SKIPPED_SEQ, "TcpExtTCPACKSkippedSeq") \
    X(TCP_DSACK_UNDO, "TcpExtTCPDSACKUndo") \
    X(TCP_FULL_UNDO, "TcpExtTCPFullUndo") \
    X(TCP_LOSS_UNDO, "TcpExtTCPLossUndo") \
    X(TCP_CHALLENGE_ACK, "TcpExtTCPChallengeACK") \
    X(TCP_OFO_QUEUE, "TcpExtTCPOFOQueue") \
    X(TCP_DSACK_RECV, "TcpExtTCPDSACKRecv") \
    X(TCP_DSACK_OLD_SENT, "TcpExtTCPDSACKOldSent") \
    X(TCP_DELAYED_ACKS, "TcpExtDelayedACKs") \
    X(TCP_PAWS_ESTAB, "TcpExtPAWSEstab") \
    X(TCP_LISTEN_DROPS, "TcpExtListenDrops") \
    X(TCP_LISTEN_OVERFLOWS, "TcpExtListenOverflows") \
    X(TCP_ABORT_ON_TIMEOUT, "TcpExtTCPAbortOnTimeout") \
    X(TCP_ABORT_ON_CLOSE, "TcpExtTCPAbortOnClose") \
    X(TCP_ABORT_ON_DATA, "TcpExtTCPAbortOnData") \
    X(TCP_WIN_PROBE, "TcpExtTCPWinProbe") \
    X(TCP_KEEPALIVE, "TcpExtTCPKeepAlive") \
    X(TCP_OFO_DROP, "TcpExtTCPOFODrop") \
    X(TCP_TW, "TcpExtTW") \
    X(TCP_ACK_SKIPPED_CHALLENGE, "TcpExtTCPACKSkippedChallenge")

/* MPTCP (model/mptcp): Linux's MPTcpExt* names where the meaning is the
 * same. */
#define MP_COUNTER_LIST_MPTCP(X) \
    X(MPTCP_MP_CAPABLE_SYNRX, "MPTcpExtMPCapableSYNRX") \
    X(MPTCP_MP_CAPABLE_SYNTX, "MPTcpExtMPCapableSYNTX") \
    X(MPTCP_MP_CAPABLE_SYNACKRX, "MPTcpExtMPCapableSYNACKRX") \
    X(MPTCP_MP_CAPABLE_ACKRX, "MPTcpExtMPCapableACKRX") \
    X(MPTCP_MP_CAPABLE_DATA_FALLBACK, "MPTcpExtMPCapableDataFallback") \
    X(MPTCP_MP_CAPABLE_FALLBACK_ACK, "MPTcpExtMPCapableFallbackACK") \
    X(MPTCP_MP_CAPABLE_FALLBACK_SYNACK, "MPTcpExtMPCapableFallbackSYNACK") \
    X(MPTCP_MP_FALLBACK_TOKEN_INIT, "MPTcpExtMPFallbackTokenInit") \
    X(MPTCP_RETRANS, "MPTcpExtMPTCPRetrans") \
    X(MPTCP_MP_JOIN_NO_TOKEN_FOUND, "MPTcpExtMPJoinNoTokenFound") \
    X(MPTCP_MP_JOIN_SYN_RX, "MPTcpExtMPJoinSynRx") \
    X(MPTCP_MP_JOIN_SYN_TX, "MPTcpExtMPJoinSynTx") \
    X(MPTCP_MP_JOIN_SYN_ACK_RX, "MPTcpExtMPJoinSynAckRx") \
    X(MPTCP_MP_JOIN_SYN_ACK_HMAC_FAILURE, "MPTcpExtMPJoinSynAckHMacFailure") \
    X(MPTCP_MP_JOIN_ACK_RX, "MPTcpExtMPJoinAckRx") \
    X(MPTCP_MP_JOIN_ACK_HMAC_FAILURE, "MPTcpExtMPJoinAckHMacFailure") \
    X(MPTCP_MP_JOIN_REJECTED, "MPTcpExtMPJoinRejected") \
    X(MPTCP_DSS_NOT_MATCHING, "MPTcpExtDSSNotMatching") \
    X(MPTCP_DSS_NO_MATCH_TCP, "MPTcpExtDSSNoMatchTCP") \
    X(MPTCP_INFINITE_MAP_RX, "MPTcpExtInfiniteMapRx") \
    X(MPTCP_DATA_CSUM_ERR, "MPTcpExtDataCsumErr") \
    X(MPTCP_OFO_QUEUE_TAIL, "MPTcpExtOFOQueueTail") \
    X(MPTCP_OFO_QUEUE, "MPTcpExtOFOQueue") \
    X(MPTCP_OFO_MERGE, "MPTcpExtOFOMerge") \
    X(MPTCP_NO_DSS_IN_WINDOW, "MPTcpExtNoDSSInWindow") \
    X(MPTCP_DUPLICATE_DATA, "MPTcpExtDuplicateData") \
    X(MPTCP_MP_RST_TX, "MPTcpExtMPRstTx") \
    X(MPTCP_MP_RST_RX, "MPTcpExtMPRstRx") \
    X(MPTCP_SUBFLOW_STALE, "MPTcpExtSubflowStale") \
    X(MPTCP_SUBFLOW_RECOVER, "MPTcpExtSubflowRecover") \
    X(MPTCP_OPP_RETRANS, "AfmpMPTcpOpportunisticRetrans") \
    X(MPTCP_PENALISE, "AfmpMPTcpPenalise") \
    X(MPTCP_ADD_ADDR, "MPTcpExtAddAddr") \
    X(MPTCP_ADD_ADDR_TX, "MPTcpExtAddAddrTx") \
    X(MPTCP_ADD_ADDR_DROP, "MPTcpExtAddAddrDrop") \
    X(MPTCP_ECHO_ADD, "MPTcpExtEchoAdd") \
    X(MPTCP_ECHO_ADD_TX, "MPTcpExtEchoAddTx") \
    X(MPTCP_RM_ADDR, "MPTcpExtRmAddr") \
    X(MPTCP_RM_ADDR_TX, "MPTcpExtRmAddrTx") \
    X(MPTCP_RM_SUBFLOW, "MPTcpExtRmSubflow") \
    X(MPTCP_MP_PRIO_TX, "MPTcpExtMPPrioTx") \
    X(MPTCP_MP_PRIO_RX, "MPTcpExtMPPrioRx") \
    X(MPTCP_MP_FAIL_TX, "MPTcpExtMPFailTx") \
    X(MPTCP_MP_FAIL_RX, "MPTcpExtMPFailRx") \
    X(MPTCP_MP_FASTCLOSE_TX, "MPTcpExtMPFastcloseTx") \
    X(MPTCP_MP_FASTCLOSE_RX, "MPTcpExtMPFastcloseRx") \
    X(MPTCP_INFINITE_MAP_TX, "MPTcpExtInfiniteMapTx") \
    X(MPTCP_OPT_MALFORMED, "AfmpMPTcpOptMalformed") \
    X(MPTCP_ADDR_IGNORED, "AfmpMPTcpAddrIgnored") \
    X(MPTCP_FASTCLOSE_BAD_KEY, "AfmpMPTcpFastcloseBadKey") \
    X(MPTCP_OPTS_MISSING, "AfmpMPTcpOptionsMissing")

enum mp_ctr {
#define MP_CTR_ENUM(id, name) MP_CTR_##id,
    MP_COUNTER_LIST(MP_CTR_ENUM)
    MP_COUNTER_LIST_MPTCP(MP_CTR_ENUM)
#undef MP_CTR_ENUM
    MP_CTR__COUNT
};

struct mp_counters {
    uint64_t v[MP_CTR__COUNT];
};

static inline void mp_ctr_inc(struct mp_counters *c, enum mp_ctr id)
{
    c->v[id]++;
}

static inline void mp_ctr_add(struct mp_counters *c, enum mp_ctr id, uint64_t n)
{
    c->v[id] += n;
}

/* The name of counter |id| ("IpInReceives"). */
const char *mp_ctr_name(enum mp_ctr id);

/* The counter named |name| (exact, case-sensitive), or -1. */
int mp_ctr_lookup(const char *name);

#endif
