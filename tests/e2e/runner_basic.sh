#!/usr/bin/env bash
# bld run on busybox: output, docker's exit codes, -e/--env-file/-w/-u/-h, --entrypoint,
# bind and named volumes, --read-only, --tmpfs, --init, create/start -a, wait, ps, rm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

t_eq "echo" "hello" "$(B run --rm $IMG echo hello)"
t_exit "exit 0" 0 B run --rm $IMG true
t_exit "exit 3" 3 B run --rm $IMG sh -c 'exit 3'
# docker run --rm returns once the container is removed: no container, anonymous volume,
# interface, cgroup or mount of it is left when bld returns (its monitor may still delete the
# directory it retired, which no command sees)
B run --rm --cidfile "$T_DIR/rm.cid" -v /anon $IMG true
cid=$(cat "$T_DIR/rm.cid")
t_eq "run --rm returns once the container is gone, its anonymous volume too" "||" \
  "$(B ps -aq)|$(B volume ls -q)|$(runner_leftovers_now | grep -v '^process '
    find /sys/fs/cgroup -maxdepth 6 -type d -name "bld-${cid:0:12}")"
t_exit "bld's own failure is 125" 125 B run --rm --memory nonsense $IMG true
t_exit "not executable is 126" 126 B run --rm $IMG /etc/passwd
t_exit "not found is 127" 127 B run --rm $IMG nosuchcommand
err=$(B run --rm $IMG nosuchcommand 2>&1)
t_match "127 says why" 'executable file not found in \$PATH' "$err"
t_eq "--rm removed them all" "" "$(B ps -aq)"

t_eq "-i passes stdin" "piped-in" "$(echo piped-in | B run --rm -i $IMG cat)"
t_eq "without -i stdin is empty" "after" "$(echo ignored | B run --rm $IMG sh -c 'cat; echo after')"
t_eq "-e" "v1 v2" "$(B run --rm -e A=v1 -e B=v2 $IMG sh -c 'echo $A $B')"
printf 'C=from-file\n# comment\n\nD=d\n' >"$T_DIR/envf"
t_eq "--env-file" "from-file d" "$(B run --rm --env-file "$T_DIR/envf" $IMG sh -c 'echo $C $D')"
t_eq "default PATH" "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$(B run --rm $IMG sh -c 'echo $PATH')"
t_eq "-w (created when missing)" "/work/dir" "$(B run --rm -w /work/dir $IMG pwd)"
if t_root_only single "-u name, -u uid:gid"; then
  t_match "-u refused rootless without subordinate ids, saying why" \
    '^bld: user 1000:1000: rootless without subordinate ids maps only the user .*/etc/subuid' \
    "$(B run --rm -u app $IMG id 2>&1)"
else
  t_eq "-u name" "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)" "$(B run --rm -u app $IMG id)"
  t_eq "-u uid:gid" "uid=1234 gid=4321 groups=4321" "$(B run --rm -u 1234:4321 $IMG id)"
  t_eq "-u name: HOME from passwd" "/home/app" "$(B run --rm -u app $IMG sh -c 'echo $HOME')"
fi
t_exit "-u unknown name is 125" 125 B run --rm -u nosuchuser $IMG true
t_eq "-h" "myhost myhost" "$(B run --rm -h myhost $IMG sh -c 'echo $(hostname) $(cat /etc/hostname)')"
t_eq "--entrypoint" "x y" "$(B run --rm --entrypoint echo $IMG x y)"

mkdir -p "$T_DIR/bind" && echo from-host >"$T_DIR/bind/f" && t_own "$T_DIR/bind"
t_eq "bind mount reads" "from-host" "$(B run --rm -v "$T_DIR/bind:/data" $IMG cat /data/f)"
B run --rm -v "$T_DIR/bind:/data" $IMG sh -c 'echo from-ctr >/data/g'
t_eq "bind mount writes reach the host" "from-ctr" "$(cat "$T_DIR/bind/g" 2>&1)"
t_exit "bind :ro refuses writes" 1 B run --rm -v "$T_DIR/bind:/data:ro" $IMG sh -c 'echo x >/data/h'
B run --rm -v vol1:/v $IMG sh -c 'echo kept >/v/file'
t_eq "named volume keeps data" "kept" "$(B run --rm -v vol1:/v $IMG cat /v/file)"
t_match "volume ls" "vol1" "$(B volume ls)"
t_match "volume inspect" '"Mountpoint": ".*/volumes/vol1/_data"' "$(B volume inspect vol1)"
t_ok "volume rm" B volume rm vol1
t_exit "volume gone" 1 B volume rm vol1
# docker 20.10: `[]` on stdout, "Error: No such volume: vol1" on stderr, exit 1
t_exit "volume inspect of a missing volume exits 1, as docker's" 1 B volume inspect vol1
t_eq "... printing what it found (nothing)" "[]" "$(B volume inspect vol1 2>/dev/null)"
t_eq "... and one line for the missing one" "bld: No such volume: vol1" \
  "$(B volume inspect vol1 2>&1 >/dev/null)"

t_exit "--read-only refuses writes" 1 B run --rm --read-only $IMG touch /x
t_ok "--read-only still has writable /dev/shm" B run --rm --read-only $IMG touch /dev/shm/x
t_eq "--tmpfs" "tmpfs" "$(B run --rm --read-only --tmpfs /scratch $IMG sh -c 'touch /scratch/x && stat -f -c %T /scratch')"
t_own "$ROOTFS"
t_eq "--rootfs runs a directory; writes stay in the container" "x" \
  "$(B run --rm --rootfs "$ROOTFS" sh -c 'echo x >/tmp/written && cat /tmp/written')$(ls "$ROOTFS/tmp")"
t_eq "without overlayfs: a copied root" "copied /bin/sh" "$(BLD_NO_OVERLAY=1 B run --rm $IMG sh -c 'echo copied >/c; echo $(cat /c) $(which sh)')"
t_match "inspect shows the image's config merged" '"Env": \[' "$(B create --name insp -e K=V $IMG true >/dev/null; B inspect insp)"
t_eq "inspect --format" 'created ["K=V"]' "$(B inspect --format '{{.State.Status}} {{json .Config.Env}}' insp)"
B rm insp >/dev/null

t_eq "--init runs the command under an init" "1 init-child" "$(B run --rm --init $IMG sh -c 'echo $(cut -d" " -f1 /proc/1/stat) init-$( [ $$ -ne 1 ] && echo child)')"

id=$(B create --name c1 $IMG sh -c 'echo created-out; exit 5')
t_match "create prints the id" '^[0-9a-f]{64}$' "$id"
t_eq "created state" "created" "$(B ps -a --filter name=c1 --format '{{.State}}')"
t_eq "start -a returns the exit code and output" "created-out 5" "$(out=$(B start -a c1); echo "$out $?")"
t_eq "wait" "5" "$(B wait c1)"
t_eq "ps --filter exited=5" "c1" "$(B ps -a --filter exited=5 --format '{{.Names}}')"
t_eq "ps -q -l" "${id:0:12}" "$(B ps -q -l)"
t_exit "name conflict is 1, as docker create's" 1 B create --name c1 $IMG true
t_ok "rm" B rm c1
# a start right after a wait begins a new run: the exited run's monitor, still taking it down,
# must not answer as if it were running (the start then did nothing)
B create --name c2 -v runs:/v $IMG sh -c 'echo x >>/v/n' >/dev/null
B start c2 >/dev/null
for i in $(seq 20); do B wait c2 >/dev/null && B start c2 >/dev/null; done
B wait c2 >/dev/null
t_eq "wait then start, 20 times: 21 runs" "21" "$(B run --rm -v runs:/v $IMG sh -c 'wc -l </v/n')"
B rm c2 >/dev/null && B volume rm runs >/dev/null
t_eq "nothing left" "" "$(runner_leftovers)"
