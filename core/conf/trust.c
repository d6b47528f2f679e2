/* Ownership and mode checks on files that can run commands (see trust.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/trust.h"

#define TRUST_HINT                                                                           \
	"as root, acmehook reads a file that can run commands only when root owns it and "   \
	"nobody else can write it"

/* The directory part of PATH into DST ("." when there is none). */
static int dir_of(const char *path, char *dst, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return snprintf(dst, cap, ".") >= (int)cap ? -1 : 0;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -1;
	memcpy(dst, path, n);
	dst[n] = '\0';
	return 0;
}

/* Anyone who can rename or replace entries in DIR could put another file
 * at the name read: only a sticky directory (/tmp) stops others from
 * replacing root's entries. */
static int check_dir(const char *file, const char *dir, struct error *e)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return err_set_errno(e, EXIT_USAGE, errno, "cannot check the directory %s of %s: %s",
		                     dir, file, strerror(errno));
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return err_set(e, EXIT_USAGE,
		               "refusing %s: its directory %s is writable by group or others "
		               "(mode %04o, owner uid %u); " TRUST_HINT ": chmod go-w %s",
		               file, dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, dir);
	if (st.st_uid != 0)
		return err_set(e, EXIT_USAGE,
		               "refusing %s: its directory %s is owned by uid %u (mode %04o), not "
		               "root; " TRUST_HINT ": chown root %s",
		               file, dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

int conf_trust_fd(int fd, const char *path, uid_t euid, struct error *e)
{
	char dir[PATH_MAX], real[PATH_MAX], real_dir[PATH_MAX];
	struct stat st;

	if (euid != 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot check %s: %s", path, strerror(errno));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, EXIT_USAGE,
		               "refusing %s: it is writable by group or others (mode %04o, owner "
		               "uid %u); " TRUST_HINT ": chmod go-w %s",
		               path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, path);
	if (st.st_uid != 0)
		return err_set(e, EXIT_USAGE,
		               "refusing %s: it is owned by uid %u (mode %04o), not root; " TRUST_HINT
		               ": chown root %s",
		               path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), path);
	if (dir_of(path, dir, sizeof(dir)) < 0)
		return err_set(e, EXIT_USAGE, "path too long: %s", path);
	if (check_dir(path, dir, e) < 0)
		return -1;
	/* A link (/etc/acmehook/cli.ini -> /srv/conf/cli.ini) is only as safe
	 * as the directory of the file it leads to. */
	if (realpath(path, real) && dir_of(real, real_dir, sizeof(real_dir)) == 0 &&
	    strcmp(real_dir, dir) != 0 && check_dir(path, real_dir, e) < 0)
		return -1;
	return 0;
}

int conf_read_trusted(const char *path, size_t cap, char **data, size_t *len, struct error *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd = -1, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set_errno(e, errno == ENOENT ? EXIT_USAGE : EXIT_OP, errno, "cannot read %s: %s",
		              path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, EXIT_USAGE, "%s is not a regular file", path);
		goto out;
	}
	if (conf_trust_fd(fd, path, geteuid(), e) < 0)
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
		/* cli.ini may hold an EAB key. */
		OPENSSL_cleanse(buf, n);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}
