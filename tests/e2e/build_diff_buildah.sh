#!/usr/bin/env bash
# tests/e2e/build_diff_buildah.sh — differential tests: every case under tests/diff/cases/ (but
# those with a skip-buildah or pending file) is built by bld and by `buildah bud` on the same
# busybox base from a private test registry;
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

mapfile -t cases < <(diff_cases buildah)
for c in "${cases[@]}"; do diff_ctx "$c" "$T_DIR/ctx/$c"; done
printf '%s\n' "${cases[@]}" | xargs -P 2 -I{} "$TOP/tests/diff/buildah-case.sh" "$T_DIR" "$BASE" {} &
bh_pid=$!
at_exit "kill $bh_pid 2>/dev/null; wait $bh_pid 2>/dev/null"
diff_bld_builds "$T_DIR" "$BASE" "${cases[@]}"
wait $bh_pid
diff_report buildah "$T_DIR" "${cases[@]}"
[ -n "${DIFF_CASES:-}" ] || t_ok "at least 25 Dockerfiles compared ($DIFF_N)" test "$DIFF_N" -ge 25
