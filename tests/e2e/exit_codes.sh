#!/usr/bin/env bash
# tests/e2e/exit_codes.sh — the exit status of each command's common failure (a missing
# container, image, network or volume, a bad reference, an unreachable registry, a flag or
# argument error), compared with docker 20.10's against a private dockerd: docker exits 1 for
# a command that fails, 125 for a flag it cannot parse and for `run`'s own failures (127 when
# the command is not found), and so must bld. One table, both tools, the same arguments.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_docker_pair
R=$REG_ADDR/library
B create --network none --name ec-made "$BASE" true >/dev/null &&
  D create --network none --name ec-made "$BASE" true >/dev/null || t_fail "create ec-made"
B network create ec-net >/dev/null && D network create ec-net >/dev/null || t_fail "create ec-net"
at_exit 'B network rm ec-net >/dev/null 2>&1; D network rm ec-net >/dev/null 2>&1'

# one case a line: the arguments, split at blanks (none has one)
cases=$(cat <<EOF
start nosuch
stop nosuch
restart nosuch
kill nosuch
rm nosuch
logs nosuch
inspect nosuch
container inspect nosuch
exec nosuch true
exec ec-made true
attach nosuch
wait nosuch
pause nosuch
unpause nosuch
top nosuch
port nosuch
rename nosuch other
cp nosuch:/etc/passwd $T_DIR/out
diff nosuch
export -o $T_DIR/out.tar nosuch
commit nosuch ec/img:x
stats --no-stream nosuch
pull $R/nosuch:latest
pull $R/busybox:nosuchtag
pull 127.0.0.1:1/ec/x:latest
pull $R/Bad/Name
push $R/nosuch:latest
tag nosuch:latest ec/x:y
tag $BASE Bad/Ref:x
rmi nosuch:latest
save -o $T_DIR/out.tar nosuch:latest
history nosuch:latest
image inspect nosuch:latest
create --network none $R/nosuch:latest
create --network none --name ec-made $BASE
run --rm --network none $R/nosuch:latest
run --rm --network none $BASE /nosuch-command
load -i /etc/hostname
import $T_DIR/nosuch.tar ec/x:1
build $T_DIR/nosuch-dir
network rm nosuch
network inspect nosuch
network connect ec-net nosuch
network disconnect ec-net nosuch
network ls --filter nosuch
network prune -f --filter nosuch
network create ec-net
volume rm nosuch
volume inspect nosuch
ps --filter nosuch
images --filter nosuch
images --filter nosuch=1
events --filter nosuch --until 0s
stop -t abc ec-made
kill -s BOGUS ec-made
logs --since bogus ec-made
port ec-made 80
inspect --type bogus ec-made
start -a ec-made ec-made
pull -a $R/busybox:latest
login -u a -p b 127.0.0.1:1
build -t Bad:Ref $T_DIR/nosuch-dir
trust key generate
start
start --bogus nosuch
run --rm --memory nonsense $BASE true
EOF
)
while read -ra args; do
  D "${args[@]}" >/dev/null 2>&1 </dev/null
  want=$?
  B "${args[@]}" >/dev/null 2>&1 </dev/null
  rc=$? name="${args[*]}"
  t_eq "${name//$T_DIR/DIR}: exit $want, as docker's" "$want" "$rc"
done <<<"$cases"
