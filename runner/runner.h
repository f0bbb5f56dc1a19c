/*
 * runner/runner.h — every process bld starts inside an image: the sandbox (namespaces,
 * overlay rootfs, pivot_root, capabilities, seccomp, cgroups) shared by RUN steps and
 * containers, the container lifecycle with one monitor process per container, networks and
 * published ports.
 *
 * Includes cache/ and common/. libseccomp lives here and nowhere else.
 */
#ifndef BLD_RUNNER_H
#define BLD_RUNNER_H

#include "cache/cache.h"
#include "common/common.h"

#endif
