#!/usr/bin/env bash
# tests/diff/docker-images.sh — what `docker images --digests` and `docker inspect` show for
# images pulled from and pushed to a registry, against bld: the digest of each repository:tag
# row, RepoTags, RepoDigests, and the image Size (uncompressed, as the daemon's overlay2
# counts it).
# Not in make check: like tests/diff/docker-output.sh it needs a running dockerd
# (DOCKER_HOST=...) with Debian's docker CLI; it talks to a private registry on 127.0.0.1
# only (docker allows plain HTTP to 127.0.0.0/8).
# Usage: DOCKER_HOST=... tests/diff/docker-images.sh   (0 all equal, 1 a difference, 2 no dockerd)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/diff/lib.sh"
BLD=${BLD:-$TOP/bld}
DK=${DOCKER:-/usr/bin/docker}
diff_docker_env images latest,latest-v2s2,index-oci
B=$REG_ADDR/library/busybox
pass=0 fail=0
same() { # NAME DOCKER BLD
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"; else
    fail=$((fail + 1)); printf 'FAIL %s\n  docker: %s\n  bld:    %s\n' "$1" "$2" "$3"; fi
}
rows() { "$1" images --digests --format '{{.Repository}}:{{.Tag}} {{.Digest}} {{.Size}}' | grep -F "$REG_ADDR/" | sort; }
repo_digests() { "$1" inspect -f '{{json .RepoDigests}}' "$2" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'; }

for t in latest latest-v2s2 index-oci; do
  "$DK" pull -q "$B:$t" >/dev/null && "$BLD" pull -q "$B:$t" >/dev/null || { echo "pull $t failed"; exit 1; }
done
for t in latest latest-v2s2 index-oci; do
  same "inspect Size of :$t" "$("$DK" inspect -f '{{.Size}}' "$B:$t")" "$("$BLD" inspect -f '{{.Size}}' "$B:$t")"
done
same "RepoDigests after three pulls" "$(repo_digests "$DK" "$B:latest")" "$(repo_digests "$BLD" "$B:latest")"
repo_tags() { "$1" inspect -f '{{json .RepoTags}}' "$2" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))'; }
same "RepoTags after three pulls" "$(repo_tags "$DK" "$B:latest")" "$(repo_tags "$BLD" "$B:latest")"
# each tool tags and pushes into its own repository: other/docker, other/bld
mine() { [ "$1" = "$DK" ] && echo docker || echo bld; }
other_rows() { rows "$1" | grep "/other/$(mine "$1"):" | sed "s|/other/$(mine "$1"):|/other/X:|"; }
for c in "$DK" "$BLD"; do "$c" tag "$B:latest" "$REG_ADDR/other/$(mine "$c"):1"; done
same "a tag alone" "$(other_rows "$DK")" "$(other_rows "$BLD")"
for c in "$DK" "$BLD"; do "$c" push -q "$REG_ADDR/other/$(mine "$c"):1" >/dev/null 2>&1 || true; done
# docker 20.10 pushes an OCI image as a Docker v2s2 manifest; bld pushes the stored manifest
# as it is (its digest is the one pulled): the digests differ, the rows must not
mask() { sed -E 's/sha256:[0-9a-f]{64}/DIGEST/'; }
same "after push" "$(other_rows "$DK" | mask)" "$(other_rows "$BLD" | mask)"
same "after push, bld's digest is the one the registry has" \
  "$(/usr/bin/python3 "$TOP/tests/trust/cosign_py.py" digest "$REG_ADDR" other/bld 1)" \
  "$(other_rows "$BLD" | awk '{ print $2 }')"
same "images --digests rows of the pulled repository" "$(rows "$DK" | grep -v /other/)" "$(rows "$BLD" | grep -v /other/)"
"$DK" rmi -f "$B:latest" "$B:latest-v2s2" "$B:index-oci" "$REG_ADDR/other/docker:1" >/dev/null 2>&1
"$DK" image prune -f >/dev/null 2>&1
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
