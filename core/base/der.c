#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/der.h"

/* Lengths above 2^32 - 1 are never needed here and are refused, so the
 * long form has at most four length bytes. */
#define DER_LEN_MAX 0xffffffffu

void der_writer_init(struct der_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max < DER_LEN_MAX ? max : DER_LEN_MAX;
}

void der_writer_free(struct der_writer *w)
{
	if (w->buf) {
		OPENSSL_cleanse(w->buf, w->cap);
		free(w->buf);
	}
	w->buf = NULL;
	w->len = w->cap = 0;
	w->depth = 0;
}

/* Room for EXTRA more bytes, within the cap. The old buffer is wiped
 * rather than handed to realloc, which would free it as it is. */
static bool reserve(struct der_writer *w, size_t extra)
{
	size_t ncap;
	unsigned char *nb;

	if (w->failed || extra > w->max - w->len) {
		w->failed = true;
		return false;
	}
	if (w->len + extra <= w->cap)
		return true;
	ncap = w->cap ? w->cap : 256;
	while (ncap < w->len + extra)
		ncap *= 2;
	if (ncap > w->max)
		ncap = w->max;
	nb = malloc(ncap);
	if (!nb) {
		w->failed = true;
		return false;
	}
	if (w->buf) {
		memcpy(nb, w->buf, w->len);
		OPENSSL_cleanse(w->buf, w->cap);
		free(w->buf);
	}
	w->buf = nb;
	w->cap = ncap;
	return true;
}

/* The length octets of LEN into DST (at least 5 bytes); their count. */
static size_t encode_len(size_t len, unsigned char *dst)
{
	size_t k = 0;

	if (len < 0x80) {
		dst[0] = (unsigned char)len;
		return 1;
	}
	for (size_t v = len; v; v >>= 8)
		k++;
	dst[0] = (unsigned char)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		dst[1 + i] = (unsigned char)(len >> (8 * (k - 1 - i)));
	return 1 + k;
}

static void put_header(struct der_writer *w, unsigned char tag, size_t len)
{
	unsigned char hdr[6];
	size_t k;

	if (len > DER_LEN_MAX) {
		w->failed = true;
		return;
	}
	hdr[0] = tag;
	k = encode_len(len, hdr + 1);
	der_put_raw(w, hdr, 1 + k);
}

void der_put_raw(struct der_writer *w, const void *p, size_t n)
{
	if (!reserve(w, n))
		return;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void der_begin(struct der_writer *w, unsigned char tag)
{
	if (w->depth >= DER_MAX_DEPTH)
		w->failed = true;
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = tag;
	w->open[w->depth++] = w->len;
}

/* The contents are written first; the length octets go in front of them
 * once their size is known. */
void der_end(struct der_writer *w)
{
	unsigned char lenbuf[6];
	size_t start, clen, k;

	if (w->depth <= 0)
		w->failed = true;
	if (w->failed)
		return;
	start = w->open[--w->depth];
	clen = w->len - start;
	k = encode_len(clen, lenbuf);
	if (!reserve(w, k))
		return;
	memmove(w->buf + start + k, w->buf + start, clen);
	memcpy(w->buf + start, lenbuf, k);
	w->len += k;
}

void der_put(struct der_writer *w, unsigned char tag, const void *p, size_t n)
{
	put_header(w, tag, n);
	der_put_raw(w, p, n);
}

void der_put_uint(struct der_writer *w, const unsigned char *p, size_t n)
{
	bool pad;

	while (n && p[0] == 0) {
		p++;
		n--;
	}
	pad = n == 0 || (p[0] & 0x80);
	put_header(w, DER_INTEGER, n + pad);
	if (pad)
		der_put_raw(w, "", 1);
	der_put_raw(w, p, n);
}

void der_put_bn(struct der_writer *w, const BIGNUM *bn)
{
	int nb;
	bool pad;

	if (!bn || BN_is_negative(bn)) {
		w->failed = true;
		return;
	}
	nb = BN_num_bytes(bn);
	pad = nb == 0 || BN_is_bit_set(bn, nb * 8 - 1);
	put_header(w, DER_INTEGER, (size_t)nb + pad);
	if (pad)
		der_put_raw(w, "", 1);
	if (!reserve(w, (size_t)nb))
		return;
	/* Straight into the buffer: no copy of a private value elsewhere. */
	if (nb && BN_bn2bin(bn, w->buf + w->len) != nb) {
		w->failed = true;
		return;
	}
	w->len += (size_t)nb;
}

void der_put_bits(struct der_writer *w, const void *p, size_t n)
{
	if (n == (size_t)-1) {
		w->failed = true;
		return;
	}
	put_header(w, DER_BIT_STRING, n + 1);
	der_put_raw(w, "", 1);
	der_put_raw(w, p, n);
}

int der_finish(struct der_writer *w, unsigned char **out, size_t *len)
{
	int ret = -1;

	if (w->failed || w->depth != 0 || w->len == 0)
		goto out;
	*out = w->buf;
	*len = w->len;
	w->buf = NULL;
	ret = 0;
out:
	der_writer_free(w);
	w->failed = false;
	return ret;
}

/* --- reader ---------------------------------------------------------------- */

void der_reader_init(struct der_reader *r, const void *p, size_t n)
{
	r->p = p;
	r->len = n;
	r->depth = 0;
}

bool der_at_end(const struct der_reader *r)
{
	return r->len == 0;
}

int der_peek(const struct der_reader *r)
{
	return r->len ? r->p[0] : -1;
}

/* The header of the next element: its size in *HDR and its content
 * length in *CLEN, both within what is left. */
static int read_header(const struct der_reader *r, size_t *hdr, size_t *clen)
{
	size_t k, v = 0;

	/* Tag numbers above 30 (the 0x1f escape) are not used here. */
	if (r->len < 2 || (r->p[0] & 0x1f) == 0x1f)
		return -1;
	if (r->p[1] < 0x80) {
		*hdr = 2;
		*clen = r->p[1];
	} else {
		/* 0x80 is the indefinite form; DER allows only definite ones. */
		k = r->p[1] & 0x7f;
		if (k == 0 || k > 4 || r->len - 2 < k || r->p[2] == 0)
			return -1;
		for (size_t i = 0; i < k; i++)
			v = (v << 8) | r->p[2 + i];
		/* The shortest form: a length under 128 takes no long form. */
		if (v < 0x80)
			return -1;
		*hdr = 2 + k;
		*clen = v;
	}
	return *clen <= r->len - *hdr ? 0 : -1;
}

int der_get(struct der_reader *r, unsigned char tag, struct der_reader *in)
{
	size_t hdr, clen;

	if (r->depth >= DER_MAX_DEPTH || r->len == 0 || r->p[0] != tag ||
	    read_header(r, &hdr, &clen) < 0)
		return -1;
	in->p = r->p + hdr;
	in->len = clen;
	in->depth = r->depth + 1;
	r->p += hdr + clen;
	r->len -= hdr + clen;
	return 0;
}

int der_get_raw(struct der_reader *r, const unsigned char **p, size_t *n)
{
	size_t hdr, clen;

	if (read_header(r, &hdr, &clen) < 0)
		return -1;
	*p = r->p;
	*n = hdr + clen;
	r->p += hdr + clen;
	r->len -= hdr + clen;
	return 0;
}

int der_get_uint(struct der_reader *r, const unsigned char **p, size_t *n)
{
	struct der_reader in, save = *r;

	if (der_get(r, DER_INTEGER, &in) < 0)
		return -1;
	/* Empty, negative, or a leading 0x00 the next byte does not need. */
	if (in.len == 0 || (in.p[0] & 0x80) ||
	    (in.len > 1 && in.p[0] == 0 && !(in.p[1] & 0x80))) {
		*r = save;
		return -1;
	}
	if (in.p[0] == 0) {
		in.p++;
		in.len--;
	}
	*p = in.p;
	*n = in.len;
	return 0;
}

int der_get_small(struct der_reader *r, unsigned value)
{
	struct der_reader save = *r;
	const unsigned char *p;
	size_t n;
	unsigned long v = 0;

	if (der_get_uint(r, &p, &n) < 0)
		return -1;
	if (n > sizeof(unsigned))
		goto fail;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (v == value)
		return 0;
fail:
	*r = save;
	return -1;
}

int der_get_bits(struct der_reader *r, const unsigned char **p, size_t *n)
{
	struct der_reader in, save = *r;

	if (der_get(r, DER_BIT_STRING, &in) < 0)
		return -1;
	if (in.len == 0 || in.p[0] != 0) {
		*r = save;
		return -1;
	}
	*p = in.p + 1;
	*n = in.len - 1;
	return 0;
}

bool der_get_fixed(struct der_reader *r, unsigned char tag, const void *p, size_t n)
{
	struct der_reader in, save = *r;

	if (der_get(r, tag, &in) < 0)
		return false;
	if (in.len == n && (n == 0 || memcmp(in.p, p, n) == 0))
		return true;
	*r = save;
	return false;
}
