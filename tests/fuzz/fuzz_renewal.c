/* Renewal files, read by renewal_load from CONFIG/renewal/NAME.conf in a
 * fresh config directory under /tmp. A file that loads lists at least one
 * domain, each with its route. */
#include <limits.h>
#include <sys/stat.h>

#include "conf/renewal.h"
#include "conf/settings.h"
#include "fuzz_util.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[64], sub[PATH_MAX], path[PATH_MAX];
	struct store st = {0};
	struct settings s;
	struct error e = {0};
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/acmehook-fuzz-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(sub, sizeof(sub), "%s/renewal", dir);
	snprintf(path, sizeof(path), "%s/fuzz.example.conf", sub);
	if (mkdir(sub, 0700) < 0 || !(f = fopen(path, "w")))
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	st.config_dir = dir;
	settings_init(&s);
	if (renewal_load(&st, "fuzz.example", &s, &e) == 0) {
		if (s.n_domains == 0)
			abort();
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		abort();
	}
	settings_free(&s);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	return 0;
}
