#!/usr/bin/env bash
# The service attributes `bld compose up` hands to the container, checked in `bld inspect`
# against the HostConfig/Config fields docker compose v2 creates, and inside the container
# where cheap: ulimits, devices, ipc/pid (service:), cgroup, cgroup_parent, logging options,
# memory reservation/swap, oom_score_adj, cpu_shares, volumes_from, read_only, user,
# working_dir, hostname/domainname, dns*, extra_hosts, shm_size, sysctls, cap_add/drop,
# stop_signal/stop_grace_period, tmpfs; configs and secrets
# (a file bind-mounted read-only at /<name> and /run/secrets/<name>, content and environment (from .env)
# written with their uid/gid/mode; uid/gid/mode on a file warned about; external refused);
# expose, cpuset, cpu_quota/period, uts, security_opt, deploy.resources, network_mode
# service:, a bind's SELinux label (:z/:Z, bind.selinux: in Binds; warned where SELinux is
# enabled), a tmpfs volume's size/mode, a network's ipam config (ip_range) and internal; a volume's driver_opts (a tmpfs both services share, mounted
# while a container uses it, unmounted after the last stops, also after killed monitors); an attribute
# bld does not honour yet (tests/fixtures/compose/README.md) warned about.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
B() { "$BLD" "$@"; }
P=$T_DIR/attrs
mkdir -p "$P"
echo s3cret >"$P/sec.txt"
echo cfgfile >"$P/cfg.txt"
cat >"$P/compose.yaml" <<EOF
name: attrs
services:
  a:
    image: $BASE
    command: ["sh", "-c", "mkdir -p /shared && echo from-a >/shared/f; exec sleep 600"]
    init: true
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
    devices: ["/dev/null:/dev/mynull:rwm"]
    ipc: shareable
    cgroup: host
    logging: {driver: json-file, options: {max-size: 1m, max-file: "2"}}
    mem_reservation: 64m
    memswap_limit: 256m
    mem_limit: 128m
    oom_score_adj: 100
    cpu_shares: 512
    volumes: ["/shared"]
    secrets: [s1, {source: s2, target: custom, uid: "100", gid: "101", mode: 0400}]
    configs: [c1, {source: c2, target: /etc/c2.conf, mode: 0440}]
  b:
    image: $BASE
    command: ["sleep", "601"]
    init: true
    ipc: "service:a"
    pid: "service:a"
    volumes_from: ["a:ro"]
    read_only: true
    user: "1000:1000"
    working_dir: /tmp
    hostname: bhost
    domainname: example.org
    dns: [10.0.0.53]
    dns_search: [example.org]
    dns_opt: ["ndots:2"]
    extra_hosts: ["h1:10.1.2.3"]
    shm_size: 32m
    sysctls: {net.ipv4.tcp_syncookies: 0}
    cap_add: [SYS_TIME]
    cap_drop: [NET_RAW]
    stop_signal: SIGUSR1
    stop_grace_period: 3s
    tmpfs: ["/tmp:size=1m"]
    secrets: [{source: s1, mode: 0400}]
secrets:
  s1: {file: ./sec.txt}
  s2: {environment: ATTRS_SEC2}
configs:
  c1: {file: ./cfg.txt}
  c2: {content: "hello content"}
EOF
cd "$P"
echo ATTRS_SEC2=from-env >.env # the project's environment, not only bld's
t_ok "up -d with many attributes" sh -c '"$0" compose up -d 2>"$1" || { cat "$1"; exit 1; }' "$BLD" "$T_DIR/up.err"
t_match "uid/gid/mode of a file secret warned about as compose does" \
  'secrets `uid`, `gid` and `mode` are not supported, they will be ignored' "$(cat "$T_DIR/up.err")"
I() { B inspect --format "$1" "$2"; }
t_eq "ulimits" '[{"Name":"nofile","Hard":2048,"Soft":1024},{"Name":"nproc","Hard":512,"Soft":512}]' \
  "$(I '{{json .HostConfig.Ulimits}}' attrs-a-1)"
t_eq "nofile inside" "1024 2048" "$(B exec attrs-a-1 sh -c 'echo $(ulimit -n) $(ulimit -Hn)')"
t_eq "devices" '[{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rwm"}]' \
  "$(I '{{json .HostConfig.Devices}}' attrs-a-1)"
t_ok "the device inside" B exec attrs-a-1 test -c /dev/mynull
t_eq "ipc of a" "shareable" "$(I '{{.HostConfig.IpcMode}}' attrs-a-1)"
t_eq "ipc and pid service:a" "container:attrs-a-1 container:attrs-a-1" \
  "$(I '{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}}' attrs-b-1)"
t_match "pid service:a: b sees a's processes" "sleep 600$" "$(B exec attrs-b-1 ps)"
t_eq "cgroup" "host" "$(I '{{.HostConfig.CgroupnsMode}}' attrs-a-1)"
t_eq "logging" 'json-file {"max-file":"2","max-size":"1m"}' \
  "$(I '{{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}}' attrs-a-1)"
t_eq "memory fields" "134217728 67108864 268435456 100 512" \
  "$(I '{{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{.HostConfig.MemorySwap}} {{.HostConfig.OomScoreAdj}} {{.HostConfig.CpuShares}}' attrs-a-1)"
t_eq "process, identity and resolver fields of b" \
  'true 1000:1000 /tmp bhost example.org [10.0.0.53] [example.org] [ndots:2] [h1:10.1.2.3] 33554432 map[net.ipv4.tcp_syncookies:0] [SYS_TIME] [NET_RAW] SIGUSR1 3 map[/tmp:size=1m] true' \
  "$(I '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.Config.WorkingDir}} {{.Config.Hostname}} {{.Config.Domainname}} {{.HostConfig.Dns}} {{.HostConfig.DnsSearch}} {{.HostConfig.DnsOptions}} {{.HostConfig.ExtraHosts}} {{.HostConfig.ShmSize}} {{.HostConfig.Sysctls}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.Config.StopSignal}} {{.Config.StopTimeout}} {{.HostConfig.Tmpfs}} {{.HostConfig.Init}}' attrs-b-1)"
t_eq "inside b: user, cwd, hostname, extra host, read-only root" "1000 /tmp bhost 10.1.2.3 h1 ro" \
  "$(B exec attrs-b-1 sh -c 'echo $(id -u) $(pwd) $(hostname) $(grep h1 /etc/hosts) $(touch /x 2>/dev/null && echo rw || echo ro)')"
t_match "inside b: search and options in resolv.conf (the servers behind 127.0.0.11)" \
  "search example.org.*options ndots:2" "$(B exec attrs-b-1 cat /etc/resolv.conf | xargs)"
t_eq "volumes_from" '["attrs-a-1:ro"]' "$(I '{{json .HostConfig.VolumesFrom}}' attrs-b-1)"
t_eq "volumes_from inside" "from-a" "$(B exec attrs-b-1 cat /shared/f)"
t_eq "file secret and config mounted read-only" \
  "[{\"Type\":\"bind\",\"Source\":\"$P/sec.txt\",\"Target\":\"/run/secrets/s1\",\"ReadOnly\":true},{\"Type\":\"bind\",\"Source\":\"$P/cfg.txt\",\"Target\":\"/c1\",\"ReadOnly\":true}]" \
  "$(I '{{json .HostConfig.Mounts}}' attrs-a-1)"
t_eq "file secret and config inside" "s3cret cfgfile" "$(B exec attrs-a-1 sh -c 'echo $(cat /run/secrets/s1 /c1)')"
t_eq "environment secret: relative target under /run/secrets, uid/gid/mode" "from-env 400:100:101" \
  "$(B exec attrs-a-1 sh -c 'echo $(cat /run/secrets/custom) $(stat -c %a:%u:%g /run/secrets/custom)')"
t_eq "content config: its target and mode" "hello content 440:0:0" \
  "$(B exec attrs-a-1 sh -c 'echo $(cat /etc/c2.conf) $(stat -c %a:%u:%g /etc/c2.conf)')"
t_ok "down" B compose down
cat >"$P/compose.yaml" <<EOF
name: attrs
services:
  c:
    image: $BASE
    command: ["sleep", "600"]
    init: true
    expose: ["80", "53/udp", "9000-9001"]
    cpuset: "0"
    cpu_quota: 50000
    cpu_period: 100000
    uts: host
    security_opt: ["no-new-privileges:true", "seccomp:unconfined"]
    volumes: [{type: tmpfs, target: /t, tmpfs: {size: 2m, mode: 0700}}]
    networks: {n: {ipv4_address: 10.99.0.9}}
  d:
    image: $BASE
    command: ["sleep", "600"]
    network_mode: "service:c"
    logging: {driver: none}
    deploy: {resources: {limits: {cpus: "0.5", memory: 64m, pids: 100}, reservations: {memory: 32m}}}
networks:
  n:
    internal: true
    ipam: {config: [{subnet: 10.99.0.0/24, gateway: 10.99.0.1, ip_range: 10.99.0.0/28}]}
EOF
t_ok "up -d of the second project" B compose up -d
t_eq "deploy.resources limits and reservations" "500000000 67108864 100 33554432" \
  "$(I '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.MemoryReservation}}' attrs-d-1)"
t_eq "network_mode service:c, logging driver none" "container:attrs-c-1 none" \
  "$(I '{{.HostConfig.NetworkMode}} {{.HostConfig.LogConfig.Type}}' attrs-d-1)"
t_match "network_mode service:c: d has c's address" "10.99.0.9" "$(B exec attrs-d-1 ip -4 addr)"
t_eq "expose" '{"53/udp":{},"80/tcp":{},"9000/tcp":{},"9001/tcp":{}}' \
  "$(I '{{json .Config.ExposedPorts}}' attrs-c-1)"
t_eq "cpuset, cpu_quota, cpu_period, uts" "0 50000 100000 host" \
  "$(I '{{.HostConfig.CpusetCpus}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.UTSMode}}' attrs-c-1)"
t_eq "security_opt as written" '["no-new-privileges:true","seccomp:unconfined"]' \
  "$(I '{{json .HostConfig.SecurityOpt}}' attrs-c-1)"
t_eq "security_opt inside: no new privileges, no seccomp filter" "1 0" \
  "$(B exec attrs-c-1 sh -c 'echo $(awk "/^NoNewPrivs/ {print \$2}" /proc/self/status) $(awk "/^Seccomp:/ {print \$2}" /proc/self/status)')"
t_eq "a tmpfs volume's size and mode inside" "700 2048" \
  "$(B exec attrs-c-1 sh -c 'echo $(stat -c %a /t) $(df -k /t | awk "NR==2 {print \$2}")')"
t_eq "network ipam: subnet, gateway, ip_range; internal" '[{"Subnet":"10.99.0.0/24","IPRange":"10.99.0.0/28","Gateway":"10.99.0.1"}] true' \
  "$(B network inspect --format '{{json .IPAM.Config}} {{.Internal}}' attrs_n)"
t_match "ipv4_address" "10.99.0.9" "$(B exec attrs-c-1 ip -4 addr)"
t_ok "down" B compose down
cat >"$P/compose.yaml" <<EOF
name: attrs
services:
  a: {image: $BASE, command: [sleep, "600"], volumes: ["v:/v"], storage_opt: {size: 1G}}
  b: {image: $BASE, command: [sleep, "600"], volumes: ["v:/w"]}
volumes:
  v: {driver_opts: {type: tmpfs, device: tmpfs, o: size=1m}}
EOF
t_match "an attribute bld does not honour yet warned about with its line" \
  "^bld: warning: $P/compose.yaml:3: services.a.storage_opt: not supported by bld, ignored" \
  "$(B compose up -d 2>&1)"
t_eq "a volume's driver_opts: a tmpfs of that size at the mount point" "tmpfs 1024" \
  "$(B exec attrs-a-1 sh -c 'echo $(awk "\$2==\"/v\" {print \$3}" /proc/mounts) $(df -k /v | awk "NR==2 {print \$2}")')"
B exec attrs-a-1 sh -c 'echo shared >/v/f'
t_eq "... shared by two containers, mounted once" "shared 1" \
  "$(B exec attrs-b-1 cat /w/f) $(grep -c " $BLD_ROOT/volumes/attrs_v/_data " /proc/self/mountinfo)"
t_eq "... its options in inspect" '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}' \
  "$(B volume inspect --format '{{json .Options}}' attrs_v)"
# docker's local driver: mounted on first use, unmounted when the last user stops (a tmpfs
# loses its content then); the count of users is the store's, so a killed monitor leaves
# nothing that the next start would stack on or keep
VM() { grep -c " $BLD_ROOT/volumes/attrs_v/_data " /proc/self/mountinfo; }
B compose stop a >/dev/null 2>&1
t_eq "... one user stopped: still mounted for the other, content kept" "1 shared" \
  "$(VM) $(B exec attrs-b-1 cat /w/f)"
B compose stop b >/dev/null 2>&1
t_eq "... the last user stopped: unmounted" "0" "$(VM)"
B compose start >/dev/null 2>&1
t_eq "... mounted again on the next start, a fresh tmpfs as docker's" "1 none" \
  "$(VM) $(B exec attrs-a-1 sh -c 'cat /v/f 2>/dev/null || echo none')"
B exec attrs-a-1 sh -c 'echo again >/v/f'
pids=$(for c in attrs-a-1 attrs-b-1; do python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["MonitorPid"], s["Pid"])' "$BLD_ROOT/containers/$(I '{{.Id}}' $c)/state.json"; done)
t_match "... (the monitors' pids)" "^[0-9]+ [0-9]+ [0-9]+ [0-9]+$" "$(xargs <<<"$pids")"
kill -9 $pids
for i in $(seq 50); do [ -z "$(B ps -q)" ] && break; sleep 0.1; done
B compose start >/dev/null 2>&1
t_eq "... after the monitors were killed: mounted once, afresh" "1 none" \
  "$(VM) $(B exec attrs-a-1 sh -c 'cat /v/f 2>/dev/null || echo none')"
t_ok "down -v" B compose down -v
t_eq "... no mount left by volume rm" "0" "$(VM)"
# mac_address (the service's, a first network's), long-form volume options by the Mount API
# as compose v2 gives them, blkio_config; what bld does not honour warned with its line
mkdir -p "$P/src"
BLKDEV=$(lsblk -dpno NAME,TYPE 2>/dev/null | awk '$2 == "disk" {print $1; exit}')
cat >"$P/compose.yaml" <<EOF
name: attrs
services:
  a:
    image: $BASE
    command: [sleep, "600"]
    mac_address: "02:42:ac:11:00:0a"
    volumes:
      - {type: bind, source: ./src, target: /p, bind: {propagation: private}}
      - {type: volume, source: v, target: /v, volume: {nocopy: true}}
      - {type: bind, source: ./src, target: /s, bind: {selinux: z}}
      - ./src:/z:Z,ro
    blkio_config:
      device_read_bps: [{path: $BLKDEV, rate: 1mb}]
      device_write_iops: [{path: $BLKDEV, rate: 30}]
  b:
    image: $BASE
    command: [sleep, "600"]
    networks: {n: {mac_address: "02:42:ac:11:00:0b", link_local_ips: [169.254.8.8]}}
volumes:
  v: {}
networks:
  n:
    ipam: {driver: other, config: [{subnet: 10.98.0.0/24, aux_addresses: {r: 10.98.0.5}}]}
EOF
t_ok "up" B compose up -d
t_eq "mac_address: Config.MacAddress, eth0's address" "02:42:ac:11:00:0a 02:42:ac:11:00:0a" \
  "$(I '{{.Config.MacAddress}}' attrs-a-1) $(B exec attrs-a-1 cat /sys/class/net/eth0/address)"
t_eq "a network's mac_address" "02:42:ac:11:00:0b" "$(B exec attrs-b-1 cat /sys/class/net/eth0/address)"
t_eq "bind.propagation and volume.nocopy by the Mount API" \
  "[{\"Type\":\"bind\",\"Source\":\"$P/src\",\"Target\":\"/p\",\"BindOptions\":{\"Propagation\":\"private\"}},{\"Type\":\"volume\",\"Source\":\"attrs_v\",\"Target\":\"/v\",\"VolumeOptions\":{\"NoCopy\":true}}]" \
  "$(I '{{json .HostConfig.Mounts}}' attrs-a-1)"
t_match "bind.propagation in the mount" '"Destination":"/p",[^}]*"Propagation":"private"' \
  "$(I '{{json .Mounts}}' attrs-a-1)"
t_eq "blkio_config" "[{\"Path\":\"$BLKDEV\",\"Rate\":1048576}] [{\"Path\":\"$BLKDEV\",\"Rate\":30}]" \
  "$(I '{{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteIOps}}' attrs-a-1)"
t_eq "selinux labels (short and long form) in the bind strings, as compose v2 gives them" \
  "[\"$P/src:/s:z\",\"$P/src:/z:ro,Z\"]" "$(I '{{json .HostConfig.Binds}}' attrs-a-1)"
out=$(B compose up -d 2>&1)
for w in "18: services.b.networks.n.link_local_ips" \
  "23: networks.n.ipam.driver" "23: networks.n.ipam.config.0.aux_addresses"; do
  t_match "warned: ${w#*: }" "bld: warning: $P/compose.yaml:${w%%: *}: ${w#*: }: not supported by bld, ignored" "$out"
done
t_eq "without SELinux a label needs nothing: no warning, as docker" "" "$(grep -i selinux <<<"$out")"
t_ok "down" B compose down
# where SELinux is enabled (a file system on /sys/fs of this test's own with selinux/enforce)
# the label that bld cannot apply is warned about, once per bind
out=$(unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs none /sys/fs &&
  mkdir /sys/fs/selinux && echo 1 >/sys/fs/selinux/enforce && exec "$@"' sh \
  "$BLD" compose -f "$P/compose.yaml" create a 2>&1)
t_eq "SELinux enabled: each label not applied warned in one line" \
  "bld: warning: volume /s: SELinux is enabled but bld does not relabel: the label z is not applied
bld: warning: volume /z: SELinux is enabled but bld does not relabel: the label Z is not applied" \
  "$(grep -i selinux <<<"$out")"
t_ok "down" B compose -f "$P/compose.yaml" down
cat >"$P/compose.yaml" <<EOF
name: attrs
services:
  a:
    image: $BASE
    volumes: [{type: bind, source: ./missing, target: /m, bind: {create_host_path: false}}]
  b: {image: $BASE, networks: {n1: {}, n2: {mac_address: "02:42:ac:11:00:0c"}}}
networks: {n1: {}, n2: {}}
EOF
t_match "create_host_path: false: a missing source refused" \
  "bind source path does not exist: $P/missing" "$(B compose up -d a 2>&1)"
t_exit "...with docker's status" 1 B compose up -d a
t_match "a MAC address on another network than the first refused" \
  "services.b.networks.n2.mac_address: a MAC address on a network other than the first" \
  "$(B compose up -d b 2>&1)"
t_ok "down" B compose down
cat >"$P/compose.yaml" <<EOF
name: attrs
services:
  a: {image: $BASE, secrets: [x]}
secrets:
  x: {external: true}
EOF
t_exit "an external secret refused" 1 B compose up -d
t_match "in compose's words" "unsupported external secret x" "$(B compose up -d 2>&1)"
t_eq "nothing created" "" "$(B ps -aq)"
