# bld — build, test and install rules. Sources are discovered per module directory, so a new
# file needs no edit here. Tests: criterion units in tests/<module>/test_*.c (one binary),
# end-to-end scripts in tests/e2e/*.sh that drive ./bld.

CC       ?= cc
PKGS     := libarchive libcurl openssl libxxhash libgit2 jansson libseccomp yaml-0.1 libsodium \
            libisal ldns libmicrohttpd
DEBS     = $(sort $(shell sed 's/\#.*//' packages/*.txt))
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wvla
# fortified as Debian builds the package, so that its warnings (ignored results) fail here too
CFLAGS   ?= -O2 -g -D_FORTIFY_SOURCE=2
ALL_CFLAGS = -std=gnu11 $(WARN) -I. -D_GNU_SOURCE $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(filter-out $(DL_PKGS),$(PKGS)) 2>/dev/null) -ldl -lpthread
MODULES  := common parser cache registry runner builder deploy api cli
LIB_SRCS := $(foreach m,$(filter-out cli,$(MODULES)),$(wildcard $(m)/*.c))
CLI_SRCS := $(wildcard cli/*.c)
B        ?= build
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
TEST_SRCS := $(wildcard $(foreach m,$(MODULES),tests/$(m)/test_*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(B)/%.o)

.PHONY: all deps check unit e2e e2e-rootless soak asan asan-e2e fuzz fuzz-parser fuzz-shell fuzz-store fuzz-image \
	fuzz-registry fuzz-auth fuzz-compose fuzz-kube fuzz-api demo lint clean bench dlshims install uninstall deb deb-check

# Lazily loaded libraries: bld does not link libcurl, libarchive, libgit2, ISA-L and libcrypto
# (with their dependencies they tripled the start time of every process; libcrypto alone adds
# 1.2 ms), nor libldns (it brings libssl and libcrypto: linked, `bld ps` took 2.9 ms instead of 1.5),
# nor libmicrohttpd (it brings GnuTLS; only `bld system service` serves HTTP);
# registry/curl_dl.c, cache/archive_dl.c, builder/git_dl.c, cache/isal_dl.c, runner/ldns_dl.c,
# api/mhd_dl.c and common/crypto_dl.c define the functions below and dlopen() the library on first call.
# Their --cflags still come from pkg-config. After calling a new function of one of them, add
# it here and run `make dlshims` (the generated files are committed).
DL_PKGS  := libarchive libcurl libgit2 libisal openssl ldns libmicrohttpd
CURL_FNS := \
  curl_easy_cleanup curl_easy_escape curl_easy_getinfo curl_easy_init curl_easy_perform \
  curl_easy_setopt curl_easy_strerror curl_free curl_global_init curl_multi_add_handle \
  curl_multi_cleanup curl_multi_info_read curl_multi_init curl_multi_perform \
  curl_multi_poll curl_multi_remove_handle curl_multi_setopt curl_multi_strerror \
  curl_share_cleanup curl_share_init curl_share_setopt curl_slist_append \
  curl_slist_free_all curl_version
ARCHIVE_FNS := \
  archive_entry_atime archive_entry_atime_is_set archive_entry_atime_nsec \
  archive_entry_copy_hardlink archive_entry_copy_pathname archive_entry_filetype \
  archive_entry_free archive_entry_gid archive_entry_hardlink archive_entry_mtime \
  archive_entry_mtime_nsec archive_entry_new archive_entry_pathname archive_entry_perm \
  archive_entry_rdev archive_entry_set_filetype archive_entry_set_gid \
  archive_entry_set_hardlink archive_entry_set_mode archive_entry_set_mtime \
  archive_entry_set_pathname archive_entry_set_perm archive_entry_set_rdev \
  archive_entry_set_size archive_entry_set_symlink archive_entry_set_uid \
  archive_entry_size archive_entry_size_is_set archive_entry_symlink archive_entry_uid \
  archive_entry_xattr_add_entry archive_entry_xattr_next archive_entry_xattr_reset \
  archive_error_string archive_read_data archive_read_data_block archive_read_data_skip \
  archive_read_free archive_read_new archive_read_next_header archive_read_open \
  archive_read_open_fd archive_read_support_filter_all archive_read_support_format_gnutar \
  archive_read_support_format_raw archive_read_support_format_tar archive_set_error \
  archive_version_string archive_write_add_filter_gzip archive_write_close \
  archive_write_data archive_write_data_block archive_write_disk_new \
  archive_write_disk_set_options archive_write_disk_set_standard_lookup \
  archive_write_finish_entry archive_write_free archive_write_header archive_write_new \
  archive_write_open2 archive_write_open_fd archive_write_set_bytes_in_last_block \
  archive_write_set_bytes_per_block archive_write_set_filter_option \
  archive_write_set_format_pax_restricted archive_write_set_format_raw \
  archive_write_set_format_ustar
ISAL_FNS := crc32_gzip_refl isal_deflate_stateless isal_deflate_stateless_init isal_inflate \
  isal_inflate_init isal_inflate_reset
CRYPTO_FNS := \
  BIO_ctrl BIO_free BIO_new BIO_new_mem_buf BIO_s_mem CRYPTO_clear_free CRYPTO_free \
  EVP_DigestSign EVP_DigestSignInit EVP_DigestVerify EVP_DigestVerifyInit EVP_MD_CTX_free \
  EVP_MD_CTX_new EVP_PKCS82PKEY EVP_PKEY2PKCS8 EVP_PKEY_CTX_free EVP_PKEY_CTX_new_from_name \
  EVP_PKEY_CTX_set_group_name EVP_PKEY_free EVP_PKEY_generate EVP_PKEY_get_base_id \
  EVP_PKEY_get_utf8_string_param EVP_PKEY_keygen_init EVP_sha256 OpenSSL_version PEM_read_bio \
  PEM_write_bio PEM_write_bio_PUBKEY PKCS8_PRIV_KEY_INFO_free SHA1_Final SHA1_Init SHA1_Update \
  SHA256_Final SHA256_Init SHA256_Update d2i_PKCS8_PRIV_KEY_INFO d2i_PUBKEY i2d_PKCS8_PRIV_KEY_INFO i2d_PUBKEY
LDNS_FNS := \
  ldns_dname_compare ldns_dname_new_frm_str ldns_pkt2wire ldns_pkt_cd ldns_pkt_free \
  ldns_pkt_get_opcode ldns_pkt_id ldns_pkt_new ldns_pkt_push_rr ldns_pkt_qr ldns_pkt_question \
  ldns_pkt_rd ldns_pkt_set_cd ldns_pkt_set_id ldns_pkt_set_opcode ldns_pkt_set_qr \
  ldns_pkt_set_ra ldns_pkt_set_rcode ldns_pkt_set_rd ldns_rdf2str ldns_rdf_address_reverse \
  ldns_rdf_clone ldns_rdf_deep_free ldns_rdf_new_frm_data ldns_rr_clone ldns_rr_get_type \
  ldns_rr_list_rr ldns_rr_list_rr_count ldns_rr_new ldns_rr_owner ldns_rr_push_rdf \
  ldns_rr_set_class ldns_rr_set_owner ldns_rr_set_ttl ldns_rr_set_type ldns_wire2pkt
MHD_FNS := \
  MHD_add_response_header MHD_create_response_for_upgrade MHD_create_response_from_buffer \
  MHD_create_response_from_callback MHD_destroy_response MHD_get_connection_values \
  MHD_get_connection_info MHD_lookup_connection_value MHD_queue_response MHD_start_daemon_va \
  MHD_stop_daemon \
  MHD_upgrade_action
GNUTLS_FNS := gnutls_certificate_verify_peers2
GIT2_FNS := \
  git_checkout_options_init git_checkout_tree git_clone git_clone_options_init \
  git_credential_ssh_key_from_agent git_error_last git_libgit2_init git_object_free \
  git_object_id git_object_peel git_repository_free git_repository_set_head_detached \
  git_revparse_single git_repository_open_ext git_commit_time

.DEFAULT_GOAL := all

dlshims:
	tools/gen-dlshim.py registry/curl_dl.c curl libcurl.so.4 '<curl/curl.h>' \
	  "$(PKG_CFLAGS)" $(CURL_FNS)
	tools/gen-dlshim.py cache/archive_dl.c archive libarchive.so.13 \
	  '<archive.h> <archive_entry.h>' "$(PKG_CFLAGS)" $(ARCHIVE_FNS)
	tools/gen-dlshim.py builder/git_dl.c git2 libgit2.so.1.5 '<git2.h>' "$(PKG_CFLAGS)" $(GIT2_FNS)
	tools/gen-dlshim.py cache/isal_dl.c isal libisal.so.2 '<isa-l/igzip_lib.h> <isa-l/crc.h>' \
	  "$(PKG_CFLAGS)" \
	  $(ISAL_FNS)
	tools/gen-dlshim.py runner/ldns_dl.c ldns libldns.so.3 '<ldns/ldns.h>' "$(PKG_CFLAGS)" \
	  $(LDNS_FNS)
	tools/gen-dlshim.py api/mhd_dl.c mhd libmicrohttpd.so.12 '<microhttpd.h>' \
	  "$(PKG_CFLAGS) -DMHD_NO_DEPRECATION" \
	  $(MHD_FNS)
	tools/gen-dlshim.py api/gnutls_dl.c gnutls libgnutls.so.30 '<gnutls/gnutls.h>' \
	  "$(PKG_CFLAGS)" $(GNUTLS_FNS)
	tools/gen-dlshim.py common/crypto_dl.c crypto libcrypto.so.3 \
	  '<openssl/bio.h> <openssl/crypto.h> <openssl/evp.h> <openssl/pem.h> <openssl/sha.h> <openssl/x509.h>' \
	  "$(PKG_CFLAGS)" $(CRYPTO_FNS)

all: bld $(B)/man/bld.1 $(B)/completion/bld.bash

# the manual pages of every command, written by bld itself from its command table (the same
# entries --help prints); doc/ holds the hand-written pages of files and rules (sections 5, 7)
$(B)/man/bld.1: $(B)/bld
	rm -rf $(B)/man && $(B)/bld __man $(B)/man

# the shell completion scripts (they ask `bld __complete`, which answers from the same table)
$(B)/completion/bld.bash: $(B)/bld
	mkdir -p $(B)/completion
	$(B)/bld completion zsh >$(B)/completion/_bld
	$(B)/bld completion fish >$(B)/completion/bld.fish
	$(B)/bld completion bash >$@

# a new file renamed over ./bld: a running container's monitor still executes the old one, and
# cp onto a running executable fails (ETXTBSY)
bld: $(B)/bld
	@cp $< $@.tmp && mv -f $@.tmp $@

$(B)/bld: $(LIB_OBJS) $(CLI_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -c -o $@ $<

# kube play's pause process (deploy/pause/pause.c): freestanding and static, a few KiB, its
# bytes embedded in bld by deploy/kube_pause_bin.c
$(B)/kube-pause: deploy/pause/pause.c
	@mkdir -p $(dir $@)
	$(CC) -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie \
	  -fno-asynchronous-unwind-tables -Wl,--build-id=none -s -o $@ $<
$(B)/deploy/kube_pause_bin.o: $(B)/kube-pause
$(B)/deploy/kube_pause_bin.o: override EXTRA_CFLAGS += -DBLD_KUBE_PAUSE='"$(B)/kube-pause"'

# the resolver's tests build and read DNS messages with more of libldns than bld calls
$(B)/unit-tests: $(LIB_OBJS) $(TEST_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs ldns) -lcriterion

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Installs only what is missing; a no-op on a machine that has everything.
deps:
	@missing=""; for p in $(DEBS) $(EXTRA_DEBS); do \
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

# The suites of the everyday commands as an ordinary user, with subordinate ids and without
# (README.md, "Rootless"); make check runs their lean selection, tests/e2e/rootless_verbs.sh.
ROOTLESS_SUITES = build registry runner_basic runner_lifecycle runner_logs runner_volumes compose_up \
  network runner_net net_dns net_attach
e2e-rootless: bld
	BLD_E2E_ROOTLESS="ranges single" tests/run-e2e.sh $(ROOTLESS_SUITES:%=tests/e2e/%.sh)

check: deps
	$(MAKE) bld $(B)/unit-tests
	tests/run-all.sh $(B)/unit-tests

# The kill -9 soak: KILL_RUNS kills of each command (make check runs the same script with a
# few); its timeout grows with the count.
KILL_RUNS ?= 100
KILL_OPS ?=
soak: bld
	KILL_RUNS=$(KILL_RUNS) KILL_OPS="$(KILL_OPS)" E2E_TIMEOUT=$$(( 60 + $(KILL_RUNS) * 30 )) tests/run-e2e.sh tests/e2e/kill_soak.sh

ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	$(MAKE) B=build-asan CFLAGS="$(ASAN_CFLAGS)" build-asan/unit-tests build-asan/bld
	@# criterion reports a test before its worker exits, so a leak report fails the run here
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  build-asan/unit-tests --jobs=2 2>&1 | tee build-asan/unit-tests.log
	@! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' build-asan/unit-tests.log
	@grep -q 'Failing: 0 | Crashing: 0' build-asan/unit-tests.log

# The end-to-end scripts against the ASan/UBSan build: every bld process logs its reports to
# build-asan/e2e.*, and any report fails the run (not part of check: about three times as slow).
asan-e2e:
	$(MAKE) B=build-asan CFLAGS="$(ASAN_CFLAGS)" build-asan/bld
	rm -f build-asan/e2e.*
	ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:log_path=$(CURDIR)/build-asan/e2e \
	  UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/build-asan/e2e \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  BLD_E2E_BIN=$(CURDIR)/build-asan/bld tests/run-e2e.sh $(E2E)
	@! grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' build-asan/e2e.* 2>/dev/null

FUZZ_SECONDS ?= 600
# seconds one input may take; raise it on a loaded machine (a legitimate scrypt of an encrypted
# key takes ~0.5 s of CPU, more than 10 s of wall time at nice 19 under load)
FUZZ_TIMEOUT ?= 10
FUZZ_SRCS := $(wildcard common/*.c parser/*.c)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Every libFuzzer target in turn, each run for FUZZ_SECONDS (store and image need root);
# tests/fuzz/README.md says what each covers and records the hours run and what they found.
FUZZ_TARGETS ?= fuzz-parser fuzz-shell fuzz-registry fuzz-auth fuzz-compose fuzz-kube fuzz-api \
  $(if $(filter 0,$(shell id -u)),fuzz-store fuzz-image)
fuzz:
	@for t in $(FUZZ_TARGETS); do $(MAKE) $$t || exit 1; done

# libFuzzer over the parser and the stage graph, seeded with the Dockerfile corpus and the
# conformance files (libFuzzer reads seed directories recursively); crashes land in build-fuzz/.
fuzz-parser:
	+$(MAKE) B=build-fuzz CC=clang EXTRA_CFLAGS=-Wno-format-nonliteral \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  $(FUZZ_SRCS:%.c=build-fuzz/%.o)
	clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz-parser \
	  tests/fuzz/fuzz_parser.c $(FUZZ_SRCS:%.c=build-fuzz/%.o) $(LIBS)
	mkdir -p build-fuzz/corpus
	build-fuzz/fuzz-parser -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=$(FUZZ_TIMEOUT) \
	  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus \
	  tests/fixtures/dockerfile-corpus tests/fixtures/dockerfile-parser tests/fixtures/fuzz-regressions

# libFuzzer over shell-word expansion and .dockerignore patterns (the same objects).
fuzz-shell:
	+$(MAKE) B=build-fuzz CC=clang EXTRA_CFLAGS=-Wno-format-nonliteral \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  $(FUZZ_SRCS:%.c=build-fuzz/%.o)
	clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz-shell \
	  tests/fuzz/fuzz_shell.c $(FUZZ_SRCS:%.c=build-fuzz/%.o) $(LIBS)
	mkdir -p build-fuzz/corpus-shell
	build-fuzz/fuzz-shell -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=$(FUZZ_TIMEOUT) \
	  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus-shell

# libFuzzer over what the store and the registry client read from outside. $(1) is the
# target's name, $(2) its source, $(3) the module sources it links (built into build-fuzz/).
# (clang warns where gcc, the build's compiler, does not: those warnings stay warnings here)
define fuzz_link
	+$(MAKE) B=build-fuzz CC=clang EXTRA_CFLAGS="-Wno-format-nonliteral -Wno-error" \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(3:%.c=build-fuzz/%.o)
	clang -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(PKG_CFLAGS) \
	  -o build-fuzz/$(1) $(2) $(3:%.c=build-fuzz/%.o) $(LIBS)
endef
# $(1) the seed set of tests/fuzz/seeds.py, $(2) the target: seeds, then FUZZ_SECONDS of it.
define fuzz_seed_run
	rm -rf build-fuzz/seeds-$(1) && python3 tests/fuzz/seeds.py $(1) build-fuzz/seeds-$(1)
	mkdir -p build-fuzz/corpus-$(1)
	build-fuzz/$(2) $(FUZZ_RUN) -max_len=65536 build-fuzz/corpus-$(1) build-fuzz/seeds-$(1) \
	  $(wildcard tests/fixtures/fuzz-regressions/$(1)) </dev/null
endef
FUZZ_RUN = -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix=build-fuzz/
# Tar extraction (layers and archives) with escape checks, in a private mount namespace:
# needs root. FUZZ_ENV=BLD_FUZZ_NO_OPENAT2=1 exercises the openat2-less fallback.
fuzz-store:
	$(call fuzz_link,fuzz-store,tests/fuzz/fuzz_store.c,$(wildcard common/*.c cache/*.c))
	rm -rf build-fuzz/seeds-store && python3 tests/fuzz/store_seeds.py build-fuzz/seeds-store
	mkdir -p build-fuzz/corpus-store
	$(FUZZ_ENV) build-fuzz/fuzz-store $(FUZZ_RUN) -max_len=65536 build-fuzz/corpus-store \
	  build-fuzz/seeds-store tests/fixtures/fuzz-regressions/store

# Image documents read back from the store and image archives as `bld load` reads them
# (needs root, like fuzz-store: loading unpacks layers).
fuzz-image:
	$(call fuzz_link,fuzz-image,tests/fuzz/fuzz_image.c,$(wildcard common/*.c cache/*.c))
	rm -rf build-fuzz/seeds-image && python3 tests/fuzz/image_seeds.py build-fuzz/seeds-image
	mkdir -p build-fuzz/corpus-image
	build-fuzz/fuzz-image $(FUZZ_RUN) -max_len=65536 build-fuzz/corpus-image \
	  build-fuzz/seeds-image tests/fixtures/fuzz-regressions/image

# What the registry client parses (manifests, indexes, cosign documents, trust policies,
# challenges, references, keys): pure functions, no sandbox needed.
fuzz-registry:
	$(call fuzz_link,fuzz-registry,tests/fuzz/fuzz_registry.c,\
	  $(wildcard common/*.c cache/*.c registry/*.c))
	rm -rf build-fuzz/seeds-registry && python3 tests/fuzz/registry_seeds.py build-fuzz/seeds-registry
	mkdir -p build-fuzz/corpus-registry
	build-fuzz/fuzz-registry $(FUZZ_RUN) -max_len=65536 build-fuzz/corpus-registry \
	  build-fuzz/seeds-registry tests/fixtures/fuzz-regressions/registry

# The registry client's authentication inputs (headers, challenges, token answers, credential
# helper output, encrypted keys); seeds from tests/fixtures (tests/fuzz/seeds.py).
fuzz-auth:
	$(call fuzz_link,fuzz-auth,tests/fuzz/fuzz_auth.c,$(wildcard common/*.c cache/*.c registry/*.c))
	$(call fuzz_seed_run,auth,fuzz-auth)

# Compose files and .env files, loaded as `compose config` loads them.
fuzz-compose:
	$(call fuzz_link,fuzz-compose,tests/fuzz/fuzz_compose.c,$(LIB_SRCS))
	$(call fuzz_seed_run,compose,fuzz-compose)

# Kubernetes YAML as `kube play` reads it (objects, pods, their files and containers).
fuzz-kube:
	$(call fuzz_link,fuzz-kube,tests/fuzz/fuzz_kube.c,$(LIB_SRCS))
	$(call fuzz_seed_run,kube,fuzz-kube)

# Engine API requests up to the handler: version prefix, route, filters, create's body.
fuzz-api:
	$(call fuzz_link,fuzz-api,tests/fuzz/fuzz_api.c,$(LIB_SRCS))
	$(call fuzz_seed_run,api,fuzz-api)

# Installation where the FHS puts a program of PREFIX (default /usr/local): the binary, its
# manual pages, the bash, zsh and fish completions, its systemd units (ExecStart pointed at the installed binary) and the config file. The config is
# /etc/bld/config.json whatever PREFIX is (that is where bld reads it), installed only when
# absent, and removed by uninstall only when nobody changed it. DESTDIR stages the tree (a
# package, a test); uninstall then also removes the directories it leaves empty in DESTDIR.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
UNITS       := $(wildcard tools/systemd/*.service tools/systemd/*.socket)
CONFIG      := tools/config/config.json
MANPAGES    := $(wildcard doc/*.[1-8])
INST_FILES   = $(BINDIR)/bld $(UNITS:tools/systemd/%=$(UNITDIR)/%) \
	       $(foreach p,$(MANPAGES),$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p))) \
	       $(BASHCOMPDIR)/bld $(ZSHCOMPDIR)/_bld $(FISHCOMPDIR)/bld.fish
INST_DIRS    = $(sort $(dir $(INST_FILES)) $(MANDIR)/man1/)

install: all
	install -D -m 755 bld $(DESTDIR)$(BINDIR)/bld
	install -D -m 644 $(B)/completion/bld.bash $(DESTDIR)$(BASHCOMPDIR)/bld
	install -D -m 644 $(B)/completion/_bld $(DESTDIR)$(ZSHCOMPDIR)/_bld
	install -D -m 644 $(B)/completion/bld.fish $(DESTDIR)$(FISHCOMPDIR)/bld.fish
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(B)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	@for p in $(MANPAGES); do \
	  install -D -m 644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit 1; \
	done
	@for u in $(UNITS); do \
	  echo "install $$u -> $(DESTDIR)$(UNITDIR)/$${u##*/}"; \
	  mkdir -p $(DESTDIR)$(UNITDIR) && \
	  sed 's|/usr/local/bin/bld|$(BINDIR)/bld|g' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/}.tmp && \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp && \
	  mv -f $(DESTDIR)$(UNITDIR)/$${u##*/}.tmp $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/bld/config.json ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/bld/config.json"; \
	else \
	  install -D -m 644 $(CONFIG) $(DESTDIR)$(SYSCONFDIR)/bld/config.json; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES)) $(DESTDIR)$(MANDIR)/man1/bld.1 \
	  $(DESTDIR)$(MANDIR)/man1/bld-*.1
	@c=$(DESTDIR)$(SYSCONFDIR)/bld/config.json; \
	if cmp -s $(CONFIG) $$c; then rm -f $$c; elif [ -e $$c ]; then echo "keeping changed $$c"; fi; \
	rmdir $(DESTDIR)$(SYSCONFDIR)/bld 2>/dev/null || true
	@[ -z "$(DESTDIR)" ] || for d in $(INST_DIRS) $(SYSCONFDIR)/; do \
	  d=$${d%/}; while [ -n "$$d" ] && rmdir $(DESTDIR)$$d 2>/dev/null; do d=$${d%/*}; done; \
	done

# The Debian package (debian/): dpkg-buildpackage on a copy of the tree's files, so that the
# checkout stays as it is; build-deb/bld_*.deb. deb-check builds it, runs lintian and installs
# it into a throwaway root (tests/deb_check.sh); CI runs it after make check (the package's
# build takes two minutes or more, too long for make check itself).
deb:
	rm -rf build-deb && mkdir -p build-deb/bld
	git ls-files -z --cached --others --exclude-standard | \
	  tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C build-deb/bld -xf -
	cd build-deb/bld && dpkg-buildpackage -us -uc -b -j2

deb-check: deb bld
	BLD_DEB_DIR=$(CURDIR)/build-deb tests/run-e2e.sh tests/deb_check.sh

demo: deps bld
	examples/demo.sh

# the peers the benchmarks compare with (bench/packages.txt), not needed by make check
bench: bld
	@$(MAKE) --no-print-directory deps EXTRA_DEBS="$$(sed 's/#.*//' bench/packages.txt | tr '\n' ' ')"
	@for b in bench/*.sh; do echo "== $$b"; $$b; done

# Static checks, not part of `make check`: cppcheck (about a minute), then clang-tidy's
# default checks (clang-analyzer-*: 10 minutes or more on 2 cores), both failing on any
# finding. cppcheck does not preprocess system headers, so tools/cppcheck/jansson.cfg tells it
# what jansson's *_foreach loop macros are. clang-analyzer's insecureAPI check is off: it
# wants C11 Annex K (memset_s, snprintf_s), which glibc lacks; STYLE.md bans what is unsafe.
# Narrow it with LINT_SRCS="cache/gc.c registry/trust.c".
LINT_SRCS ?= $(LIB_SRCS) $(CLI_SRCS)
TIDY_CHECKS := -clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance --inline-suppr \
	  --library=tools/cppcheck/jansson.cfg -I. $(LINT_SRCS)
	printf '%s\n' $(LINT_SRCS) | xargs -P2 -n8 sh -c 'exec clang-tidy --quiet \
	  --warnings-as-errors="*" -checks="$(TIDY_CHECKS)" "$$@" -- $(ALL_CFLAGS)' clang-tidy

clean:
	rm -rf build build-asan build-fuzz build-deb bld
