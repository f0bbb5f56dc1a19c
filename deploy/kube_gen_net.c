/*
 * deploy/kube_gen_net.c — a project's networking as Kubernetes networking: every service a
 * Service of its own name, so that the name resolves in the cluster as on a compose network
 * (headless, to the ready pods themselves, when the service publishes no port; NodePort or
 * LoadBalancer with the published ports else), and compose networks as NetworkPolicies:
 * pods carry a label per network they are on, and each network's policy lets in only the
 * pods of that network, so that two services can talk exactly when they share a network.
 * Published ports are let in from anywhere, as compose publishes them on the host.
 */
#include "deploy/kube_gen_int.h"

#include <string.h>

/* Adds a Service port unless one of that port and protocol is there. */
static void add_port(json_t *ports, json_int_t port, json_int_t target, const char *proto)
{
	cleanup_free char *p = kg_protocol(proto);
	size_t i;
	json_t *e;
	json_array_foreach(ports, i, e) {
		if (json_integer_value(json_object_get(e, "port")) == port &&
		    !strcmp(bld_json_get_str(e, "protocol"), p))
			return;
	}
	cleanup_free char *name = xasprintf("%s-%lld", p, (long long)port);
	cleanup_free char *dns = kg_dns_name(name);
	json_array_append_new(ports, json_pack("{s:s, s:I, s:I, s:s}", "name", dns, "port", port,
					       "targetPort", target, "protocol", p));
}

/* The published ports (port = published, else the target), host addresses reported. */
static json_t *published(struct kg *g, const char *svc)
{
	json_t *ports = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(kg_service(g, svc), "ports"), i, p) {
		json_int_t target = json_integer_value(json_object_get(p, "target"));
		const char *pub = bld_json_get_str(p, "published");
		const char *ip = bld_json_get_str(p, "host_ip");
		char *end = NULL;
		long port = pub ? strtol(pub, &end, 10) : target;
		if (ip && strcmp(ip, "0.0.0.0") && strcmp(ip, "::"))
			kg_report(g, svc, "ports", "%s:%s: a Service listens on every node's "
				  "addresses", ip, pub ?: "");
		if (end && *end)
			kg_report(g, svc, "ports", "%s: a range: the Service takes %ld", pub, port);
		add_port(ports, port > 0 ? port : target, target, bld_json_get_str(p, "protocol"));
	}
	return ports;
}

/* A headless Service's ports: the exposed ones, so that they are named in DNS (SRV). */
static json_t *exposed(struct kg *g, const char *svc)
{
	json_t *ports = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(kg_service(g, svc), "expose"), i, e) {
		const char *proto;
		long lo, hi;
		if (!kg_expose_range(json_string_value(e) ?: "", &lo, &hi, &proto))
			continue; /* reported with the container's ports */
		for (long p = lo; p <= hi; p++)
			add_port(ports, p, p, proto);
	}
	return ports;
}

json_t *kg_service_object(struct kg *g, const char *svc)
{
	cleanup_free char *name = kg_dns_name(svc);
	json_t *obj = kg_object(g, "v1", "Service", name, svc);
	json_t *ports = published(g, svc);
	json_t *spec = json_pack("{s:o}", "selector", kg_selector(svc));
	if (json_array_size(ports)) {
		json_object_set_new(spec, "type", json_string(g->o->service_type ?: "NodePort"));
	} else {
		json_decref(ports);
		ports = exposed(g, svc);
		json_object_set_new(spec, "clusterIP", json_string("None"));
		/* the name resolves to ready pods only: wait-for-<svc> ends when they are */
	}
	if (json_array_size(ports))
		json_object_set_new(spec, "ports", ports);
	else
		json_decref(ports);
	json_object_set_new(obj, "spec", spec);
	return obj;
}

static char *net_label(const char *net)
{
	cleanup_free char *dns = kg_dns_name(net);
	return xasprintf(KG_NET_PREFIX "%s", dns);
}

void kg_network_labels(struct kg *g, const char *svc, json_t *labels)
{
	const json_t *s = kg_service(g, svc);
	const char *net;
	json_t *cfg;
	if (bld_json_get_str(s, "network_mode"))
		return;
	json_object_foreach(json_object_get(s, "networks"), net, cfg) {
		cleanup_free char *key = net_label(net);
		json_object_set_new(labels, key, json_string("true"));
		const char *k;
		json_t *v;
		json_object_foreach(cfg, k, v) {
			if (!json_is_null(v))
				kg_report(g, svc, "networks", "%s: %s: a pod has one address and is "
					  "known by its Service's name", net, k);
		}
	}
}

/* Whether some generated pod is on net. */
static bool network_used(const struct kg *g, const char *net)
{
	const char *svc;
	json_t *s;
	json_object_foreach(json_object_get(g->project, "services"), svc, s)
		if (!bld_json_get_str(s, "network_mode") &&
		    json_object_get(json_object_get(s, "networks"), net))
			return true;
	return false;
}

static void report_network(struct kg *g, const char *net, const json_t *def)
{
	cleanup_free char *what = xasprintf("network %s", net);
	static const char *const attrs[] = {"driver", "driver_opts", "ipam", "internal",
					    "enable_ipv6", "attachable", "external"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(attrs); i++) {
		json_t *v = json_object_get(def, attrs[i]);
		if (v && !json_is_false(v) && !(json_is_object(v) && !json_object_size(v)))
			kg_report(g, NULL, what, "%s: the cluster's network plugin decides",
				  attrs[i]);
	}
}

/* Lets the published ports of svc in from anywhere. */
static void published_policy(struct kg *g, const char *svc)
{
	json_t *ports = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(kg_service(g, svc), "ports"), i, p) {
		cleanup_free char *proto = kg_protocol(bld_json_get_str(p, "protocol"));
		json_array_append_new(ports, json_pack("{s:O, s:s}", "port",
						       json_object_get(p, "target"), "protocol",
						       proto));
	}
	if (!json_array_size(ports)) {
		json_decref(ports);
		return;
	}
	cleanup_free char *raw = xasprintf("%s-published", svc);
	cleanup_free char *name = kg_dns_name(raw);
	json_t *np = kg_object(g, "networking.k8s.io/v1", "NetworkPolicy", name, svc);
	json_object_set_new(np, "spec", json_pack("{s:{s:o}, s:[s], s:[{s:o}]}", "podSelector",
						  "matchLabels", kg_selector(svc), "policyTypes",
						  "Ingress", "ingress", "ports", ports));
	json_array_append_new(g->policies, np);
}

void kg_network_policies(struct kg *g)
{
	const char *net, *svc;
	json_t *def, *s;
	json_object_foreach(json_object_get(g->project, "networks"), net, def) {
		if (!network_used(g, net))
			continue;
		report_network(g, net, def);
		cleanup_free char *key = net_label(net);
		cleanup_free char *raw = xasprintf("%s-network-%s", g->project_name, net);
		cleanup_free char *name = kg_dns_name(raw);
		json_t *np = kg_object(g, "networking.k8s.io/v1", "NetworkPolicy", name, NULL);
		json_object_set_new(np, "spec", json_pack(
			"{s:{s:{s:s}}, s:[s], s:[{s:[{s:{s:{s:s}}}]}]}", "podSelector",
			"matchLabels", key, "true", "policyTypes", "Ingress", "ingress", "from",
			"podSelector", "matchLabels", key, "true"));
		json_array_append_new(g->policies, np);
	}
	json_object_foreach(json_object_get(g->project, "services"), svc, s)
		published_policy(g, svc);
}
