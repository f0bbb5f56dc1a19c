#!/usr/bin/env bash
# kill -9 at random moments of build, push, commit, compose up, compose down, network connect
# and volume create, KILL_RUNS times each (make check: a few; `make soak`: 100), and two
# compose downs at once (what a killed down's children race). Each command
# is timed once unkilled, and every killed run gets SIGKILL at a uniformly random moment of
# that time. After each kill the same command runs again and must succeed; at the end
# `bld system check` is clean, every network and volume listed inspects, no endpoint or
# lease outlives its container, the compose project comes up and goes down cleanly, and
# nothing of bld is left behind. KILL_OPS (`make soak KILL_OPS="push,compose up"`) picks
# the commands soaked (default: all; the checks afterwards run either way).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"
RUNS=${KILL_RUNS:-4}
OPS=",${KILL_OPS:-build,push,commit,compose up,compose down,network connect,volume create},"
# picked NAME — whether KILL_OPS names NAME
picked() { [[ $OPS == *",$1,"* ]]; }
t_busybox_registry
cd "$T_DIR"

# killed MS CMD... — runs CMD in the background and kills bld with SIGKILL at a random moment
# of its first MS milliseconds. B (a shell function) runs in a subshell of its own whose child
# is bld (nsenter execs it): the subshell is stopped first, so that it cannot fork while
# its child is looked for, and then bld and the subshell are killed. Killing the subshell
# alone would leave bld running on, beside the next command.
killed() {
  local ms=$1; shift
  "$@" >/dev/null 2>&1 &
  local pid=$! victims=$!
  sleep "$(awk -v r="$RANDOM" -v ms="$ms" 'BEGIN { printf "%.3f", r / 32768 * ms / 1000 }')"
  if declare -F "$1" >/dev/null; then
    kill -STOP "$pid" 2>/dev/null
    while [ -e "/proc/$pid" ] && ! grep -q '^State:.*[TZ]' "/proc/$pid/status" 2>/dev/null; do :; done
    victims="$(pgrep -P "$pid") $pid"
  fi
  kill -9 $victims 2>/dev/null
  wait "$pid" 2>/dev/null
}
# stop_at POINT CMD... — runs CMD (B ...) in the background (its pid in BG) with
# BLD_TEST_STOP_AT=POINT, and waits until bld stops itself there: its pid in STOPPED, which
# stays empty when it never stopped
stop_at() {
  local point=$1; shift
  BLD_TEST_STOP_AT=$point "$@" >"$T_DIR/stopped.out" 2>&1 &
  BG=$! STOPPED=""
  for _ in $(seq 200); do
    STOPPED=$(pgrep -P "$BG")
    [ -n "$STOPPED" ] && grep -q '^State:.*T' "/proc/$STOPPED/status" 2>/dev/null && return
    STOPPED="" && sleep 0.05
  done
}
# ms CMD... — how long CMD takes (milliseconds, at least 5); fails the script when CMD fails
ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$T_DIR/ms.out" 2>&1 || { t_fail "unkilled: $* ($(head -c 300 "$T_DIR/ms.out"))"; exit 1; }
  t1=$(date +%s%N)
  local d=$(((t1 - t0) / 1000000))
  echo $((d < 5 ? 5 : d))
}
# soak NAME SETUP CMD... — RUNS times: SETUP (a shell snippet, $i the run: what makes CMD
# do something again, its own failure ignored), CMD killed at a random moment, SETUP again
# and CMD again, which must succeed whatever the kill left; fails counted in FAILS[NAME]
declare -A FAILS
soak() {
  local name=$1 setup=$2; shift 2
  local i=0 t
  picked "$name" || return 0
  eval "$setup" >/dev/null 2>&1
  t=$(ms "$@") || exit 1
  FAILS[$name]=0
  for i in $(seq "$RUNS"); do
    eval "$setup" >/dev/null 2>&1
    killed "$t" "$@"
    eval "$setup" >"$T_DIR/setup.out" 2>&1
    if ! "$@" >"$T_DIR/next.out" 2>&1; then
      FAILS[$name]=$((FAILS[$name] + 1))
      echo "# $name after kill $i: $(tail -c 300 "$T_DIR/next.out" | tr "\n" " ")"
      echo "#   (after: $(tail -c 300 "$T_DIR/setup.out" | tr "\n" " "))"
    fi
  done
  t_eq "$RUNS kill -9s of $name: the next $name succeeds each time" 0 "${FAILS[$name]}"
}

# build: a context whose file changes every run, so that each build copies and commits
mkdir -p ctx && head -c 200000 /dev/urandom >ctx/f
printf 'FROM %s\nCOPY f /f\nRUN cat /f >/g\n' "$IMG" >ctx/Dockerfile
soak build 'head -c 200000 /dev/urandom >ctx/f' B build -q -t soak/build ctx

# push: a new image (a fresh 300 KB layer) each run, to the test registry
# (from the script's own network namespace, where the registry listens)
newimg() {
  head -c 300000 /dev/urandom >rand && tar -cf rand.tar rand &&
    "$BLD" import rand.tar "$REG_ADDR/soak/push" >/dev/null 2>&1
}
soak push newimg "$BLD" push -q "$REG_ADDR/soak/push"

# commit: a running container with a changed file each run
B run -d --name soak-c "$IMG" sleep 600 >/dev/null || { t_fail "run soak-c"; exit 1; }
# a commit killed while it holds the container paused: the container runs on (the monitor
# thaws it when the commit's connection ends), and an exec in it does not hang
stop_at commit-paused B commit soak-c soak/commit
t_eq "a commit stops while the container is paused" "paused" \
  "$(B inspect -f '{{.State.Status}}' soak-c)"
kill -9 $STOPPED "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
for i in $(seq 50); do
  [ "$(B inspect -f '{{.State.Status}}' soak-c)" = running ] && break
  sleep 0.1
done
t_eq "... killed there, it leaves the container running" "running" \
  "$(B inspect -f '{{.State.Status}}' soak-c)"
t_ok "... and an exec in it ends" timeout 20 "$BLD" exec soak-c true
soak commit 'B exec soak-c sh -c "head -c 100000 /dev/urandom >/data$i" >/dev/null 2>&1' B commit soak-c soak/commit

# compose up and down: two services, a named volume and the project's network
mkdir -p proj
cat >proj/compose.yaml <<EOF
services:
  a: {image: $IMG, command: [sleep, "600"], volumes: [data:/data]}
  b: {image: $IMG, command: [sleep, "600"], depends_on: [a]}
volumes: {data: {}}
EOF
soak "compose up" 'B compose -f proj/compose.yaml down -t 0 >/dev/null 2>&1' B compose -f proj/compose.yaml up -d
soak "compose down" 'B compose -f proj/compose.yaml up -d >/dev/null 2>&1' B compose -f proj/compose.yaml down -t 0 -v

# what a down killed half-way leaves running (its children finish their containers) races
# the next down: two downs at once, each must take what the other removed as removed
fails=0
picked "compose down" && for i in 1 2; do
  B compose -f proj/compose.yaml up -d >/dev/null 2>&1
  B compose -f proj/compose.yaml down -t 0 -v >down1.out 2>&1 &
  p1=$!
  B compose -f proj/compose.yaml down -t 0 -v >down2.out 2>&1 ||
    { fails=$((fails + 1)); echo "# $(grep '^bld:' down2.out)"; }
  wait "$p1" || { fails=$((fails + 1)); echo "# $(grep '^bld:' down1.out)"; }
done
picked "compose down" && t_eq "two compose downs at once both succeed" 0 "$fails"

# a compose up that another one overtakes: stopped (BLD_TEST_STOP_AT) after it found the
# project's network missing, or its container missing, while a second up makes them and
# brings the project up; continued, it takes what the other made as made, as it does when a
# killed up's children or a CI job's second up make them
for point in compose-network compose-create; do
  B compose -f proj/compose.yaml down -t 0 >/dev/null 2>&1
  stop_at $point B compose -f proj/compose.yaml up -d
  t_ok "a compose up stops at $point" [ -n "$STOPPED" ]
  t_ok "... another compose up brings the project up meanwhile" B compose -f proj/compose.yaml up -d
  kill -CONT $STOPPED 2>/dev/null
  for i in $(seq 600); do kill -0 "$BG" 2>/dev/null || break; sleep 0.1; done
  kill -9 $STOPPED "$BG" 2>/dev/null # not ended within a minute: a failure
  wait "$BG"
  rc=$?
  t_eq "... and the first, continued, succeeds too ($(grep '^bld:' stopped.out))" 0 "$rc"
  t_eq "... with the project's two containers" 2 "$(B compose -f proj/compose.yaml ps -q | wc -l)"
done

# a compose up killed while it makes the project's volume: no volume without its labels is
# left, which the next up would take as made and down -v leave (not the project's)
B compose -f proj/compose.yaml down -t 0 -v >/dev/null 2>&1
stop_at volume-create B compose -f proj/compose.yaml up -d
t_ok "a compose up stops while it makes the project's volume" [ -n "$STOPPED" ]
kill -9 $STOPPED "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
t_match "... system check counts what it left" "0 containers and 1 volumes half made" "$(B system check 2>&1)"
t_ok "... killed there, the next up succeeds" B compose -f proj/compose.yaml up -d
t_ok "... and down -v" B compose -f proj/compose.yaml down -t 0 -v
t_eq "... removes the volume" "" "$(B volume ls -q | grep -x proj_data)"

# network connect: the same container connected again after each disconnect
B network create soak-n >/dev/null || { t_fail "network create"; exit 1; }
soak "network connect" 'B network disconnect soak-n soak-c >/dev/null 2>&1' B network connect soak-n soak-c

# volume create: a new name each run (with a label, so that the metadata is written too)
soak "volume create" 'B volume rm -f soak-v >/dev/null 2>&1' B volume create --label k=$RANDOM soak-v

# a create killed when its container's directory has a state but no config yet
# (BLD_TEST_STOP_AT stops it there): no container directory without its config is left
# (ps and compose do not see one, yet its name would be taken), and the next create
# sweeps what it left
stop_at container-create B create --name soak-half "$IMG" true
t_ok "a create stops before its config is written" [ -n "$STOPPED" ]
kill -9 $STOPPED "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
half() {
  for d in "$BLD_ROOT"/containers/*; do
    [[ $(basename "$d") =~ ^[0-9a-f]{64}$ ]] && [ ! -e "$d/config.json" ] && echo "$d"
  done
}
t_eq "... killed there, it leaves no container without its config" "" "$(half)"
t_ok "... its name is free" B create --name soak-half "$IMG" true
t_eq "... and the next create swept what it left" "" "$(ls -A "$BLD_ROOT/containers" | grep '^\.new-')"
B rm -f soak-half >/dev/null 2>&1

# a volume rm killed in its removal (after the point where it takes the volume away): the
# volume is gone whole, not left without its _data (a killed down -v left such a one, which
# the next up's container could not mount), and a new one of its name mounts
B volume create soak-vr >/dev/null
stop_at volume-remove B volume rm soak-vr
t_ok "a volume rm stops in its removal" [ -n "$STOPPED" ]
kill -9 $STOPPED "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
t_eq "... killed there, the volume is gone" "" "$(B volume ls -q | grep -x soak-vr)"
B volume create soak-vr >/dev/null
t_ok "... and a new one of its name mounts" B run --rm -v soak-vr:/d "$IMG" true
t_eq "... and what the killed rm left is swept" "" "$(ls -A "$BLD_ROOT/volumes" | grep '^\.gone-')"
B volume rm soak-vr >/dev/null

# a --rm container's monitor killed after it retired the container's directory, before it
# deleted it (BLD_TEST_STOP_AT, inherited by the monitor, stops it there): system check
# counts the .rm- directory, and the next removal deletes it
BLD_TEST_STOP_AT=container-retired B run -d --rm "$IMG" true >/dev/null
for i in $(seq 100); do
  rm_dir=$(ls -d "$BLD_ROOT"/containers/.rm-* 2>/dev/null)
  mon=$(jq -r .MonitorPid "$rm_dir/state.json" 2>/dev/null)
  [ -n "$mon" ] && grep -q '^State:.*T' "/proc/$mon/status" 2>/dev/null && break
  mon="" && sleep 0.05
done
t_ok "a --rm container's monitor stops after it retired the container" [ -n "$mon" ]
t_eq "... while it lives, system check counts nothing" "" "$(B system check 2>&1 | grep 'half made')"
kill -9 "$mon" 2>/dev/null
for i in $(seq 100); do grep -q '^State:.*T' "/proc/$mon/status" 2>/dev/null || break; sleep 0.02; done
t_match "... killed there, system check counts its directory" "1 containers and 0 volumes half made" "$(B system check 2>&1)"
B create --name soak-next "$IMG" true >/dev/null && B rm soak-next >/dev/null
t_eq "... and the next rm deletes it" "" "$(ls -A "$BLD_ROOT/containers" | grep '^\.rm-')"

# ------------------------------------------------------------------------ afterwards
out=$(B system check 2>&1)
t_ok "bld system check is clean ($(tail -1 <<<"$out"))" B system check -q
bad=""
for n in $(B network ls --format '{{.Name}}'); do B network inspect "$n" >/dev/null 2>&1 || bad+=" $n"; done
t_eq "every network listed inspects" "" "$bad"
bad=""
for v in $(B volume ls -q); do B volume inspect "$v" >/dev/null 2>&1 || bad+=" $v"; done
t_eq "every volume listed inspects" "" "$bad"
t_ok "the project comes up once more" B compose -f proj/compose.yaml up -d
t_eq "... with both services running" "2" "$(B compose -f proj/compose.yaml ps -q | wc -l)"
t_ok "... and goes down with its volume" B compose -f proj/compose.yaml down -t 0 -v
B rm -f soak-c >/dev/null 2>&1
for i in $(seq 50); do [ -z "$(B ps -aq)" ] && break; sleep 0.1; done
t_eq "no container left" "" "$(B ps -aq)"
t_eq "no endpoint file left" "" "$(find "$BLD_ROOT/networks" -path '*/endpoints/*.json' 2>/dev/null)"
t_eq "no lease left" "" "$(cat "$BLD_ROOT"/networks/*/leases* 2>/dev/null | tr -d '\0')"
t_ok "the networks can be removed" B network rm soak-n
picked "volume create" && t_ok "the volumes can be removed" B volume rm -f soak-v
t_eq "no volume left" "" "$(B volume ls -q)"
t_eq "no network but the defaults" "" "$(B network ls --format '{{.Name}}' | grep -vxE 'bridge|host|none')"
t_ok "a build after it all succeeds" B build -q -t soak/final ctx
t_ok "bld system check is still clean" B system check -q
t_eq "nothing of bld remains" "" "$(runner_leftovers | grep -v docker-registry)"
