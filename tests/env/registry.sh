#!/usr/bin/env bash
# tests/env/registry.sh — starts and stops a private Debian `docker-registry` (distribution
# 2.8) on 127.0.0.1 for bld's tests, on a free port chosen at start.
#
# Usage:
#   tests/env/registry.sh start DIR [--tls] [--auth none|basic|token] [--user USER:PASS]
#                                    [--no-anonymous]
#   tests/env/registry.sh stop DIR
#
#   start   creates DIR (must not hold a running registry), writes the registry config,
#           certificates and credentials there, starts the registry (and for --auth token
#           the token service tests/env/token-server.py), waits until /v2/ answers, and
#           writes DIR/env, a shell file to source:
#             REG_ADDR=127.0.0.1:PORT   REG_URL=http(s)://127.0.0.1:PORT
#             REG_SCHEME=http|https     REG_AUTH=none|basic|token
#             REG_DATA=DIR/data         (the registry's storage: tests may tamper with it)
#             REG_PID=...               REG_TOKEN_PID=... REG_TOKEN_URL=... REG_TOKEN_LOG=...
#             REG_REFRESH_TOKEN=...     (token: an identity token the token service accepts)
#             REG_USER=... REG_PASS=... (basic/token; default user "bld", random password)
#             REG_CERTS_DIR=DIR/certs.d (TLS: <addr>/ca.crt inside, docker's certs.d layout;
#                                        use as BLD_CERTS_DIR, or skopeo --cert-dir
#                                        "$REG_CERTS_DIR/$REG_ADDR")
#             REG_CA=DIR/ca.crt         (TLS: the self-signed CA, for curl --cacert)
#   stop    kills the processes named in DIR/env by PID (checking they are what we
#           started), waits for them, and leaves DIR for the caller to remove.
#
#   --tls            HTTPS with a server certificate for 127.0.0.1/localhost signed by a
#                    CA made here with openssl
#   --auth basic     htpasswd (bcrypt) basic auth
#   --auth token     Bearer token auth, like Docker Hub: a token service issues RS256 JWTs
#                    signed with a key whose certificate the registry trusts
#   --no-anonymous   (token) anonymous callers get no token at all (default: pull only)
#
# In an e2e test:
#   "$TOP/tests/env/registry.sh" start "$T_DIR/reg" --tls --auth basic >/dev/null
#   at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg'"
#   . "$T_DIR/reg/env"
# Only 127.0.0.1 is used. Needs docker-registry, openssl, apache2-utils (htpasswd), curl,
# python3 and python3-cryptography (token).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf 'registry.sh: %s\n' "$*" >&2; exit 1; }

# free_port: a TCP port on 127.0.0.1 that nobody listens on right now
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# alive PID EXE-SUBSTRING: PID runs a program whose exe or cmdline names EXE
alive() {
  local c
  [ -n "$1" ] && [ -d "/proc/$1" ] || return 1
  c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [ -n "$c" ] && [[ "$c" == *"$2"* ]]  # a zombie has an empty cmdline
}

stop_pid() { # PID NAME
  local p=$1
  alive "$p" "$2" || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 50); do alive "$p" "$2" || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}

cmd_stop() {
  local dir=$1
  [ -f "$dir/env" ] || return 0
  # shellcheck disable=SC1091
  (. "$dir/env"
   stop_pid "${REG_PID:-}" docker-registry
   stop_pid "${REG_TOKEN_PID:-}" token-server.py)
}

make_tls() { # DIR
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=bld test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" \
    -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 7 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
}

start_token() { # DIR -> sets TOKEN_PORT TOKEN_PID
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=bld test token issuer" \
    -keyout "$d/token.key" -out "$d/token.crt" -addext basicConstraints=critical,CA:TRUE \
    2>/dev/null
  printf '%s:%s\n' "$USER_NAME" "$USER_PASS" >"$d/token-users"
  rm -f "$d/token.port"
  local extra=()
  [ "$NO_ANON" = 1 ] && extra+=(--no-anonymous)
  python3 "$HERE/token-server.py" --key "$d/token.key" --cert "$d/token.crt" \
    --users "$d/token-users" --issuer bld-test-issuer --service bld-test-registry \
    --port-file "$d/token.port" --log "$d/token.log" --refresh-token "refresh-$USER_PASS" "${extra[@]}" \
    >>"$d/token-server.log" 2>&1 </dev/null &
  TOKEN_PID=$!
  for _ in $(seq 1 100); do [ -s "$d/token.port" ] && break; sleep 0.05; done
  [ -s "$d/token.port" ] ||
    { stop_pid "$TOKEN_PID" token-server.py; cat "$d/token-server.log" >&2; die "token service did not start"; }
  TOKEN_PORT=$(cat "$d/token.port")
  : >"$d/token.log"
}

write_config() { # DIR PORT
  local d=$1 port=$2
  {
    printf 'version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$d"
    printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
    if [ "$TLS" = 1 ]; then
      printf '  tls:\n    certificate: %s/server.crt\n    key: %s/server.key\n' "$d" "$d"
    fi
    case "$AUTH" in
      basic) printf 'auth:\n  htpasswd:\n    realm: bld-test-registry\n    path: %s/htpasswd\n' "$d" ;;
      token) printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: bld-test-registry\n    issuer: bld-test-issuer\n    rootcertbundle: %s/token.crt\n' \
               "$TOKEN_PORT" "$d" ;;
    esac
  } >"$d/config.yml"
}

# try_start DIR: one attempt on a fresh free port; 0 when /v2/ answers
try_start() {
  local d=$1 curlopt=() code
  PORT=$(free_port)
  write_config "$d" "$PORT"
  docker-registry serve "$d/config.yml" >>"$d/registry.log" 2>&1 </dev/null &
  REG_PID=$!
  [ "$TLS" = 1 ] && curlopt=(--cacert "$d/ca.crt")
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "${curlopt[@]}" "$SCHEME://127.0.0.1:$PORT/v2/" || true)
    case "$code" in 200|401) return 0 ;; esac
    # by PID only: until the fork has exec'd, its cmdline is still this script's, and taking
    # that for an exit would start another registry and leave this one running
    kill -0 "$REG_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  stop_pid "$REG_PID" docker-registry
  return 1
}

cmd_start() {
  local d=$1; shift
  TLS=0 AUTH=none NO_ANON=0 USER_NAME=bld USER_PASS=$(openssl rand -hex 12)
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) TLS=1 ;;
      --auth) AUTH=$2; shift ;;
      --user) USER_NAME=${2%%:*}; USER_PASS=${2#*:}; shift ;;
      --no-anonymous) NO_ANON=1 ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  case "$AUTH" in none|basic|token) ;; *) die "--auth must be none, basic or token" ;; esac
  command -v docker-registry >/dev/null || die "docker-registry is not installed"
  [ ! -f "$d/env" ] || die "$d/env exists: stop that registry first"
  mkdir -p "$d/data"
  SCHEME=http; [ "$TLS" = 1 ] && SCHEME=https
  [ "$TLS" = 1 ] && make_tls "$d"
  [ "$AUTH" = basic ] && htpasswd -Bbn "$USER_NAME" "$USER_PASS" >"$d/htpasswd" 2>/dev/null
  TOKEN_PID="" TOKEN_PORT=""
  [ "$AUTH" = token ] && start_token "$d"
  local ok=0
  for _ in 1 2 3 4 5; do try_start "$d" && { ok=1; break; }; done
  if [ "$ok" = 0 ]; then
    stop_pid "$TOKEN_PID" token-server.py
    tail -5 "$d/registry.log" >&2
    die "registry did not start"
  fi
  local addr=127.0.0.1:$PORT
  if [ "$TLS" = 1 ]; then
    mkdir -p "$d/certs.d/$addr"
    cp "$d/ca.crt" "$d/certs.d/$addr/ca.crt"
  fi
  {
    echo "REG_ADDR=$addr"
    echo "REG_URL=$SCHEME://$addr"
    echo "REG_SCHEME=$SCHEME"
    echo "REG_AUTH=$AUTH"
    echo "REG_DATA=$d/data"
    echo "REG_PID=$REG_PID"
    echo "REG_DIR=$d"
    if [ "$AUTH" != none ]; then echo "REG_USER=$USER_NAME"; echo "REG_PASS=$USER_PASS"; fi
    if [ "$TLS" = 1 ]; then echo "REG_CERTS_DIR=$d/certs.d"; echo "REG_CA=$d/ca.crt"; fi
    if [ "$AUTH" = token ]; then
      echo "REG_TOKEN_PID=$TOKEN_PID"
      echo "REG_TOKEN_URL=http://127.0.0.1:$TOKEN_PORT/token"
      echo "REG_TOKEN_LOG=$d/token.log"
      echo "REG_REFRESH_TOKEN=refresh-$USER_PASS"
    fi
  } >"$d/env.tmp"
  mv "$d/env.tmp" "$d/env"
  cat "$d/env"
}

case "${1:-}" in
  start) [ $# -ge 2 ] || die "usage: start DIR [options]"; d=$2; shift 2; cmd_start "$d" "$@" ;;
  stop) [ $# -eq 2 ] || die "usage: stop DIR"; cmd_stop "$2" ;;
  -h|--help|"") sed -n '2,40p' "$0" ;;
  *) die "unknown command $1 (start, stop)" ;;
esac
