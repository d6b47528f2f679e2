/* certbot's --webroot-map: a JSON object whose keys are names (a comma
 * list each) and whose values are their webroots, e.g.
 *   {"example.com,www.example.com": "/var/www/a", "other.com": "/var/www/b"}
 * On the command line it implies -d for each name, as in certbot; read
 * from a file (the settings field webroot_map) it only gives webroots to
 * names that have no other route. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "conf/settings.h"

#define MAX_MAP_LEN (64 << 10)

/* Give name NAME the webroot route R: replace its route when ADD_NAMES
 * (the command line, where the map is as explicit as -w), else only fill
 * a route that names no plugin, or webroot without a path. */
static int route_name(struct settings *s, const char *name, const struct route *r,
                      bool add_names, struct error *e)
{
	for (size_t i = 0; i < s->n_domains; i++) {
		struct route *cur = &s->routes[i];
		struct route c = {0};
		bool gap = !cur->plugin ||
		           (strcmp(cur->plugin, "webroot") == 0 && !route_opt(cur, "webroot-path"));

		if (strcasecmp(s->domains[i], name) != 0)
			continue;
		if (!add_names && !gap)
			return 0;
		if (route_copy(&c, r) < 0)
			return err_nomem(e);
		route_free(cur);
		*cur = c;
		return 0;
	}
	return add_names ? settings_add_domain(s, name, r, e) : 0;
}

/* One "names": "webroot" member. */
static int map_member(struct settings *s, const cJSON *m, bool add_names, struct error *e)
{
	struct route r = {0};
	char *names = NULL, *save = NULL;
	int ret = -1;

	if (!cJSON_IsString(m) || !m->valuestring[0]) {
		err_set(e, EXIT_USAGE, "--webroot-map: the webroot of \"%s\" is not a path",
		        m->string);
		goto out;
	}
	if (!(r.plugin = strdup("webroot")) || route_set_opt(&r, "webroot-path", m->valuestring) < 0 ||
	    !(names = strdup(m->string))) {
		err_nomem(e);
		goto out;
	}
	/* Names are split at commas only, as certbot does; blanks around
	 * them go, blanks inside make a bad name that is reported whole. */
	for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		size_t len;
		n += strspn(n, " \t");
		len = strlen(n);
		while (len && (n[len - 1] == ' ' || n[len - 1] == '\t'))
			n[--len] = '\0';
		if (!len)
			continue;
		if (settings_check_domain(n, "--webroot-map", e) < 0 ||
		    route_name(s, n, &r, add_names, e) < 0)
			goto out;
	}
	ret = 0;
out:
	free(names);
	route_free(&r);
	return ret;
}

int settings_webroot_map(struct settings *s, const char *json, bool add_names, struct error *e)
{
	cJSON *o = NULL;
	const cJSON *m;
	int ret = -1;

	if (strlen(json) > MAX_MAP_LEN)
		return err_set(e, EXIT_USAGE, "--webroot-map is longer than %d bytes", MAX_MAP_LEN);
	o = cJSON_Parse(json);
	if (!cJSON_IsObject(o)) {
		err_set(e, EXIT_USAGE, "--webroot-map is not a JSON object of names and webroots, "
		                       "such as {\"example.com,www.example.com\": \"/var/www/a\"}: %.80s",
		        json);
		goto out;
	}
	cJSON_ArrayForEach(m, o)
		if (map_member(s, m, add_names, e) < 0)
			goto out;
	ret = 0;
out:
	cJSON_Delete(o);
	return ret;
}
