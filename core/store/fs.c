/* File operations with the guarantees the store promises: directories
 * made with a mode, writes that are atomic and durable, bounded reads. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "store/fs.h"

/* store_write_atomic's temporaries are FILE.tmp-XXXXXX (mkstemp's six
 * letters or digits); store_remove_temps recognises exactly that. */
#define TEMP_SUFFIX ".tmp-"
#define TEMP_RANDOM 6

int store_mkdirs(const char *path, mode_t mode, struct error *e)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return err_set(e, EXIT_USAGE, "bad directory path \"%s\"", path);
	/* The directory is there on every run but the first: one call. Any
	 * other failure is found again below, at the component it names. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, mode) < 0 && errno != EEXIST)
				return err_set_errno(e, EXIT_OP, errno, "cannot create directory %s: %s",
				                     tmp, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int store_fsync_dir_of(const char *path)
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

/* Whether paths A and B name entries of one directory (by their text). */
static bool same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t na = sa ? (size_t)(sa - a) : 0, nb = sb ? (size_t)(sb - b) : 0;

	return na == nb && strncmp(a, b, na) == 0;
}

/* Create a temporary beside PATH into TMP (CAP bytes) with MODE from
 * creation on, and write DATA to it; *FD is left open on it. On failure
 * nothing is left. */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, char *tmp,
                      size_t cap, int *fd, struct error *e)
{
	const char *p = data;
	int f;

	if (snprintf(tmp, cap, "%s" TEMP_SUFFIX "XXXXXX", path) >= (int)cap)
		return err_set(e, EXIT_USAGE, "path too long: %s", path);
	/* mkstemp creates the file 0600; the final mode is set before any
	 * byte is written, so a key is never readable by others. */
	f = mkstemp(tmp);
	if (f < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot create %s: %s", tmp, strerror(errno));
	if (fchmod(f, mode) < 0) {
		err_set_errno(e, EXIT_OP, errno, "cannot set mode of %s: %s", tmp, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		ssize_t n = write(f, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* write() returning 0 has no errno: call it a full disk,
			 * the only way a regular file stops taking bytes. */
			int err = n < 0 ? errno : ENOSPC;
			err_set_errno(e, EXIT_OP, err, "cannot write %s: %s", tmp, strerror(err));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	*fd = f;
	return 0;
fail:
	close(f);
	unlink(tmp);
	return -1;
}

/* Flush (with SYNC) and close FD, the temporary TMP; closed either way. */
static int finish_temp(int fd, const char *tmp, bool sync, struct error *e)
{
	int err = sync && fsync(fd) < 0 ? errno : 0;

	if (close(fd) < 0 && err == 0)
		err = errno;
	if (err)
		return err_set_errno(e, EXIT_OP, err, "cannot flush %s: %s", tmp, strerror(err));
	return 0;
}

int store_write_file(const char *path, const void *data, size_t len, mode_t mode,
                     enum store_sync sync, struct error *e)
{
	char tmp[PATH_MAX];
	int fd = -1;

	if (write_temp(path, data, len, mode, tmp, sizeof(tmp), &fd, e) < 0)
		return -1;
	if (finish_temp(fd, tmp, sync != STORE_SYNC_NONE, e) < 0)
		goto fail;
	if (rename(tmp, path) < 0) {
		err_set_errno(e, EXIT_OP, errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	if (sync == STORE_SYNC_ALL)
		store_fsync_dir_of(path);
	return 0;
fail:
	unlink(tmp);
	return -1;
}

int store_write_new(const struct store_file *files, size_t n, struct error *e)
{
	char tmp[STORE_WRITE_NEW_MAX][PATH_MAX];
	int fd[STORE_WRITE_NEW_MAX];
	size_t made = 0, closed = 0, renamed = 0;
	int ret = -1;

	if (n > STORE_WRITE_NEW_MAX)
		return err_set(e, EXIT_USAGE, "cannot write %zu files at once", n);
	/* Every file is written before any is flushed: the flushes then find
	 * each other's data already on its way, and a journaling file system
	 * commits them together instead of once per file. */
	for (; made < n; made++)
		if (write_temp(files[made].path, files[made].data, files[made].len, files[made].mode,
		               tmp[made], sizeof(tmp[made]), &fd[made], e) < 0)
			goto out;
	while (closed < n) {
		size_t i = closed++;
		if (finish_temp(fd[i], tmp[i], true, e) < 0)
			goto out;
	}
	/* Only whole files get their names: a crash before this leaves
	 * temporaries, which the store's tidying removes, and a crash in
	 * between leaves some of the names, each with its whole file. */
	for (; renamed < n; renamed++)
		if (rename(tmp[renamed], files[renamed].path) < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot rename %s to %s: %s", tmp[renamed],
			              files[renamed].path, strerror(errno));
			goto out;
		}
	/* The names are durable once their directories are flushed, once
	 * each. */
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = same_dir(files[i].path, files[k].path);
		if (!seen)
			store_fsync_dir_of(files[i].path);
	}
	ret = 0;
out:
	if (ret < 0) {
		for (size_t i = closed; i < made; i++)
			close(fd[i]);
		for (size_t i = 0; i < made; i++)
			unlink(i < renamed ? files[i].path : tmp[i]);
	}
	return ret;
}

int store_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct error *e)
{
	return store_write_file(path, data, len, mode, STORE_SYNC_ALL, e);
}

int store_read_fd(int fd, const char *path, size_t cap, store_read_check check, void *ud,
                  char **data, size_t *len, struct error *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int ret = -1;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, EXIT_USAGE, "%s is not a regular file", path);
		goto out;
	}
	if (check && check(fd, path, ud, e) < 0)
		goto out;
	if ((size_t)st.st_size > cap) {
		err_set(e, EXIT_USAGE, "%s is larger than %zu bytes", path, cap);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err_set_kind(e, EXIT_OP, ERR_NOMEM, "out of memory reading %s", path);
		goto out;
	}
	/* Up to the size judged: a file that grows meanwhile is read as it was. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set_errno(e, EXIT_OP, errno, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	buf = NULL;
	if (len)
		*len = n;
	ret = 0;
out:
	if (buf) {
		/* What was read may be a key or a secret. */
		OPENSSL_cleanse(buf, n);
		free(buf);
	}
	return ret;
}

int store_read(const char *path, size_t cap, char **data, size_t *len, struct error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return err_set_errno(e, errno == ENOENT ? EXIT_USAGE : EXIT_OP, errno,
		                     "cannot read %s: %s", path, strerror(errno));
	ret = store_read_fd(fd, path, cap, NULL, NULL, data, len, e);
	close(fd);
	return ret;
}

bool store_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* The length of the base of FILE when FILE is a temporary name, else 0. */
static size_t temp_base_len(const char *file)
{
	size_t n = strlen(file), suffix = strlen(TEMP_SUFFIX) + TEMP_RANDOM;
	const char *tail;

	if (n <= suffix)
		return 0;
	tail = file + n - suffix;
	if (strncmp(tail, TEMP_SUFFIX, strlen(TEMP_SUFFIX)) != 0)
		return 0;
	for (const char *p = tail + strlen(TEMP_SUFFIX); *p; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	return n - suffix;
}

bool store_temp_of(const char *file, const char *base)
{
	size_t n = temp_base_len(file);

	return n > 0 && n == strlen(base) && strncmp(file, base, n) == 0;
}

int store_remove_temps(const char *dir, bool (*is_base)(const char *base, const void *ud),
                       const void *ud)
{
	char base[NAME_MAX + 1], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int removed = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		size_t n = temp_base_len(de->d_name);
		if (n == 0 || n >= sizeof(base))
			continue;
		memcpy(base, de->d_name, n);
		base[n] = '\0';
		if (!is_base(base, ud) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		/* Only regular files: a link or directory of that name is not
		 * something store_write_atomic made. */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
