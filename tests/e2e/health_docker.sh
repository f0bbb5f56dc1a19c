#!/usr/bin/env bash
# tests/e2e/health_docker.sh — health checks, events and ps --filter compared with docker 20.10
# (a private dockerd from tests/env/dockerd.sh) running the same commands on the same busybox
# image from a private registry: the events of a failing and a succeeding check (actions in
# order, attributes), when each turns unhealthy or healthy, ps's STATUS, inspect's
# Config.Healthcheck and State.Health, the refusals of --health-* values, of ps and events
# filters (messages and exit codes), and which containers each ps --filter lists.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
REF=$BASE
t_docker_pair

# the same containers on both sides
both() { B "$@" >/dev/null 2>&1; D "$@" >/dev/null 2>&1; }
since=$(date +%s)
both run -d --network=none --name sick --health-cmd 'echo bad; exit 1' --health-interval 1s \
  --health-retries 2 "$REF" sleep 60
both run -d --network=none --name fine --health-cmd 'echo ok' --health-interval 1s "$REF" sleep 60
both run --network=none --name exit4 -l tier=db "$REF" sh -c 'exit 4'
both create --network=none --name fresh -v /anon -v hvol:/named "$REF" true
both run -d --network=none --name plain -l tier=web "$REF" sleep 60
for i in $(seq 60); do
  [ "$(B ps --filter health=unhealthy -q | wc -l)$(D ps --filter health=unhealthy -q | wc -l)" = 11 ] &&
    [ "$(B ps --filter health=healthy -q | wc -l)$(D ps --filter health=healthy -q | wc -l)" = 11 ] && break
  sleep 0.1
done

# events of one container, times and IDs out: "action (attributes)"
actions() { # TOOL NAME — up to its first health_status
  "$1" events --since "$since" --until "$(date +%s.%N)" --filter type=container --filter "container=$2" |
    cut -d' ' -f3- | sed -E 's/ [0-9a-f]{64} / /; s/execID=[0-9a-f]{64}/execID=X/' | sed '/health_status/q'
}
actions D sick >"$T_DIR/d.sick"; actions B sick >"$T_DIR/b.sick"
t_eq "a failing check's events, as docker's" "" "$(diff "$T_DIR/d.sick" "$T_DIR/b.sick")"
t_eq "a succeeding check's events, as docker's" "$(actions D fine)" "$(actions B fine)"
t_eq "an attached run's events, as docker's" "$(actions D exit4)" "$(actions B exit4)"
both start fresh
both restart -t 1 plain
t_eq "restart's events (kill, die, stop, start, restart), as docker's" "$(actions D plain)" "$(actions B plain)"
t_eq "ps STATUS" "$(D ps --format '{{.Names}} {{.Status}}' | sed -E 's/[0-9]+ seconds?|Less than a second/T/' | sort)" \
  "$(B ps --format '{{.Names}} {{.Status}}' | sed -E 's/[0-9]+ seconds?|Less than a second/T/' | sort)"
t_eq "inspect Config.Healthcheck" "$(D inspect --format '{{json .Config.Healthcheck}}' sick)" \
  "$(B inspect --format '{{json .Config.Healthcheck}}' sick)"
shape='[.Status, (.FailingStreak >= 2), (keys_unsorted | join(",")), (.Log[0] | keys_unsorted | join(",")), .Log[0].ExitCode, .Log[0].Output] | @json'
t_eq "inspect State.Health: fields, status, streak, log entries" \
  "$(D inspect --format '{{json .State.Health}}' sick | jq -r "$shape")" \
  "$(B inspect --format '{{json .State.Health}}' sick | jq -r "$shape")"
t_eq "no check, no State.Health" "$(D inspect --format '{{json .State.Health}}' plain)" \
  "$(B inspect --format '{{json .State.Health}}' plain)"
healthy_ms() { # TOOL — from the start of fine to its health_status: healthy, in tenths of a second
  local s h
  s=$("$1" inspect --format '{{.State.StartedAt}}' fine)
  h=$("$1" events --since "$since" --until "$(date +%s.%N)" --filter container=fine --filter event=health_status | cut -d' ' -f1)
  echo $(( ($(date -d "$h" +%s%N) - $(date -d "$s" +%s%N)) / 100000000 ))
}
t_eq "healthy one interval after the start, as docker's (tenths of a second)" \
  "$(healthy_ms D | sed 's/^1[0-4]$/ok/')" "$(healthy_ms B | sed 's/^1[0-4]$/ok/')"

vols() { # TOOL — volume events, IDs and generated names out, sorted (docker's mount order is
  # a Go map's)
  "$1" events --since "$since" --until "$(date +%s.%N)" --filter type=volume | cut -d' ' -f3- |
    sed -E 's/[0-9a-f]{64}/X/g' | sort
}
t_eq "volume create, mount and unmount events, as docker's" "$(vols D)" "$(vols B)"

# refusals: the message (prefixes and docker's final period aside) and the exit status
said() { # TOOL ARGS... — "STATUS first line"
  local out rc
  out=$("$@" 2>&1); rc=$?
  echo "$rc $(head -1 <<<"$out" | sed -E 's/^(docker|bld): //; s/^Error response from daemon: //; s/\.$//')"
}
for o in "--health-interval 5" "--no-healthcheck --health-cmd x" "--health-interval -1s" \
  "--health-retries -1" "--health-retries x" "--health-interval 500us" "--health-timeout 1us"; do
  # shellcheck disable=SC2086
  t_eq "run $o refused as docker's" "$(said D run --network=none $o "$REF" true)" \
    "$(said B run --network=none $o "$REF" true)"
done
for f in foo=1 status=up health=ok exited=x before=nosuch publish=x publish=1:2; do
  t_eq "ps --filter $f refused as docker's" "$(said D ps --filter "$f")" "$(said B ps --filter "$f")"
done
t_eq "events --filter foo=1 is ignored as by docker's" "$(said D events --filter foo=1 --filter event=die --since "$since" --until "$(date +%s.%N)" | sed -E 's/^0 [^ ]+/0/; s/ [0-9a-f]{64} / ID /')" \
  "$(said B events --filter foo=1 --filter event=die --since "$since" --until "$(date +%s.%N)" | sed -E 's/^0 [^ ]+/0/; s/ [0-9a-f]{64} / ID /')"

# which containers each filter lists
names() { "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
for f in status=exited status=created status=running exited=4 exited=0 name=^s name=i label=tier \
  label=tier=db health=healthy health=unhealthy health=none volume=hvol volume=/anon \
  network=none network=bridge before=exit4 since=exit4 "ancestor=$REF" publish=80 expose=80 \
  id=0123; do
  t_eq "ps -a --filter $f lists what docker's does" "$(names D ps -a --filter "$f")" \
    "$(names B ps -a --filter "$f")"
done
t_eq "ps --filter health=healthy without -a" "$(names D ps --filter health=healthy)" \
  "$(names B ps --filter health=healthy)"
