#!/usr/bin/env bash
# bld events: the store's journal that every bld process appends to, followed live without a
# daemon; docker's line format, --since/--until, --filter and --format; records of
# concurrent writers never interleave.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

"$BLD" events >"$T_DIR/live" 2>&1 &
follower=$!
at_exit "kill $follower 2>/dev/null"
sleep 0.3
B run --name ev1 -l tier=web --network none $IMG sh -c 'exit 3' >/dev/null 2>&1
B run -d --name ev2 --network none $IMG sleep 100 >/dev/null
B stop -t 1 ev2 >/dev/null
B rename ev2 ev3
B rm ev1 ev3 >/dev/null
B volume create evvol >/dev/null
B volume rm evvol >/dev/null
B tag $IMG ev/tagged:1
B rmi ev/tagged:1 >/dev/null
for i in $(seq 50); do grep -q 'image untag' "$T_DIR/live" && break; sleep 0.1; done
kill $follower

id1=$(grep -m1 'container create .*name=ev1' "$T_DIR/live" | awk '{print $4}')
t_match "events follows live, in docker's line format" \
  "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2}) container create [0-9a-f]{64} \(image=$IMG, name=ev1, tier=web\)$" \
  "$(grep -m1 'container create' "$T_DIR/live")"
t_eq "a run's events, in docker's order" "create attach start die" \
  "$(grep "$id1" "$T_DIR/live" | awk '$3 != "destroy" {print $3}' | tr '\n' ' ' | sed 's/ $//')"
t_match "die carries the exit code" "container die $id1 \(exitCode=3, image=$IMG, name=ev1, tier=web\)" "$(cat "$T_DIR/live")"
t_eq "stop -t 1: kill 15, kill 9, die, stop" "kill (image=$IMG, name=ev2, signal=15) kill (image=$IMG, name=ev2, signal=9) die (exitCode=137, image=$IMG, name=ev2) stop (image=$IMG, name=ev2)" \
  "$(grep -E 'container (kill|die|stop) .*name=ev2' "$T_DIR/live" | cut -d' ' -f3,5- | tr '\n' ' ' | sed 's/ $//')"
t_match "rename records the old name" "container rename [0-9a-f]{64} \(image=$IMG, name=ev3, oldName=/ev2\)" "$(cat "$T_DIR/live")"
t_match "rm records destroy" "container destroy [0-9a-f]{64} \(image=$IMG, name=ev3\)" "$(cat "$T_DIR/live")"
t_match "volume create and destroy" "volume create evvol \(driver=local\).*volume destroy evvol \(driver=local\)" "$(tr '\n' ' ' <"$T_DIR/live")"
t_match "image tag and untag" "image tag sha256:[0-9a-f]{64} \(name=ev/tagged:1\).*image untag sha256:" "$(tr '\n' ' ' <"$T_DIR/live")"

# the past: --since/--until read the journal and end without following
# (not through jq: its numbers are doubles, which round nanoseconds)
first=$(grep -m1 '"Action":"create"' "$BLD_ROOT/events/journal.jsonl" | grep -o '"timeNano":[0-9]*' | cut -d: -f2)
past=$(timeout 5 "$BLD" events --since "${first:0:10}.${first:10}" --until "$(($(date +%s) + 1))")
t_eq "--since/--until replay what the follower saw" "$(cat "$T_DIR/live")" "$past"
t_eq "--filter event=die" "2" "$(timeout 5 "$BLD" events --since 10m --until 0s --filter event=die | wc -l)"
t_eq "--filter container=NAME and type" "create attach start die destroy" \
  "$(timeout 5 "$BLD" events --since 10m --until 0s --filter container=ev1 --filter type=container | awk '{print $3}' | tr '\n' ' ' | sed 's/ $//')"
t_eq "--filter label=K=V" "5" "$(timeout 5 "$BLD" events --since 10m --until 0s --filter label=tier=web | wc -l)"
t_eq "--filter event=die --filter event=stop (either)" "3" \
  "$(timeout 5 "$BLD" events --since 10m --until 0s --filter event=die --filter event=stop | wc -l)"
t_eq "--format with Go field names" "die ev1 3 $IMG" \
  "$(timeout 5 "$BLD" events --since 10m --until 0s --filter event=die --filter container=ev1 --format '{{.Status}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.From}}')"
json=$(timeout 5 "$BLD" events --since 10m --until 0s --filter event=die --filter container=ev1 --format '{{json .}}')
t_eq "--format '{{json .}}' is docker's message" "die $id1 $IMG container die local 3" \
  "$(jq -r '[.status, .id, .from, .Type, .Action, .scope, .Actor.Attributes.exitCode] | join(" ")' <<<"$json")"
t_eq "timeNano and time agree" "true" "$(jq '(.timeNano / 1000000000 | floor) == .time' <<<"$json")"
t_eq "--until in the past ends at once" "0" "$(timeout 5 "$BLD" events --since 1 --until 2 | wc -l)"
t_eq "an unknown filter is ignored, as docker's daemon does" "2" \
  "$(timeout 5 "$BLD" events --since 10m --until 0s --filter nosuch=1 --filter event=die | wc -l)"
t_exit "a filter without = is refused (docker: exit 125)" 125 "$BLD" events --filter nosuch --until 0s
t_exit "a bad --since is refused" 1 "$BLD" events --since yesterday --until 0s

# concurrent writers: 8 processes appending at once leave only whole, valid records
before=$(wc -l <"$BLD_ROOT/events/journal.jsonl")
for i in $(seq 8); do (for j in $(seq 10); do "$BLD" volume create "cv$i-$j" >/dev/null; done) & done
wait
t_eq "80 concurrent appends, 80 records" "$((before + 80))" "$(wc -l <"$BLD_ROOT/events/journal.jsonl")"
t_eq "every record is one valid JSON line" "0" \
  "$(jq -c . "$BLD_ROOT/events/journal.jsonl" >/dev/null 2>&1; echo $?)"
t_ok "the journal is in time order" sh -c "jq .timeNano '$BLD_ROOT/events/journal.jsonl' | sort -c -n"
t_eq "runner leaves nothing behind" "" "$(runner_leftovers)"
