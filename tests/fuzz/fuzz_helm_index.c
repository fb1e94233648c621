/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for what the chart store reads from the network: any bytes
 * as a Helm repository's index.yaml, an OCI manifest, a registry error
 * body, a WWW-Authenticate challenge, a Link header, a version and a
 * version range, and a URL relative to a repository. Each must parse or
 * fail with a message, never crash, hang or leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitopsd/core.h"
#include "../../server/helm/pull_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
must_say(int rc, const struct gd_err *err)
{
	if (rc < 0 && err->msg[0] == '\0') {
		fprintf(stderr, "failed without a message\n");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct gd_err err = { 0 };
	struct pull_manifest m;
	struct pull_challenge c;
	struct helm_semver_range *r = NULL;
	struct helm_semver v;
	json_t *entries = NULL;
	char *s, *t;
	int rc;

	if (!ready) {
		gd_core_init_json();
		ready = true;
	}
	rc = pull_index_parse(
	    &entries, (const char *)data, size, "index.yaml", &err);
	must_say(rc, &err);
	if ((rc == 0) != (entries != NULL))
		abort();
	json_decref(entries);
	gd_err_clear(&err);
	rc = pull_manifest_parse(&m, (const char *)data, size, &err);
	must_say(rc, &err);
	if (rc == 0 && !pull_digest_ok(m.layer_digest))
		abort();
	free(pull_registry_error((const char *)data, size));
	/* the header parsers take C strings */
	s = xstrndup((const char *)data, size);
	if (pull_challenge_parse(&c, s))
		pull_challenge_dispose(&c);
	free(pull_link_next(s));
	(void)helm_semver_parse(&v, s);
	(void)helm_semver_is_exact(s);
	gd_err_clear(&err);
	rc = helm_semver_range_new(&r, s, &err);
	must_say(rc, &err);
	if (rc == 0 && helm_semver_parse(&v, "1.2.3"))
		(void)helm_semver_range_match(r, &v);
	helm_semver_range_free(r);
	t = pull_url_resolve("https://charts.example.com/sub?sig=1", s);
	free(t);
	free(s);
	return 0;
}
