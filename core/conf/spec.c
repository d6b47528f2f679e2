/* Plugin specifications: copying, comparing, and the one-line text form
 * that renewal files record. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "conf/spec.h"

void route_free(struct route *r)
{
	if (!r)
		return;
	free(r->plugin);
	for (size_t i = 0; r->opts && r->opts[i]; i++)
		free(r->opts[i]);
	free(r->opts);
	free(r->name);
	r->plugin = NULL;
	r->opts = NULL;
	r->name = NULL;
}

int route_copy(struct route *dst, const struct route *src)
{
	struct route r = {0};
	size_t n = 0;
	int ret = -1;

	if ((src->plugin && !(r.plugin = strdup(src->plugin))) ||
	    (src->name && !(r.name = strdup(src->name))))
		goto out;
	while (src->opts && src->opts[n])
		n++;
	if (n) {
		r.opts = calloc(n + 1, sizeof(*r.opts));
		if (!r.opts)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (!(r.opts[i] = strdup(src->opts[i])))
				goto out;
	}
	*dst = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
out:
	route_free(&r);
	return ret;
}

const char *route_opt(const struct route *r, const char *key)
{
	for (size_t i = 0; r->opts && r->opts[i] && r->opts[i + 1]; i += 2)
		if (strcmp(r->opts[i], key) == 0)
			return r->opts[i + 1];
	return NULL;
}

int route_set_opt(struct route *r, const char *key, const char *value)
{
	size_t n = 0;
	char **no, *v;

	for (size_t i = 0; r->opts && r->opts[i] && r->opts[i + 1]; i += 2) {
		if (strcmp(r->opts[i], key) == 0) {
			if (!(v = strdup(value)))
				return -1;
			free(r->opts[i + 1]);
			r->opts[i + 1] = v;
			return 0;
		}
	}
	while (r->opts && r->opts[n])
		n++;
	no = realloc(r->opts, (n + 3) * sizeof(*no));
	if (!no)
		return -1;
	r->opts = no;
	no[n] = strdup(key);
	no[n + 1] = strdup(value);
	no[n + 2] = NULL;
	if (!no[n] || !no[n + 1]) {
		free(no[n]);
		free(no[n + 1]);
		no[n] = NULL;
		return -1;
	}
	return 0;
}

bool route_equal(const struct route *a, const struct route *b)
{
	size_t na = 0, nb = 0;

	if ((a->plugin == NULL) != (b->plugin == NULL))
		return false;
	if (a->plugin && strcmp(a->plugin, b->plugin) != 0)
		return false;
	if ((a->name == NULL) != (b->name == NULL) || (a->name && strcmp(a->name, b->name) != 0))
		return false;
	while (a->opts && a->opts[na])
		na++;
	while (b->opts && b->opts[nb])
		nb++;
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i += 2) {
		const char *v = route_opt(b, a->opts[i]);
		if (!v || strcmp(v, a->opts[i + 1]) != 0)
			return false;
	}
	return true;
}

/* --- the one-line form --------------------------------------------------- */

static int put_encoded(struct buf *b, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		int rc = (*p == '%' || *p == ';' || *p == '=' || *p == '[' || *p == ']' || *p < 0x20 ||
		          *p == 0x7f ||
		          (p == (const unsigned char *)v && *p == ' ') || (!p[1] && *p == ' '))
		                 ? buf_printf(b, "%%%02X", *p)
		                 : buf_append(b, p, 1);
		if (rc < 0)
			return -1;
	}
	return 0;
}

char *route_format(const struct route *r)
{
	struct buf b = {0};
	char *ret = NULL;

	if (!r->plugin || buf_puts(&b, r->plugin) < 0)
		goto out;
	if (r->name && (buf_puts(&b, "[") < 0 || put_encoded(&b, r->name) < 0 || buf_puts(&b, "]") < 0))
		goto out;
	for (size_t i = 0; r->opts && r->opts[i] && r->opts[i + 1]; i += 2)
		if (buf_puts(&b, "; ") < 0 || put_encoded(&b, r->opts[i]) < 0 ||
		    buf_puts(&b, "=") < 0 || put_encoded(&b, r->opts[i + 1]) < 0)
			goto out;
	ret = buf_steal(&b);
out:
	buf_free(&b);
	return ret;
}

static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static void trim_span(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

int route_parse(const char *text, struct route *r)
{
	struct route out = {0};
	const char *p = text;
	int ret = -1;

	for (bool first = true; p; first = false) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		const char *seg = p;

		trim_span(&seg, &n);
		if (first) {
			const char *br = memchr(seg, '[', n);
			if (n == 0)
				goto out;
			/* "PLUGIN[NAME]": the instance name, encoded like values. */
			if (br) {
				if (seg[n - 1] != ']' || br == seg || br + 2 == seg + n ||
				    !(out.name = decode(br + 1, (size_t)(seg + n - 1 - br - 1))) ||
				    !*out.name)
					goto out;
				n = (size_t)(br - seg);
			}
			if (!(out.plugin = strndup(seg, n)))
				goto out;
		} else if (n) {
			const char *eq = memchr(seg, '=', n);
			char *k, *v;
			int rc;
			if (!eq)
				goto out;
			k = decode(seg, (size_t)(eq - seg));
			v = decode(eq + 1, n - (size_t)(eq - seg) - 1);
			rc = (k && v && *k) ? route_set_opt(&out, k, v) : -1;
			free(k);
			free(v);
			if (rc < 0)
				goto out;
		}
		p = semi ? semi + 1 : NULL;
	}
	*r = out;
	memset(&out, 0, sizeof(out));
	ret = 0;
out:
	route_free(&out);
	return ret;
}
