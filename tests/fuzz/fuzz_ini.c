/* cli.ini files, the route lines of renewal files and --webroot-map
 * values. A route that parses must survive format-then-parse unchanged,
 * since renewal files are written by route_format and read back by
 * route_parse; a map that applies routes each of its names to webroot. */
#include <stdbool.h>
#include <string.h>

#include "conf/settings.h"
#include "fuzz_util.h"
#include "conf/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	char *text = fuzz_cstr(data, size);
	struct route r = {0}, back = {0};

	if (fuzz_tempfile(data, size, path, sizeof(path)) == 0) {
		struct settings s;
		struct error e = {0};
		settings_init(&s);
		(void)settings_from_ini(&s, path, false, &e);
		settings_free(&s);
		unlink(path);
	}

	for (int add = 0; add < 2; add++) {
		struct settings s;
		struct error e = {0};
		settings_init(&s);
		if (add == 0 && settings_add_domain(&s, "example.com", NULL, &e) < 0)
			abort();
		if (settings_webroot_map(&s, text, add == 1, &e) == 0)
			for (size_t i = 0; i < s.n_domains; i++)
				if (add == 1 && (!s.routes[i].plugin ||
				                 strcmp(s.routes[i].plugin, "webroot") != 0 ||
				                 !route_opt(&s.routes[i], "webroot-path")))
					abort();
		settings_free(&s);
	}

	if (route_parse(text, &r) == 0) {
		char *line = route_format(&r);
		if (!line)
			abort();
		if (route_parse(line, &back) < 0 || !route_equal(&r, &back))
			abort();
		route_free(&back);
		free(line);
		route_free(&r);
	}
	free(text);
	return 0;
}
