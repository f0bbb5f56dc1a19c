#!/usr/bin/env bash
# bld cp as docker cp: every row of docker's path table both ways (a file, a directory, a
# directory's "/." contents; a destination missing, a file, a directory, ending in "/"),
# created, running and exited containers, "-" for a tar on stdout and stdin, ownership (0:0
# in, the caller's out, -a keeps the source's), -L, --read-only, the error messages and exit
# codes, and the escapes that must fail: container symlinks to "/", "../../..", or a host
# path, symlinks swapped in by a running container, and tars with "../" entries or entries
# through a symlink — none may read or write the host's files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

# An image with something to copy: /app owned by 1000:2000, symlinks that try to leave.
R=$T_DIR/cproot
cp -a "$ROOTFS" "$R"
mkdir -p "$R/app/out/sub" "$R/app/dir"
echo alpha >"$R/app/out/a.txt"
echo beta >"$R/app/out/sub/b.txt"
echo file >"$R/app/file"
ln -s file "$R/app/link"
echo file2 >"$R/app/file2"
ln -s file2 "$R/app/link2"
mkdir "$R/app/hl"
echo linked >"$R/app/hl/x"
ln "$R/app/hl/x" "$R/app/hl/y"
chmod 0640 "$R/app/out/a.txt"
touch -d '2001-02-03 04:05:06' "$R/app/out/a.txt"
chown -R 1000:2000 "$R/app"
mkdir -p "$T_DIR/hostsecret"
echo host-secret >"$T_DIR/hostsecret/secret"
ln -s ../../../../../../etc "$R/esc"
ln -s / "$R/rootlink"
ln -s "$T_DIR/hostsecret" "$R/hostlink"
tar -C "$R" --numeric-owner -cf "$T_DIR/cp.tar" .
CIMG=runner-test/cpimg:latest
B import "$T_DIR/cp.tar" "$CIMG" >/dev/null || { echo "not ok - import"; exit 1; }
CPW=bld-cp-escape-$$
at_exit "rm -f /etc/$CPW /tmp/$CPW /tmp/$CPW-2"

D=$T_DIR/d
mkdir -p "$D"
B create --name st $CIMG sleep 300 >/dev/null

# ---------------------------------------------------------------- out of a created container
t_ok "file to a new name" B cp st:/app/file "$D/new"
t_eq "... its content" "file" "$(cat "$D/new")"
t_exit "file to a missing DEST/ is an error (1)" 1 B cp st:/app/file "$D/missing/"
t_eq "... docker's message" "bld: no such directory" "$(B cp st:/app/file "$D/missing/" 2>&1)"
echo old >"$D/existing"
B cp st:/app/file "$D/existing"
t_eq "file onto a file overwrites it" "file" "$(cat "$D/existing")"
mkdir "$D/into"
B cp st:app/file "$D/into"
t_eq "file into a directory (relative SRC_PATH)" "file" "$(cat "$D/into/file")"
B cp st:/app/out "$D/newdir"
t_eq "directory to a new name" "alpha beta" "$(cat "$D/newdir/a.txt" "$D/newdir/sub/b.txt" | tr '\n' ' ' | sed 's/ $//')"
t_exit "directory onto a file is an error (1)" 1 B cp st:/app/out "$D/existing"
t_eq "... docker's message" "bld: cannot copy directory" "$(B cp st:/app/out "$D/existing" 2>&1)"
mkdir "$D/dir2" "$D/dir3"
B cp st:/app/out "$D/dir2"
t_eq "directory into a directory" "alpha" "$(cat "$D/dir2/out/a.txt")"
B cp st:/app/out/. "$D/dir3"
t_eq "directory/. copies its contents" "a.txt sub" "$(cd "$D/dir3" && echo *)"
t_eq "owner is the caller's, mode and mtime kept" "0:0 640 2001-02-03" \
  "$(stat -c '%u:%g %a' "$D/newdir/a.txt") $(date -r "$D/newdir/a.txt" +%F)"
B cp -a st:/app/out "$D/arch"
t_eq "-a keeps uid/gid" "1000:2000 1000:2000" "$(stat -c %u:%g "$D/arch" "$D/arch/sub/b.txt" | tr '\n' ' ' | sed 's/ $//')"
B cp st:/app/link "$D/link"
t_eq "a symlink is copied as a symlink" "file" "$(readlink "$D/link")"
B cp -L st:/app/link "$D/linkL"
t_eq "-L copies its target" "file" "$(cat "$D/linkL")"
B cp st:/app/hl "$D/hl"
t_eq "hard links stay hard links" "2 $(stat -c %i "$D/hl/x")" "$(stat -c '%h %i' "$D/hl/y")"
t_match "... also in a tar" 'hl/y link to hl/x' "$(B cp st:/app/hl - | tar -tv)"
echo old >"$D/target"
ln -s target "$D/dlink"
B cp st:/app/file "$D/dlink"
t_eq "a file onto a symlink DEST_PATH overwrites its target" "file link" \
  "$(cat "$D/target") $([ -L "$D/dlink" ] && echo link)"
t_exit "missing SRC_PATH (1)" 1 B cp st:/nope "$D/x"
t_eq "... docker's message" "bld: Could not find the file /nope in container st" "$(B cp st:/nope "$D/x" 2>&1)"
t_exit "missing container (1)" 1 B cp nosuch:/app "$D/x"
t_eq "... docker's message" "bld: No such container: nosuch" "$(B cp nosuch:/app "$D/x" 2>&1)"
t_exit "missing parent of DEST_PATH (1)" 1 B cp st:/app/file "$D/no/such"
t_eq "the alias container cp" "file" "$(B container cp st:/app/file - | tar -xO)"
B cp st:/app/out - >"$D/out.tar"
t_eq "- writes a tar of SRC_PATH" "out/ out/a.txt out/sub/ out/sub/b.txt" "$(tar -tf "$D/out.tar" | sort | tr '\n' ' ' | sed 's/ $//')"
t_eq "... with the container's owners" "1000/2000" "$(tar -tvf "$D/out.tar" --numeric-owner | awk '$6 == "out/a.txt" {print $2}')"
t_eq "- of /. : the contents" "./a.txt" "$(B cp st:/app/out/. - | tar -t | grep a.txt)"

# ------------------------------------------------ escapes out of a container (never the host's)
cpasswd=$(cat "$R/etc/passwd")
t_eq "a ../../.. symlink resolves in the container" "$cpasswd" "$(B cp st:/esc/passwd - | tar -xO)"
t_eq "a symlink to / resolves in the container" "$cpasswd" "$(B cp st:/rootlink/etc/passwd - | tar -xO)"
B cp st:/rootlink/etc/. "$D/rl"
t_eq "... also for a directory's contents" "$cpasswd" "$(cat "$D/rl/passwd")"
t_exit "a symlink to a host path finds nothing (1)" 1 B cp st:/hostlink/secret "$D/hs"
t_exit "... nor with -L" 1 B cp -L st:/hostlink "$D/hs"
t_eq "... and nothing was copied" "" "$(ls -A "$D" | grep '^hs')"

# ------------------------------------------------------------------ into a stopped container
H=$T_DIR/h
mkdir -p "$H/tree/sub"
echo one >"$H/one"
echo two >"$H/tree/two"
echo three >"$H/tree/sub/three"
chown -R 1234:5678 "$H"
chmod 0604 "$H/one"
ln -s one "$H/hlink"
echo capped >"$H/capped"
setcap cap_net_raw+ep "$H/capped"
B cp "$H/one" st:/app/newname
B cp "$H/one" st:/app/dir
B cp "$H/one" st:/app/file
t_exit "file to a missing DEST/ (1)" 1 B cp "$H/one" st:/app/nodir/
t_eq "... docker's message" "bld: no such directory" "$(B cp "$H/one" st:/app/nodir/ 2>&1)"
B cp "$H/tree" st:/app/newtree
B cp "$H/tree" st:/app/dir
B cp "$H/tree/." st:/app/out
t_exit "directory onto a file (1)" 1 B cp "$H/tree" st:/app/file
t_exit "missing parent in the container (1)" 1 B cp "$H/one" st:/nonexist/x
t_eq "... docker's message" "bld: Could not find the file /nonexist in container st" "$(B cp "$H/one" st:/nonexist/x 2>&1)"
t_exit "missing host SRC_PATH (1)" 1 B cp "$H/nope" st:/app
B cp -a "$H/tree" st:/app/kept
B cp "$H/hlink" st:/app/
B cp -L "$H/hlink" st:/app/hlinkL
B cp "$H/one" st:/app/link2
B cp "$H/capped" st:/app/capped
tar -C "$H/tree" -cf - . | B cp - st:/app/dir
t_exit "- needs a directory DEST_PATH (1)" 1 B cp - st:/app/file </dev/null
t_eq "... docker's message" 'bld: destination "st:/app/file" must be a directory' "$(B cp - st:/app/file </dev/null 2>&1)"

# tars that try to leave DEST_PATH
python3 - "$T_DIR/evil.tar" "$CPW" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    def add(name, data=b"evil\n"):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    add("ok.txt", b"ok\n")
    add("../evil.txt")
    add("../../../../../../../../tmp/" + sys.argv[2])
PY
python3 - "$T_DIR/evil2.tar" "$CPW" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("up"); i.type = tarfile.SYMTYPE; i.linkname = "/"; t.addfile(i)
    i = tarfile.TarInfo("up/tmp/" + sys.argv[2] + "-2"); i.size = 5; t.addfile(i, io.BytesIO(b"evil\n"))
PY
B cp - st:/app/dir <"$T_DIR/evil.tar" >"$T_DIR/evil.out" 2>&1
t_eq "a tar with ../ entries fails (1)" "1" "$?"
t_match "... docker's message" '"\.\./evil\.txt" is outside of "/app/dir"' "$(cat "$T_DIR/evil.out")"
t_exit "a tar writing through its own symlink fails (1)" 1 B cp - st:/app/dir <"$T_DIR/evil2.tar"
t_eq "... nothing reached the host" "" "$(ls /tmp/$CPW /tmp/$CPW-2 2>/dev/null)"
python3 - "$T_DIR/links.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("orig"); i.size = 5; t.addfile(i, io.BytesIO(b"orig\n"))
    i = tarfile.TarInfo("hard"); i.type = tarfile.LNKTYPE; i.linkname = "orig"; t.addfile(i)
    i = tarfile.TarInfo("out"); i.type = tarfile.LNKTYPE; i.linkname = "../../../etc/passwd"; t.addfile(i)
PY
B cp - st:/app/dir <"$T_DIR/links.tar" >"$T_DIR/links.out" 2>&1
t_eq "a tar's hard link out of DEST_PATH fails (1)" "1" "$?"
t_match "... docker's message" 'invalid hardlink "out" -> "\.\./\.\./\.\./etc/passwd"' "$(cat "$T_DIR/links.out")"
B cp "$H/one" "st:/esc/$CPW"
t_eq "a file through a ../../.. symlink stays in the container" "" "$(ls /etc/$CPW 2>/dev/null)"
t_exit "a symlink to a host directory is no way in (1)" 1 B cp "$H/one" st:/hostlink/
t_eq "... the host directory is untouched" "secret" "$(ls "$T_DIR/hostsecret")"

# ------------------------------------ a running container sees what was copied while stopped
B start st >/dev/null
t_eq "files copied while stopped show at start" "one one one two three one" \
  "$(B exec st sh -c 'cat /app/newname /app/dir/one /app/file /app/newtree/two /app/newtree/sub/three /app/dir/one' | tr '\n' ' ' | sed 's/ $//')"
t_eq "directory/. into an existing one" "alpha two three" \
  "$(B exec st sh -c 'cat /app/out/a.txt /app/out/two /app/out/sub/three' | tr '\n' ' ' | sed 's/ $//')"
t_eq "into the container: 0:0, the mode kept" "0:0 604" "$(B exec st stat -c '%u:%g %a' /app/newname)"
t_eq "-a keeps the host's uid/gid" "1234:5678 1234:5678" "$(B exec st stat -c %u:%g /app/kept /app/kept/sub/three | tr '\n' ' ' | sed 's/ $//')"
t_eq "a host symlink goes in as a symlink, with -L as its target" "one one" \
  "$(B exec st sh -c 'echo $(readlink /app/hlink) $(cat /app/hlinkL)')"
t_eq "a file onto a symlink in the container overwrites its target" "one file2" \
  "$(B exec st sh -c 'echo $(cat /app/file2) $(readlink /app/link2)')"
t_eq "- extracts a tar from stdin" "two three" "$(B exec st sh -c 'cat /app/dir/two /app/dir/sub/three' | tr '\n' ' ' | sed 's/ $//')"
t_eq "the tar's good entry before the bad one landed, nothing else" "ok.txt" "$(B exec st sh -c 'ls /app/dir | grep -e ok -e evil; ls /app | grep evil')"
t_eq "the file through ../../.. is the container's /etc" "one" "$(B exec st cat /etc/$CPW)"
t_eq "a tar's hard link inside DEST_PATH is one" "2 orig" "$(B exec st sh -c 'echo $(stat -c %h /app/dir/hard) $(cat /app/dir/hard); ls /app/dir/out 2>/dev/null')"
t_eq "the tar's symlink is there, nothing through it" "/" "$(B exec st sh -c "readlink /app/dir/up; ls /tmp/$CPW-2 2>/dev/null")"

# ------------------------------------------------------------------- a running container
B exec st sh -c 'echo run >/tmp/r; ln -s / /tmp/up; ln -s ../../../../../../.. /tmp/up2; mkdir /tmp/d'
t_eq "out of a running container" "run" "$(B cp st:/tmp/r - | tar -xO)"
B cp st:/tmp/r "$D/r"
t_eq "... to a host path" "run" "$(cat "$D/r")"
B cp "$H/one" st:/tmp/in
t_eq "into a running container" "one 0:0" "$(B exec st sh -c 'cat /tmp/in; stat -c %u:%g /tmp/in' | tr '\n' ' ' | sed 's/ $//')"
tar -C "$H/tree" -cf - . | B cp - st:/tmp/d
t_eq "- into a running container" "three" "$(B exec st cat /tmp/d/sub/three)"
t_eq "a symlink to / made at run time resolves in the container" "$cpasswd" \
  "$(B cp st:/tmp/up/etc/passwd - | tar -xO)"
t_eq "... and one to ../../.." "$cpasswd" "$(B cp st:/tmp/up2/etc/passwd - | tar -xO)"
B cp "$H/one" "st:/tmp/up2/tmp/$CPW"
t_eq "... also for writes" "one" "$(B exec st cat /tmp/$CPW)$(ls /tmp/$CPW 2>/dev/null)"
TB() { timeout 20 nsenter --net="/run/netns/$NS" "$BLD" "$@"; } # reading /proc/kmsg never ends
t_exit "a file of /proc is not copied (1)" 1 TB cp st:/proc/kmsg "$D/kmsg"
t_eq "/proc itself is an empty directory, as in the image" "proc/" "$(TB cp st:/proc - | tar -t)"
tar --xattrs --xattrs-include=security.capability -C "$H" -cf - capped | B cp - st:/tmp
B cp st:/tmp/capped "$D/capped2"
t_match "... also from a tar on stdin" 'cap_net_raw[=+]ep' "$(getcap "$D/capped2")"
B cp st:/app/capped "$D/capped"
t_match "file capabilities travel in and out" 'cap_net_raw[=+]ep' "$(getcap "$D/capped")"
t_match "... and in a tar" 'security.capability' "$(B cp st:/app/capped - | python3 -c '
import sys, tarfile
t = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
for m in t: print(" ".join(m.pax_headers))')"
B cp st:/app/out "$D/runout"
t_eq "a directory out of a running container" "alpha" "$(cat "$D/runout/a.txt")"

# ----------------------------------------------------------------------- an exited container
B stop -t 0 st >/dev/null
B cp "$H/one" st:/tmp/after
t_eq "out of an exited container, with what it wrote" "run one" \
  "$( (B cp st:/tmp/r - | tar -xO; B cp st:/tmp/after - | tar -xO) | tr '\n' ' ' | sed 's/ $//')"

B create --rm --name eph $CIMG cat /tmp/in >/dev/null
B cp "$H/one" eph:/tmp/in
t_eq "a created --rm container starts with what was copied in" "one" "$(B start -a eph)"

BLD_NO_OVERLAY=1 B create --name copied $CIMG cat /tmp/in >/dev/null
BLD_NO_OVERLAY=1 B cp "$H/one" copied:/tmp/in
t_eq "without overlayfs too (the copied root)" "one" "$(BLD_NO_OVERLAY=1 B start -a copied)"

# ------------------------------------------------------------------------------ --read-only
mkdir -p "$T_DIR/vol" "$T_DIR/rovol"
B create --name ro --read-only -v "$T_DIR/vol:/data" -v "$T_DIR/rovol:/rodata:ro" $CIMG true >/dev/null
t_exit "--read-only refuses copies in (1)" 1 B cp "$H/one" ro:/tmp/
t_eq "... docker's message" "bld: container rootfs is marked read-only" "$(B cp "$H/one" ro:/tmp/ 2>&1)"
t_eq "... nor through a symlink" "1" "$(B cp "$H/one" ro:/rootlink/tmp/ >/dev/null 2>&1; echo $?)"
t_ok "a writable volume of it takes them" B cp "$H/one" ro:/data/
t_eq "... into the volume's directory" "one" "$(cat "$T_DIR/vol/one")"
t_eq "a read-only volume refuses them (1)" "bld: mounted volume is marked read-only" "$(B cp "$H/one" ro:/rodata/ 2>&1)"
t_eq "copies out of it work" "file" "$(B cp ro:/app/file - | tar -xO)"

# ------------------------------------------------------- progress, only on a terminal, not -q
tty_run() { # ARGS... — bld with stderr on a pty; prints what it wrote there
  python3 - "$NS" "$BLD" "$@" <<'PY'
import os, pty, sys
ns, bld, args = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("nsenter", ["nsenter", "--net=/run/netns/" + ns, bld] + args)
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
}
t_match "a terminal sees docker's last line" '^Successfully copied 2.05kB to .*/prog$' "$(tty_run cp st:/app/file "$D/prog")"
t_eq "-q keeps it quiet" "" "$(tty_run cp -q st:/app/file "$D/prog2")"
t_match "... also into the container" '^Successfully copied 2.05kB to st:/tmp/p$' "$(tty_run cp "$H/one" st:/tmp/p)"

# ------------------------------------------------------------------------------ usage errors
t_exit "between containers (1)" 1 B cp st:/a ro:/b
t_eq "... docker's message" "bld: copying between containers is not supported" "$(B cp st:/a ro:/b 2>&1)"
t_exit "no container (1)" 1 B cp "$H/one" "$D/x"
t_eq "... docker's message" "bld: must specify at least one container source" "$(B cp "$H/one" "$D/x" 2>&1)"
t_ok "a local path with a colon, made explicit with ./" sh -c "cd '$D' && echo c >'a:b' && '$BLD' cp ./a:b st:/tmp/"

B rm -f st ro copied >/dev/null
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
