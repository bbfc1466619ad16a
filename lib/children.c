/*
 * children.c - the fork() children of the process, for the report.
 *
 * A child that cannot record leaves no log: after a chroot() or in a
 * mount namespace its run directory is out of its reach, a sandbox may
 * refuse it the open. Without a word from its parent the report would
 * not know it ran. The fork() wrapper notes each child's pid while the
 * process records; the writer puts them in the log (a "forks" chunk,
 * doc/log-format.md), and the reader names the children of the run that
 * left no log. Children made otherwise (posix_spawn, system, a raw clone)
 * are not noted.
 *
 * The pids wait in a small table of slots, filled by the forking threads
 * (a compare-and-swap into a free slot: no lock, as fork() may be called
 * from a signal handler) and emptied by the writer at each drain. When
 * every slot is taken (more than SLOTS forks in one flush interval), the
 * pid is only counted.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <msgpack.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h"

#define SLOTS 64

static _Atomic int slots[SLOTS];      /* pids; 0: free */
static _Atomic unsigned long unnoted; /* forks past a full table */

/* The parent's side of a fork that made CHILD. */
static CPROF__NOINSTR void note(pid_t child)
{
	if (!cprof_active())
		return;
	for (int i = 0; i < SLOTS; i++) {
		int free_slot = 0;

		if (atomic_compare_exchange_strong(&slots[i], &free_slot,
						   (int)child))
			return;
	}
	atomic_fetch_add(&unnoted, 1);
}

typedef pid_t (*fork_fn)(void);

CPROF_EXTERN CPROF__NOINSTR pid_t fork(void)
{
	static fork_fn real;
	pid_t pid;
	int saved;

	if (!real)
		real = (fork_fn)dlsym(RTLD_NEXT, "fork");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	pid = real();
	saved = errno;
	if (pid > 0) {
		note(pid);
	} else if (pid == 0) {
		/* The parent's pending children are the parent's to write. */
		for (int i = 0; i < SLOTS; i++)
			atomic_store(&slots[i], 0);
		atomic_store(&unnoted, 0);
	}
	errno = saved;
	return pid;
}

CPROF__NOINSTR void cprof__children_pack(struct msgpack_packer *pk)
{
	int pids[SLOTS];
	size_t n = 0;
	unsigned long more;

	for (int i = 0; i < SLOTS; i++) {
		int pid = atomic_exchange(&slots[i], 0);

		if (pid > 0)
			pids[n++] = pid;
	}
	more = atomic_exchange(&unnoted, 0);
	if (n == 0 && more == 0)
		return;
	msgpack_pack_map(pk, more ? 3 : 2);
	cprof__pack_str(pk, CPROF_KEY_T);
	cprof__pack_str(pk, CPROF_CHUNK_FORKS);
	cprof__pack_str(pk, CPROF_KEY_PIDS);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_uint64(pk, (uint64_t)pids[i]);
	if (more)
		cprof__pack_kv_u64(pk, CPROF_KEY_MORE, more);
}
