/* Files that can run commands, judged as root: owner and mode of the file
 * (on the open descriptor), of its directory, and of the directory a link
 * leads to; other users are not judged; the trusted read returns the file
 * it judged. Cases needing another owner run only as root. */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf/ini.h"
#include "conf/trust.h"
#include "testutil.h"

#define NOBODY 65534

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	if (chmod(path, mode) < 0)
		abort();
}

/* conf_trust_fd on PATH opened read-only, as EUID. */
static int judge(const char *path, uid_t euid, struct error *e)
{
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		abort();
	rc = conf_trust_fd(fd, path, euid, e);
	close(fd);
	return rc;
}

static int count_cb(void *ud, const char *section, const char *key, const char *value,
                    const char *origin, struct error *e)
{
	(void)section, (void)key, (void)value, (void)origin, (void)e;
	(*(int *)ud)++;
	return 0;
}

static void test_modes(const char *top, bool root)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct error e = {0};

	pathf(dir, sizeof(dir), "%s/conf", top);
	CHECK(mkdir(dir, 0755) == 0);
	pathf(p, sizeof(p), "%s/renewal.conf", dir);
	put(p, "[renewalparams]\ndeploy_hook = true\n", 0666);

	/* Another user's run is not judged: its files are its own. */
	CHECK(judge(p, 1000, &e) == 0);
	/* As root: writable by others is refused, naming the file and mode. */
	CHECK(judge(p, 0, &e) < 0);
	CHECK(e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, p) != NULL && strstr(e.msg, "mode 0666") != NULL);
	err_clear(&e);
	chmod(p, 0620);
	CHECK(judge(p, 0, &e) < 0 && strstr(e.msg, "mode 0620") != NULL);
	err_clear(&e);
	chmod(p, 0644);
	if (!root) {
		/* Owned by this (non-root) user: refused for a root run. */
		CHECK(judge(p, 0, &e) < 0 && strstr(e.msg, "owned by uid") != NULL);
		err_clear(&e);
		return;
	}
	CHECK(judge(p, 0, &e) == 0);
	CHECK(chmod(p, 0600) == 0 && judge(p, 0, &e) == 0);

	/* Owned by another user, even 0600: refused, naming the owner. */
	CHECK(chown(p, NOBODY, 0) == 0);
	CHECK(judge(p, 0, &e) < 0 && e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, "owned by uid 65534") != NULL && strstr(e.msg, p) != NULL);
	err_clear(&e);
	CHECK(chown(p, 0, 0) == 0);

	/* The directory: writable by others refused unless sticky; owned by
	 * another user refused. */
	CHECK(chmod(dir, 0777) == 0);
	CHECK(judge(p, 0, &e) < 0);
	CHECK(strstr(e.msg, dir) != NULL && strstr(e.msg, "mode 0777") != NULL);
	err_clear(&e);
	CHECK(chmod(dir, 01777) == 0 && judge(p, 0, &e) == 0);
	CHECK(chmod(dir, 0775) == 0 && judge(p, 0, &e) < 0);
	err_clear(&e);
	CHECK(chmod(dir, 0755) == 0 && chown(dir, NOBODY, 0) == 0);
	CHECK(judge(p, 0, &e) < 0 && strstr(e.msg, "its directory") != NULL &&
	      strstr(e.msg, "uid 65534") != NULL);
	err_clear(&e);
	CHECK(chown(dir, 0, 0) == 0 && judge(p, 0, &e) == 0);
}

/* A link in a safe directory to a file in an unsafe one: the file can be
 * replaced through its own directory, so it is refused. So is a link to
 * such a link (the file's directory is the last link's), and a path
 * through a link to the unsafe directory itself (its stat judges the
 * directory it leads to); each only once that directory is open. */
static void test_link(const char *top)
{
	char safe[PATH_MAX], open_dir[PATH_MAX], target[PATH_MAX], link[PATH_MAX], hop[PATH_MAX],
	    twice[PATH_MAX], dlink[PATH_MAX], via[PATH_MAX];
	struct error e = {0};

	pathf(safe, sizeof(safe), "%s/etc", top);
	pathf(open_dir, sizeof(open_dir), "%s/open", top);
	pathf(target, sizeof(target), "%s/cli.ini", open_dir);
	pathf(link, sizeof(link), "%s/cli.ini", safe);
	pathf(hop, sizeof(hop), "%s/hop.ini", safe);
	pathf(twice, sizeof(twice), "%s/twice.ini", safe);
	pathf(dlink, sizeof(dlink), "%s/conf.d", safe);
	pathf(via, sizeof(via), "%s/cli.ini", dlink);
	CHECK(mkdir(safe, 0755) == 0 && mkdir(open_dir, 0755) == 0);
	put(target, "deploy-hook = true\n", 0644);
	CHECK(symlink(target, link) == 0);
	CHECK(symlink(target, hop) == 0 && symlink(hop, twice) == 0);
	CHECK(symlink(open_dir, dlink) == 0);
	CHECK(judge(link, 0, &e) == 0 && judge(twice, 0, &e) == 0 && judge(via, 0, &e) == 0);
	CHECK(chmod(open_dir, 0777) == 0);
	CHECK(judge(link, 0, &e) < 0);
	CHECK(strstr(e.msg, link) != NULL && strstr(e.msg, open_dir) != NULL);
	err_clear(&e);
	CHECK(judge(twice, 0, &e) < 0);
	CHECK(strstr(e.msg, twice) != NULL && strstr(e.msg, open_dir) != NULL);
	err_clear(&e);
	CHECK(judge(via, 0, &e) < 0);
	CHECK(strstr(e.msg, via) != NULL && strstr(e.msg, "writable by group or others") != NULL);
	err_clear(&e);
	chmod(open_dir, 0755);
}

static void test_read(const char *top, bool root)
{
	char p[PATH_MAX], *data = NULL;
	size_t len = 0;
	struct error e = {0};
	int n = 0;

	pathf(p, sizeof(p), "%s/read.ini", top);
	put(p, "a = 1\nb = 2\n", 0644);
	CHECK(conf_read_trusted(p, 100, &data, &len, &e) == 0);
	CHECK(data && len == 12 && strcmp(data, "a = 1\nb = 2\n") == 0);
	free(data);
	data = NULL;
	CHECK(ini_parse_trusted(p, count_cb, &n, &e) == 0 && n == 2);
	/* The size cap and a missing file, as store_read reports them. */
	CHECK(conf_read_trusted(p, 4, &data, &len, &e) < 0 && data == NULL);
	CHECK(e.exit_code == EXIT_USAGE);
	err_clear(&e);
	pathf(p, sizeof(p), "%s/none.ini", top);
	CHECK(conf_read_trusted(p, 100, &data, &len, &e) < 0 && e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, p) != NULL);
	err_clear(&e);
	/* A directory is not a configuration file. */
	CHECK(conf_read_trusted(top, 100, &data, &len, &e) < 0 && data == NULL);
	err_clear(&e);
	if (!root)
		return;
	/* As root, the trusted read refuses what conf_trust_fd refuses, and
	 * the plain one (credentials files) does not judge. */
	pathf(p, sizeof(p), "%s/read.ini", top);
	chmod(p, 0666);
	n = 0;
	CHECK(ini_parse_trusted(p, count_cb, &n, &e) < 0 && n == 0);
	CHECK(e.exit_code == EXIT_USAGE && strstr(e.msg, "mode 0666") != NULL);
	err_clear(&e);
	CHECK(ini_parse(p, count_cb, &n, &e) == 0 && n == 2);
}

int main(void)
{
	char tmpl[] = "/tmp/ah-trust-XXXXXX";
	char *top = mkdtemp(tmpl);
	bool root = geteuid() == 0;

	CHECK(top != NULL);
	if (!top)
		return check_done();
	if (!root)
		fprintf(stderr, "note: not root; the checks needing other owners are skipped\n");
	test_modes(top, root);
	if (root)
		test_link(top);
	test_read(top, root);
	rm_rf(top);
	return check_done();
}
