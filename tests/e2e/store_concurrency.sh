#!/usr/bin/env bash
# Many bld processes on one store at once: concurrent builds of the same and of different
# Dockerfiles on one base (sharing its layers and the build cache), concurrent pulls of one
# image, and rmi, image prune, builder prune and system prune racing them. No build fails
# because of another, every built image runs, and `bld system check` is clean at the end.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
N=4 # builds at once; 2 cores
# wait_all PID... — waits for them all; BAD is how many exited non-zero
wait_all() { local p; BAD=0; for p in "$@"; do wait "$p" || BAD=$((BAD + 1)); done; }

for i in 1 2; do
  mkdir -p "$T_DIR/ctx$i"
  printf 'FROM %s\nRUN echo shared >/shared\nRUN echo ctx%s >/which\nCMD ["cat","/which"]\n' \
    "$BASE" "$i" >"$T_DIR/ctx$i/Dockerfile"
done

# pulls of one image racing each other into an empty store
pids=()
for i in 1 2 3; do "$BLD" pull -q "$BASE" >"$T_DIR/pull$i.log" 2>&1 & pids+=($!); done
wait_all "${pids[@]}"
bad=$BAD
t_eq "concurrent pulls of one image all succeed" "0" "$bad"
[ "$bad" = 0 ] || cat "$T_DIR"/pull*.log
t_ok "the pulled image runs" "$BLD" run --rm "$BASE" true
t_ok "system check is clean after the pulls" "$BLD" system check

# builds (two Dockerfiles, each built twice at once) while pruners run beside them
pids=()
for ((i = 1; i <= N; i++)); do
  c=$(( (i - 1) % 2 + 1 ))
  "$BLD" build -q -t "conc$i" "$T_DIR/ctx$c" >"$T_DIR/build$i.log" 2>&1 & pids+=($!)
done
pr=()
"$BLD" image prune -f >"$T_DIR/prune1.log" 2>&1 & pr+=($!)
"$BLD" builder prune -f >"$T_DIR/prune2.log" 2>&1 & pr+=($!)
"$BLD" system prune -f >"$T_DIR/prune3.log" 2>&1 & pr+=($!)
"$BLD" pull -q "$BASE" >"$T_DIR/pull4.log" 2>&1 & pr+=($!)
wait_all "${pids[@]}"
bad=$BAD
wait_all "${pr[@]}"
t_eq "no build fails because of another" "0" "$bad"
[ "$bad" = 0 ] || tail -n 5 "$T_DIR"/build*.log
for ((i = 1; i <= N; i++)); do
  c=$(( (i - 1) % 2 + 1 ))
  t_eq "conc$i runs its own layers" "ctx$c" "$("$BLD" run --rm --pull never "conc$i" 2>&1)"
done
t_ok "system check is clean after builds and prunes" "$BLD" system check

# rmi of some images and prunes racing builds that reuse their cache
pids=()
for ((i = 1; i <= N; i++)); do
  c=$(( i % 2 + 1 ))
  "$BLD" build -q -t "again$i" "$T_DIR/ctx$c" >"$T_DIR/again$i.log" 2>&1 & pids+=($!)
done
pr=()
"$BLD" rmi conc1 conc2 >"$T_DIR/rmi.log" 2>&1 & pr+=($!)
"$BLD" builder prune -af >"$T_DIR/prune4.log" 2>&1 & pr+=($!)
"$BLD" system prune -f >"$T_DIR/prune5.log" 2>&1 & pr+=($!)
wait_all "${pids[@]}"
bad=$BAD
wait_all "${pr[@]}"
t_eq "no build fails because of rmi or a prune" "0" "$bad"
[ "$bad" = 0 ] || tail -n 5 "$T_DIR"/again*.log
for ((i = 1; i <= N; i++)); do
  c=$(( i % 2 + 1 ))
  t_eq "again$i runs its own layers" "ctx$c" "$("$BLD" run --rm --pull never "again$i" 2>&1)"
done
t_ok "system check is clean at the end" "$BLD" system check
