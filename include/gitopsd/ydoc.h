/* SPDX-License-Identifier: ISC */
/*
 * ydoc: YAML in and out, as Kubernetes and Helm read and print it.
 *
 * Loading follows sigs.k8s.io/yaml on go-yaml v2: YAML 1.1 scalars
 * (yes/no/on/off booleans, 0o/0x/legacy-octal ints, .inf/.nan), anchors,
 * aliases and << merges, duplicate keys refused, and errors that carry
 * "name:line:col". Emitting is sigs.k8s.io/yaml's Marshal, which is
 * Helm's toYaml. Every tree is a json_t.
 */
#ifndef GITOPSD_YDOC_H
#define GITOPSD_YDOC_H

#include "gitopsd/core.h"

/* Limits on what one load may cost; zero fields take the defaults. */
struct gd_ydoc_limits {
	size_t max_bytes; /* input size; default 16 MiB */
	size_t max_depth; /* nesting of maps and lists; default 256 */
	size_t max_alias_nodes; /* nodes copied by aliases; default 1<<20 */
	/*
	 * Duplicate keys are refused unless this is set; then the later
	 * one wins, as go-yaml v2 reads them without strict mode (Helm's
	 * values files). Marks are not kept up to date for replaced keys.
	 */
	bool allow_duplicates;
};

/*
 * Loads every document of a YAML stream into *docs, a JSON array with one
 * element per document (an empty document is JSON null). name is used in
 * error messages ("values.yaml:3:7: ..."). When marks is not NULL, *marks
 * is a JSON array parallel to *docs: for each document an object mapping
 * a JSON pointer ("/spec/source/repoURL", "" for the root) to [line, col]
 * (1-based) of that node; for a mapping entry the mark is of its key.
 * On error both stay NULL and err says where and what was expected.
 */
int gd_ydoc_load(json_t **docs, json_t **marks, const char *buf, size_t len,
    const char *name, const struct gd_ydoc_limits *, struct gd_err *);

/*
 * Loads a stream that must hold at most one document: *doc is that
 * document, or JSON null for an empty stream. More documents is GD_EINVAL.
 */
int gd_ydoc_load_one(json_t **doc, const char *buf, size_t len,
    const char *name, struct gd_err *);

/* gd_ydoc_load on a file; the file name is used in messages. */
int gd_ydoc_load_file(json_t **docs, json_t **marks, const char *path,
    const struct gd_ydoc_limits *, struct gd_err *);

/*
 * Appends v as sigs.k8s.io/yaml prints it (json.Marshal then go-yaml v2):
 * sorted keys, 2-space indent, lists not indented under their key, go-yaml
 * v2's quoting, literal blocks for multi-line strings, folding of long
 * lines. The text ends with a newline, as yaml.Marshal's does; Helm's
 * toYaml is this text with the trailing newline trimmed.
 */
void gd_ydoc_emit(struct gd_buf *out, const json_t *v);

/*
 * Canonical JSON for comparing objects: sorted keys, no spaces, integers
 * as integers, reals in the shortest form that reads back, a real with an
 * integral value printed as an integer (1.0 and 1 compare equal).
 */
void gd_ydoc_canonical(struct gd_buf *out, const json_t *v);

#endif /* GITOPSD_YDOC_H */
