/*
 * runner/jcache.c — containers' JSON files (brief.json, state.json, config.json) parsed once
 * and kept, for a process that lists containers again and again (the API service answers
 * GET /containers/json from them: reading and parsing two files per container was half of
 * its time, and the allocations of the parse most of the rest).
 *
 * A kept parse is used only while the file at its path is the one it was read from: same
 * device, inode, size, modification and change times, stat()ed on each use. The stamp is
 * taken from the descriptor the bytes were read through, so it always describes them. A
 * file is kept only once its modification time is further in the past than the
 * filesystem's timestamps can tell two writes apart (bld_runner_stamp_settled): whatever is written at that
 * path afterwards, in place or as a new file that reuses the inode once this one is freed,
 * then carries a later time; two writes within one timestamp tick could leave a reused
 * inode with the same size and times.
 *
 * What it hands out is shared with the cache and with other threads: read only (json_copy
 * it before changing it). Thread-safe; at most MAX_ENTRIES files, all dropped when full.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define SETTLE_FINE_MS 100
#define SETTLE_COARSE_MS 2000
#define NBUCKETS 1024
#define MAX_ENTRIES 8192
#define FILE_MAX (1 << 20) /* as bld_runner_json_read's */

struct stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct entry {
	char *path;
	struct stamp st;
	json_t *v;
	struct entry *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static size_t nentries;

static void stamp_of(const struct stat *st, struct stamp *out)
{
	*out = (struct stamp){.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
			      .mtime = st->st_mtim, .ctime = st->st_ctim};
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool same_stamp(const struct stamp *a, const struct stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       same_time(a->mtime, b->mtime) && same_time(a->ctime, b->ctime);
}

static struct entry **bucket(const char *path)
{
	return &buckets[XXH3_64bits(path, strlen(path)) % NBUCKETS];
}

static void drop_all(void)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (buckets[i]) {
			struct entry *e = buckets[i];
			buckets[i] = e->next;
			free(e->path);
			json_decref(e->v);
			free(e);
		}
	}
	nentries = 0;
}

/* The kept parse of path when its stamp is st (a new reference), else NULL. */
static json_t *lookup(const char *path, const struct stamp *st)
{
	json_t *v = NULL;
	pthread_mutex_lock(&mu);
	for (struct entry *e = *bucket(path); e; e = e->next)
		if (strcmp(e->path, path) == 0) {
			if (same_stamp(&e->st, st))
				v = json_incref(e->v);
			break;
		}
	pthread_mutex_unlock(&mu);
	return v;
}

/* Keeps v (a reference of its own) as the parse of path at stamp st. */
static void keep(const char *path, const struct stamp *st, json_t *v)
{
	pthread_mutex_lock(&mu);
	struct entry **b = bucket(path), *e = *b;
	while (e && strcmp(e->path, path) != 0)
		e = e->next;
	if (!e) {
		if (nentries >= MAX_ENTRIES)
			drop_all();
		b = bucket(path);
		e = xcalloc(1, sizeof(*e));
		e->path = xstrdup(path);
		e->next = *b;
		*b = e;
		nentries++;
	}
	json_decref(e->v);
	e->v = json_incref(v);
	e->st = *st;
	pthread_mutex_unlock(&mu);
}

/* A tick of the kernel's coarse clock (at most 10 ms) where timestamps have a fraction of a
 * second, else (whole seconds: ext4 with small inodes, FAT) two seconds. */
bool bld_runner_stamp_settled(const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age_ms = ((int64_t)now.tv_sec - st->st_mtim.tv_sec) * 1000 +
			 (now.tv_nsec - st->st_mtim.tv_nsec) / 1000000;
	return age_ms > (st->st_mtim.tv_nsec ? SETTLE_FINE_MS : SETTLE_COARSE_MS);
}

/* Reads and parses path, keeping the parse when the file has settled. */
static int load(const char *path, json_t **out, struct bld_error **err)
{
	cleanup_close int fd = bld_fs_open_read(path, err);
	if (fd < 0)
		return fd; /* the error's code */
	struct stat st;
	if (fstat(fd, &st) < 0)
		return bld_error_sys(err, errno, "stat %s", path);
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (bld_fs_read_fd(fd, FILE_MAX, &data, &len, err) < 0 ||
	    bld_json_load_buf(out, data, len, err) < 0)
		return bld_error_wrap(err, "%s", path);
	if (bld_runner_stamp_settled(&st)) {
		struct stamp s;
		stamp_of(&st, &s);
		keep(path, &s, *out);
	}
	return 0;
}

int bld_runner_json_read_shared(const char *dir, const char *name, json_t **out,
				struct bld_error **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	if (stat(path, &st) == 0) {
		struct stamp s;
		stamp_of(&st, &s);
		if ((*out = lookup(path, &s)))
			return 0;
	}
	return load(path, out, err);
}

void bld_runner_json_shared_drop(void)
{
	pthread_mutex_lock(&mu);
	drop_all();
	pthread_mutex_unlock(&mu);
}
