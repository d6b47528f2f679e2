/* Paths become absolute as they are read. A renewal file outlives the
 * directory it was made in: `renew` runs from cron, from a timer or from
 * another shell, so a webroot, a credentials file, a script or a directory
 * given relative to where `certonly` ran would name nothing then, and a
 * deploy step would get certificate paths it cannot open. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"

/* The options of a plugin route whose values are paths. */
static const char *const path_opts[] = {"webroot-path", "credentials", "script", NULL};

/* Remove "." and "name/.." components of the absolute PATH in place, as
 * the shell's `cd` does, so a stored path reads as the user meant it. */
static void normalize(char *path)
{
	char *out = path + 1;
	const char *in = path + 1;

	while (*in) {
		const char *end = strchr(in, '/');
		size_t n = end ? (size_t)(end - in) : strlen(in);

		if (n == 0 || (n == 1 && in[0] == '.')) {
			/* an empty or "." component: drop it */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (out > path + 1) {
				out--;
				while (out > path + 1 && out[-1] != '/')
					out--;
			}
		} else {
			memmove(out, in, n);
			out += n;
			*out++ = '/';
		}
		in += n;
		while (*in == '/')
			in++;
	}
	if (out > path + 1)
		out--;
	*out = '\0';
}

/* Make *SLOT absolute against CWD: "./a" and "a" become "CWD/a". */
static int make_absolute(char **slot, const char *cwd, struct error *e)
{
	const char *v = *slot;
	char *abs;
	size_t n;

	if (!v || !*v || v[0] == '/')
		return 0;
	n = strlen(cwd) + 1 + strlen(v) + 1;
	if (n > PATH_MAX)
		return err_set(e, EXIT_USAGE, "path too long: %s/%s", cwd, v);
	if (!(abs = malloc(n)))
		return err_nomem(e);
	snprintf(abs, n, "%s/%s", cwd, v);
	normalize(abs);
	free(*slot);
	*slot = abs;
	return 0;
}

static int route_absolute(struct route *r, const char *cwd, struct error *e)
{
	for (size_t i = 0; r->opts && r->opts[i] && r->opts[i + 1]; i += 2) {
		bool is_path = false;
		for (size_t k = 0; path_opts[k] && !is_path; k++)
			is_path = strcmp(r->opts[i], path_opts[k]) == 0;
		if (is_path && make_absolute(&r->opts[i + 1], cwd, e) < 0)
			return -1;
	}
	return 0;
}

int settings_absolute_paths(struct settings *s, struct error *e)
{
	char cwd[PATH_MAX];
	char **fields[] = {
		&s->config_file, &s->config_dir, &s->work_dir, &s->logs_dir, &s->ca_bundle,
		&s->plugin_dir, &s->csr, &s->cert_path, &s->chain_path, &s->fullchain_path,
		&s->key_path, &s->dns_lua_credentials,
	};

	if (!getcwd(cwd, sizeof(cwd)))
		return err_set_errno(e, EXIT_OP, errno, "cannot tell the current directory: %s",
		                     strerror(errno));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (make_absolute(fields[i], cwd, e) < 0)
			return -1;
	for (size_t i = 0; i < s->n_domains; i++)
		if (route_absolute(&s->routes[i], cwd, e) < 0)
			return -1;
	for (size_t i = 0; i < s->n_deploys; i++)
		if (route_absolute(&s->deploys[i], cwd, e) < 0)
			return -1;
	for (size_t i = 0; i < s->n_instances; i++)
		if (route_absolute(&s->instances[i].r, cwd, e) < 0)
			return -1;
	return route_absolute(&s->fallback, cwd, e);
}
