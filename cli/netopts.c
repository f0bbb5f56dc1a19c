/*
 * cli/netopts.c — the networking flags of `run`/`create` as docker's CLI reads them:
 * --network (several times; NAME or the long form name=NAME,alias=A,ip=IP,ip6=IP),
 * --network-alias, --ip, --ip6 and --link, into HostConfig.NetworkMode (the first network),
 * the API's NetworkingConfig.EndpointsConfig (one entry per network, the short flags applied
 * to the first) and the raw --link list. Docker's CLI refusals are made here, in its words;
 * what its daemon checks (the network exists, the address is in its subnet, a linked container
 * runs) the runner checks at create or start.
 */
#include "cli/container_opts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>

/* s without leading and trailing blanks, in place (s is owned and returned). */
static char *trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	size_t lead = strspn(s, " \t\r\n");
	memmove(s, s + lead, n - lead + 1);
	return s;
}

static json_t *endpoint_new(void)
{
	return json_pack("{s:n, s:n, s:n}", "IPAMConfig", "Links", "Aliases");
}

static void ipam_set(json_t *ep, const char *key, const char *ip)
{
	json_t *ipam = json_object_get(ep, "IPAMConfig");
	if (!json_is_object(ipam)) {
		ipam = json_object();
		json_object_set_new(ep, "IPAMConfig", ipam);
	}
	json_object_set_new(ipam, key, json_string(ip));
}

static void list_add(json_t *ep, const char *key, const char *v)
{
	json_t *l = json_object_get(ep, key);
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(ep, key, l);
	}
	json_array_append_new(l, json_string(v));
}

static int bad_net(struct bld_error **err, const char *v, const char *why)
{
	return bld_error_set(err, BLD_E_INVALID, "invalid argument \"%s\" for \"--network\" flag: %s",
			     v, why);
}

/* One field key=value of the long form (docker lower-cases and trims both). */
static int long_field(json_t *ep, char **name, const char *v, const char *field,
		      struct bld_error **err)
{
	const char *eq = strchr(field, '=');
	if (!eq) {
		cleanup_free char *why = xasprintf("invalid field %s", field);
		return bad_net(err, v, why);
	}
	cleanup_free char *key = trim(xstrndup(field, (size_t)(eq - field)));
	cleanup_free char *val = trim(xstrdup(eq + 1));
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(key, "name") == 0) {
		free(*name);
		*name = xstrdup(val);
	} else if (strcmp(key, "alias") == 0) {
		list_add(ep, "Aliases", val);
	} else if (strcmp(key, "ip") == 0 || strcmp(key, "ip6") == 0) {
		ipam_set(ep, key[2] ? "IPv6Address" : "IPv4Address", val);
	} else if (strcmp(key, "driver-opt") == 0 || strcmp(key, "link-local-ip") == 0) {
		return 0; /* the bridge driver takes no per-endpoint options */
	} else {
		cleanup_free char *why = xasprintf("invalid field key %s", key);
		return bad_net(err, v, why);
	}
	return 0;
}

/* docker's NetworkOpt: "key=value,..." (any word=word in it) is the long form. */
static bool long_form(const char *v)
{
	const char *eq = strchr(v, '=');
	return eq && eq > v && (isalnum((unsigned char)eq[-1]) || eq[-1] == '_') &&
	       (isalnum((unsigned char)eq[1]) || eq[1] == '_');
}

static int parse_one(const char *v, char **name, json_t **ep, struct bld_error **err)
{
	*ep = endpoint_new();
	if (!long_form(v)) {
		*name = xstrdup(v);
		return 0;
	}
	cleanup_strv char **fields = NULL;
	if (bld_cli_csv_fields(v, &fields) < 0)
		return bad_net(err, v, "bare \" in non-quoted-field");
	for (size_t i = 0; fields && fields[i]; i++)
		if (long_field(*ep, name, v, fields[i], err) < 0)
			return -1;
	if (!*name || !**name)
		return bad_net(err, v, "network name/id is not specified");
	return 0;
}

/* --network-alias, --link, --ip, --ip6 on the first network, refused when the long form gave
 * the same (docker's applyContainerOptions). */
static int apply_short(json_t *ep, struct bld_cli_args *a, struct bld_error **err)
{
	static const char *const flags[][4] = {
		{"network-alias", "Aliases", "--network-alias", "per-network alias"},
		{"link", "Links", "--link", "per-network links"},
		{"ip", "IPv4Address", "--ip", "per-network IPv4 address"},
		{"ip6", "IPv6Address", "--ip6", "per-network IPv6 address"}};
	json_t *ipam = json_object_get(ep, "IPAMConfig");
	for (size_t i = 0; i < BLD_ARRAY_SIZE(flags); i++) {
		bool list = i < 2;
		bool have = list ? json_array_size(json_object_get(ep, flags[i][1])) > 0
				 : json_object_get(ipam, flags[i][1]) != NULL;
		if (!bld_cli_given(a, flags[i][0]))
			continue;
		if (have)
			return bld_error_set(err, BLD_E_INVALID,
					     "conflicting options: cannot specify both %s and %s",
					     flags[i][2], flags[i][3]);
		if (!list) {
			ipam_set(ep, flags[i][1], bld_cli_str(a, flags[i][0]));
			continue;
		}
		char *const *v = bld_cli_list(a, flags[i][0]);
		for (size_t k = 0; v && v[k]; k++)
			list_add(ep, flags[i][1], v[k]);
	}
	return 0;
}

/* Whether the endpoint says anything (docker leaves an empty one of a lone network out). */
static bool endpoint_empty(json_t *ep)
{
	return json_is_null(json_object_get(ep, "IPAMConfig")) &&
	       json_is_null(json_object_get(ep, "Links")) &&
	       json_is_null(json_object_get(ep, "Aliases"));
}

/* The refusals docker makes for the short flags on a network that is not user-defined. */
static int default_refusals(struct bld_cli_args *a, const char *first, struct bld_error **err)
{
	if (bld_cli_given(a, "network-alias"))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "network-scoped aliases are only supported for user-defined "
				     "networks");
	if (bld_cli_given(a, "ip") || bld_cli_given(a, "ip6"))
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "user specified IP address is supported on user defined "
				     "networks only");
	if (!bld_cli_given(a, "link"))
		return 0;
	if (strcmp(first, "host") == 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: host type networking can't be used with "
				     "links. This would result in undefined behavior");
	if (bld_str_has_prefix(first, "container:"))
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: container type network can't be used "
				     "with links. This would result in undefined behavior");
	if (strcmp(first, "none") == 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED,
				     "links are only supported for user-defined networks");
	return 0;
}

int bld_cli_network_opts(struct bld_runner_container_config *c, struct bld_cli_args *a,
			 struct bld_error **err)
{
	char *const *v = bld_cli_list(a, "network");
	size_t n = bld_strv_len(v);
	cleanup_json json_t *eps = json_object();
	bool user = false, other = n == 0;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *name = NULL;
		cleanup_json json_t *ep = NULL;
		if (parse_one(v[i], &name, &ep, err) < 0)
			return -1;
		if (i == 0 && bld_runner_network_user_defined(name) && apply_short(ep, a, err) < 0)
			return -1;
		if (i == 0)
			c->network = xstrdup(name);
		if (bld_runner_network_user_defined(name))
			user = true;
		else
			other = true;
		if (json_object_get(eps, name))
			return bld_error_set(err, BLD_E_INVALID,
					     "network \"%s\" is specified multiple times", name);
		if (!(n == 1 && endpoint_empty(ep)))
			json_object_set(eps, name, ep);
	}
	if (user && other)
		return bld_error_set(err, BLD_E_INVALID,
				     "conflicting options: cannot attach both user-defined and "
				     "non-user-defined network-modes");
	if (!user && default_refusals(a, n ? v[0] : "bridge", err) < 0)
		return -1;
	/* legacy links on the default bridge: HostConfig.Links, checked by the runner */
	if (!user)
		c->links = bld_strv_dup(bld_cli_list(a, "link"));
	c->endpoints = steal_pointer(&eps);
	return 0;
}
