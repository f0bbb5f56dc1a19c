/*
 * cli/image_util.h — what the image commands of cli/ (images, tag, rmi, inspect, history,
 * save, load, import, image prune, system df/check) share: opening the store, finding an
 * image the way docker does (name first, then ID), docker's name and time formatting, and
 * a small subset of Go templates for --format.
 */
#ifndef BLD_CLI_IMAGE_UTIL_H
#define BLD_CLI_IMAGE_UTIL_H

#include "cache/cache.h"
#include "cli/cli.h"
#include "registry/registry.h"

struct json_t;

int bld_cli_store_open(struct bld_ctx *ctx, struct bld_store **out, struct bld_error **err);
/* 12 hex digits of an ID: "sha256:abc..." -> "abc..." (out has 13 bytes). */
void bld_cli_short_id(const char *id, char out[13]);
/* "2 months ago" for an RFC 3339 time; "N/A" when it cannot be read. Caller frees. */
char *bld_cli_since(const char *rfc3339);
/* docker's timetypes.GetTimestamp now (bld_parser_timestamp: a duration before now, a date,
 * unix seconds) as nanoseconds since the epoch; -1 when s is none of them. */
int bld_cli_timestamp(const char *s, int64_t *ns);
/* docker's human size ("4.26MB"); out has at least 32 bytes. */
void bld_cli_size(char *out, size_t n, int64_t bytes);
/*
 * Renders a Go-template subset over a JSON object: {{.Field}}, {{.A.B}}, {{json .X}},
 * {{json .}}, with "\t" and "\n" written as tab and newline. Caller frees.
 */
char *bld_cli_template(const char *fmt, const struct json_t *obj);
/*
 * The public keys every --key names (trust inspect, trust verify-attestation): *keys is
 * NULL-terminated, *n counts them; caller frees with bld_cli_trust_keys_free.
 */
int bld_cli_trust_keys(struct bld_cli_args *a, struct bld_registry_trust_key ***keys, size_t *n,
		       struct bld_error **err);
void bld_cli_trust_keys_free(struct bld_registry_trust_key **keys);
/* The same, with {{json .}} written as json_dot instead (docker's events: templates name Go's
 * fields, {{json .}} shows the JSON names). */
char *bld_cli_template_dot(const char *fmt, const struct json_t *obj,
			   const struct json_t *json_dot);
/* Asks "Are you sure you want to continue? [y/N]" on stderr; true for y/yes. */
bool bld_cli_confirm(const char *warning);



/* "5 seconds ago", as docker's CREATED column (created: unix seconds). */
void bld_cli_created_text(char *out, size_t n, int64_t created);

/* A table printed the way docker's tabwriter does (min width 10, padding 3). */
struct bld_cli_table {
	char **cells; /* row-major, ncols per row */
	size_t ncols, nrows;
	size_t min_width; /* of a column; _init sets docker's usual 10 (top uses 20) */
};
void bld_cli_table_init(struct bld_cli_table *t, size_t ncols);
/* Adds one row of ncols strings (copied). */
void bld_cli_table_add(struct bld_cli_table *t, const char *const *row);
/* Adds a row from one line whose cells are separated by tabs. */
void bld_cli_table_add_tabbed(struct bld_cli_table *t, const char *line);
void bld_cli_table_print(FILE *f, const struct bld_cli_table *t);
void bld_cli_table_dispose(struct bld_cli_table *t);

/* What `network inspect` and `volume inspect` print of the objects found: docker's JSON
 * array, or the template once per object (an empty line for none, as docker's). */
void bld_cli_inspect_print(const struct json_t *all, const char *fmt);
/* `network inspect` and `volume inspect` of a->argv: what inspect finds printed as above
 * (a->"format"), then "bld: No such WHAT: NAME" for each name not found; 1 when one was not. */
int bld_cli_inspect_each(struct bld_ctx *ctx, struct bld_cli_args *a, const char *what,
			 int (*inspect)(struct bld_ctx *, const char *, struct json_t **,
					struct bld_error **));

/* The rows of a list command under --format: "table [TEMPLATE]" (and NULL) aligned as
 * docker's tabwriter with a header row, any other template one line per row as it renders. */
struct bld_cli_rows {
	struct bld_cli_table t;
	bool table;
};
/* The template the rows render (fmt without its "table " prefix; dflt when that leaves
 * nothing); the header line (tabs between cells) sets the columns and is printed first in a
 * table. Rendering stays the caller's: each command has its own fields. */
const char *bld_cli_rows_template(const char *fmt, const char *dflt);
void bld_cli_rows_begin(struct bld_cli_rows *r, const char *fmt, const char *header);
void bld_cli_rows_add(struct bld_cli_rows *r, const char *line);
/* Prints the table, if one, and frees it. */
void bld_cli_rows_end(struct bld_cli_rows *r);

/* prune.c: the options of every prune command. */
#define BLD_CLI_PRUNE_OPTS(example)                                                          \
	{"filter", 0, BLD_OPT_LIST, "filter", "Provide filter values (e.g. \"" example "\")",   \
	 NULL},                                                                               \
	{"force", 'f', BLD_OPT_BOOL, NULL, "Do not prompt for confirmation", NULL}
/* --filter refused (-1, not supported yet); without --force docker's question (false: the
 * answer was no). */
int bld_cli_prune_confirm(const struct bld_cli_args *a, const char *cmd, const char *warning,
			  struct bld_error **err);
/* Without --force docker's question (false: the answer was no). */
bool bld_cli_prune_ask(const struct bld_cli_args *a, const char *warning);
/* Which images a prune removes: the dangling ones (all: every image no container uses) that
 * filters (docker's label=, label!=, NULL: none) and until (NULL: none) let go. */
struct bld_cli_image_sel {
	char *const *filters;
	const int64_t *until;
};
/* The store's part of a prune: the images sel picks (NULL: the dangling ones; all: every
 * image no container uses) with docker's "Deleted Images:" block when images, the dangling
 * build cache (all: all of it) into *keys when keys, then garbage collection; *bytes is the
 * space given back. */
int bld_cli_prune_store(struct bld_ctx *ctx, bool images, const struct bld_cli_image_sel *sel,
			char ***keys, bool all,
			int64_t *bytes, struct bld_error **err);
/* "Deleted WHAT:", a line per name and an empty line; nothing when names is empty. */
void bld_cli_print_deleted(const char *what, char **names);
/* "Total reclaimed space: 1.2kB" */
void bld_cli_print_reclaimed(int64_t bytes);

#endif
