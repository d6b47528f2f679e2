/* Locks beside the data they protect, in the config dir:
 *   CONFIG/.locks/NAME.lock                       lineage NAME
 *   CONFIG/.locks/accounts/SERVER/PATH.lock       the account in accounts/SERVER/PATH
 * They are open-file-description locks (fcntl F_OFD_SETLK), so the kernel
 * releases them when the holder exits, however it exits, and two runs
 * sharing a config dir exclude each other whatever their work dirs are.
 * Lock files are never removed: removing one could let two runs lock two
 * different files of the same name. */
#ifndef ACMEHOOK_STORE_LOCK_H
#define ACMEHOOK_STORE_LOCK_H

#include "base/err.h"

struct store;

/* Hold an exclusive lock on lineage NAME. When another run holds it, say
 * once (at info level, naming the lineage and the lock file) that this run
 * waits, and wait up to S->lock_timeout_seconds (60 when 0); then fail
 * with exit code 1, naming the lock. A fatal signal ends the wait (error
 * kind ERR_INTERRUPTED). On success *FD is the lock, for store_unlock. */
int store_lock(const struct store *s, const char *name, int *fd, struct error *e);
/* The same for the account kept in ACCOUNT_DIR (a directory under
 * CONFIG/accounts, which need not exist yet). */
int store_lock_account(const struct store *s, const char *account_dir, int *fd,
                       struct error *e);
/* Release a lock; a negative FD is ignored. */
void store_unlock(int fd);

#endif
