/* Plugin loading, ABI checks and the host services table.
 *
 * A registry holds the modules loaded from the plugin directories; an
 * instance is one configured use of a module (one per --webroot path, one
 * per DNS account, ...) with its own options, secrets, error text and
 * struct ah_host. Modules are never unloaded: a plugin may have handed out
 * pointers into itself (its descriptor, its strings) that outlive any
 * instance.
 *
 * Ownership: the registry owns its modules' string copies; an instance
 * borrows its module from the registry, so the registry must neither be
 * freed nor loaded into (which may move its array) while instances exist.
 */
#ifndef ACMEHOOK_HOST_HOST_H
#define ACMEHOOK_HOST_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <acmehook/plugin.h>

#include "base/err.h"

struct log;
struct http_client;
struct dns_client;

struct plugin_module {          /* one loaded shared object; never unloaded */
	char *name;                 /* copies of the descriptor's strings */
	char *version;              /* "" when the plugin gave none */
	char *description;          /* "" when the plugin gave none */
	char *path;                 /* the file it was loaded from */
	uint32_t roles;             /* AH_ROLE_* */
	uint32_t challenges;        /* AH_CHALLENGE_* */
	uint16_t abi_major, abi_minor;
	const struct ah_plugin *desc; /* lives in the module, valid forever */
	void *handle;               /* dlopen handle, never dlclosed */
};

struct plugin_registry {
	struct plugin_module *mods;
	size_t n;
};

/* Load every *.so in DIR, in name order. A missing DIR is not an error.
 * Anything refused is an EXIT_USAGE error naming the file and the reason:
 * the file or DIR writable by group or others or owned by someone other
 * than root or the effective uid, not a regular file (a symlink is judged
 * by its target and the target's directory), dlopen failure, no entry
 * symbol, a NULL descriptor, wrong magic or ABI major, a descriptor smaller
 * than v1.0, a bad or duplicate name, missing callbacks. Nothing is added
 * to R unless the whole directory loads. */
int plugin_registry_load_dir(struct plugin_registry *r, const char *dir, struct error *e);

/* Load each directory of the NULL-terminated DIRS in turn, like PATH: a
 * file whose name was already loaded from an earlier directory is skipped
 * (without being opened), so a build tree's plugins shadow installed
 * ones. Two different files declaring one plugin name are still refused. */
int plugin_registry_load_dirs(struct plugin_registry *r, char *const *dirs, struct error *e);

/* The default search path: $ACMEHOOK_PLUGIN_PATH (colon separated) if set,
 * else ../lib/acmehook/plugins relative to the running executable followed
 * by the installed plugin directory when that is a different directory.
 * A NULL-terminated malloc'd array (free with plugin_dirs_free), or NULL
 * when out of memory. */
char **plugin_default_dirs(void);
void plugin_dirs_free(char **dirs);

/* The module whose descriptor name is NAME, or NULL. */
const struct plugin_module *plugin_registry_find(const struct plugin_registry *r,
                                                 const char *name);
/* Frees the string copies and the array; does not dlclose. */
void plugin_registry_free(struct plugin_registry *r);

struct plugin_services {        /* what host services are backed by; all borrowed */
	struct log *log;            /* may be NULL: plugin log lines are dropped */
	struct http_client *http;   /* may be NULL: http_request then fails cleanly */
	struct dns_client *dns;     /* may be NULL: DNS services then fail cleanly */
};

struct plugin_instance;

/* Create an instance of plugin NAME called INSTANCE_NAME (NULL: the plugin
 * name), logging as "NAME[INSTANCE_NAME]". OPTS and SECRETS are
 * NULL-terminated lists of alternating key, value strings (either list may
 * be NULL), copied; OPTS are served by host->config_get and SECRETS by
 * host->secret_get. Every secret value is registered with SVC->log for
 * redaction before the plugin runs, and wiped when the instance is freed.
 * SVC and what it points to are borrowed and must outlive the instance.
 * Calls the plugin's init; its refusal is an error (AH_CONFIG: EXIT_USAGE,
 * otherwise EXIT_OP) carrying the plugin's text. */
struct plugin_instance *plugin_instance_new(const struct plugin_registry *r, const char *name,
                                            const char *instance_name,
                                            const char *const *opts,
                                            const char *const *secrets,
                                            const struct plugin_services *svc,
                                            struct error *e);

/* Call the plugin and return its AH_ status. On AH_FAIL and AH_CONFIG, E
 * holds the plugin's error text prefixed by the instance's name (exit code
 * EXIT_OP for AH_FAIL, EXIT_USAGE for AH_CONFIG). A status the host does
 * not know is reported as AH_FAIL. Calling present/cleanup on a module that
 * is not an authenticator, or install on one that is not an installer, is
 * AH_CONFIG. present refuses a token that is not base64url before the
 * plugin sees it, as the ABI promises. */
int plugin_instance_present(struct plugin_instance *pi, const struct ah_challenge *ch,
                            struct error *e);
int plugin_instance_cleanup(struct plugin_instance *pi, const struct ah_challenge *ch,
                            struct error *e);
/* The descriptor's optional check (ABI 1.1); AH_OK when it has none. */
int plugin_instance_check(struct plugin_instance *pi, const struct ah_challenge *ch,
                          struct error *e);
int plugin_instance_install(struct plugin_instance *pi, const struct ah_certificate *c,
                            struct error *e);

const struct plugin_module *plugin_instance_module(const struct plugin_instance *pi);
/* "NAME[INSTANCE]" or "NAME": the prefix of its log lines and errors. */
const char *plugin_instance_name(const struct plugin_instance *pi);
/* Calls fini, then wipes and frees the secrets. Accepts NULL. */
void plugin_instance_free(struct plugin_instance *pi);

#endif
