/* File operations with the store's guarantees (see fs.c). Errors name the
 * path; a full disk is kind ERR_NOSPACE, other failures ERR_IO. */
#ifndef ACMEHOOK_STORE_FS_H
#define ACMEHOOK_STORE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* mkdir -p with MODE for every directory it creates. */
int store_mkdirs(const char *path, mode_t mode, struct error *e);
/* How much of a write must survive a power cut or a kernel crash (every
 * write survives a crash of this process: readers see the old file or the
 * new one, whole). Each fsync costs a disk flush, so only what the user
 * would lose is flushed. */
enum store_sync {
	/* The file's bytes and its name are on disk when the write returns. */
	STORE_SYNC_ALL,
	/* The bytes are on disk before the rename, so the file is never seen
	 * torn; the rename itself may be undone by a power cut until the
	 * caller syncs the directory (store_fsync_dir_of), once for several
	 * files. */
	STORE_SYNC_DATA,
	/* Nothing is flushed: for files whose loss or damage their reader
	 * survives, such as the record of an order in progress. */
	STORE_SYNC_NONE,
};

/* Write DATA to PATH atomically with MODE from creation on, durable as
 * SYNC says. */
int store_write_file(const char *path, const void *data, size_t len, mode_t mode,
                     enum store_sync sync, struct error *e);
/* The same with STORE_SYNC_ALL. */
int store_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct error *e);
/* One file of store_write_new. */
struct store_file {
	const char *path;
	const void *data;
	size_t len;
	mode_t mode;
};
#define STORE_WRITE_NEW_MAX 8
/* Write the N (at most STORE_WRITE_NEW_MAX) files FILES, none of which
 * exists yet, each with its mode from creation on: all are written to
 * temporaries and flushed before any is renamed, and each directory they
 * are in is flushed once after the renames, so that every name is durable
 * when the call returns and no name is ever seen with less than its whole
 * file. On failure none of them is left, under either name. */
int store_write_new(const struct store_file *files, size_t n, struct error *e);
/* Decides on the open file FD (named PATH) before it is read; returns 0,
 * or -1 with E set to refuse it. */
typedef int (*store_read_check)(int fd, const char *path, void *ud, struct error *e);
/* Read the regular file open at FD whole (at most CAP bytes) into a
 * NUL-terminated buffer; PATH names it in errors. CHECK (may be NULL)
 * judges the file first, through the same descriptor, so nothing can swap
 * the file between the check and the read. */
int store_read_fd(int fd, const char *path, size_t cap, store_read_check check, void *ud,
                  char **data, size_t *len, struct error *e);
/* Read a whole file of at most CAP bytes (NUL-terminated). */
int store_read(const char *path, size_t cap, char **data, size_t *len, struct error *e);
bool store_exists(const char *path);
/* Whether FILE is a temporary that store_write_atomic made for BASE:
 * exactly BASE ".tmp-" and six letters or digits. */
bool store_temp_of(const char *file, const char *base);
/* Remove the regular files in DIR that are store_write_atomic's
 * temporaries of a name IS_BASE accepts. Returns how many were removed,
 * or -1 (errno set) when DIR cannot be read; a missing DIR removes none. */
int store_remove_temps(const char *dir, bool (*is_base)(const char *base, const void *ud),
                       const void *ud);
/* fsync the directory holding PATH, so a rename in it is durable.
 * Returns 0 or -1 (errno set). */
int store_fsync_dir_of(const char *path);

#endif
