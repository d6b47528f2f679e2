/* configobj's syntax (see configobj.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/configobj.h"
#include "conf/internal.h"

#define SECT_MAX 128

void cobj_free(struct cobj_file *f)
{
	for (size_t i = 0; f && i < f->n; i++) {
		free(f->l[i].text);
		free(f->l[i].sect);
		free(f->l[i].key);
		free(f->l[i].value);
	}
	if (f)
		free(f->l);
}

static char *trim(char *p)
{
	char *end;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return p;
}

/* "[name]" at depth 1, "[[name]]" at 2 ...: the path of the new section
 * from the path of the one before (PATH, updated in place). */
static int section_path(char *t, char *path, const char *origin, struct error *e)
{
	size_t open = strspn(t, "["), close = 0, n = strlen(t), depth = 0, keep = 0;
	size_t plen = strlen(path);
	char *name, up[SECT_MAX];

	while (close < n && t[n - 1 - close] == ']')
		close++;
	if (open != close || n <= open + close)
		return err_set(e, EXIT_USAGE, "%s: malformed section header \"%.80s\"", origin, t);
	t[n - close] = '\0';
	name = trim(t + open);
	if (!*name || strpbrk(name, "[]/\"'#"))
		return err_set(e, EXIT_USAGE, "%s: malformed section name \"%.80s\"", origin, name);
	/* configobj allows a section one level deeper than the one before,
	 * or any level up to it: keep the first OPEN - 1 parts of the path. */
	for (size_t i = 0; plen && i <= plen; i++)
		if ((path[i] == '/' || path[i] == '\0') && ++depth == open - 1)
			keep = i;
	if (open > depth + 1)
		return err_set(e, EXIT_USAGE, "%s: section [%s] is nested too deep", origin, name);
	snprintf(up, sizeof(up), "%.*s", (int)keep, path);
	if ((size_t)snprintf(path, SECT_MAX, "%s%s%s", up, keep ? "/" : "", name) >= SECT_MAX)
		return err_set(e, EXIT_USAGE, "%s: section path too long", origin);
	return 0;
}

int cobj_parse(const char *text, const char *path, struct cobj_file *out, struct error *e)
{
	struct cobj_file f = {0};
	char sect[SECT_MAX] = "", origin[PATH_MAX + 16];
	const char *line = text, *next;
	int lineno = 0;

	for (; line && *line; line = next) {
		struct cobj_line *nl, *l;
		char *work = NULL, *t, *eq;
		size_t len;

		next = strchr(line, '\n');
		len = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		nl = realloc(f.l, (f.n + 1) * sizeof(*nl));
		if (!nl)
			goto nomem;
		f.l = nl;
		l = &f.l[f.n];
		memset(l, 0, sizeof(*l));
		if (!(l->text = strndup(line, len)) || !(work = strdup(l->text))) {
			free(l->text);
			goto nomem;
		}
		f.n++;
		t = trim(work);
		if (*t == '[') {
			if (section_path(t, sect, origin, e) < 0) {
				free(work);
				goto fail;
			}
			l->header = true;
		} else if (*t && *t != '#') {
			eq = strchr(t, '=');
			if (!eq || eq == t) {
				err_set(e, EXIT_USAGE, "%s: expected \"key = value\", got \"%.80s\"", origin, t);
				free(work);
				goto fail;
			}
			*eq = '\0';
			if (!(l->key = strdup(trim(t))) || !(l->value = strdup(trim(eq + 1)))) {
				free(work);
				goto nomem;
			}
		}
		free(work);
		if (!(l->sect = strdup(sect)))
			goto nomem;
	}
	*out = f;
	return 0;
nomem:
	err_nomem(e);
fail:
	cobj_free(&f);
	return -1;
}

/* --- values -------------------------------------------------------------- */

/* Decode a configobj value into its items. *LIST tells whether it was a
 * list ("a," and "a, b" are; "a" is not). Multi-line values are refused. */
int cobj_decode(const char *raw, char ***items, bool *list, const char *where,
                struct error *e)
{
	char **v = NULL;
	const char *p = raw;
	bool is_list = false;

	if (strncmp(p, "\"\"\"", 3) == 0 || strncmp(p, "'''", 3) == 0) {
		const char *q = p[0] == '"' ? "\"\"\"" : "'''", *end = p + 2, *rest;
		char *item;
		/* The value ends at the first closing quotes followed by nothing
		 * but a comment: a value may end in a quote itself ("''''"). */
		while ((end = strstr(end + 1, q)) != NULL) {
			rest = end + 3 + strspn(end + 3, " \t");
			if (!*rest || *rest == '#')
				break;
		}
		if (!end || end < p + 3)
			return err_set(e, EXIT_USAGE, "%s: multi-line or malformed quoted value", where);
		if (!(item = strndup(p + 3, (size_t)(end - p - 3))) || conf_strv_push(&v, item) < 0) {
			free(item);
			conf_strv_free(v);
			return err_nomem(e);
		}
		free(item);
		*items = v;
		*list = false;
		return 0;
	}
	for (;;) {
		const char *start, *end;
		char *item;
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#')
			break;
		if (*p == '"' || *p == '\'') {
			start = p + 1;
			end = strchr(start, *p);
			if (!end)
				goto bad;
			p = end + 1;
		} else if (*p == ',') {
			if (!v && !is_list) {
				/* "," alone is the empty list. */
				is_list = true;
				p++;
				if (*(p + strspn(p, " \t")) && *(p + strspn(p, " \t")) != '#')
					goto bad;
				break;
			}
			goto bad;
		} else {
			start = p;
			end = p + strcspn(p, ",#");
			while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			p = end;
		}
		if (!(item = strndup(start, (size_t)(end - start))) || conf_strv_push(&v, item) < 0) {
			free(item);
			conf_strv_free(v);
			return err_nomem(e);
		}
		free(item);
		p += strspn(p, " \t");
		if (*p == ',') {
			is_list = true;
			p++;
		} else if (*p && *p != '#') {
			goto bad;
		} else {
			break;
		}
	}
	if (!v && !is_list && conf_strv_push(&v, "") < 0)
		return err_nomem(e);
	if (!v && !(v = calloc(1, sizeof(*v))))
		return err_nomem(e);
	*items = v;
	*list = is_list;
	return 0;
bad:
	conf_strv_free(v);
	return err_set(e, EXIT_USAGE, "%s: malformed value \"%.80s\"", where, raw);
}

/* One value of KEY: a single item, or NULL for certbot's "None". */
int cobj_single(const struct cobj_line *l, const char *where, char **out, struct error *e)
{
	char **v = NULL;
	bool list;

	if (cobj_decode(l->value, &v, &list, where, e) < 0)
		return -1;
	if (list || !v[0] || v[1]) {
		conf_strv_free(v);
		return err_set(e, EXIT_USAGE, "%s: %s takes one value, not a list", where, l->key);
	}
	*out = strcmp(v[0], "None") == 0 ? NULL : v[0];
	if (!*out)
		free(v[0]);
	free(v);
	return 0;
}

/* Append VALUE as configobj writes it, quoted when it must be. */
static int cobj_quote(struct buf *b, const char *v)
{
	size_t n = strlen(v);
	bool plain = n > 0 && !strchr(" \t\"'", v[0]) && !strchr(" \t\"'", v[n - 1]) &&
	             !strpbrk(v, ",#");

	if (plain)
		return buf_puts(b, v);
	if (!strchr(v, '"'))
		return buf_printf(b, "\"%s\"", v);
	if (!strchr(v, '\''))
		return buf_printf(b, "'%s'", v);
	return buf_printf(b, "\"\"\"%s\"\"\"", v);
}

int cobj_put(struct buf *b, const char *key, const char *v, struct error *e)
{
	if (!v)
		return 0;
	if (strpbrk(v, "\r\n") || strstr(v, "\"\"\""))
		return err_set(e, EXIT_USAGE, "cannot record %s in the renewal file: its value has a "
		                              "line break or three double quotes",
		               key);
	if (buf_printf(b, "%s = ", key) < 0 || cobj_quote(b, v) < 0 || buf_puts(b, "\n") < 0)
		return err_nomem(e);
	return 0;
}

int cobj_put_int(struct buf *b, const char *key, long v, struct error *e)
{
	return buf_printf(b, "%s = %ld\n", key, v) < 0 ? err_nomem(e) : 0;
}

/* KEY = a, b, ... as a list ("a," for one item). */
int cobj_put_list(struct buf *b, const char *key, char *const *items, struct error *e)
{
	if (buf_printf(b, "%s = ", key) < 0)
		return err_nomem(e);
	for (size_t i = 0; items && items[i]; i++) {
		if (strpbrk(items[i], "\r\n") || strstr(items[i], "\"\"\""))
			return err_set(e, EXIT_USAGE, "cannot record %s in the renewal file: \"%.80s\"", key,
			               items[i]);
		if ((i && buf_puts(b, ", ") < 0) || cobj_quote(b, items[i]) < 0)
			return err_nomem(e);
	}
	return buf_puts(b, (items && items[0] && items[1]) ? "\n" : ",\n") < 0 ? err_nomem(e) : 0;
}

/* The value of KEY in section SECT, borrowed, or NULL. */
const struct cobj_line *cobj_find(const struct cobj_file *f, const char *sect, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->l[i].key && strcmp(f->l[i].sect, sect) == 0 && strcmp(f->l[i].key, key) == 0)
			return &f->l[i];
	return NULL;
}

