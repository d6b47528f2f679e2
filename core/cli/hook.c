#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "base/buf.h"
#include "base/sleep.h"
#include "cli/hook.h"

struct env_var {
	const char *name;
	const char *value;
};

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

/* Our environment with ENV set (replacing variables of the same names),
 * as one allocation: a NULL-terminated array followed by the new
 * "NAME=value" strings. NULL when out of memory. */
static char **child_env(const struct env_var *env, size_t n_env)
{
	size_t n = 0, extra = 0, k = 0;
	char **v, *p;

	while (environ[n])
		n++;
	for (size_t i = 0; i < n_env; i++)
		extra += strlen(env[i].name) + strlen(env[i].value) + 2;
	v = malloc((n + n_env + 1) * sizeof(*v) + extra);
	if (!v)
		return NULL;
	p = (char *)(v + n + n_env + 1);
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < n_env && !replaced; j++) {
			size_t l = strlen(env[j].name);
			replaced = strncmp(environ[i], env[j].name, l) == 0 && environ[i][l] == '=';
		}
		if (!replaced)
			v[k++] = environ[i];
	}
	for (size_t i = 0; i < n_env; i++) {
		v[k++] = p;
		p += sprintf(p, "%s=%s", env[i].name, env[i].value) + 1;
	}
	v[k] = NULL;
	return v;
}

/* Run WHAT: CMD through /bin/sh -c, or, when DIRECT, the executable CMD
 * itself (a directory hook, whose path must not be parsed by a shell),
 * with ENV added to our environment. Everything the child needs is made
 * before fork: other threads may hold locks (malloc's) that the child
 * would wait for for ever. */
static int spawn(const char *what, const char *cmd, bool direct, const struct env_var *env,
                 size_t n_env, struct error *e)
{
	pid_t pid;
	int status = 0;
	sigset_t none;
	char **envp = child_env(env, n_env);
	char *argv[4] = {NULL};

	if (!envp)
		return err_nomem(e);
	if (direct) {
		argv[0] = (char *)cmd;
	} else {
		argv[0] = "sh";
		argv[1] = "-c";
		argv[2] = (char *)cmd;
	}
	sigemptyset(&none);
	pid = fork();
	if (pid < 0) {
		free(envp);
		return err_set(e, EXIT_OP, "cannot start the %s \"%s\": %s", what, cmd,
		               strerror(errno));
	}
	if (pid == 0) {
		/* The child must not inherit signals blocked for cleanup. */
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_inherited();
		execve(direct ? cmd : "/bin/sh", argv, envp);
		_exit(127);
	}
	free(envp);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return err_set(e, EXIT_OP, "cannot wait for the %s \"%s\": %s", what, cmd,
			               strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, EXIT_OP, "%s \"%s\" failed (%s %d)", what, cmd,
		               WIFEXITED(status) ? "exit status" : "signal",
		               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int push(char ***v, size_t *n, const char *s, struct error *e)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	char *copy = s ? strdup(s) : NULL;

	if (nv)
		*v = nv;
	if (!nv || (s && !copy)) {
		free(copy);
		return err_nomem(e);
	}
	nv[(*n)++] = copy;
	return 0;
}

/* The executables of R's directory SUB, in name order, as certbot picks
 * them: regular files with an execute bit, not editor backups ending in
 * '~'. Anything else is skipped, with one warning when WARN (listings
 * that only ask whether there is a hook stay silent). A missing
 * directory has none. */
static int list_dir(struct hook_run *r, const char *sub, bool warn, char ***out,
                    size_t *n_out, struct error *e)
{
	char dir[PATH_MAX], p[PATH_MAX];
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int ret = -1;

	*out = NULL;
	*n_out = 0;
	if (!r->dir)
		return 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", r->dir, sub) >= sizeof(dir))
		return err_set(e, EXIT_USAGE, "hook directory path too long: %s/%s", r->dir, sub);
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, EXIT_OP, "cannot read the hook directory %s: %s", dir,
		               strerror(errno));
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' && (len == 1 || (len == 2 && de->d_name[1] == '.')))
			continue;
		if (de->d_name[len - 1] == '~')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p))
			continue;
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || access(p, X_OK) < 0) {
			if (warn)
				log_msg(r->log, LVL_WARN, "skipping hook %s: not an executable file", p);
			continue;
		}
		if (push(&v, &n, p, e) < 0)
			goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*n_out = n;
	v = NULL;
	ret = 0;
out:
	names_free(v, n);
	closedir(d);
	return ret;
}

/* Run every executable of directory SUB; all run, the first failure is
 * returned. */
static int run_dir(struct hook_run *r, const char *sub, const char *what,
                   const struct env_var *env, size_t n_env, struct error *e)
{
	char **v = NULL;
	size_t n = 0;
	int ret = 0;

	if (list_dir(r, sub, true, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct error one = {0};
		log_msg(r->log, LVL_INFO, "Running %s %s", what, v[i]);
		if (spawn(what, v[i], true, env, n_env, &one) < 0) {
			log_msg(r->log, LVL_ERROR, "%s", one.msg);
			if (ret == 0)
				*e = one;
			ret = -1;
		}
	}
	names_free(v, n);
	return ret;
}

/* A random delay up to R's maximum, so that the clients whose timers fire
 * at the same minute do not all reach the CA at once. */
static int random_sleep(struct hook_run *r, struct error *e)
{
	uint32_t u = 0;
	long ms;

	if (getrandom(&u, sizeof(u), GRND_NONBLOCK) != (ssize_t)sizeof(u))
		u = (uint32_t)getpid() * 2654435761U;
	/* At least a second, as certbot's: the line below then never says 0. */
	ms = 1000 + (long)((double)(r->sleep_max_ms - 1000) * ((double)u / 4294967296.0));
	log_msg(r->log, LVL_INFO, "Non-interactive renewal: sleeping %ld s before renewing "
	                          "(--no-random-sleep-on-renew skips this)",
	        (ms + 999) / 1000);
	return sleep_ms(ms, e);
}

void hook_run_init(struct hook_run *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->ready = true;
}

void hook_run_view(struct hook_run *v, struct hook_run *r)
{
	memset(v, 0, sizeof(*v));
	v->main = r->main ? r->main : r;
	v->log = r->log;
	v->dir = r->dir;
	v->sleep_max_ms = r->sleep_max_ms;
}

static int begin_locked(struct hook_run *r, const struct settings *s, struct error *e);

int hook_run_begin(struct hook_run *r, const struct settings *s, struct error *e)
{
	int ret;

	if (r->main)
		r = r->main;
	/* Held through the pre stage: no lineage is ordered before it ran. */
	pthread_mutex_lock(&r->lock);
	ret = begin_locked(r, s, e);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int begin_locked(struct hook_run *r, const struct settings *s, struct error *e)
{
	struct error one = {0};
	size_t i;

	if (r->pre_failed)
		return err_set(e, EXIT_OP, "%s; not renewing", r->pre_failed);
	if (!r->started) {
		if (r->sleep_max_ms > 0 && random_sleep(r, &one) < 0) {
			/* Interrupted: the run is ending, no lineage is ordered. */
			r->pre_failed = strdup(one.msg);
			*e = one;
			return r->pre_failed ? -1 : err_nomem(e);
		}
		r->started = true;
		if (run_dir(r, "pre", "pre hook", NULL, 0, &one) < 0) {
			r->pre_failed = strdup(one.msg);
			if (!r->pre_failed)
				return err_nomem(e);
		}
	}
	/* Kept even when the pre stage failed: the post-hooks undo what the
	 * pre-hooks that did run started. */
	for (i = 0; s->post_hook && i < r->n_post && strcmp(r->post[i], s->post_hook) != 0; i++)
		;
	if (s->post_hook && i == r->n_post && push(&r->post, &r->n_post, s->post_hook, e) < 0)
		return -1;
	if (r->pre_failed)
		return err_set(e, EXIT_OP, "%s; not renewing", r->pre_failed);
	if (!s->pre_hook)
		return 0;
	for (i = 0; i < r->n_pre && strcmp(r->pre[i], s->pre_hook) != 0; i++)
		;
	if (i == r->n_pre) {
		log_msg(r->log, LVL_INFO, "Running pre-hook command: %s", s->pre_hook);
		if (spawn("pre-hook", s->pre_hook, false, NULL, 0, &one) < 0)
			log_msg(r->log, LVL_ERROR, "%s", one.msg);
		/* The result first, so that both lists always have n_pre entries. */
		size_t k = r->n_pre;
		if (push(&r->pre_errors, &k, err_isset(&one) ? one.msg : NULL, e) < 0)
			return -1;
		if (push(&r->pre, &r->n_pre, s->pre_hook, e) < 0) {
			free(r->pre_errors[k - 1]);
			return -1;
		}
	}
	if (r->pre_errors[i])
		return err_set(e, EXIT_OP, "%s; not renewing", r->pre_errors[i]);
	return 0;
}

int hook_run_end(struct hook_run *r, struct error *e)
{
	struct error one = {0};
	int ret = 0;

	if (r->main)
		r = r->main;
	if (!r->started)
		return 0;
	for (size_t i = 0; i < r->n_post; i++) {
		log_msg(r->log, LVL_INFO, "Running post-hook command: %s", r->post[i]);
		if (spawn("post-hook", r->post[i], false, NULL, 0, &one) < 0) {
			log_msg(r->log, LVL_ERROR, "%s", one.msg);
			if (ret == 0)
				*e = one;
			ret = -1;
			err_clear(&one);
		}
	}
	if (run_dir(r, "post", "post hook", NULL, 0, &one) < 0 && ret == 0) {
		*e = one;
		ret = -1;
	}
	return ret;
}

void hook_run_free(struct hook_run *r)
{
	bool ready;

	if (!r || r->main)
		return;
	ready = r->ready;
	free(r->dir);
	free(r->pre_failed);
	names_free(r->pre, r->n_pre);
	names_free(r->pre_errors, r->n_pre);
	names_free(r->post, r->n_post);
	if (ready)
		pthread_mutex_destroy(&r->lock);
	memset(r, 0, sizeof(*r));
}

static int join(struct buf *b, const char *const *names, size_t n, struct error *e)
{
	for (size_t i = 0; i < n; i++)
		if ((i && buf_puts(b, " ") < 0) || buf_puts(b, names[i]) < 0)
			return err_nomem(e);
	return 0;
}

bool hook_run_has_deploy(struct hook_run *r)
{
	struct error ignore = {0};
	char **v = NULL;
	size_t n = 0;

	if (list_dir(r, "deploy", false, &v, &n, &ignore) < 0)
		return true; /* running them names the problem */
	names_free(v, n);
	return n > 0;
}

int hook_run_deploy(struct hook_run *r, const char *cmd, const char *lineage_dir,
                    const char *const *names, size_t n, struct error *e)
{
	struct buf domains = {0};
	struct env_var env[2];
	int ret = -1;

	if (join(&domains, names, n, e) < 0)
		goto out;
	env[0] = (struct env_var){"RENEWED_LINEAGE", lineage_dir};
	env[1] = (struct env_var){"RENEWED_DOMAINS", domains.data ? domains.data : ""};
	if (cmd) {
		log_msg(r->log, LVL_INFO, "Running deploy-hook command: %s", cmd);
		if (spawn("deploy hook", cmd, false, env, 2, e) < 0)
			goto out;
	}
	if (run_dir(r, "deploy", "deploy hook", env, 2, e) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		size_t len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, "; the certificate is saved");
	}
	buf_free(&domains);
	return ret;
}

int hook_run_failure(const char *cmd, const char *lineage_dir, const char *const *names,
                     size_t n, const struct error *failure, struct error *e)
{
	struct buf domains = {0};
	struct env_var env[4];
	char detail[sizeof(failure->msg)];
	int ret = -1;

	if (join(&domains, names, n, e) < 0)
		goto out;
	/* One line: a server's detail may carry control bytes. */
	snprintf(detail, sizeof(detail), "%s", failure->msg);
	for (char *c = detail; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	env[0] = (struct env_var){"RENEWED_LINEAGE", lineage_dir};
	env[1] = (struct env_var){"FAILED_DOMAINS", domains.data ? domains.data : ""};
	env[2] = (struct env_var){"ACME_PROBLEM_TYPE", failure->problem_type};
	env[3] = (struct env_var){"ACME_PROBLEM_DETAIL", detail};
	ret = spawn("failure hook", cmd, false, env, 4, e);
out:
	buf_free(&domains);
	return ret;
}
