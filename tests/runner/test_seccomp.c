/*
 * tests/runner/test_seccomp.c — Docker's default profile compiles, is cached, and refuses
 * what Docker refuses (checked in a forked child that installs the filter), and the compiled
 * filter, run by a small classic-BPF interpreter, decides every syscall as the profile says.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runner/runner.h"

/* In a child: install the default filter and try one syscall; its errno or 0. */
static int try_in_child(int which)
{
	struct bld_runner_bpf b;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_seccomp_compile(&b, NULL, bld_runner_caps_default(), NULL, &err), 0);
	pid_t p = fork();
	if (p == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (bld_runner_seccomp_install(&b) < 0)
			_exit(200);
		long r = which == 0 ? unshare(CLONE_NEWUTS)
				    : syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
		_exit(r < 0 ? errno : 0);
	}
	int st = 0;
	waitpid(p, &st, 0);
	free(b.data);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(runner_seccomp, default_profile_refuses_unshare)
{
	cr_assert_eq(try_in_child(0), EPERM);
}

Test(runner_seccomp, default_profile_refuses_keyctl)
{
	cr_assert_eq(try_in_child(1), EPERM);
}

Test(runner_seccomp, compiled_filter_is_cached)
{
	char dir[] = "/tmp/bld-seccomp-test-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct bld_runner_bpf a, b;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_seccomp_compile(&a, NULL, 0xa80425fbULL, dir, &err), 0);
	cr_assert_eq(bld_runner_seccomp_compile(&b, NULL, 0xa80425fbULL, dir, &err), 0);
	cr_assert_eq(a.len, b.len);
	cr_assert_eq(memcmp(a.data, b.data, a.len), 0);
	free(a.data);
	free(b.data);
	bld_fs_rm_rf(dir, &err);
}

Test(runner_seccomp, bad_profile_is_invalid)
{
	char path[] = "/tmp/bld-seccomp-bad-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"defaultAction\":\"NOPE\"}", 24), 24);
	close(fd);
	struct bld_runner_bpf b;
	struct bld_error *err = NULL;
	cr_assert_lt(bld_runner_seccomp_compile(&b, path, 0, NULL, &err), 0);
	cr_assert_eq(err->code, BLD_E_INVALID);
	bld_error_free(err);
	unlink(path);
}

/* Runs a classic-BPF seccomp filter on one syscall (the instructions libseccomp emits). */
static uint32_t run_bpf(const struct bld_runner_bpf *b, const struct seccomp_data *d)
{
	const struct sock_filter *prog = (const struct sock_filter *)(const void *)b->data;
	size_t n = b->len / sizeof(*prog);
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert(i->k % 4 == 0 && i->k + 4 <= sizeof(*d), "load at %u", i->k);
			memcpy(&A, (const char *)d + i->k, 4);
			break;
		case BPF_LD | BPF_IMM: A = i->k; break;
		case BPF_LD | BPF_MEM: A = M[i->k % BPF_MEMWORDS]; break;
		case BPF_LDX | BPF_MEM: X = M[i->k % BPF_MEMWORDS]; break;
		case BPF_ST: M[i->k % BPF_MEMWORDS] = A; break;
		case BPF_STX: M[i->k % BPF_MEMWORDS] = X; break;
		case BPF_ALU | BPF_AND | BPF_K: A &= i->k; break;
		case BPF_ALU | BPF_OR | BPF_K: A |= i->k; break;
		case BPF_MISC | BPF_TAX: X = A; break;
		case BPF_MISC | BPF_TXA: A = X; break;
		case BPF_JMP | BPF_JA: pc += i->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += A == i->k ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += A > i->k ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += A >= i->k ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (A & i->k) ? i->jt : i->jf; break;
		case BPF_RET | BPF_K: return i->k;
		case BPF_RET | BPF_A: return A;
		default: cr_assert_fail("instruction %#x at %zu is not interpreted here", i->code, pc);
		}
	}
	cr_assert_fail("the filter has no return");
	return 0;
}

static uint32_t decide(const struct bld_runner_bpf *b, uint32_t arch, int nr, uint64_t arg0)
{
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {arg0}};
	return run_bpf(b, &d);
}

static bool named_in_profile(json_t *prof, const char *name)
{
	size_t i, k;
	json_t *rule, *n;
	json_array_foreach(json_object_get(prof, "syscalls"), i, rule)
		json_array_foreach(json_object_get(rule, "names"), k, n)
			if (strcmp(json_string_value(n), name) == 0)
				return true;
	return false;
}

Test(runner_seccomp, filter_decides_every_syscall_as_the_profile_says)
{
	struct bld_runner_bpf b;
	struct bld_error *err = NULL;
	cr_assert_eq(bld_runner_seccomp_compile(&b, NULL, bld_runner_caps_default(), NULL, &err), 0);
	json_t *prof = json_loads(bld_runner_seccomp_default_json, 0, NULL);
	cr_assert_not_null(prof);
	/* the profile's first rule allows its names whatever the arguments */
	json_t *first = json_array_get(json_object_get(prof, "syscalls"), 0);
	json_t *allowed = json_object_get(first, "names");
	cr_assert_str_eq(json_string_value(json_object_get(first, "action")), "SCMP_ACT_ALLOW");
	cr_assert_null(json_object_get(first, "args"));
	cr_assert_null(json_object_get(first, "includes"));
	const uint32_t refused = SECCOMP_RET_ERRNO | EPERM;
	const struct {
		uint32_t audit, scmp;
	} arches[] = {{AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64},
		      {AUDIT_ARCH_I386, SCMP_ARCH_X86},
		      {AUDIT_ARCH_X86_64, SCMP_ARCH_X32}};
	for (size_t a = 0; a < BLD_ARRAY_SIZE(arches); a++) {
		size_t n_allowed = 0, n_refused = 0, i;
		json_t *name;
		json_array_foreach(allowed, i, name) {
			int nr = seccomp_syscall_resolve_name_arch(arches[a].scmp,
								   json_string_value(name));
			if (nr < 0) /* not a syscall of this architecture */
				continue;
			cr_assert_eq(decide(&b, arches[a].audit, nr, 0), SECCOMP_RET_ALLOW,
				     "%s (arch %zu) is refused", json_string_value(name), a);
			n_allowed++;
		}
		for (int nr = 0; nr < 1024; nr++) {
			int snr = arches[a].scmp == SCMP_ARCH_X32 ? nr | 0x40000000 : nr;
			char *s = seccomp_syscall_resolve_num_arch(arches[a].scmp, snr);
			if (s && !named_in_profile(prof, s)) {
				cr_assert_eq(decide(&b, arches[a].audit, snr, 0), refused,
					     "%s (arch %zu) is not refused", s, a);
				n_refused++;
			}
			free(s);
		}
		cr_assert_gt(n_allowed, 250, "arch %zu: %zu allowed", a, n_allowed);
		cr_assert_gt(n_refused, 10, "arch %zu: %zu refused", a, n_refused);
	}
	/* a rule on an argument: personality(0) is allowed, personality(1) is not */
	cr_assert_eq(decide(&b, AUDIT_ARCH_X86_64, SYS_personality, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(decide(&b, AUDIT_ARCH_X86_64, SYS_personality, 1), refused);
	/* an architecture the profile does not name gets nothing */
	cr_assert_neq(decide(&b, AUDIT_ARCH_AARCH64, SYS_getpid, 0), SECCOMP_RET_ALLOW);
	json_decref(prof);
	free(b.data);
}
