/*
 * tests/parser/test_instructions.c — the validation pass: one case per error class (each
 * message names Dockerfile:LINE and the cause) and the typed fields of good instructions.
 */
#include "tests/parser/fixtures.h"

static char *df_error(const char *text)
{
	struct bld_parser_dockerfile *df = NULL;
	struct bld_error *err = NULL;
	if (bld_parser_dockerfile_new(&df, text, strlen(text), &err) == 0) {
		bld_parser_dockerfile_free(df);
		return NULL;
	}
	char *m = xstrdup(err->msg);
	bld_error_free(err);
	return m;
}

static struct bld_parser_dockerfile *df_ok(const char *text)
{
	struct bld_parser_dockerfile *df = NULL;
	struct bld_error *err = NULL;
	int r = bld_parser_dockerfile_new(&df, text, strlen(text), &err);
	cr_assert_eq(r, 0, "%s: %s", text, err ? err->msg : "");
	return df;
}

static const struct {
	const char *text, *want;
} bad[] = {
	{"FROM a\nFOO bar\n", "Dockerfile:2: unknown instruction: FOO"},
	{"RUN true\nFROM a\n", "Dockerfile:1: no build stage in current context"},
	{"ARG A=1\n", "missing FROM"},
	{"# only a comment\n", "Dockerfile:1: file with no instructions"},
	{"", "file with no instructions"},
	{"FROM a\nCOPY --nope=1 a b\n", "Dockerfile:2: unknown flag: --nope"},
	{"FROM a\nCOPY --from a b\n", "Dockerfile:2: missing a value on flag: --from"},
	{"FROM a\nCOPY --link --link a b\n", "duplicate flag specified: --link"},
	{"FROM a\nCOPY --link=maybe a b\n", "expecting boolean value for flag --link, not: maybe"},
	{"FROM a\nCMD --x=1 true\n", "Dockerfile:2: unknown flag: --x"},
	{"FROM --plat=x a\n", "Dockerfile:1: unknown flag: --plat"},
	{"FROM a\nCMD [\"a\", 1]\n", "Dockerfile:2: when using JSON array syntax"},
	{"FROM a\nRUN [\"a\", [\"b\"]]\n", "arrays must be comprised of strings only"},
	{"FROM a\nRUN <<EOF\necho\n", "Dockerfile:2: unterminated heredoc"},
	/* a heredoc word that lexes only once split out of a ${...} (see heredoc.c) */
	{"FROM a\nRUN ${X:-a <<\\'E}\n", "Dockerfile:2: invalid heredoc"},
	{"FROM a\nCOPY a <<EOF\nx\nEOF\n", "cannot accept a heredoc as a destination"},
	{"FROM a\nENV X\n", "Dockerfile:2: ENV must have two arguments"},
	{"FROM a\nENV X=1 Y\n", "can't find = in \"Y\""},
	{"FROM a\nLABEL\n", "LABEL requires at least one argument"},
	{"FROM a\nARG =x\n", "ARG names can not be blank"},
	{"FROM a b\n", "FROM requires either one or three arguments"},
	{"FROM a AS 1st\n", "invalid name for build stage: \"1st\""},
	{"FROM a\nCOPY onlyone\n", "COPY requires at least two arguments"},
	{"FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"},
	{"FROM a\nEXPOSE\n", "EXPOSE requires at least one argument"},
	{"FROM a\nVOLUME [\"\"]\n", "VOLUME specified can not be an empty string"},
	{"FROM a\nSHELL sh -c\n", "SHELL requires the arguments to be in JSON form"},
	{"FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD"},
	{"FROM a\nONBUILD FROM b\n", "FROM isn't allowed as an ONBUILD trigger"},
	{"FROM a\nHEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments"},
	{"FROM a\nHEALTHCHECK CONNECT x\n", "Unknown type \"CONNECT\" in HEALTHCHECK"},
	{"FROM a\nHEALTHCHECK CMD\n", "Missing command after HEALTHCHECK CMD"},
	{"FROM a\nHEALTHCHECK --interval=5x CMD true\n", "time: invalid duration"},
	{"FROM a\nHEALTHCHECK --interval=10us CMD true\n", "cannot be less than 1ms"},
	{"FROM a\nHEALTHCHECK --retries=-1 CMD true\n", "--retries cannot be negative"},
	{"FROM a\nRUN --mount=type=nfs true\n", "unsupported mount type \"nfs\""},
	{"FROM a\nRUN --mount=type=bind,uid=1 true\n", "uid not allowed for \"bind\" type mounts"},
	{"FROM a\nRUN --mount=type=cache,sharing=all true\n", "unsupported sharing value"},
	{"FROM a\nRUN --mount=type=secret true\n", "invalid secret mount"},
	{"FROM a\nRUN --mount=type=tmpfs,size=big true\n", "invalid value for size: big"},
	{"FROM a\nRUN --mount=type=bind,foo=bar true\n", "unexpected key 'foo'"},
	{"FROM a\nRUN --mount=from=$X,target=/x true\n", "doesn't support variable expansion"},
	{"FROM a\nRUN --network=bridge true\n", "invalid network mode \"bridge\""},
	{"FROM a\nRUN --security=root true\n", "security \"root\" is not valid"},
	{"# escape=x\nFROM a\n", "Dockerfile:1: invalid escape token 'x'"},
	{"# syntax=a\n# syntax=b\nFROM a\n", "Dockerfile:2: only one syntax parser directive"},
};

Test(parser_instructions, every_error_class_names_line_and_cause)
{
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad); i++) {
		cleanup_free char *m = df_error(bad[i].text);
		cr_expect(m && strstr(m, bad[i].want), "%s: want '%s', got '%s'", bad[i].text,
			  bad[i].want, m ? m : "(no error)");
		cr_expect(m && bld_str_has_prefix(m, "Dockerfile:"), "%s: %s", bad[i].text,
			  m ? m : "");
	}
}

Test(parser_instructions, run_mount_options_are_parsed)
{
	struct bld_parser_dockerfile *df = df_ok(
		"FROM a\nRUN --mount=type=cache,id=c1,target=/root/.cache,sharing=locked,mode=0700,"
		"uid=10,gid=20 --mount=type=secret,id=tok,required --mount=type=tmpfs,dst=/t,"
		"size=64m --mount=from=b,src=/x,target=/y,rw --network=none --security=insecure "
		"make\n");
	const struct bld_parser_instruction *in = &df->ins[1];
	cr_assert_eq(in->kind, BLD_PARSER_RUN);
	cr_assert_eq(in->nmounts, 4);
	const struct bld_parser_mount *m = in->mounts;
	cr_expect_eq(m[0].type, BLD_PARSER_MOUNT_CACHE);
	cr_expect_str_eq(m[0].id, "c1");
	cr_expect_str_eq(m[0].target, "/root/.cache");
	cr_expect_str_eq(m[0].sharing, "locked");
	cr_expect(m[0].has_mode && m[0].mode == 0700 && m[0].uid == 10 && m[0].gid == 20);
	cr_expect(!m[0].readonly);
	cr_expect(m[1].type == BLD_PARSER_MOUNT_SECRET && m[1].required && m[1].readonly);
	cr_expect(m[2].type == BLD_PARSER_MOUNT_TMPFS && m[2].size == 64 << 20);
	cr_expect(m[3].type == BLD_PARSER_MOUNT_BIND && !m[3].readonly);
	cr_expect_str_eq(m[3].from, "b");
	cr_expect_str_eq(m[3].source, "/x");
	cr_expect_str_eq(in->network, "none");
	cr_expect_str_eq(in->security, "insecure");
	cr_expect_str_eq(in->args[0], "make");
	cr_expect(in->prepend_shell);
	bld_parser_dockerfile_free(df);
}

Test(parser_instructions, copy_add_healthcheck_env_arg_fields)
{
	struct bld_parser_dockerfile *df = df_ok(
		"ARG BASE=alpine\nFROM $BASE AS Build\n"
		"COPY --from=build --chown=1:2 --chmod=755 --link --parents --exclude=*.md "
		"--exclude=x a b /dst/\n"
		"ADD --checksum=sha256:00 --keep-git-dir=false --unpack https://x/y.tgz /z\n"
		"COPY <<-EOF /f\n\thello\n\tEOF\n"
		"HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD curl -f x\n"
		"ENV A=1 B=\"two words\"\nENV LEGACY some value\nARG X Y=2\n"
		"EXPOSE 80 443/tcp 8080\nSTOPSIGNAL SIGTERM\nONBUILD RUN echo hi\n");
	cr_expect_eq(df->nmeta, 1);
	cr_expect_eq(df->nstages, 1);
	cr_expect_str_eq(df->stages[0].name, "build");
	const struct bld_parser_instruction *c = &df->ins[2], *a = &df->ins[3], *h = &df->ins[5];
	cr_expect_str_eq(c->from, "build");
	cr_expect_str_eq(c->chown, "1:2");
	cr_expect_str_eq(c->chmod, "755");
	cr_expect(c->link && c->parents);
	cr_expect_str_eq(c->excludes[0], "*.md");
	cr_expect_str_eq(c->excludes[1], "x");
	cr_expect_str_eq(c->sources[1], "b");
	cr_expect_str_eq(c->dest, "/dst/");
	cr_expect_str_eq(a->checksum, "sha256:00");
	cr_expect(a->keep_git_dir == 0 && a->unpack == 1);
	cr_expect_eq(df->ins[4].ncontents, 1);
	cr_expect_str_eq(df->ins[4].contents[0].data, "hello\n");
	cr_expect_eq(h->interval_ns, 90LL * 1000000000);
	cr_expect_eq(h->timeout_ns, 500LL * 1000000);
	cr_expect_eq(h->retries, 3);
	cr_expect_str_eq(h->health_test[0], "CMD-SHELL");
	cr_expect_str_eq(h->health_test[1], "curl -f x");
	cr_expect_str_eq(df->ins[6].kvs[1].value, "\"two words\"");
	cr_expect(df->ins[7].kvs[0].no_delim);
	cr_expect_str_eq(df->ins[7].kvs[0].value, "some value");
	cr_expect(!df->ins[8].kvs[0].has_value && df->ins[8].kvs[1].has_value);
	cr_expect_str_eq(df->ins[9].args[0], "443/tcp"); /* sorted, as BuildKit */
	cr_expect_str_eq(df->ins[11].args[0], "RUN echo hi");
	bld_parser_dockerfile_free(df);
}

Test(parser_instructions, durations_follow_go)
{
	static const struct {
		const char *s;
		int64_t ns;
	} ok[] = {{"0", 0}, {"1s", 1000000000}, {"1.5h", 5400000000000}, {"2m3s", 123000000000},
		  {"300ms", 300000000}, {"10us", 10000}, {"-1s", -1000000000}};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(ok); i++) {
		int64_t v = -7;
		cr_expect_eq(bld_parser_duration(ok[i].s, &v), 0, "%s", ok[i].s);
		cr_expect_eq(v, ok[i].ns, "%s", ok[i].s);
	}
	static const char *const bad_d[] = {"", "1", "s", "1x", "1..2s", ".s"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(bad_d); i++) {
		int64_t v;
		cr_expect_lt(bld_parser_duration(bad_d[i], &v), 0, "%s", bad_d[i]);
	}
}
