/*
 * sandboxed.c - a service that sandboxes itself once running, for
 * t/e2e-sandbox.sh: it installs a seccomp filter for all its threads
 * (TSYNC, so the runtime's writer gets it too) answering the calls named
 * with -d with an errno (see sandbox.h), then serves N requests, idling
 * 10 ms between them, and optionally starts T threads that work too.
 *
 *   sandboxed [-d CALL=ERRNO]... [-t T] N
 *
 *   serve     N   (from main)
 *   job     100   (from each of the T threads)
 *
 * It idles in sigtimedwait(), a call no test denies, so that its own CPU
 * time stays near zero: what it uses beyond that is the runtime's. It
 * prints "served N jobs J" and exits 0.
 *
 * With SANDBOXED_REPORT=FILE it writes "IDLE BUSY" there at the end, in
 * milliseconds: the time it idled, and how long its other threads (the
 * runtime's writer) were running or runnable meanwhile, from the
 * scheduler's statistics (/proc/self/task/TID/schedstat). A thread that
 * spins is runnable all the time however loaded the machine is, where
 * its CPU time would shrink with the load. BUSY is -1 where the kernel
 * keeps no such statistics.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "progs.h"
#include "sandbox.h"

static int jobs;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

COUNTED void serve(void)
{
	for (int i = 0; i < 1000; i++)
		sink += (unsigned long)i;
}

COUNTED void job(void)
{
	sink++;
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		job();
	pthread_mutex_lock(&mu);
	jobs += 100;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static NOINSTR void idle_10ms(void)
{
	sigset_t set;
	struct timespec ts = {0, 10 * 1000 * 1000};

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigtimedwait(&set, NULL, &ts);
}

/* Run + wait time of every thread but the caller, in ns; -1: unknown. */
static NOINSTR long long others_busy_ns(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	long long sum = 0;
	pid_t me = (pid_t)syscall(SYS_gettid);

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[320];
		long long run, wait;
		FILE *f;

		if (e->d_name[0] == '.' || atoi(e->d_name) == me)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lld %lld", &run, &wait) == 2)
			sum += run + wait;
		else
			sum = -1;
		fclose(f);
		if (sum < 0)
			break;
	}
	closedir(d);
	return sum;
}

int main(int argc, char **argv)
{
	const char *report = getenv("SANDBOXED_REPORT");
	FILE *rep = report ? fopen(report, "w") : NULL;
	long long busy0, busy1;
	uint64_t idle = 0;
	struct sandbox_rule rules[32];
	int nrules = 0, nthreads = 0, opt, n;
	sigset_t set;

	while ((opt = getopt(argc, argv, "d:t:")) != -1) {
		if (opt == 'd' && nrules < 32 &&
		    sandbox_parse_rule(optarg, &rules[nrules]) == 0)
			nrules++;
		else if (opt == 't')
			nthreads = atoi(optarg);
		else
			return 99;
	}
	if (optind != argc - 1)
		return 99;
	n = atoi(argv[optind]);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (nrules && sandbox_install(rules, nrules, true) != 0) {
		perror("sandboxed: seccomp");
		return 77;
	}
	if (nthreads > 0) {
		pthread_t th[16];

		if (nthreads > 16)
			nthreads = 16;
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&th[i], NULL, worker, NULL) != 0)
				return 3;
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}
	busy0 = others_busy_ns();
	for (int i = 0; i < n; i++) {
		uint64_t t0;

		serve();
		t0 = now_ns();
		idle_10ms();
		idle += now_ns() - t0;
	}
	busy1 = others_busy_ns();
	if (rep) {
		fprintf(rep, "%llu %lld\n",
			(unsigned long long)(idle / 1000000),
			busy0 < 0 || busy1 < 0 ? -1LL
					       : (busy1 - busy0) / 1000000);
		fclose(rep);
	}
	printf("served %d jobs %d\n", n, jobs);
	return 0;
}
