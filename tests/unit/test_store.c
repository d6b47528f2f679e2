/* Storage: atomic writes with the right modes, no temporary files left,
 * lineage versions and the live/ links, locks, and the removal of what an
 * interrupted run left. */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store/lock.h"
#include "store/status.h"
#include "store/store.h"
#include "testutil.h"

/* Whether the link P points at WANT. */
static bool links_to(const char *p, const char *want)
{
	char t[PATH_MAX];
	ssize_t n = readlink(p, t, sizeof(t) - 1);

	if (n <= 0)
		return false;
	t[n] = '\0';
	return strcmp(t, want) == 0;
}

/* Whether P is a directory itself, not a link to one. */
static bool is_real_dir(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In a child: try lineage NAME's lock with a 1 s timeout. Exit status 0
 * when it failed after about that second naming the lock file, 1 when it
 * was taken, 2 when it failed otherwise. */
static int child_try_lock(const struct store *s, const char *name)
{
	struct store c = *s;
	struct error e = {0};
	double t0 = now_s(), took;
	int fd = -1;

	c.lock_timeout_seconds = 1;
	if (store_lock(&c, name, &fd, &e) == 0)
		return 1;
	took = now_s() - t0;
	return took >= 0.9 && took < 3 && strstr(e.msg, "example.com.lock") &&
	               strstr(e.msg, "--lock-timeout")
	           ? 0
	           : 2;
}

/* Locks live in the config dir, exclude other processes until released
 * or until the holder exits (however it exits), and a waiter gets the
 * lock as soon as it is free. */
static void test_locks(struct store *s, const char *dir)
{
	struct error e = {0};
	char p[PATH_MAX];
	int fd = -1, fd2 = -1, st = 0, pipefd[2];
	pid_t pid;
	double t0;

	CHECK(store_lock(s, "example.com", &fd, &e) == 0);
	pathf(p, sizeof(p), "%s/.locks/example.com.lock", dir);
	CHECK(exists(p));
	CHECK(mode_of(p) == 0600);
	pathf(p, sizeof(p), "%s/.locks", dir);
	CHECK(mode_of(p) == 0700);
	/* A second attempt from another process waits, then times out. */
	pid = fork();
	if (pid == 0)
		_exit(child_try_lock(s, "example.com"));
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Another lineage's lock is independent. */
	pid = fork();
	if (pid == 0)
		_exit(child_try_lock(s, "other.example.com") == 1 ? 0 : 1);
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	store_unlock(fd);
	fd = -1;

	/* A holder that is killed releases its lock: the waiter gets it. */
	CHECK(pipe(pipefd) == 0);
	pid = fork();
	if (pid == 0) {
		struct error ce = {0};
		int cfd = -1;
		char c = 'x';
		close(pipefd[0]);
		if (store_lock(s, "example.com", &cfd, &ce) < 0 || write(pipefd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	{
		char c = 0;
		CHECK(read(pipefd[0], &c, 1) == 1 && c == 'x');
	}
	close(pipefd[0]);
	s->lock_timeout_seconds = 1;
	CHECK(store_lock(s, "example.com", &fd2, &e) < 0);
	err_clear(&e);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	s->lock_timeout_seconds = 5;
	t0 = now_s();
	CHECK(store_lock(s, "example.com", &fd2, &e) == 0);
	CHECK(now_s() - t0 < 1);
	store_unlock(fd2);

	/* A holder that exits while another process waits: the wait ends
	 * then, well before its timeout. */
	CHECK(store_lock(s, "example.com", &fd, &e) == 0);
	pid = fork();
	if (pid == 0) {
		struct store c = *s;
		struct error ce = {0};
		int cfd = -1;
		/* The inherited descriptor shares the parent's lock: a fork
		 * keeps the lock as long as it keeps that descriptor open. */
		close(fd);
		c.lock_timeout_seconds = 10;
		_exit(store_lock(&c, "example.com", &cfd, &ce) == 0 ? 0 : 1);
	}
	usleep(300 * 1000);
	store_unlock(fd);
	t0 = now_s();
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(now_s() - t0 < 2);
	s->lock_timeout_seconds = 0;

	/* Account locks mirror the account's path below .locks/accounts. */
	pathf(p, sizeof(p), "%s/accounts/127.0.0.1:14000/dir", dir);
	CHECK(store_lock_account(s, p, &fd, &e) == 0);
	store_unlock(fd);
	pathf(p, sizeof(p), "%s/.locks/accounts/127.0.0.1:14000/dir.lock", dir);
	CHECK(exists(p));
	pathf(p, sizeof(p), "%s/accounts", dir);
	CHECK(!exists(p)); /* nothing written where the accounts are */
	CHECK(store_lock_account(s, "/elsewhere/accounts/x", &fd, &e) < 0);
	err_clear(&e);
}

/* store_write_atomic's temporaries of the lineage's own files and its
 * stale link directories go; nothing else does. */
static void test_tidy(struct store *s, const char *dir)
{
	static const char *const gone[] = {
		"archive/example.com/privkey9.pem.tmp-ABCDEF",
		"archive/example.com/fullchain12.pem.tmp-a1b2C3",
		"renewal/example.com.conf.tmp-Zz9Yy8",
	};
	static const char *const kept[] = {
		"archive/example.com/notes.txt",
		"archive/example.com/privkey9.pem.tmp-ABCDE",
		"archive/example.com/privkey9.pem.tmp-ABCDEFG",
		"archive/example.com/privkey9.pem.tmp-ABC_EF",
		"archive/example.com/notes.pem.tmp-ABCDEF",
		"archive/example.com/privkey.pem.tmp-ABCDEF",
		"renewal/other.conf.tmp-ABCDEF",
		"renewal/example.com.conf.bak",
	};
	char p[PATH_MAX], t[PATH_MAX];

	CHECK(store_temp_of("privkey1.pem.tmp-AbC123", "privkey1.pem"));
	CHECK(!store_temp_of("privkey1.pem.tmp-AbC12", "privkey1.pem"));
	CHECK(!store_temp_of("privkey1.pem.tmp-AbC1234", "privkey1.pem"));
	CHECK(!store_temp_of("privkey1.pem.tmp-AbC12.", "privkey1.pem"));
	CHECK(!store_temp_of("privkey11.pem.tmp-AbC123", "privkey1.pem"));
	CHECK(!store_temp_of(".tmp-AbC123", ""));

	pathf(p, sizeof(p), "%s/renewal", dir);
	mkdir(p, 0755);
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		pathf(p, sizeof(p), "%s/%s", dir, gone[i]);
		CHECK(write_file(p, "x", 0600) == 0);
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		pathf(p, sizeof(p), "%s/%s", dir, kept[i]);
		CHECK(write_file(p, "x", 0600) == 0);
	}
	/* A link of a temporary's name is not a temporary. */
	pathf(p, sizeof(p), "%s/archive/example.com/cert8.pem.tmp-ABCDEF", dir);
	CHECK(symlink("cert1.pem", p) == 0);
	/* Link directories: the current one of example.com stays, a stale
	 * one goes, those of lineage example.com-v2 stay. */
	pathf(p, sizeof(p), "%s/live/.example.com-v99", dir);
	CHECK(mkdir(p, 0700) == 0);
	pathf(t, sizeof(t), "%s/cert.pem", p);
	CHECK(symlink("../../archive/example.com/cert1.pem", t) == 0);
	pathf(p, sizeof(p), "%s/live/.example.com-v2-v7", dir);
	CHECK(mkdir(p, 0700) == 0);

	store_lineage_tidy(s, "example.com");

	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		pathf(p, sizeof(p), "%s/%s", dir, gone[i]);
		CHECK(!exists(p));
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		pathf(p, sizeof(p), "%s/%s", dir, kept[i]);
		CHECK(exists(p));
	}
	pathf(p, sizeof(p), "%s/archive/example.com/cert8.pem.tmp-ABCDEF", dir);
	CHECK(exists(p));
	pathf(p, sizeof(p), "%s/live/.example.com-v99", dir);
	CHECK(!exists(p));
	pathf(p, sizeof(p), "%s/live/.example.com-v3", dir);
	CHECK(exists(p));
	pathf(p, sizeof(p), "%s/live/.example.com-v2-v7", dir);
	CHECK(exists(p));
	pathf(p, sizeof(p), "%s/live/.example.com-v2-v1", dir);
	CHECK(exists(p));
	/* The live certificate is still readable through live/. */
	store_live_path(s, "example.com", "cert", p, sizeof(p));
	CHECK(access(p, R_OK) == 0);
}

/* Whether NAMES (NULL-terminated) holds NAME. */
static bool listed(char **names, const char *name)
{
	for (size_t i = 0; names && names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static bool file_is(const char *path, const char *text)
{
	char *data = NULL;
	struct error e = {0};
	bool same = store_read(path, 4096, &data, NULL, &e) == 0 && strcmp(data, text) == 0;

	free(data);
	return same;
}

/* A version in steps: written without live/ moving, dropped without a
 * trace, switched with one rename; records kept and put back; status
 * records; live/ directories without a record. */
static void test_version_steps(struct store *s, const char *dir)
{
	struct lineage_files f = {"KEY\n", "CERT\n", "CHAIN\n", "FULL\n"};
	struct store_kept k = {0};
	struct lineage_status st = {0};
	struct error e = {0};
	char p[PATH_MAX], conf[PATH_MAX], **names = NULL;
	const char *L = "steps.example";
	int v = 0;

	CHECK(store_version_write(s, L, &f, &v, &e) == 0 && v == 1);
	pathf(p, sizeof(p), "%s/archive/%s/fullchain1.pem", dir, L);
	CHECK(exists(p));
	pathf(p, sizeof(p), "%s/live/.%s-v1/cert.pem", dir, L);
	CHECK(exists(p));
	CHECK(!store_live_exists(s, L) && store_live_version(s, L) == 0);
	store_version_drop(s, L, 1);
	pathf(p, sizeof(p), "%s/archive/%s", dir, L);
	CHECK(count_entries(p) == 0);
	pathf(p, sizeof(p), "%s/live/.%s-v1", dir, L);
	CHECK(!exists(p));
	CHECK(store_version_write(s, L, &f, &v, &e) == 0 && v == 1);
	CHECK(store_version_switch(s, L, v, &e) == 0);
	CHECK(store_live_exists(s, L) && store_live_version(s, L) == 1);
	CHECK(store_version_write(s, L, &f, &v, &e) == 0 && v == 2);
	store_version_drop(s, L, 2);
	store_version_drop(s, L, 1); /* live: stays */
	CHECK(store_live_version(s, L) == 1 && store_lineage_latest(s, L) == 1);
	pathf(p, sizeof(p), "%s/archive/%s", dir, L);
	CHECK(count_entries(p) == 4);

	/* live/L has no record yet: listed as such, its link directory not. */
	names = store_unrecorded(s, &e);
	CHECK(listed(names, L) && !listed(names, ".steps.example-v1"));
	store_names_free(names);

	/* A kept record comes back byte for byte, also when it was never
	 * replaced (rename() between two links of one file does nothing). */
	CHECK(store_renewal_path(s, L, conf, sizeof(conf)) == 0);
	CHECK(write_file(conf, "A\n", 0644) == 0);
	CHECK(store_keep(conf, &k, &e) == 0 && k.existed);
	CHECK(store_write_atomic(conf, "B\n", 2, 0644, &e) == 0);
	store_kept_restore(&k);
	CHECK(file_is(conf, "A\n"));
	pathf(p, sizeof(p), "%s.kept", conf);
	CHECK(!exists(p));
	CHECK(store_keep(conf, &k, &e) == 0);
	store_kept_restore(&k);
	CHECK(file_is(conf, "A\n") && !exists(p));
	CHECK(store_keep(conf, &k, &e) == 0);
	CHECK(store_write_atomic(conf, "C\n", 2, 0644, &e) == 0);
	store_kept_drop(&k);
	store_kept_restore(&k); /* no longer active: nothing happens */
	CHECK(file_is(conf, "C\n") && !exists(p));
	pathf(p, sizeof(p), "%s/renewal/new.example.conf", dir);
	CHECK(store_keep(p, &k, &e) == 0 && !k.existed);
	CHECK(write_file(p, "N\n", 0644) == 0);
	store_kept_restore(&k);
	CHECK(!exists(p));
	names = store_unrecorded(s, &e);
	CHECK(names && !listed(names, L));
	store_names_free(names);

	/* Status records: none, then one, other keys kept. */
	CHECK(status_read(s, L, &st, &e) == 0 && st.version == 0 && !st.deploy_pending);
	st = (struct lineage_status){.version = 1, .deploy_pending = true};
	snprintf(st.deploy_error, sizeof(st.deploy_error), "hook \"x\" failed");
	CHECK(status_write(s, L, &st, &e) == 0);
	memset(&st, 0, sizeof(st));
	CHECK(status_read(s, L, &st, &e) == 0 && st.version == 1 && st.deploy_pending &&
	      strcmp(st.deploy_error, "hook \"x\" failed") == 0 && st.updated > 0);
	CHECK(status_path(s, L, p, sizeof(p)) == 0);
	CHECK(write_file(p, "{\"version\": 1, \"deploy_pending\": true, \"deploy_error\": \"x\", "
	                    "\"next_attempt\": 42}", 0644) == 0);
	st = (struct lineage_status){.version = 2};
	CHECK(status_write(s, L, &st, &e) == 0);
	{
		char *text = NULL;
		CHECK(store_read(p, 4096, &text, NULL, &e) == 0);
		CHECK(text && strstr(text, "\"next_attempt\":\t42") != NULL);
		CHECK(text && strstr(text, "deploy_error") == NULL);
		free(text);
	}
	CHECK(status_read(s, L, &st, &e) == 0 && st.version == 2 && !st.deploy_pending);
	CHECK(st.next_attempt == 42);
	/* An attempt replaces the attempt keys only; a success drops the
	 * failure's keys and the CA's time. */
	st = (struct lineage_status){.last_attempt = 1000, .next_attempt = 2000};
	snprintf(st.last_outcome, sizeof(st.last_outcome), "failed");
	snprintf(st.last_problem, sizeof(st.last_problem), "rateLimited");
	snprintf(st.last_error, sizeof(st.last_error), "too many requests");
	CHECK(status_write_attempt(s, L, &st, &e) == 0);
	memset(&st, 0, sizeof(st));
	CHECK(status_read(s, L, &st, &e) == 0 && st.version == 2 && st.last_attempt == 1000 &&
	      st.next_attempt == 2000 && strcmp(st.last_outcome, "failed") == 0 &&
	      strcmp(st.last_problem, "rateLimited") == 0 &&
	      strcmp(st.last_error, "too many requests") == 0);
	st = (struct lineage_status){.last_attempt = 3000};
	snprintf(st.last_outcome, sizeof(st.last_outcome), "renewed");
	CHECK(status_write_attempt(s, L, &st, &e) == 0);
	memset(&st, 0, sizeof(st));
	CHECK(status_read(s, L, &st, &e) == 0 && st.version == 2 && st.last_attempt == 3000 &&
	      st.next_attempt == 0 && strcmp(st.last_outcome, "renewed") == 0 &&
	      st.last_problem[0] == '\0' && st.last_error[0] == '\0');
	CHECK(write_file(p, "[1]", 0644) == 0);
	CHECK(status_read(s, L, &st, &e) < 0 && e.exit_code == EXIT_OP);
	err_clear(&e);
	CHECK(status_read(s, "../x", &st, &e) < 0);
	err_clear(&e);

	/* What a killed run kept aside goes with the next tidy. */
	pathf(p, sizeof(p), "%s.kept", conf);
	CHECK(write_file(p, "old\n", 0644) == 0);
	pathf(p, sizeof(p), "%s/status/%s.json.kept", dir, L);
	CHECK(write_file(p, "{}", 0644) == 0);
	pathf(p, sizeof(p), "%s/status/%s.json.tmp-AbC123", dir, L);
	CHECK(write_file(p, "{}", 0644) == 0);
	store_lineage_tidy(s, L);
	pathf(p, sizeof(p), "%s.kept", conf);
	CHECK(!exists(p));
	pathf(p, sizeof(p), "%s/status/%s.json.kept", dir, L);
	CHECK(!exists(p));
	pathf(p, sizeof(p), "%s/status/%s.json.tmp-AbC123", dir, L);
	CHECK(!exists(p));
	CHECK(file_is(conf, "C\n"));
}

/* store_write_new: every file with its mode, or, when one fails, none
 * of them under either name. */
static void test_write_new(const char *dir)
{
	char top[PATH_MAX], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], *data = NULL;
	struct error e = {0};
	struct store_file w[3];

	snprintf(top, sizeof(top), "%s/new", dir);
	CHECK(mkdir(top, 0700) == 0);
	snprintf(a, sizeof(a), "%s/key.pem", top);
	snprintf(b, sizeof(b), "%s/cert.pem", top);
	snprintf(c, sizeof(c), "%s/missing/chain.pem", top);
	w[0] = (struct store_file){a, "KEY\n", 4, 0600};
	w[1] = (struct store_file){b, "CERT\n", 5, 0644};
	w[2] = (struct store_file){c, "CHAIN\n", 6, 0644};
	/* The third cannot be created: the first two are not left. */
	CHECK(store_write_new(w, 3, &e) < 0 && strstr(e.msg, "missing") != NULL);
	CHECK(count_entries(top) == 0);
	err_clear(&e);
	/* The third cannot be renamed (a directory has its name): the two
	 * renamed before it are removed again, and no temporary is left. */
	snprintf(c, sizeof(c), "%s/chain.pem", top);
	CHECK(mkdir(c, 0700) == 0);
	snprintf(a, sizeof(a), "%s/chain.pem/x", top);
	CHECK(mkdir(a, 0700) == 0);
	snprintf(a, sizeof(a), "%s/key.pem", top);
	CHECK(store_write_new(w, 3, &e) < 0 && strstr(e.msg, "cannot rename") != NULL);
	CHECK(count_entries(top) == 1 && mode_of(a) == 0 && mode_of(b) == 0);
	err_clear(&e);
	snprintf(c, sizeof(c), "%s/chain.pem/x", top);
	CHECK(rmdir(c) == 0);
	snprintf(c, sizeof(c), "%s/chain.pem", top);
	CHECK(rmdir(c) == 0);
	CHECK(store_write_new(w, 3, &e) == 0);
	CHECK(count_entries(top) == 3);
	CHECK(mode_of(a) == 0600 && mode_of(b) == 0644 && mode_of(c) == 0644);
	CHECK(store_read(c, 100, &data, NULL, &e) == 0 && strcmp(data, "CHAIN\n") == 0);
	free(data);
}

int main(void)
{
	char tmpl[] = "/tmp/ah-store-XXXXXX", p[PATH_MAX], link[PATH_MAX];
	char *dir = mkdtemp(tmpl), *data = NULL;
	struct store s;
	struct error e = {0};
	struct lineage_files f = {"KEY1\n", "CERT1\n", "CHAIN1\n", "FULL1\n"};
	int v = 0;
	size_t len = 0;
	ssize_t n;

	CHECK(dir != NULL);
	CHECK(store_init(&s, dir, dir, dir, &e) == 0);

	/* Atomic write: the mode is the final one, nothing else is left. */
	snprintf(p, sizeof(p), "%s/secret.pem", dir);
	CHECK(store_write_atomic(p, "abc", 3, 0600, &e) == 0);
	CHECK(mode_of(p) == 0600);
	CHECK(store_read(p, 100, &data, &len, &e) == 0 && len == 3 && strcmp(data, "abc") == 0);
	free(data);
	data = NULL;
	CHECK(count_entries(dir) == 1);
	/* A failed write (directory missing) leaves nothing and names the path. */
	snprintf(p, sizeof(p), "%s/missing/x.pem", dir);
	CHECK(store_write_atomic(p, "abc", 3, 0600, &e) < 0);
	CHECK(strstr(e.msg, "missing") != NULL);
	err_clear(&e);
	/* A read cap is enforced. */
	snprintf(p, sizeof(p), "%s/secret.pem", dir);
	CHECK(store_read(p, 2, &data, &len, &e) < 0 && data == NULL);
	err_clear(&e);

	/* Names that would escape the tree are refused. */
	CHECK(!store_name_valid("../x"));
	CHECK(!store_name_valid(".hidden"));
	CHECK(!store_name_valid("a/b"));
	CHECK(!store_name_valid(""));
	CHECK(store_name_valid("www.example.com"));
	CHECK(store_lineage_save(&s, "../evil", &f, &v, &e) < 0);
	err_clear(&e);

	/* Two versions: archive keeps both, live/ points at the newest. */
	CHECK(store_lineage_save(&s, "example.com", &f, &v, &e) == 0 && v == 1);
	f.cert = "CERT2\n";
	f.privkey = "KEY2\n";
	CHECK(store_lineage_save(&s, "example.com", &f, &v, &e) == 0 && v == 2);
	CHECK(store_lineage_latest(&s, "example.com") == 2);
	store_live_path(&s, "example.com", "cert", p, sizeof(p));
	n = readlink(p, link, sizeof(link) - 1);
	CHECK(n > 0);
	if (n > 0) {
		link[n] = '\0';
		CHECK_STR(link, "../../archive/example.com/cert2.pem");
	}
	CHECK(store_read(p, 100, &data, &len, &e) == 0 && strcmp(data, "CERT2\n") == 0);
	free(data);
	data = NULL;
	snprintf(p, sizeof(p), "%s/archive/example.com/privkey2.pem", dir);
	CHECK(mode_of(p) == 0600);
	snprintf(p, sizeof(p), "%s/archive/example.com/cert1.pem", dir);
	CHECK(mode_of(p) == 0644);
	snprintf(p, sizeof(p), "%s/archive/example.com", dir);
	CHECK(mode_of(p) == 0700);
	CHECK(count_entries(p) == 8);
	snprintf(p, sizeof(p), "%s/live/example.com", dir);
	CHECK(count_entries(p) == 4); /* no stray .new links */
	/* live/NAME is one link to the version's link directory, switched
	 * atomically; older link directories are gone. */
	n = readlink(p, link, sizeof(link) - 1);
	CHECK(n > 0);
	if (n > 0) {
		link[n] = '\0';
		CHECK_STR(link, ".example.com-v2");
	}
	snprintf(p, sizeof(p), "%s/live", dir);
	CHECK(count_entries(p) == 2);

	/* A lineage whose name extends another's keeps its links when the
	 * other is renewed. */
	CHECK(store_lineage_save(&s, "example.com-v2", &f, &v, &e) == 0 && v == 1);
	CHECK(store_lineage_save(&s, "example.com", &f, &v, &e) == 0 && v == 3);
	store_live_path(&s, "example.com-v2", "cert", p, sizeof(p));
	CHECK(store_read(p, 100, &data, &len, &e) == 0 && strcmp(data, "CERT2\n") == 0);
	free(data);
	data = NULL;
	err_clear(&e);

	/* A lineage whose live/NAME is a real directory (certbot's layout, or
	 * an older one) keeps it: its links are switched in place, and what
	 * else it holds (certbot's README) stays. */
	snprintf(p, sizeof(p), "%s/live/legacy.example", dir);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/live/legacy.example/README", dir);
	CHECK(store_write_atomic(p, "certbot\n", 8, 0644, &e) == 0);
	snprintf(p, sizeof(p), "%s/live/legacy.example/cert.pem", dir);
	CHECK(symlink("../../archive/legacy.example/cert0.pem", p) == 0);
	CHECK(store_lineage_save(&s, "legacy.example", &f, &v, &e) == 0 && v == 1);
	store_live_path(&s, "legacy.example", "cert", p, sizeof(p));
	CHECK(store_read(p, 100, &data, &len, &e) == 0 && strcmp(data, "CERT2\n") == 0);
	free(data);
	data = NULL;
	snprintf(p, sizeof(p), "%s/live/legacy.example", dir);
	CHECK(is_real_dir(p));
	CHECK(count_entries(p) == 5); /* README and the four links */
	store_live_path(&s, "legacy.example", "privkey", p, sizeof(p));
	CHECK(links_to(p, "../../archive/legacy.example/privkey1.pem"));
	CHECK(store_lineage_save(&s, "legacy.example", &f, &v, &e) == 0 && v == 2);
	CHECK(store_live_version(&s, "legacy.example") == 2);
	snprintf(p, sizeof(p), "%s/live", dir);
	CHECK(count_entries(p) == 5); /* two link layouts (a link and its directory), one real */
	/* A crash between two in-place link switches: the key points at
	 * version 3, the certificate still at 2. Tidying finishes the switch. */
	{
		int v3 = 0;
		CHECK(store_version_write(&s, "legacy.example", &f, &v3, &e) == 0 && v3 == 3);
		store_live_path(&s, "legacy.example", "privkey", p, sizeof(p));
		CHECK(unlink(p) == 0 && symlink("../../archive/legacy.example/privkey3.pem", p) == 0);
		store_lineage_tidy(&s, "legacy.example");
		CHECK(store_live_version(&s, "legacy.example") == 3);
		store_live_path(&s, "legacy.example", "fullchain", p, sizeof(p));
		CHECK(links_to(p, "../../archive/legacy.example/fullchain3.pem"));
	}

	test_locks(&s, dir);
	test_tidy(&s, dir);
	test_version_steps(&s, dir);
	test_write_new(dir);

	store_free(&s);
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0);
	}
	return check_done();
}
