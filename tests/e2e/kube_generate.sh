#!/usr/bin/env bash
# bld kube generate: the three-service project of the compose tests (web built and
# published, db with a health check, a one-shot migrate that web waits for, a shared named
# volume) as Kubernetes objects that validate strictly against the 1.36 API: a Job for the
# one-shot service, a Service per service (headless without published ports, NodePort or
# LoadBalancer with them), init containers and the wait-for-jobs annotation for depends_on,
# probes from the health check, a PVC for the volume; a built image by its registry digest
# after --push and never by its tag unless --allow-tag; what cannot be expressed reported.
# From the containers of `compose up` (the demo, and tests/fixtures/kube/containers with
# most attributes a container keeps), the same manifests and reports as from the file.
. "$(dirname "$0")/lib.sh"
V="python3 $TOP/tests/kube/validate.py"
t_busybox_registry
t_compose_demo "$T_DIR/demo" 18090
cd "$T_DIR/demo" || exit 1
# jq over every document of a YAML stream (as one JSON array)
q() { python3 -c 'import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' "$1" | jq -r "$2"; }

t_exit "a built image that is not pushed is refused (podman's status 125)" 125 "$BLD" kube generate
"$BLD" kube generate 2>"$T_DIR/err" >/dev/null
t_match "... saying how to get a digest" \
  '^bld: kube generate: service web: build: image demo-web is not built: push it \(--push\) or allow its tag \(--allow-tag\)$' \
  "$(cat "$T_DIR/err")"
"$BLD" kube generate --allow-tag >"$T_DIR/k.yaml" 2>"$T_DIR/err"
t_ok "every object validates" $V "$T_DIR/k.yaml"
y=$T_DIR/k.yaml
t_eq "the objects" "PersistentVolumeClaim/demo-data ServiceAccount/demo-waiter Role/demo-waiter RoleBinding/demo-waiter Service/db Deployment/db Service/migrate Job/migrate Service/web Deployment/web NetworkPolicy/demo-network-default NetworkPolicy/web-published" \
  "$(q "$y" '[.[] | .kind + "/" + .metadata.name] | join(" ")')"
t_eq "labels: the service and the project" "web demo" \
  "$(q "$y" '.[] | select(.kind == "Deployment" and .metadata.name == "web") | .spec.template.metadata.labels | .["app.kubernetes.io/name"] + " " + .["app.kubernetes.io/part-of"]')"
t_eq "web waits for db's Service, then for the migrate Job" \
  "wait-for-db:busybox:until nslookup db; do sleep 1; done wait-for-migrate:bitnami/kubectl:kubectl wait --for=condition=complete job/migrate --timeout=-1s" \
  "$(q "$y" '[.[] | select(.metadata.name == "web" and .kind == "Deployment") | .spec.template.spec.initContainers[] | .name + ":" + .image + ":" + (.command | if .[0] == "sh" then .[2] else join(" ") end)] | join(" ")')"
t_eq "the wait-for-jobs annotation and the waiter account" "migrate demo-waiter" \
  "$(q "$y" '.[] | select(.metadata.name == "web" and .kind == "Deployment") | .spec.template | .metadata.annotations["bld.dev/wait-for-jobs"] + " " + .spec.serviceAccountName')"
t_eq "the Role lets the waiter read jobs only" "batch jobs get,list,watch" \
  "$(q "$y" '.[] | select(.kind == "Role") | .rules[0] | .apiGroups[0] + " " + .resources[0] + " " + (.verbs | join(","))')"
t_eq "migrate runs once: a Job, never restarted, waiting for db" "Never 0 wait-for-db" \
  "$(q "$y" '.[] | select(.kind == "Job") | .spec | .template.spec.restartPolicy + " " + (.backoffLimit | tostring) + " " + .template.spec.initContainers[0].name')"
t_eq "web's Service: NodePort, the published port to the container's" "NodePort 18090 80" \
  "$(q "$y" '.[] | select(.kind == "Service" and .metadata.name == "web") | .spec | .type + " " + (.ports[0].port | tostring) + " " + (.ports[0].targetPort | tostring)')"
t_eq "db's Service is headless" "None" \
  "$(q "$y" '.[] | select(.kind == "Service" and .metadata.name == "db") | .spec.clusterIP')"
t_eq "db's health check as readiness and liveness probes" "test -f /data/ready|1|5 test -f /data/ready|1|5" \
  "$(q "$y" '[.[] | select(.kind == "Deployment" and .metadata.name == "db") | .spec.template.spec.containers[0] | (.readinessProbe, .livenessProbe) | (.exec.command | join(" ")) + "|" + (.periodSeconds | tostring) + "|" + (.failureThreshold | tostring)] | join(" ")')"
t_eq "the shared volume: one PVC that three services mount" "ReadWriteMany demo-data demo-data demo-data" \
  "$(q "$y" '[(.[] | select(.kind == "PersistentVolumeClaim") | .spec.accessModes[0]), (.[] | .spec.template.spec.volumes[]? | .persistentVolumeClaim.claimName)] | join(" ")')"
t_eq "the built image by its tag, as allowed" "docker.io/library/demo-web:latest" \
  "$(q "$y" '.[] | select(.kind == "Deployment" and .metadata.name == "web") | .spec.template.spec.containers[0].image')"
t_eq "what cannot be expressed is reported, one line each" \
  "bld: kube generate: service web: build: image demo-web is not built: written by its tag
bld: kube generate: service db: init: Kubernetes runs no init process in a container (use an image with one)
bld: kube generate: service web: init: Kubernetes runs no init process in a container (use an image with one)
bld: kube generate: service web: ports: 127.0.0.1:18090: a Service listens on every node's addresses" \
  "$(cat "$T_DIR/err")"
"$BLD" kube generate --allow-tag --service-type LoadBalancer web >"$T_DIR/lb.yaml" 2>/dev/null
t_eq "--service-type LoadBalancer; SERVICE selects it and what it depends on" "LoadBalancer db migrate web" \
  "$(q "$T_DIR/lb.yaml" '([.[] | select(.kind == "Service" and .metadata.name == "web") | .spec.type] + [.[] | select(.kind == "Service") | .metadata.name]) | join(" ")')"
"$BLD" kube generate --allow-tag db >"$T_DIR/db.yaml" 2>/dev/null
t_eq "... db alone" "Service/db Deployment/db" "$(q "$T_DIR/db.yaml" '[.[] | select(.kind | test("^(Service|Deployment|Job)$")) | .kind + "/" + .metadata.name] | join(" ")')"
t_exit "--service-type must be NodePort or LoadBalancer" 125 "$BLD" kube generate --service-type ClusterIP

# jq's canonical form of every document, sorted: the same objects in any order
norm() { python3 -c 'import json, sys, yaml
print("\n".join(sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(open(sys.argv[1])))))' "$1"; }
# same NAME DIR CONTAINERS...: kube generate from DIR's compose file and from the
# containers agree, objects and reports
same() {
  local name=$1 dir=$2; shift 2
  (cd "$dir" && "$BLD" kube generate --allow-tag >"$T_DIR/file.yaml" 2>"$T_DIR/file.err")
  "$BLD" kube generate --allow-tag "$@" >"$T_DIR/ctr.yaml" 2>"$T_DIR/ctr.err"
  t_ok "$name: from the containers, valid objects" $V "$T_DIR/ctr.yaml"
  t_eq "$name: from the containers as from the file" "$(norm "$T_DIR/file.yaml")" "$(norm "$T_DIR/ctr.yaml")"
  t_eq "$name: the same reports" "$(cat "$T_DIR/file.err")" "$(cat "$T_DIR/ctr.err")"
}
at_exit "cd '$T_DIR/demo' && '$BLD' compose down -v >/dev/null 2>&1"
t_ok "compose up the demo" "$BLD" compose up -d --wait
same demo "$T_DIR/demo" demo-web-1 demo-db-1 demo-migrate-1
mkdir "$T_DIR/p" && cp "$TOP/tests/fixtures/kube/containers/compose.yaml" "$T_DIR/p/"
at_exit "cd '$T_DIR/p' && BASE='$BASE' '$BLD' compose down -v >/dev/null 2>&1"
export BASE
t_ok "compose up many attributes" sh -c "cd '$T_DIR/p' && '$BLD' compose up -d"
same attributes "$T_DIR/p" p-api-1 p-api-2 p-worker-1
t_eq "... its replicas counted" 2 "$(q "$T_DIR/ctr.yaml" '.[] | select(.kind == "Deployment" and .metadata.name == "api") | .spec.replicas')"
t_ok "compose down" sh -c "cd '$T_DIR/demo' && '$BLD' compose down -v"

# a built image that names a registry: --push pushes it and the manifest names its digest
sed -i "s|build: {context: ./web, network: host}|build: {context: ./web, network: host}\n    image: $REG_ADDR/demo-web:v1|" compose.yaml
t_ok "compose build" "$BLD" compose build
t_exit "built, not pushed: refused" 125 "$BLD" kube generate
"$BLD" kube generate --push >"$T_DIR/push.yaml" 2>"$T_DIR/err"
img=$(q "$T_DIR/push.yaml" '.[] | select(.kind == "Deployment" and .metadata.name == "web") | .spec.template.spec.containers[0].image')
digest=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REG_ADDR/v2/demo-web/manifests/v1" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
t_eq "--push: the image by the digest the registry has" "$REG_ADDR/demo-web@$digest" "$img"
t_ok "... and it validates" $V "$T_DIR/push.yaml"
