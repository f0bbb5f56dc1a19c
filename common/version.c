/*
 * common/version.c — the build-time version string, which both front ends report (`bld
 * version`, the Engine API's /version and /info). Set with -DBLD_VERSION.
 */
#include "common/common.h"

#ifndef BLD_VERSION
#define BLD_VERSION "0.1.0-dev"
#endif

const char bld_version[] = BLD_VERSION;
