#!/usr/bin/env bash
# tests/e2e/build_hosts.sh — bld build --add-host and --shm-size for RUN steps, beside docker
# 20.10's BuildKit on a private dockerd: the /etc/hosts a RUN step sees (BuildKit's own two
# lines, then "IP\tHOST" for each --add-host) must be docker's byte for byte; host-gateway is
# the default bridge's gateway (docker: its docker0's); the flags enter the RUN step's cache
# key; bad values are refused with docker's words and exit code. --shm-size sizes a RUN
# step's /dev/shm as buildx and the legacy builder do (docker 20.10's BuildKit ignores it:
# 64 MiB whatever is asked, a known difference).
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_docker_pair

mkdir -p "$T_DIR/c"
printf 'FROM %s\nRUN cat /etc/hosts > /hosts; df -k /dev/shm | awk "NR==2 {print \\$2}" > /shm\n' \
  "$BASE" >"$T_DIR/c/Dockerfile"
hosts=(--add-host a.example:10.1.2.3 --add-host b:::1)

DOCKER_BUILDKIT=1 D build -q --network=host "${hosts[@]}" -t hosts "$T_DIR/c" >/dev/null 2>&1 ||
  t_fail "docker builds with --add-host"
want=$(D run --rm --network none hosts cat /hosts 2>&1)
out=$(B build --progress=plain "${hosts[@]}" --shm-size 128m -t hosts "$T_DIR/c" 2>&1)
t_eq "bld builds with --add-host and --shm-size" 0 "$?"
t_eq "a RUN step's /etc/hosts is docker 20.10's BuildKit's" "$want" \
  "$(B run --rm --network none hosts cat /hosts 2>&1)"
t_eq "--shm-size 128m: a RUN step's /dev/shm has 131072 KiB" 131072 \
  "$(B run --rm --network none hosts cat /shm 2>&1)"

out=$(B build --progress=plain "${hosts[@]}" --shm-size 128m -t hosts "$T_DIR/c" 2>&1)
t_match "the same flags again: the RUN step is CACHED" '^#[0-9]+ CACHED$' "$out"
out=$(B build --progress=plain --add-host gw:host-gateway -t hosts "$T_DIR/c" 2>&1)
t_ok "other hosts and no --shm-size: the RUN step runs again" bash -c "! grep -Eq '^#[0-9]+ CACHED$' <<<\"\$1\"" _ "$out"
subnet=$(B network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet')
gw=$(python3 -c 'import ipaddress, sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' "$subnet")
t_eq "host-gateway is the default bridge's gateway" "$gw	gw" \
  "$(B run --rm --network none hosts tail -1 /hosts 2>&1)"
t_eq "without --shm-size /dev/shm is 64 MiB" 65536 "$(B run --rm --network none hosts cat /shm 2>&1)"

for bad in "--add-host bad" "--add-host h:not-an-ip" "--shm-size 12q"; do
  # shellcheck disable=SC2086 # the flag and its value are two words
  want=$(DOCKER_BUILDKIT=1 D build $bad "$T_DIR/c" 2>&1); wrc=$?
  # shellcheck disable=SC2086
  got=$(B build $bad "$T_DIR/c" 2>&1); rc=$?
  t_eq "$bad: refused as docker refuses it" "$wrc bld: $(head -1 <<<"$want")" "$rc $got"
done
