/* delete --cert-name NAME: remove one lineage as certbot does (its live/
 * and archive/ directories and its renewal file) together with what
 * acmehook keeps beside them (its status record and recorded order), and
 * nothing else. Its lock file stays: store/lock.h says why lock files are
 * never removed. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine.h"
#include "store/lock.h"
#include "store/orders.h"
#include "store/status.h"

/* nftw's callback has no user pointer; the first failure is kept in
 * errno-form by the return value, and the path is reported by rm_tree. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? errno : 0;
	return unlink(path) < 0 ? errno : 0;
}

/* Remove DIR and what it holds, never following a link out of it. */
static int rm_tree(const char *dir, struct error *e)
{
	int rc;

	if (!store_exists(dir))
		return 0;
	rc = nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (rc != 0)
		return err_set_errno(e, EXIT_OP, rc > 0 ? rc : errno, "cannot remove %s: %s", dir,
		                     strerror(rc > 0 ? rc : errno));
	return 0;
}

static int rm_file(const char *path, struct error *e)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set_errno(e, EXIT_OP, errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int cmd_delete_lineage(struct engine *eng, const char *name, struct error *e)
{
	char renewal[PATH_MAX], live[PATH_MAX], archive[PATH_MAX], status[PATH_MAX];
	int lock = -1, ret = -1;

	/* A renewal of it running now finishes first. */
	if (store_lock(&eng->store, name, &lock, e) < 0)
		return -1;
	if (store_renewal_path(&eng->store, name, renewal, sizeof(renewal)) < 0 ||
	    store_live_dir(&eng->store, name, live, sizeof(live)) < 0 ||
	    store_archive_dir(&eng->store, name, archive, sizeof(archive)) < 0 ||
	    status_path(&eng->store, name, status, sizeof(status)) < 0) {
		err_set(e, EXIT_USAGE, "the paths of \"%s\" are too long", name);
		goto out;
	}
	/* The renewal file goes last: while it is there the lineage is
	 * known, so delete run again finishes what an interruption left. */
	store_order_remove(&eng->store, name);
	if (rm_tree(live, e) < 0)
		goto out;
	/* With live/NAME gone, tidying removes every live/.NAME-vN link
	 * directory and what interrupted runs left of the lineage. */
	store_lineage_tidy(&eng->store, name);
	if (rm_tree(archive, e) < 0 || rm_file(status, e) < 0 || rm_file(renewal, e) < 0)
		goto out;
	fprintf(eng->out, "Deleted the certificate %s (live, archive and renewal files).\n", name);
	ret = 0;
out:
	store_unlock(lock);
	return ret;
}

int cmd_delete(struct engine *eng, struct error *e)
{
	const char *name = eng->base.cert_name;
	char question[PATH_MAX + 64];

	if (!name)
		return err_set(e, EXIT_USAGE, "delete needs --cert-name NAME (`acmehook certificates` "
		                              "lists the names)");
	if (!store_name_valid(name) || !store_lineage_exists(&eng->store, name)) {
		struct error ignore = {0};
		char **names = store_lineages(&eng->store, &ignore), known[1024] = "";
		size_t o = 0;

		for (size_t i = 0; names && names[i] && o < sizeof(known); i++)
			o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
			                      names[i]);
		store_names_free(names);
		return err_set(e, EXIT_USAGE,
		               "no certificate named \"%s\" in %s (stored: %s); nothing was deleted",
		               name, eng->store.config_dir, known[0] ? known : "none");
	}
	snprintf(question, sizeof(question), "Delete the certificate %s and its keys?", name);
	if (cmd_confirm(eng, question, "delete", e) < 0)
		return -1;
	return cmd_delete_lineage(eng, name, e);
}
