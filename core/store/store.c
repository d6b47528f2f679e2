#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

int store_mkdirs(const char *path, mode_t mode, struct error *e)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return err_set(e, EXIT_USAGE, "bad directory path \"%s\"", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, mode) < 0 && errno != EEXIST)
				return err_set(e, EXIT_OP, "cannot create directory %s: %s", tmp,
				               strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash) {
		strcpy(dir, ".");
	} else {
		size_t n = (size_t)(slash - path);
		if (n == 0)
			n = 1;
		if (n >= sizeof(dir))
			return -1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int store_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct error *e)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd = -1, ret = -1;
	bool created = false;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return err_set(e, EXIT_USAGE, "path too long: %s", path);
	/* mkstemp creates the file 0600; the final mode is set before any
	 * byte is written, so a key is never readable by others. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(e, EXIT_OP, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (fchmod(fd, mode) < 0) {
		err_set(e, EXIT_OP, "cannot set mode of %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(e, EXIT_OP, "cannot write %s: %s", tmp, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		err_set(e, EXIT_OP, "cannot flush %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err_set(e, EXIT_OP, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	created = false;
	fsync_dir_of(path);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	return ret;
}

int store_read(const char *path, size_t cap, char **data, size_t *len, struct error *e)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;
	int ret = -1;
	struct stat st;

	f = fopen(path, "rbe");
	if (!f) {
		err_set(e, errno == ENOENT ? EXIT_USAGE : EXIT_OP, "cannot read %s: %s", path,
		        strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, EXIT_USAGE, "%s is not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > cap) {
		err_set(e, EXIT_USAGE, "%s is larger than %zu bytes", path, cap);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err_set(e, EXIT_OP, "out of memory reading %s", path);
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		err_set(e, EXIT_OP, "cannot read %s", path);
		goto out;
	}
	buf[n] = '\0';
	*data = buf;
	buf = NULL;
	if (len)
		*len = n;
	ret = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return ret;
}

bool store_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

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
		return err_set(e, EXIT_OP, "out of memory");
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

int store_lock(const struct store *s, const char *name, int *fd, struct error *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int f;

	snprintf(dir, sizeof(dir), "%s/locks", s->work_dir);
	if (store_mkdirs(dir, 0700, e) < 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/%s.lock", dir, name) >= (int)sizeof(path))
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return err_set(e, EXIT_OP, "cannot open lock %s: %s", path, strerror(errno));
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		close(f);
		return err_set(e, EXIT_OP,
		               "another acmehook run is working on %s (lock %s is held)", name, path);
	}
	*fd = f;
	return 0;
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int store_live_path(const struct store *s, const char *name, const char *kind, char *dst,
                    size_t cap)
{
	return snprintf(dst, cap, "%s/live/%s/%s.pem", s->config_dir, name, kind) >= (int)cap
	               ? -1
	               : 0;
}

int store_renewal_path(const struct store *s, const char *name, char *dst, size_t cap)
{
	return snprintf(dst, cap, "%s/renewal/%s.conf", s->config_dir, name) >= (int)cap ? -1 : 0;
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

	snprintf(dir, sizeof(dir), "%s/archive/%s", s->config_dir, name);
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
		return err_set(e, EXIT_OP, "cannot create link %s: %s", tmp, strerror(errno));
	if (rename(tmp, link) < 0) {
		unlink(tmp);
		return err_set(e, EXIT_OP, "cannot switch link %s: %s", link, strerror(errno));
	}
	return 0;
}

/* Remove a version directory of links (live/.NAME-vN): its four links,
 * then the directory. Errors are ignored: a leftover is harmless. */
static void remove_link_dir(const char *dir)
{
	static const char *const kinds[] = {"privkey", "cert", "chain", "fullchain"};
	char path[PATH_MAX];

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s.pem", dir, kinds[i]);
		unlink(path);
	}
	rmdir(dir);
}

int store_lineage_save(const struct store *s, const char *name, const struct lineage_files *f,
                       int *version, struct error *e)
{
	static const char *const kinds[] = {"privkey", "cert", "chain", "fullchain"};
	const char *data[] = {f->privkey, f->cert, f->chain, f->fullchain};
	char archive[PATH_MAX], live[PATH_MAX], path[PATH_MAX], target[PATH_MAX], vdir[PATH_MAX];
	char vname[PATH_MAX], aside[PATH_MAX];
	struct stat st;
	struct dirent *de;
	DIR *d = NULL;
	int v;

	if (!store_name_valid(name))
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	snprintf(archive, sizeof(archive), "%s/archive/%s", s->config_dir, name);
	snprintf(live, sizeof(live), "%s/live/%s", s->config_dir, name);
	/* archive/ and live/ hold private keys: 0700 like certbot's. */
	snprintf(path, sizeof(path), "%s/archive", s->config_dir);
	if (store_mkdirs(path, 0700, e) < 0 || store_mkdirs(archive, 0700, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/live", s->config_dir);
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
	snprintf(vdir, sizeof(vdir), "%s/live/%s", s->config_dir, vname);
	remove_link_dir(vdir); /* left by a crash before the switch */
	if (mkdir(vdir, 0700) < 0)
		return err_set(e, EXIT_OP, "cannot create %s: %s", vdir, strerror(errno));
	for (size_t i = 0; i < 4; i++) {
		snprintf(target, sizeof(target), "../../archive/%s/%s%d.pem", name, kinds[i], v);
		snprintf(path, sizeof(path), "%s/%s.pem", vdir, kinds[i]);
		if (symlink(target, path) < 0) {
			err_set(e, EXIT_OP, "cannot create link %s: %s", path, strerror(errno));
			remove_link_dir(vdir);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/.", vdir);
	fsync_dir_of(path);
	/* A lineage from before this layout (or from certbot) has a real
	 * directory at live/NAME: set it aside once; rename() cannot replace a
	 * directory with a link. */
	if (lstat(live, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(aside, sizeof(aside), "%s/live/.%s-old", s->config_dir, name);
		remove_link_dir(aside);
		if (rename(live, aside) < 0) {
			err_set(e, EXIT_OP, "cannot move %s aside: %s", live, strerror(errno));
			remove_link_dir(vdir);
			return -1;
		}
	}
	if (switch_link(vname, live, e) < 0) {
		remove_link_dir(vdir);
		return -1;
	}
	fsync_dir_of(live);
	/* The previous versions' link directories are no longer reachable. */
	snprintf(path, sizeof(path), "%s/live", s->config_dir);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		size_t n = strlen(name);
		const char *rest = de->d_name + 1 + n;
		/* Exactly ".NAME-vDIGITS" or ".NAME-old": lineage "a-v2" has
		 * its own ".a-v2-v1", which must not match lineage "a". */
		if (de->d_name[0] != '.' || strncmp(de->d_name + 1, name, n) != 0 ||
		    strcmp(de->d_name, vname) == 0)
			continue;
		if ((strncmp(rest, "-v", 2) == 0 && rest[2] && strspn(rest + 2, "0123456789") ==
		                                                    strlen(rest + 2)) ||
		    strcmp(rest, "-old") == 0) {
			snprintf(aside, sizeof(aside), "%s/%s", path, de->d_name);
			remove_link_dir(aside);
		}
	}
	if (d)
		closedir(d);
	*version = v;
	return 0;
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

	snprintf(dir, sizeof(dir), "%s/renewal", s->config_dir);
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
