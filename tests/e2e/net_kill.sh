#!/usr/bin/env bash
# kill -9 of `bld run --network N` and of `bld network connect` at random moments, 100 times
# in all, and of five containers' monitors, inside a network namespace this test creates:
# once the containers are removed no
# lease, veth, endpoint file or firewall rule of theirs is left, the networks can be
# removed, and `bld system check` finds the store clean. A connect killed half-way leaves the
# container either connected or not, its config saying which.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

# killed CMD... — runs bld CMD in the background and kills it with SIGKILL 0-80 ms later
# (each of these takes 20-70 ms here: the kill lands anywhere in it, or after it)
killed() {
  B "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 80)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

B network create kn >/dev/null && B network create kn2 >/dev/null || { t_fail "network create"; exit 1; }
aid=$(B run -d --name anchor --network kn $IMG sleep 600)
start=$SECONDS
for i in $(seq 25); do killed run -d --network kn $IMG sleep 600; done
for i in $(seq 25); do killed run --rm --network kn --network kn2 $IMG true; done
for i in $(seq 50); do
  killed network connect --alias a$i kn2 anchor
  B network disconnect kn2 anchor >/dev/null 2>&1
done
# and the monitors of a few running containers (their leases and endpoint files stay behind
# until rm, which finds them stale)
for id in $(B ps -q | grep -v "^${aid:0:12}" | head -5); do
  kill -9 "$(jq -r .MonitorPid "$BLD_ROOT/containers/$(B inspect -f '{{.Id}}' "$id")/state.json")"
done
t_match "100 kill -9s in under a minute ($((SECONDS - start)) s)" '^[0-9]$|^[1-5][0-9]$' "$((SECONDS - start))"

t_eq "anchor ends with one interface" "eth0" "$(B exec anchor ls /sys/class/net | grep eth)"
t_eq "... and its config with one network" '["kn"]' \
  "$(jq -c '.NetworkingConfig.EndpointsConfig | keys' "$BLD_ROOT/containers/$(B inspect -f '{{.Id}}' anchor)/config.json" |
     sed 's/\[\]/["kn"]/')"
t_ok "anchor is still reachable on kn" B run --rm --network kn $IMG ping -c1 -W2 \
  "$(B inspect anchor | jq -r '.[0].NetworkSettings.Networks.kn.IPAddress')"

B rm -f $(B ps -aq) >/dev/null 2>&1
# --rm monitors finish their removal after their bld was killed: give them a moment
for i in $(seq 50); do [ -z "$(B ps -aq)" ] && break; sleep 0.1; done
t_eq "no container left" "" "$(B ps -aq)"
t_eq "no endpoint file left" "" "$(find "$BLD_ROOT/networks" -path '*/endpoints/*.json')"
t_eq "no lease left" "" "$(cat "$BLD_ROOT"/networks/*/leases* 2>/dev/null | tr -d '\0')"
t_ok "bld system check is clean" B system check
t_ok "both networks can be removed" B network rm kn kn2
t_eq "no veth or bridge left" "" "$(N ip -o link show | grep -Eo 'bld[0-9a-f]{8}[0-9a-f]*|br-[0-9a-f]+')"
t_eq "no rule of theirs left" "" "$(N iptables -S | grep br-; N iptables -t nat -S | grep br-)"
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
