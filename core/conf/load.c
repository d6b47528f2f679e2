/* What a run reads before the engine starts: the command line, cli.ini
 * (its settings, [instance NAME] sections and [routes]) and the checks of
 * values that need no network. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/b64.h"
#include "conf/ini.h"
#include "conf/internal.h"
#include "conf/settings.h"
#include "store/store.h"

/* --- cli.ini ------------------------------------------------------------- */

/* [instance NAME]: "plugin = P" and P's options. */
static int ini_instance(struct settings *s, const char *section, const char *key,
                        const char *value, const char *origin, struct error *e)
{
	const char *name = section + strlen("instance ");
	struct named_route *it = NULL;

	while (*name == ' ')
		name++;
	if (!*name || !store_name_valid(name))
		return err_set(e, EXIT_USAGE, "%s: bad instance name in [%s]", origin, section);
	for (size_t i = 0; i < s->n_instances && !it; i++)
		if (strcmp(s->instances[i].name, name) == 0)
			it = &s->instances[i];
	if (!it && !(it = conf_named_push(&s->instances, &s->n_instances, name, NULL)))
		return err_nomem(e);
	if (strcmp(key, "plugin") == 0) {
		free(it->r.plugin);
		it->r.plugin = strdup(value);
		return it->r.plugin ? 0 : err_nomem(e);
	}
	return route_set_opt(&it->r, key, value) == 0 ? 0 : err_nomem(e);
}

/* [routes]: PATTERN = INSTANCE-or-PLUGIN. */
static int ini_route(struct settings *s, const char *key, const char *value,
                     const char *origin, struct error *e)
{
	struct route r = {0};
	const char *pat = strncmp(key, "*.", 2) == 0 ? key + 2 : key;

	if (settings_check_domain(pat, origin, e) < 0)
		return -1;
	if (!*value)
		return err_set(e, EXIT_USAGE, "%s: route for %s names no instance", origin, key);
	r.plugin = (char *)value;
	return conf_named_push(&s->patterns, &s->n_patterns, key, &r) ? 0 : err_nomem(e);
}

static int ini_settings_cb(void *ud, const char *section, const char *key, const char *value,
                           const char *origin, struct error *e)
{
	struct settings *s = ud;

	if (section[0] == '\0')
		return settings_apply(s, key, value, origin, e);
	if (strncmp(section, "instance ", strlen("instance ")) == 0)
		return ini_instance(s, section, key, value, origin, e);
	if (strcmp(section, "routes") == 0)
		return ini_route(s, key, value, origin, e);
	return err_set(e, EXIT_USAGE,
	               "%s: unknown section [%s]; cli.ini knows [instance NAME] and [routes]", origin,
	               section);
}

int settings_from_ini(struct settings *s, const char *path, bool optional, struct error *e)
{
	if (optional && access(path, F_OK) != 0)
		return 0;
	return ini_parse_trusted(path, ini_settings_cb, s, e);
}

/* --- checks -------------------------------------------------------------- */

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

/* Both halves of External Account Binding, the key in base64url. */
static int check_eab(const struct settings *s, struct error *e)
{
	unsigned char *k = NULL;
	size_t n = 0;
	int ret = -1;

	if ((s->eab_kid != NULL) != (s->eab_hmac_key != NULL))
		return err_set(e, EXIT_USAGE, "External Account Binding needs both --eab-kid and "
		                              "--eab-hmac-key");
	if (!s->eab_hmac_key)
		return 0;
	/* Never echo the key itself: name it by its length only. */
	if (b64url_decode(s->eab_hmac_key, &k, &n) < 0 || n == 0) {
		err_set(e, EXIT_USAGE,
		        "--eab-hmac-key (%zu characters) is not base64url; copy the MAC key exactly "
		        "as your CA shows it",
		        strlen(s->eab_hmac_key));
		goto out;
	}
	ret = 0;
out:
	if (k) {
		OPENSSL_cleanse(k, n);
		free(k);
	}
	return ret;
}

int settings_check(const struct settings *s, struct error *e)
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
	return check_eab(s, e);
}

/* --- settings_load ------------------------------------------------------- */

/* cli.ini lives in the config dir unless -c names it; the directory is
 * found the same way the engine will find it. */
static int read_cli_ini(const struct settings *cli, struct settings *ini, struct error *e)
{
	struct settings probe;
	char path[PATH_MAX];
	int ret = -1;

	settings_init(&probe);
	if (settings_merge(&probe, cli, e) < 0 || settings_defaults(&probe, e) < 0)
		goto out;
	if (cli->config_file)
		snprintf(path, sizeof(path), "%s", cli->config_file);
	else
		snprintf(path, sizeof(path), "%s/cli.ini", probe.config_dir);
	ret = settings_from_ini(ini, path, cli->config_file == NULL, e);
out:
	settings_free(&probe);
	return ret;
}

int settings_load(struct settings *cli, struct settings *ini, int argc, char **argv,
                  struct error *e)
{
	int ret = -1;

	settings_init(cli);
	settings_init(ini);
	if (settings_from_argv(cli, argc, argv, e) < 0)
		goto out;
	/* Help and the version need no configuration, and must work when the
	 * configuration is broken. */
	if (!cli->command || strcmp(cli->command, "help") == 0 ||
	    strcmp(cli->command, "version") == 0) {
		ret = 0;
		goto out;
	}
	/* Relative paths are relative to where the command ran; stored
	 * settings must not depend on that (conf/paths.c). */
	if (settings_absolute_paths(cli, e) < 0 || read_cli_ini(cli, ini, e) < 0 ||
	    settings_absolute_paths(ini, e) < 0)
		goto out;
	/* A config-dir set in cli.ini moves everything, as in certbot. */
	if (ini->config_dir && !cli->config_dir && !(cli->config_dir = strdup(ini->config_dir))) {
		err_nomem(e);
		goto out;
	}
	if (settings_check(cli, e) < 0 || settings_check(ini, e) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		settings_free(cli);
		settings_free(ini);
	}
	return ret;
}
