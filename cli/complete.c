/*
 * cli/complete.c — `bld __complete WORD...`: what the shell completion scripts (`bld
 * completion bash|zsh|fish`) ask. WORDs are the command line after "bld", the last one being
 * the word under the cursor (possibly empty). The answer is every candidate that starts with
 * it, one a line: command words, options, and live values from the store where docker's
 * completion gives them (image, container, network and volume names, compose services), and a
 * line ":files" when the shell should complete file names as well.
 *
 * Everything comes from the command table: the commands and their spellings, each command's
 * options, and its usage line, whose placeholders (IMAGE, CONTAINER, NETWORK, VOLUME,
 * SERVICE, PATH ...) say what a positional argument is. It never fails loudly: a store that
 * cannot be read gives no values.
 */
#include "cli/cli.h"
#include "cli/compose_util.h"
#include "cli/image_util.h"
#include "registry/registry.h"
#include "runner/runner.h"

#include <jansson.h>

enum kind { K_NONE, K_FILES, K_IMAGES, K_CONTAINERS, K_NETWORKS, K_VOLUMES, K_SERVICES,
	    K_CTR_OR_IMAGE, K_VOLUME_OR_PATH, K_WORDS };

struct completion {
	struct bld_ctx *ctx;
	const char *cur;                   /* the word under the cursor */
	const struct bld_cli_args *group;  /* compose's group options, or NULL */
	char **offered;                    /* printed already: each candidate once */
};

static void offer(struct completion *c, const char *cand)
{
	if (!cand || strncmp(cand, c->cur, strlen(c->cur)) != 0)
		return;
	for (size_t i = 0; c->offered && c->offered[i]; i++)
		if (strcmp(c->offered[i], cand) == 0)
			return;
	bld_strv_push(&c->offered, cand);
	printf("%s\n", cand);
}

/* What an option's value is, by the option's name (docker's completion does the same). */
static enum kind option_kind(const struct bld_cli_opt *o, const char **words)
{
	static const struct {
		const char *name;
		enum kind kind;
		const char *words;
	} kinds[] = {
		{"file", K_FILES, NULL},	     {"env-file", K_FILES, NULL},
		{"label-file", K_FILES, NULL},   {"iidfile", K_FILES, NULL},
		{"cidfile", K_FILES, NULL},	     {"output", K_FILES, NULL},
		{"input", K_FILES, NULL},	     {"root", K_FILES, NULL},
		{"signature-policy", K_FILES, NULL}, {"key", K_FILES, NULL},
		{"sign-by", K_FILES, NULL},	     {"project-directory", K_FILES, NULL},
		{"network", K_NETWORKS, NULL},   {"net", K_NETWORKS, NULL},
		{"volume", K_VOLUME_OR_PATH, NULL},     {"volumes-from", K_CONTAINERS, NULL},
		{"link", K_CONTAINERS, NULL},    {"log-level", K_WORDS, "debug info warn error"},
		{"restart", K_WORDS, "no always on-failure unless-stopped"},
		{"progress", K_WORDS, "auto plain tty quiet"},
		{"pull", K_WORDS, "always missing never"},
	};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(kinds); i++)
		if (strcmp(o->name, kinds[i].name) == 0) {
			*words = kinds[i].words;
			return kinds[i].kind;
		}
	return K_NONE;
}

/* What the n-th positional argument is, from the placeholders of the usage line. */
static enum kind positional_kind(const struct bld_cli_cmd *cmd, int n, char **alts)
{
	const char *u = cmd->usage ? cmd->usage : "";
	cleanup_free char *tok = NULL;
	int i = 0;
	for (const char *p = u; *p && *p != '\n';) {
		size_t l = strcspn(p, " \n");
		bool skip = (l == 9 && strncmp(p, "[OPTIONS]", 9) == 0) || (l == 1 && *p == '|');
		if (!skip && l > 0 && (i++ == n || memmem(p, l, "...", 3))) {
			free(tok); /* the last, repeated one covers the rest */
			tok = xstrndup(p, l);
			if (i > n)
				break;
		}
		p += l;
		p += *p == ' ';
	}
	if (!tok || (cmd->stop_at_first_arg && n > 0 && !strstr(tok, "CONTAINER")))
		return K_NONE;
	if (strstr(tok, "NAME|ID"))
		return K_CTR_OR_IMAGE;
	if (strspn(tok, "abcdefghijklmnopqrstuvwxyz|") == strlen(tok)) { /* "bash|zsh|fish" */
		for (char *p = tok; *p; p++)
			*p = *p == '|' ? ' ' : *p;
		*alts = steal_pointer(&tok);
		return K_WORDS;
	}
	static const struct {
		const char *word;
		enum kind kind;
	} words[] = {
		{"CONTAINER", K_CONTAINERS}, {"IMAGE", K_IMAGES},	{"REPOSITORY", K_IMAGES},
		{"NETWORK", K_NETWORKS},     {"VOLUME", K_VOLUMES},	{"SERVICE", K_SERVICES},
		{"PATH", K_FILES},	     {"file", K_FILES},		{"FILE", K_FILES},		{"NAME[:TAG", K_IMAGES},
	};
	for (size_t j = 0; j < BLD_ARRAY_SIZE(words); j++)
		if (strstr(tok, words[j].word))
			return words[j].kind;
	return K_NONE;
}

static void offer_images(struct completion *c)
{
	struct bld_store *s = NULL;
	struct bld_cache_desc *d = NULL;
	size_t n = 0;
	cleanup_error struct bld_error *e = NULL;
	if (access(c->ctx->root, F_OK) < 0 || bld_cli_store_open(c->ctx, &s, &e) < 0)
		return;
	if (bld_cache_ref_list(s, &d, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			cleanup_free char *f = bld_registry_familiar(d[i].name);
			offer(c, f);
		}
		bld_cache_desc_list_free(d, n);
	}
	bld_cache_store_free(s);
}

static void offer_containers(struct completion *c)
{
	struct bld_runner_container_info *v = NULL;
	size_t n = 0;
	cleanup_error struct bld_error *e = NULL;
	if (access(c->ctx->root, F_OK) < 0 ||
	    bld_runner_container_list(c->ctx, &v, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		offer(c, v[i].name);
		char id[13];
		snprintf(id, sizeof(id), "%.12s", v[i].id);
		offer(c, id);
	}
	bld_runner_container_info_free(v, n);
}

static void offer_networks(struct completion *c)
{
	char **ids = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (access(c->ctx->root, F_OK) < 0 || bld_runner_network_list(c->ctx, &ids, &e) < 0)
		return;
	for (size_t i = 0; ids[i]; i++) {
		json_t *net = NULL;
		if (bld_runner_network_load(c->ctx, ids[i], &net, &e) == 0)
			offer(c, bld_json_get_str(net, "Name"));
		json_decref(net);
		bld_error_free(e);
		e = NULL;
	}
	bld_strv_free(ids);
}

static void offer_volumes(struct completion *c)
{
	char **names = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (access(c->ctx->root, F_OK) < 0 || bld_runner_volume_list(c->ctx, &names, &e) < 0)
		return;
	for (size_t i = 0; names[i]; i++)
		offer(c, names[i]);
	bld_strv_free(names);
}

/* The services of the project the group options (-f, -p ...) select. */
static void offer_services(struct completion *c)
{
	struct bld_deploy_options o = {0};
	if (c->group)
		bld_cli_compose_options(c->group, &o);
	json_t *project = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (bld_deploy_project_load(c->ctx, &o, &project, &e) < 0)
		return;
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(project, "services"), name, v)
		offer(c, name);
	json_decref(project);
}

static void offer_kind(struct completion *c, enum kind k, const char *words)
{
	switch (k) {
	case K_FILES: printf(":files\n"); break;
	case K_IMAGES: offer_images(c); break;
	case K_CONTAINERS: offer_containers(c); break;
	case K_NETWORKS: offer_networks(c); break;
	case K_VOLUMES: offer_volumes(c); break;
	case K_VOLUME_OR_PATH: offer_volumes(c); printf(":files\n"); break;
	case K_SERVICES: offer_services(c); break;
	case K_CTR_OR_IMAGE: offer_containers(c); offer_images(c); break;
	case K_WORDS:
		for (const char *p = words; *p;) {
			size_t n = strcspn(p, " ");
			cleanup_free char *w = xstrndup(p, n);
			offer(c, w);
			p += n + strspn(p + n, " ");
		}
		break;
	case K_NONE: break;
	}
}

/* The option word w names ("--name", "-n", the last of grouped "-it"), or NULL. */
static const struct bld_cli_opt *find_opt(const struct bld_cli_cmd *cmd, const char *w)
{
	size_t len = strcspn(w, "=");
	for (const struct bld_cli_opt *o = cmd->opts; o && o->name; o++)
		if (w[1] == '-' ? strlen(o->name) == len - 2 && strncmp(w + 2, o->name, len - 2) == 0
				: o->shorthand && w[len - 1] == o->shorthand)
			return o;
	return NULL;
}

static void offer_options(struct completion *c, const struct bld_cli_cmd *cmd)
{
	for (const struct bld_cli_opt *o = cmd->opts; o && o->name; o++) {
		cleanup_free char *l = xasprintf("--%s", o->name);
		offer(c, l);
	}
	offer(c, "--help");
}

/*
 * Walks cmd's arguments words[0..n-2] up to the cursor word words[n-1]. When the cursor is on
 * an option or an option's value, completes it and returns -1; otherwise returns how many
 * positionals come before the cursor, and *first the index of the first one (n-1: none).
 */
static int walk(struct completion *c, const struct bld_cli_cmd *cmd, char **words, int n,
		int *first)
{
	int npos = 0;
	bool opts_done = false;
	*first = n - 1;
	for (int i = 0; i < n - 1; i++) {
		const char *w = words[i];
		if (!opts_done && strcmp(w, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (opts_done || w[0] != '-' || !w[1]) {
			if (npos++ == 0)
				*first = i;
			opts_done = opts_done || cmd->stop_at_first_arg;
			continue;
		}
		const struct bld_cli_opt *o = find_opt(cmd, w);
		if (!o || o->type == BLD_OPT_BOOL || strchr(w, '='))
			continue;
		if (++i == n - 1) {
			const char *vw = NULL;
			enum kind k = option_kind(o, &vw);
			offer_kind(c, k, vw);
			return -1;
		}
	}
	if (c->cur[0] == '-' && !opts_done) {
		offer_options(c, cmd);
		return -1;
	}
	return npos;
}

/* Whether name's words start with words[0..k-1]; *len: how many words name has. */
static bool name_starts(const char *name, char *const *words, int k, int *len)
{
	int n = 0;
	bool match = true;
	for (const char *p = name; *p; n++) {
		size_t l = strcspn(p, " ");
		if (n < k && (strlen(words[n]) != l || strncmp(words[n], p, l) != 0))
			match = false;
		p += l + (p[l] == ' ');
	}
	*len = n;
	return match;
}

/* The k-th word of name, offered. */
static void offer_word(struct completion *c, const char *name, int k)
{
	const char *p = name;
	for (int i = 0; i < k && *p; i++) {
		p += strcspn(p, " ");
		p += *p == ' ';
	}
	cleanup_free char *w = xstrndup(p, strcspn(p, " "));
	if (*w)
		offer(c, w);
}

/* One way to type a command: its name, or a management-command spelling of it. */
struct spelling {
	const char *name;
	const struct bld_cli_cmd *cmd;
};

/* Completes words[0..n-1] against the spellings: the command they name, then its
 * arguments; or, while its words are being typed, the next word of those that fit. */
static void complete_spelled(struct completion *c, const struct spelling *sp, size_t nsp,
			     char **words, int n)
{
	const struct spelling *best = NULL;
	int best_len = 0, len;
	for (size_t i = 0; i < nsp; i++)
		if (name_starts(sp[i].name, words, n - 1, &len) && len < n && len > best_len) {
			best = &sp[i];
			best_len = len;
		}
	if (!best) {
		for (size_t i = 0; i < nsp; i++)
			if (name_starts(sp[i].name, words, n - 1, &len) && len >= n)
				offer_word(c, sp[i].name, n - 1);
		return;
	}
	int first, npos = walk(c, best->cmd, words + best_len, n - best_len, &first);
	cleanup_free char *alts = NULL;
	enum kind k = npos >= 0 ? positional_kind(best->cmd, npos, &alts) : K_NONE;
	/* a command outside the compose group that selects a project (-f, -p) by itself */
	struct bld_cli_args own = {0};
	cleanup_error struct bld_error *e = NULL;
	if (k == K_SERVICES && !c->group && find_opt(best->cmd, "--project-name") &&
	    bld_cli_args_parse(&own, best->cmd, n - 1 - best_len, words + best_len, &e) == 0)
		c->group = &own;
	offer_kind(c, k, alts);
	if (c->group == &own)
		c->group = NULL;
	bld_cli_args_dispose(&own);
}

/* `bld compose [group options] COMMAND ...`: words start after "compose". */
static void complete_compose(struct completion *c, char **words, int n)
{
	const struct bld_cli_cmd *const *t = bld_cli_compose_table();
	int first, npos = walk(c, t[0], words, n, &first);
	if (npos < 0)
		return;
	struct bld_cli_args g;
	cleanup_error struct bld_error *e = NULL;
	if (bld_cli_args_parse(&g, t[0], first, words, &e) == 0)
		c->group = &g;
	struct spelling sp[128];
	size_t nsp = 0;
	for (t++; *t && nsp < BLD_ARRAY_SIZE(sp); t++)
		sp[nsp++] = (struct spelling){(*t)->name + strlen("compose "), *t};
	complete_spelled(c, sp, nsp, words + first, n - first);
	c->group = NULL;
	bld_cli_args_dispose(&g);
}

int bld_cli_complete(struct bld_ctx *ctx, char **words, int n)
{
	static char empty[] = "";
	char *none[] = {empty};
	if (n == 0) {
		words = none;
		n = 1;
	}
	struct completion c = {.ctx = ctx, .cur = words[n - 1]};
	const struct bld_cli_cmd *const *t = bld_cli_table();
	int first, npos = walk(&c, t[0], words, n, &first); /* t[0]: bld's global options */
	if (npos < 0) {
		bld_strv_free(c.offered);
		return 0;
	}
	struct bld_cli_args g; /* --root on the line: the values come from that store */
	cleanup_error struct bld_error *e = NULL;
	if (bld_cli_args_parse(&g, t[0], first, words, &e) == 0 && bld_cli_str(&g, "root")) {
		free(ctx->root);
		ctx->root = xstrdup(bld_cli_str(&g, "root"));
	}
	bld_cli_args_dispose(&g);
	words += first;
	n -= first;
	if (n > 1 && strcmp(words[0], "compose") == 0) {
		complete_compose(&c, words + 1, n - 1);
		bld_strv_free(c.offered);
		return 0;
	}
	struct spelling sp[256];
	size_t nsp = 0;
	for (t++; *t && nsp < BLD_ARRAY_SIZE(sp); t++)
		if (strncmp((*t)->name, "compose ", 8) != 0)
			sp[nsp++] = (struct spelling){(*t)->name, *t};
	const char **names = NULL;
	const struct bld_cli_cmd **targets = NULL;
	size_t na = bld_cli_alias_list(&names, &targets);
	for (size_t i = 0; i < na && nsp < BLD_ARRAY_SIZE(sp); i++)
		sp[nsp++] = (struct spelling){names[i], targets[i]};
	complete_spelled(&c, sp, nsp, words, n);
	free(names);
	free(targets);
	bld_strv_free(c.offered);
	return 0;
}
