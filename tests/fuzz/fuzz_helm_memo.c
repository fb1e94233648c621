/* SPDX-License-Identifier: ISC */
/*
 * Differential fuzz target for include's memo (helm/funcs.c): a chart
 * made of the input, rendered once reusing include outputs and once
 * running every include, must print the same text or fail with the same
 * message. The input is a chart's templates separated by lines of
 * "#####": _helpers.tpl first, then up to three files of the chart and
 * two of a subchart (the subchart's render before the chart's, so
 * .Template changes under helpers both ways). Limits are small, and a
 * render stopped by one (the reuse saves work, so only one side may hit
 * it) is not compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/helm.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MEMO_SEP   "\n#####\n"
#define MEMO_FILES 8

static const char *const memo_names[] = { "templates/_helpers.tpl",
	"templates/a.yaml", "templates/b.yaml", "templates/deep/x/c.yaml",
	"charts/sub/templates/s.yaml", "charts/sub/templates/t.yaml" };

/* The next separator line from p, or NULL (memmem is not POSIX). */
static const char *
memo_next(const char *p, const char *end)
{
	size_t n = strlen(MEMO_SEP);

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, MEMO_SEP, n) == 0)
			return p;
	return NULL;
}

static const char *const memo_fixed[][2] = {
	{ "Chart.yaml", "apiVersion: v2\nname: memo\nversion: 1.0.0\n" },
	{ "values.yaml", "a: 1\nb: [x, y]\nc: {d: e}\ns: str\n" },
	{ "charts/sub/Chart.yaml",
	    "apiVersion: v2\nname: sub\nversion: 1.0.0\n" },
	{ "charts/sub/values.yaml", "x: 2\n" },
};

static int
memo_render(struct gd_helm_result *res, const struct gd_helm_file *files,
    size_t n, bool memo, struct gd_err *err)
{
	struct gd_tmpl_limits lim = { .max_depth = 40,
		.max_output = 1 << 16,
		.max_ops = 100000,
		.max_nesting = 60 };
	struct gd_helm_opts o = { .limits = &lim,
		.seed = 7,
		.now = 1700000000,
		.no_include_memo = !memo };
	struct gd_helm_chart *chart = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = gd_helm_chart_load_files(&chart, files, n, err)) == 0)
		rc = gd_helm_render(res, chart, NULL, &o, err);
	gd_helm_chart_free(chart);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_helm_file files[MEMO_FILES + 4];
	struct gd_helm_result a, b;
	struct gd_err ea = { 0 }, eb = { 0 };
	const char *p = (const char *)data, *end = p + size, *q;
	size_t n = 0, k = 0;
	int ra, rb;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	for (k = 0; k < sizeof(memo_fixed) / sizeof(memo_fixed[0]); k++)
		files[n++] = (struct gd_helm_file){ memo_fixed[k][0],
			memo_fixed[k][1], strlen(memo_fixed[k][1]) };
	k = 0;
	while (k < sizeof(memo_names) / sizeof(memo_names[0])) {
		q = memo_next(p, end);
		files[n++] = (struct gd_helm_file){ memo_names[k++], p,
			(size_t)((q != NULL ? q : end) - p) };
		if (q == NULL)
			break;
		p = q + strlen(MEMO_SEP);
	}
	ra = memo_render(&a, files, n, true, &ea);
	rb = memo_render(&b, files, n, false, &eb);
	if (ea.code != GD_ETOOBIG && eb.code != GD_ETOOBIG) {
		if (ra != rb) {
			fprintf(stderr, "memo: %d (%s), no memo: %d (%s)\n", ra,
			    ea.msg, rb, eb.msg);
			abort();
		}
		if (ra == 0 && strcmp(a.text, b.text) != 0) {
			fprintf(stderr, "memo printed:\n%s\nno memo:\n%s\n",
			    a.text, b.text);
			abort();
		}
		if (ra != 0 && strcmp(ea.msg, eb.msg) != 0) {
			fprintf(
			    stderr, "memo: %s\nno memo: %s\n", ea.msg, eb.msg);
			abort();
		}
	}
	if (ra == 0)
		gd_helm_result_dispose(&a);
	if (rb == 0)
		gd_helm_result_dispose(&b);
	return 0;
}
