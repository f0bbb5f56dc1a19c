/*
 * builder/git.c — git build contexts and ADD of git URLs through libgit2 (which lives here
 * and nowhere else): docker's rule for what names a repository, REPO#REF:SUBDIR fragments,
 * a clone into a scratch directory and a checkout of REF (branch, tag or commit).
 *
 * It never runs the git program and never touches the user's repositories: a clone goes
 * into a directory the caller made. Submodules are not fetched.
 */
#include "builder/builder_int.h"

#include <git2.h>

static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void git_setup(void) { git_libgit2_init(); }

bool bld_builder_git_is_url(const char *s)
{
	if (bld_str_has_prefix(s, "git://") || bld_str_has_prefix(s, "git@") ||
	    bld_str_has_prefix(s, "github.com/") || bld_str_has_prefix(s, "file://"))
		return true;
	if (!bld_str_has_prefix(s, "http://") && !bld_str_has_prefix(s, "https://"))
		return false;
	/* docker: an http(s) URL whose path ends in ".git", with or without a fragment */
	size_t n = strcspn(s, "#");
	return n >= 4 && memcmp(s + n - 4, ".git", 4) == 0;
}

/* Splits "REPO#REF:SUBDIR" into its three parts (each allocated; "" when absent). */
static void split_url(const char *url, char **repo, char **ref, char **subdir)
{
	const char *hash = strchr(url, '#');
	const char *frag = hash ? hash + 1 : "";
	size_t rl = hash ? (size_t)(hash - url) : strlen(url);
	if (bld_str_has_prefix(url, "github.com/"))
		*repo = xasprintf("https://%.*s", (int)rl, url);
	else
		*repo = xstrndup(url, rl);
	size_t fl = strcspn(frag, ":");
	*ref = xstrndup(frag, fl);
	*subdir = xstrdup(frag[fl] ? frag + fl + 1 : "");
}

static int git_fail(struct bld_error **err, enum bld_error_code code, const char *what)
{
	const git_error *e = git_error_last();
	return bld_error_set(err, code, "%s: %s", what, e && e->message ? e->message : "failed");
}

/* Whether url is a file:// repository of another user: libgit2 refuses to open it, as git
 * does, but says only that it found no safe.directory (libgit2 1.5), or nothing at all. Rootless,
 * the host's other users are nobody's here. */
static bool others_repo(const char *url)
{
	struct stat st;
	return bld_str_has_prefix(url, "file://") && stat(url + strlen("file://"), &st) == 0 &&
	       st.st_uid != geteuid();
}

/* ssh URLs authenticate through the user's agent, once; nothing else is offered. */
static int credentials(git_credential **out, const char *url, const char *user,
		       unsigned int allowed, void *payload)
{
	int *tries = payload;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && (*tries)++ == 0)
		return git_credential_ssh_key_from_agent(out, user ? user : "git");
	return GIT_PASSTHROUGH;
}

/* The commit REF names: a remote branch, a tag, or anything rev-parse understands. */
static int resolve_ref(git_repository *repo, const char *ref, git_object **out)
{
	if (!*ref)
		return git_revparse_single(out, repo, "HEAD");
	cleanup_free char *branch = xasprintf("refs/remotes/origin/%s", ref);
	cleanup_free char *tag = xasprintf("refs/tags/%s", ref);
	const char *cands[] = {branch, tag, ref};
	int r = -1;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(cands) && r < 0; i++)
		r = git_revparse_single(out, repo, cands[i]);
	return r;
}

static int checkout(git_repository *repo, const char *ref, char commit_hex[GIT_OID_HEXSZ + 1],
		    struct bld_error **err)
{
	git_object *obj = NULL, *commit = NULL;
	if (resolve_ref(repo, ref, &obj) < 0)
		return bld_error_set(err, BLD_E_NOTFOUND, "git: reference %s not found", ref);
	int r = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (r < 0)
		return git_fail(err, BLD_E_INVALID, "git: not a commit");
	git_checkout_options co;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	const git_oid *id = git_object_id(commit); /* hex by hand: no more libgit2 symbols */
	for (size_t i = 0; i < GIT_OID_RAWSZ; i++)
		snprintf(commit_hex + 2 * i, 3, "%02x", id->id[i]);
	r = git_checkout_tree(repo, commit, &co);
	if (r == 0)
		r = git_repository_set_head_detached(repo, git_object_id(commit));
	git_object_free(commit);
	return r < 0 ? git_fail(err, BLD_E_SYSTEM, "git checkout") : 0;
}

bool bld_builder_git_commit_time(const char *dir, int64_t *out)
{
	pthread_once(&git_once, git_setup);
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, dir, 0, NULL) < 0)
		return false;
	git_object *obj = NULL;
	int r = git_revparse_single(&obj, repo, "HEAD^{commit}");
	if (r == 0)
		*out = (int64_t)git_commit_time((const git_commit *)obj);
	git_object_free(obj);
	git_repository_free(repo);
	return r == 0;
}

int bld_builder_git_checkout(const char *url, const char *dir, bool keep_git_dir, char **subdir,
			     char **commit, struct bld_error **err)
{
	char hex[GIT_OID_HEXSZ + 1] = "";
	pthread_once(&git_once, git_setup);
	cleanup_free char *repo_url = NULL, *ref = NULL, *sub = NULL;
	split_url(url, &repo_url, &ref, &sub);
	git_clone_options opts;
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	int tries = 0;
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.fetch_opts.callbacks.credentials = credentials;
	opts.fetch_opts.callbacks.payload = &tries;
	git_repository *repo = NULL;
	if (git_clone(&repo, repo_url, dir, &opts) < 0) {
		if (others_repo(repo_url))
			bld_error_set(err, BLD_E_INVALID,
				      "git clone: the repository belongs to another user, which git "
				      "refuses (safe.directory)");
		else
			git_fail(err, BLD_E_NETWORK, "git clone");
		return bld_error_wrap(err, "%s", repo_url);
	}
	int r = checkout(repo, ref, hex, err);
	git_repository_free(repo);
	if (r < 0)
		return bld_error_wrap(err, "%s", repo_url);
	if (!keep_git_dir) {
		cleanup_free char *gitdir = bld_path_join(dir, ".git");
		if (bld_fs_rm_rf(gitdir, err) < 0)
			return -1;
	}
	*subdir = steal_pointer(&sub);
	if (commit)
		*commit = xstrdup(hex);
	return 0;
}
