/* SPDX-License-Identifier: ISC */
/*
 * Repository URL identity. A webhook names the repository that moved in
 * whatever spelling its server prefers (https clone URL, web URL, scp-like
 * ssh "git@host:org/repo.git"), and the config names it in another; both
 * must reduce to one key. The key is host and path: scheme, userinfo,
 * port, a trailing "/" and ".git" go, and case goes too except for
 * file:// paths, which name a file system that cares about case.
 */
#include <ctype.h>
#include <string.h>

#include "repo_int.h"

char *
gd_repo_url_key(const char *url)
{
	const char *s = url, *sep, *at, *slash, *colon;
	struct gd_buf b;
	bool fold = true;
	size_t i, n;

	gd_buf_init(&b);
	if ((sep = strstr(s, "://")) != NULL) {
		fold = !(sep - s == 4 && strncmp(s, "file", 4) == 0);
		s = sep + 3;
		slash = strchr(s, '/');
		at = strchr(s, '@');
		if (at != NULL && (slash == NULL || at < slash))
			s = at + 1;
		slash = strchr(s, '/');
		colon = strchr(s, ':');
		if (colon != NULL && (slash == NULL || colon < slash)) {
			gd_buf_add(&b, s, (size_t)(colon - s));
			s = slash != NULL ? slash : s + strlen(s);
		}
	} else {
		/* scp-like: [user@]host:path */
		slash = strchr(s, '/');
		colon = strchr(s, ':');
		if (colon != NULL && (slash == NULL || colon < slash)) {
			at = strchr(s, '@');
			if (at != NULL && at < colon)
				s = at + 1;
			gd_buf_add(&b, s, (size_t)(colon - s));
			gd_buf_addc(&b, '/');
			s = colon + 1;
		} else
			fold = false;
	}
	gd_buf_adds(&b, s);
	n = b.len;
	for (;;) {
		if (n > 0 && b.data[n - 1] == '/')
			n--;
		else if (n > 4 && strncmp(b.data + n - 4, ".git", 4) == 0)
			n -= 4;
		else
			break;
	}
	b.data[n] = '\0';
	b.len = n;
	if (fold)
		for (i = 0; i < b.len; i++)
			b.data[i] = (char)tolower((unsigned char)b.data[i]);
	return gd_buf_detach(&b, NULL);
}
