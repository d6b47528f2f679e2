/* The engine context: everything one run needs hangs off it and is passed
 * explicitly, so several engines can live in one process. */
#ifndef ACMEHOOK_ENGINE_H
#define ACMEHOOK_ENGINE_H

#include <stdio.h>

#include "conf/settings.h"
#include "dns/client.h"
#include "dns/propagation.h"
#include "base/err.h"
#include "base/http.h"
#include "base/log.h"
#include "cli/hook.h"
#include "host/loader.h"
#include "store/store.h"

struct engine {
	const struct settings *cli;   /* borrowed: the command line */
	const struct settings *ini;   /* borrowed: cli.ini (may be empty) */
	struct settings base;         /* cli + ini + defaults, for run-wide choices */
	struct log log;
	struct http_client http;
	struct store store;
	struct plugin_registry plugins;
	struct dns_client dns;        /* resolvers from --dns-resolver or resolv.conf */
	unsigned char *eab_key;       /* decoded --eab-hmac-key, wiped on free */
	size_t eab_key_len;
	FILE *out;                    /* where results are printed: stdout, or quiet_out */
	FILE *quiet_out;              /* owned: /dev/null under -q */
	char **no_ari;                /* owned: servers this run found without renewal
	                               * information (or could not reach); NULL-terminated */
	struct hook_run hooks;        /* the run's pre/post hooks; the command frees it */
};

int engine_init(struct engine *eng, const struct settings *cli, const struct settings *ini,
                struct error *e);
void engine_free(struct engine *eng);

/* Effective settings for lineage NAME: command line, then its renewal
 * file (when it exists), then cli.ini, then defaults. */
int engine_lineage_settings(struct engine *eng, const char *name, bool with_cli_domains,
                            struct settings *out, struct error *e);

/* The commands. Each returns 0 or -1 with E set. */
int cmd_certonly(struct engine *eng, struct error *e);
int cmd_renew(struct engine *eng, struct error *e);
int cmd_revoke(struct engine *eng, struct error *e);
int cmd_certificates(struct engine *eng, struct error *e);
int cmd_plugins(struct engine *eng, struct error *e);
int cmd_install(struct engine *eng, struct error *e);
/* `script test SCRIPT --domain NAME`: exercise a Lua provider or deploy step. */
int cmd_script(struct engine *eng, struct error *e);
/* cmd_account.c: register, show_account, update_account, unregister. */
int cmd_register(struct engine *eng, struct error *e);
int cmd_show_account(struct engine *eng, struct error *e);
int cmd_update_account(struct engine *eng, struct error *e);
int cmd_unregister(struct engine *eng, struct error *e);
/* cmd_delete.c: delete --cert-name NAME. */
int cmd_delete(struct engine *eng, struct error *e);
/* Remove lineage NAME (its live/, archive/, renewal file, status record
 * and recorded order) under its lock, without asking. */
int cmd_delete_lineage(struct engine *eng, const char *name, struct error *e);

/* Before what cannot be undone: 0 under -n, else ask QUESTION on the
 * terminal; no terminal, or an answer other than yes, is an error naming
 * WHAT. */
int cmd_confirm(struct engine *eng, const char *question, const char *what,
                   struct error *e);

/* Propagation settings from S. */
void engine_propagation(const struct settings *s, struct dns_propagation_cfg *cfg);

#endif
