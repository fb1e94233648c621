/* SPDX-License-Identifier: ISC */
/*
 * ydoc's fast path for rendered YAML (load_fast.c). Every document of
 * helm's golden outputs must load to the same tree through it as through
 * libyaml, and the fast path must take nearly all of them: a fast path
 * that quietly gives up would pass every other test and only be slow.
 * Inputs it must leave to libyaml are checked too; the fuzz target
 * fuzz_ydoc_fast compares the two paths on everything else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/core.h"
#include "gitopsd/ydoc.h"
#include "../../server/ydoc/ydoc_int.h"

struct fast_count {
	size_t docs, fast;
};

static const char *
shared(void)
{
	const char *s = getenv("GD_SHARED");

	return s != NULL ? s : "../shared";
}

/* libyaml's tree (marks make gd_ydoc_load skip the fast path). */
static json_t *
fast_slow_load(const char *s, size_t n)
{
	struct gd_err err = { 0 };
	json_t *docs = NULL, *marks = NULL, *doc = NULL;

	if (gd_ydoc_load(&docs, &marks, s, n, "t", NULL, &err) == 0 &&
	    json_array_size(docs) == 1)
		doc = json_incref(json_array_get(docs, 0));
	json_decref(docs);
	json_decref(marks);
	return doc;
}

static void
fast_check_doc(struct fast_count *c, const char *s, size_t n)
{
	json_t *fast = NULL, *slow;
	char *a, *b;

	while (n > 0 && (*s == '\n' || *s == ' '))
		s++, n--;
	if (n == 0)
		return;
	c->docs++;
	slow = fast_slow_load(s, n);
	if (!ydoc_fast_load(&fast, s, n, 256)) {
		assert_null(fast);
		json_decref(slow);
		return;
	}
	c->fast++;
	if (slow == NULL)
		fail_msg("the fast path read what libyaml refuses:\n%.*s",
		    (int)n, s);
	a = json_dumps(slow, JSON_ENCODE_ANY | JSON_COMPACT);
	b = json_dumps(fast, JSON_ENCODE_ANY | JSON_COMPACT);
	if (strcmp(a, b) != 0)
		fail_msg("trees differ:\n%.*s\n%s\n%s", (int)n, s, a, b);
	free(a);
	free(b);
	json_decref(fast);
	json_decref(slow);
}

/* Each document of a helm output ("---\n# Source: ...\n" separated). */
static void
fast_check_file(struct fast_count *c, const char *path)
{
	struct gd_buf b;
	struct gd_err err = { 0 };
	const char *s, *p, *start, *end;

	gd_buf_init(&b);
	assert_int_equal(gd_buf_read_file(&b, path, 0, &err), 0);
	if (b.len < 4 || strncmp(b.data, "---\n", 4) != 0) {
		gd_buf_dispose(&b);
		return; /* an error golden or NOTES */
	}
	s = b.data;
	end = s + b.len;
	start = s + 4;
	for (p = start; p + 4 <= end; p++) {
		if (*p == '\n' && memcmp(p + 1, "---\n", 4) == 0) {
			fast_check_doc(c, start, (size_t)(p - start));
			start = p + 5;
		}
	}
	fast_check_doc(c, start, (size_t)(end - start));
	gd_buf_dispose(&b);
}

static void
test_ydoc__fast_path_reads_helm_outputs_as_libyaml(void **state)
{
	static const char *const dirs[] = { "v3", "v4", "derived" };
	struct fast_count c = { 0, 0 };
	struct dirent *de;
	char path[4096];
	size_t i;
	DIR *d;

	(void)state;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/conformance/helm/golden/%s",
		    shared(), dirs[i]);
		assert_non_null(d = opendir(path));
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path),
			    "%s/conformance/helm/golden/%s/%s", shared(),
			    dirs[i], de->d_name);
			fast_check_file(&c, path);
		}
		closedir(d);
	}
	/* the rest are comment-only documents and a hidden Secret */
	assert_true(c.docs > 200);
	assert_true(c.fast * 100 >= c.docs * 95);
}

/* What it must leave to libyaml, each for a reason libyaml knows. */
static void
test_ydoc__fast_path_leaves_the_rest_to_libyaml(void **state)
{
	static const char *const cases[] = {
		"a: b\n  continued\n", /* a plain scalar on two lines */
		"a: 1\na: 2\n", /* a duplicate key */
		"a: &x 1\nb: *x\n", /* anchors */
		"a: !!str 1\n", /* tags */
		"a: {b: 1}\n", /* a flow mapping */
		"a: >\n  folded\n", /* a folded scalar */
		"a:\tb\n", /* a tab */
		"a: b\r\n", /* a CR */
		"a: .inf\n", /* what JSON cannot hold */
		"80: x\n", /* a key that is not a string */
		"- a\n---\n- b\n", /* two documents */
		"a: \"b\n  c\"\n", /* a quoted scalar on two lines */
		"key: |\n   \n  x\nnext: 1\n", /* a deeper blank line first */
		"a: [b, ]\n", /* a trailing comma */
		"a: b: c\n", /* a mapping value in a plain scalar */
		"- - a\n", /* a sequence in a sequence on one line */
		"just text\n", /* a scalar document */
	};
	json_t *v = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ydoc_fast_load(&v, cases[i], strlen(cases[i]), 256))
			fail_msg("the fast path took: %s", cases[i]);
		assert_null(v);
	}
}

/* Literal blocks: clipping, stripping, blank lines, the end of input. */
static void
test_ydoc__fast_path_literal_blocks_match_libyaml(void **state)
{
	static const char *const cases[] = {
		"a: |\n  x\n  y\nb: 1\n",
		"a: |-\n  x\n\n  y\n\n\nb: 1\n",
		"a: |\n  x\n    indented\n  # kept\n",
		"a: |\n  at the end",
		"a: |\nb: empty\n",
		"- |\n  item\n- |-\n  other\n",
		"a:\n  - b: |\n      deep\n    c: 1\n",
	};
	struct fast_count c = { 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fast_check_doc(&c, cases[i], strlen(cases[i]));
	assert_int_equal(c.fast, c.docs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_ydoc__fast_path_reads_helm_outputs_as_libyaml),
		cmocka_unit_test(
		    test_ydoc__fast_path_leaves_the_rest_to_libyaml),
		cmocka_unit_test(
		    test_ydoc__fast_path_literal_blocks_match_libyaml),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
