/* The accounts stored for one server, their ids, and the choice among
 * them. The server's account directory holds one account itself (the one
 * acct_ensure registers) and may hold more in subdirectories named by
 * their id, as certbot keeps them. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "acme/account.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "store/store.h"

/* certbot's account id: the MD5 of the public key in PEM
 * (SubjectPublicKeyInfo), in hex. Using the same id lets a renewal file's
 * "account =" name an account either program made. MD5 names here; it
 * protects nothing. */
char *acct_key_id(EVP_PKEY *key, struct error *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", "-fips");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *pem = NULL, *hex = NULL;
	long n;

	if (!b || !md5 || PEM_write_bio_PUBKEY(b, key) != 1 ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0 ||
	    EVP_Digest(pem, (size_t)n, md, &mdlen, md5, NULL) != 1) {
		err_set(e, EXIT_OP, "cannot compute the account id of the key");
		goto out;
	}
	hex = malloc(2 * mdlen + 1);
	if (!hex) {
		err_nomem(e);
		goto out;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
out:
	EVP_MD_free(md5);
	BIO_free(b);
	return hex;
}

/* An id is lower-case hex: it becomes a directory name. */
static bool id_valid(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n > 0 && n <= 64 && id[n] == '\0';
}

/* The id of the account in DIR: its record's "id" (kept across key
 * rollovers), else that of its key. URL gets the record's "uri". */
static int entry_of(const char *dir, bool named_by_dir, struct acct_entry *out, struct error *e)
{
	char keyp[PATH_MAX + 32], regr[PATH_MAX + 32];
	char *text = NULL;
	cJSON *o = NULL;
	const cJSON *id, *uri;
	EVP_PKEY *key = NULL;
	struct acct_entry en = {0};
	int ret = -1;

	snprintf(keyp, sizeof(keyp), "%s/private_key.pem", dir);
	snprintf(regr, sizeof(regr), "%s/regr.json", dir);
	if (store_read(regr, 64 << 10, &text, NULL, e) < 0)
		goto out;
	o = cJSON_Parse(text);
	id = cJSON_GetObjectItem(o, "id");
	uri = cJSON_GetObjectItem(o, "uri");
	if (!(en.dir = strdup(dir)) ||
	    (cJSON_IsString(uri) && !(en.url = strdup(uri->valuestring)))) {
		err_nomem(e);
		goto out;
	}
	if (named_by_dir) {
		const char *base = strrchr(dir, '/');
		en.id = strdup(base ? base + 1 : dir);
	} else if (cJSON_IsString(id) && id_valid(id->valuestring)) {
		en.id = strdup(id->valuestring);
	} else {
		if (!(key = crypto_key_load(keyp, e)) || !(en.id = acct_key_id(key, e)))
			goto out;
	}
	if (!en.id) {
		err_nomem(e);
		goto out;
	}
	*out = en;
	memset(&en, 0, sizeof(en));
	ret = 0;
out:
	acct_entries_free(&en, 1);
	EVP_PKEY_free(key);
	cJSON_Delete(o);
	free(text);
	return ret;
}

static bool has(const char *dir, const char *file)
{
	char p[PATH_MAX + 32];

	return snprintf(p, sizeof(p), "%s/%s", dir, file) < (int)sizeof(p) && store_exists(p);
}

/* An account of acmehook's (a PEM key) or, with CERTBOT, of certbot's (a
 * JWK), whose key and record are both there. */
static bool complete(const char *dir, bool certbot)
{
	return has(dir, "regr.json") &&
	       (has(dir, "private_key.pem") || (certbot && has(dir, "private_key.json")));
}

bool acct_is_certbots(const char *dir)
{
	return !has(dir, "private_key.pem") && has(dir, "private_key.json");
}

static int push(struct acct_entry **v, size_t *n, const char *dir, bool named_by_dir,
                struct error *e)
{
	struct acct_entry *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return err_nomem(e);
	*v = nv;
	if (entry_of(dir, named_by_dir, &nv[*n], e) < 0)
		return -1;
	(*n)++;
	return 0;
}

int acct_list(const struct store *s, const char *dir_url, bool certbot, struct acct_entry **out,
              size_t *n_out, struct error *e)
{
	char dir[PATH_MAX], sub[PATH_MAX + NAME_MAX + 2];
	struct acct_entry *v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = NULL;
	int ret = -1;

	if (acct_dir(s, dir_url, dir, sizeof(dir), e) < 0)
		return -1;
	if (complete(dir, false) && push(&v, &n, dir, false, e) < 0)
		goto out;
	/* Only id-named subdirectories: another server's directory may lie
	 * below this one (https://ca/acme and https://ca/acme/v2). */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (!id_valid(de->d_name) || strlen(de->d_name) != 32)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (complete(sub, certbot) && push(&v, &n, sub, true, e) < 0)
			goto out;
	}
	*out = v;
	*n_out = n;
	v = NULL;
	n = 0;
	ret = 0;
out:
	if (d)
		closedir(d);
	acct_entries_free(v, n);
	free(v);
	return ret;
}

void acct_entries_free(struct acct_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].dir);
		free(v[i].url);
	}
}

/* "ID (URL), ID (URL)" for error messages. */
static char *describe(const struct acct_entry *v, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++)
		if (buf_printf(&b, "%s%s (%s)", i ? ", " : "", v[i].id, v[i].url ? v[i].url : "?") < 0)
			break;
	return buf_steal(&b);
}

int acct_locate(const struct store *s, const char *dir_url, const char *want, bool certbot,
                char *dir, size_t cap, struct error *e)
{
	struct acct_entry *v = NULL;
	size_t n = 0;
	const struct acct_entry *hit = NULL;
	char *list = NULL;
	int ret = -1;

	if (acct_list(s, dir_url, certbot, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; want && i < n && !hit; i++)
		if (strcmp(v[i].id, want) == 0)
			hit = &v[i];
	if (!want && n == 1)
		hit = &v[0];
	if (!hit && (want || n > 1))
		list = describe(v, n);
	if (want && !hit) {
		err_set(e, EXIT_USAGE, "--account %s: no such account for %s; stored: %s", want,
		        dir_url, n ? (list ? list : "?") : "none");
		goto out;
	}
	if (!hit && n > 1) {
		err_set(e, EXIT_USAGE,
		        "%zu accounts are stored for %s: %s; choose one with --account ID", n, dir_url,
		        list ? list : "?");
		goto out;
	}
	ret = 0;
	if (hit) {
		snprintf(dir, cap, "%s", hit->dir);
		ret = 1;
	}
out:
	free(list);
	acct_entries_free(v, n);
	free(v);
	return ret;
}

char *acct_id_of_dir(const struct store *s, const char *dir_url, const char *dir,
                     struct error *e)
{
	struct acct_entry *v = NULL;
	size_t n = 0;
	char *id = NULL;

	if (acct_list(s, dir_url, true, &v, &n, e) < 0)
		return NULL;
	for (size_t i = 0; i < n && !id; i++)
		if (strcmp(v[i].dir, dir) == 0 && !(id = strdup(v[i].id)))
			err_nomem(e);
	if (!id && !err_isset(e))
		err_set(e, EXIT_OP, "no complete account in %s", dir);
	acct_entries_free(v, n);
	free(v);
	return id;
}
