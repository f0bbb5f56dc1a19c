#!/usr/bin/env bash
# tests/e2e/build_repro.sh — `bld build --check-reproducible` builds twice in scratch stores
# with one SOURCE_DATE_EPOCH and compares: "reproducible: sha256:..." for examples/echo and
# differential-suite cases that are reproducible; for a Dockerfile that writes the time or a
# random value, each differing file with its cause and the step whose layer holds it, and
# exit 1. The user's store gains nothing, and no scratch store is left, also after a failure.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
"$BLD" pull -q "$BASE" >/dev/null || { t_fail "pull $BASE"; exit 1; }

# check NAME CONTEXT [ARGS...] — a reproducible build: exit 0, one line naming the digest
check() {
  local name=$1 ctx=$2 out rc
  shift 2
  out=$("$BLD" build --check-reproducible --build-arg BASE="$BASE" "$@" "$ctx" 2>"$T_DIR/err"); rc=$?
  t_eq "$name: exit 0" 0 "$rc"
  t_match "$name: reproducible" '^reproducible: sha256:[0-9a-f]{64}$' "$out"
}
check "examples/echo" "$TOP/examples/echo"
check "diff case 04-user-workdir" "$TOP/tests/diff/cases/04-user-workdir"
check "diff case 107-symlinked-dests" "$TOP/tests/diff/cases/107-symlinked-dests"
check "diff case 109-env-in-instructions" "$TOP/tests/diff/cases/109-env-in-instructions"
check "diff case 01-env" "$TOP/tests/diff/cases/01-env"
SOURCE_DATE_EPOCH=1700000000 check "with SOURCE_DATE_EPOCH set" "$TOP/examples/echo"

# unset, SOURCE_DATE_EPOCH is the time of the commit checked out where the context is
g=$T_DIR/git
mkdir -p "$g" && printf 'FROM %s\nRUN echo in-git > /g\n' "$BASE" >"$g/Dockerfile"
git -C "$g" init -q && git -C "$g" add Dockerfile &&
  GIT_COMMITTER_DATE=@1600000000 GIT_AUTHOR_DATE=@1600000000 git -C "$g" -c user.name=t -c user.email=t@t commit -qm one ||
  t_fail "make a git context"
d_git=$(env -u SOURCE_DATE_EPOCH "$BLD" build --check-reproducible -q "$g" 2>/dev/null)
d_sde=$(SOURCE_DATE_EPOCH=1600000000 "$BLD" build --check-reproducible -q "$g" 2>/dev/null)
d_other=$(SOURCE_DATE_EPOCH=1600000001 "$BLD" build --check-reproducible -q "$g" 2>/dev/null)
t_match "a git context: reproducible" '^reproducible: sha256:' "$d_git"
t_eq "a git context: its commit's time is the epoch" "$d_sde" "$d_git"
t_ok "... which makes a difference" test "$d_other" != "$d_git"

before=$(cd "$BLD_ROOT" && find oci cache -type f 2>/dev/null | sort | md5sum)
mkdir -p "$T_DIR/time"
# busybox's date has no %N: a second apart, so that the two builds write different times
printf 'FROM %s\nRUN echo same > /same\nRUN date > /t && sleep 1\nRUN echo after > /after\n' "$BASE" >"$T_DIR/time/Dockerfile"
out=$("$BLD" build --check-reproducible "$T_DIR/time" 2>"$T_DIR/err"); rc=$?
t_eq "the time written: exit 1" 1 "$rc"
t_match "the time written: the file, its content, and the step" \
  '^/t: content \(layer of RUN /bin/sh -c date > /t && sleep 1\)$' "$out"
t_ok "the time written: the other steps' files are not named" sh -c "! grep -q -e /same -e /after <<'EOF'
$out
EOF"
t_match "the time written: one line on stderr" '^bld: build is not reproducible: 1 differences$' "$(cat "$T_DIR/err")"

mkdir -p "$T_DIR/rand"
printf 'FROM %s\nRUN mkdir /r && head -c 16 /dev/urandom > /r/key\n' "$BASE" >"$T_DIR/rand/Dockerfile"
out=$("$BLD" build --check-reproducible "$T_DIR/rand" 2>&1); rc=$?
t_eq "a random value written: exit 1" 1 "$rc"
t_match "a random value written: the file and cause" '^/r/key: content \(layer of RUN .*urandom' "$out"

mkdir -p "$T_DIR/fail"
printf 'FROM %s\nRUN exit 3\n' "$BASE" >"$T_DIR/fail/Dockerfile"
t_exit "a failed build fails the check" 1 "$BLD" build --check-reproducible "$T_DIR/fail"

t_eq "the user's store gained nothing" "$before" "$(cd "$BLD_ROOT" && find oci cache -type f 2>/dev/null | sort | md5sum)"
t_eq "no scratch store left" "" "$(ls "$BLD_ROOT/tmp" | grep repro-)"
