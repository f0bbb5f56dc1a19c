/*
 * registry/trust_int.h — what the trust*.c files share and nothing else includes: base64
 * through libsodium, one-time library setup, and the small docker-reference normaliser the
 * policy uses to compare identities.
 */
#ifndef BLD_REGISTRY_TRUST_INT_H
#define BLD_REGISTRY_TRUST_INT_H

#include "registry/registry.h"

/* sodium_init once; aborts when libsodium cannot start (no entropy source). */
void trust_sodium_init(void);
/* Standard base64 with padding; caller frees. */
char *trust_b64_encode(const void *data, size_t n);
/* Decodes standard base64 (whitespace ignored); -1 on bad input. Caller frees *out. */
int trust_b64_decode(const char *s, unsigned char **out, size_t *len);

/*
 * A docker reference split and expanded as distribution/reference does it ("busybox" is
 * docker.io/library/busybox, "index.docker.io" is docker.io). tag and digest may be NULL.
 */
struct trust_ref {
	char *name; /* "docker.io/library/busybox" */
	char *tag;
	char *digest;
};
int trust_ref_parse(struct trust_ref *out, const char *s, struct bld_error **err);
void trust_ref_dispose(struct trust_ref *r);

#endif
