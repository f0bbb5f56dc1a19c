/*
 * cli/opts.c — docker-style option parsing and --help text for every command. Follows
 * pflag as the docker CLI uses it, so that scripts written for docker parse the same:
 * "--name=value" and "--name value", "-n value" and "-nvalue", grouped short booleans
 * ("-it"), "--bool=false", "--" ending the options, and options interspersed with
 * positionals unless the command stops at its first positional (run, exec).
 */
#include "cli/cli.h"

static int nopts(const struct bld_cli_cmd *cmd)
{
	int n = 0;
	while (cmd->opts && cmd->opts[n].name)
		n++;
	return n;
}

static int find_long(const struct bld_cli_cmd *cmd, const char *name, size_t len)
{
	for (int i = 0; i < nopts(cmd); i++)
		if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
			return i;
	return -1;
}

static int find_short(const struct bld_cli_cmd *cmd, char c)
{
	for (int i = 0; i < nopts(cmd); i++)
		if (cmd->opts[i].shorthand == c)
			return i;
	return -1;
}

static int set_value(struct bld_cli_args *a, int i, const char *val, struct bld_error **err)
{
	const struct bld_cli_opt *o = &a->cmd->opts[i];
	if (o->type == BLD_OPT_BOOL) {
		if (strcmp(val, "true") && strcmp(val, "false") && strcmp(val, "1") &&
		    strcmp(val, "0"))
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid argument \"%s\" for \"--%s\" flag", val,
					     o->name);
		val = (strcmp(val, "true") == 0 || strcmp(val, "1") == 0) ? "true" : "false";
	}
	a->count[i]++;
	free(a->str[i]);
	a->str[i] = xstrdup(val);
	if (o->type == BLD_OPT_LIST)
		bld_strv_push(&a->list[i], val);
	return 0;
}

/* One "--long[=v]" word; *k is advanced past a separate value word. */
static int parse_long(struct bld_cli_args *a, int argc, char **argv, int *k,
		      struct bld_error **err)
{
	const char *w = argv[*k] + 2;
	const char *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w);
	if (len == 4 && strncmp(w, "help", 4) == 0)
		return 1;
	int i = find_long(a->cmd, w, len);
	if (i < 0)
		return bld_error_set(err, BLD_E_INVALID, "unknown flag: --%.*s", (int)len, w);
	if (eq)
		return set_value(a, i, eq + 1, err);
	if (a->cmd->opts[i].type == BLD_OPT_BOOL || a->cmd->opts[i].type == BLD_OPT_OPTVAL)
		return set_value(a, i, "true", err);
	if (*k + 1 >= argc)
		return bld_error_set(err, BLD_E_INVALID, "flag needs an argument: --%s",
				     a->cmd->opts[i].name);
	return set_value(a, i, argv[++*k], err);
}

/* One "-abc" / "-fvalue" / "-f value" word. */
static int parse_short(struct bld_cli_args *a, int argc, char **argv, int *k,
		       struct bld_error **err)
{
	const char *w = argv[*k] + 1;
	for (size_t j = 0; w[j]; j++) {
		if (w[j] == 'h' && find_short(a->cmd, 'h') < 0)
			return 1;
		int i = find_short(a->cmd, w[j]);
		if (i < 0)
			return bld_error_set(err, BLD_E_INVALID,
					     "unknown shorthand flag: '%c' in -%s", w[j], w);
		if (a->cmd->opts[i].type == BLD_OPT_BOOL) {
			if (w[j + 1] == '=')
				return set_value(a, i, w + j + 2, err);
			int r = set_value(a, i, "true", err);
			if (r < 0)
				return r;
			continue;
		}
		if (w[j + 1])
			return set_value(a, i, w[j + 1] == '=' ? w + j + 2 : w + j + 1, err);
		if (*k + 1 >= argc)
			return bld_error_set(err, BLD_E_INVALID,
					     "flag needs an argument: '%c' in -%c", w[j], w[j]);
		return set_value(a, i, argv[++*k], err);
	}
	return 0;
}

/* Returns 1 when --help was asked, 0 when parsed, < 0 on error. */
int bld_cli_args_parse(struct bld_cli_args *a, const struct bld_cli_cmd *cmd, int argc,
		       char **argv, struct bld_error **err)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	int n = nopts(cmd);
	a->count = xcalloc((size_t)n + 1, sizeof(int));
	a->str = xcalloc((size_t)n + 1, sizeof(char *));
	a->list = xcalloc((size_t)n + 1, sizeof(char **));
	a->argv = xcalloc((size_t)argc + 1, sizeof(char *));
	bool opts_done = false;
	for (int k = 0; k < argc; k++) {
		const char *w = argv[k];
		int r = 0;
		if (opts_done || w[0] != '-' || w[1] == '\0') {
			a->argv[a->argc++] = argv[k];
			if (cmd->stop_at_first_arg)
				opts_done = true;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			opts_done = true;
			continue;
		}
		r = w[1] == '-' ? parse_long(a, argc, argv, &k, err)
				: parse_short(a, argc, argv, &k, err);
		if (r != 0)
			return r;
	}
	if (a->argc < cmd->min_args || (cmd->max_args >= 0 && a->argc > cmd->max_args)) {
		if (cmd->max_args == 0)
			return bld_error_refuse(err, BLD_E_INVALID,
						"\"bld %s\" accepts no arguments", cmd->name);
		if (cmd->min_args == cmd->max_args)
			return bld_error_refuse(
			    err, BLD_E_INVALID, "\"bld %s\" requires exactly %d argument%s",
			    cmd->name, cmd->min_args, cmd->min_args == 1 ? "" : "s");
		if (a->argc < cmd->min_args)
			return bld_error_refuse(
			    err, BLD_E_INVALID, "\"bld %s\" requires at least %d argument%s",
			    cmd->name, cmd->min_args, cmd->min_args == 1 ? "" : "s");
		return bld_error_refuse(err, BLD_E_INVALID,
					"\"bld %s\" requires at most %d argument%s", cmd->name,
					cmd->max_args, cmd->max_args == 1 ? "" : "s");
	}
	return 0;
}

int bld_cli_flag_refuse(struct bld_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cleanup_free char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	int r = bld_error_set(err, BLD_E_INVALID, "%s", msg);
	if (err && *err && !(*err)->status)
		(*err)->status = 125;
	return r;
}

int bld_cli_filters_check(const struct bld_cli_args *a, const char *flag, struct bld_error **err)
{
	char *const *f = bld_cli_list(a, "filter");
	for (size_t i = 0; f && f[i]; i++)
		if (!strchr(f[i], '='))
			return bld_cli_flag_refuse(
			    err,
			    "invalid argument \"%s\" for \"%s\" flag: bad format "
			    "of filter (expected name=value)",
			    f[i], flag);
	return 0;
}

void bld_cli_args_dispose(struct bld_cli_args *a)
{
	int n = a->cmd ? nopts(a->cmd) : 0;
	for (int i = 0; i < n; i++) {
		free(a->str[i]);
		bld_strv_free(a->list[i]);
	}
	free(a->count);
	free(a->str);
	free(a->list);
	free(a->argv);
	memset(a, 0, sizeof(*a));
}

static int opt_index(const struct bld_cli_args *a, const char *name)
{
	int i = find_long(a->cmd, name, strlen(name));
	if (i < 0) {
		fprintf(stderr, "bld: internal: option --%s not declared by %s\n", name,
			a->cmd->name);
		abort();
	}
	return i;
}

bool bld_cli_bool(const struct bld_cli_args *a, const char *name)
{
	int i = opt_index(a, name);
	const char *v = a->str[i] ? a->str[i] : a->cmd->opts[i].def;
	return v && strcmp(v, "true") == 0;
}

const char *bld_cli_str(const struct bld_cli_args *a, const char *name)
{
	int i = opt_index(a, name);
	return a->str[i] ? a->str[i] : a->cmd->opts[i].def;
}

char *const *bld_cli_list(const struct bld_cli_args *a, const char *name)
{
	return a->list[opt_index(a, name)];
}

bool bld_cli_given(const struct bld_cli_args *a, const char *name)
{
	return a->count[opt_index(a, name)] > 0;
}

int bld_cli_tls_verify(const struct bld_cli_args *a)
{
	if (!bld_cli_given(a, "tls-verify"))
		return 0;
	return bld_cli_bool(a, "tls-verify") ? 1 : -1;
}

void bld_cli_opt_left(char *buf, size_t size, const struct bld_cli_opt *o)
{
	const char *arg = o->type == BLD_OPT_BOOL ? "" : (o->arg ? o->arg : "string");
	if (o->shorthand)
		snprintf(buf, size, "-%c, --%s%s%s", o->shorthand, o->name, *arg ? " " : "", arg);
	else
		snprintf(buf, size, "--%s%s%s", o->name, *arg ? " " : "", arg);
}

void bld_cli_help_options(FILE *f, const struct bld_cli_cmd *cmd)
{
	fprintf(f, "\nUsage:  bld %s%s%s\n\n%s\n", cmd->name, cmd->usage ? " " : "",
		cmd->usage ? cmd->usage : "", cmd->summary);
	int n = nopts(cmd);
	fprintf(f, "\nOptions:\n"); /* every command takes --help */
	int width = 30; /* wider when an option needs it, so two spaces always part the columns */
	for (int i = 0; i < n; i++) {
		char left[96];
		bld_cli_opt_left(left, sizeof(left), &cmd->opts[i]);
		int need = (int)strlen(left) + (cmd->opts[i].shorthand ? 0 : 4) + 1;
		width = need > width ? need : width;
	}
	for (int i = 0; i < n; i++) {
		const struct bld_cli_opt *o = &cmd->opts[i];
		char left[96];
		bld_cli_opt_left(left, sizeof(left), o);
		fprintf(f, "  %s%-*s %s", o->shorthand ? "" : "    ", o->shorthand ? width : width - 4,
			left, o->help);
		if (o->def && o->type != BLD_OPT_BOOL)
			fprintf(f, " (default \"%s\")", o->def);
		fputc('\n', f);
	}
	fprintf(f, "  %-*s %s\n", width, "    --help", "Print usage");
}

void bld_cli_help_examples(FILE *f, const struct bld_cli_example *ex)
{
	if (!ex || !ex->line)
		return;
	fprintf(f, "\nExamples:\n");
	for (; ex->line; ex++)
		fprintf(f, "  # %s\n  %s\n", ex->what, ex->line);
}

void bld_cli_help(FILE *f, const struct bld_cli_cmd *cmd)
{
	bld_cli_help_options(f, cmd);
	bld_cli_help_examples(f, cmd->examples);
}
