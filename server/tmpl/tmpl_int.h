/* SPDX-License-Identifier: ISC */
/*
 * Private to server/tmpl: tokens, the parse tree, the set's insides and
 * the executor state, shared by lex.c, parse.c, exec.c, funcs.c, fmt.c.
 */
#ifndef GITOPSD_TMPL_INT_H
#define GITOPSD_TMPL_INT_H

#include "gitopsd/tmpl.h"

/* --- tokens (Go's itemType, in its order: keywords after ITEM_KEYWORD) */

enum tmpl_item_type {
	ITEM_ERROR,
	ITEM_BOOL,
	ITEM_CHAR,
	ITEM_CHARCONST,
	ITEM_COMMENT,
	ITEM_COMPLEX,
	ITEM_ASSIGN,
	ITEM_DECLARE,
	ITEM_EOF,
	ITEM_FIELD,
	ITEM_IDENT,
	ITEM_LEFT_DELIM,
	ITEM_LEFT_PAREN,
	ITEM_NUMBER,
	ITEM_PIPE,
	ITEM_RAW_STRING,
	ITEM_RIGHT_DELIM,
	ITEM_RIGHT_PAREN,
	ITEM_SPACE,
	ITEM_STRING,
	ITEM_TEXT,
	ITEM_VARIABLE,
	ITEM_KEYWORD,
	ITEM_BLOCK,
	ITEM_BREAK,
	ITEM_CONTINUE,
	ITEM_DOT,
	ITEM_DEFINE,
	ITEM_ELSE,
	ITEM_END,
	ITEM_IF,
	ITEM_NIL,
	ITEM_RANGE,
	ITEM_TEMPLATE,
	ITEM_WITH,
};

struct tmpl_item {
	enum tmpl_item_type type;
	size_t pos; /* byte offset in the text */
	const char *val; /* into the text, or msg for ITEM_ERROR */
	size_t len;
	int line;
};

struct tmpl_items {
	struct tmpl_item *v;
	size_t n, cap;
	char *errmsg; /* owned; val of the final ITEM_ERROR */
};

/* Tokenizes the whole text; ends with ITEM_EOF or ITEM_ERROR. */
void tmpl_lex(struct tmpl_items *, const char *text, size_t len);
void tmpl_items_dispose(struct tmpl_items *);
/* Go's item.String(): EOF, <if>, "text", "long text"... */
void tmpl_item_string(struct gd_buf *, const struct tmpl_item *);

/* --- parse tree ----------------------------------------------------------- */

enum tmpl_node_type {
	NODE_TEXT,
	NODE_ACTION,
	NODE_BOOL,
	NODE_CHAIN,
	NODE_COMMAND,
	NODE_DOT,
	NODE_ELSE,
	NODE_END,
	NODE_FIELD,
	NODE_IDENT,
	NODE_IF,
	NODE_LIST,
	NODE_NIL,
	NODE_NUMBER,
	NODE_PIPE,
	NODE_RANGE,
	NODE_STRING,
	NODE_TEMPLATE,
	NODE_VARIABLE,
	NODE_WITH,
	NODE_COMMENT,
	NODE_BREAK,
	NODE_CONTINUE,
};

struct tmpl_node;

struct tmpl_nodes {
	struct tmpl_node **v;
	size_t n, cap;
};

struct tmpl_node {
	enum tmpl_node_type type;
	size_t pos;
	int line;
	struct tmpl_text *src; /* for error positions; not owned */
	/*
	 * TEXT: str. STRING: str (value), quoted (source). IDENT: str.
	 * FIELD, VARIABLE: idents ("$x" first for a variable). CHAIN: node +
	 * idents. NUMBER: quoted (source) + the flags. BOOL: b.
	 */
	char *str;
	size_t slen;
	char *quoted;
	char **idents;
	size_t nidents;
	bool b;
	/*
	 * IDENT: the function the parser found, valid for sets whose gen is
	 * fn_gen (the set it was parsed in and its tpl copies). Never
	 * changed after the parse: a parsed tree is read by many threads.
	 */
	const struct gd_tmpl_func *fn;
	bool fn_builtin;
	unsigned long fn_gen;
	/* NUMBER */
	bool is_int, is_float, is_uint;
	int64_t i64;
	double f64;
	/*
	 * The constant as JSON, made once at parse time and shared by every
	 * run (a reference each): STRING jstr, NUMBER jint (is_int) and
	 * jreal (is_float).
	 */
	json_t *jstr, *jint, *jreal;
	/* LIST: kids. COMMAND: kids (args). PIPE: kids (commands) + decl. */
	struct tmpl_nodes kids;
	struct tmpl_nodes decl;
	bool is_assign;
	/* ACTION: pipe. IF/RANGE/WITH: pipe, list, elselist. TEMPLATE:
	 * str (name), pipe (may be NULL). CHAIN: node. */
	struct tmpl_node *pipe;
	struct tmpl_node *list;
	struct tmpl_node *elselist;
	struct tmpl_node *node;
};

/*
 * The text a tree came from, shared by its trees. Refcounts of texts and
 * trees are atomic: a tpl copy of a set shares its trees, on any thread.
 */
struct tmpl_text {
	unsigned refs;
	char *parse_name;
	char *text;
	size_t len;
};

struct tmpl_tree {
	unsigned refs;
	char *name;
	struct tmpl_text *src;
	struct tmpl_node *root; /* NODE_LIST */
};

void tmpl_node_free(struct tmpl_node *);
/* Go's Node.String(), for error contexts. */
void tmpl_node_string(struct gd_buf *, const struct tmpl_node *);
bool tmpl_tree_is_empty(const struct tmpl_node *);
void tmpl_tree_unref(struct tmpl_tree *);
void tmpl_tree_ref(struct tmpl_tree *);
void tmpl_text_unref(struct tmpl_text *);

/* --- sets ------------------------------------------------------------------
 */

struct tmpl_entry {
	char *name;
	struct tmpl_tree *tree;
};

struct gd_tmpl_set {
	char *name;
	struct tmpl_entry *v;
	size_t n, cap;
	const struct gd_tmpl_func **tabs; /* searched last to first */
	size_t ntabs;
	enum gd_tmpl_missingkey missingkey;
	struct gd_tmpl_limits lim;
	unsigned long gen; /* unique to this set and its tables */
};

/* lim (NULL for none) with the defaults for its zero fields. */
void tmpl_limits_fill(
    struct gd_tmpl_limits *out, const struct gd_tmpl_limits *lim);

/* A number no set has had: a set's function tables changed. */
unsigned long tmpl_set_next_gen(void);

/* The template of that name, NULL if none. */
struct tmpl_tree *tmpl_set_lookup(const struct gd_tmpl_set *, const char *);
/* The function of that name: the set's tables, then the builtins. */
const struct gd_tmpl_func *tmpl_set_func(
    const struct gd_tmpl_set *, const char *, bool *builtin);
/* Parses text into the set (parse.c). */
int tmpl_parse(struct gd_tmpl_set *, const char *name, const char *text,
    size_t len, struct gd_err *);
/* A copy sharing the trees, for tpl. */
struct gd_tmpl_set *tmpl_set_clone(const struct gd_tmpl_set *);
/* Adds tree under its name, keeping a non-empty old one over an empty. */
void tmpl_set_associate(struct gd_tmpl_set *, struct tmpl_tree *);

/* --- builtins (funcs.c) --------------------------------------------------- */

extern const struct gd_tmpl_func tmpl_builtins[];
/* Go's fmtsort order of a map's keys: a sorted array of borrowed keys. */
const char **tmpl_sorted_keys(const json_t *obj, size_t *n);

/* gd_buf_init, with data never NULL: results go to json_stringn. */
void tmpl_buf_init(struct gd_buf *);

/* --- fmt.c -----------------------------------------------------------------
 */

/* fmt.Sprint / fmt.Sprintln semantics over a list of values. */
void tmpl_fmt_sprint(struct gd_buf *, const struct gd_tval *, size_t n);
void tmpl_fmt_sprintln(struct gd_buf *, const struct gd_tval *, size_t n);
/* strconv.Quote. */
void tmpl_fmt_quote(struct gd_buf *, const char *, size_t);
/* fmt.Sprintf's %v (or %s, %d...) of one value, no flags. */
void tmpl_fmt_verb(struct gd_buf *, const struct gd_tval *, char verb);

#endif /* GITOPSD_TMPL_INT_H */
