/* HTTP client over libcurl.
 *
 * https only (plain http is allowed solely to loopback addresses when a
 * call opts in, for local provider APIs), connect and total timeouts,
 * and a cap on every response body and header block so a hostile server
 * cannot exhaust memory. */
#ifndef ACMEHOOK_HTTP_H
#define ACMEHOOK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct log;

#define HTTP_MAX_BODY (4u << 20)    /* 4 MiB: certificate chains are far smaller */
#define HTTP_MAX_HEADERS (64u << 10)

struct http_pool;

/* One client serves several threads at once: each request borrows an idle
 * libcurl handle from the client's pool (made when none is idle), so that
 * kept-alive connections are reused by whichever thread asks next, and
 * every handle shares one cache of DNS answers and TLS sessions. A view
 * (http_client_view) is the same client with its own log. */
struct http_client {
	struct http_pool *pool;    /* owned, or borrowed by a view */
	char *ca_bundle;           /* owned, or borrowed by a view; NULL: the system store */
	long timeout_seconds;      /* total per request, unless a call says otherwise */
	struct log *log;           /* borrowed; may be NULL */
	bool view;                 /* made by http_client_view: frees nothing */
};

/* Per-call choices, so a call never changes the shared client. */
struct http_opts {
	long timeout_seconds;      /* total for this request; <= 0: the client's */
	bool allow_plain_loopback; /* permit http:// to 127.0.0.0/8, ::1 and localhost */
	bool once;                 /* never sent twice: libcurl may not resend it on
	                            * its own when a kept-alive connection dies */
	bool *unsent;              /* borrowed, may be NULL: set when a transport failure
	                            * came before any byte of the request was sent */
};

struct http_response {
	long status;
	struct buf headers;        /* raw header block of the final response */
	struct buf body;
};

int http_client_init(struct http_client *c, const char *ca_bundle, struct log *log,
                     struct error *e);
void http_client_free(struct http_client *c);
/* VIEW: client C (which must outlive it) writing its debug lines to LOG,
 * for a thread of its own. */
void http_client_view(struct http_client *view, const struct http_client *c, struct log *log);

/* Perform one request. HEADERS is a NULL-terminated list of "Name: value"
 * strings (or NULL). OPTS is borrowed for the call; NULL means the
 * defaults (the client's timeout, https only). On success RESP holds the
 * response whatever its status; on transport failure returns -1 with E
 * naming the URL (kind ERR_NETWORK or ERR_TIMEOUT), and when SIGINT, SIGTERM
 * or SIGHUP is pending while blocked, takes it and returns -1 with kind
 * ERR_INTERRUPTED within about a second. Sockets are close-on-exec. */
int http_request(struct http_client *c, const char *method, const char *url,
                 const char *const *headers, const void *body, size_t body_len,
                 const struct http_opts *opts, struct http_response *resp,
                 struct error *e);
void http_response_free(struct http_response *r);

/* The first value of header NAME (case-insensitive), trimmed, as a new
 * string; NULL when absent. */
char *http_header(const struct http_response *r, const char *name);
/* Every URL of a Link header with rel=REL, as a NULL-terminated array of
 * new strings (free with http_links_free); NULL when none. */
char **http_links(const struct http_response *r, const char *rel);
void http_links_free(char **links);

#endif
