/* Lineage status records (see status.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int count_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e6)
		return 0;
	return (int)v->valuedouble;
}

static void copy_str(const cJSON *doc, const char *key, char *dst, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* A string in DOC under KEY copied into DST (CAP bytes); false when it is
 * absent, not a string, or does not fit. */
static bool str_fits(const cJSON *doc, const char *key, char *dst, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return false;
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return true;
}

/* A positive whole number of at most MAX in DOC under KEY into *OUT. */
static bool num_fits(const cJSON *doc, const char *key, double max, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > max ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return false;
	*out = v->valuedouble;
	return true;
}

void status_facts_free(struct lineage_facts *f)
{
	if (!f)
		return;
	store_names_free(f->names);
	f->names = NULL;
}

/* The certificate's names from ARR into *OUT (NULL-terminated); false when
 * ARR is not a non-empty array of host names of at most 253 bytes. */
static bool names_of(const cJSON *arr, char ***out)
{
	int n = cJSON_GetArraySize(arr);
	char **v = NULL;
	const cJSON *it;
	size_t i = 0;

	if (!cJSON_IsArray(arr) || n <= 0 || n > 1000)
		return false;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		return false;
	cJSON_ArrayForEach(it, arr)
	{
		if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) > 253 ||
		    !(v[i] = strdup(it->valuestring))) {
			store_names_free(v);
			return false;
		}
		i++;
	}
	*out = v;
	return true;
}

/* The facts in DOC ("cert" and "renewal") into *OUT; false, with *OUT
 * untouched, when "cert" is absent or any of its keys malformed. A
 * malformed "renewal" only leaves the renewal facts out. */
static bool facts_of(const cJSON *doc, struct lineage_facts *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "cert");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(doc, "renewal");
	struct lineage_facts f = {0};
	double version, nb, na, until = 0;

	if (!cJSON_IsObject(c) || !num_fits(c, "version", 1e9, &version) ||
	    !num_fits(c, "not_before", 1e11, &nb) || !num_fits(c, "not_after", 1e11, &na) ||
	    na < nb || !str_fits(c, "key_type", f.key_type, sizeof(f.key_type)) ||
	    !str_fits(c, "issuer", f.issuer, sizeof(f.issuer)) ||
	    !str_fits(c, "serial", f.serial, sizeof(f.serial)) ||
	    !str_fits(c, "ari_id", f.ari_id, sizeof(f.ari_id)) ||
	    !str_fits(c, "file", f.cert_mark, sizeof(f.cert_mark)) || !f.cert_mark[0] ||
	    (cJSON_GetObjectItemCaseSensitive(c, "profile") &&
	     !str_fits(c, "profile", f.profile, sizeof(f.profile))) ||
	    !names_of(cJSON_GetObjectItemCaseSensitive(c, "names"), &f.names))
		return false;
	f.version = (int)version;
	f.not_before = (time_t)nb;
	f.not_after = (time_t)na;
	if (cJSON_IsObject(r) && str_fits(r, "file", f.renewal_mark, sizeof(f.renewal_mark)) &&
	    f.renewal_mark[0] && str_fits(r, "server", f.server, sizeof(f.server)) &&
	    (!cJSON_GetObjectItemCaseSensitive(r, "no_ari_until") ||
	     num_fits(r, "no_ari_until", 1e11, &until)))
		f.no_ari_until = (time_t)until;
	else
		f.renewal_mark[0] = f.server[0] = '\0';
	*out = f;
	return true;
}

int status_parse(const char *text, const char *origin, struct lineage_status *out,
                 struct lineage_facts *facts, struct error *e)
{
	struct lineage_status st = {0};
	struct lineage_facts f = {0};
	const cJSON *v;
	cJSON *doc = cJSON_Parse(text);
	int ret = -1;

	if (!cJSON_IsObject(doc)) {
		err_set(e, EXIT_OP, "%s is not a status record (a JSON object); remove it", origin);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "version");
	if (v && (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9)) {
		err_set(e, EXIT_OP, "%s: \"version\" is not a version number; remove the file",
		        origin);
		goto out;
	}
	st.version = v ? v->valueint : 0;
	st.deploy_pending = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "deploy_pending"));
	st.issuer_changed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "issuer_changed"));
	copy_str(doc, "deploy_error", st.deploy_error, sizeof(st.deploy_error));
	st.updated = time_of(doc, "updated");
	st.last_attempt = time_of(doc, "last_attempt");
	st.next_attempt = time_of(doc, "next_attempt");
	st.failures = count_of(doc, "failures");
	st.backoff = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "backoff"));
	st.ari_start = time_of(doc, "ari_start");
	st.ari_end = time_of(doc, "ari_end");
	st.ari_next_check = time_of(doc, "ari_next_check");
	copy_str(doc, "last_outcome", st.last_outcome, sizeof(st.last_outcome));
	copy_str(doc, "last_problem", st.last_problem, sizeof(st.last_problem));
	copy_str(doc, "last_error", st.last_error, sizeof(st.last_error));
	if (facts && !facts_of(doc, &f))
		memset(&f, 0, sizeof(f));
	*out = st;
	if (facts)
		*facts = f;
	ret = 0;
out:
	cJSON_Delete(doc);
	return ret;
}

int status_read_all(const struct store *s, const char *name, struct lineage_status *st,
                    struct lineage_facts *f, struct error *e)
{
	char path[PATH_MAX], *text = NULL;
	int fd = -1, ret = -1;

	if (status_path(s, name, path, sizeof(path)) < 0)
		return err_set(e, EXIT_USAGE, "invalid certificate name \"%s\"", name);
	/* Opening without a stat first: this runs once a lineage on every
	 * renew, and a missing record is the rare case. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		memset(st, 0, sizeof(*st));
		if (f)
			memset(f, 0, sizeof(*f));
		ret = 0;
		goto out;
	}
	if (fd < 0) {
		err_set_errno(e, EXIT_OP, errno, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (store_read_fd(fd, path, STATUS_MAX, NULL, NULL, &text, NULL, e) < 0)
		goto out;
	ret = status_parse(text, path, st, f, e);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return ret;
}

int status_read(const struct store *s, const char *name, struct lineage_status *out,
                struct error *e)
{
	return status_read_all(s, name, out, NULL, e);
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
static int put_deploy(cJSON *doc, const struct lineage_status *st, const struct lineage_facts *f)
{
	(void)f;
	if (set(doc, "version", cJSON_CreateNumber(st->version)) < 0 ||
	    set(doc, "deploy_pending", cJSON_CreateBool(st->deploy_pending)) < 0 ||
	    set(doc, "issuer_changed", cJSON_CreateBool(st->issuer_changed)) < 0)
		return -1;
	/* An error belongs to a pending deploy only. */
	return set_or_drop(doc, "deploy_error", st->deploy_pending ? st->deploy_error : "");
}

/* The attempt fields of ST into DOC. */
static int put_attempt(cJSON *doc, const struct lineage_status *st, const struct lineage_facts *f)
{
	(void)f;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "next_attempt");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "failures");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "backoff");
	if ((st->failures > 0 && set(doc, "failures", cJSON_CreateNumber(st->failures)) < 0) ||
	    (st->next_attempt && st->backoff && set(doc, "backoff", cJSON_CreateTrue()) < 0))
		return -1;
	if (set(doc, "last_attempt", cJSON_CreateNumber((double)st->last_attempt)) < 0 ||
	    set_or_drop(doc, "last_outcome", st->last_outcome) < 0 ||
	    set_or_drop(doc, "last_problem", st->last_problem) < 0 ||
	    set_or_drop(doc, "last_error", st->last_error) < 0)
		return -1;
	return st->next_attempt ? set(doc, "next_attempt", cJSON_CreateNumber((double)st->next_attempt))
	                        : 0;
}

/* The renewal window fields of ST into DOC. */
static int put_ari(cJSON *doc, const struct lineage_status *st, const struct lineage_facts *f)
{
	(void)f;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "ari_next_check");
	if (set(doc, "ari_start", cJSON_CreateNumber((double)st->ari_start)) < 0 ||
	    set(doc, "ari_end", cJSON_CreateNumber((double)st->ari_end)) < 0)
		return -1;
	return st->ari_next_check
	               ? set(doc, "ari_next_check", cJSON_CreateNumber((double)st->ari_next_check))
	               : 0;
}

/* The facts F into DOC. */
static int put_facts(cJSON *doc, const struct lineage_status *st, const struct lineage_facts *f)
{
	cJSON *c = cJSON_CreateObject(), *r = NULL, *names;

	const cJSON *was = cJSON_GetObjectItemCaseSensitive(doc, "cert");
	const cJSON *was_id = cJSON_GetObjectItemCaseSensitive(was, "ari_id");

	(void)st;
	/* A renewal window belongs to the certificate it was asked for: once
	 * another one is live, it is asked for anew. */
	if (cJSON_IsObject(was) &&
	    (!cJSON_IsString(was_id) || strcmp(was_id->valuestring, f->ari_id) != 0)) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "ari_start");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "ari_end");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "ari_next_check");
	}
	if (set(doc, "cert", c) < 0)
		return -1;
	names = cJSON_AddArrayToObject(c, "names");
	if (!names || !cJSON_AddNumberToObject(c, "version", f->version) ||
	    !cJSON_AddStringToObject(c, "key_type", f->key_type) ||
	    !cJSON_AddStringToObject(c, "issuer", f->issuer) ||
	    (f->profile[0] && !cJSON_AddStringToObject(c, "profile", f->profile)) ||
	    !cJSON_AddNumberToObject(c, "not_before", (double)f->not_before) ||
	    !cJSON_AddNumberToObject(c, "not_after", (double)f->not_after) ||
	    !cJSON_AddStringToObject(c, "serial", f->serial) ||
	    !cJSON_AddStringToObject(c, "ari_id", f->ari_id) ||
	    !cJSON_AddStringToObject(c, "file", f->cert_mark))
		return -1;
	for (size_t i = 0; f->names && f->names[i]; i++)
		if (!cJSON_AddItemToArray(names, cJSON_CreateString(f->names[i])))
			return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "renewal");
	if (!f->renewal_mark[0])
		return 0;
	r = cJSON_CreateObject();
	if (set(doc, "renewal", r) < 0 || !cJSON_AddStringToObject(r, "file", f->renewal_mark) ||
	    !cJSON_AddStringToObject(r, "server", f->server) ||
	    (f->no_ari_until && !cJSON_AddNumberToObject(r, "no_ari_until", (double)f->no_ari_until)))
		return -1;
	return 0;
}

char *status_format(const struct lineage_status *st, const struct lineage_facts *f)
{
	cJSON *doc = cJSON_CreateObject();
	char *text = NULL;

	if (doc && (!st || (put_deploy(doc, st, f) == 0 && put_attempt(doc, st, f) == 0 &&
	                    put_ari(doc, st, f) == 0 &&
	                    set(doc, "updated", cJSON_CreateNumber((double)st->updated)) == 0)) &&
	    (!f || put_facts(doc, st, f) == 0))
		text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

int status_file_mark(const char *path, char *dst, size_t cap)
{
	struct stat sb;
	int n;

	if (stat(path, &sb) < 0)
		return -1;
	n = snprintf(dst, cap, "%ju:%ju:%jd:%jd.%09ld", (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino,
	             (intmax_t)sb.st_size, (intmax_t)sb.st_ctim.tv_sec, (long)sb.st_ctim.tv_nsec);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Rewrite NAME's record with PUT applied to what is on disk. With FRESH,
 * a record on disk that is not a JSON object is started anew. */
static int update(const struct store *s, const char *name, const struct lineage_status *st,
                  const struct lineage_facts *f,
                  int (*put)(cJSON *, const struct lineage_status *, const struct lineage_facts *),
                  bool fresh, struct error *e)
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
	if (!doc && fresh && e->kind != ERR_NOMEM) {
		*e = (struct error){0};
		doc = cJSON_CreateObject();
	}
	if (!doc)
		goto out;
	if (put(doc, st, f) < 0 || set(doc, "updated", cJSON_CreateNumber((double)time(NULL))) < 0) {
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
	return update(s, name, st, NULL, put_deploy, false, e);
}

int status_write_attempt(const struct store *s, const char *name,
                         const struct lineage_status *st, struct error *e)
{
	return update(s, name, st, NULL, put_attempt, false, e);
}

int status_write_ari(const struct store *s, const char *name, const struct lineage_status *st,
                     struct error *e)
{
	return update(s, name, st, NULL, put_ari, false, e);
}

int status_write_facts(const struct store *s, const char *name, const struct lineage_facts *f,
                       struct error *e)
{
	return update(s, name, NULL, f, put_facts, true, e);
}

/* What a new version's record holds: its deploy state and its facts. */
static int put_issued(cJSON *doc, const struct lineage_status *st, const struct lineage_facts *f)
{
	return put_deploy(doc, st, f) < 0 ? -1 : put_facts(doc, st, f);
}

int status_write_issued(const struct store *s, const char *name, const struct lineage_status *st,
                        const struct lineage_facts *f, struct error *e)
{
	return update(s, name, st, f, put_issued, false, e);
}

/* The end of an attempt that made a version live: its deploy state, the
 * attempt, and the facts when they are not on disk yet. */
static int put_done(cJSON *doc, const struct lineage_status *st, const struct lineage_facts *f)
{
	if (put_deploy(doc, st, f) < 0 || put_attempt(doc, st, f) < 0)
		return -1;
	return f ? put_facts(doc, st, f) : 0;
}

int status_write_done(const struct store *s, const char *name, const struct lineage_status *st,
                      const struct lineage_facts *f, struct error *e)
{
	return update(s, name, st, f, put_done, false, e);
}
