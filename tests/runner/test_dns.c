/*
 * tests/runner/test_dns.c — the embedded resolver's answers (runner/dns.c) to queries built
 * with libldns, over a view of three endpoints on two networks, as docker's resolver gives
 * them; and the view read from a store laid out as the networks' files are.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/runner_int.h"

static char *web_aliases[] = {"db", "Svc", NULL};
static char *api_aliases[] = {"svc", NULL};
static struct bld_runner_dns_peer peers[] = {
	{"0123456789ab0000000000000000000000000000000000000000000000000000", "web", web_aliases,
	 "back", "172.18.0.2", "fd00::2"},
	{"abcdefabcdef0000000000000000000000000000000000000000000000000000", "api", api_aliases,
	 "back", "172.18.0.3", ""},
	{"fedcbafedcba0000000000000000000000000000000000000000000000000000", "web", NULL,
	 "front", "172.19.0.5", ""},
};
static const struct bld_runner_dns_view view = {.peers = peers, .n = 3};

/* Asks name/type; returns the reply (NULL: to be forwarded), rcode and answers checked by
 * the caller. */
static ldns_pkt *ask(const char *name, ldns_rr_type t, bool ndots,
		     bld_runner_dns_alive_fn alive)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str(name), t, LDNS_RR_CLASS_IN,
					 LDNS_RD);
	ldns_pkt_set_id(q, 4242);
	uint8_t *wire = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	cr_assert_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	int r = bld_runner_dns_answer(&view, wire, len, ndots, alive, NULL, &out, &olen);
	free(wire);
	cr_assert_geq(r, 0, "%s: unreadable", name);
	if (r == 0)
		return NULL;
	ldns_pkt *a = NULL;
	cr_assert_eq(ldns_wire2pkt(&a, out, olen), LDNS_STATUS_OK);
	free(out);
	cr_assert_eq(ldns_pkt_id(a), 4242);
	cr_assert(ldns_pkt_qr(a) && ldns_pkt_ra(a) && ldns_pkt_rd(a));
	cr_assert_eq(ldns_pkt_qdcount(a), 1);
	return a;
}

/* The answers' rdata as text, sorted and joined by spaces ("172.18.0.2 172.18.0.3"). */
static void answers(ldns_pkt *a, char *out, size_t cap)
{
	ldns_rr_list *l = ldns_rr_list_clone(ldns_pkt_answer(a));
	ldns_rr_list_sort(l);
	out[0] = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		cr_assert_eq(ldns_rr_ttl(rr), 600);
		char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		size_t n = strlen(out);
		snprintf(out + n, cap - n, "%s%s", n ? " " : "", s);
		free(s);
	}
	ldns_rr_list_deep_free(l);
}

static void expect(const char *name, ldns_rr_type t, const char *want)
{
	ldns_pkt *a = ask(name, t, false, NULL);
	cr_assert_not_null(a, "%s should be answered", name);
	cr_assert_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	char got[256];
	answers(a, got, sizeof(got));
	cr_assert_str_eq(got, want, "%s: %s, not %s", name, got, want);
	ldns_pkt_free(a);
}

Test(runner_dns, names_ids_and_aliases)
{
	expect("web.", LDNS_RR_TYPE_A, "172.18.0.2"); /* the first network (by name) wins */
	expect("WEB", LDNS_RR_TYPE_A, "172.18.0.2");
	expect("api.", LDNS_RR_TYPE_A, "172.18.0.3");
	expect("abcdefabcdef.", LDNS_RR_TYPE_A, "172.18.0.3");
	expect("db.", LDNS_RR_TYPE_A, "172.18.0.2");
	expect("svc.", LDNS_RR_TYPE_A, "172.18.0.2 172.18.0.3");
	expect("web.front.", LDNS_RR_TYPE_A, "172.19.0.5");
	expect("WEB.front.", LDNS_RR_TYPE_A, "172.19.0.5");
	expect("api.back.", LDNS_RR_TYPE_A, "172.18.0.3");
	expect("web.", LDNS_RR_TYPE_AAAA, "fd00::2");
	expect("api.", LDNS_RR_TYPE_AAAA, ""); /* known, no IPv6: NOERROR, empty */
	expect("api.", LDNS_RR_TYPE_MX, "");
	expect("2.0.18.172.in-addr.arpa.", LDNS_RR_TYPE_PTR, "web.back.");
	expect("5.0.19.172.in-addr.arpa.", LDNS_RR_TYPE_PTR, "web.front.");
}

Test(runner_dns, others_are_forwarded)
{
	cr_assert_null(ask("example.test.", LDNS_RR_TYPE_A, false, NULL));
	cr_assert_null(ask("nosuch.", LDNS_RR_TYPE_A, false, NULL));
	cr_assert_null(ask("0123456789a.", LDNS_RR_TYPE_A, false, NULL)); /* 11 characters */
	cr_assert_null(ask("api.front.", LDNS_RR_TYPE_A, false, NULL));
	cr_assert_null(ask("web.FRONT.", LDNS_RR_TYPE_A, false, NULL)); /* docker's too */
	cr_assert_null(ask("web.", LDNS_RR_TYPE_TXT, false, NULL));
	cr_assert_null(ask("9.0.18.172.in-addr.arpa.", LDNS_RR_TYPE_PTR, false, NULL));
	/* with ndots set, a single-label name that is not known gets an empty answer */
	ldns_pkt *a = ask("nosuch.", LDNS_RR_TYPE_A, true, NULL);
	cr_assert_not_null(a);
	cr_assert_eq(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
	cr_assert_null(ask("nosuch.test.", LDNS_RR_TYPE_A, true, NULL));
}

Test(runner_dns, round_robin)
{
	bool first_seen[2] = {false, false};
	for (int i = 0; i < 64; i++) {
		ldns_pkt *a = ask("svc.", LDNS_RR_TYPE_A, false, NULL);
		cr_assert_eq(ldns_pkt_ancount(a), 2);
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(a), 0), 0));
		first_seen[strcmp(s, "172.18.0.2") == 0] = true;
		free(s);
		ldns_pkt_free(a);
	}
	cr_assert(first_seen[0] && first_seen[1], "both addresses should come first sometimes");
}

static bool api_dead(const char *id, void *payload)
{
	return strncmp(id, "abcdef", 6) != 0;
}

Test(runner_dns, dead_endpoints_are_skipped)
{
	ldns_pkt *a = ask("svc.", LDNS_RR_TYPE_A, false, api_dead);
	char got[256];
	answers(a, got, sizeof(got));
	cr_assert_str_eq(got, "172.18.0.2");
	ldns_pkt_free(a);
	cr_assert_null(ask("api.", LDNS_RR_TYPE_A, false, api_dead));
	cr_assert_null(ask("3.0.18.172.in-addr.arpa.", LDNS_RR_TYPE_PTR, false, api_dead));
}

Test(runner_dns, servfail_and_garbage)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_dname_new_frm_str("x.test."), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_id(q, 7);
	uint8_t *wire = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	ldns_pkt2wire(&wire, q, &len);
	ldns_pkt_free(q);
	cr_assert_eq(bld_runner_dns_servfail(wire, len, &out, &olen), 1);
	ldns_pkt *a = NULL;
	cr_assert_eq(ldns_wire2pkt(&a, out, olen), LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_SERVFAIL);
	cr_assert_eq(ldns_pkt_id(a), 7);
	cr_assert(bld_runner_dns_is_reply(wire, len, out, olen));
	cr_assert_not(bld_runner_dns_is_reply(wire, len, wire, len), "a query is no reply");
	ldns_pkt_free(a);
	free(out);
	const uint8_t junk[] = {1, 2, 3};
	cr_assert_eq(bld_runner_dns_answer(&view, junk, sizeof(junk), false, NULL, NULL, &out,
					   &olen),
		     -1);
	cr_assert_eq(bld_runner_dns_answer(&view, wire, len - 1, false, NULL, NULL, &out, &olen),
		     -1);
	free(wire);
}

static void write_doc(const char *dir, const char *name, const char *text)
{
	cr_assert_eq(mkdir(dir, 0700) == 0 || errno == EEXIST, true);
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

#define EP(name, id, ip) \
	"{\"Name\": \"" name "\", \"ID\": \"" id "\", \"Aliases\": [\"a-" name "\"], " \
	"\"IPv4Address\": \"" ip "\", \"IPv6Address\": \"\"}"

Test(runner_dns, view_from_store)
{
	struct bld_error *err = NULL;
	char *root = bld_fs_mkdtemp("bld-dnsview", &err);
	cr_assert_not_null(root);
	char *nets = xasprintf("%s/networks", root);
	char *n1 = xasprintf("%s/1111", nets), *e1 = xasprintf("%s/endpoints", n1);
	char *n2 = xasprintf("%s/2222", nets), *e2 = xasprintf("%s/endpoints", n2);
	char *n3 = xasprintf("%s/3333", nets), *e3 = xasprintf("%s/endpoints", n3);
	mkdir(nets, 0700);
	write_doc(n1, "network.json", "{\"Name\": \"zeta\"}");
	write_doc(e1, "me.json", EP("me", "me", "10.1.0.2"));
	write_doc(e1, "p1.json", EP("p1", "p1", "10.1.0.3/16"));
	write_doc(n2, "network.json", "{\"Name\": \"alpha\"}");
	write_doc(e2, "me.json", EP("me", "me", "10.2.0.2"));
	write_doc(n3, "network.json", "{\"Name\": \"other\"}");
	write_doc(e3, "p3.json", EP("p3", "p3", "10.3.0.2"));
	struct bld_ctx ctx = {.root = root};
	struct bld_runner_dns_view v;
	bld_runner_dns_view_load(&v, &ctx, "me");
	cr_assert_eq(v.n, 3);
	cr_assert_str_eq(v.peers[0].network, "alpha");
	cr_assert_str_eq(v.peers[1].network, "zeta");
	cr_assert_str_eq(v.peers[2].name, "p1");
	cr_assert_str_eq(v.peers[2].v4, "10.1.0.3");
	cr_assert_str_eq(v.peers[2].aliases[0], "a-p1");
	bld_runner_dns_view_dispose(&v);
	bld_runner_dns_view_load(&v, &ctx, "nobody");
	cr_assert_eq(v.n, 0);
	bld_runner_dns_view_dispose(&v);
	/* kept while the store is unchanged, read again after a change */
	struct bld_runner_dns_view kept = {0};
	usleep(120 * 1000); /* past the racy window of the writes above */
	bld_runner_dns_view_refresh(&kept, &ctx, "me");
	cr_assert_eq(kept.n, 3);
	/* rewritten in place (the store never does that): no directory changes */
	write_doc(e1, "p1.json", EP("p1", "p1", "10.1.0.99"));
	bld_runner_dns_view_refresh(&kept, &ctx, "me");
	cr_assert_str_eq(kept.peers[2].v4, "10.1.0.3", "an unchanged store is not read again");
	write_doc(e1, "p2.json", EP("p2", "p2", "10.1.0.4"));
	bld_runner_dns_view_refresh(&kept, &ctx, "me");
	cr_assert_eq(kept.n, 4, "a new endpoint is seen at once");
	cr_assert_str_eq(kept.peers[2].v4, "10.1.0.99");
	/* a view read right after a change is read again: a second change within the same
	 * clock tick leaves the directory's time as it was (here: one it never sees) */
	write_doc(e1, "p1.json", EP("p1", "p1", "10.1.0.98"));
	bld_runner_dns_view_refresh(&kept, &ctx, "me");
	cr_assert_str_eq(kept.peers[2].v4, "10.1.0.98");
	bld_runner_dns_view_dispose(&kept);
	cr_assert_eq(bld_fs_rm_rf(root, &err), 0);
	free(root), free(nets), free(n1), free(e1), free(n2), free(e2), free(n3), free(e3);
}

Test(runner_dns, resolv_conf_on_user_networks)
{
	json_t *hc = json_pack("{s:s, s:[s], s:[s], s:[s]}", "NetworkMode", "back", "Dns",
			       "10.0.0.1", "DnsSearch", "example.test", "DnsOptions", "edns0");
	char *rc = bld_runner_resolv_conf(hc, true);
	cr_assert_str_eq(rc, "search example.test\nnameserver 127.0.0.11\noptions edns0 ndots:0\n");
	free(rc);
	json_object_set_new(hc, "DnsOptions", json_pack("[s]", "ndots:3"));
	json_object_set_new(hc, "Dns", json_pack("[s, s]", "10.0.0.1", "fd00::53"));
	rc = bld_runner_resolv_conf(hc, true);
	cr_assert_str_eq(rc, "search example.test\nnameserver 127.0.0.11\nnameserver fd00::53\n"
			     "options ndots:3\n");
	free(rc);
	rc = bld_runner_resolv_conf(hc, false);
	cr_assert_str_eq(rc, "search example.test\nnameserver 10.0.0.1\nnameserver fd00::53\n"
			     "options ndots:3\n");
	free(rc);
	json_decref(hc);
}
