/* A static binary for a scratch image: greets its argument. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello, %s (from a scratch image built by bld)\n", argc > 1 ? argv[1] : "nobody");
	return 0;
}
