#!/usr/bin/env bash
# The three-service project of compose_up.sh (web built from a Dockerfile and published on
# 127.0.0.1, db with a health check, a one-shot migrate that must complete first, a named
# volume) brought up by bld compose and by podman-compose 1.0.3 against Debian's podman 4.3
# (rootful, runc, CNI), podman's storage, run root, configuration, CNI networks and registry
# settings all in T_DIR. Both build web, run migrate and serve on the published port, name
# the volume and the network alike, keep the volume across down/up, and down -v removes the
# containers and the volume. The differences are podman-compose's and podman's, not bld's:
# - containers named <project>_<service>_<n> (docker-compose 1.x's), labelled
#   io.podman.compose.* and only a few com.docker.compose.* keys;
# - depends_on conditions are ignored: services start in dependency order, one second
#   apart (podman-compose sleeps after each podman command), so migrate finds db's file
#   only by that delay; there is no --wait;
# - health checks never run: podman schedules them with systemd timers, and without
#   systemd db stays "starting";
# - service names do not resolve: Debian's podman with CNI has no dnsname plugin
#   (golang-github-containernetworking-plugin-dnsname, not installed), so
#   --network-alias has no effect and the containers get the host's resolv.conf;
# - down -v leaves the project's network demo_default (podman-compose 1.0.3 never removes
#   networks);
# - init: true needs catatonit, which Debian's podman does not depend on: tini-static is
#   configured as init_path here; podman's default rlimits (nofile 1048576) exceed this
#   machine's hard limits, so containers run with --ulimit host; crun refuses hybrid cgroups,
#   so the runtime is runc.
# podman also keeps state at fixed paths (CNI IPAM leases in /var/lib/cni, the blob info
# cache in /var/lib/containers, /run/containers): the script runs in a mount namespace of its
# own with those bound to T_DIR.
[ -n "${IN_MNTNS:-}" ] || IN_MNTNS=1 exec unshare --mount --propagation private bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
# podman's storage, run root, configuration, CNI networks, IPAM leases and blob cache all in
# T_DIR; what podman keeps at a fixed path (/var/lib/cni, /var/lib/containers, /run/containers)
# is a bind of T_DIR in this script's own mount namespace
Q=$T_DIR/podman
mkdir -p "$Q"/{root,run,tmp,cni}
for d in /var/lib/cni /var/lib/containers /run/containers; do
  [ -d "$d" ] || { mkdir -p "$d" && at_exit "rmdir '$d'"; }
  mkdir -p "$Q/fixed$d" && mount --bind "$Q/fixed$d" "$d" && at_exit "umount '$d'" ||
    { t_fail "bind $d"; exit 1; }
done
t_busybox_registry
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
B() { "$BLD" "$@"; }
cat >"$Q/storage.conf" <<C
[storage]
driver = "overlay"
graphroot = "$Q/root"
runroot = "$Q/run"
C
cat >"$Q/registries.conf" <<C
[[registry]]
location = "$REG_ADDR"
insecure = true
C
cat >"$Q/containers.conf" <<C
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
events_logfile_path = "$Q/events.log"
init_path = "/usr/bin/tini-static"
tmp_dir = "$Q/tmp"
volume_path = "$Q/root/volumes"
[network]
network_backend = "cni"
network_config_dir = "$Q/cni"
C
export CONTAINERS_CONF=$Q/containers.conf CONTAINERS_STORAGE_CONF=$Q/storage.conf \
  CONTAINERS_REGISTRIES_CONF=$Q/registries.conf
P() { podman "$@"; }
at_exit 'P rm -af -t 0 >/dev/null 2>&1; P system reset -f >/dev/null 2>&1; umount -R "$Q/root/overlay" 2>/dev/null'

t_compose_demo "$T_DIR/b/demo" 18080
t_compose_demo "$T_DIR/p/demo" 18084
get() { for i in $(seq 100); do busybox wget -qO- "$1" 2>/dev/null && return; sleep 0.1; done; }
PC() { (cd "$T_DIR/p/demo" && podman-compose --podman-run-args="--ulimit host" "$@"); }
bup() { (cd "$T_DIR/b/demo" && "$BLD" compose up -d --wait); }
bdown() { (cd "$T_DIR/b/demo" && "$BLD" compose down "$@"); }

t_ok "bld compose up -d --wait" bup
t_ok "podman-compose up -d" PC up -d
t_eq "both serve on the published port" "hello-from-web hello-from-web" \
  "$(get http://127.0.0.1:18080/) $(get http://127.0.0.1:18084/)"
t_eq "both ran migrate before web" "migrated migrated" \
  "$(B exec demo-web-1 cat /data/log) $(P exec demo_web_1 cat /data/log)"
t_eq "bld resolves the service names, podman without dnsname does not" "db-ready|" \
  "$(B exec demo-web-1 wget -qO- http://db:5432/ready)|$(P exec demo_web_1 wget -qO- http://db:5432/ready 2>/dev/null)"
t_eq "db healthy under bld, podman's health check never ran" "healthy starting" \
  "$(B inspect --format '{{.State.Health.Status}}' demo-db-1) $(P inspect --format '{{.State.Health.Status}}' demo_db_1)"
t_eq "the same volume and network names" "demo_data demo_default demo_data demo_default" \
  "$(B volume ls -q) $(B network ls -q --filter name=demo_default --format '{{.Name}}') $(P volume ls -q) $(P network ls --filter name=demo_default --format '{{.Name}}')"
t_ok "bld compose down" bdown
t_ok "podman-compose down" PC down
t_eq "down leaves no container on either" "" "$(B ps -aq; P ps -aq)"
t_ok "bld compose up again" bup
t_ok "podman-compose up again" PC up -d
t_eq "both kept the volume's data across down/up" "2 2" \
  "$(B exec demo-db-1 grep -c migrated /data/log) $(P exec demo_db_1 grep -c migrated /data/log)"
t_ok "bld compose down -v" bdown -v
t_ok "podman-compose down -v" PC down -v
t_eq "neither leaves a container or volume; podman-compose leaves its network" "||demo_default" \
  "$(B ps -aq; P ps -aq)|$(B volume ls -q; P volume ls -q)|$(B network ls -q --filter name=demo_; P network ls --filter name=demo_ --format '{{.Name}}')"
