/* The plugin loader and the registry of loaded modules.
 *
 * The registry holds the modules loaded from the plugin directories. Modules
 * are never unloaded: a plugin may have handed out pointers into itself (its
 * descriptor, its strings) that outlive any instance.
 *
 * Ownership: the registry owns its modules' string copies; an instance
 * (host/instance.h) borrows its module from the registry, so the registry
 * must neither be freed nor loaded into (which may move its array) while
 * instances exist.
 */
#ifndef ACMEHOOK_HOST_LOADER_H
#define ACMEHOOK_HOST_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ah_plugin;

struct plugin_module {          /* one loaded shared object; never unloaded */
	char *name;                 /* copies of the descriptor's strings */
	char *version;              /* "" when the plugin gave none */
	char *description;          /* "" when the plugin gave none */
	char *path;                 /* the file it was loaded from */
	bool authenticator;         /* answers challenges (present, cleanup) */
	bool installer;             /* installs certificates (install) */
	bool http01;                /* the challenge types it declares */
	bool dns01;
	uint16_t abi_major, abi_minor;
	const struct ah_plugin *desc; /* lives in the module, valid forever; host/ only */
	void *handle;               /* dlopen handle, never dlclosed */
};

struct plugin_lazy;

/* MODS and N list every loaded module. A registry opened with
 * plugin_registry_open loads on demand: until plugin_registry_load_all,
 * MODS and N say nothing, and modules are only reached through
 * plugin_registry_find and plugin_registry_get, which any thread may call
 * (copies of the struct share its state); a module never moves once
 * loaded. */
struct plugin_registry {
	struct plugin_module *mods;
	size_t n;
	struct plugin_lazy *lazy;   /* the files not opened yet; NULL once all are */
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

/* Note the *.so files of the NULL-terminated DIRS (search path order,
 * shadowing as plugin_registry_load_dirs) without opening any: a module is
 * loaded, with every check above, when a lookup first asks for its name.
 * The files NAME.so, http-NAME.so and dns-NAME.so are tried first; when
 * none declares NAME, the other files are opened in search path order
 * until one does. A file no lookup reaches is never opened, so a broken or
 * untrusted one fails only the runs and commands that open it. R must be
 * empty. */
int plugin_registry_open(struct plugin_registry *r, char *const *dirs, struct error *e);

/* Open every file not opened yet, refusing what plugin_registry_load_dirs
 * refuses (duplicate names included), and set MODS and N. Not while other
 * threads use R. */
int plugin_registry_load_all(struct plugin_registry *r, struct error *e);

/* The default search path: $ACMEHOOK_PLUGIN_PATH (colon separated) if set,
 * else ../lib/acmehook/plugins relative to the running executable followed
 * by the installed plugin directory when that is a different directory.
 * A NULL-terminated malloc'd array (free with plugin_dirs_free), or NULL
 * when out of memory. */
char **plugin_default_dirs(void);
void plugin_dirs_free(char **dirs);

/* The module whose descriptor name is NAME, loading it if needed; NULL
 * when there is none, and also when a file opened for it was refused. */
const struct plugin_module *plugin_registry_find(const struct plugin_registry *r,
                                                 const char *name);
/* Like plugin_registry_find, but a refused file is an error in E (NULL
 * with E set); NULL with E clear means no plugin has that name. */
const struct plugin_module *plugin_registry_get(const struct plugin_registry *r,
                                                const char *name, struct error *e);
/* Frees the string copies, the array and the files not opened; does not
 * dlclose. */
void plugin_registry_free(struct plugin_registry *r);

/* The plugin ABI this host speaks, "MAJOR.MINOR"; a static string. */
const char *plugin_abi_version(void);

#endif
