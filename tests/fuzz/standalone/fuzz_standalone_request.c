/* The standalone plugin's request-head parser (plugins/http-standalone/
 * request.c), fed what a client could send. Properties, each an abort():
 *  - a parsed challenge token is 1 to REQ_TOKEN_MAX base64url characters,
 *    and a request rebuilt around it parses back to the same token;
 *  - the verdict on a prefix is final once it is not REQ_MORE: the whole
 *    input gives the same verdict and the same request;
 *  - REQ_TOO_LONG only once REQ_HEAD_MAX bytes have arrived. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "request.h"

static void check_token(const struct req *r)
{
	size_t n = strlen(r->token);
	char line[REQ_TOKEN_MAX + 64];
	struct req again;
	int len;

	if (!r->challenge)
		return;
	if (n == 0 || n > REQ_TOKEN_MAX || strspn(r->token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                                    "abcdefghijklmnopqrstuvwxyz"
	                                                    "0123456789-_") != n)
		abort();
	len = snprintf(line, sizeof(line), "GET /.well-known/acme-challenge/%s HTTP/1.1\r\n\r\n",
	               r->token);
	if (len < 0 || (size_t)len >= sizeof(line) ||
	    req_parse(line, (size_t)len, &again) != REQ_DONE || !again.challenge ||
	    strcmp(again.token, r->token) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct req whole, part;
	enum req_status st, sp;
	size_t half = size / 2;

	memset(&whole, 0, sizeof(whole));
	memset(&part, 0, sizeof(part));
	st = req_parse(buf, size, &whole);
	if (st == REQ_TOO_LONG && size < REQ_HEAD_MAX)
		abort();
	if (st == REQ_DONE)
		check_token(&whole);
	sp = req_parse(buf, half, &part);
	if (sp != REQ_MORE && sp != REQ_TOO_LONG &&
	    (sp != st || (sp == REQ_DONE && memcmp(&part, &whole, sizeof(part)) != 0)))
		abort();
	return 0;
}
