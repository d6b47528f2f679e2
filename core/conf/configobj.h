/* configobj's syntax, which certbot's renewal files are written in:
 * "key = value" lines, "[section]" and nested "[[subsection]]" headers,
 * '#' comments, values bare or quoted ('...', "...", """..."""), and lists
 * as comma-separated items ("a, b", or "a," for one item). Read line by
 * line, so that a rewrite can keep any line verbatim. */
#ifndef ACMEHOOK_CONF_CONFIGOBJ_H
#define ACMEHOOK_CONF_CONFIGOBJ_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* One line of the file. KV lines know their section's path: "" (top),
 * "renewalparams", "renewalparams/webroot_map", "acmehook", ... */
struct cobj_line {
	char *text;          /* the line as written, without its newline */
	char *sect;          /* section path (of the header itself, for one) */
	char *key, *value;   /* a "key = value" line; both NULL otherwise */
	bool header;
};

struct cobj_file {
	struct cobj_line *l;
	size_t n;
};

/* Split TEXT (read from PATH, for messages) into *OUT's lines; syntax
 * errors are usage errors naming PATH:LINE. Free with cobj_free. */
int cobj_parse(const char *text, const char *path, struct cobj_file *out, struct error *e);
void cobj_free(struct cobj_file *f);
/* The first "KEY = ..." line of section SECT, borrowed from F, or NULL. */
const struct cobj_line *cobj_find(const struct cobj_file *f, const char *sect, const char *key);

/* Decode a raw value into its items (*ITEMS, NULL-terminated, owned by the
 * caller; free with conf_strv_free). *LIST tells whether it was a list.
 * Multi-line values are refused. WHERE names it in messages. */
int cobj_decode(const char *raw, char ***items, bool *list, const char *where,
                struct error *e);
/* The one value of line L into *OUT (malloc'd), or NULL for "None". */
int cobj_single(const struct cobj_line *l, const char *where, char **out, struct error *e);

/* Append "KEY = VALUE" (nothing when VALUE is NULL), quoted as configobj
 * does when it must be; a value with a line break is refused. */
int cobj_put(struct buf *b, const char *key, const char *v, struct error *e);
int cobj_put_int(struct buf *b, const char *key, long v, struct error *e);
/* Append "KEY = a, b" ("KEY = a," for one item). */
int cobj_put_list(struct buf *b, const char *key, char *const *items, struct error *e);

#endif
