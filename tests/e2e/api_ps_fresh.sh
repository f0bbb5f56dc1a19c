#!/usr/bin/env bash
# tests/e2e/api_ps_fresh.sh — GET /containers/json never answers from a stale listing: the
# service keeps each container's line between listings (while its directory is unchanged), so
# each step lists once through the service (the line kept), changes the containers with the
# bld CLI or through another service on the same store, and lists again at once, within the
# same second: a start, a stop, a rename, a new container, a removal, and lists filtered by
# label and status, each compared with what a fresh `bld ps -a` says. And a kept line's
# status ages ("Up Less than a second", then "Up 1 second").
. "$(dirname "$0")/lib.sh"

t_busybox_registry
"$BLD" pull -q "$BASE" >/dev/null || { t_fail "pull $BASE"; exit 1; }
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
t_api_service
A_SOCK=$API_SOCK B_SOCK=$T_DIR/b.sock
"$BLD" system service --time 0 "unix://$B_SOCK" 2>"$T_DIR/b.log" &
at_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
for _ in $(seq 1 50); do [ -S "$B_SOCK" ] && break; sleep 0.1; done

# ls SOCK [QUERY]: "name state" of each container the service lists, sorted
ls_api() {
  curl -s --unix-socket "$1" -G http://d/v1.41/containers/json -d all=1 ${2:+--data-urlencode "$2"} |
    jq -r '.[] | "\(.Names[0][1:]) \(.State)"' | sort
}
ls_cli() { "$BLD" ps -a "$@" --format '{{.Names}} {{.State}}' | sort; }
# warm: the lines have settled and both services keep them
warm() { sleep 0.3; ls_api "$A_SOCK" "$@" >/dev/null; ls_api "$B_SOCK" "$@" >/dev/null; }

"$BLD" create --name c1 --network none "$BASE" sleep 60 >/dev/null
"$BLD" create --name c2 --network none --label tier=web "$BASE" true >/dev/null
warm
t_eq "the listing is bld ps -a's" "$(printf 'c1 created\nc2 created')" "$(ls_api "$A_SOCK")"

"$BLD" start c1 >/dev/null
t_eq "bld start, listed at once: running" "$(printf 'c1 running\nc2 created')" "$(ls_api "$A_SOCK")"
t_eq "... by the other service too" "$(ls_cli)" "$(ls_api "$B_SOCK")"
warm
s1=$(curl -s --unix-socket "$A_SOCK" http://d/v1.41/containers/json | jq -r '.[0].Status')
sleep 1.1
s2=$(curl -s --unix-socket "$A_SOCK" http://d/v1.41/containers/json | jq -r '.[0].Status')
t_eq "a kept line's status ages" "Up Less than a second -> Up 1 second" "$s1 -> $s2"

warm
"$BLD" stop -t 0 c1 >/dev/null
t_eq "bld stop, listed at once: exited" "$(printf 'c1 exited\nc2 created')" "$(ls_api "$A_SOCK")"
t_eq "... by the other service too" "$(ls_cli)" "$(ls_api "$B_SOCK")"

warm
"$BLD" rename c1 c1b
t_eq "bld rename, listed at once: the new name" "$(printf 'c1b exited\nc2 created')" "$(ls_api "$A_SOCK")"
t_eq "... by the other service too" "$(ls_cli)" "$(ls_api "$B_SOCK")"

f='filters={"label":["tier=web"]}'
warm "$f"
"$BLD" create --name c3 --network none --label tier=web "$BASE" true >/dev/null
t_eq "bld create, listed at once: the new container" "$(printf 'c1b exited\nc2 created\nc3 created')" \
  "$(ls_api "$A_SOCK")"
t_eq "... in a list filtered by its label" "$(printf 'c2 created\nc3 created')" "$(ls_api "$B_SOCK" "$f")"

warm "$f"
"$BLD" rm c2 >/dev/null
t_eq "bld rm, listed at once: gone" "$(printf 'c1b exited\nc3 created')" "$(ls_api "$A_SOCK")"
t_eq "... from a list filtered by its label" "c3 created" "$(ls_api "$B_SOCK" "$f")"

f='filters={"status":["running"]}'
warm "$f"
curl -s --unix-socket "$A_SOCK" -X POST http://d/v1.41/containers/c1b/start
curl -s --unix-socket "$A_SOCK" -X POST "http://d/v1.41/containers/c1b/rename?name=c1c"
t_eq "a start and a rename through one service, listed at once by the other" "c1c running" \
  "$(ls_api "$B_SOCK" "$f")"
t_eq "... and unfiltered, as bld ps -a" "$(ls_cli)" "$(ls_api "$B_SOCK")"

