/* Settings from the command line, cli.ini and renewal files.
 *
 * Each source is parsed into its own struct settings, in which NULL / -1
 * means "not given"; settings_merge then layers them, command line first,
 * then the lineage's renewal file, then cli.ini, then defaults. The same
 * option table serves all three sources, so a cli.ini key or a renewal
 * parameter is exactly a long flag name (underscores read as dashes). */
#ifndef ACMEHOOK_CONFIG_H
#define ACMEHOOK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Which plugin instance validates a name: plugin name plus its options. */
struct route {
	char *plugin;       /* e.g. "webroot"; NULL: not given */
	char **opts;        /* NULL-terminated key, value, key, value ... */
};

/* cli.ini's [instance NAME] sections and [routes] patterns. */
struct named_route {
	char *name;         /* instance name, or a [routes] pattern */
	struct route r;     /* for patterns, r.plugin is the instance or plugin name */
};

struct settings {
	char *command;
	char *server, *email, *eab_kid, *eab_hmac_key, *eab_hmac_alg;
	char *cert_name, *cert_path, *key_path, *fullchain_path, *chain_path, *csr;
	char *key_type, *elliptic_curve, *preferred_chain, *reason;
	char *config_dir, *work_dir, *logs_dir, *ca_bundle, *config_file, *plugin_dir;
	char *deploy_hook;
	char *account_key_type;          /* ec256 (default), ec384, rsa2048, rsa3072, rsa4096 */
	int rsa_key_size;                /* 0: not given */
	int agree_tos, non_interactive, force_renewal, register_unsafely, json;
	int dry_run, allow_plain_http;   /* -1: not given */
	int verbose;                     /* -v count minus -q count */
	bool verbose_set;
	char **domains;                  /* NULL-terminated, in order given */
	struct route *routes;            /* one per domain */
	size_t n_domains;
	struct route fallback;           /* route for names given none (cli.ini) */
	struct route *deploys;           /* --deploy-script steps, in order */
	size_t n_deploys;
	char **args;                     /* words after the command, NULL-terminated */
	char **dns_resolvers;            /* NULL-terminated "IP[:PORT]" list */
	char *dns_propagation;           /* authoritative, resolvers or none */
	char *dns_lua_credentials;       /* the last --dns-lua-credentials given */
	int dns_nameserver_port;         /* 0: not given */
	int dns_propagation_timeout;     /* 0: not given */
	int dns_propagation_seconds;     /* -1: not given */
	int lock_timeout;                /* seconds to wait for a lock; -1 or 0: not given */
	struct named_route *instances;   /* cli.ini [instance NAME] */
	size_t n_instances;
	struct named_route *patterns;    /* cli.ini [routes] */
	size_t n_patterns;
};

void settings_init(struct settings *s);
void settings_free(struct settings *s);

/* Parse ARGV (argv[0] is the program). Usage errors are exit code 2 and
 * name the flag or value at fault. */
int settings_from_argv(struct settings *s, int argc, char **argv, struct error *e);
/* Parse a cli.ini file: "key = value" lines with long flag names. A
 * missing file is not an error when OPTIONAL. */
int settings_from_ini(struct settings *s, const char *path, bool optional, struct error *e);
/* Fill every field of DST that is unset from SRC; routes of names without
 * one come from SRC's route for the same name, else SRC's fallback. */
int settings_merge(struct settings *dst, const struct settings *src, struct error *e);
/* Set defaults for whatever is still unset. ROOT decides /etc vs XDG. */
int settings_defaults(struct settings *s, struct error *e);

/* Apply one "key = value" pair as the long option KEY. ORIGIN names the
 * file:line for errors. Used by cli.ini and renewal files. */
int settings_apply(struct settings *s, const char *key, const char *value, const char *origin,
                   struct error *e);
int settings_add_domain(struct settings *s, const char *name, const struct route *r,
                        struct error *e);

/* Replace routes that name a cli.ini instance by that instance's plugin
 * and options; error when a name is routed to an unknown instance that is
 * also not a plugin name (checked later by the engine). */
int settings_resolve_instances(struct settings *s, struct error *e);
/* The [routes] pattern route for NAME, or NULL: an exact name beats a
 * "*.suffix" pattern, a longer suffix beats a shorter one. */
const struct route *settings_pattern_route(const struct settings *s, const char *name);

int route_copy(struct route *dst, const struct route *src);
void route_free(struct route *r);
const char *route_opt(const struct route *r, const char *key);
int route_set_opt(struct route *r, const char *key, const char *value);
bool route_equal(const struct route *a, const struct route *b);

/* Read an INI-style file, calling FN for every "key = value" with the
 * current section ("" before any). FN returns 0 or -1 (error set). */
typedef int (*ini_fn)(void *ud, const char *section, const char *key, const char *value,
                      const char *origin, struct error *e);
int ini_parse(const char *path, ini_fn fn, void *ud, struct error *e);

/* Presets for --server. Returns the URL for NAME, or NAME itself. */
const char *config_server_url(const char *name);

#endif
