#!/usr/bin/env bash
# bld export and bld rename as docker's: export of created, exited and running containers
# (the image's files and the container's changes, deletions included; never what is mounted
# into it: bind mounts, named volumes, tmpfs, /proc), symlinks as entries only, -o written
# atomically, the terminal refusal, docker's messages and exit codes; rename of stopped and
# running containers (ps, inspect, lookups by the new name; the old one gone), its refusals
# (conflict, bad name, same name, empty, unknown), and two renames racing for one name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

# An image with a symlink that tries to leave the container, and a file the container deletes.
R=$T_DIR/exroot
cp -a "$ROOTFS" "$R"
mkdir -p "$T_DIR/hostsecret"
echo host-secret >"$T_DIR/hostsecret/secret"
ln -s "$T_DIR/hostsecret" "$R/hostlink"
ln -s / "$R/rootlink"
echo doomed >"$R/etc/doomed"
tar -C "$R" --numeric-owner -cf "$T_DIR/ex.tar" .
XIMG=runner-test/exportimg:latest
B import "$T_DIR/ex.tar" "$XIMG" >/dev/null || { echo "not ok - import"; exit 1; }

mkdir -p "$T_DIR/bind" "$T_DIR/out"
echo from-host >"$T_DIR/bind/hostfile"
list() { tar -tf "$1" 2>&1 | sed 's,/$,,' | sort; }
has() { grep -qxF -- "$2" <<<"$1" && echo yes || echo no; }

# ---------------------------------------------------------------- export: an exited container
B run --name ex -v "$T_DIR/bind:/data" -v exvol:/vol $XIMG \
  sh -c 'echo made >/made.txt; echo in-bind >/data/from-ctr; echo in-vol >/vol/v; rm /etc/doomed' \
  >/dev/null
B export ex >"$T_DIR/ex-out.tar"
t_eq "export of an exited container exits 0" 0 $?
L=$(list "$T_DIR/ex-out.tar")
t_eq "... has the file the container wrote" "yes made" "$(has "$L" made.txt) $(tar -xOf "$T_DIR/ex-out.tar" made.txt)"
t_eq "... has the image's files" "yes yes" "$(has "$L" bin/busybox) $(has "$L" etc/passwd)"
t_eq "... not a file the container deleted" "no" "$(has "$L" etc/doomed)"
t_eq "... not the bind mount's contents" "no no" "$(has "$L" data/hostfile) $(has "$L" data/from-ctr)"
t_eq "... not the named volume's contents" "no" "$(has "$L" vol/v)"
t_eq "... names as docker's: relative, no ./ and no root entry" "" \
  "$(grep -E '^(\./|/|\.$)' <<<"$L")"
t_match "... symlinks are entries" "bin/sh -> busybox" "$(tar -tvf "$T_DIR/ex-out.tar")"
t_eq "... a symlink to a host path is not followed" "yes no no" \
  "$(has "$L" hostlink) $(has "$L" hostlink/secret) $(grep -c host-secret "$T_DIR/ex-out.tar" | sed 's/^0$/no/')"
t_eq "... nor one to /" "no" "$(grep -q '^rootlink/' <<<"$L" && echo yes || echo no)"
t_eq "... numeric owners kept" "0/0" "$(tar -tvf "$T_DIR/ex-out.tar" --numeric-owner etc/passwd | awk '{print $2}')"
t_eq "the bind mount itself is untouched" "from-host" "$(cat "$T_DIR/bind/hostfile")"
t_eq "nothing of the export stays mounted" "" "$(grep " $BLD_ROOT/" /proc/mounts)"

# ---------------------------------------------------------------- -o / --output
t_ok "-o FILE" B export -o "$T_DIR/out/o.tar" ex
t_eq "... tar can list it" "yes" "$(has "$(list "$T_DIR/out/o.tar")" made.txt)"
t_eq "... the same tar as on stdout" "$(sha256sum <"$T_DIR/ex-out.tar")" "$(sha256sum <"$T_DIR/out/o.tar")"
t_eq "... mode 600, as docker's" "600" "$(stat -c %a "$T_DIR/out/o.tar")"
t_ok "--output=FILE, as container export" B container export --output="$T_DIR/out/o2.tar" ex
t_eq "... the same tar" "$(sha256sum <"$T_DIR/out/o.tar")" "$(sha256sum <"$T_DIR/out/o2.tar")"
echo old >"$T_DIR/out/keep.tar"
t_exit "-o with an unknown container fails (1)" 1 B export -o "$T_DIR/out/keep.tar" nosuch
t_eq "... leaves the old file and no temporary one" "keep.tar o.tar o2.tar old" \
  "$(cd "$T_DIR/out" && echo $(ls -A) "$(cat keep.tar)")"
t_exit "-o into a missing directory fails (1)" 1 B export -o "$T_DIR/nodir/x.tar" ex
t_eq "... docker's message" "bld: failed to export container: invalid output path: directory \"$T_DIR/nodir\" does not exist" \
  "$(B export -o "$T_DIR/nodir/x.tar" ex 2>&1)"

# ---------------------------------------------------------------- refusals
out=$(script -qec "nsenter --net=/run/netns/$NS $BLD export ex" /dev/null </dev/null)
rc=$?
t_eq "stdout a terminal: refused (1)" 1 "$rc"
t_eq "... docker's message, nothing else" "bld: cowardly refusing to save to a terminal. Use the -o flag or redirect" \
  "$(tr -d '\r' <<<"$out")"
t_ok "... -o still writes with a terminal" script -qec "nsenter --net=/run/netns/$NS $BLD export -o $T_DIR/out/tty.tar ex" /dev/null
t_eq "... a tar" "yes" "$(has "$(list "$T_DIR/out/tty.tar")" made.txt)"
t_exit "unknown container (1)" 1 B export nosuch
t_eq "... one line, docker's wording" "bld: No such container: nosuch" "$(B export nosuch 2>&1 >/dev/null)"
t_match "export --help" "Usage:  bld export \[OPTIONS\] CONTAINER" "$(B export --help)"
t_match "... -o, --output" "-o, --output string" "$(B export --help)"

# ---------------------------------------------------------------- created and running
B create --name fresh $XIMG true >/dev/null
L=$(B export fresh | tar -t | sed 's,/$,,')
t_eq "export of a created container: the image's files" "yes yes" \
  "$(has "$L" bin/busybox) $(has "$L" etc/doomed)"
B run -d --name live -v "$T_DIR/bind:/data" --tmpfs /scratch $XIMG \
  sh -c 'echo live >/live.txt; echo t >/scratch/t; touch /ready; sleep 300' >/dev/null
for _ in $(seq 100); do B exec live test -e /ready 2>/dev/null && break; sleep 0.1; done
B export live >"$T_DIR/live.tar"
t_eq "export of a running container exits 0" 0 $?
L=$(list "$T_DIR/live.tar")
t_eq "... has what it wrote and the image's files" "yes yes" "$(has "$L" live.txt) $(has "$L" bin/busybox)"
t_eq "... not the bind mount, the tmpfs or /proc's files" "no no no no" \
  "$(has "$L" data/hostfile) $(has "$L" scratch/t) $(has "$L" proc/1) $(has "$L" proc/self)"
t_eq "... the container still runs" "running" "$(B inspect --format '{{.State.Status}}' live)"
BLD_NO_OVERLAY=1 B run -d --name nov -v "$T_DIR/bind:/data" $XIMG \
  sh -c 'echo copied >/nov.txt; touch /ready; sleep 300' >/dev/null
for _ in $(seq 100); do B exec nov test -e /ready 2>/dev/null && break; sleep 0.1; done
L=$(B export nov | tar -t | sed 's,/$,,')
t_eq "export of a running container on a copied root (no overlayfs), without its mounts" \
  "yes yes no" "$(has "$L" nov.txt) $(has "$L" bin/busybox) $(has "$L" data/hostfile)"
B rm -f nov >/dev/null

# ---------------------------------------------------------------- rename
id=$(B create --name r1 $IMG true)
t_ok "rename" B rename r1 r2
t_eq "... inspect shows the new name" "/r2" "$(B inspect --format '{{.Name}}' r2)"
t_eq "... by id too" "/r2" "$(B inspect --format '{{.Name}}' "${id:0:12}")"
t_exit "... the old name is gone" 1 B inspect --type container r1
t_eq "... ps shows it" "r2" "$(B ps -a --filter id="$id" --format '{{.Names}}')"
t_eq "... and no r1" "" "$(B ps -a --format '{{.Names}}' | grep -x r1)"
t_ok "rename with a leading /, as container rename" B container rename r2 /r3
t_eq "... the name" "/r3" "$(B inspect --format '{{.Name}}' "$id")"
t_ok "rename a running container" B rename live live2
t_eq "... ps shows it running under the new name" "live2 running" \
  "$(B ps --filter id="$(B inspect --format '{{.Id}}' live2)" --format '{{.Names}} {{.State}}')"
t_eq "... exec by the new name" "live" "$(B exec live2 cat /live.txt)"
t_exit "... the old name is gone" 1 B inspect --type container live
t_ok "... stop by the new name" B stop -t 1 live2
t_eq "... inspect after the stop" "/live2 exited" "$(B inspect --format '{{.Name}} {{.State.Status}}' live2)"

fid=$(B inspect --format '{{.Id}}' fresh)
t_exit "conflict (1)" 1 B rename r3 fresh
t_eq "... docker's message" "bld: Error when allocating new name: Conflict. The container name \"/fresh\" is already in use by container \"$fid\". You have to remove (or rename) that container to be able to reuse that name." \
  "$(B rename r3 fresh 2>&1)"
t_exit "same name (1)" 1 B rename r3 r3
t_eq "... docker's message" "bld: Renaming a container with the same name as its current name" "$(B rename r3 r3 2>&1)"
t_exit "bad name (1)" 1 B rename r3 'bad name'
t_eq "... docker's message" "bld: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" \
  "$(B rename r3 'bad name' 2>&1)"
t_exit "a one-character name (1)" 1 B rename r3 x
t_exit "a name starting with - (1)" 1 B rename r3 -- -x
t_exit "a name starting with _ (1)" 1 B rename r3 _x
t_exit "an empty name (1)" 1 B rename r3 ' '
t_exit "unknown container (1)" 1 B rename nosuch whatever
t_eq "... docker's message" "bld: No such container: nosuch" "$(B rename nosuch whatever 2>&1)"
t_eq "refusals changed nothing" "/r3" "$(B inspect --format '{{.Name}}' "$id")"
t_match "rename --help" "Usage:  bld rename CONTAINER NEW_NAME" "$(B rename --help)"

# two renames racing for one name: exactly one wins, every time
for i in 1 2 3; do
  B create --name ra$i $IMG true >/dev/null
  B create --name rb$i $IMG true >/dev/null
  B rename ra$i won$i 2>/dev/null & p1=$!
  B rename rb$i won$i 2>/dev/null & p2=$!
  wait $p1; r1=$?
  wait $p2; r2=$?
  t_eq "race $i: one rename wins, one is refused" "0 1" "$(echo $r1 $r2 | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
  t_eq "race $i: the name is held once" "1" "$(B ps -a --format '{{.Names}}' | grep -cx won$i)"
done

B rm -f live2 >/dev/null 2>&1
B volume rm exvol >/dev/null 2>&1
t_eq "nothing of bld left behind" "" "$(runner_leftovers)"
