#!/usr/bin/env bash
# bld save / bld load against docker's own load and save (issue 3: "bld save output loads
# ... with docker load where dockerd runs"): runs tests/diff/docker-load.sh, which starts a
# private dockerd and registry and removes them again, and reports each of its checks.
# dockerd comes from Debian's docker.io (packages/test.txt); a dockerd that does not start is
# a failure, not a skip.
. "$(dirname "$0")/lib.sh"

out=$("$TOP/tests/diff/docker-load.sh" 2>&1)
rc=$?
while IFS= read -r line; do
  case "$line" in
    "ok   "*) t_pass "${line#ok   }" ;;
    "FAIL "*) t_fail "${line#FAIL }" ;;
  esac
done <<<"$out"
t_eq "docker-load.sh passes (exit 0; 2 is no dockerd)" 0 "$rc"
[ "$rc" = 0 ] || printf '#   %s\n' "$(tail -5 <<<"$out")"
