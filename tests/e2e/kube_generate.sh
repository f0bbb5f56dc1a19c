#!/usr/bin/env bash
# bld kube generate: the three-service project of the compose tests (web built and
# published, db with a health check, a one-shot migrate that web waits for, a shared named
# volume) as Kubernetes objects that validate strictly against the 1.36 API: a Job for the
# one-shot service, a Service per service (headless without published ports, NodePort or
# LoadBalancer with them), init containers and the wait-for-jobs annotation for depends_on,
# probes from the health check, a PVC for the volume; a built image by its registry digest
# after --push (signed when content trust is on) and never by its tag unless --allow-tag;
# what cannot be expressed reported.
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
# content trust on: --push signs what it pushed with BLD_TRUST_KEY, as bld push does
(cd "$T_DIR" && BLD_TRUST_PASSPHRASE=pw "$BLD" trust key generate kgkey >/dev/null 2>&1)
t_exit "trust on without a key: nothing pushed" 125 env BLD_CONTENT_TRUST=1 "$BLD" kube generate --push
t_match "... not signed before" '^Signatures .*: 0$' "$("$BLD" trust inspect --key "$T_DIR/kgkey.pub" "$img" 2>&1)"
t_ok "trust on: --push signs" env BLD_CONTENT_TRUST=1 BLD_TRUST_KEY="$T_DIR/kgkey.key" BLD_TRUST_PASSPHRASE=pw \
  "$BLD" kube generate --push
t_match "... the image is signed by that key" '^Signatures .*: 1$' "$("$BLD" trust inspect --key "$T_DIR/kgkey.pub" "$img" 2>&1)"
t_eq "... verified with its public key" true \
  "$("$BLD" trust inspect --format json --key "$T_DIR/kgkey.pub" "$img" | jq -r '[.. | .Verified? // empty] | join(",")')"

# the mappings, on the corpus files written for them
C=$TOP/tests/fixtures/kube/corpus
gen() { (cd "$C" && "$BLD" kube generate --allow-tag "${@:2}" -f "$1.yaml" 2>/dev/null) >"$T_DIR/$1.yaml"; }
dep() { q "$T_DIR/$1.yaml" ".[] | select(.kind == \"$2\" and .metadata.name == \"$3\") | $4"; }
gen env
t_eq "env_file: a ConfigMap <service>-env taken whole, environment over it" "FROM_FILE=1 SHARED=file|app-env|SHARED=own" \
  "$(dep env ConfigMap app-env '.data | to_entries | map(.key + "=" + .value) | join(" ")')|$(dep env Deployment app '.spec.template.spec.containers[0] | .envFrom[0].configMapRef.name + "|" + (.env[] | select(.name == "SHARED") | .name + "=" + .value)')"
t_eq "\$( kept literal in args and env (Kubernetes would expand it)" 'echo $$(hostname) $HOME|$$(not expanded)' \
  "$(dep env Deployment app '.spec.template.spec.containers[0] | .args[0] + "|" + (.env[] | select(.name == "SUBST") | .value)')"
gen workloads
t_eq "workloads: kinds, replicas, restart policies" "Job:batch:Never:0:4 Deployment:forced-deployment:1 Job:forced-job:Never:0 StatefulSet:forced-sts:1 Job:once:Never:0 Job:retry:OnFailure:3 Deployment:web:3 Deployment:worker:2" \
  "$(q "$T_DIR/workloads.yaml" '[.[] | select(.metadata.name | test("^(web|worker|once|retry|batch|forced-.*)$")) | select(.kind != "Service") | .kind + ":" + .metadata.name + ":" + (if .kind == "Job" then .spec.template.spec.restartPolicy + ":" + (.spec.backoffLimit | tostring) + (if .spec.completions then ":" + (.spec.completions | tostring) else "" end) else (.spec.replicas | tostring) end)] | join(" ")')"
gen stateful --stateful --pvc-size 5Gi
t_eq "--stateful: claim templates (a volume label's size, else --pvc-size), no PVC of their own" "db:pgdata=20Gi,logs=5Gi|" \
  "$(dep stateful StatefulSet db '"db:" + ([.spec.volumeClaimTemplates[] | .metadata.name + "=" + .spec.resources.requests.storage] | join(","))')|$(q "$T_DIR/stateful.yaml" '[.[] | select(.kind == "PersistentVolumeClaim")] | map(.metadata.name) | join(",")')"
gen volumes
t_eq "volumes: a small read-only file as a ConfigMap, tmpfs and shm in memory, anonymous as emptyDir" \
  "/etc/small.txt:file:corpus-app-file-4 /scratch:Memory:64Mi /anonymous:{} /dev/shm:Memory:256Mi" \
  "$(dep volumes Deployment app '.spec.template.spec as $p | [($p.containers[0].volumeMounts[] | select(.mountPath == "/etc/small.txt") | .mountPath + ":" + .subPath + ":" + .name), ($p.volumes[] | select(.name == "tmpfs-3") | "/scratch:" + .emptyDir.medium + ":" + .emptyDir.sizeLimit), ($p.volumes[] | select(.name == "volume-2") | "/anonymous:" + (.emptyDir | tojson)), ($p.volumes[] | select(.name == "dshm") | "/dev/shm:" + .emptyDir.medium + ":" + .emptyDir.sizeLimit)] | join(" ")')"
t_eq "a volume shared by two services: one ReadWriteMany claim; an external one referenced" "ReadWriteMany|precious-data" \
  "$(dep volumes PersistentVolumeClaim corpus-data '.spec.accessModes[0]')|$(dep volumes Deployment app '.spec.template.spec.volumes[] | select(.name == "ext") | .persistentVolumeClaim.claimName')"
gen hostpath --allow-hostpath
t_eq "--allow-hostpath: hostPath for the rest" "/var/log TOP/tests/fixtures/kube/corpus/files/dir" \
  "$(dep hostpath Deployment app '.spec.template.spec.volumes[] | .hostPath.path // empty' | sed "s|$TOP|TOP|g" | LC_ALL=C sort | paste -sd' ')"
gen secrets
t_eq "secrets: a Secret per secret, mounted file by file with its mode" "corpus-secret-token:token|/etc/app/token:token:256|/run/secrets/relative" \
  "$(dep secrets Secret corpus-secret-token '.metadata.name + ":" + (.stringData | keys | join(","))')|$(dep secrets Deployment app '.spec.template.spec as $p | ($p.containers[0].volumeMounts[] | select(.mountPath == "/etc/app/token") | .mountPath + ":" + .subPath) + ":" + ([$p.volumes[].secret.items[]? | select(.mode) | .mode | tostring] | join(",")) + "|" + ([$p.containers[0].volumeMounts[] | select(.subPath == "from_env") | .mountPath] | join(","))')"
gen configs
t_eq "configs: ConfigMaps from file and content, mounted at the target" "listen 80;|key = value|/etc/nginx/conf.d/app.conf,/inline" \
  "$(dep configs ConfigMap corpus-config-nginx '.data.nginx | rtrimstr("\n")')|$(dep configs ConfigMap corpus-config-inline '.data.inline | rtrimstr("\n")')|$(dep configs Deployment app '[.spec.template.spec.containers[0].volumeMounts[] | select(.subPath | test("nginx|inline")?) | .mountPath] | join(",")')"
gen resources
t_eq "resources: limits and requests" '{"cpu":"1500m","memory":"512Mi"}|{"cpu":"250m","memory":"128Mi"}|{"cpu":"500m","memory":"1Gi"}' \
  "$(dep resources Deployment app '.spec.template.spec.containers[0].resources | (.limits | tojson) + "|" + (.requests | tojson)')|$(dep resources Deployment legacy '.spec.template.spec.containers[0].resources.limits | tojson')"
gen security
t_eq "security: capabilities, ids, read-only root, no new privileges, sysctls, groups" \
  '{"add":["NET_ADMIN","SYS_TIME"],"drop":["ALL"]}|1000:2000|true|false|Unconfined|net.core.somaxconn=1024|[10]' \
  "$(dep security Deployment app '.spec.template.spec | (.containers[0].securityContext | (.capabilities | tojson) + "|" + (.runAsUser | tostring) + ":" + (.runAsGroup | tostring) + "|" + (.readOnlyRootFilesystem | tostring) + "|" + (.allowPrivilegeEscalation | tostring) + "|" + .seccompProfile.type) + "|" + (.securityContext.sysctls[0] | .name + "=" + .value) + "|" + (.securityContext.supplementalGroups | tojson)')"
gen health
t_eq "health: CMD-SHELL through sh -c with compose's defaults; NONE and disable: no probe" "sh -c wget -qO- http://localhost/ || exit 1|30|30|3|0 none:null disabled:null" \
  "$(dep health Deployment shell '.spec.template.spec.containers[0].livenessProbe | (.exec.command | join(" ")) + "|" + ([.periodSeconds, .timeoutSeconds, .failureThreshold, .initialDelaySeconds] | map(tostring) | join("|"))') $(dep health Deployment none '"none:" + (.spec.template.spec.containers[0].readinessProbe | tojson)') $(dep health Deployment disabled '"disabled:" + (.spec.template.spec.containers[0].readinessProbe | tojson)')"
gen labels
t_eq "labels: valid ones as labels, the rest and annotations as annotations" "backend|two words and more,payments,ops@example.com" \
  "$(dep labels Deployment app '.spec.template.metadata | .labels["com.example.tier"] + "|" + ([.annotations["com.example.description"], .annotations.team, .annotations["example.com/owner"]] | join(","))')"
gen networks
t_eq "networks: a policy per network lets its own pods in; published ports from anywhere" \
  "corpus-network-back:back<-back corpus-network-front:front<-front proxy-published:80|app:back,front|metrics:true" \
  "$(q "$T_DIR/networks.yaml" '[.[] | select(.kind == "NetworkPolicy") | .metadata.name + ":" + (if .spec.ingress[0].from then (.spec.podSelector.matchLabels | keys[0] | ltrimstr("network.bld.dev/")) + "<-" + (.spec.ingress[0].from[0].podSelector.matchLabels | keys[0] | ltrimstr("network.bld.dev/")) else (.spec.ingress[0].ports[0].port | tostring) end)] | join(" ")')|app:$(dep networks Deployment app '[.spec.template.metadata.labels | keys[] | select(startswith("network.bld.dev/")) | ltrimstr("network.bld.dev/")] | join(",")')|metrics:$(dep networks Deployment metrics '.spec.template.spec.hostNetwork')"
gen ports --service-type LoadBalancer
t_eq "ports: published to a LoadBalancer Service; exposed on a headless one" "LoadBalancer:8080>80/TCP,8443>443/TCP,5353>53/UDP,9000>9000/TCP,9001>9001/TCP,3000>3000/TCP,7000>7000/TCP|None:5432,6000,6001,6002" \
  "$(dep ports Service web '.spec.type + ":" + ([.spec.ports[] | (.port | tostring) + ">" + (.targetPort | tostring) + "/" + .protocol] | join(","))')|$(dep ports Service backend '.spec.clusterIP + ":" + ([.spec.ports[].port | tostring] | join(","))')"
gen misc
t_eq "misc: hostname, DNS, host aliases, host namespaces, stop signal, grace period, tty, pull policy" \
  'app-host|["10.0.0.53"]|ndots=2|gateway:10.0.0.1,printer:10.0.0.9|true true|SIGINT|60|true true|Always' \
  "$(dep misc Deployment app '.spec.template.spec | .hostname + "|" + (.dnsConfig.nameservers | tojson) + "|" + (.dnsConfig.options[0] | .name + "=" + .value) + "|" + ([.hostAliases[] | .hostnames[0] + ":" + .ip] | sort | join(",")) + "|" + ([.hostPID, .hostIPC] | map(tostring) | join(" ")) + "|" + .containers[0].lifecycle.stopSignal + "|" + (.terminationGracePeriodSeconds | tostring) + "|" + ([.containers[0].tty, .containers[0].stdin] | map(tostring) | join(" ")) + "|" + .containers[0].imagePullPolicy')"
gen names
t_eq "names: DNS-1123 normalised (the project's too)" "PersistentVolumeClaim/my-project-data-vol Service/web-front-end Deployment/web-front-end:wait-for-db-primary" \
  "$(q "$T_DIR/names.yaml" '[.[] | select(.kind != "NetworkPolicy" and .kind != "Service" or .metadata.name == "web-front-end") | select(.metadata.name | test("web|data")) | .kind + "/" + .metadata.name + (if .kind == "Deployment" then ":" + .spec.template.spec.initContainers[0].name else "" end)] | join(" ")')"
gen depends
"$BLD" kube generate --allow-tag --output-dir "$T_DIR/dir" -f "$C/depends.yaml" 2>/dev/null
t_eq "--output-dir: one <kind>-<name>.yaml per object" \
  "$(q "$T_DIR/depends.yaml" '.[] | (.kind | ascii_downcase) + "-" + .metadata.name + ".yaml"' | sort)" "$(ls "$T_DIR/dir")"
t_ok "... each valid" $V "$T_DIR"/dir/*.yaml
t_eq "depends_on: service_healthy and service_started wait for the Service, completion for the Job" \
  "wait-for-cache:nslookup wait-for-db:nslookup wait-for-migrate:kubectl wait-for-seed:nslookup|migrate" \
  "$(dep depends Deployment app '.spec.template | ([.spec.initContainers[] | .name + ":" + (if .command[0] == "kubectl" then "kubectl" else (.command[2] | split(" ")[1]) end)] | join(" ")) + "|" + .metadata.annotations["bld.dev/wait-for-jobs"]')"
printf 'services:\n  web_1: {image: busybox}\n  web-1: {image: busybox}\n' >"$T_DIR/clash.yaml"
t_match "two services of one Kubernetes name are refused" '^bld: kube generate: services web-1 and web_1: both named web-1 in Kubernetes$' \
  "$("$BLD" kube generate -f "$T_DIR/clash.yaml" 2>&1 >/dev/null)"
