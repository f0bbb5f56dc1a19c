/*
 * tests/parser/test_graph.c — stages and their edges: names (case-insensitive) and indices,
 * global ARGs in FROM with build-arg overrides, --target pruning, cycles and unknown
 * stages as errors, and every corpus Dockerfile building its graph.
 */
#include "tests/parser/fixtures.h"

static struct bld_parser_dockerfile *graph(const char *text, const char *target,
					   char *const *args, char **msg)
{
	struct bld_parser_dockerfile *df = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_dockerfile_new(&df, text, strlen(text), &err) < 0 ||
	    bld_parser_graph_build(df, target, args, &err) < 0) {
		if (msg)
			*msg = xstrdup(err->msg);
		bld_error_free(err);
		bld_parser_dockerfile_free(df);
		return NULL;
	}
	return df;
}

Test(parser_graph, edges_names_indices_and_target_pruning)
{
	const char *text = "ARG GO=1.22\n"
			   "FROM golang:${GO} AS Builder\nRUN make\n"
			   "FROM alpine AS tools\n"
			   "FROM builder AS test\nRUN --mount=from=tools,target=/t true\n"
			   "FROM scratch AS final\nCOPY --from=BUILDER /out /\nCOPY --from=1 / /\n"
			   "COPY --from=nginx:1 /etc/nginx /x\n";
	char *const args[] = {"GO=1.23", NULL};
	cleanup_free char *msg = NULL;
	struct bld_parser_dockerfile *df = graph(text, NULL, args, &msg);
	cr_assert_not_null(df, "%s", msg);
	cr_assert_eq(df->nstages, 4);
	cr_expect_str_eq(df->stages[0].base, "golang:1.23");
	cr_expect_eq(df->stages[2].base_stage, 0);
	cr_expect_eq(df->stages[2].ndeps, 2);
	cr_expect_eq(df->target, 3);
	const struct bld_parser_stage *f = &df->stages[3];
	cr_expect_eq(f->base_stage, -1);
	cr_expect_eq(f->ndeps, 2);
	cr_expect(f->deps[0] == 0 && f->deps[1] == 1);
	cr_expect_str_eq(f->images[0], "nginx:1");
	cr_expect(df->stages[0].needed && df->stages[1].needed && !df->stages[2].needed);
	bld_parser_dockerfile_free(df);

	df = graph(text, "TEST", NULL, &msg);
	cr_assert_not_null(df);
	cr_expect_str_eq(df->stages[0].base, "golang:1.22");
	cr_expect_eq(df->target, 2);
	cr_expect(df->stages[0].needed && df->stages[1].needed && !df->stages[3].needed);
	bld_parser_dockerfile_free(df);
}

Test(parser_graph, onbuild_triggers_of_the_base_stage_add_edges)
{
	const char *text = "FROM alpine AS assets\n"
			   "FROM busybox AS base\nONBUILD COPY --from=assets /a /a\n"
			   "FROM base\n";
	cleanup_free char *msg = NULL;
	struct bld_parser_dockerfile *df = graph(text, NULL, NULL, &msg);
	cr_assert_not_null(df, "%s", msg);
	cr_expect_eq(df->stages[1].ndeps, 0);
	cr_expect_eq(df->stages[2].ndeps, 2);
	cr_expect(df->stages[0].needed, "the trigger's source is needed");
	bld_parser_dockerfile_free(df);
}

/* As BuildKit's statesByName map: a repeated stage name refers to the last stage so named. */
Test(parser_graph, a_stage_a_named_context_replaces_has_no_edges)
{
	const char *text = "FROM alpine AS tools\n"
			   "FROM tools AS deps\nCOPY --from=tools /a /a\nRUN exit 1\n"
			   "FROM scratch\nCOPY --from=deps /a /a\n";
	struct bld_parser_dockerfile *df = NULL;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_parser_dockerfile_new(&df, text, strlen(text), &err), 0);
	df->replaced = xcalloc(df->nstages, sizeof(bool));
	df->replaced[1] = true; /* --build-context deps=... */
	cr_assert_eq(bld_parser_graph_build(df, NULL, NULL, &err), 0);
	cr_expect(df->stages[1].replaced);
	cr_expect_eq(df->stages[1].ndeps, 0);
	cr_expect_eq(df->stages[1].base_stage, -1);
	cr_expect(df->stages[1].needed);
	cr_expect_not(df->stages[0].needed, "what the replaced stage read is not built");
	bld_parser_dockerfile_free(df);
}

Test(parser_graph, repeated_stage_names_resolve_to_the_last)
{
	const char *text = "FROM a AS x\nFROM b AS x\nFROM x\nCOPY --from=X / /\n";
	cleanup_free char *msg = NULL;
	struct bld_parser_dockerfile *df = graph(text, NULL, NULL, &msg);
	cr_assert_not_null(df, "%s", msg);
	cr_expect_eq(df->stages[2].base_stage, 1);
	cr_expect_eq(df->stages[2].ndeps, 1);
	cr_expect(!df->stages[0].needed && df->stages[1].needed);
	bld_parser_dockerfile_free(df);
}

Test(parser_graph, errors)
{
	static const struct {
		const char *text, *target, *want;
	} bad[] = {
		{"FROM a AS x\nCOPY --from=y / /\nFROM b AS y\nCOPY --from=x / /\n", NULL,
		 "circular dependency detected on stage: x"},
		{"FROM a AS x\nCOPY --from=x / /\n", NULL, "circular dependency"},
		{"FROM a\nCOPY --from=2 / /\n", NULL, "Dockerfile:2: invalid stage index 2"},
		{"FROM a\n", "nope", "target stage \"nope\" could not be found"},
		{"ARG X\nFROM $X\n", NULL, "Dockerfile:2: base name ($X) should not be blank"},
		{"FROM a\nCOPY --from=$X / /\n", NULL, "variable expansion is not supported"},
		{"FROM ${X\n", NULL, "Dockerfile:1:"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad); i++) {
		cleanup_free char *msg = NULL;
		struct bld_parser_dockerfile *df = graph(bad[i].text, bad[i].target, NULL, &msg);
		cr_expect_null(df, "%s must fail", bad[i].text);
		cr_expect(msg && strstr(msg, bad[i].want), "%s: want '%s' got '%s'", bad[i].text,
			  bad[i].want, msg ? msg : "");
		bld_parser_dockerfile_free(df);
	}
}

/* Every corpus Dockerfile builds its graph, except docker-library's jq template. */
Test(parser_graph, corpus_graphs_build)
{
	char **dirs = fix_list(FIX_CORPUS);
	size_t built = 0;
	for (size_t i = 0; dirs && dirs[i]; i++) {
		cleanup_free char *dir = xasprintf(FIX_CORPUS "/%s", dirs[i]);
		char **names = fix_list(dir);
		for (size_t k = 0; names && names[k]; k++) {
			cleanup_free char *path = xasprintf("%s/%s", dir, names[k]);
			cleanup_free char *data = fix_read(path, NULL);
			cleanup_free char *msg = NULL;
			if (!data)
				continue;
			struct bld_parser_dockerfile *df = graph(data, NULL, NULL, &msg);
			if (strcmp(path, FIX_CORPUS "/mysql/Dockerfile.oracle") == 0) {
				/* a jq template ("{{ def ... }}"): Docker rejects it too */
				cr_expect(msg && strstr(msg, "unknown instruction: {{"), "%s", path);
			} else {
				cr_expect(df, "%s: %s", path, msg ? msg : "");
				built += df != NULL;
			}
			bld_parser_dockerfile_free(df);
		}
		bld_strv_free(names);
	}
	bld_strv_free(dirs);
	cr_expect_geq(built, 299);
}
