/*
 * deploy/events.c — the progress lines of the runtime, as compose v2 prints them on stderr:
 * " Container p-web-1  Started" as plain lines; on a terminal each finished step with a
 * check mark (" ✔ Container p-web-1  Started"), the steps still working left out. It owns
 * no state: every line is printed when it happens.
 */
#include "deploy/deploy_int.h"

/* The statuses that end a step (compose's Done events). */
static bool done(const char *status)
{
	static const char *const v[] = {"Created",  "Started", "Running", "Healthy",
					"Exited",   "Stopped", "Removed", "Recreated",
					"Built",    "Pulled",  "Restarted", "Killed",
					"Paused",   "Unpaused", "Pushed"};
	for (size_t i = 0; i < BLD_ARRAY_SIZE(v); i++)
		if (strcmp(status, v[i]) == 0)
			return true;
	return false;
}

void bld_deploy_event(struct bld_ctx *ctx, const char *what, const char *status)
{
	if (ctx->quiet)
		return;
	if (!ctx->tty) {
		fprintf(stderr, " %s  %s\n", what, status);
		return;
	}
	if (done(status))
		fprintf(stderr, " \033[32m✔\033[0m %s  \033[34m%s\033[0m\n", what, status);
	else if (strcmp(status, "Error") == 0)
		fprintf(stderr, " \033[31m✘\033[0m %s  \033[31m%s\033[0m\n", what, status);
}
