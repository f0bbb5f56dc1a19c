/*
 * cli/cmd_stats.c — `bld stats [-a] [--no-stream] [--no-trunc] [--format] [CONTAINER...]`
 * (also `bld container stats`): docker's table of CPU %, memory usage / limit and %, network
 * and block I/O and PIDs, from readings of the containers' cgroups one second apart
 * (runner/stats.c). Live, it is redrawn in place every second on a terminal and printed
 * again, whole, on anything else; --no-stream prints it once. Without names it shows the
 * running containers (every one with -a), and follows those that start or go.
 *
 * CPU % is the container's CPU time over the wall time between two readings (docker's
 * ratio to the host's CPU time times the number of CPUs comes to the same).
 */
#include "cli/image_util.h"
#include "runner/runner.h"

#include <jansson.h>
#include <time.h>

#define DEFAULT_FORMAT                                                                      \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"  \
	"{{.BlockIO}}\t{{.PIDs}}"

static const struct bld_cli_opt opts[] = {
	{"all", 'a', BLD_OPT_BOOL, NULL, "Show all containers (default shows just running)", NULL},
	{"format", 0, BLD_OPT_STRING, "string", "Pretty-print images using a Go template", NULL},
	{"no-stream", 0, BLD_OPT_BOOL, NULL, "Disable streaming stats and only pull the first result",
	 NULL},
	{"no-trunc", 0, BLD_OPT_BOOL, NULL, "Do not truncate output", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

struct ctr {
	char *id, *name;
	struct bld_runner_stats prev, cur;
	bool ok, have_prev;
};

static json_t *row_json(const struct ctr *c, bool trunc)
{
	const struct bld_runner_stats *s = &c->cur;
	double cpu = 0, mem = 0;
	if (c->ok && c->have_prev && s->read_ns > c->prev.read_ns && s->cpu_ns >= c->prev.cpu_ns)
		cpu = 100.0 * (double)(s->cpu_ns - c->prev.cpu_ns) /
		      (double)(s->read_ns - c->prev.read_ns);
	if (s->mem_limit)
		mem = 100.0 * (double)s->mem_usage / (double)s->mem_limit;
	char a[32], b[32], cpus[32], mems[32], usage[80], net[80], blk[80], pids[32];
	snprintf(cpus, sizeof(cpus), "%.2f%%", cpu);
	snprintf(mems, sizeof(mems), "%.2f%%", mem);
	bld_format_size_binary(a, sizeof(a), (double)s->mem_usage);
	bld_format_size_binary(b, sizeof(b), (double)s->mem_limit);
	snprintf(usage, sizeof(usage), "%s / %s", a, b);
	bld_format_size(a, sizeof(a), (double)s->net_rx);
	bld_format_size(b, sizeof(b), (double)s->net_tx);
	snprintf(net, sizeof(net), "%s / %s", a, b);
	bld_format_size(a, sizeof(a), (double)s->blk_read);
	bld_format_size(b, sizeof(b), (double)s->blk_write);
	snprintf(blk, sizeof(blk), "%s / %s", a, b);
	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)s->pids);
	return json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", c->id,
			 (size_t)(trunc ? 12 : 64), "Container", c->name, "Name", c->name,
			 "CPUPerc", cpus, "MemUsage", usage, "MemPerc", mems, "NetIO", net,
			 "BlockIO", blk, "PIDs", pids);
}

static json_t *header_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID",
			 "Container", "CONTAINER", "Name", "NAME", "CPUPerc", "CPU %", "MemUsage",
			 "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
			 "BLOCK I/O", "PIDs", "PIDS");
}

/* The rendered lines as docker's table: cells aligned on their tabs. */
static void tabulate(struct bld_buf *out, char *const *lines)
{
	size_t ncols = 1;
	for (size_t i = 0; lines && lines[i]; i++) {
		size_t c = 1;
		for (const char *p = lines[i]; *p; p++)
			c += *p == '\t';
		ncols = c > ncols ? c : ncols;
	}
	struct bld_cli_table tab;
	bld_cli_table_init(&tab, ncols);
	for (size_t i = 0; lines && lines[i]; i++)
		bld_cli_table_add_tabbed(&tab, lines[i]);
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	if (f) {
		bld_cli_table_print(f, &tab);
		fclose(f);
		bld_buf_add(out, mem, len);
	}
	free(mem);
	bld_cli_table_dispose(&tab);
}

/* One frame: the table (or the template's lines) for every container, as a string. */
static char *frame(const struct ctr *v, size_t n, const char *fmt, bool trunc)
{
	bool table = bld_str_has_prefix(fmt, "table");
	const char *t = table ? fmt + 5 + (fmt[5] == ' ') : fmt;
	cleanup_strv char **lines = NULL;
	for (size_t i = table ? 0 : 1; i <= n; i++) {
		json_t *o = i == 0 ? header_json() : row_json(&v[i - 1], trunc);
		cleanup_free char *line = bld_cli_template(t, o);
		json_decref(o);
		bld_strv_push(&lines, line);
	}
	struct bld_buf out = BLD_BUF_INIT;
	if (table)
		tabulate(&out, lines);
	for (size_t i = 0; !table && lines && lines[i]; i++)
		bld_buf_printf(&out, "%s\n", lines[i]);
	return bld_buf_detach(&out);
}

static void ctrs_free(struct ctr *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].name);
	}
	free(v);
}

/* Adds the container of info to v, with its last reading from old. */
static void add(struct ctr *v, size_t *k, const struct bld_runner_container_info *in,
		const struct ctr *old, size_t nold)
{
	struct ctr *c = &v[(*k)++];
	c->id = xstrdup(in->id);
	c->name = xstrdup(in->name);
	for (size_t o = 0; o < nold; o++)
		if (!strcmp(old[o].id, c->id) && old[o].ok) {
			c->prev = old[o].cur;
			c->have_prev = true;
		}
}

/* The containers to show: those named, in their order (an unknown one is an error), else
 * the running ones (all with -a); readings carried over from old by ID. */
static int pick(struct bld_ctx *ctx, struct bld_cli_args *a, const struct ctr *old, size_t nold,
		struct ctr **out, size_t *n, struct bld_error **err)
{
	struct bld_runner_container_info *info = NULL;
	size_t ni = 0;
	if (bld_runner_container_list(ctx, &info, &ni, err) < 0)
		return -1;
	struct ctr *v = xcalloc(ni + 1, sizeof(*v));
	size_t k = 0;
	int r = 0;
	for (size_t i = 0; a->argc == 0 && i < ni; i++)
		if (bld_cli_bool(a, "all") || !strcmp(info[i].state, "running") ||
		    !strcmp(info[i].state, "paused"))
			add(v, &k, &info[i], old, nold);
	for (int j = 0; j < a->argc && r == 0; j++) {
		cleanup_free char *id = NULL;
		r = bld_runner_container_lookup(ctx, a->argv[j], &id, err);
		for (size_t i = 0; r == 0 && i < ni && k < ni; i++)
			if (!strcmp(info[i].id, id))
				add(v, &k, &info[i], old, nold);
	}
	bld_runner_container_info_free(info, ni);
	if (r < 0) {
		(*err)->status = 1;
		ctrs_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

static void read_all(struct bld_ctx *ctx, struct ctr *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_error struct bld_error *e = NULL;
		v[i].ok = bld_runner_container_stats(ctx, v[i].id, &v[i].cur, &e) == 0;
		if (!v[i].ok)
			memset(&v[i].cur, 0, sizeof(v[i].cur));
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0)
		;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *fmt = bld_cli_str(a, "format");
	if (!fmt || !*fmt || !strcmp(fmt, "table"))
		fmt = DEFAULT_FORMAT;
	bool stream = !bld_cli_bool(a, "no-stream"), trunc = !bld_cli_bool(a, "no-trunc");
	bool redraw = stream && isatty(1);
	struct ctr *v = NULL;
	size_t n = 0;
	if (pick(ctx, a, NULL, 0, &v, &n, err) < 0)
		return -1;
	read_all(ctx, v, n);
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			v[i].prev = v[i].cur;
			v[i].have_prev = v[i].ok;
		}
		sleep_ms(1000);
		struct ctr *nv = NULL;
		size_t nn = 0;
		if (pick(ctx, a, v, n, &nv, &nn, err) < 0)
			break;
		ctrs_free(v, n);
		v = nv, n = nn;
		read_all(ctx, v, n);
		cleanup_free char *f = frame(v, n, fmt, trunc);
		printf("%s%s", redraw ? "\033[2J\033[H" : "", f);
		fflush(stdout);
		if (!stream)
			break;
	}
	ctrs_free(v, n);
	return stream ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_stats = {
	.name = "stats",
	.usage = "[OPTIONS] [CONTAINER...]",
	.summary = "Display a live stream of container(s) resource usage statistics",
	.opts = opts,
	.min_args = 0,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Watch the containers' resource use",
		 "bld stats"},
		{"Print it once for one container",
		 "bld stats --no-stream web"}),
};
