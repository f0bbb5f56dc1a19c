#!/usr/bin/env bash
# tests/e2e/rootless.sh — bld as an ordinary user: two users made here, one with ranges in
# /etc/subuid and /etc/subgid (newuidmap maps them) and one without (the user alone is mapped);
# the store in ~/.local/share/bld and runtime state in $XDG_RUNTIME_DIR/bld or /tmp/bld-UID;
# pull, build (RUN, COPY, multi-stage, a chown to another uid; a git repository of another
# user refused), run and push with the test registry (run -d, exec, logs, volumes and compose
# for both kinds of user: rootless_verbs.sh); the same build with SOURCE_DATE_EPOCH giving the
# same digest as root's; fuse-overlayfs (forced: /dev/fuse opened to the user for the test)
# showing in bld info, serving a run's root and going with it, and giving a build the same image
# and bld diff the same lines as the kernel's overlayfs; networks none and host, the default one loopback-only here (no host
# interface for pasta: rootless_net.sh tests it); limits refused with a clear message; and for
# the user without ranges, an image with another owner and a container as another user
# refused so. Users, their files, /etc/subuid and /etc/subgid are restored at exit.
. "$(dirname "$0")/lib.sh"

BLD=$T_BLD # its own users, also under tests/run-e2e.sh with BLD_E2E_ROOTLESS
t_busybox_registry
chmod 755 "$T_DIR"
ra=rla$$ rb=rlb$$
for f in /etc/subuid /etc/subgid; do
  touch "$f" && cp -p "$f" "$T_DIR/$(basename "$f").saved"
  at_exit "cp -p '$T_DIR/$(basename "$f").saved' '$f'"
done
mk_user() { # NAME: a user with its home in T_DIR and no subordinate ids of useradd's own
  useradd -M -d "$T_DIR/home-$1" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$1" >/dev/null 2>&1 ||
    { t_fail "useradd $1"; exit 1; }
  at_exit "userdel '$1' >/dev/null 2>&1"
  install -d -o "$1" -g "$1" "$T_DIR/home-$1"
}
mk_user "$ra" && mk_user "$rb"
echo "$ra:300000:65536" >>/etc/subuid
echo "$ra:300000:65536" >>/etc/subgid
uida=$(id -u "$ra") uidb=$(id -u "$rb")
runa=$T_DIR/run-$ra
install -d -m 700 -o "$ra" -g "$ra" "$runa"
# the bld-pause holders of both users, the containers they run: stopped at exit
stop_user() { # USER RUNDIR
  as "$1" "$2" rm -f $(as "$1" "$2" ps -aq 2>/dev/null) >/dev/null 2>&1
  local p=$2/pause.pid
  [ -f "$p" ] || p=$2/bld/pause.pid
  [ -f "$p" ] || return 0
  local pid i
  pid=$(cat "$p")
  kill "$pid" 2>/dev/null
  for i in $(seq 20); do [ "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "$1" ] || break; sleep 0.1; done
  true
}
at_exit "rm -rf /tmp/bld-$uidb"
at_exit "stop_user $rb /tmp/bld-$uidb"
at_exit "stop_user $ra $runa"
# as USER RUNDIR ARGS... — bld as USER with the user's environment alone (no BLD_ROOT)
as() {
  local u=$1 run=$2; shift 2
  local xdg=(XDG_RUNTIME_DIR="$run")
  [ "$run" = "/tmp/bld-$(id -u "$u")" ] && xdg=()
  (cd "$T_DIR/home-$u" && setpriv --reuid="$u" --regid="$u" --init-groups \
    env -i PATH="$PATH" HOME="$T_DIR/home-$u" "${xdg[@]}" ${SDE:+SOURCE_DATE_EPOCH=$SDE} \
    ${NOOVL:+BLD_NO_OVERLAY=1} ${FUSE:+BLD_OVERLAY=fuse} \
    "$BLD" "$@")
}
A() { as "$ra" "$runa" "$@"; }
Bu() { as "$rb" "/tmp/bld-$uidb" "$@"; }

# --- the user with ranges: places, pull, build
t_ok "rootless pull" A pull -q "$BASE"
t_ok "the store is ~/.local/share/bld, the user's" \
  test -O "$T_DIR/home-$ra/.local/share/bld/oci/index.json" -o "$(stat -c %U "$T_DIR/home-$ra/.local/share/bld/oci/index.json")" = "$ra"
pid=$(cat "$runa/bld/pause.pid" 2>/dev/null)
t_eq "runtime state in \$XDG_RUNTIME_DIR/bld: the namespace holder" "bld-pause $ra" \
  "$(ps -o comm=,user= -p "${pid:-0}" 2>/dev/null | awk '{print $1, $2}')"
t_eq "mapped from /etc/subuid through newuidmap" "0 $uida 1|1 300000 65536" \
  "$(awk '{print $1, $2, $3}' "/proc/${pid:-0}/uid_map" 2>/dev/null | paste -sd'|')"
info=$(A info 2>&1)
t_match "bld info says rootless and how containers are mounted" \
  '^  rootless$' "$info"
t_match "... with overlayfs in the user namespace" 'Storage Driver: overlay2' "$info"
t_match "... or a copy where there is none" 'Storage Driver: vfs' "$(NOOVL=1 A info 2>&1)"

ctx=$T_DIR/ctx && mkdir -p "$ctx" && chmod 755 "$ctx"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS first
RUN echo one >/one && chown 1000:1000 /one
FROM $BASE
COPY --from=first /one /one
COPY two /two
RUN cat /one /two >/both && mkdir /data
CMD ["cat", "/both"]
DF
echo two >"$ctx/two" && chmod 644 "$ctx/two"
t_ok "rootless build: RUN, COPY, multi-stage" A build -q -t app "$ctx"
repo=$T_DIR/repo # root's: git refuses a repository of another user, and so does bld
mkdir "$repo" && cp "$ctx/Dockerfile" "$repo/" && git -C "$repo" init -q &&
  git -C "$repo" add -A && git -C "$repo" -c user.name=t -c user.email=t@t commit -qm i
t_match "a git context of another user is refused, saying so" \
  '^bld: .*git clone: the repository belongs to another user' \
  "$(A build -q "file://$repo" 2>&1)"
layer_file=$(find "$T_DIR/home-$ra/.local/share/bld/layers" -maxdepth 2 -name one | head -1)
t_eq "a file chowned to 1000 is the subordinate uid 300999 in the store" "300999:300999" \
  "$(stat -c %u:%g "${layer_file:-/nonexistent}" 2>&1)"
t_eq "rootless run" "one two" "$(A run --rm app 2>/dev/null | paste -sd' ')"
t_eq "... with the owner the image says" "1000" "$(A run --rm app stat -c %u /one 2>/dev/null)"
t_match "the root is overlayfs mounted in the user namespace" '^overlay / overlay .*userxattr' \
  "$(A run --rm --network none app grep ' / ' /proc/mounts 2>&1)"
t_eq "... or a copy where there is none" "one two" \
  "$(NOOVL=1 A run --rm --network none app 2>&1 | paste -sd' ')"

# --- fuse-overlayfs, as where the kernel refuses overlayfs in a user namespace (forced here:
# this kernel allows it); /dev/fuse the user's to open, as Debian's udev rule makes it
fuse_mode=$(stat -c %a /dev/fuse 2>/dev/null)
chmod 666 /dev/fuse 2>/dev/null && at_exit "chmod $fuse_mode /dev/fuse"
t_match "bld info says fuse-overlayfs where it serves" 'Storage Driver: fuse-overlayfs' \
  "$(FUSE=1 A info 2>&1)"
t_match "the root is fuse-overlayfs's" '^fuse-overlayfs / fuse.fuse-overlayfs ' \
  "$(FUSE=1 A run --rm --network none app grep ' / ' /proc/mounts 2>&1)"
t_eq "... with the image's files and owners" "one two 1000" \
  "$(FUSE=1 A run --rm --network none app sh -c 'echo $(cat /both) $(stat -c %u /one)' 2>&1)"
for _ in $(seq 30); do pgrep -u "$ra" fuse-overlayfs >/dev/null || break; sleep 0.1; done
t_eq "... and its daemon gone with the container" "" "$(pgrep -u "$ra" -a fuse-overlayfs)"
fctx=$T_DIR/fctx && mkdir -p "$fctx" && chmod 755 "$fctx"
printf 'FROM %s\nRUN mkdir -p /d/sub /new && echo a >/d/a && echo k >/k\nRUN rm /k && rm -rf /d && mkdir /d && echo n >/d/n\n' \
  "$BASE" >"$fctx/Dockerfile"
idk=$(SDE=0 A build -q --no-cache "$fctx" 2>&1)
t_match "a build with deletions and a replaced directory" '^sha256:' "$idk"
t_eq "... through fuse-overlayfs is the same image" "$idk" \
  "$(SDE=0 FUSE=1 A build -q --no-cache "$fctx" 2>&1)"
ddiff() { # [FUSE=1] — bld diff of a container that replaced a directory and made one
  A run --name dd --network none app sh -c 'rm -rf /usr && mkdir -p /usr/new /new' >/dev/null 2>&1
  A diff dd 2>&1
  A rm dd >/dev/null 2>&1
}
dk=$(ddiff)
t_match "bld diff: a replaced directory's old content deleted" '^D /usr/' "$dk"
t_eq "... the same through fuse-overlayfs" "$dk" "$(FUSE=1 ddiff)"
out=$(A run --rm app true 2>&1)
t_match "the default network without pasta's host interface says it is the loopback alone" \
  '^bld: warning: rootless: no network stack \(pasta: .*\): the container has the loopback alone' "$out"

# --- same digest as root's (SOURCE_DATE_EPOCH), pushed
idu=$(SDE=0 A build -q -t "$REG_ADDR/rl/user:1" "$ctx" 2>&1)
idr=$(SOURCE_DATE_EPOCH=0 "$BLD" build -q -t "$REG_ADDR/rl/root:1" "$ctx" 2>&1)
t_match "SOURCE_DATE_EPOCH build as root" '^sha256:' "$idr"
t_eq "a rootless build is the same image as root's" "$idr" "$idu"
t_ok "rootless push" A push -q "$REG_ADDR/rl/user:1"
"$BLD" push -q "$REG_ADDR/rl/root:1" >/dev/null 2>&1
dig() { curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "$REG_URL/v2/rl/$1/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'; }
du=$(dig user)
t_match "the pushed manifest has a digest" '^sha256:' "$du"
t_eq "... the same as root's push of the same build" "$(dig root)" "$du"

# --- networks (run -d, exec, logs, volumes and compose as a user: rootless_verbs.sh)
t_eq "--network none: the loopback alone" "lo" \
  "$(A run --rm --network none app ls /sys/class/net 2>/dev/null | paste -sd' ')"
t_eq "--network host reaches the host's loopback (the registry)" "{}" \
  "$(A run --rm --network host app wget -q -O- "$REG_URL/v2/" 2>&1)"
t_match "limits are refused, saying why" '^bld: .*resource limits need root' \
  "$(A run --rm -m 64m app true 2>&1)"

# --- the user without ranges: the user alone, as 0
t_ok "no subordinate ids: pull" Bu pull -q "$BASE"
t_eq "... the user alone is mapped" "0 $uidb 1" \
  "$(awk '{print $1, $2, $3}' "/proc/$(cat /tmp/bld-$uidb/pause.pid 2>/dev/null)/uid_map" 2>/dev/null | paste -sd'|')"
t_eq "... run" "ok" "$(Bu run --rm --network none "$BASE" echo ok 2>&1)"
out=$(Bu run --rm --network none "$REG_ADDR/rl/root:1" true 2>&1)
t_match "... an image with a file of uid 1000 is refused, saying what to do" \
  '^bld: .*chown .* to 1000:1000: rootless without subordinate ids maps only the user.*/etc/subuid' \
  "$out"
t_match "... so is a container as another user" \
  '^bld: user 1000:0: rootless without subordinate ids maps only the user.*/etc/subuid' \
  "$(Bu run --rm --network none -u 1000 "$BASE" true 2>&1)"

# --- the Engine API's default socket is in the user's runtime directory
A system service --time 2 >/dev/null 2>&1 &
svc=$!
for i in $(seq 50); do [ -S "$runa/bld/bld.sock" ] && break; sleep 0.1; done
t_eq "bld system service listens in \$XDG_RUNTIME_DIR/bld/bld.sock" "OK" \
  "$(curl -s --unix-socket "$runa/bld/bld.sock" http://d/_ping 2>&1)"
wait "$svc"
