/* SPDX-License-Identifier: ISC */
/*
 * Sprig's bcrypt, htpasswd and derivePassword. bcrypt and htpasswd:
 * golang.org/x/crypto/bcrypt's GenerateFromPassword at its default cost (10),
 * "$2a$10$" and 53 characters, through libxcrypt's bcrypt (the Openwall code
 * Go's output is compatible with). htpasswd is "user:" and that hash, the line
 * nginx and traefik basic auth read.
 *
 * The hard part is the salt: it must differ between renders in service
 * and be fixed under a seed in tests, so it comes from the render's
 * random state (seeded from the system when no seed is given), never from
 * a clock. Passwords longer than 72 bytes are cut there, as Go's bcrypt
 * of this Sprig does; a password with a 0xff byte may hash differently
 * from Go's, since "$2a$" in Openwall's code guards against an old bug.
 * derivePassword is Master Password's site password (scrypt with N 32768,
 * r 8, p 2, then HMAC-SHA256 choosing a template and its characters),
 * which libsodium's scrypt computes.
 */
#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

static uint64_t
crypto_rand(struct helm_render *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

/* The hash of pw into out; Sprig prints a failure as the value */
static void
crypto_bcrypt(struct gd_buf *out, struct gd_tmpl_call *c, const char *pw)
{
	struct helm_render *r = gd_tmpl_call_exec_ud(c);
	unsigned char salt[16];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	uint64_t x;
	size_t i;

	GD_CHECK_OBJ(r, HELM_RENDER_MAGIC);
	for (i = 0; i < sizeof(salt); i += 8) {
		x = crypto_rand(r);
		memcpy(salt + i, &x, 8);
	}
	cd = xcalloc(1, sizeof(*cd));
	if (crypt_gensalt_rn("$2a$", 10, (const char *)salt, sizeof(salt),
		setting, sizeof(setting)) == NULL ||
	    crypt_rn(pw, setting, cd, sizeof(*cd)) == NULL ||
	    cd->output[0] == '*')
		gd_buf_adds(out, "failed to encrypt string with bcrypt");
	else
		gd_buf_adds(out, cd->output);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
}

FN(f_bcrypt)
{
	struct gd_buf b;

	(void)n, (void)err;
	gd_buf_init(&b);
	crypto_bcrypt(&b, c, json_string_value(a[0].j));
	*out = gd_tval_json(json_stringn(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

FN(f_htpasswd)
{
	const char *user = json_string_value(a[0].j);
	struct gd_buf b;

	(void)n, (void)err;
	gd_buf_init(&b);
	if (strchr(user, ':') != NULL)
		gd_buf_printf(&b, "invalid username: %s", user);
	else {
		gd_buf_printf(&b, "%s:", user);
		crypto_bcrypt(&b, c, json_string_value(a[1].j));
	}
	*out = gd_tval_json(json_stringn(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* --- derivePassword: Master Password's algorithm ---------------------------
 */

static const struct {
	const char *type;
	const char *const *tpl;
} mp_types[] = {
	{ "maximum",
	    (const char *const[]){
		"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno", NULL } },
	{ "long",
	    (const char *const[]){ "CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv",
		"CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
		"CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv",
		"CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc",
		"CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv",
		"CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc",
		"CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
		"CvccCvcvCvccno", NULL } },
	{ "medium", (const char *const[]){ "CvcnoCvc", "CvcCvcno", NULL } },
	{ "short", (const char *const[]){ "Cvcn", NULL } },
	{ "basic",
	    (const char *const[]){ "aaanaaan", "aannaaan", "aaannaaa", NULL } },
	{ "pin", (const char *const[]){ "nnnn", NULL } },
};

static const char *
mp_chars(char cls)
{
	switch (cls) {
	case 'V':
		return "AEIOU";
	case 'C':
		return "BCDFGHJKLMNPQRSTVWXYZ";
	case 'v':
		return "aeiou";
	case 'c':
		return "bcdfghjklmnpqrstvwxyz";
	case 'A':
		return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
	case 'a':
		return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
	case 'n':
		return "0123456789";
	case 'o':
		return "@&%?,=[]_:-+*$#!'^~;()/.";
	default:
		return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
		       "0123456789!@#$%^&*()";
	}
}

static void
put_be32(struct gd_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24),
		(unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v };

	gd_buf_add(b, x, 4);
}

/* scrypt (N 32768, r 8, p 2) of the master password, then HMAC-SHA256 */
FN(f_derive_password)
{
	static const char seed_name[] = "com.lyndir.masterpassword";
	const char *type = json_string_value(a[1].j),
		   *pw = json_string_value(a[2].j),
		   *user = json_string_value(a[3].j),
		   *site = json_string_value(a[4].j);
	unsigned char key[64], mac[crypto_auth_hmacsha256_BYTES];
	const char *const *tpl = NULL;
	const char *t, *chars;
	struct gd_buf salt, res;
	size_t i, k, nt;
	int rc;

	(void)n;
	for (i = 0; i < sizeof(mp_types) / sizeof(mp_types[0]); i++)
		if (strcmp(mp_types[i].type, type) == 0)
			tpl = mp_types[i].tpl;
	gd_buf_init(&res);
	gd_buf_add(&res, "", 0);
	if (tpl == NULL) {
		gd_buf_printf(&res, "cannot find password template %s", type);
		goto done;
	}
	/* 32 MiB and tens of milliseconds a call: a chart pays for each */
	if ((rc = gd_tmpl_call_charge(c, 1000000, err)) < 0) {
		gd_buf_dispose(&res);
		return rc;
	}
	gd_buf_init(&salt);
	gd_buf_adds(&salt, seed_name);
	put_be32(&salt, (uint32_t)strlen(user));
	gd_buf_adds(&salt, user);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pw,
		strlen(pw), (const uint8_t *)salt.data, salt.len, 32768, 8, 2,
		key, sizeof(key)) != 0) {
		gd_buf_adds(&res, "failed to create password");
		gd_buf_dispose(&salt);
		goto done;
	}
	gd_buf_reset(&salt);
	gd_buf_adds(&salt, seed_name);
	put_be32(&salt, (uint32_t)strlen(site));
	gd_buf_adds(&salt, site);
	put_be32(&salt, (uint32_t)json_integer_value(a[0].j));
	{
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, key, sizeof(key));
		crypto_auth_hmacsha256_update(
		    &st, (const unsigned char *)salt.data, salt.len);
		crypto_auth_hmacsha256_final(&st, mac);
	}
	gd_buf_dispose(&salt);
	for (nt = 0; tpl[nt] != NULL; nt++)
		;
	t = tpl[mac[0] % nt];
	for (k = 0; t[k] != '\0'; k++) {
		chars = mp_chars(t[k]);
		gd_buf_addc(&res, chars[mac[k + 1] % strlen(chars)]);
	}
	sodium_memzero(key, sizeof(key));
done:
	*out = gd_tval_json(json_stringn(res.data, res.len));
	gd_buf_dispose(&res);
	return 0;
}

const struct gd_tmpl_func helm_sprig_crypto[] = {
	{ "bcrypt", f_bcrypt, "s", NULL },
	{ "derivePassword", f_derive_password, "issss", NULL },
	{ "htpasswd", f_htpasswd, "ss", NULL },
	{ NULL, NULL, NULL, NULL },
};
