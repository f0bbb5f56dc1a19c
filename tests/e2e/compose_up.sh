#!/usr/bin/env bash
# bld compose's runtime end to end, with busybox from the local test registry: a project of
# three services (web built from a Dockerfile and published on 127.0.0.1, a db with a health
# check, a one-shot migrate that must complete before web starts) up with --wait; compose's
# names and labels; convergence (nothing changed: nothing recreated; a changed environment:
# only that service); a named volume across down/up; --scale; down -v leaving nothing; and
# the failures (a port taken, an image that cannot be pulled, a failing health check with
# --wait): one error line, compose's exit code 1, nothing left running, down removes it all.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
B() { "$BLD" "$@"; }
P=$T_DIR/demo
mkdir -p "$P/web"
# lib.sh's three-service project: each service checks that what it depends on is there (web
# fails to start unless migrate completed, migrate fails unless db wrote /data/ready); here
# with a top-level name, web's build in its short form and an environment to change later
t_compose_demo "$P" 18080
sed -i -e '1i name: demo' \
  -e 's|^    build: {context: ./web, network: host}$|    build: ./web\n    environment: [GREETING=hi]|' \
  "$P/compose.yaml"
cd "$P"
t_ok "up -d --wait: db healthy, migrate completed, then web" B compose up -d --wait
# running is all --wait asks of a service without a health check: httpd may still be binding
get() { for i in $(seq 50); do busybox wget -qO- "$1" 2>/dev/null && return; sleep 0.1; done; }
t_eq "web answers on its published port" "hello-from-web" "$(get http://127.0.0.1:18080/)"
t_eq "containers named <project>-<service>-<n>" "demo-db-1 demo-migrate-1 demo-web-1" \
  "$(B ps -a --format '{{.Names}}' | sort | xargs)"
labels=$(B inspect --format '{{json .Config.Labels}}' demo-web-1)
for l in '"com.docker.compose.project":"demo"' '"com.docker.compose.service":"web"' \
  '"com.docker.compose.container-number":"1"' '"com.docker.compose.oneoff":"False"' \
  "\"com.docker.compose.project.working_dir\":\"$P\"" \
  "\"com.docker.compose.project.config_files\":\"$P/compose.yaml\"" \
  '"com.docker.compose.depends_on":"db:service_healthy:false,migrate:service_completed_successfully:false"' \
  '"com.docker.compose.image":"sha256:[0-9a-f]{64}"' '"com.docker.compose.config-hash":"[0-9a-f]{64}"'; do
  t_match "label ${l%%:*}" "$l" "$labels"
done
t_match "the volume is <project>_<name>, labelled" '"com.docker.compose.project": "demo"' \
  "$(B volume inspect demo_data)"
t_match "the default network is <project>_default, labelled" \
  '"com.docker.compose.network": "default".*"com.docker.compose.project": "demo"' \
  "$(B network inspect demo_default | tr -d '\n')"
net() { # CONTAINER KEY: NetworkSettings.Networks.demo_default.KEY
  B inspect --format '{{json .NetworkSettings.Networks}}' "$1" |
    python3 -c 'import json, sys; v = json.load(sys.stdin)["demo_default"][sys.argv[1]]
print(" ".join(v) if isinstance(v, list) else v)' "$2"
}
t_match "on the project's network with compose's aliases" "^demo-db-1 db( |$)" "$(net demo-db-1 Aliases)"
t_eq "web reaches db on the project's network" "db-ready" \
  "$(B exec demo-web-1 wget -qO- "http://$(net demo-db-1 IPAddress):5432/ready")"
t_eq "web reaches db by its service name" "db-ready" \
  "$(B exec demo-web-1 wget -qO- http://db:5432/ready 2>&1)"

ids() { B ps -a --format '{{.Names}} {{.ID}}' | sort; }
before=$(ids)
out=$(B compose up -d 2>&1)
t_eq "up with nothing changed recreates nothing" "$before" "$(ids)"
t_match "and says the services run" '^ Container demo-web-1  Running$' "$out"
t_match "and creates nothing" '^$' "$(grep -E 'Creat|Recreat' <<<"$out")"

sed -i 's/GREETING=hi/GREETING=ho/' compose.yaml
out=$(B compose up -d 2>&1)
t_eq "a changed environment recreates only that service" "demo-web-1" \
  "$(diff <(echo "$before") <(ids) | sed -n 's/^> \([^ ]*\) .*/\1/p')"
t_match "compose's Recreated line" '^ Container demo-web-1  Recreated$' "$out"
t_eq "the recreated container has the new environment" "ho" \
  "$(B exec demo-web-1 sh -c 'echo $GREETING')"

echo 'RUN echo v2 >/www/v' >>web/Dockerfile
t_match "a changed Dockerfile alone rebuilds nothing" '^$' "$(B compose up -d 2>&1 | grep -E 'Built|Recreat')"
out=$(B compose up -d --build 2>&1)
t_match "up --build: rebuilt, and the new image recreates web" \
  'Image demo-web  Built.* Container demo-web-1  Recreated' "$(tr '\n' ' ' <<<"$out")"
t_eq "up --build: db and migrate kept" "" "$(grep -E 'demo-(db|migrate)-1  Recreat' <<<"$out")"
t_eq "the new image serves" "v2" "$(B exec demo-web-1 cat /www/v)"
n=$(B exec demo-db-1 grep -c migrated /data/log)
out=$(B compose down 2>&1)
t_eq "down: dependants first (web, then migrate, then db)" "demo-web-1 demo-migrate-1 demo-db-1" \
  "$(sed -n 's/^ Container \(.*\)  Removed$/\1/p' <<<"$out" | xargs)"
t_eq "down leaves no container" "" "$(B ps -aq)"
t_eq "down removes the project's network" "" "$(B network ls -q --filter name=demo_default)"
t_ok "up again" B compose up -d --wait
t_eq "the named volume kept its data across down/up" "$((n + 1))" \
  "$(B exec demo-db-1 grep -c migrated /data/log)"
t_ok "down -v --rmi local" B compose down -v --rmi local
t_eq "down -v leaves no container" "" "$(B ps -aq)"
t_eq "down -v leaves no volume" "" "$(B volume ls -q)"
t_eq "--rmi local: the built image goes, the pulled one stays" "$BASE" \
  "$(B images --filter dangling=false --format '{{.Repository}}:{{.Tag}}' | xargs)"

mkdir "$T_DIR/scl" && cd "$T_DIR/scl"
printf 'services:\n  web: {image: %s, command: [sleep, "60"], init: true}\n' "$BASE" >compose.yaml
t_ok "up --scale web=3" B compose up -d --scale web=3
t_eq "three replicas" "scl-web-1 scl-web-2 scl-web-3" \
  "$(B ps --format '{{.Names}}' | sort | xargs)"
t_eq "the three resolvable under the one service name" "3" \
  "$(B exec scl-web-1 nslookup web 2>&1 | grep -v 127.0.0.11 | grep -cE '^Address( 1)?:? +[0-9.]+$')"
t_ok "up --scale web=1" B compose up -d --scale web=1
t_eq "scaled down to the first" "scl-web-1" "$(B ps -a --format '{{.Names}}' | xargs)"
B compose down >/dev/null 2>&1

# failures: exit 1, one error line naming the service, nothing left running
bad() { # NAME PROJECT-DIR WANT-ERROR UP-ARGS...
  local name=$1 dir=$2 want=$3; shift 3
  local out rc
  out=$(cd "$dir" && B compose up "$@" 2>&1); rc=$?
  t_eq "$name: exit 1" "1" "$rc"
  t_match "$name: one error line" "^1 $want" "$(grep -c '^bld: ' <<<"$out") $(grep '^bld: ' <<<"$out")"
  t_eq "$name: nothing left running" "" "$(B ps -q)"
  (cd "$dir" && B compose down >/dev/null 2>&1)
  t_eq "$name: down removes what up made" "" "$(B ps -aq)"
}
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",18090)); s.listen(); time.sleep(60)' &
at_exit "kill $!"
mkdir "$T_DIR/b1" "$T_DIR/b2" "$T_DIR/b3"
cat >"$T_DIR/b1/compose.yaml" <<EOF
services:
  a: {image: $BASE, command: [sleep, "60"], init: true}
  web:
    image: $BASE
    init: true
    command: [httpd, -f, -p, "80"]
    ports: [{target: 80, published: "18090", host_ip: 127.0.0.1, protocol: tcp}]
    depends_on: {a: {condition: service_started}}
EOF
printf 'services:\n  x: {image: %s}\n' "$REG_ADDR/library/nope:1" >"$T_DIR/b2/compose.yaml"
cat >"$T_DIR/b3/compose.yaml" <<EOF
services:
  sick:
    image: $BASE
    command: [sleep, "60"]
    init: true
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1}
EOF
for i in $(seq 100); do ss -ltn | grep -q '127.0.0.1:18090 ' && break; sleep 0.1; done
bad "a port taken" "$T_DIR/b1" 'bld: service "web": .*18090.*in use' -d
bad "an image that cannot be pulled" "$T_DIR/b2" 'bld: service "x": pull .*nope:1' -d
bad "a failing health check with --wait" "$T_DIR/b3" 'bld: container b3-sick-1 is unhealthy' --wait
sed -i 's/"false"/"true"/; s/interval: 1s/interval: 30s, start_period: 30s/' "$T_DIR/b3/compose.yaml"
bad "--wait-timeout" "$T_DIR/b3" 'bld: application not healthy after 1s' --wait --wait-timeout 1
