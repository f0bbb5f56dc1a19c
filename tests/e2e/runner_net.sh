#!/usr/bin/env bash
# Networks, inside a network namespace this test creates: the default bridge (veth, address,
# gateway, NAT rule), none, host, published ports through the monitor's proxy (-p with and
# without a host port, bld port), and no veth left after rm -f.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"


t_eq "--network none has only lo" "lo" "$(B run --rm --network none $IMG sh -c 'ls /sys/class/net' | tr '\n' ' ' | sed 's/ $//')"
# rootless, the default network is pasta's (README.md; tests/e2e/rootless_net.sh): no bld0,
# no 10.88.0.0/16 address, no NAT rule, containers not reaching each other by address
out=$(B run --rm $IMG sh -c 'ip -4 -o addr show eth0; ip route')
t_root any t_match "bridge: eth0 has an address from 10.88.0.0/16" 'eth0 +inet 10\.88\.[0-9]+\.[0-9]+/16' "$out"
t_root any t_match "bridge: default route via the gateway" 'default via 10\.88\.0\.1' "$out"
t_root any t_match "the bridge exists in the namespace" 'bld0' "$(N ip -o link show bld0)"
t_root any t_match "outbound NAT rule" 'MASQUERADE' "$(N iptables -t nat -S POSTROUTING)"
t_root any t_ok "the container reaches the gateway" B run --rm $IMG ping -c1 -W2 10.88.0.1
own='10\.88\.[0-9.]+' # rootless, pasta's copy of the host interface's address (runner_env.bash)
t_rootless && own='10\.199\.0\.2'
t_match "/etc/hosts names the container" "^$own[[:space:]]+named\$" "$(B run --rm -h named $IMG cat /etc/hosts)"
t_root any t_match "--network host sees the bridge" 'bld0' "$(B run --rm --network host $IMG ls /sys/class/net)"

mkdir -p "$T_DIR/www" && echo "hello from bld" >"$T_DIR/www/index.html"
port=$(free_port)
B run -d --name web -v "$T_DIR/www:/www:ro" -p "$port:80" $IMG httpd -f -p 80 -h /www >/dev/null
for i in $(seq 50); do N curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
t_eq "-p $port:80 answers on 127.0.0.1:$port" "hello from bld" "$(N curl -sf "http://127.0.0.1:$port/")"
t_eq "bld port" "80/tcp -> 0.0.0.0:$port" "$(B port web)"
t_eq "bld port 80" "0.0.0.0:$port" "$(B port web 80)"
t_exit "a taken host port fails the start with 125" 125 B run --rm -p "$port:80" $IMG true
B run -d --name web2 -v "$T_DIR/www:/www:ro" -p 127.0.0.1::8080 $IMG httpd -f -p 8080 -h /www >/dev/null
p2=$(B port web2 8080 | sed 's/.*://')
t_match "-p 127.0.0.1::8080 picks a port" '^[0-9]+$' "$p2"
for i in $(seq 50); do N curl -sf "http://127.0.0.1:$p2/" >/dev/null && break; sleep 0.1; done
t_eq "and answers there" "hello from bld" "$(N curl -sf "http://127.0.0.1:$p2/")"
ip2=$(B exec web2 sh -c "ip -4 -o addr show eth0" | sed 's/.*inet \([0-9.]*\).*/\1/')
t_root any t_eq "containers reach each other over the bridge" "hello from bld" "$(B exec web wget -qO- "http://$ip2:8080/")"
B run -d --name web3 -v "$T_DIR/www:/www:ro" -P $IMG httpd -f -p 80 -h /www >/dev/null
p3=$(B port web3 80 | sed 's/.*://')
t_match "-P publishes the image's EXPOSE 80" '^[0-9]+$' "$p3"
for i in $(seq 50); do N curl -sf "http://127.0.0.1:$p3/" >/dev/null && break; sleep 0.1; done
t_eq "and answers there" "hello from bld" "$(N curl -sf "http://127.0.0.1:$p3/")"
t_match "ps shows the ports" "0\.0\.0\.0:$port->80/tcp" "$(B ps --format '{{.Ports}}')"
B rm -f web web2 web3 >/dev/null
t_root any t_eq "no veth left after rm -f" "" "$(N ip -o link show | grep -E 'bld[0-9a-f]{8}')"
t_eq "the port is free again" "000" "$(N curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")"
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
