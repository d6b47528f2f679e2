#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/http.h"
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

char *nonce_take(struct nonce_pool *p, struct http_client *http, const char *new_nonce_url,
                 struct error *e)
{
	struct http_response r = {0};
	char *n = NULL;

	if (p->n > 0) {
		n = p->nonces[--p->n];
		p->nonces[p->n] = NULL;
		return n;
	}
	if (http_request(http, "HEAD", new_nonce_url, NULL, NULL, 0, NULL, &r, e) < 0)
		goto out;
	nonce_keep(p, &r);
	if (p->n == 0) {
		err_set(e, EXIT_OP, "%s returned no usable Replay-Nonce (HTTP %ld)", new_nonce_url,
		        r.status);
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
