/* Credentials files (certbot's format): "key = value" lines holding
 * secrets such as TSIG keys and API tokens. */
#ifndef ACMEHOOK_CONF_CREDENTIALS_H
#define ACMEHOOK_CONF_CREDENTIALS_H

#include "base/err.h"

struct log;

/* Read the credentials file PATH, which must be a regular file not
 * readable or writable by group or others. *KV is a NULL-terminated key,
 * value, ... list; values of secret-looking keys are registered with LOG
 * for redaction before anything else sees them. Free with
 * credentials_free, which wipes the values. */
int credentials_load(const char *path, struct log *log, char ***kv, struct error *e);
void credentials_free(char **kv);

#endif
