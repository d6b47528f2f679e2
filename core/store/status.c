/* Lineage status records (see status.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "store/status.h"
#include "store/store.h"

/* Records are a few hundred bytes; anything much larger is not ours. */
#define STATUS_MAX (64 * 1024)

int status_path(const struct store *s, const char *name, char *dst, size_t cap)
{
	char dir[PATH_MAX];
	int n;

	if (!store_name_valid(name) || store_status_dir(s, dir, sizeof(dir)) < 0)
		return -1;
	n = snprintf(dst, cap, "%s/%s.json", dir, name);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The record at PATH parsed, or a new empty object when there is none. */
static cJSON *load(const char *path, struct error *e)
{
	char *text = NULL;
	cJSON *doc = NULL;

	if (!store_exists(path))
		doc = cJSON_CreateObject();
	else if (store_read(path, STATUS_MAX, &text, NULL, e) == 0) {
		doc = cJSON_Parse(text);
		if (!cJSON_IsObject(doc)) {
			cJSON_Delete(doc);
			doc = NULL;
			err_set(e, EXIT_OP, "%s is not a status record (a JSON object); remove it", path);
		}
	}
	if (!doc && !err_isset(e))
		err_nomem(e);
	free(text);
	return doc;
}

/* A time in DOC under KEY; 0 when absent or not a plausible time. */
static time_t time_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e11)
		return 0;
	return (time_t)v->valuedouble;
}

static void copy_str(const cJSON *doc, const char *key, char *dst, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int status_read(const struct store *s, const char *name, struct lineage_status *out,
                struct error *e)
{
	char path[PATH_MAX];
	struct lineage_status st = {0};
	const cJSON *v;
	cJSON *doc = NULL;
	int ret = -1;

	if (status_path(s, name, path, sizeof(path)) < 0)
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	doc = load(path, e);
	if (!doc)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(doc, "version");
	if (v && (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9)) {
		err_set(e, EXIT_OP, "%s: \"version\" is not a version number; remove the file", path);
		goto out;
	}
	st.version = v ? v->valueint : 0;
	st.deploy_pending = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "deploy_pending"));
	st.issuer_changed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "issuer_changed"));
	v = cJSON_GetObjectItemCaseSensitive(doc, "deploy_error");
	if (cJSON_IsString(v))
		snprintf(st.deploy_error, sizeof(st.deploy_error), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(doc, "updated");
	if (cJSON_IsNumber(v))
		st.updated = (time_t)v->valuedouble;
	st.last_attempt = time_of(doc, "last_attempt");
	st.next_attempt = time_of(doc, "next_attempt");
	st.ari_start = time_of(doc, "ari_start");
	st.ari_end = time_of(doc, "ari_end");
	st.ari_next_check = time_of(doc, "ari_next_check");
	copy_str(doc, "last_outcome", st.last_outcome, sizeof(st.last_outcome));
	copy_str(doc, "last_problem", st.last_problem, sizeof(st.last_problem));
	copy_str(doc, "last_error", st.last_error, sizeof(st.last_error));
	*out = st;
	ret = 0;
out:
	cJSON_Delete(doc);
	return ret;
}

/* Set KEY of DOC to ITEM (owned by DOC afterwards, also on failure). */
static int set(cJSON *doc, const char *key, cJSON *item)
{
	if (!item)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
	return cJSON_AddItemToObject(doc, key, item) ? 0 : (cJSON_Delete(item), -1);
}

/* Set KEY of DOC to the string VAL, or remove it when VAL is empty. */
static int set_or_drop(cJSON *doc, const char *key, const char *val)
{
	cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
	return val[0] ? set(doc, key, cJSON_CreateString(val)) : 0;
}

/* The deploy fields of ST into DOC. */
static int put_deploy(cJSON *doc, const struct lineage_status *st)
{
	if (set(doc, "version", cJSON_CreateNumber(st->version)) < 0 ||
	    set(doc, "deploy_pending", cJSON_CreateBool(st->deploy_pending)) < 0 ||
	    set(doc, "issuer_changed", cJSON_CreateBool(st->issuer_changed)) < 0)
		return -1;
	/* An error belongs to a pending deploy only. */
	return set_or_drop(doc, "deploy_error", st->deploy_pending ? st->deploy_error : "");
}

/* The attempt fields of ST into DOC. */
static int put_attempt(cJSON *doc, const struct lineage_status *st)
{
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "next_attempt");
	if (set(doc, "last_attempt", cJSON_CreateNumber((double)st->last_attempt)) < 0 ||
	    set_or_drop(doc, "last_outcome", st->last_outcome) < 0 ||
	    set_or_drop(doc, "last_problem", st->last_problem) < 0 ||
	    set_or_drop(doc, "last_error", st->last_error) < 0)
		return -1;
	return st->next_attempt ? set(doc, "next_attempt", cJSON_CreateNumber((double)st->next_attempt))
	                        : 0;
}

/* The renewal window fields of ST into DOC. */
static int put_ari(cJSON *doc, const struct lineage_status *st)
{
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "ari_next_check");
	if (set(doc, "ari_start", cJSON_CreateNumber((double)st->ari_start)) < 0 ||
	    set(doc, "ari_end", cJSON_CreateNumber((double)st->ari_end)) < 0)
		return -1;
	return st->ari_next_check
	               ? set(doc, "ari_next_check", cJSON_CreateNumber((double)st->ari_next_check))
	               : 0;
}

/* Rewrite NAME's record with PUT applied to what is on disk. */
static int update(const struct store *s, const char *name, const struct lineage_status *st,
                  int (*put)(cJSON *, const struct lineage_status *), struct error *e)
{
	char path[PATH_MAX], dir[PATH_MAX];
	cJSON *doc = NULL;
	char *text = NULL;
	int ret = -1;

	if (status_path(s, name, path, sizeof(path)) < 0)
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	store_status_dir(s, dir, sizeof(dir));
	if (store_mkdirs(dir, 0755, e) < 0)
		goto out;
	doc = load(path, e);
	if (!doc)
		goto out;
	if (put(doc, st) < 0 || set(doc, "updated", cJSON_CreateNumber((double)time(NULL))) < 0) {
		err_nomem(e);
		goto out;
	}
	text = cJSON_Print(doc);
	if (!text) {
		err_nomem(e);
		goto out;
	}
	/* Never torn, but not worth a directory flush: after a power cut
	 * the record may be the one before, which only repeats a deploy or
	 * forgets an attempt. */
	ret = store_write_file(path, text, strlen(text), 0644, STORE_SYNC_DATA, e);
out:
	free(text);
	cJSON_Delete(doc);
	return ret;
}

int status_write(const struct store *s, const char *name, const struct lineage_status *st,
                 struct error *e)
{
	return update(s, name, st, put_deploy, e);
}

int status_write_attempt(const struct store *s, const char *name,
                         const struct lineage_status *st, struct error *e)
{
	return update(s, name, st, put_attempt, e);
}

int status_write_ari(const struct store *s, const char *name, const struct lineage_status *st,
                     struct error *e)
{
	return update(s, name, st, put_ari, e);
}
