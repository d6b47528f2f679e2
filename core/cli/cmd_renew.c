/* renew: every lineage that is due (or the one --cert-name names). One
 * failing lineage does not stop the others. */
#include <stdlib.h>
#include <string.h>

#include "cli/engine.h"
#include "cli/lineage.h"

int cmd_renew(struct engine *eng, struct error *e)
{
	char **names = NULL;
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
	if (eng->base.cert_name && !store_lineage_exists(&eng->store, eng->base.cert_name)) {
		err_set(e, EXIT_USAGE, "no certificate named \"%s\" in %s/renewal", eng->base.cert_name,
		        eng->store.config_dir);
		goto out;
	}
	if (tried == 0 && failed == 0)
		fprintf(eng->out, "No renewals were attempted.\n");
	if (failed) {
		/* Only configuration errors (a refused renewal file): the user
		 * has to fix something, as with any usage error. */
		err_set(e, usage == failed ? EXIT_USAGE : EXIT_OP,
		        "%zu of the renewals failed; see the messages above", failed);
		goto out;
	}
	ret = 0;
out:
	store_names_free(names);
	return ret;
}
