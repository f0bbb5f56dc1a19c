#!/usr/bin/env bash
# tests/e2e/layer_crash.sh — unpacked layers after a crash. A layer directory is written
# unsynced and records the boot it was written in (user.bld.layer); one from an earlier boot
# that was never synced, or with no record, may have lost data in a power loss and is
# compared with its blob before use, and extracted again when damaged. A power loss is
# staged by rewriting the record to an earlier boot and truncating files behind bld's back;
# SIGKILL lands at random points of pulls and of such repairs. `bld system check --layers`
# finds and repairs damage in any layer.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
export BLD_ROOT=$T_DIR/root
"$BLD" pull -q "$BASE" >/dev/null || { t_fail "pull"; exit 1; }
BOOT=$(cat /proc/sys/kernel/random/boot_id)
OLD="boot 00000000-0000-0000-0000-000000000000 1"

layer() { ls "$BLD_ROOT/layers" | grep -v '^\.' | head -1; }
L=$BLD_ROOT/layers/$(layer)
xattr() { # get DIR | set DIR VALUE | rm DIR
  python3 - "$@" <<'EOF'
import os, sys
op, d = sys.argv[1], sys.argv[2]
try:
    if op == "get": print(os.getxattr(d, "user.bld.layer").decode())
    elif op == "set": os.setxattr(d, "user.bld.layer", sys.argv[3].encode())
    else: os.removexattr(d, "user.bld.layer")
except OSError as e: print("none" if op == "get" else e)
EOF
}
runs() { "$BLD" run --rm "$BASE" sh -c 'echo ran; wc -c </etc/passwd' 2>"$T_DIR/err"; }
want=$(runs)
t_match "the image runs" "^ran" "$want"
t_match "a new layer directory records the boot that wrote it" "^boot $BOOT [0-9]+$" "$(xattr get "$L")"

xattr set "$L" "$OLD"
truncate -s 0 "$L/bin/busybox"
t_eq "written before a restart, never synced, truncated: the image still runs" "$want" "$(runs)"
t_match "... because the layer was extracted again" "layer [0-9a-f]{12} was damaged \\(/bin/[a-z0-9]+: size differs\\)" "$(cat "$T_DIR/err")"
t_match "... and now records this boot" "^boot $BOOT " "$(xattr get "$L")"

xattr rm "$L"
rm "$L/etc/passwd"
t_eq "no record (lost in the crash), a file gone: the image runs" "$want" "$(runs)"
t_match "... extracted again" "was damaged \\(/etc/passwd: missing\\)" "$(cat "$T_DIR/err")"

xattr set "$L" "$OLD"
t_eq "written before a restart and intact: the image runs" "$want" "$(runs)"
t_eq "... used as it is, and recorded as durable after a sync" durable "$(xattr get "$L")"
t_eq "... nothing was reported" "" "$(cat "$T_DIR/err")"

printf 'x' >>"$L/etc/passwd"
chmod 600 "$L/etc/group"
OUT=$("$BLD" system check --layers 2>&1); rc=$?
t_eq "damage in a durable layer: system check --layers fails" 1 "$rc"
t_match "... names the layer, the file and what differs" "layer sha256:[0-9a-f]{64} \\(sha256:[0-9a-f]{64} of $BASE\\) is damaged: /etc/(group: mode|passwd: size) differs; extracted again" "$OUT"
t_eq "... and repairs it: the image runs" "$want" "$(runs)"
t_ok "... and the next check is clean" "$BLD" system check --layers -q
t_eq "without --layers nothing is extracted or compared" "" "$("$BLD" system check -q)"

# SIGKILL at random points of a pull into a fresh store, and of a repair
for i in 1 2 3 4; do
  export BLD_ROOT=$T_DIR/kill$i
  "$BLD" pull -q "$BASE" >/dev/null 2>&1 &
  pid=$!
  sleep "0.0$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  "$BLD" pull -q "$BASE" >/dev/null 2>&1
  t_eq "pull killed at a random point ($i): the next pull gives an image that runs" "$want" "$(runs)"
  L=$BLD_ROOT/layers/$(layer)
  xattr set "$L" "$OLD"
  truncate -s 100 "$L/bin/busybox"
  "$BLD" run --rm "$BASE" true >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  t_eq "... a repair killed at a random point: the image runs" "$want" "$(runs)"
  t_ok "... and the layers check clean" "$BLD" system check --layers -q
done
t_finish
