/*
 * tests/fuzz/deploy_input.h — one input of tests/fuzz/fuzz_compose.c and fuzz_kube.c, shared
 * with their regression test (tests/deploy/test_fuzz_regressions.c). The input is written to
 * a file in a private directory (the loaders read files, and a compose file's relative paths
 * resolve there) and loaded as `bld compose config` and `bld kube play` load it; a kube
 * pod's ConfigMap, Secret and emptyDir files are written under the directory too. A finding
 * aborts; nothing is started and the store is not touched.
 */
#ifndef BLD_TEST_FUZZ_DEPLOY_INPUT_H
#define BLD_TEST_FUZZ_DEPLOY_INPUT_H

#include <assert.h>
#include <sys/stat.h>

#include "deploy/deploy_int.h"
#include "runner/runner.h"
#include "tests/fuzz/fuzz_common.h"

static void deploy_write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static const char *deploy_lookup(const char *name, void *payload)
{
	return strcmp(name, "HOME") == 0 ? "/home/fuzz" : NULL;
}

/* Data: .env text. */
static inline void deploy_dotenv(const char *data)
{
	json_t *out = json_object();
	struct bld_error *err = NULL;
	if (bld_deploy_dotenv_parse(data, out, deploy_lookup, NULL, &err) == 0) {
		const char *k;
		json_t *v;
		json_object_foreach(out, k, v) assert(json_is_string(v));
	}
	bld_error_free(err);
	json_decref(out);
}

/* Data: compose.yaml, then optionally NUL and the project's .env. */
static inline void deploy_compose(const char *dir, const char *data, size_t len)
{
	cleanup_free char *file = xasprintf("%s/compose.yaml", dir);
	cleanup_free char *env = xasprintf("%s/.env", dir);
	size_t ylen = strnlen(data, len);
	deploy_write(file, data, ylen);
	unlink(env);
	if (ylen < len)
		deploy_write(env, data + ylen + 1, strlen(data + ylen + 1));
	char *files[] = {file, NULL};
	char *environ_[] = {"PATH=/usr/bin:/bin", "HOME=/home/fuzz", "TAG=1", NULL};
	struct bld_deploy_options o = {.files = files, .project_name = "fuzz", .environ = environ_,
				       .workdir = dir};
	json_t *project = NULL;
	struct bld_error *err = NULL;
	if (bld_deploy_project_load(NULL, &o, &project, &err) == 0) {
		char *yaml = NULL;
		if (bld_deploy_config_yaml(&yaml, project, true, &err) == 0)
			assert(yaml);
		free(yaml);
		free(bld_deploy_config_json(project, true));
		json_decref(project);
	}
	bld_error_free(err);
}

static void kube_containers(const struct bld_deploy_kube_file *f,
			    const struct bld_deploy_kube_pod *p, const char *key, const char *dir)
{
	size_t i;
	const json_t *ctr;
	json_array_foreach(json_object_get(p->spec, key), i, ctr) {
		struct bld_runner_container_config c = {0};
		struct bld_error *err = NULL;
		cleanup_free char *at = xasprintf("%s/%s/%zu", p->at, key, i);
		bld_deploy_kube_ctr_config(f, p, ctr, at, dir, "bridge", &c, &err);
		bld_runner_container_config_dispose(&c);
		bld_error_free(err);
	}
}

/* Data: a Kubernetes YAML file. */
static inline void deploy_kube(const char *dir, const char *data, size_t len)
{
	cleanup_free char *file = xasprintf("%s/pod.yaml", dir);
	cleanup_free char *pods = xasprintf("%s/pods", dir);
	deploy_write(file, data, len);
	struct bld_deploy_kube_file f;
	struct bld_error *err = NULL;
	char *publish[] = {"8080:80", NULL};
	if (bld_deploy_kube_file_load(&f, file, publish, true, &err) == 0) {
		for (size_t i = 0; i < f.n_pods; i++) {
			bld_fs_rm_rf(pods, NULL);
			if (mkdir(pods, 0700) < 0)
				abort();
			if (bld_deploy_kube_pod_files(&f, &f.pods[i], pods, &err) < 0) {
				bld_error_free(err);
				err = NULL;
			}
			kube_containers(&f, &f.pods[i], "initContainers", pods);
			kube_containers(&f, &f.pods[i], "containers", pods);
		}
	}
	bld_deploy_kube_file_dispose(&f);
	bld_error_free(err);
}

#endif
