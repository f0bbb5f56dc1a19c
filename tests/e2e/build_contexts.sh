#!/usr/bin/env bash
# tests/e2e/build_contexts.sh — bld build --build-context NAME=VALUE as buildx passes named
# contexts to the Dockerfile frontend: a local directory (relative to the current directory,
# its own .dockerignore applied), docker-image://REF, oci-layout://PATH[:TAG][@DIGEST] and a
# git URL, used by FROM, COPY --from
# and RUN --mount from=; a context named like a stage replaces the stage (its steps never
# run), one named like an image replaces the image (FROM alpine with alpine=docker-image://...
# needs no alpine anywhere); a changed file of a named context invalidates the steps that
# read it and no others; buildx's errors for bad values.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

# vertex_of OUT TEXT — the number of the progress vertex whose name contains TEXT
vertex_of() { grep -F -- "$2" <<<"$1" | head -1 | sed -E 's/^#([0-9]+) .*/\1/'; }
# cached OUT TEXT — whether the step named TEXT was taken from the cache
cached() { local v; v=$(vertex_of "$1" "$2"); [ -n "$v" ] && grep -qx "#$v CACHED" <<<"$1"; }
# ran OUT TEXT — whether the step named TEXT ran (it is there and not CACHED)
ran() { [ -n "$(vertex_of "$1" "$2")" ] && ! cached "$1" "$2"; }

mkdir -p "$T_DIR/src" "$T_DIR/main"
echo alpha >"$T_DIR/src/a.txt" && echo beta >"$T_DIR/src/b.txt" && echo hidden >"$T_DIR/src/secret.txt"
printf 'secret.txt\n' >"$T_DIR/src/.dockerignore"
chown 1234:1234 "$T_DIR/src/a.txt"

# --- a local directory: COPY --from and RUN --mount from=, its .dockerignore applied ---
cat >"$T_DIR/main/Dockerfile" <<DF
FROM $BASE
COPY --from=src a.txt /a.txt
COPY --from=src b.txt /b.txt
RUN --mount=from=src,target=/m ls -a /m > /mlist
DF
cd "$T_DIR/main" || exit 1
out=$("$BLD" build --progress=plain --build-context src=../src -t named-dir . 2>&1)
t_eq "a directory relative to the current directory as a named context builds" 0 "$?"
t_eq "COPY --from=NAME copies the directory's file, root-owned as a context file" \
  "alpha 0:0" "$("$BLD" run --rm --network none named-dir sh -c 'echo $(cat /a.txt) $(stat -c %u:%g /a.txt)' 2>&1)"
mlist=$("$BLD" run --rm --network none named-dir cat /mlist 2>&1)
t_match "RUN --mount=from=NAME shows the directory" '^a\.txt$' "$mlist"
t_ok "the named directory's own .dockerignore leaves secret.txt out" bash -c "! grep -q secret <<<'$mlist'"

# --- the cache: a changed file invalidates exactly the steps that read it ---
echo beta2 >"$T_DIR/src/b.txt"
out=$("$BLD" build --progress=plain --build-context src=../src -t named-dir . 2>&1)
t_ok "COPY of an unchanged file of the named context is CACHED" cached "$out" "COPY --from=src a.txt"
t_ok "COPY of the changed file runs again" ran "$out" "COPY --from=src b.txt"
t_ok "the mount of the whole context runs again" ran "$out" "RUN --mount=from=src"
out=$("$BLD" build --progress=plain --build-context src=../src -t named-dir . 2>&1)
t_ok "nothing changed: the mount step is CACHED" cached "$out" "RUN --mount=from=src"
echo changed >"$T_DIR/src/secret.txt"
out=$("$BLD" build --progress=plain --build-context src=../src -t named-dir . 2>&1)
t_ok "a file the named .dockerignore excludes invalidates nothing" cached "$out" "RUN --mount=from=src"
cd "$TOP" || exit 1

# --- a stage replaced by a named context; FROM of a named directory ---
cat >"$T_DIR/main/Dockerfile" <<DF
FROM $BASE AS deps
RUN exit 3
FROM src AS fromdir
FROM $BASE
COPY --from=deps /a.txt /deps-a
COPY --from=fromdir /b.txt /dir-b
DF
out=$("$BLD" build --build-context deps="$T_DIR/src" --build-context src="$T_DIR/src" -t named-stage "$T_DIR/main" 2>&1)
t_eq "a context named like a stage replaces it (its failing RUN never runs)" 0 "$?"
t_eq "COPY --from the replaced stage and from a stage FROM a named directory" "alpha beta2" \
  "$("$BLD" run --rm --network none named-stage sh -c 'echo $(cat /deps-a /dir-b)' 2>&1)"
out=$("$BLD" build --progress=plain --build-context deps="$T_DIR/src" --build-context src="$T_DIR/src" -t named-stage "$T_DIR/main" 2>&1)
t_ok "the same files again: the named directory's layer is CACHED, not copied again" \
  cached "$out" "[context deps] load from client"

# --- FROM alpine replaced by docker-image:// (no alpine exists anywhere here) ---
printf 'FROM alpine\nRUN echo on-busybox > /x\nFROM docker.io/library/alpine:latest AS two\nCOPY --from=0 /x /y\n' >"$T_DIR/main/Dockerfile"
out=$("$BLD" build --build-context alpine="docker-image://$BASE" -t named-img "$T_DIR/main" 2>&1)
t_eq "FROM alpine and FROM docker.io/library/alpine:latest both take alpine=docker-image://" 0 "$?"
t_eq "the image's files are there" "on-busybox" "$("$BLD" run --rm --network none named-img cat /y 2>&1)"
printf 'FROM scratch\nCOPY --from=tools /bin/busybox /bin/busybox\nRUN --mount=from=tools,target=/t ["/bin/busybox", "cp", "/t/etc/group", "/group"]\n' >"$T_DIR/main/Dockerfile"
out=$("$BLD" build --build-context tools="docker-image://$BASE" -t named-img2 "$T_DIR/main" 2>&1)
t_eq "COPY --from and RUN --mount from= a docker-image:// context" 0 "$?"
t_match "... read that image" '^root:' "$("$BLD" run --rm --network none --entrypoint /bin/busybox named-img2 cat /group 2>&1)"

# --- an OCI layout directory (oci-layout://PATH[:TAG][@DIGEST]) ---
printf 'FROM %s\nRUN echo in-layout > /l\n' "$BASE" >"$T_DIR/main/Dockerfile"
mkdir -p "$T_DIR/layout"
"$BLD" build -q -t layimg:v1 -o type=oci,dest="$T_DIR/lay.tar" "$T_DIR/main" >/dev/null 2>&1 &&
  tar -xf "$T_DIR/lay.tar" -C "$T_DIR/layout" || t_fail "an OCI layout to read"
"$BLD" rmi -f layimg:v1 >/dev/null 2>&1
dangling=$("$BLD" images -q --filter dangling=true | sort)
printf 'FROM lay\nRUN cat /l > /from-layout\n' >"$T_DIR/main/Dockerfile"
out=$("$BLD" build --build-context lay="oci-layout://$T_DIR/layout:v1" -t named-oci "$T_DIR/main" 2>&1)
t_eq "FROM an oci-layout:// context by its tag" 0 "$?"
t_eq "... its image's files" in-layout "$("$BLD" run --rm --network none named-oci cat /from-layout 2>&1)"
digest=$(jq -r '.manifests[0].digest' "$T_DIR/layout/index.json")
out=$("$BLD" build --build-context lay="oci-layout://$T_DIR/layout@$digest" -t named-oci "$T_DIR/main" 2>&1)
t_eq "... and by its digest" 0 "$?"
t_eq "reading the layout leaves no unnamed image in the store" "$dangling" \
  "$("$BLD" images -q --filter dangling=true | sort)"
out=$("$BLD" build --build-context lay="oci-layout://$T_DIR/no-layout" "$T_DIR/main" 2>&1)
t_eq "a directory that is not there is an error" \
  "bld: failed to get build context lay: $T_DIR/no-layout: not an OCI layout directory" "$out"

# --- a git URL ---
repo=$T_DIR/repo
mkdir -p "$repo/sub" && echo from-git >"$repo/sub/g.txt"
git -C "$repo" init -q -b main && git -C "$repo" add -A &&
  git -C "$repo" -c user.name=t -c user.email=t@t commit -qm init || t_fail "make git repo"
printf 'FROM %s\nCOPY --from=g g.txt /g.txt\n' "$BASE" >"$T_DIR/main/Dockerfile"
out=$("$BLD" build --build-context g="file://$repo#main:sub" -t named-git "$T_DIR/main" 2>&1)
t_eq "a git URL (REPO#REF:SUBDIR) as a named context" 0 "$?"
t_eq "its file is copied" "from-git" "$("$BLD" run --rm --network none named-git cat /g.txt 2>&1)"

t_match "bld build --help lists --build-context, --add-host and --shm-size" \
  'build-context stringArray.*add-host list.*shm-size bytes' "$("$BLD" build --help | tr '\n' ' ')"

# --- errors as buildx words them, exit 1 ---
out=$("$BLD" build --build-context novalue "$T_DIR/main" 2>&1); rc=$?
t_eq "a value without = is refused" "1 bld: invalid context value: novalue, expected key=value" "$rc $out"
out=$("$BLD" build --build-context g=../no-such-dir "$T_DIR/main" 2>&1); rc=$?
t_eq "a missing directory is refused" \
  "1 bld: failed to get build context g: stat ../no-such-dir: no such file or directory" "$rc $out"
out=$("$BLD" build --build-context Bad=. "$T_DIR/main" 2>&1); rc=$?
t_match "a name that is no reference is refused" '^bld: invalid context name Bad: ' "$out"
