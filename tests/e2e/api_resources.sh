#!/usr/bin/env bash
# tests/e2e/api_resources.sh — networks and volumes through `bld system service`, driven by
# Debian's docker 20.10 CLI and compared with the same CLI against a private dockerd: network
# create (subnet, gateway, labels, internal), ls, inspect, connect/disconnect of a running
# container, rm, the refusals (a name taken, no such network); volume create (name, labels),
# ls, inspect, rm, the refusals; and that the bld CLI sees what the API made.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_docker_pair
t_api_service
both() { BO=$(DK "$@" 2>&1; echo "rc=$?"); DO=$(D "$@" 2>&1; echo "rc=$?"); }
mask() { sed -E 's/\b[0-9a-f]{64}\b/ID/g; s/\b[0-9a-f]{12}\b/ID/g'; }

# ------------------------------------------------------------------ networks
both network create --subnet 10.98.0.0/24 --gateway 10.98.0.1 --label k=v --internal n1
t_eq "docker network create: the ID, as dockerd" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
t_eq "... bld's CLI sees it" "n1" "$("$BLD" network ls --filter name=n1 --format '{{.Name}}')"
both network create n1
t_eq "docker network create of a name taken: refused, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
t_match "... a conflict" "Error response from daemon: .*n1.*(exists|already)" "$BO"
f='{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{json .IPAM.Config}} {{json .Labels}}'
both network inspect -f "$f" n1
t_eq "docker network inspect, as dockerd" "$DO" "$BO"
both network ls --filter name=n1 --format '{{.Name}} {{.Driver}} {{.Scope}}'
t_eq "docker network ls --filter, as dockerd" "$DO" "$BO"
both network ls --filter label=k=v -q
t_eq "docker network ls --filter label -q: one" "$(wc -l <<<"$DO")" "$(wc -l <<<"$BO")"
both network inspect nosuch
t_eq "docker network inspect of no such network, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
DK network create n2 >/dev/null
DK run -d --name c --network n2 "$BASE" sleep 60 >/dev/null
DK network connect --alias al n1 c
t_eq "docker network connect: the running container joins" "n1 n2" \
  "$(DK inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' c | xargs)"
t_eq "... docker network inspect lists it" "c" "$(DK network inspect -f '{{range .Containers}}{{.Name}}{{end}}' n1)"
DK network disconnect n1 c
t_eq "docker network disconnect: it leaves" "n2" \
  "$(DK inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' c | xargs)"
out=$(DK network rm n2 2>&1); rc=$?
t_eq "docker network rm of a network in use: refused, exit 1" "1" "$rc"
DK rm -f c >/dev/null
both network rm n1
t_eq "docker network rm, as dockerd" "$DO" "$BO"
DK network rm n2 >/dev/null

# ------------------------------------------------------------------ volumes
both volume create --label a=b v1
t_eq "docker volume create, as dockerd" "$DO" "$BO"
t_eq "... bld's CLI sees it" "v1" "$("$BLD" volume ls -q)"
both volume ls
t_eq "docker volume ls, as dockerd" "$DO" "$BO"
both volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{json .Labels}}' v1
t_eq "docker volume inspect, as dockerd" "$DO" "$BO"
both volume inspect nosuch
t_eq "docker volume inspect of no such volume, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
both volume create --driver nosuch v2
t_eq "docker volume create with a driver that is not there: refused, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
anon=$(DK volume create)
t_match "docker volume create without a name: a generated one" "^[0-9a-f]{64}$" "$anon"
both volume rm v1
t_eq "docker volume rm, as dockerd" "$DO" "$BO"
both volume rm v1
t_eq "docker volume rm of no such volume, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
DK volume rm "$anon" >/dev/null
t_eq "none left" "" "$("$BLD" volume ls -q)"
