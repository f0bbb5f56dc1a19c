/*
 * runner/devfilter.c — docker's device rules where cgroup v2 has no devices controller: a
 * small eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, made here instruction by
 * instruction from the rules ("c 1:3 rwm", "b *:* m", "a *:* rwm"), and attached to a container's
 * cgroup, as runc does. The kernel asks it on every mknod and open of a device node by a
 * process of that cgroup; it allows what one rule allows, and denies all the rest.
 *
 * The program: r2 = the type (BPF_DEVCG_DEV_BLOCK, _CHAR) and r3 = the access asked
 * (BPF_DEVCG_ACC_MKNOD, _READ, _WRITE), r4 = major, r5 = minor; then a block per rule that
 * jumps past itself as soon as the device does not match and else returns 1; last, return 0
 * (unless a rule allowed everything: then it is the last).
 * Rules are read by bld_runner_device_rule_parse, here, which the command line's check uses
 * too; one it cannot read is an error, never skipped. Type 'a' allows every device whatever
 * follows it, as v1's devices.allow reads it.
 *
 * It does not choose the rules (cgroup.c), nor make or remove cgroups.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DF_RULES_MAX 256
#define DF_INSNS_PER_RULE 9
#define DF_INSNS_MAX (6 + DF_RULES_MAX * DF_INSNS_PER_RULE + 2)

struct df {
	struct bpf_insn v[DF_INSNS_MAX];
	size_t n;
};

static void emit(struct df *d, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	d->v[d->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src,
					 .off = off, .imm = imm};
}

/* A number of a rule, or '*' (-1); its end in *end. Digits beyond any device number match
 * no device. */
static bool rule_num(const char *p, char sep, int64_t *out, const char **end)
{
	size_t n = *p == '*' ? 1 : strspn(p, "0123456789");
	if (n == 0 || p[n] != sep)
		return false;
	*out = *p == '*' ? -1 : n > 10 ? UINT32_MAX : (int64_t)strtoll(p, NULL, 10);
	*out = *out > UINT32_MAX ? UINT32_MAX : *out;
	*end = p + n + 1;
	return true;
}

int bld_runner_device_rule_parse(const char *s, struct bld_runner_device_rule *out)
{
	*out = (struct bld_runner_device_rule){0};
	if (!s[0] || !strchr("abc", s[0]) || s[1] != ' ')
		return -1;
	const char *p = s + 2;
	if (!rule_num(p, ':', &out->major, &p) || !rule_num(p, ' ', &out->minor, &p))
		return -1;
	size_t n = strspn(p, "rwm");
	if (n < 1 || n > 3 || p[n])
		return -1;
	out->type = s[0];
	out->read = memchr(p, 'r', n) != NULL;
	out->write = memchr(p, 'w', n) != NULL;
	out->mknod = memchr(p, 'm', n) != NULL;
	return 0;
}

/* A rule's block: each test jumps to the end of the block when the device fails it. False
 * for a rule of type 'a': it allows every device and access, as v1's devices.allow reads it,
 * and nothing may follow it (the verifier refuses code that cannot be reached). */
static bool emit_rule(struct df *d, const struct bld_runner_device_rule *r)
{
	if (r->type == 'a') {
		emit(d, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
		emit(d, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		return false;
	}
	int access = (r->mknod ? BPF_DEVCG_ACC_MKNOD : 0) | (r->read ? BPF_DEVCG_ACC_READ : 0) |
		     (r->write ? BPF_DEVCG_ACC_WRITE : 0);
	size_t jumps[4], nj = 0; /* the tests' instructions */
	jumps[nj++] = d->n;
	emit(d, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
	     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (access != 7) { /* every access asked must be one the rule gives */
		emit(d, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
		emit(d, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~access & 7);
		jumps[nj++] = d->n;
		emit(d, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 0, 0);
	}
	if (r->major >= 0) {
		jumps[nj++] = d->n;
		emit(d, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)r->major);
	}
	if (r->minor >= 0) {
		jumps[nj++] = d->n;
		emit(d, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)r->minor);
	}
	emit(d, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	emit(d, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < nj; i++) /* an offset counts from the instruction after the jump */
		d->v[jumps[i]].off = (int16_t)(d->n - jumps[i] - 1);
	return true;
}

/* The program for rules (NULL-ended), or -1 when one cannot be read. */
static int build(struct df *d, char *const *rules)
{
	d->n = 0;
	/* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor */
	emit(d, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
	emit(d, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
	emit(d, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
	emit(d, BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
	emit(d, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
	emit(d, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);
	for (size_t i = 0; rules && rules[i]; i++) {
		struct bld_runner_device_rule r;
		if (i >= DF_RULES_MAX || bld_runner_device_rule_parse(rules[i], &r) < 0)
			return -1;
		if (!emit_rule(d, &r))
			return 0;
	}
	emit(d, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(d, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return 0;
}

int bld_runner_devfilter_attach(int cgroup_fd, char *const *rules, struct bld_error **err)
{
	cleanup_free struct df *d = xcalloc(1, sizeof(*d)); /* some KiB: not on the stack */
	if (build(d, rules) < 0)
		return bld_error_set(err, BLD_E_INVALID, "device rules: a rule cannot be read");
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)d->v;
	a.insn_cnt = (uint32_t)d->n;
	a.license = (uint64_t)(uintptr_t)"Apache";
	int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (prog < 0)
		return bld_error_sys(err, errno, "load the device rules");
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgroup_fd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a));
	int e = errno;
	close(prog); /* the cgroup holds it now, until the cgroup goes */
	return r < 0 ? bld_error_sys(err, e, "attach the device rules") : 0;
}
