/* Parsing a request head (see request.h). */
#include <string.h>

#include "request.h"

#define PREFIX "/.well-known/acme-challenge/"

/* The end of the head (just past the empty line), or 0 when it has not
 * arrived. A bare LF ends lines too, as RFC 9112 section 2.2 allows. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool b64url(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The length of the line at P (at most N bytes), without its CR LF or
 * LF; *NEXT is where the following line starts. */
static size_t line_at(const char *p, size_t n, const char **next)
{
	const char *nl = memchr(p, '\n', n);
	size_t len = nl ? (size_t)(nl - p) : n;

	*next = nl ? nl + 1 : p + n;
	if (len && p[len - 1] == '\r')
		len--;
	return len;
}

/* The target's path: origin-form as it is; absolute-form from the first
 * '/' after its authority. */
static void target_path(const char *t, size_t n, const char **path, size_t *plen)
{
	const char *scheme = NULL;

	if (n > 7 && memcmp(t, "http://", 7) == 0)
		scheme = t + 7;
	if (scheme) {
		const char *slash = memchr(scheme, '/', n - (size_t)(scheme - t));
		*path = slash ? slash : t + n;
		*plen = (size_t)(t + n - *path);
		return;
	}
	*path = t;
	*plen = n;
}

static void classify(const char *t, size_t n, struct req *r)
{
	const char *path;
	size_t plen, k = strlen(PREFIX);

	target_path(t, n, &path, &plen);
	r->challenge = false;
	if (plen <= k || plen - k > REQ_TOKEN_MAX || memcmp(path, PREFIX, k) != 0)
		return;
	for (size_t i = k; i < plen; i++)
		if (!b64url(path[i]))
			return;
	memcpy(r->token, path + k, plen - k);
	r->token[plen - k] = '\0';
	r->challenge = true;
}

/* "METHOD SP TARGET SP HTTP/1.D" */
static enum req_status request_line(const char *p, size_t n, struct req *r)
{
	size_t m = 0, t0, t1;

	while (m < n && m < 16 && tchar(p[m]))
		m++;
	if (m == 0 || m >= n || p[m] != ' ')
		return REQ_BAD;
	r->head = m == 4 && memcmp(p, "HEAD", 4) == 0;
	r->method_ok = r->head || (m == 3 && memcmp(p, "GET", 3) == 0);
	t0 = t1 = m + 1;
	while (t1 < n && p[t1] > 0x20 && p[t1] < 0x7f)
		t1++;
	if (t1 == t0 || n - t1 != 9 || memcmp(p + t1, " HTTP/1.", 8) != 0 || p[t1 + 8] < '0' ||
	    p[t1 + 8] > '9')
		return REQ_BAD;
	r->minor = p[t1 + 8] - '0';
	classify(p + t0, t1 - t0, r);
	return REQ_DONE;
}

/* "name: value" with a token name and no control bytes but HTAB. */
static bool header_line(const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && tchar(p[k]))
		k++;
	if (k == 0 || k >= n || p[k] != ':')
		return false;
	for (size_t i = k + 1; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return false;
	return true;
}

enum req_status req_parse(const char *buf, size_t len, struct req *out)
{
	size_t end = head_end(buf, len < REQ_HEAD_MAX ? len : REQ_HEAD_MAX);
	const char *p = buf, *next;
	struct req r;
	size_t n;

	if (end == 0)
		return len >= REQ_HEAD_MAX ? REQ_TOO_LONG : REQ_MORE;
	memset(&r, 0, sizeof(r));
	n = line_at(p, end, &next);
	if (request_line(p, n, &r) != REQ_DONE)
		return REQ_BAD;
	for (p = next; p < buf + end;) {
		n = line_at(p, (size_t)(buf + end - p), &next);
		if (n == 0)
			break; /* the empty line that ends the head */
		if (!header_line(p, n))
			return REQ_BAD;
		p = next;
	}
	*out = r;
	return REQ_DONE;
}
