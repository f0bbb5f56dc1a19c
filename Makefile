# bld — build, test and install rules. Sources are discovered per module directory, so a new
# file needs no edit here. Tests: criterion units in tests/<module>/test_*.c (one binary),
# end-to-end scripts in tests/e2e/*.sh that drive ./bld.

CC       ?= cc
PKGS     := libarchive libcurl openssl libxxhash libgit2 jansson libseccomp yaml-0.1 libsodium
DEBS     = $(sort $(shell sed 's/\#.*//' packages/*.txt))
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wvla
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) -I. -D_GNU_SOURCE $(CFLAGS) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
MODULES  := common parser cache registry runner builder cli
LIB_SRCS := $(foreach m,$(filter-out cli,$(MODULES)),$(wildcard $(m)/*.c))
CLI_SRCS := $(wildcard cli/*.c)
B        ?= build
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
TEST_SRCS := $(wildcard $(foreach m,$(MODULES),tests/$(m)/test_*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(B)/%.o)

.PHONY: all deps check unit e2e asan fuzz fuzz-shell demo lint clean bench

all: bld

bld: $(B)/bld
	@cp $< $@

$(B)/bld: $(LIB_OBJS) $(CLI_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -c -o $@ $<

$(B)/unit-tests: $(LIB_OBJS) $(TEST_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) -lcriterion

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Installs only what is missing; a no-op on a machine that has everything.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f '$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

unit: $(B)/unit-tests
	$(B)/unit-tests --jobs=2

e2e: bld
	tests/run-e2e.sh

check: deps
	$(MAKE) bld $(B)/unit-tests
	tests/run-all.sh $(B)/unit-tests

asan:
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" build-asan/unit-tests build-asan/bld
	@# criterion reports a test before its worker exits, so a leak report fails the run here
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  build-asan/unit-tests --jobs=2 2>&1 | tee build-asan/unit-tests.log
	@! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' build-asan/unit-tests.log
	@grep -q 'Failing: 0 | Crashing: 0' build-asan/unit-tests.log

FUZZ_SECONDS ?= 600
FUZZ_SRCS := $(wildcard common/*.c parser/*.c)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# libFuzzer over the parser and the stage graph, seeded with the Dockerfile corpus and the
# conformance files (libFuzzer reads seed directories recursively); crashes land in build-fuzz/.
fuzz:
	$(MAKE) B=build-fuzz CC=clang EXTRA_CFLAGS=-Wno-format-nonliteral \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  $(FUZZ_SRCS:%.c=build-fuzz/%.o)
	clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz-parser \
	  tests/fuzz/fuzz_parser.c $(FUZZ_SRCS:%.c=build-fuzz/%.o) $(LIBS)
	mkdir -p build-fuzz/corpus
	build-fuzz/fuzz-parser -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus \
	  tests/fixtures/dockerfile-corpus tests/fixtures/dockerfile-parser tests/fixtures/fuzz-regressions

# libFuzzer over shell-word expansion and .dockerignore patterns (the same objects).
fuzz-shell:
	$(MAKE) B=build-fuzz CC=clang EXTRA_CFLAGS=-Wno-format-nonliteral \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  $(FUZZ_SRCS:%.c=build-fuzz/%.o)
	clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz-shell \
	  tests/fuzz/fuzz_shell.c $(FUZZ_SRCS:%.c=build-fuzz/%.o) $(LIBS)
	mkdir -p build-fuzz/corpus-shell
	build-fuzz/fuzz-shell -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus-shell

demo: deps bld
	examples/demo.sh

bench: bld
	@for b in bench/*.sh; do echo "== $$b"; $$b; done

lint:
	clang-tidy $(LIB_SRCS) $(CLI_SRCS) -- $(ALL_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance -I. $(MODULES)

clean:
	rm -rf build build-asan build-fuzz bld
