/*
 * cprof-contract.h - the contract between the runtime (lib/) and the tool
 * (cli/): everything one writes and the other reads, written once.
 *
 * The runtime writes logs the tool reads (doc/log-format.md describes
 * them: this header holds their names and numbers), and the tool starts
 * the runtime through the environment. Both include this header, so a key
 * renamed or a limit changed on one side changes on the other. It is not
 * installed: the public API is include/cprof.h alone, and this contract
 * holds only between a runtime and a tool of the same build.
 */
#ifndef CPROF_CONTRACT_H
#define CPROF_CONTRACT_H

/*
 * The runtime's file name, CPROF_RUNTIME_BASENAME, and its soname,
 * CPROF_RUNTIME_SONAME, come from configure.ac (config.h), where the
 * libtool version they follow is written.
 */

/*
 * The environment the tool hands to the runtime (doc/libcprof.3).
 * CPROF_DIR starts the runtime; CPROF_LIBRARY is read by the tool only,
 * CPROF_XRAY (set by the user, and to "off" by the tool for the plain run
 * of --reference) by the runtime only.
 */
#define CPROF_ENV_DIR	    "CPROF_DIR"
#define CPROF_ENV_FLUSH_MS  "CPROF_FLUSH_MS"
#define CPROF_ENV_EVENTS    "CPROF_EVENTS"
#define CPROF_ENV_SAMPLE    "CPROF_SAMPLE"
#define CPROF_ENV_EXACT	    "CPROF_EXACT"
#define CPROF_ENV_CALLCHAIN "CPROF_CALLCHAIN"
#define CPROF_ENV_INHERIT   "CPROF_INHERIT"
#define CPROF_ENV_LIBRARY   "CPROF_LIBRARY"
#define CPROF_ENV_XRAY	    "CPROF_XRAY"
#define CPROF_ENV_TEMP	    "CPROF_TEMP"  /* the run is stat's, removed after */
#define CPROF_ENV_QUIET	    "CPROF_QUIET" /* the run's warning was given */
/* Record-time selection: glob patterns one a line, a duration in ns. */
#define CPROF_ENV_FILTER  "CPROF_FILTER"
#define CPROF_ENV_EXCLUDE "CPROF_EXCLUDE"
#define CPROF_ENV_MIN_NS  "CPROF_MIN_NS"
/* --alloc: "1" when the tool preloads the allocator library too. */
#define CPROF_ENV_ALLOC "CPROF_ALLOC"
/* The allocator wrappers' library, beside the runtime (--alloc). */
#define CPROF_ALLOC_LIBRARY "libcprof-alloc.so"

/* Adaptive timing (lib/adapt.c): time every call; the rule's numbers. */
#define CPROF_ENV_TIME_ALL     "CPROF_TIME_ALL"
#define CPROF_ENV_ADAPT_NS     "CPROF_ADAPT_NS"
#define CPROF_ENV_ADAPT_WARMUP "CPROF_ADAPT_WARMUP"

/* --call-graph=dwarf: the bytes of user stack copied with each sample. */
#define CPROF_ENV_DWARF "CPROF_DWARF"

/* The flush interval in milliseconds: the default and the bounds. */
#define CPROF_FLUSH_MS_DEFAULT 100
#define CPROF_FLUSH_MS_MIN     1
#define CPROF_FLUSH_MS_MAX     3600000

/* The most counters a group may have (the runtime opens one group). */
#define CPROF_MAX_EVENTS 8
/* The longest name of a counter, in bytes. */
#define CPROF_EVENT_NAME_MAX 63

/*
 * The flags of an event in CPROF_EVENTS ("name,type,config,config1,
 * config2,flags" in hexadecimal, ';' between events).
 */
#define CPROF_EVENT_EXCLUDE_USER   0x1u
#define CPROF_EVENT_EXCLUDE_KERNEL 0x2u
#define CPROF_EVENT_EXCLUDE_HV	   0x4u
#define CPROF_EVENT_PRECISE_SHIFT  4 /* precise_ip, 0 to 3 */
#define CPROF_EVENT_PRECISE_MASK   0x30u

/*
 * A log's file name in the run directory: proc-PID-START.log, START the
 * CLOCK_MONOTONIC time in nanoseconds when the runtime started in PID.
 */
#define CPROF_LOG_PREFIX   "proc-"
#define CPROF_LOG_SUFFIX   ".log"
#define CPROF_LOG_NAME_FMT CPROF_LOG_PREFIX "%d-%llu" CPROF_LOG_SUFFIX
#define CPROF_LOG_GLOB	   CPROF_LOG_PREFIX "*" CPROF_LOG_SUFFIX

/*
 * The runtime's warnings under `cprof stat`/`record`, in the run
 * directory: one line each, "PID TEXT" (doc/log-format.md).
 */
#define CPROF_WARNINGS_FILE "warnings"

/* The header: a map with this magic and version. */
#define CPROF_LOG_MAGIC	  "cprof"
#define CPROF_LOG_VERSION 1

/* The chunk types, the value of key "t" of every chunk. */
#define CPROF_CHUNK_EV	    "ev"
#define CPROF_CHUNK_THREAD  "thread"
#define CPROF_CHUNK_MAP	    "map"
#define CPROF_CHUNK_CLOCK   "clock"
#define CPROF_CHUNK_END	    "end"
#define CPROF_CHUNK_SAMPLES "samples"
#define CPROF_CHUNK_LOST    "lost"
#define CPROF_CHUNK_COUNTS  "counts"
#define CPROF_CHUNK_CALLS   "calls" /* adaptive timing: counted calls */
/* The same, per call edge (key "edges"); "calls" is no longer written. */
#define CPROF_CHUNK_EDGE_CALLS "edge_calls"

/*
 * An event of an ev chunk's "ev" bytes is two unsigned LEB128 numbers:
 * the time since the one before, shifted left, with the exit flag in the
 * low bit; and the index of its site in "sites".
 */
#define CPROF_EV_EXIT	     1u
#define CPROF_EV_DELTA_SHIFT 1

/* The keys, by the map that holds them. */
#define CPROF_KEY_T "t" /* every chunk: its type */

/* The header. */
#define CPROF_KEY_MAGIC	    "magic"
#define CPROF_KEY_VERSION   "version"
#define CPROF_KEY_PID	    "pid"
#define CPROF_KEY_PPID	    "ppid"
#define CPROF_KEY_EXE	    "exe"
#define CPROF_KEY_ARGV	    "argv"
#define CPROF_KEY_START_NS  "start_ns"
#define CPROF_KEY_CLOCK	    "clock"
#define CPROF_KEY_FLUSH_MS  "flush_ms"
#define CPROF_KEY_EVENTS    "events"
#define CPROF_KEY_OWN_HOOKS "own_hooks"
#define CPROF_KEY_RUNTIME   "runtime" /* also of counts chunks */

/* The header's "select": the record-time selection in force. */
#define CPROF_KEY_SELECT  "select"
#define CPROF_KEY_FILTER  "filter"
#define CPROF_KEY_EXCLUDE "exclude"
#define CPROF_KEY_MIN_NS  "min_ns"
/* Ev chunks: calls dropped as shorter than min_ns, [[site, calls]...]. */
#define CPROF_KEY_SHORT "short"
/*
 * The header's "calib": the cost of one timed call, measured at start
 * (lib/calib.c), in thousandths of a tick: inside its own interval, and
 * in its caller's; the pairs and rounds it was measured with.
 */
#define CPROF_KEY_CALIB	       "calib"
#define CPROF_KEY_CALIB_OWN    "own_mt"
#define CPROF_KEY_CALIB_CALLER "caller_mt"
#define CPROF_KEY_CALIB_PAIRS  "pairs"
#define CPROF_KEY_CALIB_ROUNDS "rounds"
/* Exact mode's calib chunk: per counter, own then caller increments. */
#define CPROF_CHUNK_CALIB      "calib"
#define CPROF_KEY_CALIB_COUNTS "counts"

/* The header's "clock", and the clock and end chunks. */
#define CPROF_KEY_SOURCE  "source"
#define CPROF_KEY_HZ	  "hz"
#define CPROF_KEY_TICKS	  "ticks"
#define CPROF_KEY_MONO_NS "mono_ns"
#define CPROF_KEY_WIDTH	  "width" /* ticks between the reads around it */
/* The header: why the cycle counter may not be a safe clock. */
#define CPROF_KEY_CLOCK_NOTE "clock_note"

/* The header's "events": the counter group. */
#define CPROF_KEY_MODE	    "mode"
#define CPROF_KEY_PERIOD    "period"
#define CPROF_KEY_FREQ	    "freq"
#define CPROF_KEY_CALLCHAIN "callchain"
#define CPROF_KEY_LIST	    "list"
#define CPROF_KEY_TYPE	    "type"   /* an event of "list" */
#define CPROF_KEY_CONFIG    "config" /* an event of "list" */
/*
 * The header's "events" in --call-graph=dwarf runs: "dwarf": {"stack":
 * bytes asked for, "regs": the perf register mask, "arch": machine}; and
 * each samples chunk's "stacks": every sample's registers and stack copy.
 */
#define CPROF_KEY_DWARF	 "dwarf"
#define CPROF_KEY_STACK	 "stack"
#define CPROF_KEY_REGS	 "regs"
#define CPROF_KEY_ARCH	 "arch"
#define CPROF_KEY_STACKS "stacks"
/*
 * The user registers a DWARF unwinder needs at the sampled instruction:
 * the instruction and stack pointers, the frame pointer and the
 * callee-saved registers (a caller's frame can only keep its values in
 * those), in the kernel's perf_regs numbering. Caller-saved registers
 * are dead at a call and are left out: they would add bytes to every
 * sample and nothing to the chain.
 */
#if defined(__x86_64__)
/* bx 1, bp 6, sp 7, ip 8, r12-r15 20-23 */
#define CPROF_DWARF_REGS \
	((1ull << 1) | (1ull << 6) | (1ull << 7) | (1ull << 8) | (0xfull << 20))
#define CPROF_DWARF_ARCH "x86_64"
#elif defined(__aarch64__)
/* x19-x28, fp x29, lr x30, sp 31, pc 32 */
#define CPROF_DWARF_REGS (0x3fffull << 19)
#define CPROF_DWARF_ARCH "aarch64"
#else
#define CPROF_DWARF_REGS 0ull
#define CPROF_DWARF_ARCH ""
#endif
#define CPROF_MODE_SAMPLING "sampling"
#define CPROF_MODE_EXACT    "exact"

/* Thread chunks. */
#define CPROF_KEY_TID	"tid"
#define CPROF_KEY_START "start"
#define CPROF_KEY_END	"end"
#define CPROF_KEY_NAME	"name" /* also of a marker site and of an event */

/* Map chunks: "objs", each with a path, base, build id and segments. */
#define CPROF_KEY_OBJS	   "objs"
#define CPROF_KEY_PATH	   "path"
#define CPROF_KEY_BASE	   "base"
#define CPROF_KEY_BUILD_ID "build_id"
#define CPROF_KEY_SEGS	   "segs"

/* Ev chunks, and their marker sites. */
#define CPROF_KEY_T0	"t0"
#define CPROF_KEY_N	"n" /* also of samples chunks */
#define CPROF_KEY_SITES "sites"
#define CPROF_KEY_EV	"ev"
#define CPROF_KEY_C0	"c0" /* exact mode: the first event's values */
#define CPROF_KEY_CV	"cv" /* exact mode: the changes, zigzag LEB128 */
#define CPROF_KEY_FILE	"file"
#define CPROF_KEY_LINE	"line"
#define CPROF_KEY_KIND	"kind"
#define CPROF_KEY_CTX	"ctx"
/* --alloc: an ev chunk's allocations and frees (a byte string). */
#define CPROF_KEY_AL "al"
/* --alloc: the header says allocations were recorded (true). */
#define CPROF_KEY_ALLOC "alloc"

/* The kinds of a marker site; the last two are the runtime's own. */
#define CPROF_KIND_FUNC		 "func"
#define CPROF_KIND_SCOPE	 "scope"
#define CPROF_KIND_FRAME	 "frame"
#define CPROF_KIND_SWITCH	 "switch"
#define CPROF_KIND_UNKNOWN_STACK "unknown-stack"

/*
 * Exact mode: the value of every counter of an event read when the
 * thread had no counters to read (never opened, or its descriptor taken
 * by the program): not a count; a reader counts nothing across it.
 */
#define CPROF_COUNTER_NONE 0xffffffffffffffffull

/*
 * Forks chunks: the pids of the fork() children made since the last one
 * ("pids"), and how many more were not noted ("more", when any).
 */
#define CPROF_CHUNK_FORKS "forks"
#define CPROF_KEY_PIDS	  "pids"
#define CPROF_KEY_MORE	  "more"

/* End chunks. */
#define CPROF_KEY_REASON    "reason"
#define CPROF_KEY_SIGNAL    "signal"
#define CPROF_KEY_LOST	    "lost" /* also of lost chunks */
#define CPROF_REASON_EXIT   "exit"
#define CPROF_REASON_SIGNAL "signal"
#define CPROF_REASON_EXEC   "exec"
/* Recording ended before a seccomp filter the runtime cannot live under. */
#define CPROF_REASON_SANDBOX "sandbox"

/* Samples, lost and counts chunks. */
#define CPROF_KEY_TIME0	    "time0"
#define CPROF_KEY_DATA	    "data"
#define CPROF_KEY_THROTTLED "throttled"
/* Lost chunks: PERF_RECORD_UNTHROTTLE records. */
#define CPROF_KEY_UNTHROTTLED "unthrottled"
/* Samples chunks: the indexes of the samples after a throttle. */
#define CPROF_KEY_THROTTLED_AT "throttled_at"
#define CPROF_KEY_VALUES       "values"
#define CPROF_KEY_ENABLED      "enabled"
#define CPROF_KEY_RUNNING      "running"

/*
 * Adaptive timing: the header's "adaptive" map (its rule, and what a
 * timed and a counted call cost, in ticks), and calls chunks: "fns",
 * pairs of a function's address and its calls counted since the last
 * calls chunk of the thread.
 */
#define CPROF_KEY_ADAPTIVE     "adaptive"
#define CPROF_KEY_WARMUP       "warmup"
#define CPROF_KEY_THRESHOLD    "threshold"
#define CPROF_KEY_THRESHOLD_NS "threshold_ns"
#define CPROF_KEY_TIMED_CALL   "timed_call"
#define CPROF_KEY_COUNTED_CALL "counted_call"
#define CPROF_KEY_FNS	       "fns"
#define CPROF_KEY_EDGES	       "edges"

/*
 * Off-CPU time (--off-cpu): CPROF_OFFCPU=1 asks the runtime for the
 * sampling leader's context-switch records; an offcpu chunk holds a
 * thread's intervals off the CPU (doc/log-format.md).
 */
#define CPROF_ENV_OFFCPU   "CPROF_OFFCPU"
#define CPROF_CHUNK_OFFCPU "offcpu"
/*
 * System calls (--syscalls), tracepoint mode: CPROF_SYSCALLS holds the
 * tracefs ids of raw_syscalls:sys_enter and sys_exit ("ENTER,EXIT"); a
 * syscalls chunk holds a thread's system calls (doc/log-format.md).
 */
#define CPROF_ENV_SYSCALLS   "CPROF_SYSCALLS"
#define CPROF_CHUNK_SYSCALLS "syscalls"
/*
 * The CLI's: "1" makes --syscalls use the fallback (CPROF_SYSCALLS=wrap,
 * libc's wrappers interposed) even where the tracepoints work.
 */
#define CPROF_ENV_SYSCALLS_FALLBACK "CPROF_SYSCALLS_FALLBACK"

#endif /* CPROF_CONTRACT_H */
