/*
 * runner/listed.c — the listing's line of each container (struct bld_runner_container_info,
 * made from its brief or config.json and its state.json) kept between listings, for a process
 * that lists containers again and again (the API service answers GET /containers/json with
 * them): checking three files per container and making its line again was most of a
 * listing's time.
 *
 * A kept line is used only while the container's directory is the one it was made from:
 * same device, inode, modification and change times, stat()ed once per container per
 * listing. That covers every file the line is made from because the store's files are never
 * written in place: brief.json, config.json and state.json are written to a temporary name
 * and renamed into the directory (bld_runner_json_write, bld_runner_config_write), and a
 * rename, like any entry made or removed, moves the directory's modification and change
 * times. The stamp is taken before the files are read, and a line is kept only when the
 * directory's modification time is further in the past than its filesystem's timestamps can
 * tell two changes apart (bld_runner_stamp_settled, as runner/jcache.c keeps files): a change
 * after the stamp then always carries a later time.
 *
 * What it keeps is what the files say; whether a container said to run still has its monitor
 * and its status line ("Up 3 minutes", which ages) are the caller's to work out at each
 * listing. A line's strings and parses are freed here too
 * (bld_runner_container_info_dispose), for the lines query.c makes as for the kept ones.
 * Thread-safe; at most MAX_ENTRIES lines, all dropped when full (a removed
 * container's line stays until then).
 */
#include "runner/runner_int.h"

#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <xxhash.h>

#define NBUCKETS 1024
#define MAX_ENTRIES 8192

struct dir_stamp {
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
};

struct entry {
	struct dir_stamp st;
	struct bld_runner_container_info info; /* info.id is the key */
	double since;
	struct entry *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static size_t nentries;

static void stamp_of(const struct stat *st, struct dir_stamp *out)
{
	*out = (struct dir_stamp){.dev = st->st_dev, .ino = st->st_ino, .mtime = st->st_mtim,
				  .ctime = st->st_ctim};
}

static bool same_stamp(const struct dir_stamp *a, const struct dir_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static struct entry **bucket(const char *id)
{
	return &buckets[XXH3_64bits(id, strlen(id)) % NBUCKETS];
}

void bld_runner_container_info_dispose(struct bld_runner_container_info *c)
{
	free(c->name);
	free(c->image);
	free(c->command);
	free(c->status_text);
	free(c->state);
	free(c->ports);
	bld_strv_free(c->labels);
	json_decref(c->cfg_json);
	json_decref(c->state_json);
	*c = (struct bld_runner_container_info){0};
}

/* A copy of in into out (its strings its own, its parsed files a reference more). */
static void info_copy(struct bld_runner_container_info *out,
		      const struct bld_runner_container_info *in)
{
	*out = *in;
	out->name = xstrdup(in->name);
	out->image = xstrdup(in->image);
	out->command = xstrdup(in->command);
	out->status_text = xstrdup(in->status_text);
	out->state = xstrdup(in->state);
	out->ports = xstrdup(in->ports);
	out->labels = bld_strv_dup(in->labels);
	json_incref(out->cfg_json);
	json_incref(out->state_json);
}

static void entry_free(struct entry *e)
{
	bld_runner_container_info_dispose(&e->info);
	free(e);
}

static void drop_all(void)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (buckets[i]) {
			struct entry *e = buckets[i];
			buckets[i] = e->next;
			entry_free(e);
		}
	}
	nentries = 0;
}

bool bld_runner_listed_get(const char *id, const struct stat *dir,
			   struct bld_runner_container_info *out, double *since)
{
	struct dir_stamp s;
	stamp_of(dir, &s);
	bool hit = false;
	pthread_mutex_lock(&mu);
	for (struct entry *e = *bucket(id); e; e = e->next) {
		if (strcmp(e->info.id, id) != 0)
			continue;
		if (same_stamp(&e->st, &s)) {
			info_copy(out, &e->info);
			*since = e->since;
			hit = true;
		}
		break;
	}
	pthread_mutex_unlock(&mu);
	return hit;
}

void bld_runner_listed_keep(const struct stat *dir, const struct bld_runner_container_info *in,
			    double since)
{
	if (!bld_runner_stamp_settled(dir))
		return;
	struct entry *n = xcalloc(1, sizeof(*n));
	stamp_of(dir, &n->st);
	info_copy(&n->info, in);
	n->since = since;
	pthread_mutex_lock(&mu);
	struct entry **p = bucket(in->id);
	while (*p && strcmp((*p)->info.id, in->id) != 0)
		p = &(*p)->next;
	if (*p) { /* replaced */
		struct entry *old = *p;
		*p = old->next;
		entry_free(old);
		nentries--;
	}
	if (nentries >= MAX_ENTRIES)
		drop_all();
	p = bucket(in->id);
	n->next = *p;
	*p = n;
	nentries++;
	pthread_mutex_unlock(&mu);
}

void bld_runner_listed_drop(void)
{
	pthread_mutex_lock(&mu);
	drop_all();
	pthread_mutex_unlock(&mu);
}
