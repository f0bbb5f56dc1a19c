#!/usr/bin/env bash
# tests/e2e/build_steps.sh — Dockerfile step semantics where bld follows BuildKit on a busybox
# base from a private test registry: the RUN step's environment, hostname and /etc/hosts
# (while `bld run` keeps docker's) and its seccomp filter (compiled once, kept in the store),
# COPY from heredocs, COPY --exclude with .dockerignore's pattern rules, RUN
# --mount=type=bind seeing only what .dockerignore lets through, COPY/ADD --link, and RUN
# --mount=type=ssh with `bld build --ssh`.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

# cat_in IMAGE PATH... — the files' contents in the built image
cat_in() { local img=$1; shift; "$BLD" run --rm --network none "$img" cat "$@" 2>&1; }
# dump IMAGE — tests/diff/imgdump.py's view of a built image
dump() { python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" "docker.io/library/$1:latest"; }
hash_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# step_state OUTPUT TEXT — CACHED or RAN for the step whose line contains TEXT
step_state() {
  local v
  v=$(grep -F -- "$2" <<<"$1" | grep -m1 -oE '^#[0-9]+')
  [ -z "$v" ] && { echo missing; return; }
  grep -qx "$v CACHED" <<<"$1" && echo CACHED || echo RAN
}

# --- 1. RUN's environment, hostname and /etc/hosts are BuildKit's ---
mkdir -p "$T_DIR/env"
cat >"$T_DIR/env/Dockerfile" <<DF
FROM $BASE
RUN env | grep -E '^(HOSTNAME|HOME|PATH)=' | sort > /env; hostname > /hostname; cat /etc/hosts > /hosts
RUN grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | cut -f2 | tr '\n' ' ' > /privs
RUN for f in hosts resolv.conf; do touch /etc/\$f 2>/dev/null && echo \$f rw || echo \$f ro; done >/etcmode
DF
out=$("$BLD" build -t step-env "$T_DIR/env" 2>&1)
t_eq "a RUN step that reads its environment builds" 0 "$?"
# before any bld run: the steps compiled the filter once and kept it where containers do (the
# second RUN, whose Seccomp line follows, had it from there)
t_eq "RUN steps keep the compiled seccomp filter in the store" 1 \
  "$(ls "$BLD_ROOT"/runner/seccomp-*.bpf 2>/dev/null | wc -l)"
t_eq "RUN gets PATH and HOME but no HOSTNAME (as BuildKit)" \
  "HOME=/root
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$(cat_in step-env /env)"
t_eq "RUN's hostname is buildkitsandbox" buildkitsandbox "$(cat_in step-env /hostname)"
t_eq "RUN's /etc/hosts is BuildKit's" "$(printf '127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback')" \
  "$(cat_in step-env /hosts)"
t_eq "RUN has no no_new_privs but the seccomp filter (as BuildKit)" "0 2 " \
  "$(cat_in step-env /privs)"
t_eq "RUN's /etc/hosts and resolv.conf are read-only (as BuildKit)" "hosts ro
resolv.conf ro" "$(cat_in step-env /etcmode)"
t_eq "bld run's are writable (as docker run)" "hosts rw
resolv.conf rw" "$("$BLD" run --rm --network none step-env sh -c \
  'for f in hosts resolv.conf; do touch /etc/$f 2>/dev/null && echo $f rw || echo $f ro; done')"
t_match "bld run keeps docker's HOSTNAME" '^HOSTNAME=.+' \
  "$("$BLD" run --rm --network none step-env env 2>&1)"

# --- 2. COPY from heredocs ---
mkdir -p "$T_DIR/hd"
cat >"$T_DIR/hd/Dockerfile" <<DF
FROM $BASE
ARG NAME=world
ENV GREETING=hello
COPY <<EOF /greet.txt
\$GREETING "\$NAME" 'x' \\\$NOT
EOF
COPY <<'EOF' /raw.txt
\$GREETING "\$NAME"
EOF
COPY --chown=1:2 --chmod=600 <<a.txt <<b.txt /dir/
aaa
a.txt
bbb
b.txt
ADD <<-EOF /added
	tabbed \${NAME}
	EOF
DF
out=$("$BLD" build -t step-hd "$T_DIR/hd" 2>&1)
t_eq "COPY and ADD from heredocs build" 0 "$?"
t_eq "an unquoted heredoc is expanded, quotes kept (BuildKit's raw lexer)" \
  "hello \"world\" 'x' \$NOT" "$(cat_in step-hd /greet.txt)"
t_eq "a quoted delimiter keeps the body as written" '$GREETING "$NAME"' "$(cat_in step-hd /raw.txt)"
t_eq "several heredocs: one file each, named after the word" "aaa
bbb" "$(cat_in step-hd /dir/a.txt /dir/b.txt)"
t_eq "ADD <<-: tabs stripped, expanded" "tabbed world" "$(cat_in step-hd /added)"
dump step-hd >"$T_DIR/hd.dump"
t_match "a heredoc file is 0644 root-owned by default" \
  "^fs /greet.txt file 0644 0 0 23 $(hash_of "hello \"world\" 'x' \$NOT
") " "$(cat "$T_DIR/hd.dump")"
t_match "--chmod and --chown apply to heredoc files" '^fs /dir/a.txt file 0600 1 2 4 ' "$(cat "$T_DIR/hd.dump")"
out=$("$BLD" build -t step-hd "$T_DIR/hd" 2>&1)
t_eq "a heredoc rebuild is CACHED" 4 "$(grep -c '^#[0-9]* CACHED$' <<<"$out")"
out=$("$BLD" build --build-arg NAME=you -t step-hd "$T_DIR/hd" 2>&1)
t_eq "a changed ARG the heredoc uses rebuilds it" "hello \"you\" 'x' \$NOT" "$(cat_in step-hd /greet.txt)"
sed -i 's/^bbb$/BBB/' "$T_DIR/hd/Dockerfile"
out=$("$BLD" build -t step-hd "$T_DIR/hd" 2>&1)
t_eq "a changed heredoc body rebuilds its step" "BBB" "$(cat_in step-hd /dir/b.txt)"

# --- 3. COPY --exclude with .dockerignore's rules; a context bind without ignored files ---
ex=$T_DIR/ex
mkdir -p "$ex/src/sub" "$ex/src/vendor/x" "$ex/src/vendor/keep" "$ex/src/docs"
for f in src/a.go src/a_test.go src/sub/b.go src/sub/b_test.go src/vendor/x/v.go \
         src/vendor/keep/k.go src/docs/readme.md homefile home.txt secret.txt notes.log; do
  echo "$f" >"$ex/$f"
done
chmod 700 "$ex/src/vendor"
mkdir -p "$ex/logs" && echo keep >"$ex/logs/keep.log" && echo drop >"$ex/logs/drop.log"
printf 'secret.txt\nlogs\n!logs/keep.log\n' >"$ex/.dockerignore"
cat >"$ex/Dockerfile" <<DF
FROM $BASE AS other
RUN mkdir -p /data/d && echo 1 > /data/a.log && echo 2 > /data/d/b.log && echo 3 > /data/d/c.txt
FROM $BASE
COPY --exclude=**/*_test.go --exclude=vendor --exclude=!vendor/keep --exclude=docs/ src /app/
COPY --exclude=*.txt hom* /h/
COPY --from=other --exclude=**/*.log /data /d/
RUN --mount=type=bind,target=/ctx find /ctx | sort > /listing
RUN --mount=type=bind,target=/ctx,rw sh -c 'rm /ctx/homefile && find /ctx | sort > /listing-rw'
DF
out=$("$BLD" build -t step-ex "$ex" 2>&1)
t_eq "COPY --exclude builds" 0 "$?"
dump step-ex >"$T_DIR/ex.dump"
got=$(grep -E '^fs /(app|h|d)(/| )' "$T_DIR/ex.dump" | cut -d' ' -f2-4)
t_eq "--exclude: **, a directory, a ! re-inclusion inside it, dir/ (as BuildKit's patternmatcher)" \
"/app dir 0755
/app/a.go file 0644
/app/sub dir 0755
/app/sub/b.go file 0644
/app/vendor dir 0700
/app/vendor/keep dir 0755
/app/vendor/keep/k.go file 0644
/d dir 0755
/d/d dir 0755
/d/d/c.txt file 0644
/h dir 0755
/h/homefile file 0644" "$got"
t_eq "a bind of the context holds only what .dockerignore lets through" \
"/ctx
/ctx/.dockerignore
/ctx/Dockerfile
/ctx/home.txt
/ctx/homefile
/ctx/logs
/ctx/logs/keep.log
/ctx/notes.log" "$(cat_in step-ex /listing | grep -v '^/ctx/src')"
t_match "... also a writable one" '^/ctx/logs/keep.log$' "$(cat_in step-ex /listing-rw)"
t_ok "... whose writes never reach the context" test -f "$ex/homefile"
t_ok "... and the ignored files are still in the context" test -f "$ex/secret.txt" -a -f "$ex/logs/drop.log"
echo changed >"$ex/src/a_test.go"
out=$("$BLD" build -t step-ex "$ex" 2>&1)
t_eq "changing an --exclude'd file does not invalidate the COPY" CACHED "$(step_state "$out" "COPY --exclude=**/*_test.go")"
t_eq "... but a bind of the context that sees it" RAN "$(step_state "$out" "RUN --mount=type=bind,target=/ctx find")"
echo changed >"$ex/src/a.go"
out=$("$BLD" build -t step-ex "$ex" 2>&1)
t_eq "changing a copied file invalidates the COPY" RAN "$(step_state "$out" "COPY --exclude=**/*_test.go")"

# --- 4. COPY/ADD --link: a layer of its own, on an empty tree ---
# diff_ids IMAGE — the image's layer diff IDs, one a line
diff_ids() {
  python3 - "$BLD_ROOT/oci" "$1" <<'PY'
import json, os, sys
lay, name = sys.argv[1], sys.argv[2]
blob = lambda d: open(os.path.join(lay, "blobs", *d.split(":", 1)), "rb").read()
for m in json.load(open(os.path.join(lay, "index.json")))["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith("/" + name + ":latest"):
        cfg = json.loads(blob(json.loads(blob(m["digest"]))["config"]["digest"]))
        print("\n".join(cfg["rootfs"]["diff_ids"]))
PY
}
lk=$T_DIR/link
mkdir -p "$lk" && echo linked >"$lk/f.txt"
cat >"$lk/Dockerfile" <<DF
FROM $BASE
RUN mkdir /real && ln -s /real /link && echo v1 > /marker
COPY --link f.txt /link/f.txt
COPY --link f.txt /newdir/sub/
ADD --link --chown=1:2 f.txt /owned/
COPY --link <<EOF /hd.txt
made at its own time
EOF
DF
out=$("$BLD" build -t step-link "$lk" 2>&1)
t_eq "COPY/ADD --link build" 0 "$?"
dump step-link >"$T_DIR/link.dump"
got=$(grep -E '^fs /(link|real|newdir|owned)(/| )' "$T_DIR/link.dump" | cut -d' ' -f2-6)
t_eq "--link copies onto an empty tree: a symlinked directory of the base is not followed" \
"/link dir 0755 0 0
/link/f.txt file 0644 0 0
/newdir dir 0755 0 0
/newdir/sub dir 0755 0 0
/newdir/sub/f.txt file 0644 0 0
/owned dir 0755 1 2
/owned/f.txt file 0644 1 2
/real dir 0755 0 0" "$got"
ids1=$(diff_ids step-link)
t_eq "one layer per --link step" 6 "$(wc -l <<<"$ids1")"
out=$("$BLD" build -t step-link "$lk" 2>&1)
t_eq "a no-op rebuild is all CACHED" 5 "$(grep -c '^#[0-9]* CACHED$' <<<"$out")"
sleep 1.1
sed -i 's/echo v1/echo v2/' "$lk/Dockerfile"
out=$("$BLD" build -t step-link "$lk" 2>&1)
t_eq "a changed earlier RUN rebuilds" 0 "$?"
ids2=$(diff_ids step-link)
t_ok "... its own layer changes" test "$(sed -n 2p <<<"$ids1")" != "$(sed -n 2p <<<"$ids2")"
t_eq "... but the --link layers are the same ones (the heredoc's time too: not made again)" \
  "$(tail -4 <<<"$ids1")" "$(tail -4 <<<"$ids2")"
t_eq "... and the image holds the new RUN's result" v2 "$(cat_in step-link /marker)"

# --- 5. RUN --mount=type=ssh with bld build --ssh ---
sh_ctx=$T_DIR/ssh
mkdir -p "$sh_ctx/tools/lib"
# the host's ssh-add (openssh-client) and its libraries, run in the busybox step by its loader
cp /usr/bin/ssh-add "$sh_ctx/tools/" || t_fail "ssh-add is installed (packages/builder.txt)"
for l in $(ldd /usr/bin/ssh-add | grep -oE '/[^ ]+'); do cp -L "$l" "$sh_ctx/tools/lib/"; done
SSHADD="/tools/lib/$(basename "$(ldd /usr/bin/ssh-add | grep -oE '/[^ ]*ld-linux[^ ]*')") --library-path /tools/lib /tools/ssh-add"
ssh-keygen -q -t ed25519 -N '' -C agentkey@bld -f "$T_DIR/agentkey"
ssh-keygen -q -t ed25519 -N '' -C filekey@bld -f "$T_DIR/filekey"
eval "$(ssh-agent -a "$T_DIR/agent.sock")" >/dev/null
agent_pid=$SSH_AGENT_PID
at_exit "kill $agent_pid 2>/dev/null"
SSH_AUTH_SOCK=$T_DIR/agent.sock ssh-add -q "$T_DIR/agentkey"
cat >"$sh_ctx/Dockerfile" <<DF
FROM $BASE
RUN --mount=type=ssh --mount=type=bind,source=tools,target=/tools $SSHADD -l > /keys && echo "\$SSH_AUTH_SOCK" > /sock
USER 65534
RUN --mount=type=ssh,id=files,target=/tmp/agent,uid=65534,mode=0600 --mount=type=bind,source=tools,target=/tools $SSHADD -l > /tmp/keys && ls -ln /tmp/agent > /tmp/sockls
USER 0
RUN --mount=type=ssh,id=absent echo optional > /optional
DF
out=$("$BLD" build --ssh default="$T_DIR/agent.sock" --ssh files="$T_DIR/filekey" -t step-ssh "$sh_ctx" 2>&1)
t_eq "RUN --mount=type=ssh builds" 0 "$?"
t_match "the step lists the forwarded agent's key (ssh-add -l)" "agentkey@bld" "$(cat_in step-ssh /keys)"
t_eq "SSH_AUTH_SOCK is BuildKit's default target" /run/buildkit/ssh_agent.0 "$(cat_in step-ssh /sock)"
t_match "a key file is served by a private agent, at the target, uid and mode asked" "filekey@bld" \
  "$(cat_in step-ssh /tmp/keys)"
t_match "... the socket 0600 owned by 65534" '^srw------- +1 +65534 +0 ' "$(cat_in step-ssh /tmp/sockls)"
t_ok "... and that agent is stopped after the build" bash -c "! pgrep -f '$BLD_ROOT/tmp/.*[a]gent.sock'"
t_match "an ssh mount without a forwarded agent is optional by default" optional "$(cat_in step-ssh /optional)"
dump step-ssh >"$T_DIR/ssh.dump"
t_ok "no socket, mount point or key is left in the image" \
  bash -c "! grep -Eq '^fs /(run|tmp/agent)( |/)|socket' '$T_DIR/ssh.dump'"
t_ok "... nor in any layer" bash -c "! grep -rqs 'PRIVATE KEY' '$BLD_ROOT/layers'"
out=$("$BLD" build --ssh default="$T_DIR/agent.sock" --ssh files="$T_DIR/agentkey" -t step-ssh "$sh_ctx" 2>&1)
t_eq "other agents or keys do not change the cache key (3 RUNs CACHED)" 3 "$(grep -c '^#[0-9]* CACHED$' <<<"$out")"
printf 'FROM %s\nRUN echo ok\nRUN --mount=type=ssh,id=deploy,required true\n' "$BASE" >"$T_DIR/ssh-req.Dockerfile"
out=$("$BLD" build -f "$T_DIR/ssh-req.Dockerfile" "$sh_ctx" 2>&1); rc=$?
t_eq "a required ssh mount without an agent fails the build" 1 "$rc"
t_match "... naming the line and the id" 'Dockerfile:3: .*no SSH key "deploy" forwarded' "$out"
printf 'FROM %s\nRUN --mount=type=ssh,source=/x true\n' "$BASE" >"$T_DIR/ssh-src.Dockerfile"
out=$("$BLD" build -f "$T_DIR/ssh-src.Dockerfile" "$sh_ctx" 2>&1); rc=$?
t_eq "an ssh mount with a source fails the build" 1 "$rc"
t_match "... as BuildKit's frontend says it" 'Dockerfile:2: .*ssh does not support source' "$out"
