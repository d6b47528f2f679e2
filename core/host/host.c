#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dns/client.h"
#include "dns/update.h"
#include "base/http.h"
#include "base/log.h"
#include "host/host.h"

#ifndef ACMEHOOK_INSTALL_PLUGINDIR
#define ACMEHOOK_INSTALL_PLUGINDIR "/usr/local/lib/acmehook/plugins"
#endif

/* The size of the v1.0 descriptor: members up to fini are what every v1
 * host calls without testing, so a smaller descriptor cannot be used. */
#define DESC_V1_0_SIZE (offsetof(struct ah_plugin, fini) + sizeof(((struct ah_plugin *)0)->fini))
#define HTTP_REQ_V1_0_SIZE                                                  \
	(offsetof(struct ah_http_request, timeout_seconds) + sizeof(long))

/* Plugin error text is capped so a plugin cannot flood the one-line error
 * the user sees. */
#define PLUGIN_ERR_MAX 512
#define PLUGIN_NAME_MAX 32
#define PLUGIN_STR_MAX 256

struct plugin_instance {
	const struct plugin_module *mod;  /* borrowed from the registry */
	char *label;                      /* "NAME[INSTANCE]" */
	char **opts;                      /* owned key, value pairs */
	size_t nopts;                     /* number of pairs */
	char **secrets;                   /* owned key, value pairs; values wiped */
	size_t nsecrets;
	struct plugin_services svc;
	struct ah_host host;              /* handed to init, valid until fini */
	void *state;
	bool inited;
	char errtext[PLUGIN_ERR_MAX];     /* the plugin's set_error text */
};

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
		return err_set(e, EXIT_OP, "out of memory");
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

/* Open one file and fill M. DIRST is the already-checked directory the
 * entry lives in. Modules refused after dlopen are closed again: nothing
 * of theirs was kept. */
static int load_one(const char *path, const struct plugin_registry *r,
                    const struct plugin_module *pending, size_t npending,
                    struct plugin_module *out, struct error *e)
{
	struct plugin_module m = {0};
	struct stat lst, st, dst;
	char *real = NULL, *realdir = NULL, *slash;
	void *h = NULL;
	ah_plugin_entry_fn entry;
	const struct ah_plugin *d;
	const struct plugin_module *dup;
	const char *why;
	char tmp[256];
	int ret = -1;

	if (lstat(path, &lst) < 0 || stat(path, &st) < 0) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: not a regular file", path);
		goto out;
	}
	real = realpath(path, NULL);
	if (!real) {
		err_set(e, EXIT_USAGE, "refusing plugin %s: cannot resolve it: %s", path,
		        strerror(errno));
		goto out;
	}
	if (!S_ISLNK(lst.st_mode)) {
		if (check_trust(path, "it", &st, e) < 0)
			goto out;
	} else {
		/* The link's own directory was checked by the caller; whoever
		 * can write the target or its directory can swap the code. */
		if (check_trust_at(path, "symlink target", real, &st, e) < 0)
			goto out;
		realdir = strdup(real);
		if (!realdir) {
			err_set(e, EXIT_OP, "out of memory");
			goto out;
		}
		slash = strrchr(realdir, '/');
		if (slash == realdir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		if (stat(realdir, &dst) < 0) {
			err_set(e, EXIT_USAGE, "refusing plugin %s: directory %s: %s", path,
			        realdir, strerror(errno));
			goto out;
		}
		if (check_trust_at(path, "symlink target's directory", realdir, &dst, e) < 0)
			goto out;
	}
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
		err_set(e, EXIT_OP, "out of memory");
		goto out;
	}
	m.roles = d->roles;
	m.challenges = d->challenges;
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
	free(realdir);
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
			err_set(e, EXIT_OP, "out of memory");
			goto out;
		}
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			err_set(e, EXIT_OP, "out of memory");
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
		err_set(e, EXIT_OP, "out of memory");
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
			err_set(e, EXIT_OP, "out of memory");
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
			err_set(e, EXIT_OP, "out of memory");
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
				err_set(e, EXIT_OP, "out of memory");
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

const struct plugin_module *plugin_registry_find(const struct plugin_registry *r,
                                                 const char *name)
{
	if (!r || !name)
		return NULL;
	return find_in(r->mods, r->n, name);
}

void plugin_registry_free(struct plugin_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		module_clear(&r->mods[i]);
	free(r->mods);
	r->mods = NULL;
	r->n = 0;
}

/* ---- host services: CTX is the struct plugin_instance ---- */

static void host_log(void *ctx, int level, const char *msg)
{
	struct plugin_instance *pi = ctx;
	enum log_level lvl;

	if (!pi->svc.log || !msg)
		return;
	/* A level this host does not know is logged rather than lost. */
	if (level <= AH_LOG_ERROR)
		lvl = LVL_ERROR;
	else if (level == AH_LOG_WARN)
		lvl = LVL_WARN;
	else if (level == AH_LOG_INFO)
		lvl = LVL_INFO;
	else
		lvl = LVL_DEBUG;
	log_msg(pi->svc.log, lvl, "%s: %s", pi->label, msg);
}

static void host_set_error(void *ctx, const char *msg)
{
	struct plugin_instance *pi = ctx;

	err_escape(pi->errtext, sizeof(pi->errtext), msg ? msg : "");
}

static const char *pair_get(char *const *kv, size_t n, const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[2 * i], key) == 0)
			return kv[2 * i + 1];
	return NULL;
}

static const char *host_config_get(void *ctx, const char *key)
{
	struct plugin_instance *pi = ctx;

	return pair_get(pi->opts, pi->nopts, key);
}

static int host_secret_get(void *ctx, const char *key, char **value)
{
	struct plugin_instance *pi = ctx;
	const char *v = pair_get(pi->secrets, pi->nsecrets, key);
	char *copy;

	if (!value)
		return AH_FAIL;
	if (!v)
		return AH_DECLINE;
	copy = strdup(v);
	if (!copy)
		return AH_FAIL;
	*value = copy;
	return AH_OK;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void host_secret_free(void *ctx, char *value)
{
	wipe_free(value);
}

static int host_http_request(void *ctx, const struct ah_http_request *req,
                             struct ah_http_response **resp)
{
	struct plugin_instance *pi = ctx;
	struct http_response hr = {0};
	struct ah_http_response *out = NULL;
	struct error e = {0};
	int ret = AH_FAIL, rc;

	if (!resp || !req || req->struct_size < HTTP_REQ_V1_0_SIZE || !req->method ||
	    !req->url) {
		host_set_error(pi, "http_request: malformed request (NULL member or "
		                   "struct_size too small)");
		goto out;
	}
	if (!pi->svc.http) {
		char msg[PLUGIN_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s %s: no HTTP client is available to plugins here",
		         req->method, req->url);
		host_set_error(pi, msg);
		goto out;
	}
	/* Plugins talk to local provider APIs (PowerDNS on 127.0.0.1:8081 is
	 * the common case), so plain http is allowed to loopback for them;
	 * everything else stays https only. */
	pi->svc.http->allow_plain_loopback = true;
	rc = http_request(pi->svc.http, req->method, req->url, req->headers, req->body,
	                  req->body ? req->body_len : 0, req->timeout_seconds, &hr, &e);
	pi->svc.http->allow_plain_loopback = false;
	if (rc < 0) {
		/* Pre-filled so a plugin that fails without a word still
		 * reports something useful; its own set_error replaces it. */
		host_set_error(pi, e.msg);
		goto out;
	}
	out = calloc(1, sizeof(*out));
	if (!out) {
		host_set_error(pi, "http_request: out of memory");
		goto out;
	}
	out->struct_size = sizeof(*out);
	out->status = hr.status;
	out->body_len = hr.body.len;
	out->headers = buf_steal(&hr.headers);
	out->body = buf_steal(&hr.body);
	if (!out->headers || !out->body) {
		host_set_error(pi, "http_request: out of memory");
		goto out;
	}
	*resp = out;
	out = NULL;
	ret = AH_OK;
out:
	if (out) {
		free(out->headers);
		free(out->body);
		free(out);
	}
	http_response_free(&hr);
	return ret;
}

static void host_http_response_free(void *ctx, struct ah_http_response *resp)
{
	if (!resp)
		return;
	free(resp->headers);
	/* Bodies carry tokens and keys often enough to wipe them all. */
	if (resp->body) {
		OPENSSL_cleanse(resp->body, resp->body_len);
		free(resp->body);
	}
	free(resp);
}

static bool have_dns(struct plugin_instance *pi, const char *what)
{
	char msg[PLUGIN_ERR_MAX];

	if (pi->svc.dns)
		return true;
	snprintf(msg, sizeof(msg), "%s: no DNS client is available to plugins here", what);
	host_set_error(pi, msg);
	return false;
}

static void host_dns_answer_free(void *ctx, struct ah_dns_answer *a)
{
	(void)ctx;
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->values[i]);
		free(a->owners[i]);
	}
	free(a->values);
	free(a->owners);
	free(a);
}

static int host_dns_query(void *ctx, const struct ah_dns_query *q, struct ah_dns_answer **ans)
{
	struct plugin_instance *pi = ctx;
	struct dns_answer a = {0};
	struct ah_dns_answer *out = NULL;
	struct error e = {0};
	long saved;
	int ret = AH_FAIL;

	if (!q || !ans || !q->name || !q->type ||
	    q->struct_size < offsetof(struct ah_dns_query, timeout_seconds) + sizeof(long)) {
		host_set_error(pi, "dns_query: malformed query");
		return AH_FAIL;
	}
	if (!have_dns(pi, "dns_query"))
		return AH_FAIL;
	saved = pi->svc.dns->timeout_seconds;
	if (q->timeout_seconds > 0)
		pi->svc.dns->timeout_seconds = q->timeout_seconds;
	if (dns_query(pi->svc.dns, q->server, q->name, q->type, &a, &e) < 0) {
		pi->svc.dns->timeout_seconds = saved;
		host_set_error(pi, e.msg);
		goto out;
	}
	pi->svc.dns->timeout_seconds = saved;
	out = calloc(1, sizeof(*out));
	if (!out) {
		host_set_error(pi, "dns_query: out of memory");
		goto out;
	}
	out->struct_size = sizeof(*out);
	out->rcode = a.rcode;
	out->values = calloc(a.n + 1, sizeof(char *));
	out->owners = calloc(a.n + 1, sizeof(char *));
	if (!out->values || !out->owners) {
		host_set_error(pi, "dns_query: out of memory");
		goto out;
	}
	for (size_t i = 0; i < a.n; i++) {
		out->values[i] = a.values[i];
		out->owners[i] = a.owners[i];
		a.values[i] = a.owners[i] = NULL;
		out->n++;
	}
	*ans = out;
	out = NULL;
	ret = AH_OK;
out:
	host_dns_answer_free(pi, out);
	dns_answer_free(&a);
	return ret;
}

static int host_dns_update(void *ctx, const struct ah_dns_update *u)
{
	struct plugin_instance *pi = ctx;
	struct dns_update_req r = {0};
	struct error e = {0};

	if (!u || !u->server || !u->name || !u->txt ||
	    u->struct_size < offsetof(struct ah_dns_update, timeout_seconds) + sizeof(long)) {
		host_set_error(pi, "dns_update: malformed request");
		return AH_FAIL;
	}
	if (!have_dns(pi, "dns_update"))
		return AH_FAIL;
	r.server = u->server;
	r.zone = u->zone;
	r.name = u->name;
	r.txt = u->txt;
	r.ttl = u->ttl;
	r.add = u->add != 0;
	r.timeout_seconds = u->timeout_seconds;
	if (u->key) {
		r.key_name = u->key->name;
		r.key_alg = u->key->algorithm;
		r.key_secret = u->key->secret;
		/* The secret may come from anywhere the plugin likes: mask it. */
		if (pi->svc.log && u->key->secret)
			log_add_secret(pi->svc.log, u->key->secret);
	}
	if (dns_update_txt(pi->svc.dns, &r, &e) < 0) {
		host_set_error(pi, e.msg);
		return AH_FAIL;
	}
	return AH_OK;
}

static int host_dns_zone_of(void *ctx, const char *name, const char *server, char **zone)
{
	struct plugin_instance *pi = ctx;
	struct error e = {0};

	if (!name || !zone) {
		host_set_error(pi, "dns_zone_of: NULL argument");
		return AH_FAIL;
	}
	if (!have_dns(pi, "dns_zone_of"))
		return AH_FAIL;
	if (dns_zone_of(pi->svc.dns, name, server, zone, &e) < 0) {
		host_set_error(pi, e.msg);
		return AH_FAIL;
	}
	return AH_OK;
}

static void host_string_free(void *ctx, char *s)
{
	(void)ctx;
	free(s);
}

static int64_t host_now(void *ctx)
{
	return (int64_t)time(NULL);
}

/* ---- instances ---- */

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
			return err_set(e, EXIT_OP, "out of memory");
		for (size_t i = 0; i < n; i++) {
			v[i] = strdup(src[i]);
			if (!v[i]) {
				for (size_t k = 0; k < i; k++)
					wipe_free(v[k]);
				free(v);
				return err_set(e, EXIT_OP, "out of memory");
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
		wipe_free(v[i]);
	free(v);
}

/* Turn a plugin status into the caller's error. */
static int status_to_error(struct plugin_instance *pi, const char *call, int st,
                           struct error *e)
{
	const char *text = pi->errtext[0] ? pi->errtext : "failed without saying why";

	switch (st) {
	case AH_OK:
	case AH_DECLINE:
		return st;
	case AH_CONFIG:
		err_set(e, EXIT_USAGE, "%s: %s", pi->label, text);
		return AH_CONFIG;
	case AH_FAIL:
		err_set(e, EXIT_OP, "%s: %s", pi->label, text);
		return AH_FAIL;
	default:
		err_set(e, EXIT_OP, "%s: %s returned unknown status %d (%s)", pi->label, call,
		        st, text);
		return AH_FAIL;
	}
}

struct plugin_instance *plugin_instance_new(const struct plugin_registry *r, const char *name,
                                            const char *instance_name,
                                            const char *const *opts,
                                            const char *const *secrets,
                                            const struct plugin_services *svc,
                                            struct error *e)
{
	struct plugin_instance *pi = NULL;
	const struct plugin_module *m;
	size_t n;
	int st;

	m = plugin_registry_find(r, name);
	if (!m) {
		err_set(e, EXIT_USAGE,
		        "no plugin named \"%s\" was found in the plugin directories "
		        "(set ACMEHOOK_PLUGIN_PATH to add one)",
		        name ? name : "(null)");
		goto fail;
	}
	pi = calloc(1, sizeof(*pi));
	if (!pi) {
		err_set(e, EXIT_OP, "out of memory");
		goto fail;
	}
	pi->mod = m;
	if (svc)
		pi->svc = *svc;
	if (instance_name && strcmp(instance_name, m->name) != 0) {
		n = strlen(m->name) + strlen(instance_name) + 3;
		pi->label = malloc(n);
		if (pi->label)
			snprintf(pi->label, n, "%s[%s]", m->name, instance_name);
	} else {
		pi->label = strdup(m->name);
	}
	if (!pi->label) {
		err_set(e, EXIT_OP, "out of memory");
		goto fail;
	}
	if (copy_pairs(opts, &pi->opts, &pi->nopts, "option", pi->label, e) < 0)
		goto fail;
	if (copy_pairs(secrets, &pi->secrets, &pi->nsecrets, "secret", pi->label, e) < 0)
		goto fail;
	/* Registered before init so not even init's first line can leak one.
	 * Credentials files also hold server names and ports, which logs must
	 * keep readable: only values of secret-looking keys are masked. */
	for (size_t i = 0; pi->svc.log && i < pi->nsecrets; i++)
		if (log_secret_key(pi->secrets[2 * i]) &&
		    log_add_secret(pi->svc.log, pi->secrets[2 * i + 1]) < 0) {
			err_set(e, EXIT_OP, "out of memory");
			goto fail;
		}

	pi->host.struct_size = sizeof(pi->host);
	pi->host.abi_major = AH_ABI_MAJOR;
	pi->host.abi_minor = AH_ABI_MINOR;
	pi->host.ctx = pi;
	pi->host.log = host_log;
	pi->host.set_error = host_set_error;
	pi->host.config_get = host_config_get;
	pi->host.secret_get = host_secret_get;
	pi->host.secret_free = host_secret_free;
	pi->host.http_request = host_http_request;
	pi->host.http_response_free = host_http_response_free;
	pi->host.now = host_now;
	pi->host.dns_query = host_dns_query;
	pi->host.dns_answer_free = host_dns_answer_free;
	pi->host.dns_update = host_dns_update;
	pi->host.dns_zone_of = host_dns_zone_of;
	pi->host.string_free = host_string_free;

	st = m->desc->init(&pi->host, &pi->state);
	if (st != AH_OK) {
		/* init's failure leaves no state to fini. */
		pi->state = NULL;
		if (st == AH_DECLINE)
			st = AH_CONFIG;
		status_to_error(pi, "init", st, e);
		goto fail;
	}
	pi->inited = true;
	return pi;
fail:
	plugin_instance_free(pi);
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

static int challenge_call(struct plugin_instance *pi, const struct ah_challenge *ch,
                          bool present, struct error *e)
{
	const struct ah_plugin *d = pi->mod->desc;
	const char *call = present ? "present" : "cleanup";
	char esc[128];

	if (!(pi->mod->roles & AH_ROLE_AUTHENTICATOR)) {
		err_set(e, EXIT_USAGE, "%s: plugin %s is not an authenticator; choose one that "
		        "answers challenges", pi->label, pi->mod->name);
		return AH_CONFIG;
	}
	if (!ch || !ch->type || !ch->identifier || !base64url_token(ch->token)) {
		err_escape(esc, sizeof(esc), ch && ch->token ? ch->token : "(none)");
		err_set(e, EXIT_OP, "%s: refusing to %s challenge with token \"%s\": not base64url",
		        pi->label, call, esc);
		return AH_FAIL;
	}
	pi->errtext[0] = '\0';
	return status_to_error(pi, call, present ? d->present(pi->state, ch) :
	                                           d->cleanup(pi->state, ch), e);
}

int plugin_instance_present(struct plugin_instance *pi, const struct ah_challenge *ch,
                            struct error *e)
{
	return challenge_call(pi, ch, true, e);
}

int plugin_instance_cleanup(struct plugin_instance *pi, const struct ah_challenge *ch,
                            struct error *e)
{
	return challenge_call(pi, ch, false, e);
}

int plugin_instance_check(struct plugin_instance *pi, const struct ah_challenge *ch,
                          struct error *e)
{
	const struct ah_plugin *d = pi->mod->desc;
	int st;

	if (!AH_HAS_MEMBER(d, struct ah_plugin, check) || !d->check)
		return AH_OK;
	pi->errtext[0] = '\0';
	st = d->check(pi->state, ch);
	if (st == AH_OK)
		return AH_OK;
	err_set(e, st == AH_CONFIG ? EXIT_USAGE : EXIT_OP, "%s cannot validate %s: %s", pi->label,
	        ch->identifier, pi->errtext[0] ? pi->errtext : "it declined");
	return st;
}

int plugin_instance_install(struct plugin_instance *pi, const struct ah_certificate *c,
                            struct error *e)
{
	const struct ah_plugin *d = pi->mod->desc;

	if (!(pi->mod->roles & AH_ROLE_INSTALLER) || !d->install) {
		err_set(e, EXIT_USAGE, "%s: plugin %s is not an installer; choose one that "
		        "installs certificates", pi->label, pi->mod->name);
		return AH_CONFIG;
	}
	pi->errtext[0] = '\0';
	return status_to_error(pi, "install", d->install(pi->state, c), e);
}

const struct plugin_module *plugin_instance_module(const struct plugin_instance *pi)
{
	return pi ? pi->mod : NULL;
}

const char *plugin_instance_name(const struct plugin_instance *pi)
{
	return pi ? pi->label : NULL;
}

void plugin_instance_free(struct plugin_instance *pi)
{
	if (!pi)
		return;
	if (pi->inited)
		pi->mod->desc->fini(pi->state);
	free_pairs(pi->opts, pi->nopts);
	free_pairs(pi->secrets, pi->nsecrets);
	free(pi->label);
	OPENSSL_cleanse(pi->errtext, sizeof(pi->errtext));
	free(pi);
}
