#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/order_lost.h"
#include "base/log.h"

/* Append the URLs of LIST to *ALL (*N of them so far), dropping the oldest
 * ones beyond a bound so that a long list costs little memory: only the
 * last ORDER_LOST_RECENT are looked at. */
static void keep_recent(char ***all, size_t *n, struct obj_order_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		if (*n == ORDER_LOST_RECENT) {
			free((*all)[0]);
			memmove(*all, *all + 1, (*n - 1) * sizeof(**all));
			(*n)--;
		}
		(*all)[(*n)++] = list->urls[i];
		list->urls[i] = NULL;
	}
}

/* The URLs of the account's orders, the most recent last (the order in
 * which the CA lists them, page after page), at most ORDER_LOST_RECENT. */
static int list_orders(struct acme *a, struct log *log, const char *first, char ***out,
                       size_t *n, struct error *e)
{
	char *page = strdup(first);
	int ret = -1;

	*out = calloc(ORDER_LOST_RECENT, sizeof(**out));
	if (!page || !*out) {
		err_nomem(e);
		goto out;
	}
	for (int p = 0; page && p < ORDER_LOST_PAGES; p++) {
		struct acme_reply r = {0};
		struct obj_order_list list = {0};
		char **next = NULL;

		if (acme_post(a, "listing the account's orders", page, NULL, &r, e) < 0 ||
		    obj_order_list_parse(r.json, page, &list, e) < 0) {
			acme_reply_free(&r);
			goto out;
		}
		keep_recent(out, n, &list);
		obj_order_list_free(&list);
		next = http_links(&r.http, "next");
		acme_reply_free(&r);
		free(page);
		page = NULL;
		if (next && next[0] && strncmp(next[0], "https://", 8) == 0 &&
		    !(page = strdup(next[0]))) {
			http_links_free(next);
			err_nomem(e);
			goto out;
		}
		http_links_free(next);
	}
	if (page)
		log_msg(log, LVL_INFO, "The account's order list has more than %d pages; looking "
		        "at the first %d only", ORDER_LOST_PAGES, ORDER_LOST_PAGES);
	ret = 0;
out:
	free(page);
	return ret;
}

int order_find_lost(struct acme *a, struct log *log, const char *const *names, size_t n,
                    struct obj_order *ord, char **url, struct error *e)
{
	struct acme_reply r = {0};
	struct obj_account acct = {0};
	char **urls = NULL;
	size_t nu = 0;
	int ret = -1;

	if (!a->kid) {
		err_set(e, EXIT_OP, "cannot look for the lost order: no account is loaded");
		goto out;
	}
	if (acme_post(a, "fetching the account", a->kid, NULL, &r, e) < 0 ||
	    obj_account_parse(r.json, a->kid, &acct, e) < 0)
		goto out;
	if (!acct.orders) {
		log_msg(log, LVL_INFO, "The CA lists no orders for account %s; it cannot tell "
		        "whether the order was created", a->kid);
		ret = 0;
		goto out;
	}
	if (list_orders(a, log, acct.orders, &urls, &nu, e) < 0)
		goto out;
	log_msg(log, LVL_INFO, "The account has %zu recent order%s to compare", nu,
	        nu == 1 ? "" : "s");
	ret = 0;
	/* The newest first: the lost one is the last the CA created. */
	for (size_t i = nu; i-- > 0;) {
		struct acme_reply orp = {0};
		struct obj_order o = {0};

		if (acme_post(a, "fetching an order of the account", urls[i], NULL, &orp, e) < 0 ||
		    obj_order_parse(orp.json, urls[i], &o, e) < 0) {
			acme_reply_free(&orp);
			ret = -1;
			goto out;
		}
		acme_reply_free(&orp);
		if ((o.status == OBJ_ST_PENDING || o.status == OBJ_ST_READY) &&
		    obj_order_for(&o, names, n)) {
			if (!(*url = strdup(urls[i]))) {
				obj_order_free(&o);
				ret = err_nomem(e);
				goto out;
			}
			*ord = o;
			ret = 1;
			goto out;
		}
		obj_order_free(&o);
	}
out:
	for (size_t i = 0; urls && i < nu; i++)
		free(urls[i]);
	free(urls);
	obj_account_free(&acct);
	acme_reply_free(&r);
	return ret;
}
