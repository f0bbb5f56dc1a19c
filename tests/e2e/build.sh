#!/usr/bin/env bash
# tests/e2e/build.sh — bld build end to end on a busybox base from a private test registry:
# the build cache (a no-op rebuild is all CACHED; changing one copied file rebuilds from its
# step only; a .dockerignore'd file never invalidates), reproducible output with
# SOURCE_DATE_EPOCH in two stores, git-URL and tarball-URL contexts, -q/--iidfile/-t/--target,
# errors that name the step and line without naming anything in the store, bld push of a
# built image, and bld run of it where the runner's `bld run` exists.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

ctx=$T_DIR/app
mkdir -p "$ctx/conf"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN echo base-step > /base
COPY conf/ /etc/app/
COPY app.sh /usr/local/bin/app.sh
RUN chmod 755 /usr/local/bin/app.sh
CMD ["/usr/local/bin/app.sh"]
DF
printf 'greeting=hello\n' >"$ctx/conf/app.conf"
printf '#!/bin/sh\necho "app says $(cat /etc/app/app.conf)"\n' >"$ctx/app.sh"
printf 'notes.txt\n*.tmp\n' >"$ctx/.dockerignore"
echo one >"$ctx/notes.txt"

steps() { grep -E '^#[0-9]+ (\[|CACHED$|DONE )' <<<"$1"; }
# cached_list OUTPUT — for each [k/N] step, "C" when CACHED, "R" when it ran
cached_list() {
  awk '/^#[0-9]+ \[/ { v=$1; n++; st[n]="R"; id[v]=n } /^#[0-9]+ CACHED$/ { st[id[$1]]="C" }
       END { for (i = 2; i <= n; i++) printf "%s", st[i]; print "" }' <<<"$1"
}

out=$("$BLD" build -t echo-app "$ctx" 2>&1); rc=$?
t_eq "first build succeeds" 0 "$rc"
t_eq "first build runs every step" "RRRR" "$(cached_list "$out")"
out=$("$BLD" build -t echo-app "$ctx" 2>&1)
t_eq "no-op rebuild: every step CACHED" "CCCC" "$(cached_list "$out")"
id1=$("$BLD" build -q -t echo-app "$ctx" 2>/dev/null)
t_match "-q prints the image ID" '^sha256:[0-9a-f]{64}$' "$id1"
sleep 1.1
t_eq "a no-op rebuild is the same image (as with BuildKit)" "$id1" "$("$BLD" build -q -t echo-app "$ctx" 2>/dev/null)"

echo two >"$ctx/notes.txt"; echo x >"$ctx/junk.tmp"
out=$("$BLD" build -t echo-app "$ctx" 2>&1)
t_eq ".dockerignore'd files never invalidate" "CCCC" "$(cached_list "$out")"
printf '#!/bin/sh\necho "app v2 says $(cat /etc/app/app.conf)"\n' >"$ctx/app.sh"
out=$("$BLD" build -t echo-app "$ctx" 2>&1)
t_eq "changing one copied file rebuilds from its step only" "CCRR" "$(cached_list "$out")"
id2=$("$BLD" build -q --iidfile "$T_DIR/iid" -t echo-app -t "$REG_ADDR/test/echo-app:v2" "$ctx" 2>/dev/null)
t_eq "--iidfile holds the image ID" "$id2" "$(cat "$T_DIR/iid")"
t_ok "the image changed with the file" test "$id1" != "$id2"
out=$("$BLD" build --no-cache -t echo-app "$ctx" 2>&1)
t_eq "--no-cache runs every step" "RRRR" "$(cached_list "$out")"

# reproducible: the same inputs in two stores at different times give the same digest
ida=$(BLD_ROOT=$T_DIR/root-a SOURCE_DATE_EPOCH=0 "$BLD" build -q "$ctx" 2>"$T_DIR/sde-a.err")
sleep 1.1 && touch "$ctx/app.sh"
idb=$(BLD_ROOT=$T_DIR/root-b SOURCE_DATE_EPOCH=0 "$BLD" build -q "$ctx" 2>"$T_DIR/sde-b.err")
t_match "SOURCE_DATE_EPOCH build gives an ID" '^sha256:' "$ida"
t_eq "SOURCE_DATE_EPOCH=0 in two stores: the same image ID" "$ida" "$idb"
da=$(jq -r '.manifests[0].digest' "$T_DIR/root-a/oci/index.json" 2>/dev/null)
db=$(jq -r '.manifests[0].digest' "$T_DIR/root-b/oci/index.json" 2>/dev/null)
t_eq "... and the same manifest digest" "$da" "$db"
idc=$(BLD_ROOT=$T_DIR/root-c "$BLD" build -q --build-arg SOURCE_DATE_EPOCH=0 "$ctx" 2>/dev/null)
t_eq "SOURCE_DATE_EPOCH as --build-arg too" "$ida" "$idc"

# errors: the step and the line, exit 1, nothing named
mkdir -p "$T_DIR/bad"
printf 'FROM %s\nRUN echo ok\nRUN echo last words; exit 3\n' "$BASE" >"$T_DIR/bad/Dockerfile"
out=$("$BLD" build -t bad-image "$T_DIR/bad" 2>&1); rc=$?
t_eq "a failing RUN exits 1" 1 "$rc"
t_match "the error names Dockerfile:3, the step and the exit code" \
  'Dockerfile:3: \[3/3\] RUN echo last words; exit 3: .*exit code: 3' "$out"
t_match "the error shows the last output" 'last words' "$(tail -1 <<<"$out")"
printf 'FROM %s\nCOPY missing.txt /\n' "$BASE" >"$T_DIR/bad/Dockerfile"
out=$("$BLD" build -t bad-image "$T_DIR/bad" 2>&1); rc=$?
t_eq "a missing COPY source exits 1" 1 "$rc"
t_match "it names the source and line" 'Dockerfile:2: .*"/missing.txt": not found' "$out"
t_ok "nothing was named bad-image" bash -c "! grep -q bad-image '$BLD_ROOT/oci/index.json'"
out=$("$BLD" build "$T_DIR/nonexistent" 2>&1); rc=$?
t_eq "a missing context exits 1" 1 "$rc"
t_match "it says so" 'unable to prepare context: path ".*nonexistent" not found' "$out"

# --target builds only what the target needs
mkdir -p "$T_DIR/ms"
cat >"$T_DIR/ms/Dockerfile" <<DF
FROM $BASE AS one
RUN echo one > /one
FROM $BASE AS broken
RUN exit 9
FROM one AS two
COPY --from=one /one /copied
DF
out=$("$BLD" build --target two -t ms "$T_DIR/ms" 2>&1); rc=$?
t_eq "--target skips the stages it does not need" 0 "$rc"
t_ok "the broken stage never ran" bash -c "! grep -q 'exit 9' <<<'$out'"

# git contexts: a repository on disk through file://, with REF:SUBDIR
repo=$T_DIR/repo
mkdir -p "$repo/sub"
cp "$ctx/app.sh" "$repo/sub/" && printf 'FROM %s\nCOPY app.sh /app.sh\nCMD ["sh", "/app.sh"]\n' "$BASE" >"$repo/sub/Dockerfile"
git -C "$repo" init -q -b main && git -C "$repo" add -A &&
  git -C "$repo" -c user.name=t -c user.email=t@t commit -qm init && t_own "$repo" ||
  t_fail "make git repo"
out=$("$BLD" build -t from-git "file://$repo#main:sub" 2>&1)
t_eq "git-URL build (file://REPO#main:sub)" 0 "$?"
out=$("$BLD" build -t from-git "file://$T_DIR/no-such-repo" 2>&1); rc=$?
t_match "an unreachable git URL is a clear error" 'unable to prepare context: .*git' "$out"

# tarball URL: a context served on 127.0.0.1
mkdir -p "$T_DIR/www"
tar -C "$repo/sub" -czf "$T_DIR/www/ctx.tar.gz" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$T_DIR/www" "$port" >/dev/null 2>&1 &
http_pid=$!
at_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
out=$("$BLD" build -t from-url "http://127.0.0.1:$port/ctx.tar.gz" 2>&1)
t_eq "tarball-URL build" 0 "$?"
# ADD of a URL (0600, not unpacked), of a git repository, with --checksum
echo "remote content" >"$T_DIR/www/remote.txt"
sum=$(sha256sum "$T_DIR/www/remote.txt" | cut -d' ' -f1)
mkdir -p "$T_DIR/addctx"
cat >"$T_DIR/addctx/Dockerfile" <<DF
FROM $BASE
ADD --checksum=sha256:$sum http://127.0.0.1:$port/remote.txt /remote/
ADD http://127.0.0.1:$port/ctx.tar.gz /not-unpacked.tar.gz
ADD file://$repo#main:sub /from-git/
DF
out=$("$BLD" build -t added "$T_DIR/addctx" 2>&1)
t_eq "ADD of URLs and a git repository" 0 "$?"
python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" docker.io/library/added:latest >"$T_DIR/added.dump"
t_match "ADD URL: a 0600 file named after the URL" '^fs /remote/remote.txt file 0600 0 0 15 ' "$(cat "$T_DIR/added.dump")"
t_match "ADD URL: a remote tarball is not unpacked" '^fs /not-unpacked.tar.gz file ' "$(cat "$T_DIR/added.dump")"
t_match "ADD git URL: the tree at REF:SUBDIR" '^fs /from-git/Dockerfile file ' "$(cat "$T_DIR/added.dump")"
sed -i "s/sha256:$sum/sha256:$(printf '%064d' 0)/" "$T_DIR/addctx/Dockerfile"
out=$("$BLD" build --no-cache "$T_DIR/addctx" 2>&1)
t_match "ADD --checksum refuses other content" 'digest mismatch' "$out"

printf 'FROM %s\nRUN echo from stdin > /stdin\n' "$BASE" | "$BLD" build -q - >/dev/null 2>&1
t_eq "a Dockerfile on stdin" 0 "$?"
tar -C "$repo/sub" -cf - . | "$BLD" build -q -t from-stdin-tar - >/dev/null 2>&1
t_eq "a tar context on stdin" 0 "$?"

# ONBUILD triggers of the base run first; proxy ARGs reach RUN undeclared
mkdir -p "$T_DIR/onb" "$T_DIR/onb2"
printf 'FROM %s\nONBUILD RUN echo "trigger $http_proxy" > /triggered\n' "$BASE" >"$T_DIR/onb/Dockerfile"
"$BLD" build -q -t onbuild-base "$T_DIR/onb" >/dev/null 2>&1
printf 'FROM onbuild-base\nRUN cat /triggered > /seen\n' >"$T_DIR/onb2/Dockerfile"
out=$("$BLD" build --build-arg http_proxy=http://proxy.invalid:3128 -t onbuild-child "$T_DIR/onb2" 2>&1)
t_eq "an image FROM a base with ONBUILD builds" 0 "$?"
python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" docker.io/library/onbuild-child:latest >"$T_DIR/onb.dump"
t_match "the trigger ran, and saw the proxy ARG" \
  "^fs /seen file 0644 0 0 34 $(printf 'trigger http://proxy.invalid:3128\n' | sha256sum | cut -d' ' -f1) " "$(cat "$T_DIR/onb.dump")"
t_match "the child has no OnBuild of its own" '^config.OnBuild=null' "$(cat "$T_DIR/onb.dump")"

# --output: the filesystem to a directory, the image as a docker archive
"$BLD" build -q -o "type=local,dest=$T_DIR/out-local" "$ctx" >/dev/null 2>&1
t_ok "--output type=local writes the filesystem" test -x "$T_DIR/out-local/usr/local/bin/app.sh"
"$BLD" build -q -t echo-app -o "type=docker,dest=$T_DIR/out.tar" "$ctx" >/dev/null 2>&1
t_match "--output type=docker writes a docker archive" 'manifest.json' "$(tar tf "$T_DIR/out.tar" 2>&1)"
t_match "it is tagged with -t" '"RepoTags":\["echo-app' "$(tar xOf "$T_DIR/out.tar" manifest.json 2>&1)"
"$BLD" build -q -o "type=docker,dest=$T_DIR/out2.tar,name=named-app:v1" "$ctx" >/dev/null 2>&1
t_match "--output type=docker,name= tags it with the name, as BuildKit's docker exporter" \
  '"RepoTags":\["named-app:v1"\]' "$(tar xOf "$T_DIR/out2.tar" manifest.json 2>&1)"

# RUN --mount: cache kept between builds, secrets never in the image, binds, tmpfs
mkdir -p "$T_DIR/mnt"
printf 'topsecret' >"$T_DIR/mnt/secret.txt"; echo data >"$T_DIR/mnt/file"
cat >"$T_DIR/mnt/Dockerfile" <<DF
FROM $BASE AS other
RUN mkdir -p /stuff && echo from-other > /stuff/x
FROM $BASE
RUN --mount=type=cache,target=/cache,id=c1 sh -c 'echo run >> /cache/log; wc -l < /cache/log > /count'
RUN --mount=type=secret,id=tok test "\$(cat /run/secrets/tok)" = topsecret && echo ok > /secret-ok
RUN --mount=type=secret,id=tok,env=TOK test "\$TOK" = topsecret && echo ok > /env-ok
RUN --mount=type=bind,target=/ctx cat /ctx/file > /from-ctx
RUN --mount=type=bind,from=other,source=/stuff,target=/o cat /o/x > /from-other
RUN --mount=type=bind,target=/ctx,rw touch /ctx/written && ls /ctx > /listing
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo x > /scratch/y; grep -c " /scratch " /proc/mounts > /tmpfs'
RUN --mount=type=cache,target=/etc,id=c2 sh -c 'ls -A /etc | wc -l > /etc-in-cache'
DF
mb() { "$BLD" build --no-cache --secret id=tok,src="$T_DIR/mnt/secret.txt" -t mounts "$T_DIR/mnt" 2>&1; }
out=$(mb); t_eq "RUN --mount of every type" 0 "$?"
out=$(mb); t_eq "... twice" 0 "$?"
python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" docker.io/library/mounts:latest >"$T_DIR/mounts.dump"
hash_of() { printf "$1" | sha256sum | cut -d' ' -f1; }
t_match "the cache mount kept its content between builds" "^fs /count file .* $(hash_of '2\n') " "$(cat "$T_DIR/mounts.dump")"
t_match "a cache mount over a directory of the image starts empty (nothing copied up)" \
  "^fs /etc-in-cache file .* $(hash_of '0\n') " "$(cat "$T_DIR/mounts.dump")"
t_eq "the secret was readable as a file and as env" 2 "$(grep -cE '^fs /(secret|env)-ok file' "$T_DIR/mounts.dump")"
t_ok "no mount target or secret is left in the image" \
  bash -c "! grep -Eq '^fs /(cache|ctx|o|scratch|run)( |/)' '$T_DIR/mounts.dump'"
t_ok "a rw bind never writes into the context" test ! -e "$T_DIR/mnt/written"
t_ok "the secret is in no layer" bash -c "! grep -rq topsecret '$BLD_ROOT/layers'"

# the build cache shared through the registry: a fresh store builds everything CACHED
out=$("$BLD" build --cache-to "type=registry,ref=$REG_ADDR/test/cache:main" -t echo-app "$ctx" 2>&1)
t_eq "--cache-to type=registry" 0 "$?"
out=$(BLD_ROOT=$T_DIR/root-ci "$BLD" build --cache-from "type=registry,ref=$REG_ADDR/test/cache:main" \
      -t echo-app "$ctx" 2>&1)
t_eq "--cache-from in a fresh store: every step CACHED" "CCCC" "$(cached_list "$out")"
t_eq "... and the same image" "$("$BLD" build -q -t echo-app "$ctx" 2>/dev/null)" \
  "$(BLD_ROOT=$T_DIR/root-ci "$BLD" build -q -t echo-app "$ctx" 2>/dev/null)"

# the built image goes to the registry and runs
out=$("$BLD" push "$REG_ADDR/test/echo-app:v2" 2>&1)
t_eq "bld push of a built image" 0 "$?"
t_ok "the registry serves it" curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "$REG_URL/v2/test/echo-app/manifests/v2"
# --network none: a test never sets up bridges or NAT in the host's network namespace
out=$("$BLD" run --rm --network none echo-app 2>&1)
t_eq "bld run of the built image does what its CMD says" "app v2 says greeting=hello" "$out"
out=$("$BLD" run --rm --network none from-git 2>&1)
t_match "the git-built image runs" 'says' "$out"
