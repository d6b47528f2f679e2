/* One present and one cleanup batch per plugin instance; see batch.h. */
#include <stdlib.h>

#include "base/log.h"
#include "host/batch.h"

/* The challenges of CHS[0..N) that belong to CHS[FIRST].inst and (when
 * ONLY_PRESENTED) were presented: their descriptions into DESC, their
 * indexes into IDX; returns how many. A group is taken once: from the
 * challenge where its instance first appears. */
static size_t group_of(const struct host_challenge *chs, size_t n, size_t first,
                       bool only_presented, struct challenge_desc *desc, size_t *idx)
{
	size_t k = 0;

	for (size_t j = 0; j < first; j++)
		if (chs[j].inst == chs[first].inst)
			return 0;
	for (size_t j = first; j < n; j++) {
		if (chs[j].inst != chs[first].inst || (only_presented && !*chs[j].presented))
			continue;
		desc[k] = chs[j].desc;
		idx[k++] = j;
	}
	return k;
}

/* Room for one instance's group: the descriptions, their indexes in CHS
 * and the plugin's results. */
struct scratch {
	struct challenge_desc *desc;
	size_t *idx;
	int *results;
};

static int scratch_new(struct scratch *s, size_t n, struct error *e)
{
	s->desc = calloc(n ? n : 1, sizeof(*s->desc));
	s->idx = calloc(n ? n : 1, sizeof(*s->idx));
	s->results = calloc(n ? n : 1, sizeof(*s->results));
	if (s->desc && s->idx && s->results)
		return 0;
	free(s->desc);
	free(s->idx);
	free(s->results);
	return err_nomem(e);
}

static void scratch_free(struct scratch *s)
{
	free(s->desc);
	free(s->idx);
	free(s->results);
}

int host_present_all(const struct host_challenge *chs, size_t n, struct log *log,
                     struct error *e)
{
	struct scratch s;
	int ret = -1;

	if (scratch_new(&s, n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t k = group_of(chs, n, i, false, s.desc, s.idx);
		int rc;

		for (size_t j = 0; j < k; j++)
			log_msg(log, LVL_INFO, "Presenting %s for %s with %s",
			        challenge_type_name(s.desc[j].type), chs[s.idx[j]].name,
			        host_instance_name(chs[i].inst));
		if (k == 0)
			continue;
		rc = host_instance_present_batch(chs[i].inst, s.desc, k, s.results, e);
		for (size_t j = 0; j < k; j++)
			*chs[s.idx[j]].presented = s.results[j] == 0;
		for (size_t j = 0; rc < 0 && j < k; j++) {
			if (s.results[j] == 0)
				continue;
			/* A failure has already said why; a decline has not. */
			err_set(e, EXIT_OP, "%s declined the %s challenge for %s",
			        host_instance_name(chs[i].inst), challenge_type_name(s.desc[j].type),
			        chs[s.idx[j]].name);
			goto out;
		}
	}
	ret = 0;
out:
	scratch_free(&s);
	return ret;
}

void host_cleanup_all(const struct host_challenge *chs, size_t n, struct log *log)
{
	struct scratch s;
	struct error e = {0};

	if (scratch_new(&s, n, &e) < 0) {
		/* Without room for a batch, one call each still cleans up. */
		for (size_t i = 0; i < n; i++) {
			struct error ce = {0};

			if (*chs[i].presented && host_instance_cleanup(chs[i].inst, &chs[i].desc, &ce) != 0)
				log_msg(log, LVL_WARN, "cleanup for %s failed: %s", chs[i].name,
				        ce.msg[0] ? ce.msg : "declined");
			*chs[i].presented = false;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = group_of(chs, n, i, true, s.desc, s.idx);

		err_clear(&e);
		if (k == 0 || host_instance_cleanup_batch(chs[i].inst, s.desc, k, s.results, &e) == 0)
			continue;
		for (size_t j = 0; j < k; j++)
			if (s.results[j] != 0)
				log_msg(log, LVL_WARN, "cleanup for %s failed: %s", chs[s.idx[j]].name,
				        e.msg[0] ? e.msg : "declined");
	}
	for (size_t i = 0; i < n; i++)
		*chs[i].presented = false;
	scratch_free(&s);
}
