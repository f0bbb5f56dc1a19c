#!/usr/bin/env bash
# tests/e2e/registry.sh — bld pull/push/login/logout against real Debian docker-registry
# instances on 127.0.0.1 (plain HTTP, TLS + htpasswd, Bearer tokens from the token fixture),
# seeded by skopeo with images bld did not make. Checks what bld stores with skopeo, the
# digest round trip, one-line errors that leave the store as it was, a tampered blob,
# kill -9 in the middle of pulls, and credentials files.
. "$(dirname "$0")/lib.sh"
ENV="$TOP/tests/env"
export DOCKER_CONFIG=$T_DIR/docker-config BLD_CONFIG=$T_DIR/bld-config.json
unset BLD_CERTS_DIR

start_reg() { # NAME [registry.sh options] — starts, registers the stop, sources nothing
  "$ENV/registry.sh" start "$T_DIR/$1" "${@:2}" >/dev/null || { t_fail "start registry $1"; exit 1; }
  at_exit "'$ENV/registry.sh' stop '$T_DIR/$1'"
}
regenv() { (. "$T_DIR/$1/env"; eval "echo \$$2"); }

# a snapshot of the store: every file with its content digest (names and blobs)
store_state() { [ -d "$BLD_ROOT" ] && (cd "$BLD_ROOT" && find oci layers -type f -print0 2>/dev/null | sort -z | xargs -0r sha256sum); true; }

tag() { "$BLD" tag "$1" "$2"; }

# ---------------------------------------------------------------- plain HTTP, every form
start_reg plain
"$ENV/seed.sh" --env "$T_DIR/plain/env" >/dev/null || { t_fail "seed"; exit 1; }
R=$(regenv plain REG_ADDR)
for t in latest latest-v2s2 index-oci index-v2s2; do
  out=$("$BLD" pull "$R/library/busybox:$t" 2>&1); rc=$?
  t_eq "pull :$t exits 0" 0 "$rc"
  t_eq "pull :$t ends with the full name" "$R/library/busybox:$t" "$(tail -1 <<<"$out")"
  t_ok "skopeo reads :$t from the store" skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox:$t"
done
t_match "first pull prints docker's lines" "^latest: Pulling from library/busybox" "$(cd "$T_DIR" && "$BLD" pull "$R/library/busybox:latest")"
out=$("$BLD" pull "$R/library/busybox:latest")
t_match "second pull is up to date" "Status: Image is up to date for $R/library/busybox:latest" "$out"
want=$(skopeo inspect --raw --tls-verify=false "docker://$R/library/busybox:index-oci" | sha256sum | cut -d' ' -f1)
t_match "index pull prints the index digest" "^Digest: sha256:$want" "$("$BLD" pull "$R/library/busybox:index-oci")"
t_eq "pull -q prints only the name" "$R/library/busybox:latest" "$("$BLD" pull -q "$R/library/busybox:latest")"
"$BLD" pull -q --platform linux/arm64 "$R/library/busybox:index-v2s2" >/dev/null
t_eq "--platform linux/arm64 picks the arm64 image" arm64 \
  "$(skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox:index-v2s2" | jq -r .Architecture)"
d=$(skopeo inspect --raw --tls-verify=false "docker://$R/library/busybox:latest" | sha256sum | cut -d' ' -f1)
t_ok "pull by digest" "$BLD" pull -q "$R/library/busybox@sha256:$d"
t_ok "skopeo reads the digest name" skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox@sha256:$d"
out=$(BLD_ROOT=$T_DIR/root-all "$BLD" pull -a -q "$R/library/busybox" 2>&1)
t_eq "pull -a prints the repository" "$R/library/busybox" "$(tail -1 <<<"$out")"
t_eq "pull -a pulls every tag" "index-oci index-v2s2 latest latest-arm64 latest-v2s2" \
  "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"] | sub(".*:"; "")] | sort | join(" ")' "$T_DIR/root-all/oci/index.json")"
t_match "pull -a with a tag is refused" "can't be used with --all-tags" "$("$BLD" pull -a "$R/library/busybox:latest" 2>&1)"
t_ok "layers are unpacked" test -x "$(ls -d "$BLD_ROOT"/layers/*/ | head -1)/bin/busybox"

# ---------------------------------------------------------------- errors leave the store alone
before=$(store_state)
out=$("$BLD" pull "$R/library/nosuchimage:latest" 2>&1); rc=$?
t_eq "unknown name fails" 1 "$rc"
t_match "unknown name says so in one line" "^bld: .*(not found|unknown)" "$out"
t_eq "unknown name: one line" 1 "$(grep -c . <<<"$out")"
out=$("$BLD" pull "$R/library/busybox:nosuchtag" 2>&1); rc=$?
t_eq "missing tag fails" 1 "$rc"
t_match "missing tag says which" "manifest for $R/library/busybox:nosuchtag not found" "$out"
out=$("$BLD" pull "$R/library/busybox@sha256:$(printf '0%.0s' {1..64})" 2>&1)
t_match "unknown digest fails" "not found" "$out"
out=$("$BLD" pull --platform linux/s390x "$R/library/busybox:index-oci" 2>&1)
t_match "missing platform says so" "no matching manifest for linux/s390x" "$out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$("$BLD" pull "127.0.0.1:$port/library/busybox:latest" 2>&1); rc=$?
t_eq "registry down fails" 1 "$rc"
t_match "registry down says so" "^bld: cannot reach registry 127.0.0.1:$port" "$out"
t_eq "failed pulls leave the store as it was" "$before" "$(store_state)"

# ---------------------------------------------------------------- push round trip
tag "$R/library/busybox:latest" "$R/rt/bb:v1"
out=$("$BLD" push "$R/rt/bb:v1" 2>&1); rc=$?
t_eq "push exits 0" 0 "$rc"
t_match "push mounts from the source repository" "Mounted from library/busybox" "$out"
t_match "push prints the digest line" "^v1: digest: sha256:$d size: [0-9]+" "$out"
t_eq "skopeo reads what bld pushed" "sha256:$d" \
  "$(skopeo inspect --tls-verify=false "docker://$R/rt/bb:v1" | jq -r .Digest)"
t_ok "skopeo copies what bld pushed" skopeo copy -q --src-tls-verify=false "docker://$R/rt/bb:v1" "oci:$T_DIR/copy:x"
start_reg other
R2=$(regenv other REG_ADDR)
tag "$R/library/busybox:latest" "$R2/fresh/bb:v2"
out=$("$BLD" push "$R2/fresh/bb:v2" 2>&1)
t_match "push uploads to an empty registry" "Pushed" "$out"
t_match "push to an empty registry keeps the digest" "digest: sha256:$d" "$out"
t_eq "pushed OCI manifest keeps its media type" "application/vnd.oci.image.manifest.v1+json" \
  "$(skopeo inspect --raw --tls-verify=false "docker://$R2/fresh/bb:v2" | jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"')"
BLD_ROOT=$T_DIR/root2 "$BLD" pull -q "$R2/fresh/bb:v2" >/dev/null
t_eq "pull → push → pull keeps the manifest digest" "sha256:$d" \
  "$(skopeo inspect --raw "oci:$T_DIR/root2/oci:$R2/fresh/bb:v2" | sha256sum | sed 's/ .*//; s/^/sha256:/')"
t_eq "a v2s2 image is stored as OCI with the same layers" \
  "$(skopeo inspect --tls-verify=false "docker://$R/library/busybox:latest-v2s2" | jq -c .Layers)" \
  "$(skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox:latest-v2s2" | jq -c .Layers)"
out=$("$BLD" push "$R2/nothere/x:1" 2>&1); rc=$?
t_eq "push of a missing image fails" 1 "$rc"
t_match "push of a missing image says so" "does not exist locally" "$out"

# ---------------------------------------------------------------- a tampered blob
start_reg tamper
"$ENV/seed.sh" --env "$T_DIR/tamper/env" --only latest >/dev/null
RT=$(regenv tamper REG_ADDR)
layer=$(skopeo inspect --raw --tls-verify=false "docker://$RT/library/busybox:latest" | jq -r '.layers[0].digest')
f=$(regenv tamper REG_DATA)/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data
printf 'X' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
export BLD_ROOT_SAVED=$BLD_ROOT BLD_ROOT=$T_DIR/root-tamper
out=$("$BLD" pull "$RT/library/busybox:latest" 2>&1); rc=$?
t_eq "tampered blob fails" 1 "$rc"
t_match "tampered blob gives a digest error" "^bld: .*digest mismatch" "$out"
t_eq "tampered blob leaves no blob, layer or partial" "" \
  "$(find "$BLD_ROOT/oci/blobs" "$BLD_ROOT/oci/ingest" "$BLD_ROOT/layers" -type f 2>/dev/null)"
t_eq "tampered blob leaves no name" "" "$(jq -r '.manifests[]?.annotations["org.opencontainers.image.ref.name"]' "$BLD_ROOT/oci/index.json" 2>/dev/null)"
md=$(skopeo inspect --raw --tls-verify=false "docker://$RT/library/busybox:latest" | sha256sum | cut -d' ' -f1)
mf=$(regenv tamper REG_DATA)/docker/registry/v2/blobs/sha256/${md:0:2}/$md/data
sed -i 's/"schemaVersion":2/"schemaVersion": 2/; s/"schemaVersion": *2,/"schemaVersion":2 ,/' "$mf"
out=$("$BLD" pull "$RT/library/busybox:latest" 2>&1)
t_match "a tampered manifest gives a digest error" "^bld: .*digest mismatch: registry says sha256:$md" "$out"
t_eq "a tampered manifest leaves no name" "" "$(jq -r '.manifests[]?.annotations["org.opencontainers.image.ref.name"]' "$BLD_ROOT/oci/index.json" 2>/dev/null)"
BLD_ROOT=$BLD_ROOT_SAVED

# ---------------------------------------------------------------- kill -9 in the middle of pulls
# a ~24 MB layer of random data, pushed with curl, so that kills land mid-transfer
mkdir -p "$T_DIR/big/rootfs"
head -c 24M /dev/urandom >"$T_DIR/big/rootfs/random.bin"
tar -C "$T_DIR/big/rootfs" -cf "$T_DIR/big/layer.tar" random.bin
diffid=sha256:$(sha256sum "$T_DIR/big/layer.tar" | cut -d' ' -f1)
gzip -1 -c "$T_DIR/big/layer.tar" >"$T_DIR/big/layer.tgz"
# and two small layers on top, so that pushes upload several layers at once
for n in 1 2; do
  mkdir -p "$T_DIR/big/s$n"; echo "small layer $n" >"$T_DIR/big/s$n/small$n.txt"
  tar -C "$T_DIR/big/s$n" -cf "$T_DIR/big/s$n.tar" "small$n.txt"; gzip -c "$T_DIR/big/s$n.tar" >"$T_DIR/big/s$n.tgz"
done
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s","sha256:%s","sha256:%s"]}}' \
  "$diffid" "$(sha256sum <"$T_DIR/big/s1.tar" | cut -d' ' -f1)" "$(sha256sum <"$T_DIR/big/s2.tar" | cut -d' ' -f1)" >"$T_DIR/big/config.json"
put_blob() { # FILE -> digest
  local d loc
  d=sha256:$(sha256sum "$1" | cut -d' ' -f1)
  loc=$(curl -fsS -X POST -D - -o /dev/null "http://$R/v2/big/img/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="http://$R$loc" ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$loc&digest=$d" >/dev/null
  echo "$d"
}
cd=$(put_blob "$T_DIR/big/config.json"); ld=$(put_blob "$T_DIR/big/layer.tgz")
s1=$(put_blob "$T_DIR/big/s1.tgz"); s2=$(put_blob "$T_DIR/big/s2.tgz")
L='{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}'
printf "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%s},\"layers\":[$L,$L,$L]}" \
  "$cd" "$(stat -c %s "$T_DIR/big/config.json")" "$ld" "$(stat -c %s "$T_DIR/big/layer.tgz")" \
  "$s1" "$(stat -c %s "$T_DIR/big/s1.tgz")" "$s2" "$(stat -c %s "$T_DIR/big/s2.tgz")" >"$T_DIR/big/manifest.json"
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T_DIR/big/manifest.json" "http://$R/v2/big/img/manifests/v1" >/dev/null
export BLD_ROOT=$T_DIR/root-kill
for i in $(seq 1 20); do
  "$BLD" pull -q "$R/big/img:v1" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 250)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
t_ok "a pull after 20 kill -9 succeeds" "$BLD" pull -q "$R/big/img:v1"
bad=""
for b in "$BLD_ROOT"/oci/blobs/sha256/*; do
  [ "$(sha256sum "$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || bad="$bad $b"
done
t_eq "every stored blob matches its digest after the kills" "" "$bad"
t_ok "the killed-then-pulled image reads with skopeo" skopeo inspect "oci:$BLD_ROOT/oci:$R/big/img:v1"
t_eq "the unpacked layer is whole" "$(sha256sum <"$T_DIR/big/rootfs/random.bin")" \
  "$(sha256sum <"$(find "$BLD_ROOT/layers" -mindepth 2 -maxdepth 2 -name random.bin -not -path "*/.*" | head -1)")"

# retries and resume: a proxy answers 503 first, then drops the connection after 4 MB
python3 "$ENV/flaky-proxy.py" --upstream "$R" --port-file "$T_DIR/proxy.port" \
  --log "$T_DIR/proxy.log" --plan 5d --drop-after 4194304 >"$T_DIR/proxy.out" 2>&1 &
ppid=$!
at_exit "kill $ppid 2>/dev/null; wait $ppid 2>/dev/null"
for _ in $(seq 1 100); do [ -s "$T_DIR/proxy.port" ] && break; sleep 0.05; done
P=127.0.0.1:$(cat "$T_DIR/proxy.port")
out=$(BLD_ROOT=$T_DIR/root-flaky "$BLD" pull -q "$P/big/img:v1" 2>&1); rc=$?
t_eq "pull through 503 and a dropped connection succeeds" 0 "$rc"
t_match "the dropped download resumes with Range" "blobs/$ld bytes=[1-9][0-9]*- \\." "$(cat "$T_DIR/proxy.log")"
t_eq "the layer was asked for three times (503, drop, resume)" 3 "$(grep -c "GET /v2/big/img/blobs/$ld" "$T_DIR/proxy.log")"
t_ok "the resumed image reads with skopeo" skopeo inspect "oci:$T_DIR/root-flaky/oci:$P/big/img:v1"
python3 "$ENV/flaky-proxy.py" --upstream "$R" --port-file "$T_DIR/proxy2.port" \
  --log "$T_DIR/proxy2.log" --plan 55 --manifests >"$T_DIR/proxy2.out" 2>&1 &
ppid2=$!
at_exit "kill $ppid2 2>/dev/null; wait $ppid2 2>/dev/null"
for _ in $(seq 1 100); do [ -s "$T_DIR/proxy2.port" ] && break; sleep 0.05; done
P2=127.0.0.1:$(cat "$T_DIR/proxy2.port")
t_ok "manifest GETs are retried after 503s" env BLD_ROOT="$T_DIR/root-flaky2" "$BLD" pull -q "$P2/library/busybox:latest"
t_eq "the manifest was asked for three times" 3 "$(grep -c "GET /v2/library/busybox/manifests/latest " "$T_DIR/proxy2.log")"
tag "$R/big/img:v1" "$R2/big/img:v1"
out=$("$BLD" push "$R2/big/img:v1" 2>&1)
t_eq "three layers pushed (in parallel, the large one in chunks)" 3 "$(grep -c ': Pushed$' <<<"$out")"
t_eq "push lists the top layer first" "${s2:7:12}: Preparing" "$(sed -n 2p <<<"$out")"
t_eq "the chunked push reads back with the same digest" \
  "$(skopeo inspect --raw --tls-verify=false "docker://$R/big/img:v1" | sha256sum)" \
  "$(skopeo inspect --raw --tls-verify=false "docker://$R2/big/img:v1" | sha256sum)"
t_ok "skopeo copies the chunked blob" skopeo copy -q --src-tls-verify=false "docker://$R2/big/img:v1" "oci:$T_DIR/bigcopy:x"
t_ok "bld system check is clean after the kills" "$BLD" system check
BLD_ROOT=$BLD_ROOT_SAVED

# ---------------------------------------------------------------- TLS + htpasswd
start_reg tls --tls --auth basic
"$ENV/seed.sh" --env "$T_DIR/tls/env" --only latest >/dev/null
RB=$(regenv tls REG_ADDR) PB=$(regenv tls REG_PASS)
out=$("$BLD" pull -q --tls-verify=true "$RB/library/busybox:latest" 2>&1)
t_match "--tls-verify=true: an unknown CA is refused" "^bld: tls: cannot verify" "$out"
# docker's default: 127.0.0.0/8 is an insecure registry, its certificate is not checked
out=$("$BLD" pull -q "$RB/library/busybox:latest" 2>&1)
t_match "127.0.0.1 by default: the unknown CA passes, the registry asks for a login" \
  "access denied|bld login" "$out"
out=$(BLD_ROOT=$T_DIR/https-only "$BLD" pull -q --tls-verify=true "$R/library/busybox:latest" 2>&1)
t_match "--tls-verify=true: plain HTTP is refused, as docker says it" \
  "^bld: .*$R: http: server gave HTTP response to HTTPS client$" "$out"
t_eq "... and nothing is stored" "" "$(BLD_ROOT=$T_DIR/https-only "$BLD" images -q)"
export BLD_CERTS_DIR=$(regenv tls REG_CERTS_DIR)
out=$("$BLD" pull -q --tls-verify=true "$RB/library/busybox:latest" 2>&1); rc=$?
t_eq "401 without credentials fails" 1 "$rc"
t_match "401 without credentials says so" "access denied|bld login" "$out"
out=$(echo wrong | "$BLD" login -u bld --password-stdin "$RB" 2>&1); rc=$?
t_eq "wrong password fails" 1 "$rc"
t_match "wrong password says so" "incorrect username or password" "$out"
t_eq "wrong password writes nothing" "" "$(ls "$DOCKER_CONFIG" 2>/dev/null)"
mkdir -p "$DOCKER_CONFIG"; printf '{"auths":{"%s":{"auth":"%s"}}}' "$RB" "$(printf 'bld:wrong' | base64 -w0)" >"$DOCKER_CONFIG/config.json"
out=$("$BLD" pull -q "$RB/library/busybox:latest" 2>&1); rc=$?
t_eq "pull with a wrong stored password fails" 1 "$rc"
t_match "pull with a wrong stored password says so" "^bld: .*incorrect username or password" "$out"
rm -rf "$DOCKER_CONFIG"
out=$(echo "$PB" | "$BLD" login -u bld --password-stdin "$RB" 2>&1)
t_eq "login with htpasswd" "Login Succeeded" "$out"
t_eq "config.json is 0600" 600 "$(stat -c %a "$DOCKER_CONFIG/config.json")"
t_eq "config.json holds docker's auth entry" "$(printf 'bld:%s' "$PB" | base64 -w0)" \
  "$(jq -r --arg k "$RB" '.auths[$k].auth' "$DOCKER_CONFIG/config.json")"
t_ok "pull over TLS with credentials" "$BLD" pull -q "$RB/library/busybox:latest"
tag "$RB/library/busybox:latest" "$RB/mine/bb:1"
t_ok "push over TLS with credentials" "$BLD" push -q "$RB/mine/bb:1"
t_eq "logout" "Removing login credentials for $RB" "$("$BLD" logout "$RB")"
t_eq "logout removes the entry" "null" "$(jq -r --arg k "$RB" '.auths[$k]' "$DOCKER_CONFIG/config.json")"
t_exit "pull after logout fails" 1 "$BLD" pull -q "$RB/library/busybox:latest"
t_ok "--tls-verify=false skips verification" env -u BLD_CERTS_DIR "$BLD" login --tls-verify=false -u bld -p "$PB" "$RB"
t_exit "login --tls-verify=true without the CA fails" 1 \
  env -u BLD_CERTS_DIR "$BLD" login --tls-verify=true -u bld -p "$PB" "$RB"
"$BLD" logout "$RB" >/dev/null
# a credsStore program: login stores through it, pull reads through it, logout erases
mkdir -p "$T_DIR/bin"
cat >"$T_DIR/bin/docker-credential-bldfake" <<EOF
#!/bin/sh
store=$T_DIR/fake-store.json
[ -f "\$store" ] || echo '{}' >"\$store"
case "\$1" in
  store) jq -c --argjson in "\$(cat)" '.[\$in.ServerURL] = \$in' "\$store" >"\$store.new" && mv "\$store.new" "\$store" ;;
  get) s=\$(cat); jq -e --arg s "\$s" '.[\$s]' "\$store" || { echo "credentials not found in native keychain"; exit 1; } ;;
  erase) s=\$(cat); jq --arg s "\$s" 'del(.[\$s])' "\$store" >"\$store.new" && mv "\$store.new" "\$store" ;;
  *) exit 1 ;;
esac
EOF
chmod +x "$T_DIR/bin/docker-credential-bldfake"
PATH=$T_DIR/bin:$PATH
echo '{"credsStore": "bldfake"}' >"$DOCKER_CONFIG/config.json"
t_ok "login through a credsStore program" "$BLD" login -u bld -p "$PB" "$RB"
t_eq "the program holds the password" "$PB" "$(jq -r --arg k "$RB" '.[$k].Secret' "$T_DIR/fake-store.json")"
t_eq "config.json holds no password" "" "$(grep -o "$PB" "$DOCKER_CONFIG/config.json")"
t_ok "pull with credentials from the credsStore program" "$BLD" pull -q "$RB/library/busybox:latest"
t_ok "logout through the credsStore program" "$BLD" logout "$RB"
t_eq "the program no longer holds them" "null" "$(jq -r --arg k "$RB" '.[$k]' "$T_DIR/fake-store.json")"
echo '{}' >"$DOCKER_CONFIG/config.json"
unset BLD_CERTS_DIR

# ---------------------------------------------------------------- token auth
start_reg token --auth token --no-anonymous
"$ENV/seed.sh" --env "$T_DIR/token/env" --only latest,index-oci >/dev/null
RK=$(regenv token REG_ADDR) PK=$(regenv token REG_PASS) LOG=$(regenv token REG_TOKEN_LOG)
t_exit "token registry refuses anonymous pulls" 1 "$BLD" pull -q "$RK/library/busybox:latest"
out=$("$BLD" login -u bld -p nope "$RK" 2>&1)
t_match "token service refuses a wrong password" "incorrect username or password" "$out"
t_ok "login with the token fixture" "$BLD" login -u bld -p "$PK" "$RK"
t_eq "config.json stays 0600" 600 "$(stat -c %a "$DOCKER_CONFIG/config.json")"
: >"$LOG"
t_ok "pull with a token" "$BLD" pull -q "$RK/library/busybox:index-oci"
t_eq "one token per scope for a whole pull" "bld repository:library/busybox:pull" "$(cat "$LOG")"
tag "$RK/library/busybox:index-oci" "$RK/team/bb:1"
t_ok "push with a token (cross-repo mount)" "$BLD" push "$RK/team/bb:1"
t_ok "skopeo reads what bld pushed with tokens" skopeo inspect --tls-verify=false --creds "bld:$PK" "docker://$RK/team/bb:1"
t_ok "logout from the token registry" "$BLD" logout "$RK"
# an identity token in config.json (as docker keeps one): tokens through the OAuth2 POST
printf '{"auths":{"%s":{"auth":"","identitytoken":"%s"}}}' "$RK" "$(regenv token REG_REFRESH_TOKEN)" >"$DOCKER_CONFIG/config.json"
: >"$LOG"
t_ok "pull with an identity token" "$BLD" pull -q "$RK/library/busybox:latest"
t_eq "the identity token went through the OAuth2 POST" "oauth:refresh repository:library/busybox:pull" "$(cat "$LOG")"
printf '{"auths":{"%s":{"identitytoken":"stale"}}}' "$RK" >"$DOCKER_CONFIG/config.json"
t_match "a refused identity token says so" "identity token refused" "$("$BLD" pull -q "$RK/library/busybox:latest" 2>&1)"
echo '{}' >"$DOCKER_CONFIG/config.json"
t_exit "pull after logout fails" 1 "$BLD" pull -q "$RK/library/busybox:latest"

# --all-tags pages through Link headers, but never to another host: the credentials for this
# registry would go along. A small fake registry sends a next page on a second port.
cat >"$T_DIR/linkreg.py" <<'PY'
import http.server, sys, threading
log = open(sys.argv[1], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        log.write("%d %s\n" % (self.server.server_port, self.path))
        body = b"{}" if self.path == "/v2/" else b'{"name":"x/y","tags":["a"]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if "tags" in self.path:
            self.send_header("Link", '<http://127.0.0.1:%d/v2/x/y/tags/list?last=a>; rel="next"' % other.server_port)
        self.end_headers()
        self.wfile.write(body)
main = http.server.HTTPServer(("127.0.0.1", 0), H)
other = http.server.HTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=other.serve_forever, daemon=True).start()
open(sys.argv[2], "w").write(str(main.server_port))
main.serve_forever()
PY
python3 "$T_DIR/linkreg.py" "$T_DIR/linkreg.log" "$T_DIR/linkreg.port" &
lpid=$!
at_exit "kill $lpid 2>/dev/null; wait $lpid 2>/dev/null"
for _ in $(seq 1 100); do [ -s "$T_DIR/linkreg.port" ] && break; sleep 0.05; done
LP=$(cat "$T_DIR/linkreg.port")
out=$("$BLD" pull -a "127.0.0.1:$LP/x/y" 2>&1); rc=$?
t_eq "--all-tags: a next page on another host fails with 1, as docker" 1 "$rc"
t_match "... saying so" "^bld: tags of .*: the next page is on another host: http://127\.0\.0\.1:" "$out"
t_eq "... and nothing was sent there" "" "$(grep -v "^$LP " "$T_DIR/linkreg.log")"
