#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/b64.h"
#include "cli/engine.h"
#include "conf/renewal.h"

static const char *const key_types[] = {"ecdsa", "rsa", NULL};
static const char *const curves[] = {"secp256r1", "secp384r1", NULL};
static const char *const account_key_types[] = {"ec256", "ec384", "rsa2048", "rsa3072",
                                                "rsa4096", NULL};
static const char *const hmac_algs[] = {"HS256", "HS384", "HS512", NULL};
static const char *const reasons[] = {"unspecified", "keycompromise", "affiliationchanged",
                                      "superseded", "cessationofoperation", NULL};

static bool one_of(const char *v, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcasecmp(v, list[i]) == 0)
			return true;
	return false;
}

int engine_check_settings(const struct settings *s, struct error *e)
{
	if (s->key_type && !one_of(s->key_type, key_types))
		return err_set(e, EXIT_USAGE, "--key-type \"%s\" is not one of ecdsa, rsa", s->key_type);
	if (s->elliptic_curve && !one_of(s->elliptic_curve, curves))
		return err_set(e, EXIT_USAGE, "--elliptic-curve \"%s\" is not one of secp256r1, secp384r1",
		               s->elliptic_curve);
	if (s->rsa_key_size && s->rsa_key_size != 2048 && s->rsa_key_size != 3072 &&
	    s->rsa_key_size != 4096)
		return err_set(e, EXIT_USAGE, "--rsa-key-size %d is not one of 2048, 3072, 4096",
		               s->rsa_key_size);
	if (s->account_key_type && !one_of(s->account_key_type, account_key_types))
		return err_set(e, EXIT_USAGE,
		               "--account-key-type \"%s\" is not one of ec256, ec384, rsa2048, "
		               "rsa3072, rsa4096",
		               s->account_key_type);
	if (s->eab_hmac_alg && !one_of(s->eab_hmac_alg, hmac_algs))
		return err_set(e, EXIT_USAGE, "--eab-hmac-alg \"%s\" is not one of HS256, HS384, HS512",
		               s->eab_hmac_alg);
	if (s->reason && !one_of(s->reason, reasons))
		return err_set(e, EXIT_USAGE,
		               "--reason \"%s\" is not one of unspecified, keycompromise, "
		               "affiliationchanged, superseded, cessationofoperation",
		               s->reason);
	if ((s->eab_kid != NULL) != (s->eab_hmac_key != NULL))
		return err_set(e, EXIT_USAGE, "External Account Binding needs both --eab-kid and "
		                              "--eab-hmac-key");
	if (s->eab_hmac_key) {
		unsigned char *k = NULL;
		size_t n = 0;
		/* Never echo the key itself: name it by its length only. */
		if (b64url_decode(s->eab_hmac_key, &k, &n) < 0 || n == 0)
			return err_set(e, EXIT_USAGE,
			               "--eab-hmac-key (%zu characters) is not base64url; copy the MAC "
			               "key exactly as your CA shows it",
			               strlen(s->eab_hmac_key));
		OPENSSL_cleanse(k, n);
		free(k);
	}
	return 0;
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
	if (settings_merge(&eng->base, cli, e) < 0 || settings_merge(&eng->base, ini, e) < 0 ||
	    settings_defaults(&eng->base, e) < 0)
		goto out;
	eng->log.level = level_for(eng->base.verbose);
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
	if (eng->base.plugin_dir) {
		if (plugin_registry_load_dir(&eng->plugins, eng->base.plugin_dir, e) < 0)
			goto out;
	} else {
		dirs = plugin_default_dirs();
		for (size_t i = 0; dirs && dirs[i]; i++)
			if (plugin_registry_load_dir(&eng->plugins, dirs[i], e) < 0)
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
	if (!with_cli_domains) {
		/* `renew` takes each lineage's names from its own file. */
		for (size_t i = 0; i < cli_copy.n_domains; i++) {
			free(cli_copy.domains[i]);
			route_free(&cli_copy.routes[i]);
		}
		free(cli_copy.domains);
		free(cli_copy.routes);
		cli_copy.domains = NULL;
		cli_copy.routes = NULL;
		cli_copy.n_domains = 0;
	}
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
		err_set(e, EXIT_OP, "out of memory");
		goto out;
	}
	ret = engine_check_settings(out, e);
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
