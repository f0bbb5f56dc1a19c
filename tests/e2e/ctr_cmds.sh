#!/usr/bin/env bash
# tests/e2e/ctr_cmds.sh — bld diff, commit, pause, unpause, top and stats, each compared with docker
# 20.10 (a private dockerd from tests/env/dockerd.sh) running the same commands on the same
# busybox image from a private registry: diff's A/C/D lines (deletions, an opaque directory,
# chmod, added trees, mount points left out) in docker's parent-first order; a commit's
# config (-c CMD, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, ENTRYPOINT), author,
# comment and history, its filesystem as a new container sees it, pushed and pulled into a
# second store, its diff ID the sha256 of the layer's tar; pause (the processes stop),
# ps "(Paused)", docker's refusals and exit codes, stop and kill of a paused container; top's
# table and processes (ps -ef, ps options), stats' table, columns, limits, CPU, live mode.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
REF=$BASE
t_docker_pair

# both: NAME ARGS... — the same `run` on bld and docker, no network
both_run() { B run --network none "$@" >/dev/null 2>&1; D run --network=none "$@" >/dev/null 2>&1; }

# ------------------------------------------------------------------ diff
CHANGES='rm -rf /usr; mkdir /usr; touch /usr/x; chmod 700 /home; echo z >>/etc/passwd;'
CHANGES+=' mkfifo /tmp/ff; rm -rf /var; touch -d 2024-01-01 /tmp/t; mkdir -p /tmp/a/b;'
CHANGES+=' echo x >/tmp/a/b/f; rm /bin/vi; ln -s x /lnk; touch /root'
both_run --name d1 "$REF" sh -c "$CHANGES"
bd=$(B diff d1); dd=$(D diff d1)
t_eq "diff: the same lines as docker's" "$(sort <<<"$dd")" "$(sort <<<"$bd")"
t_match "... a deleted file (D), its directory changed (C)" "^C /bin$" "$bd"
t_match "... an opaque directory: C, the image's entries D" "^D /usr/sbin$" "$bd"
t_eq "... a directory comes before what changed in it" "" "$(awk '
  { p = $2; sub(/\/[^\/]*$/, "", p); if (p != "" && !(p in seen)) print "orphan " $0; seen[$2] = 1 }' <<<"$bd")"
t_eq "... mount points the sandbox made are not changes" "" "$(grep -E ' /etc/(hosts|hostname|resolv.conf)$' <<<"$bd")"
both_run --name d0 "$REF" true
t_eq "diff of a container that changed nothing is empty, as docker's" "$(D diff d0)|0" "$(B diff d0)|$?"
t_exit "diff of no such container exits 1 (docker: $(D diff nosuch >/dev/null 2>&1; echo $?))" 1 B diff nosuch
t_exit "container diff (management command)" 0 B container diff d1

# ------------------------------------------------------------------ commit
CH=(-a "Ann <ann@example.org>" -m "the message" -c 'ENV A=1 B=$PATH' -c 'CMD echo hi'
    -c 'EXPOSE 8080' -c 'WORKDIR sub' -c 'LABEL x=y' -c 'USER nobody' -c 'VOLUME /data'
    -c 'ONBUILD RUN true')
bid=$(B commit "${CH[@]}" d1 ctr/c1:t); rc=$?
D commit "${CH[@]}" d1 ctr/c1:t >/dev/null
t_eq "commit exits 0 and prints sha256:ID" "0 yes" "$rc $(grep -qE '^sha256:[0-9a-f]{64}$' <<<"$bid" && echo yes)"
t_eq "... the ID is the image's" "$bid" "$(B inspect -f '{{.Id}}' ctr/c1:t)"
cfgq='.[0].Config | {User, ExposedPorts, Env, Cmd, WorkingDir, Volumes, OnBuild, Labels, Entrypoint}'
t_eq "... the config as docker's commit makes it" "$(D image inspect ctr/c1:t | jq -S "$cfgq")" \
  "$(B inspect ctr/c1:t | jq -S "$cfgq")"
t_eq "... author, comment, container as docker's" \
  "$(D image inspect -f '{{.Author}}|{{.Comment}}|{{.Container}}' ctr/c1:t | sed "s/$(D inspect -f '{{.Id}}' d1)/ID/")" \
  "$(B inspect -f '{{.Author}}|{{.Comment}}|{{.Container}}' ctr/c1:t | sed "s/$(B inspect -f '{{.Id}}' d1)/ID/")"
t_eq "... ContainerConfig: the container's, before the changes" \
  "$(D image inspect ctr/c1:t | jq -c '.[0].ContainerConfig | [.Cmd, .User, .WorkingDir]')" \
  "$(B inspect ctr/c1:t | jq -c '.[0].ContainerConfig | [.Cmd, .User, .WorkingDir]')"
hq='{{.CreatedBy}}|{{.Comment}}'
t_eq "... history: created_by the container's command, the comment" \
  "$(D history --no-trunc --format "$hq" ctr/c1:t | head -1)" "$(B history --no-trunc --format "$hq" ctr/c1:t | head -1)"
t_eq "... one layer more than the image, as docker's" \
  "$(D image inspect ctr/c1:t | jq '.[0].RootFS.Layers | length')" "$(B inspect ctr/c1:t | jq '.[0].RootFS.Layers | length')"
LOOK='id -u; pwd; ls /usr; tail -1 /etc/passwd; ls -ld /home | cut -c1-10; ls /var 2>&1 | wc -l;
test -e /bin/vi || echo no-vi; readlink /lnk; ls /tmp/a/b; echo "A=$A"; cat /etc/hostname >/dev/null && echo hn'
t_eq "... a container of it sees the committed files, as docker's" \
  "$(D run --rm --network=none ctr/c1:t sh -c "$LOOK" 2>&1)" "$(B run --rm --network none ctr/c1:t sh -c "$LOOK" 2>&1)"
t_eq "... and runs its CMD" "hi" "$(B run --rm --network none ctr/c1:t)"
t_eq "... the layer has no mount point of the sandbox" "" "$(B diff d1 | grep -c . >/dev/null; B run --rm --network none ctr/c1:t true; B save ctr/c1:t | tar -xO --wildcards '*/layer.tar' | tar -ti 2>/dev/null | grep -E '^etc/(hosts|hostname|resolv.conf)$')"

# a container on a copied root (no overlay could be mounted; BLD_OVERLAY=copy forces it): its
# changes are read from the copy against the image, as docker reads a vfs container's
BLD_OVERLAY=copy B run --network none --name d1c "$REF" sh -c "$CHANGES" >/dev/null 2>&1
t_eq "diff of a container on a copied root: docker's lines" "$(sort <<<"$dd")" "$(B diff d1c | sort)"
B commit "${CH[@]}" d1c ctr/c1c:t >/dev/null
t_eq "... its commit: the files docker's commit has" \
  "$(D run --rm --network=none ctr/c1:t sh -c "$LOOK" 2>&1)" "$(B run --rm --network none ctr/c1c:t sh -c "$LOOK" 2>&1)"
L=$(B save ctr/c1c:t | tar -xO --wildcards '*/layer.tar' | tar -ti 2>/dev/null)
t_eq "... and no mount point of the sandbox" "" "$(grep -E '^etc/(hosts|hostname|resolv.conf)$' <<<"$L")"
# (opaque where the file system keeps birth times, which tell the directory was made again)
wantop="yes yes yes"; [ "$(stat -c %W "$T_DIR")" = 0 ] && wantop="yes yes no(usr/.wh..wh..opq)"
t_eq "... its layer: whiteouts, and the directory removed and made again opaque, as overlayfs's" \
  "$wantop" "$(for f in usr/x bin/.wh.vi usr/.wh..wh..opq; do grep -qxF "$f" <<<"$L" && echo -n yes || echo -n "no($f)"; echo -n ' '; done | sed 's/ $//')"
e1=$(B commit -c 'RUN true' d1 2>&1); r1=$?
e2=$(D commit -c 'RUN true' d1 2>&1); r2=$?
t_eq "commit -c RUN is refused as docker refuses it" "$r2 ${e2#Error response from daemon: }" "$r1 ${e1#bld: }"
t_exit "commit of no such container exits 1 (docker: $(D commit nosuch >/dev/null 2>&1; echo $?))" 1 B commit nosuch
t_exit "commit to an invalid name exits 1 (docker: $(D commit d1 Bad:Name >/dev/null 2>&1; echo $?))" 1 B commit d1 Bad:Name
t_eq "commit -c ENTRYPOINT drops the CMD, as docker's" \
  "$(D commit -c 'ENTRYPOINT ["/bin/echo"]' d1 | xargs "$DOCKER" image inspect | jq -c '.[0].Config | [.Entrypoint, .Cmd]')" \
  "$(B commit -c 'ENTRYPOINT ["/bin/echo"]' d1 | xargs "$BLD" inspect | jq -c '.[0].Config | [.Entrypoint, .Cmd]')"
e0=$(B commit d0 ctr/c0); 
t_eq "commit of an unchanged container adds no layer, an empty_layer entry" "1 true" \
  "$(B inspect ctr/c0 | jq '.[0].RootFS.Layers | length') $(B inspect ctr/c0 | jq -r '.[0].Config | has("Cmd")')"

# pushed, pulled into a second store, run there
B tag ctr/c1:t "$REG_ADDR/ctr/c1:t" && B push -q "$REG_ADDR/ctr/c1:t" >/dev/null 2>&1
t_eq "commit pushed and pulled elsewhere runs with the committed changes" "x|z|hi" \
  "$(BLD_ROOT=$T_DIR/root2 B pull -q "$REG_ADDR/ctr/c1:t" >/dev/null 2>&1
     BLD_ROOT=$T_DIR/root2 B run --rm --network none "$REG_ADDR/ctr/c1:t" sh -c 'ls /usr; tail -1 /etc/passwd' | paste -sd'|')|$(BLD_ROOT=$T_DIR/root2 B run --rm --network none "$REG_ADDR/ctr/c1:t")"
at_exit "BLD_ROOT=$T_DIR/root2 '$BLD' rm -f \$(BLD_ROOT=$T_DIR/root2 '$BLD' ps -aq) >/dev/null 2>&1"
man=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$REG_URL/v2/ctr/c1/manifests/t")
ldig=$(jq -r '.layers[-1].digest' <<<"$man"); cdig=$(jq -r '.config.digest' <<<"$man")
t_eq "... its diff ID is the sha256 of the layer's tar" \
  "$(curl -fsS "$REG_URL/v2/ctr/c1/blobs/$cdig" | jq -r '.rootfs.diff_ids[-1]')" \
  "sha256:$(curl -fsS "$REG_URL/v2/ctr/c1/blobs/$ldig" | gzip -dc | sha256sum | cut -d' ' -f1)"
t_eq "... the layer holds the changes, whiteouts as .wh. entries" "yes yes yes" \
  "$(L=$(curl -fsS "$REG_URL/v2/ctr/c1/blobs/$ldig" | tar -tz); for f in usr/x bin/.wh.vi usr/.wh..wh..opq; do grep -qxF "$f" <<<"$L" && echo -n yes || echo -n "no($f)"; echo -n ' '; done | sed 's/ $//')"

# ------------------------------------------------------------------ pause, unpause
TICK='i=0; while true; do i=$((i+1)); echo $i >/tmp/tick; usleep 20000; done'
B run -d --network none --name p1 "$REF" sh -c "$TICK" >/dev/null
D run -d --network=none --name p1 "$REF" sh -c "$TICK" >/dev/null
P1=$(B inspect -f '{{.Id}}' p1)
tick() { cat "$BLD_ROOT/containers/$P1/upper/tmp/tick" 2>/dev/null; }
sleep 0.3
t_eq "pause prints the name and exits 0, as docker's" "$(D pause p1; echo $?)" "$(B pause p1; echo $?)"
a=$(tick); sleep 0.4; b=$(tick)
t_eq "... the container's processes stop" "$a" "$b"
t_eq "... ps shows it (Paused), state paused, as docker's" \
  "$(D ps --format '{{.State}} {{.Status}}' | sed 's/Up .* (/Up (/')" "$(B ps --format '{{.State}} {{.Status}}' | sed 's/Up .* (/Up (/')"
t_eq "... inspect: Status paused, Running and Paused true" "paused true true" \
  "$(B inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' p1)"
eb=$(B pause p1 2>&1 | sed "s/$P1/ID/"); rb=${PIPESTATUS[0]}
ed=$(D pause p1 2>&1 | sed "s/$(D inspect -f '{{.Id}}' p1)/ID/"); rd=${PIPESTATUS[0]}
t_eq "pause of a paused container: docker's refusal" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
t_eq "unpause exits 0" "$(D unpause p1; echo $?)" "$(B unpause p1; echo $?)"
a=$(tick); sleep 0.3; b=$(tick)
t_eq "... the processes run again" "yes" "$([ "$a" != "$b" ] && echo yes)"
eb=$(B unpause p1 2>&1 | sed "s/$P1/ID/"); rb=${PIPESTATUS[0]}
ed=$(D unpause p1 2>&1 | sed "s/$(D inspect -f '{{.Id}}' p1)/ID/"); rd=${PIPESTATUS[0]}
t_eq "unpause of a running container: docker's refusal" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
eb=$(B pause d0 2>&1 | sed "s/$(B inspect -f '{{.Id}}' d0)/ID/"); rb=${PIPESTATUS[0]}
ed=$(D pause d0 2>&1 | sed "s/$(D inspect -f '{{.Id}}' d0)/ID/"); rd=${PIPESTATUS[0]}
t_eq "pause of an exited container: docker's refusal" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
t_exit "pause of no such container exits 1" 1 B pause nosuch

B pause p1 >/dev/null; D pause p1 >/dev/null
t_eq "stop of a paused container stops it, as docker's" "$(D stop -t 1 p1 >/dev/null; D inspect -f '{{.State.Status}} {{.State.Paused}}' p1)" \
  "$(B stop -t 1 p1 >/dev/null; B inspect -f '{{.State.Status}} {{.State.Paused}}' p1)"
B run -d --network none --name p2 "$REF" sleep 100 >/dev/null; B pause p2 >/dev/null
D run -d --network=none --name p2 "$REF" sleep 100 >/dev/null; D pause p2 >/dev/null
t_eq "kill of a paused container kills it, as docker's" \
  "$(D kill p2 >/dev/null; D wait p2; D inspect -f '{{.State.Status}}' p2)" "$(B kill p2 >/dev/null; B wait p2; B inspect -f '{{.State.Status}}' p2)"

# commit of a running container: paused meanwhile, running afterwards
B run -d --network none --name r1 "$REF" sh -c 'echo live >/live; sleep 100' >/dev/null
sleep 0.2
B commit r1 ctr/live >/dev/null
t_eq "commit of a running container: its file, it still runs unpaused" "live running false" \
  "$(B run --rm --network none ctr/live cat /live) $(B inspect -f '{{.State.Status}} {{.State.Paused}}' r1)"
t_exit "commit --pause=false" 0 B commit --pause=false r1
t_exit "commit --help" 0 B commit --help
t_exit "diff --help" 0 B diff --help
t_exit "pause --help" 0 B pause --help

# ------------------------------------------------------------------ top
for x in B D; do $x run -d --network=none --name t1 "$REF" sh -c 'sleep 1000 & sleep 999' >/dev/null; done
sleep 0.3
cmds() { awk 'NR > 1 { print $NF, $(NF-1) }' | sort; }
bt=$(B top t1); dt=$(D top t1)
t_eq "top: ps -ef's header, laid out as docker's" "$(head -1 <<<"$dt")" "$(head -1 <<<"$bt")"
t_eq "... the container's processes only, as docker's" "$(cmds <<<"$dt")" "$(cmds <<<"$bt")"
t_eq "... their PIDs are the container's" "yes" \
  "$(grep -qE "^root +$(B inspect -f '{{.State.Pid}}' t1) " <<<"$bt" && echo yes)"
t_eq "top with ps options (-o pid,comm)" "$(D top t1 -o pid,comm | awk '{print $NF}')" \
  "$(B top t1 -o pid,comm | awk '{print $NF}')"
t_eq "top with BSD options (aux): docker's header" "$(D top t1 aux | head -1)" "$(B top t1 aux | head -1)"
eb=$(B top t1 -o comm 2>&1); rb=$?; ed=$(D top t1 -o comm 2>&1); rd=$?
t_eq "top without a PID column: docker's error" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
eb=$(B top d0 2>&1 | sed "s/$(B inspect -f '{{.Id}}' d0)/ID/"); rb=${PIPESTATUS[0]}
ed=$(D top d0 2>&1 | sed "s/$(D inspect -f '{{.Id}}' d0)/ID/"); rd=${PIPESTATUS[0]}
t_eq "top of an exited container: docker's error" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
t_exit "top of no such container exits 1" 1 B top nosuch

# ------------------------------------------------------------------ stats
for x in B D; do $x run -d --network=none -m 64m --name s1 "$REF" sh -c 'while :; do :; done' >/dev/null; done
bs=$(B stats --no-stream t1 s1); ds=$(D stats --no-stream t1 s1)
t_eq "stats --no-stream: docker's header" "$(head -1 <<<"$ds" | tr -s ' ')" "$(head -1 <<<"$bs" | tr -s ' ')"
row='^[0-9a-f]{12} +[a-z0-9]+ +[0-9]+\.[0-9]{2}% +[0-9.]+(B|KiB|MiB|GiB) / [0-9.]+(MiB|GiB) +[0-9]+\.[0-9]{2}% +[0-9.]+k?B / [0-9.]+k?B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9]+$'
t_eq "... a row per container, each column in docker's form" "2 2" \
  "$(tail -n +2 <<<"$ds" | grep -cE "$row") $(tail -n +2 <<<"$bs" | grep -cE "$row")"
t_eq "... PIDs, memory limit (-m 64m and none) as docker's" \
  "$(D stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' t1 s1 | sed 's/^\([^ ]* [^ ]*\) .* \//\1 \//')" \
  "$(B stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' t1 s1 | sed 's/^\([^ ]* [^ ]*\) .* \//\1 \//')"
D rm -f s1 >/dev/null
t_match "... CPU %: a busy container's is its share of a CPU, an idle one's none" \
  '^s1 ([5-9]|[1-9][0-9]|1[0-9][0-9])\.[0-9]{2}% t1 0\.[0-9]{2}%$' \
  "$(B stats --no-stream --format '{{.Name}} {{.CPUPerc}}' s1 t1 | paste -sd' ')"
t_match "--no-trunc: the full ID" "^$(B inspect -f '{{.Id}}' t1) " "$(B stats --no-stream --no-trunc t1 | tail -1)"
t_eq "an exited container named: docker's zero row" "$(D stats --no-stream d0 | tail -1 | sed 's/^[0-9a-f]* *//')" \
  "$(B stats --no-stream d0 | tail -1 | sed 's/^[0-9a-f]* *//')"
t_eq "stats of no such container exits 1, as docker's" "$(D stats --no-stream nosuch >/dev/null 2>&1; echo $?)" \
  "$(B stats --no-stream nosuch >/dev/null 2>&1; echo $?)"
t_eq "stats without names: the running containers" "r1 s1 t1" \
  "$(B stats --no-stream --format '{{.Name}}' | sort | tr '\n' ' ' | sed 's/ $//')"
t_match "live on a pipe: the table printed again each second" "^[23]$" \
  "$(timeout 2.6 "$BLD" stats t1 | grep -c '^CONTAINER ID')"
# events of pause, unpause and commit, as docker records them
evs() { # X — the actions X's journal has for what pause, unpause and commit of t1 did
  local t0; t0=$(date +%s)
  $1 pause t1 >/dev/null; $1 unpause t1 >/dev/null; $1 commit -m note t1 ctr/ev:1 >/dev/null
  $1 events --since "$t0" --until "$(($(date +%s) + 1))" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.comment}} {{.Actor.Attributes.imageRef}}' | sort
}
t_eq "pause, unpause, commit: docker's events" "$(evs D)" "$(evs B)"
t_exit "top --help" 0 B top --help
t_exit "stats --help" 0 B stats --help
B rm -f t1 s1 >/dev/null; D rm -f t1 >/dev/null

# ------------------------------------------------------------------ info
B pause r1 >/dev/null
bi=$(B info); di=$(D info)
keys() { sed -n 's/^\( *[A-Za-z][A-Za-z /]*\):.*/\1/p'; }
t_eq "info: docker's fields, in docker's order and indentation (and bld's Build Isolation)" "" \
  "$(diff <(keys <<<"$di") <(keys <<<"$bi") | grep '^>' | grep -vx '> *Build Isolation')"
for k in "Storage Driver" "Backing Filesystem" "Logging Driver" "Cgroup Driver" "Cgroup Version" \
  "Kernel Version" "Operating System" "OSType" "Architecture" "CPUs" "Total Memory"; do
  t_eq "... $k as docker's" "$(grep -m1 "^ *$k:" <<<"$di")" "$(grep -m1 "^ *$k:" <<<"$bi")"
done
t_eq "... security options as docker's" "$(sed -n '/^ Security Options:/,/^ Kernel/p' <<<"$di")" \
  "$(sed -n '/^ Security Options:/,/^ Kernel/p' <<<"$bi")"
t_eq "... containers by state, images" \
  "$("$BLD" ps -a --format '{{.State}}' | awk '{n++; r+=$1=="running"; p+=$1=="paused"} END {print n, r, p, n-r-p}') $("$BLD" images -aq | sort -u | wc -l)" \
  "$(B info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}')"
t_eq "... the store is the root dir" "$BLD_ROOT" "$(B system info --format '{{.DockerRootDir}}')"
f='{{.Driver}} {{.CgroupVersion}} {{.KernelVersion}} {{.NCPU}} {{.MemTotal}} {{json .SecurityOptions}}'
t_eq "info --format: docker's field names and values" "$(D info --format "$f")" "$(B info --format "$f")"
B unpause r1 >/dev/null
t_exit "info --help" 0 B info --help

# ------------------------------------------------------------------ attach
# a tty container, attached from a terminal (script's pty): its size, a command, detach keys
for x in B D; do $x run -d -it --network=none --name tt "$REF" sh >/dev/null; done
attach_tty() { # X — what attaching X to tt shows, then its exit status
  local cmd=$BLD; [ "$1" = D ] && cmd=$DOCKER
  (sleep 0.6; printf 'stty size\r'; sleep 0.4; printf '\020\021') |
    timeout -s KILL 10 script -qfec "stty rows 33 cols 101; $cmd attach tt" /dev/null | tr -d '\r' |
    grep -E '^[0-9]+ [0-9]+$|escape sequence' | sed 's/bld: read/read/'
  echo "exit ${PIPESTATUS[1]}"
}
t_eq "attach to a tty: the terminal's size, output, ctrl-p ctrl-q detaches as docker's" \
  "$(attach_tty D)" "$(attach_tty B)"
t_eq "... the container still runs" "running" "$(B inspect -f '{{.State.Status}}' tt)"
winch() { # the size the container sees after the terminal changed and bld got SIGWINCH
  (sleep 1.2; printf 'stty size\r'; sleep 0.4; printf '\020\021') |
    timeout -s KILL 10 script -qfec "stty rows 20 cols 70; exec 3<&0; $BLD attach tt <&3 & p=\$!; sleep 0.6;
      stty rows 44 cols 120; kill -WINCH \$p; wait \$p" /dev/null | tr -d '\r' | grep -E '^[0-9]+ [0-9]+$'
}
t_eq "... SIGWINCH resizes the container's terminal" "44 120" "$(winch)"
t_eq "attach --detach-keys ctrl-x" "exit 1" \
  "$( (sleep 0.5; printf '\030') | timeout -s KILL 10 script -qfec "$BLD attach --detach-keys ctrl-x tt" /dev/null >/dev/null; echo "exit $?")"
# without a tty: stdin in, stdout and stderr apart, the container's exit status
for x in B D; do $x run -d -i --network=none --name ai "$REF" sh -c 'read l; echo "got $l"; echo "err $l" >&2; exit 7' >/dev/null; done
for x in B D; do c=$BLD; [ $x = D ] && c=$DOCKER; echo hello | timeout -s KILL 10 "$c" attach ai >"$T_DIR/$x.out" 2>"$T_DIR/$x.err"; echo $? >"$T_DIR/$x.rc"; done 2>/dev/null
t_eq "attach without a tty: the exit status as docker's" "$(cat "$T_DIR/D.rc")" "$(cat "$T_DIR/B.rc")"
t_eq "... stdin in, stdout and stderr apart" "got hello|err hello" "$(cat "$T_DIR/B.out")|$(cat "$T_DIR/B.err")"
B run -d -i --network none --name an "$REF" sh -c 'sleep 0.5; echo out; exit 3' >/dev/null
t_eq "attach --no-stdin: output and status" "out 3" "$( (echo ignored | B attach --no-stdin an; echo $?) | paste -sd' ')"
# --sig-proxy: a signal to bld goes to the container (docker's default), or not
for x in B D; do $x run -d --network=none --name sp "$REF" sh -c 'trap "echo got-term; exit 5" TERM; while :; do usleep 50000; done' >/dev/null; done
sigp() { "$@" & local p=$!; sleep 0.8; kill -TERM $p; wait $p; echo "exit $?"; }
t_eq "attach proxies signals to the container, as docker's" "$(sigp "$DOCKER" attach sp)" "$(sigp "$BLD" attach sp)"
B run -d --network none --name sq "$REF" sleep 100 >/dev/null
t_eq "attach --sig-proxy=false: bld ends, the container runs on" "exit 143 running" \
  "$(sigp "$BLD" attach --sig-proxy=false sq) $(B inspect -f '{{.State.Status}}' sq)"
eb=$(B attach d0 2>&1); rb=$?; ed=$(D attach d0 2>&1); rd=$?
t_eq "attach to a stopped container: docker's refusal" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
B pause sq >/dev/null; D pause tt >/dev/null
eb=$(B attach sq 2>&1); rb=$?; ed=$(D attach tt 2>&1); rd=$?
t_eq "attach to a paused container: docker's refusal" "$rd ${ed#Error response from daemon: }" "$rb ${eb#bld: }"
t_exit "attach with bad detach keys exits 1 (docker: $(D attach --detach-keys nokey tt >/dev/null 2>&1; echo $?))" 1 B attach --detach-keys nokey tt
t_exit "attach --help" 0 B attach --help
