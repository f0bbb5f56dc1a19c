#!/usr/bin/env bash
# tests/e2e/network_docker.sh — network create/ls/inspect/rm/prune compared with docker 20.10
# (a private dockerd from tests/env/dockerd.sh with its default bridge docker0 inside the
# test's namespace): the same commands on both, outputs compared field by field with ids and
# dates masked. Both see docker0's route, so both pick their subnets past 172.17.0.0/16: the
# subnets docker's default pools give are compared as they are. No containers, no images.
. "$(dirname "$0")/lib.sh"

DOCKERD_DEFAULT_BRIDGE=1 "$TOP/tests/env/dockerd.sh" start "$T_DIR/dockerd" || { t_fail "start dockerd"; exit 1; }
at_exit "'$TOP/tests/env/dockerd.sh' stop '$T_DIR/dockerd'"
. "$T_DIR/dockerd/env"
B() { "$BLD" "$@"; }
D() { "$DOCKER" "$@"; }
at_exit 'D network prune -f >/dev/null 2>&1'

# ids (64 or 12 hex) and dates masked
mask() { sed -E 's/[0-9a-f]{64}/ID64/g; s/\b[0-9a-f]{12}\b/ID12/g;
  s/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z| \+0000 UTC)/DATE/g'; }
# both: ARGS... — stdout and exit code of the same command, masked, on both sides; bld's
# first: docker's IPAM does not see bld's networks, bld sees docker's bridges' routes
both() {
  got=$(B "$@" 2>/dev/null | mask; echo "rc=${PIPESTATUS[0]}")
  want=$(D "$@" 2>/dev/null | mask; echo "rc=${PIPESTATUS[0]}")
}
same() { both "${@:2}"; t_eq "$1" "$want" "$got"; }
# errs: NAME ARGS... — the error's words (without docker's and bld's prefixes) and exit code
errs() {
  local name=$1; shift
  want="$(D "$@" 2>&1 >/dev/null | head -1 | sed -E 's/^(Error response from daemon: |Error: )//') rc=$(D "$@" >/dev/null 2>&1; echo $?)"
  got="$(B "$@" 2>&1 >/dev/null | head -1 | sed -E 's/^bld: //') rc=$(B "$@" >/dev/null 2>&1; echo $?)"
  t_eq "$name" "$want" "$got"
}

# ------------------------------------------------------------------ create
for args in "n1" "n2" "--subnet 10.1.0.0/16 --gateway 10.1.0.254 --ip-range 10.1.1.0/24 --ipv6 --subnet fd00::/64 --label c --label a=b -o com.docker.network.driver.mtu=1400 -o com.docker.network.bridge.name=mybr --internal --attachable full" \
  "--subnet 10.2.0.1/16 --label only=1 loose" "--ipv6 --subnet 10.3.0.0/16 --subnet fd01::/64 --gateway fd01::1 six"; do
  # shellcheck disable=SC2086
  same "create $args: the id, exit 0" network create $args
done
for n in n1 n2 full loose six; do
  same "inspect $n: docker's JSON (Subnet picked from docker's pools, IPAM, Options, Labels)" network inspect $n
done
same "inspect host none: docker's JSON" network inspect host none
bq='.[0] | {Name, Scope, Driver, EnableIPv6, Internal, Attachable, Ingress, ConfigFrom, ConfigOnly,
  Containers, IPAM: (.IPAM | .Config |= map(keys)), Options: (.Options | keys), Labels}'
t_eq "inspect bridge: docker's fields (its own device and subnet)" \
  "$(D network inspect bridge | jq -c "$bq")" "$(B network inspect bridge | jq -c "$bq")"
same "inspect -f with a template" network inspect -f '{{.Name}} {{.Driver}} {{json .Labels}} {{json .IPAM.Config}} {{.Internal}}' full n1
errs "create of a taken name" network create n1
errs "create of a predefined name" network create bridge
errs "create with a subnet another network has" network create --subnet 10.1.5.0/24 x
errs "create with an invalid subnet" network create --subnet 10.9.0.0/33 x
errs "create with a gateway outside the subnet" network create --subnet 10.9.0.0/16 --gateway 10.8.0.1 x
errs "create with a gateway and no subnet" network create --gateway 10.9.0.1 x
errs "create with a range outside the subnet" network create --subnet 10.9.0.0/16 --ip-range 10.8.0.0/24 x
errs "create with the broadcast address as gateway" network create --subnet 10.9.0.0/16 --gateway 10.9.255.255 x
errs "create of a /32" network create --subnet 10.9.0.0/32 x
errs "create --ipv6 without an IPv6 subnet" network create --ipv6 x
errs "create with an unknown driver" network create -d nosuch x
errs "create with a bad MTU" network create -o com.docker.network.driver.mtu=x x

# ------------------------------------------------------------------ ls
same "ls: docker's table, natural order" network ls
same "ls -q" network ls -q
same "ls --no-trunc" network ls --no-trunc
# (Labels of one label only: docker joins several in Go's map order, which varies)
same "ls --format with every field" network ls --filter name=loose --format '{{.ID}}|{{.Name}}|{{.Driver}}|{{.Scope}}|{{.IPv6}}|{{.Internal}}|{{.Labels}}|{{.CreatedAt}}|{{.Label "only"}}'
same "ls --format, every network" network ls --format '{{.ID}}|{{.Name}}|{{.IPv6}}|{{.Internal}}|{{.CreatedAt}}|{{.Label "a"}}'
same "ls --format table" network ls --format 'table {{.Name}}\t{{.Driver}}\t{{.IPv6}}'
same "ls --format json of each" network ls --format '{{json .Name}}'
for f in driver=bridge driver=null type=custom type=builtin label=a label=a=b label=c name=n 'name=^n[0-9]$' scope=local dangling=true dangling=false; do
  same "ls --filter $f" network ls --filter "$f"
done
same "ls with two filters of one key" network ls --filter name=n1 --filter name=full
errs "ls with an unknown filter" network ls --filter foo=bar
errs "ls --filter type=xx" network ls --filter type=xx
errs "ls --filter dangling=maybe" network ls --filter dangling=maybe

# ------------------------------------------------------------------ inspect, rm, prune
same "inspect of no such network: output and exit code" network inspect nosuch
errs "inspect of no such network: the words" network inspect nosuch
same "inspect of one found and one missing" network inspect -f '{{.Name}}' n1 nosuch
errs "rm of a predefined network" network rm host
errs "rm of no such network" network rm nosuch
same "rm of several, one missing: what is removed, exit 1" network rm nosuch n2
D network create --label keep=1 p1 >/dev/null; B network create --label keep=1 p1 >/dev/null
pruned() { "$@" network prune -f --filter label!=keep=1 | sort; }
t_eq "prune --filter label!=: docker's block" "$(pruned D)" "$(pruned B)"
errs "prune with a bad until" network prune -f --filter until=xyz
errs "prune with an unknown filter" network prune -f --filter foo=1
same "prune of what is left" network prune -f
same "ls after it" network ls
