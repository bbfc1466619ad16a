/*
 * offcpu.c - off-CPU intervals of a thread, from the context-switch
 * records (PERF_RECORD_SWITCH) its sampling leader writes into its ring
 * when the run asked for them (CPROF_OFFCPU=1, `--off-cpu`).
 *
 * The kernel writes a switch-out record when the thread leaves the CPU
 * and a switch-in record when it gets it back, each with its
 * CLOCK_MONOTONIC time (sample_id_all). The writer pairs them while it
 * drains the ring (counters.c) and writes the intervals of each drain as
 * one `offcpu` chunk of the thread, before its `counts` chunk, so that a
 * reader has them when the drain's marker events run. An interval whose
 * switch-in is not in the ring yet waits in the thread (off_out) for the
 * next drain. Nothing here runs on the program's threads.
 */
#include "config.h"

#include <linux/perf_event.h>
#include <msgpack.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/*
 * One drain's intervals of the thread being drained, LEB128: the writer
 * drains one thread at a time. Mapped on first use, not in the
 * library's .bss (see writer.c's encoder scratch).
 */
#define OFF_BYTES (256u * 1024u)
static struct {
	unsigned char data[OFF_BYTES];
	size_t len;
	uint64_t n, time0, prev;
} * off;

/* Where the time of a switch record is: after pid/tid (sample_id_all). */
static CPROF__NOINSTR bool record_time(const struct perf_event_header *h,
				       const unsigned char *r, uint64_t *time)
{
	if (h->size < sizeof(*h) + 16)
		return false;
	memcpy(time, r + sizeof(*h) + 8, sizeof(*time));
	return true;
}

static CPROF__NOINSTR bool scratch(void)
{
	void *m;

	if (off)
		return true;
	m = mmap(NULL, sizeof(*off), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	off = m;
	return true;
}

CPROF__NOINSTR void cprof__offcpu_record(struct cprof__thread *t,
					 const struct perf_event_header *h,
					 const unsigned char *r)
{
	uint64_t time, in;

	if (!record_time(h, r, &time))
		return;
	if (h->misc & PERF_RECORD_MISC_SWITCH_OUT) {
		t->off_out = time;
		t->off_preempt =
			(h->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
		return;
	}
	if (t->off_out == 0 || time < t->off_out || !scratch())
		return;
	/* Room for one more: else the interval is dropped (not expected). */
	if (off->len + 20 > sizeof(off->data)) {
		t->off_out = 0;
		return;
	}
	if (off->n == 0) {
		off->time0 = t->off_out;
		off->prev = t->off_out;
	}
	in = time;
	off->len = cprof__put_uleb(
		off->data, off->len,
		t->off_out > off->prev ? t->off_out - off->prev : 0);
	off->len = cprof__put_uleb(off->data, off->len,
				   ((in - t->off_out) << 1) | t->off_preempt);
	if (t->off_out > off->prev)
		off->prev = t->off_out;
	off->n++;
	t->off_out = 0;
}

CPROF__NOINSTR void cprof__offcpu_flush(struct cprof__thread *t,
					struct msgpack_packer *pk)
{
	if (!off || off->n == 0)
		return;
	msgpack_pack_map(pk, 5);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_OFFCPU);
	cprof__pack_str(pk, CPROF_KEY_TID);
	msgpack_pack_uint64(pk, (uint64_t)t->tid);
	cprof__pack_str(pk, CPROF_KEY_N);
	msgpack_pack_uint64(pk, off->n);
	cprof__pack_str(pk, CPROF_KEY_TIME0);
	msgpack_pack_uint64(pk, off->time0);
	cprof__pack_str(pk, CPROF_KEY_DATA);
	msgpack_pack_bin(pk, off->len);
	msgpack_pack_bin_body(pk, off->data, off->len);
	off->n = 0;
	off->len = 0;
}
