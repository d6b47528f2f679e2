/* Writability checks before any order is placed (see preflight.h): a
 * certificate issued and then lost to a read-only directory still counts
 * against the CA's limits on duplicate certificates. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "acme/account.h"
#include "cli/engine.h"
#include "cli/issue.h"
#include "cli/preflight.h"
#include "store/check.h"

/* The account is written only when it is created: a run with a stored key
 * and record writes nothing there. A new account's directory is not made
 * here: a run that fails before registering leaves no trace of it, and
 * runs started together make it under the account's lock. */
static int check_account(struct engine *eng, const struct settings *s, struct error *e)
{
	char dir[PATH_MAX], keyp[PATH_MAX + 32], regr[PATH_MAX + 32];

	if (acct_dir(&eng->store, issue_server_url(s), dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	if (store_exists(keyp) && store_exists(regr))
		return 0;
	return store_check_creatable(dir, e);
}

int preflight_lineage(struct engine *eng, const struct settings *s, const char *name,
                      struct error *e)
{
	if (store_check_lineage(&eng->store, name, e) < 0 || check_account(eng, s, e) < 0) {
		err_prefix(e, "not requesting a certificate for %s", name);
		return -1;
	}
	return 0;
}

/* The directory of an output file; write_out in cmd_certonly.c puts a
 * defaulted one in the current directory. */
static int check_output(const char *given, struct error *e)
{
	char dir[PATH_MAX];
	const char *slash = given ? strrchr(given, '/') : NULL;

	if (!slash)
		return store_check_dir(".", 0, e);
	if ((size_t)(slash - given) >= sizeof(dir))
		return err_set(e, EXIT_USAGE, "path too long: %s", given);
	memcpy(dir, given, (size_t)(slash - given));
	dir[slash - given] = '\0';
	return store_check_dir(slash == given ? "/" : dir, 0, e);
}

int preflight_csr(struct engine *eng, const struct settings *s, struct error *e)
{
	if (check_output(s->cert_path, e) < 0 || check_output(s->chain_path, e) < 0 ||
	    check_output(s->fullchain_path, e) < 0 ||
	    store_check_dir(eng->store.work_dir, 0700, e) < 0) {
		err_prefix(e, "not requesting a certificate for the CSR %s", eng->base.csr);
		return -1;
	}
	return 0;
}
