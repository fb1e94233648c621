/* SPDX-License-Identifier: ISC */
/*
 * Following the gitops repository: the job the poller runs after each
 * fetch. It is the top of a job, so it is where fetch and load failures
 * are logged, once per change of state rather than at every poll (a
 * remote that stays down for a day must not fill the log). A failed fetch
 * keeps the current catalog; the API reports the failure on the apps.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

struct gd_catalog_follow {
	struct gd_repo *repo;
	char *branch;
	char **include;
	struct gd_catalog_cell *cell;
	char sha[GD_SHA_LEN];
	char last_err[sizeof(((struct gd_err *)0)->msg)];
};

struct gd_catalog_follow *
gd_catalog_follow_new(struct gd_repo *repo, const char *branch,
    const char *const *include, struct gd_catalog_cell *cell)
{
	struct gd_catalog_follow *f = xcalloc(1, sizeof(*f));
	size_t i, n = 0;

	f->repo = repo;
	f->branch = xstrdup(branch != NULL ? branch : "main");
	f->cell = cell;
	while (include != NULL && include[n] != NULL)
		n++;
	f->include = xcalloc(n + 1, sizeof(*f->include));
	for (i = 0; i < n; i++)
		f->include[i] = xstrdup(include[i]);
	return f;
}

void
gd_catalog_follow_free(struct gd_catalog_follow *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; f->include[i] != NULL; i++)
		free(f->include[i]);
	free(f->include);
	free(f->branch);
	free(f);
}

/* Logs a failure when it differs from the last one. */
static void
follow_fail(struct gd_catalog_follow *f, const char *msg)
{
	if (strcmp(f->last_err, msg) == 0)
		return;
	snprintf(f->last_err, sizeof(f->last_err), "%s", msg);
	log_warnx("catalog: %s", msg);
}

void
gd_catalog_follow_poll(
    void *arg, struct gd_repo *repo, int rc, const struct gd_err *ferr)
{
	struct gd_catalog_follow *f = arg;
	struct gd_catalog *old = NULL, *c = NULL;
	char sha[GD_SHA_LEN];
	struct gd_err err;
	json_t *changed, *e;
	size_t i;

	if (repo != f->repo)
		return;
	if (rc < 0) {
		follow_fail(f, ferr->msg);
		return;
	}
	gd_err_clear(&err);
	if (gd_repo_resolve(sha, repo, f->branch, &err) < 0) {
		follow_fail(f, err.msg);
		return;
	}
	if (f->last_err[0] != '\0')
		log_info("catalog: %s is reachable again",
		    gd_repo_display_url(repo));
	f->last_err[0] = '\0';
	if (strcmp(sha, f->sha) == 0)
		return;
	if (gd_catalog_load(
		&c, repo, sha, (const char *const *)f->include, &err) < 0) {
		follow_fail(f, err.msg);
		return;
	}
	old = gd_catalog_cell_get(f->cell);
	changed = gd_catalog_changed(old, c);
	log_info("catalog: %s %s at %.12s: %zu applications, %zu projects, "
		 "%zu changed",
	    gd_repo_display_url(repo), f->branch, sha,
	    json_array_size(gd_catalog_apps(c)),
	    json_array_size(gd_catalog_projects(c)), json_array_size(changed));
	json_array_foreach(gd_catalog_errors(c), i, e)
		log_warnx("catalog: %s", json_string_value(e));
	json_decref(changed);
	gd_catalog_unref(old);
	memcpy(f->sha, sha, sizeof(sha));
	gd_catalog_cell_set(f->cell, c);
}
