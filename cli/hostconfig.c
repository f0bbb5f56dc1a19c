/*
 * cli/hostconfig.c — the `run`/`create` flags that become HostConfig and Config fields in the
 * Engine API's shape (--mount, --add-host, --dns*, --expose, --ulimit, --sysctl, --shm-size,
 * --group-add, --stop-signal, --stop-timeout, --domainname, --volumes-from, --cidfile), with
 * the docker CLI's syntax checks and its words for what it refuses. What docker's daemon
 * checks (a bind source that does not exist, an unknown signal, a duplicate mount point) the
 * runner checks when it creates the container, as an API request would be checked.
 *
 * Nothing here touches the container: a flag that is not given adds nothing, so an unused
 * flag costs a container's start nothing.
 */
#include "cli/container_opts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <strings.h>

static int bad_arg(struct bld_error **err, const char *flag, const char *v, const char *why)
{
	return bld_error_set(err, BLD_E_INVALID, "invalid argument \"%s\" for \"%s\" flag: %s", v,
			     flag, why);
}

/* Go's strconv.ParseInt words, which docker shows for a bad number. */
static int parse_int64(const char *s, int64_t *out, char why[128])
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || end == s) {
		snprintf(why, 128, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
		return -1;
	}
	if (errno == ERANGE) {
		snprintf(why, 128, "strconv.ParseInt: parsing \"%s\": value out of range", s);
		return -1;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ --mount */

/* One CSV record (encoding/csv as docker reads --mount): fields split at commas, a field in
 * double quotes may hold commas and "" for a quote. */
int bld_cli_csv_fields(const char *v, char ***out)
{
	struct bld_buf f = BLD_BUF_INIT;
	const char *p = v;
	for (;;) {
		bld_buf_reset(&f);
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				bld_buf_addc(&f, *p);
			}
			if (*p != '"') {
				bld_buf_dispose(&f);
				return -1;
			}
			p++;
		} else {
			for (; *p && *p != ','; p++)
				bld_buf_addc(&f, *p);
		}
		bld_strv_push(out, bld_buf_str(&f));
		if (*p != ',')
			break;
		p++;
	}
	bld_buf_dispose(&f);
	return *p ? -1 : 0;
}

static json_t *sub(json_t *m, const char *key)
{
	json_t *o = json_object_get(m, key);
	if (!o) {
		o = json_object();
		json_object_set_new(m, key, o);
	}
	return o;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(t); i++) {
		if (strcmp(s, t[i]) == 0)
			return *out = true;
		if (strcmp(s, f[i]) == 0)
			return !(*out = false);
	}
	return false;
}

/* key=value of one --mount field into m; why gets docker's reason on failure. */
static int mount_field(json_t *m, const char *field, char why[256])
{
	const char *eq = strchr(field, '=');
	cleanup_free char *key = eq ? xstrndup(field, (size_t)(eq - field)) : xstrdup(field);
	for (char *k = key; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	const char *val = eq ? eq + 1 : NULL;
	bool b = true;
	if (!val && (!strcmp(key, "readonly") || !strcmp(key, "ro")))
		return json_object_set_new(m, "ReadOnly", json_true()), 0;
	if (!val && !strcmp(key, "volume-nocopy"))
		return json_object_set_new(sub(m, "VolumeOptions"), "NoCopy", json_true()), 0;
	if (!val && !strcmp(key, "bind-nonrecursive"))
		return json_object_set_new(sub(m, "BindOptions"), "NonRecursive", json_true()), 0;
	if (!val)
		return snprintf(why, 256, "invalid field '%s' must be a key=value pair", field), -1;
	if (!strcmp(key, "type")) {
		cleanup_free char *t = xstrdup(val);
		for (char *k = t; *k; k++)
			*k = (char)tolower((unsigned char)*k);
		json_object_set_new(m, "Type", json_string(t));
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		json_object_set_new(m, "Source", json_string(val));
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
		json_object_set_new(m, "Target", json_string(val));
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro") ||
		   !strcmp(key, "volume-nocopy") || !strcmp(key, "bind-nonrecursive")) {
		if (!parse_bool(val, &b))
			return snprintf(why, 256, "invalid value for %s: %s", key, val), -1;
		if (key[0] == 'v')
			json_object_set_new(sub(m, "VolumeOptions"), "NoCopy", json_boolean(b));
		else if (key[0] == 'b')
			json_object_set_new(sub(m, "BindOptions"), "NonRecursive", json_boolean(b));
		else
			json_object_set_new(m, "ReadOnly", json_boolean(b));
	} else if (!strcmp(key, "volume-label")) {
		const char *e = strchr(val, '=');
		cleanup_free char *k = e ? xstrndup(val, (size_t)(e - val)) : xstrdup(val);
		json_object_set_new(sub(sub(m, "VolumeOptions"), "Labels"), k,
				    json_string(e ? e + 1 : ""));
	} else if (!strcmp(key, "consistency")) {
		json_object_set_new(m, "Consistency", json_string(val));
	} else if (!strcmp(key, "bind-propagation")) {
		json_object_set_new(sub(m, "BindOptions"), "Propagation", json_string(val));
	} else if (!strcmp(key, "tmpfs-size")) {
		int64_t sz;
		if (bld_parse_size(val, &sz) < 0)
			return snprintf(why, 256, "invalid value for %s: %s", key, val), -1;
		json_object_set_new(sub(m, "TmpfsOptions"), "SizeBytes", json_integer(sz));
	} else if (!strcmp(key, "tmpfs-mode")) {
		char *end = NULL;
		errno = 0;
		unsigned long mode = strtoul(val, &end, 8);
		if (!*val || *end || errno || mode > 0xffffffffUL)
			return snprintf(why, 256, "invalid value for %s: %s", key, val), -1;
		json_object_set_new(sub(m, "TmpfsOptions"), "Mode", json_integer((json_int_t)mode));
	} else if (!strcmp(key, "volume-driver")) {
		json_object_set_new(sub(sub(m, "VolumeOptions"), "DriverConfig"), "Name",
				    json_string(val));
	} else if (!strcmp(key, "volume-opt")) {
		/* the local driver's mount options (nfs, a device...): bld's volumes are
		 * directories */
		return snprintf(why, 256, "volume-opt is not supported: volumes are local "
			"directories here"), -1;
	} else {
		return snprintf(why, 256, "unexpected key '%s' in '%s'", key, field), -1;
	}
	return 0;
}

static int mount_opt(json_t *list, const char *v, struct bld_error **err)
{
	cleanup_strv char **fields = NULL;
	if (bld_cli_csv_fields(v, &fields) < 0)
		return bad_arg(err, "--mount", v, "bare \" in non-quoted-field");
	json_t *m = json_pack("{s:s}", "Type", "volume");
	char why[256] = "";
	for (size_t i = 0; fields && fields[i] && !why[0]; i++)
		if (mount_field(m, fields[i], why) < 0)
			break;
	const char *type = bld_json_get_str(m, "Type");
	static const char *const mix[][2] = {
		{"VolumeOptions", "volume"}, {"BindOptions", "bind"}, {"TmpfsOptions", "tmpfs"}};
	if (!why[0] && !*type)
		snprintf(why, sizeof(why), "type is required");
	if (!why[0] && !bld_json_get_str(m, "Target"))
		snprintf(why, sizeof(why), "target is required");
	for (size_t i = 0; !why[0] && i < BLD_ARRAY_SIZE(mix); i++)
		if (json_object_get(m, mix[i][0]) && strcmp(type, mix[i][1]))
			snprintf(why, sizeof(why), "cannot mix '%s-*' options with mount type '%s'",
				 mix[i][1], type);
	if (why[0]) {
		json_decref(m);
		return bad_arg(err, "--mount", v, why);
	}
	/* docker's CLI sends an empty driver config with any volume option */
	json_t *vo = json_object_get(m, "VolumeOptions");
	if (vo && !json_object_get(vo, "DriverConfig"))
		json_object_set_new(vo, "DriverConfig", json_object());
	json_array_append_new(list, m);
	return 0;
}

/* ------------------------------------------------------------------ names and addresses */

static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* A DNS search domain as docker's validateDomain takes it: labels of letters, digits and
 * inner dashes, dot-separated, a dot at the end allowed. */
static bool valid_domain(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 255)
		return false;
	cleanup_free char *copy = xstrndup(s, s[len - 1] == '.' ? len - 1 : len);
	char *save = NULL;
	size_t labels = 0;
	for (char *l = strtok_r(copy, ".", &save); l; l = strtok_r(NULL, ".", &save), labels++) {
		size_t n = strlen(l);
		if (!isalnum((unsigned char)l[0]) || !isalnum((unsigned char)l[n - 1]))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)l[i]) && l[i] != '-')
				return false;
	}
	return labels > 0 && !strstr(s, "..");
}

int bld_cli_add_hosts_check(char *const *v, struct bld_error **err)
{
	for (size_t i = 0; v && v[i]; i++) {
		const char *colon = strchr(v[i], ':');
		char why[300];
		if (!colon || colon == v[i]) {
			snprintf(why, sizeof(why), "bad format for add-host: \"%s\"", v[i]);
			return bad_arg(err, "--add-host", v[i], why);
		}
		if (strcmp(colon + 1, "host-gateway") && !is_ip(colon + 1)) {
			snprintf(why, sizeof(why), "invalid IP address in add-host: \"%s\"", colon + 1);
			return bad_arg(err, "--add-host", v[i], why);
		}
	}
	return 0;
}

int bld_cli_shm_size(struct bld_cli_args *a, int64_t *out, struct bld_error **err)
{
	const char *s = bld_cli_str(a, "shm-size");
	if (s && bld_parse_size(s, out) < 0) {
		cleanup_free char *why = xasprintf("invalid size: '%s'", s);
		return bad_arg(err, "--shm-size", s, why);
	}
	return 0;
}

static int names(json_t *hc, struct bld_cli_args *a, struct bld_error **err)
{
	char *const *v = bld_cli_list(a, "add-host");
	if (bld_cli_add_hosts_check(v, err) < 0)
		return -1;
	json_object_set_new(hc, "ExtraHosts", v ? bld_json_strv(v) : json_null());
	char *const *dns = bld_cli_list(a, "dns");
	for (size_t i = 0; dns && dns[i]; i++)
		if (!is_ip(dns[i])) {
			cleanup_free char *why = xasprintf("%s is not an ip address", dns[i]);
			return bad_arg(err, "--dns", dns[i], why);
		}
	char *const *search = bld_cli_list(a, "dns-search");
	for (size_t i = 0; search && search[i]; i++)
		if (strcmp(search[i], ".") && !valid_domain(search[i])) {
			cleanup_free char *why = xasprintf("%s is not a valid domain", search[i]);
			return bad_arg(err, "--dns-search", search[i], why);
		}
	json_object_set_new(hc, "Dns", bld_json_strv(dns));
	json_object_set_new(hc, "DnsSearch", bld_json_strv(search));
	json_object_set_new(hc, "DnsOptions", bld_json_strv(bld_cli_list(a, "dns-option")));
	return 0;
}

/* ------------------------------------------------------------------ limits */

static const char *const ulimit_names[] = {
	"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
	"nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"};

/* name=soft[:hard], as go-units' ParseUlimit. */
static int ulimit_opt(json_t *list, const char *v, struct bld_error **err)
{
	const char *eq = strchr(v, '=');
	char why[128];
	if (!eq)
		return snprintf(why, sizeof(why), "invalid ulimit argument: %s", v),
		       bad_arg(err, "--ulimit", v, why);
	cleanup_free char *name = xstrndup(v, (size_t)(eq - v));
	bool known = false;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ulimit_names); i++)
		known = known || strcmp(name, ulimit_names[i]) == 0;
	if (!known)
		return snprintf(why, sizeof(why), "invalid ulimit type: %s", name),
		       bad_arg(err, "--ulimit", v, why);
	cleanup_free char *vals = xstrdup(eq + 1);
	char *colon = strchr(vals, ':');
	if (colon)
		*colon++ = 0;
	if (colon && strchr(colon, ':'))
		return snprintf(why, sizeof(why),
				"too many limit value arguments - %s, can only have up to two, "
				"`soft[:hard]`",
				eq + 1),
		       bad_arg(err, "--ulimit", v, why);
	int64_t soft, hard;
	if (parse_int64(vals, &soft, why) < 0 || parse_int64(colon ? colon : vals, &hard, why) < 0)
		return bad_arg(err, "--ulimit", v, why);
	if (soft > hard)
		return snprintf(why, sizeof(why),
				"ulimit soft limit must be less than or equal to hard limit: %lld > "
				"%lld",
				(long long)soft, (long long)hard),
		       bad_arg(err, "--ulimit", v, why);
	json_array_append_new(list, json_pack("{s:s, s:I, s:I}", "Name", name, "Hard",
					      (json_int_t)hard, "Soft", (json_int_t)soft));
	return 0;
}

/* docker's ValidateSysctl: the namespaced ones only. */
static bool sysctl_allowed(const char *key)
{
	static const char *const ok[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
					 "kernel.sem",    "kernel.shmall", "kernel.shmmax",
					 "kernel.shmmni", "kernel.shm_rmid_forced"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ok); i++)
		if (strcmp(key, ok[i]) == 0)
			return true;
	return bld_str_has_prefix(key, "net.") || bld_str_has_prefix(key, "fs.mqueue.");
}

static int limits(json_t *hc, struct bld_cli_args *a, struct bld_error **err)
{
	char *const *v = bld_cli_list(a, "ulimit");
	json_t *ul = v ? json_array() : NULL;
	if (ul)
		json_object_set_new(hc, "Ulimits", ul);
	for (size_t i = 0; v && v[i]; i++)
		if (ulimit_opt(ul, v[i], err) < 0)
			return -1;
	v = bld_cli_list(a, "sysctl");
	json_t *sc = v ? json_object() : NULL;
	if (sc)
		json_object_set_new(hc, "Sysctls", sc);
	for (size_t i = 0; v && v[i]; i++) {
		const char *eq = strchr(v[i], '=');
		cleanup_free char *key = eq ? xstrndup(v[i], (size_t)(eq - v[i])) : NULL;
		if (!key || !sysctl_allowed(key)) {
			cleanup_free char *why = xasprintf("sysctl '%s' is not whitelisted", v[i]);
			return bad_arg(err, "--sysctl", v[i], why);
		}
		json_object_set_new(sc, key, json_string(eq + 1));
	}
	int64_t shm = 64 * 1024 * 1024;
	if (bld_cli_shm_size(a, &shm, err) < 0)
		return -1;
	json_object_set_new(hc, "ShmSize", json_integer(shm));
	return 0;
}

/* ------------------------------------------------------------------ Config */

/* --expose PORT[-END][/PROTO] into Config.ExposedPorts. */
static int expose(json_t *ports, const char *v, struct bld_error **err)
{
	cleanup_free char *port = xstrdup(v);
	char *slash = strchr(port, '/');
	const char *proto = slash && slash[1] ? slash + 1 : "tcp";
	if (slash)
		*slash = 0;
	char *dash = strchr(port, '-');
	if (dash)
		*dash++ = 0;
	long lo, hi;
	const char *bad = bld_parse_long(port, 0, 65535, &lo) < 0 ? port
			  : dash && bld_parse_long(dash, 0, 65535, &hi) < 0 ? dash
									    : NULL;
	if (!dash)
		hi = lo;
	if (!bad && hi < lo)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid range format for --expose: %s, error: invalid range "
				     "specified for container port: %s",
				     v, v);
	if (bad) {
		bool digits = *bad && strspn(bad, "0123456789") == strlen(bad);
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid range format for --expose: %s, error: "
				     "strconv.ParseUint: parsing \"%s\": %s",
				     v, bad, digits ? "value out of range" : "invalid syntax");
	}
	for (long p = lo; p <= hi; p++) {
		char key[32];
		snprintf(key, sizeof(key), "%ld/%s", p, proto);
		json_object_set_new(ports, key, json_object());
	}
	return 0;
}

int bld_cli_attach_streams(struct bld_cli_args *a, struct bld_cli_streams *s,
			   struct bld_error **err)
{
	char *const *v = bld_cli_list(a, "attach");
	bool detach = strcmp(a->cmd->name, "run") == 0 && bld_cli_bool(a, "detach");
	if (v && detach)
		return bld_error_refuse(err, BLD_E_INVALID, "Conflicting options: -a and -d");
	*s = (struct bld_cli_streams){.in = !detach && bld_cli_bool(a, "interactive"),
				      .out = !detach, .err = !detach};
	if (v)
		*s = (struct bld_cli_streams){0};
	for (size_t i = 0; v && v[i]; i++) {
		if (strcasecmp(v[i], "stdin") == 0)
			s->in = true;
		else if (strcasecmp(v[i], "stdout") == 0)
			s->out = true;
		else if (strcasecmp(v[i], "stderr") == 0)
			s->err = true;
		else
			return bad_arg(err, "-a, --attach", v[i],
				       "valid streams are STDIN, STDOUT and STDERR");
	}
	return 0;
}

/* docker's ValidateMACAddress: six (or eight, or twenty) hex pairs, ':' or '-' between. */
static bool valid_mac(const char *m)
{
	size_t n = strlen(m), pairs = (n + 1) / 3;
	if (n % 3 != 2 || (pairs != 6 && pairs != 8 && pairs != 20))
		return false;
	for (size_t i = 0; i < n; i++)
		if (i % 3 == 2 ? (m[i] != ':' && m[i] != '-') || m[i] != m[2]
			       : !isxdigit((unsigned char)m[i]))
			return false;
	return true;
}

static int config_fields(json_t *cfg, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_cli_streams st;
	if (bld_cli_attach_streams(a, &st, err) < 0)
		return -1;
	json_object_set_new(cfg, "AttachStdin", json_boolean(st.in));
	json_object_set_new(cfg, "AttachStdout", json_boolean(st.out));
	json_object_set_new(cfg, "AttachStderr", json_boolean(st.err));
	const char *mac = bld_cli_str(a, "mac-address");
	if (mac && !valid_mac(mac))
		return bld_error_set(err, BLD_E_INVALID, "%s is not a valid mac address", mac);
	if (mac)
		json_object_set_new(cfg, "MacAddress", json_string(mac));
	char *const *v = bld_cli_list(a, "expose");
	json_t *ports = v ? json_object() : NULL;
	if (ports)
		json_object_set_new(cfg, "ExposedPorts", ports);
	for (size_t i = 0; v && v[i]; i++)
		if (expose(ports, v[i], err) < 0)
			return -1;
	const char *s = bld_cli_given(a, "stop-signal") ? bld_cli_str(a, "stop-signal") : NULL;
	if (s)
		json_object_set_new(cfg, "StopSignal", json_string(s));
	s = bld_cli_str(a, "stop-timeout");
	if (s) {
		int64_t t;
		char why[128];
		if (parse_int64(s, &t, why) < 0 || t < INT32_MIN || t > INT32_MAX)
			return bad_arg(err, "--stop-timeout", s, why);
		json_object_set_new(cfg, "StopTimeout", json_integer(t));
	}
	s = bld_cli_str(a, "domainname");
	json_object_set_new(cfg, "Domainname", json_string(s ? s : ""));
	return 0;
}

/* --label-file: K=V lines, then the --label values, which win, as docker orders them. */
static int label_files(char ***labels, struct bld_cli_args *a, struct bld_error **err)
{
	char *const *files = bld_cli_list(a, "label-file");
	char **out = NULL;
	for (size_t i = 0; files && files[i]; i++)
		if (bld_cli_kv_file(&out, files[i], err) < 0) {
			bld_strv_free(out);
			return -1;
		}
	for (size_t i = 0; *labels && (*labels)[i]; i++)
		bld_strv_push(&out, (*labels)[i]);
	bld_strv_free(*labels);
	*labels = out;
	return 0;
}

/* ------------------------------------------------------------------ namespaces, cgroups */

/* A mode flag the docker CLI checks itself: one of the words, or "container:NAME" when
 * container is set; else "--FLAG: invalid WHAT mode". */
static int mode_opt(json_t *hc, struct bld_cli_args *a, const char *flag, const char *key,
		    const char *words, bool container, const char *what, struct bld_error **err)
{
	const char *v = bld_cli_str(a, flag);
	bool ok = !v || !*v || (container && bld_str_has_prefix(v, "container:") && v[10]);
	cleanup_free char *list = xstrdup(words);
	char *save = NULL;
	for (char *w = strtok_r(list, ",", &save); v && w && !ok; w = strtok_r(NULL, ",", &save))
		ok = strcmp(v, w) == 0;
	if (!ok)
		return bld_error_set(err, BLD_E_INVALID, "--%s: invalid %s mode", flag, what);
	if (v)
		json_object_set_new(hc, key, json_string(v));
	return 0;
}

static int namespaces(json_t *hc, struct bld_cli_args *a, struct bld_error **err)
{
	if (mode_opt(hc, a, "pid", "PidMode", "host", true, "PID", err) < 0 ||
	    mode_opt(hc, a, "uts", "UTSMode", "host", false, "UTS", err) < 0 ||
	    mode_opt(hc, a, "cgroupns", "CgroupnsMode", "host,private", false, "CGROUP", err) < 0 ||
	    mode_opt(hc, a, "userns", "UsernsMode", "host", false, "USER", err) < 0)
		return -1;
	/* the daemon checks these two (runner/hostcfg.c) */
	const char *ipc = bld_cli_str(a, "ipc"), *iso = bld_cli_str(a, "isolation");
	if (ipc)
		json_object_set_new(hc, "IpcMode", json_string(ipc));
	if (iso)
		json_object_set_new(hc, "Isolation", json_string(iso));
	return 0;
}

/* An integer flag into hc[key] (Go's ParseInt words when it is not one). */
static int int_opt(json_t *hc, struct bld_cli_args *a, const char *flag, const char *shown,
		   const char *key, struct bld_error **err)
{
	const char *v = bld_cli_str(a, flag);
	int64_t n;
	char why[128];
	if (!v)
		return 0;
	if (parse_int64(v, &n, why) < 0)
		return bad_arg(err, shown, v, why);
	json_object_set_new(hc, key, json_integer(n));
	return 0;
}

/* A size flag ("-1" allowed where docker allows it) into hc[key]. */
static int size_opt(json_t *hc, struct bld_cli_args *a, const char *flag, const char *key,
		    bool minus_one, struct bld_error **err)
{
	const char *v = bld_cli_str(a, flag);
	int64_t n;
	if (!v)
		return 0;
	if (minus_one && strcmp(v, "-1") == 0)
		n = -1;
	else if (bld_parse_size(v, &n) < 0) {
		cleanup_free char *why = xasprintf("invalid size: '%s'", v);
		cleanup_free char *shown = xasprintf("--%s", flag);
		return bad_arg(err, shown, v, why);
	}
	json_object_set_new(hc, key, json_integer(n));
	return 0;
}

static int resources(json_t *hc, struct bld_cli_args *a, struct bld_error **err)
{
	if (int_opt(hc, a, "cpu-shares", "-c, --cpu-shares", "CpuShares", err) < 0 ||
	    int_opt(hc, a, "oom-score-adj", "--oom-score-adj", "OomScoreAdj", err) < 0 ||
	    size_opt(hc, a, "memory-reservation", "MemoryReservation", false, err) < 0 ||
	    size_opt(hc, a, "memory-swap", "MemorySwap", true, err) < 0)
		return -1;
	const char *w = bld_cli_str(a, "blkio-weight");
	long weight;
	if (w && bld_parse_long(w, 0, 65535, &weight) < 0) {
		cleanup_free char *why = xasprintf("strconv.ParseUint: parsing \"%s\": %s", w,
						   strspn(w, "0123456789") == strlen(w) && *w
							   ? "value out of range"
							   : "invalid syntax");
		return bad_arg(err, "--blkio-weight", w, why);
	}
	if (w)
		json_object_set_new(hc, "BlkioWeight", json_integer(weight));
	static const char *const strs[][2] = {{"cgroup-parent", "CgroupParent"},
					      {"cpuset-cpus", "CpusetCpus"},
					      {"cpuset-mems", "CpusetMems"}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(strs); i++) {
		const char *v = bld_cli_str(a, strs[i][0]);
		if (v)
			json_object_set_new(hc, strs[i][1], json_string(v));
	}
	if (bld_cli_given(a, "oom-kill-disable"))
		json_object_set_new(hc, "OomKillDisable", json_boolean(bld_cli_bool(a, "oom-kill-disable")));
	return 0;
}

/* --device HOST[:CONTAINER][:PERMISSIONS], docker's parseDevice. */
static int device_opt(json_t *list, const char *v, struct bld_error **err)
{
	cleanup_strv char **parts = bld_strv_split(v, ":");
	size_t n = bld_strv_len(parts);
	const char *host = n ? parts[0] : "", *ctr = NULL, *perms = "rwm";
	if (n == 3) {
		ctr = parts[1];
		perms = parts[2];
	} else if (n == 2 && strspn(parts[1], "rwm") == strlen(parts[1])) {
		perms = parts[1];
	} else if (n == 2) {
		ctr = parts[1];
	}
	bool valid_perms = *perms && strspn(perms, "rwm") == strlen(perms) && strlen(perms) <= 3;
	if (n == 0 || n > 3 || !valid_perms || host[0] != '/' || (ctr && ctr[0] != '/')) {
		cleanup_free char *why = xasprintf("bad format for path: %s", v);
		return bad_arg(err, "--device", v, why);
	}
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "PathOnHost", host,
					      "PathInContainer", ctr ? ctr : host,
					      "CgroupPermissions", perms));
	return 0;
}

static int devices(json_t *hc, struct bld_cli_args *a, struct bld_error **err)
{
	char *const *v = bld_cli_list(a, "device");
	json_t *list = json_array();
	json_object_set_new(hc, "Devices", list);
	for (size_t i = 0; v && v[i]; i++)
		if (device_opt(list, v[i], err) < 0)
			return -1;
	v = bld_cli_list(a, "device-cgroup-rule");
	for (size_t i = 0; v && v[i]; i++) {
		struct bld_runner_device_rule rule; /* docker's ValidateDeviceCgroupRule */
		if (bld_runner_device_rule_parse(v[i], &rule) < 0) {
			cleanup_free char *why = xasprintf("invalid device cgroup format '%s'", v[i]);
			return bad_arg(err, "--device-cgroup-rule", v[i], why);
		}
	}
	json_object_set_new(hc, "DeviceCgroupRules", v ? bld_json_strv(v) : json_null());
	return 0;
}

/* The flags docker has that mean nothing here, refused in docker's words (the Windows ones
 * with docker's status 1, the others as its daemon does: 125). */
static int refused(struct bld_cli_args *a, struct bld_error **err)
{
	static const char *const windows[] = {"cpu-count", "cpu-percent", "io-maxbandwidth",
					      "io-maxiops"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(windows); i++)
		if (bld_cli_given(a, windows[i]))
			return bld_error_refuse(err, BLD_E_UNSUPPORTED,
						"\"--%s\" is only supported on a Docker daemon running "
						"on windows, but the Docker daemon is running on linux",
						windows[i]);
	static const char *const daemon[][2] = {
		{"gpus", "could not select device driver \"\" with capabilities: [[gpu]]"},
		{"storage-opt", "--storage-opt is supported only for overlay over xfs with 'pquota' "
				"mount option"}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(daemon); i++)
		if (bld_cli_given(a, daemon[i][0]))
			return bld_error_set(err, BLD_E_UNSUPPORTED, "%s", daemon[i][1]);
	const char *rt = bld_cli_str(a, "runtime");
	if (rt && *rt && strcmp(rt, "runc"))
		return bld_error_set(err, BLD_E_UNSUPPORTED, "Unknown runtime specified %s", rt);
	return 0;
}

/* "PATH:RATE" of the --device-{read,write}-{bps,iops} and --blkio-weight-device flags into
 * [{"Path", key: N}] (a size for bps, a number else), as docker's CLI reads them. */
static int throttle_opt(json_t *hc, struct bld_cli_args *a, const char *flag, const char *field,
			const char *key, bool size, struct bld_error **err)
{
	char *const *v = bld_cli_list(a, flag);
	if (!v)
		return 0;
	json_t *list = json_array();
	json_object_set_new(hc, field, list);
	cleanup_free char *shown = xasprintf("--%s", flag);
	for (size_t i = 0; v && v[i]; i++) {
		const char *colon = strrchr(v[i], ':');
		int64_t n = 0;
		long l = 0;
		char why[128];
		if (!colon || colon == v[i] || v[i][0] != '/')
			return snprintf(why, sizeof(why), "bad format: %s", v[i]),
			       bad_arg(err, shown, v[i], why);
		bool ok = size ? bld_parse_size(colon + 1, &n) == 0
			       : bld_parse_long(colon + 1, 0, key[0] == 'W' ? 1000 : LONG_MAX, &l) == 0;
		if (!ok)
			return snprintf(why, sizeof(why), "invalid %s %s", key[0] == 'W' ? "weight"
							   : size ? "rate" : "rate", colon + 1),
			       bad_arg(err, shown, v[i], why);
		cleanup_free char *path = xstrndup(v[i], (size_t)(colon - v[i]));
		json_array_append_new(list, json_pack("{s:s, s:I}", "Path", path, key,
						      (json_int_t)(size ? n : l)));
	}
	return 0;
}

static int more_resources(json_t *hc, struct bld_cli_args *a, struct bld_error **err)
{
	if (int_opt(hc, a, "cpu-period", "--cpu-period", "CpuPeriod", err) < 0 ||
	    int_opt(hc, a, "cpu-quota", "--cpu-quota", "CpuQuota", err) < 0 ||
	    int_opt(hc, a, "cpu-rt-period", "--cpu-rt-period", "CpuRealtimePeriod", err) < 0 ||
	    int_opt(hc, a, "cpu-rt-runtime", "--cpu-rt-runtime", "CpuRealtimeRuntime", err) < 0 ||
	    size_opt(hc, a, "kernel-memory", "KernelMemory", false, err) < 0 ||
	    throttle_opt(hc, a, "blkio-weight-device", "BlkioWeightDevice", "Weight", false, err) < 0 ||
	    throttle_opt(hc, a, "device-read-bps", "BlkioDeviceReadBps", "Rate", true, err) < 0 ||
	    throttle_opt(hc, a, "device-write-bps", "BlkioDeviceWriteBps", "Rate", true, err) < 0 ||
	    throttle_opt(hc, a, "device-read-iops", "BlkioDeviceReadIOps", "Rate", false, err) < 0 ||
	    throttle_opt(hc, a, "device-write-iops", "BlkioDeviceWriteIOps", "Rate", false, err) < 0)
		return -1;
	if (bld_cli_given(a, "kernel-memory"))
		bld_warn("Specifying a kernel memory limit is deprecated and will be removed in a "
			 "future release.");
	long sw = -1;
	const char *s = bld_cli_str(a, "memory-swappiness");
	if (s && bld_parse_long(s, -1, 100, &sw) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid value: %s. Valid memory swappiness range is 0-100", s);
	json_object_set_new(hc, "MemorySwappiness", sw >= 0 ? json_integer(sw) : json_null());
	const char *vd = bld_cli_str(a, "volume-driver");
	json_object_set_new(hc, "VolumeDriver", json_string(vd ? vd : ""));
	json_object_set_new(hc, "Runtime", json_string("runc"));
	return 0;
}

int bld_cli_host_config(struct bld_runner_container_config *c, struct bld_cli_args *a,
			struct bld_error **err)
{
	json_t *hc = json_object(), *cfg = json_object();
	c->host_extra = hc;
	c->config_extra = cfg;
	char *const *v = bld_cli_list(a, "mount");
	json_t *mounts = v ? json_array() : NULL;
	if (mounts)
		json_object_set_new(hc, "Mounts", mounts);
	for (size_t i = 0; v && v[i]; i++)
		if (mount_opt(mounts, v[i], err) < 0)
			return -1;
	v = bld_cli_list(a, "volumes-from");
	json_object_set_new(hc, "VolumesFrom", v ? bld_json_strv(v) : json_null());
	v = bld_cli_list(a, "group-add");
	json_object_set_new(hc, "GroupAdd", v ? bld_json_strv(v) : json_null());
	const char *cid = bld_cli_str(a, "cidfile");
	json_object_set_new(hc, "ContainerIDFile", json_string(cid ? cid : ""));
	if (names(hc, a, err) < 0 || limits(hc, a, err) < 0 || config_fields(cfg, a, err) < 0 ||
	    namespaces(hc, a, err) < 0 || resources(hc, a, err) < 0 || devices(hc, a, err) < 0 ||
	    refused(a, err) < 0 || more_resources(hc, a, err) < 0)
		return -1;
	return label_files(&c->labels, a, err);
}
