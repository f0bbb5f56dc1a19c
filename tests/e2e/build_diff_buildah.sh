#!/usr/bin/env bash
# tests/e2e/build_diff_buildah.sh — differential tests: every case under tests/diff/cases/ is
# built by bld and by `buildah bud` on the same busybox base from a private test registry;
# the config fields (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels, Volumes,
# StopSignal, Healthcheck, Shell, OnBuild) and the filesystems (path, type, mode, uid, gid,
# size, content hash, link target) must agree, after buildah's known departures from
# BuildKit are replaced by BuildKit's behaviour (tests/diff/compare.py). buildah builds with
# --format docker and its config is read with `buildah inspect`: the OCI config has no
# Healthcheck, Shell or OnBuild. buildah runs two cases at a time beside bld's builds.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/diff/lib.sh"

command -v buildah >/dev/null || { t_fail "buildah is installed (packages/builder.txt)"; exit 1; }
t_busybox_registry
BH=(buildah --root "$T_DIR/bh/storage" --runroot "$T_DIR/bh/run" --storage-driver overlay)
# buildah's storage may hold mounts while it runs; never leave any behind
at_exit "${BH[*]} rm -a >/dev/null 2>&1; ${BH[*]} rmi -af >/dev/null 2>&1; umount -R '$T_DIR/bh/storage' 2>/dev/null"
"${BH[@]}" pull -q --tls-verify=false "$BASE" >/dev/null || { t_fail "buildah pull"; exit 1; }

cases=()
for dir in "$TOP"/tests/diff/cases/*/; do
  c=$(basename "$dir")
  diff_ctx "$c" "$T_DIR/ctx/$c" && cases+=("$c")
done
printf '%s\n' "${cases[@]}" | xargs -P 2 -I{} "$TOP/tests/diff/buildah-case.sh" "$T_DIR" "$BASE" {} &
bh_pid=$!
at_exit "kill $bh_pid 2>/dev/null; wait $bh_pid 2>/dev/null"

for c in "${cases[@]}"; do
  read -ra extra <<<"$(diff_args "$c")"
  if out=$("$BLD" build -q -t "diff-$c" --build-arg BASE="$BASE" "${extra[@]}" "$T_DIR/ctx/$c" 2>&1); then
    python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" "docker.io/library/diff-$c:latest" >"$T_DIR/$c.bld"
  else
    echo "$out" >"$T_DIR/$c.bld.err"
  fi
done
wait $bh_pid

n=0
for c in "${cases[@]}"; do
  if [ ! -s "$T_DIR/$c.bld" ]; then t_fail "$c: bld build" "$(tail -5 "$T_DIR/$c.bld.err")"; continue; fi
  if [ ! -s "$T_DIR/$c.buildah" ]; then t_fail "$c: buildah bud" "$(tail -5 "$T_DIR/$c.buildah.err")"; continue; fi
  n=$((n + 1))
  if d=$(diff_compare "$T_DIR/$c.buildah" "$T_DIR/$c.bld" "$c"); then
    t_pass "$c: bld and buildah (BuildKit's behaviour where they differ) agree"
  else
    t_fail "$c: images differ" "$(head -c 1500 <<<"$d")"
  fi
done
t_ok "at least 25 Dockerfiles compared ($n)" test "$n" -ge 25
