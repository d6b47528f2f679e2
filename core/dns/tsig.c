/* TSIG (RFC 8945): HMAC signatures over DNS messages, for signed UPDATEs
 * and for checking that the reply really came from the key holder. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "base/b64.h"
#include "dns/wire.h"

static const struct {
	const char *name;    /* the algorithm's domain name, canonical */
	const char *digest;  /* OpenSSL digest name */
	size_t mac_len;
} algs[] = {
	[DNS_TSIG_HMAC_SHA256] = {"hmac-sha256", "SHA256", 32},
	[DNS_TSIG_HMAC_SHA384] = {"hmac-sha384", "SHA384", 48},
	[DNS_TSIG_HMAC_SHA512] = {"hmac-sha512", "SHA512", 64},
	[DNS_TSIG_HMAC_SHA1] = {"hmac-sha1", "SHA1", 20},
};

int dns_tsig_alg_parse(const char *alg)
{
	char tmp[32];
	size_t n;

	if (!alg || !*alg)
		return DNS_TSIG_HMAC_SHA256;
	n = strlen(alg);
	if (alg[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (size_t i = 0; i < n; i++)
		tmp[i] = (char)tolower((unsigned char)alg[i]);
	tmp[n] = '\0';
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(tmp, algs[i].name) == 0)
			return (int)i;
	return -1;
}

/* NAME in canonical wire form: uncompressed, ASCII lower case (RFC 8945
 * §4.3.3 digests the key and algorithm names this way). */
static int canonical_name(const char *name, uint8_t out[DNS_MAX_WIRE_NAME])
{
	int n = dns_name_to_wire(name, out);

	for (int i = 0; i < n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (uint8_t)(out[i] + 32);
	return n;
}

int dns_tsig_key_init(struct dns_tsig_key *k, const char *name, const char *alg,
		      const char *secret_b64, struct error *e)
{
	unsigned char *secret = NULL;
	size_t secret_len = 0;
	int n, a, rc = -1;

	memset(k, 0, sizeof(*k));
	n = name ? canonical_name(name, k->name) : -1;
	if (n <= 1) {
		err_set(e, EXIT_USAGE, "invalid TSIG key name \"%s\"", name ? name : "");
		goto out;
	}
	k->name_len = (size_t)n;
	a = dns_tsig_alg_parse(alg);
	if (a < 0) {
		err_set(e, EXIT_USAGE,
			"unsupported TSIG algorithm \"%s\" for key %s; use hmac-sha256, hmac-sha384, "
			"hmac-sha512 or hmac-sha1",
			alg, name);
		goto out;
	}
	k->alg = (enum dns_tsig_alg)a;
	if (!secret_b64 || b64_decode(secret_b64, &secret, &secret_len) < 0 || secret_len == 0 ||
	    secret_len > sizeof(k->secret)) {
		err_set(e, EXIT_USAGE, "TSIG key %s: the secret is not valid base64 (as tsig-keygen prints it)",
			name);
		goto out;
	}
	memcpy(k->secret, secret, secret_len);
	k->secret_len = secret_len;
	rc = 0;
out:
	if (secret) {
		OPENSSL_cleanse(secret, secret_len);
		free(secret);
	}
	if (rc < 0)
		dns_tsig_key_wipe(k);
	return rc;
}

void dns_tsig_key_wipe(struct dns_tsig_key *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int dns_tsig_read(const struct dns_msg *m, struct dns_tsig_rr *t)
{
	const struct dns_rr *rr;
	const uint8_t *w = m->wire;
	size_t p, end, other_len;
	struct dns_tsig_rr r;

	if (!m->has_tsig || m->nrr == 0)
		return -1;
	rr = &m->rrs[m->nrr - 1];
	if (rr->type != DNS_T_TSIG)
		return -1;
	memset(&r, 0, sizeof(r));
	end = rr->rdata_off + rr->rdlen;
	if (end > m->len ||
	    dns_name_read(w, m->len, rr->name_off, true, r.key_name, sizeof(r.key_name), NULL) < 0 ||
	    dns_name_read(w, end, rr->rdata_off, true, r.alg_name, sizeof(r.alg_name), &p) < 0)
		return -1;
	if (p + 10 > end)
		return -1;
	r.time_signed = get48(w + p);
	r.fudge = get16(w + p + 6);
	r.mac_len = get16(w + p + 8);
	p += 10;
	if (r.mac_len > DNS_TSIG_MAX_MAC || p + r.mac_len + 6 > end)
		return -1;
	memcpy(r.mac, w + p, r.mac_len);
	p += r.mac_len;
	r.original_id = get16(w + p);
	r.error = get16(w + p + 2);
	other_len = get16(w + p + 4);
	p += 6;
	if (p + other_len != end)
		return -1;
	r.other_len = (uint16_t)other_len;
	if (other_len == 6) {
		r.other_time = get48(w + p);
		r.has_other_time = true;
	}
	*t = r;
	return 0;
}

/* An HMAC context for K's algorithm, or NULL. */
static EVP_MAC_CTX *mac_start(const struct dns_tsig_key *k)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];

	if (!mac)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)algs[k->alg].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, k->secret, k->secret_len, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The TSIG variables of RFC 8945 §4.3.3 in wire form, up to and including
 * the other-data length; the other data itself is digested by the caller,
 * since it can be as long as the message. */
static size_t tsig_variables(const struct dns_tsig_key *k, uint64_t time_signed, uint16_t fudge,
			     uint16_t error, uint16_t other_len, uint8_t *out)
{
	uint8_t alg[DNS_MAX_WIRE_NAME];
	int al = canonical_name(algs[k->alg].name, alg);
	size_t o = 0;

	memcpy(out, k->name, k->name_len);
	o += k->name_len;
	put16(out + o, DNS_C_ANY);
	memset(out + o + 2, 0, 4); /* TTL */
	o += 6;
	memcpy(out + o, alg, (size_t)al);
	o += (size_t)al;
	put48(out + o, time_signed);
	put16(out + o + 6, fudge);
	put16(out + o + 8, error);
	put16(out + o + 10, other_len);
	o += 12;
	return o;
}

int dns_tsig_sign(const struct dns_tsig_key *k, uint8_t *buf, size_t *len, size_t cap,
		  uint64_t now, uint8_t *mac, size_t *mac_len)
{
	uint8_t vars[2 * DNS_MAX_WIRE_NAME + 32], alg[DNS_MAX_WIRE_NAME];
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t vl, dl = 0, o = *len, need;
	int al = canonical_name(algs[k->alg].name, alg);
	EVP_MAC_CTX *ctx = NULL;
	int rc = -1;

	if (*len < DNS_HEADER_LEN || al < 0)
		goto out;
	vl = tsig_variables(k, now, DNS_TSIG_FUDGE, 0, 0, vars);
	ctx = mac_start(k);
	if (!ctx || !EVP_MAC_update(ctx, buf, *len) || !EVP_MAC_update(ctx, vars, vl) ||
	    !EVP_MAC_final(ctx, digest, &dl, sizeof(digest)) || dl != algs[k->alg].mac_len)
		goto out;
	need = k->name_len + 10 + (size_t)al + 10 + dl + 6;
	if (cap < o || cap - o < need || get16(buf + 10) == UINT16_MAX)
		goto out;
	memcpy(buf + o, k->name, k->name_len);
	o += k->name_len;
	put16(buf + o, DNS_T_TSIG);
	put16(buf + o + 2, DNS_C_ANY);
	memset(buf + o + 4, 0, 4);
	put16(buf + o + 8, (uint16_t)(need - k->name_len - 10));
	o += 10;
	memcpy(buf + o, alg, (size_t)al);
	o += (size_t)al;
	put48(buf + o, now);
	put16(buf + o + 6, DNS_TSIG_FUDGE);
	put16(buf + o + 8, (uint16_t)dl);
	o += 10;
	memcpy(buf + o, digest, dl);
	o += dl;
	memcpy(buf + o, buf, 2); /* original ID */
	put16(buf + o + 2, 0);
	put16(buf + o + 4, 0);
	o += 6;
	put16(buf + 10, (uint16_t)(get16(buf + 10) + 1));
	memcpy(mac, digest, dl);
	*mac_len = dl;
	*len = o;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	OPENSSL_cleanse(digest, sizeof(digest));
	return rc;
}

int dns_tsig_verify(const struct dns_tsig_key *k, const struct dns_msg *m,
		    const uint8_t *req_mac, size_t req_mac_len, uint64_t now,
		    struct dns_tsig_rr *t)
{
	struct dns_tsig_rr r;
	const struct dns_rr *rr;
	uint8_t vars[2 * DNS_MAX_WIRE_NAME + 32], name[DNS_MAX_WIRE_NAME];
	uint8_t hdr[DNS_HEADER_LEN], lenbuf[2], digest[EVP_MAX_MD_SIZE];
	const uint8_t *other;
	size_t vl, dl = 0;
	EVP_MAC_CTX *ctx = NULL;
	int n, rc = -1;

	if (dns_tsig_read(m, &r) < 0)
		goto out;
	if (t)
		*t = r;
	rr = &m->rrs[m->nrr - 1];
	n = canonical_name(r.key_name, name);
	if (n < 0 || (size_t)n != k->name_len || memcmp(name, k->name, k->name_len) != 0 ||
	    dns_tsig_alg_parse(r.alg_name) != (int)k->alg || strcmp(r.alg_name, ".") == 0) {
		rc = DNS_R_BADKEY;
		goto out;
	}
	/* Replies to a bad key or signature are unsigned (RFC 8945 §5.3.2):
	 * there is nothing to check, only the server's verdict to report. */
	if (r.error == DNS_R_BADKEY || r.error == DNS_R_BADSIG) {
		rc = r.error;
		goto out;
	}
	if (r.mac_len != algs[k->alg].mac_len || rr->ttl != 0) {
		rc = DNS_R_BADSIG;
		goto out;
	}
	memcpy(hdr, m->wire, DNS_HEADER_LEN);
	put16(hdr, r.original_id);
	put16(hdr + 10, (uint16_t)(get16(hdr + 10) - 1));
	put16(lenbuf, (uint16_t)req_mac_len);
	other = m->wire + rr->rdata_off + rr->rdlen - r.other_len;
	vl = tsig_variables(k, r.time_signed, r.fudge, r.error, r.other_len, vars);
	ctx = mac_start(k);
	if (!ctx)
		goto out;
	if (req_mac && (!EVP_MAC_update(ctx, lenbuf, 2) ||
			!EVP_MAC_update(ctx, req_mac, req_mac_len)))
		goto out;
	if (!EVP_MAC_update(ctx, hdr, DNS_HEADER_LEN) ||
	    !EVP_MAC_update(ctx, m->wire + DNS_HEADER_LEN, rr->off - DNS_HEADER_LEN) ||
	    !EVP_MAC_update(ctx, vars, vl) || !EVP_MAC_update(ctx, other, r.other_len) ||
	    !EVP_MAC_final(ctx, digest, &dl, sizeof(digest)))
		goto out;
	if (dl != r.mac_len || CRYPTO_memcmp(digest, r.mac, dl) != 0) {
		rc = DNS_R_BADSIG;
		goto out;
	}
	if ((now > r.time_signed ? now - r.time_signed : r.time_signed - now) > DNS_TSIG_FUDGE) {
		rc = DNS_R_BADTIME;
		goto out;
	}
	/* A signed reply may still carry an error (BADTIME with the server's
	 * clock in other data). */
	rc = r.error;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}
