#!/usr/bin/env bash
# A full disk: BLD_ROOT on a small tmpfs (mounted in a mount namespace of this script's own,
# so it goes away with the script). A pull, a build whose RUN writes more than fits, a
# commit and container log writes that run out of space fail with one line
# "bld: ...: No space left on device", leave no partial blob or layer behind (system check
# is clean, ingest/ is empty) and give the space back.
[ -n "${BLD_DISKFULL_NS:-}" ] ||
  exec unshare -m --propagation private env BLD_DISKFULL_NS=1 bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
t_busybox_registry
mkdir -p "$BLD_ROOT"
mount -t tmpfs -o size=1M bld-diskfull "$BLD_ROOT" || { t_fail "mount a tmpfs"; exit 1; }
at_exit "umount '$BLD_ROOT'"
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
# KiB used on the tmpfs, less the events journal (which every command appends to)
used() {
  local ev=0
  [ -d "$BLD_ROOT/events" ] && ev=$(du -sk "$BLD_ROOT/events" | cut -f1)
  echo $(($(df -k --output=used "$BLD_ROOT" | tail -1) - ev))
}

# full_fails NAME CMD... — CMD must fail with one line naming the full disk, leave nothing in
# ingest/, and give back all the space it took
full_fails() {
  local name=$1 before out rc; shift
  before=$(used)
  out=$("$@" 2>&1 >/dev/null); rc=$?
  [ "$rc" != 0 ] || t_fail "$name fails" "it succeeded"
  t_match "$name: one line, no space left on device" '^bld: .*: No space left on device$' "$out"
  t_eq "$name: the error is one line" "1" "$(grep -c . <<<"$out")"
  t_eq "$name: no partial blob left in ingest/" "" "$(ls -A "$BLD_ROOT/oci/ingest")"
  t_ok "$name: system check is clean" "$BLD" system check
  given_back "$name" "$before"
}
# given_back NAME BEFORE — at most 64 KiB more in use than BEFORE (cache metadata a build keeps
# is small; what ran out of space was megabytes)
given_back() {
  local now; now=$(used)
  if [ "$now" -le $(($2 + 64)) ]; then t_pass "$1: the space is given back"
  else t_fail "$1: the space is given back" "KiB used before $2, after $now"; fi
}

"$BLD" images >/dev/null # lays out the store
full_fails "pull" "$BLD" pull -q "$BASE"
mount -o remount,size=40M "$BLD_ROOT"
t_ok "the same pull succeeds with room" "$BLD" pull -q "$BASE"

mkdir "$T_DIR/ctx"
printf 'FROM %s\nRUN dd if=/dev/urandom of=/big bs=1M count=24 2>/dev/null\n' "$BASE" >"$T_DIR/ctx/Dockerfile"
full_fails "build" "$BLD" build -q -t big "$T_DIR/ctx"

t_ok "a container writes 24 MB" "$BLD" run --name big "$BASE" dd if=/dev/urandom of=/big bs=1M count=24
full_fails "commit" "$BLD" commit big big:latest
t_ok "rm the container" "$BLD" rm big

before=$(used)
t_ok "a container writes more logs than fit" \
  "$BLD" run --name chatty "$BASE" sh -c 'head -c 50000000 /dev/urandom | od -x'
t_ok "rm the container" "$BLD" rm chatty
given_back "logs" "$before"
t_ok "system check is clean at the end" "$BLD" system check
