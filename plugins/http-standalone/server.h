/* The standalone plugin's HTTP server: listening sockets and one thread
 * that answers GET and HEAD of /.well-known/acme-challenge/TOKEN for the
 * tokens in its table and 404 for anything else. The thread calls nothing
 * of the host (the SDK forbids host services off the calling thread); the
 * table is shared with it under a mutex. */
#ifndef ACMEHOOK_STANDALONE_SERVER_H
#define ACMEHOOK_STANDALONE_SERVER_H

#include <stddef.h>

struct server;

/* Listen on ADDRESS (a numeric IPv4 or IPv6 address, brackets allowed;
 * NULL: every IPv4 and IPv6 address) and PORT, and start the thread. On
 * failure returns -1 with a one-line reason in WHY naming the address and
 * the port. */
int server_start(const char *address, unsigned port, struct server **out, char *why,
                 size_t whylen);
/* Serve KEYAUTH at TOKEN (both copied), replacing an earlier value.
 * Returns -1 when out of memory. */
int server_add(struct server *s, const char *token, const char *keyauth);
/* Stop serving TOKEN; unknown tokens are ignored. Returns how many tokens
 * are left. */
size_t server_remove(struct server *s, const char *token);
/* Stop the thread, close every socket, free S. Accepts NULL. */
void server_stop(struct server *s);

#endif
