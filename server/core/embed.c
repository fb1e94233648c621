/* SPDX-License-Identifier: ISC */
/*
 * Lookup in the tables tools/embed generates from sql/ and web/. The
 * tables are small (tens of entries), so a linear scan is the clear choice.
 */
#include <string.h>

#include "gitopsd/core.h"

const struct gd_embed_file *
gd_embed_find(const struct gd_embed_file *table, const char *name)
{
	const struct gd_embed_file *f;

	for (f = table; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}
