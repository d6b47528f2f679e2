/* `acmehook script test SCRIPT --domain NAME`: try a Lua DNS provider (or,
 * with --dry-run, a deploy step) outside any order, step by step, with the
 * time each step took, so an operator can debug a provider script without
 * spending a CA's rate limits.
 *
 * Provider: present a random TXT value at _acme-challenge.NAME (CNAMEs
 * followed), wait until the zone's name servers serve it, clean up, and
 * wait until they stop. Deploy step: install a throwaway certificate from
 * a throwaway CA, written to a private temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/b64.h"
#include "base/crypto.h"
#include "dns/client.h"
#include "cli/engine.h"
#include "conf/credentials.h"
#include "host/instance.h"

#define SCRIPT_TEST_LABEL "script-test"

static long long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

/* The instance under test, with the credentials file read by the engine
 * (mode checked, secrets registered for redaction). */
static struct host_instance *make_instance(struct engine *eng, const char *script,
                                           struct error *e)
{
	struct host_clients clients = {.log = &eng->log, .http = &eng->http, .dns = &eng->dns};
	const char *opts[] = {"script", script, NULL};
	const char *cred = eng->base.dns_lua_credentials;
	char **secrets = NULL;
	struct host_instance *hi;

	if (!plugin_registry_get(&eng->plugins, "dns-lua", e)) {
		if (err_isset(e))
			return NULL;
		err_set(e, EXIT_USAGE, "the dns-lua plugin is not loaded: is dns-lua.so in the "
		        "plugin directory?");
		return NULL;
	}
	if (cred && credentials_load(cred, &eng->log, &secrets, e) < 0)
		return NULL;
	hi = host_instance_new(&eng->plugins, "dns-lua", SCRIPT_TEST_LABEL, opts,
	                       (const char *const *)secrets, &clients, e);
	credentials_free(secrets);
	return hi;
}

/* A key authorization and its dns-01 TXT value, as a CA would make them:
 * random token, value = base64url(SHA-256(key authorization)), 43 chars. */
static int make_values(char **token, char **keyauth, char **txt, struct error *e)
{
	unsigned char rnd[32], digest[32];
	char *t = NULL, *ka = NULL, *v = NULL;
	size_t n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return err_set(e, EXIT_OP, "cannot get random bytes");
	t = b64url_encode(rnd, sizeof(rnd));
	if (!t)
		goto oom;
	n = strlen(t) + sizeof(".script-test-thumbprint");
	ka = malloc(n);
	if (!ka)
		goto oom;
	snprintf(ka, n, "%s.script-test-thumbprint", t);
	if (!EVP_Digest(ka, strlen(ka), digest, NULL, EVP_sha256(), NULL))
		goto oom;
	v = b64url_encode(digest, sizeof(digest));
	if (!v)
		goto oom;
	*token = t;
	*keyauth = ka;
	*txt = v;
	return 0;
oom:
	free(t);
	free(ka);
	free(v);
	return err_nomem(e);
}

static int test_provider(struct engine *eng, struct host_instance *hi, const char *script,
                         const char *domain, struct error *e)
{
	FILE *out = eng->out;
	bool wildcard = strncmp(domain, "*.", 2) == 0;
	const char *ident = wildcard ? domain + 2 : domain;
	char base[300], *record = NULL, *zone = NULL, *token = NULL, *keyauth = NULL, *txt = NULL;
	char **servers = NULL;
	struct dns_propagation_cfg cfg;
	struct dns_expect item;
	struct challenge_desc ch = {0};
	struct timespec t0;
	struct error soft = {0}, cerr = {0};
	bool presented = false;
	int ret = -1, st;

	engine_propagation(&eng->base, &cfg);
	if ((size_t)snprintf(base, sizeof(base), "_acme-challenge.%s", ident) >= sizeof(base)) {
		err_set(e, EXIT_USAGE, "--domain %s is too long", domain);
		goto out;
	}
	if (dns_follow(&eng->dns, base, &record, &soft) < 0) {
		fprintf(out, "lookup: cannot follow %s (%s); using it as is\n", base, soft.msg);
		err_clear(&soft);
		if (!(record = strdup(base))) {
			err_nomem(e);
			goto out;
		}
	} else if (strcmp(record, base) != 0) {
		fprintf(out, "lookup: %s is an alias of %s\n", base, record);
	}
	if (dns_zone_of(&eng->dns, record, NULL, &zone, &soft) < 0) {
		fprintf(out, "lookup: cannot find the zone of %s (%s)\n", record, soft.msg);
		err_clear(&soft);
	}
	fprintf(out, "record: %s TXT (zone %s)\n", record, zone ? zone : "unknown");
	if (make_values(&token, &keyauth, &txt, e) < 0)
		goto out;
	fprintf(out, "value: %s\n", txt);
	fflush(out);

	ch.identifier = ident;
	ch.wildcard = wildcard;
	ch.type = CHALLENGE_DNS_01;
	ch.token = token;
	ch.key_authorization = keyauth;
	ch.record_name = record;
	ch.txt_value = txt;
	ch.zone = zone;

	now(&t0);
	st = host_instance_present(hi, &ch, e);
	if (st == HOST_DECLINED) {
		fprintf(out, "present: declined (%lld ms)\n", ms_since(&t0));
		err_set(e, EXIT_USAGE, "%s does not define present() and cleanup() for %s (a deploy "
		        "script? test it with --dry-run)", script, domain);
		goto out;
	}
	if (st != 0) {
		fprintf(out, "present: FAILED (%lld ms): %s\n", ms_since(&t0), e->msg);
		goto out;
	}
	presented = true;
	fprintf(out, "present: ok (%lld ms)\n", ms_since(&t0));
	fflush(out);

	item.name = record;
	item.zone = zone;
	item.value = txt;
	now(&t0);
	if (dns_wait_propagation(&eng->dns, &cfg, &item, 1, e) < 0) {
		fprintf(out, "propagation: FAILED (%lld ms): %s\n", ms_since(&t0), e->msg);
		goto out;
	}
	if (cfg.mode == DNS_PROP_AUTHORITATIVE && zone &&
	    dns_zone_servers(&eng->dns, zone, &servers, &soft) == 0) {
		size_t n = 0;

		while (servers[n])
			n++;
		if (n == 1)
			fprintf(out, "propagation: the one server of %s serves the value (%lld ms)\n",
			        zone, ms_since(&t0));
		else
			fprintf(out, "propagation: all %zu servers of %s serve the value (%lld ms)\n",
			        n, zone, ms_since(&t0));
	} else if (cfg.mode == DNS_PROP_NONE) {
		fprintf(out, "propagation: waited a fixed %ld s (%lld ms)\n", cfg.fixed_seconds,
		        ms_since(&t0));
	} else {
		fprintf(out, "propagation: the value is served (%lld ms)\n", ms_since(&t0));
	}
	err_clear(&soft);
	ret = 0;
out:
	/* Whatever failed after present, the record goes away. */
	if (presented) {
		fflush(out);
		now(&t0);
		st = host_instance_cleanup(hi, &ch, &cerr);
		if (st != 0) {
			fprintf(out, "cleanup: FAILED (%lld ms): %s\n", ms_since(&t0), cerr.msg);
			if (ret == 0)
				err_set(e, cerr.exit_code ? cerr.exit_code : EXIT_OP, "%s", cerr.msg);
			ret = -1;
		} else {
			fprintf(out, "cleanup: ok (%lld ms)\n", ms_since(&t0));
			if (ret == 0) {
				fflush(out);
				now(&t0);
				if (dns_wait_gone(&eng->dns, &cfg, &item, 1, e) < 0) {
					fprintf(out, "removal: FAILED (%lld ms): %s\n", ms_since(&t0),
					        e->msg);
					ret = -1;
				} else {
					fprintf(out, "removal: no server serves the value any more "
					        "(%lld ms)\n", ms_since(&t0));
				}
			}
		}
	}
	fprintf(out, "result: %s\n", ret == 0 ? "ok" : "FAILED");
	fflush(out);
	dns_strv_free(servers);
	free(record);
	free(zone);
	free(token);
	if (keyauth)
		OPENSSL_cleanse(keyauth, strlen(keyauth));
	free(keyauth);
	free(txt);
	return ret;
}

/* ---------------------------------------------------------------- deploy */

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn,
                       const char *dns_name, bool ca)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[300];
	bool ok = false;

	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	if (!X509_set_version(x, 2) || !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, key))
		goto out;
	if (!X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	                                (const unsigned char *)cn, -1, -1, 0))
		goto out;
	if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
	                                    : X509_get_subject_name(x)))
		goto out;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (!ext || !X509_add_ext(x, ext, -1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (dns_name) {
		snprintf(san, sizeof(san), "DNS:%s", dns_name);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		if (!ext || !X509_add_ext(x, ext, -1))
			goto out;
	}
	if (!X509_sign(x, signer, EVP_sha256()))
		goto out;
	ok = true;
out:
	X509_EXTENSION_free(ext);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int write_new(const char *path, const char *text, mode_t mode, struct error *e)
{
	size_t len = strlen(text), off = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return err_set(e, EXIT_OP, "cannot create %s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return err_set(e, EXIT_OP, "cannot write %s: %s", path, strerror(errno));
		}
		off += (size_t)n;
	}
	if (close(fd) < 0)
		return err_set(e, EXIT_OP, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

static int test_deploy(struct engine *eng, struct host_instance *hi, const char *script,
                       const char *domain, struct error *e)
{
	static const char *const files[] = {"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"};
	FILE *out = eng->out;
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX], paths[4][PATH_MAX + 32];
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *leaf = NULL;
	char *leaf_pem = NULL, *ca_pem = NULL, *key_pem = NULL, *full = NULL;
	const char *names[1] = {domain};
	struct cert_desc c = {0};
	struct timespec t0;
	bool made_dir = false;
	int ret = -1, st;

	snprintf(dir, sizeof(dir), "%s/acmehook-script-test.XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		err_set(e, EXIT_OP, "cannot create a temporary directory %s: %s", dir,
		        strerror(errno));
		goto out;
	}
	made_dir = true;
	for (int i = 0; i < 4; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, files[i]);

	ca_key = crypto_keygen("ecdsa", NULL, 0, e);
	key = ca_key ? crypto_keygen("ecdsa", NULL, 0, e) : NULL;
	if (!key)
		goto out;
	ca = make_cert(ca_key, ca_key, NULL, "acmehook script test throwaway CA", NULL, true);
	leaf = ca ? make_cert(key, ca_key, ca, strlen(domain) <= 64 ? domain : "script test",
	                      domain, false) : NULL;
	if (!leaf) {
		err_set(e, EXIT_OP, "cannot make a throwaway certificate for %s", domain);
		goto out;
	}
	leaf_pem = crypto_cert_pem(leaf);
	ca_pem = crypto_cert_pem(ca);
	key_pem = crypto_key_pem(key, e);
	if (!leaf_pem || !ca_pem || !key_pem) {
		err_nomem(e);
		goto out;
	}
	full = malloc(strlen(leaf_pem) + strlen(ca_pem) + 1);
	if (!full) {
		err_nomem(e);
		goto out;
	}
	strcpy(full, leaf_pem);
	strcat(full, ca_pem);
	if (write_new(paths[0], leaf_pem, 0644, e) < 0 || write_new(paths[1], ca_pem, 0644, e) < 0 ||
	    write_new(paths[2], full, 0644, e) < 0 || write_new(paths[3], key_pem, 0600, e) < 0)
		goto out;
	fprintf(out, "certificate: throwaway, self-made CA, for %s, in %s\n", domain, dir);
	fflush(out);

	c.lineage = domain;
	c.names = names;
	c.n_names = 1;
	c.cert_path = paths[0];
	c.chain_path = paths[1];
	c.fullchain_path = paths[2];
	c.key_path = paths[3];
	c.renewed = false;
	c.issuer_changed = false;
	now(&t0);
	st = host_instance_install(hi, &c, e);
	if (st == HOST_DECLINED) {
		fprintf(out, "deploy: declined (%lld ms)\n", ms_since(&t0));
		err_set(e, EXIT_USAGE, "%s does not define deploy(cert) (a DNS provider? test it "
		        "without --dry-run)", script);
		goto out;
	}
	if (st != 0) {
		fprintf(out, "deploy: FAILED (%lld ms): %s\n", ms_since(&t0), e->msg);
		goto out;
	}
	fprintf(out, "deploy: ok (%lld ms)\n", ms_since(&t0));
	ret = 0;
out:
	fprintf(out, "result: %s\n", ret == 0 ? "ok" : "FAILED");
	fflush(out);
	if (made_dir) {
		for (int i = 0; i < 4; i++)
			unlink(paths[i]);
		rmdir(dir);
	}
	if (key_pem)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
	free(leaf_pem);
	free(ca_pem);
	free(full);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return ret;
}

int cmd_script(struct engine *eng, struct error *e)
{
	char *const *args = eng->cli->args;
	const char *script, *domain;
	struct host_instance *hi = NULL;
	bool deploy = eng->base.dry_run > 0;
	int ret;

	if (!args || !args[0] || strcmp(args[0], "test") != 0)
		return err_set(e, EXIT_USAGE, "usage: acmehook script test SCRIPT --domain NAME "
		               "[--dns-lua-credentials FILE] [--dry-run]");
	script = args[1];
	if (!script || args[2])
		return err_set(e, EXIT_USAGE, "script test takes one SCRIPT: acmehook script test "
		               "SCRIPT --domain NAME");
	if (eng->base.n_domains != 1 || !eng->base.domains || !eng->base.domains[0])
		return err_set(e, EXIT_USAGE, "script test needs exactly one --domain NAME "
		               "(the name whose _acme-challenge record to write)");
	domain = eng->base.domains[0];
	fprintf(eng->out, "script test %s for %s (%s)\n", script, domain,
	        deploy ? "deploy step, throwaway certificate" : "DNS provider");
	fflush(eng->out);
	hi = make_instance(eng, script, e);
	if (!hi) {
		fprintf(eng->out, "load: FAILED: %s\nresult: FAILED\n", e->msg);
		return -1;
	}
	fprintf(eng->out, "load: ok\n");
	if (deploy)
		ret = test_deploy(eng, hi, script, domain, e);
	else
		ret = test_provider(eng, hi, script, domain, e);
	host_instance_free(hi);
	return ret;
}
