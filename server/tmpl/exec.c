/* SPDX-License-Identifier: ISC */
/*
 * The executor: Go's text/template/exec.go over struct gd_tval.
 *
 * Go evaluates with reflection and reports errors by panicking; here each
 * step returns an int and owns the references it makes, so every path
 * disposes what it built. The hard part is reproducing where Go's
 * reflection draws its lines, because users see them as errors: a value
 * read out of a map is an interface{} until a pipeline unwraps it (which
 * is why a null key prints "<no value>" and why ".a.b" through a null "a"
 * is "nil pointer evaluating interface {}.b"); the final value of a
 * pipeline is checked against the next function's parameter type
 * ("invalid value; expected string"); untyped constants take the type of
 * the parameter they land in; and and/or short-circuit. Budgets (depth,
 * output bytes, operations) are shared by a whole execution, include and
 * tpl calls too, so no template can run away.
 *
 * A run only reads the set and its trees (functions were found at parse
 * time, constants made then, limits travel with the budget), so threads
 * may run one parsed set at once; what a run changes is its own.
 */
#include <stdio.h>
#include <string.h>

#include "tmpl_int.h"

#define EXEC_BREAK    1
#define EXEC_CONTINUE 2
#define CALL_MAGIC    0x746d706cU

struct exec_budget {
	struct gd_tmpl_limits lim; /* this run's, defaults filled in */
	size_t ops;
	size_t output;
	struct gd_tmpl_obj **keep; /* objects behind markers functions made */
	size_t nkeep;
	const struct gd_tmpl_watch *watch; /* NULL: nothing watched */
	size_t varies; /* see gd_tmpl_call_varies */
};

struct exec_var {
	const char *name;
	struct gd_tval v;
};

#define EXEC_SMALL_VARS 8

struct exec_state {
	const struct gd_tmpl_set *set;
	struct tmpl_tree *tmpl;
	struct gd_buf *wr;
	const struct tmpl_node *node;
	struct exec_var *vars; /* small, or on the heap past it */
	size_t nvars, capvars;
	struct exec_var small[EXEC_SMALL_VARS];
	size_t depth;
	struct exec_budget *budget;
	struct gd_err *err;
	void *ud; /* gd_tmpl_execute_ud's */
};

struct gd_tmpl_call {
	unsigned magic;
	struct exec_state *st;
	const struct gd_tmpl_func *fn;
};

/* Whether v is one of the watched objects (gd_tmpl_execute_watch). */
static bool
exec_watched(const struct exec_state *st, const json_t *v)
{
	const struct gd_tmpl_watch *w = st->budget->watch;
	size_t i;

	/* what is watched is a map, and most values are not */
	if (w == NULL || !json_is_object(v))
		return false;
	for (i = 0; i < w->nobjs; i++)
		if (w->objs[i] == v)
			return true;
	return false;
}

/* v used whole (printed, ranged, passed): counts if it is watched. */
static void
exec_watch_use(const struct exec_state *st, const struct gd_tval *v)
{
	if (exec_watched(st, v->j))
		st->budget->varies++;
}

/* recv.name read: counts if recv is watched and name is its key. */
static void
exec_watch_field(
    const struct exec_state *st, const json_t *recv, const char *name)
{
	if (exec_watched(st, recv) && strcmp(name, st->budget->watch->key) == 0)
		st->budget->varies++;
}

/* --- values ------------------------------------------------------------- */

struct gd_tmpl_obj *
gd_tmpl_obj_new(const struct gd_tmpl_objtype *type, void *data)
{
	struct gd_tmpl_obj *o = xcalloc(1, sizeof(*o));

	o->refs = 1;
	o->type = type;
	o->data = data;
	return o;
}

void
gd_tmpl_obj_unref(struct gd_tmpl_obj *o)
{
	if (o == NULL || --o->refs > 0)
		return;
	if (o->type->free != NULL)
		o->type->free(o->data);
	free(o);
}

#define OBJ_KEY     "\0gd"
#define OBJ_KEY_LEN 3

json_t *
gd_tmpl_obj_json(struct gd_tmpl_obj *o)
{
	json_t *m = json_object();

	json_object_setn_new(
	    m, OBJ_KEY, OBJ_KEY_LEN, json_integer((json_int_t)(uintptr_t)o));
	return m;
}

struct gd_tmpl_obj *
gd_tmpl_obj_of(const json_t *j)
{
	json_t *p;

	if (!json_is_object(j) || json_object_size(j) != 1)
		return NULL;
	p = json_object_getn(j, OBJ_KEY, OBJ_KEY_LEN);
	return p != NULL ?
	    (struct gd_tmpl_obj *)(uintptr_t)json_integer_value(p) :
	    NULL;
}

struct gd_tval
gd_tval_elem(json_t *j)
{
	struct gd_tval v = { 0 };

	if ((v.o = gd_tmpl_obj_of(j)) != NULL)
		v.o->refs++;
	else
		v.j = json_incref(j);
	v.iface = true;
	return v;
}

struct gd_tval
gd_tval_json(json_t *j)
{
	struct gd_tval v = { .j = j };

	return v;
}

struct gd_tval
gd_tval_copy(const struct gd_tval *v)
{
	struct gd_tval c = *v;

	json_incref(c.j);
	if (c.o != NULL)
		c.o->refs++;
	return c;
}

void
gd_tval_dispose(struct gd_tval *v)
{
	json_decref(v->j);
	gd_tmpl_obj_unref(v->o);
	v->j = NULL;
	v->o = NULL;
	v->iface = false;
}

bool
gd_tval_is_valid(const struct gd_tval *v)
{
	return v->j != NULL || v->o != NULL;
}

bool
gd_tval_is_true(const struct gd_tval *v)
{
	if (v->o != NULL)
		return true;
	if (v->j == NULL)
		return false;
	switch (json_typeof(v->j)) {
	case JSON_OBJECT:
		return json_object_size(v->j) > 0;
	case JSON_ARRAY:
		return json_array_size(v->j) > 0;
	case JSON_STRING:
		return json_string_length(v->j) > 0;
	case JSON_INTEGER:
		return json_integer_value(v->j) != 0;
	case JSON_REAL:
		return json_real_value(v->j) != 0;
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

const char *
gd_tval_typename(const struct gd_tval *v)
{
	if (v->o != NULL)
		return v->o->type->name;
	if (v->j == NULL)
		return "<nil>";
	switch (json_typeof(v->j)) {
	case JSON_OBJECT:
		return "map[string]interface {}";
	case JSON_ARRAY:
		return "[]interface {}";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "interface {}";
	}
}

/* The static type Go would name: a value read from a map is interface{}. */
static const char *
exec_static_type(const struct gd_tval *v)
{
	if (v->iface || (v->j != NULL && json_is_null(v->j)))
		return "interface {}";
	return gd_tval_typename(v);
}

/* --- errors and budget -------------------------------------------------- */

static int exec_errorf(struct exec_state *, const char *, ...) GD_PRINTF(2, 3);

static int
exec_errorf(struct exec_state *st, const char *fmt, ...)
{
	struct gd_buf ctx;
	const struct tmpl_text *src;
	char msg[256];
	size_t pos, i, col = 0;
	int line = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st->node == NULL) {
		return gd_err_set(st->err, GD_EINVAL, "template: %s: %s",
		    st->tmpl->name, msg);
	}
	src = st->node->src;
	pos = st->node->pos;
	for (i = 0; i < pos && i < src->len; i++) {
		if (src->text[i] == '\n') {
			line++;
			col = 0;
		} else
			col++;
	}
	tmpl_buf_init(&ctx);
	tmpl_node_string(&ctx, st->node);
	gd_err_set(st->err, GD_EINVAL,
	    "template: %s:%d:%zu: executing \"%s\" at <%s>: %s",
	    src->parse_name, line, col, st->tmpl->name, ctx.data, msg);
	gd_buf_dispose(&ctx);
	return GD_EINVAL;
}

static int
exec_charge(struct exec_state *st, size_t n)
{
	st->budget->ops += n;
	if (st->budget->ops > st->budget->lim.max_ops) {
		exec_errorf(st, "exceeded the limit of %zu operations",
		    st->budget->lim.max_ops);
		st->err->code = GD_ETOOBIG;
		return GD_ETOOBIG;
	}
	return 0;
}

/* Charges n bytes of output to the budget. */
static int
exec_output(struct exec_state *st, size_t n)
{
	st->budget->output += n;
	if (st->budget->output > st->budget->lim.max_output) {
		exec_errorf(st, "output exceeds the limit of %zu bytes",
		    st->budget->lim.max_output);
		st->err->code = GD_ETOOBIG;
		return GD_ETOOBIG;
	}
	return 0;
}

static int
exec_write(struct exec_state *st, const char *s, size_t n)
{
	int rc;

	if ((rc = exec_output(st, n)) < 0)
		return rc;
	gd_buf_add(st->wr, s, n);
	return 0;
}

/* --- variables ---------------------------------------------------------- */

static void
exec_push(struct exec_state *st, const char *name, struct gd_tval v)
{
	struct exec_var *heap;

	if (st->vars == NULL) {
		st->vars = st->small;
		st->capvars = EXEC_SMALL_VARS;
	}
	if (st->nvars == st->capvars) {
		st->capvars *= 2;
		if (st->vars == st->small) {
			heap = xreallocarray(NULL, st->capvars, sizeof(*heap));
			memcpy(heap, st->small, sizeof(st->small));
			st->vars = heap;
		} else
			st->vars = xreallocarray(
			    st->vars, st->capvars, sizeof(*st->vars));
	}
	st->vars[st->nvars].name = name;
	st->vars[st->nvars].v = v;
	st->nvars++;
}

static void
exec_pop(struct exec_state *st, size_t mark)
{
	while (st->nvars > mark)
		gd_tval_dispose(&st->vars[--st->nvars].v);
}

static int
exec_var_value(struct exec_state *st, const char *name, struct gd_tval *out)
{
	size_t i;

	for (i = st->nvars; i-- > 0;) {
		if (strcmp(st->vars[i].name, name) == 0) {
			*out = gd_tval_copy(&st->vars[i].v);
			return 0;
		}
	}
	return exec_errorf(st, "undefined variable: %s", name);
}

/* --- evaluation ---------------------------------------------------------- */

static int eval_pipeline(struct exec_state *, const struct gd_tval *dot,
    const struct tmpl_node *pipe, struct gd_tval *out);
static int eval_arg(struct exec_state *, const struct gd_tval *dot, char typ,
    const struct tmpl_node *n, struct gd_tval *out);
static int walk(
    struct exec_state *, const struct gd_tval *dot, const struct tmpl_node *n);

static const char *
exec_typename_of(char t)
{
	switch (t) {
	case 's':
		return "string";
	case 'i':
		return "int";
	case 'f':
		return "float64";
	case 'b':
		return "bool";
	case 'm':
		return "map[string]interface {}";
	case 'l':
		return "[]interface {}";
	case 'r':
		return "reflect.Value";
	default:
		return "interface {}";
	}
}

static bool
exec_type_ok(const struct gd_tval *v, char t)
{
	if (v->o != NULL)
		return t == 'v' || t == 'r';
	switch (t) {
	case 's':
		return json_is_string(v->j);
	case 'i':
		return json_is_integer(v->j);
	case 'f':
		return json_is_real(v->j);
	case 'b':
		return json_is_boolean(v->j);
	case 'm':
		return json_is_object(v->j);
	case 'l':
		return json_is_array(v->j);
	default:
		return true;
	}
}

/* Go's validateType: v is consumed and, on success, moved to *out. */
static int
exec_validate(
    struct exec_state *st, struct gd_tval *v, char t, struct gd_tval *out)
{
	if (!gd_tval_is_valid(v)) {
		switch (t) {
		case 'v':
		case 'm':
		case 'l':
			*out = gd_tval_json(json_null());
			out->iface = true;
			return 0;
		case 'r':
			*out = *v;
			return 0;
		default:
			return exec_errorf(st, "invalid value; expected %s",
			    exec_typename_of(t));
		}
	}
	if (!exec_type_ok(v, t)) {
		const char *got =
		    json_is_null(v->j) ? "interface {}" : gd_tval_typename(v);

		exec_errorf(st, "wrong type for value; expected %s; got %s",
		    exec_typename_of(t), got);
		gd_tval_dispose(v);
		return GD_EINVAL;
	}
	*out = *v;
	memset(v, 0, sizeof(*v));
	return 0;
}

/* Go's idealConstant: what a bare number literal is. */
static int
exec_ideal_constant(
    struct exec_state *st, const struct tmpl_node *n, struct gd_tval *out)
{
	const char *t = n->quoted;
	bool hex = strlen(t) > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');

	st->node = n;
	if (n->is_float && !hex && t[0] != '\'' && strpbrk(t, ".eEpP")) {
		*out = gd_tval_json(json_incref(n->jreal));
		return 0;
	}
	if (n->is_int) {
		*out = gd_tval_json(json_incref(n->jint));
		return 0;
	}
	if (n->is_uint)
		return exec_errorf(st, "%s overflows int", t);
	*out = gd_tval_json(NULL);
	return 0;
}

static int
exec_not_a_function(struct exec_state *st, const struct tmpl_node *cmd,
    size_t nargs, const struct gd_tval *final)
{
	struct gd_buf b;
	int rc;

	if (nargs <= 1 && final == NULL)
		return 0;
	tmpl_buf_init(&b);
	tmpl_node_string(&b, cmd->kids.v[0]);
	rc = exec_errorf(st, "can't give argument to non-function %s", b.data);
	gd_buf_dispose(&b);
	return rc;
}

static int eval_call(struct exec_state *, const struct gd_tval *dot,
    const struct gd_tmpl_func *fn, bool builtin, const struct tmpl_node *node,
    const char *name, struct tmpl_node *const *args, size_t nargs,
    const struct gd_tval *final, struct gd_tval *out);

/*
 * One field of a chain: a method or field of a host object, a key of a
 * map. receiver is borrowed; args (the command's words, args[0] being the
 * field itself) and final only reach host methods.
 */
static int
eval_field(struct exec_state *st, const struct gd_tval *dot, const char *name,
    const struct tmpl_node *node, struct tmpl_node *const *args, size_t nargs,
    const struct gd_tval *final, const struct gd_tval *recv,
    struct gd_tval *out)
{
	bool has_args = nargs > 1 || final != NULL;
	json_t *e;
	int rc;

	st->node = node;
	if (!gd_tval_is_valid(recv)) {
		if (st->set->missingkey == GD_TMPL_MISSING_ERROR)
			return exec_errorf(
			    st, "nil data; no entry for key \"%s\"", name);
		*out = gd_tval_json(NULL);
		return 0;
	}
	if (recv->o != NULL) {
		struct gd_tval *av = NULL;
		size_t n = 0, i;
		struct gd_err ferr = { 0 };

		av = xcalloc(nargs + 1, sizeof(*av));
		for (i = 1; i < nargs; i++) {
			if ((rc = eval_arg(st, dot, 'v', args[i], &av[n])) < 0)
				goto obj_out;
			n++;
		}
		if (final != NULL)
			av[n++] = gd_tval_copy(final);
		rc = recv->o->type->field(out, recv->o, name, av, n, &ferr);
		st->node = node;
		if (rc == GD_ENOTFOUND)
			rc = exec_errorf(st,
			    "can't evaluate field %s in type %s", name,
			    recv->o->type->name);
		else if (rc < 0)
			rc = exec_errorf(
			    st, "error calling %s: %s", name, ferr.msg);
obj_out:
		for (i = 0; i < n; i++)
			gd_tval_dispose(&av[i]);
		free(av);
		return rc;
	}
	if (json_is_null(recv->j))
		return exec_errorf(st, "nil pointer evaluating %s.%s",
		    exec_static_type(recv), name);
	if (!json_is_object(recv->j))
		return exec_errorf(st, "can't evaluate field %s in type %s",
		    name, exec_static_type(recv));
	if (has_args)
		return exec_errorf(
		    st, "%s is not a method but has arguments", name);
	exec_watch_field(st, recv->j, name);
	e = json_object_get(recv->j, name);
	if (e != NULL) {
		*out = gd_tval_elem(e);
		return 0;
	}
	switch (st->set->missingkey) {
	case GD_TMPL_MISSING_ZERO:
		*out = gd_tval_json(json_null());
		out->iface = true;
		return 0;
	case GD_TMPL_MISSING_ERROR:
		return exec_errorf(st, "map has no entry for key \"%s\"", name);
	default:
		*out = gd_tval_json(NULL);
		return 0;
	}
}

/*
 * recv is consumed if owned, else borrowed (dot, alive for the call). On
 * the way, a map's value is looked at without a reference of its own:
 * the map, held by recv or by the last value a field gave, keeps it.
 */
static int
eval_field_chain(struct exec_state *st, const struct gd_tval *dot,
    const struct gd_tval *recv, bool owned, const struct tmpl_node *node,
    char *const *idents, size_t n, struct tmpl_node *const *args, size_t nargs,
    const struct gd_tval *final, struct gd_tval *out)
{
	struct gd_tval hold = { 0 }, cur = *recv, next;
	json_t *e;
	size_t i;
	int rc = 0;

	if (owned)
		hold = *recv;
	for (i = 0; i + 1 < n; i++) {
		if (cur.o == NULL && json_is_object(cur.j) &&
		    (e = json_object_get(cur.j, idents[i])) != NULL &&
		    gd_tmpl_obj_of(e) == NULL) {
			exec_watch_field(st, cur.j, idents[i]);
			st->node = node;
			cur.j = e;
			cur.iface = true;
			continue;
		}
		memset(&next, 0, sizeof(next));
		rc = eval_field(
		    st, dot, idents[i], node, NULL, 0, NULL, &cur, &next);
		gd_tval_dispose(&hold);
		if (rc < 0)
			return rc;
		hold = cur = next;
	}
	rc = eval_field(
	    st, dot, idents[n - 1], node, args, nargs, final, &cur, out);
	gd_tval_dispose(&hold);
	return rc;
}

static int
eval_field_node(struct exec_state *st, const struct gd_tval *dot,
    const struct tmpl_node *field, struct tmpl_node *const *args, size_t nargs,
    const struct gd_tval *final, struct gd_tval *out)
{
	st->node = field;
	return eval_field_chain(st, dot, dot, false, field, field->idents,
	    field->nidents, args, nargs, final, out);
}

static int
eval_chain_node(struct exec_state *st, const struct gd_tval *dot,
    const struct tmpl_node *chain, struct tmpl_node *const *args, size_t nargs,
    const struct gd_tval *final, struct gd_tval *out)
{
	struct gd_tval recv = { 0 };
	int rc;

	st->node = chain;
	if (chain->node->type == NODE_NIL) {
		struct gd_buf b;

		tmpl_buf_init(&b);
		tmpl_node_string(&b, chain);
		rc = exec_errorf(
		    st, "indirection through explicit nil in %s", b.data);
		gd_buf_dispose(&b);
		return rc;
	}
	if ((rc = eval_arg(st, dot, 'r', chain->node, &recv)) < 0)
		return rc;
	return eval_field_chain(st, dot, &recv, true, chain, chain->idents,
	    chain->nidents, args, nargs, final, out);
}

static int
eval_variable_node(struct exec_state *st, const struct gd_tval *dot,
    const struct tmpl_node *var, const struct tmpl_node *cmd,
    struct tmpl_node *const *args, size_t nargs, const struct gd_tval *final,
    struct gd_tval *out)
{
	struct gd_tval v = { 0 };
	int rc;

	st->node = var;
	if ((rc = exec_var_value(st, var->idents[0], &v)) < 0)
		return rc;
	if (var->nidents == 1) {
		if (cmd != NULL &&
		    (rc = exec_not_a_function(st, cmd, nargs, final)) < 0) {
			gd_tval_dispose(&v);
			return rc;
		}
		*out = v;
		return 0;
	}
	return eval_field_chain(st, dot, &v, true, var, var->idents + 1,
	    var->nidents - 1, args, nargs, final, out);
}

static int
eval_function(struct exec_state *st, const struct gd_tval *dot,
    const struct tmpl_node *ident, const struct tmpl_node *cmd,
    struct tmpl_node *const *args, size_t nargs, const struct gd_tval *final,
    struct gd_tval *out)
{
	const struct gd_tmpl_func *fn;
	bool builtin;

	st->node = ident;
	/* found at parse time, unless the set's functions changed since */
	if (ident->fn_gen == st->set->gen) {
		fn = ident->fn;
		builtin = ident->fn_builtin;
	} else
		fn = tmpl_set_func(st->set, ident->str, &builtin);
	if (fn == NULL)
		return exec_errorf(
		    st, "\"%s\" is not a defined function", ident->str);
	return eval_call(
	    st, dot, fn, builtin, cmd, ident->str, args, nargs, final, out);
}

/* Go's evalArg: n evaluated for a parameter of type typ. */
static int
eval_arg(struct exec_state *st, const struct gd_tval *dot, char typ,
    const struct tmpl_node *n, struct gd_tval *out)
{
	struct gd_tval v = { 0 };
	struct gd_buf b;
	int rc;

	st->node = n;
	memset(out, 0, sizeof(*out));
	switch (n->type) {
	case NODE_DOT:
		v = gd_tval_copy(dot);
		return exec_validate(st, &v, typ, out);
	case NODE_NIL:
		if (typ == 'r') {
			return 0;
		}
		if (typ == 'v' || typ == 'm' || typ == 'l') {
			*out = gd_tval_json(json_null());
			out->iface = true;
			return 0;
		}
		return exec_errorf(
		    st, "cannot assign nil to %s", exec_typename_of(typ));
	case NODE_FIELD:
		rc = eval_field_node(
		    st, dot, n, (struct tmpl_node *const *)&n, 1, NULL, &v);
		break;
	case NODE_VARIABLE:
		rc = eval_variable_node(st, dot, n, NULL, NULL, 0, NULL, &v);
		break;
	case NODE_PIPE:
		rc = eval_pipeline(st, dot, n, &v);
		break;
	case NODE_IDENT:
		rc = eval_function(st, dot, n, n, NULL, 0, NULL, &v);
		break;
	case NODE_CHAIN:
		rc = eval_chain_node(st, dot, n, NULL, 0, NULL, &v);
		break;
	default:
		goto literal;
	}
	if (rc < 0)
		return rc;
	return exec_validate(st, &v, typ, out);
literal:
	switch (typ) {
	case 'b':
		if (n->type == NODE_BOOL) {
			*out = gd_tval_json(json_boolean(n->b));
			return 0;
		}
		break;
	case 'f':
		if (n->type == NODE_NUMBER && n->is_float) {
			*out = gd_tval_json(json_incref(n->jreal));
			return 0;
		}
		break;
	case 'i':
		if (n->type == NODE_NUMBER && n->is_int) {
			*out = gd_tval_json(json_incref(n->jint));
			return 0;
		}
		break;
	case 's':
		if (n->type == NODE_STRING) {
			*out = gd_tval_json(json_incref(n->jstr));
			return 0;
		}
		break;
	case 'v':
	case 'r':
		switch (n->type) {
		case NODE_BOOL:
			*out = gd_tval_json(json_boolean(n->b));
			return 0;
		case NODE_NUMBER:
			return exec_ideal_constant(st, n, out);
		case NODE_STRING:
			*out = gd_tval_json(json_incref(n->jstr));
			return 0;
		default:
			break;
		}
		break;
	default:
		break;
	}
	tmpl_buf_init(&b);
	tmpl_node_string(&b, n);
	switch (typ) {
	case 'b':
		rc = exec_errorf(st, "expected bool; found %s", b.data);
		break;
	case 'f':
		rc = exec_errorf(st, "expected float; found %s", b.data);
		break;
	case 'i':
		rc = exec_errorf(st, "expected integer; found %s", b.data);
		break;
	case 's':
		rc = exec_errorf(st, "expected string; found %s", b.data);
		break;
	default:
		rc = exec_errorf(st, "can't handle %s for arg of type %s",
		    b.data, exec_typename_of(typ));
	}
	gd_buf_dispose(&b);
	return rc;
}

/*
 * Parameter type of argument i of a function with signature sig, which
 * has n letters (its '*' not counted) and is variadic or not.
 */
static char
exec_param(const char *sig, size_t n, bool variadic, size_t i)
{
	if (variadic && i >= n - 1)
		return sig[n - 1];
	return i < n ? sig[i] : 'v';
}

static int
eval_and_or(struct exec_state *st, const struct gd_tval *dot, const char *name,
    struct tmpl_node *const *args, size_t nargs, const struct gd_tval *final,
    struct gd_tval *out)
{
	bool is_or = name[0] == 'o';
	struct gd_tval v = { 0 };
	struct gd_tval fv;
	size_t i;
	int rc;

	for (i = 0; i < nargs; i++) {
		gd_tval_dispose(&v);
		if ((rc = eval_arg(st, dot, 'r', args[i], &v)) < 0)
			return rc;
		if (gd_tval_is_true(&v) == is_or) {
			*out = v;
			return 0;
		}
	}
	if (final != NULL) {
		gd_tval_dispose(&v);
		fv = gd_tval_copy(final);
		return exec_validate(st, &fv, 'r', out);
	}
	*out = v;
	return 0;
}

static int
eval_call(struct exec_state *st, const struct gd_tval *dot,
    const struct gd_tmpl_func *fn, bool builtin, const struct tmpl_node *node,
    const char *name, struct tmpl_node *const *args, size_t nargs,
    const struct gd_tval *final, struct gd_tval *out)
{
	struct gd_tmpl_call call = { CALL_MAGIC, st, fn };
	struct gd_tval *argv = NULL, fv, small[8];
	struct gd_err ferr;
	size_t numin, nfixed, nsig, i, n = 0;
	bool variadic;
	int rc;

	if (args != NULL) {
		args++;
		nargs--;
	}
	numin = nargs + (final != NULL);
	nsig = strlen(fn->sig);
	variadic = nsig > 0 && fn->sig[nsig - 1] == '*';
	nsig -= variadic;
	nfixed = nsig - variadic;
	if (variadic && numin < nfixed)
		return exec_errorf(st,
		    "wrong number of args for %s: want at least %zu got %zu",
		    name, nfixed, nargs);
	if (!variadic && numin != nfixed)
		return exec_errorf(st,
		    "wrong number of args for %s: want %zu got %zu", name,
		    nfixed, numin);
	if ((rc = exec_charge(st, 1)) < 0)
		return rc;
	if (builtin && (strcmp(name, "and") == 0 || strcmp(name, "or") == 0))
		return eval_and_or(st, dot, name, args, nargs, final, out);
	/* most calls have a few arguments: no allocation for them */
	if (numin + 1 <= sizeof(small) / sizeof(small[0])) {
		memset(small, 0, (numin + 1) * sizeof(small[0]));
		argv = small;
	} else
		argv = xcalloc(numin + 1, sizeof(*argv));
	for (i = 0; i < nargs; i++, n++) {
		rc = eval_arg(st, dot, exec_param(fn->sig, nsig, variadic, i),
		    args[i], &argv[i]);
		if (rc < 0)
			goto out;
	}
	if (final != NULL) {
		fv = gd_tval_copy(final);
		rc = exec_validate(st, &fv,
		    exec_param(fn->sig, nsig, variadic, numin - 1), &argv[i]);
		if (rc < 0)
			goto out;
		n++;
	}
	if (fn->flags & GD_TMPL_FN_VARIES)
		st->budget->varies++;
	if (st->budget->watch != NULL && !(fn->flags & GD_TMPL_FN_PASSDOT))
		for (i = 0; i < n; i++)
			exec_watch_use(st, &argv[i]);
	ferr.code = 0;
	ferr.msg[0] = '\0';
	memset(out, 0, sizeof(*out));
	rc = fn->fn(out, &call, argv, n, &ferr);
	if (rc < 0) {
		st->node = node;
		rc = exec_errorf(st, "error calling %s: %s", name, ferr.msg);
		if (ferr.code == GD_ETOOBIG)
			st->err->code = GD_ETOOBIG;
		gd_tval_dispose(out);
	}
out:
	for (i = 0; i < n; i++)
		gd_tval_dispose(&argv[i]);
	if (argv != small)
		free(argv);
	return rc;
}

static int
eval_command(struct exec_state *st, const struct gd_tval *dot,
    const struct tmpl_node *cmd, const struct gd_tval *final,
    struct gd_tval *out)
{
	struct tmpl_node *first = cmd->kids.v[0];
	struct tmpl_node *const *args = cmd->kids.v;
	size_t nargs = cmd->kids.n;
	int rc;

	switch (first->type) {
	case NODE_FIELD:
		return eval_field_node(st, dot, first, args, nargs, final, out);
	case NODE_CHAIN:
		return eval_chain_node(st, dot, first, args, nargs, final, out);
	case NODE_IDENT:
		return eval_function(
		    st, dot, first, cmd, args, nargs, final, out);
	case NODE_PIPE:
		if ((rc = exec_not_a_function(st, cmd, nargs, final)) < 0)
			return rc;
		return eval_pipeline(st, dot, first, out);
	case NODE_VARIABLE:
		return eval_variable_node(
		    st, dot, first, cmd, args, nargs, final, out);
	default:
		break;
	}
	st->node = first;
	if ((rc = exec_not_a_function(st, cmd, nargs, final)) < 0)
		return rc;
	switch (first->type) {
	case NODE_BOOL:
		*out = gd_tval_json(json_boolean(first->b));
		return 0;
	case NODE_DOT:
		*out = gd_tval_copy(dot);
		return 0;
	case NODE_NIL:
		return exec_errorf(st, "nil is not a command");
	case NODE_NUMBER:
		return exec_ideal_constant(st, first, out);
	case NODE_STRING:
		*out = gd_tval_json(json_incref(first->jstr));
		return 0;
	default:
		return exec_errorf(st, "can't evaluate command");
	}
}

static int
eval_pipeline(struct exec_state *st, const struct gd_tval *dot,
    const struct tmpl_node *pipe, struct gd_tval *out)
{
	struct gd_tval value = { 0 }, next;
	size_t i, k;
	int rc;

	memset(out, 0, sizeof(*out));
	if (pipe == NULL)
		return 0;
	st->node = pipe;
	for (i = 0; i < pipe->kids.n; i++) {
		memset(&next, 0, sizeof(next));
		rc = eval_command(
		    st, dot, pipe->kids.v[i], i > 0 ? &value : NULL, &next);
		gd_tval_dispose(&value);
		if (rc < 0)
			return rc;
		value = next;
		/* reflect.ValueOf(value.Interface()): a nil interface is gone
		 */
		value.iface = false;
		if (value.j != NULL && json_is_null(value.j)) {
			json_decref(value.j);
			value.j = NULL;
		}
	}
	for (i = 0; i < pipe->decl.n; i++) {
		const char *name = pipe->decl.v[i]->idents[0];

		if (!pipe->is_assign) {
			exec_push(st, name, gd_tval_copy(&value));
			continue;
		}
		for (k = st->nvars; k-- > 0;)
			if (strcmp(st->vars[k].name, name) == 0)
				break;
		if (k == (size_t)-1) {
			gd_tval_dispose(&value);
			return exec_errorf(st, "undefined variable: %s", name);
		}
		gd_tval_dispose(&st->vars[k].v);
		st->vars[k].v = gd_tval_copy(&value);
	}
	*out = value;
	return 0;
}

/* --- walking ------------------------------------------------------------- */

static int
walk_print(
    struct exec_state *st, const struct tmpl_node *n, const struct gd_tval *v)
{
	size_t before = st->wr->len;
	int rc;

	st->node = n;
	if (!gd_tval_is_valid(v))
		return exec_write(st, "<no value>", 10);
	if (v->o == NULL && json_is_string(v->j))
		return exec_write(
		    st, json_string_value(v->j), json_string_length(v->j));
	/* printed in place, then charged; taken back if over the limit */
	gd_tmpl_fmt_value(st->wr, v);
	if ((rc = exec_output(st, st->wr->len - before)) < 0) {
		st->wr->len = before;
		st->wr->data[before] = '\0';
	}
	return rc;
}

static int
walk_if_with(
    struct exec_state *st, const struct gd_tval *dot, const struct tmpl_node *n)
{
	size_t mark = st->nvars;
	struct gd_tval v = { 0 };
	int rc;

	if ((rc = eval_pipeline(st, dot, n->pipe, &v)) < 0)
		goto out;
	if (gd_tval_is_true(&v)) {
		rc = walk(st, n->type == NODE_WITH ? &v : dot, n->list);
	} else if (n->elselist != NULL)
		rc = walk(st, dot, n->elselist);
out:
	gd_tval_dispose(&v);
	exec_pop(st, mark);
	return rc;
}

/* One range iteration: sets the declared variables, walks the body. */
static int
walk_range_one(struct exec_state *st, const struct tmpl_node *r,
    struct gd_tval *key, struct gd_tval *elem)
{
	size_t mark = st->nvars;
	int rc;

	if ((rc = exec_charge(st, 1)) < 0)
		return rc;
	if (r->pipe->decl.n > 0) {
		gd_tval_dispose(&st->vars[st->nvars - 1].v);
		st->vars[st->nvars - 1].v = gd_tval_copy(elem);
	}
	if (r->pipe->decl.n > 1) {
		gd_tval_dispose(&st->vars[st->nvars - 2].v);
		st->vars[st->nvars - 2].v = gd_tval_copy(key);
	}
	rc = walk(st, elem, r->list);
	exec_pop(st, mark);
	if (rc == EXEC_CONTINUE)
		rc = 0;
	return rc;
}

static int
walk_range(
    struct exec_state *st, const struct gd_tval *dot, const struct tmpl_node *r)
{
	size_t mark = st->nvars, i, n = 0;
	struct gd_tval v = { 0 }, key, elem;
	const char **keys = NULL;
	struct gd_buf b;
	bool any = false, need_key = r->pipe->decl.n > 1;
	int rc;

	st->node = r;
	if ((rc = eval_pipeline(st, dot, r->pipe, &v)) < 0)
		goto out;
	exec_watch_use(st, &v);
	if (v.o != NULL && v.o->type->json != NULL) {
		json_t *j = v.o->type->json(v.o);

		gd_tval_dispose(&v);
		v = gd_tval_json(j);
	}
	if (v.o != NULL) {
		rc = exec_errorf(
		    st, "range can't iterate over %s", v.o->type->name);
		goto out;
	}
	if (v.j == NULL)
		goto done;
	switch (json_typeof(v.j)) {
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v.j) && rc == 0; i++) {
			key = gd_tval_json(
			    need_key ? json_integer((json_int_t)i) : NULL);
			elem = gd_tval_elem(json_array_get(v.j, i));
			rc = walk_range_one(st, r, &key, &elem);
			gd_tval_dispose(&key);
			gd_tval_dispose(&elem);
			any = true;
		}
		break;
	case JSON_OBJECT:
		keys = tmpl_sorted_keys(v.j, &n);
		for (i = 0; i < n && rc == 0; i++) {
			key = gd_tval_json(
			    need_key ? json_string_nocheck(keys[i]) : NULL);
			elem = gd_tval_elem(json_object_get(v.j, keys[i]));
			rc = walk_range_one(st, r, &key, &elem);
			gd_tval_dispose(&key);
			gd_tval_dispose(&elem);
			any = true;
		}
		break;
	case JSON_INTEGER:
		if (r->pipe->decl.n > 1) {
			rc = exec_errorf(st,
			    "can't use %lld to iterate over more than one "
			    "variable",
			    (long long)json_integer_value(v.j));
			goto out;
		}
		for (i = 0; (json_int_t)i < json_integer_value(v.j) && rc == 0;
		     i++) {
			key = gd_tval_json(json_integer((json_int_t)i));
			rc = walk_range_one(st, r, &key, &key);
			gd_tval_dispose(&key);
			any = true;
		}
		break;
	default:
		tmpl_buf_init(&b);
		gd_tmpl_fmt_value(&b, &v);
		rc = exec_errorf(st, "range can't iterate over %s", b.data);
		gd_buf_dispose(&b);
		goto out;
	}
	if (rc == EXEC_BREAK)
		rc = 0;
	if (rc < 0 || any)
		goto out;
done:
	if (r->elselist != NULL)
		rc = walk(st, dot, r->elselist);
out:
	free(keys);
	gd_tval_dispose(&v);
	exec_pop(st, mark);
	return rc;
}

static int exec_run(struct exec_state *parent, struct gd_buf *out,
    struct tmpl_tree *t, const struct gd_tval *dot);

static int
walk_template(
    struct exec_state *st, const struct gd_tval *dot, const struct tmpl_node *n)
{
	struct tmpl_tree *t;
	struct gd_tval v = { 0 };
	int rc;

	st->node = n;
	t = tmpl_set_lookup(st->set, n->str);
	if (t == NULL)
		return exec_errorf(st, "template \"%s\" not defined", n->str);
	if (st->depth >= st->budget->lim.max_depth)
		return exec_errorf(st, "exceeded maximum template depth (%zu)",
		    st->budget->lim.max_depth);
	if ((rc = eval_pipeline(st, dot, n->pipe, &v)) < 0)
		return rc;
	rc = exec_run(st, st->wr, t, &v);
	gd_tval_dispose(&v);
	return rc;
}

static int
walk(
    struct exec_state *st, const struct gd_tval *dot, const struct tmpl_node *n)
{
	struct gd_tval v = { 0 };
	size_t i;
	int rc;

	st->node = n;
	if ((rc = exec_charge(st, 1)) < 0)
		return rc;
	switch (n->type) {
	case NODE_ACTION:
		if ((rc = eval_pipeline(st, dot, n->pipe, &v)) < 0)
			return rc;
		if (n->pipe->decl.n == 0) {
			exec_watch_use(st, &v);
			rc = walk_print(st, n, &v);
		}
		gd_tval_dispose(&v);
		return rc;
	case NODE_BREAK:
		return EXEC_BREAK;
	case NODE_CONTINUE:
		return EXEC_CONTINUE;
	case NODE_COMMENT:
		return 0;
	case NODE_IF:
	case NODE_WITH:
		return walk_if_with(st, dot, n);
	case NODE_LIST:
		for (i = 0; i < n->kids.n; i++)
			if ((rc = walk(st, dot, n->kids.v[i])) != 0)
				return rc;
		return 0;
	case NODE_RANGE:
		return walk_range(st, dot, n);
	case NODE_TEMPLATE:
		return walk_template(st, dot, n);
	case NODE_TEXT:
		return exec_write(st, n->str, n->slen);
	default:
		return exec_errorf(st, "unknown node");
	}
}

/*
 * Runs tree t with dot in a fresh variable scope ("$" only), sharing the
 * set, budget and error of parent (or starting them when parent->tmpl is
 * NULL).
 */
static int
exec_run(struct exec_state *parent, struct gd_buf *out, struct tmpl_tree *t,
    const struct gd_tval *dot)
{
	struct exec_state st;
	int rc;

	st.vars = NULL;
	st.nvars = st.capvars = 0;
	st.node = NULL;
	st.set = parent->set;
	st.tmpl = t;
	st.wr = out;
	st.depth = parent->tmpl != NULL ? parent->depth + 1 : 0;
	st.budget = parent->budget;
	st.err = parent->err;
	st.ud = parent->ud;
	exec_push(&st, "$", gd_tval_copy(dot));
	if (t->root == NULL)
		rc = exec_errorf(
		    &st, "\"%s\" is an incomplete or empty template", t->name);
	else
		rc = walk(&st, dot, t->root);
	exec_pop(&st, 0);
	if (st.vars != st.small)
		free(st.vars);
	return rc < 0 ? rc : 0;
}

/* Go's "no template %q associated with template %q". */
static int
exec_no_template(struct gd_err *err, const char *name, const char *set)
{
	static const char f[] =
	    "template: no template %q associated with template %q";
	struct gd_tval v[2];
	struct gd_buf b;
	int rc;

	v[0] = gd_tval_json(json_string_nocheck(name));
	v[1] = gd_tval_json(json_string_nocheck(set));
	gd_buf_init(&b);
	gd_tmpl_fmt_printf(&b, f, sizeof(f) - 1, v, 2);
	rc = gd_err_set(err, GD_ENOTFOUND, "%s", b.data);
	gd_buf_dispose(&b);
	gd_tval_dispose(&v[0]);
	gd_tval_dispose(&v[1]);
	return rc;
}

int
gd_tmpl_execute(struct gd_buf *out, struct gd_tmpl_set *set, const char *name,
    const struct gd_tval *data, struct gd_err *err)
{
	return gd_tmpl_execute_ud(out, set, name, data, NULL, err);
}

int
gd_tmpl_execute_ud(struct gd_buf *out, struct gd_tmpl_set *set,
    const char *name, const struct gd_tval *data, void *ud, struct gd_err *err)
{
	return gd_tmpl_execute_lim(out, set, name, data, ud, NULL, err);
}

int
gd_tmpl_execute_lim(struct gd_buf *out, const struct gd_tmpl_set *set,
    const char *name, const struct gd_tval *data, void *ud,
    const struct gd_tmpl_limits *lim, struct gd_err *err)
{
	return gd_tmpl_execute_watch(out, set, name, data, ud, lim, NULL, err);
}

int
gd_tmpl_execute_watch(struct gd_buf *out, const struct gd_tmpl_set *set,
    const char *name, const struct gd_tval *data, void *ud,
    const struct gd_tmpl_limits *lim, const struct gd_tmpl_watch *watch,
    struct gd_err *err)
{
	struct exec_budget budget = { .watch = watch };
	struct exec_state top = {
		.set = set, .budget = &budget, .err = err, .ud = ud
	};
	struct tmpl_tree *t = tmpl_set_lookup(set, name);
	size_t i;
	int rc;

	if (lim != NULL)
		tmpl_limits_fill(&budget.lim, lim);
	else
		budget.lim = set->lim;
	if (t == NULL)
		return exec_no_template(err, name, set->name);
	rc = exec_run(&top, out, t, data);
	for (i = 0; i < budget.nkeep; i++)
		gd_tmpl_obj_unref(budget.keep[i]);
	free(budget.keep);
	return rc;
}

/* --- what functions may ask --------------------------------------------- */

void *
gd_tmpl_call_ud(const struct gd_tmpl_call *c)
{
	return c->fn->ud;
}

void *
gd_tmpl_call_exec_ud(const struct gd_tmpl_call *c)
{
	return c->st->ud;
}

int
gd_tmpl_call_template(struct gd_buf *out, struct gd_tmpl_call *c,
    const char *name, const struct gd_tval *data, struct gd_err *err)
{
	struct exec_state *st;
	struct exec_state sub;
	struct tmpl_tree *t;
	int rc;

	GD_CHECK_OBJ(c, CALL_MAGIC);
	st = c->st;
	t = tmpl_set_lookup(st->set, name);
	if (t == NULL)
		return exec_no_template(err, name, st->set->name);
	if (st->depth + 1 >= st->budget->lim.max_depth)
		return gd_err_set(err, GD_ETOOBIG,
		    "template: %s: exceeded maximum template depth (%zu)", name,
		    st->budget->lim.max_depth);
	/* what exec_run takes from its parent, without copying the rest */
	sub.set = st->set;
	sub.tmpl = st->tmpl;
	sub.depth = st->depth;
	sub.budget = st->budget;
	sub.ud = st->ud;
	sub.err = err;
	rc = exec_run(&sub, out, t, data);
	return rc;
}

int
gd_tmpl_call_tpl(struct gd_buf *out, struct gd_tmpl_call *c, const char *name,
    const char *text, const struct gd_tval *data, struct gd_err *err)
{
	struct gd_tmpl_set *clone;
	struct exec_state sub;
	struct tmpl_tree *t;
	int rc;

	GD_CHECK_OBJ(c, CALL_MAGIC);
	if (c->st->depth + 1 >= c->st->budget->lim.max_depth)
		return gd_err_set(err, GD_ETOOBIG,
		    "template: %s: exceeded maximum template depth (%zu)", name,
		    c->st->budget->lim.max_depth);
	clone = tmpl_set_clone(c->st->set);
	clone->lim = c->st->budget->lim; /* this run's nesting limit */
	if ((rc = tmpl_parse(clone, name, text, strlen(text), err)) < 0)
		goto out;
	t = tmpl_set_lookup(clone, name);
	sub = *c->st;
	sub.set = clone;
	sub.err = err;
	rc = exec_run(&sub, out, t, data);
out:
	gd_tmpl_set_free(clone);
	return rc;
}

size_t
gd_tmpl_call_varies(const struct gd_tmpl_call *c)
{
	GD_CHECK_OBJ(c, CALL_MAGIC);
	return c->st->budget->varies;
}

int
gd_tmpl_call_charge(struct gd_tmpl_call *c, size_t n, struct gd_err *err)
{
	struct exec_state *st;

	GD_CHECK_OBJ(c, CALL_MAGIC);
	st = c->st;
	st->budget->ops += n;
	if (st->budget->ops > st->budget->lim.max_ops)
		return gd_err_set(err, GD_ETOOBIG,
		    "exceeded the limit of %zu operations",
		    st->budget->lim.max_ops);
	return 0;
}

json_t *
gd_tmpl_call_obj_json(struct gd_tmpl_call *c, struct gd_tmpl_obj *o)
{
	struct exec_budget *b;

	GD_CHECK_OBJ(c, CALL_MAGIC);
	b = c->st->budget;
	b->keep = xreallocarray(b->keep, b->nkeep + 1, sizeof(*b->keep));
	b->keep[b->nkeep++] = o;
	o->refs++;
	return gd_tmpl_obj_json(o);
}

json_t *
gd_tmpl_call_to_json(struct gd_tmpl_call *c, const struct gd_tval *v)
{
	if (v->o != NULL)
		return gd_tmpl_call_obj_json(c, v->o);
	return v->j != NULL ? json_incref(v->j) : json_null();
}
