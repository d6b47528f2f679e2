/* The engine context: everything one run needs hangs off it and is passed
 * explicitly, so several engines can live in one process. */
#ifndef ACMEHOOK_ENGINE_H
#define ACMEHOOK_ENGINE_H

#include <stdio.h>

#include <openssl/evp.h>

#include "conf/settings.h"
#include "dns/client.h"
#include "dns/propagation.h"
#include "base/err.h"
#include "base/http.h"
#include "base/log.h"
#include "cli/hook.h"
#include "host/loader.h"
#include "store/store.h"

struct acme;
struct acct_params;
struct engine_run;

/* An engine is made by engine_init for the run, or by engine_worker for
 * one thread of it: a worker shares the run's clients, plugins, hooks and
 * CA state, and has its own log tag and its own output, which it hands
 * on whole after each lineage so that the results of lineages renewed at
 * once do not interleave. */
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
	struct engine_run *run;       /* owned, or borrowed by a worker: what the run
	                               * learnt of its CAs, shared by its threads */
	struct hook_run hooks;        /* the run's pre/post hooks; the command frees it */
	struct engine *parent;        /* borrowed: a worker's run engine, else NULL */
	char *out_buf;                /* a worker's output so far (memstream) */
	size_t out_len;
};

int engine_init(struct engine *eng, const struct settings *cli, const struct settings *ini,
                struct error *e);
void engine_free(struct engine *eng);

/* W: a worker of RUN (an engine of engine_init, outliving W) for one
 * thread, whose log lines start with TAG (may be NULL). */
int engine_worker(struct engine *w, struct engine *run, const char *tag, struct error *e);
/* Hand what W printed since the last call on to the run's output, whole. */
void engine_worker_flush(struct engine *w);
/* Give W's log lines TAG (may be NULL) from now on. */
void engine_worker_tag(struct engine *w, const char *tag);
void engine_worker_free(struct engine *w);

/* The CA whose directory is at URL, as one view (acme/acme.h) for A: its
 * directory is fetched once a run, by the first thread that asks, and
 * its nonce pool serves every view. A failed fetch is tried again by the
 * next caller. */
int engine_acme(struct engine *eng, const char *url, struct acme *a, struct error *e);
/* The account on A's CA (A from engine_acme): loaded or registered
 * (acme/account.h) once a run, then handed to every caller. *KEY is a
 * reference of the caller's. */
int engine_account(struct engine *eng, struct acme *a, const struct acct_params *p,
                   EVP_PKEY **key, struct error *e);
/* The CA forgot A's account: later engine_account calls find it again
 * instead of handing out this one. */
void engine_account_lost(struct engine *eng, const struct acme *a);

/* Whether this run found the CA at SERVER without renewal information (or
 * could not reach it), and noting that it did; *OFFERS_NONE (OFFERS_NONE)
 * tells whether its directory lacks it, rather than being out of reach. */
bool engine_no_ari(struct engine *eng, const char *server, bool *offers_none);
void engine_note_no_ari(struct engine *eng, const char *server, bool offers_none);

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

/* Propagation settings from S. */
void engine_propagation(const struct settings *s, struct dns_propagation_cfg *cfg);

#endif
