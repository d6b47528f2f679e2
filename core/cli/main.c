/* acmehook: load the settings, hand the command to the engine, report. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "base/testpoint.h"
#include "cli/engine.h"

/* The commands: what runs them, their line in --help, and the option
 * groups `--help COMMAND` shows. */
struct command {
	const char *name;
	int (*run)(struct engine *eng, struct error *e);
	const char *help;    /* after the name in --help; '\n' continues it */
	unsigned groups;     /* HELP_ bits */
	bool dry_run;        /* takes --dry-run */
};

#define ISSUING (HELP_VALIDATION | HELP_DNS | HELP_DEPLOY | HELP_ACCOUNT | HELP_COMMON)

static const struct command commands[] = {
	{"certonly", cmd_certonly, "obtain or renew a certificate (-d NAME, repeatable)", ISSUING,
	 true},
	{"renew", cmd_renew,
	 "renew every certificate that is due\n(with --dry-run: try every one, saving nothing)",
	 ISSUING, true},
	{"revoke", cmd_revoke, "revoke --cert-name NAME or --cert-path FILE [--reason R]",
	 HELP_ACCOUNT | HELP_COMMON, false},
	{"delete", cmd_delete, "delete --cert-name NAME: its live, archive and renewal files",
	 HELP_COMMON, false},
	{"certificates", cmd_certificates, "list stored certificates [--json]", HELP_COMMON, false},
	{"install", cmd_install, "deploy --cert-name NAME with the installer -i NAME",
	 HELP_DEPLOY | HELP_COMMON, false},
	{"register", cmd_register,
	 "create an account: -m EMAIL (or --register-unsafely-without-email),\n--agree-tos, EAB "
	 "flags",
	 HELP_ACCOUNT | HELP_COMMON, false},
	{"show_account", cmd_show_account, "the account's URL, id, contacts and status at the CA",
	 HELP_ACCOUNT | HELP_COMMON, false},
	{"update_account", cmd_update_account,
	 "-m EMAIL: change the account's contacts;\n--new-key: roll the account key over",
	 HELP_ACCOUNT | HELP_COMMON, false},
	{"unregister", cmd_unregister, "deactivate the account at the CA and remove it here",
	 HELP_ACCOUNT | HELP_COMMON, false},
	{"plugins", cmd_plugins, "list installed plugins", HELP_COMMON, false},
	{"script", cmd_script,
	 "test SCRIPT --domain NAME [--dns-lua-credentials F] [--dry-run]\n"
	 "exercise a Lua DNS provider (or, with --dry-run, a deploy script)",
	 HELP_DNS | HELP_COMMON, true},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))
#define HELP_COLUMN 16

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void command_line(FILE *out, const struct command *c)
{
	const char *h = c->help;

	/* A long name gets its text on the next line, as long flags do. */
	if (strlen(c->name) + 4 > HELP_COLUMN)
		fprintf(out, "  %s\n%*s", c->name, HELP_COLUMN, "");
	else
		fprintf(out, "  %-*s", HELP_COLUMN - 2, c->name);
	while (*h) {
		size_t len = strcspn(h, "\n");
		fprintf(out, "%.*s\n", (int)len, h);
		h += len;
		if (*h == '\n' && *++h)
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
}

/* The commands, the options (from the option table) and the exit codes. */
static void usage(FILE *out)
{
	fputs("usage: acmehook COMMAND [options]\n\ncommands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		command_line(out, &commands[i]);
	settings_help(out, HELP_ALL);
	fputs("\nexit status: 0 success or nothing to do, 1 a failed operation, 2 a usage error\n",
	      out);
}

/* `--help`, `--help all`, `--help COMMAND` (also `COMMAND --help`). */
static int help(const struct settings *cli, struct error *e)
{
	const char *topic = cli->args ? cli->args[0] : NULL;
	const struct command *c = topic ? find_command(topic) : NULL;

	if (topic && cli->args[1])
		return err_set(e, EXIT_USAGE, "--help takes one topic, not \"%s %s\"", topic,
		               cli->args[1]);
	if (!topic || strcmp(topic, "all") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(topic, "commands") == 0) {
		for (size_t i = 0; i < N_COMMANDS; i++)
			command_line(stdout, &commands[i]);
		return 0;
	}
	if (!c)
		return err_set(e, EXIT_USAGE,
		               "unknown help topic \"%s\"; topics: all, commands, or a command",
		               topic);
	printf("usage: acmehook %s [options]\n\n", c->name);
	command_line(stdout, c);
	settings_help(stdout, c->groups);
	return 0;
}

static int dispatch(struct engine *eng, const char *cmd, struct error *e)
{
	const struct command *c = find_command(cmd);

	if (!c)
		return err_set(e, EXIT_USAGE, "unknown command \"%s\"; see acmehook --help", cmd);
	/* Any other command would silently act for real, which is worse than
	 * refusing. */
	if (eng->base.dry_run == 1 && !c->dry_run)
		return err_set(e, EXIT_USAGE,
		               "--dry-run is not supported by `acmehook %s`; only certonly, renew "
		               "and script test have it",
		               cmd);
	return c->run(eng, e);
}

int main(int argc, char **argv)
{
	struct settings cli, ini;
	struct engine eng;
	struct error e = {0};
	bool engine_up = false;
	int rc;

	memset(&eng, 0, sizeof(eng));
	/* OpenSSL frees its tables at exit unless told not to; the process
	 * is ending and the kernel takes the memory back in one go. It must
	 * be said before anything initialises OpenSSL. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (settings_load(&cli, &ini, argc, argv, &e) < 0)
		goto out;
	if (!cli.command) {
		usage(stderr);
		err_set(&e, EXIT_USAGE, "no command given");
		goto out;
	}
	if (strcmp(cli.command, "help") == 0) {
		help(&cli, &e);
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
