/* The Replay-Nonce pool (RFC 8555 §7.2): every response's nonce is kept so
 * most requests need no extra newNonce round trip. One pool serves every
 * order of a run that talks to its CA, from as many threads as run them. */
#ifndef ACMEHOOK_NONCE_H
#define ACMEHOOK_NONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <pthread.h>

#include "base/err.h"

struct http_client;
struct http_response;
struct log;

/* Enough for every order of a run with --parallel at its maximum to find
 * one waiting. */
#define NONCE_POOL_MAX 64
#define NONCE_MAX_LEN 256

struct nonce_pool {
	pthread_mutex_t lock;         /* guards nonces and n */
	char *nonces[NONCE_POOL_MAX]; /* owned; most recent last */
	size_t n;
	bool ready;                   /* nonce_pool_init ran */
};

void nonce_pool_init(struct nonce_pool *p);

/* Keep the Replay-Nonce of R, if it has a well-formed one (base64url,
 * at most NONCE_MAX_LEN bytes); anything else a server sends is dropped. */
void nonce_keep(struct nonce_pool *p, const struct http_response *r);
/* A nonce to use, owned by the caller: from the pool, or fetched from
 * NEW_NONCE_URL with HEAD, retried (base/retry.h) within DEADLINE (absolute;
 * 0: none) and asked again when the answer carries no usable nonce. LOG is
 * borrowed and may be NULL. */
char *nonce_take(struct nonce_pool *p, struct http_client *http, struct log *log,
                 time_t deadline, const char *new_nonce_url, struct error *e);
void nonce_pool_free(struct nonce_pool *p);

#endif
