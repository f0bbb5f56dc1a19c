# tests/env/cgroups.sh — sourced by the test runners and benchmarks: the cgroup parents
# bld makes for its containers and RUN steps (runner/cgroup.c), so that a run removes those
# it created, and only those.
#
# bld nests its parent under the caller's own cgroup in each v1 hierarchy
# (/sys/fs/cgroup/memory/<own path>/bld) and uses /sys/fs/cgroup/bld on a pure v2 host, so
# the candidates depend on the cgroup of the shell that sources this.
#
#   bld_cgroups_snapshot   prints the candidates that do not exist yet (one per line)
#   bld_cgroups_remove D.. removes those directories (and empty leaves left in them);
#                          a cgroup that still holds a process stays
bld_cgroups_candidates() {
  local _ ctrls path c
  echo /sys/fs/cgroup/bld
  for c in /sys/fs/cgroup/*/; do echo "${c}bld"; done
  while IFS=: read -r _ ctrls path; do
    [ -n "$ctrls" ] && [ "$path" != / ] || continue
    for c in ${ctrls//,/ }; do
      c=${c#name=}
      [ -d "/sys/fs/cgroup/$c$path" ] && echo "/sys/fs/cgroup/$c$path/bld"
    done
  done </proc/self/cgroup
}
bld_cgroups_snapshot() {
  local d
  bld_cgroups_candidates | sort -u | while read -r d; do [ -e "$d" ] || echo "$d"; done
}
bld_cgroups_remove() {
  local d
  for d in "$@"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
