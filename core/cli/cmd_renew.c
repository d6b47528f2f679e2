/* renew: every lineage that is due (or the one --cert-name names). One
 * failing lineage does not stop the others. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine.h"
#include "cli/lineage.h"

/* certbot's default: timers of many hosts fire at the same minute. */
#define RENEW_SLEEP_MAX_MS (8L * 60 * 1000)

static int renew_all(struct engine *eng, struct error *e);

int cmd_renew(struct engine *eng, struct error *e)
{
	char dir[PATH_MAX];
	struct error post = {0};
	int ret = -1;

	if (eng->cli->json == 1)
		return err_set(e, EXIT_USAGE, "renew has no JSON output; --json is for `acmehook "
		                              "certificates`");
	if (store_hooks_dir(&eng->store, dir, sizeof(dir)) < 0) {
		err_set(e, EXIT_USAGE, "config directory path too long: %s", eng->store.config_dir);
		goto out;
	}
	eng->hooks.log = &eng->log;
	eng->hooks.dir = strdup(dir);
	if (!eng->hooks.dir) {
		err_nomem(e);
		goto out;
	}
	if (eng->base.no_random_sleep != 1 && !isatty(STDIN_FILENO))
		eng->hooks.sleep_max_ms = RENEW_SLEEP_MAX_MS;
	ret = renew_all(eng, e);
	/* The post hooks run even when renewals failed: they restart what the
	 * pre hooks stopped. */
	if (hook_run_end(&eng->hooks, &post) < 0 && ret == 0) {
		*e = post;
		ret = -1;
	}
out:
	hook_run_free(&eng->hooks);
	return ret;
}

static int renew_all(struct engine *eng, struct error *e)
{
	char **names = NULL, **unrecorded = NULL;
	size_t tried = 0, failed = 0, usage = 0;
	int ret = -1;

	if (eng->cli->n_domains) {
		err_set(e, EXIT_USAGE, "renew takes no -d; use certonly -d NAME to change a certificate");
		goto out;
	}
	names = store_lineages(&eng->store, e);
	if (!names)
		goto out;
	for (size_t i = 0; names[i]; i++) {
		struct error one = {0};
		bool attempted = false;
		if (eng->base.cert_name && strcmp(eng->base.cert_name, names[i]) != 0)
			continue;
		if (lineage_renew(eng, names[i], false, &attempted, &one) < 0) {
			failed++;
			usage += one.exit_code == EXIT_USAGE;
			log_msg(&eng->log, LVL_ERROR, "renewing %s failed: %s", names[i], one.msg);
		}
		tried += attempted;
	}
	/* A live/ directory without a record (made by an older version, or by
	 * hand) is never renewed; say so, and leave it alone. */
	unrecorded = store_unrecorded(&eng->store, e);
	if (!unrecorded)
		goto out;
	for (size_t i = 0; unrecorded[i]; i++) {
		char live[PATH_MAX];
		if (eng->base.cert_name && strcmp(eng->base.cert_name, unrecorded[i]) != 0)
			continue;
		store_live_dir(&eng->store, unrecorded[i], live, sizeof(live));
		log_msg(&eng->log, LVL_WARN,
		        "%s has no renewal record, so it is not renewed; `acmehook certonly "
		        "--cert-name %s -d NAME...` takes it over",
		        live, unrecorded[i]);
	}
	if (eng->base.cert_name && !store_lineage_exists(&eng->store, eng->base.cert_name)) {
		err_set(e, EXIT_USAGE, "no certificate named \"%s\" in %s/renewal", eng->base.cert_name,
		        eng->store.config_dir);
		goto out;
	}
	if (tried == 0 && failed == 0)
		fprintf(eng->out, "No renewals were attempted.\n");
	if (lineage_dry_run(eng) && failed)
		fprintf(eng->out, "The dry run failed: %zu of the renewals failed\n", failed);
	else if (lineage_dry_run(eng) && tried && eng->log.level >= LVL_INFO)
		fprintf(eng->out, "The dry run was successful.\n");
	if (failed) {
		/* Only configuration errors (a refused renewal file): the user
		 * has to fix something, as with any usage error. */
		err_set(e, usage == failed ? EXIT_USAGE : EXIT_OP,
		        "%zu of the renewals failed; see the messages above", failed);
		goto out;
	}
	ret = 0;
out:
	store_names_free(unrecorded);
	store_names_free(names);
	return ret;
}
