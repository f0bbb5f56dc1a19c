/*
 * deploy/kube_gen_int.h — what the files of `kube generate` (kube_gen*.c) share and nothing
 * else includes: the state of one generation and the helpers that name and label objects.
 *
 * One generation walks the loaded project (the normalised model, never the compose files)
 * once per service and appends Kubernetes objects to one array in the order they are
 * printed; everything a service has that Kubernetes cannot express is a line in reports.
 */
#ifndef BLD_DEPLOY_KUBE_GEN_INT_H
#define BLD_DEPLOY_KUBE_GEN_INT_H

#include "deploy/deploy_int.h"

#include <jansson.h>

#define KG_NAME_MAX 63 /* a DNS-1123 label: Service, container and port names */
#define KG_FILE_MAX ((size_t)256 << 10) /* a bind-mounted file kept in a ConfigMap */
#define KG_LABEL_NAME "app.kubernetes.io/name"
#define KG_LABEL_PART_OF "app.kubernetes.io/part-of"
#define KG_ANN_WAIT_JOBS "bld.dev/wait-for-jobs"
#define KG_LABEL_KIND "bld.dev/kube.kind"      /* a compose label: deployment|statefulset|job */
#define KG_LABEL_PVC_SIZE "bld.dev/kube.pvc-size" /* a volume's label: the PVC's request */
#define KG_NET_PREFIX "network.bld.dev/"         /* pod label: member of a compose network */

struct kg {
	struct bld_ctx *ctx;
	const json_t *project;
	const struct bld_deploy_kube_gen_opts *o;
	char *project_name;  /* DNS-1123 */
	json_t *kinds;       /* service -> "Deployment" | "StatefulSet" | "Job" */
	json_t *images;      /* service -> the image reference to write */
	json_t *head;        /* objects printed first: RBAC, Secrets, ConfigMaps, PVCs */
	json_t *objects;     /* then each service's Service and workload */
	json_t *policies;    /* then the NetworkPolicies */
	json_t *files;       /* bind-mounted files already made ConfigMaps: source -> name */
	char ***reports;
	bool need_waiter;    /* some pod waits for a Job: the ServiceAccount and its Role */
};

/* kube_gen.c */
/* A line of the report: "service SVC: ATTR: WHY" (svc NULL: "ATTR: WHY"). */
void kg_report(struct kg *g, const char *svc, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* name as a DNS-1123 label (lower case, [a-z0-9-], at most 63, no '-' at either end);
 * caller frees; "" when nothing is left. */
char *kg_dns_name(const char *name);
/* An object {apiVersion, kind, metadata: {name, labels}} with the project's labels (and
 * app.kubernetes.io/name: svc when svc is not NULL); the caller fills the rest. */
json_t *kg_object(const struct kg *g, const char *api, const char *kind, const char *name,
		  const char *svc);
/* The labels that select svc's pods. */
json_t *kg_selector(const char *svc);
/* A service's definition in the model. */
const json_t *kg_service(const struct kg *g, const char *svc);
/* Sets key to v in obj when v is a non-empty collection; takes v's reference either way. */
void kg_set_some(json_t *obj, const char *key, json_t *v);
/* An expose entry ("80", "80/udp", "8000-8010") as its ports and protocol (borrowed from t,
 * "tcp" when none); false when it is none. */
bool kg_expose_range(const char *t, long *lo, long *hi, const char **proto);
/* A protocol as Kubernetes spells it ("TCP" for NULL or ""); caller frees. */
char *kg_protocol(const char *p);

/* kube_gen_pod.c: the pod template of a service (metadata and spec), with its volumes,
 * init containers, probes, resources and security context; claims (not NULL for a
 * StatefulSet) receives its volumeClaimTemplates. */
int kg_pod_template(struct kg *g, const char *svc, json_t *claims, json_t **out,
		    struct bld_error **err);

/* A byte count (an integer or compose's "64m") as a quantity: "64Mi" when it divides, else
 * the bytes; NULL when v is neither. */
json_t *kg_bytes_quantity(const json_t *v);

/* kube_gen_vol.c */
/* The project's named volumes, secrets and configs as PVCs, Secrets and ConfigMaps (into
 * g->head), each only once and only when a generated service uses it. */
int kg_volumes_objects(struct kg *g, struct bld_error **err);
/* svc's volumes, tmpfs, secrets and configs: pod volumes into vols, mounts into mounts,
 * claim templates (StatefulSet) into claims when not NULL. */
int kg_pod_volumes(struct kg *g, const char *svc, json_t *vols, json_t *mounts, json_t *claims,
		   struct bld_error **err);
/* The PVC name of a project volume (its compose name, DNS-1123). */
char *kg_pvc_name(const struct kg *g, const char *vol);

/* kube_gen_net.c */
/* svc's Service (headless without published ports). */
json_t *kg_service_object(struct kg *g, const char *svc);
/* The pod labels naming the compose networks svc is on, added to labels. */
void kg_network_labels(struct kg *g, const char *svc, json_t *labels);
/* The NetworkPolicies of the project's networks (into g->policies). */
void kg_network_policies(struct kg *g);

/* kube_gen_image.c: every service's image reference (g->images), built ones by digest. */
int kg_images(struct kg *g, struct bld_error **err);

#endif
