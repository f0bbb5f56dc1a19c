#!/usr/bin/env bash
# tests/e2e/build_explain.sh — `bld build --explain` and the "cache miss:" line of plain
# progress name the first input that differs from the last build of the same Dockerfile and
# target, for each kind of rebuild people meet: a copied file's content, its mode, a file
# added to a glob, a .dockerignore'd file (no miss at all), a build arg, the base image
# re-tagged to another digest in the registry, an edited instruction; and the steps after a
# miss say whose miss they inherit.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

# the base: an image of ours under a tag that is later pushed again with other content
BTAG=$REG_ADDR/test/explain-base:1
mkdir -p "$T_DIR/base"
printf 'FROM %s\nRUN echo one > /base-version\n' "$BASE" >"$T_DIR/base/Dockerfile"
"$BLD" build -q -t "$BTAG" "$T_DIR/base" >/dev/null 2>&1 && "$BLD" push -q "$BTAG" >/dev/null 2>&1 ||
  { t_fail "push the first base"; exit 1; }

ctx=$T_DIR/app
mkdir -p "$ctx/conf"
cat >"$ctx/Dockerfile" <<DF
FROM $BTAG
COPY app.sh /app/app.sh
COPY conf/*.conf /etc/app/
ARG FLAVOUR=plain
RUN echo "\$FLAVOUR" > /flavour
RUN echo done > /done
DF
printf '#!/bin/sh\necho hi\n' >"$ctx/app.sh"
echo a=1 >"$ctx/conf/a.conf"
echo notes >"$ctx/notes.txt"
printf 'notes.txt\n' >"$ctx/.dockerignore"

# build [ARGS...] — a plain-progress build of ctx with --explain; output in OUT
build() { OUT=$("$BLD" build --progress=plain --explain "$@" -t explain-app "$ctx" 2>&1); }
# why STEP — the --explain line of the step whose name starts with STEP ("[2/5] COPY app.sh")
why() { grep -F "explain: $1" <<<"$OUT" | head -n1 | sed 's/^explain: //'; }

build
t_eq "first build" 0 $?
t_match "first build: no earlier build to compare with" \
  'explain: \[2/5\] COPY app.sh /app/app.sh: no earlier build of this step' "$OUT"
build
t_match "no-op rebuild: nothing missed" '^explain: every step was CACHED$' "$OUT"
t_ok "no-op rebuild: no cache miss line" sh -c '! grep -q "cache miss" <<EOF
$OUT
EOF'

sleep 1.1 # beyond the stat cache's racy window
echo more >"$ctx/notes.txt"
build
t_match "a .dockerignore'd file changed: no miss" '^explain: every step was CACHED$' "$OUT"

printf '#!/bin/sh\necho hello\n' >"$ctx/app.sh"
build
t_eq "content changed: named" "[2/5] COPY app.sh /app/app.sh: file app.sh: content changed" \
  "$(why "[2/5]")"
t_match "the plain progress has the line too" '^#[0-9]+ cache miss: file app.sh: content changed$' "$OUT"
t_eq "the next step inherits the miss" \
  "[3/5] COPY conf/*.conf /etc/app/: inherits the miss of [2/5] COPY app.sh /app/app.sh" \
  "$(why "[3/5]")"

chmod 755 "$ctx/app.sh"
build
t_eq "mode changed: named" "[2/5] COPY app.sh /app/app.sh: file app.sh: mode changed" "$(why "[2/5]")"

echo b=2 >"$ctx/conf/b.conf"
build
t_eq "a file added to a glob: named" "[3/5] COPY conf/*.conf /etc/app/: file conf/b.conf added" \
  "$(why "[3/5]")"
t_ok "the steps before it stay CACHED" sh -c '! grep -qF "explain: [2/5]" <<EOF
$OUT
EOF'
rm "$ctx/conf/a.conf"
build
t_eq "a file gone from a glob: named" "[3/5] COPY conf/*.conf /etc/app/: file conf/a.conf removed" \
  "$(why "[3/5]")"

build --build-arg FLAVOUR=spicy
t_eq "a build arg changed: named" "[4/5] RUN echo \"spicy\" > /flavour: build arg FLAVOUR changed" \
  "$(why "[4/5]")"
t_eq "after it: its own environment, and the miss it inherits" \
  "[5/5] RUN echo done > /done: build arg FLAVOUR changed; and inherits the miss of [4/5] RUN echo \"spicy\" > /flavour" \
  "$(why "[5/5]")"
t_ok "the steps before the ARG stay CACHED" sh -c '! grep -qF "explain: [3/5]" <<EOF
$OUT
EOF'

sed -i 's/echo done/echo finished/' "$ctx/Dockerfile"
build --build-arg FLAVOUR=spicy
t_eq "an edited instruction: named" "[5/5] RUN echo finished > /done: instruction changed" "$(why "[5/5]")"

# the base re-tagged: another image pushed under the same tag, pulled again
old_id=$("$BLD" image inspect -f '{{.Id}}' "$BTAG")
printf 'FROM %s\nRUN echo two > /base-version\n' "$BASE" >"$T_DIR/base/Dockerfile"
"$BLD" build -q -t "$BTAG" "$T_DIR/base" >/dev/null 2>&1 && "$BLD" push -q "$BTAG" >/dev/null 2>&1 ||
  t_fail "push the second base"
"$BLD" rmi "$BTAG" >/dev/null 2>&1
build --pull --build-arg FLAVOUR=spicy
new_id=$("$BLD" image inspect -f '{{.Id}}' "$BTAG")
t_ok "the tag names another image now" test "$old_id" != "$new_id"
t_eq "the base image's new digest: named" \
  "[2/5] COPY app.sh /app/app.sh: base image $BTAG: $old_id -> $new_id" "$(why "[2/5]")"

# the notes are kept in the store beside the build cache, and go with it
t_ok "inputs are kept per key" test -n "$(ls "$BLD_ROOT/cache/inputs")"
t_ok "no file contents in them" sh -c "! grep -rq 'echo hello' '$BLD_ROOT/cache/inputs'"
"$BLD" builder prune -af >/dev/null 2>&1
t_eq "builder prune -a removes the inputs with the records" "" "$(ls "$BLD_ROOT/cache/inputs")"
