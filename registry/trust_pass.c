/*
 * registry/trust_pass.c — the passphrase of a signing key: from $BLD_TRUST_PASSPHRASE, else
 * $COSIGN_PASSWORD (cosign's variable, so that CI secrets carry over), else read from the
 * controlling terminal with echo off. It never reads stdin, which may carry other data.
 */
#include "registry/trust_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <termios.h>

/* Reads one line from fd (without its newline), at most BLD_TRUST_PASSPHRASE_MAX bytes. */
static int read_line(int fd, char **out, struct bld_error **err)
{
	struct bld_buf b = BLD_BUF_INIT;
	b.max = BLD_TRUST_PASSPHRASE_MAX;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bld_buf_dispose(&b);
			return bld_error_sys(err, errno, "read passphrase");
		}
		if (r == 0 || c == '\n')
			break;
		if (bld_buf_addc(&b, c) < 0) {
			bld_buf_dispose(&b);
			return bld_error_set(err, BLD_E_INVALID, "passphrase too long");
		}
	}
	*out = bld_buf_detach(&b);
	return 0;
}

static void say(int fd, const char *s)
{
	ssize_t r = write(fd, s, strlen(s));
	(void)r;
}

/* Prompts on the terminal fd with echo off and reads one line. */
static int ask(int fd, const char *prompt, char **out, struct bld_error **err)
{
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	say(fd, prompt);
	int r = read_line(fd, out, err);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	say(fd, "\n");
	return r;
}

static void wipe_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int bld_registry_trust_passphrase(char **out, bool confirm, struct bld_error **err)
{
	const char *env = getenv("BLD_TRUST_PASSPHRASE");
	if (!env)
		env = getenv("COSIGN_PASSWORD");
	if (env) {
		*out = xstrdup(env);
		return 0;
	}
	cleanup_close int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return bld_error_set(err, BLD_E_INVALID,
				     "no passphrase: set BLD_TRUST_PASSPHRASE or COSIGN_PASSWORD, "
				     "or run on a terminal");
	char *first = NULL, *second = NULL;
	int r = ask(fd, "Enter passphrase for the private key: ", &first, err);
	if (r == 0 && confirm)
		r = ask(fd, "Enter passphrase again: ", &second, err);
	if (r == 0 && confirm && strcmp(first, second) != 0)
		r = bld_error_set(err, BLD_E_INVALID, "passphrases do not match");
	wipe_free(second);
	if (r < 0) {
		wipe_free(first);
		return r;
	}
	*out = first;
	return 0;
}

int bld_registry_trust_key_load_signer(struct bld_registry_trust_key **out, const char *path,
				       struct bld_error **err)
{
	char *pass = NULL;
	if (bld_registry_trust_passphrase(&pass, false, err) < 0)
		return bld_error_wrap(err, "key %s", path);
	int r = bld_registry_trust_key_load_private(out, path, pass, err);
	wipe_free(pass);
	return r;
}
