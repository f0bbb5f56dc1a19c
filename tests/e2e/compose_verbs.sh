#!/usr/bin/env bash
# bld compose's finer verbs and flags against busybox from the local test registry, checked
# against what docker compose v2 does: run -p/--publish and --service-ports; logs --since and
# --until with relative times; cp both ways (--index, replicas);
# events [--json] of the project's services; up --attach/--no-attach/--attach-dependencies;
# logs --index.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
B() { "$BLD" "$@"; }
mkdir "$T_DIR/p" && cd "$T_DIR/p"
cat >compose.yaml <<EOF2
name: cv
services:
  web:
    image: $BASE
    init: true
    command: [sleep, "60"]
    ports: ["127.0.0.1:18091:80"]
EOF2

# run: the service's ports only with --service-ports, else those of -p (compose's run.go)
ports() { B port "$(B compose run -d "$@" web)" | xargs; }
t_eq "run: without the service's ports" "" "$(ports)"
t_eq "run --service-ports: the service's ports" "80/tcp -> 127.0.0.1:18091" "$(ports --service-ports)"
t_eq "run -p, --publish: those ports instead (ranges as compose)" \
  "80/tcp -> 127.0.0.1:18092 81/tcp -> 127.0.0.1:18093" \
  "$(ports -p 127.0.0.1:18092-18093:80-81)"
t_exit "run --service-ports -p: refused as compose" 1 B compose run --service-ports -p 80 web
t_match "run --service-ports -p: compose's words" '^bld: --service-ports and --publish are incompatible$' \
  "$(B compose run -P -p 80 web 2>&1)"
B compose down >/dev/null 2>&1

# logs --since/--until: relative ("2s", "1h30m") as the engine reads them, a line 3s after another
mkdir "$T_DIR/lg" && cd "$T_DIR/lg"
printf 'services:\n  a: {image: %s, init: true, command: [sh, -c, "echo one; sleep 3; echo two; exec sleep 60"]}\n' \
  "$BASE" >compose.yaml
B compose up -d >/dev/null 2>&1
for i in $(seq 100); do B compose logs 2>/dev/null | grep -q two && break; sleep 0.1; done
t_eq "logs --since 2s: the newer line" "a-1  | two" "$(B compose logs --since 2s)"
t_eq "logs --until 2s: the older line" "a-1  | one" "$(B compose logs --until 2s)"
t_eq "logs --since 1h30m --until 1h: none" "" "$(B compose logs --since 1h30m --until 1h)"
t_exit "logs -f --until: no following past it" 0 timeout 5 "$BLD" compose logs -f --until 1s
t_exit "logs --since: a bad time refused" 1 B compose logs --since yesterday
B compose down >/dev/null 2>&1

# cp: to a service every replica (--index: one), from a service its first container
mkdir "$T_DIR/cp" && cd "$T_DIR/cp"
printf 'services:\n  s: {image: %s, init: true, scale: 2, command: [sleep, "60"]}\n  t: {image: %s, init: true, command: [sleep, "60"]}\n' \
  "$BASE" "$BASE" >compose.yaml
B compose up -d >/dev/null 2>&1
echo hi >f; echo two >g
t_match "cp SRC SERVICE:DEST: compose's lines" '^ cp-s-1 Copying f to cp-s-1:/tmp/f .* cp-s-1 Copied f to cp-s-1:/tmp/f ' \
  "$(B compose cp f s:/tmp/f 2>&1 | tr '\n' ' ')"
t_eq "cp to a service: every replica" "hi hi" "$(B exec cp-s-1 cat /tmp/f) $(B exec cp-s-2 cat /tmp/f)"
B compose cp --index 2 g s:/tmp/g 2>/dev/null
t_eq "cp --index 2: that replica only" "two" "$(B exec cp-s-1 cat /tmp/g 2>/dev/null)$(B exec cp-s-2 cat /tmp/g)"
B compose cp s:/tmp/f back 2>/dev/null
t_eq "cp SERVICE:SRC DEST" "hi" "$(cat back)"
t_exit "cp --index of no container" 1 B compose cp --index 5 s:/tmp/f x
t_match "cp --index: compose's words" '^bld: service "s" is not running container #5$' \
  "$(B compose cp --index 5 s:/tmp/f x 2>&1)"
t_match "cp between services refused" '^bld: copying between services is not supported$' \
  "$(B compose cp s:/tmp/f s:/tmp/h 2>&1)"

# events: the project's container events (no other container's, no one-off's), compose's shapes
B run -d --name other "$BASE" true >/dev/null
B compose run --rm s true >/dev/null 2>&1
sleep 1
ev=$(B compose events --since 1m --until 0s)
line=$(grep -n ' container start .*name=cp-s-1)' <<<"$ev" | head -1 | cut -d: -f1)
t_match "events: compose's line, its attributes without compose's labels" \
  "^[0-9-]{10} [0-9:]{8}\.[0-9]{6} container start [0-9a-f]{64} \(image=$BASE, name=cp-s-1\)\$" \
  "$(sed -n "${line}p" <<<"$ev")"
t_eq "events: a blank line after each (compose's Fprintln of a line ending in newline)" "start|" \
  "$(sed -n "${line}p" <<<"$ev" | cut -d' ' -f4)|$(sed -n "$((line + 1))p" <<<"$ev")"
t_eq "events: the project's containers only" "cp-s-1 cp-s-2 cp-t-1" \
  "$(grep -o 'name=[^,)]*' <<<"$ev" | cut -d= -f2 | sort -u | xargs)"
t_eq "events SERVICE: that service's" "cp-t-1" \
  "$(B compose events --since 1m --until 0s t | grep -o 'name=[^,)]*' | cut -d= -f2 | sort -u)"
t_eq "events --json: compose's object" "action attributes id service time type|t container create name" \
  "$(B compose events --json --since 1m --until 0s t | head -1 | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(o) + "|" + o["service"], o["type"], o["action"], " ".join(sorted(o["attributes"])[1:]))')"
B compose down >/dev/null 2>&1

# up --attach/--no-attach: the logs of those services only (attach: false in the file too)
mkdir "$T_DIR/at" && cd "$T_DIR/at"
cat >compose.yaml <<EOF2
services:
  a: {image: $BASE, command: [echo, hello-a]}
  b: {image: $BASE, command: [echo, hello-b]}
  c: {image: $BASE, command: [echo, hello-c], attach: false}
EOF2
t_eq "up --attach a: that service's logs, until it exits" \
  "$(printf 'Attaching to a-1\na-1  | hello-a\na-1 exited with code 0')" "$(B compose up --attach a 2>/dev/null)"
B compose down >/dev/null 2>&1
t_eq "up --no-attach a: the others but those with attach: false" "Attaching to b-1" \
  "$(B compose up --no-attach a 2>/dev/null | head -1)"
t_match "up --attach of an unknown service: compose's words" \
  '^bld: cannot attach to services not included in up: nope$' "$(B compose up --attach nope 2>&1)"
t_eq "up -d --attach: refused in compose's words, exit 1" \
  "bld: --detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch rc=1" \
  "$(B compose up -d --attach a 2>&1) rc=$?"
B compose down >/dev/null 2>&1
# up --attach-dependencies: the logs of the services asked for and of their dependencies
cat >compose.yaml <<EOF2
services:
  db: {image: $BASE, command: [echo, hello-db]}
  app: {image: $BASE, command: [sh, -c, "sleep 1; echo hello-app"], depends_on: [db]}
  other: {image: $BASE, command: [echo, hello-other]}
  w: {image: $BASE, command: [sh, -c, "echo I am \$\$(hostname)"], scale: 2}
EOF2
t_eq "up SERVICE: that service's logs only" "Attaching to app-1|app-1  | hello-app" \
  "$(B compose up app 2>/dev/null | grep -v exited | paste -sd'|')"
B compose down >/dev/null 2>&1
t_eq "up --attach-dependencies SERVICE: its dependencies' too" \
  "Attaching to app-1, db-1|app-1  | hello-app|db-1   | hello-db" \
  "$(B compose up --attach-dependencies app 2>/dev/null | grep -v exited | sort | paste -sd'|')"
t_eq "up --attach-dependencies --attach: refused in compose's words, exit 1" \
  "bld: cannot combine --attach and --attach-dependencies rc=1" \
  "$(B compose up --attach-dependencies --attach app 2>&1) rc=$?"
t_match "up -d --attach-dependencies: refused" "^bld: --detach cannot be combined with" \
  "$(B compose up -d --attach-dependencies 2>&1)"
# logs --index N: the one replica's
B compose up -d w >/dev/null 2>&1
B compose wait w >/dev/null 2>&1
t_eq "logs --index 2 w: replica 2's lines only" "w-2  | I am $(B inspect --format '{{.Config.Hostname}}' at-w-2)" \
  "$(B compose logs --no-color --index 2 w)"
t_eq "logs --index without one service: refused in compose's words" \
  "bld: --index requires one service to be selected rc=1" "$(B compose logs --index 1 2>&1) rc=$?"
t_eq "logs --index of a missing replica" "bld: service \"w\" is not running container #3" \
  "$(B compose logs --index 3 w 2>&1)"
B compose down >/dev/null 2>&1
