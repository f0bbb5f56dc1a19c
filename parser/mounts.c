/*
 * parser/mounts.c — the small value grammars of instruction flags, as BuildKit reads them:
 * RUN --mount CSV fields and their options, Go's strconv.ParseBool, docker's RAM sizes
 * ("64m", "1.5GiB"), and Go's time.ParseDuration for HEALTHCHECK. Values that still hold a
 * '$' are left for expansion at build time (BuildKit parses mounts again after expanding),
 * so they are stored raw and not judged here.
 */
#include "parser/parser_int.h"


/* go-csvvalue: one CSV record; "..." fields with "" for a quote. */
static int csv_fields(struct bld_parser_words *out, const char *s, struct bld_error **err)
{
	struct bld_buf f = BLD_BUF_INIT;
	size_t i = 0, n = strlen(s);
	int r = 0;
	for (;;) {
		bld_buf_reset(&f);
		if (i < n && s[i] == '"') {
			for (i++;; i++) {
				if (i >= n) {
					r = bld_error_set(err, BLD_E_INVALID, "extraneous or missing \" in quoted-field");
					goto out;
				}
				if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
					bld_buf_addc(&f, '"');
					i++;
				} else if (s[i] == '"') {
					i++;
					break;
				} else {
					bld_buf_addc(&f, s[i]);
				}
			}
			if (i < n && s[i] != ',') {
				r = bld_error_set(err, BLD_E_INVALID, "extraneous or missing \" in quoted-field");
				goto out;
			}
		} else {
			size_t k = strcspn(s + i, ",");
			if (memchr(s + i, '"', k)) {
				r = bld_error_set(err, BLD_E_INVALID, "bare \" in non-quoted-field");
				goto out;
			}
			bld_buf_add(&f, s + i, k);
			i += k;
		}
		bld_parser_words_push(out, bld_buf_str(&f), f.len);
		if (i >= n)
			break;
		i++; /* the comma */
	}
out:
	bld_buf_dispose(&f);
	return r;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(t); i++) {
		if (strcmp(s, t[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, f[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* strconv.ParseUint(s, base, 32) */
static int parse_uint32(const char *s, int base, unsigned long *out)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		int d = *s - '0';
		if (d < 0 || d >= base)
			return -1;
		v = v * (unsigned long)base + (unsigned long)d;
		if (v > UINT32_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

/* docker/go-units RAMInBytes: `^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$`, binary units */
static int ram_in_bytes(const char *s, int64_t *out)
{
	const char *p = s;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	while ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
		p++;
	cleanup_free char *num = xstrndup(s, (size_t)(p - s));
	if (strchr(num, '.') != strrchr(num, '.'))
		return -1; /* Go's ParseFloat rejects "1.2.3" */
	if (*p == ' ')
		p++;
	double mul = 1;
	const char *units = "kmgtp";
	const char *u = *p ? strchr(units, *p | 0x20) : NULL;
	if (u) {
		for (long k = 0; k <= u - units; k++)
			mul *= 1024;
		p++;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		return -1;
	*out = (int64_t)(strtod(num, NULL) * mul);
	return 0;
}

void bld_parser_mount_dispose(struct bld_parser_mount *m)
{
	free(m->from);
	free(m->source);
	free(m->target);
	free(m->id);
	free(m->sharing);
	free(m->env);
	memset(m, 0, sizeof(*m));
}

static const char *const mount_types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};

static bool file_type(const struct bld_parser_mount *m)
{
	return m->type == BLD_PARSER_MOUNT_SECRET || m->type == BLD_PARSER_MOUNT_SSH;
}

static int bad_key(const char *key, const struct bld_parser_mount *m, struct bld_error **err)
{
	return bld_error_set(err, BLD_E_INVALID, "unexpected key '%s' for mount type '%s'", key,
			     mount_types[m->type]);
}

static int bad_value(const char *key, const char *v, struct bld_error **err)
{
	return bld_error_set(err, BLD_E_INVALID, "invalid value for %s: %s", key, v);
}

static int mount_flag(struct bld_parser_mount *m, const char *key, bool *ro_auto,
		      const char *field, struct bld_error **err)
{
	if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		m->readonly = true;
		*ro_auto = false;
	} else if (!strcmp(key, "readwrite") || !strcmp(key, "rw")) {
		m->readonly = false;
		*ro_auto = false;
	} else if (!strcmp(key, "required")) {
		if (!file_type(m))
			return bad_key(key, m, err);
		m->required = true;
	} else {
		return bld_error_set(err, BLD_E_INVALID, "invalid field '%s' must be a key=value pair",
				     field);
	}
	return 0;
}

static int mount_enum(struct bld_parser_mount *m, const char *key, const char *v,
		      struct bld_error **err)
{
	cleanup_free char *low = bld_parser_lower(v, strlen(v));
	if (!strcmp(key, "type")) {
		for (size_t i = 0; i < BLD_ARRAY_SIZE(mount_types); i++)
			if (!strcmp(low, mount_types[i]))
				return m->type = (enum bld_parser_mount_type)i, 0;
		return bld_error_set(err, BLD_E_INVALID, "unsupported mount type \"%s\"", v);
	}
	if (strcmp(low, "shared") && strcmp(low, "private") && strcmp(low, "locked"))
		return bld_error_set(err, BLD_E_INVALID, "unsupported sharing value \"%s\"", v);
	free(m->sharing);
	m->sharing = steal_pointer(&low);
	return 0;
}

static int mount_number(struct bld_parser_mount *m, const char *key, const char *v,
			struct bld_error **err)
{
	bool b;
	if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
	    !strcmp(key, "rw")) {
		if (parse_bool(v, &b) < 0)
			return bad_value(key, v, err);
		bool ro = !strcmp(key, "readonly") || !strcmp(key, "ro");
		m->readonly = ro ? b : !b;
		return 0;
	}
	if (!strcmp(key, "required")) {
		if (!file_type(m))
			return bad_key(key, m, err);
		return parse_bool(v, &m->required) < 0 ? bad_value(key, v, err) : 0;
	}
	if (!strcmp(key, "size")) {
		if (m->type != BLD_PARSER_MOUNT_TMPFS)
			return bad_key(key, m, err);
		return ram_in_bytes(v, &m->size) < 0 ? bad_value(key, v, err) : 0;
	}
	unsigned long *dst = !strcmp(key, "mode") ? &m->mode : !strcmp(key, "uid") ? &m->uid : &m->gid;
	bool *has = !strcmp(key, "mode") ? &m->has_mode : !strcmp(key, "uid") ? &m->has_uid : &m->has_gid;
	if (parse_uint32(v, key[0] == 'm' ? 8 : 10, dst) < 0)
		return bld_error_set(err, BLD_E_INVALID, "invalid value %s for %s", v, key);
	*has = true;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int mount_kv(struct bld_parser_mount *m, const char *key, const char *v, bool *ro_auto,
		    const char *field, struct bld_error **err)
{
	static const char *const strs[] = {"from", "source", "src", "target", "dst",
					   "destination", "id", "env"};
	static const char *const nums[] = {"readonly", "ro", "readwrite", "rw", "required",
					   "size", "mode", "uid", "gid"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(strs); i++) {
		if (strcmp(key, strs[i]))
			continue;
		char **dst = i == 0 ? &m->from : i <= 2 ? &m->source : i <= 5 ? &m->target
					    : i == 6 ? &m->id : &m->env;
		if (i == 0 && strchr(v, '$') && strchr(v, '$') != v + strlen(v) - 1)
			return bld_error_set(err, BLD_E_INVALID, "'from' doesn't support variable "
					     "expansion, define alias stage instead");
		set_str(dst, v);
		return 0;
	}
	bool deferred = strchr(v, '$') != NULL; /* judged after expansion, at build time */
	if (!strcmp(key, "type") || !strcmp(key, "sharing"))
		return deferred ? 0 : mount_enum(m, key, v, err);
	for (size_t i = 0; i < BLD_ARRAY_SIZE(nums); i++) {
		if (strcmp(key, nums[i]))
			continue;
		if (i < 4)
			*ro_auto = false;
		return deferred ? 0 : mount_number(m, key, v, err);
	}
	return bld_error_set(err, BLD_E_INVALID, "unexpected key '%s' in '%s'", key, field);
}

static int mount_check(struct bld_parser_mount *m, bool ro_auto, struct bld_error **err)
{
	bool info = file_type(m) || m->type == BLD_PARSER_MOUNT_CACHE;
	const char *t = mount_types[m->type];
	if (!info && (m->has_mode || m->has_uid || m->has_gid))
		return bld_error_set(err, BLD_E_INVALID, "%s not allowed for \"%s\" type mounts",
				     m->has_mode ? "mode" : m->has_uid ? "uid" : "gid", t);
	if (ro_auto)
		m->readonly = !(m->type == BLD_PARSER_MOUNT_CACHE || m->type == BLD_PARSER_MOUNT_TMPFS);
	if (m->type == BLD_PARSER_MOUNT_SECRET) {
		if (m->from)
			return bld_error_set(err, BLD_E_INVALID, "secret mount should not have a from");
		if (m->sharing)
			return bld_error_set(err, BLD_E_INVALID, "secret mount should not define sharing");
		if (!m->source && !m->target && !m->id)
			return bld_error_set(err, BLD_E_INVALID,
					     "invalid secret mount. one of source, target required");
		if (m->source && m->id)
			return bld_error_set(err, BLD_E_INVALID, "both source and id can't be set");
	}
	if (m->sharing && m->type != BLD_PARSER_MOUNT_CACHE)
		return bld_error_set(err, BLD_E_INVALID, "invalid cache sharing set for %s mount", t);
	return 0;
}

int bld_parser_mount_parse(struct bld_parser_mount *out, const char *value,
			   struct bld_error **err)
{
	struct bld_parser_words fields = {0};
	struct bld_parser_mount m = {.type = BLD_PARSER_MOUNT_BIND};
	bool ro_auto = true;
	int r = csv_fields(&fields, value, err);
	if (r < 0)
		bld_error_wrap(err, "failed to parse csv mounts");
	for (size_t i = 0; r == 0 && i < fields.n; i++) {
		const char *f = fields.v[i].s, *eq = strchr(f, '=');
		cleanup_free char *key = bld_parser_lower(f, eq ? (size_t)(eq - f) : strlen(f));
		r = eq ? mount_kv(&m, key, eq + 1, &ro_auto, f, err)
		       : mount_flag(&m, key, &ro_auto, f, err);
	}
	bld_parser_words_dispose(&fields);
	if (r == 0)
		r = mount_check(&m, ro_auto, err);
	if (r < 0) {
		bld_parser_mount_dispose(&m);
		return r;
	}
	*out = m;
	return 0;
}

/* One "<number><unit>" of a Go duration; returns nanoseconds as a double. */
static int duration_part(const char **pp, double *ns)
{
	static const struct { const char *u; double mul; } units[] = {
		{"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3}, {"ms", 1e6},
		{"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
	};
	const char *p = *pp, *start = p;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (p == start || (p - start == 1 && *start == '.'))
		return -1;
	cleanup_free char *num = xstrndup(start, (size_t)(p - start));
	if (strchr(num, '.') != strrchr(num, '.'))
		return -1;
	const char *u = p;
	while (*p && !(*p >= '0' && *p <= '9') && *p != '.')
		p++;
	for (size_t i = 0; i < BLD_ARRAY_SIZE(units); i++) {
		if (strlen(units[i].u) == (size_t)(p - u) && memcmp(u, units[i].u, (size_t)(p - u)) == 0) {
			*ns = strtod(num, NULL) * units[i].mul;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

int bld_parser_duration(const char *s, int64_t *out)
{
	bool neg = false;
	double total = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0)
		return *out = 0, 0;
	if (!*s)
		return -1;
	while (*s) {
		double ns;
		if (duration_part(&s, &ns) < 0)
			return -1;
		total += ns;
	}
	if (total > 9.2e18)
		return -1;
	*out = (int64_t)(neg ? -total : total);
	return 0;
}
