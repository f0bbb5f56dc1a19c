/*
 * cli/health_opts.c — `run`/`create`'s --health-* and --no-healthcheck flags into a struct
 * bld_runner_health, with docker's flag syntax (Go durations, "1m30s"), its CLI's checks
 * (negative values, --no-healthcheck with another --health-* flag) and its messages. The
 * daemon's checks and the merge with the image's HEALTHCHECK are the runner's.
 */
#include "cli/container_opts.h"
#include "parser/parser.h"

/* A duration flag as pflag reads one (time.ParseDuration), with Go's messages. */
static int duration_opt(struct bld_cli_args *a, const char *name, int64_t *ns,
			struct bld_error **err)
{
	const char *v = bld_cli_str(a, name);
	*ns = 0;
	if (!v)
		return 0;
	if (bld_parser_duration(v, ns) == 0)
		return 0;
	bool number = *v && strspn(v + (*v == '-'), "0123456789.") == strlen(v + (*v == '-'));
	return bld_error_set(err, BLD_E_INVALID,
			     "invalid argument \"%s\" for \"--%s\" flag: time: %s duration \"%s\"",
			     v, name, number ? "missing unit in" : "invalid", v);
}

int bld_cli_health_opts(struct bld_runner_health *h, struct bld_cli_args *a,
			struct bld_error **err)
{
	static const char *const names[] = {"health-interval", "health-timeout",
					    "health-start-period", "health-start-interval"};
	int64_t *vals[] = {&h->interval, &h->timeout, &h->start_period, &h->start_interval};
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++)
		if (duration_opt(a, names[i], vals[i], err) < 0)
			return -1;
	const char *r = bld_cli_str(a, "health-retries"), *cmd = bld_cli_str(a, "health-cmd");
	long retries = 0;
	if (r && bld_parse_long(r, -(1L << 31), (1L << 31) - 1, &retries) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "invalid argument \"%s\" for \"--health-retries\" flag: "
				     "strconv.ParseInt: parsing \"%s\": invalid syntax", r, r);
	h->retries = (int)retries;
	bool any = (cmd && *cmd) || retries;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(vals); i++)
		any |= *vals[i] != 0;
	if (bld_cli_bool(a, "no-healthcheck")) {
		if (any)
			return bld_error_set(err, BLD_E_INVALID,
					     "--no-healthcheck conflicts with --health-* options");
		bld_strv_push(&h->test, "NONE");
		return 0;
	}
	for (size_t i = 0; i < BLD_ARRAY_SIZE(vals); i++)
		if (*vals[i] < 0)
			return bld_error_set(err, BLD_E_INVALID, "--%s cannot be negative", names[i]);
	if (h->retries < 0)
		return bld_error_set(err, BLD_E_INVALID, "--health-retries cannot be negative");
	if (cmd && *cmd) {
		bld_strv_push(&h->test, "CMD-SHELL");
		bld_strv_push(&h->test, cmd);
	}
	return 0;
}
