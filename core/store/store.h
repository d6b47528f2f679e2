/* The on-disk layout, certbot's:
 *   CONFIG/live/NAME/{cert,chain,fullchain,privkey}.pem  -> ../../archive/NAME/xN.pem
 *   CONFIG/archive/NAME/{cert,chain,fullchain,privkey}N.pem
 *   CONFIG/renewal/NAME.conf
 *   CONFIG/accounts/SERVER/...
 *   CONFIG/.locks/...  (see lock.h)
 * Every write goes to a temporary file in the same directory, is fsynced,
 * then renamed, and the directory is fsynced; the live/ links switch only
 * after every file of the new version is complete, so a crash at any
 * instant leaves the previous version serving. */
#ifndef ACMEHOOK_STORE_H
#define ACMEHOOK_STORE_H

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
/* Write version N+1 of NAME and switch live/ to it. On success *VERSION is
 * the new number. The caller holds the lineage's lock. */
int store_lineage_save(const struct store *s, const char *name, const struct lineage_files *f,
                       int *version, struct error *e);
/* Remove what an interrupted run of NAME left behind, and only that:
 * temporaries of store_write_atomic (FILE.tmp-XXXXXX) of the lineage's
 * archive files and renewal file, and live/.NAME-vN link directories
 * other than the one live/NAME points at. The caller holds the lineage's
 * lock, so no other run is writing them. Failures are only logged: a
 * leftover is untidy, not harmful. */
void store_lineage_tidy(const struct store *s, const char *name);
/* Names of every lineage with a renewal file, sorted; NULL-terminated. */
char **store_lineages(const struct store *s, struct error *e);
void store_names_free(char **names);

#endif
