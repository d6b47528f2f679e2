/* The on-disk layout, certbot's:
 *   CONFIG/live/NAME/{cert,chain,fullchain,privkey}.pem  -> ../../archive/NAME/xN.pem
 *   CONFIG/archive/NAME/{cert,chain,fullchain,privkey}N.pem
 *   CONFIG/renewal/NAME.conf
 *   CONFIG/status/NAME.json  (see status.h)
 *   CONFIG/accounts/SERVER/...
 *   CONFIG/.locks/...  (see lock.h)
 * Every write goes to a temporary file in the same directory, is fsynced,
 * then renamed, and the directory is fsynced; the live/ links switch only
 * after every file of the new version is complete, so a crash at any
 * instant leaves the previous version serving. */
#ifndef ACMEHOOK_STORE_H
#define ACMEHOOK_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "store/fs.h"

struct log;

struct store {
	char *config_dir;
	char *work_dir;
	char *logs_dir;
	long lock_timeout_seconds; /* how long a lock is waited for; 0: 60 */
	struct log *log;           /* borrowed; where lock waits are reported; may be NULL */
};

int store_init(struct store *s, const char *config_dir, const char *work_dir,
               const char *logs_dir, struct error *e);
void store_free(struct store *s);

/* Lineage names become path components: [A-Za-z0-9._-], no leading dot,
 * and wildcards as certbot does ("*.example.com" stays usable as
 * "example.com"). */
bool store_name_valid(const char *name);

/* Paths of the layout, written into DST (CAP bytes); nothing outside
 * store/ spells "live", "archive", "renewal" or "accounts". Each returns 0,
 * or -1 when DST is too small. A NULL NAME gives the area's directory. */
int store_live_dir(const struct store *s, const char *name, char *dst, size_t cap);
int store_archive_dir(const struct store *s, const char *name, char *dst, size_t cap);
int store_renewal_dir(const struct store *s, char *dst, size_t cap);
int store_accounts_dir(const struct store *s, char *dst, size_t cap);
/* CONFIG/renewal-hooks, holding certbot's pre/, deploy/ and post/. */
int store_hooks_dir(const struct store *s, char *dst, size_t cap);
/* CONFIG/status: one small record per lineage (see status.h). */
int store_status_dir(const struct store *s, char *dst, size_t cap);
/* live/NAME/KIND.pem and renewal/NAME.conf. */
int store_live_path(const struct store *s, const char *name, const char *kind, char *dst,
                    size_t cap);
int store_renewal_path(const struct store *s, const char *name, char *dst, size_t cap);

bool store_lineage_exists(const struct store *s, const char *name);
/* The newest version number in archive/NAME (0 when none). */
int store_lineage_latest(const struct store *s, const char *name);

struct lineage_files {
	const char *privkey;   /* PEM; written 0600 */
	const char *cert;
	const char *chain;
	const char *fullchain;
};
/* A new version is made in three steps, so that the caller can write
 * its own records between them and live/ switches last:
 * store_version_write writes archive/NAME/KIND(N+1).pem and the link
 * directory live/.NAME-v(N+1), and sets *VERSION to N+1; on failure
 * nothing of the version is left. store_version_switch points live/NAME
 * at VERSION with one rename(). store_version_drop removes a version that
 * was written but never switched to (never the one live/ serves). The
 * caller holds the lineage's lock throughout. */
int store_version_write(const struct store *s, const char *name, const struct lineage_files *f,
                        int *version, struct error *e);
int store_version_switch(const struct store *s, const char *name, int version, struct error *e);
void store_version_drop(const struct store *s, const char *name, int version);
/* Write version N+1 of NAME and switch live/ to it (the three steps above
 * when nothing else is written between them). */
int store_lineage_save(const struct store *s, const char *name, const struct lineage_files *f,
                       int *version, struct error *e);
/* The version live/NAME serves (0 when none or unknown). */
int store_live_version(const struct store *s, const char *name);
/* Whether live/NAME serves a certificate file. */
bool store_live_exists(const struct store *s, const char *name);

/* A file about to be replaced (a lineage's record), kept aside so that a
 * failure later in the same run can put the very same file back. */
#define STORE_KEPT_SUFFIX ".kept"
struct store_kept {
	char path[PATH_MAX];
	char aside[PATH_MAX];    /* PATH ".kept", a hard link to the old file */
	bool existed;        /* PATH existed when it was kept */
	bool active;         /* neither restored nor dropped yet */
};
/* Keep PATH (which need not exist) in K. */
int store_keep(const char *path, struct store_kept *k, struct error *e);
/* Put the kept file back, or remove PATH when there was none. Needs no
 * disk space. Accepts NULL and an inactive K. */
void store_kept_restore(struct store_kept *k);
/* The new file stays: remove the kept one. Accepts NULL and inactive K. */
void store_kept_drop(struct store_kept *k);

/* Remove what an interrupted run of NAME left behind, and only that:
 * temporaries of store_write_atomic (FILE.tmp-XXXXXX) of the lineage's
 * archive files, renewal file and status record, the copies store_keep
 * kept of the last two, and live/.NAME-vN link directories
 * other than the one live/NAME points at. The caller holds the lineage's
 * lock, so no other run is writing them. Failures are only logged: a
 * leftover is untidy, not harmful. */
void store_lineage_tidy(const struct store *s, const char *name);
/* Names of every lineage with a renewal file, sorted; NULL-terminated. */
char **store_lineages(const struct store *s, struct error *e);
/* Names of the directories in live/ without a renewal file (made by older
 * versions, or by hand), sorted; NULL-terminated. */
char **store_unrecorded(const struct store *s, struct error *e);
void store_names_free(char **names);

#endif
