/* SPDX-License-Identifier: ISC */
/*
 * The chart store: every chart archive pulled from a registry or a Helm
 * repository, kept as DIR/sha256/<hex>.tgz under the sha256 of its
 * bytes, and the charts loaded from them, shared by every app that uses
 * them. The files' mtimes are the last-use index, so the least recently
 * used order survives a restart; past chart_cache_max the oldest go. A
 * file whose bytes no longer match its name is removed and fetched
 * again. Memos (manifest digest -> chart digest, kept on disk too, and
 * archive URL -> digest) let an unchanged tag cost one HEAD and a digest
 * none at all.
 *
 * The hard part is concurrency: many controller workers pull at once.
 * One mutex guards the lists and memos and is never held across I/O
 * (except the unlink of an evicted file); concurrent pulls of one chart
 * are joined into a single flight: the first does the work, the others
 * sleep on a condition variable and take its result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "pull_int.h"

/* --- digests ------------------------------------------------------------ */

void
pull_sha256(char out[PULL_SHA_LEN], const void *data, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, PULL_SHA_LEN - 7, h, sizeof(h));
}

bool
pull_digest_ok(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		return false;
	for (i = 7; i < 71; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void
pull_count(struct gd_helm_pull *p, unsigned long *counter)
{
	pthread_mutex_lock(&p->lock);
	(*counter)++;
	pthread_mutex_unlock(&p->lock);
}

/* --- the least-recently-used list (under the lock) ----------------------- */

static struct pull_entry *
entry_find(struct gd_helm_pull *p, const char *hex)
{
	struct pull_entry *e;

	for (e = p->head; e != NULL; e = e->next)
		if (strcmp(e->hex, hex) == 0)
			return e;
	return NULL;
}

static void
entry_unlink(struct gd_helm_pull *p, struct pull_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		p->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		p->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
entry_push_front(struct gd_helm_pull *p, struct pull_entry *e)
{
	e->prev = NULL;
	e->next = p->head;
	if (p->head != NULL)
		p->head->prev = e;
	p->head = e;
	if (p->tail == NULL)
		p->tail = e;
}

/* Appends at the tail: used while reading the folder, oldest last. */
static void
entry_push_back(struct gd_helm_pull *p, struct pull_entry *e)
{
	e->next = NULL;
	e->prev = p->tail;
	if (p->tail != NULL)
		p->tail->next = e;
	p->tail = e;
	if (p->head == NULL)
		p->head = e;
}

static void
entry_drop_chart(struct gd_helm_pull *p, struct pull_entry *e)
{
	if (e->chart == NULL)
		return;
	gd_helm_chart_free(e->chart);
	e->chart = NULL;
	p->nloaded--;
}

static void
entry_remove(struct gd_helm_pull *p, struct pull_entry *e)
{
	entry_unlink(p, e);
	entry_drop_chart(p, e);
	p->bytes -= e->size;
	p->nentries--;
	free(e);
}

static char *
entry_path(const struct gd_helm_pull *p, const char *hex)
{
	char *path;

	xasprintf(&path, "%s/sha256/%s.tgz", p->dir, hex);
	return path;
}

/*
 * Past chart_cache_max the least recently used files go (never keep, the
 * one just stored); past PULL_LOADED_MAX loaded charts, the oldest are
 * let go from memory (apps still holding one keep their reference).
 */
static void
store_evict(struct gd_helm_pull *p, const struct pull_entry *keep)
{
	struct pull_entry *e, *prev;
	char *path;

	e = p->tail;
	while (e != NULL && p->bytes > (size_t)p->conf->chart_cache_max) {
		prev = e->prev;
		if (e != keep) {
			path = entry_path(p, e->hex);
			if (unlink(path) < 0 && errno != ENOENT)
				log_warn("helm: evict %s", path);
			free(path);
			entry_remove(p, e);
			p->stats.evictions++;
		}
		e = prev;
	}
	e = p->tail;
	while (e != NULL && p->nloaded > PULL_LOADED_MAX) {
		prev = e->prev;
		if (e != keep)
			entry_drop_chart(p, e);
		e = prev;
	}
}

/* Marks e used now, in memory and on disk (at most once a minute). */
static void
entry_touch(struct gd_helm_pull *p, struct pull_entry *e, bool *disk)
{
	time_t now = time(NULL);

	entry_unlink(p, e);
	entry_push_front(p, e);
	*disk = now - e->used >= 60;
	e->used = now;
}

static void
file_touch(const struct gd_helm_pull *p, const char *hex)
{
	char *path = entry_path(p, hex);

	/* the mtime is the last-use index; failing to set it costs order */
	if (utimensat(AT_FDCWD, path, NULL, 0) < 0 && errno != ENOENT)
		log_warn("helm: touch %s", path);
	free(path);
}

/* --- reading and writing archives ---------------------------------------- */

int
pull_store_get(struct gd_helm_pull *p, const char *digest, bool verify,
    struct gd_helm_chart **out, struct gd_err *err)
{
	const char *hex = digest + 7;
	struct gd_helm_chart *chart = NULL;
	struct pull_entry *e;
	struct gd_buf b;
	struct gd_err rerr;
	char got[PULL_SHA_LEN], *path = NULL;
	bool disk = false;
	int rc = 0;

	*out = NULL;
	gd_buf_init(&b);
	pthread_mutex_lock(&p->lock);
	e = entry_find(p, hex);
	if (e != NULL && e->chart != NULL && !verify) {
		*out = gd_helm_chart_ref(e->chart);
		entry_touch(p, e, &disk);
	}
	pthread_mutex_unlock(&p->lock);
	if (*out != NULL)
		goto out;
	path = entry_path(p, hex);
	if (gd_buf_read_file(&b, path, PULL_ARCHIVE_MAX + 1, &rerr) < 0) {
		pthread_mutex_lock(&p->lock);
		if ((e = entry_find(p, hex)) != NULL)
			entry_remove(p, e);
		pthread_mutex_unlock(&p->lock);
		rc = gd_err_set(
		    err, GD_ENOTFOUND, "%s not in the store", digest);
		goto out;
	}
	pull_sha256(got, b.data, b.len);
	if (strcmp(got, digest) != 0) {
		/* damaged on disk: drop it so the caller fetches it again */
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("helm: remove damaged %s", path);
		pthread_mutex_lock(&p->lock);
		if ((e = entry_find(p, hex)) != NULL)
			entry_remove(p, e);
		p->stats.corrupt++;
		pthread_mutex_unlock(&p->lock);
		rc = gd_err_set(
		    err, GD_ENOTFOUND, "%s damaged in the store", digest);
		goto out;
	}
	if ((rc = gd_helm_chart_load_archive(&chart, b.data, b.len, err)) < 0)
		goto out;
	pthread_mutex_lock(&p->lock);
	if ((e = entry_find(p, hex)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		memcpy(e->hex, hex, 65);
		e->size = b.len;
		p->bytes += b.len;
		p->nentries++;
		entry_push_front(p, e);
	}
	if (e->chart == NULL) {
		e->chart = chart;
		p->nloaded++;
	} else
		gd_helm_chart_free(chart);
	chart = NULL;
	*out = gd_helm_chart_ref(e->chart);
	entry_touch(p, e, &disk);
	store_evict(p, e);
	pthread_mutex_unlock(&p->lock);
out:
	if (disk)
		file_touch(p, hex);
	gd_helm_chart_free(chart);
	gd_buf_dispose(&b);
	free(path);
	return rc;
}

/* Writes data to path through a temp file, fsync and rename. */
static int
store_write(struct gd_helm_pull *p, const char *path, const void *data,
    size_t len, struct gd_err *err)
{
	const char *s = data;
	char *tmp, *dir;
	ssize_t n;
	int fd, dfd, rc = 0;

	xasprintf(&tmp, "%s/sha256/.tmp-XXXXXX", p->dir);
	if ((fd = mkstemp(tmp)) < 0) {
		rc = gd_err_set(
		    err, GD_EINTERNAL, "create %s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	while (len > 0) {
		if ((n = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = gd_err_set(err, GD_EINTERNAL, "write %s: %s", tmp,
			    strerror(errno));
			break;
		}
		s += n;
		len -= (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = gd_err_set(
		    err, GD_EINTERNAL, "fsync %s: %s", tmp, strerror(errno));
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = gd_err_set(
		    err, GD_EINTERNAL, "rename %s: %s", tmp, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	if (rc < 0)
		return rc;
	/* the rename itself is durable once the folder is synced */
	xasprintf(&dir, "%s/sha256", p->dir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	return 0;
}

int
pull_store_put(struct gd_helm_pull *p, const char *digest, const void *data,
    size_t len, struct gd_helm_chart **out, struct gd_err *err)
{
	const char *hex = digest + 7;
	struct gd_helm_chart *chart = NULL;
	struct pull_entry *e;
	char *path = NULL;
	bool disk;
	int rc;

	*out = NULL;
	/* only a chart is kept: a bad archive would fail every reader */
	if ((rc = gd_helm_chart_load_archive(&chart, data, len, err)) < 0)
		return rc;
	path = entry_path(p, hex);
	if ((rc = store_write(p, path, data, len, err)) < 0)
		goto out;
	pthread_mutex_lock(&p->lock);
	if ((e = entry_find(p, hex)) != NULL)
		entry_remove(p, e);
	e = xcalloc(1, sizeof(*e));
	memcpy(e->hex, hex, 65);
	e->size = len;
	e->chart = chart;
	chart = NULL; /* now owned by the entry */
	p->nloaded++;
	p->bytes += len;
	p->nentries++;
	entry_push_front(p, e);
	entry_touch(p, e, &disk);
	*out = gd_helm_chart_ref(e->chart);
	p->stats.downloads++;
	store_evict(p, e);
	pthread_mutex_unlock(&p->lock);
out:
	gd_helm_chart_free(chart);
	free(path);
	return rc;
}

/* --- memos ---------------------------------------------------------------- */

static char *
memo_path(const struct gd_helm_pull *p, const char *digest)
{
	char *path;

	xasprintf(&path, "%s/manifests/%s", p->dir, digest + 7);
	return path;
}

char *
pull_memo_get(struct gd_helm_pull *p, enum pull_memo m, const char *key)
{
	const char *v;
	char *r = NULL, *path;
	struct gd_buf b;

	pthread_mutex_lock(&p->lock);
	if ((v = json_string_value(json_object_get(p->memo[m], key))) != NULL)
		r = xstrdup(v);
	pthread_mutex_unlock(&p->lock);
	if (r != NULL || m != PULL_MEMO_MANIFEST || !pull_digest_ok(key))
		return r;
	/* manifests are immutable: what an earlier run learnt still holds */
	path = memo_path(p, key);
	gd_buf_init(&b);
	if (gd_buf_read_file(&b, path, 128, NULL) == 0) {
		while (b.len > 0 && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		if (pull_digest_ok(b.data)) {
			r = xstrdup(b.data);
			pthread_mutex_lock(&p->lock);
			json_object_set_new(p->memo[m], key, json_string(r));
			pthread_mutex_unlock(&p->lock);
		}
	}
	gd_buf_dispose(&b);
	free(path);
	return r;
}

void
pull_memo_set(
    struct gd_helm_pull *p, enum pull_memo m, const char *key, const char *val)
{
	char *path, *tmp;
	FILE *f;

	pthread_mutex_lock(&p->lock);
	json_object_set_new(p->memo[m], key, json_string(val));
	pthread_mutex_unlock(&p->lock);
	if (m != PULL_MEMO_MANIFEST || !pull_digest_ok(key))
		return;
	path = memo_path(p, key);
	xasprintf(&tmp, "%s.tmp", path);
	/* best effort: without the file the manifest is asked for again */
	if ((f = fopen(tmp, "w")) != NULL) {
		fprintf(f, "%s\n", val);
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			tmp[0] = '\0';
	}
	if (tmp[0] != '\0')
		unlink(tmp);
	free(tmp);
	free(path);
}

/* --- the store -------------------------------------------------------------
 */

static bool
hex_name(const char *name)
{
	size_t i;

	if (strlen(name) != 68 || strcmp(name + 64, ".tgz") != 0)
		return false;
	for (i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
			(name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

static int
entry_cmp_used(const void *a, const void *b)
{
	const struct pull_entry *x = *(struct pull_entry *const *)a;
	const struct pull_entry *y = *(struct pull_entry *const *)b;

	return (x->used < y->used) - (x->used > y->used);
}

/* Reads what an earlier run stored, most recently used first. */
static int
store_scan(struct gd_helm_pull *p, struct gd_err *err)
{
	struct pull_entry **v = NULL, *e;
	struct dirent *de;
	struct stat st;
	size_t n = 0, i;
	char *dir, *path;
	DIR *d;

	xasprintf(&dir, "%s/sha256", p->dir);
	if ((d = opendir(dir)) == NULL) {
		gd_err_set(
		    err, GD_EINTERNAL, "open %s: %s", dir, strerror(errno));
		free(dir);
		return GD_EINTERNAL;
	}
	while ((de = readdir(d)) != NULL) {
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			unlink(path); /* a write cut short by a crash */
		else if (hex_name(de->d_name) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			e = xcalloc(1, sizeof(*e));
			memcpy(e->hex, de->d_name, 64);
			e->size = (size_t)st.st_size;
			e->used = st.st_mtime;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = e;
		}
		free(path);
	}
	closedir(d);
	free(dir);
	if (n > 0)
		qsort(v, n, sizeof(*v), entry_cmp_used);
	for (i = 0; i < n; i++) {
		entry_push_back(p, v[i]);
		p->bytes += v[i]->size;
		p->nentries++;
	}
	free(v);
	return 0;
}

int
gd_helm_pull_new(struct gd_helm_pull **out, const struct gd_conf *conf,
    const char *dir, struct gd_err *err)
{
	struct gd_helm_pull *p;
	char *sub;
	int rc, i;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	p->magic = PULL_MAGIC;
	p->conf = conf;
	p->dir = xstrdup(dir);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (i = 0; i < PULL_MEMO_N; i++)
		p->memo[i] = json_object();
	xasprintf(&sub, "%s/sha256", dir);
	rc = gd_path_mkdirs(sub, err);
	free(sub);
	if (rc == 0) {
		xasprintf(&sub, "%s/manifests", dir);
		rc = gd_path_mkdirs(sub, err);
		free(sub);
	}
	if (rc == 0) {
		xasprintf(&sub, "%s/index", dir);
		rc = gd_path_mkdirs(sub, err);
		free(sub);
	}
	if (rc < 0 || (rc = store_scan(p, err)) < 0) {
		gd_err_wrap(err, "chart store");
		gd_helm_pull_free(p);
		return rc;
	}
	pthread_mutex_lock(&p->lock);
	store_evict(p, NULL);
	pthread_mutex_unlock(&p->lock);
	*out = p;
	return 0;
}

void
gd_helm_pull_free(struct gd_helm_pull *p)
{
	int i;

	if (p == NULL)
		return;
	GD_CHECK_OBJ(p, PULL_MAGIC);
	assert(p->flights == NULL);
	while (p->head != NULL)
		entry_remove(p, p->head);
	for (i = 0; i < PULL_MEMO_N; i++)
		json_decref(p->memo[i]);
	pull_tokens_free(p);
	pull_indexes_free(p);
	pull_http_free_handles(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->dir);
	p->magic = 0;
	free(p);
}

void
gd_helm_pull_stats(struct gd_helm_pull *p, struct gd_helm_pull_stats *out)
{
	GD_CHECK_OBJ(p, PULL_MAGIC);
	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	out->files = p->nentries;
	out->bytes = p->bytes;
	pthread_mutex_unlock(&p->lock);
}

/* --- pulls ------------------------------------------------------------------
 */

static bool
is_oci(const char *url)
{
	return strncmp(url, "oci://", 6) == 0;
}

static char *
job_ref(const char *repo_url, const char *chart, const char *rev)
{
	size_t n = strlen(repo_url);
	char *ref;

	while (n > 0 && repo_url[n - 1] == '/')
		n--;
	xasprintf(&ref, "%.*s%s%s%s%s", (int)n, repo_url,
	    *chart != '\0' ? "/" : "", chart,
	    strncmp(rev, "sha256:", 7) == 0 ? "@" :
		*rev != '\0'                ? ":" :
					      "",
	    rev);
	return ref;
}

/* The flight in progress for key; landed ones only wait to be freed. */
static struct pull_flight *
flight_find(struct gd_helm_pull *p, const char *key)
{
	struct pull_flight *f;

	for (f = p->flights; f != NULL; f = f->next)
		if (!f->done && strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static void
flight_unlink_free(struct gd_helm_pull *p, struct pull_flight *f)
{
	struct pull_flight **pp;

	for (pp = &p->flights; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	free(f->key);
	free(f->digest);
	free(f->version);
	free(f);
}

/* Runs the pull of job for real: the leader of its flight. */
static int
pull_run(struct pull_job *job, struct gd_err *err)
{
	const char *v;
	int rc;

	if (is_oci(job->repo_url))
		rc = pull_oci(job, err);
	else if (strncmp(job->repo_url, "https://", 8) == 0 ||
	    strncmp(job->repo_url, "http://", 7) == 0)
		rc = pull_repo(job, err);
	else
		return gd_err_set(err, GD_EINVAL,
		    "%s: repository URL is neither oci:// nor http(s)://",
		    job->repo_url);
	if (rc == 0 && job->version == NULL) {
		v = helm_chart_meta_str(job->loaded, "version");
		job->version = xstrdup(v != NULL ? v : "");
	}
	return rc;
}

/*
 * Joins the flight for key, or leads it. A follower gets the leader's
 * digest and version (and takes the chart from the store); the leader
 * gets its flight in *leader and must call flight_land with it.
 */
static int
flight_join(struct gd_helm_pull *p, const char *key, struct pull_job *job,
    struct pull_flight **leader, struct gd_err *err)
{
	struct pull_flight *f;
	int rc;

	pthread_mutex_lock(&p->lock);
	if ((f = flight_find(p, key)) == NULL) {
		f = xcalloc(1, sizeof(*f));
		f->key = xstrdup(key);
		f->next = p->flights;
		p->flights = f;
		pthread_mutex_unlock(&p->lock);
		*leader = f;
		return 0;
	}
	*leader = NULL;
	f->waiters++;
	while (!f->done)
		pthread_cond_wait(&p->cond, &p->lock);
	rc = f->rc;
	if (rc < 0 && err != NULL)
		*err = f->err;
	if (rc == 0) {
		snprintf(job->digest, sizeof(job->digest), "%s", f->digest);
		job->version = xstrdup(f->version);
	}
	if (--f->waiters == 0)
		flight_unlink_free(p, f);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static void
flight_land(struct gd_helm_pull *p, struct pull_flight *f,
    const struct pull_job *job, int rc, const struct gd_err *err)
{
	pthread_mutex_lock(&p->lock);
	assert(!f->done);
	f->done = true;
	f->rc = rc;
	if (rc < 0 && err != NULL)
		f->err = *err;
	else if (rc < 0)
		gd_err_set(&f->err, rc, "%s: failed", job->ref);
	if (rc == 0) {
		f->digest = xstrdup(job->digest);
		f->version = xstrdup(job->version);
	}
	if (f->waiters == 0)
		flight_unlink_free(p, f);
	else
		pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

int
gd_helm_pull(struct gd_helm_pull *p, const char *repo_url, const char *chart,
    const char *revision, unsigned flags, struct gd_helm_pulled *out,
    struct gd_err *err)
{
	struct pull_job job;
	struct pull_flight *leader = NULL;
	struct gd_err lerr;
	char *key = NULL;
	int rc, attempt;

	GD_CHECK_OBJ(p, PULL_MAGIC);
	memset(out, 0, sizeof(*out));
	memset(&job, 0, sizeof(job));
	if (repo_url == NULL || *repo_url == '\0')
		return gd_err_set(err, GD_EINVAL, "chart source without URL");
	job.p = p;
	job.repo_url = repo_url;
	job.chart = chart != NULL ? chart : "";
	job.revision = revision != NULL ? revision : "";
	job.flags = flags;
	job.ref = job_ref(repo_url, job.chart, job.revision);
	xasprintf(&key, "%c %s\n%s\n%s",
	    (flags & GD_HELM_PULL_HARD) ? 'H' : '-', repo_url, job.chart,
	    job.revision);
	/*
	 * A follower takes the chart from the store; should it be gone by
	 * then (evicted, damaged), it pulls again as a leader.
	 */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rc = flight_join(p, key, &job, &leader, err)) < 0)
			goto out;
		if (leader != NULL) {
			gd_err_clear(&lerr);
			rc = pull_run(&job, &lerr);
			flight_land(p, leader, &job, rc, &lerr);
			if (rc < 0) {
				if (err != NULL)
					*err = lerr;
				goto out;
			}
			break;
		}
		if (pull_store_get(p, job.digest, false, &job.loaded, NULL) ==
		    0) {
			pull_count(p, &p->stats.hits);
			break;
		}
		free(job.version);
		job.version = NULL;
	}
	if (job.loaded == NULL) {
		rc = gd_err_set(err, GD_EINTERNAL,
		    "%s: chart vanished from "
		    "the store",
		    job.ref);
		goto out;
	}
	out->digest = xstrdup(job.digest);
	out->version = job.version;
	job.version = NULL;
	out->ref = job.ref;
	job.ref = NULL;
	out->chart = job.loaded;
	job.loaded = NULL;
	rc = 0;
out:
	gd_helm_chart_free(job.loaded);
	free(job.version);
	free(job.ref);
	free(key);
	return rc;
}

void
gd_helm_pulled_dispose(struct gd_helm_pulled *pd)
{
	if (pd == NULL)
		return;
	free(pd->digest);
	free(pd->version);
	free(pd->ref);
	gd_helm_chart_free(pd->chart);
	memset(pd, 0, sizeof(*pd));
}
