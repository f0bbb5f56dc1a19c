/*
 * cli/cmd_kube_generate.c — `bld kube generate [OPTIONS] [SERVICE...]`: a compose project
 * (selected as `bld compose` selects it: -f, -p, --profile, --env-file, --project-directory)
 * as Kubernetes manifests, one multi-document YAML on stdout or one file per object in
 * --output-dir; what Kubernetes cannot express one line each on stderr. With CONTAINER...
 * arguments instead (every argument a container, no project option), the project those
 * containers run, as their config and compose labels tell it. The mapping lives in
 * deploy/kube_gen*.c.
 */
#include "cli/cli.h"
#include "deploy/deploy.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const struct bld_cli_opt opts[] = {
	{"allow-hostpath", 0, BLD_OPT_BOOL, NULL,
	 "Write bind mounts as hostPath volumes instead of refusing them", NULL},
	{"allow-tag", 0, BLD_OPT_BOOL, NULL,
	 "Reference a built image by its tag when it has no registry digest", NULL},
	{"env-file", 0, BLD_OPT_LIST, "stringArray", "Specify an alternate environment file",
	 NULL},
	{"file", 'f', BLD_OPT_LIST, "stringArray", "Compose configuration files", NULL},
	{"kubectl-image", 0, BLD_OPT_STRING, "string",
	 "Image of the init containers that wait for a Job", "bitnami/kubectl"},
	{"output-dir", 0, BLD_OPT_STRING, "string",
	 "Write one file per object in this directory instead of stdout", NULL},
	{"profile", 0, BLD_OPT_LIST, "stringArray", "Specify a profile to enable", NULL},
	{"project-directory", 0, BLD_OPT_STRING, "string",
	 "Specify an alternate working directory (default: the path of the, first specified, "
	 "Compose file)",
	 NULL},
	{"project-name", 'p', BLD_OPT_STRING, "string", "Project name", NULL},
	{"push", 0, BLD_OPT_BOOL, NULL, "Push the built images first", NULL},
	{"pvc-size", 0, BLD_OPT_STRING, "string",
	 "Storage requested by each PersistentVolumeClaim", "1Gi"},
	{"service-type", 0, BLD_OPT_STRING, "string",
	 "Type of the Services of published ports (NodePort or LoadBalancer)", "NodePort"},
	{"stateful", 0, BLD_OPT_BOOL, NULL,
	 "Make services that mount a named volume StatefulSets", NULL},
	{"wait-image", 0, BLD_OPT_STRING, "string",
	 "Image of the init containers that wait for a dependency", "busybox"},
	{NULL, 0, 0, NULL, NULL, NULL},
};

/* The model with only the services asked for and what they depend on. */
static int select_services(json_t *model, char *const *names, struct bld_error **err)
{
	if (!names || !names[0])
		return 0;
	struct bld_deploy_target t = {.project = model,
				      .name = bld_json_get_str(model, "name"),
				      .services = names};
	cleanup_strv char **keep = NULL;
	if (bld_deploy_services(&t, true, &keep, err) < 0)
		return -1;
	json_t *services = json_object_get(model, "services");
	const char *k;
	json_t *svc;
	void *tmp;
	json_object_foreach_safe(services, tmp, k, svc) {
		bool wanted = false;
		for (size_t i = 0; keep && keep[i]; i++)
			wanted = wanted || !strcmp(keep[i], k);
		if (!wanted)
			json_object_del(services, k);
	}
	return 0;
}

/* One file per object: DIR/<kind>-<name>.yaml. */
static int write_dir(const char *dir, const json_t *objects, struct bld_error **err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return bld_error_sys(err, errno, "mkdir %s", dir);
	size_t i;
	json_t *obj;
	json_array_foreach(objects, i, obj) {
		cleanup_json json_t *one = json_pack("[O]", obj);
		cleanup_free char *text = NULL;
		if (bld_deploy_kube_yaml(&text, one, err) < 0)
			return -1;
		cleanup_free char *kind = xstrdup(bld_json_get_str(obj, "kind"));
		for (char *c = kind; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		cleanup_free char *path = xasprintf(
			"%s/%s-%s.yaml", dir, kind,
			bld_json_get_str(json_object_get(obj, "metadata"), "name"));
		cleanup_fclose FILE *f = fopen(path, "w");
		if (!f || fputs(text, f) < 0)
			return bld_error_sys(err, errno, "write %s", path);
	}
	return 0;
}

static int output(const json_t *objects, const char *dir, struct bld_error **err)
{
	if (dir)
		return write_dir(dir, objects, err);
	cleanup_free char *text = NULL;
	if (bld_deploy_kube_yaml(&text, objects, err) < 0)
		return -1;
	fputs(text, stdout);
	return 0;
}

static int gen_opts(struct bld_cli_args *a, struct bld_deploy_kube_gen_opts *g,
		    struct bld_error **err)
{
	const char *type = bld_cli_str(a, "service-type");
	if (strcmp(type, "NodePort") && strcmp(type, "LoadBalancer"))
		return bld_error_set(err, BLD_E_INVALID, "kube generate: --service-type %s: "
				     "NodePort or LoadBalancer", type);
	*g = (struct bld_deploy_kube_gen_opts){
		.service_type = type,
		.pvc_size = bld_cli_str(a, "pvc-size"),
		.wait_image = bld_cli_str(a, "wait-image"),
		.kubectl_image = bld_cli_str(a, "kubectl-image"),
		.stateful = bld_cli_bool(a, "stateful"),
		.allow_hostpath = bld_cli_bool(a, "allow-hostpath"),
		.allow_tag = bld_cli_bool(a, "allow-tag"),
		.push = bld_cli_bool(a, "push"),
	};
	return 0;
}

/* Whether the arguments name containers: every one does, and no project option is given. */
static bool containers(struct bld_ctx *ctx, const struct bld_cli_args *a)
{
	static const char *const project_opts[] = {"file", "project-name", "project-directory",
						   "env-file", "profile"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(project_opts); i++)
		if (bld_cli_given(a, project_opts[i]))
			return false;
	for (int i = 0; i < a->argc; i++) {
		cleanup_free char *id = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_lookup(ctx, a->argv[i], &id, &e) < 0)
			return false;
	}
	return a->argc > 0;
}

/* The project the options and SERVICE arguments select, with its environment. */
static int project(struct bld_ctx *ctx, struct bld_cli_args *a, json_t **model, json_t **env,
		   struct bld_error **err)
{
	if (containers(ctx, a))
		return bld_deploy_kube_project_from_containers(ctx, a->argv, model, err);
	struct bld_deploy_options o;
	bld_cli_compose_options(a, &o);
	o.services = a->argc ? a->argv : NULL;
	o.keep_env_file = true; /* a ConfigMap of its own, as env_file is a file of its own */
	cleanup_free char *wd = NULL, *files = NULL;
	if (bld_deploy_project_load(ctx, &o, model, err) < 0 ||
	    bld_deploy_project_paths(&o, &wd, &files, env, err) < 0)
		return -1;
	return select_services(*model, o.services, err);
}

static int run(struct bld_ctx *ctx, struct bld_cli_args *a, struct bld_error **err)
{
	struct bld_deploy_kube_gen_opts g;
	if (gen_opts(a, &g, err) < 0)
		return -1;
	cleanup_json json_t *model = NULL, *env = NULL, *objects = NULL;
	cleanup_strv char **reports = NULL;
	if (project(ctx, a, &model, &env, err) < 0)
		return -1;
	g.env = env;
	if (bld_deploy_kube_generate(ctx, model, &g, &objects, &reports, err) < 0)
		return bld_error_wrap(err, "kube generate");
	for (size_t i = 0; reports && reports[i]; i++)
		fprintf(stderr, "bld: kube generate: %s\n", reports[i]);
	return output(objects, bld_cli_str(a, "output-dir"), err) < 0 ? -1 : 0;
}

const struct bld_cli_cmd bld_cmd_kube_generate = {
	.name = "kube generate",
	.usage = "[OPTIONS] [SERVICE...|CONTAINER...]",
	.summary = "Generate Kubernetes YAML from a compose project",
	.opts = opts,
	.max_args = -1,
	.run = run,
	.fail_status = 125,
	.examples = BLD_CLI_EXAMPLES(
		{"Print the project of the current directory as Kubernetes objects",
		 "bld kube generate"},
		{"Write them to a directory, pushing the built images first",
		 "bld kube generate --push --output-dir k8s/"},
		{"Only two services of another compose file", "bld kube generate -f prod.yaml web db"}),
};
