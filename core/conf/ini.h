/* The INI-style reader shared by cli.ini, renewal files and credentials
 * files: "key = value" lines, "[section]" headers, '#' and ';' comments. */
#ifndef ACMEHOOK_CONF_INI_H
#define ACMEHOOK_CONF_INI_H

#include "base/err.h"

/* Called for every "key = value" with the current section ("" before any
 * header; "[[routes]]" reads as "routes"). All strings are borrowed for
 * the call; ORIGIN is "PATH:LINE" for messages. Returns 0, or -1 with E
 * set to stop the reading. */
typedef int (*ini_fn)(void *ud, const char *section, const char *key, const char *value,
                      const char *origin, struct error *e);

/* Read PATH (at most 1 MiB) and call FN for each setting in order. The
 * file's text is wiped after reading, as it may hold secrets. Syntax
 * errors are usage errors naming PATH:LINE. */
int ini_parse(const char *path, ini_fn fn, void *ud, struct error *e);
/* The same for the text of PATH that the caller read (NUL-terminated),
 * which is changed in place (line ends become NULs) and stays the
 * caller's to wipe and free. */
int ini_parse_text(const char *path, char *text, ini_fn fn, void *ud, struct error *e);
/* The same for a file that can run commands (cli.ini, renewal files): it is
 * read through conf_read_trusted (conf/trust.h), so as root it is refused
 * unless only root could have written it. */
int ini_parse_trusted(const char *path, ini_fn fn, void *ud, struct error *e);

#endif
