#!/usr/bin/env bash
# tests/e2e/build_copy_flags.sh — COPY and ADD flags as BuildKit (dockerfile 1.7+) gives
# them: COPY --parents with a "/./" pivot and "**" (from the context and from a stage),
# COPY --from=STAGE with wildcards, ADD --unpack, ADD --checksum of a git source (the commit),
# COPY --link with --chmod (BuildKit then copies without link). A busybox base from a private
# test registry; URLs and git served on 127.0.0.1 only.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

# tree IMAGE PREFIX — "PATH TYPE MODE" of the image's entries under PREFIX
tree() {
  python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" "docker.io/library/$1:latest" |
    grep -E "^fs $2(/| )" | cut -d' ' -f2-4
}

# --- 1. COPY --parents: the "/./" pivot, "**", from the context and from a stage ---
ctx=$T_DIR/par
mkdir -p "$ctx/a/b/c" "$ctx/x/y/z" "$ctx/pkg/web" "$ctx/pkg/api"
echo f >"$ctx/a/b/c/f"; echo top >"$ctx/x/top.txt"; echo g >"$ctx/x/y/g.txt"
echo d >"$ctx/x/y/z/d.txt"; echo md >"$ctx/x/y/no.md"
echo '{}' >"$ctx/package.json"; echo '{}' >"$ctx/pkg/web/package.json"
echo '{}' >"$ctx/pkg/api/package.json"; echo src >"$ctx/pkg/api/index.js"
chmod 750 "$ctx/a/b"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS st
RUN mkdir -p /app/lib/x && echo 1 > /app/a.jar && echo 2 > /app/b.jar && echo 3 > /app/lib/x/c.txt
FROM $BASE
COPY --parents ./a/./b/c /pivot/
COPY --parents a/b/c/f /whole/
COPY --parents ./x/**/*.txt /star/
COPY --parents x/./**/g.txt /pstar/
COPY --parents **/package.json /deps/
COPY --from=st /app/*.jar /jars/
COPY --from=st --parents /app/./lib/x/c.txt /fpivot/
COPY --from=st --parents /app/./**/*.jar /fstar/
DF
out=$("$BLD" build -t par "$ctx" 2>&1)
t_eq "COPY --parents and COPY --from wildcards build" 0 "$?"
t_eq "--parents ./a/./b/c: what follows the pivot is kept, its directories with their modes" \
"/pivot dir 0755
/pivot/b dir 0750
/pivot/b/c dir 0755
/pivot/b/c/f file 0644" "$(tree par /pivot)"
t_eq "--parents without a pivot keeps the whole path" \
"/whole dir 0755
/whole/a dir 0755
/whole/a/b dir 0750
/whole/a/b/c dir 0755
/whole/a/b/c/f file 0644" "$(tree par /whole)"
t_eq "--parents x/**/*.txt: ** is any number of directories, none included" \
"/star dir 0755
/star/x dir 0755
/star/x/top.txt file 0644
/star/x/y dir 0755
/star/x/y/g.txt file 0644
/star/x/y/z dir 0755
/star/x/y/z/d.txt file 0644" "$(tree par /star)"
t_eq "--parents x/./**/g.txt: the pivot and ** together" \
"/pstar dir 0755
/pstar/y dir 0755
/pstar/y/g.txt file 0644" "$(tree par /pstar)"
t_eq "--parents **/package.json: the monorepo form" \
"/deps dir 0755
/deps/package.json file 0644
/deps/pkg dir 0755
/deps/pkg/api dir 0755
/deps/pkg/api/package.json file 0644
/deps/pkg/web dir 0755
/deps/pkg/web/package.json file 0644" "$(tree par /deps)"
t_eq "COPY --from=STAGE /app/*.jar: wildcards in a stage's root" \
"/jars dir 0755
/jars/a.jar file 0644
/jars/b.jar file 0644" "$(tree par /jars)"
t_eq "COPY --from --parents with a pivot" \
"/fpivot dir 0755
/fpivot/lib dir 0755
/fpivot/lib/x dir 0755
/fpivot/lib/x/c.txt file 0644" "$(tree par /fpivot)"
t_eq "COPY --from --parents with **" \
"/fstar dir 0755
/fstar/a.jar file 0644
/fstar/b.jar file 0644" "$(tree par /fstar)"
echo changed >"$ctx/pkg/api/index.js"
out=$("$BLD" build -t par "$ctx" 2>&1)
t_eq "a file ** does not keep leaves every step CACHED" 9 "$(grep -c '^#[0-9]* CACHED$' <<<"$out")"
echo '{"v":2}' >"$ctx/pkg/api/package.json"
out=$("$BLD" build -t par "$ctx" 2>&1)
t_eq "... one it keeps runs its step again (and those after it)" 5 "$(grep -c '^#[0-9]* CACHED$' <<<"$out")"
t_match "... the --parents **/package.json step" '^#[0-9]+ \[stage-1 6/9\] COPY --parents \*\*/package.json' \
  "$(grep -B2 -A0 'DONE' <<<"$out" | grep -F 'package.json')"
printf 'FROM %s\nCOPY --parents ./a/./nope /d/\n' "$BASE" >"$T_DIR/par-missing.Dockerfile"
out=$("$BLD" build -f "$T_DIR/par-missing.Dockerfile" "$ctx" 2>&1); rc=$?
t_eq "--parents of a missing plain path fails" 1 "$rc"
t_match "... naming it" 'Dockerfile:2: .*"/a/nope": not found' "$out"

# --- 2. ADD --unpack, ADD --checksum of a git source ---
www=$T_DIR/www
mkdir -p "$www" "$T_DIR/tarsrc"
echo inner >"$T_DIR/tarsrc/inner.txt"
tar -C "$T_DIR/tarsrc" -czf "$www/r.tar.gz" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" >/dev/null 2>&1 &
http_pid=$!
at_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
repo=$T_DIR/repo
mkdir -p "$repo" && echo tracked >"$repo/t.txt"
git -C "$repo" init -q -b main && git -C "$repo" add -A &&
  git -C "$repo" -c user.name=t -c user.email=t@t commit -qm one || t_fail "make git repo"
commit=$(git -C "$repo" rev-parse HEAD)
ad=$T_DIR/add
mkdir -p "$ad/docs/a/b" && cp "$www/r.tar.gz" "$ad/local.tar.gz"
echo md >"$ad/docs/top.md"; echo md >"$ad/docs/a/b/deep.md"; echo t >"$ad/docs/a/keep.txt"
cat >"$ad/Dockerfile" <<DF
FROM $BASE
ADD --unpack=true http://127.0.0.1:$port/r.tar.gz /u/
ADD http://127.0.0.1:$port/r.tar.gz /n/
ADD --unpack=false local.tar.gz /k/
ADD local.tar.gz /l/
ADD --checksum=$commit file://$repo#main /g/
ADD --checksum=${commit:0:7} file://$repo /g7/
ADD --exclude=*.gz --exclude=docs/**/*.md . /ex/
DF
out=$("$BLD" build -t addf "$ad" 2>&1)
t_eq "ADD --unpack and ADD --checksum=COMMIT git build" 0 "$?"
t_eq "--unpack=true unpacks a remote archive; without it, it is a file; --unpack=false keeps a local one" \
"/g dir 0755
/g/t.txt file 0644
/g7 dir 0755
/g7/t.txt file 0644
/k dir 0755
/k/local.tar.gz file 0644
/l dir 0755
/l/inner.txt file 0644
/n dir 0755
/n/r.tar.gz file 0600
/u dir 0755
/u/inner.txt file 0644" "$(tree addf '/(u|n|k|l|g|g7)')"
t_eq "ADD --exclude with .dockerignore's rules (** across directories; a directory left empty stays)" \
"/ex dir 0755
/ex/Dockerfile file 0644
/ex/docs dir 0755
/ex/docs/a dir 0755
/ex/docs/a/b dir 0755
/ex/docs/a/keep.txt file 0644" "$(tree addf /ex)"
printf 'FROM %s\nADD --checksum=%s file://%s#main /g/\n' "$BASE" "$(printf '%040d' 0)" "$repo" >"$T_DIR/ck.Dockerfile"
out=$("$BLD" build -f "$T_DIR/ck.Dockerfile" "$ad" 2>&1); rc=$?
t_eq "ADD --checksum of another commit fails" 1 "$rc"
t_match "... as BuildKit says it" "Dockerfile:2: .*expected checksum to match 0{40}, got $commit" "$out"
printf 'FROM %s\nADD --checksum=main file://%s /g/\n' "$BASE" "$repo" >"$T_DIR/ck.Dockerfile"
out=$("$BLD" build -f "$T_DIR/ck.Dockerfile" "$ad" 2>&1)
t_match "a git checksum is a hex commit ID" "invalid checksum main for Git URL, expected hex commit hash" "$out"
printf 'FROM %s\nADD --checksum=sha256:%s local.tar.gz /x/\n' "$BASE" "$(printf '%064d' 0)" >"$T_DIR/ck.Dockerfile"
out=$("$BLD" build -f "$T_DIR/ck.Dockerfile" "$ad" 2>&1); rc=$?
t_eq "ADD --checksum of a context file fails" 1 "$rc"
t_match "... as BuildKit's frontend refuses it" "Dockerfile:2: .*checksum requires HTTP\(S\) or Git sources" "$out"

# --- 3. COPY --link: a layer of its own whatever the base; with --chmod BuildKit links not ---
# layer_of IMAGE N — the diff ID of the image's N-th layer
layer_of() {
  python3 - "$BLD_ROOT/oci" "$1" "$2" <<'PY'
import json, os, sys
lay, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
blob = lambda d: open(os.path.join(lay, "blobs", *d.split(":", 1)), "rb").read()
for m in json.load(open(os.path.join(lay, "index.json")))["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith("/" + name + ":latest"):
        cfg = json.loads(blob(json.loads(blob(m["digest"]))["config"]["digest"]))
        print(cfg["rootfs"]["diff_ids"][n - 1])
PY
}
lk=$T_DIR/link
mkdir -p "$lk" && echo linked >"$lk/f.txt"
printf 'FROM %s\nRUN mkdir /real && ln -s /real /lnk\nCOPY --link f.txt /lnk/f.txt\n' "$BASE" >"$lk/a.Dockerfile"
printf 'FROM scratch\nCOPY --link f.txt /lnk/f.txt\n' >"$lk/b.Dockerfile"
printf 'FROM %s\nRUN mkdir /real && ln -s /real /lnk\nCOPY --link --chmod=600 f.txt /lnk/f.txt\n' "$BASE" >"$lk/c.Dockerfile"
for v in a b c; do "$BLD" build -q -f "$lk/$v.Dockerfile" -t "link-$v" "$lk" >/dev/null 2>&1 || t_fail "build link-$v"; done
t_eq "a --link layer is the same on a busybox base with a symlink and on scratch (rebased)" \
  "$(layer_of link-b 1)" "$(layer_of link-a 3)"
t_eq "--link does not follow the base's symlinked directory" "/lnk dir 0755
/lnk/f.txt file 0644" "$(tree link-a /lnk)"
t_eq "--link with --chmod copies in place as BuildKit does: through the symlink" "/lnk symlink 0777
/real/f.txt file 0600" "$(tree link-c '/(lnk|real/f.txt)')"
