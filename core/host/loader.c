/* The plugin loader: the directory scan, the trust checks on every file
 * and directory code is loaded from, dlopen, descriptor validation, the
 * registry of loaded modules and the default search path. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acmehook/plugin.h>

#include "host/loader.h"

#ifndef ACMEHOOK_INSTALL_PLUGINDIR
#define ACMEHOOK_INSTALL_PLUGINDIR "/usr/local/lib/acmehook/plugins"
#endif

/* The size of the v1.0 descriptor: members up to fini are what every v1
 * host calls without testing, so a smaller descriptor cannot be used. */
#define DESC_V1_0_SIZE (offsetof(struct ah_plugin, fini) + sizeof(((struct ah_plugin *)0)->fini))

#define PLUGIN_NAME_MAX 32
#define PLUGIN_STR_MAX 256

/* Stringify the SDK's version macros once, at compile time. */
#define ABI_STR_(x) #x
#define ABI_STR(x) ABI_STR_(x)

const char *plugin_abi_version(void)
{
	return ABI_STR(AH_ABI_MAJOR) "." ABI_STR(AH_ABI_MINOR);
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static char *copy_str(const char *s)
{
	char esc[PLUGIN_STR_MAX];

	/* Descriptor strings end up in log lines and listings: escape them
	 * like any other text that did not come from us. */
	err_escape(esc, sizeof(esc), s ? s : "");
	return strdup(esc);
}

static void module_clear(struct plugin_module *m)
{
	free(m->name);
	free(m->version);
	free(m->description);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

/* Judge one file system object that code will be loaded from or through:
 * anyone who can write it, or its owner if that is neither root nor us,
 * could make us run their code. WHAT names it in the message ("it",
 * "directory /x"). */
static int check_trust(const char *plugin, const char *what, const struct stat *st,
                       struct error *e)
{
	uid_t me = geteuid();

	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, EXIT_USAGE,
		               "refusing plugin %s: %s is writable by group or others "
		               "(mode %04o); run chmod go-w on it",
		               plugin, what, (unsigned)(st->st_mode & 07777));
	if (st->st_uid != 0 && st->st_uid != me)
		return err_set(e, EXIT_USAGE,
		               "refusing plugin %s: %s is owned by uid %u, not root or uid %u; "
		               "chown it",
		               plugin, what, (unsigned)st->st_uid, (unsigned)me);
	return 0;
}

/* check_trust for an object named by a path. */
static int check_trust_at(const char *plugin, const char *kind, const char *path,
                          const struct stat *st, struct error *e)
{
	size_t n = strlen(kind) + strlen(path) + 2;
	char *what = malloc(n);
	int ret;

	if (!what)
		return err_nomem(e);
	snprintf(what, n, "%s %s", kind, path);
	ret = check_trust(plugin, what, st, e);
	free(what);
	return ret;
}

static bool valid_name(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (n >= PLUGIN_NAME_MAX)
			return false;
	}
	return n > 0;
}

/* Check a descriptor against ABI v1. Returns the reason it is refused, or
 * NULL when it is acceptable. */
static const char *desc_problem(const struct ah_plugin *d, char *tmp, size_t cap)
{
	if (!d)
		return "its entry " AH_PLUGIN_ENTRY_NAME " returned NULL";
	if (d->magic != AH_PLUGIN_MAGIC) {
		snprintf(tmp, cap, "bad magic 0x%08x (want 0x%08x): not an acmehook plugin",
		         (unsigned)d->magic, (unsigned)AH_PLUGIN_MAGIC);
		return tmp;
	}
	if (d->abi_major != AH_ABI_MAJOR) {
		snprintf(tmp, cap, "it was built for ABI major %u, this host speaks ABI %u",
		         (unsigned)d->abi_major, (unsigned)AH_ABI_MAJOR);
		return tmp;
	}
	if (d->struct_size < DESC_V1_0_SIZE) {
		snprintf(tmp, cap, "its descriptor struct_size %zu is smaller than the v1.0 "
		         "descriptor (%zu)", d->struct_size, (size_t)DESC_V1_0_SIZE);
		return tmp;
	}
	if (!d->name)
		return "its descriptor has no name";
	if (!valid_name(d->name)) {
		char esc[64];

		err_escape(esc, sizeof(esc), d->name);
		snprintf(tmp, cap, "its name \"%s\" is not 1 to %d of [a-z0-9-]", esc,
		         PLUGIN_NAME_MAX);
		return tmp;
	}
	if (!d->init)
		return "its descriptor has no init callback";
	if (!d->fini)
		return "its descriptor has no fini callback";
	if ((d->roles & AH_ROLE_AUTHENTICATOR) && (!d->present || !d->cleanup))
		return "it declares the authenticator role without present and cleanup";
	if ((d->roles & AH_ROLE_INSTALLER) && !d->install)
		return "it declares the installer role without install";
	return NULL;
}

static const struct plugin_module *find_in(const struct plugin_module *mods, size_t n,
                                           const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(mods[i].name, name) == 0)
			return &mods[i];
	return NULL;
}

/* Check the file at PATH before anything of it is loaded: a regular file
 * that only root or we can change, and for a symlink the same of its
 * target and the target's directory (the link's own directory was checked
 * by the caller). *REAL is the resolved path to open (malloc'd). */
static int trust_file(const char *path, char **real, struct error *e)
{
	struct stat lst, st, dst;
	char *rp = NULL, *dir = NULL, *slash;
	int ret = -1;

	if (lstat(path, &lst) < 0 || stat(path, &st) < 0) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: not a regular file", path);
		goto out;
	}
	rp = realpath(path, NULL);
	if (!rp) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: cannot resolve it: %s", path,
		        strerror(errno));
		goto out;
	}
	if (!S_ISLNK(lst.st_mode)) {
		if (check_trust(path, "it", &st, e) < 0)
			goto out;
	} else {
		/* Whoever can write the target or its directory can swap the
		 * code. */
		if (check_trust_at(path, "symlink target", rp, &st, e) < 0)
			goto out;
		dir = strdup(rp);
		if (!dir) {
			err_nomem(e);
			goto out;
		}
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		if (stat(dir, &dst) < 0) {
			err_set(e, EXIT_USAGE, "refusing plugin %s: directory %s: %s", path, dir,
			        strerror(errno));
			goto out;
		}
		if (check_trust_at(path, "symlink target's directory", dir, &dst, e) < 0)
			goto out;
	}
	*real = rp;
	rp = NULL;
	ret = 0;
out:
	free(rp);
	free(dir);
	return ret;
}

/* Open one file and fill *OUT. Modules refused after dlopen are closed
 * again: nothing of theirs was kept. PENDING are the modules already
 * accepted from the same directory, not yet in R. */
static int load_one(const char *path, const struct plugin_registry *r,
                    const struct plugin_module *pending, size_t npending,
                    struct plugin_module *out, struct error *e)
{
	struct plugin_module m = {0};
	char *real = NULL;
	void *h = NULL;
	ah_plugin_entry_fn entry;
	const struct ah_plugin *d;
	const struct plugin_module *dup;
	const char *why;
	char tmp[256];
	int ret = -1;

	if (trust_file(path, &real, e) < 0)
		goto out;
	/* dlopen the resolved path so what was checked is what is opened,
	 * short of the owner racing us, whom we trust anyway. */
	dlerror();
	h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *msg = dlerror();
		err_set(e, EXIT_USAGE, "refusing plugin %s: dlopen failed: %s", path,
		        msg ? msg : "unknown error");
		goto out;
	}
	entry = (ah_plugin_entry_fn)dlsym(h, AH_PLUGIN_ENTRY_NAME);
	if (!entry) {
		err_set(e, EXIT_USAGE,
		        "refusing plugin %s: it has no entry symbol " AH_PLUGIN_ENTRY_NAME
		        " (built for another ABI major, or not a plugin)",
		        path);
		goto out;
	}
	d = entry();
	why = desc_problem(d, tmp, sizeof(tmp));
	if (why) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: %s", path, why);
		goto out;
	}
	dup = find_in(r->mods, r->n, d->name);
	if (!dup)
		dup = find_in(pending, npending, d->name);
	if (dup) {
		err_set(e, EXIT_USAGE,
		        "refusing plugin %s: plugin name \"%s\" is already loaded from %s; "
		        "remove one of them",
		        path, d->name, dup->path);
		goto out;
	}
	m.name = strdup(d->name);
	m.version = copy_str(d->version);
	m.description = copy_str(d->description);
	m.path = strdup(path);
	if (!m.name || !m.version || !m.description || !m.path) {
		err_nomem(e);
		goto out;
	}
	m.authenticator = (d->roles & AH_ROLE_AUTHENTICATOR) != 0;
	m.installer = (d->roles & AH_ROLE_INSTALLER) != 0;
	m.http01 = (d->challenges & AH_CHALLENGE_HTTP_01) != 0;
	m.dns01 = (d->challenges & AH_CHALLENGE_DNS_01) != 0;
	m.abi_major = d->abi_major;
	m.abi_minor = d->abi_minor;
	m.desc = d;
	m.handle = h;
	h = NULL;
	*out = m;
	memset(&m, 0, sizeof(m));
	ret = 0;
out:
	if (h)
		dlclose(h);
	module_clear(&m);
	free(real);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcmp(s + n - k, suf) == 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* The *.so names in DIR, sorted. *NAMES stays NULL for a missing DIR. */
static int list_dir(const char *dir, char ***names, size_t *count, struct error *e)
{
	DIR *dp = NULL;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;
	int ret = -1;

	dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT) {
			*names = NULL;
			*count = 0;
			return 0;
		}
		return err_set(e, EXIT_USAGE, "cannot read plugin directory %s: %s", dir,
		               strerror(errno));
	}
	while ((errno = 0, de = readdir(dp)) != NULL) {
		/* Dot files are editors' and package managers' leftovers. */
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".so"))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			err_nomem(e);
			goto out;
		}
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			err_nomem(e);
			goto out;
		}
		n++;
	}
	if (errno) {
		err_set(e, EXIT_USAGE, "cannot read plugin directory %s: %s", dir,
		        strerror(errno));
		goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	*count = n;
	v = NULL;
	n = 0;
	ret = 0;
out:
	free_strv(v, n);
	closedir(dp);
	return ret;
}

/* Load DIR's modules, skipping file names in SKIP (NULL-terminated,
 * may be NULL). */
static int load_dir_skipping(struct plugin_registry *r, const char *dir,
                             char *const *skip, size_t nskip, struct error *e)
{
	char **names = NULL;
	size_t nnames = 0, npending = 0;
	struct plugin_module *pending = NULL, *all;
	struct stat dst;
	char *path = NULL;
	int ret = -1;

	if (list_dir(dir, &names, &nnames, e) < 0)
		goto out;
	if (!nnames) {
		ret = 0;
		goto out;
	}
	if (stat(dir, &dst) < 0) {
		err_set(e, EXIT_USAGE, "cannot read plugin directory %s: %s", dir,
		        strerror(errno));
		goto out;
	}
	pending = calloc(nnames, sizeof(*pending));
	if (!pending) {
		err_nomem(e);
		goto out;
	}
	for (size_t i = 0; i < nnames; i++) {
		bool skipped = false;

		for (size_t k = 0; k < nskip; k++)
			if (strcmp(skip[k], names[i]) == 0)
				skipped = true;
		if (skipped)
			continue;
		free(path);
		path = path_join(dir, names[i]);
		if (!path) {
			err_nomem(e);
			goto out;
		}
		if (check_trust_at(path, "directory", dir, &dst, e) < 0)
			goto out;
		if (load_one(path, r, pending, npending, &pending[npending], e) < 0)
			goto out;
		npending++;
	}
	if (npending) {
		all = realloc(r->mods, (r->n + npending) * sizeof(*all));
		if (!all) {
			err_nomem(e);
			goto out;
		}
		memcpy(all + r->n, pending, npending * sizeof(*pending));
		r->mods = all;
		r->n += npending;
		npending = 0;
	}
	ret = 0;
out:
	/* Modules refused with their siblings were never handed out; their
	 * handles stay open like every other module's. */
	for (size_t i = 0; i < npending; i++)
		module_clear(&pending[i]);
	free(pending);
	free(path);
	free_strv(names, nnames);
	return ret;
}

int plugin_registry_load_dir(struct plugin_registry *r, const char *dir, struct error *e)
{
	return load_dir_skipping(r, dir, NULL, 0, e);
}

int plugin_registry_load_dirs(struct plugin_registry *r, char *const *dirs, struct error *e)
{
	char **seen = NULL, **names = NULL, **ns;
	size_t nseen = 0, nnames = 0;
	int ret = -1;

	for (size_t i = 0; dirs && dirs[i]; i++) {
		if (load_dir_skipping(r, dirs[i], seen, nseen, e) < 0)
			goto out;
		if (list_dir(dirs[i], &names, &nnames, e) < 0)
			goto out;
		if (nnames) {
			ns = realloc(seen, (nseen + nnames) * sizeof(*ns));
			if (!ns) {
				err_nomem(e);
				goto out;
			}
			seen = ns;
			memcpy(seen + nseen, names, nnames * sizeof(*names));
			nseen += nnames;
			free(names);
			names = NULL;
			nnames = 0;
		}
	}
	ret = 0;
out:
	free_strv(names, nnames);
	free_strv(seen, nseen);
	return ret;
}

void plugin_dirs_free(char **dirs)
{
	for (size_t i = 0; dirs && dirs[i]; i++)
		free(dirs[i]);
	free(dirs);
}

static int dirs_push(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strndup(s, len);
	if (!nv[*n])
		return -1;
	(*n)++;
	nv[*n] = NULL;
	return 0;
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

char **plugin_default_dirs(void)
{
	const char *env = getenv("ACMEHOOK_PLUGIN_PATH");
	char **v = NULL;
	size_t n = 0;
	char exe[PATH_MAX], *slash;
	ssize_t len;

	v = calloc(1, sizeof(*v));
	if (!v)
		goto fail;
	if (env) {
		for (const char *p = env; *p;) {
			size_t k = strcspn(p, ":");

			if (k && dirs_push(&v, &n, p, k) < 0)
				goto fail;
			p += k;
			if (*p == ':')
				p++;
		}
		return v;
	}
	/* /proc/self/exe is already resolved, so stripping two components
	 * lexically gives the prefix: build/bin/acmehook -> build. */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		for (int i = 0; i < 2; i++) {
			slash = strrchr(exe, '/');
			if (slash)
				*slash = '\0';
		}
		if (strlen(exe) + sizeof("/lib/acmehook/plugins") <= sizeof(exe)) {
			strcat(exe, "/lib/acmehook/plugins");
			if (dirs_push(&v, &n, exe, strlen(exe)) < 0)
				goto fail;
		}
	}
	if (n == 0 || !same_dir(v[0], ACMEHOOK_INSTALL_PLUGINDIR))
		if (dirs_push(&v, &n, ACMEHOOK_INSTALL_PLUGINDIR,
		              strlen(ACMEHOOK_INSTALL_PLUGINDIR)) < 0)
			goto fail;
	return v;
fail:
	plugin_dirs_free(v);
	return NULL;
}

/* What a registry opened with plugin_registry_open has not loaded yet.
 * MODS has room for a module from every file, so it never moves. */
struct plugin_lazy {
	pthread_mutex_t lock;       /* guards everything below and MODS */
	char **dirs;                /* the directory of each file (borrowed from DIRV) */
	char **files;               /* file names; NULL once opened */
	size_t nfiles;
	size_t n;                   /* modules loaded so far into MODS */
	char **dirv;                /* the distinct directories, owned */
	size_t ndirv;
};

static void lazy_free(struct plugin_lazy *z)
{
	if (!z)
		return;
	free_strv(z->files, z->nfiles);
	free(z->dirs);
	free_strv(z->dirv, z->ndirv);
	pthread_mutex_destroy(&z->lock);
	free(z);
}

static int lazy_push_dir(struct plugin_lazy *z, const char *dir, char **names, size_t n,
                         struct error *e)
{
	char **nf, **nd, **dv;

	dv = realloc(z->dirv, (z->ndirv + 1) * sizeof(*dv));
	if (!dv)
		return err_nomem(e);
	z->dirv = dv;
	if (!(dv[z->ndirv] = strdup(dir)))
		return err_nomem(e);
	z->ndirv++;
	nf = realloc(z->files, (z->nfiles + n) * sizeof(*nf));
	if (nf)
		z->files = nf;
	nd = realloc(z->dirs, (z->nfiles + n) * sizeof(*nd));
	if (nd)
		z->dirs = nd;
	if (!nf || !nd)
		return err_nomem(e);
	for (size_t i = 0; i < n; i++) {
		z->files[z->nfiles] = names[i];
		z->dirs[z->nfiles] = dv[z->ndirv - 1];
		names[i] = NULL;
		z->nfiles++;
	}
	return 0;
}

static bool lazy_shadowed(const struct plugin_lazy *z, const char *name)
{
	for (size_t i = 0; i < z->nfiles; i++)
		if (strcmp(z->files[i], name) == 0)
			return true;
	return false;
}

int plugin_registry_open(struct plugin_registry *r, char *const *dirs, struct error *e)
{
	struct plugin_lazy *z = calloc(1, sizeof(*z));
	char **names = NULL;
	size_t nnames = 0, keep;
	int ret = -1;

	if (!z)
		return err_nomem(e);
	pthread_mutex_init(&z->lock, NULL);
	for (size_t i = 0; dirs && dirs[i]; i++) {
		if (list_dir(dirs[i], &names, &nnames, e) < 0)
			goto out;
		/* A name found in an earlier directory shadows this one's. */
		keep = 0;
		for (size_t k = 0; k < nnames; k++) {
			if (lazy_shadowed(z, names[k]))
				free(names[k]);
			else
				names[keep++] = names[k];
		}
		nnames = keep;
		if (nnames && lazy_push_dir(z, dirs[i], names, nnames, e) < 0)
			goto out;
		free_strv(names, nnames);
		names = NULL;
		nnames = 0;
	}
	r->mods = calloc(z->nfiles ? z->nfiles : 1, sizeof(*r->mods));
	if (!r->mods) {
		err_nomem(e);
		goto out;
	}
	r->n = 0;
	r->lazy = z;
	z = NULL;
	ret = 0;
out:
	free_strv(names, nnames);
	lazy_free(z);
	return ret;
}

/* Open file I of Z into the next free slot of MODS, with the checks of an
 * eager load. The caller holds the lock. */
static int lazy_load(struct plugin_module *mods, struct plugin_lazy *z, size_t i,
                     struct error *e)
{
	struct plugin_registry loaded = {.mods = mods, .n = z->n};
	struct stat dst;
	char *path = path_join(z->dirs[i], z->files[i]);
	int ret = -1;

	if (!path)
		return err_nomem(e);
	if (stat(z->dirs[i], &dst) < 0) {
		err_set(e, EXIT_USAGE, "cannot read plugin directory %s: %s", z->dirs[i],
		        strerror(errno));
		goto out;
	}
	if (check_trust_at(path, "directory", z->dirs[i], &dst, e) < 0 ||
	    load_one(path, &loaded, NULL, 0, &mods[z->n], e) < 0)
		goto out;
	z->n++;
	free(z->files[i]);
	z->files[i] = NULL;
	ret = 0;
out:
	free(path);
	return ret;
}

const struct plugin_module *plugin_registry_get(const struct plugin_registry *r,
                                                const char *name, struct error *e)
{
	static const char *const guess[] = {"", "http-", "dns-"};
	struct plugin_lazy *z;
	const struct plugin_module *m = NULL;

	if (!r || !name)
		return NULL;
	z = r->lazy;
	if (!z)
		return find_in(r->mods, r->n, name);
	pthread_mutex_lock(&z->lock);
	m = find_in(r->mods, z->n, name);
	/* No file can declare a name that is not valid. */
	if (m || !valid_name(name))
		goto out;
	/* The files named after NAME first: NAME.so, and http-NAME.so and
	 * dns-NAME.so, as the in-tree plugins are named by challenge type. */
	for (size_t k = 0; !m && k < sizeof(guess) / sizeof(guess[0]); k++) {
		char file[PLUGIN_NAME_MAX + 16];

		snprintf(file, sizeof(file), "%s%s.so", guess[k], name);
		for (size_t i = 0; i < z->nfiles; i++) {
			if (!z->files[i] || strcmp(z->files[i], file) != 0)
				continue;
			if (lazy_load(r->mods, z, i, e) < 0)
				goto out;
			m = find_in(r->mods, z->n, name);
			break;
		}
	}
	for (size_t i = 0; !m && i < z->nfiles; i++) {
		if (!z->files[i])
			continue;
		if (lazy_load(r->mods, z, i, e) < 0)
			goto out;
		m = find_in(r->mods, z->n, name);
	}
out:
	pthread_mutex_unlock(&z->lock);
	return m;
}

const struct plugin_module *plugin_registry_find(const struct plugin_registry *r,
                                                 const char *name)
{
	struct error ignore = {0};

	return plugin_registry_get(r, name, &ignore);
}

int plugin_registry_load_all(struct plugin_registry *r, struct error *e)
{
	struct plugin_lazy *z = r->lazy;
	int ret = -1;

	if (!z)
		return 0;
	pthread_mutex_lock(&z->lock);
	for (size_t i = 0; i < z->nfiles; i++)
		if (z->files[i] && lazy_load(r->mods, z, i, e) < 0)
			goto out;
	ret = 0;
out:
	r->n = z->n;
	pthread_mutex_unlock(&z->lock);
	if (ret == 0) {
		r->lazy = NULL;
		lazy_free(z);
	}
	return ret;
}

void plugin_registry_free(struct plugin_registry *r)
{
	if (!r)
		return;
	if (r->lazy)
		r->n = r->lazy->n;
	lazy_free(r->lazy);
	r->lazy = NULL;
	for (size_t i = 0; i < r->n; i++)
		module_clear(&r->mods[i]);
	free(r->mods);
	r->mods = NULL;
	r->n = 0;
}
