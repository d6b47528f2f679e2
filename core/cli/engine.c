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
	 * next to an installed copy loads each plugin once. */
	if (eng->base.plugin_dir) {
		if (plugin_registry_load_dir(&eng->plugins, eng->base.plugin_dir, e) < 0)
			goto out;
	} else {
		dirs = plugin_default_dirs();
		if (!dirs) {
			err_nomem(e);
			goto out;
		}
		if (plugin_registry_load_dirs(&eng->plugins, dirs, e) < 0)
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
	for (size_t i = 0; eng->no_ari && eng->no_ari[i]; i++)
		free(eng->no_ari[i]);
	free(eng->no_ari);
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
