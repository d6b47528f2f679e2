/* Response header blocks: the header lookups and Link parsing the ACME
 * layer relies on, and Retry-After in both of its forms. */
#include "acme/acme.h"
#include "fuzz_util.h"
#include "base/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"Replay-Nonce", "Location", "Retry-After", "Link"};
	static const char *const rels[] = {"alternate", "up", "index"};
	struct acme_reply r = {0};
	long s;

	/* The same cap the HTTP client puts on a real header block. */
	r.http.headers.limit = HTTP_MAX_HEADERS;
	if (buf_append(&r.http.headers, data, size) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		free(http_header(&r.http, names[i]));
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
		char **links = http_links(&r.http, rels[i]);
		if (links && !links[0])
			abort(); /* documented: NULL when none */
		http_links_free(links);
	}
	s = acme_retry_after(&r, 5);
	if (s < 1 || s > 60)
		abort(); /* documented: clamped to [1, 60] */
out:
	acme_reply_free(&r);
	return 0;
}
