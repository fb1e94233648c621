/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/catalog only: the snapshot's layout and the
 * document validator.
 */
#ifndef GITOPSD_CATALOG_INT_H
#define GITOPSD_CATALOG_INT_H

#include <stdatomic.h>

#include "gitopsd/catalog.h"

/* One Application or AppProject document. */
struct cat_entry {
	char *name; /* metadata.name, or "file#n" when it has none */
	char *file;
	json_t *doc; /* as served, with status for applications */
	json_t *marks; /* JSON pointer -> [line, col] */
	json_t *problems; /* "file:line:col: message" strings */
	char *canon; /* canonical metadata + spec, for change sets */
};

struct cat_list {
	struct cat_entry *v;
	size_t n, cap;
	json_t *items; /* built by finish, sorted by name */
	json_t *index; /* name -> position in items (first of duplicates) */
};

struct gd_catalog {
	atomic_uint refs;
	char *repo_url;
	char *sha;
	bool finished;
	struct cat_list apps;
	struct cat_list projects;
	json_t *errors;
	char loaded_at[GD_TIME_LEN];
};

/*
 * Appends to problems a message for the node at JSON pointer ptr, prefixed
 * with file:line:col of that node or of its nearest marked parent.
 */
void gd_catalog_problem(json_t *problems, const json_t *marks, const char *file,
    const char *ptr, const char *fmt, ...) GD_PRINTF(5, 6);

/*
 * Checks an Application (project false) or AppProject document: field
 * types, unknown fields, required fields and the rules of each field,
 * appending one message per problem to problems.
 */
void gd_catalog_validate(json_t *problems, const json_t *doc,
    const json_t *marks, const char *file, bool project);

/*
 * Normalises dir + "/" + rel ("." and ".." resolved) into *out; fails
 * (returns -1) when the result would climb above the root or rel is
 * absolute.
 */
int gd_catalog_path_join(char **out, const char *dir, const char *rel);

#endif /* GITOPSD_CATALOG_INT_H */
