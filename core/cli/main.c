/* acmehook: parse the command, hand it to the engine, report. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/testpoint.h"
#include "cli/engine.h"

static const char usage[] =
	"usage: acmehook COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  certonly      obtain or renew a certificate (-d NAME, repeatable)\n"
	"  renew         renew every certificate that is due\n"
	"  revoke        revoke --cert-name NAME or --cert-path FILE [--reason R]\n"
	"  certificates  list stored certificates [--json]\n"
	"  plugins       list installed plugins\n"
	"  script test SCRIPT --domain NAME [--dns-lua-credentials F] [--dry-run]\n"
	"                exercise a Lua DNS provider (or, with --dry-run, a deploy script)\n"
	"\n"
	"validation (positional: applies to the -d flags after it):\n"
	"  --webroot -w DIR        http-01 through files under DIR\n"
	"  --dns-rfc2136 --dns-rfc2136-credentials FILE\n"
	"                          dns-01 by RFC 2136 UPDATE (certbot's credentials file)\n"
	"  --dns-lua SCRIPT [--dns-lua-credentials FILE]\n"
	"                          dns-01 through a Lua provider script\n"
	"  -a, --authenticator P   an installed plugin, or an [instance NAME] of cli.ini\n"
	"\n"
	"dns-01:\n"
	"  --dns-resolver IP[:PORT]       resolvers for CNAME and zone lookups (repeatable)\n"
	"  --dns-propagation authoritative|resolvers|none   how to wait (default authoritative)\n"
	"  --dns-propagation-timeout N    give up waiting after N seconds (default 120)\n"
	"  --dns-propagation-seconds N    no checks: just wait N seconds\n"
	"  --dns-nameserver-port N        port of the authoritative servers (default 53)\n"
	"\n"
	"deployment:\n"
	"  --deploy-script SCRIPT [--deploy-script-credentials FILE]   Lua deploy step\n"
	"                          (repeatable; runs after each issuance or renewal)\n"
	"\n"
	"common options (certbot's names):\n"
	"  -d, --domains NAME      a name for the certificate (comma lists allowed)\n"
	"  --server URL|PRESET     ACME directory; presets: letsencrypt, letsencrypt-staging,\n"
	"                          globalsign (default letsencrypt)\n"
	"  -m, --email ADDR        contact address for the account\n"
	"  --agree-tos             agree to the CA's terms of service\n"
	"  --eab-kid KID --eab-hmac-key KEY [--eab-hmac-alg HS256|HS384|HS512]\n"
	"  --account-key-type ec256|ec384|rsa2048|rsa3072|rsa4096  (new accounts)\n"
	"  -n, --non-interactive   never prompt\n"
	"  --cert-name NAME        the certificate's name (default: its first domain)\n"
	"  --key-type ecdsa|rsa  --elliptic-curve secp256r1|secp384r1\n"
	"  --rsa-key-size 2048|3072|4096\n"
	"  --csr FILE [--cert-path F] [--chain-path F] [--fullchain-path F]\n"
	"  --force-renewal         renew even when not due\n"
	"  --preferred-chain CN    pick the chain whose top issuer is CN\n"
	"  --deploy-hook CMD       run after each issuance (RENEWED_LINEAGE, RENEWED_DOMAINS)\n"
	"  --reason R              unspecified, keycompromise, affiliationchanged,\n"
	"                          superseded, cessationofoperation\n"
	"  -c, --config FILE       cli.ini to read (default CONFIG_DIR/cli.ini)\n"
	"  --config-dir D --work-dir D --logs-dir D\n"
	"  --ca-bundle FILE        trust for the CA's TLS (env ACMEHOOK_CA_BUNDLE)\n"
	"  --plugin-dir DIR        load plugins from DIR only\n"
	"  --lock-timeout N        wait up to N seconds for another run holding a\n"
	"                          certificate or account (default 60)\n"
	"  -v, --verbose  -q, --quiet  --version  -h, --help\n"
	"\n"
	"exit status: 0 success or nothing to do, 1 a failed operation, 2 a usage error\n";

static int dispatch(struct engine *eng, const char *cmd, struct error *e)
{
	/* certbot's --dry-run talks to a staging CA; acmehook has no such mode
	 * outside `script test`, and silently saving would be worse. */
	if (eng->base.dry_run == 1 && strcmp(cmd, "script") != 0)
		return err_set(e, EXIT_USAGE, "--dry-run is only supported by `acmehook script test`");
	if (strcmp(cmd, "certonly") == 0)
		return cmd_certonly(eng, e);
	if (strcmp(cmd, "renew") == 0)
		return cmd_renew(eng, e);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(eng, e);
	if (strcmp(cmd, "certificates") == 0)
		return cmd_certificates(eng, e);
	if (strcmp(cmd, "plugins") == 0)
		return cmd_plugins(eng, e);
	if (strcmp(cmd, "script") == 0)
		return cmd_script(eng, e);
	return err_set(e, EXIT_USAGE, "unknown command \"%s\"; see acmehook --help", cmd);
}

int main(int argc, char **argv)
{
	struct settings cli, ini, probe;
	struct engine eng;
	struct error e = {0};
	char ini_path[PATH_MAX];
	bool engine_up = false;
	int rc;

	settings_init(&cli);
	settings_init(&ini);
	settings_init(&probe);
	memset(&eng, 0, sizeof(eng));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (settings_from_argv(&cli, argc, argv, &e) < 0)
		goto out;
	if (!cli.command || strcmp(cli.command, "help") == 0) {
		fputs(usage, cli.command ? stdout : stderr);
		if (!cli.command)
			err_set(&e, EXIT_USAGE, "no command given");
		goto out;
	}
	if (strcmp(cli.command, "version") == 0) {
		/* The crash and concurrency tests check for "testpoints" here. */
		printf("acmehook %s (plugin ABI 1%s)\n", ACMEHOOK_VERSION,
		       testpoints_compiled() ? ", testpoints" : "");
		goto out;
	}
	/* cli.ini lives in the config dir unless -c names it; find the
	 * directory the same way the engine will. */
	if (settings_merge(&probe, &cli, &e) < 0 || settings_defaults(&probe, &e) < 0)
		goto out;
	if (cli.config_file)
		snprintf(ini_path, sizeof(ini_path), "%s", cli.config_file);
	else
		snprintf(ini_path, sizeof(ini_path), "%s/cli.ini", probe.config_dir);
	if (settings_from_ini(&ini, ini_path, cli.config_file == NULL, &e) < 0)
		goto out;
	if (ini.config_dir && !cli.config_dir) {
		/* A config-dir set in cli.ini moves everything, as in certbot. */
		cli.config_dir = strdup(ini.config_dir);
	}
	if (engine_check_settings(&cli, &e) < 0 || engine_check_settings(&ini, &e) < 0)
		goto out;
	if (engine_init(&eng, &cli, &ini, &e) < 0)
		goto out;
	engine_up = true;
	if (engine_check_settings(&eng.base, &e) < 0)
		goto out;
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
	settings_free(&probe);
	settings_free(&ini);
	settings_free(&cli);
	curl_global_cleanup();
	return rc;
}
