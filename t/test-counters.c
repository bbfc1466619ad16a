/*
 * test-counters.c - unit tests of the runtime's perf_event side: the
 * CPROF_EVENTS hand-over, the rdpmc read protocol against a fake perf mmap
 * page (the only way to test it on a machine without a hardware PMU), and
 * real software counters read the way exact mode reads them.
 */
#include "config.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/internal.h"
#include "unit.h"

/* The hand-over from the CLI. */

static void test_config(void)
{
	setenv("CPROF_EVENTS", "task-clock,1,1,0,0,6;page-faults,1,2,0,0,6", 1);
	setenv("CPROF_SAMPLE", "period:5", 1);
	unsetenv("CPROF_EXACT");
	setenv("CPROF_CALLCHAIN", "1", 1);
	ASSERT_EQ(cprof__counters_config(), 0);
	ASSERT_EQ(cprof__ctr.nev, 2);
	ASSERT_STR_EQ(cprof__ctr.ev[0].name, "task-clock");
	ASSERT_EQ(cprof__ctr.ev[1].type, PERF_TYPE_SOFTWARE);
	ASSERT_EQ(cprof__ctr.ev[1].config, PERF_COUNT_SW_PAGE_FAULTS);
	ASSERT_EQ(cprof__ctr.ev[1].flags, 6);
	ASSERT_EQ(cprof__ctr.period, 5);
	ASSERT_EQ(cprof__ctr.freq, 0);
	CU_ASSERT(cprof__ctr.callchain);
	CU_ASSERT(!cprof__ctr.exact);

	/* A PMU-specific name keeps its colons; numbers are hex. */
	setenv("CPROF_EVENTS", "amd::RETIRED_INSTRUCTIONS:u,4,c0,ff,10,0", 1);
	setenv("CPROF_EXACT", "1", 1);
	ASSERT_EQ(cprof__counters_config(), 0);
	ASSERT_STR_EQ(cprof__ctr.ev[0].name, "amd::RETIRED_INSTRUCTIONS:u");
	ASSERT_EQ(cprof__ctr.ev[0].type, 4);
	ASSERT_EQ(cprof__ctr.ev[0].config, 0xc0);
	ASSERT_EQ(cprof__ctr.ev[0].config1, 0xff);
	ASSERT_EQ(cprof__ctr.ev[0].config2, 0x10);
	CU_ASSERT(cprof__ctr.exact);

	/* Damaged: refused as a whole, counting nothing. */
	setenv("CPROF_EVENTS", "task-clock,1,zz,0,0,6", 1);
	ASSERT_EQ(cprof__counters_config(), -EINVAL);
	ASSERT_EQ(cprof__ctr.nev, 0);
	setenv("CPROF_EVENTS", "task-clock,1,1", 1);
	ASSERT_EQ(cprof__counters_config(), -EINVAL);

	unsetenv("CPROF_EVENTS");
	ASSERT_EQ(cprof__counters_config(), 0);
	ASSERT_EQ(cprof__ctr.nev, 0);
	unsetenv("CPROF_SAMPLE");
	unsetenv("CPROF_EXACT");
	unsetenv("CPROF_CALLCHAIN");
}

/* The rdpmc protocol, with a fake page and a fake rdpmc instruction. */

static struct perf_event_mmap_page fake;
static uint64_t fake_pmc;
static unsigned fake_calls, fake_idx, bump_lock_on;

static uint64_t fake_rdpmc(unsigned idx)
{
	fake_idx = idx;
	/* A counter update racing the read: the sequence lock moves. */
	if (++fake_calls == bump_lock_on) {
		fake.lock++;
		fake_pmc += 100;
	}
	return fake_pmc;
}

static void reset_fake(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.cap_user_rdpmc = 1;
	fake.index = 3; /* hardware counter 2 */
	fake.pmc_width = 48;
	fake.lock = 7;
	fake_calls = 0;
	bump_lock_on = 0;
}

static void test_rdpmc_protocol(void)
{
	uint64_t v = 0;

	/* Value = offset + counter, counter sign-extended from its width. */
	reset_fake();
	fake.offset = 1000;
	fake_pmc = 0xFFFFFFFFFFF0; /* -16 in 48 bits */
	CU_ASSERT(cprof__mmap_read(&fake, fake_rdpmc, &v));
	ASSERT_EQ(v, 984);
	ASSERT_EQ(fake_idx, 2);
	ASSERT_EQ(fake_calls, 1);

	/* A positive counter with bits above the width set is masked. */
	reset_fake();
	fake.offset = 5;
	fake_pmc = 0xABCD000000000010;
	CU_ASSERT(cprof__mmap_read(&fake, fake_rdpmc, &v));
	ASSERT_EQ(v, 21);

	/* A full-width counter is taken as it is. */
	reset_fake();
	fake.pmc_width = 64;
	fake.offset = -10;
	fake_pmc = 110;
	CU_ASSERT(cprof__mmap_read(&fake, fake_rdpmc, &v));
	ASSERT_EQ(v, 100);

	/* The sequence lock moved during the read: read again. */
	reset_fake();
	fake_pmc = 50;
	bump_lock_on = 1;
	CU_ASSERT(cprof__mmap_read(&fake, fake_rdpmc, &v));
	ASSERT_EQ(fake_calls, 2);
	ASSERT_EQ(v, 150);

	/* Index 0: not on a hardware counter now; the caller uses read(2). */
	reset_fake();
	fake.index = 0;
	CU_ASSERT(!cprof__mmap_read(&fake, fake_rdpmc, &v));
	ASSERT_EQ(fake_calls, 0);

	/* rdpmc not allowed by the kernel. */
	reset_fake();
	fake.cap_user_rdpmc = 0;
	CU_ASSERT(!cprof__mmap_read(&fake, fake_rdpmc, &v));
}

/* Real software counters, as exact mode reads them. */

/*
 * Not checked by ASan or TSan: their shadow-memory accesses would fault
 * pages of their own between the two counter reads.
 */
static __attribute__((noinline, no_sanitize_address, no_sanitize_thread)) void
touch_pages(volatile char *p, int pages)
{
	for (int i = 0; i < pages; i++)
		p[(size_t)i * 4096] = 1;
}

static void test_exact_read_page_faults(void)
{
	struct cprof__thread t;
	uint64_t before[2], after[2];
	const int pages = 300;
	char *p;

	setenv("CPROF_EVENTS", "task-clock,1,1,0,0,6;page-faults,1,2,0,0,6", 1);
	setenv("CPROF_EXACT", "1", 1);
	CU_ASSERT_FATAL(cprof__counters_config() == 0);
	memset(&t, 0, sizeof(t));
	cprof__counters_open(&t);
	if (t.cfd[0] < 0) {
		/* perf_event_open refused even software events here. */
		tu_skip("no perf_event software counters");
		goto out;
	}
	p = mmap(NULL, (size_t)pages * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	madvise(p, (size_t)pages * 4096, MADV_NOHUGEPAGE);
	cprof__counters_read(&t, before);
	touch_pages(p, pages);
	cprof__counters_read(&t, after);
	/* Exactly one fault a fresh page; nothing else runs in between. */
	ASSERT_EQ(after[1] - before[1], (uint64_t)pages);
	CU_ASSERT(after[0] > before[0]);
	munmap(p, (size_t)pages * 4096);
	cprof__counters_close(&t);
	ASSERT_EQ(t.cfd[0], -1);
out:
	unsetenv("CPROF_EVENTS");
	unsetenv("CPROF_EXACT");
	cprof__counters_config();
}

int main(void)
{
	static const struct tu_test tests[] = {
		{"CPROF_EVENTS hand-over", test_config},
		{"rdpmc read protocol on a fake page", test_rdpmc_protocol},
		{"exact read: one page fault a fresh page",
		 test_exact_read_page_faults},
	};

	if (tu_suite("counters", tests, sizeof tests / sizeof tests[0]))
		return 1;
	return tu_run();
}
