/*
 * api/api.h — the Docker Engine API on a socket (`bld system service`): a front end like
 * cli/, which turns each HTTP request into calls of the modules below (runner, cache,
 * registry, builder, deploy) and their results into docker's JSON.
 *
 * It holds no state of its own: containers, images, networks and volumes are the store's, so
 * what the service starts keeps running when it stops and the CLI sees it, and two services
 * (or a service and the CLI) on one store are as safe as two bld commands. The HTTP library
 * (libmicrohttpd) lives here and nowhere else.
 */
#ifndef BLD_API_H
#define BLD_API_H

#include "common/common.h"

/* The API versions served: a request's /vX.Y/ prefix must lie between them, none means the
 * newest. */
#define BLD_API_VERSION_MIN "1.40"
#define BLD_API_VERSION_MAX "1.44"

struct bld_api_opts {
	/* "unix:///PATH", "fd://" (systemd's LISTEN_FDS) or NULL: unix:///run/bld/bld.sock (rootless: in the user's runtime directory).
	 * "tcp://127.0.0.1:PORT" only with tls_verify. */
	const char *listen;
	/* TLS on tcp://, as dockerd's --tlsverify --tlscacert --tlscert --tlskey: the service's
	 * certificate and key, and the CA a client's certificate must be signed by (PEM files);
	 * a request without such a certificate is refused. */
	bool tls_verify;
	const char *tls_ca, *tls_cert, *tls_key;
	/* Seconds without any connection after which the service ends; 0: never. */
	int idle_seconds;
};

/*
 * Serves the Engine API until SIGINT or SIGTERM, or until idle for o->idle_seconds. A unix
 * socket is made mode 0660 and given the group "bld" when that group exists; a stale socket
 * file is replaced, a live one refused (BLD_E_EXISTS). tcp:// is served with TLS only, and
 * on the loopback address 127.0.0.1 only. Errors: BLD_E_INVALID for an address it cannot
 * serve (tcp:// without tls_verify), BLD_E_SYSTEM when the socket cannot be made.
 */
int bld_api_serve(struct bld_ctx *ctx, const struct bld_api_opts *o, struct bld_error **err);
/* `bld __api KIND FD`: the service's own child for a request's work (api/spawn.c), never a
 * user's command. Returns its exit status. */
int bld_api_child_main(int argc, char **argv);

#endif
