#!/usr/bin/env bash
# tests/e2e/api_system.sh — `bld system service`: the Engine API on a unix socket, driven by
# Debian's docker 20.10 CLI and compared with a private dockerd where the output is docker's:
# /_ping's headers, version negotiation (/vX.Y/ prefixes, the bounds 1.40-1.44 and docker's
# refusals), errors as {"message"} with docker's status codes, `docker version`, `docker
# info` (swarm inactive, no field dockerd lacks), `docker events` (following, --since/--until,
# filters), `docker ps` with -a, -q, -n, --filter over
# containers the bld CLI started (one store, no daemon), request limits, the socket's mode,
# a live socket refused and a stale one replaced, tcp:// refused without TLS, tcp:// with
# --tlsverify (the CLI with a certificate of the CA served; without one, or with one of
# another CA, refused), and --time's idle exit.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_docker_pair
t_api_service
DSOCK=${DOCKER_HOST#unix://}
api() { curl -s --unix-socket "$API_SOCK" "$@"; }
dapi() { curl -s --unix-socket "$DSOCK" "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ------------------------------------------------------------------ the socket, _ping
t_eq "the socket is mode 0660" "660" "$(stat -c %a "$API_SOCK")"
hdr=$(api -I http://d/_ping | tr -d '\r')
t_match "HEAD /_ping: Api-Version 1.44" "^Api-Version: 1.44$" "$hdr"
t_match "... Ostype: linux" "^Ostype: linux$" "$hdr"
t_match "... Builder-Version: 1 (the classic builder, as BuildKit is absent)" "^Builder-Version: 1$" "$hdr"
t_eq "GET /_ping answers OK, as dockerd" "$(dapi http://d/_ping)" "$(api http://d/_ping)"

# ------------------------------------------------------------------ versions and errors
t_eq "the 20.10 CLI negotiates down to its own 1.41" "1.41" "$(DK version --format '{{.Client.APIVersion}}')"
t_eq "... and reads the server's 1.44" "1.44|1.40" "$(DK version --format '{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}')"
t_eq "docker version's Server section has dockerd's Engine lines" \
  "$(D version | sed -n '/^Server/,/^ containerd/p' | sed -n '/Engine/,/Experimental/p' | cut -d: -f1)" \
  "$(DK version | sed -n '/^Server/,$p' | sed -n '/Engine/,/Experimental/p' | cut -d: -f1)"
t_eq "a /v1.41/ prefix is served" "$(api http://d/version | jq -r .Version)" "$(api http://d/v1.41/version | jq -r .Version)"
t_eq "a version below 1.40 is refused with 400, docker's words" \
  "400 client version 1.39 is too old. Minimum supported API version is 1.40, please upgrade your client to a newer version" \
  "$(code --unix-socket "$API_SOCK" http://d/v1.39/version) $(api http://d/v1.39/version | jq -r .message)"
t_match "... one above 1.44 too" "too new. Maximum supported API version is 1.44" "$(api http://d/v1.45/version)"
out=$(DOCKER_API_VERSION=1.39 DK version 2>&1)
t_match "the CLI shows the refusal as docker's daemon error" "Error response from daemon: client version 1.39 is too old" "$out"
t_eq "an unknown path: 404 {\"message\":\"page not found\"}, as dockerd" \
  "$(code --unix-socket "$DSOCK" http://d/v1.41/nosuch) $(dapi http://d/v1.41/nosuch)" \
  "$(code --unix-socket "$API_SOCK" http://d/v1.41/nosuch) $(api http://d/v1.41/nosuch)"
t_eq "malformed filters: 400 (docker 23 and later; 20.10's dockerd says 500)" "400" \
  "$(code --unix-socket "$API_SOCK" 'http://d/containers/json?filters=x')"

# ------------------------------------------------------------------ info
t_eq "docker info: swarm inactive" "inactive" "$(DK info --format '{{.Swarm.LocalNodeState}}')"
B run -d --name up --network none "$BASE" sleep 60 >/dev/null
D run -d --name up --network=none "$BASE" sleep 60 >/dev/null
B run --name c1 --network none "$BASE" true >/dev/null
D run --name c1 --network=none "$BASE" true >/dev/null
B run --name c2 --network none -l k=v "$BASE" sh -c 'exit 3' >/dev/null
D run --name c2 --network=none -l k=v "$BASE" sh -c 'exit 3' >/dev/null
f='{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}}'
t_eq "... containers and images counted as bld info counts them" "$(B info --format "$f")" "$(DK info --format "$f")"
t_eq "... as dockerd counts the same containers" "$(D info --format "$f")" "$(DK info --format "$f")"
keys() { sed -n '/^Server:/,$p' | grep -E '^ +[A-Za-z][^:]*:' | sed 's/:.*//; s/^ *//' | sort -u; }
t_eq "docker info prints no field that dockerd's lacks" "" \
  "$(comm -13 <(D info 2>/dev/null | keys) <(DK info 2>/dev/null | keys) | grep -vxE 'Init Binary|containerd version|runc version|init version')"

# ------------------------------------------------------------------ ps
mask() { sed -E 's/(Up|ago|Exited \([0-9]+\)) .*(ago)?$/\1 T/; s/ (Less than a second|About a minute|[0-9]+ seconds?) ago/ T ago/'; }
pf='{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}|{{.Labels}}'
t_eq "docker ps -a lists what the bld CLI ran, as dockerd lists the same" \
  "$(D ps -a --format "$pf" | mask)" "$(DK ps -a --format "$pf" | mask)"
t_eq "docker ps: the running one only" "up" "$(DK ps --format '{{.Names}}')"
t_eq "... its table header as dockerd's" "$(D ps | head -1 | tr -s " ")" "$(DK ps | head -1 | tr -s " ")"
t_eq "docker ps -q: the short ID" "$(B ps -q)" "$(DK ps -q)"
t_eq "docker ps -a --no-trunc -q: full IDs in bld ps' order" "$(B ps -a -q --no-trunc)" "$(DK ps -a -q --no-trunc)"
for flt in status=exited name=c1 label=k=v exited=3 status=running; do
  t_eq "docker ps -a --filter $flt, as dockerd" "$(D ps -a --filter "$flt" --format '{{.Names}}' | sed "s/^$//")" \
    "$(DK ps -a --filter "$flt" --format '{{.Names}}')"
done
t_eq "docker ps -a --filter id=ID (a prefix)" "c1" "$(DK ps -a --filter id="$(B ps -aq --filter name=c1)" --format '{{.Names}}')"
t_eq "docker ps -n 2 (limit): the two latest" "$(D ps -a -n 2 --format '{{.Names}}')" "$(DK ps -n 2 --format '{{.Names}}')"
t_eq "... -l: the latest" "c2" "$(DK ps -l --format '{{.Names}}')"
out=$(DK ps --filter nosuch=1 2>&1); rc=$?
t_eq "an unknown filter: refused, exit 1 as dockerd" "$(D ps --filter nosuch=1 >/dev/null 2>&1; echo $?)" "$rc"
t_match "... with bld's refusal" "Error response from daemon: .*nosuch" "$out"

# ------------------------------------------------------------------ limits
t_eq "a body over 16 MiB: 413" "413" \
  "$(head -c 17000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --unix-socket "$API_SOCK" --data-binary @- http://d/containers/json)"
{ printf 'X-Big: '; head -c 300000 /dev/zero | tr '\0' a; echo; } >"$T_DIR/big.hdr"
t_match "headers over the limit: refused with a 4xx" "^4[0-9][0-9]$" \
  "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$API_SOCK" -H @"$T_DIR/big.hdr" http://d/_ping)"
printf 'NOT HTTP\r\n\r\n' | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); s.recv(100)' "$API_SOCK" >/dev/null 2>&1
t_eq "the service answers on after those and a malformed request" "OK" "$(api http://d/_ping)"

# ------------------------------------------------------------------ the socket's life
out=$("$BLD" system service --time 0 "unix://$API_SOCK" 2>&1); rc=$?
t_eq "a second service on a live socket is refused" "125" "$rc"
t_match "... saying so" "another service is listening" "$out"
out=$("$BLD" system service tcp://127.0.0.1:2375 2>&1); rc=$?
t_eq "tcp:// without TLS is refused (exit 125)" "125" "$rc"
t_match "... with why" "^bld: tcp://127.0.0.1:2375: refused: .*TLS" "$out"
# TLS: a CA, the service's certificate (for 127.0.0.1) and a client's; another CA's client
mkdir -p "$T_DIR/tls" && cd "$T_DIR/tls" || exit 1
cert() { # NAME CA EXT: NAME.pem and NAME-key.pem signed by CA (or self-signed)
  if [ -z "${2:-}" ]; then openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.pem" -days 1 -subj "/CN=$1"
  else openssl req -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$1" &&
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" -CAcreateserial -out "$1.pem" -days 1 -extfile <(echo "$3")
  fi
} 2>/dev/null
cert ca && cert server ca subjectAltName=IP:127.0.0.1 && cert client ca extendedKeyUsage=clientAuth &&
  cert ca2 && cert other ca2 extendedKeyUsage=clientAuth
cd - >/dev/null || exit 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BLD" system service --time 0 --tlsverify --tlscacert "$T_DIR/tls/ca.pem" --tlscert "$T_DIR/tls/server.pem" \
  --tlskey "$T_DIR/tls/server-key.pem" "tcp://127.0.0.1:$port" 2>"$T_DIR/tls.log" &
tls_pid=$!
at_exit "kill $tls_pid 2>/dev/null"
TK() { DOCKER_HOST= /usr/bin/docker -H "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$T_DIR/tls/ca.pem" "$@"; }
for _ in $(seq 1 50); do TK --tlscert "$T_DIR/tls/client.pem" --tlskey "$T_DIR/tls/client-key.pem" version >/dev/null 2>&1 && break; sleep 0.1; done
t_eq "tcp:// with --tlsverify: docker --tlsverify with a certificate of the CA is served" "linux up" \
  "$(TK --tlscert "$T_DIR/tls/client.pem" --tlskey "$T_DIR/tls/client-key.pem" version --format '{{.Server.Os}}' 2>&1) $(TK --tlscert "$T_DIR/tls/client.pem" --tlskey "$T_DIR/tls/client-key.pem" ps --format '{{.Names}}')"
t_eq "... docker run over it: the hijacked stream through TLS too" "over-tls rc=0" \
  "$({ TK --tlscert "$T_DIR/tls/client.pem" --tlskey "$T_DIR/tls/client-key.pem" run --rm --network none "$BASE" echo over-tls 2>&1; echo "rc=$?"; } | paste -sd' ')"
out=$(TK version --format '{{.Server.Version}}' 2>&1); rc=$?
t_eq "... without a client certificate: refused" "1" "$rc"
t_match "... saying so" "Error response from daemon: a client certificate is required" "$out"
out=$(TK --tlscert "$T_DIR/tls/other.pem" --tlskey "$T_DIR/tls/other-key.pem" version --format '{{.Server.Version}}' 2>&1); rc=$?
t_eq "... with a certificate of another CA: refused" "1" "$rc"
t_match "... in words" "Error response from daemon: a client certificate is required" "$out"
t_eq "... which a client that sends it anyway hears named" "the client certificate is not signed by the service's CA" \
  "$(curl -s --cacert "$T_DIR/tls/ca.pem" --cert "$T_DIR/tls/other.pem" --key "$T_DIR/tls/other-key.pem" "https://127.0.0.1:$port/_ping" | jq -r .message)"
kill "$tls_pid"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_DIR/stale.sock"
"$BLD" system service --time 1 "unix://$T_DIR/stale.sock" 2>/dev/null &
idle=$!
at_exit "kill $idle 2>/dev/null"
for _ in $(seq 1 30); do curl -s --unix-socket "$T_DIR/stale.sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.1; done
t_eq "a stale socket file is replaced" "OK" "$(curl -s --unix-socket "$T_DIR/stale.sock" http://d/_ping)"
for _ in $(seq 1 40); do kill -0 "$idle" 2>/dev/null || break; sleep 0.1; done
t_eq "--time 1: the service ends when idle, its socket removed" "gone no-sock" \
  "$(kill -0 "$idle" 2>/dev/null && echo alive || echo gone) $([ -e "$T_DIR/stale.sock" ] && echo sock || echo no-sock)"
t_eq "the container started before keeps running without any service" "up" "$(B ps --format '{{.Names}}')"

# ------------------------------------------------------------------ events
t0=$(date +%s)
( DOCKER_HOST=unix://$API_SOCK timeout 10 /usr/bin/docker events --filter type=container --filter event=start \
    --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' >"$T_DIR/ev.out" 2>&1 & echo $! >"$T_DIR/ev.pid"; wait ) &
sleep 1
B run --name evc --network none "$BASE" true >/dev/null
for _ in $(seq 1 50); do grep -q evc "$T_DIR/ev.out" && break; sleep 0.1; done
kill "$(cat "$T_DIR/ev.pid")" 2>/dev/null
t_eq "docker events follows while another command runs, filtered as dockerd's" "container start evc" "$(cat "$T_DIR/ev.out")"
t_eq "docker events --since --until: the past, as the journal has it" "container create evc" \
  "$(DK events --since "$t0" --until "$(( $(date +%s) + 1 ))" --filter event=create --filter container=evc \
      --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}')"
