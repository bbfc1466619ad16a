/*
 * secure.c - a program linked with libcprof that reports what the runtime
 * did to it, for t/e2e-secure.sh, which installs it set-user-ID or
 * set-group-ID and runs it as another user with CPROF_* variables set.
 *
 *   secure
 *
 * makes 100 marker calls and 100 hooked calls (it is built with
 * -finstrument-functions), then prints on stdout whether it runs in
 * secure execution, whether the runtime says it is active, its number of
 * threads and of open descriptors, the signals it catches (SigCgt of
 * /proc/self/status) and the targets of its descriptors past stderr. With the
 * runtime off all of these are as when the variables are not set.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cprof.h>

#include "progs.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECURE_ASAN 1 /* clang's way of saying __SANITIZE_ADDRESS__ */
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(SECURE_ASAN)
/*
 * A set-user-ID process cannot read ASAN_OPTIONS from its environment
 * (its /proc files are not its own), and LeakSanitizer cannot run in it.
 */
__attribute__((used, no_instrument_function)) const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static COUNTED void work(int i)
{
	CPROF_FUNC();
	sink += (unsigned long)i;
}

static NOINSTR int count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char self[16];
	int n = 0;

	if (!d)
		return -1;
	/* The directory stream itself is left out. */
	snprintf(self, sizeof self, "%d", dirfd(d));
	while ((de = readdir(d)) != NULL) {
		char path[512], target[512];
		ssize_t len;

		if (de->d_name[0] == '.' || strcmp(de->d_name, self) == 0)
			continue;
		n++;
		/* Standard streams differ from run to run: their number only.
		 */
		if (strcmp(dir, "/proc/self/fd") != 0 || atoi(de->d_name) < 3)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		len = readlink(path, target, sizeof target - 1);
		target[len > 0 ? len : 0] = '\0';
		printf("fd %s: %s\n", de->d_name, target);
	}
	closedir(d);
	return n;
}

int main(void)
{
	char line[256];
	FILE *f;

	for (int i = 0; i < 100; i++)
		work(i);
	printf("secure %lu active %d\n", getauxval(AT_SECURE), cprof_active());
	printf("threads %d\n", count("/proc/self/task"));
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "SigCgt:", 7) == 0)
			fputs(line, stdout);
	if (f)
		fclose(f);
	printf("descriptors %d\n", count("/proc/self/fd"));
	return 0;
}
