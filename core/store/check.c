/* Writability checks before an order (see check.h). */
#include <errno.h>
#include <limits.h>
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

int store_check_lineage(const struct store *s, const char *name, struct error *e)
{
	char archive[PATH_MAX], live[PATH_MAX], renewal[PATH_MAX];

	if (!store_name_valid(name))
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	if (store_archive_dir(s, name, archive, sizeof(archive)) < 0 ||
	    store_live_dir(s, NULL, live, sizeof(live)) < 0 ||
	    store_renewal_dir(s, renewal, sizeof(renewal)) < 0)
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	/* The same modes as store_lineage_save and renewal_save use, so a
	 * directory made here is the one they would have made. */
	if (store_check_dir(archive, 0700, e) < 0 || store_check_dir(live, 0700, e) < 0 ||
	    store_check_dir(renewal, 0755, e) < 0 || store_check_dir(s->work_dir, 0700, e) < 0)
		return -1;
	return 0;
}
