/*
 * afmp: the stub resolver of simulated processes.
 *
 * Name lookups run in the calling process: they send real DNS queries over
 * UDP through the afmp socket API to the host's name server and block
 * (park the process) until the answers or the timeout, in virtual time.
 * There is no hosts file, no search list and no cache: a name is sent as
 * given (a final dot is allowed), numeric addresses are returned without a
 * query.
 *
 * Configuration is per host, as /etc/resolv.conf is: one name server (the
 * scenario's [nameserver] is the same for every host), a timeout per attempt
 * and a number of attempts. Defaults are glibc's: 5 s and 2 attempts
 * (RES_TIMEOUT, RES_DFLRETRY), and without a configured server the
 * loopback address 127.0.0.1 port 53, as glibc uses when resolv.conf names
 * none.
 *
 * Timing (deterministic, so tests can assert it to the nanosecond): each
 * attempt sends every query still unanswered, back to back, then waits up
 * to the timeout for the answers; a query nobody answered after the last
 * attempt fails with TRY_AGAIN, so a lookup against a silent server takes
 * exactly attempts x timeout. An answer, whatever its RCODE, ends its
 * query: SERVFAIL is not retried (glibc would try the next server; there is
 * only one). Unlike glibc, afmp does not fall back to one query at a time
 * after a partial timeout: it keeps sending both.
 *
 * Answers are accepted only from the server's address and port, with the
 * query's ID, QR set and the question echoed (RFC 5452 9.1); anything else
 * is ignored. Records count when their owner is the name asked (CNAME
 * chains are not followed) and their type the one asked; a truncated (TC)
 * answer is used as it is (there is no DNS over TCP yet).
 *
 * RCODE to h_errno, as glibc maps them: NOERROR with records: success;
 * NOERROR without: NO_DATA; NXDOMAIN: HOST_NOT_FOUND; SERVFAIL or no
 * answer: TRY_AGAIN; FORMERR, NOTIMP, REFUSED and the rest: NO_RECOVERY.
 *
 * AF_MULTIPATH (afmp/sockaddr_mp.h): the A and AAAA queries leave together
 * (both on the wire before any answer, as glibc's parallel A/AAAA lookup),
 * the lookup waits for both, and the result is ONE container holding every
 * address, ordered by RFC 6724 destination selection (section 6) from the
 * calling host's routes and addresses. One family failing still returns the
 * other family's addresses; when both fail, the error is TRY_AGAIN if
 * either was temporary, else HOST_NOT_FOUND if either said NXDOMAIN, else
 * NO_DATA (NO_RECOVERY only if both were).
 *
 * Where state lives (interim, see the report): the per-host configuration
 * and the per-process h_errno and gethostbyname2() buffer live in a record
 * that the socket layer keeps for the host (afmp_stack_resolver_slot()).
 * Until the socket layer provides that slot, afmp_resolver_set_server()
 * fails with ENOSYS, lookups use the defaults, afmp_gethostbyname2() fails
 * with NETDB_INTERNAL/ENOSYS (use afmp_gethostbyname2_r()) and
 * afmp_h_errno_location() returns NULL.
 *
 * Every call must come from a simulated process except the
 * afmp_resolver_host_* functions, which the code that builds a world uses.
 */
#ifndef AFMP_RESOLVER_H
#define AFMP_RESOLVER_H

#include <netdb.h>
#include <stdint.h>
#include <sys/socket.h>

/* Relative includes only, so that programs built with afmp/compat.h find
 * this header without the project's include path. */
#include "sockaddr_mp.h"

struct mp_host;
struct mp_ip; /* model/types.h */

/* glibc's defaults (resolv.h: RES_TIMEOUT, RES_DFLRETRY); nanoseconds. */
#define AFMP_RES_TIMEOUT UINT64_C(5000000000)
#define AFMP_RES_ATTEMPTS 2u
#define AFMP_RES_MAX_ATTEMPTS 5u /* RES_MAXRETRY */
/* Addresses kept per lookup (both families together): one container. */
#define AFMP_RES_MAX_ADDRS AFMP_MP_MAX_ENTRIES

/* ---- configuration ---- */

/*
 * afmp_resolver_set_server makes |sa| (a sockaddr_in or sockaddr_in6 of
 * |len| bytes; port 0 means 53) the name server of the calling process's
 * host. Returns 0, or -1 with errno: EPERM (not in a process), EINVAL (NULL,
 * too short), EAFNOSUPPORT (another family), ENOSYS (the socket layer keeps
 * no resolver state yet).
 */
int afmp_resolver_set_server(const struct sockaddr *sa, socklen_t len);

/*
 * afmp_resolver_set_options sets the calling host's timeout per attempt
 * (|timeout_ns| > 0) and number of attempts (1..AFMP_RES_MAX_ATTEMPTS).
 * Returns 0, or -1 with errno EPERM, EINVAL (out of range), ENOSYS.
 */
int afmp_resolver_set_options(uint64_t timeout_ns, unsigned attempts);

/* The same for host |h|, from outside any process (the world builder).
 * Same errors, except EPERM. */
int afmp_resolver_host_set_server(struct mp_host *h, const struct sockaddr *sa, socklen_t len);
int afmp_resolver_host_set_options(struct mp_host *h, uint64_t timeout_ns, unsigned attempts);

/* Frees a host's resolver record (what afmp_stack_resolver_slot() holds);
 * for the socket layer when it detaches from the host. NULL is ignored. */
void afmp_resolver_host_free(void *state);

/* ---- the lookup core ---- */

/*
 * afmp_resolver_lookup resolves |name| for |af|: AF_INET (A), AF_INET6
 * (AAAA), AF_UNSPEC or AF_MULTIPATH (both, in parallel). Stores up to |max|
 * addresses in |out| and their number in |*n|: the answer order for one
 * family, RFC 6724 order (afmp_resolver_sort) for two. Numeric names of a
 * suitable family are returned without a query. Returns 0, or an h_errno
 * value: HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY, or NETDB_INTERNAL
 * with errno set (EPERM outside a process, EAFNOSUPPORT for another |af|,
 * EINVAL for a name that is no valid domain name: empty label, label > 63,
 * name > 255 bytes).
 */
int afmp_resolver_lookup(const char *name, int af, struct mp_ip *out, size_t max, size_t *n);

/*
 * afmp_resolver_sort orders |a[0..n)| by RFC 6724 section 6 as host |h|
 * sees them (mp_dstsort_fill over its routing table and addresses, default
 * policy table, stable for ties).
 */
void afmp_resolver_sort(const struct mp_host *h, struct mp_ip *a, size_t n);

/* ---- the classic calls ---- */

/*
 * afmp_gethostbyname2 looks |name| up for |af| (AF_INET, AF_INET6 or
 * AF_MULTIPATH) and returns a hostent in per-process storage, valid until
 * the process's next call; NULL with h_errno (afmp_h_errno_location) set on
 * failure. AF_MULTIPATH gives h_addrtype AF_MULTIPATH, one "address" in
 * h_addr_list: the container, h_length bytes long, every port 0.
 */
struct hostent *afmp_gethostbyname2(const char *name, int af);

/*
 * afmp_gethostbyname2_r is the reentrant form (glibc's signature): the
 * result is built in |ret| and |buf| (|buflen| bytes). Returns 0 with
 * *result = ret, or 0 with *result NULL and *h_errnop set when the name does
 * not resolve; or ERANGE when |buf| is too small (*h_errnop NETDB_INTERNAL),
 * or another errno value with *h_errnop NETDB_INTERNAL.
 */
int afmp_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                          struct hostent **result, int *h_errnop);

/* The calling process's h_errno (NULL outside a process, or while the
 * socket layer keeps no resolver state). */
int *afmp_h_errno_location(void);
#define afmp_h_errno (*afmp_h_errno_location())

/* A short static description of an h_errno value. */
const char *afmp_hstrerror(int err);
/* Logs "S: description of h_errno" to the process's log (afmp_log). */
void afmp_herror(const char *s);

/*
 * afmp_getaddrinfo is getaddrinfo(3) over afmp_resolver_lookup.
 *  - hints->ai_family: AF_UNSPEC, AF_INET, AF_INET6, AF_MULTIPATH. With
 *    AF_MULTIPATH the result is one addrinfo whose ai_addr is the container
 *    (every entry with the service's port), ai_socktype and ai_protocol as
 *    hinted. Otherwise one addrinfo per address (RFC 6724 order) and per
 *    socket type (SOCK_STREAM then SOCK_DGRAM when none is hinted).
 *  - flags: AI_PASSIVE, AI_CANONNAME (the name as given: no CNAMEs),
 *    AI_NUMERICHOST, AI_NUMERICSERV, AI_ADDRCONFIG (ask only for the
 *    families the host has a non-loopback address of), AI_V4MAPPED and
 *    AI_ALL (AF_INET6 only).
 *  - |service|: a decimal port, or one of a few names (domain, echo,
 *    discard, http, https): the simulator reads no /etc/services, whose
 *    contents differ between machines.
 *  - |node| NULL: the wildcard (AI_PASSIVE) or loopback address.
 * Returns 0 with *res set (free it with afmp_freeaddrinfo), or EAI_NONAME,
 * EAI_NODATA, EAI_AGAIN, EAI_FAIL (the h_errno values above),
 * EAI_ADDRFAMILY (a numeric node of a family the hints exclude),
 * EAI_FAMILY, EAI_SOCKTYPE, EAI_SERVICE, EAI_BADFLAGS, EAI_MEMORY, or
 * EAI_SYSTEM with errno (EPERM outside a process).
 */
int afmp_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res);
void afmp_freeaddrinfo(struct addrinfo *res);
const char *afmp_gai_strerror(int err);

/* ---- what the socket layer is asked to provide (interim) ----
 *
 * void **afmp_stack_resolver_slot(struct mp_host *h): the slot where the
 * socket layer keeps host |h|'s resolver record (NULL when |h| has no
 * socket layer), freed with afmp_resolver_host_free() when it detaches.
 * resolver.c refers to it weakly until afmp/stack.h declares it.
 */

#endif
