#!/usr/bin/env bash
# Published UDP ports (-p HOST:CTR/udp), inside a network namespace this test creates, with
# traffic only to 127.0.0.1 there: the monitor's proxy relays datagrams both ways, keeps one
# flow per client address (the container sees one source port per client), ends a flow after
# its idle timeout (BLD_UDP_PROXY_TIMEOUT, shortened here), bld port lists the port, and a
# taken UDP port fails the start. The seeded busybox's nc has no -u, so the test builds a
# small static UDP echo helper with the C compiler.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

cat >"$T_DIR/udpecho.c" <<'C'
/* udpecho server PORT: answers each datagram with "<data> from <source port>".
 * udpecho client PORT DELAY_MS MSG...: sends each MSG to 127.0.0.1:PORT from one socket,
 * DELAY_MS apart, and prints each answer (exit 1 when one does not come within 2 s). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2])),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char buf[2048], out[2100];
	if (strcmp(argv[1], "server") == 0) {
		a.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
			return 1;
		for (;;) {
			struct sockaddr_in p;
			socklen_t l = sizeof(p);
			ssize_t n = recvfrom(s, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&p, &l);
			if (n < 0)
				continue;
			buf[n] = 0;
			int m = snprintf(out, sizeof(out), "%s from %d", buf, ntohs(p.sin_port));
			sendto(s, out, m, 0, (struct sockaddr *)&p, l);
		}
	}
	struct timeval tv = {2, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 4; i < argc; i++) {
		if (i > 4)
			usleep(atoi(argv[3]) * 1000);
		sendto(s, argv[i], strlen(argv[i]), 0, (struct sockaddr *)&a, sizeof(a));
		ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return 1;
		buf[n] = 0;
		printf("%s\n", buf);
	}
	return 0;
}
C
${CC:-cc} -static -O1 -o "$T_DIR/udpecho" "$T_DIR/udpecho.c" ||
  { echo "not ok - cannot build the UDP helper"; exit 1; }
U=$T_DIR/udpecho

port=$(free_port)
BLD_UDP_PROXY_TIMEOUT=1 B run -d --name u -v "$U:/udpecho:ro" -p "$port:9999/udp" $IMG \
  /udpecho server 9999 >/dev/null
for i in $(seq 50); do N "$U" client "$port" 0 ping >/dev/null 2>&1 && break; sleep 0.1; done
out=$(N "$U" client "$port" 0 hello)
t_match "-p $port:9999/udp answers on 127.0.0.1:$port" '^hello from [0-9]+$' "$out"
t_eq "bld port lists the UDP port" "9999/udp -> 0.0.0.0:$port" "$(B port u)"
t_match "inspect shows 9999/udp" '"9999/udp"' "$(B inspect u)"

out=$(N "$U" client "$port" 100 a b)
p1=$(sed -n 's/^a from //p' <<<"$out") p2=$(sed -n 's/^b from //p' <<<"$out")
t_match "one client: both datagrams answered" '^[0-9]+ [0-9]+$' "$p1 $p2"
t_eq "one client: one flow (the same source port inside)" "$p1" "$p2"
o1=$(N "$U" client "$port" 0 x) o2=$(N "$U" client "$port" 0 y)
t_match "two clients: answered each" '^x from [0-9]+ y from [0-9]+$' "$(echo $o1 $o2)"
[ "${o1#x from }" != "${o2#y from }" ] && t_pass "two clients: two flows" ||
  t_fail "two clients: two flows" "got: $o1 / $o2"
t_match "the flow's socket is inside the container" "127\.0\.0\.1:9999" "$(B exec u netstat -un)"

out=$(N "$U" client "$port" 2500 c d)
p1=$(sed -n 's/^c from //p' <<<"$out") p2=$(sed -n 's/^d from //p' <<<"$out")
t_match "after the idle timeout: still answered" '^[0-9]+ [0-9]+$' "$p1 $p2"
[ -n "$p1" ] && [ "$p1" != "$p2" ] && t_pass "after the idle timeout: a new flow" ||
  t_fail "after the idle timeout: a new flow" "got: $out"
sleep 1.5
t_eq "idle flows are closed" "" "$(B exec u netstat -un | grep '127\.0\.0\.1:9999')"

t_exit "a taken UDP host port fails the start with 125" 125 \
  B run --rm -p "$port:53/udp" $IMG true
B rm -f u >/dev/null
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
