/*
 * cli/cmd_inspect.c — `bld inspect [-f FORMAT] NAME|ID...`: containers (runner/'s object,
 * looked up first, as docker does) and images as JSON shaped like
 * docker inspect's image output (Id, RepoTags, RepoDigests, Created, Config, Architecture,
 * Os, Size, RootFS, ...). Names that are not images print docker's "No such object" error
 * after the array, and the exit status is 1.
 */
#include "cli/image_util.h"
#include "runner/runner.h"

#include <jansson.h>

static const struct bld_cli_opt opts[] = {
	{"format", 'f', BLD_OPT_STRING, "string", "Format output using a custom template", NULL},
	{"size", 's', BLD_OPT_BOOL, NULL, "Display total file sizes if the type is container", NULL},
	{"type", 0, BLD_OPT_STRING, "string", "Return JSON for specified type", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* docker shows every field of the container config in its order, null or "" when unset. */
static json_t *full_config(const json_t *c)
{
	static const char *const keys[] = {"Hostname", "Domainname", "User", "AttachStdin",
		"AttachStdout", "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce",
		"Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes", "WorkingDir",
		"Entrypoint", "OnBuild", "Labels", "StopSignal", "Shell"};
	static const char optional[] = "ExposedPorts Healthcheck ArgsEscaped StopSignal Shell";
	json_t *o = json_object();
	for (size_t i = 0; i < BLD_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(c, keys[i]);
		if (v)
			json_object_set(o, keys[i], v);
		else if (strstr(optional, keys[i]))
			continue;
		else if (i >= 3 && i <= 9)
			json_object_set_new(o, keys[i], json_false());
		else if (!strcmp(keys[i], "Hostname") || !strcmp(keys[i], "Domainname") ||
			 !strcmp(keys[i], "User") || !strcmp(keys[i], "Image") ||
			 !strcmp(keys[i], "WorkingDir"))
			json_object_set_new(o, keys[i], json_string(""));
		else
			json_object_set_new(o, keys[i], json_null());
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)c, k, v)
		if (!json_object_get(o, k))
			json_object_set(o, k, v);
	return o;
}

/* docker's RepoTags and RepoDigests: the names of every manifest of this config (a v2s2
 * pull stored beside the OCI one is the same image), and the digests recorded for them. */
static void split_names(struct bld_store *s, const struct bld_cache_image *img, json_t *tags,
			json_t *digests)
{
	cleanup_strv char **names = NULL, **rds = NULL;
	if (bld_cache_image_tags(s, img, &names, NULL) < 0 ||
	    bld_cache_image_repo_digests(s, img, &rds, NULL) < 0)
		return;
	for (size_t i = 0; names && names[i]; i++) {
		cleanup_free char *f = bld_cli_familiar(names[i]);
		json_array_append_new(tags, json_string(f));
	}
	for (size_t i = 0; rds && rds[i]; i++) {
		cleanup_free char *f = bld_cli_familiar(rds[i]);
		json_array_append_new(digests, json_string(f));
	}
}

static const char *str_or(const json_t *o, const char *k, const char *def)
{
	const char *v = bld_json_get_str(o, k);
	return v ? v : def;
}

/* docker's: a Comment the config lacks is its last history entry's (a commit's -m, an
 * import's message); a committed image names its Container and ContainerConfig. */
static void add_commit_fields(json_t *o, const json_t *c)
{
	json_t *h = json_object_get(c, "history");
	const char *last = bld_json_get_str(json_array_get(h, json_array_size(h) - 1), "comment");
	if (!*bld_json_get_str(o, "Comment") && json_array_size(h) && last)
		json_object_set_new(o, "Comment", json_string(last));
	if (bld_json_get_str(c, "container"))
		json_object_set_new(o, "Container", json_string(bld_json_get_str(c, "container")));
	json_t *cc = json_object_get(c, "container_config");
	if (json_is_object(cc))
		json_object_set_new(o, "ContainerConfig", full_config(cc));
}

json_t *bld_cli_image_json(struct bld_store *s, const struct bld_cache_image *img)
{
	json_t *tags = json_array(), *digests = json_array();
	split_names(s, img, tags, digests);
	const json_t *c = img->config;
	json_t *rootfs = json_object_get(c, "rootfs");
	json_t *layers = json_object_get(rootfs, "diff_ids");
	json_t *o = json_pack(
		"{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:{s:n, s:s}, "
		"s:{s:s, s:O}, s:{s:s}}",
		"Id", img->id, "RepoTags", tags, "RepoDigests", digests, "Parent", "", "Comment",
		str_or(c, "comment", ""), "Created", str_or(c, "created", ""), "DockerVersion",
		str_or(c, "docker_version", ""), "Author", str_or(c, "author", ""), "Config",
		full_config(json_object_get(c, "config")), "Architecture",
		str_or(c, "architecture", ""), "Os", str_or(c, "os", ""), "Size",
		(json_int_t)bld_cache_image_size(s, img), "GraphDriver", "Data", "Name", "overlay",
		"RootFS", "Type", "layers", "Layers", layers ? layers : json_array(), "Metadata",
		"LastTagTime", "0001-01-01T00:00:00Z");
	if (bld_json_get_str(c, "variant"))
		json_object_set_new(o, "Variant", json_string(bld_json_get_str(c, "variant")));
	add_commit_fields(o, c);
	return o;
}

/* docker inspect's object for a container, or NULL when there is no such container. */
static json_t *container_json(struct bld_ctx *ctx, const char *arg)
{
	cleanup_free char *id = NULL;
	cleanup_error struct bld_error *e = NULL;
	json_t *o = NULL;
	if (bld_runner_container_lookup(ctx, arg, &id, &e) < 0 ||
	    bld_runner_container_inspect(ctx, id, &o, &e) < 0)
		return NULL;
	return o;
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	const char *type = bld_cli_str(a, "type");
	if (type && strcmp(type, "image") != 0 && strcmp(type, "container") != 0)
		return bld_error_set(err, BLD_E_UNSUPPORTED, "inspect --type %s is not supported", type);
	bool images = !type || strcmp(type, "image") == 0;
	bool containers = !type || strcmp(type, "container") == 0;
	struct bld_store *s = NULL;
	if (bld_cli_store_open(ctx, &s, err) < 0)
		return -1;
	json_t *all = json_array();
	char **missing = NULL;
	for (int i = 0; i < a->argc; i++) {
		struct bld_cache_image *img = NULL;
		struct bld_error *e = NULL;
		/* as docker: a container of that name or id first, then an image */
		json_t *cj = containers ? container_json(ctx, a->argv[i]) : NULL;
		if (cj) {
			json_array_append_new(all, cj);
			continue;
		}
		if (!images || bld_cli_image_find(s, a->argv[i], &img, &e) < 0) {
			bld_strv_push(&missing, a->argv[i]);
			bld_error_free(e);
			continue;
		}
		json_array_append_new(all, bld_cli_image_json(s, img));
		bld_cache_image_free(img);
	}
	bld_cache_store_free(s);
	const char *fmt = bld_cli_str(a, "format");
	size_t i;
	json_t *o;
	if (fmt) {
		json_array_foreach(all, i, o) {
			cleanup_free char *line = bld_cli_template(fmt, o);
			printf("%s\n", line);
		}
	} else {
		cleanup_free char *txt = bld_json_dump_pretty(all);
		printf("%s\n", txt);
	}
	json_decref(all);
	/* docker names what it looked for: "object" without --type */
	for (size_t k = 0; missing && missing[k]; k++)
		fprintf(stderr, "Error: No such %s: %s\n", type ? type : "object", missing[k]);
	int rc = missing ? 1 : 0;
	bld_strv_free(missing);
	return rc;
}

const struct bld_cli_cmd bld_cmd_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] NAME|ID [NAME|ID...]",
	.summary = "Return low-level information on containers and images",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Show a container or an image as JSON",
		 "bld inspect web"},
		{"Only a container's IP address",
		 "bld inspect -f '{{.NetworkSettings.IPAddress}}' web"},
		{"An image, even where a container has the same name",
		 "bld inspect --type image app"}),
};
