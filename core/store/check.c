/* Writability checks before an order (see check.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/check.h"
#include "store/fs.h"
#include "store/store.h"

/* A file is really made: access(2) answers from the mode bits and the
 * caller's credentials, while a server that squashes root (NFS), a FUSE
 * mount, an ACL or an immutable directory decides only when a file is
 * created. The name is not one of store_write_atomic's temporaries, so no
 * tidying step mistakes it for a lineage's file. */
int store_check_dir(const char *dir, mode_t mode, struct error *e)
{
	char probe[PATH_MAX];
	int fd;

	/* store_mkdirs names the directory it could not make, and why. */
	if (mode != 0 && store_mkdirs(dir, mode, e) < 0)
		return -1;
	if (snprintf(probe, sizeof(probe), "%s/.acmehook-write-test-XXXXXX", dir) >=
	    (int)sizeof(probe))
		return err_set(e, EXIT_USAGE, "path too long: %s", dir);
	fd = mkstemp(probe);
	if (fd < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot write in %s: %s", dir,
		                     strerror(errno));
	close(fd);
	if (unlink(probe) < 0)
		return err_set_errno(e, EXIT_OP, errno, "cannot remove files in %s (%s): %s", dir,
		                     probe, strerror(errno));
	return 0;
}

int store_check_creatable(const char *dir, struct error *e)
{
	char at[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(at))
		return err_set(e, EXIT_USAGE, "bad directory path \"%s\"", dir);
	memcpy(at, dir, n + 1);
	/* The deepest directory that exists is where the first mkdir of the
	 * store will happen. */
	while (!store_exists(at)) {
		char *slash = strrchr(at, '/');
		if (!slash)
			return store_check_dir(".", 0, e);
		if (slash == at) {
			at[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	return store_check_dir(at, 0, e);
}

int store_check_lineage(const struct store *s, const char *name, struct error *e)
{
	char archive[PATH_MAX], live[PATH_MAX], renewal[PATH_MAX];
	bool made;
	int ret = -1;

	if (!store_name_valid(name))
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	if (store_archive_dir(s, name, archive, sizeof(archive)) < 0 ||
	    store_live_dir(s, NULL, live, sizeof(live)) < 0 ||
	    store_renewal_dir(s, renewal, sizeof(renewal)) < 0)
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	/* archive/NAME of a lineage not yet stored is made for the test and
	 * removed again, so a run that fails later leaves no trace of the
	 * lineage. The caller holds the lineage's lock: no other run makes or
	 * fills it meanwhile. The areas themselves stay, as the store would
	 * leave them, since other runs may already be using them. */
	made = !store_exists(archive);
	/* The modes of store_lineage_save and renewal_save, so a directory
	 * made here is the one they would have made. */
	if (store_check_dir(archive, 0700, e) < 0 || store_check_dir(live, 0700, e) < 0 ||
	    store_check_dir(renewal, 0755, e) < 0 || store_check_dir(s->work_dir, 0700, e) < 0)
		goto out;
	ret = 0;
out:
	if (made)
		rmdir(archive);
	return ret;
}
