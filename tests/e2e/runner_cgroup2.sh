#!/usr/bin/env bash
# The pure cgroup v2 path on this hybrid host: inside a private mount namespace where
# /sys/fs/cgroup is the cgroup2 mount, bld takes its v2 branch: the container gets a leaf
# /sys/fs/cgroup/bld/bld-<id> holding its processes, a cgroup namespace rooted there, exec
# joins it, rm -f kills what is inside and removes the leaf; docker's device rules hold there
# too (v2 has no devices controller: bld attaches an eBPF program), with --device-cgroup-rule,
# and for RUN steps. Limits need the controllers in
# cgroup2's cgroup.controllers: here memory, pids and cpu are bound to v1 hierarchies, so the
# test checks bld's clear refusal; where memory is there, that -m kills a hog with 137.
# Network namespace as for every runner test; the v2 leaf lands in the host's unified
# hierarchy and is checked gone (the "bld" parent is removed when empty).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

O=$T_DIR/v2
mkdir -p "$O"
export -f B
export NS BLD IMG O
unshare -m --propagation private bash -c '
  umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup || exit 1
  test -f /sys/fs/cgroup/cgroup.controllers && echo yes >"$O/v2"
  B run --rm $IMG sh -c "tail -1 /proc/self/cgroup" >"$O/self" 2>&1
  id=$(B run -d $IMG sleep 30)
  leaf=/sys/fs/cgroup/bld/bld-${id:0:12}
  for p in $(cat "$leaf/cgroup.procs"); do tr "\0" " " <"/proc/$p/cmdline"; echo; done >"$O/procs"
  B exec "$id" sh -c "tail -1 /proc/self/cgroup" >"$O/exec" 2>&1
  B rm -f "$id" >/dev/null
  [ -d "$leaf" ] && echo "$leaf" >"$O/left"
  mk="mknod /m c 1 1 && head -c0 /m 2>&1 | sed \"s/.*: //\"; head -c0 /dev/null && echo null-ok"
  B run --rm $IMG sh -c "$mk" >"$O/dev" 2>&1
  B run --rm --device-cgroup-rule "c 1:1 r" $IMG sh -c "$mk" >"$O/devrule" 2>&1
  mkdir -p "$O/ctx" && printf "FROM %s\nRUN %s\n" "$IMG" "$mk" >"$O/ctx/Dockerfile"
  B build --progress plain --no-cache -t v2dev "$O/ctx" 2>&1 | grep -E "^#[0-9]+ [0-9.]+ " >"$O/devstep"
  ls -d /sys/fs/cgroup/bld/bld-step-* >"$O/steps" 2>/dev/null
  B rmi v2dev >/dev/null 2>&1
  # a step stays under the cgroup of the build that runs it (whatever limits that, limits it)
  sub=/sys/fs/cgroup/bldtest-$$
  mkdir "$sub" && echo $$ >"$sub/cgroup.procs"
  printf "FROM %s\nRUN sleep 2\n" "$IMG" >"$O/ctx/Dockerfile"
  B build -q --no-cache "$O/ctx" >/dev/null 2>&1 &
  for i in $(seq 40); do
    ls -d "$sub"/bld/bld-step-* >/dev/null 2>&1 && { echo under >"$O/nested"; break; }
    sleep 0.1
  done
  wait
  echo $$ >/sys/fs/cgroup/cgroup.procs
  ls -d "$sub"/bld/bld-step-* >>"$O/steps" 2>/dev/null
  rmdir "$sub/bld" "$sub" 2>/dev/null
  # a step leaf that a killed build left (its pid gone): bld system prune takes it out
  stale=/sys/fs/cgroup/bld/bld-step-$(sh -c "echo \$\$")-0
  mkdir -p "$stale"
  B system prune -f >/dev/null 2>&1
  [ -d "$stale" ] && echo left >"$O/pruned" || echo gone >"$O/pruned"
  rmdir "$stale" 2>/dev/null
  if grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    B run --rm -m 16m $IMG sh -c "x=aaaaaaaa; while :; do x=\$x\$x; done" >/dev/null 2>&1
    echo "oom $?" >"$O/mem"
  else
    B run --rm -m 16m $IMG true >"$O/mem" 2>&1; echo "exit $?" >>"$O/mem"
  fi
  rmdir /sys/fs/cgroup/bld 2>/dev/null
  true
' || { echo "not ok - cannot mount cgroup2 in a private mount namespace"; exit 1; }

t_eq "/sys/fs/cgroup is the cgroup2 mount there" "yes" "$(cat "$O/v2" 2>/dev/null)"
t_eq "bld system prune takes out the step leaf a killed build left" "gone" "$(cat "$O/pruned" 2>/dev/null)"
t_eq "the container's cgroup namespace is rooted at its leaf" "0::/" "$(cat "$O/self")"
t_match "the v2 leaf holds the container's process" '^sleep 30 $' "$(cat "$O/procs")"
t_eq "exec joins the leaf" "0::/" "$(cat "$O/exec")"
t_eq "rm -f removes the leaf" "" "$(cat "$O/left" 2>/dev/null)"
t_eq "docker's device rules on v2 (an eBPF program): a node made of a host device is not opened" \
  "Operation not permitted
null-ok" "$(cat "$O/dev")"
t_eq "... and --device-cgroup-rule adds to them" "" "$(grep 'not permitted' "$O/devrule")"
t_match "... (the container ran)" "null-ok" "$(cat "$O/devrule")"
t_eq "... and a RUN step's" "Operation not permitted null-ok" \
  "$(grep -oE 'Operation not permitted|null-ok' "$O/devstep" | paste -sd' ')"
t_eq "... whose leaf goes with it" "" "$(cat "$O/steps")"
t_eq "... and is under the cgroup of the build that runs it" "under" "$(cat "$O/nested" 2>/dev/null)"
mem=$(cat "$O/mem")
if grep -q '^oom' <<<"$mem"; then
  t_eq "-m 16m on v2: the hog ends with 137" "oom 137" "$mem"
else
  t_eq "-m 16m without a v2 memory controller: a clear refusal, 125" \
    "bld: the memory cgroup controller is not available here
exit 125" "$mem"
fi
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
