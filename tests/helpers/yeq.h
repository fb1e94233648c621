/* SPDX-License-Identifier: ISC */
/*
 * Tree comparisons for YAML round-trip checks, shared by the ydoc tests
 * and its fuzz target.
 */
#ifndef GITOPSD_TESTS_YEQ_H
#define GITOPSD_TESTS_YEQ_H

#include "gitopsd/core.h"

/*
 * A "<<" key anywhere? The emitter prints it bare, as go-yaml v2.4.0 and
 * so Helm do, and it then reads back as a merge key: such documents
 * cannot round-trip, by that choice.
 */
bool yeq_has_merge_key(const json_t *);

/*
 * Equal trees, where an integer and a real are equal when they are the
 * same double: the emitter prints a real as Go does (1.0 as "1", 8.4e18
 * as "8446744073709552000"), which reads back as an integer.
 */
bool yeq_same_tree(const json_t *, const json_t *);

#endif
