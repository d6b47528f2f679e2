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

int store_accounts_dir(const struct store *s, char *dst, size_t cap)
{
	return area_path(s, "accounts", NULL, dst, cap);
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
	unlink(tmp);
	if (symlink(target, tmp) < 0)
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

int store_lineage_save(const struct store *s, const char *name, const struct lineage_files *f,
                       int *version, struct error *e)
{
	const char *data[] = {f->privkey, f->cert, f->chain, f->fullchain};
	char archive[PATH_MAX], live[PATH_MAX], path[PATH_MAX], target[PATH_MAX], vdir[PATH_MAX];
	char vname[PATH_MAX], aside[PATH_MAX];
	struct stat st;
	int v;

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
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s%d.pem", archive, kinds[i], v);
		if (store_write_atomic(path, data[i], strlen(data[i]), i == 0 ? 0600 : 0644, e) < 0) {
			/* Leave no partial version behind: remove what was written. */
			for (size_t k = 0; k < i; k++) {
				snprintf(path, sizeof(path), "%s/%s%d.pem", archive, kinds[k], v);
				unlink(path);
			}
			return -1;
		}
	}
	/* The four live/ links of version V go into a directory of their own,
	 * live/.NAME-vV, and live/NAME is a symlink to it: switching that one
	 * link with rename() moves all four files at once, so a reader (or a
	 * crash) never sees the new key with the old certificate. Paths such
	 * as live/NAME/fullchain.pem work as in certbot's layout. */
	snprintf(vname, sizeof(vname), ".%s-v%d", name, v);
	store_live_dir(s, vname, vdir, sizeof(vdir));
	remove_link_dir(vdir); /* left by a crash before the switch */
	if (mkdir(vdir, 0700) < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot create %s: %s", vdir, strerror(errno));
	for (size_t i = 0; i < 4; i++) {
		snprintf(target, sizeof(target), "../../archive/%s/%s%d.pem", name, kinds[i], v);
		snprintf(path, sizeof(path), "%s/%s.pem", vdir, kinds[i]);
		if (symlink(target, path) < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot create link %s: %s", path, strerror(errno));
			remove_link_dir(vdir);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/.", vdir);
	store_fsync_dir_of(path);
	/* Crash tests stop here: the new version is complete in archive/, and
	 * live/ must still serve the previous one. */
	testpoint("before-live-switch");
	/* A lineage from before this layout (or from certbot) has a real
	 * directory at live/NAME: set it aside once; rename() cannot replace a
	 * directory with a link. */
	if (lstat(live, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(path, sizeof(path), ".%s-old", name);
		store_live_dir(s, path, aside, sizeof(aside));
		remove_link_dir(aside);
		if (rename(live, aside) < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot move %s aside: %s", live, strerror(errno));
			remove_link_dir(vdir);
			return -1;
		}
	}
	if (switch_link(vname, live, e) < 0) {
		remove_link_dir(vdir);
		return -1;
	}
	store_fsync_dir_of(live);
	testpoint("after-live-switch");
	/* The previous versions' link directories are no longer reachable. */
	remove_link_dirs(s, name, vname, true);
	*version = v;
	return 0;
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
	if (removed > 0 && s->log)
		log_msg(s->log, LVL_DEBUG, "removed %d file(s) left by an interrupted run of %s",
		        removed, name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **store_lineages(const struct store *s, struct error *e)
{
	char dir[PATH_MAX];
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	store_renewal_dir(s, dir, sizeof(dir));
	names = calloc(1, sizeof(*names));
	if (!names)
		goto fail;
	d = opendir(dir);
	if (!d)
		return names; /* no lineages yet */
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char **nn;
		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		nn = realloc(names, (n + 2) * sizeof(*names));
		if (!nn)
			goto fail;
		names = nn;
		names[n] = strndup(de->d_name, len - 5);
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
	err_set(e, EXIT_OP, "out of memory listing %s", dir);
	return NULL;
}

void store_names_free(char **names)
{
	if (!names)
		return;
	for (size_t i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}
