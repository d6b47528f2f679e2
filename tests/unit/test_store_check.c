/* The writability checks before an order: directories are made with the
 * store's modes, tested by a real file that is removed again, and a
 * directory that cannot be written is named with the reason. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "check.h"
#include "store/check.h"
#include "store/store.h"
#include "testutil.h"

/* Make DIR unwritable even for root: the immutable flag (root ignores
 * modes). Returns false when the file system has no such flag. */
static bool set_immutable(const char *dir, bool on)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), flags = 0;
	bool ok = false;

	if (fd < 0)
		return false;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
		ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
	}
	close(fd);
	return ok;
}

/* A directory nobody may write: immutable as root, mode 0555 otherwise. */
static bool lock_dir(const char *dir)
{
	if (geteuid() == 0)
		return set_immutable(dir, true);
	return chmod(dir, 0555) == 0;
}

static void unlock_dir(const char *dir)
{
	if (geteuid() == 0)
		set_immutable(dir, false);
	chmod(dir, 0755);
}

static void test_dir(const char *top)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct error e = {0};

	/* Missing: made with the mode given, and nothing is left inside. */
	pathf(p, sizeof(p), "%s/a/b/c", top);
	CHECK(store_check_dir(p, 0700, &e) == 0);
	CHECK(mode_of(p) == 0700);
	CHECK(count_entries(p) == 0);
	/* Mode 0: a missing directory is not made, and is named. */
	pathf(p, sizeof(p), "%s/absent", top);
	CHECK(store_check_dir(p, 0, &e) < 0);
	CHECK(e.exit_code == EXIT_OP && strstr(e.msg, p) != NULL);
	CHECK(strstr(e.msg, "No such file or directory") != NULL);
	CHECK(mode_of(p) == 0);
	err_clear(&e);

	/* Creatable: nothing is made, the deepest existing directory is tested. */
	pathf(p, sizeof(p), "%s/acct/host/dir", top);
	CHECK(store_check_creatable(p, &e) == 0);
	pathf(q, sizeof(q), "%s/acct", top);
	CHECK(mode_of(q) == 0 && count_entries(top) == 1);

	/* An existing directory nobody can write: named with the reason, and
	 * a missing directory below it is named where it could not be made. */
	pathf(p, sizeof(p), "%s/locked", top);
	CHECK(mkdir(p, 0755) == 0);
	if (!lock_dir(p)) {
		fprintf(stderr, "note: %s cannot be made unwritable here; skipping those checks\n", p);
		return;
	}
	CHECK(store_check_dir(p, 0700, &e) < 0);
	CHECK(e.exit_code == EXIT_OP && e.kind == ERR_IO);
	CHECK(strstr(e.msg, "cannot write in") != NULL && strstr(e.msg, p) != NULL);
	err_clear(&e);
	pathf(q, sizeof(q), "%s/sub", p);
	CHECK(store_check_dir(q, 0700, &e) < 0);
	CHECK(e.exit_code == EXIT_OP && strstr(e.msg, q) != NULL);
	err_clear(&e);
	pathf(q, sizeof(q), "%s/sub/deeper", p);
	CHECK(store_check_creatable(q, &e) < 0);
	CHECK(e.exit_code == EXIT_OP && strstr(e.msg, "cannot write in") != NULL);
	pathf(q, sizeof(q), "cannot write in %s:", p);
	CHECK(strstr(e.msg, q) != NULL);
	err_clear(&e);
	unlock_dir(p);
	CHECK(count_entries(p) == 0);
	CHECK(store_check_dir(p, 0700, &e) == 0);
}

static void test_lineage(const char *top)
{
	char conf[PATH_MAX], work[PATH_MAX], p[PATH_MAX];
	struct store s;
	struct error e = {0};

	pathf(conf, sizeof(conf), "%s/config", top);
	pathf(work, sizeof(work), "%s/work", top);
	CHECK(store_init(&s, conf, work, work, &e) == 0);
	/* A first run: every directory the store will write exists, with the
	 * store's modes, and holds nothing; archive/NAME was made and removed,
	 * so a run that fails later leaves no trace of the lineage. */
	CHECK(store_check_lineage(&s, "example.com", &e) == 0);
	pathf(p, sizeof(p), "%s/archive", conf);
	CHECK(mode_of(p) == 0700 && count_entries(p) == 0);
	/* An archive/NAME that exists (a stored lineage) stays. */
	pathf(p, sizeof(p), "%s/archive/kept.com", conf);
	CHECK(mkdir(p, 0700) == 0);
	CHECK(store_check_lineage(&s, "kept.com", &e) == 0);
	CHECK(mode_of(p) == 0700 && count_entries(p) == 0);
	CHECK(rmdir(p) == 0);
	pathf(p, sizeof(p), "%s/live", conf);
	CHECK(mode_of(p) == 0700 && count_entries(p) == 0);
	pathf(p, sizeof(p), "%s/renewal", conf);
	CHECK(mode_of(p) == 0755 && count_entries(p) == 0);
	CHECK(mode_of(work) == 0700 && count_entries(work) == 0);
	/* The lineage is not there yet: no renewal file, no version. */
	CHECK(!store_lineage_exists(&s, "example.com"));
	CHECK(store_lineage_latest(&s, "example.com") == 0);
	/* Names that would leave the tree are refused before anything is made. */
	CHECK(store_check_lineage(&s, "../evil", &e) < 0 && e.exit_code == EXIT_USAGE);
	err_clear(&e);
	pathf(p, sizeof(p), "%s/evil", conf);
	CHECK(mode_of(p) == 0);
	/* An unwritable renewal/ is found although archive/ and live/ are fine. */
	pathf(p, sizeof(p), "%s/renewal", conf);
	if (lock_dir(p)) {
		CHECK(store_check_lineage(&s, "example.com", &e) < 0);
		CHECK(strstr(e.msg, p) != NULL);
		err_clear(&e);
		unlock_dir(p);
	}
	store_free(&s);
}

/* Which file systems and labels let access(2) stand for a creation. */
static void test_decides(void)
{
	CHECK(store_access_decides(0xEF53, NULL));          /* ext4, no security module */
	CHECK(store_access_decides(0x58465342, ""));        /* XFS */
	CHECK(store_access_decides(0x01021994, "unconfined")); /* tmpfs, AppArmor unconfined */
	CHECK(!store_access_decides(0x6969, NULL));         /* NFS: the server decides */
	CHECK(!store_access_decides(0x65735546, NULL));     /* FUSE */
	CHECK(!store_access_decides(0x794C7630, NULL));     /* overlayfs */
	CHECK(!store_access_decides(0xEF53, "acmehook (enforce)"));
	CHECK(!store_access_decides(0xEF53, "system_u:system_r:certbot_t:s0"));
	CHECK(!store_access_decides(0xEF53, "?"));
}

/* Whether the checks in TOP are made by access(2) for this process, as
 * check.c decides it. */
static bool checks_by_access(const char *top)
{
	char label[256];
	struct statfs sf;
	int fd = open("/proc/self/attr/current", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, label, sizeof(label) - 1);
	const char *l = label;

	if (fd >= 0)
		close(fd);
	if (fd < 0)
		l = "?";
	else if (n < 0)
		l = errno == EINVAL ? NULL : "?";
	else {
		while (n > 0 && (label[n - 1] == '\n' || label[n - 1] == '\0'))
			n--;
		label[n] = '\0';
	}
	return statfs(top, &sf) == 0 && store_access_decides((long)sf.f_type, l);
}

/* Where access(2) decides, a check creates nothing at all: no test file
 * in any area, and no archive/NAME made and removed. */
static void test_creates_nothing(const char *top)
{
	static const char *const areas[] = {"config/archive", "config/live", "config/renewal", "work"};
	char conf[PATH_MAX], work[PATH_MAX], p[PATH_MAX], events[4096];
	struct store s;
	struct error e = {0};
	int in;

	if (!checks_by_access(top)) {
		fprintf(stderr, "note: %s is tested by creating files here; skipping\n", top);
		return;
	}
	pathf(conf, sizeof(conf), "%s/config", top);
	pathf(work, sizeof(work), "%s/work", top);
	CHECK(store_init(&s, conf, work, work, &e) == 0);
	CHECK(store_check_lineage(&s, "first.example", &e) == 0);
	in = inotify_init1(IN_NONBLOCK);
	CHECK(in >= 0);
	for (size_t i = 0; in >= 0 && i < 4; i++) {
		pathf(p, sizeof(p), "%s/%s", top, areas[i]);
		CHECK(inotify_add_watch(in, p, IN_CREATE | IN_DELETE) >= 0);
	}
	CHECK(store_check_lineage(&s, "new.example", &e) == 0);
	CHECK(store_check_dir(work, 0700, &e) == 0);
	CHECK(store_check_creatable(conf, &e) == 0);
	CHECK(in >= 0 && read(in, events, sizeof(events)) < 0 && errno == EAGAIN);
	if (in >= 0)
		close(in);
	pathf(p, sizeof(p), "%s/archive/new.example", conf);
	CHECK(mode_of(p) == 0);
	store_free(&s);
}

int main(void)
{
	char tmpl[] = "/tmp/ah-store-check-XXXXXX";
	char *top = mkdtemp(tmpl);

	CHECK(top != NULL);
	if (!top)
		return check_done();
	test_decides();
	test_dir(top);
	test_lineage(top);
	rm_rf(top);
	CHECK(mkdir(top, 0700) == 0);
	test_creates_nothing(top);
	rm_rf(top);
	return check_done();
}
