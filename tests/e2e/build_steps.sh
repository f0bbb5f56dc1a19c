#!/usr/bin/env bash
# tests/e2e/build_steps.sh — Dockerfile step semantics where bld follows BuildKit on a busybox
# base from a private test registry: the RUN step's environment, hostname and /etc/hosts
# (while `bld run` keeps docker's), COPY from heredocs, COPY --exclude with .dockerignore's
# pattern rules, RUN --mount=type=bind seeing only what .dockerignore lets through,
# COPY/ADD --link, and RUN --mount=type=ssh with `bld build --ssh`.
. "$(dirname "$0")/lib.sh"

"$TOP/tests/env/registry.sh" start "$T_DIR/reg" >/dev/null || { t_fail "start registry"; exit 1; }
at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg'"
. "$T_DIR/reg/env"
"$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest >/dev/null || { t_fail "seed"; exit 1; }
BASE=$REG_ADDR/library/busybox:latest

# cat_in IMAGE PATH... — the files' contents in the built image
cat_in() { local img=$1; shift; "$BLD" run --rm --network none "$img" cat "$@" 2>&1; }
# dump IMAGE — tests/diff/imgdump.py's view of a built image
dump() { python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" "docker.io/library/$1:latest"; }
hash_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# --- 1. RUN's environment, hostname and /etc/hosts are BuildKit's ---
mkdir -p "$T_DIR/env"
cat >"$T_DIR/env/Dockerfile" <<DF
FROM $BASE
RUN env | grep -E '^(HOSTNAME|HOME|PATH)=' | sort > /env; hostname > /hostname; cat /etc/hosts > /hosts
DF
out=$("$BLD" build -t step-env "$T_DIR/env" 2>&1)
t_eq "a RUN step that reads its environment builds" 0 "$?"
t_eq "RUN gets PATH and HOME but no HOSTNAME (as BuildKit)" \
  "HOME=/root
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$(cat_in step-env /env)"
t_eq "RUN's hostname is buildkitsandbox" buildkitsandbox "$(cat_in step-env /hostname)"
t_eq "RUN's /etc/hosts is BuildKit's" "$(printf '127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback')" \
  "$(cat_in step-env /hosts)"
t_match "bld run keeps docker's HOSTNAME" '^HOSTNAME=.+' \
  "$("$BLD" run --rm --network none step-env env 2>&1)"
