/*
 * tests/fuzz/api_input.h — one input of tests/fuzz/fuzz_api.c, shared with its regression
 * test (tests/api/test_fuzz_regressions.c): method \0 path \0 filters \0 body, taken as the
 * Engine API server takes a request before a handler acts on it: the /vX.Y prefix and the
 * route (with its captures), the "filters" argument, the body as a JSON object and, for any
 * body, POST /containers/create's reading of it into a container configuration (against an
 * empty store at root: the image is never found). A finding aborts.
 */
#ifndef BLD_TEST_FUZZ_API_INPUT_H
#define BLD_TEST_FUZZ_API_INPUT_H

#include <assert.h>

#include "api/api_int.h"
#include "runner/runner.h"
#include "tests/fuzz/fuzz_common.h"

static void api_create(struct bld_ctx *ctx, const struct bld_api_req *req)
{
	json_t *body = NULL;
	struct bld_error *err = NULL;
	if (bld_api_body_json(req, &body, &err) < 0) {
		assert(err && err->code == BLD_E_INVALID && !body);
		bld_error_free(err);
		return;
	}
	struct bld_runner_container_config c;
	if (bld_api_create_config(&c, ctx, body, req->captures[0], &err) < 0)
		assert(err && err->msg);
	bld_cache_image_free(c.loaded); /* the handler's to free, as POST /containers/create does */
	bld_cache_store_free(c.store);
	bld_runner_container_config_dispose(&c);
	bld_error_free(err);
	json_decref(body);
}

static inline void api_run(struct bld_ctx *ctx, const uint8_t *bytes, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, bytes, size);
	s[size] = '\0';
	const char *body = fuzz_part(s, size, 3);
	struct bld_api_req req = {.ctx = ctx, .method = fuzz_part(s, size, 0),
				  .path = fuzz_part(s, size, 1), .body = body, .body_fd = -1,
				  .body_len = body >= s && body < s + size ? (size_t)(s + size - body) : 0};
	const struct bld_api_route *route = NULL;
	struct bld_error *err = NULL;
	if (bld_api_route_find(&req, &route, &err) < 0)
		assert(err && err->code == BLD_E_INVALID && !route);
	bld_error_free(err);
	err = NULL;
	char **filters = NULL;
	if (bld_api_filters_parse(fuzz_part(s, size, 2), &filters, &err) == 0)
		for (size_t i = 0; filters && filters[i]; i++)
			assert(strchr(filters[i], '='));
	bld_strv_free(filters);
	bld_error_free(err);
	api_create(ctx, &req);
	for (size_t i = 0; i < BLD_API_CAPTURES_MAX; i++)
		free(req.captures[i]);
	free(s);
}

#endif
