#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/http.h"
#include "base/log.h"
#include "base/retry.h"
#include "acme/nonce.h"

void nonce_keep(struct nonce_pool *p, const struct http_response *r)
{
	char *n = http_header(r, "Replay-Nonce");

	if (!n)
		return;
	if (!b64url_valid(n, NONCE_MAX_LEN)) {
		free(n);
		return;
	}
	if (p->n == NONCE_POOL_MAX) {
		free(p->nonces[0]);
		memmove(p->nonces, p->nonces + 1, (NONCE_POOL_MAX - 1) * sizeof(p->nonces[0]));
		p->n--;
	}
	p->nonces[p->n++] = n;
}

char *nonce_take(struct nonce_pool *p, struct http_client *http, struct log *log,
                 time_t deadline, const char *new_nonce_url, struct error *e)
{
	struct http_response r = {0};
	struct retry rt;
	char *n = NULL;

	if (p->n > 0) {
		n = p->nonces[--p->n];
		p->nonces[p->n] = NULL;
		return n;
	}
	retry_init(&rt, log, "fetching a nonce", deadline);
	/* A malformed nonce is dropped (nonce_keep); asking again costs one
	 * round trip, while giving up would fail the whole run. The cap is
	 * badNonce's: both are the CA's nonces going wrong. */
	for (int i = 0; i < RETRY_BAD_NONCE_MAX && p->n == 0; i++) {
		http_response_free(&r);
		if (retry_request(&rt, http, "HEAD", new_nonce_url, NULL, &r, e) < 0)
			goto out;
		nonce_keep(p, &r);
		if (p->n == 0 && log)
			log_msg(log, LVL_DEBUG, "%s: no usable Replay-Nonce (HTTP %ld), asking again",
			        new_nonce_url, r.status);
	}
	if (p->n == 0) {
		err_set(e, EXIT_OP, "%s returned no usable Replay-Nonce (HTTP %ld, %d tries)",
		        new_nonce_url, r.status, RETRY_BAD_NONCE_MAX);
		goto out;
	}
	n = p->nonces[--p->n];
	p->nonces[p->n] = NULL;
out:
	http_response_free(&r);
	return n;
}

void nonce_pool_free(struct nonce_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->nonces[i]);
	p->n = 0;
}
