/* Deploy steps only: acme.run (a program by argument vector, never a
 * shell), acme.write_file and acme.copy_file (atomic replacement). Outside
 * deploy() they raise an error: a DNS provider has no business running
 * programs or writing files. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "proc.h"
#include "runtime.h"

#define RUN_OUTPUT_MAX (1024 * 1024)  /* bytes kept of stdout and of stderr each */
#define RUN_ARGS_MAX 256
#define RUN_DEFAULT_TIMEOUT 60
#define COPY_MAX (16 * 1024 * 1024)

static void need_deploy(lua_State *L, const char *fn)
{
	if (!dl_get(L)->in_deploy)
		luaL_error(L, "%s is only available inside deploy()", fn);
}

/* ------------------------------------------------------------- run */

/* What a run holds that must be released on every path, boxed in a
 * userdata so a Lua error (memory) mid-way cannot leak descriptors or
 * leave a child behind. */
struct run_box {
	pid_t pid;
	int in, out, err;
	char *obuf, *ebuf;
	size_t olen, elen;
	bool otrunc, etrunc;
};

static void run_release(struct run_box *r)
{
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
		r->pid = 0;
	}
	if (r->in >= 0)
		close(r->in);
	if (r->out >= 0)
		close(r->out);
	if (r->err >= 0)
		close(r->err);
	r->in = r->out = r->err = -1;
	free(r->obuf);
	free(r->ebuf);
	r->obuf = r->ebuf = NULL;
}

static int run_gc(lua_State *L)
{
	run_release(lua_touserdata(L, 1));
	return 0;
}

static void close_from(int lowfd)
{
	/* Descriptors the host left open without O_CLOEXEC (sockets,
	 * lock files) must not leak into the program. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return;
#endif
	/* Older kernels have no close_range: every possible descriptor,
	 * however high the limit, since one left open leaks as surely. */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0)
		max = 1024;
	for (long fd = lowfd; fd < max; fd++)
		close((int)fd);
}

/* In the child: only async-signal-safe calls until exec. */
static void child(int in, int out, int err, int report, char *const *argv)
{
	sigset_t none;
	int e;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	if (report != 3) {
		if (dup2(report, 3) < 0)
			goto fail;
	}
	fcntl(3, F_SETFD, FD_CLOEXEC);
	close_from(4);
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(3, &e, sizeof(e)) < 0) {
		/* nothing left to tell */
	}
	_exit(127);
}

static bool append(char **buf, size_t *len, bool *trunc, const char *data, size_t n)
{
	char *nb;

	if (*len + n > RUN_OUTPUT_MAX) {
		*trunc = true;
		n = RUN_OUTPUT_MAX - *len;
	}
	if (n == 0)
		return true;
	nb = realloc(*buf, *len + n);
	if (!nb)
		return false;
	memcpy(nb + *len, data, n);
	*buf = nb;
	*len += n;
	return true;
}

static double now_mono(void)
{
	return dl_monotonic();
}

static int l_run(lua_State *L)
{
	struct dl_state *st = dl_get(L);
	const char *argv[RUN_ARGS_MAX + 1];
	const char *in_data = NULL;
	size_t in_len = 0, in_off = 0, argc;
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, prep[2] = {-1, -1};
	struct run_box *r;
	double timeout, deadline, left;
	bool timed_out = false;
	int status = 0, child_errno = 0;
	sigset_t block, old;

	need_deploy(L, "acme.run");
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "argv");
	if (lua_type(L, -1) != LUA_TTABLE)
		return luaL_error(L, "acme.run: argv must be a list of strings, e.g. "
		                  "{\"nginx\", \"-s\", \"reload\"}");
	argc = lua_rawlen(L, -1);
	if (argc == 0 || argc > RUN_ARGS_MAX)
		return luaL_error(L, "acme.run: argv must have 1 to %d strings", RUN_ARGS_MAX);
	for (size_t i = 0; i < argc; i++) {
		size_t l;

		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
			return luaL_error(L, "acme.run: argv[%d] is a %s, not a string", (int)i + 1,
			                  luaL_typename(L, -1));
		argv[i] = lua_tolstring(L, -1, &l);
		if (strlen(argv[i]) != l)
			return luaL_error(L, "acme.run: argv[%d] contains a NUL byte", (int)i + 1);
		/* The argv table keeps the string alive. A number converted in
		 * place is a new string only in this slot: store it back. */
		lua_rawseti(L, -2, (lua_Integer)i + 1);
		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		argv[i] = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	argv[argc] = NULL;
	if (!argv[0][0])
		return luaL_error(L, "acme.run: argv[1] is empty");
	lua_getfield(L, 1, "stdin");
	if (!lua_isnil(L, -1))
		in_data = luaL_checklstring(L, -1, &in_len);
	lua_getfield(L, 1, "timeout");
	timeout = lua_isnil(L, -1) ? RUN_DEFAULT_TIMEOUT : luaL_checknumber(L, -1);
	lua_pop(L, 1);
	if (!(timeout > 0))
		return luaL_error(L, "acme.run: timeout must be a positive number of seconds");
	left = dl_remaining(st);
	if (left <= 0)
		return dl_timeout_error(L);
	if (timeout > left)
		timeout = left;

	r = lua_newuserdatauv(L, sizeof(*r), 0);
	memset(r, 0, sizeof(*r));
	r->in = r->out = r->err = -1;
	if (luaL_newmetatable(L, "acmehook.runbox")) {
		lua_pushcfunction(L, run_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0 || pipe2(prep, O_CLOEXEC) < 0) {
		int e = errno;
		for (int i = 0; i < 2; i++) {
			if (pin[i] >= 0) close(pin[i]);
			if (pout[i] >= 0) close(pout[i]);
			if (perr[i] >= 0) close(perr[i]);
			if (prep[i] >= 0) close(prep[i]);
		}
		return luaL_error(L, "acme.run: cannot create pipes: %s", strerror(e));
	}
	r->pid = fork();
	if (r->pid == 0)
		child(pin[0], pout[1], perr[1], prep[1], (char *const *)argv);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	close(prep[1]);
	if (r->pid < 0) {
		int e = errno;
		r->pid = 0;
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		close(prep[0]);
		return luaL_error(L, "acme.run: cannot fork: %s", strerror(e));
	}
	setpgid(r->pid, r->pid);
	r->in = pin[1];
	r->out = pout[0];
	r->err = perr[0];
	{
		ssize_t n;
		while ((n = read(prep[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
			;
		close(prep[0]);
		if (n == (ssize_t)sizeof(child_errno)) {
			while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
				;
			r->pid = 0;
			return luaL_error(L, "acme.run: cannot run %s: %s", argv[0],
			                  strerror(child_errno));
		}
	}
	if (!in_data || in_len == 0) {
		close(r->in);
		r->in = -1;
	} else {
		fcntl(r->in, F_SETFL, O_NONBLOCK);
	}

	/* A program that exits without reading its stdin must not kill us
	 * with SIGPIPE: block it for this thread and eat a pending one. */
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	deadline = now_mono() + timeout;
	while (r->out >= 0 || r->err >= 0) {
		struct pollfd pf[3];
		int np = 0, ms;
		double rem = deadline - now_mono();
		char chunk[8192];

		if (rem <= 0) {
			timed_out = true;
			break;
		}
		ms = (int)(rem * 1000) + 1;
		if (r->in >= 0)
			pf[np++] = (struct pollfd){.fd = r->in, .events = POLLOUT};
		if (r->out >= 0)
			pf[np++] = (struct pollfd){.fd = r->out, .events = POLLIN};
		if (r->err >= 0)
			pf[np++] = (struct pollfd){.fd = r->err, .events = POLLIN};
		if (poll(pf, (nfds_t)np, ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == r->in) {
				ssize_t n = write(r->in, in_data + in_off, in_len - in_off);
				if (n > 0)
					in_off += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len) {
					close(r->in);
					r->in = -1;
				}
			} else {
				bool is_out = pf[i].fd == r->out;
				ssize_t n = read(pf[i].fd, chunk, sizeof(chunk));
				if (n < 0 && (errno == EINTR || errno == EAGAIN))
					continue;
				if (n <= 0) {
					close(pf[i].fd);
					if (is_out)
						r->out = -1;
					else
						r->err = -1;
					continue;
				}
				if (!(is_out ? append(&r->obuf, &r->olen, &r->otrunc, chunk, (size_t)n)
				             : append(&r->ebuf, &r->elen, &r->etrunc, chunk, (size_t)n))) {
					pthread_sigmask(SIG_SETMASK, &old, NULL);
					return luaL_error(L, "acme.run: out of memory");
				}
			}
		}
	}
	{
		sigset_t pend;
		struct timespec zero = {0, 0};
		sigpending(&pend);
		if (sigismember(&pend, SIGPIPE) && !sigismember(&old, SIGPIPE))
			sigtimedwait(&block, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (r->in >= 0) {
		close(r->in);
		r->in = -1;
	}
	/* Output closed: wait for the exit, still bounded by the deadline. */
	while (!timed_out) {
		pid_t w = waitpid(r->pid, &status, WNOHANG);
		if (w == r->pid) {
			r->pid = 0;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r->pid = 0;
			break;
		}
		if (now_mono() >= deadline) {
			timed_out = true;
			break;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (timed_out) {
		run_release(r);
		if (dl_remaining(st) <= 0)
			return dl_timeout_error(L);
		return luaL_error(L, "acme.run: %s did not finish within %d s and was killed",
		                  argv[0], (int)timeout);
	}
	lua_createtable(L, 0, 5);
	if (WIFEXITED(status))
		lua_pushinteger(L, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		lua_pushinteger(L, 128 + WTERMSIG(status));
	else
		lua_pushinteger(L, -1);
	lua_setfield(L, -2, "status");
	lua_pushlstring(L, r->obuf ? r->obuf : "", r->olen);
	lua_setfield(L, -2, "stdout");
	lua_pushlstring(L, r->ebuf ? r->ebuf : "", r->elen);
	lua_setfield(L, -2, "stderr");
	lua_pushboolean(L, r->otrunc || r->etrunc);
	lua_setfield(L, -2, "truncated");
	run_release(r);
	return 1;
}

/* ------------------------------------------------------------ files */

static mode_t mode_arg(lua_State *L, int idx, mode_t def)
{
	if (lua_isnoneornil(L, idx))
		return def;
	if (lua_type(L, idx) == LUA_TSTRING) {
		const char *s = lua_tostring(L, idx);
		char *end = NULL;
		long m = strtol(s, &end, 8);
		if (!*s || *end || m < 0 || m > 07777)
			luaL_error(L, "mode \"%s\" is not an octal mode like \"0600\"", s);
		return (mode_t)m;
	}
	lua_Integer m = luaL_checkinteger(L, idx);
	if (m < 0 || m > 07777)
		luaL_error(L, "mode %d out of range (give an octal string like \"0600\")", (int)m);
	return (mode_t)m;
}

/* Write DATA to PATH atomically: a temporary file in the same directory,
 * created with MODE before any byte lands in it, fsynced, renamed over
 * PATH, and the directory fsynced. Returns NULL or an error text (static
 * or in ERR). */
static const char *write_atomic(const char *path, const char *data, size_t len, mode_t mode,
                                char *err, size_t errcap)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t off = 0;
	int fd = -1, dfd;
	bool have_tmp = false;

	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.acmehook-XXXXXX", dir,
	                     slash ? slash + 1 : path) >= sizeof(tmp)) {
		snprintf(err, errcap, "path too long");
		return err;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errcap, "cannot create a temporary file in %s: %s", dir,
		         strerror(errno));
		return err;
	}
	have_tmp = true;
	if (fchmod(fd, mode) < 0) {
		snprintf(err, errcap, "cannot chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errcap, "cannot write %s: %s", tmp,
			         n < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		snprintf(err, errcap, "cannot fsync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		snprintf(err, errcap, "cannot close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		snprintf(err, errcap, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	have_tmp = false;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return NULL;
fail:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	return err;
}

static int l_write_file(lua_State *L)
{
	size_t len;
	const char *path, *data;
	mode_t mode;
	char err[PATH_MAX + 128];

	need_deploy(L, "acme.write_file");
	lua_settop(L, 3);
	path = luaL_checkstring(L, 1);
	data = luaL_checklstring(L, 2, &len);
	mode = mode_arg(L, 3, 0644);
	if (!*path)
		return luaL_error(L, "acme.write_file: empty path");
	if (write_atomic(path, data, len, mode, err, sizeof(err)))
		return luaL_error(L, "acme.write_file: %s: %s", path, err);
	return 0;
}

static int l_copy_file(lua_State *L)
{
	const char *src, *dst;
	mode_t mode;
	struct stat sb;
	char err[PATH_MAX + 128];
	char *buf = NULL;
	size_t got = 0;
	int fd;
	const char *why;

	need_deploy(L, "acme.copy_file");
	lua_settop(L, 3);
	src = luaL_checkstring(L, 1);
	dst = luaL_checkstring(L, 2);
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return luaL_error(L, "acme.copy_file: cannot open %s: %s", src, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > COPY_MAX) {
		close(fd);
		return luaL_error(L, "acme.copy_file: %s is not a regular file of at most %d bytes",
		                  src, COPY_MAX);
	}
	/* Checked after the fstat: a bad mode must not leak the descriptor. */
	if (!lua_isnoneornil(L, 3) && lua_type(L, 3) != LUA_TSTRING && !lua_isinteger(L, 3)) {
		close(fd);
		return luaL_argerror(L, 3, "want an octal string like \"0600\"");
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return luaL_error(L, "acme.copy_file: out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return luaL_error(L, "acme.copy_file: cannot read %s: %s", src, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)sb.st_size) {
			free(buf);
			close(fd);
			return luaL_error(L, "acme.copy_file: %s grew while being read", src);
		}
	}
	close(fd);
	/* mode_arg may raise: copy the text into Lua first so nothing leaks. */
	lua_pushlstring(L, buf, got);
	free(buf);
	mode = mode_arg(L, 3, sb.st_mode & 07777);
	why = write_atomic(dst, lua_tostring(L, -1), got, mode, err, sizeof(err));
	if (why)
		return luaL_error(L, "acme.copy_file: %s: %s", dst, why);
	return 0;
}

/* acme.read_file(path) -> string, or nil and a message when it cannot
 * be read (a missing file is an answer, not an error). */
static int l_read_file(lua_State *L)
{
	const char *path;
	struct stat sb;
	luaL_Buffer b;
	int fd;

	need_deploy(L, "acme.read_file");
	path = luaL_checkstring(L, 1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s", path, strerror(errno));
		return 2;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > COPY_MAX) {
		close(fd);
		return luaL_error(L, "acme.read_file: %s is not a regular file of at most %d bytes",
		                  path, COPY_MAX);
	}
	/* The descriptor must not leak if the buffer raises (memory): read
	 * into C memory first. */
	{
		char *buf = malloc((size_t)sb.st_size + 1);
		size_t got = 0;

		if (!buf) {
			close(fd);
			return luaL_error(L, "acme.read_file: out of memory");
		}
		for (;;) {
			ssize_t n = read(fd, buf + got, (size_t)sb.st_size + 1 - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || (got += (size_t)n) > (size_t)sb.st_size)
				break;
		}
		close(fd);
		if (got > (size_t)sb.st_size) {
			free(buf);
			return luaL_error(L, "acme.read_file: %s grew while being read", path);
		}
		luaL_buffinit(L, &b);
		/* luaL_addlstring may raise: bounded leak of BUF then, acceptable
		 * only because the state is out of memory anyway. */
		luaL_addlstring(&b, buf, got);
		free(buf);
		luaL_pushresult(&b);
	}
	return 1;
}

void dl_proc_register(lua_State *L, int acme_idx)
{
	lua_pushcfunction(L, l_read_file);
	lua_setfield(L, acme_idx, "read_file");
	lua_pushcfunction(L, l_run);
	lua_setfield(L, acme_idx, "run");
	lua_pushcfunction(L, l_write_file);
	lua_setfield(L, acme_idx, "write_file");
	lua_pushcfunction(L, l_copy_file);
	lua_setfield(L, acme_idx, "copy_file");
}
