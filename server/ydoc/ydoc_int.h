/* SPDX-License-Identifier: ISC */
/*
 * Shared inside ydoc: the scalar resolver. The loader uses it to type
 * plain scalars; the emitter uses it to know when a string must be quoted
 * because it would read back as something else.
 */
#ifndef GITOPSD_YDOC_INT_H
#define GITOPSD_YDOC_INT_H

#include "gitopsd/ydoc.h"

/* What go-yaml v2's resolve() makes of an untagged plain scalar. */
enum ydoc_kind {
	YDOC_STR,
	YDOC_NULL,
	YDOC_BOOL,
	YDOC_INT,
	YDOC_FLOAT,
	YDOC_TIMESTAMP, /* kept as a string when loading, but quoted on output
			 */
	YDOC_MERGE, /* "<<" */
};

/*
 * Resolves s[0..len) as go-yaml v2 does for a plain (unquoted, untagged)
 * scalar. When out is not NULL it receives the value as a new json_t
 * reference (a string for YDOC_STR, YDOC_TIMESTAMP and YDOC_MERGE).
 */
enum ydoc_kind ydoc_resolve(const char *s, size_t len, json_t **out);

/*
 * The loader's fast path (load_fast.c): the one document of buf when it
 * is block-style YAML of the subset it reads, as libyaml would load it;
 * false, with *out NULL, for anything else, errors included.
 */
bool ydoc_fast_load(
    json_t **out, const char *buf, size_t len, size_t max_depth);

#endif /* GITOPSD_YDOC_INT_H */
