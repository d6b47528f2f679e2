/* A fake host for the dns-lua plugin's unit tests: the plugin is dlopened
 * from the build tree and driven through its descriptor, with every host
 * service implemented here (logs recorded, HTTP answered from canned
 * responses, DNS answered from a table), so no network and no engine is
 * involved. Header-only: each test_lua_*.c includes it once. */
#ifndef ACMEHOOK_TEST_LUA_FAKE_HOST_H
#define ACMEHOOK_TEST_LUA_FAKE_HOST_H

#include <dlfcn.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <acmehook/plugin.h>

#include "testutil.h"

#define FH_MAX_REQ 16

struct fh_request {              /* what the plugin asked, copied */
	char method[16];
	char url[512];
	char headers[2048];          /* "Name: value\n" lines */
	char body[4096];
};

/* Answers: the first whose url_prefix (and method, when set) matches. */
struct fh_route {
	const char *method;          /* NULL: any */
	const char *url_prefix;
	long status;                 /* 0: transport failure */
	const char *headers;
	const char *body;
};

struct fake_host {
	struct ah_host host;
	const char *const *opts;     /* key, value, ..., NULL */
	const char *const *secrets;
	char error[1024];
	int n_errors;                /* set_error calls */
	char *logs;                  /* every log line, "LEVEL msg\n" */
	size_t logs_len;
	struct fh_request req[FH_MAX_REQ];
	int n_req;
	const struct fh_route *routes;
	int outstanding;             /* responses/answers/strings not yet freed */
};

static void fh_log(void *ctx, int level, const char *msg)
{
	struct fake_host *h = ctx;
	size_t n = strlen(msg) + 16;
	char *p = realloc(h->logs, h->logs_len + n + 1);

	if (!p)
		abort();
	h->logs = p;
	h->logs_len += (size_t)snprintf(p + h->logs_len, n + 1, "%d %s\n", level, msg);
	if (getenv("FH_VERBOSE"))
		fprintf(stderr, "log %d: %s\n", level, msg);
}

static void fh_set_error(void *ctx, const char *msg)
{
	struct fake_host *h = ctx;

	snprintf(h->error, sizeof(h->error), "%s", msg ? msg : "");
	h->n_errors++;
}

static const char *fh_pair(const char *const *kv, const char *key)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	return NULL;
}

static const char *fh_config_get(void *ctx, const char *key)
{
	return fh_pair(((struct fake_host *)ctx)->opts, key);
}

static int fh_secret_get(void *ctx, const char *key, char **value)
{
	struct fake_host *h = ctx;
	const char *v = fh_pair(h->secrets, key);

	if (!v)
		return AH_DECLINE;
	*value = strdup(v);
	h->outstanding++;
	return *value ? AH_OK : AH_FAIL;
}

static void fh_secret_free(void *ctx, char *value)
{
	struct fake_host *h = ctx;

	if (!value)
		return;
	memset(value, 0, strlen(value));
	free(value);
	h->outstanding--;
}

static int fh_http_request(void *ctx, const struct ah_http_request *req,
                           struct ah_http_response **resp)
{
	struct fake_host *h = ctx;
	struct fh_request *r;
	struct ah_http_response *out;

	if (h->n_req < FH_MAX_REQ) {
		r = &h->req[h->n_req++];
		memset(r, 0, sizeof(*r));
		snprintf(r->method, sizeof(r->method), "%s", req->method);
		snprintf(r->url, sizeof(r->url), "%s", req->url);
		for (size_t i = 0; req->headers && req->headers[i]; i++) {
			size_t l = strlen(r->headers);
			snprintf(r->headers + l, sizeof(r->headers) - l, "%s\n", req->headers[i]);
		}
		if (req->body)
			snprintf(r->body, sizeof(r->body), "%.*s", (int)req->body_len, req->body);
	}
	for (const struct fh_route *rt = h->routes; rt && rt->url_prefix; rt++) {
		if (strncmp(req->url, rt->url_prefix, strlen(rt->url_prefix)) != 0)
			continue;
		if (rt->method && strcmp(rt->method, req->method) != 0)
			continue;
		if (rt->status == 0) {
			fh_set_error(h, "connection refused by the fake host");
			return AH_FAIL;
		}
		out = calloc(1, sizeof(*out));
		out->struct_size = sizeof(*out);
		out->status = rt->status;
		out->headers = strdup(rt->headers ? rt->headers : "");
		out->body = strdup(rt->body ? rt->body : "");
		out->body_len = strlen(out->body);
		*resp = out;
		h->outstanding++;
		return AH_OK;
	}
	fh_set_error(h, "fake host: no route");
	return AH_FAIL;
}

static void fh_http_response_free(void *ctx, struct ah_http_response *resp)
{
	struct fake_host *h = ctx;

	if (!resp)
		return;
	free(resp->headers);
	free(resp->body);
	free(resp);
	h->outstanding--;
}

static int64_t fh_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int fh_dns_query(void *ctx, const struct ah_dns_query *q, struct ah_dns_answer **ans)
{
	struct fake_host *h = ctx;
	struct ah_dns_answer *a = calloc(1, sizeof(*a));

	a->struct_size = sizeof(*a);
	if (strcmp(q->name, "_acme-challenge.example.test") == 0 && strcmp(q->type, "TXT") == 0) {
		a->n = 2;
		a->values = calloc(2, sizeof(char *));
		a->owners = calloc(2, sizeof(char *));
		a->values[0] = strdup("one");
		a->values[1] = strdup("two");
		a->owners[0] = strdup(q->name);
		a->owners[1] = strdup(q->name);
	} else {
		a->rcode = 3;
	}
	*ans = a;
	h->outstanding++;
	return AH_OK;
}

static void fh_dns_answer_free(void *ctx, struct ah_dns_answer *a)
{
	struct fake_host *h = ctx;

	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->values[i]);
		free(a->owners[i]);
	}
	free(a->values);
	free(a->owners);
	free(a);
	h->outstanding--;
}

static int fh_dns_zone_of(void *ctx, const char *name, const char *server, char **zone)
{
	struct fake_host *h = ctx;
	const char *p = strstr(name, "example.test");

	(void)server;
	if (!p) {
		fh_set_error(h, "fake host: no zone");
		return AH_FAIL;
	}
	*zone = strdup(p);
	h->outstanding++;
	return AH_OK;
}

static void fh_string_free(void *ctx, char *s)
{
	struct fake_host *h = ctx;

	free(s);
	h->outstanding--;
}

static void fh_init(struct fake_host *h, const char *const *opts, const char *const *secrets)
{
	memset(h, 0, sizeof(*h));
	h->opts = opts;
	h->secrets = secrets;
	h->host.struct_size = sizeof(h->host);
	h->host.abi_major = AH_ABI_MAJOR;
	h->host.abi_minor = AH_ABI_MINOR;
	h->host.ctx = h;
	h->host.log = fh_log;
	h->host.set_error = fh_set_error;
	h->host.config_get = fh_config_get;
	h->host.secret_get = fh_secret_get;
	h->host.secret_free = fh_secret_free;
	h->host.http_request = fh_http_request;
	h->host.http_response_free = fh_http_response_free;
	h->host.now = fh_now;
	h->host.dns_query = fh_dns_query;
	h->host.dns_answer_free = fh_dns_answer_free;
	h->host.dns_update = NULL;
	h->host.dns_zone_of = fh_dns_zone_of;
	h->host.string_free = fh_string_free;
}

static void fh_free(struct fake_host *h)
{
	free(h->logs);
	h->logs = NULL;
	h->logs_len = 0;
}

static bool fh_logged(const struct fake_host *h, const char *needle)
{
	return h->logs && strstr(h->logs, needle) != NULL;
}

/* The module from the build tree: $AH_BUILD_DIR/lib/acmehook/plugins, else
 * ../lib/acmehook/plugins next to this test executable. */
static const struct ah_plugin *fh_load_plugin(void)
{
	char path[PATH_MAX], exe[PATH_MAX];
	const char *bd = getenv("AH_BUILD_DIR");
	void *dl;
	ah_plugin_entry_fn entry;

	if (bd) {
		snprintf(path, sizeof(path), "%s/lib/acmehook/plugins/dns-lua.so", bd);
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		char *slash;

		if (n < 0)
			return NULL;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../lib/acmehook/plugins/dns-lua.so", exe);
	}
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
		return NULL;
	}
	entry = (ah_plugin_entry_fn)dlsym(dl, AH_PLUGIN_ENTRY_NAME);
	return entry ? entry() : NULL;
}

/* A private temporary directory (0700) for scripts and files. */
static char *fh_tmpdir(void)
{
	char tmpl[] = "/tmp/ah-lua-test.XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		abort();
	return strdup(d);
}

/* Copy DATA_DIR/lua/NAME (or REPO-relative path REL when NAME has a '/')
 * to DIR/BASENAME at mode 0644, whatever the checkout's owner or mode. */
static char *fh_stage(const char *dir, const char *src, const char *name, const char *suffix)
{
	char dst[PATH_MAX];
	char *text = slurp(src), *all;
	size_t a, b;

	if (!text) {
		fprintf(stderr, "cannot read %s: %s\n", src, strerror(errno));
		return NULL;
	}
	a = strlen(text);
	b = suffix ? strlen(suffix) : 0;
	all = malloc(a + b + 2);
	memcpy(all, text, a);
	all[a] = '\n';
	if (suffix)
		memcpy(all + a + 1, suffix, b);
	all[a + 1 + b] = '\0';
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	write_data(dst, all, a + 1 + b, 0644);
	free(text);
	free(all);
	return strdup(dst);
}

/* Stage examples/lua/REL (found from $AH_TEST_DATA, i.e. tests/data) into
 * DIR under its base name, with SUFFIX appended. */
static inline char *fh_stage_example(const char *dir, const char *rel, const char *suffix)
{
	const char *data = getenv("AH_TEST_DATA");
	const char *base = strrchr(rel, '/');
	char src[PATH_MAX];

	snprintf(src, sizeof(src), "%s/../../examples/lua/%s", data ? data : "tests/data", rel);
	return fh_stage(dir, src, base ? base + 1 : rel, suffix);
}

static void fh_challenge(struct ah_challenge *ch, const char *identifier)
{
	memset(ch, 0, sizeof(*ch));
	ch->struct_size = sizeof(*ch);
	ch->identifier = identifier;
	ch->wildcard = 1;
	ch->type = "dns-01";
	ch->token = "tok-1";
	ch->key_authorization = "tok-1.thumb";
	ch->record_name = "_acme-challenge.example.test";
	ch->txt_value = "txt-value-1";
	ch->zone = "example.test";
}

#endif
