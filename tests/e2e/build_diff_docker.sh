#!/usr/bin/env bash
# tests/e2e/build_diff_docker.sh — the BuildKit differential suite: every case under
# tests/diff/cases/ (but those with a skip-docker file: dockerfile 1.4+ syntax that docker
# 20.10 cannot build) is built by bld and by docker 20.10's BuildKit on the same busybox base
# from a private test registry, and the config fields (Env, Cmd, Entrypoint, WorkingDir,
# User, ExposedPorts, Labels, Volumes, StopSignal, Healthcheck, Shell, OnBuild) and the
# filesystems (path, type, mode, uid, gid, size, content hash, link target) must agree, after
# a case's docker-known-diff (BuildKit 0.8's deliberate departures from current BuildKit,
# listed in tests/diff/README.md) states current BuildKit's lines. dockerd is Debian's
# docker.io (packages/test.txt), started here on a private socket through
# tests/env/dockerd.sh and stopped on exit; one that does not start is a failure. docker
# builds three cases at a time beside bld's two.
# By hand: tests/diff/docker.sh [CASE...] (DIFF_CASES narrows the cases).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/diff/lib.sh"

at_exit "'$TOP/tests/env/dockerd.sh' stop '$T_DIR/dockerd'"
"$TOP/tests/env/dockerd.sh" start "$T_DIR/dockerd" || { t_fail "dockerd starts (tests/env/dockerd.sh)"; exit 1; }
. "$T_DIR/dockerd/env"
export DOCKER DOCKER_HOST
"$TOP/tests/env/registry.sh" start "$T_DIR/reg" >/dev/null || { t_fail "start registry"; exit 1; }
at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg'"
. "$T_DIR/reg/env"
"$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest >/dev/null || { t_fail "seed"; exit 1; }
BASE=$REG_ADDR/library/busybox:latest
"$DOCKER" pull -q "$BASE" >/dev/null || { t_fail "docker pull $BASE"; exit 1; }

mapfile -t cases < <(diff_cases docker)
for c in "${cases[@]}"; do diff_ctx "$c" "$T_DIR/ctx/$c"; done
# ADD of URLs: the prepared contexts are served on 127.0.0.1 (both builders fetch from there)
diff_http_start "$T_DIR/ctx" "$T_DIR/http.log" || { t_fail "start the HTTP server"; exit 1; }
at_exit "kill $DIFF_HTTP_PID; wait $DIFF_HTTP_PID 2>/dev/null"
export DIFF_HTTP
mkdir -p "$T_DIR/dk"
printf '%s\n' "${cases[@]}" | xargs -P 3 -I{} "$TOP/tests/diff/docker-case.sh" "$T_DIR" "$BASE" {} &
dk_pid=$!
at_exit "kill $dk_pid 2>/dev/null; wait $dk_pid 2>/dev/null"
echo "# set up in $SECONDS s"
start=$SECONDS
diff_bld_lanes 2 "$T_DIR" "$BASE" "${cases[@]}"
echo "# bld built ${#cases[@]} cases in $((SECONDS - start)) s"
wait $dk_pid
echo "# docker done after $((SECONDS - start)) s"
diff_report docker "$T_DIR" "${cases[@]}"
echo "# compared after $((SECONDS - start)) s"
[ -n "${DIFF_CASES:-}" ] || t_ok "at least 80 Dockerfiles compared with BuildKit ($DIFF_N)" test "$DIFF_N" -ge 80
# by hand: DIFF_KEEP=DIR keeps the dumps and errors of both builders there
[ -z "${DIFF_KEEP:-}" ] || { mkdir -p "$DIFF_KEEP" && cp "$T_DIR"/*.docker* "$T_DIR"/*.bld* "$DIFF_KEEP"/ 2>/dev/null; }
