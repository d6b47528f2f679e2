#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/http.h"
#include "base/log.h"
#include "base/retry.h"
#include "acme/nonce.h"

void nonce_pool_init(struct nonce_pool *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->ready = true;
}

/* The well-formed Replay-Nonce of R as a new string (base64url, at most
 * NONCE_MAX_LEN bytes), or NULL. */
static char *nonce_of(const struct http_response *r)
{
	char *n = http_header(r, "Replay-Nonce");

	if (n && !b64url_valid(n, NONCE_MAX_LEN)) {
		free(n);
		n = NULL;
	}
	return n;
}

void nonce_keep(struct nonce_pool *p, const struct http_response *r)
{
	char *n = nonce_of(r), *dropped = NULL;

	if (!n)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->n == NONCE_POOL_MAX) {
		dropped = p->nonces[0];
		memmove(p->nonces, p->nonces + 1, (NONCE_POOL_MAX - 1) * sizeof(p->nonces[0]));
		p->n--;
	}
	p->nonces[p->n++] = n;
	pthread_mutex_unlock(&p->lock);
	free(dropped);
}

char *nonce_take(struct nonce_pool *p, struct http_client *http, struct log *log,
                 time_t deadline, const char *new_nonce_url, struct error *e)
{
	struct http_response r = {0};
	struct retry rt;
	char *n = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->n > 0) {
		n = p->nonces[--p->n];
		p->nonces[p->n] = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (n)
		return n;
	/* The pool is empty: this caller asks for a nonce of its own, without
	 * holding the pool, so that the others' requests go on meanwhile. */
	retry_init(&rt, log, "fetching a nonce", deadline);
	/* A malformed nonce is dropped; asking again costs one round trip,
	 * while giving up would fail the whole run. The cap is badNonce's:
	 * both are the CA's nonces going wrong. */
	for (int i = 0; i < RETRY_BAD_NONCE_MAX && !n; i++) {
		http_response_free(&r);
		if (retry_request(&rt, http, "HEAD", new_nonce_url, NULL, &r, e) < 0)
			goto out;
		n = nonce_of(&r);
		if (!n && log)
			log_msg(log, LVL_DEBUG, "%s: no usable Replay-Nonce (HTTP %ld), asking again",
			        new_nonce_url, r.status);
	}
	if (!n)
		err_set(e, EXIT_OP, "%s returned no usable Replay-Nonce (HTTP %ld, %d tries)",
		        new_nonce_url, r.status, RETRY_BAD_NONCE_MAX);
out:
	http_response_free(&r);
	return n;
}

void nonce_pool_free(struct nonce_pool *p)
{
	if (!p || !p->ready)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->nonces[i]);
	p->n = 0;
	pthread_mutex_destroy(&p->lock);
	p->ready = false;
}
