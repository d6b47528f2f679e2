/* The INI-style reader: one pass over the file, one callback a setting. */
#include <ctype.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/ini.h"
#include "conf/trust.h"
#include "store/store.h"

static char *trim(char *p)
{
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return p;
}

/* "[name]" and "[[name]]" both set the section to "name". */
static int section_header(char *t, const char *origin, char *section, size_t cap,
                          struct error *e)
{
	size_t n = strlen(t);
	char *inner = t;

	while (*inner == '[')
		inner++;
	if (t[n - 1] != ']')
		return err_set(e, EXIT_USAGE, "%s: malformed section header \"%s\"", origin, t);
	while (n > 0 && t[n - 1] == ']')
		t[--n] = '\0';
	snprintf(section, cap, "%s", trim(inner));
	return 0;
}

int ini_parse_text(const char *path, char *data, ini_fn fn, void *ud, struct error *e)
{
	char section[64] = "";
	int ret = -1, lineno = 0;
	char *line, *next;

	for (line = data; line; line = next) {
		char origin[PATH_MAX + 16], *eq, *key, *val, *t;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		t = trim(line);
		if (*t == '\0' || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			if (section_header(t, origin, section, sizeof(section), e) < 0)
				goto out;
			continue;
		}
		eq = strchr(t, '=');
		if (!eq) {
			err_set(e, EXIT_USAGE, "%s: expected \"key = value\", got \"%s\"", origin, t);
			goto out;
		}
		*eq = '\0';
		key = trim(t);
		val = trim(eq + 1);
		if (!*key) {
			err_set(e, EXIT_USAGE, "%s: missing key before '='", origin);
			goto out;
		}
		if (fn(ud, section, key, val, origin, e) < 0)
			goto out;
	}
	ret = 0;
out:
	return ret;
}

static int parse(const char *path, bool trusted, ini_fn fn, void *ud, struct error *e)
{
	char *data = NULL;
	size_t len = 0;
	int ret;

	if ((trusted ? conf_read_trusted(path, 1 << 20, &data, &len, e)
	             : store_read(path, 1 << 20, &data, &len, e)) < 0)
		return -1;
	ret = ini_parse_text(path, data, fn, ud, e);
	/* Line ends were overwritten with NULs, so strlen would stop at the
	 * first line: wipe the whole length read. */
	OPENSSL_cleanse(data, len);
	free(data);
	return ret;
}

int ini_parse(const char *path, ini_fn fn, void *ud, struct error *e)
{
	return parse(path, false, fn, ud, e);
}

int ini_parse_trusted(const char *path, ini_fn fn, void *ud, struct error *e)
{
	return parse(path, true, fn, ud, e);
}
