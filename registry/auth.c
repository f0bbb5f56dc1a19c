/*
 * registry/auth.c — where credentials come from and how challenges read: WWW-Authenticate
 * parsing, docker's config.json (auths, credsStore, credHelpers), the docker-credential-*
 * helper protocol, and the base64 "user:secret" form config.json keeps.
 *
 * It does not talk HTTP (client.c fetches tokens) and does not write config.json
 * (login.c does).
 */
#include "registry/registry_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

#define CONFIG_MAX ((size_t)1 << 20)
#define HELPER_OUT_MAX ((size_t)64 << 10)

extern char **environ;

/* ------------------------------------------------------------------ challenges */

void reg_challenge_dispose(struct reg_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static bool is_tchar(char ch)
{
	return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~/:", ch));
}

/* Reads a quoted-string or token at *p into a new string; NULL when malformed. */
static char *read_value(const char **p)
{
	const char *s = *p;
	struct bld_buf b = BLD_BUF_INIT;
	b.max = REG_HEADER_MAX;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (bld_buf_addc(&b, *s) < 0)
				break;
		}
		if (*s != '"') {
			bld_buf_dispose(&b);
			return NULL;
		}
		s++;
	} else {
		while (is_tchar(*s) || *s == '=')
			bld_buf_addc(&b, *s++);
	}
	*p = s;
	return bld_buf_detach(&b);
}

static void set_param(struct reg_challenge *c, const char *key, size_t klen, char *val)
{
	char **slot = NULL;
	if (klen == 5 && strncasecmp(key, "realm", 5) == 0)
		slot = &c->realm;
	else if (klen == 7 && strncasecmp(key, "service", 7) == 0)
		slot = &c->service;
	else if (klen == 5 && strncasecmp(key, "scope", 5) == 0)
		slot = &c->scope;
	else if (klen == 5 && strncasecmp(key, "error", 5) == 0)
		slot = &c->error;
	if (slot) {
		free(*slot);
		*slot = val;
	} else {
		free(val);
	}
}

int reg_challenge_parse(struct reg_challenge *out, const char *value, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *p = value + strspn(value, " \t");
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
	if (n == 0)
		return bld_error_set(err, BLD_E_INVALID, "malformed authentication challenge");
	out->scheme = xstrndup(p, n);
	for (char *c = out->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p += n;
	for (;;) {
		p += strspn(p, " \t,");
		size_t klen = 0;
		while (is_tchar(p[klen]) && p[klen] != '/' && p[klen] != ':')
			klen++;
		const char *after = p + klen + strspn(p + klen, " \t");
		if (klen == 0 || *after != '=')
			break; /* end, or the next challenge's scheme */
		const char *key = p;
		p = after + 1 + strspn(after + 1, " \t");
		char *val = read_value(&p);
		if (!val) {
			reg_challenge_dispose(out);
			return bld_error_set(err, BLD_E_INVALID, "malformed authentication challenge");
		}
		set_param(out, key, klen, val);
	}
	return 0;
}

/* ------------------------------------------------------------------ base64 */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *reg_auth_encode(const char *user, const char *secret)
{
	cleanup_free char *in = xasprintf("%s:%s", user, secret);
	size_t n = strlen(in);
	char *out = xmalloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = B64[(v >> 18) & 63];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? B64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(B64, c) : NULL;
	return p ? (int)(p - B64) : -1;
}

int reg_auth_decode(const char *b64, struct reg_creds *out, struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	struct bld_buf b = BLD_BUF_INIT;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *p = b64; *p && *p != '='; p++) {
		int v = b64_value(*p);
		if (v < 0) {
			bld_buf_dispose(&b);
			return bld_error_set(err, BLD_E_INVALID, "invalid base64 in credentials");
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bld_buf_addc(&b, (char)((acc >> bits) & 0xff));
		}
	}
	cleanup_free char *s = bld_buf_detach(&b);
	char *colon = strchr(s, ':');
	if (!colon)
		return bld_error_set(err, BLD_E_INVALID, "credentials are not user:password");
	out->user = xstrndup(s, (size_t)(colon - s));
	out->secret = xstrdup(colon + 1);
	return 0;
}

void reg_creds_dispose(struct reg_creds *c)
{
	free(c->user);
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->secret);
	free(c->identity_token);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ helpers */

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int spawn_helper(const char *prog, const char *verb, int in[2], int out[2], pid_t *pid,
			struct bld_error **err)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	char *argv[] = {(char *)prog, (char *)verb, NULL};
	int r = posix_spawnp(pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return bld_error_sys(err, r, "run %s", prog);
	return 0;
}

int reg_cred_helper_run(const char *helper, const char *verb, const char *input, char **out,
			struct bld_error **err)
{
	cleanup_free char *prog = xasprintf("docker-credential-%s", helper);
	int in[2], o[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return bld_error_sys(err, errno, "pipe");
	if (pipe2(o, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return bld_error_sys(err, errno, "pipe");
	}
	pid_t pid = -1;
	int r = spawn_helper(prog, verb, in, o, &pid, err);
	close(in[0]);
	close(o[1]);
	if (r == 0 && write_all(in[1], input, strlen(input)) < 0)
		r = bld_error_sys(err, errno, "write to %s", prog);
	close(in[1]);
	size_t len = 0;
	if (r == 0)
		r = bld_fs_read_fd(o[0], HELPER_OUT_MAX, out, &len, err);
	close(o[0]);
	int st = 0;
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	if (r < 0)
		return r;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		(*out)[strcspn(*out, "\n")] = '\0';
		int code = strstr(*out, "credentials not found") ? BLD_E_NOTFOUND : BLD_E_AUTH;
		r = bld_error_set(err, code, "%s %s: %s", prog, verb, **out ? *out : "failed");
		free(*out);
		*out = NULL;
		return r;
	}
	return 0;
}

/* Runs the helper's "get"; 1 found, 0 not found. */
static int helper_get(const char *helper, const char *server, struct reg_creds *out,
		      struct bld_error **err)
{
	cleanup_free char *text = NULL;
	cleanup_error struct bld_error *e = NULL;
	if (reg_cred_helper_run(helper, "get", server, &text, &e) < 0) {
		if (e->code == BLD_E_NOTFOUND)
			return 0;
		bld_error_move(err, &e);
		return -BLD_E_AUTH;
	}
	return reg_cred_helper_parse(helper, text, out, err);
}

int reg_cred_helper_parse(const char *helper, const char *text, struct reg_creds *out,
			  struct bld_error **err)
{
	json_t *v = NULL;
	if (bld_json_load_buf(&v, text, strlen(text), err) < 0)
		return bld_error_wrap(err, "docker-credential-%s get", helper);
	const char *u = bld_json_get_str(v, "Username"), *s = bld_json_get_str(v, "Secret");
	if (u && s && strcmp(u, "<token>") == 0) {
		out->identity_token = xstrdup(s);
	} else if (u && s) {
		out->user = xstrdup(u);
		out->secret = xstrdup(s);
	}
	json_decref(v);
	return out->user || out->identity_token ? 1 : 0;
}

/* ------------------------------------------------------------------ config.json */

/* "https://host/v1/" -> "host" as docker's ConvertToHostname does; caller frees. */
static char *to_hostname(const char *key)
{
	const char *s = key;
	if (bld_str_has_prefix(s, "http://"))
		s += 7;
	else if (bld_str_has_prefix(s, "https://"))
		s += 8;
	return xstrndup(s, strcspn(s, "/"));
}

/* The auths entry for domain: exact key first, then any key whose host matches. */
static json_t *find_auth(const json_t *auths, const char *domain)
{
	const char *key = bld_registry_auth_key(domain);
	json_t *e = json_object_get(auths, key);
	if (e)
		return e;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)auths, k, v)
	{
		cleanup_free char *host = to_hostname(k);
		cleanup_free char *d = bld_registry_server_domain(host);
		if (strcmp(d, domain) == 0)
			return v;
	}
	return NULL;
}

static int from_auth_entry(const json_t *e, struct reg_creds *out, struct bld_error **err)
{
	const char *a = bld_json_get_str(e, "auth");
	const char *it = bld_json_get_str(e, "identitytoken");
	if (a && *a && reg_auth_decode(a, out, err) < 0)
		return bld_error_wrap(err, "config.json");
	if (!out->user && bld_json_get_str(e, "username")) {
		out->user = xstrdup(bld_json_get_str(e, "username"));
		const char *pw = bld_json_get_str(e, "password");
		out->secret = xstrdup(pw ? pw : "");
	}
	if (it && *it)
		out->identity_token = xstrdup(it);
	return out->user || out->identity_token ? 1 : 0;
}

int reg_creds_from_config(const json_t *cfg, const char *domain, struct reg_creds *out,
			  struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *key = bld_registry_auth_key(domain);
	json_t *helpers = json_object_get(cfg, "credHelpers");
	const char *helper = bld_json_get_str(helpers, key);
	if (!helper)
		helper = bld_json_get_str(helpers, domain);
	if (!helper)
		helper = bld_json_get_str(cfg, "credsStore");
	if (helper && *helper)
		return helper_get(helper, key, out, err);
	json_t *e = find_auth(json_object_get(cfg, "auths"), domain);
	return e ? from_auth_entry(e, out, err) : 0;
}

int reg_creds_lookup(const char *config_dir, const char *domain, struct reg_creds *out,
		     struct bld_error **err)
{
	memset(out, 0, sizeof(*out));
	cleanup_free char *path = xasprintf("%s/config.json", config_dir);
	if (access(path, F_OK) < 0)
		return 0;
	json_t *cfg = NULL;
	if (bld_json_load_file(&cfg, path, CONFIG_MAX, err) < 0)
		return bld_error_wrap(err, "read %s", path);
	int r = reg_creds_from_config(cfg, domain, out, err);
	json_decref(cfg);
	return r;
}
