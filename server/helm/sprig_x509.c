/* SPDX-License-Identifier: ISC */
/*
 * Sprig's key and certificate generators, through GnuTLS: genPrivateKey
 * ("rsa" 4096, "ecdsa" P-256, "ed25519", "dsa" 2048), genCA, genSelfSignedCert
 * and genSignedCert, their *WithKey forms (the key given as PEM, in any of
 * Go's formats), buildCustomCert (a certificate and key in base64, checked
 * and handed back), and encryptAES/decryptAES (AES-256-CBC with the
 * password's first 32 bytes as key and a random IV in front, base64).
 * Certificates come back as Sprig's certificate struct,
 * here a map with "Cert" and "Key" (PEM), so .Cert, .Key, toYaml and toJson
 * read as they do in helm.
 *
 * The hard part is matching the shape of Go's crypto/x509 output that
 * webhooks and TLS secrets rely on: RSA 2048 keys in PKCS#1 ("RSA PRIVATE
 * KEY"), a random 128-bit serial, validity from now for the days asked,
 * critical key usage (plus certificate signing for a CA), server and
 * client auth, critical basic constraints, DNS and IP alternative names,
 * SHA-256 signatures. Keys are random even under a test seed; tests check
 * the shapes and the signatures, not the bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "helm_int.h"

#define FN(name)                                                               \
	static int name(struct gd_tval *out, struct gd_tmpl_call *c,           \
	    struct gd_tval *a, size_t n, struct gd_err *err)

/* Key generation costs tens of milliseconds: a chart pays for each. */
#define X509_COST 200000

static void
pem_out(struct gd_buf *b, const gnutls_datum_t *d)
{
	gd_buf_add(b, d->data, d->size);
}

static int
gen_key(gnutls_x509_privkey_t *key, gnutls_pk_algorithm_t alg, unsigned bits,
    struct gd_err *err)
{
	int e;

	if ((e = gnutls_x509_privkey_init(key)) < 0 ||
	    (e = gnutls_x509_privkey_generate(*key, alg, bits, 0)) < 0)
		return gd_err_set(err, GD_EINVAL, "error generating key: %s",
		    gnutls_strerror(e));
	return 0;
}

FN(f_gen_private_key)
{
	const char *type = json_string_value(a[0].j);
	gnutls_x509_privkey_t key = NULL;
	gnutls_pk_algorithm_t alg;
	gnutls_datum_t d = { NULL, 0 };
	unsigned bits;
	int rc, e;

	(void)n;
	if (strcmp(type, "rsa") == 0)
		alg = GNUTLS_PK_RSA, bits = 4096;
	else if (strcmp(type, "dsa") == 0)
		alg = GNUTLS_PK_DSA, bits = 2048;
	else if (strcmp(type, "ecdsa") == 0)
		alg = GNUTLS_PK_ECDSA,
		bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
	else if (strcmp(type, "ed25519") == 0)
		alg = GNUTLS_PK_EDDSA_ED25519,
		bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519);
	else {
		char msg[128];

		snprintf(msg, sizeof(msg), "Unknown type %s", type);
		*out = gd_tval_json(json_string_nocheck(msg));
		return 0;
	}
	if ((rc = gd_tmpl_call_charge(c, X509_COST, err)) < 0 ||
	    (rc = gen_key(&key, alg, bits, err)) < 0)
		goto out;
	/* Go writes ed25519 as PKCS#8, the others in their own formats */
	e = alg == GNUTLS_PK_EDDSA_ED25519 ?
	    gnutls_x509_privkey_export2_pkcs8(
		key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &d) :
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d);
	if (e < 0) {
		rc = gd_err_set(err, GD_EINVAL, "error encoding key: %s",
		    gnutls_strerror(e));
		goto out;
	}
	*out = gd_tval_json(json_stringn_nocheck((const char *)d.data, d.size));
out:
	gnutls_free(d.data);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

struct cert_req {
	const char *cn;
	const json_t *ips, *dns; /* lists of strings, or NULL */
	long long days;
	bool ca;
	gnutls_x509_crt_t issuer; /* NULL: self-signed */
	gnutls_x509_privkey_t issuer_key;
	gnutls_x509_privkey_t key; /* the *WithKey variants' key, or NULL */
};

static int
x509_fail(struct gd_err *err, const char *what, int e)
{
	return gd_err_set(
	    err, GD_EINVAL, "error %s: %s", what, gnutls_strerror(e));
}

static int
cert_names(gnutls_x509_crt_t crt, const struct cert_req *r, struct gd_err *err)
{
	unsigned char ip[16];
	const json_t *v;
	const char *s;
	size_t i;
	int e, af;

	json_array_foreach(r->dns, i, v) {
		s = json_string_value(v);
		if (s == NULL)
			continue;
		if ((e = gnutls_x509_crt_set_subject_alt_name(crt,
			 GNUTLS_SAN_DNSNAME, s, (unsigned)strlen(s),
			 GNUTLS_FSAN_APPEND)) < 0)
			return x509_fail(err, "adding a DNS name", e);
	}
	json_array_foreach(r->ips, i, v) {
		s = json_string_value(v);
		af = s != NULL && strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
		if (s == NULL || inet_pton(af, s, ip) != 1)
			return gd_err_set(err, GD_EINVAL,
			    "error parsing ip: %s", s != NULL ? s : "<nil>");
		if ((e = gnutls_x509_crt_set_subject_alt_name(crt,
			 GNUTLS_SAN_IPADDRESS, ip, af == AF_INET ? 4 : 16,
			 GNUTLS_FSAN_APPEND)) < 0)
			return x509_fail(err, "adding an IP address", e);
	}
	return 0;
}

/* The key as Sprig's pemBlockForKey writes it: ed25519 in PKCS#8. */
static int
key_export(gnutls_x509_privkey_t key, gnutls_datum_t *d)
{
	if (gnutls_x509_privkey_get_pk_algorithm(key) ==
	    GNUTLS_PK_EDDSA_ED25519)
		return gnutls_x509_privkey_export2_pkcs8(
		    key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, d);
	return gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, d);
}

/*
 * A certificate and its key as {"Cert": PEM, "Key": PEM}: a new RSA 2048
 * key, or r->key for the *WithKey variants.
 */
static int
gen_cert(struct gd_tval *out, struct gd_tmpl_call *c, const struct cert_req *r,
    struct gd_err *err)
{
	gnutls_x509_privkey_t key = NULL, own;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	unsigned char serial[16];
	unsigned usage;
	time_t now = time(NULL);
	struct gd_buf cb, kb;
	int rc, e;

	gd_buf_init(&cb);
	gd_buf_init(&kb);
	if ((rc = gd_tmpl_call_charge(c, X509_COST, err)) < 0 ||
	    (r->key == NULL &&
		(rc = gen_key(&key, GNUTLS_PK_RSA, 2048, err)) < 0))
		goto out;
	if (r->key != NULL)
		own = r->key;
	else
		own = key;
	if ((e = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0) {
		rc = x509_fail(err, "making a serial number", e);
		goto out;
	}
	serial[0] &= 0x7f; /* a positive INTEGER, as Go's big.Int */
	usage = GNUTLS_KEY_KEY_ENCIPHERMENT | GNUTLS_KEY_DIGITAL_SIGNATURE |
	    (r->ca ? GNUTLS_KEY_KEY_CERT_SIGN : 0);
	rc = -1;
	if ((e = gnutls_x509_crt_init(&crt)) < 0 ||
	    (e = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (e = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (e = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
		 0, r->cn, (unsigned)strlen(r->cn))) < 0 ||
	    (e = gnutls_x509_crt_set_activation_time(crt, now)) < 0 ||
	    (e = gnutls_x509_crt_set_expiration_time(
		 crt, now + (time_t)r->days * 86400)) < 0 ||
	    (e = gnutls_x509_crt_set_key(crt, own)) < 0 ||
	    (e = gnutls_x509_crt_set_key_usage(crt, usage)) < 0 ||
	    (e = gnutls_x509_crt_set_key_purpose_oid(
		 crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (e = gnutls_x509_crt_set_key_purpose_oid(
		 crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
	    (e = gnutls_x509_crt_set_basic_constraints(crt, r->ca, -1)) < 0) {
		rc = x509_fail(err, "building the certificate", e);
		goto out;
	}
	if ((rc = cert_names(crt, r, err)) < 0)
		goto out;
	if ((e = gnutls_x509_crt_sign2(crt, r->issuer ? r->issuer : crt,
		 r->issuer_key ? r->issuer_key : own, GNUTLS_DIG_SHA256, 0)) <
	    0) {
		rc = x509_fail(err, "signing the certificate", e);
		goto out;
	}
	if ((e = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd)) < 0 ||
	    (e = key_export(own, &kd)) < 0) {
		rc = x509_fail(err, "encoding the certificate", e);
		goto out;
	}
	pem_out(&cb, &cd);
	pem_out(&kb, &kd);
	*out = gd_tval_json(
	    json_pack("{s:s%, s:s%}", "Cert", cb.data ? cb.data : "", cb.len,
		"Key", kb.data ? kb.data : "", kb.len));
	rc = 0;
out:
	gnutls_free(cd.data);
	gnutls_free(kd.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	gd_buf_dispose(&cb);
	gd_buf_dispose(&kb);
	return rc;
}

/* Sprig takes the lists as []interface{}; nil is no names */
static int
names_arg(const json_t **dst, const struct gd_tval *v, struct gd_err *err)
{
	*dst = NULL;
	if (v->o == NULL && (v->j == NULL || json_is_null(v->j)))
		return 0;
	if (v->o == NULL && json_is_array(v->j)) {
		*dst = v->j;
		return 0;
	}
	return gd_err_set(err, GD_EINVAL,
	    "wrong type for value; expected []interface {}; got %s",
	    gd_tval_typename(v));
}

FN(f_gen_ca)
{
	struct cert_req r = { 0 };

	(void)n;
	r.cn = json_string_value(a[0].j);
	r.days = json_integer_value(a[1].j);
	r.ca = true;
	return gen_cert(out, c, &r, err);
}

FN(f_gen_self_signed_cert)
{
	struct cert_req r = { 0 };
	int rc;

	(void)n;
	r.cn = json_string_value(a[0].j);
	if ((rc = names_arg(&r.ips, &a[1], err)) < 0 ||
	    (rc = names_arg(&r.dns, &a[2], err)) < 0)
		return rc;
	r.days = json_integer_value(a[3].j);
	return gen_cert(out, c, &r, err);
}

/* The CA argument of genSignedCert*: Sprig's certificate, read. */
static int
ca_arg(struct cert_req *r, const struct gd_tval *v, struct gd_err *err)
{
	const json_t *pc = json_object_get(v->j, "Cert");
	const json_t *pk = json_object_get(v->j, "Key");
	gnutls_datum_t d;
	int e;

	if (v->o != NULL || !json_is_string(pc) || !json_is_string(pk))
		return gd_err_set(err, GD_EINVAL,
		    "wrong type for value; expected sprig.certificate; got %s",
		    gd_tval_typename(v));
	if ((e = gnutls_x509_crt_init(&r->issuer)) < 0 ||
	    (e = gnutls_x509_privkey_init(&r->issuer_key)) < 0)
		return x509_fail(err, "reading the CA", e);
	d.data = (unsigned char *)(uintptr_t)json_string_value(pc);
	d.size = (unsigned)json_string_length(pc);
	if ((e = gnutls_x509_crt_import(r->issuer, &d, GNUTLS_X509_FMT_PEM)) <
	    0)
		return gd_err_set(err, GD_EINVAL, "error parsing ca cert: %s",
		    gnutls_strerror(e));
	d.data = (unsigned char *)(uintptr_t)json_string_value(pk);
	d.size = (unsigned)json_string_length(pk);
	if ((e = gnutls_x509_privkey_import(
		 r->issuer_key, &d, GNUTLS_X509_FMT_PEM)) < 0)
		return gd_err_set(err, GD_EINVAL, "error parsing ca key: %s",
		    gnutls_strerror(e));
	return 0;
}

/*
 * Sprig's parsePrivateKeyPEM: PKCS#1 RSA, SEC 1 EC, DSA or PKCS#8 in PEM.
 * Errors read as Sprig's, after what (the caller's context).
 */
static int
key_arg(gnutls_x509_privkey_t *key, const char *pem, const char *what,
    struct gd_err *err)
{
	static const char *const types[] = { "PRIVATE KEY", "RSA PRIVATE KEY",
		"EC PRIVATE KEY", "DSA PRIVATE KEY" };
	gnutls_datum_t d;
	const char *b = strstr(pem, "-----BEGIN ");
	size_t tl, i;
	int e;

	*key = NULL;
	if (b == NULL || strstr(b + 11, "-----END ") == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "%sno PEM data in input", what);
	tl = strcspn(b + 11, "-\n");
	for (i = 0; i < 4; i++)
		if (tl == strlen(types[i]) &&
		    strncmp(b + 11, types[i], tl) == 0)
			break;
	if (i == 4 &&
	    (tl < 12 || strncmp(b + 11 + tl - 12, " PRIVATE KEY", 12) != 0))
		return gd_err_set(err, GD_EINVAL,
		    "%sno private key data in PEM block of type %.*s", what,
		    (int)tl, b + 11);
	if (i == 4)
		return gd_err_set(err, GD_EINVAL,
		    "%sinvalid private key type %.*s", what, (int)tl, b + 11);
	d.data = (unsigned char *)(uintptr_t)b;
	d.size = (unsigned)strlen(b);
	if ((e = gnutls_x509_privkey_init(key)) < 0 ||
	    (e = gnutls_x509_privkey_import2(
		 *key, &d, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN)) < 0) {
		if (*key != NULL)
			gnutls_x509_privkey_deinit(*key);
		*key = NULL;
		/* Go's ASN.1 detail differs; the context is Sprig's */
		return gd_err_set(err, GD_EINVAL, "%s%s%s", what,
		    i == 0     ? "decoding PEM as PKCS#8: " :
			i == 1 ? "parsing RSA private key from PEM: " :
			i == 2 ? "parsing EC private key from PEM: " :
				 "parsing DSA private key from PEM: ",
		    gnutls_strerror(e));
	}
	return 0;
}

static void
req_dispose(struct cert_req *r)
{
	if (r->issuer != NULL)
		gnutls_x509_crt_deinit(r->issuer);
	if (r->issuer_key != NULL)
		gnutls_x509_privkey_deinit(r->issuer_key);
	if (r->key != NULL)
		gnutls_x509_privkey_deinit(r->key);
}

FN(f_gen_signed_cert)
{
	struct cert_req r = { 0 };
	int rc;

	(void)n;
	r.cn = json_string_value(a[0].j);
	r.days = json_integer_value(a[3].j);
	if ((rc = names_arg(&r.ips, &a[1], err)) == 0 &&
	    (rc = names_arg(&r.dns, &a[2], err)) == 0 &&
	    (rc = ca_arg(&r, &a[4], err)) == 0)
		rc = gen_cert(out, c, &r, err);
	req_dispose(&r);
	return rc;
}

/* --- the *WithKey variants and buildCustomCert -----------------------------
 */

FN(f_gen_ca_with_key)
{
	struct cert_req r = { 0 };
	int rc;

	(void)n;
	r.cn = json_string_value(a[0].j);
	r.days = json_integer_value(a[1].j);
	r.ca = true;
	if ((rc = key_arg(&r.key, json_string_value(a[2].j),
		 "parsing private key: ", err)) == 0)
		rc = gen_cert(out, c, &r, err);
	req_dispose(&r);
	return rc;
}

FN(f_gen_self_signed_cert_with_key)
{
	struct cert_req r = { 0 };
	int rc;

	(void)n;
	r.cn = json_string_value(a[0].j);
	r.days = json_integer_value(a[3].j);
	if ((rc = names_arg(&r.ips, &a[1], err)) == 0 &&
	    (rc = names_arg(&r.dns, &a[2], err)) == 0 &&
	    (rc = key_arg(&r.key, json_string_value(a[4].j),
		 "parsing private key: ", err)) == 0)
		rc = gen_cert(out, c, &r, err);
	req_dispose(&r);
	return rc;
}

FN(f_gen_signed_cert_with_key)
{
	struct cert_req r = { 0 };
	int rc;

	(void)n;
	r.cn = json_string_value(a[0].j);
	r.days = json_integer_value(a[3].j);
	if ((rc = names_arg(&r.ips, &a[1], err)) == 0 &&
	    (rc = names_arg(&r.dns, &a[2], err)) == 0 &&
	    (rc = ca_arg(&r, &a[4], err)) == 0 &&
	    (rc = key_arg(&r.key, json_string_value(a[5].j),
		 "parsing private key: ", err)) == 0)
		rc = gen_cert(out, c, &r, err);
	req_dispose(&r);
	return rc;
}

/* base64.StdEncoding.DecodeString: padding required, newlines ignored */
static bool
b64_strict(struct gd_buf *out, const char *s, size_t l)
{
	size_t n;

	gd_buf_reset(out);
	gd_buf_add(out, "", 0);
	if (l == 0)
		return true;
	out->data = xrealloc(out->data, l + 1);
	out->cap = l + 1;
	if (sodium_base642bin((unsigned char *)out->data, l, s, l, "\r\n", &n,
		NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	out->len = n;
	out->data[n] = '\0';
	return true;
}

/*
 * buildCustomCert: a certificate and key given in base64 PEM, checked
 * and handed back decoded as Sprig's certificate.
 */
FN(f_build_custom_cert)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	struct gd_buf cb, kb;
	gnutls_datum_t d;
	const char *p;
	int rc = 0, e;

	(void)c, (void)n;
	gd_buf_init(&cb);
	gd_buf_init(&kb);
	if (!b64_strict(
		&cb, json_string_value(a[0].j), json_string_length(a[0].j))) {
		rc = gd_err_set(
		    err, GD_EINVAL, "unable to decode base64 certificate");
		goto out;
	}
	if (!b64_strict(
		&kb, json_string_value(a[1].j), json_string_length(a[1].j))) {
		rc = gd_err_set(
		    err, GD_EINVAL, "unable to decode base64 private key");
		goto out;
	}
	if ((p = strstr(cb.data, "-----BEGIN ")) == NULL ||
	    strstr(p, "-----END ") == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "unable to decode certificate");
		goto out;
	}
	d.data = (unsigned char *)p;
	d.size = (unsigned)strlen(p);
	if ((e = gnutls_x509_crt_init(&crt)) < 0 ||
	    (e = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		rc = gd_err_set(err, GD_EINVAL,
		    "error parsing certificate: decodedCert.Bytes: %s",
		    gnutls_strerror(e));
		goto out;
	}
	if ((rc = key_arg(&key, kb.data, "error parsing private key: ", err)) <
	    0)
		goto out;
	*out = gd_tval_json(json_pack(
	    "{s:s%, s:s%}", "Cert", cb.data, cb.len, "Key", kb.data, kb.len));
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	gd_buf_dispose(&cb);
	gd_buf_dispose(&kb);
	return rc;
}

/* --- encryptAES, decryptAES: AES-256-CBC as Sprig does it ------------------
 */

/* Sprig's key: the password's first 32 bytes, zero-padded */
static void
aes_key(unsigned char key[32], const char *pw)
{
	size_t l = strlen(pw);

	memset(key, 0, 32);
	memcpy(key, pw, l < 32 ? l : 32);
}

static int
aes_run(bool enc, const unsigned char *key, unsigned char *iv,
    unsigned char *buf, size_t len, struct gd_err *err)
{
	gnutls_cipher_hd_t h;
	gnutls_datum_t k = { (unsigned char *)(uintptr_t)key, 32 },
		       v = { iv, 16 };
	int e;

	if ((e = gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_256_CBC, &k, &v)) < 0)
		return x509_fail(err, "starting AES", e);
	e = enc ? gnutls_cipher_encrypt(h, buf, len) :
		  gnutls_cipher_decrypt(h, buf, len);
	gnutls_cipher_deinit(h);
	return e < 0 ? x509_fail(err, "running AES", e) : 0;
}

/* base64(IV | AES-256-CBC(PKCS#7-padded text)), a fresh random IV */
FN(f_encrypt_aes)
{
	const char *text = json_string_value(a[1].j);
	size_t tl = json_string_length(a[1].j), pad = 16 - tl % 16, bl;
	unsigned char key[32], *buf;
	char *b64;
	int rc, e;

	(void)n;
	if (tl == 0) {
		*out = gd_tval_json(json_string_nocheck(""));
		return 0;
	}
	if ((rc = gd_tmpl_call_charge(c, tl / 16 + 1, err)) < 0)
		return rc;
	bl = 16 + tl + pad;
	buf = xmalloc(bl);
	memcpy(buf + 16, text, tl);
	memset(buf + 16 + tl, (int)pad, pad);
	aes_key(key, json_string_value(a[0].j));
	if ((e = gnutls_rnd(GNUTLS_RND_NONCE, buf, 16)) < 0)
		rc = x509_fail(err, "making an IV", e);
	else if ((rc = aes_run(true, key, buf, buf + 16, bl - 16, err)) == 0) {
		b64 = xmalloc(sodium_base64_ENCODED_LEN(
		    bl, sodium_base64_VARIANT_ORIGINAL));
		sodium_bin2base64(b64,
		    sodium_base64_ENCODED_LEN(
			bl, sodium_base64_VARIANT_ORIGINAL),
		    buf, bl, sodium_base64_VARIANT_ORIGINAL);
		*out = gd_tval_json(json_string_nocheck(b64));
		free(b64);
	}
	sodium_memzero(key, sizeof(key));
	free(buf);
	return rc;
}

/* Sprig's decryptAES, with the errors Go's slicing panics print */
FN(f_decrypt_aes)
{
	const char *in = json_string_value(a[1].j), *end = NULL;
	size_t il = json_string_length(a[1].j), bl = 0, last;
	unsigned char key[32], *buf;
	int rc = 0;

	(void)n;
	if (il == 0) {
		*out = gd_tval_json(json_string_nocheck(""));
		return 0;
	}
	if ((rc = gd_tmpl_call_charge(c, il / 16 + 1, err)) < 0)
		return rc;
	buf = xmalloc(il);
	if (sodium_base642bin(buf, il, in, il, NULL, &bl, &end,
		sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    (end != NULL && *end != '\0')) {
		rc = gd_err_set(err, GD_EINVAL,
		    "illegal base64 data at input byte %zu",
		    end != NULL ? (size_t)(end - in) : (size_t)0);
		goto out;
	}
	if (bl < 16) {
		rc = gd_err_set(err, GD_EINVAL,
		    "runtime error: slice bounds out of range [:16] with "
		    "capacity %zu",
		    bl);
		goto out;
	}
	if ((bl - 16) % 16 != 0) {
		rc = gd_err_set(
		    err, GD_EINVAL, "crypto/cipher: input not full blocks");
		goto out;
	}
	if (bl == 16) {
		rc = gd_err_set(
		    err, GD_EINVAL, "runtime error: index out of range [-1]");
		goto out;
	}
	aes_key(key, json_string_value(a[0].j));
	rc = aes_run(false, key, buf, buf + 16, bl - 16, err);
	sodium_memzero(key, sizeof(key));
	if (rc < 0)
		goto out;
	last = buf[bl - 1];
	if (last > bl - 16) {
		rc = gd_err_set(err, GD_EINVAL,
		    "runtime error: slice bounds out of range [:%lld]",
		    (long long)(bl - 16) - (long long)last);
		goto out;
	}
	*out = gd_tval_json(
	    json_stringn_nocheck((const char *)buf + 16, bl - 16 - last));
out:
	free(buf);
	return rc;
}

const struct gd_tmpl_func helm_sprig_x509[] = {
	{ "decryptAES", f_decrypt_aes, "ss", NULL, 0 },
	{ "encryptAES", f_encrypt_aes, "ss", NULL, GD_TMPL_FN_VARIES },
	{ "buildCustomCert", f_build_custom_cert, "ss", NULL, 0 },
	{ "genCA", f_gen_ca, "si", NULL, GD_TMPL_FN_VARIES },
	{ "genCAWithKey", f_gen_ca_with_key, "sis", NULL, GD_TMPL_FN_VARIES },
	{ "genPrivateKey", f_gen_private_key, "s", NULL, GD_TMPL_FN_VARIES },
	{ "genSelfSignedCert", f_gen_self_signed_cert, "svvi", NULL,
	    GD_TMPL_FN_VARIES },
	{ "genSelfSignedCertWithKey", f_gen_self_signed_cert_with_key, "svvis",
	    NULL, GD_TMPL_FN_VARIES },
	{ "genSignedCert", f_gen_signed_cert, "svviv", NULL,
	    GD_TMPL_FN_VARIES },
	{ "genSignedCertWithKey", f_gen_signed_cert_with_key, "svvivs", NULL,
	    GD_TMPL_FN_VARIES },
	{ NULL, NULL, NULL, NULL, 0 },
};
