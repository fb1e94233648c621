/* SPDX-License-Identifier: ISC */
/*
 * Shared inside server/repo only: the mirror struct and the translation
 * of libgit2 errors, which stay in this folder.
 */
#ifndef GITOPSD_REPO_INT_H
#define GITOPSD_REPO_INT_H

#include <pthread.h>

#include <git2.h>

#include "gitopsd/repo.h"

struct gd_repo {
	char *url;
	char *display; /* url without userinfo */
	char *path; /* the bare mirror */
	const struct gd_conf *conf;

	pthread_mutex_t lock; /* guards git and the fields below */
	git_repository *git; /* readers' handle */

	pthread_mutex_t fetch_lock; /* one fetch at a time */
	time_t fetched_at;
	bool fetched;
	struct gd_err fetch_err;
};

/*
 * Sets err from git_error_last() with a prefix; code is the gd_errcode to
 * use. The message has the repo's display URL, never credentials.
 */
int gd_repo_git_err(struct gd_err *, int code, const char *fmt, ...)
    GD_PRINTF(3, 4);

/* url with any "user:pass@" removed (caller frees). */
char *gd_repo_strip_userinfo(const char *url);

#endif /* GITOPSD_REPO_INT_H */
