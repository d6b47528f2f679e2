/* Plugin instances: creating and destroying them, the present, cleanup,
 * check and install calls, and turning a plugin's status into the caller's
 * error. The engine's challenge and certificate descriptions become the
 * SDK's structs here and nowhere else. Each call holds the instance's
 * lock, which keeps the SDK's promise that an instance is never called
 * from two threads at once. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "host/instance_priv.h"

const char *challenge_type_name(enum challenge_type t)
{
	return t == CHALLENGE_DNS_01 ? "dns-01" : "http-01";
}

static int copy_pairs(const char *const *src, char ***dst, size_t *npairs, const char *what,
                      const char *label, struct error *e)
{
	size_t n = 0;
	char **v = NULL;

	while (src && src[n])
		n++;
	if (n % 2)
		return err_set(e, EXIT_USAGE, "%s: %s key \"%s\" has no value", label, what,
		               src[n - 1]);
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return err_nomem(e);
		for (size_t i = 0; i < n; i++) {
			v[i] = strdup(src[i]);
			if (!v[i]) {
				for (size_t k = 0; k < i; k++)
					host_wipe_free(v[k]);
				free(v);
				return err_nomem(e);
			}
		}
	}
	*dst = v;
	*npairs = n / 2;
	return 0;
}

static void free_pairs(char **v, size_t npairs)
{
	for (size_t i = 0; v && i < 2 * npairs; i++)
		host_wipe_free(v[i]);
	free(v);
}

/* Turn a plugin status into the caller's result: 0 done, HOST_DECLINED,
 * or -1 with E set. */
static int status_to_error(struct host_instance *hi, const char *call, int st,
                           struct error *e)
{
	const char *text = hi->errtext[0] ? hi->errtext : "failed without saying why";

	switch (st) {
	case AH_OK:
		return 0;
	case AH_DECLINE:
		return HOST_DECLINED;
	case AH_CONFIG:
		return err_set(e, EXIT_USAGE, "%s: %s", hi->label, text);
	case AH_FAIL:
		return err_set(e, EXIT_OP, "%s: %s", hi->label, text);
	default:
		return err_set(e, EXIT_OP, "%s: %s returned unknown status %d (%s)", hi->label,
		               call, st, text);
	}
}

struct host_instance *host_instance_new(const struct plugin_registry *r, const char *name,
                                        const char *instance_name,
                                        const char *const *opts,
                                        const char *const *secrets,
                                        const struct host_clients *clients,
                                        struct error *e)
{
	struct host_instance *hi = NULL;
	const struct plugin_module *m;
	size_t n;
	int st;

	m = plugin_registry_get(r, name, e);
	if (!m && err_isset(e))
		goto fail;
	if (!m) {
		err_set(e, EXIT_USAGE,
		        "no plugin named \"%s\" was found in the plugin directories "
		        "(set ACMEHOOK_PLUGIN_PATH to add one)",
		        name ? name : "(null)");
		goto fail;
	}
	hi = calloc(1, sizeof(*hi));
	if (!hi) {
		err_nomem(e);
		goto fail;
	}
	hi->mod = m;
	pthread_mutex_init(&hi->lock, NULL);
	if (clients)
		hi->clients = *clients;
	if (instance_name && strcmp(instance_name, m->name) != 0) {
		n = strlen(m->name) + strlen(instance_name) + 3;
		hi->label = malloc(n);
		if (hi->label)
			snprintf(hi->label, n, "%s[%s]", m->name, instance_name);
	} else {
		hi->label = strdup(m->name);
	}
	if (!hi->label) {
		err_nomem(e);
		goto fail;
	}
	if (copy_pairs(opts, &hi->opts, &hi->nopts, "option", hi->label, e) < 0)
		goto fail;
	if (copy_pairs(secrets, &hi->secrets, &hi->nsecrets, "secret", hi->label, e) < 0)
		goto fail;
	/* Registered before init so not even init's first line can leak one.
	 * Credentials files also hold server names and ports, which logs must
	 * keep readable: only values of secret-looking keys are masked. */
	for (size_t i = 0; hi->clients.log && i < hi->nsecrets; i++)
		if (log_secret_key(hi->secrets[2 * i]) &&
		    log_add_secret(hi->clients.log, hi->secrets[2 * i + 1]) < 0) {
			err_nomem(e);
			goto fail;
		}

	host_services_fill(&hi->host, hi);
	st = m->desc->init(&hi->host, &hi->state);
	if (st != AH_OK) {
		/* init's failure leaves no state to fini. */
		hi->state = NULL;
		if (st == AH_DECLINE)
			st = AH_CONFIG;
		status_to_error(hi, "init", st, e);
		goto fail;
	}
	hi->inited = true;
	return hi;
fail:
	host_instance_free(hi);
	return NULL;
}

static bool base64url_token(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return n > 0;
}

/* The SDK's view of CH, pointing into CH's strings. */
static void to_ah_challenge(const struct challenge_desc *ch, struct ah_challenge *c)
{
	memset(c, 0, sizeof(*c));
	c->struct_size = sizeof(*c);
	c->identifier = ch->identifier;
	c->wildcard = ch->wildcard;
	c->type = challenge_type_name(ch->type);
	c->token = ch->token;
	c->key_authorization = ch->key_authorization;
	c->record_name = ch->record_name;
	c->txt_value = ch->txt_value;
	c->zone = ch->zone;
	c->order_names = ch->order_names;
	c->n_order_names = ch->order_names ? ch->n_order_names : 0;
	c->remaining_challenges = ch->remaining;
}

/* True, with E saying why, when CH must not reach the plugin: it is not
 * an authenticator, or the token is not base64url. */
static bool challenge_refused(struct host_instance *hi, const struct challenge_desc *ch,
                              bool present, struct error *e)
{
	char esc[128];

	if (!hi->mod->authenticator) {
		err_set(e, EXIT_USAGE, "%s: plugin %s is not an authenticator; choose one that "
		        "answers challenges", hi->label, hi->mod->name);
		return true;
	}
	if (!ch || !ch->identifier || !base64url_token(ch->token)) {
		err_escape(esc, sizeof(esc), ch && ch->token ? ch->token : "(none)");
		err_set(e, EXIT_OP, "%s: refusing to %s challenge with token \"%s\": not base64url",
		        hi->label, present ? "present" : "cleanup", esc);
		return true;
	}
	return false;
}

static int challenge_call(struct host_instance *hi, const struct challenge_desc *ch,
                          bool present, struct error *e)
{
	const struct ah_plugin *d = hi->mod->desc;
	const char *call = present ? "present" : "cleanup";
	struct ah_challenge c;
	int st;

	if (challenge_refused(hi, ch, present, e))
		return -1;
	to_ah_challenge(ch, &c);
	pthread_mutex_lock(&hi->lock);
	hi->errtext[0] = '\0';
	st = present ? d->present(hi->state, &c) : d->cleanup(hi->state, &c);
	st = status_to_error(hi, call, st, e);
	pthread_mutex_unlock(&hi->lock);
	return st;
}

int host_instance_present(struct host_instance *hi, const struct challenge_desc *ch,
                          struct error *e)
{
	return challenge_call(hi, ch, true, e);
}

int host_instance_cleanup(struct host_instance *hi, const struct challenge_desc *ch,
                          struct error *e)
{
	return challenge_call(hi, ch, false, e);
}

/* Present or clean up N challenges with the plugin's batch call (ABI 1.2)
 * when it has one, else, or when it declines the batch, with one call each;
 * see host_instance_present_batch. */
static int batch_call(struct host_instance *hi, const struct challenge_desc *chs, size_t n,
                      bool present, int *results, struct error *e)
{
	const struct ah_plugin *d = hi->mod->desc;
	const char *call = present ? "present_batch" : "cleanup_batch";
	int (*fn)(void *, const struct ah_challenge *const *, size_t, int *) = NULL;
	struct ah_challenge *c = calloc(n ? n : 1, sizeof(*c));
	const struct ah_challenge **p = calloc(n ? n : 1, sizeof(*p));
	int *st = calloc(n ? n : 1, sizeof(*st));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx)), k = 0;
	int all = AH_DECLINE, ret = -1;
	bool failed = false;

	for (size_t i = 0; i < n; i++)
		results[i] = -1;
	if (!c || !p || !st || !idx) {
		err_nomem(e);
		goto out;
	}
	if (AH_HAS_MEMBER(d, struct ah_plugin, cleanup_batch))
		fn = present ? d->present_batch : d->cleanup_batch;
	for (size_t i = 0; fn && i < n; i++) {
		/* A token the ABI forbids never reaches the plugin: presenting
		 * fails as a whole, cleaning up goes on without it. */
		if (challenge_refused(hi, &chs[i], present, e)) {
			if (present)
				goto out;
			continue;
		}
		to_ah_challenge(&chs[i], &c[k]);
		p[k] = &c[k];
		st[k] = AH_FAIL;
		idx[k++] = i;
	}
	if (fn && k) {
		/* The instance's lock covers the call and the reading of its
		 * error text. */
		pthread_mutex_lock(&hi->lock);
		hi->errtext[0] = '\0';
		all = fn(hi->state, p, k, st);
		if (all == AH_OK)
			for (size_t j = 0; j < k; j++)
				results[idx[j]] = status_to_error(hi, call, st[j], e);
		else if (all != AH_DECLINE)
			status_to_error(hi, call, all, e);
		pthread_mutex_unlock(&hi->lock);
	} else if (fn) {
		all = AH_OK;
	}
	if (all == AH_DECLINE) {
		/* One call each, the ABI 1.0 way; presenting stops at the first
		 * failure, cleaning up goes on. */
		for (size_t i = 0; i < n && !(present && failed); i++) {
			results[i] = challenge_call(hi, &chs[i], present, e);
			failed = failed || results[i] != 0;
		}
	}
	ret = 0;
	for (size_t i = 0; i < n; i++)
		if (results[i] != 0)
			ret = -1;
out:
	free(c);
	free(p);
	free(st);
	free(idx);
	return ret;
}

int host_instance_present_batch(struct host_instance *hi, const struct challenge_desc *chs,
                                size_t n, int *results, struct error *e)
{
	return batch_call(hi, chs, n, true, results, e);
}

int host_instance_cleanup_batch(struct host_instance *hi, const struct challenge_desc *chs,
                                size_t n, int *results, struct error *e)
{
	return batch_call(hi, chs, n, false, results, e);
}

int host_instance_check(struct host_instance *hi, const struct challenge_desc *ch,
                        struct error *e)
{
	const struct ah_plugin *d = hi->mod->desc;
	struct ah_challenge c;
	int st;

	if (!AH_HAS_MEMBER(d, struct ah_plugin, check) || !d->check)
		return 0;
	to_ah_challenge(ch, &c);
	pthread_mutex_lock(&hi->lock);
	hi->errtext[0] = '\0';
	st = d->check(hi->state, &c);
	if (st != AH_OK)
		st = err_set(e, st == AH_CONFIG ? EXIT_USAGE : EXIT_OP, "%s cannot validate %s: %s",
		             hi->label, ch->identifier, hi->errtext[0] ? hi->errtext : "it declined");
	pthread_mutex_unlock(&hi->lock);
	return st;
}

int host_instance_install(struct host_instance *hi, const struct cert_desc *cd,
                          struct error *e)
{
	const struct ah_plugin *d = hi->mod->desc;
	struct ah_certificate c = {.struct_size = sizeof(c)};
	int st;

	if (!hi->mod->installer || !d->install)
		return err_set(e, EXIT_USAGE, "%s: plugin %s is not an installer; choose one that "
		               "installs certificates", hi->label, hi->mod->name);
	c.lineage = cd->lineage;
	c.names = cd->names;
	c.n_names = cd->n_names;
	c.cert_path = cd->cert_path;
	c.chain_path = cd->chain_path;
	c.fullchain_path = cd->fullchain_path;
	c.key_path = cd->key_path;
	c.renewed = cd->renewed;
	c.issuer_changed = cd->issuer_changed;
	pthread_mutex_lock(&hi->lock);
	hi->errtext[0] = '\0';
	st = status_to_error(hi, "install", d->install(hi->state, &c), e);
	pthread_mutex_unlock(&hi->lock);
	return st;
}

const char *host_instance_name(const struct host_instance *hi)
{
	return hi ? hi->label : NULL;
}

void host_instance_free(struct host_instance *hi)
{
	if (!hi)
		return;
	if (hi->inited)
		hi->mod->desc->fini(hi->state);
	if (hi->mod)
		pthread_mutex_destroy(&hi->lock);
	free_pairs(hi->opts, hi->nopts);
	free_pairs(hi->secrets, hi->nsecrets);
	free(hi->label);
	OPENSSL_cleanse(hi->errtext, sizeof(hi->errtext));
	free(hi);
}
