#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli/hook.h"

/* In the child, before exec: close every descriptor above stderr. The
 * connection to the CA, lock files and records opened without O_CLOEXEC
 * (by libraries as much as by us) must not reach the hook, which could
 * hold a lock past our exit or write into them. Only async-signal-safe
 * calls: the parent may have threads. */
static void close_inherited(void)
{
	long max;

#ifdef SYS_close_range
	/* close_range(2), Linux 5.9; older kernels answer ENOSYS. */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0)
		max = 1024;
	for (long fd = 3; fd < max; fd++)
		close((int)fd);
}

int hook_run_deploy(const char *cmd, const char *lineage_dir, const char *const *names,
                    size_t n, struct error *e)
{
	struct buf domains = {0};
	pid_t pid;
	int status = 0, ret = -1;
	sigset_t none;

	for (size_t i = 0; i < n; i++)
		if ((i && buf_puts(&domains, " ") < 0) || buf_puts(&domains, names[i]) < 0) {
			err_nomem(e);
			goto out;
		}
	pid = fork();
	if (pid < 0) {
		err_set(e, EXIT_OP, "cannot start the deploy hook: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* The child must not inherit signals blocked for cleanup. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_inherited();
		if (setenv("RENEWED_LINEAGE", lineage_dir, 1) < 0 ||
		    setenv("RENEWED_DOMAINS", domains.data ? domains.data : "", 1) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err_set(e, EXIT_OP, "cannot wait for the deploy hook: %s", strerror(errno));
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_set(e, EXIT_OP, "deploy hook \"%s\" failed (%s %d); the certificate is saved", cmd,
		        WIFEXITED(status) ? "exit status" : "signal",
		        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	ret = 0;
out:
	buf_free(&domains);
	return ret;
}
