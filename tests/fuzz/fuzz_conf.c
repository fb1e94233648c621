/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for the configuration loader: any bytes must give either a
 * config or an error message with a position, never a crash or a leak.
 */
#include <string.h>

#include "gitopsd/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gd_conf *conf = NULL;
	struct gd_err err;

	gd_core_init_json();
	gd_err_clear(&err);
	if (gd_conf_load_buf(
		&conf, (const char *)data, size, "fuzz.yaml", &err) == 0) {
		/* a loaded config is complete: the daemon relies on these */
		if (conf->listen == NULL || conf->data_dir == NULL ||
		    strchr(conf->listen, ':') == NULL)
			__builtin_trap();
		gd_conf_free(conf);
	} else if (err.msg[0] == '\0')
		__builtin_trap();
	return 0;
}
