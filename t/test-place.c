/*
 * test-place.c - unit tests of the placement of perf samples in marker
 * frames (cli/samples.c, "Samples in the right frame"): the skew bound
 * that cli/clock.c measures from the calibration points, samples within
 * it placed by their address or callchain rather than their time,
 * samples beyond it by their time, and the marking of samples taken
 * after a throttled interval.
 *
 * The logs are synthetic (t/testlog.h), with a 1 GHz clock, so a marker
 * tick and a sample nanosecond are the same number on the conversion the
 * header's rate gives. The marker functions are real functions of this
 * program (fn_outer, fn_inner), named through its load map, so that a
 * sample's address can name the frame it lies in.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "testlog.h"
#include "testprof.h"

#define GHZ 1000000000ULL

static char *dir;
static char path[4200];

static volatile uintptr_t ret_in_outer;

__attribute__((noinline, used)) static int fn_inner(int x)
{
	ret_in_outer = (uintptr_t)__builtin_return_address(0);
	return x * 3 + 1;
}

__attribute__((noinline, used)) static int fn_outer(int x)
{
	return fn_inner(x) * 5 + 2;
}

/* An address in no object: the time decides. */
#define NOWHERE 0x10

enum { OUTER, INNER, NSITES };

static struct tl_sample smp(uint64_t t, uint64_t ip, uint64_t d)
{
	struct tl_sample s;

	memset(&s, 0, sizeof s);
	s.t = t;
	s.ip = ip;
	s.d[0] = d;
	return s;
}

/* A clock chunk with its width (ticks around the clock read). */
static void clock_w(struct tlog *l, uint64_t ticks, uint64_t mono,
		    uint64_t width)
{
	msgpack_pack_map(&l->pk, 4);
	tl_kv_str(l, "t", "clock");
	tl_kv_u64(l, "ticks", ticks);
	tl_kv_u64(l, "mono_ns", mono);
	tl_kv_u64(l, "width", width);
}

/* A samples chunk whose samples THR (N of them) follow an unthrottle. */
static void samples_thr(struct tlog *l, int tid, const struct tl_sample *s,
			size_t n, size_t k, int callchain, const uint32_t *thr,
			size_t nthr)
{
	size_t len;
	unsigned char *b = tl_sample_data(0, s, n, k, callchain, &len);

	msgpack_pack_map(&l->pk, nthr ? 6 : 5);
	tl_kv_str(l, "t", "samples");
	tl_kv_u64(l, "tid", (uint64_t)tid);
	tl_kv_u64(l, "n", n);
	tl_kv_u64(l, "time0", 0);
	tl_str(l, "data");
	msgpack_pack_bin(&l->pk, len);
	msgpack_pack_bin_body(&l->pk, b, len);
	if (nthr) {
		tl_str(l, "throttled_at");
		msgpack_pack_array(&l->pk, nthr);
		for (size_t i = 0; i < nthr; i++)
			msgpack_pack_uint32(&l->pk, thr[i]);
	}
	free(b);
}

/* Self count of the leader for NAME; 0 when it has no row. */
static uint64_t self_of(const struct cp_profile *p, const char *name)
{
	const struct cp_func *f = func(p, name);

	return f != NULL && f->counts != NULL ? f->counts[0].self : 0;
}

/*
 * fn_outer runs from 0 to 10000, fn_inner inside it from 1000 to 5000
 * and from 6000 to 8000.
 * SKEW: a calibration point 500 ns off the header's rate (NTP slewing
 * CLOCK_MONOTONIC) and points 20 ticks wide, so the bound is 520 ticks;
 * without, the points are exact and the bound is 0.
 */
static void write_log(int skew)
{
	static const char *const tc[] = {"task-clock"};
	static const struct tl_counters chains = {"sampling", 0,  1000,
						  1,	      tc, 1};
	const struct tl_site sites[NSITES] = {
		[OUTER] = {.addr = (uintptr_t)&fn_outer},
		[INNER] = {.addr = (uintptr_t)&fn_inner},
	};
	static const struct tl_event ev[] = {
		{'E', OUTER, 0},    {'E', INNER, 1000}, {'X', INNER, 5000},
		{'E', INNER, 6000}, {'X', INNER, 8000}, {'X', OUTER, 10000},
	};
	uintptr_t inner = (uintptr_t)&fn_inner, outer = (uintptr_t)&fn_outer;
	struct tl_sample s[7];
	static const uint32_t thr[] = {3};
	static const uint64_t totals[1] = {127};
	/* s3 follows an unthrottle. */
	struct tp_object exe;
	char exepath[4096];
	struct tlog l;
	ssize_t n;

	n = readlink("/proc/self/exe", exepath, sizeof exepath - 1);
	CU_ASSERT_FATAL(n > 0);
	exepath[n] = '\0';
	CU_ASSERT_FATAL(tp_object_named("", &exe) == 0);
	ASSERT_EQ(fn_outer(1), (1 * 3 + 1) * 5 + 2);
	CU_ASSERT_FATAL(ret_in_outer > outer);

	/*
	 * Distinct powers of two: a count spells out the samples it got.
	 * Samples stay in time order: one that goes after an event keeps
	 * the later ones waiting, so each edge is tried with one sample.
	 */
	s[0] = smp(980, NOWHERE, 2);	 /* by time outer, nothing says more */
	s[1] = smp(990, inner + 1, 1);	 /* by time outer, its ip: inner */
	s[2] = smp(1200, NOWHERE, 4);	 /* by time inner */
	s[3] = smp(3000, outer + 1, 8);	 /* inner: beyond the bound of both */
	s[4] = smp(5010, inner + 1, 16); /* by time outer, its ip: inner */
	s[5] = smp(6010, NOWHERE, 32);	 /* by time inner, its caller: outer */
	s[5].nchain = 1;
	s[5].chain[0] = ret_in_outer;
	s[6] = smp(9000, inner + 1, 64); /* outer, far from every edge */

	tl_init(&l);
	tl_header_counters(&l, 1, GHZ, 0, 0, exepath, &chains);
	tl_map(&l, "", exe.base, NULL, 0, exe.start, exe.end);
	if (skew) {
		clock_w(&l, 0, 0, 20);
		clock_w(&l, 1000000, 1000500, 20);
	}
	tl_thread_start(&l, 2, 0, "main");
	tl_ev(&l, 2, 0, sites, NSITES, ev, sizeof ev / sizeof ev[0]);
	samples_thr(&l, 2, s, 7, 1, 1, thr, skew ? 1 : 0);
	if (skew) {
		/* Two throttles, one unthrottle: counted per thread. */
		msgpack_pack_map(&l.pk, 5);
		tl_kv_str(&l, "t", "lost");
		tl_kv_u64(&l, "tid", 2);
		tl_kv_u64(&l, "lost", 1);
		tl_kv_u64(&l, "throttled", 2);
		tl_kv_u64(&l, "unthrottled", 1);
	}
	tl_counts(&l, 2, totals, 1, 1000, 1000);
	tl_end(&l, 2000000, 2000000);
	tl_write(&l, path);
	tl_destroy(&l);
}

static void test_within_bound(void)
{
	struct cp_profile p;
	const char *err;

	write_log(1);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ_FATAL(p.nprocs, 1);
	/* 500 ns off the rate, plus the widest point. */
	ASSERT_EQ(p.procs[0].skew_ns, 520);
	/*
	 * The placement (which frames were open) decides where a sample
	 * counts in totals, and by_ip says how often the address overrode
	 * the time: s1, s4 (their ip) and s5 (its caller's return address).
	 * Self counts then go to the function holding the address when it
	 * is another than the frame's (the hybrid's foreign samples,
	 * samples.c): inner gets s1, s2, s4 and s6 (ip in inner, in outer's
	 * frame); outer gets s0, s3 (ip in outer, in inner's frame) and s5
	 * (no address of its own: its frame, outer by its caller).
	 */
	ASSERT_EQ(self_of(&p, "fn_inner"), 1 + 4 + 16 + 64);
	ASSERT_EQ(self_of(&p, "fn_outer"), 2 + 8 + 32);
	ASSERT_EQ(p.procs[0].by_ip, 3);
	/* The sample after the unthrottle (s3) marks the function it went to.
	 */
	ASSERT_EQ(func(&p, "fn_inner")->throttled_samples, 0);
	ASSERT_EQ(func(&p, "fn_outer")->throttled_samples, 1);
	ASSERT_EQ(p.procs[0].throttled, 2);
	ASSERT_EQ(p.procs[0].unthrottled, 1);
	ASSERT_EQ(thread(&p, 2)->unthrottled, 1);
	ASSERT_EQ(thread(&p, 2)->throttled, 2);
	cp_profile_free(&p);
}

static void test_no_bound(void)
{
	struct cp_profile p;
	const char *err;

	/* Exact points: the bound is 0 and every sample goes by its time. */
	write_log(0);
	ASSERT_EQ_FATAL(load(&p, path, &err), 0);
	ASSERT_STR_EQ(err, "");
	ASSERT_EQ(p.procs[0].skew_ns, 0);
	/* By time: s5 in inner's frame; addresses move s1, s3, s4, s6. */
	ASSERT_EQ(self_of(&p, "fn_inner"), 1 + 4 + 16 + 32 + 64);
	ASSERT_EQ(self_of(&p, "fn_outer"), 2 + 8);
	ASSERT_EQ(p.procs[0].by_ip, 0);
	ASSERT_EQ(func(&p, "fn_inner")->throttled_samples, 0);
	cp_profile_free(&p);
}

int main(void)
{
	CU_pSuite suite;
	int rc;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	unsetenv("DEBUGINFOD_URLS");
	dir = tu_tmpdir();
	snprintf(path, sizeof path, "%s/proc-1-1.log", dir);
	suite = CU_add_suite("place", NULL, NULL);
	CU_add_test(suite, "within the skew bound, the address decides",
		    test_within_bound);
	CU_add_test(suite, "without a bound, the time decides", test_no_bound);
	rc = tu_run();
	tu_rmdir(dir);
	return rc;
}
