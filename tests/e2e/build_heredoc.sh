#!/usr/bin/env bash
# tests/e2e/build_heredoc.sh — heredocs on RUN, COPY, ADD and in ONBUILD triggers, checked
# by what the built image holds against what BuildKit's dockerfile frontend (1.4 and later)
# makes of each form: docker 20.10's own frontend cannot build them, so there is no docker
# to compare with here. The rules (moby/buildkit dockerfile2llb dispatchRun and
# instructions.parseSourcesAndDest): a line that is one heredoc word runs the body as the
# shell script (tabs chomped for <<-), or, when the body starts with "#!", the file
# /dev/pipes/NAME (mode 0755, read-only mount) through the shell; any other line is handed to
# the shell with the bodies appended; COPY/ADD heredocs are files named after the word,
# mode 0644, expanded with ARG/ENV unless the word is quoted.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

# build NAME — builds $T_DIR/NAME as image NAME and exports its filesystem to $T_DIR/NAME.out
build() {
  local out
  out=$("$BLD" build --progress=plain -t "$1" "$T_DIR/$1" 2>&1) || { t_fail "build $1" "$(tail -5 <<<"$out")"; return 1; }
  rm -rf "$T_DIR/$1.out"
  "$BLD" build -q -o "type=local,dest=$T_DIR/$1.out" "$T_DIR/$1" >/dev/null 2>&1 || t_fail "export $1"
  printf '%s\n' "$out" >"$T_DIR/$1.log"
}
TAB=$'\t'

# --- the lone heredoc: the commonest shape, alone in its own build first
mkdir -p "$T_DIR/lone"
cat >"$T_DIR/lone/Dockerfile" <<DF
# syntax=docker/dockerfile:1.4
FROM $BASE
RUN <<EOF
echo one > /lone
echo "\$0" >> /lone
EOF
DF
build lone
t_eq "RUN <<EOF runs the body as the shell script" "one
/bin/sh" "$(cat "$T_DIR/lone.out/lone" 2>&1)"
t_match "progress names the step with the body's first line" \
  '\[2/2\] RUN <<EOF \(echo one > /lone\.\.\.\)' "$(cat "$T_DIR/lone.log")"
t_eq "history: SHELL plus the body, as BuildKit records it" \
  'RUN /bin/sh -c echo one > /lone
echo "$0" >> /lone
 # buildkit' "$(t_history lone "[-1]")"
out=$("$BLD" build --progress=plain "$T_DIR/lone" 2>&1)
t_match "an unchanged body is CACHED" '#[0-9]+ CACHED' "$out"
sed -i 's/echo one/echo two/' "$T_DIR/lone/Dockerfile"
build lone
t_eq "a changed body changes the key: the step runs again" "two" "$(head -1 "$T_DIR/lone.out/lone")"

# --- every other form
mkdir -p "$T_DIR/forms"
cat >"$T_DIR/forms/Dockerfile" <<DF
# syntax=docker/dockerfile:1.4
FROM $BASE
ARG NAME=world
ENV GREETING=hello
RUN <<EOF
#!/bin/sh
{ echo "\$0"; stat -c %a "\$0"; touch /dev/pipes/x 2>/dev/null || echo read-only; } > /shebang
EOF
RUN cat > /stdin <<EOF
home is \$HOME
EOF
RUN cat > /quoted <<'EOF'
home is \$HOME
EOF
RUN <<EOF sh
echo via-stdin > /viastdin
EOF
RUN <<FILE1 cat > /file1 && <<FILE2 cat > /file2
I am
first
FILE1
I am
second
FILE2
RUN <<-EOF
${TAB}cat > /chomp <<X
${TAB}${TAB}chomped
${TAB}X
${TAB}EOF
RUN cat > /chomp2 <<-EOF
${TAB}shell-chomped
${TAB}EOF
RUN <<-EOF
${TAB}#!/bin/sh
${TAB}echo "\$0" > /chomp-shebang
${TAB}EOF
COPY <<EOF /copy/unquoted
\$GREETING \${NAME}
EOF
COPY <<"EOF" /copy/quoted
\$GREETING \${NAME}
EOF
COPY --chmod=0741 --chown=12:34 <<A <<B /copy/multi/
a
A
b
B
ADD <<EOF /add/
added \$NAME
EOF
DF
build forms
o=$T_DIR/forms.out
t_eq "a #! body runs as the file /dev/pipes/EOF, mode 0755, read-only" "/dev/pipes/EOF
755
read-only" "$(cat "$o/shebang" 2>&1)"
t_ok "nothing of /dev/pipes reaches the layer" test ! -e "$o/dev/pipes"
t_eq "a heredoc fed to a command's stdin: the shell expands it" "home is /root" "$(cat "$o/stdin" 2>&1)"
t_eq "a quoted delimiter: the shell keeps \$HOME literal" 'home is $HOME' "$(cat "$o/quoted" 2>&1)"
t_eq "RUN <<EOF sh: the body is the command's stdin" "via-stdin" "$(cat "$o/viastdin" 2>&1)"
t_eq "two heredocs on one line: the first" "I am
first" "$(cat "$o/file1" 2>&1)"
t_eq "two heredocs on one line: the second" "I am
second" "$(cat "$o/file2" 2>&1)"
t_eq "a lone <<- body loses its leading tabs before it runs" "chomped" "$(cat "$o/chomp" 2>&1)"
t_eq "<<- on a command's heredoc: the shell chomps" "shell-chomped" "$(cat "$o/chomp2" 2>&1)"
t_eq "<<- then #!: chomped first, so it runs as a file" "/dev/pipes/EOF" "$(cat "$o/chomp-shebang" 2>&1)"
t_eq "COPY <<EOF expands ARG and ENV" "hello world" "$(cat "$o/copy/unquoted" 2>&1)"
t_eq 'COPY <<"EOF" expands nothing' '$GREETING ${NAME}' "$(cat "$o/copy/quoted" 2>&1)"
t_eq "COPY heredocs are files of mode 0644" "644" "$(stat -c %a "$o/copy/unquoted" 2>&1)"
t_eq "several heredocs in one COPY, --chmod and --chown applied" "a 741 12:34|b 741 12:34" \
  "$(for f in A B; do printf '%s %s|' "$(cat "$o/copy/multi/$f")" "$(stat -c '%a %u:%g' "$o/copy/multi/$f")"; done | sed 's/|$//')"
t_eq "ADD <<EOF into a directory: a file named after the word" "added world" "$(cat "$o/add/EOF" 2>&1)"

# --- ONBUILD triggers with heredocs fire in a child build
mkdir -p "$T_DIR/parent" "$T_DIR/child"
cat >"$T_DIR/parent/Dockerfile" <<DF
FROM $BASE
ONBUILD RUN <<EOF
echo fired > /onbuild-run
EOF
ONBUILD COPY <<EOF /onbuild-copy
copied
EOF
DF
build parent
t_eq "the trigger keeps its heredoc: the line, the body and the terminator (BuildKit's Expression)" \
  '["RUN <<EOF\necho fired > /onbuild-run\nEOF","COPY <<EOF /onbuild-copy\ncopied\nEOF"]' \
  "$("$BLD" inspect --format '{{json .Config.OnBuild}}' parent 2>&1)"
printf 'FROM parent\nRUN test -f /onbuild-run\n' >"$T_DIR/child/Dockerfile"
build child
t_eq "ONBUILD RUN <<EOF fires in the child" "fired" "$(cat "$T_DIR/child.out/onbuild-run" 2>&1)"
t_eq "ONBUILD COPY <<EOF fires in the child" "copied" "$(cat "$T_DIR/child.out/onbuild-copy" 2>&1)"
t_ok "the parent itself runs no trigger" test ! -e "$T_DIR/parent.out/onbuild-run"

# --- the shape of the public corpus (moby/buildkit's and docker/buildx's Dockerfiles): the
# syntax directive, global ARGs, FROM --platform=$BUILDPLATFORM ... AS, heredoc RUNs with
# cache and bind mounts (from the context and from a stage), a COPY <<"EOF" script with
# --chmod, COPY --from, and stages nobody needs that name images no registry has: they must
# not be pulled (the test's network namespace has only lo, so a pull would fail the build)
mkdir -p "$T_DIR/corpus"
echo 1.2.3 >"$T_DIR/corpus/VERSION"
cat >"$T_DIR/corpus/Dockerfile" <<DF
# syntax=docker/dockerfile:1.4

ARG BUSYBOX_VERSION=latest
ARG DOCKER_VERSION=29.6

FROM --platform=\$BUILDPLATFORM $REG_ADDR/library/busybox:\${BUSYBOX_VERSION} AS base
WORKDIR /src
FROM moby/moby-bin:\$DOCKER_VERSION AS docker-engine
FROM $REG_ADDR/no/such-image:\${DOCKER_VERSION} AS unused

FROM base AS version
RUN --mount=target=. <<'EOT'
  set -e
  if [ -f VERSION ]; then VERSION=\$(cat VERSION); else VERSION=dev; fi
  echo -n "\${VERSION}" | tee /tmp/.version
EOT

FROM base AS builder
ARG TARGETPLATFORM
RUN --mount=type=cache,target=/root/.cache \\
  --mount=type=bind,from=version,source=/tmp/.version,target=/tmp/.version <<EOT
  set -ex
  mkdir -p /out
  echo "built \$(cat /tmp/.version) for \${TARGETPLATFORM}" > /root/.cache/last
  cp /root/.cache/last "/out/app-\$(cat /tmp/.version).txt"
EOT
COPY --chmod=755 <<"EOF" /out/entrypoint.sh
#!/bin/sh
set -e
exec cat /app/*.txt
EOF

FROM base AS release
COPY --from=builder /out/ /app/
ENTRYPOINT ["/app/entrypoint.sh"]
DF
out=$("$BLD" build --progress=plain -t corpus "$T_DIR/corpus" 2>&1)
t_eq "a Dockerfile in the corpus' shape builds offline" 0 "$?"
t_ok "the unused stages' images are never resolved" eval '! grep -E "moby-bin|such-image" <<<"$out"'
t_eq "... and the image runs" "built 1.2.3 for linux/amd64" \
  "$("$BLD" run --rm --network none corpus 2>&1)"
rm -rf "$T_DIR/corpus.out"
"$BLD" build -q -o "type=local,dest=$T_DIR/corpus.out" --target builder "$T_DIR/corpus" >/dev/null 2>&1
t_ok "the cache mount's files stay out of the layer" test ! -e "$T_DIR/corpus.out/root/.cache/last"
t_ok "... while what the step wrote elsewhere is there" test -f "$T_DIR/corpus.out/out/app-1.2.3.txt"

# --- moby/buildkit's containerd-build stage: an unquoted `COPY --chmod=755 <<-EOT /build.sh`
# script that a RUN then runs. The builder expands it before the shell sees it: $(...) is
# no variable and stays, ENV values are put in, and $1 (looked up as a name, BuildKit's
# lexer) is empty; the file has the mode --chmod gives
mkdir -p "$T_DIR/script"
cat >"$T_DIR/script/Dockerfile" <<DF
# syntax=docker/dockerfile:1.4
FROM $BASE
ENV MODE=static
COPY --chmod=755 <<-EOT /build.sh
#!/bin/sh
set -ex
mkdir /out
if [ "\$(uname -s)" = "Linux" ]; then
  echo "linux \${MODE} [\$1]" > /out/result
fi
EOT
RUN /build.sh arg1
DF
build script
t_eq "the script ran: \$(...) kept, ENV expanded, \$1 expanded by the builder" "linux static []" \
  "$(cat "$T_DIR/script.out/out/result" 2>&1)"
t_eq "... from a file of mode 0755" "755" "$(stat -c %a "$T_DIR/script.out/build.sh" 2>&1)"
