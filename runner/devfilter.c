/*
 * runner/devfilter.c — docker's device rules where cgroup v2 has no devices controller: a
 * small eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, made here instruction by
 * instruction from the rules ("c 1:3 rwm", "b *:* m", "a"), and attached to a container's
 * cgroup, as runc does. The kernel asks it on every mknod and open of a device node by a
 * process of that cgroup; it allows what one rule allows, and denies all the rest.
 *
 * The program: r2 = the type (BPF_DEVCG_DEV_BLOCK, _CHAR) and r3 = the access asked
 * (BPF_DEVCG_ACC_MKNOD, _READ, _WRITE), r4 = major, r5 = minor; then a block per rule that
 * jumps past itself as soon as the device does not match and else returns 1; last, return 0
 * (unless a rule allowed everything: then it is the last).
 * Rules are trusted input (cli/hostconfig.c checked their form); one this file cannot read
 * is an error, never skipped.
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

/* One rule: 'a' or 'b'/'c' (type), major and minor (-1: any), access bits. */
struct rule {
	int type; /* 0: any */
	long major, minor;
	int access;
};

static int parse_num(const char *s, size_t n, long *out)
{
	if (n == 1 && s[0] == '*') {
		*out = -1;
		return 0;
	}
	cleanup_free char *t = xstrndup(s, n);
	return bld_parse_long(t, 0, UINT32_MAX, out);
}

/* "c 1:3 rwm", "b *:* m", "a" (docker's forms); -1 when it is not one of them. */
static int parse_rule(const char *s, struct rule *r)
{
	*r = (struct rule){0, -1, -1, BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE};
	if (s[0] == 'a' && (!s[1] || s[1] == ' '))
		return 0;
	if ((s[0] != 'b' && s[0] != 'c') || s[1] != ' ')
		return -1;
	r->type = s[0] == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
	const char *p = s + 2, *colon = strchr(p, ':');
	const char *sp = colon ? strchr(colon, ' ') : NULL;
	if (!colon || !sp || parse_num(p, (size_t)(colon - p), &r->major) < 0 ||
	    parse_num(colon + 1, (size_t)(sp - colon - 1), &r->minor) < 0)
		return -1;
	r->access = 0;
	for (p = sp + 1; *p; p++)
		r->access |= *p == 'm' ? BPF_DEVCG_ACC_MKNOD
			     : *p == 'r' ? BPF_DEVCG_ACC_READ
			     : *p == 'w' ? BPF_DEVCG_ACC_WRITE
					 : -1;
	return r->access > 0 && r->access <= 7 ? 0 : -1;
}

/* A rule's block: each test jumps to the end of the block when the device fails it. False
 * when the rule has no test: it allows every device, and nothing may follow it (the verifier
 * refuses code that cannot be reached). */
static bool emit_rule(struct df *d, const struct rule *r)
{
	size_t jumps[4], nj = 0; /* the tests' instructions */
	if (r->type) {
		jumps[nj++] = d->n;
		emit(d, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, r->type);
	}
	if (r->access != 7) { /* every access asked must be one the rule gives */
		emit(d, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
		emit(d, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~r->access & 7);
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
	return nj > 0;
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
		struct rule r;
		if (i >= DF_RULES_MAX || parse_rule(rules[i], &r) < 0)
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
