/*
 * parser/parser.h — the Dockerfile front end: bytes in, AST and instruction graph out.
 * Reads Dockerfiles (directives, continuations, heredocs, JSON vs shell form), expands
 * variables with Docker's shell-word rules, matches .dockerignore patterns, and links
 * stages into a graph. It does no I/O of its own: callers hand it buffers.
 *
 * Includes nothing but common/.
 */
#ifndef BLD_PARSER_H
#define BLD_PARSER_H

#include "common/common.h"

/* === AST and instruction graph (parser.c, graph.c, ...) === */

/* === shell words: Docker's variable expansion (shell.c) === */

/* === .dockerignore (dockerignore.c) === */

#endif
