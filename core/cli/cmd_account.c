/* The account commands, with certbot's names: register, show_account,
 * update_account (contacts, or with --new-key the key) and unregister. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "acme/account.h"
#include "acme/acme.h"
#include "base/crypto.h"
#include "cli/engine.h"
#include "cli/issue.h"

/* One account command's state: the CA, the account and where it lives. */
struct acct_cmd {
	struct settings s;
	struct acme a;
	EVP_PKEY *key;
	char dir[PATH_MAX];
	char *id;
};

static void acct_cmd_free(struct acct_cmd *c)
{
	acme_close(&c->a);
	EVP_PKEY_free(c->key);
	free(c->id);
	settings_free(&c->s);
}

static int open_ca(struct engine *eng, struct acct_cmd *c, struct error *e)
{
	settings_init(&c->s);
	if (engine_lineage_settings(eng, NULL, false, &c->s, e) < 0 ||
	    acme_open(&c->a, &eng->http, &eng->log, issue_server_url(&c->s), e) < 0)
		return -1;
	acme_set_deadline(&c->a, c->s.timeout);
	return 0;
}

/* The CA and the stored account that --account (or being the only one)
 * picks. */
static int open_account(struct engine *eng, struct acct_cmd *c, struct error *e)
{
	int rc;

	if (open_ca(eng, c, e) < 0)
		return -1;
	rc = acct_locate(&eng->store, c->a.dir_url, c->s.account, true, c->dir, sizeof(c->dir), e);
	if (rc == 0)
		err_set(e, EXIT_USAGE, "no account is stored for %s in %s; create one with "
		                       "`acmehook register`", c->a.dir_url, eng->store.config_dir);
	if (rc <= 0 || acct_load_dir(&c->a, &eng->store, c->dir, &c->key, e) < 0 ||
	    !(c->id = acct_id_of_dir(&eng->store, c->a.dir_url, c->dir, e)))
		return -1;
	return 0;
}

/* certbot asks before what cannot be undone; without a terminal it wants
 * -n as the answer. */
int cmd_confirm(struct engine *eng, const char *question, const char *what,
                   struct error *e)
{
	char line[16] = "";

	if (eng->base.non_interactive == 1)
		return 0;
	if (!isatty(STDIN_FILENO))
		return err_set(e, EXIT_USAGE, "%s needs -n (--non-interactive) to confirm when not run "
		                              "from a terminal", what);
	fprintf(stderr, "%s (y)es/(N)o: ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin))
		line[strcspn(line, "\r\n")] = '\0';
	if (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
		return 0;
	return err_set(e, EXIT_OP, "%s: not confirmed; nothing was changed", what);
}

int cmd_register(struct engine *eng, struct error *e)
{
	struct acct_cmd c = {0};
	struct acct_entry *v = NULL;
	size_t n = 0;
	int ret = -1;

	if (!eng->base.email && eng->base.register_unsafely != 1) {
		err_set(e, EXIT_USAGE, "register needs a contact: -m EMAIL, or "
		                       "--register-unsafely-without-email to register without one");
		goto out;
	}
	if (open_ca(eng, &c, e) < 0 || acct_list(&eng->store, c.a.dir_url, true, &v, &n, e) < 0)
		goto out;
	if (n) {
		err_set(e, EXIT_OP, "an account for %s is stored already (%s, %s); registering "
		                    "another is not supported: use it, or unregister it first",
		        c.a.dir_url, v[0].id, v[0].url ? v[0].url : "?");
		goto out;
	}
	/* The same registration certonly makes. As in certbot, an address
	 * given with -m wins over --register-unsafely-without-email, which
	 * only says that none is wanted when none is given. */
	if (issue_open_account(eng, &c.s, &c.a, &c.key, e) < 0)
		goto out;
	{
		char *id = acct_key_id(c.key, e);
		if (!id)
			goto out;
		fprintf(eng->out, "Account registered.\n  Account URL: %s\n  Account ID: %s\n",
		        c.a.kid, id);
		free(id);
	}
	ret = 0;
out:
	acct_entries_free(v, n);
	free(v);
	acct_cmd_free(&c);
	return ret;
}

int cmd_show_account(struct engine *eng, struct error *e)
{
	struct acct_cmd c = {0};
	cJSON *o = NULL;
	const cJSON *contact, *status, *it;
	int mails = 0, ret = -1;

	if (open_account(eng, &c, e) < 0 || !(o = acct_fetch(&c.a, e)))
		goto out;
	contact = cJSON_GetObjectItem(o, "contact");
	status = cJSON_GetObjectItem(o, "status");
	fprintf(eng->out, "Account details for server %s:\n  Account URL: %s\n  Account ID: %s\n",
	        c.a.dir_url, c.a.kid, c.id ? c.id : "?");
	cJSON_ArrayForEach(it, contact)
		if (cJSON_IsString(it) && strncmp(it->valuestring, "mailto:", 7) == 0)
			mails++;
	fprintf(eng->out, "  Email contact%s: ", mails > 1 ? "s" : "");
	mails = 0;
	cJSON_ArrayForEach(it, contact)
		if (cJSON_IsString(it) && strncmp(it->valuestring, "mailto:", 7) == 0)
			fprintf(eng->out, "%s%s", mails++ ? ", " : "", it->valuestring + 7);
	fprintf(eng->out, "%s\n  Status: %s\n", mails ? "" : "none",
	        cJSON_IsString(status) ? status->valuestring : "unknown");
	ret = 0;
out:
	cJSON_Delete(o);
	acct_cmd_free(&c);
	return ret;
}

/* update_account --new-key: the same kind of key as before unless
 * --account-key-type says otherwise. */
static int rollover(struct engine *eng, struct acct_cmd *c, struct error *e)
{
	char *have = crypto_key_describe(c->key);
	const char *type = c->s.account_key_type;
	EVP_PKEY *nk = NULL;
	int ret = -1;

	if (!type && have && strcmp(have, "ecdsa secp384r1") == 0)
		type = "ec384";
	else if (!type && have && strncmp(have, "rsa ", 4) == 0)
		type = strcmp(have, "rsa 4096") == 0 ? "rsa4096"
		       : strcmp(have, "rsa 3072") == 0 ? "rsa3072" : "rsa2048";
	if (!(nk = acct_keygen(type, e)) || acct_rollover(&c->a, &eng->store, c->dir, nk, e) < 0)
		goto out;
	EVP_PKEY_free(c->key);
	c->key = nk;
	nk = NULL;
	fprintf(eng->out, "The key of account %s was rolled over; the new key is in "
	                  "%s/private_key.pem.\n", c->a.kid, c->dir);
	ret = 0;
out:
	EVP_PKEY_free(nk);
	free(have);
	return ret;
}

int cmd_update_account(struct engine *eng, struct error *e)
{
	struct acct_cmd c = {0};
	/* Only the command line rolls the key: a "new-key" in cli.ini is
	 * about certificates. */
	bool new_key = eng->cli->new_key == 1;
	int ret = -1;

	if (!new_key && !eng->base.email && eng->base.register_unsafely != 1) {
		err_set(e, EXIT_USAGE, "update_account needs -m EMAIL (--register-unsafely-without-"
		                       "email removes the contacts), or --new-key to roll the key over");
		goto out;
	}
	if (open_account(eng, &c, e) < 0)
		goto out;
	if (new_key) {
		ret = rollover(eng, &c, e);
		goto out;
	}
	if (acct_set_contact(&c.a, c.dir, c.s.email, e) < 0)
		goto out;
	if (!c.s.email)
		fprintf(eng->out, "Any contact information associated with this account has been "
		                  "removed.\n");
	else
		fprintf(eng->out, "Your e-mail address was updated to %s.\n", c.s.email);
	ret = 0;
out:
	acct_cmd_free(&c);
	return ret;
}

int cmd_unregister(struct engine *eng, struct error *e)
{
	struct acct_cmd c = {0};
	int ret = -1;

	if (open_account(eng, &c, e) < 0 ||
	    cmd_confirm(eng, "Are you sure you would like to irrevocably deactivate your account?",
	                   "unregister", e) < 0 ||
	    acct_deactivate(&c.a, &eng->store, c.dir, e) < 0)
		goto out;
	fprintf(eng->out, "Account deactivated: %s (%s).\n", c.a.kid, c.id ? c.id : "?");
	ret = 0;
out:
	acct_cmd_free(&c);
	return ret;
}
