/*
 * runner/caps.c — capability names and sets: Docker's default set, --cap-add/--cap-drop
 * arithmetic, and dropping to a set in the sandbox child (bounding set, then the
 * effective/permitted/inheritable sets through capset(2) directly, without libcap).
 *
 * It does not grant ambient capabilities: like Docker, a non-root USER runs with empty
 * effective and permitted sets, and only the bounding set says what it could regain.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const char *const names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/* Docker's default set (moby oci/caps/defaults.go), by name. */
static const char *const docker_default[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
};

int bld_runner_cap_from_name(const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

/* The highest capability this kernel knows (cached probe). */
int bld_runner_cap_last(void)
{
	static int last = -1;
	if (last < 0) {
		char buf[16] = {0};
		FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
		long v = 40;
		if (f && fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			if (bld_parse_long(buf, 0, 63, &v) < 0)
				v = 40;
		}
		if (f)
			fclose(f);
		last = (int)v;
	}
	return last;
}

static uint64_t all_caps(void)
{
	int last = bld_runner_cap_last();
	return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

uint64_t bld_runner_caps_default(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(docker_default); i++)
		m |= 1ULL << bld_runner_cap_from_name(docker_default[i]);
	return m;
}

static int apply_list(uint64_t *m, char *const *list, bool add, struct bld_error **err)
{
	for (size_t i = 0; list && list[i]; i++) {
		if (strcasecmp(list[i], "ALL") == 0) {
			*m = add ? all_caps() : 0;
			continue;
		}
		int c = bld_runner_cap_from_name(list[i]);
		if (c < 0)
			return bld_error_set(err, BLD_E_INVALID, "unknown capability: \"%s\"",
					     list[i]);
		if (add)
			*m |= 1ULL << c;
		else
			*m &= ~(1ULL << c);
	}
	return 0;
}

int bld_runner_caps_compute(uint64_t *out, char *const *add, char *const *drop, bool privileged,
			    struct bld_error **err)
{
	uint64_t m = privileged ? all_caps() : bld_runner_caps_default();
	/* Docker applies drops first, then adds, so "--cap-drop ALL --cap-add X" keeps X */
	if (apply_list(&m, drop, false, err) < 0 || apply_list(&m, add, true, err) < 0)
		return -1;
	*out = m & all_caps();
	return 0;
}

int bld_runner_caps_drop_bounding(uint64_t keep)
{
	/* dropping what is already gone from the bounding set is harmless */
	int last = bld_runner_cap_last();
	for (int c = 0; c <= last; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return -errno;
	return 0;
}

int bld_runner_caps_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct cur[2];
	/* never ask for what we do not hold (hosts without CAP_SYS_RESOURCE, for one) */
	if (syscall(SYS_capget, &h, cur) == 0) {
		uint64_t have = cur[0].permitted | ((uint64_t)cur[1].permitted << 32);
		eff &= have;
		prm &= have;
		inh &= have;
	}
	struct __user_cap_data_struct d[2] = {
		{.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh},
		{.effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(prm >> 32),
		 .inheritable = (uint32_t)(inh >> 32)},
	};
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	/* ambient capabilities would survive exec for non-root users: clear them */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}
