/* One hook command from start to exit (see hookrun.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hookrun.h"

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child, until exec: async-signal-safe calls only. The hook gets
 * its own process group (so a timeout kills what it started too), default
 * signal handling, and no descriptor above stderr: the CA connection, lock
 * files and the credentials the host read must not reach it. */
static void child(int in, int out, int err, const char *cmd, char *const *envp)
{
	char *const argv[] = {"sh", "-c", (char *)cmd, NULL};
	struct sigaction dfl;
	sigset_t none;

	setpgid(0, 0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}
	execve("/bin/sh", argv, envp);
	_exit(127);
}

/* Keep all of stdout up to HOOK_OUT_MAX, and the last HOOK_ERR_TAIL bytes
 * of stderr. */
static int take(struct hook_result *res, bool is_out, const char *data, size_t n)
{
	if (is_out) {
		size_t room = HOOK_OUT_MAX - res->out_len;
		char *nb;

		if (n > room)
			n = room;
		if (n == 0)
			return 0;
		nb = realloc(res->out, res->out_len + n + 1);
		if (!nb)
			return -1;
		memcpy(nb + res->out_len, data, n);
		res->out = nb;
		res->out_len += n;
		nb[res->out_len] = '\0';
		return 0;
	}
	{
		size_t have = strlen(res->err);

		if (n >= HOOK_ERR_TAIL) {
			data += n - HOOK_ERR_TAIL;
			n = HOOK_ERR_TAIL;
			have = 0;
		} else if (have + n > HOOK_ERR_TAIL) {
			size_t drop = have + n - HOOK_ERR_TAIL;
			memmove(res->err, res->err + drop, have - drop);
			have -= drop;
		}
		memcpy(res->err + have, data, n);
		res->err[have + n] = '\0';
		/* A NUL from the hook would hide what follows it. */
		for (size_t i = 0; i < have + n; i++)
			if (res->err[i] == '\0')
				res->err[i] = ' ';
	}
	return 0;
}

/* Read both pipes until they close or the deadline passes. */
static int drain(int out, int err, double deadline, struct hook_result *res, char *why,
                 size_t whylen)
{
	int fds[2] = {out, err}, ret = 0;

	while (ret == 0 && (fds[0] >= 0 || fds[1] >= 0)) {
		struct pollfd pf[2];
		int np = 0;
		double left = deadline - mono_now();

		if (left <= 0) {
			res->timed_out = true;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				pf[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(pf, (nfds_t)np, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "poll: %s", strerror(errno));
			ret = -1;
			break;
		}
		for (int k = 0; k < np; k++) {
			char chunk[4096];
			ssize_t n;
			int i = pf[k].fd == fds[0] ? 0 : 1;

			if (!pf[k].revents)
				continue;
			n = read(pf[k].fd, chunk, sizeof(chunk));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			if (take(res, i == 0, chunk, (size_t)n) < 0) {
				snprintf(why, whylen, "out of memory");
				ret = -1;
				break;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/* Wait for PID's exit until the deadline; a hook that closed its output
 * but goes on running is still bounded by it. */
static void reap(pid_t pid, double deadline, struct hook_result *res)
{
	int status = 0;

	while (!res->timed_out) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			res->status = WIFEXITED(status)   ? WEXITSTATUS(status)
			              : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
			                                    : 127;
			return;
		}
		if (w < 0 && errno != EINTR) {
			res->status = 127;
			return;
		}
		if (mono_now() >= deadline) {
			res->timed_out = true;
			break;
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->status = 128 + SIGKILL;
}

int hook_run(const char *cmd, char *const *envp, long timeout, struct hook_result *res,
             char *why, size_t whylen)
{
	int pout[2] = {-1, -1}, perr[2] = {-1, -1}, in = -1, ret = -1;
	double deadline = mono_now() + (double)timeout;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot set up its input and output: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == 0)
		child(in, pout[1], perr[1], cmd, envp);
	if (pid < 0) {
		snprintf(why, whylen, "cannot fork: %s", strerror(errno));
		goto out;
	}
	/* Also from here, so a kill at the deadline cannot race the child's
	 * own setpgid. */
	setpgid(pid, pid);
	close(pout[1]);
	close(perr[1]);
	pout[1] = perr[1] = -1;
	if (drain(pout[0], perr[0], deadline, res, why, whylen) < 0) {
		pout[0] = perr[0] = -1;
		res->timed_out = true; /* kill it: we cannot follow it any more */
		reap(pid, deadline, res);
		goto out;
	}
	pout[0] = perr[0] = -1;
	reap(pid, deadline, res);
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	if (in >= 0)
		close(in);
	if (ret < 0)
		hook_result_free(res);
	return ret;
}

void hook_result_free(struct hook_result *res)
{
	if (!res)
		return;
	free(res->out);
	res->out = NULL;
	res->out_len = 0;
}
