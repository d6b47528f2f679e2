/* Running one hook command: /bin/sh -c CMD with a prepared environment,
 * stdin from /dev/null, stdout and stderr captured (capped), no descriptor
 * of ours inherited, killed with its whole process group at a deadline. */
#ifndef ACMEHOOK_MANUAL_HOOKRUN_H
#define ACMEHOOK_MANUAL_HOOKRUN_H

#include <stdbool.h>
#include <stddef.h>

#define HOOK_OUT_MAX (64 * 1024) /* bytes of stdout kept (CERTBOT_AUTH_OUTPUT) */
#define HOOK_ERR_TAIL 1024       /* bytes of stderr kept: the last ones */

struct hook_result {
	int status;                  /* exit status, or 128 + signal */
	bool timed_out;              /* killed at the deadline */
	char *out;                   /* stdout, NUL-terminated; owned */
	size_t out_len;
	char err[HOOK_ERR_TAIL + 1]; /* the end of stderr, NUL-terminated */
};

/* Run CMD through /bin/sh -c with exactly the environment ENVP
 * (NULL-terminated "NAME=value" strings), for at most TIMEOUT seconds.
 * Returns 0 when the command ran (whatever its status: see RES), or -1
 * with WHY set when it could not be started or waited for. RES->out is
 * freed with hook_result_free. Everything the child needs is prepared
 * before fork, so the parent may have other threads. */
int hook_run(const char *cmd, char *const *envp, long timeout, struct hook_result *res,
             char *why, size_t whylen);
void hook_result_free(struct hook_result *res);

#endif
