/* SPDX-License-Identifier: ISC */
/*
 * Sprig's bcrypt, htpasswd and derivePassword, base32 (b32enc, b32dec)
 * and the random functions that are not strings of a charset (randBytes,
 * randInt, shuffle), which draw on the render's seeded state as the salts
 * do. bcrypt and htpasswd:
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
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
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
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
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
	*out = gd_tval_json(json_stringn_nocheck(res.data, res.len));
	gd_buf_dispose(&res);
	return 0;
}

/* --- base32, random bytes and numbers ------------------------------------ */

static const char crypto_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* base32.StdEncoding.EncodeToString */
FN(f_b32enc)
{
	const unsigned char *d =
	    (const unsigned char *)json_string_value(a[0].j);
	size_t l = json_string_length(a[0].j), i, k, nb;
	unsigned char q[5];
	struct gd_buf b;

	(void)c, (void)n, (void)err;
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < l; i += 5) {
		nb = l - i < 5 ? l - i : 5;
		memset(q, 0, sizeof(q));
		memcpy(q, d + i, nb);
		{
			/* the 8 five-bit groups of this quantum */
			unsigned long long v = 0;
			size_t out_chars = (nb * 8 + 4) / 5;

			for (k = 0; k < 5; k++)
				v = (v << 8) | q[k];
			for (k = 0; k < 8; k++)
				gd_buf_addc(&b,
				    k < out_chars ?
					crypto_b32[(v >> (35 - 5 * k)) & 31] :
					'=');
		}
	}
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

static int
crypto_b32val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= '2' && ch <= '7')
		return ch - '2' + 26;
	return -1;
}

/*
 * base32.StdEncoding.DecodeString: newlines dropped, 8-character quanta,
 * padding only at the end; Sprig prints a failure as the value, with the
 * offset Go's CorruptInputError gives.
 */
static long long
crypto_b32dec(struct gd_buf *b, const unsigned char *src, long long olen)
{
	long long left = olen, j, k, dlen;
	unsigned char d[8];
	unsigned char in;
	bool end = false;
	int v;

	while (left > 0 && !end) {
		memset(d, 0, sizeof(d));
		dlen = 8;
		for (j = 0; j < 8;) {
			if (left == 0)
				return olen - left - j;
			in = *src++;
			left--;
			if (in == '=' && j >= 2 && left < 8) {
				if (left + j < 7)
					return olen;
				for (k = 0; k < 7 - j; k++)
					if (left > k && src[k] != '=')
						return olen - left + k - 1;
				dlen = j;
				end = true;
				if (dlen == 1 || dlen == 3 || dlen == 6)
					return olen - left - 1;
				break;
			}
			if ((v = crypto_b32val(in)) < 0)
				return olen - left - 1;
			d[j++] = (unsigned char)v;
		}
		if (dlen >= 2)
			gd_buf_addc(b, (char)(d[0] << 3 | d[1] >> 2));
		if (dlen >= 4)
			gd_buf_addc(
			    b, (char)(d[1] << 6 | d[2] << 1 | d[3] >> 4));
		if (dlen >= 5)
			gd_buf_addc(b, (char)(d[3] << 4 | d[4] >> 1));
		if (dlen >= 7)
			gd_buf_addc(
			    b, (char)(d[4] << 7 | d[5] << 2 | d[6] >> 3));
		if (dlen == 8)
			gd_buf_addc(b, (char)(d[6] << 5 | d[7]));
	}
	return -1;
}

FN(f_b32dec)
{
	const char *s = json_string_value(a[0].j);
	size_t l = json_string_length(a[0].j), i;
	struct gd_buf src, b;
	long long bad;

	(void)c, (void)n, (void)err;
	gd_buf_init(&src);
	gd_buf_init(&b);
	gd_buf_add(&src, "", 0);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < l; i++)
		if (s[i] != '\r' && s[i] != '\n')
			gd_buf_addc(&src, s[i]);
	bad = crypto_b32dec(
	    &b, (const unsigned char *)src.data, (long long)src.len);
	if (bad >= 0) {
		gd_buf_reset(&b);
		gd_buf_printf(
		    &b, "illegal base32 data at input byte %lld", bad);
	}
	/* the bytes decoded, UTF-8 or not, as a Go string holds them */
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&src);
	gd_buf_dispose(&b);
	return 0;
}

static struct helm_render *
crypto_render(struct gd_tmpl_call *c)
{
	struct helm_render *r = gd_tmpl_call_exec_ud(c);

	GD_CHECK_OBJ(r, HELM_RENDER_MAGIC);
	return r;
}

/* randBytes: count random bytes, base64; the render's seed drives them */
FN(f_rand_bytes)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct helm_render *r = crypto_render(c);
	json_int_t cnt = json_integer_value(a[0].j), i;
	unsigned char *d;
	unsigned long v;
	struct gd_buf b;
	int rc;

	(void)n;
	if (cnt < 0)
		return gd_err_set(err, GD_EINVAL,
		    "runtime error: makeslice: len out of range");
	if ((rc = gd_tmpl_call_charge(c, (size_t)cnt, err)) < 0)
		return rc;
	d = xcalloc((size_t)cnt + 3, 1);
	for (i = 0; i < cnt; i++)
		d[i] = (unsigned char)(crypto_rand(r) >> 24);
	gd_buf_init(&b);
	gd_buf_add(&b, "", 0);
	for (i = 0; i < cnt; i += 3) {
		v = (unsigned long)d[i] << 16 | (unsigned long)d[i + 1] << 8 |
		    d[i + 2];
		gd_buf_addc(&b, tab[(v >> 18) & 63]);
		gd_buf_addc(&b, tab[(v >> 12) & 63]);
		gd_buf_addc(&b, cnt - i > 1 ? tab[(v >> 6) & 63] : '=');
		gd_buf_addc(&b, cnt - i > 2 ? tab[v & 63] : '=');
	}
	free(d);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

/* randInt min max: rand.Intn(max-min)+min, which panics unless max > min */
FN(f_rand_int)
{
	struct helm_render *r = crypto_render(c);
	json_int_t lo = json_integer_value(a[0].j);
	json_int_t hi = json_integer_value(a[1].j);
	uint64_t span = (uint64_t)hi - (uint64_t)lo;

	(void)n;
	/* Go's max-min wraps past int64, and Intn panics on that too */
	if (hi <= lo || span > (uint64_t)INT64_MAX)
		return gd_err_set(err, GD_EINVAL, "invalid argument to Intn");
	*out = gd_tval_json(
	    json_integer((json_int_t)((uint64_t)lo + crypto_rand(r) % span)));
	return 0;
}

/* shuffle: xstrings.Shuffle, a random permutation of the runes */
FN(f_shuffle)
{
	struct helm_render *r = crypto_render(c);
	const char *s = json_string_value(a[0].j);
	size_t l = json_string_length(a[0].j), i, k, nr = 0, j;
	size_t *start = xcalloc(l + 1, sizeof(*start));
	struct gd_buf b;

	(void)n, (void)err;
	for (i = 0; i < l; i = k) {
		for (k = i + 1; k < l && ((unsigned char)s[k] & 0xC0) == 0x80;
		     k++)
			;
		start[nr++] = i;
	}
	start[nr] = l;
	/* Fisher-Yates over rune indexes; start[nr] stays the end */
	{
		size_t *idx = xcalloc(nr + 1, sizeof(*idx)), t;

		for (i = 0; i < nr; i++)
			idx[i] = i;
		for (i = nr; i > 1; i--) {
			j = (size_t)(crypto_rand(r) % i);
			t = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		gd_buf_init(&b);
		gd_buf_add(&b, "", 0);
		for (i = 0; i < nr; i++)
			gd_buf_add(&b, s + start[idx[i]],
			    start[idx[i] + 1] - start[idx[i]]);
		free(idx);
	}
	free(start);
	*out = gd_tval_json(json_stringn_nocheck(b.data, b.len));
	gd_buf_dispose(&b);
	return 0;
}

const struct gd_tmpl_func helm_sprig_crypto[] = {
	{ "b32dec", f_b32dec, "s", NULL, 0 },
	{ "b32enc", f_b32enc, "s", NULL, 0 },
	{ "bcrypt", f_bcrypt, "s", NULL, GD_TMPL_FN_VARIES },
	{ "derivePassword", f_derive_password, "issss", NULL, 0 },
	{ "htpasswd", f_htpasswd, "ss", NULL, GD_TMPL_FN_VARIES },
	{ "randBytes", f_rand_bytes, "i", NULL, GD_TMPL_FN_VARIES },
	{ "randInt", f_rand_int, "ii", NULL, GD_TMPL_FN_VARIES },
	{ "shuffle", f_shuffle, "s", NULL, GD_TMPL_FN_VARIES },
	{ NULL, NULL, NULL, NULL, 0 },
};
