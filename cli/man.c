/*
 * cli/man.c — the manual pages, written from the command table (`bld __man DIR`, run by
 * `make man` at build time): bld(1) and bld-<command>(1) for every command, in docker's
 * section layout (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES, EXIT STATUS, SEE ALSO).
 * The options and examples are the very entries --help prints, so the two never differ.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>

static const char default_status[] =
	"0 on success. 1 when the command fails, as docker's: an object that does not exist, a "
	"registry that refuses or cannot be reached, a wrong number of arguments, an error of "
	"the store or of the system. 125 for a flag that does not parse (unknown, or a value "
	"of the wrong form).";

/* the commands whose failures exit 125 (cmd->fail_status): run's own are given apart */
static const char fail_125_status[] =
	"0 on success. 125 when the command fails or a flag does not parse (podman's status "
	"for a failure); 1 for a wrong number of arguments.";

/* s as roff text: backslashes, minus signs and a leading control character escaped */
static void roff(FILE *f, const char *s)
{
	bool bol = true;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* "bld-image-prune" for "image prune", "bld" for bld itself */
static char *page_name(const struct bld_cli_cmd *c)
{
	char *p = xasprintf("bld%s%s", *c->name ? "-" : "", c->name);
	for (char *q = p; *q; q++)
		if (*q == ' ')
			*q = '-';
	return p;
}

static void see_also(FILE *f, const char *page, int sec, bool *first)
{
	fputs(*first ? "" : ",\n", f);
	fputs(".BR ", f);
	roff(f, page);
	fprintf(f, " (%d)", sec);
	*first = false;
}

static void section_description(FILE *f, const struct bld_cli_cmd *c)
{
	fputs(".SH DESCRIPTION\n", f);
	const char *d = c->description ? c->description : c->summary;
	for (const char *p = d; *p;) {
		const char *end = strstr(p, "\n\n");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		cleanup_free char *para = xstrndup(p, n);
		fputs(".PP\n", f);
		roff(f, para);
		fputc('\n', f);
		p += n + (end ? 2 : 0);
	}
	cleanup_free const char **al = bld_cli_aliases_of(c->name);
	for (size_t i = 0; al[i]; i++) {
		fputs(i == 0 ? ".PP\nAlso run as " : ", ", f);
		fputs("\\fBbld ", f);
		roff(f, al[i]);
		fputs("\\fR", f);
	}
	if (al[0])
		fputs(".\n", f);
	if (strncmp(c->name, "compose ", 8) == 0)
		fputs(".PP\nThe options of the compose group (\\-f, \\-p, \\-\\-profile ...; see\n"
		      ".BR bld\\-compose (1))\ncome before the command word.\n",
		      f);
}

static void section_options(FILE *f, const struct bld_cli_cmd *c)
{
	fputs(".SH OPTIONS\n", f);
	for (const struct bld_cli_opt *o = c->opts; o && o->name; o++) {
		char left[96];
		bld_cli_opt_left(left, sizeof(left), o);
		fputs(".PP\n\\fB", f);
		roff(f, left);
		fputs("\\fR\n.RS 4\n", f);
		roff(f, o->help);
		if (o->def && o->type != BLD_OPT_BOOL) {
			fputs(" (default \"", f);
			roff(f, o->def);
			fputs("\")", f);
		}
		fputs("\n.RE\n", f);
	}
	fputs(".PP\n\\fB\\-\\-help\\fR\n.RS 4\nPrint usage\n.RE\n", f);
}

static void section_examples(FILE *f, const struct bld_cli_cmd *c)
{
	if (!c->examples || !c->examples->line)
		return;
	fputs(".SH EXAMPLES\n", f);
	for (const struct bld_cli_example *e = c->examples; e->line; e++) {
		fputs(".PP\n", f);
		roff(f, e->what);
		fputs(":\n.PP\n.RS 4\n.nf\n", f);
		roff(f, e->line);
		fputs("\n.fi\n.RE\n", f);
	}
}

/* bld(1) names every page; a command names bld(1), its group's page and its siblings */
static void section_see_also(FILE *f, const struct bld_cli_cmd *c)
{
	fputs(".SH SEE ALSO\n", f);
	bool first = true;
	size_t group = strcspn(c->name, " ");
	if (!*c->name) {
		see_also(f, "bld-store", 7, &first);
		see_also(f, "bld-config", 5, &first);
		see_also(f, "bld-trust", 7, &first);
	} else {
		see_also(f, "bld", 1, &first);
	}
	for (const struct bld_cli_cmd *const *t = bld_cli_table(); *t; t++) {
		const struct bld_cli_cmd *o = *t;
		bool sibling = c->name[group] == ' ' && strncmp(o->name, c->name, group + 1) == 0;
		bool parent = c->name[group] == ' ' && strlen(o->name) == group &&
			      strncmp(o->name, c->name, group) == 0;
		if (o != c && *o->name && (!*c->name || sibling || parent)) {
			cleanup_free char *p = page_name(o);
			see_also(f, p, 1, &first);
		}
	}
	fputs("\n", f);
}

static void write_page(FILE *f, const struct bld_cli_cmd *c)
{
	cleanup_free char *page = page_name(c);
	cleanup_free char *upper = xstrdup(page);
	for (char *q = upper; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	fputs(".TH \"", f);
	roff(f, upper);
	fprintf(f, "\" 1 \"\" \"bld %s\" \"bld Manual\"\n.nh\n.ad l\n.SH NAME\n", bld_version);
	roff(f, page);
	fputs(" \\- ", f);
	roff(f, c->summary);
	fputs("\n.SH SYNOPSIS\n\\fBbld", f);
	if (*c->name)
		fputc(' ', f);
	roff(f, c->name);
	fputs("\\fR ", f);
	/* a usage of two forms (cp) is two lines */
	for (const char *u = c->usage ? c->usage : ""; *u;) {
		size_t n = strcspn(u, "\n");
		cleanup_free char *line = xstrndup(u, n);
		roff(f, line);
		u += n;
		if (*u) {
			fputs("\n.br\n", f);
			u += strspn(u, "\n \t");
		}
	}
	fputc('\n', f);
	section_description(f, c);
	section_options(f, c);
	section_examples(f, c);
	fputs(".SH EXIT STATUS\n", f);
	const struct bld_cli_cmd *group = bld_cli_compose_table()[0];
	const char *status = c->exit_status		? c->exit_status
			     : c->fail_status == 125 ? fail_125_status
						     : default_status;
	if (!c->exit_status && strncmp(c->name, "compose ", 8) == 0)
		status = group->exit_status;
	roff(f, status);
	fputc('\n', f);
	section_see_also(f, c);
}

int bld_cli_man_write(const char *dir, struct bld_error **err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return bld_error_sys(err, errno, "%s", dir);
	for (const struct bld_cli_cmd *const *t = bld_cli_table(); *t; t++) {
		cleanup_free char *page = page_name(*t);
		cleanup_free char *path = xasprintf("%s/%s.1", dir, page);
		cleanup_fclose FILE *f = fopen(path, "we");
		if (!f)
			return bld_error_sys(err, errno, "%s", path);
		write_page(f, *t);
		if (fflush(f) != 0 || ferror(f))
			return bld_error_sys(err, errno, "write %s", path);
	}
	return 0;
}
