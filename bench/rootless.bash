# bench/rootless.bash — sourced by bench/start.sh and bench/build.sh (after W is made): the
# same measurements as an ordinary user, rootless, for bld and the peers that run so.
#   bench_rootless_start   `bld run --rm` (default network and none), `crun run` of a
#                          rootless bundle (`crun spec --rootless`) and `podman run --rm`
#                          (default network and none), each as the user; ratios to crun's
#                          median (where /dev/net/tun is not the user's, bld's default
#                          network is the loopback alone and podman's slirp4netns fails)
#   bench_rootless_build   a cold build (--no-cache) of a small Dockerfile (COPY of a busybox
#                          root, two RUN steps) by `bld build`, `buildah bud` and `docker
#                          build` with BuildKit of a private rootless dockerd, as the user;
#                          ratios to BuildKit's and buildah's medians
# The user is made here with subordinate ids in /etc/subuid and /etc/subgid; it, its
# processes and its lines there are removed at the end (bench_rootless_done). The rootless
# dockerd (Debian's dockerd-rootless.sh: rootlesskit, then dockerd in its user namespace) runs
# as that user with host networking (no slirp4netns: it needs no /dev/net/tun and makes no
# traffic), no bridge and no iptables rules, its data root, exec root and socket under W/ud;
# it is stopped by its PID (bench_rootless_dockerd_stop, also from bench_rootless_done).
# Not a test.

bench_rootless_user() {
  BU=bldbench$$
  chmod 755 "$W"
  useradd -M -d "$W/uhome" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$BU" || return 1
  # processes left with this uid by a user deleted before are not ours to end
  BU_OLD=" $(pgrep -u "$BU" | tr '\n' ' ') "
  echo "$BU:330000:65536" >>/etc/subuid
  echo "$BU:330000:65536" >>/etc/subgid
  install -d -o "$BU" -g "$BU" -m 700 "$W/uhome" "$W/urun"
  printf '#!/bin/sh\ncd %s && exec setpriv --reuid=%s --regid=%s --init-groups env -i PATH="%s" HOME=%s XDG_RUNTIME_DIR=%s CONTAINERS_CONF=%s "$@"\n' \
    "$W/uhome" "$BU" "$BU" "$PATH" "$W/uhome" "$W/urun" "$W/containers.conf" >"$W/u"
  chmod 755 "$W/u"
  touch "$W/containers.conf"
}

bench_rootless_done() {
  [ -n "${BU:-}" ] || return 0
  local p
  bench_rootless_dockerd_stop
  for p in $(pgrep -u "$BU"); do [[ $BU_OLD == *" $p "* ]] || kill -9 "$p" 2>/dev/null; done
  sleep 0.2
  userdel -f "$BU" >/dev/null 2>&1
  sed -i "/^$BU:/d" /etc/subuid /etc/subgid
  BU=
}

# a rootless dockerd as the user: DOCKER_HOST=unix://W/ud/docker.sock once it answers
bench_rootless_dockerd_start() {
  local d=$W/ud i
  [ -x /usr/share/docker.io/contrib/dockerd-rootless.sh ] && command -v rootlesskit >/dev/null ||
    { echo "no dockerd-rootless.sh or rootlesskit (docker.io, rootlesskit)"; return 1; }
  install -d -o "$BU" -g "$BU" -m 700 "$d"
  "$W/u" env DOCKERD_ROOTLESS_ROOTLESSKIT_NET=host DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=none \
    DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS="--state-dir=$d/rootlesskit" \
    setsid /usr/share/docker.io/contrib/dockerd-rootless.sh --data-root "$d/root" \
    --exec-root "$d/exec" --pidfile "$d/dockerd.pid" -H "unix://$d/docker.sock" \
    --bridge=none --iptables=false --ip6tables=false >"$W/dockerd-rootless.log" 2>&1 </dev/null &
  RL_DOCKERD=$! # setsid execs (the job leads no group): rootlesskit itself
  DKU="env DOCKER_HOST=unix://$d/docker.sock DOCKER_BUILDKIT=1 /usr/bin/docker"
  for i in $(seq 100); do
    $W/u $DKU version >/dev/null 2>&1 && return 0
    kill -0 "$RL_DOCKERD" 2>/dev/null || break
    sleep 0.2
  done
  echo "the rootless dockerd did not answer: $(tail -1 "$W/dockerd-rootless.log")"
  return 1
}

# rootlesskit passes the TERM on to dockerd and goes with it; KILL after 20 s
bench_rootless_dockerd_stop() {
  [ -n "${RL_DOCKERD:-}" ] || return 0
  if [ "$(cat "/proc/$RL_DOCKERD/comm" 2>/dev/null)" = rootlesskit ]; then
    kill -TERM "$RL_DOCKERD"
    for _ in $(seq 80); do kill -0 "$RL_DOCKERD" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$RL_DOCKERD" 2>/dev/null && kill -KILL "$RL_DOCKERD"
  fi
  RL_DOCKERD=
}

# hyperfine over NAME CMD pairs, ROUNDS times; then the table with ratios to the medians of
# BASES (names, comma-separated)
bench_rootless_run() { # BASES NAME CMD [NAME CMD...]
  local base=$1 r
  shift
  local args=()
  while [ $# -gt 0 ]; do
    if out=$("$W/u" sh -c "$2" 2>&1); then args+=(-n "$1" "$W/u $2"); else echo "skipped: $1: $(tail -1 <<<"$out")"; fi
    shift 2
  done
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$W"/rl.*.json
  for r in $(seq "${ROUNDS:-3}"); do
    hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-json "$W/rl.$r.json" "${args[@]}" >/dev/null 2>&1
  done
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 - "$base" "$W"/rl.*.json <<'PY'
import json, statistics, sys
bases = sys.argv[1].split(",")
rounds = [{r["command"]: r for r in json.load(open(f))["results"]} for f in sys.argv[2:]]
print(f"{'rootless, as a user':36} {'best':>8} {'median':>8}  "
      + ", ".join(f"ratio to {b}" for b in bases) + " (median of rounds)")
for n in rounds[0]:
    meds = [r[n]["median"] * 1000 for r in rounds]
    ratios = []
    for b in bases:
        rs = [r[n]["median"] / r[b]["median"] for r in rounds if b in r]
        ratios.append(f"{statistics.median(rs):.2f}x" if rs else "")
    print(f"{n:36} {min(meds):6.1f}ms {statistics.median(meds):6.1f}ms  " + " ".join(f"{x:>8}" for x in ratios))
PY
}

bench_rootless_start() {
  bench_rootless_user || { echo "rootless: no user"; return 0; }
  local ub=$W/ubundle
  mkdir -p "$ub/rootfs/proc" "$ub/rootfs/sys" "$ub/rootfs/dev"
  tar -C "$ub/rootfs" -xf "$W/busybox.tar"
  chown -R "$BU:" "$ub"
  "$W/u" sh -c "cd $ub && crun spec --rootless" 2>/dev/null &&
    sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' "$ub/config.json"
  "$W/u" "$BLD" import "$W/busybox.tar" bench/busybox:latest >/dev/null
  "$W/u" podman import "$W/busybox.tar" localhost/bench-busybox >/dev/null 2>&1
  echo "== rootless start"
  bench_rootless_run "crun run" \
    "bld run --rm" "$BLD run --rm bench/busybox:latest true" \
    "bld run --rm --network none" "$BLD run --rm --network none bench/busybox:latest true" \
    "crun run" "crun --root $W/urun/crun run --bundle $ub bench-crun" \
    "podman run --rm" "podman run --rm localhost/bench-busybox true" \
    "podman run --rm --network none" "podman run --rm --network none localhost/bench-busybox true"
  bench_rootless_done
}

bench_rootless_build() {
  bench_rootless_user || { echo "rootless: no user"; return 0; }
  local c=$W/uctx
  mkdir -p "$c/rootfs/bin" "$c/rootfs/etc"
  cp "$(command -v busybox)" "$c/rootfs/bin/"
  for a in sh echo mkdir; do ln -s busybox "$c/rootfs/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$c/rootfs/etc/passwd"
  printf 'FROM scratch\nCOPY rootfs/ /\nRUN mkdir -p /app && echo built >/app/a\nRUN echo two >/app/b\n' \
    >"$c/Dockerfile"
  chown -R "$BU:" "$c"
  echo "== rootless cold build (--no-cache)"
  local dk=()
  bench_rootless_dockerd_start &&
    dk=("BuildKit" "$DKU build -q --no-cache --network host -t rl $c")
  bench_rootless_run "BuildKit,buildah bud" \
    "bld build" "$BLD build -q --no-cache --network host -t rl $c" \
    "buildah bud" "buildah bud -q --no-cache --isolation rootless --network host -t rl $c" \
    "${dk[@]}"
  bench_rootless_done
}
