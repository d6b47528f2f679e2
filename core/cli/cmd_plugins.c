/* plugins: what the plugin directories hold. */
#include <stdio.h>

#include "cli/engine.h"

int cmd_plugins(struct engine *eng, struct error *e)
{
	if (plugin_registry_load_all(&eng->plugins, e) < 0)
		return -1;
	if (eng->plugins.n == 0) {
		fprintf(eng->out, "No plugins found.\n");
		return 0;
	}
	for (size_t i = 0; i < eng->plugins.n; i++) {
		const struct plugin_module *m = &eng->plugins.mods[i];
		fprintf(eng->out, "* %s %s (ABI %u.%u)\n  %s\n  roles:%s%s  challenges:%s%s\n  path: %s\n",
		        m->name, m->version ? m->version : "", m->abi_major, m->abi_minor,
		        m->description ? m->description : "",
		        m->authenticator ? " authenticator" : "", m->installer ? " installer" : "",
		        m->http01 ? " http-01" : "", m->dns01 ? " dns-01" : "", m->path);
	}
	return 0;
}
