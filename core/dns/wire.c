/* The DNS wire codec: names, messages, queries and UPDATEs. No sockets, so
 * every function here can be unit-tested and fuzzed on plain bytes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/wire.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t lower_byte(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Expand the name at OFF into uncompressed wire form (terminating zero
 * included). A pointer must point before the start of the run of labels it
 * ends, so every jump goes strictly backwards and loops cannot exist; it may
 * not point into the header either. */
static int name_expand(const uint8_t *wire, size_t len, size_t off, uint8_t out[DNS_MAX_WIRE_NAME],
		       size_t *outlen, size_t *next)
{
	size_t pos = off, run_start = off, o = 0, after = 0;
	bool jumped = false;

	for (;;) {
		uint8_t b;

		if (pos >= len)
			return -1;
		b = wire[pos];
		if ((b & 0xC0) == 0xC0) {
			size_t target;

			if (pos + 1 >= len)
				return -1;
			target = ((size_t)(b & 0x3F) << 8) | wire[pos + 1];
			if (target >= run_start || target < DNS_HEADER_LEN)
				return -1;
			if (!jumped)
				after = pos + 2;
			jumped = true;
			run_start = target;
			pos = target;
			continue;
		}
		if (b & 0xC0)
			return -1; /* extended and reserved label types */
		if (b == 0) {
			if (o + 1 > DNS_MAX_WIRE_NAME)
				return -1;
			out[o++] = 0;
			if (!jumped)
				after = pos + 1;
			break;
		}
		if (pos + 1 + b > len || o + 1 + b + 1 > DNS_MAX_WIRE_NAME)
			return -1;
		memcpy(out + o, wire + pos, 1 + (size_t)b);
		o += 1 + (size_t)b;
		pos += 1 + (size_t)b;
	}
	*outlen = o;
	if (next)
		*next = after;
	return 0;
}

/* Uncompressed wire name to presentation text; see dns_name_read. */
static int wire_to_text(const uint8_t *w, size_t wl, bool lower, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (cap < 2)
		return -1;
	if (wl == 0)
		return -1;
	if (w[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 0;
	}
	while (i < wl && w[i] != 0) {
		size_t n = w[i++];

		if (i + n > wl)
			return -1;
		if (o > 0) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '.';
		}
		for (size_t k = 0; k < n; k++) {
			uint8_t c = w[i + k];
			char tmp[5];
			size_t tl;

			if (lower)
				c = lower_byte(c);
			if (c == '.' || c == '\\') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c < 0x21 || c > 0x7e) {
				snprintf(tmp, sizeof(tmp), "\\%03u", (unsigned)c);
				tl = 4;
			} else {
				tmp[0] = (char)c;
				tl = 1;
			}
			if (o + tl >= cap)
				return -1;
			memcpy(out + o, tmp, tl);
			o += tl;
		}
		i += n;
	}
	out[o] = '\0';
	return 0;
}

int dns_name_read(const uint8_t *wire, size_t len, size_t off, bool lower, char *out,
		  size_t cap, size_t *next)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	size_t wl = 0, nx = 0;

	if (name_expand(wire, len, off, w, &wl, &nx) < 0)
		return -1;
	if (wire_to_text(w, wl, lower, out, cap) < 0)
		return -1;
	if (next)
		*next = nx;
	return 0;
}

int dns_name_to_wire(const char *name, uint8_t out[DNS_MAX_WIRE_NAME])
{
	uint8_t label[DNS_MAX_LABEL];
	size_t ll = 0, o = 0;
	const char *p = name;

	if (!name)
		return -1;
	if (strcmp(name, ".") == 0 || name[0] == '\0') {
		out[0] = 0;
		return 1;
	}
	for (;;) {
		char c = *p;

		if (c == '\0' || c == '.') {
			if (ll == 0) {
				/* Only a single final dot may end in an empty label. */
				if (c == '.' || p == name || p[-1] != '.')
					return -1;
				break;
			}
			if (o + 1 + ll + 1 > DNS_MAX_WIRE_NAME)
				return -1;
			out[o++] = (uint8_t)ll;
			memcpy(out + o, label, ll);
			o += ll;
			ll = 0;
			if (c == '\0')
				break;
			p++;
			if (*p == '\0')
				break;
			continue;
		}
		if (ll >= DNS_MAX_LABEL)
			return -1;
		if (c == '\\') {
			p++;
			if (p[0] >= '0' && p[0] <= '9') {
				unsigned v;

				if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
					return -1;
				v = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
				    (unsigned)(p[2] - '0');
				if (v > 255)
					return -1;
				label[ll++] = (uint8_t)v;
				p += 3;
			} else if (*p == '\0') {
				return -1;
			} else {
				label[ll++] = (uint8_t)*p++;
			}
			continue;
		}
		label[ll++] = (uint8_t)c;
		p++;
	}
	out[o++] = 0;
	return (int)o;
}

static bool wire_equal_ci(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower_byte(a[i]) != lower_byte(b[i]))
			return false;
	return true;
}

bool dns_name_equal(const char *a, const char *b)
{
	uint8_t wa[DNS_MAX_WIRE_NAME], wb[DNS_MAX_WIRE_NAME];
	int la = dns_name_to_wire(a, wa), lb = dns_name_to_wire(b, wb);

	return la > 0 && la == lb && wire_equal_ci(wa, wb, (size_t)la);
}

bool dns_name_under(const char *name, const char *zone)
{
	uint8_t wn[DNS_MAX_WIRE_NAME], wz[DNS_MAX_WIRE_NAME];
	int ln = dns_name_to_wire(name, wn), lz = dns_name_to_wire(zone, wz);
	size_t i = 0;

	if (ln <= 0 || lz <= 0 || lz > ln)
		return false;
	for (;;) {
		if ((size_t)(ln - lz) == i)
			return wire_equal_ci(wn + i, wz, (size_t)lz);
		if (i >= (size_t)ln || wn[i] == 0)
			return false;
		i += 1 + (size_t)wn[i];
		if (i > (size_t)(ln - lz))
			return false;
	}
}

/* Check that RDATA of the types we present is well formed, so that later
 * presentation cannot fail on a message that parsed. */
static int rdata_check(const uint8_t *wire, size_t len, const struct dns_rr *rr)
{
	size_t end = rr->rdata_off + rr->rdlen, next = 0, p;
	uint8_t w[DNS_MAX_WIRE_NAME];
	size_t wl;

	/* UPDATE deletes a whole RRset with class ANY and no data. */
	if (rr->rdlen == 0 && rr->rclass == DNS_C_ANY)
		return 0;
	switch (rr->type) {
	case DNS_T_A:
		return rr->rdlen == 4 ? 0 : -1;
	case DNS_T_AAAA:
		return rr->rdlen == 16 ? 0 : -1;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_DNAME:
		if (name_expand(wire, end, rr->rdata_off, w, &wl, &next) < 0)
			return -1;
		return next == end ? 0 : -1;
	case DNS_T_SOA:
		if (name_expand(wire, end, rr->rdata_off, w, &wl, &next) < 0)
			return -1;
		if (name_expand(wire, end, next, w, &wl, &next) < 0)
			return -1;
		return next + 20 == end ? 0 : -1;
	case DNS_T_TXT:
		for (p = rr->rdata_off; p < end; p += 1 + (size_t)wire[p])
			;
		return p == end ? 0 : -1;
	default:
		(void)len;
		return 0;
	}
}

static const char *const section_names[] = {"question", "answer", "authority", "additional"};

/* The question of R (at most one), from *POS on. */
static int parse_question(struct dns_msg *r, size_t *pos, struct error *e)
{
	if (r->count[DNS_S_QUESTION] > 1)
		return err_set(e, EXIT_OP, "DNS message has %u questions", r->count[DNS_S_QUESTION]);
	if (r->count[DNS_S_QUESTION] == 0)
		return 0;
	if (dns_name_read(r->wire, r->len, *pos, false, r->qname, sizeof(r->qname), pos) < 0 ||
	    *pos + 4 > r->len)
		return err_set(e, EXIT_OP, "DNS message has a malformed question");
	r->qtype = get16(r->wire + *pos);
	r->qclass = get16(r->wire + *pos + 2);
	*pos += 4;
	r->has_question = true;
	return 0;
}

/* The record of section S at *POS of R into RR; *POS moves past it and
 * *WIRE_NAME_LEN gets the length of its owner name in wire form. */
static int parse_rr(const struct dns_msg *r, enum dns_section s, size_t *pos, struct dns_rr *rr,
		    size_t *wire_name_len, struct error *e)
{
	uint8_t w[DNS_MAX_WIRE_NAME];

	rr->section = s;
	rr->off = *pos;
	rr->name_off = *pos;
	if (name_expand(r->wire, r->len, *pos, w, wire_name_len, pos) < 0)
		return err_set(e, EXIT_OP, "DNS message has a malformed name in the %s section",
			       section_names[s]);
	if (*pos + 10 > r->len)
		return err_set(e, EXIT_OP, "DNS message truncated in the %s section",
			       section_names[s]);
	rr->type = get16(r->wire + *pos);
	rr->rclass = get16(r->wire + *pos + 2);
	rr->ttl = get32(r->wire + *pos + 4);
	rr->rdlen = get16(r->wire + *pos + 8);
	rr->rdata_off = *pos + 10;
	if (rr->rdata_off + rr->rdlen > r->len)
		return err_set(e, EXIT_OP, "DNS message truncated in the %s section",
			       section_names[s]);
	*pos = rr->rdata_off + rr->rdlen;
	if (rdata_check(r->wire, r->len, rr) < 0)
		return err_set(e, EXIT_OP, "DNS message has malformed %s data in the %s section",
			       dns_type_name(rr->type), section_names[s]);
	return 0;
}

/* OPT and TSIG records are message metadata: note them in R, and refuse
 * them out of place (OPT once, at the root, in the additional section;
 * TSIG the very last record, of class ANY). */
static int note_meta_rr(struct dns_msg *r, const struct dns_rr *rr, size_t wire_name_len,
			bool last, struct error *e)
{
	if (rr->type == DNS_T_OPT) {
		if (rr->section != DNS_S_ADDITIONAL || r->has_opt || wire_name_len != 1)
			return err_set(e, EXIT_OP, "DNS message has a misplaced OPT record");
		r->has_opt = true;
		r->edns_udp_size = rr->rclass;
		r->rcode |= (int)((rr->ttl >> 24) & 0xFF) << 4;
	} else if (rr->type == DNS_T_TSIG) {
		if (rr->section != DNS_S_ADDITIONAL || !last || rr->rclass != DNS_C_ANY)
			return err_set(e, EXIT_OP, "DNS message has a misplaced TSIG record");
		r->has_tsig = true;
	}
	return 0;
}

int dns_parse(const uint8_t *wire, size_t len, struct dns_msg *m, struct error *e)
{
	struct dns_msg r;
	size_t pos = DNS_HEADER_LEN, total, nr = 0;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (!wire || len < DNS_HEADER_LEN) {
		err_set(e, EXIT_OP, "DNS message too short (%zu bytes)", len);
		goto out;
	}
	if (len > DNS_MAX_MSG) {
		err_set(e, EXIT_OP, "DNS message too long (%zu bytes)", len);
		goto out;
	}
	r.wire = wire;
	r.len = len;
	r.id = get16(wire);
	r.flags = get16(wire + 2);
	r.opcode = (r.flags >> 11) & 0xF;
	r.rcode = r.flags & 0xF;
	for (int i = 0; i < 4; i++)
		r.count[i] = get16(wire + 4 + 2 * i);
	if (parse_question(&r, &pos, e) < 0)
		goto out;
	total = (size_t)r.count[1] + r.count[2] + r.count[3];
	/* The smallest record is 11 bytes, so a count the data cannot hold is
	 * rejected before anything is allocated for it. */
	if (total > (len - pos) / 11) {
		err_set(e, EXIT_OP, "DNS message truncated: %zu records announced", total);
		goto out;
	}
	if (total) {
		r.rrs = calloc(total, sizeof(*r.rrs));
		if (!r.rrs) {
			err_nomem(e);
			goto out;
		}
	}
	for (int s = DNS_S_ANSWER; s <= DNS_S_ADDITIONAL; s++) {
		for (unsigned i = 0; i < r.count[s]; i++) {
			size_t wl = 0;

			if (parse_rr(&r, (enum dns_section)s, &pos, &r.rrs[nr], &wl, e) < 0)
				goto out;
			nr++;
			if (note_meta_rr(&r, &r.rrs[nr - 1], wl, nr == total, e) < 0)
				goto out;
		}
	}
	if (pos != len) {
		err_set(e, EXIT_OP, "DNS message has %zu trailing bytes", len - pos);
		goto out;
	}
	r.nrr = nr;
	*m = r;
	r.rrs = NULL;
	rc = 0;
out:
	free(r.rrs);
	return rc;
}

void dns_msg_free(struct dns_msg *m)
{
	if (!m)
		return;
	free(m->rrs);
	m->rrs = NULL;
	m->nrr = 0;
}

/* SOA data from OFF to END as "mname rname serial refresh retry expire
 * minimum", malloc'd; NULL when malformed or out of memory. */
static char *soa_text(const uint8_t *w, size_t off, size_t end)
{
	char mname[DNS_NAME_TEXT], rname[DNS_NAME_TEXT], *s;
	size_t next = 0, n;

	if (dns_name_read(w, end, off, true, mname, sizeof(mname), &next) < 0 ||
	    dns_name_read(w, end, next, true, rname, sizeof(rname), &next) < 0 || next + 20 != end)
		return NULL;
	n = strlen(mname) + strlen(rname) + 5 * 11 + 8;
	s = malloc(n);
	if (!s)
		return NULL;
	snprintf(s, n, "%s %s %u %u %u %u %u", mname, rname, get32(w + next), get32(w + next + 4),
		 get32(w + next + 8), get32(w + next + 12), get32(w + next + 16));
	return s;
}

/* TXT data from OFF to END: its character-strings concatenated, malloc'd;
 * NULL when malformed or out of memory. */
static char *txt_text(const uint8_t *w, size_t off, size_t end)
{
	size_t p = off, o = 0;
	char *s = malloc(end - off + 1);

	if (!s)
		return NULL;
	while (p < end) {
		size_t n = w[p];

		if (p + 1 + n > end) {
			free(s);
			return NULL;
		}
		memcpy(s + o, w + p + 1, n);
		o += n;
		p += 1 + n;
	}
	s[o] = '\0';
	return s;
}

int dns_rdata_text(const struct dns_msg *m, const struct dns_rr *rr, char **out)
{
	const uint8_t *w = m->wire;
	size_t end = rr->rdata_off + rr->rdlen, next = 0;
	char *s = NULL;
	int rc = -1;

	if (end > m->len)
		goto out;
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA: {
		char tmp[INET6_ADDRSTRLEN];
		int af = rr->type == DNS_T_A ? AF_INET : AF_INET6;

		if (rr->rdlen != (rr->type == DNS_T_A ? 4 : 16) ||
		    !inet_ntop(af, w + rr->rdata_off, tmp, sizeof(tmp)))
			goto out;
		s = strdup(tmp);
		break;
	}
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_DNAME: {
		char name[DNS_NAME_TEXT];

		if (dns_name_read(w, end, rr->rdata_off, true, name, sizeof(name), &next) < 0 ||
		    next != end)
			goto out;
		s = strdup(name);
		break;
	}
	case DNS_T_SOA:
		s = soa_text(w, rr->rdata_off, end);
		break;
	case DNS_T_TXT:
		s = txt_text(w, rr->rdata_off, end);
		break;
	default:
		goto out;
	}
	if (!s)
		goto out;
	*out = s;
	s = NULL;
	rc = 0;
out:
	free(s);
	return rc;
}

static const struct {
	const char *name;
	int type;
} type_names[] = {
	{"A", DNS_T_A},       {"NS", DNS_T_NS},     {"CNAME", DNS_T_CNAME}, {"SOA", DNS_T_SOA},
	{"TXT", DNS_T_TXT},   {"AAAA", DNS_T_AAAA}, {"DNAME", DNS_T_DNAME}, {"OPT", DNS_T_OPT},
	{"TSIG", DNS_T_TSIG}, {"ANY", DNS_T_ANY},
};

int dns_type_from_name(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(s, type_names[i].name) == 0)
			return type_names[i].type;
	return -1;
}

const char *dns_type_name(int type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "unknown-type";
}

/* --- building --- */

void dns_builder_init(struct dns_builder *b, uint8_t *buf, size_t cap, uint16_t id,
		      uint16_t flags)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	if (!buf || cap < DNS_HEADER_LEN) {
		b->failed = true;
		return;
	}
	memset(buf, 0, DNS_HEADER_LEN);
	put16(buf, id);
	put16(buf + 2, flags);
	b->len = DNS_HEADER_LEN;
}

static bool room(struct dns_builder *b, size_t n)
{
	if (b->failed || b->cap - b->len < n) {
		b->failed = true;
		return false;
	}
	return true;
}

/* Find an earlier name in the message equal to the suffix W/WL, for a
 * compression pointer. Returns its offset or 0 (never a valid target). */
static size_t find_suffix(const struct dns_builder *b, const uint8_t *w, size_t wl)
{
	for (size_t i = 0; i < b->nnames; i++) {
		uint8_t x[DNS_MAX_WIRE_NAME];
		size_t xl = 0;

		if (name_expand(b->buf, b->len, b->names[i], x, &xl, NULL) == 0 && xl == wl &&
		    wire_equal_ci(x, w, wl))
			return b->names[i];
	}
	return 0;
}

/* Write NAME, compressed against earlier owner names, recording its labels
 * as future pointer targets. */
static void put_name(struct dns_builder *b, const char *name, bool compress)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	int wl = dns_name_to_wire(name, w);
	size_t i = 0, ptr = 0, start;

	if (wl < 0) {
		b->failed = true;
		return;
	}
	if (compress) {
		/* The longest matching suffix: try from the leftmost label on. */
		for (i = 0; w[i] != 0; i += 1 + (size_t)w[i]) {
			ptr = find_suffix(b, w + i, (size_t)wl - i);
			if (ptr)
				break;
		}
	} else {
		i = (size_t)wl - 1;
	}
	if (!ptr)
		i = (size_t)wl - 1; /* everything but the root byte written as labels */
	if (!room(b, i + (ptr ? 2 : 1)))
		return;
	start = b->len;
	memcpy(b->buf + b->len, w, i);
	b->len += i;
	if (ptr) {
		put16(b->buf + b->len, (uint16_t)(0xC000 | ptr));
		b->len += 2;
	} else {
		b->buf[b->len++] = 0;
	}
	if (!compress)
		return;
	for (size_t k = 0; k < i; k += 1 + (size_t)w[k])
		if (start + k < 0x4000 && b->nnames < sizeof(b->names) / sizeof(b->names[0]))
			b->names[b->nnames++] = start + k;
}

void dns_builder_question(struct dns_builder *b, const char *name, uint16_t type,
			  uint16_t rclass)
{
	if (b->failed || b->section != DNS_S_QUESTION || b->count[0] == UINT16_MAX) {
		b->failed = true;
		return;
	}
	put_name(b, name, true);
	if (!room(b, 4))
		return;
	put16(b->buf + b->len, type);
	put16(b->buf + b->len + 2, rclass);
	b->len += 4;
	b->count[0]++;
}

static void add_rr(struct dns_builder *b, enum dns_section s, const char *name, bool compress,
		   uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
		   uint16_t rdlen)
{
	if (b->failed || s < b->section || s == DNS_S_QUESTION || b->count[s] == UINT16_MAX) {
		b->failed = true;
		return;
	}
	b->section = s;
	put_name(b, name, compress);
	if (!room(b, 10 + (size_t)rdlen))
		return;
	put16(b->buf + b->len, type);
	put16(b->buf + b->len + 2, rclass);
	put32(b->buf + b->len + 4, ttl);
	put16(b->buf + b->len + 8, rdlen);
	if (rdlen)
		memcpy(b->buf + b->len + 10, rdata, rdlen);
	b->len += 10 + (size_t)rdlen;
	b->count[s]++;
}

void dns_builder_rr(struct dns_builder *b, enum dns_section s, const char *name, uint16_t type,
		    uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	add_rr(b, s, name, true, type, rclass, ttl, rdata, rdlen);
}

void dns_builder_opt(struct dns_builder *b, uint16_t udp_size)
{
	add_rr(b, DNS_S_ADDITIONAL, ".", false, DNS_T_OPT, udp_size, 0, NULL, 0);
}

int dns_builder_finish(struct dns_builder *b)
{
	if (b->failed)
		return -1;
	for (int i = 0; i < 4; i++)
		put16(b->buf + 4 + 2 * i, b->count[i]);
	return (int)b->len;
}

int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type,
		    bool rd, uint16_t edns_udp_size)
{
	struct dns_builder b;

	dns_builder_init(&b, buf, cap, id, rd ? DNS_F_RD : 0);
	dns_builder_question(&b, name, type, DNS_C_IN);
	if (edns_udp_size)
		dns_builder_opt(&b, edns_udp_size);
	return dns_builder_finish(&b);
}

int dns_build_update_txts(uint8_t *buf, size_t cap, uint16_t id, const char *zone,
			  const char *const *names, const char *const *txts, size_t n, uint32_t ttl,
			  bool add)
{
	struct dns_builder b;
	uint8_t rdata[256];

	if (n == 0 || n > UINT16_MAX || !names || !txts)
		return -1;
	dns_builder_init(&b, buf, cap, id, (uint16_t)(DNS_OP_UPDATE << 11));
	dns_builder_question(&b, zone, DNS_T_SOA, DNS_C_IN);
	for (size_t i = 0; i < n; i++) {
		size_t len = txts[i] ? strlen(txts[i]) : 256;

		if (len > 255 || !names[i])
			return -1;
		rdata[0] = (uint8_t)len;
		memcpy(rdata + 1, txts[i], len);
		/* RFC 2136 §2.5.4: class NONE and TTL 0 delete exactly this RR. */
		dns_builder_rr(&b, DNS_S_AUTHORITY, names[i], DNS_T_TXT,
			       add ? DNS_C_IN : DNS_C_NONE, add ? ttl : 0, rdata,
			       (uint16_t)(len + 1));
	}
	return dns_builder_finish(&b);
}

int dns_build_update_txt(uint8_t *buf, size_t cap, uint16_t id, const char *zone,
			 const char *name, const char *txt, uint32_t ttl, bool add)
{
	return dns_build_update_txts(buf, cap, id, zone, &name, &txt, 1, ttl, add);
}
