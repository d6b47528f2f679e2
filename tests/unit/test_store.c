/* Storage: atomic writes with the right modes, no temporary files left,
 * lineage versions and the live/ links, locks. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (st.st_mode & 07777) : 0;
}

int main(void)
{
	char tmpl[] = "/tmp/ah-store-XXXXXX", p[PATH_MAX], link[PATH_MAX];
	char *dir = mkdtemp(tmpl), *data = NULL;
	struct store s;
	struct error e = {0};
	struct lineage_files f = {"KEY1\n", "CERT1\n", "CHAIN1\n", "FULL1\n"};
	int v = 0, fd = -1, fd2 = -1;
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

	/* A lineage whose live/NAME is a real directory (an older layout or
	 * certbot's) moves to the link layout on its next version. */
	snprintf(p, sizeof(p), "%s/live/legacy.example", dir);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/live/legacy.example/cert.pem", dir);
	CHECK(symlink("../../archive/legacy.example/cert0.pem", p) == 0);
	CHECK(store_lineage_save(&s, "legacy.example", &f, &v, &e) == 0 && v == 1);
	store_live_path(&s, "legacy.example", "cert", p, sizeof(p));
	CHECK(store_read(p, 100, &data, &len, &e) == 0 && strcmp(data, "CERT2\n") == 0);
	free(data);
	data = NULL;
	snprintf(p, sizeof(p), "%s/live", dir);
	CHECK(count_entries(p) == 6); /* three lineages, each a link and a link directory */

	/* Locks: a second holder is refused with the lock's path. */
	CHECK(store_lock(&s, "example.com", &fd, &e) == 0);
	CHECK(store_lock(&s, "example.com", &fd2, &e) < 0);
	CHECK(strstr(e.msg, "example.com.lock") != NULL);
	err_clear(&e);
	store_unlock(fd);
	CHECK(store_lock(&s, "example.com", &fd2, &e) == 0);
	store_unlock(fd2);

	store_free(&s);
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0);
	}
	return check_done();
}
