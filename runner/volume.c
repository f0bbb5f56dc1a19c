/*
 * runner/volume.c — named volumes under $BLD_ROOT/volumes/<name>/_data (with a small
 * meta.json beside it; a new one appears whole or not at all), and the translation of
 * -v/--tmpfs into the mounts a container gets.
 *
 * Volumes are local directories; the one driver is docker's "local", whose options (type,
 * device, o) make the volume a mount of device on _data, made when the first container that
 * uses it starts and undone when the last one stops (under the volume's lock; the live users
 * are counted from the store each time) or by volume rm. A volume mount records
 * CopyData (docker's default; "nocopy" in the mode turns it off): the sandbox fills an empty
 * volume with the image's content at the mount point on first use (mounts.c).
 */
#include "runner/runner_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>

static bool valid_name(const char *n)
{
	if (!n[0] || strlen(n) > 128)
		return false;
	for (const char *p = n; *p; p++)
		if (!(isalnum((unsigned char)*p) || (p > n && strchr("_.-", *p))))
			return false;
	return true;
}

/* docker's volume events: the local driver's name as the one attribute. */
static void volume_event(struct bld_ctx *ctx, const char *name, const char *action)
{
	char *attrs[] = {"driver=local", NULL};
	bld_cache_event_append(ctx->root, "volume", action, name, attrs, NULL);
}

static char *vol_dir(struct bld_ctx *ctx, const char *name)
{
	return xasprintf("%s/volumes/%s", ctx->root, name);
}

char *bld_runner_volume_data_dir(struct bld_ctx *ctx, const char *name)
{
	return xasprintf("%s/volumes/%s/_data", ctx->root, name);
}

/* The local driver's options as docker validates them: type, device and o, each K=V (the
 * last one wins), kept in the sorted order docker's map prints in. */
static int opts_json(const char *name, char **opts, json_t **out, struct bld_error **err)
{
	static const char *const keys[] = {"device", "o", "type"};
	const char *vals[BLD_ARRAY_SIZE(keys)] = {NULL};
	for (size_t i = 0; opts && opts[i]; i++) {
		size_t klen = strcspn(opts[i], "="), j = 0;
		while (j < BLD_ARRAY_SIZE(keys) &&
		       !(strlen(keys[j]) == klen && strncmp(opts[i], keys[j], klen) == 0))
			j++;
		if (j == BLD_ARRAY_SIZE(keys))
			return bld_error_set(err, BLD_E_INVALID,
					     "create %s: invalid option key: \"%.*s\"", name,
					     (int)klen, opts[i]);
		vals[j] = opts[i][klen] ? opts[i] + klen + 1 : "";
	}
	*out = json_object();
	for (size_t j = 0; j < BLD_ARRAY_SIZE(keys); j++)
		if (vals[j])
			json_object_set_new(*out, keys[j], json_string(vals[j]));
	return 0;
}

int bld_runner_volume_create(struct bld_ctx *ctx, const char *name, char **labels,
			     char **out_name, struct bld_error **err)
{
	return bld_runner_volume_create_opts(ctx, name, labels, NULL, out_name, err);
}

/* The meta.json of a new volume: its creation time, labels ("K=V"; anon adds bld's mark)
 * and options. */
static json_t *new_meta(char **labels, bool anon, json_t *options)
{
	char now[40];
	bld_runner_now_str(now);
	json_t *lab = bld_json_kv_object(labels);
	if (anon)
		json_object_set_new(lab, BLD_RUNNER_ANON_LABEL, json_string(""));
	return json_pack("{s:s, s:o, s:O}", "CreatedAt", now, "Labels", lab, "Options", options);
}

/* What creations and removals killed half-way left in top: .new-<pid>-<name> and
 * .gone-<pid>-<name> of a process gone. */
static void sweep_dead(const char *top)
{
	DIR *d = opendir(top);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		long pid = 0;
		if ((sscanf(de->d_name, ".new-%ld-", &pid) != 1 &&
		     sscanf(de->d_name, ".gone-%ld-", &pid) != 1) ||
		    pid <= 0 || bld_runner_proc_start((pid_t)pid) != 0)
			continue;
		cleanup_free char *p = xasprintf("%s/%s", top, de->d_name);
		bld_fs_rm_rf(p, NULL);
	}
	if (d)
		closedir(d);
}

/*
 * The volume name made whole (_data and meta) as .new-<pid>-<name> and renamed into place: a
 * kill -9 leaves no volume without its labels and options (compose took such a one as its
 * own, and down -v left it, not labelled with the project). Returns 1 when another creation
 * made name first, 0 when this one did.
 */
static int create_whole(struct bld_ctx *ctx, const char *name, json_t *meta,
			struct bld_error **err)
{
	cleanup_free char *top = xasprintf("%s/volumes", ctx->root);
	cleanup_free char *tmp = xasprintf("%s/.new-%ld-%s", top, (long)getpid(), name);
	cleanup_free char *data = xasprintf("%s/_data", tmp);
	cleanup_free char *dir = vol_dir(ctx, name);
	sweep_dead(top);
	int r = bld_fs_mkdir_p(data, 0755, err);
	if (r == 0)
		r = bld_runner_json_write(tmp, "meta.json", meta, err);
	bld_test_point("volume-create");
	if (r == 0 && rename(tmp, dir) < 0)
		r = errno == EEXIST || errno == ENOTEMPTY ? 1
							  : bld_error_sys(err, errno, "rename %s", dir);
	if (r != 0)
		bld_fs_rm_rf(tmp, NULL);
	return r;
}

int bld_runner_volume_create_opts(struct bld_ctx *ctx, const char *name, char **labels,
				  char **opts, char **out_name, struct bld_error **err)
{
	char gen[65];
	bool anon = !name || !*name;
	if (anon) {
		unsigned char b[32];
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return bld_error_sys(err, errno, "getrandom");
		for (size_t i = 0; i < sizeof(b); i++)
			snprintf(gen + 2 * i, 3, "%02x", b[i]);
		name = gen;
	}
	if (!valid_name(name))
		return bld_error_set(err, BLD_E_INVALID,
				     "create %s: \"%s\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
				     name, name);
	cleanup_json json_t *options = NULL;
	if (opts_json(name, opts, &options, err) < 0)
		return -1;
	cleanup_free char *dir = vol_dir(ctx, name);
	cleanup_free char *meta = xasprintf("%s/meta.json", dir);
	if (access(meta, F_OK) != 0) {
		cleanup_json json_t *m = new_meta(labels, anon, options);
		/* a volume of an older bld without its meta.json gets one in place */
		int r = access(dir, F_OK) == 0 ? bld_runner_json_write(dir, "meta.json", m, err)
					       : create_whole(ctx, name, m, err);
		if (r < 0)
			return -1;
		if (r == 0)
			volume_event(ctx, name, "create");
	}
	if (out_name)
		*out_name = xstrdup(name);
	return 0;
}

/* Whether any container mounts the volume, by its config. */
static bool volume_in_use(struct bld_ctx *ctx, const char *name)
{
	cleanup_strv char **ids = bld_runner_container_ids(ctx);
	for (size_t i = 0; ids && ids[i]; i++) {
		cleanup_json json_t *cfg = NULL;
		cleanup_error struct bld_error *e = NULL;
		if (bld_runner_container_load(ctx, ids[i], &cfg, NULL, &e) < 0)
			continue;
		size_t k;
		json_t *m;
		json_array_foreach(json_object_get(cfg, "Mounts"), k, m) {
			const char *n = bld_json_get_str(m, "Name");
			if (n && strcmp(n, name) == 0)
				return true;
		}
	}
	return false;
}

/* The id of the topmost mount at path (0: none): the first field of the last line of
 * /proc/self/mountinfo whose fifth is path. */
static unsigned long mount_id(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;
	unsigned long id = 0;
	while (f && getline(&line, &cap, f) > 0) {
		char *save = NULL, *w = strtok_r(line, " ", &save);
		unsigned long this = w ? strtoul(w, NULL, 10) : 0;
		for (int i = 0; w && i < 4; i++)
			w = strtok_r(NULL, " ", &save);
		if (w && strcmp(w, path) == 0)
			id = this;
	}
	if (f)
		fclose(f);
	return id;
}

static bool mounted_at(const char *path)
{
	return mount_id(path) != 0;
}

/* o's words as mount(8) takes them: the flags it knows, the rest as the data string. */
static unsigned long mount_flags(const char *o, char **data)
{
	static const struct {
		const char *word;
		unsigned long flag;
	} t[] = {{"ro", MS_RDONLY},   {"rw", 0},           {"bind", MS_BIND},
		 {"rbind", MS_BIND | MS_REC}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV},
		 {"noexec", MS_NOEXEC}, {"noatime", MS_NOATIME}, {"sync", MS_SYNCHRONOUS}};
	cleanup_free char *copy = xstrdup(o ? o : "");
	unsigned long flags = 0;
	char *save = NULL;
	*data = xstrdup("");
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		bool known = false;
		for (size_t i = 0; i < BLD_ARRAY_SIZE(t) && !known; i++)
			if (strcmp(w, t[i].word) == 0)
				flags |= t[i].flag, known = true;
		if (!known) {
			char *d = xasprintf("%s%s%s", *data, **data ? "," : "", w);
			free(*data);
			*data = d;
		}
	}
	return flags;
}

/* A volume's driver options (NULL: none, nothing to mount) and its lock, held (fd). */
static json_t *locked_opts(struct bld_ctx *ctx, const char *name, int *fd,
			   struct bld_error **err)
{
	cleanup_free char *dir = vol_dir(ctx, name);
	cleanup_json json_t *m = NULL;
	cleanup_error struct bld_error *e = NULL;
	*fd = -1;
	if (bld_runner_json_read(dir, "meta.json", &m, &e) < 0)
		return NULL;
	json_t *opts = json_object_get(m, "Options");
	if (!bld_json_get_str(opts, "type") && !bld_json_get_str(opts, "device"))
		return NULL;
	cleanup_free char *lock = xasprintf("%s/.lock", dir);
	*fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) < 0) {
		bld_error_sys(err, errno, "lock %s", lock);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return NULL;
	}
	return json_incref(opts);
}

/* Each monitor that uses a driver_opts volume records, under the volume's lock, in
 * .users/<container id>: the id of the mount it uses, its pid and start time. A user is
 * live while that monitor lives and the mount is still the one it recorded, so a mount
 * left over by killed monitors is told from one in use even while other monitors are
 * starting (their records name the old mount or an older monitor). */
static bool other_live_user(int dirfd, const char *self, unsigned long mnt)
{
	cleanup_strv char **names = NULL;
	cleanup_close int ud = openat(dirfd, ".users", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ud < 0 || bld_fs_sorted_names(ud, 100000, &names) < 0)
		return false;
	for (size_t i = 0; names && names[i]; i++) {
		char buf[128] = "";
		unsigned long m = 0;
		int pid = 0;
		unsigned long long start = 0;
		cleanup_close int fd = openat(ud, names[i], O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (strcmp(names[i], self) == 0 || n <= 0)
			continue;
		buf[n] = 0;
		if (sscanf(buf, "%lu %d %llu", &m, &pid, &start) == 3 && m == mnt && pid > 0 &&
		    bld_runner_proc_start(pid) == start)
			return true;
	}
	return false;
}

/* Records (mnt != 0) or forgets (0) this monitor as a user of the volume in dirfd. */
static void set_user(int dirfd, const char *self, unsigned long mnt)
{
	cleanup_error struct bld_error *e = NULL;
	mkdirat(dirfd, ".users", 0700);
	cleanup_close int ud = openat(dirfd, ".users", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ud < 0)
		return;
	if (!mnt) {
		unlinkat(ud, self, 0);
		return;
	}
	char rec[128];
	int n = snprintf(rec, sizeof(rec), "%lu %d %llu\n", mnt, (int)getpid(),
			 bld_runner_proc_start(getpid()));
	if (bld_fs_write_atomic(ud, self, rec, (size_t)n, 0600, &e) < 0)
		bld_warn("%s", e->msg);
}

static int open_dir(struct bld_ctx *ctx, const char *name, struct bld_error **err)
{
	cleanup_free char *dir = vol_dir(ctx, name);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		bld_error_sys(err, errno, "open %s", dir);
	return fd;
}

/* The local driver mounts on first use: a mount that no live monitor other than ctr_id's
 * recorded is left over from killed monitors (docker unmounts those when it starts) and is
 * made afresh. */
int bld_runner_volume_mount(struct bld_ctx *ctx, const char *name, const char *ctr_id,
			    struct bld_error **err)
{
	cleanup_close int fd = -1;
	cleanup_json json_t *opts = locked_opts(ctx, name, &fd, err);
	if (!opts)
		return fd < 0 && *err ? -1 : 0;
	cleanup_free char *data = bld_runner_volume_data_dir(ctx, name), *extra = NULL;
	cleanup_close int dirfd = open_dir(ctx, name, err);
	if (dirfd < 0)
		return -1;
	unsigned long mnt = mount_id(data);
	if (mnt && other_live_user(dirfd, ctr_id, mnt)) {
		set_user(dirfd, ctr_id, mnt);
		return 0;
	}
	if (mnt && umount2(data, MNT_DETACH) < 0)
		return bld_error_sys(err, errno, "unmount %s", data);
	const char *type = bld_json_get_str(opts, "type"), *dev = bld_json_get_str(opts, "device");
	unsigned long flags = mount_flags(bld_json_get_str(opts, "o"), &extra);
	if (mount(dev ? dev : "", data, type ? type : "none", flags, extra) < 0)
		return bld_error_sys(err, errno,
				     "error while mounting volume '%s': failed to mount local "
				     "volume: mount %s:%s",
				     data, dev ? dev : "", data);
	set_user(dirfd, ctr_id, mount_id(data));
	return 0;
}

/* ... and unmounts when the last live user stops: a monitor killed on the way leaves a
 * record that names a dead process, which counts for nothing. */
int bld_runner_volume_unmount(struct bld_ctx *ctx, const char *name, const char *ctr_id,
			      struct bld_error **err)
{
	cleanup_close int fd = -1;
	cleanup_json json_t *opts = locked_opts(ctx, name, &fd, err);
	if (!opts)
		return fd < 0 && *err ? -1 : 0;
	cleanup_free char *data = bld_runner_volume_data_dir(ctx, name);
	cleanup_close int dirfd = open_dir(ctx, name, err);
	if (dirfd < 0)
		return -1;
	set_user(dirfd, ctr_id, 0);
	unsigned long mnt = mount_id(data);
	if (!mnt || other_live_user(dirfd, ctr_id, mnt))
		return 0;
	if (umount2(data, MNT_DETACH) < 0)
		return bld_error_sys(err, errno, "unmount %s", data);
	return 0;
}

int bld_runner_volume_remove(struct bld_ctx *ctx, const char *name, bool force,
			     struct bld_error **err)
{
	cleanup_free char *dir = vol_dir(ctx, name);
	if (!valid_name(name) || access(dir, F_OK) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "get %s: no such volume", name);
	if (!force && volume_in_use(ctx, name))
		return bld_error_set(err, BLD_E_EXISTS, "remove %s: volume is in use", name);
	cleanup_free char *data = xasprintf("%s/_data", dir);
	/* never remove through a mount: a bind's device is the caller's own directory */
	if (mounted_at(data) && umount2(data, MNT_DETACH) < 0)
		return bld_error_sys(err, errno, "remove %s: unmount %s", name, data);
	/* renamed first: the volume disappears whole (a kill -9 in the rm -rf left a volume
	 * without its _data, which no container could mount) */
	cleanup_free char *top = xasprintf("%s/volumes", ctx->root);
	cleanup_free char *gone = xasprintf("%s/.gone-%ld-%s", top, (long)getpid(), name);
	if (rename(dir, gone) < 0)
		return errno == ENOENT ? bld_error_set(err, BLD_E_NOTFOUND,
						       "get %s: no such volume", name)
				       : bld_error_sys(err, errno, "rename %s", dir);
	bld_test_point("volume-remove");
	int r = bld_fs_rm_rf(gone, err);
	if (r == 0)
		volume_event(ctx, name, "destroy");
	sweep_dead(top);
	return r;
}

int bld_runner_volume_list(struct bld_ctx *ctx, char ***names, struct bld_error **err)
{
	cleanup_free char *dir = xasprintf("%s/volumes", ctx->root);
	*names = NULL;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			bld_strv_push(names, e->d_name);
	if (d)
		closedir(d);
	return 0;
}

int bld_runner_volume_inspect(struct bld_ctx *ctx, const char *name, json_t **out,
			      struct bld_error **err)
{
	cleanup_free char *dir = vol_dir(ctx, name);
	cleanup_json json_t *m = NULL;
	if (!valid_name(name) || access(dir, F_OK) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "get %s: no such volume", name);
	cleanup_error struct bld_error *e = NULL;
	if (bld_runner_json_read(dir, "meta.json", &m, &e) < 0)
		m = json_object();
	cleanup_free char *data = xasprintf("%s/_data", dir);
	const char *created = bld_json_get_str(m, "CreatedAt");
	json_t *labels = json_object_get(m, "Labels"), *opts = json_object_get(m, "Options");
	json_t *v = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "CreatedAt", created ? created : "",
			      "Driver", "local", "Mountpoint", data, "Labels",
			      labels ? json_incref(labels) : json_object(), "Name", name, "Options",
			      opts ? json_incref(opts) : json_object());
	json_object_set_new(v, "Scope", json_string("local"));
	*out = v;
	return 0;
}

/* The mode of a -v value, comma-separated as docker's: ro/rw, nocopy (volumes only), and
 * the SELinux and propagation words, accepted and ignored. */
static int parse_mode(const char *mode, bool volume, bool *ro, bool *nocopy,
		      struct bld_error **err)
{
	static const char *const ignored[] = {"z", "Z", "shared", "rshared", "slave", "rslave",
					      "private", "rprivate", "consistent", "cached",
					      "delegated"};
	cleanup_free char *copy = xstrdup(mode);
	char *save = NULL;
	*ro = *nocopy = false;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		bool known = false;
		for (size_t i = 0; i < BLD_ARRAY_SIZE(ignored); i++)
			known = known || strcmp(w, ignored[i]) == 0;
		if (strcmp(w, "ro") == 0)
			*ro = known = true;
		else if (strcmp(w, "rw") == 0)
			known = true;
		else if (strcmp(w, "nocopy") == 0 && volume)
			*nocopy = known = true;
		if (!known)
			return bld_error_set(err, BLD_E_INVALID, "invalid mode: %s", mode);
	}
	return 0;
}

/* One -v value: HOST:CTR[:MODE], NAME:CTR[:MODE], or CTR alone (an anonymous volume). */
static int bind_mount(struct bld_ctx *ctx, const char *spec, json_t *mounts,
		      struct bld_error **err)
{
	cleanup_free char *copy = xstrdup(spec);
	char *parts[3] = {copy, NULL, NULL};
	size_t n = 1;
	for (char *p = copy; *p && n < 3; p++)
		if (*p == ':') {
			*p = 0;
			parts[n++] = p + 1;
		}
	const char *src = n >= 2 ? parts[0] : NULL, *dst = n >= 2 ? parts[1] : parts[0];
	const char *mode = n == 3 ? parts[2] : "";
	bool ro = false, nocopy = false;
	if (!dst[0] || dst[0] != '/')
		return bld_error_set(err, BLD_E_INVALID, "invalid volume specification: '%s'", spec);
	if (parse_mode(mode, !src || src[0] != '/', &ro, &nocopy, err) < 0)
		return -1;
	if (src && src[0] == '/') {
		/* Docker creates a missing host directory for -v */
		if (access(src, F_OK) < 0 && bld_fs_mkdir_p(src, 0755, err) < 0)
			return -1;
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind",
							"Source", src, "Destination", dst, "RW",
							!ro));
		return 0;
	}
	cleanup_free char *name = NULL;
	if (bld_runner_volume_create(ctx, src, NULL, &name, err) < 0)
		return -1;
	cleanup_free char *dir = vol_dir(ctx, name);
	cleanup_free char *data = xasprintf("%s/_data", dir);
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "Type",
						"volume", "Name", name, "Source", data,
						"Destination", dst, "RW", !ro, "Anonymous",
						src == NULL, "CopyData", !nocopy));
	return 0;
}

int bld_runner_mounts_resolve(struct bld_ctx *ctx, json_t *doc, struct bld_error **err)
{
	json_t *hc = json_object_get(doc, "HostConfig");
	json_t *mounts = json_array();
	json_object_set_new(doc, "Mounts", mounts);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(hc, "Binds"), i, v)
		if (bind_mount(ctx, json_string_value(v), mounts, err) < 0)
			return -1;
	json_array_foreach(json_object_get(hc, "Tmpfs"), i, v) {
		const char *s = json_string_value(v);
		const char *colon = strchr(s, ':');
		cleanup_free char *dst = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
		if (dst[0] != '/')
			return bld_error_set(err, BLD_E_INVALID, "invalid tmpfs: %s", s);
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:b}", "Type", "tmpfs",
							"Destination", dst, "Options",
							colon ? colon + 1 : "", "RW", true));
	}
	return 0;
}
