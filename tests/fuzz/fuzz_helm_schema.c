/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for values.schema.json: the input is a schema, a line
 * "---", then the user's values as JSON (anything else: none). A chart
 * holding that schema and one template is rendered with those values;
 * the render must succeed or fail with a message, never crash, hang
 * (deep $ref chains, patterns) or leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/helm.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char chart[] =
	    "apiVersion: v2\nname: fz\nversion: 1.0.0\n";
	static const char tmpl[] = "a: {{ .Values | toJson | quote }}\n";
	const char *s = (const char *)data, *sep;
	struct gd_helm_file files[3];
	struct gd_helm_chart *c = NULL;
	struct gd_helm_result res;
	struct gd_helm_opts o;
	struct gd_err err = { 0 };
	json_t *vals = NULL;
	size_t slen = size;

	for (sep = NULL; sep == NULL && slen >= 5; slen--)
		if (memcmp(s + size - slen, "\n---\n", 5) == 0)
			sep = s + size - slen;
	slen = size;
	if (sep != NULL) {
		slen = (size_t)(sep - s);
		vals = json_loadb(sep + 5, size - slen - 5, 0, NULL);
		if (!json_is_object(vals)) {
			json_decref(vals);
			vals = NULL;
		}
	}
	files[0] =
	    (struct gd_helm_file){ "Chart.yaml", chart, sizeof(chart) - 1 };
	files[1] = (struct gd_helm_file){ "values.schema.json", s, slen };
	files[2] =
	    (struct gd_helm_file){ "templates/a.yaml", tmpl, sizeof(tmpl) - 1 };
	if (gd_helm_chart_load_files(&c, files, 3, &err) == 0) {
		memset(&o, 0, sizeof(o));
		o.seed = 1;
		o.now = 1;
		if (gd_helm_render(&res, c, vals, &o, &err) < 0) {
			if (err.msg[0] == '\0') {
				fprintf(stderr,
				    "render failed without a message\n");
				abort();
			}
		} else
			gd_helm_result_dispose(&res);
	} else if (err.msg[0] == '\0') {
		fprintf(stderr, "load failed without a message\n");
		abort();
	}
	gd_helm_chart_free(c);
	json_decref(vals);
	return 0;
}
