#!/usr/bin/env bash
# tests/e2e/api_cli.sh — what Debian's docker 20.10 CLI does through `bld system service`
# beyond the lifecycle (api_containers.sh) and images (api_images.sh) scripts, each command's
# output and status compared with the same CLI's against a private dockerd for the same
# sequence: docker attach to a running container (stdin in, stdout and stderr apart, its exit
# status; two at once; with stdin, whose end ends it; refused when paused), the container resize endpoint
# (the tty takes the size), docker update (limits, restart policy, refusals), docker cp both ways (files, directories, -L, a tar on stdout,
# missing paths), diff, export, top, history, save | load (and dockerd loads what bld saved),
# login and push to a registry with basic auth (X-Registry-Auth; dockerd pulls what bld
# pushed), system df, container, volume and network prune, and stats (one-shot and streamed).
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_docker_pair
t_api_service
# both CMD...: the command's output and status through bld's socket (BO), then dockerd (DO),
# stderr apart (b.err, d.err); DKT: DK with a timeout
both() { BO=$(DK "$@" 2>"$T_DIR/b.err"; echo "rc=$?"); DO=$(D "$@" 2>"$T_DIR/d.err"; echo "rc=$?"); }
DKT() { DOCKER_HOST=unix://$API_SOCK timeout 20 /usr/bin/docker "$@"; }
api() { curl -s --unix-socket "$API_SOCK" "$@"; }
dapi() { curl -s --unix-socket "${DOCKER_HOST#unix://}" "$@"; }
# on both: a container NAME, detached, with the rest of the arguments
pair() { local n=$1; shift; DK run -d --name "$n" --network none "$@" >/dev/null && D run -d --name "$n" --network=none "$@" >/dev/null; }

# ------------------------------------------------------------------ attach, resize
# without stdin: the output from the attach on, stdout and stderr apart, and the exit status
pair at "$BASE" sh -c 'until [ -e /tmp/go ]; do sleep 0.1; done; echo out; echo err >&2; exit 5'
(DKT attach at >"$T_DIR/b.out" 2>"$T_DIR/b.err"; echo "rc=$?" >>"$T_DIR/b.out") &
bp=$!
(timeout 20 "$DOCKER" attach at >"$T_DIR/d.out" 2>"$T_DIR/d.err"; echo "rc=$?" >>"$T_DIR/d.out") &
dp=$!
sleep 1
DK exec at touch /tmp/go; D exec at touch /tmp/go
wait "$bp" "$dp"
t_eq "docker attach to a running container: its output and exit status, as dockerd" \
  "$(cat "$T_DIR/d.out")" "$(cat "$T_DIR/b.out")"
t_eq "... stderr apart, as dockerd" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
# two attaches at once: each gets the output and the exit status, as dockerd's (each client's
# stdout and stderr share a file, where their order is the client's: compared sorted)
pair at2 "$BASE" sh -c 'until [ -e /tmp/go ]; do sleep 0.1; done; echo out; echo err >&2; exit 5'
for n in 1 2; do
  (DKT attach at2 >"$T_DIR/b$n.out" 2>&1; echo "rc=$?" >>"$T_DIR/b$n.out") &
  eval "bp$n=\$!"
  (timeout 20 "$DOCKER" attach at2 >"$T_DIR/d$n.out" 2>&1; echo "rc=$?" >>"$T_DIR/d$n.out") &
  eval "dp$n=\$!"
done
sleep 1
DK exec at2 touch /tmp/go; D exec at2 touch /tmp/go
wait "$bp1" "$bp2" "$dp1" "$dp2"
t_eq "two docker attach at once: each gets the output and exit status, as with dockerd" \
  "$(sort "$T_DIR/d1.out") $(sort "$T_DIR/d2.out")" "$(sort "$T_DIR/b1.out") $(sort "$T_DIR/b2.out")"
# with stdin (-i): it reaches the container, and its end ends the attachment (docker's rule:
# the output after it is not relayed), the CLI then waiting for the exit status
pair ai -i "$BASE" sh -c 'read x; sleep 0.5; echo got $x; exit 7'
BO=$(echo hello | DKT attach ai 2>&1; echo "rc=$?")
DO=$(echo hello | timeout 20 "$DOCKER" attach ai 2>&1; echo "rc=$?")
t_eq "docker attach with stdin: its end ends the attachment, then the exit status, as dockerd" "$DO" "$BO"
t_eq "... what it sent reached the container" "got hello" "$(DK logs ai)"
pair pz "$BASE" sleep 60
DK pause pz >/dev/null; D pause pz >/dev/null
both attach pz
t_eq "docker attach to a paused container: refused, as dockerd" "$DO" "$BO"
t_eq "... in docker's words" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
DK rm -f pz at at2 ai >/dev/null; D rm -f pz at at2 ai >/dev/null

pair tt -it "$BASE" sh
api -X POST 'http://d/v1.41/containers/tt/resize?h=33&w=77'
dapi -X POST 'http://d/v1.41/containers/tt/resize?h=33&w=77'
both exec tt stty size -F /proc/1/fd/0
t_eq "POST /containers/ID/resize: the container's tty takes the size, as dockerd's" "$DO" "$BO"
both exec tt true
t_eq "... (the container runs on)" "$DO" "$BO"
DK rm -f tt >/dev/null; D rm -f tt >/dev/null

# ------------------------------------------------------------------ update
pair up --cpu-shares 256 "$BASE" sleep 60
both update --memory 64m --memory-swap 128m --cpu-shares 512 --pids-limit 50 --restart on-failure:3 up
t_eq "docker update of a running container, as dockerd" "$DO" "$BO"
f='{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy}}'
t_eq "... its host config, as dockerd's" "$(D inspect -f "$f" up)" "$(DK inspect -f "$f" up)"
# the limits in the container's cgroups, from the host (v1: one directory a controller)
cgl() {
  local d f out=
  for d in $(jq -r '.Cgroups[]' "$BLD_ROOT/containers/$(DK inspect -f '{{.Id}}' up)/state.json"); do
    for f in memory.limit_in_bytes memory.max pids.max cpu.shares cpu.weight; do
      [ -e "$d/$f" ] && out="$out $f=$(cat "$d/$f")"
    done
  done
  echo "${out# }"
}
t_match "... its cgroup limits at once" "memory.(limit_in_bytes|max)=67108864 .*pids.max=50 .*cpu.(shares=512|weight=20)" "$(cgl)"
both update --kernel-memory 8m up
t_eq "docker update of a field bld does not update: refused" "rc=1" "$(tail -1 <<<"$BO")"
t_match "... saying which" "KernelMemory is not supported" "$(cat "$T_DIR/b.err")"
pair ur --rm "$BASE" sleep 60
both update --restart always ur
t_eq "docker update --restart of an --rm container: refused, as dockerd" "$DO" "$BO"
t_eq "... in docker's words" "$(sed 's/[0-9a-f]\{64\}/ID/' "$T_DIR/d.err")" "$(sed 's/[0-9a-f]\{64\}/ID/' "$T_DIR/b.err")"
both update --memory 64m nosuch
t_eq "docker update of no such container, as dockerd" "$DO" "$BO"
t_eq "... in docker's words" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
# the restart policy given by update is the one the container's exit follows
pair rs "$BASE" sh -c 'until [ -e /tmp/go ]; do sleep 0.1; done; exit 3'
both update --restart on-failure:2 rs
DK exec rs touch /tmp/go; D exec rs touch /tmp/go
for _ in $(seq 1 100); do [ "$(DK inspect -f '{{.State.Status}} {{.RestartCount}}' rs)" = "exited 2" ] && break; sleep 0.1; done
for _ in $(seq 1 100); do [ "$(D inspect -f '{{.State.Status}} {{.RestartCount}}' rs)" = "exited 2" ] && break; sleep 0.1; done
t_eq "... the restart policy update set is followed at the exit, as dockerd's" \
  "$(D inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rs)" "$(DK inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rs)"
DK rm -f up ur rs >/dev/null; D rm -f up ur rs >/dev/null

# ------------------------------------------------------------------ cp, diff, export
pair cp "$BASE" sh -c 'mkdir -p /d/sub && echo one >/d/a && echo two >/d/sub/b && ln -s a /d/l && rm /etc/group && exec sleep 600'
for _ in $(seq 1 50); do DK exec cp test -e /d/l && D exec cp test -e /d/l && break; sleep 0.1; done
# tree DIR: every path below DIR with its type and, for files, contents
tree() { (cd "$1" && find . | sort | while read -r p; do printf '%s %s %s\n' "$p" "$(stat -c %F "$p")" "$([ -f "$p" ] && ! [ -L "$p" ] && cat "$p")"; done); }
BO=$(DK cp cp:/d "$T_DIR/bd" 2>&1; echo "rc=$?")
mv "$T_DIR/bd" "$T_DIR/bd.b"
D cp cp:/d "$T_DIR/bd" && mv "$T_DIR/bd" "$T_DIR/bd.d"
t_eq "docker cp CONTAINER:DIR HOSTPATH: the same tree as dockerd's" "$(tree "$T_DIR/bd.d")" "$(tree "$T_DIR/bd.b")"
t_eq "... its output and status" "rc=0" "$BO"
t_eq "docker cp CONTAINER:FILE - : a tar of the file, as dockerd's" \
  "$(D cp cp:/d/sub/b - | tar -tvf - | awk '{print $1, $3, $6}')" "$(DK cp cp:/d/sub/b - | tar -tvf - | awk '{print $1, $3, $6}')"
t_eq "docker cp -L CONTAINER:SYMLINK: the target's contents, as dockerd" \
  "$(D cp -L cp:/d/l - | tar -xOf -)" "$(DK cp -L cp:/d/l - | tar -xOf -)"
both cp cp:/nosuch "$T_DIR/x"
t_eq "docker cp of a path the container lacks: refused, as dockerd" "$DO" "$BO"
t_eq "... in docker's words" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
mkdir -p "$T_DIR/hd/in" && echo host >"$T_DIR/hd/in/f" && echo top >"$T_DIR/hf"
both cp "$T_DIR/hf" cp:/d/sub/
t_eq "docker cp HOSTFILE CONTAINER:DIR/, as dockerd" "$DO" "$BO"
both exec cp cat /d/sub/hf
t_eq "... the file is in the container" "$DO" "$BO"
both cp "$T_DIR/hd" cp:/new
t_eq "docker cp HOSTDIR CONTAINER:NEWPATH, as dockerd" "$DO" "$BO"
both exec cp sh -c 'cd /new && find . | sort && cat in/f && stat -c %u:%g in/f'
t_eq "... the tree lands under the new name, owned by root, as dockerd's" "$DO" "$BO"
both cp "$T_DIR/hf" cp:/nosuch/dir/
t_eq "docker cp into a directory the container lacks: refused, as dockerd" "$DO" "$BO"
t_eq "docker diff: the container's changes, as dockerd's" "$(D diff cp | sort)" "$(DK diff cp | sort)"
# (dockerd's has the mount points of its init layer too: dev/console, dev/pts, dev/shm)
t_eq "docker export: the container's files, as dockerd's" \
  "$(D export cp | tar -tf - | grep -E '^(d/|new/|etc/gr)' | sort)" "$(DK export cp | tar -tf - | grep -E '^(d/|new/|etc/gr)' | sort)"
topf() { awk 'NR == 1 { print; next } { print $1, $(NF-1), $NF }'; }
t_eq "docker top: ps -ef's titles and the container's process, as dockerd's" "$(D top cp | topf)" "$(DK top cp | topf)"
t_eq "docker top CONTAINER -o pid,comm: ps's options, as dockerd's" \
  "$(D top cp -o pid,comm | awk '{print $NF}')" "$(DK top cp -o pid,comm | awk '{print $NF}')"
DK rm -f cp >/dev/null; D rm -f cp >/dev/null

# ------------------------------------------------------------------ history, save, load
f='{{.ID}}|{{.CreatedBy}}|{{.Comment}}'
t_eq "docker history: the image's steps newest first, as dockerd's (IDs masked)" \
  "$(D history --format "$f" "$BASE" | sed -E 's/^[0-9a-f]{12}\|/ID|/')" "$(DK history --format "$f" "$BASE" | sed -E 's/^[0-9a-f]{12}\|/ID|/')"
for x in DK D; do $x tag "$BASE" sv:1 >/dev/null; done
DK save -o "$T_DIR/b.tar" sv:1 && D save -o "$T_DIR/d.tar" sv:1
both rmi sv:1
both load -i "$T_DIR/b.tar"
t_eq "docker save, rmi, then docker load of what bld saved: dockerd's lines on both" "$DO" "$BO"
t_eq "... the image is back, the same ID as dockerd's" "$(D images -q --no-trunc sv:1)" "$(DK images -q --no-trunc sv:1)"
BO=$(DK save sv:1 "$BASE" | DK load 2>&1; echo "rc=$?")
DO=$(D save sv:1 "$BASE" | D load 2>&1; echo "rc=$?")
t_eq "docker save IMAGE... | docker load, as dockerd" "$DO" "$BO"
both save nosuch:1
t_eq "docker save of no such image: refused, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"

# ------------------------------------------------------------------ login, push
"$TOP/tests/env/registry.sh" start "$T_DIR/areg" --auth basic >/dev/null || { t_fail "start registry"; exit 1; }
at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/areg'"
AREG=$(. "$T_DIR/areg/env"; echo "$REG_ADDR") AUSER=$(. "$T_DIR/areg/env"; echo "$REG_USER")
APASS=$(. "$T_DIR/areg/env"; echo "$REG_PASS")
BO=$(echo nope | DK login -u "$AUSER" --password-stdin "$AREG" 2>&1; echo "rc=$?")
t_match "docker login with a wrong password: refused by the registry, exit 1" \
  "Error response from daemon: .*(unauthorized|401).*rc=1" "$(tr '\n' ' ' <<<"$BO")"
BO=$(echo "$APASS" | DK login -u "$AUSER" --password-stdin "$AREG" 2>/dev/null; echo "rc=$?")
DO=$(echo "$APASS" | D login -u "$AUSER" --password-stdin "$AREG" 2>/dev/null; echo "rc=$?")
t_eq "docker login to the registry: succeeded, as dockerd" "$DO" "$BO"
DK tag "$BASE" "$AREG/t/bld:1" && D tag "$BASE" "$AREG/t/dockerd:1"
# (sizes masked: dockerd pushes busybox's manifest as Docker's v2 schema 2, bld as OCI's)
mask() { sed -E 's/sha256:[0-9a-f]{64}/sha256:H/g; s/\b[0-9a-f]{12}\b/ID/g; s#/t/(bld|dockerd)#/t/R#; s/size: [0-9]+/size: N/'; }
BO=$(DK push "$AREG/t/bld:1" 2>&1; echo "rc=$?")
DO=$(D push "$AREG/t/dockerd:1" 2>&1; echo "rc=$?")
t_eq "docker push with the credentials of docker login: dockerd's lines (Preparing, Waiting aside)" \
  "$(grep -v -e ': Preparing$' -e ': Waiting$' <<<"$DO" | mask)" "$(grep -v -e ': Preparing$' -e ': Waiting$' <<<"$BO" | mask)"
D rmi "$AREG/t/dockerd:1" >/dev/null
t_eq "... dockerd pulls what bld pushed: the same image" "$(D images -q --no-trunc "$BASE")" \
  "$(D pull -q "$AREG/t/bld:1" >/dev/null && D images -q --no-trunc "$AREG/t/bld:1")"
D logout "$AREG" >/dev/null
BO=$(DK push "$AREG/t/bld:1" 2>&1; echo "rc=$?")
t_match "docker push without credentials: refused (exit 1)" "rc=1$" "$BO"

# ------------------------------------------------------------------ system df
pair dfc -v dfv:/data "$BASE" sh -c 'echo x >/data/f; exec sleep 60'
DK run --name dfs --network none "$BASE" true >/dev/null; D run --name dfs --network=none "$BASE" true >/dev/null
sizes() { sed -E 's/[0-9.]+([kMGT]?B)/S/g; s/\([0-9]+%\)/(P)/g; s/  +/ /g'; }
both system df
t_eq "docker system df: images, containers, volumes and build cache counted as dockerd counts them (sizes masked)" \
  "$(sizes <<<"$DO")" "$(sizes <<<"$BO")"
t_match "... the images' size is the layers'" "^Images +1 +1 +[1-9][0-9.]*[kM]B" "$BO"
DK rm -f dfc dfs >/dev/null; D rm -f dfc dfs >/dev/null

# ------------------------------------------------------------------ prune
DK run --name pc --network none "$BASE" true >/dev/null; D run --name pc --network=none "$BASE" true >/dev/null
both container prune -f
t_eq "docker container prune: the stopped container deleted, as dockerd (IDs, sizes masked)" \
  "$(sed -E 's/^[0-9a-f]{64}$/ID/' <<<"$DO" | sizes)" "$(sed -E 's/^[0-9a-f]{64}$/ID/' <<<"$BO" | sizes)"
for x in DK D; do $x volume create pv >/dev/null; $x network create pn >/dev/null; done
both volume prune -f
t_eq "docker volume prune: the unused volumes deleted, as dockerd" "$(sizes <<<"$DO" | sort)" "$(sizes <<<"$BO" | sort)"
both network prune -f
t_eq "docker network prune: the unused network deleted, as dockerd" "$DO" "$BO"
t_eq "... gone" "" "$(DK network ls -q --filter name=pn)"

# ------------------------------------------------------------------ stats
pair st "$BASE" sleep 60
f='{{.Name}} {{.PIDs}}'
t_eq "docker stats --no-stream: the container's line, as dockerd's (name, PIDs)" \
  "$(D stats --no-stream --format "$f" st)" "$(DK stats --no-stream --format "$f" st)"
t_match "... a CPU percentage and a memory usage" "^[0-9.]+% [0-9.]+[kKMG]i?B / [0-9.]+[kKMGT]i?B$" \
  "$(DK stats --no-stream --format '{{.CPUPerc}} {{.MemUsage}}' st)"
t_eq "GET .../stats streams an object a second while the client stays, as dockerd's" \
  "$(dapi -N --max-time 2.5 http://d/v1.41/containers/st/stats | jq -r '.name + " " + (.pids_stats.current | tostring)' | sed -n 2p)" \
  "$(api -N --max-time 2.5 http://d/v1.41/containers/st/stats | jq -r '.name + " " + (.pids_stats.current | tostring)' | sed -n 2p)"
DK rm -f st >/dev/null; D rm -f st >/dev/null
