/* The option table and the parsers that use it: the command line, one
 * "key = value" of a file, and the option lines of --help. The rows come
 * from conf/options.def. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/internal.h"
#include "conf/settings.h"

#define HELP_COLUMN 26 /* where the help text of an option starts */

enum opt_kind { O_STR, O_SECRET, O_BOOL, O_INT, O_SPECIAL, O_ALIAS, O_COMPAT };

enum special {
	SP_NONE,
	SP_DOMAINS,
	SP_WEBROOT,       /* selects optdef.plugin; in files it takes true/false */
	SP_AUTHENTICATOR,
	SP_VERBOSE,
	SP_QUIET,
	SP_STAGING,
	SP_HELP,
	SP_VERSION,
	SP_PLUGIN,        /* selects optdef.plugin; a value, if any, is option optdef.key */
	SP_PLUGIN_OPT,    /* option optdef.key of the current optdef.plugin route */
	SP_DEPLOY,        /* --deploy-script SCRIPT */
	SP_DEPLOY_OPT,    /* option optdef.key of the last --deploy-script */
	SP_RESOLVER,      /* --dns-resolver, repeatable, comma lists */
};

/* The headings of --help, in order; H_NONE rows are not shown. */
enum help_group { H_NONE, H_VALIDATION, H_DNS, H_DEPLOY, H_COMMON, H_COUNT };

static const char *const group_titles[H_COUNT] = {
	[H_VALIDATION] = "validation (positional: applies to the -d flags after it):",
	[H_DNS] = "dns-01:",
	[H_DEPLOY] = "deployment:",
	[H_COMMON] = "common options (certbot's names):",
};

struct optdef {
	const char *lng;
	char shrt;
	enum opt_kind kind;
	size_t off;           /* into struct settings for O_STR/O_SECRET/O_BOOL/O_INT */
	int min;              /* O_INT */
	enum special sp;      /* O_SPECIAL */
	bool takes_arg;       /* O_SPECIAL */
	const char *plugin;   /* SP_WEBROOT, SP_PLUGIN, SP_PLUGIN_OPT, SP_DEPLOY */
	const char *key;      /* SP_PLUGIN (with a value), SP_PLUGIN_OPT, SP_DEPLOY(_OPT) */
	const char *alias_of; /* O_ALIAS: the long name of the option meant */
	enum help_group group;
	const char *metavar, *help;
};

static const struct optdef options[] = {
#define OPT_STR(l, s, field, dflt, g, mv, h)                                                     \
	{.lng = l, .shrt = s, .kind = O_STR, .off = offsetof(struct settings, field), .group = g, \
	 .metavar = mv, .help = h},
#define OPT_SECRET(l, s, field, g, mv, h)                                                        \
	{.lng = l, .shrt = s, .kind = O_SECRET, .off = offsetof(struct settings, field),         \
	 .group = g, .metavar = mv, .help = h},
#define OPT_BOOL(l, s, field, g, h)                                                              \
	{.lng = l, .shrt = s, .kind = O_BOOL, .off = offsetof(struct settings, field), .group = g, \
	 .help = h},
#define OPT_INT(l, s, field, minimum, unset, dflt, g, mv, h)                                     \
	{.lng = l, .shrt = s, .kind = O_INT, .off = offsetof(struct settings, field),            \
	 .min = minimum, .group = g, .metavar = mv, .help = h},
#define OPT_SPECIAL(l, s, special, value, plug, k, g, mv, h)                                     \
	{.lng = l, .shrt = s, .kind = O_SPECIAL, .sp = special, .takes_arg = value,              \
	 .plugin = plug, .key = k, .group = g, .metavar = mv, .help = h},
#define OPT_ALIAS(l, s, target) {.lng = l, .shrt = s, .kind = O_ALIAS, .alias_of = target},
#define OPT_COMPAT(l) {.lng = l, .kind = O_COMPAT},
#include "conf/options.def"
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const struct optdef *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].lng) == len && strncmp(options[i].lng, name, len) == 0)
			return &options[i];
	return NULL;
}

static const struct optdef *find_short(char c)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].shrt == c)
			return &options[i];
	return NULL;
}

/* The row that says what O does: O itself, or the option it is an alias
 * of. Messages keep the name the user typed. */
static const struct optdef *def_of(const struct optdef *o)
{
	const struct optdef *d = o->kind == O_ALIAS ? find_long(o->alias_of, strlen(o->alias_of))
	                                            : o;

	return d ? d : o;
}

static bool opt_takes_arg(const struct optdef *o)
{
	const struct optdef *d = def_of(o);

	switch (d->kind) {
	case O_STR:
	case O_SECRET:
	case O_INT:
		return true;
	case O_SPECIAL:
		return d->takes_arg;
	default:
		return false;
	}
}

/* Parser state: in argv the authenticator flags are positional (they apply
 * to the -d flags after them); in files they set the fallback route. */
struct parse {
	struct settings *s;
	bool positional;
	struct route cur;           /* argv: the route the next -d gets */
	char *first_webroot;        /* argv: certbot gives it to earlier -d */
};

static int parse_bool(const char *v, const char *origin, const char *key, int *out,
                      struct error *e)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
	    !strcmp(v, "0")) {
		*out = 0;
		return 0;
	}
	return err_set(e, EXIT_USAGE, "%s: %s expects true or false, not \"%s\"", origin, key, v);
}

/* --- applying one option ------------------------------------------------- */

/* A plain option: its value goes into its field. */
static int apply_field(struct settings *s, const struct optdef *o, const struct optdef *d,
                       const char *val, const char *origin, struct error *e)
{
	char *p = (char *)s + d->off;

	switch (d->kind) {
	case O_STR:
	case O_SECRET: {
		char **slot = (char **)(void *)p;
		char *v = strdup(val);
		if (!v)
			return err_nomem(e);
		if (d->kind == O_SECRET)
			conf_free_secret(*slot);
		else
			free(*slot);
		*slot = v;
		return 0;
	}
	case O_BOOL:
		if (val)
			return parse_bool(val, origin, o->lng, (int *)(void *)p, e);
		*(int *)(void *)p = 1;
		return 0;
	case O_INT: {
		char *end = NULL;
		long n;
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno || end == val || *end || n < d->min || n > INT_MAX)
			return err_set(e, EXIT_USAGE, "%s: --%s expects a positive number, not \"%s\"",
			               origin, o->lng, val);
		*(int *)(void *)p = (int)n;
		return 0;
	}
	default:
		return 0;
	}
}

/* Select plugin NAME for TARGET; switching plugins starts a fresh option
 * set, as -w starts a webroot route in certbot. */
static int select_plugin(struct route *target, const char *name)
{
	if (target->plugin && strcmp(target->plugin, name) == 0)
		return 0;
	route_free(target);
	target->plugin = strdup(name);
	return target->plugin ? 0 : -1;
}

/* A deploy step: a --deploy-script (the row names the plugin and takes the
 * script as its option) or an --installer (the value names the plugin or a
 * cli.ini instance, resolved once cli.ini is read). */
static int push_deploy(struct settings *s, const struct optdef *d, const char *val,
                       const char *origin, struct error *e)
{
	struct route r = {0};
	int rc;

	if (!d->plugin && !*val)
		return err_set(e, EXIT_USAGE, "%s: --installer needs a plugin or instance name", origin);
	if (!(r.plugin = strdup(d->plugin ? d->plugin : val)) ||
	    (d->key && route_set_opt(&r, d->key, val) < 0) ||
	    conf_routes_push(&s->deploys, &s->n_deploys, &r) < 0)
		rc = err_nomem(e);
	else
		rc = 0;
	route_free(&r);
	return rc;
}

/* An option of the last deploy step: the row's key (--deploy-script-
 * credentials FILE), or KEY=VALUE (--installer-option). */
static int set_deploy_opt(struct route *r, const struct optdef *d, const char *val,
                          const char *origin, struct error *e)
{
	const char *eq = d->key ? NULL : strchr(val, '=');
	char *key = NULL;
	int rc;

	if (d->key)
		return route_set_opt(r, d->key, val) == 0 ? 0 : err_nomem(e);
	if (!eq || eq == val)
		return err_set(e, EXIT_USAGE, "%s: --installer-option takes KEY=VALUE, not \"%s\"",
		               origin, val);
	if (!(key = strndup(val, (size_t)(eq - val))))
		return err_nomem(e);
	rc = route_set_opt(r, key, eq + 1) == 0 ? 0 : err_nomem(e);
	free(key);
	return rc;
}

/* Options that build routes: authenticators with their options, and
 * deploy steps with theirs. */
static int apply_route(struct parse *ps, const struct optdef *o, const struct optdef *d,
                       const char *val, const char *origin, struct error *e)
{
	struct settings *s = ps->s;
	struct route *target = ps->positional ? &ps->cur : &s->fallback;

	switch (d->sp) {
	case SP_WEBROOT:
	case SP_AUTHENTICATOR: {
		int on = 1;
		/* In files, "webroot = true" selects the plugin like the flag. */
		if (d->sp == SP_WEBROOT && val && parse_bool(val, origin, o->lng, &on, e) < 0)
			return -1;
		if (!on)
			return 0;
		return select_plugin(target, d->sp == SP_WEBROOT ? d->plugin : val) == 0
		               ? 0
		               : err_nomem(e);
	}
	case SP_PLUGIN:
	case SP_PLUGIN_OPT:
		if (select_plugin(target, d->plugin) < 0 ||
		    (val && route_set_opt(target, d->key, val) < 0))
			return err_nomem(e);
		if (d->sp == SP_PLUGIN_OPT && strcmp(d->key, "webroot-path") == 0 && ps->positional &&
		    !ps->first_webroot && !(ps->first_webroot = strdup(val)))
			return err_nomem(e);
		/* `script test` reads the provider's credentials without a route. */
		if (strcmp(d->lng, "dns-lua-credentials") == 0) {
			free(s->dns_lua_credentials);
			if (!(s->dns_lua_credentials = strdup(val)))
				return err_nomem(e);
		}
		return 0;
	case SP_DEPLOY:
		return push_deploy(s, d, val, origin, e);
	case SP_DEPLOY_OPT:
		if (s->n_deploys == 0)
			return err_set(e, EXIT_USAGE, "%s: --%s must follow a --%s", origin, o->lng,
			               d->key ? "deploy-script" : "installer");
		return set_deploy_opt(&s->deploys[s->n_deploys - 1], d, val, origin, e);
	default:
		return 0;
	}
}

/* Split a comma or blank separated VAL and call FN on each word. */
static int each_word(const char *val, int (*fn)(struct parse *, const char *, const char *,
                                                struct error *),
                     struct parse *ps, const char *origin, struct error *e)
{
	char *copy = strdup(val), *save = NULL;
	int rc = 0;

	if (!copy)
		return err_nomem(e);
	for (char *t = strtok_r(copy, ", \t", &save); t && rc == 0; t = strtok_r(NULL, ", \t", &save))
		rc = fn(ps, t, origin, e);
	free(copy);
	return rc;
}

static int add_domain(struct parse *ps, const char *name, const char *origin, struct error *e)
{
	char *form = NULL;
	int rc;

	if (settings_name_form(name, origin, &form, e) < 0)
		return -1;
	rc = settings_add_domain(ps->s, form, ps->positional ? &ps->cur : NULL, e);
	free(form);
	return rc;
}

/* Split a -d value on commas only, as certbot does, with the blanks
 * around each name trimmed: "a.example, b.example" is two names, while
 * "a b.example" stays one name and is refused by the name check instead
 * of quietly becoming two. A value of blanks only adds nothing. */
static int each_domain(struct parse *ps, const char *val, const char *origin, struct error *e)
{
	char *copy = NULL;
	int rc = 0;

	if (val[strspn(val, " \t")] == '\0')
		return 0;
	copy = strdup(val);
	if (!copy)
		return err_nomem(e);
	for (char *t = copy, *next; t && rc == 0; t = next) {
		char *end;
		next = strchr(t, ',');
		if (next)
			*next++ = '\0';
		t += strspn(t, " \t");
		end = t + strlen(t);
		while (end > t && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*t == '\0')
			rc = err_set(e, EXIT_USAGE, "%s: empty name in \"%s\"", origin, val);
		else
			rc = add_domain(ps, t, origin, e);
	}
	free(copy);
	return rc;
}

static int add_resolver(struct parse *ps, const char *addr, const char *origin, struct error *e)
{
	(void)origin;
	return conf_strv_push(&ps->s->dns_resolvers, addr) == 0 ? 0 : err_nomem(e);
}

static int apply(struct parse *ps, const struct optdef *o, const char *val, const char *origin,
                 struct error *e)
{
	const struct optdef *d = def_of(o);
	struct settings *s = ps->s;

	if (d->kind != O_SPECIAL)
		return apply_field(s, o, d, val, origin, e);
	switch (d->sp) {
	case SP_DOMAINS:
		return each_domain(ps, val, origin, e);
	case SP_RESOLVER:
		return each_word(val, add_resolver, ps, origin, e);
	case SP_VERBOSE:
	case SP_QUIET:
		s->verbose += d->sp == SP_VERBOSE ? 1 : -1;
		s->verbose_set = true;
		return 0;
	case SP_STAGING:
		free(s->server);
		s->server = strdup("letsencrypt-staging");
		return s->server ? 0 : err_nomem(e);
	case SP_HELP:
	case SP_VERSION:
		free(s->command);
		s->command = strdup(d->sp == SP_HELP ? "help" : "version");
		return s->command ? 0 : err_nomem(e);
	default:
		return apply_route(ps, o, d, val, origin, e);
	}
}

int settings_apply(struct settings *s, const char *key, const char *value, const char *origin,
                   struct error *e)
{
	char name[64];
	size_t n = strlen(key);
	const struct optdef *o, *d;
	struct parse ps = {.s = s, .positional = false};

	if (n >= sizeof(name))
		return err_set(e, EXIT_USAGE, "%s: unknown option \"%s\"", origin, key);
	for (size_t i = 0; i <= n; i++)
		name[i] = key[i] == '_' ? '-' : key[i];
	o = find_long(name, n);
	if (!o)
		return err_set(e, EXIT_USAGE, "%s: unknown option \"%s\"", origin, key);
	d = def_of(o);
	if (d->kind == O_SPECIAL && (d->sp == SP_HELP || d->sp == SP_VERSION))
		return err_set(e, EXIT_USAGE, "%s: \"%s\" is not a setting", origin, key);
	/* An empty value leaves the setting unset (the seed cli.ini has
	 * "eab-kid =" placeholders). */
	if (!*value)
		return 0;
	if (!opt_takes_arg(o) && d->kind != O_BOOL && !(d->kind == O_SPECIAL && d->sp == SP_WEBROOT)) {
		int on;
		if (parse_bool(value, origin, key, &on, e) < 0)
			return -1;
		if (!on)
			return 0;
		return apply(&ps, o, NULL, origin, e);
	}
	return apply(&ps, o, value, origin, e);
}

/* --- the command line ---------------------------------------------------- */

/* A word that is not a flag: the command, or (for `script` only) one of
 * the words after it. */
static int take_word(struct settings *s, const char *a, struct error *e)
{
	if (!s->command)
		return (s->command = strdup(a)) ? 0 : err_nomem(e);
	if (strcmp(s->command, "script") != 0)
		return err_set(e, EXIT_USAGE, "unexpected argument \"%s\" (the command is %s)", a,
		               s->command);
	return conf_strv_push(&s->args, a) == 0 ? 0 : err_nomem(e);
}

/* The flag at argv[*i], with its value from the same word or the next
 * (then *I moves past it). */
static int take_flag(struct parse *ps, int argc, char **argv, int *i, struct error *e)
{
	const char *a = argv[*i], *val = NULL;
	const struct optdef *o;
	char origin[80];

	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (!(o = find_long(a + 2, len)))
			return err_set(e, EXIT_USAGE, "unknown option %.*s; see acmehook --help",
			               (int)(len + 2), a);
		if (eq && !opt_takes_arg(o))
			return err_set(e, EXIT_USAGE, "option --%s takes no value", o->lng);
		if (eq)
			val = eq + 1;
	} else if (a[2] != '\0' && !(find_short(a[1]) && opt_takes_arg(find_short(a[1])))) {
		/* Bundled short flags such as -nv. */
		for (const char *c = a + 1; *c; c++) {
			o = find_short(*c);
			if (!o || opt_takes_arg(o))
				return err_set(e, EXIT_USAGE, "unknown option -%c in %s", *c, a);
			if (apply(ps, o, NULL, "command line", e) < 0)
				return -1;
		}
		return 0;
	} else {
		if (!(o = find_short(a[1])))
			return err_set(e, EXIT_USAGE, "unknown option %s; see acmehook --help", a);
		if (a[2] != '\0')
			val = a + 2;
	}
	if (opt_takes_arg(o) && !val) {
		if (*i + 1 >= argc)
			return err_set(e, EXIT_USAGE, "option --%s needs a value", o->lng);
		val = argv[++*i];
	}
	snprintf(origin, sizeof(origin), "--%s", o->lng);
	return apply(ps, o, val, origin, e);
}

/* certbot semantics: -d flags before any authenticator take the one given
 * later, and webroot names without -w take the first -w. */
static int finish_routes(struct parse *ps, struct error *e)
{
	struct settings *s = ps->s;

	for (size_t i = 0; i < s->n_domains; i++) {
		struct route *r = &s->routes[i];
		if (!r->plugin && ps->cur.plugin) {
			route_free(r);
			/* A webroot name given before any -w takes the first -w, not
			 * the last, so copy the options only for other plugins. */
			if (strcmp(ps->cur.plugin, "webroot") == 0 ? !(r->plugin = strdup("webroot"))
			                                           : route_copy(r, &ps->cur) < 0)
				return err_nomem(e);
		}
		if (r->plugin && strcmp(r->plugin, "webroot") == 0 && !route_opt(r, "webroot-path") &&
		    ps->first_webroot && route_set_opt(r, "webroot-path", ps->first_webroot) < 0)
			return err_nomem(e);
	}
	if (s->n_domains == 0 && ps->cur.plugin) {
		route_free(&s->fallback);
		s->fallback = ps->cur;
		memset(&ps->cur, 0, sizeof(ps->cur));
	}
	return 0;
}

int settings_from_argv(struct settings *s, int argc, char **argv, struct error *e)
{
	struct parse ps = {.s = s, .positional = true};
	bool opts_done = false;
	int ret = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			if (take_word(s, a, e) < 0)
				goto out;
		} else if (strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (take_flag(&ps, argc, argv, &i, e) < 0) {
			goto out;
		}
	}
	if (finish_routes(&ps, e) < 0)
		goto out;
	ret = 0;
out:
	route_free(&ps.cur);
	free(ps.first_webroot);
	return ret;
}

/* --- --help -------------------------------------------------------------- */

static void help_line(FILE *out, const struct optdef *o)
{
	char left[128];
	int n;

	if (o->shrt)
		n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", o->shrt, o->lng,
		             o->metavar ? " " : "", o->metavar ? o->metavar : "");
	else
		n = snprintf(left, sizeof(left), "  --%s%s%s", o->lng, o->metavar ? " " : "",
		             o->metavar ? o->metavar : "");
	/* A long flag gets its text on the next line rather than a ragged
	 * column; two blanks at least keep flag and text apart. */
	if (n <= HELP_COLUMN - 2)
		fprintf(out, "%-*s", HELP_COLUMN, left);
	else
		fprintf(out, "%s\n%*s", left, HELP_COLUMN, "");
	for (const char *h = o->help; *h;) {
		size_t len = strcspn(h, "\n");
		fprintf(out, "%.*s\n", (int)len, h);
		h += len;
		if (*h == '\n' && *++h)
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
}

void settings_help(FILE *out)
{
	for (int g = H_NONE + 1; g < H_COUNT; g++) {
		fprintf(out, "\n%s\n", group_titles[g]);
		for (size_t i = 0; i < N_OPTIONS; i++)
			if (options[i].group == (enum help_group)g && options[i].help)
				help_line(out, &options[i]);
	}
}

/* --- acmehook(1) and completions ----------------------------------------- */

/* Roff text: a backslash is \e, a hyphen \- (so it prints and searches
 * as a minus) and a double quote \(dq (it would end a quoted macro
 * argument); a '.' or '\'' opening a line would be read as a request, so
 * \& guards it. A '\n' in help text is a line break of --help's
 * column only, so it becomes a blank here. */
static void roff_text(FILE *out, const char *s, bool line_start)
{
	if (line_start && (*s == '.' || *s == '\''))
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '"')
			fputs("\\(dq", out);
		else if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static void man_option(FILE *out, const struct optdef *o)
{
	bool first = true;

	fputs(".TP\n", out);
	if (o->shrt)
		fprintf(out, "\\fB\\-%c\\fR, ", o->shrt);
	fputs("\\fB\\-\\-", out);
	roff_text(out, o->lng, false);
	fputs("\\fR", out);
	if (o->metavar) {
		fputs(" \\fI", out);
		roff_text(out, o->metavar, false);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff_text(out, o->help, true);
	fputs(o->help[0] && o->help[strlen(o->help) - 1] == '.' ? "\n" : ".\n", out);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options[i].kind != O_ALIAS || strcmp(options[i].alias_of, o->lng) != 0)
			continue;
		fputs(first ? "Also \\fB\\-\\-" : ", \\fB\\-\\-", out);
		roff_text(out, options[i].lng, false);
		fputs("\\fR", out);
		first = false;
	}
	if (!first)
		fputs(".\n", out);
}

void settings_man(FILE *out)
{
	bool first = true;

	for (int g = H_NONE + 1; g < H_COUNT; g++) {
		const char *t = group_titles[g];
		size_t len = strlen(t);
		char title[128];

		/* The --help heading without its colon. */
		if (len && t[len - 1] == ':')
			len--;
		snprintf(title, sizeof(title), "%.*s", (int)len, t);
		fputs(".SS \"", out);
		roff_text(out, title, false);
		fputs("\"\n", out);
		for (size_t i = 0; i < N_OPTIONS; i++)
			if (options[i].group == (enum help_group)g && options[i].help)
				man_option(out, &options[i]);
	}
	fputs(".SS \"certbot flags without effect\"\n"
	      "Accepted so existing command lines and \\fIcli.ini\\fR files keep working; "
	      "their behaviour is acmehook's only behaviour:\n", out);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (options[i].kind != O_COMPAT)
			continue;
		fputs(first ? "\\fB\\-\\-" : ", \\fB\\-\\-", out);
		roff_text(out, options[i].lng, false);
		fputs("\\fR", out);
		first = false;
	}
	fputs(".\n", out);
}

void settings_words(FILE *out)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct optdef *o = &options[i], *d = def_of(o);

		fprintf(out, "--%s", o->lng);
		if (o->shrt)
			fprintf(out, "|-%c", o->shrt);
		if (opt_takes_arg(o))
			fprintf(out, " %s", d->metavar ? d->metavar : "VALUE");
		fputc('\n', out);
	}
}
