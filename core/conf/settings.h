/* Settings from the command line, cli.ini and renewal files.
 *
 * Each source is parsed into its own struct settings, in which NULL / -1
 * means "not given"; settings_merge then layers them, command line first,
 * then the lineage's renewal file, then cli.ini, then defaults. The same
 * option table (conf/options.def) serves all three sources, so a cli.ini
 * key or a renewal parameter is exactly a long flag name (underscores read
 * as dashes).
 *
 * The module's files: options.c (the table, argv, one key = value),
 * settings.c (init, free, merge, defaults, names and routes), load.c
 * (cli.ini, settings_load, settings_check), ini.c (the file reader) and
 * spec.c (struct route). Every pointer in a struct settings is owned by it
 * and freed by settings_free. */
#ifndef ACMEHOOK_CONFIG_H
#define ACMEHOOK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "conf/spec.h"

/* cli.ini's [instance NAME] sections and [routes] patterns. */
struct named_route {
	char *name;         /* instance name, or a [routes] pattern */
	struct route r;     /* for patterns, r.plugin is the instance or plugin name */
};

struct settings {
	/* One field per plain option of conf/options.def, same name. */
#define OPT_STR(lng, shrt, field, dflt, group, metavar, help) char *field;
#define OPT_SECRET(lng, shrt, field, group, metavar, help) char *field;
#define OPT_BOOL(lng, shrt, field, group, help) int field;
#define OPT_INT(lng, shrt, field, min, unset, dflt, group, metavar, help) int field;
#include "conf/options.def"
	char *command;
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
	char *dns_lua_credentials;       /* the last --dns-lua-credentials given */
	struct named_route *instances;   /* cli.ini [instance NAME] */
	size_t n_instances;
	struct named_route *patterns;    /* cli.ini [routes] */
	size_t n_patterns;
};

/* --- settings.c ---------------------------------------------------------- */

/* Set every field of S to "not given". */
void settings_init(struct settings *s);
/* Free everything S owns (secrets wiped) and re-initialize it; S may be
 * NULL. */
void settings_free(struct settings *s);
/* Fill every field of DST that is unset from SRC; routes of names without
 * one come from SRC's route for the same name, else SRC's fallback. */
int settings_merge(struct settings *dst, const struct settings *src, struct error *e);
/* Set defaults for whatever is still unset. The directories follow
 * /etc and /var as root, XDG otherwise. */
int settings_defaults(struct settings *s, struct error *e);
/* Forget S's names and their routes. */
void settings_drop_domains(struct settings *s);

/* True when NAME is an IPv4 or IPv6 address, bare or in brackets: an
 * "ip" identifier (RFC 8738), validated only over http-01. */
bool settings_is_ip(const char *name);
/* Check NAME (a "*." prefix allowed) as a DNS name in A-label form, or an
 * address; ORIGIN names where it came from in the message. */
int settings_check_domain(const char *name, const char *origin, struct error *e);
/* NAME as it is stored and sent to the CA, in a new string in *OUT: an
 * address in canonical text, a DNS name with its U-labels turned into
 * A-labels (IDNA 2008), lower-cased; then checked. */
int settings_name_form(const char *name, const char *origin, char **out, struct error *e);
/* Append NAME (lower-cased) with a copy of route R (may be NULL); a name
 * already present is ignored. */
int settings_add_domain(struct settings *s, const char *name, const struct route *r,
                        struct error *e);
/* Replace routes that name a cli.ini instance by that instance's plugin
 * and options; error when a name is routed to an unknown instance that is
 * also not a plugin name (checked later by the engine). */
int settings_resolve_instances(struct settings *s, struct error *e);
/* The [routes] pattern route for NAME, borrowed from S, or NULL: an exact
 * name beats a "*.suffix" pattern, a longer suffix beats a shorter one. */
const struct route *settings_pattern_route(const struct settings *s, const char *name);

/* Presets for --server. Returns the URL for NAME, or NAME itself. */
const char *config_server_url(const char *name);

/* --- options.c ----------------------------------------------------------- */

/* Parse ARGV (argv[0] is the program). Usage errors are exit code 2 and
 * name the flag or value at fault. */
int settings_from_argv(struct settings *s, int argc, char **argv, struct error *e);
/* Apply one "key = value" pair as the long option KEY. ORIGIN names the
 * file:line for errors. Used by cli.ini and renewal files. */
int settings_apply(struct settings *s, const char *key, const char *value, const char *origin,
                   struct error *e);
/* Print the options' part of --help: one line per option, by group. */
void settings_help(FILE *out);
/* Print the options as the roff body of acmehook(1)'s OPTIONS section:
 * one subsection per --help group, one tagged paragraph per option with
 * its aliases, then the certbot flags accepted without effect. */
void settings_man(FILE *out);
/* Print every flag the parser accepts, one a line: "--long", then "|-s"
 * when it has a short name, then " METAVAR" when it takes a value
 * ("VALUE" when the table names none). Shell completions are generated
 * from this. */
void settings_words(FILE *out);

/* --- load.c -------------------------------------------------------------- */

/* Parse a cli.ini file: "key = value" lines with long flag names, plus
 * [instance NAME] and [routes] sections. A missing file is not an error
 * when OPTIONAL. */
int settings_from_ini(struct settings *s, const char *path, bool optional, struct error *e);
/* Everything a run reads before the engine starts: initialize CLI and INI,
 * parse ARGV into CLI, then (unless there is no command or it is help or
 * version) read cli.ini into INI and check both with settings_check.
 * cli.ini is -c FILE, which must exist, else CONFIG_DIR/cli.ini, which
 * may be missing; a config-dir set in cli.ini and not on the command line
 * is copied into CLI, so it moves everything. On failure CLI and INI are
 * left empty; either way the caller frees them with settings_free. */
int settings_load(struct settings *cli, struct settings *ini, int argc, char **argv,
                  struct error *e);
/* Check values that need no network: key type, curve, RSA size, account
 * key type, HMAC algorithm, revocation reason, EAB pairing and encoding. */
int settings_check(const struct settings *s, struct error *e);

/* Make every path of S absolute against the current directory: the
 * directories, -c, --ca-bundle, --csr and its outputs, and the webroot,
 * credentials and script options of every route, deploy step and cli.ini
 * instance. Renewal files then work from any directory. */
int settings_absolute_paths(struct settings *s, struct error *e);

#endif
