/* Files that can make acmehook run commands (cli.ini and renewal files:
 * deploy_hook, deploy steps) are believed, when acmehook runs as root,
 * only as sudo believes sudoers and OpenSSH its keys: when nobody but root
 * could have written them. Credentials files have their own, stricter
 * check (credentials.c) and do not come here. */
#ifndef ACMEHOOK_CONF_TRUST_H
#define ACMEHOOK_CONF_TRUST_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* Judge the open file FD, named PATH, for a process whose effective uid is
 * EUID. When EUID is 0 the file must be owned by root and not writable by
 * group or others, and the directory holding PATH (and, when PATH leads
 * through a link, the one holding the file it resolves to) must be owned
 * by root and not writable by group or others unless it is sticky. Any
 * other EUID passes: such a user's files are theirs to guard, and nothing
 * runs with more rights than theirs. A refusal is a usage error (exit 2)
 * naming the file or directory, its mode and its owner. */
int conf_trust_fd(int fd, const char *path, uid_t euid, struct error *e);

/* Read PATH (at most CAP bytes, NUL-terminated into *DATA, which the caller
 * frees; *LEN may be NULL) through the one descriptor that conf_trust_fd
 * judged with geteuid(), so the file read is the file judged. Errors are
 * store_read's: a missing file is a usage error, naming PATH. */
int conf_read_trusted(const char *path, size_t cap, char **data, size_t *len, struct error *e);

#endif
