/* SPDX-License-Identifier: ISC */
/*
 * Private to schema.c and schema_re.c: a schema's patterns ("pattern"
 * and patternProperties keys), Go RE2 expressions run by glibc's regex.
 */
#ifndef GITOPSD_SCHEMA_INT_H
#define GITOPSD_SCHEMA_INT_H

#include <jansson.h>

#include "gitopsd/core.h"

/* gojsonschema's "hybrid" draft: no "$schema", every keyword applies */
#define SCHEMA_HYBRID 1000

struct helm_schema_re;

/*
 * Every pattern of the schema document doc, compiled once; doc must
 * outlive the result. Read-only once made, so renders on several threads
 * may share it.
 */
struct helm_schema_re *helm_schema_re_new(const json_t *doc);
void helm_schema_re_free(struct helm_schema_re *);
/*
 * 1 when s matches pattern re (one of the document's) anywhere, 0 when
 * not; 1 as well for a pattern in syntax glibc cannot run (not enforced,
 * logged once when compiled). GD_EINTERNAL for a pattern not in the
 * document.
 */
int helm_schema_re_match(const struct helm_schema_re *, const char *re,
    const char *s, struct gd_err *);

/*
 * schema_compile.c: why gojsonschema would refuse to compile the schema
 * document doc of draft (4, 6, 7 or SCHEMA_HYBRID), in its words, or NULL
 * when it would not. reals: doc was read with every number a real, so
 * integer literals cannot be told from others. Caller frees.
 */
char *helm_schema_compile(const json_t *doc, int draft, bool reals);

/*
 * schema.c: what the JSON pointer fragment ref ("#", "#/definitions/a")
 * names in root (borrowed), or NULL; then, when why is given, *why is
 * gojsonpointer's complaint (caller frees), or NULL for a ref that does
 * not start with '#' (another document). JSON equality as gojsonschema
 * has it (numbers by value, objects by members).
 */
const json_t *helm_schema_pointer(
    const json_t *root, const char *ref, char **why);
bool helm_schema_equal(const json_t *a, const json_t *b);

#endif
