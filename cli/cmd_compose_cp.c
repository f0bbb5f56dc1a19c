/*
 * cli/cmd_compose_cp.c — `bld compose cp SERVICE:SRC DEST` and `SRC SERVICE:DEST`: the
 * runner's cp (runner/cp.c) on a service's container, as docker compose v2 picks them: from
 * a service its first container, to a service every one of them (--index: that number
 * only; --all: one-off containers too), each copy announced by compose's plain lines.
 * SERVICE:PATH is told from a local path as compose's splitCpArg does (bld_cli_cp_split).
 */
#include "cli/compose_util.h"

static const struct bld_cli_opt opts[] = {
	{"all", 0, BLD_OPT_BOOL, NULL, "Include containers created by the run command", NULL},
	{"archive", 'a', BLD_OPT_BOOL, NULL, "Archive mode (copy all uid/gid information)", NULL},
	{"follow-link", 'L', BLD_OPT_BOOL, NULL, "Always follow symbol link in SRC_PATH", NULL},
	{"index", 0, BLD_OPT_STRING, "int", "Index of the container if service has multiple replicas",
	 "0"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* The containers of svc the copy goes to or comes from, as compose lists them. */
static int pick(const struct bld_deploy_state *st, const char *svc, long index, bool all,
		bool from, struct bld_deploy_ctr ***out, struct bld_error **err)
{
	size_t n = 0;
	*out = xcalloc(st->n + 1, sizeof(**out));
	for (size_t i = 0; i < st->n; i++) {
		const struct bld_deploy_ctr *c = &st->v[i];
		if (strcmp(c->service, svc) != 0 || (c->oneoff && (index || !all)) ||
		    (index && c->number != index))
			continue;
		(*out)[n++] = (struct bld_deploy_ctr *)c;
		if (index || from)
			break;
	}
	if (n)
		return 0;
	if (index)
		return bld_error_refuse(err, BLD_E_NOTFOUND,
					"service \"%s\" is not running container #%ld", svc, index);
	return bld_error_refuse(err, BLD_E_NOTFOUND, "no container found for service \"%s\"", svc);
}

/* One copy, between the host and c, with compose's Copying/Copied lines. */
static int copy_one(struct bld_ctx *ctx, struct bld_cli_args *a, const struct bld_deploy_ctr *c,
		    const char *src, const char *dst, bool from, struct bld_error **err)
{
	struct bld_runner_cp_opts o = {.container = c->id,
				       .archive = bld_cli_bool(a, "archive"),
				       .follow_link = bld_cli_bool(a, "follow-link")};
	cleanup_free char *msg = from ? xasprintf("%s:%s to %s", c->name, src, dst)
				      : xasprintf("%s to %s:%s", src, c->name, dst);
	fprintf(stderr, " %s Copying %s\n", c->name, msg);
	int64_t bytes = 0;
	o.ctr_path = from ? src : dst;
	o.host_path = strcmp(from ? dst : src, "-") == 0 ? NULL : (from ? dst : src);
	o.fd = from ? 1 : 0;
	if ((from ? bld_runner_cp_from : bld_runner_cp_to)(ctx, &o, &bytes, err) < 0)
		return -1;
	fprintf(stderr, " %s Copied %s\n", c->name, msg);
	return 0;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *src = NULL, *dst = NULL, *index = bld_cli_str(a, "index");
	cleanup_free char *ssvc = bld_cli_cp_split(a->argv[0], &src);
	cleanup_free char *dsvc = bld_cli_cp_split(a->argv[1], &dst);
	long n = 0;
	if (!*a->argv[0] || !*a->argv[1])
		return bld_error_refuse(err, BLD_E_INVALID, "%s can not be empty",
					*a->argv[0] ? "destination" : "source");
	if (ssvc && dsvc)
		return bld_error_refuse(err, BLD_E_INVALID,
					"copying between services is not supported");
	if (!ssvc && !dsvc)
		return bld_error_refuse(err, BLD_E_INVALID, "unknown copy direction");
	if (index && bld_parse_long(index, 0, 1 << 20, &n) < 0)
		return bld_error_refuse(err, BLD_E_INVALID,
					"invalid argument \"%s\" for \"--index\" flag", index);
	struct bld_cli_compose c;
	if (bld_cli_compose_open(ctx, a, a->argc, false, &c, err) < 0)
		return -1;
	struct bld_deploy_state st;
	int r = bld_deploy_state_load(ctx, c.name, &st, err);
	if (r == 0) {
		cleanup_free struct bld_deploy_ctr **v = NULL;
		r = pick(&st, ssvc ? ssvc : dsvc, n, bld_cli_bool(a, "all"), ssvc, &v, err);
		for (size_t i = 0; r == 0 && v[i]; i++)
			r = copy_one(ctx, a, v[i], src, dst, ssvc, err);
		bld_deploy_state_dispose(&st);
	}
	bld_cli_compose_close(&c);
	return r;
}

const struct bld_cli_cmd bld_cmd_compose_cp = {
	.name = "compose cp",
	.usage = "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n"
		 "\tbld compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH",
	.summary = "Copy files/folders between a service container and the local filesystem",
	.opts = opts,
	.min_args = 2,
	.max_args = 2,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Copy a file out of a service's container",
		 "bld compose cp web:/etc/nginx/nginx.conf ."},
		{"Copy a file into it",
		 "bld compose cp ./index.html web:/www/index.html"}),
};
