#!/usr/bin/env bash
# Health checks run by the container's monitor on docker's schedule: unhealthy after exactly
# `retries` failures, failures inside the start period not counted, healthy within one
# interval, the timeout, the output cap, the image's HEALTHCHECK merged with --health-* and
# --no-healthcheck, docker's CLI refusals; visible in ps (and ps --filter health=), inspect's
# State.Health and the events. A container without a check has no health state. Then every
# other ps --filter, and rm -v.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

"$BLD" events >"$T_DIR/ev" 2>&1 &
follower=$!
at_exit "kill $follower 2>/dev/null"
sleep 0.2

B run -d --name sick --health-cmd 'echo bad; exit 1' --health-interval 1s --health-retries 2 $IMG sleep 60 >/dev/null
B run -d --name fine --health-cmd 'echo ok' --health-interval 1s $IMG sleep 60 >/dev/null
# fails until the container made /tmp/up (after 1.5 s): inside the 3 s start period nothing counts
B run -d --name slow --health-cmd 'cat /tmp/up' --health-interval 1s --health-retries 1 \
  --health-start-period 3s $IMG sh -c 'sleep 1.5; echo up >/tmp/up; sleep 60' >/dev/null
B run -d --name plain $IMG sleep 60 >/dev/null
t_match "ps: (health: starting) before the first probe" 'Up .* \(health: starting\)' \
  "$(B ps --filter name=fine --format '{{.Status}}')"
t_eq "a container without a check has no State.Health" "null" \
  "$(B inspect --format '{{json .State.Health}}' plain)"
for i in $(seq 60); do
  [ "$(B ps --filter health=unhealthy --filter health=healthy -q | wc -l)" = 3 ] && break
  sleep 0.1
done
ps=$(B ps --format '{{.Names}} {{.Status}}')
t_match "ps: (unhealthy)" '^sick Up [0-9]+ seconds? \(unhealthy\)$' "$(grep ^sick <<<"$ps")"
t_match "ps: (healthy)" '^fine Up [0-9]+ seconds? \(healthy\)$' "$(grep ^fine <<<"$ps")"
t_match "ps: no health, no suffix" '^plain Up [0-9]+ seconds?$' "$(grep ^plain <<<"$ps")"
t_eq "ps --filter health=unhealthy" "sick" "$(B ps --filter health=unhealthy --format '{{.Names}}')"
t_eq "ps --filter health=none" "plain" "$(B ps --filter health=none --format '{{.Names}}')"

sid=$(B inspect --format '{{.Id}}' sick)
# the probes' events up to the change of status: exactly `retries` failed probes before it
seq=$(grep "$sid" "$T_DIR/ev" | cut -d' ' -f3- | sed -n '/health_status/q;p' | grep -c 'exec_die .*exitCode=1')
t_eq "unhealthy after exactly --health-retries 2 failures" "2" "$seq"
t_match "health_status: unhealthy event" "container health_status: unhealthy $sid \(image=$IMG, name=sick\)" "$(cat "$T_DIR/ev")"
t_match "each probe is docker's exec_create/exec_start/exec_die" \
  "container exec_create: /bin/sh -c echo bad; exit 1 $sid \(execID=[0-9a-f]{64}, image=$IMG, name=sick\)" "$(cat "$T_DIR/ev")"
h=$(B inspect --format '{{json .State.Health}}' sick)
t_eq "State.Health: Status, FailingStreak >= retries, docker's keys" "unhealthy true Status,FailingStreak,Log" \
  "$(jq -r '[.Status, (.FailingStreak >= 2), (keys_unsorted | join(","))] | join(" ")' <<<"$h")"
t_eq "State.Health.Log entries: Start, End, ExitCode, Output" "Start,End,ExitCode,Output 1 bad" \
  "$(jq -r '.Log[0] | [(keys_unsorted | join(",")), .ExitCode, (.Output | rtrimstr("\n"))] | join(" ")' <<<"$h")"
t_ok "Log times are RFC 3339 with nanoseconds" jq -e '.Log[0].Start | test("^[0-9-]+T[0-9:]+\\.[0-9]+Z$")' <<<"$h"

fid=$(B inspect --format '{{.Id}}' fine)
started=$(B inspect --format '{{.State.StartedAt}}' fine)
healthy=$(grep "health_status: healthy $fid" "$T_DIR/ev" | cut -d' ' -f1)
ms=$(( ($(date -d "$healthy" +%s%N) - $(date -d "$started" +%s%N)) / 1000000 ))
t_match "healthy one interval after the start (${ms} ms)" '^(9[0-9][0-9]|1[0-9][0-9][0-9])$' "$ms"
t_eq "a success resets the streak" "0 healthy ok" \
  "$(B inspect --format '{{.State.Health.FailingStreak}} {{.State.Health.Status}}' fine) $(B inspect --format '{{json .State.Health.Log}}' fine | jq -r '.[0].Output | rtrimstr("\n")')"

lid=$(B inspect --format '{{.Id}}' slow)
for i in $(seq 50); do grep -q "health_status: healthy $lid" "$T_DIR/ev" && break; sleep 0.1; done
t_eq "failures inside the start period do not count (retries 1, never unhealthy)" "healthy" \
  "$(grep "health_status: [a-z]* $lid" "$T_DIR/ev" | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
started=$(B inspect --format '{{.State.StartedAt}}' slow)
healthy=$(grep "health_status: healthy $lid" "$T_DIR/ev" | cut -d' ' -f1)
ms=$(( ($(date -d "$healthy" +%s%N) - $(date -d "$started" +%s%N)) / 1000000 ))
t_match "...and it is healthy within one interval of becoming so (${ms} ms)" '^(1[5-9][0-9][0-9]|2[0-9][0-9][0-9]|3[0-4][0-9][0-9])$' "$ms"
t_eq "...its failures are in the log, the streak is 0" "1 0" \
  "$(B inspect --format '{{json .State.Health}}' slow | jq -r '[.Log[0].ExitCode, .FailingStreak] | join(" ")')"

# a paused container is not probed (as docker's): no probe while frozen, again after the thaw
probes() { grep -c "exec_die $fid" "$T_DIR/ev"; }
B pause fine >/dev/null
# a probe that had already ended as the pause came may still record its exec_die: settle first
before=$(probes); sleep 0.3
while [ "$(probes)" != "$before" ]; do before=$(probes); sleep 0.3; done
sleep 2.2
t_eq "no probe while paused" "$before" "$(probes)"
t_match "ps: (Paused) rather than the health" '^Up [0-9]+ seconds? \(Paused\)$' "$(B ps --filter name=fine --format '{{.Status}}')"
B unpause fine >/dev/null
sleep 1.5
t_eq "probes again after unpause, still healthy" "1 healthy" \
  "$(( $(probes) > before )) $(B inspect --format '{{.State.Health.Status}}' fine)"

# --health-start-interval: the probes of the start period come that often, the interval after
B run -d --name quick --health-cmd true --health-interval 30s --health-start-period 10s \
  --health-start-interval 300ms $IMG sleep 60 >/dev/null
for i in $(seq 30); do [ "$(B inspect --format '{{.State.Health.Status}}' quick)" = healthy ] && break; sleep 0.1; done
t_eq "the start interval, not the interval, times the first probe" "healthy" \
  "$(B inspect --format '{{.State.Health.Status}}' quick)"
sleep 1
t_eq "once healthy, the interval again (one probe so far)" "1" \
  "$(B inspect --format '{{json .State.Health.Log}}' quick | jq length)"

B run -d --name slowprobe --health-cmd 'sleep 5' --health-interval 1s --health-timeout 500ms $IMG sleep 60 >/dev/null
B run -d --name chatty --health-cmd 'head -c 5000 /dev/zero | tr "\0" a' --health-interval 1s $IMG sleep 60 >/dev/null
sleep 1.8
t_eq "a probe past its timeout fails with -1 and docker's message" "-1 Health check exceeded timeout (500ms)" \
  "$(B inspect --format '{{json .State.Health.Log}}' slowprobe | jq -r '.[0] | "\(.ExitCode) \(.Output)"')"
t_eq "output is cut at 4096 bytes, then ..." "4099 ..." \
  "$(B inspect --format '{{json .State.Health.Log}}' chatty | jq -r '.[0].Output | "\(length) \(.[4096:])"')"

# the image's HEALTHCHECK, merged with --health-* as docker merges, or disabled
mkdir -p "$T_DIR/hc"
printf 'FROM %s\nHEALTHCHECK --interval=1s --retries=4 CMD ["true"]\n' "$IMG" >"$T_DIR/hc/Dockerfile"
B build -q -t hc-img "$T_DIR/hc" >/dev/null
B run -d --name fromimg hc-img sleep 60 >/dev/null
B create --name merged --health-retries 7 --health-timeout 2s hc-img true >/dev/null
B run -d --name disabled --no-healthcheck hc-img sleep 60 >/dev/null
t_eq "Config.Healthcheck from the image, in docker's field order" '{"Test":["CMD","true"],"Interval":1000000000,"Retries":4}' \
  "$(B inspect --format '{{json .Config.Healthcheck}}' fromimg)"
t_eq "--health-* override only what they name (docker's merge)" '{"Test":["CMD","true"],"Interval":1000000000,"Timeout":2000000000,"Retries":7}' \
  "$(B inspect --format '{{json .Config.Healthcheck}}' merged)"
t_eq "--no-healthcheck: Test NONE (the rest merged as docker's), no State.Health" '{"Test":["NONE"],"Interval":1000000000,"Retries":4} null' \
  "$(B inspect --format '{{json .Config.Healthcheck}} {{json .State.Health}}' disabled)"
for i in $(seq 30); do [ "$(B inspect --format '{{.State.Health.Status}}' fromimg)" = healthy ] && break; sleep 0.1; done
t_eq "the image's check runs" "healthy" "$(B inspect --format '{{.State.Health.Status}}' fromimg)"

# docker's CLI checks (exit 125) and daemon checks of the values (RC=1: docker create's 1)
refuse() { # NAME MESSAGE OPTIONS...
  local name=$1 msg=$2; shift 2
  local out rc
  out=$(B create "$@" $IMG true 2>&1); rc=$?
  t_eq "$name" "${RC:-125} bld: $msg" "$rc $out"
}
refuse "--health-interval without a unit" 'invalid argument "5" for "--health-interval" flag: time: missing unit in duration "5"' --health-interval 5
refuse "--no-healthcheck with --health-cmd" "--no-healthcheck conflicts with --health-* options" --no-healthcheck --health-cmd x
refuse "a negative interval" "--health-interval cannot be negative" --health-interval -1s
refuse "negative retries" "--health-retries cannot be negative" --health-retries -1
refuse "retries not a number" 'invalid argument "x" for "--health-retries" flag: strconv.ParseInt: parsing "x": invalid syntax' --health-retries x
RC=1 refuse "an interval under 1ms" "Interval in Healthcheck cannot be less than 1ms" --health-interval 500us
RC=1 refuse "a timeout under 1ms" "Timeout in Healthcheck cannot be less than 1ms" --health-timeout 1us

# ---------------------------------------------------------------- every other ps --filter
B run --name exit4 -l tier=db -l x=1 $IMG sh -c 'exit 4' >/dev/null 2>&1
B create --name fresh -v /anon -v named1:/named $IMG true >/dev/null
B run -d --name pub -p "$(free_port):80" $IMG sleep 60 >/dev/null
names() { B ps -a "$@" --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//'; }
t_eq "--filter status=exited (implies -a)" "exit4" "$(B ps --filter status=exited --format '{{.Names}}')"
t_eq "--filter status=created" "fresh merged" "$(names --filter status=created)"
t_eq "--filter exited=4" "exit4" "$(names --filter exited=4)"
t_eq "--filter exited=0 needs a container that ran" "" "$(names --filter exited=0 --filter name=fresh)"
t_eq "--filter name= is a regular expression" "fine fromimg" "$(names --filter 'name=^f[a-z]+e?[a-z]*$' --filter status=running)"
t_eq "--filter id= prefix" "exit4" "$(names --filter id="$(B inspect --format '{{.Id}}' exit4 | cut -c1-10)")"
t_eq "--filter label=K and label=K=V (all must match)" "exit4" "$(names --filter label=tier --filter label=x=1)"
t_eq "--filter label=K=V that differs" "" "$(names --filter label=tier=web)"
t_eq "--filter ancestor=IMAGE (its ID and images built on it)" "disabled fromimg merged" "$(names --filter ancestor=hc-img)"
t_eq "--filter ancestor=ID" "disabled fromimg merged" "$(names --filter ancestor="$(B inspect --format '{{.Id}}' hc-img | cut -c8-19)")"
t_eq "--filter ancestor=base image: its containers and those of images built on it" \
  "$(B ps -aq | wc -l)" "$(names --filter ancestor=$IMG | wc -w)"
t_eq "--filter volume=NAME and volume=DESTINATION" "fresh fresh" "$(names --filter volume=named1) $(names --filter volume=/anon)"
t_eq "--filter network=" "pub" "$(names --filter network=bridge --filter name=pub)"
t_eq "--filter network=none" "" "$(names --filter network=none)"
t_eq "--filter publish=80 (the container port), =80/tcp, a range" "pub pub pub" \
  "$(names --filter publish=80) $(names --filter publish=80/tcp) $(names --filter publish=70-90)"
t_eq "--filter publish=80/udp" "" "$(names --filter publish=80/udp)"
t_eq "--filter expose= (the image's EXPOSE and -p)" "pub " "$(names --filter expose=80 --filter name=pub) $(names --filter expose=81)"
t_eq "--filter before=/since= (by creation)" "exit4 fresh" "$(names --filter since=disabled --filter before=pub)"
for f in "foo=1|Invalid filter 'foo'" "status=up|Invalid filter 'status=up'" \
  "health=ok|Unrecognised filter value for health: ok" \
  "exited=x|strconv.Atoi: parsing \"x\": invalid syntax" "before=nosuch|no such container nosuch" \
  "publish=x|error while looking up for publish x: strconv.ParseUint: parsing \"x\": invalid syntax" \
  "publish=1:2|filter for 'publish' should not contain ':': 1:2"; do
  out=$(B ps --filter "${f%%|*}" 2>&1); rc=$?
  t_eq "ps --filter ${f%%|*} refused as docker's (exit 1)" "1 bld: ${f#*|}" "$rc $out"
done

# rm -v: the anonymous volume goes, the named one stays; without -v both stay
anon=$(B inspect --format '{{json .Mounts}}' fresh | jq -r '.[] | select(.Destination == "/anon") | .Name')
B create --name keepvols -v /anon2 $IMG true >/dev/null
anon2=$(B inspect --format '{{json .Mounts}}' keepvols | jq -r '.[0].Name')
B rm -v fresh >/dev/null
B rm keepvols >/dev/null
vols=$(B volume ls -q)
t_eq "rm -v removes the anonymous volume" "" "$(grep -x "$anon" <<<"$vols")"
t_eq "...and keeps the named one" "named1" "$(grep -x named1 <<<"$vols")"
t_eq "rm without -v keeps the anonymous one" "$anon2" "$(grep -x "$anon2" <<<"$vols")"
kill $follower
B rm -f $(B ps -aq) >/dev/null
t_eq "runner leaves nothing behind" "" "$(runner_leftovers)"
