# tests/e2e/kube_play.sh — `bld kube play` and `kube down` on hand-written Kubernetes YAML
# in the shapes people write: a Pod whose containers share localhost after init containers
# ran in order; a Deployment with a NodePort Service and a ConfigMap; a readiness probe that
# gates a Service's name; a StatefulSet whose claim's data survives down/play; Jobs and their
# exit codes; bad input refused with FILE:LINE.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
B() { "$BLD" "$@"; }
K=$T_DIR/k
mkdir -p "$K"
for f in pod web ready sts job demo; do at_exit "B kube down --volumes '$K/$f.yaml' >/dev/null 2>&1"; done
# an answer from a container of the namespace's network (as from another pod)
from_net() { B run --rm --network kube-default "$BASE" "$@"; }
# a page from the host, once its server listens (a pod is ready when its containers run)
http_get() {
  local got="" _
  for _ in $(seq 50); do got=$(curl -s "$1") && [ -n "$got" ] && break; sleep 0.2; done
  echo "$got"
}

# ---- a Pod: init containers in order, then two containers that share localhost
cat >"$K/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: work, emptyDir: {}}, {name: tmp, emptyDir: {medium: Memory}}]
  initContainers:
  - {name: first, image: $BASE, command: [sh, -c, "echo one >>/w/log"], volumeMounts: [{name: work, mountPath: /w}]}
  - {name: second, image: $BASE, command: [sh, -c, "echo two >>/w/log"], volumeMounts: [{name: work, mountPath: /w}]}
  containers:
  - name: web
    image: $BASE
    command: [sh, -c, "cp /w/log /w/index.html && exec httpd -f -p 8080 -h /w"]
    ports: [{containerPort: 8080}]
    volumeMounts: [{name: work, mountPath: /w}]
  - name: client
    image: $BASE
    command: [sh, -c, "until wget -qO /tmp/got localhost:8080/; do sleep 0.2; done; exec sleep 600"]
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    securityContext: {runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true}
    volumeMounts: [{name: tmp, mountPath: /tmp}]
EOF
t_ok "play a pod" timeout 60 "$BLD" kube play "$K/pod.yaml"
got=""
for _ in $(seq 50); do got=$(B exec duo-client cat /tmp/got 2>/dev/null) && [ -n "$got" ] && break; sleep 0.2; done
t_eq "a pod's containers share localhost; init containers ran in order first" "one two" "$(echo $got)"
t_eq "limits and securityContext" "67108864 500000000 1000:1000 true" \
  "$(B inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' duo-client)"
t_exit "a second play of the same file is refused" 1 "$BLD" kube play "$K/pod.yaml"
t_ok "--replace plays it again" timeout 60 "$BLD" kube play --replace --publish 18083:8080 "$K/pod.yaml"
t_eq "--publish puts a container port on the host" "one two" "$(echo $(http_get http://127.0.0.1:18083/))"

# ---- a Deployment of 2 with a ConfigMap, behind a NodePort Service
cat >"$K/web.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data:
  GREETING: hello-from-configmap
  index.html: |
    page-from-configmap
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret}
data: {TOKEN: czNjcjN0}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: $BASE
        command: [httpd, -f, -p, "80", -h, /www]
        envFrom: [{secretRef: {name: web-secret}, prefix: APP_}]
        env:
        - name: GREETING
          valueFrom: {configMapKeyRef: {name: web-config, key: GREETING}}
        ports: [{name: http, containerPort: 80}]
        volumeMounts: [{name: www, mountPath: /www, readOnly: true}]
      volumes:
      - name: www
        configMap:
          name: web-config
          defaultMode: 0640
          items: [{key: index.html, path: index.html}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 18080, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec: {}
EOF
out=$(timeout 60 "$BLD" kube play "$K/web.yaml" 2>&1)
t_match "play a Deployment, Service, ConfigMap; an Ingress reported, skipped" \
  'web.yaml:[0-9]+: Ingress "web": kind not supported, skipped' "$out"
t_eq "one pod per replica" "web-0-httpd web-1-httpd" \
  "$(B ps --filter label=io.bld.kube.owner=default/Deployment/web --filter label=io.bld.kube.role=main --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
t_eq "the env from the ConfigMap and the Secret" "hello-from-configmap s3cr3t" \
  "$(B exec web-1-httpd sh -c 'echo $GREETING $APP_TOKEN')"
t_eq "the ConfigMap volume's item with its mode" "640" "$(B exec web-0-httpd stat -c %a /www/index.html)"
t_eq "the Service name answers from another container" "page-from-configmap" \
  "$(from_net wget -qO- http://web/index.html)"
t_eq "the NodePort Service is published on the host" "page-from-configmap" \
  "$(http_get http://127.0.0.1:18080/index.html)"

sed 's/replicas: 2/replicas: 1/' "$K/web.yaml" | B kube down - >/dev/null 2>&1
t_eq "kube down (of stdin, one replica fewer) removes what the file made, and only that" "duo-client duo-infra duo-web" \
  "$(echo $(B ps --format '{{.Names}}' | sort))"

# ---- a readiness probe: the Service name resolves once the pod is ready
cat >"$K/ready.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: $BASE
        command: [sh, -c, "exec httpd -f -p 80 -h /tmp"]
        readinessProbe:
          exec: {command: [test, -f, /tmp/ready]}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: slow}
spec:
  selector: {app: slow}
  ports: [{port: 80}]
EOF
timeout 60 "$BLD" kube play "$K/ready.yaml" >"$T_DIR/ready.out" 2>&1 &
pid=$!
for _ in $(seq 50); do [ "$(B inspect -f '{{.State.Status}}' slow-0-app 2>/dev/null)" = running ] && break; sleep 0.2; done
sleep 1.5
t_exit "no name while the pod is not ready" 1 from_net nslookup slow
B exec slow-0-app touch /tmp/ready
wait $pid
t_eq "play returns once the pod is ready" "0" "$?"
t_ok "the Service name resolves once ready" from_net nslookup slow

# ---- a StatefulSet: its claim's volume survives kube down and play
cat >"$K/sts.yaml" <<EOF
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: $BASE
        command: [sh, -c, "date +%s%N >>/data/starts; exec sleep 600"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
EOF
B kube play "$K/sts.yaml" >/dev/null 2>&1 && B kube down "$K/sts.yaml" >/dev/null 2>&1
t_ok "play the StatefulSet again after kube down" timeout 60 "$BLD" kube play "$K/sts.yaml"
sleep 0.5
t_eq "its claim's data survived" 2 "$(B exec db-0-db sh -c 'wc -l </data/starts')"
B kube down --volumes "$K/sts.yaml" >/dev/null 2>&1
t_eq "kube down --volumes removes the claim's volume" "" "$(B volume ls -q | grep -x data-db-0)"

# ---- Jobs: run once to completion; a failure retried backoffLimit times, its code reported
mkdir -p "$T_DIR/runs"
cat >"$K/job.yaml" <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: ok}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: $BASE, command: [sh, -c, "echo ok >>/runs/ok"], volumeMounts: [{name: runs, mountPath: /runs}]}]
      volumes: [{name: runs, hostPath: {path: $T_DIR/runs}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: main, image: $BASE, command: [sh, -c, "echo bad >>/runs/bad; exit 3"], volumeMounts: [{name: runs, mountPath: /runs}]}]
      volumes: [{name: runs, hostPath: {path: $T_DIR/runs}}]
EOF
out=$(timeout 60 "$BLD" kube play "$K/job.yaml" 2>&1)
t_eq "a failed Job fails play" "1" "$?"
t_match "its exit code is reported" 'job bad failed: exit code 3 after 2 attempts' "$out"
t_eq "the good Job ran once, the bad one 1+backoffLimit times" "1 2" \
  "$(wc -l <"$T_DIR/runs/ok") $(wc -l <"$T_DIR/runs/bad")"
t_eq "the good Job's container exited 0" "exited 0" "$(B inspect -f '{{.State.Status}} {{.State.ExitCode}}' ok-0-main)"

# ---- the round trip: the compose demo -> kube generate -> kube play
t_compose_demo "$T_DIR/demo" 18081
(cd "$T_DIR/demo" && B compose build >/dev/null 2>&1 &&
  B kube generate --allow-tag --wait-image "$BASE" >"$K/demo.yaml" 2>/dev/null)
t_ok "play what kube generate wrote" timeout 90 "$BLD" kube play "$K/demo.yaml"
t_eq "the web answers on its published port" "hello-from-web" "$(http_get http://127.0.0.1:18081/)"
started() { B inspect -f "{{.State.$2}}" "$1"; }
t_ok "the migration ran before the app" test "$(started web-0-web StartedAt)" \> "$(started migrate-0-migrate FinishedAt)" -a "$(B inspect -f '{{.RestartCount}}' web-0-web)" = 0
t_ok "db was healthy before the migration ran" test "$(started migrate-0-migrate StartedAt)" \> "$(started migrate-0-wait-for-db FinishedAt)"
B kube down "$K/demo.yaml" >/dev/null 2>&1
t_ok "play it again after kube down" timeout 90 "$BLD" kube play "$K/demo.yaml"
t_eq "the named volume's data survived" "migrated migrated" "$(echo $(B exec web-0-web cat /data/log))"

# ---- bad input: FILE:LINE
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: c\n    command: [true]\n' >"$K/bad.yaml"
out=$("$BLD" kube play "$K/bad.yaml" 2>&1)
t_eq "a container without an image is refused with its line" \
  "bld: kube play: $K/bad.yaml:6: image: a non-empty string is required" "$out"
printf 'kind: Pod\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: http}]}\n' >"$K/bad2.yaml"
out=$("$BLD" kube play "$K/bad2.yaml" 2>&1)
t_match "a document without apiVersion is refused with its line" "bad2.yaml:1: apiVersion" "$out"
