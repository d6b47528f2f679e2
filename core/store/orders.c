/* The record of an order in flight (see orders.h). */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "store/orders.h"
#include "store/store.h"

#define ORDERS_DIR "orders"
#define RECORD_MAX (64 * 1024)
#define NAME_MAX_LEN 253

void store_order_free(struct order_record *r)
{
	if (!r)
		return;
	free(r->server);
	free(r->account);
	free(r->order);
	for (size_t i = 0; i < r->n_identifiers; i++)
		free(r->identifiers[i]);
	free(r->identifiers);
	memset(r, 0, sizeof(*r));
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* The N NAMES lower-cased and sorted, as a malloc'd array of copies. */
static char **sorted_names(const char *const *names, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(out[i] = lower_dup(names[i]))) {
			for (size_t k = 0; k < i; k++)
				free(out[k]);
			free(out);
			return NULL;
		}
	}
	qsort(out, n, sizeof(*out), cmp_str);
	return out;
}

int store_order_make(const char *server, const char *account, const char *order,
                     const char *const *names, size_t n, time_t created,
                     struct order_record *out, struct error *e)
{
	struct order_record r = {0};

	r.server = strdup(server);
	r.account = strdup(account);
	r.order = strdup(order);
	r.identifiers = sorted_names(names, n);
	if (r.identifiers)
		r.n_identifiers = n;
	r.created = (long long)created;
	if (!r.server || !r.account || !r.order || !r.identifiers) {
		store_order_free(&r);
		return err_nomem(e);
	}
	*out = r;
	return 0;
}

char *store_order_format(const struct order_record *r)
{
	cJSON *o = cJSON_CreateObject(), *ids = NULL;
	char *text = NULL;

	if (!o || !cJSON_AddStringToObject(o, "server", r->server) ||
	    !cJSON_AddStringToObject(o, "account", r->account) ||
	    !cJSON_AddStringToObject(o, "order", r->order) ||
	    !(ids = cJSON_AddArrayToObject(o, "identifiers")))
		goto out;
	for (size_t i = 0; i < r->n_identifiers; i++) {
		cJSON *s = cJSON_CreateString(r->identifiers[i]);
		if (!s || !cJSON_AddItemToArray(ids, s)) {
			cJSON_Delete(s);
			goto out;
		}
	}
	if (!cJSON_AddNumberToObject(o, "created", (double)r->created))
		goto out;
	text = cJSON_Print(o);
out:
	cJSON_Delete(o);
	return text;
}

static const char *https_member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || strncmp(v->valuestring, "https://", 8) != 0 ||
	    strlen(v->valuestring) > 2048)
		return NULL;
	return v->valuestring;
}

int store_order_parse(const char *text, struct order_record *out, struct error *e)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *ids, *id, *created;
	const char *server, *account, *order;
	struct order_record r = {0};
	int n, ret = -1;

	if (!cJSON_IsObject(o)) {
		err_set(e, EXIT_OP, "not a JSON object");
		goto out;
	}
	server = https_member(o, "server");
	account = https_member(o, "account");
	order = https_member(o, "order");
	if (!server || !account || !order) {
		err_set(e, EXIT_OP, "\"%s\" is missing or not an https URL",
		        !server ? "server" : !account ? "account" : "order");
		goto out;
	}
	created = cJSON_GetObjectItemCaseSensitive(o, "created");
	if (!cJSON_IsNumber(created) || !isfinite(created->valuedouble) ||
	    created->valuedouble < 0 || created->valuedouble > 1e12) {
		err_set(e, EXIT_OP, "\"created\" is missing or not a time");
		goto out;
	}
	ids = cJSON_GetObjectItemCaseSensitive(o, "identifiers");
	n = cJSON_GetArraySize(ids);
	if (!cJSON_IsArray(ids) || n < 1 || n > 1000) {
		err_set(e, EXIT_OP, "\"identifiers\" is missing or empty");
		goto out;
	}
	if (!(r.server = strdup(server)) || !(r.account = strdup(account)) ||
	    !(r.order = strdup(order)) || !(r.identifiers = calloc((size_t)n, sizeof(char *)))) {
		err_nomem(e);
		goto out;
	}
	r.created = (long long)created->valuedouble;
	cJSON_ArrayForEach(id, ids) {
		const char *v = cJSON_IsString(id) ? id->valuestring : NULL;
		size_t len = v ? strlen(v) : 0;
		bool lower = true;
		for (size_t k = 0; k < len; k++)
			lower = lower && !isupper((unsigned char)v[k]) && v[k] > ' ' && v[k] < 0x7f;
		if (len == 0 || len > NAME_MAX_LEN || !lower) {
			err_set(e, EXIT_OP, "identifier %d is not a lower-case name", (int)r.n_identifiers + 1);
			goto out;
		}
		if (r.n_identifiers > 0 && strcmp(r.identifiers[r.n_identifiers - 1], v) >= 0) {
			err_set(e, EXIT_OP, "\"identifiers\" are not sorted and distinct");
			goto out;
		}
		if (!(r.identifiers[r.n_identifiers] = strdup(v))) {
			err_nomem(e);
			goto out;
		}
		r.n_identifiers++;
	}
	*out = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
out:
	store_order_free(&r);
	cJSON_Delete(o);
	return ret;
}

bool store_order_matches(const struct order_record *r, const char *server, const char *account,
                         const char *const *names, size_t n, time_t now)
{
	char **want = NULL;
	bool same;

	if (!server || !account || strcmp(r->server, server) != 0 ||
	    strcmp(r->account, account) != 0 || r->n_identifiers != n ||
	    (long long)now - r->created > STORE_ORDER_MAX_AGE)
		return false;
	if (!(want = sorted_names(names, n)))
		return false;
	same = true;
	for (size_t i = 0; i < n; i++) {
		same = same && strcmp(want[i], r->identifiers[i]) == 0;
		free(want[i]);
	}
	free(want);
	return same;
}

static int order_path(const struct store *s, const char *name, const char *ext, char *dst,
                      size_t cap)
{
	int n;

	if (name)
		n = snprintf(dst, cap, "%s/" ORDERS_DIR "/%s%s", s->work_dir, name, ext);
	else
		n = snprintf(dst, cap, "%s/" ORDERS_DIR, s->work_dir);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int store_order_key_path(const struct store *s, const char *name, char *dst, size_t cap)
{
	return order_path(s, name, ".key.pem", dst, cap);
}

int store_order_save(const struct store *s, const char *name, const struct order_record *r,
                     const char *key_pem, struct error *e)
{
	char dir[PATH_MAX], rec[PATH_MAX], key[PATH_MAX], *text = NULL;
	int ret = -1;

	if (order_path(s, NULL, "", dir, sizeof(dir)) < 0 ||
	    order_path(s, name, ".json", rec, sizeof(rec)) < 0 ||
	    store_order_key_path(s, name, key, sizeof(key)) < 0)
		return err_set(e, EXIT_USAGE, "the work directory path %s is too long", s->work_dir);
	if (!(text = store_order_format(r))) {
		err_nomem(e);
		goto out;
	}
	/* Not flushed to disk: after a power cut a lost or damaged record
	 * only costs a new order (store_order_load discards it). */
	if (store_mkdirs(dir, 0700, e) < 0 ||
	    store_write_file(key, key_pem, strlen(key_pem), 0600, STORE_SYNC_NONE, e) < 0 ||
	    store_write_file(rec, text, strlen(text), 0600, STORE_SYNC_NONE, e) < 0) {
		err_prefix(e, "cannot record the order for %s", name);
		goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

static bool is_order_file(const char *base, const void *ud)
{
	const char *name = ud;
	size_t n = strlen(name);

	return strncmp(base, name, n) == 0 &&
	       (strcmp(base + n, ".json") == 0 || strcmp(base + n, ".key.pem") == 0);
}

void store_order_remove(const struct store *s, const char *name)
{
	char dir[PATH_MAX], rec[PATH_MAX], key[PATH_MAX];

	if (order_path(s, NULL, "", dir, sizeof(dir)) < 0 ||
	    order_path(s, name, ".json", rec, sizeof(rec)) < 0 ||
	    store_order_key_path(s, name, key, sizeof(key)) < 0)
		return;
	/* The record first: a key left alone is never taken for an order,
	 * and a record whose key is gone is discarded by the next load. */
	unlink(rec);
	unlink(key);
	store_remove_temps(dir, is_order_file, name);
	/* Flushed, unlike the writes: a record that came back after a power
	 * cut would have the next run resume an order that is done with. */
	store_fsync_dir_of(rec);
}

int store_order_load(const struct store *s, const char *name, struct order_record *out,
                     char *why, size_t cap)
{
	char rec[PATH_MAX], key[PATH_MAX], *text = NULL;
	struct error e = {0};
	int ret = 0;

	snprintf(why, cap, "%s", "");
	if (order_path(s, name, ".json", rec, sizeof(rec)) < 0 ||
	    store_order_key_path(s, name, key, sizeof(key)) < 0)
		return 0;
	if (!store_exists(rec)) {
		/* A key without its record: a run stopped between the two writes. */
		if (store_exists(key))
			store_order_remove(s, name);
		return 0;
	}
	if (store_read(rec, RECORD_MAX, &text, NULL, &e) < 0 ||
	    store_order_parse(text, out, &e) < 0) {
		snprintf(why, cap, "%s: %s", rec, e.msg);
	} else if (!store_exists(key)) {
		store_order_free(out);
		snprintf(why, cap, "%s: its key %s is missing", rec, key);
	} else {
		ret = 1;
	}
	if (ret == 0)
		store_order_remove(s, name);
	free(text);
	return ret;
}
