/* cli.ini files and the route lines of renewal files. A route that
 * parses must survive format-then-parse unchanged, since renewal files
 * are written by route_format and read back by route_parse. */
#include <stdbool.h>

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
