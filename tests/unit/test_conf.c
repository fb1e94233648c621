/* SPDX-License-Identifier: ISC */
/*
 * The configuration file: defaults, every key type, relative paths, and
 * the file:line:col on each kind of mistake a person makes in it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitopsd/conf.h"

static struct gd_conf *
load_ok(const char *text)
{
	struct gd_conf *conf = NULL;
	struct gd_err err;

	gd_err_clear(&err);
	if (gd_conf_load_buf(
		&conf, text, strlen(text), "/etc/gd/gitopsd.yaml", &err) < 0)
		fail_msg("load failed: %s", err.msg);
	return conf;
}

/* Loads text that must fail and returns the message. */
static const char *
load_bad(const char *text)
{
	static struct gd_err err;
	struct gd_conf *conf = NULL;

	gd_err_clear(&err);
	assert_int_equal(gd_conf_load_buf(&conf, text, strlen(text),
			     "/etc/gd/gitopsd.yaml", &err),
	    GD_EINVAL);
	assert_null(conf);
	return err.msg;
}

static void
test_conf__defaults(void **state)
{
	struct gd_conf *conf = gd_conf_new_default();

	(void)state;
	assert_string_equal(conf->listen, "127.0.0.1:8080");
	assert_string_equal(conf->data_dir, "data");
	assert_null(conf->web_root);
	assert_int_equal(conf->log_level, GD_LOG_INFO);
	assert_int_equal(conf->poll_interval, 180);
	assert_int_equal(conf->max_body, 1048576);
	assert_string_equal(conf->gitops.branch, "main");
	assert_null(conf->gitops.include);
	assert_string_equal(conf->rbac.default_role, "role:readonly");
	assert_int_equal(conf->nrepositories, 0);
	gd_conf_free(conf);
}

static void
test_conf__empty_file_is_defaults(void **state)
{
	struct gd_conf *conf = load_ok("# nothing set\n");

	(void)state;
	assert_string_equal(conf->listen, "127.0.0.1:8080");
	/* relative to the file's folder */
	assert_string_equal(conf->data_dir, "/etc/gd/data");
	gd_conf_free(conf);
}

static void
test_conf__full_file(void **state)
{
	struct gd_conf *conf = load_ok(
	    "listen: 0.0.0.0:9090\n"
	    "data_dir: /var/lib/gitopsd\n"
	    "web_root: web\n"
	    "log_level: debug\n"
	    "poll_interval: 90s\n"
	    "max_body: 2048\n"
	    "gitops:\n"
	    "  repo: https://gitlab.local/platform/gitops-repo.git\n"
	    "  branch: release\n"
	    "  include: [\"apps/**/*.yaml\", \"platform/**/*.yaml\"]\n"
	    "repositories:\n"
	    "  - url: https://gitlab.local/\n"
	    "    username: ci\n"
	    "    password_file: secrets/gitlab-token\n"
	    "    insecure: yes\n"
	    "  - url: https://gitlab.local/platform/\n"
	    "    token_file: /run/token\n"
	    "users:\n"
	    "  - name: alice\n"
	    "    password_hash: \"$argon2id$v=19$m=65536,t=2,p=1$abc$def\"\n"
	    "  - {name: bob, disabled: true}\n"
	    "cluster: {context: kind-prod}\n"
	    "rbac:\n"
	    "  policy_file: policy.csv\n"
	    "webhook:\n"
	    "  github_secret_file: /etc/gd/hook\n");
	const struct gd_conf_repo *r;

	(void)state;
	assert_string_equal(conf->listen, "0.0.0.0:9090");
	assert_string_equal(conf->data_dir, "/var/lib/gitopsd");
	assert_string_equal(conf->web_root, "/etc/gd/web");
	assert_int_equal(conf->log_level, GD_LOG_DEBUG);
	assert_int_equal(conf->poll_interval, 90);
	assert_int_equal(conf->max_body, 2048);
	assert_string_equal(conf->gitops.branch, "release");
	assert_string_equal(conf->gitops.include[0], "apps/**/*.yaml");
	assert_string_equal(conf->gitops.include[1], "platform/**/*.yaml");
	assert_null(conf->gitops.include[2]);
	assert_int_equal(conf->nrepositories, 2);
	assert_string_equal(conf->repositories[0].password_file,
	    "/etc/gd/secrets/gitlab-token");
	assert_true(conf->repositories[0].insecure); /* YAML 1.1 "yes" */
	assert_false(conf->repositories[1].insecure);
	assert_int_equal(conf->nusers, 2);
	assert_string_equal(conf->users[1].name, "bob");
	assert_true(conf->users[1].disabled);
	assert_string_equal(conf->cluster.context, "kind-prod");
	assert_string_equal(conf->rbac.policy_file, "/etc/gd/policy.csv");
	assert_string_equal(conf->rbac.default_role, "role:readonly");

	/* the longest matching prefix wins */
	r = gd_conf_repo_for(conf, "https://gitlab.local/platform/x.git");
	assert_non_null(r);
	assert_string_equal(r->token_file, "/run/token");
	r = gd_conf_repo_for(conf, "https://gitlab.local/other/x.git");
	assert_string_equal(r->username, "ci");
	assert_null(gd_conf_repo_for(conf, "https://github.com/x.git"));
	gd_conf_free(conf);
}

/* The chart sources of issue #5: registries by host, Helm repos by URL. */
static void
test_conf__chart_sources(void **state)
{
	struct gd_conf *conf =
	    load_ok("registries:\n"
		    "  - host: harbor.local\n"
		    "    endpoint: http://127.0.0.1:5000\n"
		    "    username: robot$ci\n"
		    "    password_file: harbor-password\n"
		    "  - host: ghcr.io\n"
		    "helm_repositories:\n"
		    "  - url: https://charts.example.com\n"
		    "    username_file: /run/u\n"
		    "    password_file: /run/p\n"
		    "  - url: https://charts.example.com/private/\n"
		    "    insecure: true\n"
		    "chart_cache_max: 104857600\n");
	const struct gd_conf_registry *reg;
	const struct gd_conf_helm_repo *hr;

	(void)state;
	reg = gd_conf_registry_for(conf, "harbor.local");
	assert_non_null(reg);
	assert_string_equal(reg->endpoint, "http://127.0.0.1:5000");
	assert_string_equal(reg->username, "robot$ci");
	assert_string_equal(reg->password_file, "/etc/gd/harbor-password");
	reg = gd_conf_registry_for(conf, "ghcr.io");
	assert_non_null(reg);
	assert_null(reg->endpoint);
	/* a host is matched whole, never as a prefix */
	assert_null(gd_conf_registry_for(conf, "harbor.local:5000"));
	assert_null(gd_conf_registry_for(conf, "harbor"));
	hr = gd_conf_helm_repo_for(
	    conf, "https://charts.example.com/private/index.yaml");
	assert_non_null(hr);
	assert_true(hr->insecure);
	hr = gd_conf_helm_repo_for(conf, "https://charts.example.com/a.tgz");
	assert_string_equal(hr->username_file, "/run/u");
	assert_null(gd_conf_helm_repo_for(conf, "https://other.example.com"));
	assert_int_equal(conf->chart_cache_max, 104857600);
	assert_int_equal(conf->render_cache_max, 4096);
	gd_conf_free(conf);

	/* a registry without its host is refused with the place */
	assert_string_equal(load_bad("registries:\n  - endpoint: http://x\n"),
	    "/etc/gd/gitopsd.yaml:2:5: registries.0.host: missing");
}

static void
test_conf__unknown_key_has_position(void **state)
{
	(void)state;
	assert_string_equal(load_bad("listen: 127.0.0.1:1\nlistne: x\n"),
	    "/etc/gd/gitopsd.yaml:2:1: unknown key \"listne\"");
	assert_string_equal(load_bad("gitops:\n  repo: x\n  brnach: main\n"),
	    "/etc/gd/gitopsd.yaml:3:3: unknown key \"gitops.brnach\"");
	assert_string_equal(load_bad("repositories:\n  - url: x\n"
				     "    pasword_file: y\n"),
	    "/etc/gd/gitopsd.yaml:3:5: unknown key "
	    "\"repositories.0.pasword_file\"");
}

static void
test_conf__wrong_types_have_position(void **state)
{
	(void)state;
	assert_string_equal(load_bad("max_body: lots\n"),
	    "/etc/gd/gitopsd.yaml:1:1: max_body: want an integer");
	assert_string_equal(load_bad("listen: [a]\n"),
	    "/etc/gd/gitopsd.yaml:1:1: listen: want a string");
	assert_string_equal(load_bad("\n\nrepositories:\n  - url: x\n"
				     "    insecure: maybe\n"),
	    "/etc/gd/gitopsd.yaml:5:5: repositories.0.insecure: want true "
	    "or false");
	assert_string_equal(load_bad("gitops: main\n"),
	    "/etc/gd/gitopsd.yaml:1:1: gitops: want a map of keys");
	assert_string_equal(load_bad("- a\n- b\n"),
	    "/etc/gd/gitopsd.yaml:1:1: top level: want a map of keys");
	assert_string_equal(load_bad("gitops:\n  include: [a, 3]\n"),
	    "/etc/gd/gitopsd.yaml:2:16: gitops.include[1]: want a string");
}

static void
test_conf__ranges_and_values(void **state)
{
	(void)state;
	assert_string_equal(load_bad("poll_interval: 1\n"),
	    "/etc/gd/gitopsd.yaml:1:1: poll_interval: 1 is out of range "
	    "5..86400");
	assert_string_equal(load_bad("poll_interval: 3 minutes\n"),
	    "/etc/gd/gitopsd.yaml:1:1: poll_interval: \"3 minutes\" is not a "
	    "duration (want 90, 90s, 3m or 1h)");
	assert_string_equal(load_bad("log_level: loud\n"),
	    "/etc/gd/gitopsd.yaml:1:1: log_level: want error, warn, info or "
	    "debug");
	assert_string_equal(load_bad("listen: localhost\n"),
	    "/etc/gd/gitopsd.yaml:1:1: listen: \"localhost\" is not "
	    "HOST:PORT");
	assert_string_equal(load_bad("listen: \"x:99999\"\n"),
	    "/etc/gd/gitopsd.yaml:1:1: listen: bad port in \"x:99999\"");
	assert_string_equal(load_bad("repositories:\n  - username: ci\n"),
	    "/etc/gd/gitopsd.yaml:2:5: repositories.0.url: missing");
	/* found by fuzz_conf: a required key given no value crashed */
	assert_string_equal(load_bad("users:\n- name:\n- name:\n"),
	    "/etc/gd/gitopsd.yaml:2:3: users.0.name: needs a value");
	assert_string_equal(load_bad("users:\n- name: a\n- name: a\n"),
	    "/etc/gd/gitopsd.yaml:3:3: users: \"a\" is listed twice");
}

static void
test_conf__yaml_errors_pass_through(void **state)
{
	const char *msg;

	(void)state;
	msg = load_bad("listen: [unclosed\n");
	assert_non_null(strstr(msg, "/etc/gd/gitopsd.yaml:"));
	msg = load_bad("a: 1\n---\nb: 2\n");
	assert_string_equal(
	    msg, "/etc/gd/gitopsd.yaml: want one YAML document, found 2");
	/* go-yaml refuses duplicate keys; so do we */
	msg = load_bad("listen: a:1\nlisten: b:2\n");
	assert_non_null(strstr(msg, "/etc/gd/gitopsd.yaml:2:"));
}

static void
test_conf__secret_files(void **state)
{
	char dir[] = "/tmp/gd-conf-XXXXXX", *path = NULL, *secret = NULL;
	struct gd_err err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/token", dir);
	f = fopen(path, "w");
	fputs("s3cret\n\n", f);
	fclose(f);
	assert_int_equal(gd_conf_read_secret(&secret, path, &err), 0);
	assert_string_equal(secret, "s3cret");
	gd_conf_secret_free(secret);

	/* an empty file and a missing one are errors that name the file */
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(gd_conf_read_secret(&secret, path, &err), GD_EINVAL);
	assert_non_null(strstr(err.msg, path));
	unlink(path);
	assert_int_equal(
	    gd_conf_read_secret(&secret, path, &err), GD_ENOTFOUND);
	assert_non_null(strstr(err.msg, path));
	assert_null(secret);
	rmdir(dir);
	free(path);
}

static void
test_conf__load_file_and_describe(void **state)
{
	char dir[] = "/tmp/gd-conf-XXXXXX", *path = NULL;
	struct gd_conf *conf = NULL;
	struct gd_err err;
	struct gd_buf b;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/gitopsd.yaml", dir);
	f = fopen(path, "w");
	fputs("data_dir: state\n", f);
	fclose(f);
	assert_int_equal(gd_conf_load(&conf, path, &err), 0);
	assert_string_equal(conf->path, path);
	assert_true(strncmp(conf->data_dir, dir, strlen(dir)) == 0);
	gd_conf_free(conf);
	unlink(path);
	assert_int_equal(gd_conf_load(&conf, path, &err), GD_ENOTFOUND);
	rmdir(dir);
	free(path);

	gd_buf_init(&b);
	gd_conf_describe(&b);
	assert_non_null(strstr(b.data, "poll_interval"));
	assert_non_null(strstr(b.data, "password_file"));
	gd_buf_dispose(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf__defaults),
		cmocka_unit_test(test_conf__empty_file_is_defaults),
		cmocka_unit_test(test_conf__full_file),
		cmocka_unit_test(test_conf__chart_sources),
		cmocka_unit_test(test_conf__unknown_key_has_position),
		cmocka_unit_test(test_conf__wrong_types_have_position),
		cmocka_unit_test(test_conf__ranges_and_values),
		cmocka_unit_test(test_conf__yaml_errors_pass_through),
		cmocka_unit_test(test_conf__secret_files),
		cmocka_unit_test(test_conf__load_file_and_describe),
	};

	gd_core_init_json();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
