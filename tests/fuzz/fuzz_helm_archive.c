/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for chart archives: any bytes, as a .tgz, must load or fail
 * with a message, and a chart that loads is rendered within small limits,
 * so a hostile chart (entries escaping the chart, huge or recursive
 * templates, bad YAML) meets an error, never a crash or a hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/helm.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_tmpl_limits lim = { .max_depth = 50,
		.max_output = 1 << 16,
		.max_ops = 200000,
		.max_nesting = 100 };
	struct gd_helm_opts o = { .limits = &lim, .seed = 1 };
	struct gd_helm_chart *chart = NULL;
	struct gd_helm_result res;
	struct gd_err err = { 0 };

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	if (gd_helm_chart_load_archive(&chart, data, size, &err) < 0) {
		if (err.msg[0] == '\0' || chart != NULL) {
			fprintf(stderr, "failed without a message\n");
			abort();
		}
		return 0;
	}
	if (gd_helm_render(&res, chart, NULL, &o, &err) == 0) {
		if (res.text == NULL)
			abort();
		gd_helm_result_dispose(&res);
	} else if (err.msg[0] == '\0') {
		fprintf(stderr, "render failed without a message\n");
		abort();
	}
	gd_helm_chart_free(chart);
	return 0;
}
