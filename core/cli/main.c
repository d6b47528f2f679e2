/* acmehook: load the settings, hand the command to the engine, report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/testpoint.h"
#include "cli/engine.h"

static const char commands[] =
	"usage: acmehook COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  certonly      obtain or renew a certificate (-d NAME, repeatable)\n"
	"  renew         renew every certificate that is due\n"
	"                (with --dry-run: try every one, saving nothing)\n"
	"  revoke        revoke --cert-name NAME or --cert-path FILE [--reason R]\n"
	"  certificates  list stored certificates [--json]\n"
	"  install       deploy --cert-name NAME with the installer -i NAME\n"
	"  plugins       list installed plugins\n"
	"  script test SCRIPT --domain NAME [--dns-lua-credentials F] [--dry-run]\n"
	"                exercise a Lua DNS provider (or, with --dry-run, a deploy script)\n";

/* The commands, the options (from the option table) and the exit codes. */
static void usage(FILE *out)
{
	fputs(commands, out);
	settings_help(out);
	fputs("\nexit status: 0 success or nothing to do, 1 a failed operation, 2 a usage error\n",
	      out);
}

static int dispatch(struct engine *eng, const char *cmd, struct error *e)
{
	/* Any other command would silently act for real, which is worse than
	 * refusing. */
	if (eng->base.dry_run == 1 && strcmp(cmd, "script") != 0 && strcmp(cmd, "certonly") != 0 &&
	    strcmp(cmd, "renew") != 0)
		return err_set(e, EXIT_USAGE,
		               "--dry-run is not supported by `acmehook %s`; only certonly, renew "
		               "and script test have it",
		               cmd);
	if (strcmp(cmd, "certonly") == 0)
		return cmd_certonly(eng, e);
	if (strcmp(cmd, "renew") == 0)
		return cmd_renew(eng, e);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(eng, e);
	if (strcmp(cmd, "certificates") == 0)
		return cmd_certificates(eng, e);
	if (strcmp(cmd, "install") == 0)
		return cmd_install(eng, e);
	if (strcmp(cmd, "plugins") == 0)
		return cmd_plugins(eng, e);
	if (strcmp(cmd, "script") == 0)
		return cmd_script(eng, e);
	return err_set(e, EXIT_USAGE, "unknown command \"%s\"; see acmehook --help", cmd);
}

int main(int argc, char **argv)
{
	struct settings cli, ini;
	struct engine eng;
	struct error e = {0};
	bool engine_up = false;
	int rc;

	memset(&eng, 0, sizeof(eng));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (settings_load(&cli, &ini, argc, argv, &e) < 0)
		goto out;
	if (!cli.command || strcmp(cli.command, "help") == 0) {
		usage(cli.command ? stdout : stderr);
		if (!cli.command)
			err_set(&e, EXIT_USAGE, "no command given");
		goto out;
	}
	if (strcmp(cli.command, "version") == 0) {
		/* The crash and concurrency tests check for "testpoints" here. */
		printf("acmehook %s (plugin ABI %s%s)\n", ACMEHOOK_VERSION, plugin_abi_version(),
		       testpoints_compiled() ? ", testpoints" : "");
		goto out;
	}
	if (engine_init(&eng, &cli, &ini, &e) < 0)
		goto out;
	engine_up = true;
	dispatch(&eng, cli.command, &e);
out:
	if (err_isset(&e)) {
		if (engine_up)
			log_to_file(&eng.log, LVL_ERROR, e.msg);
		fprintf(stderr, "acmehook: error: %s\n", e.msg);
	}
	rc = e.exit_code;
	if (engine_up)
		engine_free(&eng);
	settings_free(&ini);
	settings_free(&cli);
	curl_global_cleanup();
	return rc;
}
