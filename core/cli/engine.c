#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <pthread.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "base/b64.h"
#include "cli/engine.h"
#include "conf/renewal.h"

/* One CA of the run: its directory and nonce pool, and the account. */
struct engine_ca {
	pthread_mutex_t lock;  /* held while the directory or the account is fetched */
	char *url;
	struct acme base;      /* the directory and the pool; no account, no client */
	EVP_PKEY *acct_key;    /* one reference held here, once known */
	char *kid;
	struct engine_ca *next;
};

/* What the threads of a run share: its CAs and those found without
 * renewal information. */
struct engine_run {
	pthread_mutex_t lock;  /* guards the two lists, not what a CA holds */
	struct engine_ca *cas;
	char **no_ari;         /* n_no_ari server URLs */
	size_t n_no_ari;
};

static void run_free(struct engine_run *r)
{
	if (!r)
		return;
	while (r->cas) {
		struct engine_ca *c = r->cas;
		r->cas = c->next;
		acme_close(&c->base);
		EVP_PKEY_free(c->acct_key);
		free(c->kid);
		free(c->url);
		pthread_mutex_destroy(&c->lock);
		free(c);
	}
	for (size_t i = 0; i < r->n_no_ari; i++)
		free(r->no_ari[i]);
	free(r->no_ari);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static struct engine_run *run_new(void)
{
	struct engine_run *r = calloc(1, sizeof(*r));

	if (r)
		pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* The record of the CA at URL, made when the run meets it first. */
static struct engine_ca *run_ca(struct engine_run *r, const char *url, struct error *e)
{
	struct engine_ca *c;

	pthread_mutex_lock(&r->lock);
	for (c = r->cas; c && strcmp(c->url, url) != 0; c = c->next)
		;
	if (!c && (c = calloc(1, sizeof(*c))) != NULL) {
		if ((c->url = strdup(url)) == NULL) {
			free(c);
			c = NULL;
		} else {
			pthread_mutex_init(&c->lock, NULL);
			c->next = r->cas;
			r->cas = c;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (!c)
		err_nomem(e);
	return c;
}

static enum log_level level_for(int verbose)
{
	if (verbose <= -1)
		return LVL_ERROR;
	if (verbose >= 1)
		return LVL_DEBUG;
	return LVL_INFO;
}

int engine_init(struct engine *eng, const struct settings *cli, const struct settings *ini,
                struct error *e)
{
	char **dirs = NULL;
	const char *bundle;
	int ret = -1;

	memset(eng, 0, sizeof(*eng));
	eng->cli = cli;
	eng->ini = ini;
	eng->out = stdout;
	settings_init(&eng->base);
	log_init(&eng->log, LVL_INFO);
	hook_run_init(&eng->hooks);
	if (!(eng->run = run_new())) {
		err_nomem(e);
		goto out;
	}
	if (settings_merge(&eng->base, cli, e) < 0 || settings_merge(&eng->base, ini, e) < 0 ||
	    settings_defaults(&eng->base, e) < 0 || settings_check(&eng->base, e) < 0)
		goto out;
	eng->log.level = level_for(eng->base.verbose);
	/* Quiet means nothing on stdout either, unless something fails (the
	 * errors go to stderr): cron mails whatever a job prints. */
	if (eng->base.verbose < 0) {
		eng->quiet_out = fopen("/dev/null", "we");
		if (!eng->quiet_out) {
			err_set_errno(e, EXIT_OP, errno, "cannot open /dev/null: %s", strerror(errno));
			goto out;
		}
		eng->out = eng->quiet_out;
	}
	if (eng->base.eab_hmac_key) {
		log_add_secret(&eng->log, eng->base.eab_hmac_key);
		if (b64url_decode(eng->base.eab_hmac_key, &eng->eab_key, &eng->eab_key_len) < 0) {
			err_set(e, EXIT_USAGE, "--eab-hmac-key is not base64url");
			goto out;
		}
	}
	if (store_init(&eng->store, eng->base.config_dir, eng->base.work_dir, eng->base.logs_dir,
	               e) < 0)
		goto out;
	eng->store.log = &eng->log;
	if (eng->base.lock_timeout > 0)
		eng->store.lock_timeout_seconds = eng->base.lock_timeout;
	if (store_mkdirs(eng->base.config_dir, 0755, e) < 0 ||
	    store_mkdirs(eng->base.work_dir, 0700, e) < 0 ||
	    store_mkdirs(eng->base.logs_dir, 0700, e) < 0)
		goto out;
	if (log_open_file(&eng->log, eng->base.logs_dir) < 0)
		log_msg(&eng->log, LVL_WARN, "cannot write the log in %s", eng->base.logs_dir);
	bundle = eng->base.ca_bundle ? eng->base.ca_bundle : getenv("ACMEHOOK_CA_BUNDLE");
	if (bundle && *bundle && access(bundle, R_OK) != 0) {
		err_set(e, EXIT_USAGE, "cannot read the CA bundle %s", bundle);
		goto out;
	}
	if (http_client_init(&eng->http, bundle && *bundle ? bundle : NULL, &eng->log, e) < 0)
		goto out;
	{
		uint16_t port = (uint16_t)eng->base.dns_nameserver_port;
		if (dns_client_init(&eng->dns, (const char *const *)eng->base.dns_resolvers, port,
		                    &eng->log, e) < 0) {
			if (eng->base.dns_resolvers)
				goto out;
			/* No usable resolv.conf: http-01 needs no DNS, so carry
			 * on; DNS work will name the missing resolvers. */
			log_msg(&eng->log, LVL_DEBUG, "no system resolvers: %s", e->msg);
			err_clear(e);
			memset(&eng->dns, 0, sizeof(eng->dns));
			eng->dns.log = &eng->log;
			eng->dns.timeout_seconds = 5;
			eng->dns.ns_port = port;
		}
	}
	/* The default directories form one search path: a file name found in
	 * an earlier one shadows the same name in a later one, so a build tree
	 * next to an installed copy loads each plugin once. Nothing is opened
	 * yet: a run loads the plugins its routes and deploy steps name. */
	if (eng->base.plugin_dir) {
		char *one[] = {eng->base.plugin_dir, NULL};

		if (plugin_registry_open(&eng->plugins, one, e) < 0)
			goto out;
	} else {
		dirs = plugin_default_dirs();
		if (!dirs) {
			err_nomem(e);
			goto out;
		}
		if (plugin_registry_open(&eng->plugins, dirs, e) < 0)
			goto out;
	}
	ret = 0;
out:
	plugin_dirs_free(dirs);
	if (ret < 0)
		engine_free(eng); /* everything above is zeroed or set, so this is safe */
	return ret;
}

void engine_free(struct engine *eng)
{
	if (!eng)
		return;
	if (eng->parent) {
		engine_worker_free(eng);
		return;
	}
	run_free(eng->run);
	eng->run = NULL;
	hook_run_free(&eng->hooks);
	if (eng->quiet_out)
		fclose(eng->quiet_out);
	if (eng->eab_key) {
		OPENSSL_cleanse(eng->eab_key, eng->eab_key_len);
		free(eng->eab_key);
	}
	plugin_registry_free(&eng->plugins);
	dns_client_free(&eng->dns);
	http_client_free(&eng->http);
	store_free(&eng->store);
	settings_free(&eng->base);
	log_free(&eng->log);
}

int engine_lineage_settings(struct engine *eng, const char *name, bool with_cli_domains,
                            struct settings *out, struct error *e)
{
	struct settings stored, cli_copy;
	int ret = -1;

	settings_init(out);
	settings_init(&stored);
	settings_init(&cli_copy);
	if (settings_merge(&cli_copy, eng->cli, e) < 0)
		goto out;
	/* `renew` takes each lineage's names from its own file. */
	if (!with_cli_domains)
		settings_drop_domains(&cli_copy);
	if (settings_merge(out, &cli_copy, e) < 0)
		goto out;
	if (name && store_lineage_exists(&eng->store, name)) {
		if (renewal_load(&eng->store, name, &stored, e) < 0 ||
		    settings_merge(out, &stored, e) < 0)
			goto out;
	}
	if (settings_merge(out, eng->ini, e) < 0 || settings_defaults(out, e) < 0)
		goto out;
	/* Directories are run-wide. */
	free(out->config_dir);
	free(out->work_dir);
	free(out->logs_dir);
	out->config_dir = strdup(eng->base.config_dir);
	out->work_dir = strdup(eng->base.work_dir);
	out->logs_dir = strdup(eng->base.logs_dir);
	if (!out->config_dir || !out->work_dir || !out->logs_dir) {
		err_nomem(e);
		goto out;
	}
	ret = settings_check(out, e);
out:
	settings_free(&stored);
	settings_free(&cli_copy);
	if (ret < 0)
		settings_free(out);
	return ret;
}

void engine_propagation(const struct settings *s, struct dns_propagation_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = strcmp(s->dns_propagation, "none") == 0        ? DNS_PROP_NONE
	            : strcmp(s->dns_propagation, "resolvers") == 0 ? DNS_PROP_RESOLVERS
	                                                            : DNS_PROP_AUTHORITATIVE;
	cfg->timeout_seconds = s->dns_propagation_timeout;
	cfg->interval_seconds = 2;
	cfg->fixed_seconds = s->dns_propagation_seconds > 0 ? s->dns_propagation_seconds : 0;
}

int engine_worker(struct engine *w, struct engine *run, const char *tag, struct error *e)
{
	*w = *run;
	w->parent = run;
	w->quiet_out = NULL;
	log_child(&w->log, &run->log, tag);
	http_client_view(&w->http, &run->http, &w->log);
	w->store.log = &w->log;
	w->dns.log = &w->log;
	hook_run_view(&w->hooks, &run->hooks);
	w->out_buf = NULL;
	w->out_len = 0;
	w->out = open_memstream(&w->out_buf, &w->out_len);
	if (!w->out) {
		w->parent = NULL;
		return err_nomem(e);
	}
	return 0;
}

void engine_worker_tag(struct engine *w, const char *tag)
{
	log_child(&w->log, &w->parent->log, tag);
}

void engine_worker_flush(struct engine *w)
{
	if (!w->parent || fflush(w->out) != 0 || w->out_len == 0)
		return;
	/* One write of the whole block: stdio keeps it from interleaving with
	 * another thread's. */
	fwrite(w->out_buf, 1, w->out_len, w->parent->out);
	fflush(w->parent->out);
	rewind(w->out);
	w->out_len = 0;
}

void engine_worker_free(struct engine *w)
{
	if (!w || !w->parent)
		return;
	engine_worker_flush(w);
	fclose(w->out);
	free(w->out_buf);
	memset(w, 0, sizeof(*w));
}

int engine_acme(struct engine *eng, const char *url, struct acme *a, struct error *e)
{
	struct engine_ca *c = run_ca(eng->run, url, e);
	int ret = -1;

	if (!c)
		return -1;
	pthread_mutex_lock(&c->lock);
	if (!c->base.dir) {
		if (acme_open(&c->base, &eng->http, &eng->log, url, e) < 0)
			goto out;
		/* Only views make requests, each with its own client. */
		c->base.http = NULL;
		c->base.log = NULL;
	}
	acme_view(a, &c->base, &eng->http, &eng->log);
	ret = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int engine_account(struct engine *eng, struct acme *a, const struct acct_params *p,
                   EVP_PKEY **key, struct error *e)
{
	struct engine_ca *c = run_ca(eng->run, a->dir_url, e);
	int ret = -1;

	if (!c)
		return -1;
	/* Held through a registration, so that the run registers once; an
	 * order never holds it. */
	pthread_mutex_lock(&c->lock);
	if (!c->kid) {
		EVP_PKEY *k = NULL;
		if (acct_ensure(a, &eng->store, p, &eng->log, &k, e) < 0)
			goto out;
		if (!(c->kid = strdup(a->kid))) {
			EVP_PKEY_free(k);
			a->key = NULL;
			err_nomem(e);
			goto out;
		}
		EVP_PKEY_up_ref(k);
		c->acct_key = k;
		*key = k;
		ret = 0;
		goto out;
	}
	free(a->kid);
	if (!(a->kid = strdup(c->kid))) {
		err_nomem(e);
		goto out;
	}
	EVP_PKEY_up_ref(c->acct_key);
	a->key = c->acct_key;
	*key = c->acct_key;
	ret = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void engine_account_lost(struct engine *eng, const struct acme *a)
{
	struct error ignore = {0};
	struct engine_ca *c = a->dir_url ? run_ca(eng->run, a->dir_url, &ignore) : NULL;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->kid && a->kid && strcmp(c->kid, a->kid) == 0) {
		free(c->kid);
		c->kid = NULL;
		EVP_PKEY_free(c->acct_key);
		c->acct_key = NULL;
	}
	pthread_mutex_unlock(&c->lock);
}

/* Entries of the no_ari list are the URL after a tag: 'n' for a directory
 * without renewal information, 'f' for one that could not be fetched. */
bool engine_no_ari(struct engine *eng, const char *server, bool *offers_none)
{
	struct engine_run *r = eng->run;
	bool found = false;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_no_ari && !found; i++)
		if (strcmp(r->no_ari[i] + 1, server) == 0) {
			found = true;
			*offers_none = r->no_ari[i][0] == 'n';
		}
	pthread_mutex_unlock(&r->lock);
	return found;
}

void engine_note_no_ari(struct engine *eng, const char *server, bool offers_none)
{
	struct engine_run *r = eng->run;
	size_t len = strlen(server);
	char **v, *copy = malloc(len + 2);

	if (!copy)
		return; /* only a lost saving */
	copy[0] = offers_none ? 'n' : 'f';
	memcpy(copy + 1, server, len + 1);
	pthread_mutex_lock(&r->lock);
	v = realloc(r->no_ari, (r->n_no_ari + 1) * sizeof(*v));
	if (v) {
		r->no_ari = v;
		v[r->n_no_ari++] = copy;
		copy = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	free(copy);
}
