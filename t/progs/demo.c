/*
 * demo.c - the example program `make demo` profiles: a small batch job
 * with a varied profile, built with -finstrument-functions.
 *
 *   demo [ITEMS]
 *
 * formats ITEMS records (default 200000) and checksums each, sorts them in
 * batches of 250, and every 1000 records walks a recursive Fibonacci; it
 * prints one summary line. The calls are exact functions of ITEMS (for
 * ITEMS a multiple of 1000): process_item, format_record and checksum
 * ITEMS times each, sort_batch and flush_batch ITEMS/250 times, fib
 * 1973 times per 1000 records (fib(15) makes 1973 calls). Checksumming
 * takes the most self time, then formatting, sorting (few calls, long
 * ones) and the recursion (many calls, short ones).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progs.h"

#define BATCH 250

static uint32_t batch[BATCH];
static int nbatch;

COUNTED static uint32_t checksum(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (int round = 0; round < 8; round++)
		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

COUNTED static size_t format_record(char *buf, size_t len, long i)
{
	int n = snprintf(buf, len, "record %ld: id=%08lx weight=%ld.%02ld", i,
			 (unsigned long)i * 2654435761ul, i % 977, i % 100);

	return n < 0 ? 0 : (size_t)n;
}

/* Insertion sort: quadratic on purpose, so that it shows in the profile. */
COUNTED static void sort_batch(uint32_t *a, int n)
{
	for (int i = 1; i < n; i++) {
		uint32_t v = a[i];
		int k = i - 1;

		while (k >= 0 && a[k] > v) {
			a[k + 1] = a[k];
			k--;
		}
		a[k + 1] = v;
	}
}

COUNTED static uint64_t flush_batch(void)
{
	sort_batch(batch, nbatch);
	uint64_t median = batch[nbatch / 2];

	nbatch = 0;
	return median;
}

COUNTED static long fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

COUNTED static uint64_t process_item(long i)
{
	char buf[128];
	size_t n = format_record(buf, sizeof buf, i);
	uint64_t r = 0;

	batch[nbatch++] = checksum(buf, n);
	if (nbatch == BATCH)
		r += flush_batch();
	if (i % 1000 == 999)
		r += (uint64_t)fib(15);
	return r;
}

int main(int argc, char **argv)
{
	long items = argc > 1 ? atol(argv[1]) : 200000;
	uint64_t sum = 0;

	if (items <= 0) {
		fputs("usage: demo [ITEMS]\n", stderr);
		return 2;
	}
	for (long i = 0; i < items; i++)
		sum += process_item(i);
	if (nbatch > 0)
		sum += flush_batch();
	printf("demo: %ld records, summary %llu\n", items,
	       (unsigned long long)sum);
	return 0;
}
