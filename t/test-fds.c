/*
 * test-fds.c - unit tests of the runtime's descriptor rules and of its
 * warnings: where cprof__fd_high puts a descriptor under a given limit
 * and what it does when the top of the range is full, the errno texts of
 * cprof__warn (EBADF is not an "I/O error"), and the counters' reserve:
 * one descriptor kept a thread, none taken when the program's quarter of
 * its limit would be eaten, and the warning that says so.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/internal.h"
#include "unit.h"

/* What cprof__warn writes for these arguments. */
static void warned(const char *msg, int err, char *buf, size_t cap)
{
	const char *got;
	size_t n;

	tu_capture();
	cprof__warn(msg, NULL, err, NULL);
	got = tu_captured();
	n = strnlen(got, cap - 1);
	memcpy(buf, got, n);
	buf[n] = '\0';
}

static void test_warn_errno(void)
{
	char buf[256];

	warned("x", EBADF, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "cprof: x: Bad file descriptor\n");
	warned("x", ENOSYS, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "cprof: x: Function not implemented\n");
	warned("x", EMFILE, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "cprof: x: Too many open files\n");
	/* No errno is guessed: an unknown one is given by number. */
	warned("x", 4000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "cprof: x: error 4000\n");
	warned("x", 0, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "cprof: x\n");
}

/* Set the soft RLIMIT_NOFILE; returns the old limits. */
static struct rlimit set_soft(rlim_t soft)
{
	struct rlimit old, rl;

	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = soft;
	setrlimit(RLIMIT_NOFILE, &rl);
	return old;
}

static void test_fd_high(void)
{
	struct rlimit old = set_soft(40);
	int fd, high, fill[10], n = 0;

	/* 40 - 40/4 = 30: the top quarter, close-on-exec. */
	fd = open("/dev/null", O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0 && fd < 30);
	high = cprof__fd_high(fd, false);
	CU_ASSERT(high >= 30 && high < 40);
	CU_ASSERT(fcntl(high, F_GETFD) & FD_CLOEXEC);
	CU_ASSERT(fcntl(fd, F_GETFD) < 0 && errno == EBADF);

	/* The top quarter full: a counter goes without, the log stays low. */
	for (int k = 30; k < 40; k++)
		if (k != high && dup2(high, k) == k)
			fill[n++] = k;
	fd = open("/dev/null", O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0 && fd < 30);
	ASSERT_EQ(cprof__fd_high(fd, true), fd);
	ASSERT_EQ(cprof__fd_high(fd, false), -1);
	ASSERT_EQ(errno, EMFILE);
	CU_ASSERT(fcntl(fd, F_GETFD) < 0);
	for (int i = 0; i < n; i++)
		close(fill[i]);
	close(high);

	/* At 4, the floor is 3. */
	set_soft(4);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		ASSERT_EQ(cprof__fd_high(fd, false), 3);
		close(3);
	}
	setrlimit(RLIMIT_NOFILE, &old);
}

static void test_counter_reserve(void)
{
	struct perf_event_attr a = {.size = sizeof(a),
				    .type = PERF_TYPE_SOFTWARE,
				    .config = PERF_COUNT_SW_TASK_CLOCK,
				    .exclude_kernel = 1,
				    .exclude_hv = 1};
	struct cprof__thread t;
	struct rlimit old;
	uint64_t vals[3];
	char buf[256];
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);

	if (fd < 0)
		return; /* perf_event refused here: nothing to count with */
	close(fd);
	setenv("CPROF_EVENTS",
	       "task-clock,1,1,0,0,6;page-faults,1,2,0,0,6;"
	       "context-switches,1,3,0,0,6",
	       1);
	setenv("CPROF_EXACT", "1", 1);
	CU_ASSERT_FATAL(cprof__counters_config() == 0);
	memset(&t, 0, sizeof(t));

	/* At 64: one descriptor kept, high; the members are mapped. */
	old = set_soft(64);
	cprof__counters_open(&t);
	CU_ASSERT(t.cfd[0] >= 48 && t.cfd[0] < 64);
	ASSERT_EQ(t.cfd[1], -1);
	ASSERT_EQ(t.cfd[2], -1);
	CU_ASSERT_PTR_NOT_NULL(t.cpage[1]);
	/* The closed members still count in the group. */
	cprof__counters_read(&t, vals);
	CU_ASSERT(vals[0] > 0);
	cprof__counters_close(&t);
	ASSERT_EQ(t.cfd[0], -1);

	/* At 8, a group of three would leave fewer than 8/4 free: none. */
	set_soft(8);
	cprof__counters_open(&t);
	ASSERT_EQ(t.cfd[0], -1);
	setrlimit(RLIMIT_NOFILE, &old);
	{
		int p[2], saved = dup(STDERR_FILENO);
		ssize_t n;

		CU_ASSERT_FATAL(saved >= 0 && pipe(p) == 0);
		dup2(p[1], STDERR_FILENO);
		cprof__counters_report();
		dup2(saved, STDERR_FILENO);
		close(saved);
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(p[0]);
	}
	ASSERT_STR_EQ(buf, "cprof: 1 thread went without counters: "
			   "the descriptor limit (8) is kept for "
			   "the program\n");
	unsetenv("CPROF_EVENTS");
	unsetenv("CPROF_EXACT");
	cprof__counters_config();
}

int main(void)
{
	static const struct tu_test tests[] = {
		{"warnings name every errno", test_warn_errno},
		{"descriptors go to the top quarter", test_fd_high},
		{"counters keep the program's reserve", test_counter_reserve},
	};

	if (tu_suite("fds", tests, sizeof tests / sizeof tests[0]))
		return 1;
	return tu_run();
}
