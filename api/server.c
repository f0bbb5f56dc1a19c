/*
 * api/server.c — the service's process: the listening socket (a unix socket it makes, or one
 * systemd passes with LISTEN_FDS), libmicrohttpd's daemon over it, and the main thread's wait
 * for SIGINT/SIGTERM or for the idle time to pass with no connection open.
 *
 * libmicrohttpd because it gives, from Debian and without a hand-written parser: HTTP/1.1
 * with keep-alive, upgraded connections (MHD_ALLOW_UPGRADE) for the hijacked streams of
 * attach and exec, chunked responses fed by a content-reader callback for logs, events and
 * progress, and serving a socket made by the caller (MHD_OPTION_LISTEN_SOCKET), which is
 * how a unix socket or systemd's is served. One thread per connection: a handler may block
 * (a wait, a followed log) without holding up the others.
 *
 * On tcp:// (127.0.0.1 only) it serves TLS (libmicrohttpd's, GnuTLS underneath) with the
 * CA given as the trust for client certificates, and refuses every request of a connection
 * whose client certificate GnuTLS does not verify against it, before it is routed: the API
 * gives root to whoever reaches it.
 *
 * It owns no state beyond the connection count; the handlers go to the store.
 */
#include "api/api_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

/* docker's own header limit is 1 MiB; libmicrohttpd keeps headers in a connection's pool */
#define CONN_MEMORY (256 * 1024)
#define MAX_CONNECTIONS 1024

static atomic_int open_conns;
static atomic_llong last_close; /* CLOCK_MONOTONIC seconds of the last close */

static long long now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
			enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&open_conns, 1);
	} else {
		atomic_fetch_sub(&open_conns, 1);
		atomic_store(&last_close, now_s());
	}
}

/* Whether a server answers on the unix socket at path (a live one is not replaced). */
static bool socket_live(const struct sockaddr_un *sa)
{
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

/* Makes, binds and listens on the unix socket at path: mode 0660, group "bld" if any. */
static int listen_unix(const char *path, int *out, struct bld_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return bld_error_set(err, BLD_E_INVALID, "unix://%s: not an absolute socket path "
				     "of at most %zu bytes", path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cleanup_free char *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	if (*dir && bld_fs_mkdir_p(dir, 0755, err) < 0)
		return bld_error_wrap(err, "unix://%s", path);
	if (socket_live(&sa))
		return bld_error_set(err, BLD_E_EXISTS,
				     "unix://%s: another service is listening there", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return bld_error_sys(err, errno, "remove stale socket %s", path);
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0117);
	int r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 128) < 0)
		return bld_error_sys(err, errno, "listen on unix://%s", path);
	struct group *g = getgrnam("bld");
	if (g && chown(path, (uid_t)-1, g->gr_gid) < 0)
		return bld_error_sys(err, errno, "chown %s to group bld", path);
	*out = steal_fd(&fd);
	return 0;
}

/* systemd's socket activation: the first passed descriptor, when it is meant for us. */
static int listen_systemd(int *out, struct bld_error **err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end = NULL;
	long p = pid ? strtol(pid, &end, 10) : 0;
	if (!pid || *end || p != (long)getpid() || !fds || strtol(fds, NULL, 10) < 1)
		return bld_error_set(err, BLD_E_INVALID,
				     "fd://: no socket passed by systemd (LISTEN_PID, LISTEN_FDS)");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	int fd = 3;
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return bld_error_set(err, BLD_E_INVALID, "fd://: descriptor 3 is no stream socket");
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*out = fd;
	return 0;
}

/* Binds and listens on tcp://127.0.0.1:PORT (the loopback address only). */
static int listen_tcp(const char *addr, int *out, struct bld_error **err)
{
	const char *hp = addr + 6, *colon = strrchr(hp, ':');
	long port = 0;
	if (!colon || strncmp(hp, "127.0.0.1", (size_t)(colon - hp)) != 0 ||
	    colon - hp != 9 || bld_parse_long(colon + 1, 1, 65535, &port) < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "%s: not an address bld serves on TCP (tcp://127.0.0.1:PORT)",
				     addr);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cleanup_close int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0)
		return bld_error_sys(err, errno, "listen on %s", addr);
	*out = steal_fd(&fd);
	return 0;
}

/* The listening socket for addr; *path the unix socket made (removed at the end). */
static int open_listener(const char *addr, bool tls, int *fd, char **path,
			 struct bld_error **err)
{
	if (bld_str_has_prefix(addr, "unix://")) {
		if (listen_unix(addr + 7, fd, err) < 0)
			return -1;
		*path = xstrdup(addr + 7);
		return 0;
	}
	if (strcmp(addr, "fd://") == 0)
		return listen_systemd(fd, err);
	if (bld_str_has_prefix(addr, "tcp://") && !tls)
		return bld_error_set(err, BLD_E_INVALID,
				     "%s: refused: the API on TCP gives root to anyone who reaches "
				     "it; it is served only with TLS client certificates "
				     "(--tlsverify --tlscacert --tlscert --tlskey)",
				     addr);
	if (bld_str_has_prefix(addr, "tcp://"))
		return listen_tcp(addr, fd, err);
	return bld_error_set(err, BLD_E_INVALID,
			     "%s: not an address bld serves (unix:///PATH, fd://, tcp://)", addr);
}

/* The PEM files of o, read (NUL-terminated, as libmicrohttpd takes them). */
struct tls_files {
	char *ca, *cert, *key;
};

static void tls_files_dispose(struct tls_files *t)
{
	free(t->ca);
	free(t->key);
	free(t->cert);
}

static int tls_files_read(const struct bld_api_opts *o, struct tls_files *t,
			  struct bld_error **err)
{
	const char *paths[] = {o->tls_ca, o->tls_cert, o->tls_key};
	char **outs[] = {&t->ca, &t->cert, &t->key};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(paths); i++)
		if (bld_fs_read_file(paths[i], 1 << 20, outs[i], NULL, err) < 0)
			return bld_error_wrap(err, "TLS");
	return 0;
}

/* The access handler on TLS: a request of a connection whose client certificate is absent
 * or not signed by the CA is refused (403) before it is routed. */
static enum MHD_Result tls_access(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	if (!*con_cls) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		unsigned status = 1;
		int r = ci ? gnutls_certificate_verify_peers2(ci->tls_session, &status) : -1;
		if (r != 0 || status != 0)
			return bld_api_route_refuse(
				conn, MHD_HTTP_FORBIDDEN,
				r == GNUTLS_E_NO_CERTIFICATE_FOUND
					? "a client certificate is required (--tlsverify)"
					: "the client certificate is not signed by the service's CA");
	}
	return bld_api_route_access(cls, conn, url, method, version, upload_data,
				    upload_data_size, con_cls);
}

/* MHD_start_daemon through its va_list form: libmicrohttpd is loaded lazily (api/mhd_dl.c),
 * and a shim cannot forward "...". */
static struct MHD_Daemon *start_daemon(unsigned int flags, MHD_AccessHandlerCallback dh,
				       void *dh_cls, ...)
{
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = MHD_start_daemon_va(flags, 0, NULL, NULL, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* Waits for SIGINT/SIGTERM (blocked in every thread) or idle seconds with no connection. */
static void wait_until_done(const sigset_t *set, int idle)
{
	atomic_store(&last_close, now_s());
	for (;;) {
		struct timespec tick = {.tv_sec = 1};
		if (sigtimedwait(set, NULL, &tick) > 0)
			return;
		if (idle > 0 && atomic_load(&open_conns) == 0 &&
		    now_s() - atomic_load(&last_close) >= idle)
			return;
	}
}

int bld_api_serve(struct bld_ctx *ctx, const struct bld_api_opts *o, struct bld_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *path = NULL;
	/* unix:///run/bld/bld.sock, rootless in the user's runtime directory */
	cleanup_free char *dflt = xasprintf("unix://%s/bld.sock", ctx->run_dir);
	struct tls_files tls __attribute__((cleanup(tls_files_dispose))) = {0};
	if (open_listener(o->listen ? o->listen : dflt, o->tls_verify, &fd, &path, err) < 0 ||
	    (o->tls_verify && tls_files_read(o, &tls, err) < 0))
		return -1;
	/* blocked before the daemon's threads exist, so that they inherit the mask and only the
	 * main thread takes them; a client gone mid-write must not kill the service */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	/* the children that start attached containers end on their own: never zombies */
	struct sigaction chld = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
	sigaction(SIGCHLD, &chld, NULL);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ITC | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
	/* the TLS options last: without TLS the list ends before them */
	struct MHD_Daemon *d = start_daemon(
		flags | (o->tls_verify ? MHD_USE_TLS : 0),
		o->tls_verify ? tls_access : bld_api_route_access, ctx,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, bld_api_route_completed, ctx,
		MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)CONN_MEMORY, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
		o->tls_verify ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, tls.key,
		MHD_OPTION_HTTPS_MEM_CERT, tls.cert, MHD_OPTION_HTTPS_MEM_TRUST, tls.ca,
		MHD_OPTION_END);
	if (!d) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (path)
			unlink(path);
		return bld_error_set(err, BLD_E_SYSTEM, "cannot start the HTTP server");
	}
	fd = -1; /* the daemon's now, closed by MHD_stop_daemon */
	bld_log(BLD_LOG_INFO, "serving the Engine API on %s", o->listen ? o->listen : dflt);
	wait_until_done(&set, o->idle_seconds);
	/* a connection still open (a wait, an attach, a followed log) may be blocked until its
	 * container exits: the process ends without joining it, and its client sees the end */
	if (atomic_load(&open_conns) == 0)
		MHD_stop_daemon(d);
	if (path)
		unlink(path);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}
