/* The standalone HTTP server (see server.h).
 *
 * One thread multiplexes every connection with poll over non-blocking
 * sockets, so a slow client holds only its own slot: each connection has
 * a deadline from its accept, its request head is capped (request.h), and
 * when every slot is taken the oldest connection is dropped for the new
 * one. Every answer closes its connection. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "request.h"
#include "server.h"

#define MAX_CONNS 64
#define CONN_SECONDS 10 /* a connection's whole life: read the head, write the answer */
#define RESP_MAX 1024

struct conn {
	int fd;                     /* -1: free slot */
	double deadline;
	char in[REQ_HEAD_MAX];
	size_t in_len;
	char out[RESP_MAX];
	size_t out_len, out_off;    /* out_len > 0: writing the answer */
};

struct token {
	char *token, *keyauth;
};

struct server {
	int lfd[2];
	int nl;
	int wake[2];                /* a byte written to wake[1] stops the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;       /* guards toks */
	struct token *toks;
	size_t ntoks;
	struct conn conns[MAX_CONNS];
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in_len = c->out_len = c->out_off = 0;
}

/* The answer to a parsed head (or to a refused one) in C->out. */
static void answer(struct server *s, struct conn *c, enum req_status st, const struct req *r)
{
	const char *status = "400 Bad Request", *body = "bad request\n", *extra = "";
	char keyauth[RESP_MAX / 2] = "";
	int n;

	if (st == REQ_TOO_LONG) {
		status = "431 Request Header Fields Too Large";
		body = "request head too large\n";
	} else if (st == REQ_DONE && !r->method_ok) {
		status = "405 Method Not Allowed";
		body = "only GET and HEAD\n";
		extra = "Allow: GET, HEAD\r\n";
	} else if (st == REQ_DONE) {
		status = "404 Not Found";
		body = "not found\n";
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; r->challenge && i < s->ntoks; i++)
			if (strcmp(s->toks[i].token, r->token) == 0 &&
			    strlen(s->toks[i].keyauth) < sizeof(keyauth)) {
				strcpy(keyauth, s->toks[i].keyauth);
				status = "200 OK";
				body = keyauth;
			}
		pthread_mutex_unlock(&s->lock);
	}
	n = snprintf(c->out, sizeof(c->out),
	             "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	             "%sConnection: close\r\n\r\n%s",
	             status, strlen(body), extra, st == REQ_DONE && r->head ? "" : body);
	c->out_len = n > 0 && (size_t)n < sizeof(c->out) ? (size_t)n : 0;
	c->out_off = 0;
	if (c->out_len == 0)
		conn_close(c);
}

static void on_readable(struct server *s, struct conn *c)
{
	struct req r;
	enum req_status st;
	ssize_t n;

	if (c->in_len == sizeof(c->in)) {
		answer(s, c, REQ_TOO_LONG, NULL);
		return;
	}
	n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	st = req_parse(c->in, c->in_len, &r);
	if (st != REQ_MORE)
		answer(s, c, st, &r);
}

static void on_writable(struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

/* Take every pending connection of FD, each into a free slot or, when
 * there is none, into the oldest one's. */
static void accept_all(struct server *s, int fd, double now)
{
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *slot = NULL;

		if (cfd < 0)
			return;
		for (size_t i = 0; i < MAX_CONNS && !slot; i++)
			if (s->conns[i].fd < 0)
				slot = &s->conns[i];
		for (size_t i = 0; i < MAX_CONNS && !slot; i++)
			if (!slot || s->conns[i].deadline < slot->deadline)
				slot = &s->conns[i];
		if (!slot) {
			close(cfd);
			continue;
		}
		conn_close(slot);
		slot->fd = cfd;
		slot->deadline = now + CONN_SECONDS;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	struct pollfd pf[3 + MAX_CONNS];
	struct conn *who[3 + MAX_CONNS];

	for (;;) {
		double now = mono_now(), first = 0;
		int np = 0, timeout = -1;

		pf[np] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		who[np++] = NULL;
		for (int i = 0; i < s->nl; i++) {
			pf[np] = (struct pollfd){.fd = s->lfd[i], .events = POLLIN};
			who[np++] = NULL;
		}
		for (size_t i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->fd < 0)
				continue;
			if (c->deadline <= now) {
				conn_close(c);
				continue;
			}
			if (first == 0 || c->deadline < first)
				first = c->deadline;
			pf[np] = (struct pollfd){.fd = c->fd, .events = c->out_len ? POLLOUT : POLLIN};
			who[np++] = c;
		}
		if (first > 0)
			timeout = (int)((first - now) * 1000) + 1;
		if (poll(pf, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			break;
		now = mono_now();
		for (int i = 1; i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (!who[i])
				accept_all(s, pf[i].fd, now);
			else if (who[i]->fd == pf[i].fd && who[i]->out_len)
				on_writable(who[i]);
			else if (who[i]->fd == pf[i].fd)
				on_readable(s, who[i]);
		}
	}
	return NULL;
}

/* Parse ADDRESS into SS; NULL is the IPv4 wildcard. */
static int parse_address(const char *address, int family, struct sockaddr_storage *ss,
                         socklen_t *len, unsigned port)
{
	char host[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (address && address[0] == '[') {
		n = strlen(address);
		if (n < 3 || address[n - 1] != ']' || n - 2 >= sizeof(host))
			return -1;
		memcpy(host, address + 1, n - 2);
		host[n - 2] = '\0';
		address = host;
	}
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (address && inet_pton(AF_INET, address, &a->sin_addr) != 1)
			return -1;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (address && inet_pton(AF_INET6, address, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof(*a);
	}
	return 0;
}

/* Listen on FAMILY's ADDRESS:PORT. Returns the socket, -2 when the family
 * is not available on this host, or -1 with WHY set. */
static int listen_on(int family, const char *address, const char *shown, unsigned port,
                     char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int fd, on = 1;

	if (parse_address(address, family, &ss, &len, port) < 0) {
		snprintf(why, whylen, "http01_address \"%s\" is not an IP address", address);
		return -1;
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && !address && errno == EAFNOSUPPORT)
		return -2;
	if (fd < 0) {
		snprintf(why, whylen, "cannot open a socket for %s: %s", shown, strerror(errno));
		return -1;
	}
	/* A renewal run orders one lineage after another: the previous
	 * order's closed connections must not keep the port. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Every address is two sockets, so [::] must leave IPv4 to the
	 * other one; an explicit "::" takes both, as the system default. */
	if (family == AF_INET6 && !address)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		int err = errno;

		close(fd);
		if (!address && family == AF_INET6 && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT))
			return -2;
		if (err == EADDRINUSE)
			snprintf(why, whylen, "port %u on %s is in use: %s; stop what listens "
			         "there, or choose --http-01-port and --http-01-address", port, shown,
			         strerror(err));
		else
			snprintf(why, whylen, "cannot listen on port %u on %s: %s", port, shown,
			         strerror(err));
		return -1;
	}
	return fd;
}

int server_start(const char *address, unsigned port, struct server **out, char *why,
                 size_t whylen)
{
	struct server *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int fd;

	if (!s) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	s->wake[0] = s->wake[1] = -1;
	for (size_t i = 0; i < MAX_CONNS; i++)
		s->conns[i].fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	if (address) {
		bool v6 = strchr(address, ':') != NULL;

		fd = listen_on(v6 ? AF_INET6 : AF_INET, address, address, port, why, whylen);
		if (fd < 0)
			goto fail;
		s->lfd[s->nl++] = fd;
	} else {
		if ((fd = listen_on(AF_INET, NULL, "0.0.0.0", port, why, whylen)) < 0)
			goto fail;
		s->lfd[s->nl++] = fd;
		fd = listen_on(AF_INET6, NULL, "::", port, why, whylen);
		if (fd == -1)
			goto fail;
		if (fd >= 0)
			s->lfd[s->nl++] = fd;
	}
	if (pipe2(s->wake, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	/* The thread takes no signal: the host's thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	errno = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		snprintf(why, whylen, "cannot start the server thread: %s", strerror(errno));
		goto fail;
	}
	s->running = true;
	*out = s;
	return 0;
fail:
	server_stop(s);
	return -1;
}

int server_add(struct server *s, const char *token, const char *keyauth)
{
	struct token *nt;
	char *t = strdup(token), *k = strdup(keyauth);
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	if (!t || !k)
		goto out;
	for (size_t i = 0; i < s->ntoks; i++)
		if (strcmp(s->toks[i].token, token) == 0) {
			free(s->toks[i].keyauth);
			s->toks[i].keyauth = k;
			k = NULL;
			ret = 0;
			goto out;
		}
	nt = realloc(s->toks, (s->ntoks + 1) * sizeof(*nt));
	if (!nt)
		goto out;
	s->toks = nt;
	nt[s->ntoks++] = (struct token){.token = t, .keyauth = k};
	t = k = NULL;
	ret = 0;
out:
	pthread_mutex_unlock(&s->lock);
	free(t);
	free(k);
	return ret;
}

size_t server_remove(struct server *s, const char *token)
{
	size_t left;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ntoks; i++)
		if (strcmp(s->toks[i].token, token) == 0) {
			free(s->toks[i].token);
			free(s->toks[i].keyauth);
			s->toks[i] = s->toks[--s->ntoks];
			break;
		}
	left = s->ntoks;
	pthread_mutex_unlock(&s->lock);
	return left;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->running) {
		char b = 1;

		while (write(s->wake[1], &b, 1) < 0 && errno == EINTR)
			;
		pthread_join(s->thread, NULL);
	}
	for (size_t i = 0; i < MAX_CONNS; i++)
		conn_close(&s->conns[i]);
	for (int i = 0; i < s->nl; i++)
		close(s->lfd[i]);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	for (size_t i = 0; i < s->ntoks; i++) {
		free(s->toks[i].token);
		free(s->toks[i].keyauth);
	}
	free(s->toks);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
