/*
 * builder/builder.h — Dockerfile to image: walks the parser's instruction graph, keys each
 * step for the content-addressed cache, runs RUN steps in the runner's sandbox, copies from
 * build contexts (directories, tarballs, git URLs), and commits layers and image configs to
 * the store.
 *
 * Includes parser/, cache/, registry/, runner/ and common/. libgit2 lives here only.
 */
#ifndef BLD_BUILDER_H
#define BLD_BUILDER_H

#include "cache/cache.h"
#include "common/common.h"
#include "parser/parser.h"
#include "registry/registry.h"
#include "runner/runner.h"

#endif
