/* install: deploy an existing lineage's certificate with an installer
 * plugin (certbot's `install --cert-name NAME -i PLUGIN`). */
#include "cli/engine.h"
#include "cli/lineage.h"

int cmd_install(struct engine *eng, struct error *e)
{
	if (eng->cli->n_domains)
		return err_set(e, EXIT_USAGE, "install takes no -d; name the certificate with "
		                              "--cert-name NAME");
	if (!eng->base.cert_name)
		return err_set(e, EXIT_USAGE, "install needs --cert-name NAME (`acmehook "
		                              "certificates` lists them)");
	return lineage_install(eng, eng->base.cert_name, e);
}
