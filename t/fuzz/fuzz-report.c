/*
 * fuzz-report.c - a libFuzzer target for what `cprof report` reads: the
 * logs of a run and its run.meta, through the whole path of a report
 * (reader, per-thread replay, merge, symbols, every output format).
 *
 * An input is a run directory in one buffer: records of a 4-byte
 * little-endian length and as many bytes, the first one run.meta, each
 * next one a proc-N-1.log. A length past the end takes what is left, so
 * that every mutation is still a run. t/fuzz/make-corpus.sh packs real
 * runs into this form; `make fuzz` runs the target (t/fuzz/local.mk).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* More logs than this in one input add nothing the fuzzer could learn. */
#define MAX_LOGS 8

/* The run directory, made once and refilled for each input. */
static char dir[] = "/tmp/cprof-fuzz.XXXXXX";
static FILE *sink;

static void cleanup(void)
{
	char path[sizeof dir + 32];

	for (int i = 0; i <= MAX_LOGS; i++) {
		snprintf(path, sizeof path, "%s/proc-%d-1.log", dir, i + 1);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/run.meta", dir);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (mkdtemp(dir) == NULL || (sink = fopen("/dev/null", "w")) == NULL) {
		perror("fuzz-report: setup");
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

/* Write LEN bytes of P to DIR/NAME, or remove it when P is NULL. */
static void put(const char *name, const uint8_t *p, size_t len)
{
	char path[sizeof dir + 32];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	if (p == NULL)
		return;
	if ((f = fopen(path, "w")) == NULL ||
	    (len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cp_output outs[] = {
		{.format = CP_FORMAT_TABLE, .counters = CP_COUNTERS_ON},
		{.format = CP_FORMAT_TABLE,
		 .sort = CP_SORT_CALLS,
		 .threads = 1,
		 .top = 3},
		{.format = CP_FORMAT_JSON, .threads = 1},
		{.format = CP_FORMAT_CSV, .sort = CP_SORT_NAME},
	};
	struct cp_profile p;
	char name[32];
	size_t off = 0;
	int nrec = 0;

	while (nrec <= MAX_LOGS) {
		const uint8_t *rec = NULL;
		size_t len = 0;

		if (off + 4 <= size) {
			len = (size_t)data[off] | (size_t)data[off + 1] << 8 |
			      (size_t)data[off + 2] << 16 |
			      (size_t)data[off + 3] << 24;
			off += 4;
			if (len > size - off)
				len = size - off;
			rec = data + off;
			off += len;
		}
		if (nrec == 0)
			snprintf(name, sizeof name, "run.meta");
		else
			snprintf(name, sizeof name, "proc-%d-1.log", nrec);
		put(name, rec, len);
		nrec++;
	}

	memset(&p, 0, sizeof p);
	if (cp_profile_load(&p, dir) == 0) {
		for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
			cp_output_print(sink, &p, &outs[i]);
	}
	cp_profile_free(&p);
	return 0;
}
