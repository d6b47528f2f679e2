/* Parsing what servers send: Link headers, Retry-After, problem documents
 * (with control characters escaped before they reach a terminal). */
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "check.h"
#include "base/http.h"

static void set_headers(struct http_response *r, const char *h)
{
	buf_reset(&r->headers);
	buf_puts(&r->headers, h);
}

int main(void)
{
	struct http_response r = {0};
	struct acme_reply ar = {0};
	struct error e = {0};
	char **links;
	char text[512];
	char *v;
	cJSON *p;

	set_headers(&r, "HTTP/2 200\r\nReplay-Nonce:  abc_DEF-1 \r\n"
	                "Link: <https://ca/a/1>;rel=\"alternate\", <https://ca/dir>;rel=\"index\"\r\n"
	                "link: <https://ca/a/2> ; rel=alternate\r\n\r\n");
	v = http_header(&r, "replay-nonce");
	CHECK_STR(v, "abc_DEF-1");
	free(v);
	CHECK(http_header(&r, "Location") == NULL);
	links = http_links(&r, "alternate");
	CHECK(links && links[0] && links[1] && !links[2]);
	if (links && links[0] && links[1]) {
		CHECK_STR(links[0], "https://ca/a/1");
		CHECK_STR(links[1], "https://ca/a/2");
	}
	http_links_free(links);
	links = http_links(&r, "up");
	CHECK(links == NULL);

	/* Retry-After: seconds, clamped. */
	ar.http = r;
	set_headers(&ar.http, "HTTP/1.1 200\r\nRetry-After: 7\r\n\r\n");
	CHECK(acme_retry_after(&ar, 1) == 7);
	set_headers(&ar.http, "HTTP/1.1 200\r\nRetry-After: 100000\r\n\r\n");
	CHECK(acme_retry_after(&ar, 1) == 60);
	set_headers(&ar.http, "HTTP/1.1 200\r\nRetry-After: soon\r\n\r\n");
	CHECK(acme_retry_after(&ar, 3) == 3);
	set_headers(&ar.http, "HTTP/1.1 200\r\n\r\n");
	CHECK(acme_retry_after(&ar, 2) == 2);
	http_response_free(&ar.http);

	/* Problem documents: type, detail, subproblems. */
	p = cJSON_Parse("{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	                "\"detail\":\"Some names were refused\",\"subproblems\":[{\"type\":"
	                "\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA forbids\","
	                "\"identifier\":{\"type\":\"dns\",\"value\":\"b.example\"}}]}");
	CHECK_STR(acme_problem_type(p), "rejectedIdentifier");
	acme_problem_text(p, text, sizeof(text));
	CHECK(strstr(text, "rejectedIdentifier: Some names were refused") != NULL);
	CHECK(strstr(text, "b.example: caa: CAA forbids") != NULL);
	cJSON_Delete(p);
	/* A hostile detail cannot move the cursor: err_set escapes it. */
	err_set(&e, EXIT_OP, "the CA said %s", "bad\x1b[2Jthing\n");
	CHECK(strchr(e.msg, '\x1b') == NULL && strchr(e.msg, '\n') == NULL);
	CHECK(strstr(e.msg, "\\x1b[2Jthing") != NULL);
	return check_done();
}
