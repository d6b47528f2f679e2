/* Writability checks before an order (see check.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "store/check.h"
#include "store/fs.h"
#include "store/store.h"

/* Disk file systems whose kernel driver decides a creation by the same
 * permission check that access(2) runs (modes, POSIX ACLs, the immutable
 * flag, a read-only mount): ext2/3/4, XFS, btrfs, tmpfs, F2FS. */
static const long local_fs[] = {0xEF53, 0x58465342, 0x9123683E, 0x01021994, 0xF2F52010};

bool store_access_decides(long fs_type, const char *label)
{
	bool local = false;

	for (size_t i = 0; i < sizeof(local_fs) / sizeof(local_fs[0]); i++)
		local = local || fs_type == local_fs[i];
	/* A security module that confines this process by path (AppArmor,
	 * SELinux) decides a creation apart from access(2). NULL: the kernel
	 * runs none that labels processes. */
	return local && (!label || label[0] == '\0' || strcmp(label, "unconfined") == 0);
}

/* This process's label from its security module into DST, NULL when the
 * kernel has no such module (reading the label fails with EINVAL), and an
 * unknown label ("?") when it cannot be read at all. */
static const char *lsm_label(char *dst, size_t cap)
{
	int fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return "?";
	n = read(fd, dst, cap - 1);
	close(fd);
	if (n < 0)
		return errno == EINVAL ? NULL : "?";
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
	return dst;
}

/* Whether access(2) can stand for a test creation in DIR, for a process
 * whose security label is LABEL (lsm_label). */
static bool access_decides_in(const char *dir, const char *label, struct statfs *sf)
{
	return statfs(dir, sf) == 0 && store_access_decides((long)sf->f_type, label);
}

/* Why a file or directory could not be created in DIR, found without
 * creating one: access(2) with the effective IDs, as a creation checks
 * them, and a file system with no inode (or, for this user, no block)
 * left. 0 when nothing stands in the way. */
static int create_errno(const char *dir, const struct statfs *sf)
{
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
		return errno;
	/* A file system without a limit (btrfs's inodes, a tmpfs of no
	 * size) reports 0 in all. */
	if (sf->f_files > 0 && sf->f_ffree == 0)
		return ENOSPC;
	/* A new name may need a block of the directory; root may use the
	 * blocks kept back for it. */
	if (sf->f_blocks > 0 && (geteuid() == 0 ? sf->f_bfree : sf->f_bavail) == 0)
		return ENOSPC;
	return 0;
}

/* Create and remove a file in DIR. The only test where access(2) may not
 * tell: a server that squashes root (NFS), a FUSE mount or a security
 * module confining this process decides only when a file is created. The
 * name is not one of store_write_atomic's temporaries, so no tidying step
 * mistakes it for a lineage's file. */
static int probe(const char *dir, struct error *e)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/.acmehook-write-test-XXXXXX", dir) >=
	    (int)sizeof(path))
		return err_set(e, EXIT_USAGE, "path too long: %s", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot write in %s: %s", dir,
		                     strerror(errno));
	close(fd);
	if (unlink(path) < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot remove files in %s (%s): %s", dir,
		                     path, strerror(errno));
	return 0;
}

/* Whether files can be created in the existing directory DIR. */
static int check_existing(const char *dir, const char *label, struct error *e)
{
	struct statfs sf;
	int err;

	if (!access_decides_in(dir, label, &sf))
		return probe(dir, e);
	err = create_errno(dir, &sf);
	if (err)
		return err_set_errno(e, EXIT_OP, err, "cannot write in %s: %s", dir, strerror(err));
	return 0;
}

static int check_dir(const char *dir, mode_t mode, const char *label, struct error *e)
{
	/* store_mkdirs names the directory it could not make, and why. */
	if (mode != 0 && store_mkdirs(dir, mode, e) < 0)
		return -1;
	return check_existing(dir, label, e);
}

int store_check_dir(const char *dir, mode_t mode, struct error *e)
{
	char buf[256];

	return check_dir(dir, mode, lsm_label(buf, sizeof(buf)), e);
}

int store_check_creatable(const char *dir, struct error *e)
{
	char at[PATH_MAX], buf[256];
	const char *label = lsm_label(buf, sizeof(buf));
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(at))
		return err_set(e, EXIT_USAGE, "bad directory path \"%s\"", dir);
	memcpy(at, dir, n + 1);
	/* The deepest directory that exists is where the first mkdir of the
	 * store will happen. */
	while (!store_exists(at)) {
		char *slash = strrchr(at, '/');
		if (!slash)
			return check_existing(".", label, e);
		if (slash == at) {
			at[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	return check_existing(at, label, e);
}

/* archive/NAME of a lineage not yet stored: whether the store could make
 * it in AREA (archive/, made here with MODE when missing, as the store
 * would), and files in it. Where access(2) decides, nothing of the
 * lineage is made: its directory would fail to be made only for the
 * reasons AREA could not be written for, and mkdir(2) would say so by
 * the same errno. Elsewhere it is made and tested (*MADE set), and the
 * caller removes it again. */
static int check_new_dir(const char *area, const char *dir, mode_t mode, const char *label,
                         bool *made, struct error *e)
{
	struct statfs sf;
	int err;

	if (store_mkdirs(area, mode, e) < 0)
		return -1;
	if (access_decides_in(area, label, &sf)) {
		err = create_errno(area, &sf);
		if (err)
			return err_set_errno(e, EXIT_OP, err, "cannot create directory %s: %s", dir,
			                     strerror(err));
		return 0;
	}
	if (store_mkdirs(dir, mode, e) < 0)
		return -1;
	*made = true;
	return probe(dir, e);
}

int store_check_lineage(const struct store *s, const char *name, struct error *e)
{
	char archive[PATH_MAX], area[PATH_MAX], live[PATH_MAX], renewal[PATH_MAX], buf[256];
	const char *label = lsm_label(buf, sizeof(buf));
	bool made = false;
	int ret = -1;

	if (!store_name_valid(name))
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	if (store_archive_dir(s, name, archive, sizeof(archive)) < 0 ||
	    store_archive_dir(s, NULL, area, sizeof(area)) < 0 ||
	    store_live_dir(s, NULL, live, sizeof(live)) < 0 ||
	    store_renewal_dir(s, renewal, sizeof(renewal)) < 0)
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	/* A run that fails later must leave no trace of a lineage not yet
	 * stored: archive/NAME is not made, or made for the test and removed
	 * again. The caller holds the lineage's lock: no other run makes or
	 * fills it meanwhile. The areas themselves are made, as the store
	 * would make them (with the modes of store_lineage_save and
	 * renewal_save), and stay, since other runs may already be using
	 * them. */
	if (store_exists(archive) ? check_dir(archive, 0, label, e) < 0
	                          : check_new_dir(area, archive, 0700, label, &made, e) < 0)
		goto out;
	if (check_dir(live, 0700, label, e) < 0 || check_dir(renewal, 0755, label, e) < 0 ||
	    check_dir(s->work_dir, 0700, label, e) < 0)
		goto out;
	ret = 0;
out:
	if (made)
		rmdir(archive);
	return ret;
}
