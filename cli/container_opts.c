/*
 * cli/container_opts.c — `run`/`create` flags into a bld_runner_container_config, with
 * docker's syntax for -e/--env-file, -p, -m, --cpus and --security-opt; and the raw terminal
 * for -t; the per-container loop of stop/restart/kill/rm. Only parsing lives here: the
 * runner decides what the values mean.
 */
#include "cli/container_opts.h"
#include "cli/image_util.h"
#include "registry/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>

#define ENV_FILE_MAX (1 << 20)

static void push_env(char ***env, const char *kv)
{
	if (strchr(kv, '=')) {
		bld_strv_push(env, kv);
		return;
	}
	/* "-e NAME" takes the value from bld's own environment, if any */
	const char *v = getenv(kv);
	if (v) {
		cleanup_free char *s = xasprintf("%s=%s", kv, v);
		bld_strv_push(env, s);
	}
}

int bld_cli_kv_file(char ***out, const char *path, struct bld_error **err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (bld_fs_read_file(path, ENV_FILE_MAX, &data, &len, err) < 0)
		return -1;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		while (*l == ' ' || *l == '\t')
			l++;
		l[strcspn(l, "\r")] = 0;
		if (*l && *l != '#')
			push_env(out, l);
	}
	return 0;
}

/* "[IP:]HOST:CTR[/proto]", "HOST:CTR", "CTR" */
static int parse_port(struct bld_runner_port *p, const char *spec, struct bld_error **err)
{
	cleanup_free char *s = xstrdup(spec);
	memset(p, 0, sizeof(*p));
	snprintf(p->proto, sizeof(p->proto), "tcp");
	char *slash = strchr(s, '/');
	if (slash) {
		*slash++ = 0;
		if (strcmp(slash, "tcp") && strcmp(slash, "udp"))
			return bld_error_set(err, BLD_E_INVALID, "invalid proto: %s", slash);
		snprintf(p->proto, sizeof(p->proto), "%s", slash);
	}
	char *last = strrchr(s, ':');
	char *ctr = last ? last + 1 : s;
	long cp, hp = 0;
	if (last) {
		*last = 0;
		char *ipc = strrchr(s, ':');
		char *host = ipc ? ipc + 1 : s;
		if (ipc) {
			*ipc = 0;
			snprintf(p->host_ip, sizeof(p->host_ip), "%s", s);
		}
		if (*host && bld_parse_long(host, 0, 65535, &hp) < 0)
			return bld_error_set(err, BLD_E_INVALID, "invalid hostPort: %s", host);
	}
	if (bld_parse_long(ctr, 1, 65535, &cp) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid containerPort: %s", ctr);
	p->ctr_port = (int)cp;
	p->host_port = (int)hp;
	return 0;
}

static int limits(struct bld_runner_container_config *c, struct bld_cli_args *a,
		  struct bld_error **err)
{
	const char *m = bld_cli_str(a, "memory"), *cpus = bld_cli_str(a, "cpus");
	const char *pl = bld_cli_str(a, "pids-limit");
	if (m && bld_parse_size(m, &c->memory) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid argument \"%s\" for \"-m, --memory\" flag", m);
	if (c->memory && c->memory < 6 * 1024 * 1024)
		return bld_error_set(err, BLD_E_INVALID,
				     "Minimum memory limit allowed is 6MB");
	if (cpus) {
		char *end = NULL;
		errno = 0;
		double v = strtod(cpus, &end);
		if (errno || !end || *end || v < 0 || v > 1024 || isnan(v))
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid argument \"%s\" for \"--cpus\" flag", cpus);
		c->cpu_milli = (int64_t)(v * 1000 + 0.5);
	}
	long pids = 0;
	if (pl && bld_parse_long(pl, -1, 1L << 30, &pids) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid argument \"%s\" for \"--pids-limit\" flag", pl);
	c->pids_limit = pids > 0 ? pids : 0;
	return 0;
}

static int security(struct bld_runner_container_config *c, struct bld_cli_args *a,
		    struct bld_error **err)
{
	char *const *so = bld_cli_list(a, "security-opt");
	for (size_t i = 0; so && so[i]; i++) {
		const char *v = so[i];
		if (bld_str_has_prefix(v, "seccomp=") || bld_str_has_prefix(v, "seccomp:")) {
			free(c->seccomp);
			c->seccomp = xstrdup(v + 8);
		} else if (bld_str_has_prefix(v, "no-new-privileges")) {
			/* docker's forms: no-new-privileges, no-new-privileges[:=]true|false */
			const char *b = v + strlen("no-new-privileges");
			if (*b && ((*b != ':' && *b != '=') ||
				   (strcmp(b + 1, "true") != 0 && strcmp(b + 1, "false") != 0)))
				return bld_error_set(err, BLD_E_INVALID,
						     "Invalid --security-opt: \"%s\"", v);
			c->no_new_privs = !*b || strcmp(b + 1, "true") == 0;
		} else if (!bld_str_has_prefix(v, "label") && !bld_str_has_prefix(v, "apparmor")) {
			return bld_error_set(err, BLD_E_INVALID,
					     "Invalid --security-opt: \"%s\"", v);
		}
	}
	c->cap_add = bld_strv_dup(bld_cli_list(a, "cap-add"));
	c->cap_drop = bld_strv_dup(bld_cli_list(a, "cap-drop"));
	c->privileged = bld_cli_bool(a, "privileged");
	return 0;
}

static int env_and_ports(struct bld_runner_container_config *c, struct bld_cli_args *a,
			 struct bld_error **err)
{
	char *const *files = bld_cli_list(a, "env-file");
	for (size_t i = 0; files && files[i]; i++)
		if (bld_cli_kv_file(&c->env, files[i], err) < 0)
			return -1;
	char *const *env = bld_cli_list(a, "env");
	for (size_t i = 0; env && env[i]; i++)
		push_env(&c->env, env[i]);
	char *const *ports = bld_cli_list(a, "publish");
	c->n_ports = bld_strv_len(ports);
	c->ports = xcalloc(c->n_ports ? c->n_ports : 1, sizeof(*c->ports));
	for (size_t i = 0; i < c->n_ports; i++)
		if (parse_port(&c->ports[i], ports[i], err) < 0)
			return -1;
	c->publish_all = bld_cli_bool(a, "publish-all");
	return 0;
}

static char *dup_opt(struct bld_cli_args *a, const char *name)
{
	const char *v = bld_cli_str(a, name);
	return v ? xstrdup(v) : NULL;
}

/* With content trust on: the environment, or --disable-content-trust=false. */
static bool trust_on(struct bld_cli_args *a)
{
	int off = bld_cli_given(a, "disable-content-trust")
		      ? bld_cli_bool(a, "disable-content-trust")
		      : -1;
	return bld_registry_trust_wanted(false, off);
}

/*
 * docker run's implicit pull, its lines on stderr (stdout is the container ID's). With
 * content trust on, trusted is set and *img is the image of the digest the policy accepts for
 * arg, from the store when it holds it (a stored image is verified like a pulled one) or
 * pulled under the pull policy.
 */
static int pull_missing(struct bld_ctx *ctx, struct bld_store *s, struct bld_cli_args *a,
			const char *arg, int policy, struct bld_cache_image **img,
			struct bld_error **err)
{
	struct bld_registry_opts o = {.config_dir = ctx->config_dir, .tls_verify = 0,
				      .tty = bld_is_tty(2), .quiet = false,
				      .platform = bld_cli_str(a, "platform")};
	struct bld_registry_pull_result res;
	memset(&res, 0, sizeof(res));
	fflush(stdout);
	int saved = dup(1);
	dup2(2, 1);
	int r = img ? bld_registry_trust_use(s, arg, bld_cli_str(a, "signature-policy"), &o,
					     policy, img, err)
		    : bld_registry_pull(s, arg, &o, &res, err);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	bld_registry_pull_result_dispose(&res);
	return r;
}

/* --platform as containerd's platforms.Parse reads it: "os", "arch" or "os/arch[/variant]",
 * normalised ("x86_64" is amd64, "aarch64" arm64); into want[3]. */
static int platform_parse(const char *p, char want[3][32], struct bld_error **err)
{
	static const char *const oses[] = {"linux", "windows", "darwin", "freebsd"};
	static const char *const arches[][2] = {
		{"amd64", "amd64"}, {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"arm64", "arm64"},
		{"aarch64", "arm64"}, {"arm", "arm"}, {"386", "386"}, {"i386", "386"},
		{"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"}};
	cleanup_strv char **parts = bld_strv_split(p, "/");
	size_t n = bld_strv_len(parts);
	memset(want, 0, 3 * 32);
	snprintf(want[0], 32, "linux");
	const char *os = n >= 2 ? parts[0] : NULL, *arch = n >= 2 ? parts[1] : NULL;
	for (size_t i = 0; n == 1 && i < BLD_ARRAY_SIZE(oses); i++)
		if (strcasecmp(parts[0], oses[i]) == 0)
			os = parts[0];
	if (n == 1 && !os)
		arch = parts[0];
	for (size_t i = 0; arch && i < BLD_ARRAY_SIZE(arches); i++)
		if (strcasecmp(arch, arches[i][0]) == 0)
			snprintf(want[1], 32, "%s", arches[i][1]);
	bool os_ok = !os;
	for (size_t i = 0; os && i < BLD_ARRAY_SIZE(oses); i++)
		os_ok = os_ok || strcasecmp(os, oses[i]) == 0;
	if (n == 0 || n > 3 || !os_ok || (arch && !want[1][0]))
		return bld_error_set(err, BLD_E_INVALID,
				     "error parsing specified platform: \"%s\": unknown operating "
				     "system or architecture: invalid argument",
				     p);
	if (os)
		snprintf(want[0], 32, "%s", os);
	if (n == 3)
		snprintf(want[2], 32, "%s", parts[2]);
	return 0;
}

/* Whether a found image is of the --platform asked for (any, when none was). */
static bool platform_matches(struct bld_cache_image *img, char want[3][32])
{
	const char *os = bld_json_get_str(img->config, "os");
	const char *arch = bld_json_get_str(img->config, "architecture");
	const char *var = bld_json_get_str(img->config, "variant");
	return (!want[0][0] || (os && strcmp(os, want[0]) == 0)) &&
	       (!want[1][0] || (arch && strcmp(arch, want[1]) == 0)) &&
	       (!want[2][0] || (var && strcmp(var, want[2]) == 0));
}

/* --pull: "missing" (docker's default), "always" or "never". */
static int pull_policy(struct bld_cli_args *a, int *policy, struct bld_error **err)
{
	const char *p = bld_cli_str(a, "pull");
	static const char *const names[] = {"missing", "always", "never"};
	for (int i = 0; i < 3; i++)
		if (p && strcmp(p, names[i]) == 0)
			return *policy = i, 0;
	return bld_error_set(err, BLD_E_INVALID,
			     "invalid pull option: '%s': must be one of \"always\", \"missing\" "
			     "or \"never\"",
			     p ? p : "");
}

/* The image, pulled first when it is not in the store (docker run does that), or --pull
 * says always, or it is not of the --platform asked for: its name or ID in c->image_ref,
 * and the loaded image and its store for the runner in c->loaded and c->store
 * (bld_cli_container_config_dispose frees them). */
static int find_image(struct bld_ctx *ctx, struct bld_cli_args *a,
		      struct bld_runner_container_config *c, struct bld_error **err)
{
	const char *arg = c->image;
	struct bld_store *s = NULL;
	struct bld_cache_image *img = NULL;
	cleanup_error struct bld_error *e = NULL;
	int policy = 0;
	char want[3][32] = {{0}};
	const char *plat = bld_cli_str(a, "platform");
	if (pull_policy(a, &policy, err) < 0 || (plat && platform_parse(plat, want, err) < 0))
		return -1;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	int r = 0;
	if (trust_on(a))
		r = pull_missing(ctx, s, a, arg, policy, &img, err);
	else
		r = bld_registry_image_find(s, arg, &img, &e);
	if (r == 0 && !trust_on(a) && (policy == 1 || !platform_matches(img, want))) {
		bld_cache_image_free(img);
		img = NULL;
		r = bld_error_set(&e, BLD_E_NOTFOUND, "No such image: %s", arg);
	}
	if (r < 0 && !e) {
		/* refused under content trust, or its pull failed: err says why */
	} else if (r < 0 && e->code == BLD_E_NOTFOUND && policy == 2) {
		r = bld_error_set(err, BLD_E_NOTFOUND, "No such image: %s", arg);
	} else if (r < 0 && e->code == BLD_E_NOTFOUND) {
		if (policy != 1)
			fprintf(stderr, "Unable to find image '%s' locally\n", arg);
		r = pull_missing(ctx, s, a, arg, policy, NULL, err);
		if (r == 0)
			r = bld_registry_image_find(s, arg, &img, err);
	} else if (r < 0) {
		bld_error_move(err, &e);
	}
	/* by the name it was found by when it has one: a lookup by name is the cheap one */
	if (r == 0)
		c->image_ref = xstrdup(img->name ? img->name : img->id);
	c->loaded = img;
	c->store = s;
	return r;
}

/* An option the command line got wrong: docker's create exits 125 for it, as run does (its
 * failures past the options, a missing image or a name taken, exit 1). */
static int options_refused(struct bld_error **err)
{
	if (*err && !(*err)->status)
		(*err)->status = 125;
	return -1;
}

int bld_cli_container_config(struct bld_runner_container_config *c, struct bld_cli_args *a,
			     struct bld_ctx *ctx, struct bld_error **err)
{
	memset(c, 0, sizeof(*c));
	if (bld_cli_bool(a, "rootfs"))
		c->rootfs = xstrdup(a->argv[0]);
	c->image = xstrdup(a->argv[0]);
	if (a->argc > 1)
		c->cmd = bld_strv_dup(a->argv + 1);
	if (bld_cli_given(a, "entrypoint")) {
		const char *ep = bld_cli_str(a, "entrypoint");
		c->entrypoint_set = true;
		c->entrypoint = xcalloc(2, sizeof(char *));
		if (ep && *ep)
			c->entrypoint[0] = xstrdup(ep);
	}
	c->name = dup_opt(a, "name");
	c->workdir = dup_opt(a, "workdir");
	c->user = dup_opt(a, "user");
	c->hostname = dup_opt(a, "hostname");
	c->restart = dup_opt(a, "restart");
	c->tty = bld_cli_bool(a, "tty");
	c->interactive = bld_cli_bool(a, "interactive");
	c->auto_remove = bld_cli_bool(a, "rm");
	c->readonly = bld_cli_bool(a, "read-only");
	c->init = bld_cli_bool(a, "init");
	c->binds = bld_strv_dup(bld_cli_list(a, "volume"));
	c->tmpfs = bld_strv_dup(bld_cli_list(a, "tmpfs"));
	c->labels = bld_strv_dup(bld_cli_list(a, "label"));
	c->log_driver = dup_opt(a, "log-driver");
	c->log_opts = bld_strv_dup(bld_cli_list(a, "log-opt"));
	if (c->auto_remove && c->restart && strcmp(c->restart, "no") != 0)
		return bld_cli_flag_refuse(err, "Conflicting options: --restart and --rm");
	if (c->workdir && c->workdir[0] != '/')
		return bld_error_set(err, BLD_E_INVALID,
				     "the working directory '%s' is invalid, it needs to be an absolute path",
				     c->workdir);
	if (limits(c, a, err) < 0 || security(c, a, err) < 0 || env_and_ports(c, a, err) < 0 ||
	    bld_cli_host_config(c, a, err) < 0 || bld_cli_network_opts(c, a, err) < 0 ||
	    bld_cli_health_opts(&c->health, a, err) < 0)
		return options_refused(err);
	if (!c->rootfs && find_image(ctx, a, c, err) < 0)
		return -1;
	return 0;
}

void bld_cli_container_config_dispose(struct bld_runner_container_config *c)
{
	bld_cache_image_free(c->loaded);
	bld_cache_store_free(c->store);
	bld_runner_container_config_dispose(c);
}

/* --cidfile: made before the container (docker refuses one that exists), filled after. */
static int cidfile_open(const char *path, struct bld_error **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return bld_error_set(err, BLD_E_EXISTS,
				     "container ID file found, make sure the other container isn't "
				     "running or delete %s",
				     path);
	if (fd < 0)
		return bld_error_sys(err, errno, "Failed to create the container ID file");
	return fd;
}

int bld_cli_container_create(struct bld_ctx *ctx, struct bld_cli_args *a,
			     struct bld_runner_container_config *c, char **id,
			     struct bld_error **err)
{
	const char *cidfile = bld_cli_str(a, "cidfile");
	int r = bld_cli_container_config(c, a, ctx, err);
	cleanup_close int fd = r == 0 && cidfile ? cidfile_open(cidfile, err) : -1;
	if (r < 0 || (cidfile && fd < 0))
		return -1;
	r = bld_runner_container_create(ctx, c, id, err);
	if (r == 0 && fd >= 0 && write(fd, *id, strlen(*id)) != (ssize_t)strlen(*id))
		r = bld_error_sys(err, errno, "Failed to write the container ID to the file");
	if (r < 0 && fd >= 0)
		unlink(cidfile);
	return r;
}

bool bld_cli_term_raw(struct termios *saved)
{
	if (!isatty(0) || tcgetattr(0, saved) < 0)
		return false;
	struct termios raw = *saved;
	cfmakeraw(&raw);
	return tcsetattr(0, TCSANOW, &raw) == 0;
}

void bld_cli_term_restore(const struct termios *saved) { tcsetattr(0, TCSANOW, saved); }

int bld_cli_each_container(struct bld_ctx *ctx, struct bld_cli_args *a, bld_cli_container_fn fn,
			   void *payload)
{
	int status = 0;
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0 ||
		    fn(ctx, id, payload, &e) < 0) {
			fprintf(stderr, "bld: %s\n", e->msg);
			status = 1;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

int bld_cli_stop_time(struct bld_cli_args *a, int *t, struct bld_error **err)
{
	long v = -1;
	const char *ts = bld_cli_str(a, "time");
	if (ts && bld_parse_long(ts, -1, 1 << 20, &v) < 0)
		return bld_cli_flag_refuse(err, "invalid argument \"%s\" for \"-t, --time\" flag",
					   ts);
	*t = (int)v;
	return 0;
}
