/*
 * cli/cmd_parse.c — `bld parse`: reads a Dockerfile (a file or stdin), parses it and prints
 * the AST in BuildKit's dump format or as JSON, or the stage graph. Parse errors exit 1
 * with one line "bld: Dockerfile:LINE: cause". The parsing itself is parser/'s.
 */
#include "cli/cli.h"
#include "parser/parser.h"

static const struct bld_cli_opt opts[] = {
	{"file", 'f', BLD_OPT_STRING, "string", "Name of the Dockerfile (\"-\" reads stdin)",
	 "Dockerfile"},
	{"format", 0, BLD_OPT_STRING, "string",
	 "Output format: \"buildkit\" (the raw syntax tree) or \"json\" (validated)", "buildkit"},
	{"graph", 0, BLD_OPT_BOOL, NULL, "Print the stage graph instead of the AST", NULL},
	{"target", 0, BLD_OPT_STRING, "string", "Set the target build stage for --graph", NULL},
	{"build-arg", 0, BLD_OPT_LIST, "list", "Set build-time variables (KEY=VALUE)", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

static int read_input(const char *file, char **data, size_t *len, struct bld_error **err)
{
	int r;
	if (strcmp(file, "-") == 0)
		r = bld_fs_read_fd(0, BLD_PARSER_MAX_DOCKERFILE, data, len, err);
	else
		r = bld_fs_read_file(file, BLD_PARSER_MAX_DOCKERFILE, data, len, err);
	if (r < 0)
		bld_error_wrap(err, "read %s", file);
	return r;
}

/* Parse errors are the user's: docker exits 1 for them. */
static int parse_failed(struct bld_error **err, int r)
{
	if (*err)
		(*err)->status = 1;
	return r;
}

/* --build-arg K=V as given; a bare K takes its value from the environment, as docker does. */
static char **resolve_build_args(char *const *list)
{
	char **out = NULL;
	for (char *const *p = list; p && *p; p++) {
		if (strchr(*p, '=')) {
			bld_strv_push(&out, *p);
		} else if (getenv(*p)) {
			cleanup_free char *kv = xasprintf("%s=%s", *p, getenv(*p));
			bld_strv_push(&out, kv);
		}
	}
	return out;
}

static int print_buf(struct bld_buf *b)
{
	fwrite(bld_buf_str(b), 1, b->len, stdout);
	bld_buf_dispose(b);
	return 0;
}

/* --graph: validate, link the stages, print the graph. */
static int graph(struct bld_cli_args *a, const char *data, size_t len, struct bld_error **err)
{
	struct bld_parser_dockerfile *df = NULL;
	if (bld_parser_dockerfile_new(&df, data, len, err) < 0)
		return parse_failed(err, -1);
	cleanup_strv char **args = resolve_build_args(bld_cli_list(a, "build-arg"));
	if (bld_parser_graph_build(df, bld_cli_str(a, "target"), args, err) < 0) {
		bld_parser_dockerfile_free(df);
		return parse_failed(err, -1);
	}
	struct bld_buf out = BLD_BUF_INIT;
	int r = bld_parser_graph_dump(&out, df);
	bld_parser_dockerfile_free(df);
	if (r < 0) {
		bld_buf_dispose(&out);
		return bld_error_set(err, BLD_E_INTERNAL, "output too large");
	}
	return print_buf(&out);
}

/* json: the whole AST, after the validation pass has accepted every instruction. */
static int json(const char *data, size_t len, struct bld_error **err)
{
	struct bld_parser_dockerfile *df = NULL;
	if (bld_parser_dockerfile_new(&df, data, len, err) < 0)
		return parse_failed(err, -1);
	struct bld_buf out = BLD_BUF_INIT;
	int r = bld_parser_dump_json(&out, df->ast);
	bld_parser_dockerfile_free(df);
	if (r < 0) {
		bld_buf_dispose(&out);
		return bld_error_set(err, BLD_E_INTERNAL, "output too large");
	}
	return print_buf(&out);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *file = bld_cli_str(a, "file");
	const char *fmt = bld_cli_str(a, "format");
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (strcmp(fmt, "buildkit") && strcmp(fmt, "json"))
		return bld_error_set(err, BLD_E_INVALID, "unknown format %s: use buildkit or json",
				     fmt);
	if (read_input(file, &data, &len, err) < 0)
		return -1;
	if (bld_cli_bool(a, "graph"))
		return graph(a, data, len, err);
	if (strcmp(fmt, "json") == 0)
		return json(data, len, err);
	/* buildkit: the raw AST only, exactly as BuildKit's parser dumps it */
	struct bld_parser_ast *ast = NULL;
	int r = bld_parser_parse(&ast, data, len, err);
	if (r < 0)
		return parse_failed(err, r);
	struct bld_buf out = BLD_BUF_INIT;
	r = bld_parser_dump_buildkit(&out, ast);
	bld_parser_ast_free(ast);
	if (r < 0) {
		bld_buf_dispose(&out);
		return bld_error_set(err, BLD_E_INTERNAL, "output too large");
	}
	return print_buf(&out);
}

const struct bld_cli_cmd bld_cmd_parse = {
	.name = "parse",
	.usage = "[OPTIONS]",
	.summary = "Parse a Dockerfile and print its syntax tree or stage graph",
	.opts = opts,
	.max_args = 0,
	.run = run,
	.fail_status = 125,
	.examples = BLD_CLI_EXAMPLES(
		{"Check a Dockerfile and print its syntax tree",
		 "bld parse -f Dockerfile"},
		{"Print the stages a target needs",
		 "bld parse -f Dockerfile --graph --target release"}),
};
