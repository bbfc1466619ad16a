/*
 * sandboxed.c - a service that sandboxes itself once running, for
 * t/e2e-sandbox.sh: it installs a seccomp filter for all its threads
 * (TSYNC, so the runtime's writer gets it too) answering the calls named
 * with -d with an errno (see sandbox.h), then serves N requests, idling
 * 10 ms between them, and optionally starts T threads that work too.
 *
 *   sandboxed [-d CALL=ERRNO]... [-t T] [-n CALLS] N
 *
 *   serve     N   (from main)
 *   job     100   (from each of the T threads)
 *   job   CALLS   (from main, at once: enough to fill its ring many times)
 *
 * It idles in sigtimedwait(), a call no test denies, so that its own CPU
 * time stays near zero: what it uses beyond that is the runtime's. It
 * prints "served N jobs J" and exits 0.
 *
 * With SANDBOXED_REPORT=FILE it writes "IDLE BUSY" there at the end, in
 * milliseconds: the time it idled, and how long its other threads (the
 * runtime's writer) were running or runnable meanwhile, from the
 * scheduler's statistics (/proc/self/task/TID/schedstat), for the threads
 * alive at both ends. A thread that spins is runnable all the time
 * however loaded the machine is, where its CPU time would shrink with the
 * load. BUSY is -1 where the statistics cannot be read.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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

/* Run + wait time of each thread but the caller, in ns. */
struct busy {
	int n;
	bool bad; /* the kernel keeps no such statistics */
	pid_t tid[64];
	long long ns[64];
};

static NOINSTR void others_busy(struct busy *b)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t me = (pid_t)syscall(SYS_gettid);

	b->n = 0;
	b->bad = d == NULL;
	while (d && (e = readdir(d)) != NULL && b->n < 64) {
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
		if (fscanf(f, "%lld %lld", &run, &wait) == 2) {
			b->tid[b->n] = atoi(e->d_name);
			b->ns[b->n++] = run + wait;
		} else {
			b->bad = true;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
}

/* Milliseconds the threads present both times were busy; -1: unknown. */
static NOINSTR long long busy_ms(const struct busy *b0, const struct busy *b1)
{
	long long sum = 0;

	if (b0->bad || b1->bad)
		return -1;
	for (int i = 0; i < b1->n; i++)
		for (int k = 0; k < b0->n; k++)
			if (b0->tid[k] == b1->tid[i])
				sum += b1->ns[i] - b0->ns[k];
	return sum / 1000000;
}

int main(int argc, char **argv)
{
	const char *report = getenv("SANDBOXED_REPORT");
	FILE *rep = report ? fopen(report, "w") : NULL;
	struct busy busy0, busy1;
	uint64_t idle = 0;
	struct sandbox_rule rules[32];
	int nrules = 0, nthreads = 0, opt, n;
	long calls = 0;
	sigset_t set;

	while ((opt = getopt(argc, argv, "d:t:n:")) != -1) {
		if (opt == 'd' && nrules < 32 &&
		    sandbox_parse_rule(optarg, &rules[nrules]) == 0)
			nrules++;
		else if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 'n')
			calls = atol(optarg);
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
	for (long i = 0; i < calls; i++)
		job();
	jobs += (int)calls;
	others_busy(&busy0);
	for (int i = 0; i < n; i++) {
		uint64_t t0;

		serve();
		t0 = now_ns();
		idle_10ms();
		idle += now_ns() - t0;
	}
	others_busy(&busy1);
	if (rep) {
		fprintf(rep, "%llu %lld\n",
			(unsigned long long)(idle / 1000000),
			busy_ms(&busy0, &busy1));
		fclose(rep);
	}
	printf("served %d jobs %d\n", n, jobs);
	return 0;
}
