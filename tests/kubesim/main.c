/* SPDX-License-Identifier: ISC */
/*
 * kubesim's entry point: flags, the global state, and the start order
 * (store, discovery, controller, then the HTTP server). The hard part is
 * only that every flag has a default a test can rely on without passing
 * it, so a bare "kubesim --listen 127.0.0.1:PORT" is a usable cluster.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kubesim [--listen ADDR:PORT] [--tls-cert F --tls-key F]\n"
	    "\t[--client-ca F]"
	    "\t[--token T | --token-file F] [--stuck-image PATTERN]\n"
	    "\t[--step-ms N] [--deadline-scale X] [--bookmark-ms N]\n"
	    "\t[--history N] [--continue-ttl S] [--lb-ip IP] [--minor N] "
	    "[--no-children] [-v]\n");
	exit(2);
}

static unsigned long
main_num(const char *flag, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0')
		fatalx("kubesim: %s: not a number: %s", flag, s);
	return v;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'C' },
		{ "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "stuck-image", required_argument, NULL, 's' },
		{ "step-ms", required_argument, NULL, 'S' },
		{ "deadline-scale", required_argument, NULL, 'D' },
		{ "bookmark-ms", required_argument, NULL, 'b' },
		{ "history", required_argument, NULL, 'H' },
		{ "continue-ttl", required_argument, NULL, 'K' },
		{ "lb-ip", required_argument, NULL, 'i' },
		{ "minor", required_argument, NULL, 'm' },
		{ "no-children", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct gd_err err = { 0 };
	struct gd_buf tok;
	char *end;
	int ch, level = GD_LOG_INFO;

	gd_core_init_json();
	ks.conf.listen = "127.0.0.1:6443";
	ks.conf.step_ms = 200;
	ks.conf.deadline_scale = 0.01;
	ks.conf.bookmark_ms = 1000;
	ks.conf.history = 10000;
	ks.conf.continue_ttl = 300;
	ks.conf.lb_ip = "192.0.2.10";
	ks.conf.minor = "32";
	while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			ks.conf.listen = optarg;
			break;
		case 'c':
			ks.conf.tls_cert = optarg;
			break;
		case 'k':
			ks.conf.tls_key = optarg;
			break;
		case 'C':
			ks.conf.client_ca = optarg;
			break;
		case 't':
			ks.conf.token = xstrdup(optarg);
			break;
		case 'T':
			gd_buf_init(&tok);
			if (gd_buf_read_file(&tok, optarg, 4096, &err) < 0)
				fatalx("kubesim: --token-file: %s", err.msg);
			while (tok.len > 0 &&
			    (tok.data[tok.len - 1] == '\n' ||
				tok.data[tok.len - 1] == '\r'))
				tok.data[--tok.len] = '\0';
			ks.conf.token = gd_buf_detach(&tok, NULL);
			break;
		case 's':
			ks.conf.stuck_image = optarg;
			break;
		case 'S':
			ks.conf.step_ms = main_num("--step-ms", optarg);
			break;
		case 'D':
			ks.conf.deadline_scale = strtod(optarg, &end);
			if (*end != '\0' || ks.conf.deadline_scale < 0)
				fatalx("kubesim: --deadline-scale: bad %s",
				    optarg);
			break;
		case 'b':
			ks.conf.bookmark_ms = main_num("--bookmark-ms", optarg);
			break;
		case 'H':
			ks.conf.history = main_num("--history", optarg);
			if (ks.conf.history < 16)
				ks.conf.history = 16;
			break;
		case 'K':
			ks.conf.continue_ttl =
			    (unsigned)main_num("--continue-ttl", optarg);
			break;
		case 'i':
			ks.conf.lb_ip = optarg;
			break;
		case 'm':
			ks.conf.minor = optarg;
			break;
		case 'n':
			ks.conf.no_children = true;
			break;
		case 'v':
			level = GD_LOG_DEBUG;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((ks.conf.tls_cert == NULL) != (ks.conf.tls_key == NULL))
		fatalx("kubesim: --tls-cert and --tls-key go together");
	if (ks.conf.client_ca != NULL && ks.conf.tls_cert == NULL)
		fatalx("kubesim: --client-ca needs --tls-cert and --tls-key");
	log_init(level);
	pthread_mutex_init(&ks.lock, NULL);
	pthread_cond_init(&ks.changed, NULL);
	ks_store_init();
	ks_discovery_init();
	ks_controller_start();
	if (ks_http_run(&err) < 0)
		fatalx("kubesim: %s", err.msg);
	return 0;
}
