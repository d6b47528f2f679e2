/* Settings: certbot's positional -w/--webroot, aliases, cli.ini,
 * precedence, defaults, checks, settings_load, --help, renewal files and
 * route encoding. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf/settings.h"
#include "conf/renewal.h"
#include "store/store.h"

static int parse(struct settings *s, struct error *e, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"acmehook";
	for (size_t i = 0; args[i]; i++)
		argv[argc++] = (char *)args[i];
	settings_init(s);
	err_clear(e);
	return settings_from_argv(s, argc, argv, e);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* settings_load with ARGS after the program name. */
static int load(struct settings *cli, struct settings *ini, struct error *e,
                const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"acmehook";
	for (size_t i = 0; args[i]; i++)
		argv[argc++] = (char *)args[i];
	err_clear(e);
	return settings_load(cli, ini, argc, argv, e);
}

/* Aliases act as their option; the defaults come from the option table. */
static void test_table(void)
{
	struct settings s;
	struct error e = {0};
	const char *a[] = {"certonly",         "--domain",    "x.example", "--renew-hook",
	                   "reload",           "--test-cert", "--noninteractive",
	                   "--renew-by-default", "--keep",    "--dns-propagation-seconds", "0",
	                   NULL};

	CHECK(parse(&s, &e, a) == 0);
	CHECK(s.n_domains == 1);
	CHECK_STR(s.deploy_hook, "reload");
	CHECK_STR(s.server, "letsencrypt-staging");
	CHECK(s.non_interactive == 1 && s.force_renewal == 1);
	CHECK(s.dns_propagation_seconds == 0);
	CHECK(s.agree_tos == -1 && s.rsa_key_size == 0 && s.dns_nameserver_port == 0);
	CHECK(settings_defaults(&s, &e) == 0);
	CHECK(s.agree_tos == 0 && s.rsa_key_size == 2048 && s.dns_nameserver_port == 53);
	CHECK(s.dns_propagation_timeout == 120 && s.dns_propagation_seconds == 0);
	CHECK_STR(s.dns_propagation, "none");
	CHECK_STR(s.key_type, "ecdsa");
	CHECK_STR(s.elliptic_curve, "secp256r1");
	CHECK_STR(s.eab_hmac_alg, "HS256");
	CHECK(s.account_key_type == NULL);
	settings_free(&s);
	{
		const char *b[] = {"certonly", "--dns-propagation-timeout", "0", NULL};
		CHECK(parse(&s, &e, b) < 0 && strstr(e.msg, "--dns-propagation-timeout"));
		settings_free(&s);
	}
	{
		const char *b[] = {"certonly", "--agree-tos=yes", NULL};
		CHECK(parse(&s, &e, b) < 0 && strstr(e.msg, "takes no value"));
		settings_free(&s);
	}
}

/* Values checked before any network work, each naming the value. */
static void test_check(void)
{
	static const struct {
		const char *flag, *value, *want;
	} bad[] = {
		{"--key-type", "dsa", "dsa"},
		{"--elliptic-curve", "secp521r1", "secp521r1"},
		{"--rsa-key-size", "1024", "1024"},
		{"--account-key-type", "ec521", "ec521"},
		{"--eab-hmac-alg", "HS1", "HS1"},
		{"--reason", "because", "because"},
		{"--eab-kid", "kid-1", "--eab-hmac-key"},
	};
	struct settings s;
	struct error e = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a[] = {"revoke", bad[i].flag, bad[i].value, NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK(settings_check(&s, &e) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, bad[i].want) != NULL);
		settings_free(&s);
	}
	{
		/* The key is named by its length, never echoed. */
		const char *a[] = {"certonly", "--eab-kid", "k", "--eab-hmac-key", "not*b64", NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK(settings_check(&s, &e) < 0 && strstr(e.msg, "7 characters"));
		CHECK(strstr(e.msg, "not*b64") == NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly",   "--key-type", "RSA",       "--rsa-key-size", "4096",
		                   "--eab-kid",  "k",          "--eab-hmac-key", "c2VjcmV0", NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK(settings_check(&s, &e) == 0);
		settings_free(&s);
	}
}

/* settings_load: -c must exist, the default cli.ini may be missing, a
 * config-dir in cli.ini moves everything, and both sources are checked. */
static void test_load(const char *dir)
{
	struct settings cli, ini;
	struct error e = {0};
	char ini_path[PATH_MAX], missing[PATH_MAX], other[PATH_MAX];

	snprintf(ini_path, sizeof(ini_path), "%s/cli.ini", dir);
	snprintf(missing, sizeof(missing), "%s/missing.ini", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	unlink(ini_path);
	{
		const char *a[] = {"certonly", "--config-dir", dir, NULL};
		CHECK(load(&cli, &ini, &e, a) == 0);
		CHECK(ini.email == NULL && cli.config_file == NULL);
		settings_free(&cli);
		settings_free(&ini);
	}
	{
		const char *a[] = {"certonly", "-c", missing, NULL};
		CHECK(load(&cli, &ini, &e, a) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, missing) != NULL);
		CHECK(cli.command == NULL); /* left empty on failure */
		settings_free(&cli);
		settings_free(&ini);
	}
	{
		/* Help needs no configuration, not even a readable one. */
		const char *a[] = {"--help", "-c", missing, NULL};
		CHECK(load(&cli, &ini, &e, a) == 0);
		CHECK_STR(cli.command, "help");
		settings_free(&cli);
		settings_free(&ini);
	}
	write_file(ini_path, "email = ini@example.com\n");
	{
		char cfg[PATH_MAX + 16];
		const char *a[] = {"certonly", cfg, NULL};
		snprintf(cfg, sizeof(cfg), "--config-dir=%s", dir);
		CHECK(load(&cli, &ini, &e, a) == 0);
		CHECK_STR(ini.email, "ini@example.com");
		settings_free(&cli);
		settings_free(&ini);
	}
	{
		char text[PATH_MAX + 32];
		const char *a[] = {"certonly", "-c", ini_path, NULL};
		snprintf(text, sizeof(text), "config-dir = %s\n", other);
		write_file(ini_path, text);
		CHECK(load(&cli, &ini, &e, a) == 0);
		CHECK_STR(cli.config_dir, other);
		settings_free(&cli);
		settings_free(&ini);
	}
	{
		const char *a[] = {"certonly", "-c", ini_path, NULL};
		write_file(ini_path, "key-type = dsa\n");
		CHECK(load(&cli, &ini, &e, a) < 0 && strstr(e.msg, "dsa"));
		settings_free(&cli);
		settings_free(&ini);
	}
	{
		const char *a[] = {"certonly", "-c", ini_path, "--reason", "nope", NULL};
		write_file(ini_path, "email = ini@example.com\n");
		CHECK(load(&cli, &ini, &e, a) < 0 && strstr(e.msg, "nope"));
		settings_free(&cli);
		settings_free(&ini);
	}
	unlink(ini_path);
}

/* --help lists every group and the options under it, not the aliases. */
static void test_help(const char *dir)
{
	char path[PATH_MAX], *text = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/help.txt", dir);
	f = fopen(path, "w+");
	CHECK(f != NULL);
	if (!f)
		return;
	settings_help(f);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	CHECK(text && fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	unlink(path);
	if (!text)
		return;
	CHECK(strstr(text, "validation (positional") && strstr(text, "\ndns-01:\n"));
	CHECK(strstr(text, "\ndeployment:\n") && strstr(text, "common options"));
	CHECK(strstr(text, "  -w, --webroot-path DIR  "));
	CHECK(strstr(text, "  --dns-propagation-seconds N\n"));
	CHECK(strstr(text, "--eab-hmac-key KEY") && strstr(text, "--deploy-script-credentials"));
	CHECK(strstr(text, "-v, --verbose") && strstr(text, "-h, --help"));
	CHECK(strstr(text, "renew-hook") == NULL && strstr(text, "no-eff-email") == NULL);
	free(text);
}

/* Relative paths become absolute against the current directory, with "."
 * and ".." resolved as the shell's cd does; absolute ones stay as given. */
static void test_absolute_paths(void)
{
	struct settings s;
	struct route r = {0};
	struct error e = {0};
	char cwd[PATH_MAX], want[PATH_MAX + 64], parent[PATH_MAX];
	char *slash;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(parent, sizeof(parent), "%s", cwd);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	settings_init(&s);
	s.config_dir = strdup("a/../b/./c/");
	s.work_dir = strdup(".");
	s.logs_dir = strdup("../logs");
	s.ca_bundle = strdup("/etc/ssl/ca.pem");
	CHECK(route_set_opt(&r, "webroot-path", "./www") == 0);
	CHECK(route_set_opt(&r, "propagation", "fast") == 0);
	r.plugin = strdup("webroot");
	CHECK(settings_add_domain(&s, "a.example", &r, &e) == 0);
	CHECK(settings_absolute_paths(&s, &e) == 0);
	snprintf(want, sizeof(want), "%s/b/c", cwd);
	CHECK_STR(s.config_dir, want);
	CHECK_STR(s.work_dir, cwd);
	snprintf(want, sizeof(want), "%s/logs", parent);
	CHECK_STR(s.logs_dir, want);
	CHECK_STR(s.ca_bundle, "/etc/ssl/ca.pem");
	snprintf(want, sizeof(want), "%s/www", cwd);
	CHECK_STR(route_opt(&s.routes[0], "webroot-path"), want);
	CHECK_STR(route_opt(&s.routes[0], "propagation"), "fast");
	route_free(&r);
	settings_free(&s);
}

/* -d and `domains =` split on commas only, blanks around them trimmed, as
 * certbot does; a name with a blank inside, an empty name or an IP address
 * is refused with the value in the message. */
static void test_domains(const char *dir)
{
	struct settings s;
	struct error e = {0};
	char path[PATH_MAX];

	{
		const char *a[] = {"certonly", "-d", "a.example, b.example ,c.example", "-d",
		                   " d.example\t", NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK(s.n_domains == 4);
		CHECK_STR(s.domains[0], "a.example");
		CHECK_STR(s.domains[1], "b.example");
		CHECK_STR(s.domains[2], "c.example");
		CHECK_STR(s.domains[3], "d.example");
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-d", "a b.example.com", NULL};
		CHECK(parse(&s, &e, a) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "\"a b.example.com\"") != NULL);
		CHECK(s.n_domains == 0);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "--domains=a.example,\tb c.example", NULL};
		CHECK(parse(&s, &e, a) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "\"b c.example\"") != NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-d", "a.example,,b.example", NULL};
		CHECK(parse(&s, &e, a) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "a.example,,b.example") != NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-d", "a.example\nb.example", NULL};
		CHECK(parse(&s, &e, a) < 0 && e.exit_code == EXIT_USAGE);
		settings_free(&s);
	}
	{
		/* Addresses are RFC 8738 identifiers, stored in canonical text. */
		static const char *const ips[][2] = {{"192.0.2.1", "192.0.2.1"},
		                                     {"2001:DB8:0::1", "2001:db8::1"},
		                                     {"[2001:db8::1]", "2001:db8::1"},
		                                     {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
		                                     {"[192.0.2.1]", "192.0.2.1"}};
		for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
			const char *a[] = {"certonly", "-d", ips[i][0], NULL};
			CHECK(parse(&s, &e, a) == 0 && s.n_domains == 1);
			CHECK_STR(s.domains[0], ips[i][1]);
			CHECK(settings_is_ip(ips[i][0]));
			settings_free(&s);
		}
		const char *bad[] = {"certonly", "-d", "2001:db8::1::2", NULL};
		CHECK(parse(&s, &e, bad) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "\"2001:db8::1::2\"") != NULL);
		settings_free(&s);
		const char *idn[] = {"certonly", "-d", "B\xc3\x9c" "cher.example", NULL};
		CHECK(parse(&s, &e, idn) == 0 && s.n_domains == 1);
		CHECK_STR(s.domains[0], "xn--bcher-kva.example");
		settings_free(&s);
		CHECK(!settings_is_ip("192.0.2.1.example"));
		CHECK(!settings_is_ip("1.2.3"));
		CHECK(!settings_is_ip("[a.example]"));
		CHECK(!settings_is_ip("a.example"));
	}
	/* The same rules for cli.ini's domains. */
	snprintf(path, sizeof(path), "%s/domains.ini", dir);
	write_file(path, "domains = x.example, y.example\n");
	settings_init(&s);
	err_clear(&e);
	CHECK(settings_from_ini(&s, path, false, &e) == 0);
	CHECK(s.n_domains == 2);
	CHECK_STR(s.domains[1], "y.example");
	settings_free(&s);
	write_file(path, "domains = x.example y.example\n");
	settings_init(&s);
	err_clear(&e);
	CHECK(settings_from_ini(&s, path, false, &e) < 0 && e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, "\"x.example y.example\"") != NULL);
	settings_free(&s);
	write_file(path, "domains = 192.0.2.7\n");
	settings_init(&s);
	err_clear(&e);
	CHECK(settings_from_ini(&s, path, false, &e) == 0 && s.n_domains == 1);
	CHECK_STR(s.domains[0], "192.0.2.7");
	settings_free(&s);
}

int main(void)
{
	struct settings s, ini, merged;
	struct error e = {0};
	char tmpl[] = "/tmp/ah-config-XXXXXX", path[PATH_MAX];
	char *dir = mkdtemp(tmpl);

	/* -w applies to the -d flags after it; earlier -d take the first -w. */
	{
		const char *a[] = {"certonly", "-d", "early.example", "--webroot", "-w", "/srv/a",
		                   "-d", "a.example", "-w", "/srv/b", "-d", "b.example,c.example",
		                   NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK_STR(s.command, "certonly");
		CHECK(s.n_domains == 4);
		CHECK_STR(route_opt(&s.routes[0], "webroot-path"), "/srv/a");
		CHECK_STR(s.routes[0].plugin, "webroot");
		CHECK_STR(route_opt(&s.routes[1], "webroot-path"), "/srv/a");
		CHECK_STR(route_opt(&s.routes[2], "webroot-path"), "/srv/b");
		CHECK_STR(s.domains[3], "c.example");
		CHECK_STR(route_opt(&s.routes[3], "webroot-path"), "/srv/b");
		settings_free(&s);
	}
	/* Mixed authenticators: each flag applies to the -d after it. */
	{
		const char *a[] = {"certonly", "--webroot", "-w", "/srv/www", "-d", "www.example",
		                   "--dns-rfc2136", "--dns-rfc2136-credentials", "/etc/r.ini", "-d",
		                   "example", "-d", "*.example", "--dns-lua", "/p.lua",
		                   "--dns-lua-credentials", "/p.ini", "-d", "lua.example",
		                   "--deploy-script", "/d.lua", "--deploy-script-credentials", "/d.ini",
		                   "--dns-resolver", "127.0.0.1:5300,127.0.0.2", NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK(s.n_domains == 4);
		CHECK_STR(s.routes[0].plugin, "webroot");
		CHECK_STR(s.routes[1].plugin, "dns-rfc2136");
		CHECK_STR(route_opt(&s.routes[2], "credentials"), "/etc/r.ini");
		CHECK(route_opt(&s.routes[2], "webroot-path") == NULL);
		CHECK_STR(s.routes[3].plugin, "dns-lua");
		CHECK_STR(route_opt(&s.routes[3], "script"), "/p.lua");
		CHECK_STR(route_opt(&s.routes[3], "credentials"), "/p.ini");
		CHECK(s.n_deploys == 1);
		CHECK_STR(route_opt(&s.deploys[0], "credentials"), "/d.ini");
		CHECK(s.dns_resolvers && s.dns_resolvers[1] && !s.dns_resolvers[2]);
		CHECK_STR(s.dns_resolvers[1], "127.0.0.2");
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "--deploy-script-credentials", "/d.ini", NULL};
		CHECK(parse(&s, &e, a) < 0 && strstr(e.msg, "--deploy-script") != NULL);
		settings_free(&s);
	}
	/* Usage errors name the flag or value. */
	{
		const char *a[] = {"certonly", "--frobnicate", NULL};
		CHECK(parse(&s, &e, a) < 0 && e.exit_code == EXIT_USAGE);
		CHECK(strstr(e.msg, "--frobnicate") != NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-d", NULL};
		CHECK(parse(&s, &e, a) < 0 && strstr(e.msg, "needs a value") != NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-d", "bad name!.example", NULL};
		CHECK(parse(&s, &e, a) < 0 && strstr(e.msg, "name!.example") != NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-d", "--preferred-chain", NULL};
		CHECK(parse(&s, &e, a) < 0 && strstr(e.msg, "--preferred-chain") != NULL);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "--rsa-key-size", "big", NULL};
		CHECK(parse(&s, &e, a) < 0 && strstr(e.msg, "big") != NULL);
		settings_free(&s);
	}
	/* Bundled short flags and --flag=value. */
	{
		const char *a[] = {"renew", "-nv", "--server=globalsign", NULL};
		CHECK(parse(&s, &e, a) == 0);
		CHECK(s.non_interactive == 1 && s.verbose == 1);
		CHECK_STR(config_server_url(s.server),
		          "https://emea.acme.atlas.globalsign.com/directory");
		settings_free(&s);
	}

	/* cli.ini: booleans, empty placeholders, precedence below argv. */
	snprintf(path, sizeof(path), "%s/cli.ini", dir);
	write_file(path, "# comment\nagree-tos = true\nemail = ini@example.com\neab-kid =\n"
	                 "server = https://ca.example/dir\nauthenticator = webroot\n"
	                 "webroot-path = /srv/ini\n");
	settings_init(&ini);
	CHECK(settings_from_ini(&ini, path, false, &e) == 0);
	CHECK(ini.agree_tos == 1);
	CHECK(ini.eab_kid == NULL);
	CHECK_STR(ini.fallback.plugin, "webroot");
	{
		const char *a[] = {"certonly", "-m", "cli@example.com", "-d", "x.example", NULL};
		CHECK(parse(&s, &e, a) == 0);
		settings_init(&merged);
		CHECK(settings_merge(&merged, &s, &e) == 0 && settings_merge(&merged, &ini, &e) == 0);
		CHECK_STR(merged.email, "cli@example.com");
		CHECK_STR(merged.server, "https://ca.example/dir");
		CHECK(merged.agree_tos == 1);
		CHECK_STR(route_opt(&merged.routes[0], "webroot-path"), "/srv/ini");
		settings_free(&merged);
		settings_free(&s);
	}
	settings_free(&ini);
	/* A malformed line is reported as FILE:LINE. */
	write_file(path, "email = a@b.c\nthis line is wrong\n");
	settings_init(&ini);
	err_clear(&e);
	CHECK(settings_from_ini(&ini, path, false, &e) < 0 && e.exit_code == EXIT_USAGE);
	{
		char want[PATH_MAX + 8];
		snprintf(want, sizeof(want), "%s:2", path);
		CHECK(strstr(e.msg, want) != NULL);
	}
	settings_free(&ini);
	write_file(path, "no-such-option = 1\n");
	settings_init(&ini);
	err_clear(&e);
	CHECK(settings_from_ini(&ini, path, false, &e) < 0 && strstr(e.msg, "no-such-option"));
	settings_free(&ini);
	write_file(path, "agree-tos = maybe\n");
	settings_init(&ini);
	err_clear(&e);
	CHECK(settings_from_ini(&ini, path, false, &e) < 0 && strstr(e.msg, "maybe"));
	settings_free(&ini);

	/* cli.ini instances and [routes] patterns. */
	write_file(path, "[instance zone-a]\nplugin = dns-rfc2136\ncredentials = /a.ini\n"
	                 "[instance zone-b]\nplugin = dns-rfc2136\ncredentials = /b.ini\n"
	                 "[routes]\na.example = zone-a\n*.a.example = zone-a\n"
	                 "*.deep.a.example = zone-b\nb.example = zone-b\n");
	settings_init(&ini);
	err_clear(&e);
	CHECK(settings_from_ini(&ini, path, false, &e) == 0);
	CHECK(ini.n_instances == 2 && ini.n_patterns == 4);
	CHECK_STR(settings_pattern_route(&ini, "a.example")->plugin, "zone-a");
	CHECK_STR(settings_pattern_route(&ini, "www.a.example")->plugin, "zone-a");
	CHECK_STR(settings_pattern_route(&ini, "*.a.example")->plugin, "zone-a");
	CHECK_STR(settings_pattern_route(&ini, "x.deep.a.example")->plugin, "zone-b");
	CHECK(settings_pattern_route(&ini, "c.example") == NULL);
	{
		const char *a[] = {"certonly", "-d", "a.example", "-d", "*.a.example", "-d",
		                   "b.example", NULL};
		CHECK(parse(&s, &e, a) == 0);
		settings_init(&merged);
		CHECK(settings_merge(&merged, &s, &e) == 0 && settings_merge(&merged, &ini, &e) == 0);
		CHECK(settings_defaults(&merged, &e) == 0);
		CHECK_STR(merged.routes[0].plugin, "dns-rfc2136");
		CHECK_STR(route_opt(&merged.routes[1], "credentials"), "/a.ini");
		CHECK_STR(route_opt(&merged.routes[2], "credentials"), "/b.ini");
		settings_free(&merged);
		settings_free(&s);
	}
	{
		const char *a[] = {"certonly", "-a", "zone-b", "-d", "x.example", NULL};
		CHECK(parse(&s, &e, a) == 0);
		settings_init(&merged);
		CHECK(settings_merge(&merged, &s, &e) == 0 && settings_merge(&merged, &ini, &e) == 0);
		CHECK(settings_defaults(&merged, &e) == 0);
		CHECK_STR(merged.routes[0].plugin, "dns-rfc2136");
		CHECK_STR(route_opt(&merged.routes[0], "credentials"), "/b.ini");
		settings_free(&merged);
		settings_free(&s);
	}
	settings_free(&ini);
	write_file(path, "[bogus]\nx = y\n");
	settings_init(&ini);
	err_clear(&e);
	CHECK(settings_from_ini(&ini, path, false, &e) < 0 && strstr(e.msg, "bogus"));
	settings_free(&ini);

	/* Routes survive a format/parse round trip, separators included. */
	{
		struct route r = {0}, back = {0};
		char *text;
		r.plugin = strdup("webroot");
		route_set_opt(&r, "webroot-path", "/srv/odd;dir=50%");
		text = route_format(&r);
		CHECK(text != NULL && strchr(text + strlen("webroot; "), ';') == NULL);
		CHECK(route_parse(text, &back) == 0);
		CHECK(route_equal(&r, &back));
		free(text);
		route_free(&r);
		route_free(&back);
	}

	test_table();
	test_check();
	test_load(dir);
	test_help(dir);
	test_absolute_paths();
	test_domains(dir);

	/* Renewal files: what is saved is what is loaded. */
	{
		struct store st;
		const char *a[] = {"certonly", "--webroot", "-w", "/srv/www", "-d", "a.example", "-d",
		                   "b.example", "--key-type", "rsa", "--rsa-key-size", "3072",
		                   "--deploy-hook", "systemctl reload nginx", NULL};
		struct settings back;
		CHECK(store_init(&st, dir, dir, dir, &e) == 0);
		CHECK(parse(&s, &e, a) == 0);
		CHECK(settings_defaults(&s, &e) == 0);
		CHECK(renewal_save(&st, "a.example", &s, "https://ca.example/dir", &e) == 0);
		settings_init(&back);
		CHECK(renewal_load(&st, "a.example", &back, &e) == 0);
		CHECK(back.n_domains == 2);
		CHECK_STR(back.domains[1], "b.example");
		CHECK_STR(route_opt(&back.routes[1], "webroot-path"), "/srv/www");
		CHECK_STR(back.server, "https://ca.example/dir");
		CHECK_STR(back.key_type, "rsa");
		CHECK(back.rsa_key_size == 3072);
		CHECK_STR(back.deploy_hook, "systemctl reload nginx");
		settings_free(&back);
		/* A line break in a value cannot inject a setting. */
		free(s.deploy_hook);
		s.deploy_hook = strdup("x\nserver = https://evil.example/");
		err_clear(&e);
		CHECK(renewal_save(&st, "a.example", &s, "https://ca.example/dir", &e) < 0);
		settings_free(&s);
		store_free(&st);
	}
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0);
	}
	return check_done();
}
