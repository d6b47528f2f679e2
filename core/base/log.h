/* Levelled logging to stderr with redaction.
 *
 * Every secret the engine learns (EAB HMAC key, TSIG secret, API token) is
 * registered here first, and every line is scrubbed of all registered
 * secrets before it is written, so a secret cannot reach a log line even
 * through a server echoing it back.
 *
 * One log may be written from several threads: a line is written whole,
 * never interleaved with another, and secrets may be registered at any
 * time. A worker thread writes through a child (log_child), which puts
 * its tag in front of each line and shares everything else with the log
 * it was made from. */
#ifndef ACMEHOOK_LOG_H
#define ACMEHOOK_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pthread.h>

enum log_level { LVL_ERROR = 0, LVL_WARN = 1, LVL_INFO = 2, LVL_DEBUG = 3 };

struct log {
	enum log_level level;
	FILE *out;         /* borrowed; stderr when NULL */
	FILE *file;        /* owned; optional copy of every line (logs dir) */
	char **secrets;    /* owned copies, wiped on free */
	size_t nsecrets;
	pthread_mutex_t lock;    /* guards the secrets and the writing of a line */
	struct log *parent;      /* borrowed: a child's root log, which does the work */
	char tag[128];           /* a child's prefix, "" for none */
};

void log_init(struct log *lg, enum log_level level);
/* Make CHILD write through PARENT (or PARENT's own parent), with TAG
 * (may be NULL) and ": " in front of its lines. The child owns nothing:
 * log_free on it does nothing, and it must not outlive PARENT. Secrets
 * registered through it are PARENT's. */
void log_child(struct log *child, struct log *parent, const char *tag);
/* Open DIR/acmehook.log for appending (mode 0600). Returns 0 or -1. */
int log_open_file(struct log *lg, const char *dir);
/* Remember SECRET (copied) so it is masked in every later line. Strings
 * shorter than 4 bytes are ignored: masking them would garble text. */
int log_add_secret(struct log *lg, const char *secret);
/* True for credential keys whose values are secrets (TSIG secrets, API
 * keys and tokens, passwords), as opposed to server names, ports or key
 * names. */
bool log_secret_key(const char *key);
void log_msg(struct log *lg, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(struct log *lg, enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Write TEXT at LVL with secrets masked and control bytes escaped. */
void log_text(struct log *lg, enum log_level lvl, const char *text);
/* Write TEXT to the log file only (the terminal already shows it). */
void log_to_file(struct log *lg, enum log_level lvl, const char *text);
void log_free(struct log *lg);

#endif
