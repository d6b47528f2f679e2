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
#include "store/fs.h"

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
	struct stat st, lst;

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
	 * as the directory of the file it leads to. Only a link as the last
	 * part of PATH leads to another directory: links in the directory
	 * part were followed by the stat of check_dir, which judged the
	 * directory that really holds the name. */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, real) &&
	    dir_of(real, real_dir, sizeof(real_dir)) == 0 && strcmp(real_dir, dir) != 0 &&
	    check_dir(path, real_dir, e) < 0)
		return -1;
	return 0;
}

/* store_read_fd's check: the trust rule, on the descriptor being read. */
static int trusted_fd(int fd, const char *path, void *ud, struct error *e)
{
	(void)ud;
	return conf_trust_fd(fd, path, geteuid(), e);
}

int conf_read_trusted(const char *path, size_t cap, char **data, size_t *len, struct error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return err_set_errno(e, errno == ENOENT ? EXIT_USAGE : EXIT_OP, errno,
		                     "cannot read %s: %s", path, strerror(errno));
	ret = store_read_fd(fd, path, cap, trusted_fd, NULL, data, len, e);
	close(fd);
	return ret;
}
