#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "base/http.h"
#include "base/log.h"
#include "base/sleep.h"

/* One libcurl handle of the pool. */
struct http_handle {
	CURL *curl;
	bool performed;            /* a transfer ran: libcurl's own descriptors exist */
	bool busy;                 /* lent to a request */
};

struct http_pool {
	pthread_mutex_t lock;      /* guards handles */
	struct http_handle **handles;
	size_t n;
	CURLSH *share;             /* DNS answers and TLS sessions of every handle */
	X509_STORE *store;         /* the CA bundle's trust, parsed once; under lock */
	bool store_tried;          /* store was built, or could not be */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct http_pool *p = ud;

	(void)h;
	(void)access;
	pthread_mutex_lock(&p->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct http_pool *p = ud;

	(void)h;
	pthread_mutex_unlock(&p->share_locks[data]);
}

static void handle_free(struct http_handle *hh)
{
	if (!hh)
		return;
	curl_easy_cleanup(hh->curl);
	free(hh);
}

static struct http_handle *handle_new(void)
{
	struct http_handle *hh = calloc(1, sizeof(*hh));

	if (hh && !(hh->curl = curl_easy_init())) {
		free(hh);
		hh = NULL;
	}
	return hh;
}

/* Add a new idle handle to P. Returns it, or NULL when out of memory. */
static struct http_handle *pool_grow(struct http_pool *p)
{
	struct http_handle **v = realloc(p->handles, (p->n + 1) * sizeof(*v));
	struct http_handle *hh;

	if (!v)
		return NULL;
	p->handles = v;
	if (!(hh = handle_new()))
		return NULL;
	v[p->n++] = hh;
	return hh;
}

/* An idle handle of P, now busy; NULL when none can be made. */
static struct http_handle *pool_take(struct http_pool *p)
{
	struct http_handle *hh = NULL;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n && !hh; i++)
		if (!p->handles[i]->busy)
			hh = p->handles[i];
	if (!hh)
		hh = pool_grow(p);
	if (hh)
		hh->busy = true;
	pthread_mutex_unlock(&p->lock);
	return hh;
}

static void pool_give(struct http_pool *p, struct http_handle *hh)
{
	pthread_mutex_lock(&p->lock);
	hh->busy = false;
	pthread_mutex_unlock(&p->lock);
}

static void pool_free(struct http_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		handle_free(p->handles[i]);
	free(p->handles);
	/* The handles are gone, so nothing holds the share any more. */
	if (p->share)
		curl_share_cleanup(p->share);
	X509_STORE_free(p->store);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&p->share_locks[i]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct http_pool *pool_new(void)
{
	struct http_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&p->share_locks[i], NULL);
	/* The first handle is made here, by the thread that sets the client
	 * up: it initialises libcurl as a whole, which is not safe to do
	 * from several threads at once. */
	p->share = curl_share_init();
	if (!p->share || !pool_grow(p) ||
	    curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(p->share, CURLSHOPT_USERDATA, p) != CURLSHE_OK ||
	    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
	        CURLSHE_OK) {
		pool_free(p);
		return NULL;
	}
	return p;
}

int http_client_init(struct http_client *c, const char *ca_bundle, struct log *log,
                     struct error *e)
{
	memset(c, 0, sizeof(*c));
	c->timeout_seconds = 60;
	c->log = log;
	if (ca_bundle) {
		c->ca_bundle = strdup(ca_bundle);
		if (!c->ca_bundle)
			return err_nomem(e);
	}
	c->pool = pool_new();
	if (!c->pool) {
		free(c->ca_bundle);
		c->ca_bundle = NULL;
		return err_set(e, EXIT_OP, "cannot initialise libcurl");
	}
	return 0;
}

void http_client_view(struct http_client *view, const struct http_client *c, struct log *log)
{
	*view = *c;
	view->log = log;
	view->view = true;
}

void http_client_free(struct http_client *c)
{
	if (!c || c->view)
		return;
	pool_free(c->pool);
	free(c->ca_bundle);
	c->pool = NULL;
	c->ca_bundle = NULL;
}

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	buf_free(&r->headers);
	buf_free(&r->body);
	r->status = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	if (buf_append(b, p, size * n) < 0)
		return 0; /* aborts the transfer: over the cap */
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;

	/* A new status line starts a new response (after 100 Continue or an
	 * interim reply): keep only the final one's headers. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		buf_reset(b);
	if (buf_append(b, p, len) < 0)
		return 0;
	return len;
}

/* The body of a request that must not arrive twice, handed to libcurl
 * piece by piece. */
struct once_body {
	const char *data;
	size_t len, off;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct once_body *b = ud;
	size_t want = size * n, left = b->len - b->off;

	if (want > left)
		want = left;
	memcpy(p, b->data + b->off, want);
	b->off += want;
	return want;
}

/* libcurl sends a request again, unasked, when the kept-alive connection
 * it went out on closes before any answer: by then the CA may have acted
 * on it. To send it again libcurl must rewind the body it already sent,
 * and this refuses: the transfer fails instead, and the caller finds out
 * what the CA did. A request whose body never left is sent again without
 * a rewind, which is safe. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
	(void)ud;
	(void)offset;
	(void)origin;
	return CURL_SEEKFUNC_CANTSEEK;
}

/* libcurl 7.88 opens its sockets without SOCK_CLOEXEC; a deploy hook or
 * plugin that runs a program would otherwise inherit the connection to
 * the CA. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	(void)ud;
	(void)purpose;
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* Descriptors below this are checked for close-on-exec after the first
 * transfer; libcurl opens its few at the lowest free numbers. */
#define FD_SCAN_MAX 256

/* Mark in OPEN (FD_SCAN_MAX entries) the descriptors open now. The list
 * of /proc/self/fd costs a few system calls; without /proc, every number
 * is tried. */
static void fds_open(unsigned char *open)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	memset(open, 0, FD_SCAN_MAX);
	if (!d) {
		for (int fd = 3; fd < FD_SCAN_MAX; fd++)
			open[fd] = fcntl(fd, F_GETFD) >= 0;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		/* The list's own descriptor is closed again at once. */
		if (*end == '\0' && end != de->d_name && fd >= 3 && fd < FD_SCAN_MAX &&
		    fd != dirfd(d))
			open[fd] = 1;
	}
	closedir(d);
}

/* libcurl 7.88 also makes a socketpair, without SOCK_CLOEXEC, to wake its
 * transfer loop; it lives as long as the handle. Whatever the first
 * transfer left open that was not open before is libcurl's: make it
 * close-on-exec too. */
static void fds_cloexec_new(const unsigned char *before)
{
	unsigned char now[FD_SCAN_MAX];

	fds_open(now);
	for (int fd = 3; fd < FD_SCAN_MAX; fd++) {
		int fl;

		if (before[fd] || !now[fd] || (fl = fcntl(fd, F_GETFD)) < 0 || (fl & FD_CLOEXEC))
			continue;
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

/* While challenges are out the fatal signals are blocked (base/sleep.h),
 * so a stalled transfer would sleep through them until its timeout.
 * libcurl calls this at least once a second: a pending fatal signal is
 * taken, as sleep_ms would take it, and ends the transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	static const int fatal[] = {SIGINT, SIGTERM, SIGHUP};
	int *taken = ud;
	sigset_t pending;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (sigpending(&pending) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		if (sigismember(&pending, fatal[i]) == 1) {
			struct timespec now = {0};
			sigset_t one;

			sigemptyset(&one);
			sigaddset(&one, fatal[i]);
			if (sigtimedwait(&one, NULL, &now) > 0) {
				*taken = fatal[i];
				return 1;
			}
		}
	}
	return 0;
}

/* What a failed transfer means for whoever decides to try again: a timeout;
 * no connection at all (ERR_UNREACHABLE: nothing was sent); a connection
 * lost on the way (ERR_NETWORK); or something no retry can mend, such as a
 * certificate that does not verify or a refused URL (ERR_GENERIC). */
static enum err_kind transfer_error_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return ERR_UNREACHABLE;
	case CURLE_SEND_ERROR:
	case CURLE_SEND_FAIL_REWIND:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		return ERR_NETWORK;
	default:
		return ERR_GENERIC;
	}
}

/* Without a bundle of the user's, trust the system's store through its
 * hashed directory (libcurl's built-in CA path, /etc/ssl/certs on Debian)
 * alone: OpenSSL then reads the one issuer a handshake asks for, where
 * the built-in bundle file would be parsed whole, every one of its
 * certificates, before the first request. A libcurl built without a CA
 * path keeps its bundle. */
static void trust_system_dir(CURL *h)
{
	char *dir = NULL;

	if (curl_easy_getinfo(h, CURLINFO_CAPATH, &dir) == CURLE_OK && dir && *dir)
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
}

/* The trust libcurl would build from BUNDLE on every connection, built
 * once for the pool: the bundle's certificates, then the system's hashed
 * directory (libcurl's CA path, which it adds beside a bundle), with the
 * flags libcurl sets. Parsing a bundle is most of a handshake's work, and
 * libcurl only keeps the parsed store itself when there is no CA path.
 * NULL when it cannot be built: the caller then leaves it to libcurl, whose
 * errors name the problem as before. */
static X509_STORE *pool_store(struct http_pool *p, const char *bundle, CURL *h)
{
	char *dir = NULL;
	X509_STORE *st;

	pthread_mutex_lock(&p->lock);
	if (!p->store_tried) {
		p->store_tried = true;
		st = X509_STORE_new();
		if (curl_easy_getinfo(h, CURLINFO_CAPATH, &dir) != CURLE_OK)
			dir = NULL;
		if (!st || !X509_STORE_load_file(st, bundle) ||
		    (dir && *dir && !X509_STORE_load_path(st, dir)) ||
		    !X509_STORE_set_flags(st, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN)) {
			X509_STORE_free(st);
			st = NULL;
			ERR_clear_error();
		}
		p->store = st;
	}
	st = p->store;
	pthread_mutex_unlock(&p->lock);
	return st;
}

static CURLcode use_store(CURL *h, void *ssl_ctx, void *ud)
{
	X509_STORE *st = ud;

	(void)h;
	if (!X509_STORE_up_ref(st))
		return CURLE_OUT_OF_MEMORY;
	SSL_CTX_set_cert_store(ssl_ctx, st);
	return CURLE_OK;
}

/* Whether libcurl may speak TLS to a proxy, from the variables it reads:
 * it would hand that connection's context to use_store too, and a proxy
 * is checked against libcurl's own defaults, not the bundle. */
static bool https_proxy_set(void)
{
	static const char *const vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy",
	                                   "ALL_PROXY"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && strncasecmp(v, "https://", 8) == 0)
			return true;
	}
	return false;
}

/* Trust BUNDLE for this request, through the pool's parsed store when
 * there is one. */
static void trust_bundle(struct http_pool *p, CURL *h, const char *bundle)
{
	X509_STORE *st = https_proxy_set() ? NULL : pool_store(p, bundle, h);

	if (st && curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, use_store) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, st) == CURLE_OK) {
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		return;
	}
	curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, NULL);
	curl_easy_setopt(h, CURLOPT_CAINFO, bundle);
}

/* Plain http is only acceptable to loopback test services, and only when the
 * caller asked for it. */
static bool url_is_loopback_http(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	ok = strcasecmp(scheme, "http") == 0 &&
	     (strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 ||
	      strcasecmp(host, "localhost") == 0);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

int http_request(struct http_client *c, const char *method, const char *url,
                 const char *const *headers, const void *body, size_t body_len,
                 const struct http_opts *opts, struct http_response *resp,
                 struct error *e)
{
	static const struct http_opts defaults = {0};
	struct http_handle *hh = NULL;
	CURL *h = NULL;
	struct curl_slist *hl = NULL;
	struct http_response r = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	long sent = 0;
	int sig = 0, ret = -1;
	unsigned char before[FD_SCAN_MAX];
	struct once_body once = {0};
	bool first = false;

	if (!opts)
		opts = &defaults;
	if (opts->unsent)
		*opts->unsent = false;
	r.body.limit = HTTP_MAX_BODY;
	r.headers.limit = HTTP_MAX_HEADERS;
	/* A server or a URL it handed out that is not https is the server's
	 * fault as much as the user's: an operation failure, not a usage one. */
	if (strncasecmp(url, "https://", 8) != 0 &&
	    !(opts->allow_plain_loopback && url_is_loopback_http(url))) {
		err_set(e, EXIT_OP, "refusing %s: only https:// URLs are allowed; use the https:// "
		        "address of the server", url);
		goto out;
	}
	for (size_t i = 0; headers && headers[i]; i++) {
		struct curl_slist *n = curl_slist_append(hl, headers[i]);
		if (!n) {
			err_nomem(e);
			goto out;
		}
		hl = n;
	}
	if (!c->pool || !(hh = pool_take(c->pool))) {
		err_nomem(e);
		goto out;
	}
	h = hh->curl;
	first = !hh->performed;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_SHARE, c->pool->share);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
	                 opts->allow_plain_loopback ? "https,http" : "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT,
	                 opts->timeout_seconds > 0 ? opts->timeout_seconds : c->timeout_seconds);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "acmehook/" ACMEHOOK_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	/* One request at a time: HTTP/2 would multiplex nothing here, and
	 * HTTP/1.1 keeps the code that runs, and its memory, smaller. */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &sig);
	if (c->ca_bundle)
		trust_bundle(c->pool, h, c->ca_bundle);
	else
		trust_system_dir(h);
	if (hl)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		if (opts->once) {
			once.data = body ? body : "";
			once.len = body ? body_len : 0;
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, &once);
			curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
			/* A signed request is a few KiB: libcurl's smallest upload
			 * buffer, not its default 64 KiB. */
			curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
		} else {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		}
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	if (c->log)
		log_msg(c->log, LVL_DEBUG, "%s %s", method, url);
	if (first)
		fds_open(before);
	rc = curl_easy_perform(h);
	if (first) {
		fds_cloexec_new(before);
		hh->performed = true;
	}
	if (rc == CURLE_WRITE_ERROR) {
		err_set(e, EXIT_OP, "%s %s: response larger than %u bytes, refused", method,
		        url, (unsigned)HTTP_MAX_BODY);
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && sig) {
		err_set_kind(e, EXIT_OP, ERR_INTERRUPTED, "interrupted by signal %d; cleaning up", sig);
		goto out;
	}
	if (rc != CURLE_OK) {
		/* Nothing of the request left this host (no connection, a
		 * reset during the handshake): repeating it cannot act twice. */
		if (opts->unsent && curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK &&
		    sent == 0)
			*opts->unsent = true;
		if (rc == CURLE_SEND_FAIL_REWIND)
			snprintf(errbuf, sizeof(errbuf), "the connection closed after the request "
			         "was sent, before any answer");
		err_set_kind(e, EXIT_OP, transfer_error_kind(rc), "cannot reach %s: %s", url,
		             errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
	if (c->log)
		log_msg(c->log, LVL_DEBUG, "-> %ld (%zu bytes)", r.status, r.body.len);
	*resp = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
out:
	if (hh) {
		/* No pointer into this call (error buffer, lists, callbacks'
		 * data) may stay with the handle once another request takes it. */
		curl_easy_reset(h);
		pool_give(c->pool, hh);
	}
	curl_slist_free_all(hl);
	http_response_free(&r);
	return ret;
}

/* The NTH value (from 0) of header NAME in the final response, or NULL. */
static char *header_nth(const struct http_response *r, const char *name, size_t nth)
{
	size_t nlen = strlen(name), seen = 0;
	const char *p = r->headers.data;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			if (seen++ == nth) {
				const char *v = p + nlen + 1, *end = p + len;
				while (v < end && (*v == ' ' || *v == '\t'))
					v++;
				while (end > v && isspace((unsigned char)end[-1]))
					end--;
				return strndup(v, (size_t)(end - v));
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

char *http_header(const struct http_response *r, const char *name)
{
	return header_nth(r, name, 0);
}

void http_links_free(char **links)
{
	if (!links)
		return;
	for (size_t i = 0; links[i]; i++)
		free(links[i]);
	free(links);
}

/* Parse one Link header value: <url>;rel="x", <url2>; rel=y ... and append
 * the URLs whose rel list contains REL. */
static int links_from_value(const char *v, const char *rel, char ***out, size_t *n)
{
	const char *p = v;

	while ((p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p, '>'), *next, *q;
		bool match = false;

		if (!end)
			break;
		next = strchr(end, '<');
		for (q = end + 1; (q = strstr(q, "rel")) != NULL && (!next || q < next); q += 3) {
			const char *r = q + 3;
			size_t rl = strlen(rel);
			while (*r == ' ')
				r++;
			if (*r != '=')
				continue;
			r++;
			while (*r == ' ')
				r++;
			if (*r == '"')
				r++;
			if (strncasecmp(r, rel, rl) == 0 &&
			    (r[rl] == '"' || r[rl] == ';' || r[rl] == ',' || r[rl] == ' ' || !r[rl]))
				match = true;
		}
		if (match) {
			char **nl = realloc(*out, (*n + 2) * sizeof(*nl));
			if (!nl)
				return -1;
			*out = nl;
			nl[*n] = strndup(p + 1, (size_t)(end - p - 1));
			if (!nl[*n])
				return -1;
			nl[++*n] = NULL;
		}
		p = end + 1;
	}
	return 0;
}

char **http_links(const struct http_response *r, const char *rel)
{
	char **out = NULL, *v = NULL;
	size_t n = 0;

	for (size_t i = 0; (v = header_nth(r, "Link", i)) != NULL; i++) {
		int rc = links_from_value(v, rel, &out, &n);
		free(v);
		if (rc < 0) {
			http_links_free(out);
			return NULL;
		}
	}
	return out;
}
