/* A plugin specification: which plugin does a piece of work (validating a
 * name, a deploy step, a cli.ini instance) and with which options.
 *
 * The same value is built from the command line, read from cli.ini and
 * written to and read from renewal files in a one-line form, so its
 * copying, comparison and text form live here together. */
#ifndef ACMEHOOK_CONF_SPEC_H
#define ACMEHOOK_CONF_SPEC_H

#include <stdbool.h>

/* Which plugin instance validates a name: plugin name plus its options.
 * Both members are owned by the route and freed by route_free. */
struct route {
	char *plugin;       /* e.g. "webroot"; NULL: not given */
	char **opts;        /* NULL-terminated key, value, key, value ... */
	char *name;         /* the cli.ini [instance NAME] it came from, so logs and
	                     * errors can say NAME; NULL when none */
};

/* Deep-copy SRC into DST (overwritten, not freed). Returns 0, or -1 when
 * out of memory, leaving DST untouched. */
int route_copy(struct route *dst, const struct route *src);
/* Free R's members and reset it to empty; R may be NULL. */
void route_free(struct route *r);
/* The value of option KEY, borrowed from R, or NULL. */
const char *route_opt(const struct route *r, const char *key);
/* Set option KEY to a copy of VALUE, replacing an earlier value. Returns
 * 0, or -1 when out of memory. */
int route_set_opt(struct route *r, const char *key, const char *value);
/* Same plugin, instance name and options, in any order. */
bool route_equal(const struct route *a, const struct route *b);

/* A route as one line: "PLUGIN; key=value; ...", or "PLUGIN[NAME]; ..."
 * for an instance named NAME, with '%', ';', '=', '[', ']' and control
 * bytes percent-encoded. Returns a string the caller frees, or
 * NULL when R has no plugin or memory ran out. */
char *route_format(const struct route *r);
/* Parse route_format's form into *R (overwritten only on success).
 * Returns -1 on malformed text or when out of memory. */
int route_parse(const char *text, struct route *r);

#endif
