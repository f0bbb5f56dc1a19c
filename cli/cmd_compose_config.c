/*
 * cli/cmd_compose_config.c — `bld compose config [OPTIONS] [SERVICE...]`: the project as
 * docker compose v2 prints it after loading, validation and normalisation (YAML or JSON), or
 * one list of it (--services, --volumes, --networks, --profiles, --images, --hash), or only
 * the validation (-q). The model and its printing live in deploy/.
 */
#include "cli/cli.h"
#include "deploy/deploy.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

static const struct bld_cli_opt opts[] = {
	{"format", 0, BLD_OPT_STRING, "string", "Format the output. Values: [yaml | json]", NULL},
	{"hash", 0, BLD_OPT_STRING, "string", "Print the service config hash, one per line.",
	 NULL},
	{"images", 0, BLD_OPT_BOOL, NULL, "Print the image names, one per line.", NULL},
	{"networks", 0, BLD_OPT_BOOL, NULL, "Print the network names, one per line.", NULL},
	{"no-interpolate", 0, BLD_OPT_BOOL, NULL, "Don't interpolate environment variables", NULL},
	{"output", 'o', BLD_OPT_STRING, "string", "Save to file (default to stdout)", NULL},
	{"profiles", 0, BLD_OPT_BOOL, NULL, "Print the profile names, one per line.", NULL},
	{"quiet", 'q', BLD_OPT_BOOL, NULL,
	 "Only validate the configuration, don't print anything", NULL},
	{"resolve-image-digests", 0, BLD_OPT_BOOL, NULL, "Pin image tags to digests", NULL},
	{"services", 0, BLD_OPT_BOOL, NULL, "Print the service names, one per line.", NULL},
	{"volumes", 0, BLD_OPT_BOOL, NULL, "Print the volume names, one per line.", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* The keys of the model's section (services, volumes, networks), one a line. */
static void print_keys(const json_t *model, const char *section)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(model, section), k, v)
		printf("%s\n", k);
}

/* The image each service runs: its image, or <project>-<service> for a build. */
static void print_images(const json_t *model)
{
	const char *project = json_string_value(json_object_get(model, "name"));
	const char *k;
	json_t *svc;
	json_object_foreach(json_object_get(model, "services"), k, svc) {
		const char *image = json_string_value(json_object_get(svc, "image"));
		image ? printf("%s\n", image) : printf("%s-%s\n", project, k);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every profile a service names, sorted and once each. */
static void print_profiles(const json_t *model)
{
	cleanup_strv char **all = NULL;
	const char *k;
	json_t *svc, *p;
	size_t i;
	json_object_foreach(json_object_get(model, "services"), k, svc) {
		json_array_foreach(json_object_get(svc, "profiles"), i, p)
			bld_strv_push(&all, json_string_value(p));
	}
	size_t n = bld_strv_len(all);
	if (n)
		qsort(all, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(all[i], all[i - 1]))
			printf("%s\n", all[i]);
}

/* "NAME HASH" for "*" (every service) or the services a comma list names. */
static int print_hashes(const json_t *model, const char *which, struct bld_error **err)
{
	const json_t *services = json_object_get(model, "services");
	cleanup_strv char **names = strcmp(which, "*") ? bld_strv_split(which, ",") : NULL;
	const char *k;
	json_t *svc;
	for (size_t i = 0; names && names[i]; i++)
		if (!json_object_get(services, names[i]))
			return bld_error_set(err, BLD_E_NOTFOUND, "no such service: %s", names[i]);
	json_object_foreach((json_t *)services, k, svc) {
		bool wanted = !names;
		for (size_t i = 0; names && names[i]; i++)
			wanted = wanted || !strcmp(names[i], k);
		char hash[65];
		if (!wanted)
			continue;
		bld_deploy_service_hash(svc, hash);
		printf("%s %s\n", k, hash);
	}
	return 0;
}

/* Adds name and what it depends on to keep (compose's WithSelectedServices). */
static int select_service(const json_t *services, const char *name, json_t *keep,
			  struct bld_error **err)
{
	json_t *svc = json_object_get(services, name);
	if (!svc)
		return bld_error_set(err, BLD_E_NOTFOUND, "no such service: %s", name);
	if (json_object_get(keep, name))
		return 0;
	json_object_set(keep, name, svc);
	const char *dep;
	json_t *d;
	json_object_foreach(json_object_get(svc, "depends_on"), dep, d) {
		if (json_object_get(services, dep) && select_service(services, dep, keep, err) < 0)
			return -BLD_E_NOTFOUND;
	}
	return 0;
}

/* The model with only the services named on the command line and their dependencies. */
static int select_services(json_t *model, int argc, char **argv, struct bld_error **err)
{
	if (argc == 0)
		return 0;
	const json_t *services = json_object_get(model, "services");
	cleanup_json json_t *keep = json_object();
	for (int i = 0; i < argc; i++)
		if (select_service(services, argv[i], keep, err) < 0)
			return -BLD_E_NOTFOUND;
	const char *k;
	json_t *svc;
	void *tmp;
	json_object_foreach_safe((json_t *)services, tmp, k, svc) {
		if (!json_object_get(keep, k))
			json_object_del((json_t *)services, k);
	}
	return 0;
}

static int write_output(const char *text, const char *path, struct bld_error **err)
{
	if (!path) {
		fputs(text, stdout);
		return 0;
	}
	cleanup_fclose FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0)
		return bld_error_sys(err, errno, "open %s", path);
	return 0;
}

/* The whole model, YAML or JSON. */
static int print_model(const json_t *model, struct bld_cli_args *a, struct bld_error **err)
{
	const char *format = bld_cli_str(a, "format");
	bool interpolated = !bld_cli_bool(a, "no-interpolate");
	cleanup_free char *text = NULL;
	if (!format || !strcmp(format, "yaml")) {
		if (bld_deploy_config_yaml(&text, model, interpolated, err) < 0)
			return -BLD_E_INTERNAL;
	} else if (!strcmp(format, "json")) {
		text = bld_deploy_config_json(model, interpolated);
	} else {
		return bld_error_set(err, BLD_E_INVALID, "unsupported format \"%s\"", format);
	}
	if (bld_cli_bool(a, "quiet"))
		return 0;
	return write_output(text, bld_cli_str(a, "output"), err);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_options o;
	bld_cli_compose_options(a, &o);
	o.no_interpolate = bld_cli_bool(a, "no-interpolate");
	/* --profiles lists the profiles of every service, enabled or not (AllServices) */
	char *all_profiles[] = {"*", NULL};
	if (bld_cli_bool(a, "profiles"))
		o.profiles = all_profiles;
	cleanup_json json_t *model = NULL;
	if (bld_deploy_project_load(ctx, &o, &model, err) < 0)
		return -1;
	if (bld_cli_bool(a, "resolve-image-digests") &&
	    bld_deploy_resolve_image_digests(ctx, model, err) < 0)
		return -1;
	if (bld_cli_bool(a, "services"))
		print_keys(model, "services");
	else if (bld_cli_bool(a, "volumes"))
		print_keys(model, "volumes");
	else if (bld_cli_bool(a, "networks"))
		print_keys(model, "networks");
	else if (bld_cli_given(a, "hash"))
		return print_hashes(model, bld_cli_str(a, "hash"), err) < 0 ? -1 : 0;
	else if (bld_cli_bool(a, "profiles"))
		print_profiles(model);
	else if (select_services(model, a->argc, a->argv, err) < 0)
		return -1;
	else if (bld_cli_bool(a, "images"))
		print_images(model);
	else
		return print_model(model, a, err) < 0 ? -1 : 0;
	return 0;
}

const struct bld_cli_cmd bld_cmd_compose_config = {
	.name = "compose config",
	.usage = "[OPTIONS] [SERVICE...]",
	.summary = "Parse, resolve and render compose file in canonical format",
	.opts = opts,
	.max_args = -1,
	.run = run,
	.examples = BLD_CLI_EXAMPLES(
		{"Print the project as bld reads it, normalised",
		 "bld compose config"},
		{"List the services' names",
		 "bld compose config --services"},
		{"Check a project file without printing it",
		 "bld compose -f compose.prod.yaml config -q"}),
};
