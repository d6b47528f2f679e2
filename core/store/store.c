#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/testpoint.h"
#include "store/store.h"

static const char *const kinds[] = {"privkey", "cert", "chain", "fullchain"};

bool store_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return false;
	return true;
}

int store_init(struct store *s, const char *config_dir, const char *work_dir,
               const char *logs_dir, struct error *e)
{
	memset(s, 0, sizeof(*s));
	s->config_dir = strdup(config_dir);
	s->work_dir = strdup(work_dir);
	s->logs_dir = strdup(logs_dir);
	if (!s->config_dir || !s->work_dir || !s->logs_dir) {
		store_free(s);
		return err_nomem(e);
	}
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	free(s->config_dir);
	free(s->work_dir);
	free(s->logs_dir);
	memset(s, 0, sizeof(*s));
}

/* Every path of the layout is made here, so the layout is known in one
 * place. Each returns -1 when DST is too small. */
static int area_path(const struct store *s, const char *area, const char *name, char *dst,
                     size_t cap)
{
	int n = name ? snprintf(dst, cap, "%s/%s/%s", s->config_dir, area, name)
	             : snprintf(dst, cap, "%s/%s", s->config_dir, area);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int store_live_dir(const struct store *s, const char *name, char *dst, size_t cap)
{
	return area_path(s, "live", name, dst, cap);
}

int store_archive_dir(const struct store *s, const char *name, char *dst, size_t cap)
{
	return area_path(s, "archive", name, dst, cap);
}

int store_renewal_dir(const struct store *s, char *dst, size_t cap)
{
	return area_path(s, "renewal", NULL, dst, cap);
}

int store_status_dir(const struct store *s, char *dst, size_t cap)
{
	return area_path(s, "status", NULL, dst, cap);
}

int store_accounts_dir(const struct store *s, char *dst, size_t cap)
{
	return area_path(s, "accounts", NULL, dst, cap);
}

int store_hooks_dir(const struct store *s, char *dst, size_t cap)
{
	return area_path(s, "renewal-hooks", NULL, dst, cap);
}

int store_live_path(const struct store *s, const char *name, const char *kind, char *dst,
                    size_t cap)
{
	char dir[PATH_MAX];
	int n;

	if (store_live_dir(s, name, dir, sizeof(dir)) < 0)
		return -1;
	n = snprintf(dst, cap, "%s/%s.pem", dir, kind);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int store_renewal_path(const struct store *s, const char *name, char *dst, size_t cap)
{
	char dir[PATH_MAX];
	int n;

	if (store_renewal_dir(s, dir, sizeof(dir)) < 0)
		return -1;
	n = snprintf(dst, cap, "%s/%s.conf", dir, name);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

bool store_lineage_exists(const struct store *s, const char *name)
{
	char p[PATH_MAX];
	return store_renewal_path(s, name, p, sizeof(p)) == 0 && store_exists(p);
}

int store_lineage_latest(const struct store *s, const char *name)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int best = 0;

	if (store_archive_dir(s, name, dir, sizeof(dir)) < 0)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		int v;
		char tail[8];
		if (sscanf(de->d_name, "cert%d%7s", &v, tail) == 2 && strcmp(tail, ".pem") == 0 &&
		    v > best)
			best = v;
	}
	closedir(d);
	return best;
}

/* Point LINK at TARGET atomically: a new symlink under a temporary name,
 * renamed over the old one. */
static int switch_link(const char *target, const char *link, struct error *e)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s.new", link) >= (int)sizeof(tmp))
		return err_set(e, EXIT_USAGE, "path too long: %s", link);
	/* A link left under the temporary name by a crash is replaced. */
	if (symlink(target, tmp) < 0 && (errno != EEXIST || unlink(tmp) < 0 || symlink(target, tmp) < 0))
		return err_set_errno(e, EXIT_OP, errno, "cannot create link %s: %s", tmp, strerror(errno));
	if (rename(tmp, link) < 0) {
		unlink(tmp);
		return err_set_errno(e, EXIT_OP, errno, "cannot switch link %s: %s", link, strerror(errno));
	}
	return 0;
}

/* Remove a version directory of links (live/.NAME-vN): its four links,
 * then the directory. Errors are ignored: a leftover is harmless. */
static void remove_link_dir(const char *dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s.pem", dir, kinds[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Whether ENTRY of live/ is a link directory of lineage NAME: exactly
 * ".NAME-vDIGITS", or ".NAME-old" too when WITH_OLD. Lineage "a-v2" has
 * its own ".a-v2-v1", which must not match lineage "a". */
static bool is_link_dir_of(const char *entry, const char *name, bool with_old)
{
	size_t n = strlen(name);
	const char *rest;

	if (entry[0] != '.' || strncmp(entry + 1, name, n) != 0)
		return false;
	rest = entry + 1 + n;
	if (strncmp(rest, "-v", 2) == 0 && rest[2] && strspn(rest + 2, "0123456789") == strlen(rest + 2))
		return true;
	return with_old && strcmp(rest, "-old") == 0;
}

/* Remove NAME's link directories in live/ except KEEP (may be NULL);
 * returns how many were found. */
static int remove_link_dirs(const struct store *s, const char *name, const char *keep,
                            bool with_old)
{
	char live[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int found = 0;

	store_live_dir(s, NULL, live, sizeof(live));
	d = opendir(live);
	while (d && (de = readdir(d)) != NULL) {
		if (!is_link_dir_of(de->d_name, name, with_old) || (keep && strcmp(de->d_name, keep) == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", live, de->d_name);
		remove_link_dir(path);
		found++;
	}
	if (d)
		closedir(d);
	return found;
}

/* archive/NAME/KINDV.pem and live/.NAME-vV, the files of version V. */
static void version_paths(const struct store *s, const char *name, int v, size_t kind,
                          char *file, size_t cap)
{
	char archive[PATH_MAX];

	store_archive_dir(s, name, archive, sizeof(archive));
	snprintf(file, cap, "%s/%s%d.pem", archive, kinds[kind], v);
}

static void version_link_dir(const struct store *s, const char *name, int v, char *vname,
                             size_t vcap, char *vdir, size_t dcap)
{
	snprintf(vname, vcap, ".%s-v%d", name, v);
	store_live_dir(s, vname, vdir, dcap);
}

int store_version_write(const struct store *s, const char *name, const struct lineage_files *f,
                        int *version, struct error *e)
{
	const char *data[] = {f->privkey, f->cert, f->chain, f->fullchain};
	char archive[PATH_MAX], live[PATH_MAX], path[PATH_MAX], target[PATH_MAX], vdir[PATH_MAX];
	char vname[PATH_MAX], files[4][PATH_MAX];
	struct store_file w[4];
	bool written = false;
	int v = 0, ret = -1;

	if (!store_name_valid(name))
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	if (store_archive_dir(s, name, archive, sizeof(archive)) < 0 ||
	    store_live_dir(s, name, live, sizeof(live)) < 0)
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	/* archive/ and live/ hold private keys: 0700 like certbot's. */
	store_archive_dir(s, NULL, path, sizeof(path));
	if (store_mkdirs(path, 0700, e) < 0 || store_mkdirs(archive, 0700, e) < 0)
		return -1;
	store_live_dir(s, NULL, path, sizeof(path));
	if (store_mkdirs(path, 0700, e) < 0)
		return -1;
	v = store_lineage_latest(s, name) + 1;
	/* The four files are whole and their names durable before any link
	 * names them: written and flushed together, then renamed, then the
	 * archive directory flushed once (store_write_new). */
	for (size_t i = 0; i < 4; i++) {
		version_paths(s, name, v, i, files[i], sizeof(files[i]));
		w[i] = (struct store_file){files[i], data[i], strlen(data[i]), i == 0 ? 0600 : 0644};
	}
	if (store_write_new(w, 4, e) < 0)
		goto out;
	written = true;
	/* The four live/ links of version V go into a directory of their own,
	 * live/.NAME-vV, and live/NAME is a symlink to it: switching that one
	 * link with rename() moves all four files at once, so a reader (or a
	 * crash) never sees the new key with the old certificate. Paths such
	 * as live/NAME/fullchain.pem work as in certbot's layout. */
	version_link_dir(s, name, v, vname, sizeof(vname), vdir, sizeof(vdir));
	/* One left by a crash before the switch is made anew. */
	if (mkdir(vdir, 0700) < 0 && (errno != EEXIST || (remove_link_dir(vdir), mkdir(vdir, 0700) < 0))) {
		err_set_errno(e, EXIT_OP, errno, "cannot create %s: %s", vdir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(target, sizeof(target), "../../archive/%s/%s%d.pem", name, kinds[i], v);
		snprintf(path, sizeof(path), "%s/%s.pem", vdir, kinds[i]);
		if (symlink(target, path) < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot create link %s: %s", path, strerror(errno));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/.", vdir);
	store_fsync_dir_of(path);
	*version = v;
	ret = 0;
out:
	/* Leave no partial version behind: remove what was written. */
	if (ret < 0 && written) {
		for (size_t i = 0; i < 4; i++)
			unlink(files[i]);
		remove_link_dir(vdir);
	}
	return ret;
}

/* certbot's layout keeps a real live/NAME directory (with its README),
 * which certbot's own commands expect. Such a lineage keeps it: its four
 * links are switched in place, each atomically, the certificate last, so
 * that store_live_version moves only once the others have; a crash in
 * between is completed by store_lineage_tidy. */
static int switch_in_place(const struct store *s, const char *name, int version,
                           struct error *e)
{
	static const char *const order[] = {"privkey", "chain", "fullchain", "cert"};
	char link[PATH_MAX], target[PATH_MAX];

	for (size_t i = 0; i < 4; i++) {
		snprintf(target, sizeof(target), "../../archive/%s/%s%d.pem", name, order[i], version);
		if (store_live_path(s, name, order[i], link, sizeof(link)) < 0)
			return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
		if (switch_link(target, link, e) < 0)
			return -1;
	}
	store_fsync_dir_of(link);
	return 0;
}

/* The version live/NAME/KIND.pem links to, or 0. */
static int link_version(const struct store *s, const char *name, const char *kind)
{
	char p[PATH_MAX], target[PATH_MAX], want[PATH_MAX];
	ssize_t n;
	int v = 0;
	char tail[8];

	if (store_live_path(s, name, kind, p, sizeof(p)) < 0 ||
	    (n = readlink(p, target, sizeof(target) - 1)) <= 0)
		return 0;
	target[n] = '\0';
	n = snprintf(want, sizeof(want), "../../archive/%s/%s", name, kind);
	if (strncmp(target, want, (size_t)n) != 0 || sscanf(target + n, "%d%7s", &v, tail) != 2 ||
	    strcmp(tail, ".pem") != 0 || v <= 0)
		return 0;
	return v;
}

/* After a crash in the middle of switch_in_place, some links of a real
 * live/NAME directory point at the new version and the certificate's at
 * the old one: finish the switch to the newest version they name when
 * all of its files are there. */
static void finish_in_place(const struct store *s, const char *name)
{
	char live[PATH_MAX], path[PATH_MAX];
	struct stat st;
	struct error e = {0};
	int newest = 0, cert = link_version(s, name, "cert");

	if (store_live_dir(s, name, live, sizeof(live)) < 0 || lstat(live, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || cert == 0)
		return;
	for (size_t i = 0; i < 4; i++) {
		int v = link_version(s, name, kinds[i]);
		newest = v > newest ? v : newest;
	}
	if (newest == cert)
		return;
	for (size_t i = 0; i < 4; i++) {
		version_paths(s, name, newest, i, path, sizeof(path));
		if (!store_exists(path))
			return;
	}
	if (switch_in_place(s, name, newest, &e) < 0 && s->log)
		log_msg(s->log, LVL_WARN, "cannot finish switching %s to version %d: %s", name, newest,
		        e.msg);
}

int store_version_switch(const struct store *s, const char *name, int version, struct error *e)
{
	char live[PATH_MAX], vdir[PATH_MAX], vname[PATH_MAX];
	struct stat st;

	if (!store_name_valid(name) || store_live_dir(s, name, live, sizeof(live)) < 0)
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	version_link_dir(s, name, version, vname, sizeof(vname), vdir, sizeof(vdir));
	/* Crash tests stop here: the new version is complete in archive/, and
	 * live/ must still serve the previous one. */
	testpoint("before-live-switch");
	/* A lineage in certbot's layout (made by certbot, or by an older
	 * version) has a real directory at live/NAME: it stays one. */
	if (lstat(live, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (switch_in_place(s, name, version, e) < 0)
			return -1;
		testpoint("after-live-switch");
		remove_link_dirs(s, name, NULL, false);
		return 0;
	}
	if (switch_link(vname, live, e) < 0)
		return -1;
	store_fsync_dir_of(live);
	testpoint("after-live-switch");
	/* The previous versions' link directories are no longer reachable. */
	remove_link_dirs(s, name, vname, true);
	return 0;
}

void store_version_drop(const struct store *s, const char *name, int version)
{
	char path[PATH_MAX], vdir[PATH_MAX], vname[PATH_MAX];

	/* Never the version live/ serves: that one is the user's. */
	if (!store_name_valid(name) || version <= 0 || store_live_version(s, name) == version)
		return;
	version_link_dir(s, name, version, vname, sizeof(vname), vdir, sizeof(vdir));
	remove_link_dir(vdir);
	for (size_t i = 0; i < 4; i++) {
		version_paths(s, name, version, i, path, sizeof(path));
		unlink(path);
	}
}

int store_lineage_save(const struct store *s, const char *name, const struct lineage_files *f,
                       int *version, struct error *e)
{
	int v = 0;

	if (store_version_write(s, name, f, &v, e) < 0)
		return -1;
	if (store_version_switch(s, name, v, e) < 0) {
		store_version_drop(s, name, v);
		return -1;
	}
	*version = v;
	return 0;
}

int store_live_version(const struct store *s, const char *name)
{
	char p[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int v = 0;
	char tail[8];

	/* live/NAME/cert.pem links to ../../archive/NAME/certV.pem, whether
	 * live/NAME is a link directory's link or an older real directory. */
	if (!store_name_valid(name) || store_live_path(s, name, "cert", p, sizeof(p)) < 0 ||
	    !store_exists(p))
		return 0;
	n = readlink(p, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (sscanf(base, "cert%d%7s", &v, tail) != 2 || strcmp(tail, ".pem") != 0 || v <= 0)
		return 0;
	return v;
}

bool store_live_exists(const struct store *s, const char *name)
{
	char p[PATH_MAX];

	return store_name_valid(name) && store_live_path(s, name, "cert", p, sizeof(p)) == 0 &&
	       store_exists(p);
}

int store_keep(const char *path, struct store_kept *k, struct error *e)
{
	struct store_kept t = {0};
	int n1 = snprintf(t.path, sizeof(t.path), "%s", path);
	int n2 = snprintf(t.aside, sizeof(t.aside), "%s" STORE_KEPT_SUFFIX, path);

	if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof(t.aside))
		return err_set(e, EXIT_USAGE, "path too long: %s", path);
	/* A hard link costs no data blocks, so keeping and putting back work
	 * on a full disk, and the text put back is the very same file. */
	/* A copy left by a killed run goes first, also when PATH is gone. */
	if (link(path, t.aside) == 0 ||
	    (errno == EEXIST && unlink(t.aside) == 0 && link(path, t.aside) == 0))
		t.existed = true;
	else if (errno != ENOENT)
		return err_set_errno(e, EXIT_OP, errno, "cannot keep a copy of %s: %s", path,
		                     strerror(errno));
	else
		unlink(t.aside);
	t.active = true;
	*k = t;
	return 0;
}

void store_kept_restore(struct store_kept *k)
{
	if (!k || !k->active)
		return;
	/* rename() between two links of one file does nothing, which is
	 * right when PATH was never replaced; the kept link then goes. */
	if (k->existed) {
		rename(k->aside, k->path);
		unlink(k->aside);
	} else {
		unlink(k->path);
	}
	store_fsync_dir_of(k->path);
	k->active = false;
}

void store_kept_drop(struct store_kept *k)
{
	if (!k || !k->active)
		return;
	if (k->existed)
		unlink(k->aside);
	k->active = false;
}

/* Archive files of a lineage: KINDdigits.pem. */
static bool is_archive_file(const char *base, const void *ud)
{
	(void)ud;
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(kinds[i]), digits;
		if (strncmp(base, kinds[i], n) != 0)
			continue;
		digits = strspn(base + n, "0123456789");
		if (digits > 0 && strcmp(base + n + digits, ".pem") == 0)
			return true;
	}
	return false;
}

static bool is_same_name(const char *base, const void *ud)
{
	return strcmp(base, (const char *)ud) == 0;
}

/* Remove DIR/BASE's kept copy; 1 when there was one. */
static int remove_kept(const char *dir, const char *base)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s" STORE_KEPT_SUFFIX, dir, base) >= (int)sizeof(p))
		return 0;
	return unlink(p) == 0 ? 1 : 0;
}

void store_lineage_tidy(const struct store *s, const char *name)
{
	char dir[PATH_MAX], live[PATH_MAX], target[PATH_MAX], conf[PATH_MAX];
	const char *keep = NULL;
	ssize_t n;
	int removed = 0, r;

	if (!store_name_valid(name) || store_archive_dir(s, name, dir, sizeof(dir)) < 0 ||
	    store_live_dir(s, name, live, sizeof(live)) < 0 ||
	    snprintf(conf, sizeof(conf), "%s.conf", name) >= (int)sizeof(conf))
		return;
	r = store_remove_temps(dir, is_archive_file, NULL);
	removed += r > 0 ? r : 0;
	store_renewal_dir(s, dir, sizeof(dir));
	r = store_remove_temps(dir, is_same_name, conf);
	removed += r > 0 ? r : 0;
	/* A copy kept by store_keep outlives its run only when the run was
	 * killed; the record then holds the newer settings, which stay. */
	removed += remove_kept(dir, conf);
	store_status_dir(s, dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s.json", name);
	r = store_remove_temps(dir, is_same_name, conf);
	removed += r > 0 ? r : 0;
	removed += remove_kept(dir, conf);
	/* live/NAME names the link directory in use; every other one of
	 * NAME's is from a run that stopped before or after its switch.
	 * ".NAME-old" stays: after a crash in the middle of the move to the
	 * link layout it holds the only live/ links. */
	n = readlink(live, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		keep = target;
	}
	removed += remove_link_dirs(s, name, keep, false);
	finish_in_place(s, name);
	if (removed > 0 && s->log)
		log_msg(s->log, LVL_DEBUG, "removed %d file(s) left by an interrupted run of %s",
		        removed, name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Which entry of a listed directory is a name to keep, and how long that
 * name is (0: skip the entry). */
typedef size_t (*list_keep)(const struct store *s, const char *dir, const char *entry);

/* The names LIST keeps from DIR, sorted, NULL-terminated; a missing DIR
 * lists nothing. */
static char **list_names(const struct store *s, const char *dir, list_keep keep,
                         struct error *e)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = calloc(1, sizeof(*names));
	size_t n = 0;

	if (!names)
		goto fail;
	d = opendir(dir);
	if (!d)
		return names;
	while ((de = readdir(d)) != NULL) {
		size_t len = keep(s, dir, de->d_name);
		char **nn;

		if (len == 0)
			continue;
		nn = realloc(names, (n + 2) * sizeof(*names));
		if (!nn)
			goto fail;
		names = nn;
		names[n] = strndup(de->d_name, len);
		if (!names[n])
			goto fail;
		names[++n] = NULL;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	return names;
fail:
	if (d)
		closedir(d);
	store_names_free(names);
	err_set_kind(e, EXIT_OP, ERR_NOMEM, "out of memory listing %s", dir);
	return NULL;
}

/* renewal/NAME.conf names lineage NAME. */
static size_t keep_renewal_file(const struct store *s, const char *dir, const char *entry)
{
	size_t len = strlen(entry);

	(void)s;
	(void)dir;
	return len > 5 && strcmp(entry + len - 5, ".conf") == 0 ? len - 5 : 0;
}

/* A live/ directory (or a link to one) whose lineage has no renewal file.
 * Link directories (.NAME-vN) and certbot's README are not lineages. */
static size_t keep_unrecorded(const struct store *s, const char *dir, const char *entry)
{
	char p[PATH_MAX];
	struct stat st;

	if (!store_name_valid(entry) || store_lineage_exists(s, entry) ||
	    snprintf(p, sizeof(p), "%s/%s", dir, entry) >= (int)sizeof(p) || stat(p, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	return strlen(entry);
}

char **store_lineages(const struct store *s, struct error *e)
{
	char dir[PATH_MAX];

	store_renewal_dir(s, dir, sizeof(dir));
	return list_names(s, dir, keep_renewal_file, e);
}

char **store_unrecorded(const struct store *s, struct error *e)
{
	char dir[PATH_MAX];

	store_live_dir(s, NULL, dir, sizeof(dir));
	return list_names(s, dir, keep_unrecorded, e);
}

void store_names_free(char **names)
{
	if (!names)
		return;
	for (size_t i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}
