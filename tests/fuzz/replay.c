/* SPDX-License-Identifier: ISC */
/*
 * Runs a fuzz target over files without libFuzzer, so every target is
 * exercised by make check (under the sanitizers when they are on). With
 * arguments it runs those files; without, every file under the target's
 * seed folder (GD_FUZZ_SEEDS, relative to $GD_SRCDIR). A crash or a
 * sanitizer report fails the test; the target's return value is ignored,
 * as libFuzzer ignores it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gitopsd/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int replay_count;

static int
replay_file(const char *path)
{
	struct gd_buf b;
	struct gd_err err;

	gd_buf_init(&b);
	if (gd_buf_read_file(&b, path, 0, &err) < 0) {
		fprintf(stderr, "replay: %s\n", err.msg);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
	gd_buf_dispose(&b);
	replay_count++;
	return 0;
}

static int
replay_tree(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char *sub;
	int rc = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: not found\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&sub, "%s/%s", path, de->d_name);
		rc = replay_tree(sub);
		free(sub);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *src = getenv("GD_SRCDIR");
	char *seeds;
	int i, rc = 0;

	gd_core_init_json();
	if (argc > 1) {
		for (i = 1; i < argc && rc == 0; i++)
			rc = replay_tree(argv[i]);
	} else {
		xasprintf(
		    &seeds, "%s/%s", src != NULL ? src : ".", GD_FUZZ_SEEDS);
		rc = replay_tree(seeds);
		free(seeds);
	}
	printf("%s: %d passed, %d failed\n", argv[0], replay_count,
	    rc == 0 ? 0 : 1);
	return rc == 0 ? 0 : 1;
}
