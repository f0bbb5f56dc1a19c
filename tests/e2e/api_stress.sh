#!/usr/bin/env bash
# tests/e2e/api_stress.sh — `bld system service` against clients that misbehave and many at
# once: malformed requests, headers and bodies over docker's limits (431 for 2 MiB of headers,
# as dockerd; 413 for a body announced past 16 MiB, before it is sent), clients that
# hang up mid-request and mid-stream (events, logs -f, attach, wait: api_abuse.py), then 50
# concurrent clients each doing create, start, stop and rm. After all of it the service
# answers, has the same descriptors, threads, children and mounts as before, no container is
# left, and `bld system check` finds nothing wrong.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_api_service
"$BLD" pull -q "$BASE" >/dev/null

fds() { ls "/proc/$API_PID/fd" | wc -l; }
threads() { ls "/proc/$API_PID/task" | wc -l; }
children() { pgrep -P "$API_PID" | wc -l; }
mounts() { grep -c "$BLD_ROOT" /proc/self/mountinfo; }
# the counts settle once the connections the clients closed are gone
settled() {
  local want=$1 i now
  for i in $(seq 1 50); do
    now="$(fds) $(threads) $(children) $(mounts)"
    [ "$now" = "$want" ] && break
    sleep 0.1
  done
  echo "$now"
}
# the counts once two readings a moment apart agree (a connection just closed is gone)
steady() {
  local a b i
  b="$(fds) $(threads) $(children) $(mounts)"
  for i in $(seq 1 20); do
    sleep 0.2
    a=$b b="$(fds) $(threads) $(children) $(mounts)"
    [ "$a" = "$b" ] && break
  done
  echo "$b"
}
api() { curl -s -o /dev/null -w '%{http_code}' --unix-socket "$API_SOCK" "$@"; }

# ------------------------------------------------------------------ misbehaving clients
quiet=$("$BLD" run -d --network none "$BASE" sleep 120)
at_exit "'$BLD' rm -f '$quiet' >/dev/null 2>&1"
api "http://d/_ping" >/dev/null
before=$(steady)
out=$(timeout 60 python3 "$TOP/tests/e2e/api_abuse.py" "$API_SOCK" "$quiet")
t_eq "malformed requests: docker's refusals, and every stream starts" "unknown HTTP version: 505
bad chunked body: 400
JSON body cut short: 400
body not JSON: 400
filters not JSON: 400
header of 2 MiB: 431
request line of 2 MiB: 414
hang-up inside the headers: started
hang-up inside the body: started
hang-up on events: started
hang-up on logs -f: started
hang-up on attach: started
hang-up on wait: started
body announced of 20 MiB, not sent: 413
ping after all: 200" "$out"
t_eq "... then the service's descriptors, threads, children and mounts are as before" \
  "$before" "$(settled "$before")"
"$BLD" rm -f "$quiet" >/dev/null

# ------------------------------------------------------------------ the service's children
# A child forked from the threaded service may run nothing but async-signal-safe code until
# its exec (another thread may hold malloc's lock at the fork: the child waits forever): every
# process it starts is a bld of its own (spawned and exec'd), never a copy of the service.
svc=$(tr '\0' ' ' <"/proc/$API_PID/cmdline")
"$BLD" create --name kids -i --network none "$BASE" sleep 60 >/dev/null
at_exit "'$BLD' rm -f kids >/dev/null 2>&1"
t_eq "a container started through the service" "204" "$(api -X POST "http://d/containers/kids/start")"
(DK exec kids sleep 30 >/dev/null 2>&1 &)
(DK attach --no-stdin kids >/dev/null 2>&1 &)
kids() {
  local p
  for p in $(pgrep -P "$API_PID"); do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done
}
for i in $(seq 1 50); do [ "$(kids | grep -c .)" -ge 3 ] && break; sleep 0.1; done
t_eq "... its monitor, an exec and an attach: three children of the service" 3 "$(kids | grep -c .)"
t_eq "... each a bld spawned (none a fork of the service: \"$svc\")" "" \
  "$(kids | grep -Fx "$svc")"
"$BLD" rm -f kids >/dev/null
for i in $(seq 1 50); do [ -z "$(kids)" ] && break; sleep 0.1; done

# ------------------------------------------------------------------ 50 clients at once
before=$(steady)
body="{\"Image\":\"$BASE\",\"Cmd\":[\"sleep\",\"60\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}"
pids=()
for i in $(seq 1 50); do
  (
    c=$(api -X POST -H 'Content-Type: application/json' -d "$body" "http://d/containers/create?name=s$i")
    s=$(api -X POST "http://d/containers/s$i/start")
    p=$(api -X POST "http://d/containers/s$i/stop?t=0")
    r=$(api -X DELETE "http://d/containers/s$i")
    echo "$c $s $p $r" >"$T_DIR/client.$i"
  ) &
  pids+=($!)
done
wait "${pids[@]}"
t_eq "50 concurrent clients: create 201, start 204, stop 204, rm 204 for each" \
  "50 201 204 204 204" "$(cat "$T_DIR"/client.* | sort | uniq -c | sed 's/^ *//')"
t_eq "... no container is left" "" "$("$BLD" ps -aq)"
t_eq "... the service's descriptors, threads, children and mounts are as before" \
  "$before" "$(settled "$before")"
t_ok "... bld system check finds nothing wrong" "$BLD" system check
t_eq "... and the service answers" "200" "$(api "http://d/_ping")"
