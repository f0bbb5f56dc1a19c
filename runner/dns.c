/*
 * runner/dns.c — the embedded resolver's answers (127.0.0.11 on user-defined networks), as
 * docker's resolver gives them: one query in, one reply out, messages read and written by
 * libldns (never by hand). What it knows is a view (struct bld_runner_dns_view): the
 * endpoints of the networks the asking container is on, read from the store by dnsview.c.
 *
 *   A, AAAA  a container name, a 12-character short id or a network alias, in any case,
 *            also written "NAME.NETWORK" (the network's name as it is spelled): every
 *            address of the matching live endpoints of the first network (in name order)
 *            that has one, shuffled (round robin), TTL 600; a known name without an address
 *            of the type: NOERROR and no answer;
 *   PTR      an endpoint's address: "NAME.NETWORK.";
 *   MX       a known name: NOERROR and no answer;
 *   other    forwarded (the caller's job: dnsserve.c); with ndots set by the container, an A
 *            or AAAA of a single-label name that is not known is answered empty instead, as
 *            docker does, so that the client goes on with its search list.
 *
 * It does no I/O and keeps no state: the view and a liveness test come from the caller.
 */
#include "runner/runner_int.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <strings.h>

#define DNS_TTL 600
#define DNS_MAX_MATCH 64

static void pkt_freep(ldns_pkt **p)
{
	if (*p)
		ldns_pkt_free(*p);
}
#define cleanup_pkt __attribute__((cleanup(pkt_freep)))

/* A reply to q with its id, opcode, question and RD/CD flags, RA set (docker's
 * createRespMsg), and rcode. */
static ldns_pkt *reply_new(const ldns_pkt *q, ldns_pkt_rcode rcode)
{
	ldns_pkt *r = ldns_pkt_new();
	if (!r)
		abort();
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(q));
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_cd(r, ldns_pkt_cd(q));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	ldns_rr_list *qs = ldns_pkt_question(q);
	if (ldns_rr_list_rr_count(qs) > 0)
		ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(qs, 0)));
	return r;
}

static int to_wire(const ldns_pkt *r, uint8_t **out, size_t *len)
{
	if (ldns_pkt2wire(out, r, len) != LDNS_STATUS_OK)
		return -1;
	return 1;
}

/* An answer RR: owner (cloned), type, TTL and one rdata field (taken). */
static void add_answer(ldns_pkt *r, const ldns_rdf *owner, ldns_rr_type t, ldns_rdf *data)
{
	ldns_rr *rr = ldns_rr_new();
	if (!rr || !data)
		abort();
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, t);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, DNS_TTL);
	ldns_rr_push_rdf(rr, data);
	ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
}

/* The query's name without the final dot ("web"), NULL when unreadable. */
static char *query_name(const ldns_rdf *owner)
{
	char *s = ldns_rdf2str(owner);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = 0;
	return s;
}

/* Whether one endpoint answers to name: its container name, short id or an alias. */
static bool peer_named(const struct bld_runner_dns_peer *p, const char *name, size_t len)
{
	if (p->name && strlen(p->name) == len && strncasecmp(p->name, name, len) == 0)
		return true;
	if (len == 12 && p->id && strlen(p->id) >= 12 && strncasecmp(p->id, name, 12) == 0)
		return true;
	for (size_t i = 0; p->aliases && p->aliases[i]; i++)
		if (strlen(p->aliases[i]) == len && strncasecmp(p->aliases[i], name, len) == 0)
			return true;
	return false;
}

/* name, or "NAME.NETWORK" with p's network (its name as it is spelled: docker's) */
static bool peer_matches(const struct bld_runner_dns_peer *p, const char *name)
{
	if (peer_named(p, name, strlen(name)))
		return true;
	size_t nl = strlen(name), wl = p->network ? strlen(p->network) : 0;
	return wl && nl > wl + 1 && name[nl - wl - 1] == '.' &&
	       strcmp(name + nl - wl, p->network) == 0 && peer_named(p, name, nl - wl - 1);
}

/* The live endpoints answering to name on the first network that has any: indexes into
 * the view, at most DNS_MAX_MATCH. */
static size_t lookup(const struct bld_runner_dns_view *v, const char *name,
		     bld_runner_dns_alive_fn alive, void *payload, size_t *idx)
{
	const char *net = NULL;
	size_t k = 0;
	for (size_t i = 0; i < v->n && k < DNS_MAX_MATCH; i++) {
		const struct bld_runner_dns_peer *p = &v->peers[i];
		if (net && strcmp(net, p->network ? p->network : "") != 0)
			break; /* the view is in network order: the first with a match wins */
		if (!peer_matches(p, name) || (alive && !alive(p->id, payload)))
			continue;
		net = p->network ? p->network : "";
		idx[k++] = i;
	}
	return k;
}

static void shuffle(size_t *idx, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = arc4random_uniform((uint32_t)i);
		size_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

/* A or AAAA: 1 with *r made, 0 when the name is not ours. */
static int answer_addr(const struct bld_runner_dns_view *v, const ldns_pkt *q,
		       const ldns_rdf *owner, const char *name, bool v6,
		       bld_runner_dns_alive_fn alive, void *payload, ldns_pkt **r)
{
	size_t idx[DNS_MAX_MATCH];
	size_t n = lookup(v, name, alive, payload, idx);
	if (!n)
		return 0;
	shuffle(idx, n);
	*r = reply_new(q, LDNS_RCODE_NOERROR);
	for (size_t i = 0; i < n; i++) {
		const char *ip = v6 ? v->peers[idx[i]].v6 : v->peers[idx[i]].v4;
		unsigned char a[16];
		if (!ip[0] || inet_pton(v6 ? AF_INET6 : AF_INET, ip, a) != 1)
			continue;
		add_answer(*r, owner, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A,
			   ldns_rdf_new_frm_data(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
						 v6 ? 16 : 4, a));
	}
	return 1;
}

/* The reverse name of an address ("2.0.18.172.in-addr.arpa."), NULL when ip is none. */
static ldns_rdf *reverse_of(const char *ip, bool v6)
{
	unsigned char a[16];
	if (!ip[0] || inet_pton(v6 ? AF_INET6 : AF_INET, ip, a) != 1)
		return NULL;
	ldns_rdf *addr = ldns_rdf_new_frm_data(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
					       v6 ? 16 : 4, a);
	ldns_rdf *rev = addr ? ldns_rdf_address_reverse(addr) : NULL;
	ldns_rdf_deep_free(addr);
	return rev;
}

static bool reverse_is(const char *ip, bool v6, const ldns_rdf *owner)
{
	ldns_rdf *rev = reverse_of(ip, v6);
	bool same = rev && ldns_dname_compare(rev, owner) == 0;
	ldns_rdf_deep_free(rev);
	return same;
}

/* PTR of an endpoint's address: 1 with *r made, 0 when the address is not ours. */
static int answer_ptr(const struct bld_runner_dns_view *v, const ldns_pkt *q,
		      const ldns_rdf *owner, bld_runner_dns_alive_fn alive, void *payload,
		      ldns_pkt **r)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct bld_runner_dns_peer *p = &v->peers[i];
		if (!reverse_is(p->v4, false, owner) && !reverse_is(p->v6, true, owner))
			continue;
		if (alive && !alive(p->id, payload))
			continue;
		cleanup_free char *host = xasprintf("%s.%s.", p->name, p->network);
		ldns_rdf *target = ldns_dname_new_frm_str(host);
		if (!target)
			continue;
		*r = reply_new(q, LDNS_RCODE_NOERROR);
		add_answer(*r, owner, LDNS_RR_TYPE_PTR, target);
		return 1;
	}
	return 0;
}

int bld_runner_dns_answer(const struct bld_runner_dns_view *v, const uint8_t *query, size_t len,
			  bool ndots_set, bld_runner_dns_alive_fn alive, void *payload,
			  uint8_t **out, size_t *out_len)
{
	cleanup_pkt ldns_pkt *q = NULL;
	if (ldns_wire2pkt(&q, query, len) != LDNS_STATUS_OK || ldns_pkt_qr(q) ||
	    ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1)
		return -1;
	const ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	const ldns_rdf *owner = ldns_rr_owner(qr);
	ldns_rr_type t = ldns_rr_get_type(qr);
	cleanup_free char *name = query_name(owner);
	cleanup_pkt ldns_pkt *r = NULL;
	size_t idx[DNS_MAX_MATCH];
	int found = 0;
	if (!name || ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY)
		return 0;
	if (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA)
		found = answer_addr(v, q, owner, name, t == LDNS_RR_TYPE_AAAA, alive, payload, &r);
	else if (t == LDNS_RR_TYPE_PTR)
		found = answer_ptr(v, q, owner, alive, payload, &r);
	else if (t == LDNS_RR_TYPE_MX && lookup(v, name, alive, payload, idx) > 0)
		found = 1, r = reply_new(q, LDNS_RCODE_NOERROR);
	if (!found && ndots_set && (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
	    !strchr(name, '.'))
		found = 1, r = reply_new(q, LDNS_RCODE_NOERROR);
	if (!found)
		return 0;
	return to_wire(r, out, out_len);
}

int bld_runner_dns_servfail(const uint8_t *query, size_t len, uint8_t **out, size_t *out_len)
{
	cleanup_pkt ldns_pkt *q = NULL;
	if (ldns_wire2pkt(&q, query, len) != LDNS_STATUS_OK)
		return -1;
	cleanup_pkt ldns_pkt *r = reply_new(q, LDNS_RCODE_SERVFAIL);
	return to_wire(r, out, out_len);
}

bool bld_runner_dns_is_reply(const uint8_t *query, size_t qlen, const uint8_t *r, size_t rlen)
{
	cleanup_pkt ldns_pkt *q = NULL;
	cleanup_pkt ldns_pkt *a = NULL;
	return ldns_wire2pkt(&q, query, qlen) == LDNS_STATUS_OK &&
	       ldns_wire2pkt(&a, r, rlen) == LDNS_STATUS_OK && ldns_pkt_qr(a) &&
	       ldns_pkt_id(a) == ldns_pkt_id(q);
}
