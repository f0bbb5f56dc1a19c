#!/usr/bin/env bash
# bld compose's verbs on a running project, against busybox from the local test registry:
# ps (table, -a, -q, --services, --status, --format json), logs (merged, prefixed "NAME  | "
# as compose v2), ls, stop/start (dependency order and conditions again), restart, pause,
# unpause, kill, rm; pull, build (with build: tags, secrets, dockerfile_inline, cache_to, platforms), push, run (one-off containers), exec, port; and the attached up: the logs merged until ctrl-c, which stops
# everything (exit 130), and --exit-code-from.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
B() { "$BLD" "$@"; }
mkdir "$T_DIR/p" && cd "$T_DIR/p"
cat >compose.yaml <<EOF
name: demo
services:
  db: {image: $BASE, init: true, command: [sh, -c, "echo db up; echo oops >&2; exec sleep 60"]}
  migrate:
    image: $BASE
    command: [echo, migrated]
    depends_on: {db: {condition: service_started}}
  web:
    image: $BASE
    init: true
    command: [sh, -c, "echo web up; exec sleep 60"]
    depends_on: {migrate: {condition: service_completed_successfully}}
EOF
t_ok "up -d --wait" B compose up -d --wait
squeeze() { tr -s ' ' | sed 's/ *$//'; }
t_eq "ps: compose's columns" "NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS" \
  "$(B compose ps | head -1 | squeeze)"
t_eq "ps: the running containers by name" "demo-db-1 demo-web-1" \
  "$(B compose ps | tail -n +2 | cut -d' ' -f1 | xargs)"
t_eq "ps -a: the exited one too" "3" "$(B compose ps -a | tail -n +2 | wc -l)"
t_eq "ps --services" "db web" "$(B compose ps --services | xargs)"
t_eq "ps -q --status exited" "$(B inspect --format '{{.Id}}' demo-migrate-1)" \
  "$(B compose ps -q --status exited)"
t_eq "ps --format json: one object a line" "db:running migrate:exited web:running" \
  "$(B compose ps -a --format json | python3 -c '
import json, sys
print(" ".join(o["Service"] + ":" + o["State"] for o in map(json.loads, sys.stdin)))')"
t_eq "ps SERVICE" "demo-web-1" "$(B compose ps web | tail -n +2 | cut -d' ' -f1)"
t_eq "logs: merged, each line prefixed as compose's" \
  "$(printf 'db-1       | db up\ndb-1       | oops\nmigrate-1  | migrated\nweb-1      | web up')" \
  "$(B compose logs --no-color 2>&1 | sort)"
t_eq "logs SERVICE: the prefix as wide as its own names" "web-1  | web up" "$(B compose logs web)"
t_eq "logs --tail" "db-1  | oops" "$(B compose logs --tail 1 db 2>&1)"
t_eq "logs --no-log-prefix" "web up" "$(B compose logs --no-log-prefix web)"
t_match "ls: the project, its states, its file" "^demo +exited\(1\), running\(2\) +$PWD/compose.yaml$" \
  "$(B compose ls | tail -n +2)"

t_match "stop SERVICE" '^ Container demo-web-1  Stopped$' "$(B compose stop web 2>&1)"
t_eq "stop: the service no longer runs" "db" "$(B compose ps --services | xargs)"
out=$(B compose start 2>&1)
t_match "start: migrate again, waited for, then web" \
  'demo-migrate-1  Started.* demo-migrate-1  Exited.* demo-web-1  Started' "$(tr '\n' ' ' <<<"$out")"
t_eq "start: everything runs again" "db web" "$(B compose ps --services | xargs)"
t_match "images: compose's columns, each container's image" \
  "^CONTAINER +REPOSITORY +TAG +PLATFORM +IMAGE ID +SIZE +CREATED demo-db-1 +$REG_ADDR/library/busybox +latest +linux/amd64 +[0-9a-f]{12} " \
  "$(B compose images | tr '\n' ' ')"
top=$(B compose top)
t_match "top: each running container's processes under its name" \
  '^demo-db-1 UID +PID +PPID .*sleep 60 .*demo-web-1 UID ' "$(tr '\n' ' ' <<<"$top")"
id=$(B compose ps -q db)
t_match "restart" '^ Container demo-db-1  Restarted$' "$(B compose restart db 2>&1)"
t_eq "restart keeps the container" "$id" "$(B compose ps -q db)"
t_match "pause" '^ Container demo-web-1  Paused$' "$(B compose pause web 2>&1)"
t_match "paused in ps" 'Paused' "$(B compose ps web)"
t_match "unpause" '^ Container demo-web-1  Unpaused$' "$(B compose unpause web 2>&1)"
t_match "kill" '^ Container demo-db-1  Killed$' "$(B compose kill db 2>&1)"
out=$(B compose rm -f 2>&1)
t_match "rm -f: the stopped ones" 'demo-db-1  Removed' "$out"
t_eq "rm leaves the running one" "demo-web-1" "$(B compose ps -a | tail -n +2 | cut -d' ' -f1 | xargs)"
t_ok "down" B compose down

# convergence: restart: true dependants, --force-recreate, --no-recreate, orphans, --no-deps
mkdir "$T_DIR/conv" && cd "$T_DIR/conv"
cat >compose.yaml <<EOF
services:
  db: {image: $BASE, init: true, command: [sleep, "60"], environment: [V=1]}
  app:
    image: $BASE
    init: true
    command: [sleep, "60"]
    depends_on: {db: {condition: service_started, restart: true}}
  other: {image: $BASE, init: true, command: [sleep, "60"], depends_on: [db]}
EOF
t_ok "up -d" B compose up -d
state() { for c in conv-db-1 conv-app-1 conv-other-1; do
  B inspect --format '{{.Id}} {{.State.StartedAt}}' $c; done; }
s1=$(state)
sleep 1
sed -i 's/V=1/V=2/' compose.yaml
out=$(B compose up -d 2>&1)
s2=$(state)
t_match "db recreated" '^ Container conv-db-1  Recreated$' "$out"
t_eq "db has a new container" "1" "$(diff <(sed -n 1p <<<"$s1" | cut -d' ' -f1) <(sed -n 1p <<<"$s2" | cut -d' ' -f1) | grep -c '^>')"
t_eq "its restart: true dependant restarted in the same container" "same id, started again" \
  "$(read -r i1 t1 < <(sed -n 2p <<<"$s1"); read -r i2 t2 < <(sed -n 2p <<<"$s2")
     [ "$i1" = "$i2" ] && [ "$t1" != "$t2" ] && echo "same id, started again")"
t_eq "a dependant without restart: true untouched" "$(sed -n 3p <<<"$s1")" "$(sed -n 3p <<<"$s2")"
sed -i 's/V=2/V=3/' compose.yaml
B compose up -d --no-recreate >/dev/null 2>&1
t_eq "--no-recreate keeps the changed service's container" "$s2" "$(state)"
B compose up -d --force-recreate >/dev/null 2>&1
t_eq "--force-recreate recreates every one" "0" \
  "$(comm -12 <(cut -d' ' -f1 <<<"$s2" | sort) <(state | cut -d' ' -f1 | sort) | wc -l)"
sed -i '/^  other:/d' compose.yaml
t_match "a service gone: its container named as an orphan" 'Found orphan containers \(\[conv-other-1\]\)' \
  "$(B compose up -d 2>&1)"
B compose up -d --remove-orphans >/dev/null 2>&1
t_eq "--remove-orphans removes it" "conv-app-1 conv-db-1" "$(B compose ps -a --format json | python3 -c '
import json, sys
print(" ".join(sorted(json.loads(l)["Name"] for l in sys.stdin)))')"
B compose down >/dev/null 2>&1
B compose up -d --no-deps app >/dev/null 2>&1
t_eq "up --no-deps SERVICE: that service alone" "app" "$(B compose ps --services | xargs)"
B compose down >/dev/null 2>&1

# images and one-off containers
mkdir -p "$T_DIR/img/web" && cd "$T_DIR/img"
printf 'FROM %s\nRUN echo built >/built\n' "$BASE" >web/Dockerfile
cat >compose.yaml <<EOF
services:
  db: {image: $BASE, init: true, command: [sleep, "60"]}
  web:
    build: ./web
    image: $REG_ADDR/test/web:1
    init: true
    command: [httpd, -f, -p, "80"]
    ports: ["127.0.0.1:18081:80"]
    depends_on: [db]
EOF
t_match "pull: the services without a build" '^ db  Pulled$' "$(B compose pull 2>&1)"
t_match "build: the services with one" "^ Image $REG_ADDR/test/web:1  Built\$" "$(B compose build 2>&1)"
t_match "push: the built image under its name" "^ Image $REG_ADDR/test/web:1  Pushed\$" \
  "$(B compose push 2>&1)"
t_eq "run: the command in a one-off container, its dependencies up" "built" \
  "$(B compose run --rm web cat /built 2>/dev/null)"
t_eq "run: the dependency runs" "db" "$(B compose ps --services)"
t_exit "run: the command's exit code" 4 B compose run web sh -c 'exit 4'
t_match "run: named <project>-<service>-run-<slug>, oneoff, shown by ps -a" \
  '^img-web-run-[0-9a-f]{12} .*"com.docker.compose.oneoff":"True"' \
  "$(n=$(B ps -a --filter status=exited --format '{{.Names}}')
     echo "$n $(B inspect --format '{{json .Config.Labels}}' "$n")")"
t_ok "up -d" B compose up -d
t_eq "exec: in the service's container" "built" "$(B compose exec -T web cat /built)"
t_exit "exec: the command's exit code" 5 B compose exec -T web sh -c 'exit 5'
t_eq "port" "127.0.0.1:18081" "$(B compose port web 80)"
t_ok "down" B compose down
t_eq "down removes the one-off containers too" "" "$(B ps -aq)"

# attached: ctrl-c stops everything, exit 130
mkdir "$T_DIR/att" && cd "$T_DIR/att"
printf 'services:\n  a: {image: %s, init: true, command: [sh, -c, "echo hello; exec sleep 60"]}\n' \
  "$BASE" >compose.yaml
"$BLD" compose up >out 2>err &
pid=$!
for i in $(seq 100); do grep -q hello out && break; sleep 0.1; done
kill -INT $pid
wait $pid
t_eq "up attached: ctrl-c exits 130" "130" "$?"
t_eq "up attached: prefixed lines, and the exit when stopped" \
  "$(printf 'Attaching to a-1\na-1  | hello\na-1 exited with code 143')" "$(cat out)"
t_match "up attached: stops everything" 'Gracefully stopping.* Container att-a-1  Stopped' \
  "$(tr '\n' ' ' <err)"
t_eq "up attached: nothing left running" "" "$(B ps -q)"
B compose down >/dev/null 2>&1
cat >compose.yaml <<EOF
services:
  a: {image: $BASE, init: true, command: [sleep, "60"]}
  b: {image: $BASE, command: [sh, -c, "exit 3"]}
EOF
t_exit "up --exit-code-from: that container's exit code" 3 B compose up --exit-code-from b
t_eq "--exit-code-from: the others stopped" "" "$(B ps -q)"
B compose down >/dev/null 2>&1
B compose up -d >/dev/null 2>&1
out=$(B compose wait b); rc=$?
t_eq "wait SERVICE: its exit, as compose prints it" \
  "container \"$(B inspect --format '{{.Id}}' att-b-1)\" exited with status code 3 rc=3" "$out rc=$rc"
B compose down >/dev/null 2>&1

# build: what compose v2 passes to BuildKit beyond context and dockerfile
mkdir -p "$T_DIR/bo/ctx" && cd "$T_DIR/bo"
printf 'FROM %s\nRUN --mount=type=secret,id=s --mount=type=secret,id=e,target=/e cat /run/secrets/s /e >/sec\n' \
  "$BASE" >ctx/Dockerfile
printf 'from-file\n' >s.txt
cat >compose.yaml <<EOF
services:
  sec:
    build:
      context: ./ctx
      tags: [bo/extra:2]
      secrets: [s, {source: e}]
      cache_to: ["type=registry,ref=$REG_ADDR/test/bocache:1"]
    image: bo/sec:1
  inl:
    build:
      dockerfile_inline: |
        FROM $BASE
        RUN echo inline >/i
      privileged: true
    image: bo/inl:1
secrets:
  s: {file: ./s.txt}
  e: {environment: BO_SECRET}
EOF
printf 'BO_SECRET=from-dotenv\n' >.env
out=$(B compose build 2>&1)
t_match "build.privileged: warned about with file and line" \
  "bld: warning: $T_DIR/bo/compose.yaml:14: services.inl.build.privileged: not supported by bld, ignored" "$out"
t_eq "build.tags: the extra tag names the built image" \
  "$(B image inspect --format '{{.Id}}' bo/sec:1 2>&1)" "$(B image inspect --format '{{.Id}}' bo/extra:2 2>&1)"
t_eq "build.secrets: a file secret and an environment one (from .env, as compose v2), seen by RUN --mount=type=secret" \
  "$(printf 'from-file\nfrom-dotenv')" "$(B run --rm bo/sec:1 cat /sec 2>&1)"
t_ok "build.cache_to: the build cache goes to the registry" curl -sf \
  -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' \
  "$REG_URL/v2/test/bocache/manifests/1"
t_eq "build.dockerfile_inline: built" "inline" "$(B run --rm bo/inl:1 cat /i 2>&1)"
printf 'services:\n  p: {build: {context: ./ctx, platforms: [linux/arm64]}, image: bo/p:1}\n' >compose.yaml
t_match "build.platforms: other than linux/amd64 refused with the builder's error" \
  'platform linux/arm64: only linux/amd64 is supported' "$(B compose build 2>&1)"
