#!/usr/bin/env bash
# Log drivers and rotation, as docker's json-file: --log-opt max-size/max-file rotate the log
# to <log>.1, .2 ... (never more than max-file files, none much over max-size), `logs` reads
# across the rotated files in order (also with --tail reaching back into them, and -f while
# rotating), max-file=1 keeps one file; --log-driver none writes nothing and `logs` refuses
# as docker does; bad options fail the run with 125. In a network namespace the test creates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

contiguous() { # the lines are lineA..lineB without a gap
  awk -v a="$1" -v b="$2" \
    '{ if ($0 != "line" a + NR - 1) bad = 1 } END { exit bad || NR != b - a + 1 }'
}

B run --name r3 --log-opt max-size=1k --log-opt max-file=3 $IMG \
  sh -c 'for i in $(seq 1 300); do echo line$i; done' >/dev/null
log=$(B inspect -f '{{.LogPath}}' r3)
t_match "inspect has the LogPath" '-json\.log$' "$log"
t_eq "max-file=3: the log and two rotated files" "3" "$(ls "$log"* | wc -l)"
t_eq "no file is much over max-size" "" "$(stat -c %s "$log"* | awk '$1 > 1200')"
t_match "the rotated files are .1 and .2" "json\.log\.2$" "$(ls "$log"*)"
out=$(B logs r3)
first=$(head -1 <<<"$out" | sed 's/line//')
t_match "logs starts after the dropped part" '^[0-9]+$' "$first"
[ "${first:-1}" -gt 1 ] && t_pass "older lines were dropped" ||
  t_fail "older lines were dropped" "first: $first"
t_ok "logs reads the files in order, without gaps" contiguous "$first" 300 <<<"$out"
t_eq "--tail 5" "$(seq 296 300 | sed 's/^/line/')" "$(B logs --tail 5 r3)"
n_new=$(wc -l <"$log")
want=$((n_new + 3))
t_ok "--tail reaching back into the rotated file ($want lines)" \
  contiguous $((301 - want)) 300 <<<"$(B logs --tail $want r3)"
t_eq "the rotated file's lines are json-file records" "" \
  "$(grep -v '^{"log":"line[0-9]*\\n","stream":"stdout","time":"[^"]*"}$' "$log.1")"

B run --name r1 --log-opt max-size=500 $IMG \
  sh -c 'for i in $(seq 1 100); do echo line$i; done' >/dev/null
log1=$(B inspect -f '{{.LogPath}}' r1)
t_eq "max-file=1: one file only" "1" "$(ls "$log1"* | wc -l)"
t_match "max-file=1: the newest lines are kept" 'line100$' "$(B logs r1)"

# logs -f while the container writes: it says "ready", then waits until the follower has
# seen that line, so that the follower is attached before the rotations begin
follow_case() { # NAME MAX_SIZE MAX_FILE LINES EVERY PAUSE
  mkdir -p "$T_DIR/go-$1"
  B run -d --name "$1" -v "$T_DIR/go-$1:/go" --log-opt max-size="$2" --log-opt max-file="$3" \
    $IMG sh -c "echo ready; until [ -e /go/start ]; do sleep 0.05; done
      for i in \$(seq $4); do echo line\$i; [ \$((i % $5)) = 0 ] && sleep $6; done" >/dev/null
  timeout 60 "$BLD" logs -f "$1" >"$T_DIR/$1.out" 2>&1 &
  local pid=$! i
  for i in $(seq 400); do grep -q '^ready$' "$T_DIR/$1.out" && break; sleep 0.05; done
  touch "$T_DIR/go-$1/start"
  wait "$pid"
  grep -v '^ready$' "$T_DIR/$1.out"
}
t_ok "logs -f follows across rotations" contiguous 1 400 <<<"$(follow_case rf 2k 5 400 50 0.1)"
# rotations every few milliseconds, racing with the follower's moves to the next file
t_ok "logs -f keeps up with fast rotations" contiguous 1 1500 \
  <<<"$(follow_case rf2 1k 8 1500 20 0.02)"

out=$(B run --name n1 --log-driver none $IMG echo hello 2>/dev/null)
t_eq "--log-driver none: the attached output still shows" "hello" "$out"
t_exit "--log-driver none: logs fails with 1" 1 B logs n1
t_match "... with docker's message" 'configured logging driver does not support reading' \
  "$(B logs n1 2>&1)"
t_eq "--log-driver none: no log file" "" "$(B inspect -f '{{.LogPath}}' n1)"
t_match "inspect shows the log config" '"Type": *"none"' "$(B inspect n1)"

t_exit "an unknown log driver fails with 125" 125 B run --rm --log-driver syslogx $IMG true
t_match "... named as docker does" "no log driver named 'syslogx' is registered" \
  "$(B run --rm --log-driver syslogx $IMG true 2>&1)"
t_exit "an unknown log opt fails with 125" 125 B run --rm --log-opt foo=1 $IMG true
t_match "... named as docker does" "unknown log opt 'foo' for json-file log driver" \
  "$(B run --rm --log-opt foo=1 $IMG true 2>&1)"
t_exit "max-file=0 fails" 125 B run --rm --log-opt max-size=1k --log-opt max-file=0 $IMG true
t_exit "max-size=-1 fails" 125 B run --rm --log-opt max-size=-1 $IMG true
t_exit "a log opt with the none driver fails" 125 \
  B run --rm --log-driver none --log-opt max-size=1k $IMG true
B rm -f r3 r1 rf n1 >/dev/null
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
