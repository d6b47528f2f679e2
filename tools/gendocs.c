/* acmehook-gendocs: writes acmehook(1) and the bash completion from the
 * option table (conf/options.def), so neither can miss a flag --help
 * shows. Run at build time:
 *   acmehook-gendocs man VERSION > acmehook.1
 *   acmehook-gendocs bash-completion > acmehook */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"

/* The commands of `acmehook --help`, with the longer text of the page. */
struct command {
	const char *name, *man;
};

static const struct command commands[] = {
	{"certonly", "Obtain a certificate for the names given with \\fB\\-d\\fR, or renew the "
	             "certificate that already has them when it is due."},
	{"renew", "Renew every stored certificate that is due: less than a third of its lifetime "
	          "left, or its names changed. A certificate whose deploy did not "
	          "succeed is deployed again. Meant to run unattended, from "
	          "\\fBacmehook\\-renew.timer\\fR or cron."},
	{"revoke", "Revoke \\fB\\-\\-cert\\-name\\fR \\fINAME\\fR or \\fB\\-\\-cert\\-path\\fR "
	           "\\fIFILE\\fR, with \\fB\\-\\-reason\\fR \\fIR\\fR."},
	{"certificates", "List the stored certificates, their names and expiry; "
	                 "\\fB\\-\\-json\\fR prints JSON."},
	{"install", "Deploy the certificate \\fB\\-\\-cert\\-name\\fR \\fINAME\\fR serves now "
	            "with the installer \\fB\\-i\\fR \\fINAME\\fR; nothing is stored."},
	{"plugins", "List the installed plugins."},
	{"script", "\\fBtest\\fR \\fISCRIPT\\fR \\fB\\-\\-domain\\fR \\fINAME\\fR exercises a "
	           "Lua DNS provider; with \\fB\\-\\-dry\\-run\\fR, a deploy script."},
	{"help", "Print the usage on standard output."},
	{"version", "Print the version and the plugin ABI."},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char head[] =
	".SH NAME\n"
	"acmehook \\- obtain, renew and deploy certificates from an ACME CA\n"
	".SH SYNOPSIS\n"
	".B acmehook\n"
	".I command\n"
	".RI [ options ]\n"
	".SH DESCRIPTION\n"
	".B acmehook\n"
	"obtains certificates from a CA that speaks ACME (RFC 8555), such as Let's Encrypt,\n"
	"keeps them renewed and deploys them. It reads certbot's flags,\n"
	".I cli.ini\n"
	"and directory layout, so web server configurations that point into\n"
	".I live/\n"
	"keep working. Names are validated with http\\-01 through a webroot or with dns\\-01\n"
	"through RFC 2136 UPDATE or a Lua provider script; further validation methods are\n"
	"plugins.\n"
	".PP\n"
	"Options come from the command line, from\n"
	".IR CONFIG_DIR /cli.ini\n"
	"(long option names as keys) and, when renewing, from the certificate's renewal file.\n"
	"A run that reports failure has changed nothing that is served.\n"
	".SH COMMANDS\n";

static const char tail[] =
	".SH FILES\n"
	"As root the directories are the ones below; other users get\n"
	".I $XDG_CONFIG_HOME/acmehook\n"
	"and\n"
	".I $XDG_STATE_HOME/acmehook\n"
	"(by default under\n"
	".I ~/.config\n"
	"and\n"
	".IR ~/.local/state ).\n"
	".TP\n"
	".I /etc/acmehook\n"
	"CONFIG_DIR (\\fB\\-\\-config\\-dir\\fR): certificates, accounts, renewal files.\n"
	".TP\n"
	".IR CONFIG_DIR /cli.ini\n"
	"Options applied to every run, one \\fIkey\\fR = \\fIvalue\\fR a line, plus\n"
	"[instance \\fINAME\\fR] and [routes] sections.\n"
	".TP\n"
	".IR CONFIG_DIR /live/ NAME /\n"
	"cert.pem, chain.pem, fullchain.pem and privkey.pem: links to the current version.\n"
	"Point servers here.\n"
	".TP\n"
	".IR CONFIG_DIR /archive/ NAME /\n"
	"Every version issued: cert\\fIN\\fR.pem, chain\\fIN\\fR.pem, fullchain\\fIN\\fR.pem,\n"
	"privkey\\fIN\\fR.pem.\n"
	".TP\n"
	".IR CONFIG_DIR /renewal/ NAME .conf\n"
	"What renewing \\fINAME\\fR needs: server, account, key type, validation per name,\n"
	"deploy steps.\n"
	".TP\n"
	".IR CONFIG_DIR /accounts/\n"
	"Account keys and registrations, per CA.\n"
	".TP\n"
	".IR CONFIG_DIR /status/ NAME .json\n"
	"A deploy still pending, and the last attempt to issue \\fINAME\\fR.\n"
	".TP\n"
	".IR CONFIG_DIR /.locks/\n"
	"Locks taken by a run for a certificate or an account.\n"
	".TP\n"
	".I /var/lib/acmehook\n"
	"The work dir (\\fB\\-\\-work\\-dir\\fR): orders in progress, resumed by the next run.\n"
	".TP\n"
	".I /var/log/acmehook/acmehook.log\n"
	"The log (\\fB\\-\\-logs\\-dir\\fR).\n"
	".SH EXIT STATUS\n"
	".TP\n"
	".B 0\n"
	"Success, or nothing to do.\n"
	".TP\n"
	".B 1\n"
	"An operation failed: the CA refused, a validation or a deploy failed, a file could not\n"
	"be written.\n"
	".TP\n"
	".B 2\n"
	"A usage error: an unknown flag or command, a value out of range, an unreadable\n"
	"configuration.\n"
	".SH ENVIRONMENT\n"
	".TP\n"
	".B ACMEHOOK_CA_BUNDLE\n"
	"Certificates to trust for the CA's TLS instead of the system's;\n"
	"\\fB\\-\\-ca\\-bundle\\fR wins over it.\n"
	".TP\n"
	".B ACMEHOOK_PLUGIN_PATH\n"
	"Directories to load plugins from, separated by colons, instead of the installed\n"
	"plugin directory.\n"
	".TP\n"
	".BR XDG_CONFIG_HOME \", \" XDG_STATE_HOME \", \" HOME\n"
	"Where the directories of a user other than root are.\n"
	".SH SEE ALSO\n"
	".BR certbot (1),\n"
	".BR systemd.timer (5),\n"
	".BR systemctl (1)\n";

static void man(const char *version)
{
	printf(".TH ACMEHOOK 1 \"\" \"acmehook %s\" \"User Commands\"\n", version);
	fputs(head, stdout);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf(".TP\n.B %s\n%s\n", commands[i].name, commands[i].man);
	fputs(".SH OPTIONS\n", stdout);
	settings_man(stdout);
	fputs(tail, stdout);
}

/* How the value of a flag completes, from its metavar: a list of literal
 * words ("ecdsa|rsa"), a directory, a file, or nothing to offer. */
static void value_case(FILE *out, const char *flag, const char *metavar)
{
	bool words = strchr(metavar, '|') != NULL;

	for (const char *p = metavar; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			words = false;
	fprintf(out, "\t%s)\n", flag);
	if (words) {
		fputs("\t\tCOMPREPLY=($(compgen -W '", out);
		for (const char *p = metavar; *p; p++)
			fputc(*p == '|' ? ' ' : *p, out);
		fputs("' -- \"$cur\"))\n", out);
	} else if (strcmp(metavar, "DIR") == 0 || strcmp(metavar, "D") == 0) {
		fputs("\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n", out);
	} else if (strcmp(metavar, "FILE") == 0 || strcmp(metavar, "F") == 0 ||
	           strcmp(metavar, "SCRIPT") == 0) {
		fputs("\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n", out);
	}
	fputs("\t\treturn\n\t\t;;\n", out);
}

/* The completion function: values by the flag before the cursor, flags
 * after a '-', else a command until one is given. */
static int completion(void)
{
	char *buf = NULL, *end;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ret = 1;

	if (!mem)
		goto out;
	settings_words(mem);
	if (fclose(mem) != 0)
		goto out;
	end = buf + len;
	for (char *p = buf; p < end; p++)
		if (*p == '\n')
			*p = '\0';
	fputs("# bash completion for acmehook(1), generated from its option table.\n"
	      "_acmehook()\n"
	      "{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= i\n"
	      "\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tCOMPREPLY=()\n"
	      "\tcase $prev in\n",
	      stdout);
	for (char *p = buf; p < end; p += strlen(p) + 1) {
		char *sp = strchr(p, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		value_case(stdout, p, sp + 1);
		*sp = ' ';
	}
	fputs("\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '",
	      stdout);
	for (char *p = buf; p < end; p += strlen(p) + 1)
		if (p[0] == '-' && p[1] == '-')
			printf("%s%.*s", p == buf ? "" : " ", (int)strcspn(p, " |"), p);
	fputs("' -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tcase ${COMP_WORDS[i]} in\n"
	      "\t\t",
	      stdout);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("%s%s", i ? "|" : "", commands[i].name);
	fputs(") return ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tCOMPREPLY=($(compgen -W '",
	      stdout);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("%s%s", i ? " " : "", commands[i].name);
	fputs("' -- \"$cur\"))\n"
	      "}\n"
	      "complete -F _acmehook acmehook\n",
	      stdout);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "man") == 0) {
		man(argv[2]);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc == 2 && strcmp(argv[1], "bash-completion") == 0)
		return completion();
	fputs("usage: acmehook-gendocs man VERSION | bash-completion\n", stderr);
	return 2;
}
