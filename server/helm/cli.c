/* SPDX-License-Identifier: ISC */
/*
 * `gitopsd render`: helm template's command line over gd_helm_render, so
 * users and tests can render a chart without the server. It prints what
 * helm prints, errors included ("Error: ..." and exit status 1).
 *
 * The subtle parts are helm's: --name-template is a template of its own,
 * run with Sprig's functions on nil data; with --debug a chart whose
 * output is not YAML still prints every rendered file before the error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helm_int.h"

struct cli_sets {
	struct gd_helm_set *v;
	size_t n;
};

struct cli_list {
	const char **v;
	size_t n;
};

static void
cli_add(struct cli_list *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

static void
cli_set(struct cli_sets *l, enum gd_helm_set_kind kind, const char *arg)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].kind = kind;
	l->v[l->n++].arg = arg;
}

static void
cli_usage(void)
{
	fprintf(stderr,
	    "usage: gitopsd render [NAME] CHART [-f values.yaml]... "
	    "[--set k=v[,k2=v2]]...\n"
	    "\t[--set-string k=v]... [--set-file k=path]... "
	    "[--set-json k=json]...\n"
	    "\t[--set-literal k=v]... [--name-template TPL] [--debug]\n"
	    "\t[--name N] [--namespace NS] [--kube-version V] "
	    "[--api-versions G/V]...\n"
	    "\t[--include-crds] [--skip-tests] [--no-hooks] "
	    "[--show-only PATH]...\n"
	    "\t[--skip-schema-validation]\n");
}

/* "--flag value" or "--flag=value"; advances *i past a separate value. */
static const char *
cli_value(int argc, char **argv, int *i, const char *flag)
{
	size_t l = strlen(flag);

	if (strncmp(argv[*i], flag, l) != 0)
		return NULL;
	if (argv[*i][l] == '=')
		return argv[*i] + l + 1;
	if (argv[*i][l] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/*
 * helm's --name-template: the text run as a template with Sprig's
 * functions on nil data. *out is the name, caller-frees.
 */
static int
cli_name_template(char **out, const char *text, struct gd_err *err)
{
	static const struct gd_tmpl_func *const tabs[] = { helm_sprig_funcs,
		helm_sprig_more, helm_sprig_text, helm_sprig_url,
		helm_sprig_time, helm_sprig_crypto, helm_sprig_x509,
		helm_funcs };
	struct helm_render r = { .magic = HELM_RENDER_MAGIC };
	struct gd_tmpl_set *set = gd_tmpl_set_new("name-template", NULL);
	struct gd_tval nil = gd_tval_json(json_null());
	struct gd_buf b;
	size_t i;
	int rc;

	*out = NULL;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
		gd_tmpl_set_funcs(set, tabs[i]);
	r.included = json_object();
	if (getentropy(&r.rng, sizeof(r.rng)) < 0)
		r.rng = (uint64_t)time(NULL);
	r.rng |= 1;
	if ((rc = gd_tmpl_parse(
		 set, "name-template", text, strlen(text), err)) == 0 &&
	    (rc = gd_tmpl_execute_ud(
		 &b, set, "name-template", &nil, &r, err)) == 0)
		*out = gd_buf_detach(&b, NULL);
	json_decref(r.included);
	gd_tval_dispose(&nil);
	gd_tmpl_set_free(set);
	gd_buf_dispose(&b);
	return rc;
}

int
gd_helm_render_main(int argc, char **argv)
{
	struct cli_list files = { 0 }, apis = { 0 }, show = { 0 };
	struct cli_sets sets = { 0 };
	struct cli_list owned = { 0 }; /* strings to free */
	struct gd_helm_opts o = { 0 };
	struct gd_helm_result res = { 0 };
	struct gd_helm_chart *chart = NULL;
	struct gd_err err = { 0 };
	const char *pos[2] = { NULL, NULL }, *v, *name_tpl = NULL;
	char *name = NULL;
	json_t *vals = NULL;
	int i, npos = 0, rc = 1;

	gd_core_init_json();
	for (i = 1; i < argc; i++) {
		if ((v = cli_value(argc, argv, &i, "-f")) != NULL ||
		    (v = cli_value(argc, argv, &i, "--values")) != NULL)
			cli_add(&files, v);
		else if ((v = cli_value(argc, argv, &i, "--set")) != NULL)
			cli_set(&sets, GD_HELM_SET, v);
		else if ((v = cli_value(argc, argv, &i, "--set-string")) !=
		    NULL)
			cli_set(&sets, GD_HELM_SET_STRING, v);
		else if ((v = cli_value(argc, argv, &i, "--set-file")) != NULL)
			cli_set(&sets, GD_HELM_SET_FILE, v);
		else if ((v = cli_value(argc, argv, &i, "--set-json")) != NULL)
			cli_set(&sets, GD_HELM_SET_JSON, v);
		else if ((v = cli_value(argc, argv, &i, "--set-literal")) !=
		    NULL)
			cli_set(&sets, GD_HELM_SET_LITERAL, v);
		else if ((v = cli_value(argc, argv, &i, "--name-template")) !=
		    NULL)
			name_tpl = v;
		else if ((v = cli_value(argc, argv, &i, "--name")) != NULL)
			o.release_name = v;
		else if ((v = cli_value(argc, argv, &i, "--namespace")) !=
			NULL ||
		    (v = cli_value(argc, argv, &i, "-n")) != NULL)
			o.ns = v;
		else if ((v = cli_value(argc, argv, &i, "--kube-version")) !=
		    NULL)
			o.kube_version = v;
		else if ((v = cli_value(argc, argv, &i, "--api-versions")) !=
		    NULL) {
			char *s = xstrdup(v), *save = s, *p;

			cli_add(&owned, s);
			while ((p = strsep(&save, ",")) != NULL)
				if (*p != '\0')
					cli_add(&apis, p);
		} else if ((v = cli_value(argc, argv, &i, "--show-only")) !=
			NULL ||
		    (v = cli_value(argc, argv, &i, "-s")) != NULL)
			cli_add(&show, v);
		else if (strcmp(argv[i], "--include-crds") == 0)
			o.include_crds = true;
		else if (strcmp(argv[i], "--skip-tests") == 0)
			o.skip_tests = true;
		else if (strcmp(argv[i], "--no-hooks") == 0)
			o.no_hooks = true;
		else if (strcmp(argv[i], "--is-upgrade") == 0)
			o.is_upgrade = true;
		else if (strcmp(argv[i], "--debug") == 0)
			o.debug = true;
		else if (strcmp(argv[i], "--skip-schema-validation") == 0)
			o.skip_schema_validation = true;
		else if (argv[i][0] == '-' || npos == 2) {
			cli_usage();
			return 2;
		} else
			pos[npos++] = argv[i];
	}
	if (npos == 0) {
		cli_usage();
		return 2;
	}
	if (npos == 2 && name_tpl != NULL) {
		/* helm's NameAndChart refuses both */
		fprintf(stderr,
		    "Error: cannot set --name-template and also "
		    "specify a name\n");
		goto out;
	}
	if (npos == 2)
		o.release_name = pos[0];
	o.api_versions = apis.v;
	o.napi_versions = apis.n;
	o.show_only = show.v;
	o.nshow_only = show.n;
	if (name_tpl != NULL && o.release_name == NULL) {
		if (cli_name_template(&name, name_tpl, &err) < 0) {
			fprintf(stderr, "Error: %s\n", err.msg);
			goto out;
		}
		o.release_name = name;
	}
	if (gd_helm_chart_load(&chart, pos[npos - 1], &err) < 0 ||
	    gd_helm_values_build_sets(
		&vals, files.v, files.n, sets.v, sets.n, &err) < 0 ||
	    gd_helm_render(&res, chart, vals, &o, &err) < 0) {
		/* --debug: what was rendered, then the error */
		if (o.debug && res.text != NULL)
			fwrite(res.text, 1, strlen(res.text), stdout);
		fflush(stdout);
		fprintf(stderr, "Error: %s\n", err.msg);
		if (!o.debug &&
		    strncmp(err.msg, "YAML parse error on ", 20) == 0)
			fprintf(stderr,
			    "\nUse --debug flag to render out invalid YAML\n");
		goto out;
	}
	fwrite(res.text, 1, strlen(res.text), stdout);
	rc = 0;
out:
	gd_helm_result_dispose(&res);
	gd_helm_chart_free(chart);
	json_decref(vals);
	free(files.v);
	free(sets.v);
	free(apis.v);
	free(show.v);
	free(name);
	for (i = 0; (size_t)i < owned.n; i++)
		free((char *)(uintptr_t)owned.v[i]);
	free(owned.v);
	return rc;
}
