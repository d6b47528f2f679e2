/* The dns-rfc2136 plugin against a fake host written here: the module is
 * dlopened straight from the build tree and given a struct ah_host whose
 * DNS services only record what they are asked. Checked: the credentials'
 * mapping onto the update, one value added on present and exactly that
 * value deleted on cleanup, the host's errors reaching the user unchanged,
 * the secret never logged, check() refusing names outside the server's
 * zone, configuration errors as AH_CONFIG, and (ABI 1.2) one batched update
 * per zone with each challenge's status its zone's. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acmehook/plugin.h>

#include "check.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNDU2Nzg5MA=="
#define MAX_CALLS 16

struct call {
	char server[64], zone[128], name[256], txt[128];
	char key_name[64], key_alg[32], key_secret[128];
	int zone_null, add, has_key;
	uint32_t ttl;
};

/* One dns_update_batch call (ABI 1.2), its first names and values. */
struct batch_call {
	char server[64], zone[128], key_name[64], key_secret[128];
	char names[4][256], txts[4][128];
	int zone_null, add;
	size_t n;
	uint32_t ttl;
};

struct fake {
	const char *const *secrets;  /* key, value, ..., NULL */
	const char *const *options;
	char err[512];
	int n_errors;
	char logs[8192];
	int n_secret_gets, n_secret_frees;
	struct call calls[MAX_CALLS];
	int n_calls;
	/* dns_update's behaviour */
	int update_status;
	const char *update_error;
	/* dns_zone_of's behaviour */
	const char *zone_answer;     /* NULL: fail with zone_error */
	const char *zone_error;
	int n_zone_of;
	char zone_of_server[64];
	int n_string_frees;
	/* dns_update_batch's record and behaviour */
	struct batch_call batches[MAX_CALLS];
	int n_batches;
	const char *fail_zone;       /* batches for this zone fail with fail_error */
	const char *fail_error;
	const char *const *zones;    /* when set, dns_zone_of answers the longest that fits */
};

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "(null)");
}

static const char *kv(const char *const *list, const char *key)
{
	for (size_t i = 0; list && list[i]; i += 2)
		if (strcmp(list[i], key) == 0)
			return list[i + 1];
	return NULL;
}

static void fake_log(void *ctx, int level, const char *msg)
{
	struct fake *f = ctx;
	size_t n = strlen(f->logs);

	snprintf(f->logs + n, sizeof(f->logs) - n, "%s\n", msg);
}

static void fake_set_error(void *ctx, const char *msg)
{
	struct fake *f = ctx;

	copy(f->err, sizeof(f->err), msg);
	f->n_errors++;
	/* Error texts reach the user: they must not carry the secret either. */
	if (strstr(msg, SECRET)) {
		size_t n = strlen(f->logs);
		snprintf(f->logs + n, sizeof(f->logs) - n, "ERROR TEXT: %s\n", msg);
	}
}

static const char *fake_config(void *ctx, const char *key)
{
	struct fake *f = ctx;

	return kv(f->options, key);
}

static int fake_secret_get(void *ctx, const char *key, char **value)
{
	struct fake *f = ctx;
	const char *v = kv(f->secrets, key);

	if (!v)
		return AH_DECLINE;
	*value = strdup(v);
	if (!*value)
		return AH_FAIL;
	f->n_secret_gets++;
	return AH_OK;
}

static void fake_secret_free(void *ctx, char *value)
{
	struct fake *f = ctx;

	if (!value)
		return;
	f->n_secret_frees++;
	memset(value, 0, strlen(value));
	free(value);
}

static int64_t fake_now(void *ctx)
{
	return 1700000000;
}

static int fake_dns_update(void *ctx, const struct ah_dns_update *u)
{
	struct fake *f = ctx;
	struct call *c;

	if (f->n_calls >= MAX_CALLS)
		abort();
	c = &f->calls[f->n_calls++];
	copy(c->server, sizeof(c->server), u->server);
	copy(c->zone, sizeof(c->zone), u->zone);
	c->zone_null = u->zone == NULL;
	copy(c->name, sizeof(c->name), u->name);
	copy(c->txt, sizeof(c->txt), u->txt);
	c->ttl = u->ttl;
	c->add = u->add;
	c->has_key = u->key != NULL;
	if (u->key) {
		CHECK(u->key->struct_size >= sizeof(struct ah_tsig_key));
		copy(c->key_name, sizeof(c->key_name), u->key->name);
		copy(c->key_alg, sizeof(c->key_alg), u->key->algorithm);
		copy(c->key_secret, sizeof(c->key_secret), u->key->secret);
	}
	if (f->update_status != AH_OK && f->update_error)
		fake_set_error(ctx, f->update_error);
	return f->update_status;
}

static int fake_update_batch(void *ctx, const struct ah_dns_update_batch *b)
{
	struct fake *f = ctx;
	struct batch_call *c;

	if (f->n_batches >= MAX_CALLS)
		abort();
	CHECK(b->struct_size >= sizeof(*b) && b->n > 0 && b->key);
	c = &f->batches[f->n_batches++];
	copy(c->server, sizeof(c->server), b->server);
	copy(c->zone, sizeof(c->zone), b->zone);
	c->zone_null = b->zone == NULL;
	c->add = b->add;
	c->n = b->n;
	c->ttl = b->ttl;
	copy(c->key_name, sizeof(c->key_name), b->key->name);
	copy(c->key_secret, sizeof(c->key_secret), b->key->secret);
	for (size_t i = 0; i < b->n && i < 4; i++) {
		copy(c->names[i], sizeof(c->names[i]), b->names[i]);
		copy(c->txts[i], sizeof(c->txts[i]), b->txts[i]);
	}
	if (f->fail_zone && b->zone && strcmp(b->zone, f->fail_zone) == 0) {
		fake_set_error(ctx, f->fail_error);
		return AH_FAIL;
	}
	return AH_OK;
}

/* The longest of F->zones that NAME equals or ends in. */
static const char *zone_from_list(const struct fake *f, const char *name)
{
	const char *best = NULL;
	size_t ln = strlen(name);

	for (size_t i = 0; f->zones[i]; i++) {
		size_t lz = strlen(f->zones[i]);

		if (ln >= lz && strcmp(name + ln - lz, f->zones[i]) == 0 &&
		    (ln == lz || name[ln - lz - 1] == '.') && (!best || lz > strlen(best)))
			best = f->zones[i];
	}
	return best;
}

static int fake_zone_of(void *ctx, const char *name, const char *server, char **zone)
{
	struct fake *f = ctx;

	f->n_zone_of++;
	copy(f->zone_of_server, sizeof(f->zone_of_server), server);
	if (f->zones) {
		const char *z = zone_from_list(f, name);

		if (!z) {
			fake_set_error(ctx, f->zone_error ? f->zone_error : "no zone");
			return AH_FAIL;
		}
		*zone = strdup(z);
		return *zone ? AH_OK : AH_FAIL;
	}
	if (!f->zone_answer) {
		if (f->zone_error)
			fake_set_error(ctx, f->zone_error);
		return AH_FAIL;
	}
	*zone = strdup(f->zone_answer);
	return *zone ? AH_OK : AH_FAIL;
}

static void fake_string_free(void *ctx, char *s)
{
	struct fake *f = ctx;

	f->n_string_frees++;
	free(s);
}

static struct ah_host host_for(struct fake *f)
{
	struct ah_host h = {
		.struct_size = sizeof(h),
		.abi_major = AH_ABI_MAJOR,
		.abi_minor = AH_ABI_MINOR,
		.ctx = f,
		.log = fake_log,
		.set_error = fake_set_error,
		.config_get = fake_config,
		.secret_get = fake_secret_get,
		.secret_free = fake_secret_free,
		.now = fake_now,
		.dns_update = fake_dns_update,
		.dns_zone_of = fake_zone_of,
		.string_free = fake_string_free,
		.dns_update_batch = fake_update_batch,
	};
	return h;
}

static const struct ah_plugin *load(void)
{
	const char *dir = getenv("AH_BUILD_DIR");
	char path[4096];
	void *dl;
	ah_plugin_entry_fn entry;

	if (!dir) {
		fprintf(stderr, "AH_BUILD_DIR is not set (run through ctest)\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/lib/acmehook/plugins/dns-rfc2136.so", dir);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	/* Modules are never unloaded, as in the host. */
	*(void **)(&entry) = dlsym(dl, AH_PLUGIN_ENTRY_NAME);
	if (!entry) {
		fprintf(stderr, "%s: no %s\n", path, AH_PLUGIN_ENTRY_NAME);
		return NULL;
	}
	return entry();
}

static const char *const good_creds[] = {
	"dns_rfc2136_server", "127.0.0.1",
	"dns_rfc2136_port", "5353",
	"dns_rfc2136_name", "acme-key.",
	"dns_rfc2136_secret", SECRET,
	"dns_rfc2136_algorithm", "HMAC-SHA256",
	NULL,
};

static struct ah_challenge dns01(const char *ident, int wildcard, const char *record,
                                 const char *value)
{
	struct ah_challenge ch = {
		.struct_size = sizeof(ch),
		.identifier = ident,
		.wildcard = wildcard,
		.type = "dns-01",
		.token = "tok",
		.key_authorization = "tok.thumb",
		.record_name = record,
		.txt_value = value,
	};
	return ch;
}

static void test_descriptor(const struct ah_plugin *p)
{
	CHECK(p->magic == AH_PLUGIN_MAGIC);
	CHECK(p->abi_major == AH_ABI_MAJOR);
	CHECK(p->struct_size >= sizeof(struct ah_plugin));
	CHECK_STR(p->name, "dns-rfc2136");
	CHECK(p->roles == AH_ROLE_AUTHENTICATOR);
	CHECK(p->challenges == AH_CHALLENGE_DNS_01);
	CHECK(p->init && p->present && p->cleanup && p->fini);
	CHECK(AH_HAS_MEMBER(p, struct ah_plugin, check) && p->check != NULL);
}

/* The credentials become the update: server "IP:PORT", the key's name,
 * algorithm (lower case, as the host speaks it) and secret; one value added,
 * TTL 60, zone left to the host; the apex's and the wildcard's values at
 * one owner each deleted alone. */
static void test_present_cleanup(const struct ah_plugin *p)
{
	struct fake f = {.secrets = good_creds};
	struct ah_host h = host_for(&f);
	void *st = NULL;
	struct ah_challenge apex = dns01("example.test", 0, "_acme-challenge.example.test", "AAA");
	struct ah_challenge wild = dns01("example.test", 1, "_acme-challenge.example.test", "BBB");

	CHECK(p->init(&h, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->present(st, &apex) == AH_OK);
	CHECK(p->present(st, &wild) == AH_OK);
	CHECK(f.n_calls == 2);
	for (int i = 0; i < 2; i++) {
		struct call *c = &f.calls[i];
		CHECK_STR(c->server, "127.0.0.1:5353");
		CHECK(c->zone_null);
		CHECK_STR(c->name, "_acme-challenge.example.test");
		CHECK(c->ttl == 60);
		CHECK(c->add == 1);
		CHECK(c->has_key);
		CHECK_STR(c->key_name, "acme-key.");
		CHECK_STR(c->key_alg, "hmac-sha256");
		CHECK_STR(c->key_secret, SECRET);
	}
	CHECK_STR(f.calls[0].txt, "AAA");
	CHECK_STR(f.calls[1].txt, "BBB");

	CHECK(p->cleanup(st, &apex) == AH_OK);
	CHECK(p->cleanup(st, &wild) == AH_OK);
	CHECK(f.n_calls == 4);
	CHECK(f.calls[2].add == 0 && strcmp(f.calls[2].txt, "AAA") == 0);
	CHECK(f.calls[3].add == 0 && strcmp(f.calls[3].txt, "BBB") == 0);
	CHECK_STR(f.calls[2].name, "_acme-challenge.example.test");
	CHECK_STR(f.calls[3].key_secret, SECRET);

	/* A CNAME followed by the host: the record goes where it points. */
	struct ah_challenge cn = dns01("cname.example.test", 0,
	                               "_acme-challenge.cname.delegated.test", "CCC");
	CHECK(p->present(st, &cn) == AH_OK);
	CHECK_STR(f.calls[4].name, "_acme-challenge.cname.delegated.test");
	/* No record name from the host: the standard place. */
	struct ah_challenge plain = dns01("www.example.test", 0, NULL, "DDD");
	CHECK(p->present(st, &plain) == AH_OK);
	CHECK_STR(f.calls[5].name, "_acme-challenge.www.example.test");
	CHECK(p->cleanup(st, &plain) == AH_OK);
	CHECK(f.calls[6].add == 0);
	CHECK_STR(f.calls[6].txt, "DDD");
	CHECK_STR(f.calls[6].name, "_acme-challenge.www.example.test");

	/* http-01 is not ours: declined without touching DNS. */
	struct ah_challenge http = {
		.struct_size = sizeof(http),
		.identifier = "www.example.test",
		.type = "http-01",
		.token = "tok",
		.key_authorization = "tok.thumb",
	};
	int before = f.n_calls;
	CHECK(p->present(st, &http) == AH_DECLINE);
	CHECK(p->cleanup(st, &http) == AH_DECLINE);
	CHECK(p->check(st, &http) == AH_DECLINE);
	CHECK(f.n_calls == before);

	CHECK(strstr(f.logs, SECRET) == NULL);
	p->fini(st);
	/* Every secret_get value went back through secret_free (wiped). */
	CHECK(f.n_secret_gets == f.n_secret_frees);
}

/* Defaults: port 53 and HMAC-SHA512 as certbot; IPv6 in brackets; the
 * algorithm in any case; the zone override passed to the host. */
static void test_defaults(const struct ah_plugin *p)
{
	const char *const creds[] = {
		"dns_rfc2136_server", "::1",
		"dns_rfc2136_name", "k",
		"dns_rfc2136_secret", SECRET,
		"dns_rfc2136_zone", "example.test.",
		NULL,
	};
	const char *const creds2[] = {
		"dns_rfc2136_server", "192.0.2.1",
		"dns_rfc2136_name", "k",
		"dns_rfc2136_secret", SECRET,
		"dns_rfc2136_algorithm", "hmac-sha384",
		NULL,
	};
	const char *const creds3[] = {
		"dns_rfc2136_server", "192.0.2.1",
		"dns_rfc2136_name", "k",
		"dns_rfc2136_secret", SECRET,
		"dns_rfc2136_algorithm", "Hmac-Sha1",
		NULL,
	};
	struct fake f = {.secrets = creds};
	struct ah_host h = host_for(&f);
	struct ah_challenge ch = dns01("a.example.test", 0, "_acme-challenge.a.example.test", "V");
	void *st = NULL;

	CHECK(p->init(&h, &st) == AH_OK);
	if (st) {
		CHECK(p->present(st, &ch) == AH_OK);
		CHECK_STR(f.calls[0].server, "[::1]:53");
		CHECK_STR(f.calls[0].key_alg, "hmac-sha512");
		CHECK(!f.calls[0].zone_null);
		CHECK_STR(f.calls[0].zone, "example.test");
		p->fini(st);
		st = NULL;
	}

	struct fake f2 = {.secrets = creds2};
	struct ah_host h2 = host_for(&f2);
	CHECK(p->init(&h2, &st) == AH_OK);
	if (st) {
		CHECK(p->present(st, &ch) == AH_OK);
		CHECK_STR(f2.calls[0].server, "192.0.2.1:53");
		CHECK_STR(f2.calls[0].key_alg, "hmac-sha384");
		p->fini(st);
		st = NULL;
	}

	struct fake f3 = {.secrets = creds3};
	struct ah_host h3 = host_for(&f3);
	CHECK(p->init(&h3, &st) == AH_OK);
	if (st) {
		CHECK(p->present(st, &ch) == AH_OK);
		CHECK_STR(f3.calls[0].key_alg, "hmac-sha1");
		p->fini(st);
		st = NULL;
	}

	/* The instance option "zone" wins over the credentials' zone, and
	 * settings missing from the credentials come from options. */
	const char *const part[] = {"dns_rfc2136_name", "k", "dns_rfc2136_secret", SECRET,
	                            "dns_rfc2136_zone", "wrong.test", NULL};
	const char *const opts[] = {"dns_rfc2136_server", "127.0.0.2", "dns_rfc2136_port", "8053",
	                            "zone", "a.example.test", NULL};
	struct fake f4 = {.secrets = part, .options = opts};
	struct ah_host h4 = host_for(&f4);
	CHECK(p->init(&h4, &st) == AH_OK);
	if (st) {
		CHECK(p->present(st, &ch) == AH_OK);
		CHECK_STR(f4.calls[0].server, "127.0.0.2:8053");
		CHECK_STR(f4.calls[0].zone, "a.example.test");
		p->fini(st);
		st = NULL;
	}
}

/* The host's errors (which name rcode, zone and server) reach the user
 * unchanged; the plugin's status says the operation failed. */
static void test_errors(const struct ah_plugin *p)
{
	static const char *const notauth =
		"update of _acme-challenge.example.test TXT in zone example.test at "
		"127.0.0.1:5353 refused: NOTAUTH (TSIG error BADSIG) for key acme-key.";
	struct fake f = {.secrets = good_creds, .update_status = AH_FAIL,
	                 .update_error = notauth};
	struct ah_host h = host_for(&f);
	struct ah_challenge ch = dns01("example.test", 0, "_acme-challenge.example.test", "AAA");
	void *st = NULL;

	CHECK(p->init(&h, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->present(st, &ch) == AH_FAIL);
	CHECK_STR(f.err, notauth);
	CHECK(p->cleanup(st, &ch) == AH_FAIL);
	CHECK_STR(f.err, notauth);

	/* A host that fails without a word still yields a message that
	 * names the record and the server. */
	f.update_error = NULL;
	f.err[0] = '\0';
	CHECK(p->present(st, &ch) == AH_FAIL);
	CHECK(strstr(f.err, "_acme-challenge.example.test") != NULL);
	CHECK(strstr(f.err, "127.0.0.1:5353") != NULL);

	/* An unknown status from the host is a failure, not a success. */
	f.update_status = 42;
	CHECK(p->present(st, &ch) == AH_FAIL);
	f.update_status = AH_DECLINE;
	CHECK(p->present(st, &ch) == AH_FAIL);

	/* No TXT value: refused before the host is asked. */
	int before = f.n_calls;
	struct ah_challenge novalue = dns01("example.test", 0, "_acme-challenge.example.test", NULL);
	CHECK(p->present(st, &novalue) == AH_FAIL);
	CHECK(f.n_calls == before);
	CHECK(strstr(f.logs, SECRET) == NULL);
	p->fini(st);
}

/* check(): the zone override must contain the record; otherwise the zone
 * comes from the server, and a failure there is the host's text. */
static void test_check(const struct ah_plugin *p)
{
	const char *const creds[] = {
		"dns_rfc2136_server", "127.0.0.1", "dns_rfc2136_port", "5353",
		"dns_rfc2136_name", "k", "dns_rfc2136_secret", SECRET,
		"dns_rfc2136_zone", "example.test", NULL,
	};
	struct fake f = {.secrets = creds};
	struct ah_host h = host_for(&f);
	void *st = NULL;
	struct ah_challenge in = dns01("a.example.test", 0, "_acme-challenge.a.example.test", NULL);
	struct ah_challenge out = dns01("cname.example.test", 0,
	                                "_acme-challenge.cname.delegated.test", NULL);
	/* A suffix that is not a label boundary is not "inside". */
	struct ah_challenge lookalike = dns01("badexample.test", 0,
	                                      "_acme-challenge.badexample.test", NULL);

	CHECK(p->init(&h, &st) == AH_OK);
	if (st) {
		CHECK(p->check(st, &in) == AH_OK);
		CHECK(p->check(st, &out) == AH_DECLINE);
		CHECK(strstr(f.err, "_acme-challenge.cname.delegated.test") != NULL);
		CHECK(strstr(f.err, "example.test") != NULL);
		CHECK(p->check(st, &lookalike) == AH_DECLINE);
		CHECK(f.n_zone_of == 0);
		/* present refuses it as well rather than sending a NOTZONE. */
		out.txt_value = "X";
		CHECK(p->present(st, &out) == AH_DECLINE);
		CHECK(f.n_calls == 0);
		p->fini(st);
		st = NULL;
	}

	static const char *const served =
		"_acme-challenge.cname.delegated.test is served by zone delegated.test, "
		"which 127.0.0.1:5353 does not serve";
	struct fake g = {.secrets = good_creds, .zone_answer = "example.test"};
	struct ah_host hg = host_for(&g);
	CHECK(p->init(&hg, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->check(st, &in) == AH_OK);
	CHECK(g.n_zone_of == 1);
	CHECK_STR(g.zone_of_server, "127.0.0.1:5353");
	CHECK(g.n_string_frees == 1);
	g.zone_answer = NULL;
	g.zone_error = served;
	CHECK(p->check(st, &out) == AH_DECLINE);
	CHECK_STR(g.err, served);
	/* A zone that does not contain the name (a confused server). */
	g.zone_answer = "other.test";
	CHECK(p->check(st, &in) == AH_DECLINE);
	CHECK(strstr(g.err, "other.test") != NULL && strstr(g.err, "127.0.0.1:5353") != NULL);
	/* The host failing silently still gives a reason. */
	g.zone_answer = NULL;
	g.zone_error = NULL;
	g.err[0] = '\0';
	CHECK(p->check(st, &in) == AH_DECLINE);
	CHECK(strstr(g.err, "_acme-challenge.a.example.test") != NULL);
	CHECK(g.n_calls == 0);
	p->fini(st);
}

static int init_status(const struct ah_plugin *p, const char *const *creds, struct fake *f)
{
	struct ah_host h;
	void *st = NULL;
	int ret;

	memset(f, 0, sizeof(*f));
	f->secrets = creds;
	h = host_for(f);
	ret = p->init(&h, &st);
	if (ret == AH_OK)
		p->fini(st);
	CHECK(strstr(f->logs, SECRET) == NULL);
	CHECK(strstr(f->err, SECRET) == NULL);
	CHECK(f->n_secret_gets == f->n_secret_frees);
	return ret;
}

static void test_config(const struct ah_plugin *p)
{
	struct fake f;
	const char *const no_server[] = {"dns_rfc2136_name", "k", "dns_rfc2136_secret", SECRET, NULL};
	const char *const no_name[] = {"dns_rfc2136_server", "127.0.0.1",
	                               "dns_rfc2136_secret", SECRET, NULL};
	const char *const no_secret[] = {"dns_rfc2136_server", "127.0.0.1",
	                                 "dns_rfc2136_name", "k", NULL};
	const char *const md5[] = {"dns_rfc2136_server", "127.0.0.1", "dns_rfc2136_name", "k",
	                           "dns_rfc2136_secret", SECRET,
	                           "dns_rfc2136_algorithm", "HMAC-MD5.SIG-ALG.REG.INT", NULL};
	const char *const unknown[] = {"dns_rfc2136_server", "127.0.0.1", "dns_rfc2136_name", "k",
	                               "dns_rfc2136_secret", SECRET,
	                               "dns_rfc2136_algorithm", "HMAC-SHA999", NULL};
	const char *const hostname[] = {"dns_rfc2136_server", "ns1.example.test",
	                                "dns_rfc2136_name", "k", "dns_rfc2136_secret", SECRET,
	                                NULL};
	const char *const badport[] = {"dns_rfc2136_server", "127.0.0.1", "dns_rfc2136_port",
	                               "70000", "dns_rfc2136_name", "k",
	                               "dns_rfc2136_secret", SECRET, NULL};
	const char *const badsecret[] = {"dns_rfc2136_server", "127.0.0.1", "dns_rfc2136_name",
	                                 "k", "dns_rfc2136_secret", "not base64!", NULL};

	CHECK(init_status(p, no_server, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "dns_rfc2136_server") != NULL);
	CHECK(init_status(p, no_name, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "dns_rfc2136_name") != NULL);
	CHECK(init_status(p, no_secret, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "dns_rfc2136_secret") != NULL);
	CHECK(init_status(p, md5, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "MD5") != NULL);
	printf("refused as expected: %s\n", f.err);
	CHECK(init_status(p, unknown, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "HMAC-SHA999") != NULL);
	CHECK(init_status(p, hostname, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "ns1.example.test") != NULL);
	CHECK(init_status(p, badport, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "70000") != NULL);
	CHECK(init_status(p, badsecret, &f) == AH_CONFIG);
	CHECK(strstr(f.err, "not base64!") == NULL);
	CHECK(init_status(p, good_creds, &f) == AH_OK);

	/* An ABI 1.0 host has no DNS services: a configuration error, said. */
	struct ah_host old;
	void *st = NULL;
	memset(&f, 0, sizeof(f));
	f.secrets = good_creds;
	old = host_for(&f);
	old.struct_size = offsetof(struct ah_host, dns_query);
	old.abi_minor = 0;
	CHECK(p->init(&old, &st) == AH_CONFIG);
	CHECK(strstr(f.err, "1.1") != NULL);
}

/* Two instances (two servers, two keys) share nothing. */
static void test_two_instances(const struct ah_plugin *p)
{
	const char *const b_creds[] = {
		"dns_rfc2136_server", "127.0.0.2", "dns_rfc2136_port", "5454",
		"dns_rfc2136_name", "key-b", "dns_rfc2136_secret", "YmJiYg==",
		"dns_rfc2136_algorithm", "HMAC-SHA512", NULL,
	};
	struct fake fa = {.secrets = good_creds}, fb = {.secrets = b_creds};
	struct ah_host ha = host_for(&fa), hb = host_for(&fb);
	void *a = NULL, *b = NULL;
	struct ah_challenge ca = dns01("a.test", 0, "_acme-challenge.a.test", "A");
	struct ah_challenge cb = dns01("b.test", 0, "_acme-challenge.b.test", "B");

	CHECK(p->init(&ha, &a) == AH_OK);
	CHECK(p->init(&hb, &b) == AH_OK);
	if (a && b) {
		CHECK(p->present(a, &ca) == AH_OK);
		CHECK(p->present(b, &cb) == AH_OK);
		CHECK(fa.n_calls == 1 && fb.n_calls == 1);
		CHECK_STR(fa.calls[0].server, "127.0.0.1:5353");
		CHECK_STR(fa.calls[0].key_name, "acme-key.");
		CHECK_STR(fb.calls[0].server, "127.0.0.2:5454");
		CHECK_STR(fb.calls[0].key_name, "key-b");
		CHECK_STR(fb.calls[0].key_secret, "YmJiYg==");
		CHECK_STR(fb.calls[0].key_alg, "hmac-sha512");
	}
	p->fini(a);
	p->fini(b);
	p->fini(NULL);
}

/* ABI 1.2: the challenges of an order in one call, one UPDATE per zone
 * carrying every record of that zone, in the challenges' order; exact
 * deletions the same way; what is not dns-01 declined. */
static void test_batch(const struct ah_plugin *p)
{
	static const char *const zones[] = {"example.test", "other.test", NULL};
	struct fake f = {.secrets = good_creds, .zones = zones};
	struct ah_host h = host_for(&f);
	void *st = NULL;
	struct ah_challenge c[5] = {
		dns01("example.test", 0, "_acme-challenge.example.test", "APEX"),
		dns01("x.other.test", 0, "_acme-challenge.x.other.test", "OTHER"),
		dns01("example.test", 1, "_acme-challenge.example.test", "WILD"),
		dns01("www.example.test", 0, NULL, "WWW"),
		{.struct_size = sizeof(struct ah_challenge), .identifier = "h.example.test",
		 .type = "http-01", .token = "tok", .key_authorization = "tok.thumb"},
	};
	const struct ah_challenge *chs[5] = {&c[0], &c[1], &c[2], &c[3], &c[4]};
	int statuses[5];

	CHECK(AH_HAS_MEMBER(p, struct ah_plugin, cleanup_batch) && p->present_batch &&
	      p->cleanup_batch);
	CHECK(p->init(&h, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->present_batch(st, chs, 4, statuses) == AH_OK);
	CHECK(statuses[0] == AH_OK && statuses[1] == AH_OK && statuses[2] == AH_OK &&
	      statuses[3] == AH_OK);
	CHECK(f.n_calls == 0 && f.n_batches == 2);
	CHECK_STR(f.batches[0].zone, "example.test");
	CHECK(f.batches[0].n == 3 && f.batches[0].add == 1 && f.batches[0].ttl == 60);
	CHECK_STR(f.batches[0].names[0], "_acme-challenge.example.test");
	CHECK_STR(f.batches[0].txts[0], "APEX");
	CHECK_STR(f.batches[0].names[1], "_acme-challenge.example.test");
	CHECK_STR(f.batches[0].txts[1], "WILD");
	CHECK_STR(f.batches[0].names[2], "_acme-challenge.www.example.test");
	CHECK_STR(f.batches[0].txts[2], "WWW");
	CHECK_STR(f.batches[0].server, "127.0.0.1:5353");
	CHECK_STR(f.batches[0].key_name, "acme-key.");
	CHECK_STR(f.batches[0].key_secret, SECRET);
	CHECK_STR(f.batches[1].zone, "other.test");
	CHECK(f.batches[1].n == 1);
	CHECK_STR(f.batches[1].txts[0], "OTHER");
	CHECK(f.n_zone_of == 4 && f.n_string_frees == 4);

	CHECK(p->cleanup_batch(st, chs, 5, statuses) == AH_OK);
	CHECK(statuses[0] == AH_OK && statuses[1] == AH_OK && statuses[2] == AH_OK &&
	      statuses[3] == AH_OK && statuses[4] == AH_DECLINE);
	CHECK(f.n_batches == 4 && f.batches[2].add == 0 && f.batches[2].n == 3);
	CHECK_STR(f.batches[2].txts[1], "WILD");
	CHECK(f.batches[3].add == 0 && f.batches[3].n == 1);
	/* Presenting stops at a challenge that is not ours, before sending:
	 * the host would fail the order on it anyway. */
	CHECK(p->present_batch(st, chs + 3, 2, statuses) == AH_OK);
	CHECK(statuses[0] == AH_FAIL && statuses[1] == AH_DECLINE && f.n_batches == 4);
	CHECK(strstr(f.logs, SECRET) == NULL);
	p->fini(st);
	CHECK(f.n_secret_gets == f.n_secret_frees);
}

/* A zone that refuses: presenting gives each challenge its zone's status
 * and stops sending at the failure; cleaning up goes on to every zone. A
 * zone that cannot be found fails presenting before anything is sent. */
static void test_batch_partial(const struct ah_plugin *p)
{
	static const char *const zones[] = {"example.test", "other.test", NULL};
	static const char *const refused =
		"DNS UPDATE of _acme-challenge.x.other.test in zone other.test at 127.0.0.1:5353 "
		"refused: REFUSED";
	struct fake f = {.secrets = good_creds, .zones = zones, .fail_zone = "other.test",
	                 .fail_error = refused};
	struct ah_host h = host_for(&f);
	void *st = NULL;
	struct ah_challenge c[4] = {
		dns01("a.example.test", 0, "_acme-challenge.a.example.test", "A"),
		dns01("x.other.test", 0, "_acme-challenge.x.other.test", "X"),
		dns01("b.example.test", 0, "_acme-challenge.b.example.test", "B"),
		dns01("nowhere.invalid", 0, "_acme-challenge.nowhere.invalid", "N"),
	};
	const struct ah_challenge *chs[3] = {&c[0], &c[1], &c[2]};
	const struct ah_challenge *other_first[2] = {&c[1], &c[0]};
	const struct ah_challenge *lost[2] = {&c[0], &c[3]};
	int statuses[3];

	CHECK(p->init(&h, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->present_batch(st, chs, 3, statuses) == AH_OK);
	CHECK(statuses[0] == AH_OK && statuses[1] == AH_FAIL && statuses[2] == AH_OK);
	CHECK(f.n_batches == 2 && f.batches[0].n == 2 && f.batches[1].n == 1);
	CHECK_STR(f.err, refused);

	CHECK(p->cleanup_batch(st, chs, 3, statuses) == AH_OK);
	CHECK(statuses[0] == AH_OK && statuses[1] == AH_FAIL && statuses[2] == AH_OK);
	CHECK(f.n_batches == 4);
	CHECK_STR(f.err, refused);

	/* other.test first: its refusal stops presenting, example.test is
	 * never sent and so not presented. */
	CHECK(p->present_batch(st, other_first, 2, statuses) == AH_OK);
	CHECK(statuses[0] == AH_FAIL && statuses[1] == AH_FAIL);
	CHECK(f.n_batches == 5);
	CHECK_STR(f.batches[4].zone, "other.test");

	/* No zone for one name: nothing sent at all. */
	f.zone_error = "no zone found for _acme-challenge.nowhere.invalid";
	CHECK(p->present_batch(st, lost, 2, statuses) == AH_OK);
	CHECK(statuses[0] == AH_FAIL && statuses[1] == AH_FAIL);
	CHECK(f.n_batches == 5);
	CHECK_STR(f.err, "no zone found for _acme-challenge.nowhere.invalid");
	p->fini(st);
}

/* More records than one message should carry go in several; a configured
 * zone is used without lookups and declines what lies outside it; a host
 * without dns_update_batch (ABI 1.1) gets the batch declined, so the
 * challenges come one at a time. */
static void test_batch_limits(const struct ah_plugin *p)
{
	enum { MANY = 150 };
	static struct ah_challenge c[MANY];
	static const struct ah_challenge *chs[MANY];
	static char names[MANY][64];
	static int statuses[MANY];
	const char *const zoned[] = {
		"dns_rfc2136_server", "127.0.0.1", "dns_rfc2136_name", "k",
		"dns_rfc2136_secret", SECRET, "dns_rfc2136_zone", "example.test", NULL,
	};
	struct fake f = {.secrets = zoned};
	struct ah_host h = host_for(&f);
	struct ah_challenge outside = dns01("b.other.test", 0, "_acme-challenge.b.other.test", "O");
	const struct ah_challenge *mixed[2] = {&outside, NULL};
	void *st = NULL;

	for (int i = 0; i < MANY; i++) {
		snprintf(names[i], sizeof(names[i]), "_acme-challenge.n%d.example.test", i);
		c[i] = dns01("n.example.test", 0, names[i], "V");
		chs[i] = &c[i];
	}
	CHECK(p->init(&h, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->present_batch(st, chs, MANY, statuses) == AH_OK);
	CHECK(f.n_batches == 2 && f.batches[0].n == 100 && f.batches[1].n == 50);
	CHECK(!f.batches[0].zone_null);
	CHECK_STR(f.batches[0].zone, "example.test");
	CHECK_STR(f.batches[1].names[0], "_acme-challenge.n100.example.test");
	CHECK(statuses[0] == AH_OK && statuses[MANY - 1] == AH_OK);
	CHECK(f.n_zone_of == 0);
	mixed[1] = &c[0];
	CHECK(p->cleanup_batch(st, mixed, 2, statuses) == AH_OK);
	CHECK(statuses[0] == AH_DECLINE && statuses[1] == AH_OK);
	CHECK(f.n_batches == 3 && f.batches[2].n == 1 && f.batches[2].add == 0);
	p->fini(st);
	st = NULL;

	struct fake g = {.secrets = good_creds};
	struct ah_host old = host_for(&g);
	old.struct_size = offsetof(struct ah_host, dns_update_batch);
	old.abi_minor = 1;
	CHECK(p->init(&old, &st) == AH_OK);
	if (!st)
		return;
	CHECK(p->present_batch(st, chs, 2, statuses) == AH_DECLINE);
	CHECK(g.n_batches == 0 && g.n_calls == 0);
	p->fini(st);
}

int main(void)
{
	const struct ah_plugin *p = load();

	CHECK(p != NULL);
	if (!p)
		return check_done();
	test_descriptor(p);
	test_present_cleanup(p);
	test_defaults(p);
	test_errors(p);
	test_check(p);
	test_config(p);
	test_two_instances(p);
	test_batch(p);
	test_batch_partial(p);
	test_batch_limits(p);
	return check_done();
}
