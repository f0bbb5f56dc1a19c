/*
 * tests/fuzz/fuzz_auth.c — libFuzzer target over what the registry client reads while it
 * authenticates: response header lines as curl hands them over (and the WWW-Authenticate
 * challenge kept from them), token service answers, credential helpers' "get" output and
 * encrypted cosign private keys. Byte 0 picks the parser, the rest is its input
 * (tests/fuzz/auth_input.h, shared with its regression test). Besides crashes, leaks and
 * sanitizer reports it checks that a kept header never exceeds its cap and that an error
 * about what a server sent stays one printable line.
 */
#include "tests/fuzz/auth_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	if (size <= (1 << 20))
		auth_run(bytes, size);
	return 0;
}
