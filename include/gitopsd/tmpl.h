/* SPDX-License-Identifier: ISC */
/*
 * tmpl: Go's text/template, as Helm runs it.
 *
 * A set holds named templates that share one function table; parsing a
 * text adds its top-level template and its {{define}}s to the set (a later
 * define of a name replaces an earlier one unless it is empty, as in Go).
 * Executing writes into a gd_buf and fails with Go's own message,
 * "template: NAME:LINE:COL: executing \"NAME\" at <NODE>: ...".
 *
 * The value model. Go's templates see reflect.Values; ours are
 * struct gd_tval:
 * - invalid (j and o both NULL): Go's "no value", what a missing key gives
 *   with missingkey=default and what a pipeline yields for a nil
 *   interface. Printed as "<no value>", passed to an interface{}
 *   parameter as nil, to a string one as "invalid value; expected string".
 * - j, a jansson value, for everything that is data. The JSON type carries
 *   the Go type: a string is string, an integer is int (template literal
 *   ints, --set ints, Sprig's int64 results: Go's int and int64 compare
 *   equal), a real is float64 (every YAML number in Helm), true/false is
 *   bool, an object is map[string]interface{}, an array []interface{}.
 *   JSON null is a nil interface{}: a key present as null, or a missing
 *   key under missingkey=zero (Helm's mode).
 *   So "1 and 1.0 differ" is json_integer vs json_real, and eq between
 *   them is Go's "incompatible types for comparison".
 * - o, a host object: anything with fields or methods that is not JSON
 *   (.Capabilities, .Files, semver versions). Its type has a Go type name
 *   for messages, a field/method hook and a printer.
 * iface says the value was read through an interface{} (a map value, a
 * list element): Go names such a value's type "interface {}" in errors
 * ("nil pointer evaluating interface {}.x"); a pipeline clears it.
 *
 * Ownership: a gd_tval owns one reference to j or o; gd_tval_dispose
 * drops it. Functions fill *out with a new reference.
 */
#ifndef GITOPSD_TMPL_H
#define GITOPSD_TMPL_H

#include "gitopsd/core.h"

struct gd_tmpl_obj;

struct gd_tval {
	json_t *j;
	struct gd_tmpl_obj *o;
	bool iface;
};

/*
 * A host object's type. field is asked for a field or a method by name
 * (Go treats both alike in a chain: ".Files.Get \"x\"" calls Get with the
 * chain's arguments, ".Capabilities.KubeVersion" reads a field). It
 * returns GD_ENOTFOUND, without setting err, when the type has no such
 * name; the executor then reports Go's "can't evaluate field". print
 * writes the value as fmt's %v would (a Stringer's String()).
 */
struct gd_tmpl_objtype {
	const char *name; /* Go type name: "*chartutil.Files" */
	int (*field)(struct gd_tval *out, struct gd_tmpl_obj *,
	    const char *name, struct gd_tval *args, size_t nargs,
	    struct gd_err *);
	void (*print)(struct gd_buf *, const struct gd_tmpl_obj *);
	void (*free)(void *data); /* may be NULL */
	/*
	 * The object as data, or NULL: what range iterates over (a Go
	 * slice type with methods, like Helm's VersionSet) and what JSON and
	 * YAML encoders write. A new reference.
	 */
	json_t *(*json)(const struct gd_tmpl_obj *);
};

struct gd_tmpl_obj {
	unsigned refs;
	const struct gd_tmpl_objtype *type;
	void *data;
};

/*
 * A host object inside JSON data (Sprig's dict "ctx" $, a list of them)
 * is a marker: a JSON object with the single key "\u0000gd" holding the
 * object's address. gd_tmpl_obj_json makes one that does not own the
 * object: its maker keeps the object alive as long as the data (Helm's
 * objects live for the whole render). Functions use
 * gd_tmpl_call_obj_json, which keeps it alive until the execution ends.
 */
json_t *gd_tmpl_obj_json(struct gd_tmpl_obj *);
/* The value of a JSON element (borrowed): a marker becomes its object. */
struct gd_tval gd_tval_elem(json_t *);
/* The object a marker stands for, or NULL. */
struct gd_tmpl_obj *gd_tmpl_obj_of(const json_t *);

/* A new object with one reference; data is freed with type->free. */
struct gd_tmpl_obj *gd_tmpl_obj_new(const struct gd_tmpl_objtype *, void *);
void gd_tmpl_obj_unref(struct gd_tmpl_obj *);

/* Takes the reference j (which may be NULL for invalid). */
struct gd_tval gd_tval_json(json_t *j);
/* A new reference to the same value. */
struct gd_tval gd_tval_copy(const struct gd_tval *);
void gd_tval_dispose(struct gd_tval *);
bool gd_tval_is_valid(const struct gd_tval *);
/* Go's truth: false, 0, nil, missing and empty string/list/map are false. */
bool gd_tval_is_true(const struct gd_tval *);
/* Go's type name of v, as %T prints it ("float64", "map[string]...") */
const char *gd_tval_typename(const struct gd_tval *);

/* --- functions ------------------------------------------------------------ */

struct gd_tmpl_call; /* what a running function may ask of the executor */

/*
 * A template function, Go's FuncMap entry. args have been converted to the
 * parameter types of sig (below), so a 's' argument is always a JSON
 * string. On failure return a negative code and set err to the bare
 * message; the executor wraps it as "error calling NAME: MSG".
 */
typedef int (*gd_tmpl_fn)(struct gd_tval *out, struct gd_tmpl_call *,
    struct gd_tval *args, size_t nargs, struct gd_err *err);

/*
 * sig lists the parameter types, one letter each, as Go's reflection sees
 * a function's signature:
 *   v interface{} (anything, nil allowed)   s string   i int   f float64
 *   b bool   m map[string]interface{}   l []interface{}
 *   r reflect.Value (anything, even invalid: the builtins that inspect)
 * A final '*' makes the last letter variadic ("sv*" is (string, ...any)).
 * Untyped constants convert as Go's do: 1 passed to 'f' is 1.0.
 */
struct gd_tmpl_func {
	const char *name;
	gd_tmpl_fn fn;
	const char *sig;
	void *ud;
	unsigned flags; /* GD_TMPL_FN_* */
};

/*
 * What a caller that reuses a template's output for the same dot must
 * know of a function (see gd_tmpl_call_varies). VARIES: two calls with
 * the same arguments may differ or have effects (random, the clock, a
 * map changed in place). PASSDOT: its last argument becomes the dot of a
 * template it runs (include), which is watched in turn, so passing a
 * watched object there is no use of it. Every function that varies must
 * say so, or a cached output would repeat it.
 */
#define GD_TMPL_FN_VARIES  0x1u
#define GD_TMPL_FN_PASSDOT 0x2u

/* The data the function was registered with. */
void *gd_tmpl_call_ud(const struct gd_tmpl_call *);
/* The data the execution was started with (gd_tmpl_execute_ud). */
void *gd_tmpl_call_exec_ud(const struct gd_tmpl_call *);
/*
 * Runs the template called name with data into out, as Helm's include
 * does: the same set, limits and operation budget as the caller.
 */
int gd_tmpl_call_template(struct gd_buf *out, struct gd_tmpl_call *,
    const char *name, const struct gd_tval *data, struct gd_err *);
/*
 * Parses text as a new template called name in a copy of the running set
 * (so its defines do not leak out) and runs it with data: Helm's tpl.
 */
int gd_tmpl_call_tpl(struct gd_buf *out, struct gd_tmpl_call *,
    const char *name, const char *text, const struct gd_tval *data,
    struct gd_err *);
/* A marker for o (see gd_tmpl_obj_json) kept alive by this execution. */
json_t *gd_tmpl_call_obj_json(struct gd_tmpl_call *, struct gd_tmpl_obj *);
/* v as JSON to store in data: JSON as is, an object as a marker, no
 * value as null. A new reference. */
json_t *gd_tmpl_call_to_json(struct gd_tmpl_call *, const struct gd_tval *);
/*
 * Charges n units of work (elements built, bytes copied) to the budget of
 * the running execution, so functions like "until" and "repeat" stop at
 * the limit: GD_ETOOBIG once it is spent.
 */
int gd_tmpl_call_charge(struct gd_tmpl_call *, size_t n, struct gd_err *);
/*
 * A count that grows whenever the running execution did something whose
 * result might differ if done again with the same dot: called a VARIES
 * function, or used a watched object (gd_tmpl_execute_watch) other than
 * through its fields, or read its watched key. A function that runs a
 * template (include) and finds the count unchanged afterwards may reuse
 * that output for the same template and dot.
 */
size_t gd_tmpl_call_varies(const struct gd_tmpl_call *);

/* --- sets ---------------------------------------------------------------- */

enum gd_tmpl_missingkey {
	GD_TMPL_MISSING_INVALID = 0, /* Go's default: "<no value>" */
	GD_TMPL_MISSING_ZERO, /* Helm: a missing key reads as nil */
	GD_TMPL_MISSING_ERROR, /* Helm --strict */
};

/* What one execution may cost; zero fields take the defaults. */
struct gd_tmpl_limits {
	size_t max_depth; /* nested template calls; default 1000 */
	size_t max_output; /* bytes written, all buffers; default 64 MiB */
	size_t max_ops; /* nodes walked + iterations; default 50 million */
	size_t max_nesting; /* parser nesting; default 1000 */
};

struct gd_tmpl_set;

/* name is the set's own name, used by "no template ... associated". */
struct gd_tmpl_set *gd_tmpl_set_new(
    const char *name, const struct gd_tmpl_limits *);
void gd_tmpl_set_free(struct gd_tmpl_set *);
/*
 * Adds a function table ending with a NULL name (Go's Funcs): a name
 * already there, builtin or added, is replaced. tab must outlive the set.
 */
void gd_tmpl_set_funcs(struct gd_tmpl_set *, const struct gd_tmpl_func *);
void gd_tmpl_set_missingkey(struct gd_tmpl_set *, enum gd_tmpl_missingkey);
/*
 * Parses text as the template name (t.New(name).Parse(text)): errors read
 * "template: NAME:LINE: MSG", as Go's parse errors do.
 */
int gd_tmpl_parse(struct gd_tmpl_set *, const char *name, const char *text,
    size_t len, struct gd_err *);
bool gd_tmpl_has(const struct gd_tmpl_set *, const char *name);
/*
 * Whether any template of the set calls one of the functions named
 * (a NULL-terminated list): what a caller asks before it lets runs share
 * data that some functions change in place.
 */
bool gd_tmpl_set_calls(const struct gd_tmpl_set *, const char *const *names);
/* Runs template name with data, appending to out (ExecuteTemplate). */
int gd_tmpl_execute(struct gd_buf *out, struct gd_tmpl_set *, const char *name,
    const struct gd_tval *data, struct gd_err *);
/*
 * The same, with ud for the functions (gd_tmpl_call_exec_ud): per-run
 * state, so one parsed set can serve many runs.
 */
int gd_tmpl_execute_ud(struct gd_buf *out, struct gd_tmpl_set *,
    const char *name, const struct gd_tval *data, void *ud, struct gd_err *);
/*
 * The same, with limits for this run only (NULL: the set's). Running only
 * reads the set, so once parsing is over, any number of threads may run
 * one set at the same time (each with its own out, data and ud).
 */
int gd_tmpl_execute_lim(struct gd_buf *out, const struct gd_tmpl_set *,
    const char *name, const struct gd_tval *data, void *ud,
    const struct gd_tmpl_limits *, struct gd_err *);
/*
 * Objects of data whose key changes between runs that share them (Helm's
 * top objects, whose .Template is each file's): reading that key or
 * using the object whole (printed, ranged, passed to a function that is
 * not PASSDOT) counts in gd_tmpl_call_varies.
 */
struct gd_tmpl_watch {
	const json_t *const *objs; /* maps (JSON objects) only */
	size_t nobjs;
	const char *key;
};
/* gd_tmpl_execute_lim with watch (may be NULL). */
int gd_tmpl_execute_watch(struct gd_buf *out, const struct gd_tmpl_set *,
    const char *name, const struct gd_tval *data, void *ud,
    const struct gd_tmpl_limits *, const struct gd_tmpl_watch *,
    struct gd_err *);
/* Replaces the limits (zero fields take the defaults). */
void gd_tmpl_set_limits(struct gd_tmpl_set *, const struct gd_tmpl_limits *);

/* --- printing, for functions that format like Go ---------------------- */

/* fmt.Sprint of one value: what {{ v }} prints. */
void gd_tmpl_fmt_value(struct gd_buf *, const struct gd_tval *);
/* fmt.Sprintf(format, args...), with Go's %!verb(type=value) errors. */
void gd_tmpl_fmt_printf(struct gd_buf *, const char *format, size_t flen,
    const struct gd_tval *args, size_t nargs);
/* strconv.FormatFloat(f, 'g', -1, 64): 1e+06, 3.14, 1e-05. */
void gd_tmpl_fmt_float(struct gd_buf *, double);

#endif /* GITOPSD_TMPL_H */
