/* Before a run asks a CA for a certificate, it makes sure it can keep one:
 * a certificate issued and then thrown away because the store is
 * read-only still counts against the CA's duplicate-certificate limit, on
 * every run of a daily timer. */
#ifndef ACMEHOOK_STORE_CHECK_H
#define ACMEHOOK_STORE_CHECK_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"

struct store;

/* Whether a directory can be written is found without writing in it
 * where the kernel's answer to access(2) is the one a creation would get:
 * on the disk file systems whose driver runs that same check (FS_TYPE,
 * statfs's f_type), for a process no security module confines by path
 * (LABEL, its /proc/self/attr/current: NULL or "" when there is no such
 * module, "unconfined"). Elsewhere (NFS, FUSE, AppArmor or SELinux
 * confinement) a file is created and removed again, since only the
 * creation tells. */
bool store_access_decides(long fs_type, const char *label);

/* Make DIR as store_mkdirs does (MODE for what it creates) when it is
 * missing, then test that files can be created in it: access(2) and free
 * inodes and blocks where store_access_decides, else a file created and
 * removed. A MODE of 0 makes nothing: DIR must exist. Fails with exit
 * code 1, naming DIR and the reason, when either cannot be done. */
int store_check_dir(const char *dir, mode_t mode, struct error *e);

/* Whether DIR exists and can be written, or could be made: nothing is
 * made; the deepest directory of DIR's path that exists is tested as
 * store_check_dir tests one. For directories other runs may be making at
 * the same time, which a test could not remove again safely. */
int store_check_creatable(const char *dir, struct error *e);

/* The same for every directory that storing lineage NAME writes, with the
 * modes the store gives them: archive/NAME and live/ (0700), renewal/
 * (0755), and the work directory (0700). archive/ is made when missing,
 * but not archive/NAME: where access(2) decides, archive/ is tested for
 * it, and the error names archive/NAME as mkdir would; elsewhere it is
 * made for the test and removed again. The caller holds NAME's lock
 * (store_lock). */
int store_check_lineage(const struct store *s, const char *name, struct error *e);

#endif
