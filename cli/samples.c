/*
 * samples.c - perf samples placed among a thread's marker events.
 *
 * A sample goes to the frames open on its thread at its time, once every
 * marker event at that time has run (enter inclusive, exit exclusive):
 * its deltas to the innermost frame's self counts and, once per function,
 * to the totals of every function on the stack. Outside any marker it
 * goes to the function holding its address, and its callchain's
 * functions get it in their totals. A thread's events wait for the
 * samples of their drain (cp_samples_flush() says why that is enough and
 * bounded).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

struct sym_key {
	const struct proc *pr;
	const char *name, *object;
};

static int sym_eq(const void *ctx, uint32_t id)
{
	const struct sym_key *k = ctx;
	const struct pfunc *f = &k->pr->pf[id];

	return f->resolved && f->name == k->name && f->object == k->object;
}

static int ip_eq(const void *ctx, uint32_t id)
{
	const struct proc *pr = ((const void *const *)ctx)[0];
	const uint64_t *addr = ((const void *const *)ctx)[1];

	return pr->ips[id].addr == *addr;
}

static int ret_eq(const void *ctx, uint32_t id)
{
	const struct proc *pr = ((const void *const *)ctx)[0];
	const uint64_t *addr = ((const void *const *)ctx)[1];

	return pr->rets[id].addr == *addr;
}

/*
 * The function holding ADDR, a sampled address outside any marker: named
 * now, with the load map as it stands (the runtime writes a map chunk
 * before the chunks of each drain), and one pfunc per name, so that the
 * addresses of a function share its row. An address no symbol holds is
 * counted for its object as a whole: "[libfoo.so]", "[kernel]" or
 * "[unknown]".
 */
static uint32_t ip_func(struct proc *pr, uint64_t addr)
{
	const void *ctx[2] = {pr, &addr};
	uint64_t h = cp_hash_u64(addr);
	uint32_t id = cp_index_find(&pr->ip_ix, h, ip_eq, ctx);
	struct sym_key k = {pr, NULL, NULL};
	struct pfunc f;
	struct cp_sym sym;

	if (id != CP_INDEX_NONE)
		return pr->ips[id].fid;
	cp_symmap_lookup(pr->map, addr, cp_symmap_gen(pr->map), &sym);
	if (sym.unnamed) {
		char buf[300];

		if (sym.object != NULL)
			snprintf(buf, sizeof buf, "[%s]", sym.object);
		else
			snprintf(buf, sizeof buf, "%s",
				 addr >> 63 ? "[kernel]" : "[unknown]");
		sym.name = cp_pool_str(pr->ld->pool, buf);
		sym.file = NULL;
		sym.line = 0;
	}
	k.name = sym.name;
	k.object = sym.object;
	h = cp_hash_u64((uintptr_t)sym.name ^
			cp_hash_u64((uintptr_t)sym.object));
	id = cp_index_find(&pr->sym_ix, h, sym_eq, &k);
	if (id == CP_INDEX_NONE) {
		memset(&f, 0, sizeof f);
		f.kind = CP_SITE_ADDR;
		f.resolved = 1;
		f.name = sym.name;
		f.object = sym.object;
		f.file = sym.file;
		f.line = sym.line;
		f.unnamed = sym.unnamed;
		id = cp_proc_func_new(pr, &f);
		cp_index_add(&pr->sym_ix, h, id);
	}
	pr->ips = xgrow(pr->ips, &pr->capips, pr->nips + 1, sizeof *pr->ips);
	pr->ips[pr->nips].addr = addr;
	pr->ips[pr->nips].fid = id;
	cp_index_add(&pr->ip_ix, cp_hash_u64(addr), (uint32_t)pr->nips++);
	return id;
}

/* Is ADDR a return address (the instruction before it a call)? Cached. */
static int is_return(struct proc *pr, uint64_t addr)
{
	const void *ctx[2] = {pr, &addr};
	uint64_t h = cp_hash_u64(addr);
	uint32_t id = cp_index_find(&pr->ret_ix, h, ret_eq, ctx);
	int r;

	if (id != CP_INDEX_NONE)
		return pr->rets[id].ok;
	r = cp_symmap_call_before(pr->map, addr, cp_symmap_gen(pr->map));
	pr->rets =
		xgrow(pr->rets, &pr->caprets, pr->nrets + 1, sizeof *pr->rets);
	pr->rets[pr->nrets].addr = addr;
	/* What cannot be told is taken for a return address. */
	pr->rets[pr->nrets].ok = r != 0;
	cp_index_add(&pr->ret_ix, h, (uint32_t)pr->nrets++);
	return r != 0;
}

/* Is FID the main program's, the object a rebuild can fix? */
static int in_program(const struct proc *pr, uint32_t fid)
{
	const char *obj = pr->pf[fid].object, *exe = strrchr(pr->exe, '/');

	exe = exe != NULL ? exe + 1 : pr->exe;
	return obj != NULL && strcmp(obj, exe) == 0;
}

/* Where a thread's frame-pointer chain rightly ends: its entry code. */
static int chain_root(const char *name)
{
	static const char *const roots[] = {"_start",
					    "__libc_start_main",
					    "__libc_start_call_main",
					    "start_thread",
					    "clone",
					    "clone3",
					    "__clone",
					    "__clone3",
					    "_dl_start_user",
					    "_dl_start"};

	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		if (strcmp(name, roots[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * The kernel's frame-pointer walk stops there (perf_event_max_stack is
 * 127 by default): a chain this long may be cut for that reason alone.
 */
#define CHAIN_MAX_TRUSTED 120
/* The most return addresses a dwarf sample is unwound to: the kernel's. */
#define UNWIND_MAX 127

/*
 * Check the callchain of sample S, whose address is in FID, and return
 * how many of its entries to believe. Code built without frame pointers
 * leaves the kernel's walk reading whatever its frame register holds, so
 * its chains hold "return addresses" that follow no call, or addresses
 * in no object at all, and they stop short. The chain is cut at the first
 * such entry, and counted as broken when the frame that led there is
 * the program's own (a library built so is not the program's to fix),
 * or when a chain that was not cut ends inside the program rather than
 * in a thread's entry code.
 */
static size_t chain_check(struct proc *pr, const struct qsample *s,
			  const uint64_t *chain, uint32_t fid)
{
	/*
	 * The first entry may be no return address: a kernel sample's is
	 * the user pc, and a user sample's may repeat its own address.
	 */
	size_t j = s->nchain > 0 && (s->ip >> 63 || chain[0] == s->ip);
	uint32_t inner = j > 0 ? ip_func(pr, chain[0]) : fid;

	pr->chains++;
	if (s->nchain == 0 && s->ip >> 63)
		return 0;
	for (; j < s->nchain; j++) {
		if (!is_return(pr, chain[j])) {
			if (in_program(pr, inner))
				pr->broken++;
			return j;
		}
		inner = ip_func(pr, chain[j] > 0 ? chain[j] - 1 : chain[j]);
	}
	/* INNER is now the outermost frame. */
	if (s->nchain < CHAIN_MAX_TRUSTED && in_program(pr, inner) &&
	    !chain_root(pr->pf[inner].name))
		pr->broken++;
	return s->nchain;
}

/*
 * The runtime's own cost.
 *
 * Whatever libcprof counts on a program thread is shown on one row of its
 * own, never in a program function: samples whose address is in the
 * runtime's object (the header names it, the map chunks place it), and in
 * exact mode the counts of its slow paths (the counts chunks' "runtime").
 */
#define RUNTIME_ROW "[cprof runtime]"

uint32_t cp_samples_runtime_fid(struct proc *pr)
{
	struct pfunc f;

	if (pr->has_rt)
		return pr->rt_fid;
	memset(&f, 0, sizeof f);
	f.kind = CP_SITE_ADDR;
	f.resolved = 1;
	f.name = cp_pool_str(pr->ld->pool, RUNTIME_ROW);
	pr->rt_fid = cp_proc_func_new(pr, &f);
	pr->has_rt = 1;
	return pr->rt_fid;
}

static int in_runtime(const struct proc *pr, uint64_t addr)
{
	for (size_t j = 0; j < pr->nrt_segs; j++) {
		if (addr >= pr->rt_segs[2 * j] && addr < pr->rt_segs[2 * j + 1])
			return 1;
	}
	return 0;
}

/*
 * The objects the runtime calls into (the C library, the dynamic loader,
 * msgpack-c): a sample there is the runtime's when its caller is.
 */
static int runtime_callee(const char *obj)
{
	static const char *const prefixes[] = {
		"libc.so",    "libc-",	"ld-linux", "ld64.so",	 "ld.so",
		"libpthread", "libdl.", "librt.",   "libmsgpack"};

	if (obj == NULL)
		return 0;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (strncmp(obj, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	}
	return 0;
}

/*
 * Is sample S of T the runtime's? Its address is in the runtime, or, with
 * callchains, it is in the kernel or the C library and the first caller
 * outside them is the runtime (its system calls, its page faults in
 * memset). A callback of the C library into the program is the
 * program's: that caller comes first.
 */
static int runtime_sample(struct proc *pr, struct thr *t,
			  const struct qsample *s)
{
	/* No pointer arithmetic on a NULL queue (a run without -g). */
	const uint64_t *chain = s->nchain ? t->qchain + s->chain : NULL;

	if (pr->nrt_segs == 0)
		return 0;
	if (in_runtime(pr, s->ip))
		return 1;
	if (!pr->callchain || s->nchain == 0)
		return 0;
	if (!(s->ip >> 63)) {
		uint32_t fid = ip_func(pr, s->ip);

		if (!runtime_callee(pr->pf[fid].object))
			return 0;
	}
	for (size_t j = 0; j < s->nchain; j++) {
		uint64_t ret = chain[j];
		uint32_t fid;

		if (ret >> 63 || ret == s->ip)
			continue;
		if (in_runtime(pr, ret))
			return 1;
		fid = ip_func(pr, ret > 0 ? ret - 1 : ret);
		if (!runtime_callee(pr->pf[fid].object))
			return 0;
	}
	return 0;
}

/* Add the deltas D (nc) to the total of FID once for sample SERIAL. */
static void add_total(struct proc *pr, struct thr *t, uint32_t fid,
		      uint64_t serial, const uint64_t *d)
{
	uint64_t *c;

	if (pr->stamp[fid] == serial)
		return; /* recursion, or twice in a callchain: once */
	pr->stamp[fid] = serial;
	c = cs_at(pr, t, fid) + pr->nc;
	for (size_t j = 0; j < pr->nc; j++)
		c[j] += d[j];
}

/*
 * Along the edges of the call path PATH (N functions, outermost first) of
 * a sample with the deltas D, for T's call graph: the sample and its
 * deltas, once per function at its outermost place, as the functions'
 * totals get them.
 */
static void cct_edges(struct proc *pr, struct thr *t, const uint32_t *path,
		      size_t n, const uint64_t *d)
{
	uint64_t serial = ++pr->serial;

	for (size_t i = 0; i < n; i++) {
		if (pr->stamp[path[i]] == serial)
			continue;
		pr->stamp[path[i]] = serial;
		cp_cct_edge_add(t->cct, i > 0 ? path[i - 1] : CP_CCT_NONE,
				path[i], 0, 0, pr->nc > 0 ? d : NULL, 1);
	}
}

/* Room for a call path of N functions in PR->cpath. */
static uint32_t *cpath(struct proc *pr, size_t n)
{
	pr->cpath =
		xgrow(pr->cpath, &pr->capcpath, n ? n : 1, sizeof *pr->cpath);
	return pr->cpath;
}

/*
 * A sample inside marker frames, for T's tree: at the innermost frame's
 * node, or below it at FID (the runtime's row) when FID is not
 * CP_CCT_NONE; along the stack's edges.
 */
static void cct_marked(struct proc *pr, struct thr *t, uint32_t fid,
		       const uint64_t *d)
{
	size_t depth = t->stk.depth;
	uint32_t *path = cpath(pr, depth + 1);
	uint32_t node = cp_cct_call_node(t->cct, t->stk.open[depth - 1].call);

	for (size_t j = 0; j < depth; j++)
		path[j] = t->stk.open[j].fid;
	if (fid != CP_CCT_NONE) {
		path[depth] = fid;
		node = cp_cct_path(t->cct, node, path + depth, 1);
		depth++;
	}
	cp_cct_sample(t->cct, node, pr->nc > 0 ? d : NULL);
	cct_edges(pr, t, path, depth, d);
}

/*
 * A sample placed by address, for T's tree: the path of its callchain
 * (CHAIN, NCHAIN entries believed) down to FID, from a root.
 */
static void cct_chain(struct proc *pr, struct thr *t, const struct qsample *s,
		      const uint64_t *chain, size_t nchain, uint32_t fid,
		      const uint64_t *d)
{
	uint32_t *path = cpath(pr, nchain + 1);
	size_t n = 0, j0 = 0;

	/* The first entry may be the sample's own address (chain_check()). */
	if (nchain > 0 && chain[0] == s->ip)
		j0 = 1;
	for (size_t j = nchain; j-- > j0;) {
		uint64_t ret = chain[j];

		if (in_runtime(pr, ret))
			continue;
		/* A kernel sample's first entry is the user pc itself. */
		if (j == 0 && s->ip >> 63)
			path[n++] = ip_func(pr, ret);
		else
			path[n++] = ip_func(pr, ret > 0 ? ret - 1 : ret);
	}
	path[n++] = fid;
	cp_thread_reserve(pr, t);
	cp_cct_sample(t->cct, cp_cct_path(t->cct, CP_CCT_NONE, path, n),
		      pr->nc > 0 ? d : NULL);
	cct_edges(pr, t, path, n, d);
}

/*
 * A sample after a throttled interval went to FID's self counts: its
 * deltas hold what the group counted while the leader did not sample,
 * wherever the thread was then. The function is marked in the report.
 */
static void throttled_self(struct thr *t, uint32_t fid)
{
	if (fid >= t->ntsamp) {
		size_t old = t->ntsamp;

		t->tsamp =
			xgrow(t->tsamp, &t->ntsamp, fid + 1, sizeof *t->tsamp);
		memset(t->tsamp + old, 0, (t->ntsamp - old) * sizeof *t->tsamp);
	}
	t->tsamp[fid]++;
}

/*
 * The hybrid (doc/design.md): samples that say where the time went.
 *
 * A sample in the frame of a function of the hooks whose address lies in
 * another function is that function's: a callee the build does not
 * instrument (the C library's strcmp, the kernel), one the runtime only
 * counts, or the caller whose body holds an instrumented inlined
 * function's code. It goes to the function holding its address, as a
 * sampling profiler shows it, and to the totals of the frames open, and
 * its time leaves the frame's self time (xout) for that function's
 * (xin). A marker of cprof.h names a place in the code, not a range of
 * addresses, and an address no symbol holds may well be the frame's own:
 * their samples stay with the frame. So does a sample in another part of
 * the same function (foo.cold, foo.part.0 of foo), and one in the kernel:
 * without a user address, nothing says which function made the system
 * call or took the fault, and the frame's function did or called it.
 */

/* Are A and B one function of one object, up to a compiler's suffix? */
static int same_function(const struct pfunc *a, const struct pfunc *b)
{
	size_t la, lb;

	if (a->object != b->object || a->name == NULL || b->name == NULL)
		return 0;
	la = strcspn(a->name, ".");
	lb = strcspn(b->name, ".");
	return la == lb && la > 0 && strncmp(a->name, b->name, la) == 0;
}

/*
 * The function sample S in the frame of TOP belongs to instead of TOP, or
 * CP_INDEX_NONE when it is TOP's.
 */
/*
 * Is OBJECT a sanitizer's runtime (ASan, TSan, UBSan, LSan, MSan,
 * HWASan)? The checks the compiler put into a function call into it, so
 * its code run from a frame is that function's cost in this build, as a
 * kernel sample is: such samples stay with the frame.
 */
static int sanitizer_object(const char *object)
{
	static const char *const libs[] = {"libasan", "libtsan", "libubsan",
					   "liblsan", "libmsan", "libhwasan"};
	const char *base;

	if (object == NULL)
		return 0;
	base = strrchr(object, '/');
	base = base != NULL ? base + 1 : object;
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
		if (strncmp(base, libs[i], strlen(libs[i])) == 0)
			return 1;
	return 0;
}

/*
 * A sanitizer's runtime linked into the executable (clang links ASan's
 * statically) is known by its functions' names.
 */
static int sanitizer_function(const char *name)
{
	static const char *const pre[] = {
		"__interceptor_", "__asan_",	      "__tsan_",
		"__ubsan_",	  "__sanitizer_",     "__lsan_",
		"__msan_",	  "__interception::", "__asan::",
		"__tsan::",	  "__sanitizer::",    "__ubsan::"};

	if (name == NULL)
		return 0;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (strncmp(name, pre[i], strlen(pre[i])) == 0)
			return 1;
	return 0;
}

static uint32_t foreign(struct proc *pr, uint32_t top, const struct qsample *s)
{
	uint32_t g, own;

	if (!pr->ns_leader || pr->pf[top].kind != CP_SITE_ADDR ||
	    pr->pf[top].resolved)
		return CP_INDEX_NONE;
	if (pr->pf[top].rid == 0) {
		own = ip_func(pr, pr->pf[top].addr);
		pr->pf[top].rid = own + 1;
	}
	own = pr->pf[top].rid - 1;
	if (s->ip >> 63)
		return CP_INDEX_NONE;
	g = ip_func(pr, s->ip);
	if (g == own || pr->pf[g].unnamed ||
	    same_function(&pr->pf[g], &pr->pf[own]) ||
	    sanitizer_object(pr->pf[g].object) ||
	    sanitizer_function(pr->pf[g].name))
		return CP_INDEX_NONE;
	return g;
}

/*
 * The wall time per CPU time of T around sample S, with a leader that
 * counts CPU time (D0, its count since the thread's previous sample):
 * the gaps between samples over their CPU time, decayed so that the last
 * few dozen samples count.
 */
#define DIL_DECAY 0.97

static void dilation(struct proc *pr, struct thr *t, const struct qsample *s,
		     uint64_t d0)
{
	if (!pr->ns_leader)
		return;
	if (t->dil_prev_ns != 0 && s->ns > t->dil_prev_ns && d0 > 0) {
		t->dil_wall = t->dil_wall * DIL_DECAY +
			      (double)(s->ns - t->dil_prev_ns);
		t->dil_cpu = t->dil_cpu * DIL_DECAY + (double)d0;
		t->dil = t->dil_wall > t->dil_cpu
				 ? (uint64_t)(1024 * t->dil_wall / t->dil_cpu)
				 : 1024;
	}
	t->dil_prev_ns = s->ns;
}

/*
 * Attribute queued sample I of T. Inside a marker frame (and not BYIP),
 * its deltas go to the innermost frame's self and to the total of every
 * function on the stack, once each. Outside, or BYIP, to the function
 * holding its address, and to the total of each function its callchain
 * passes through.
 */
static void place(struct proc *pr, struct thr *t, size_t i, int byip)
{
	const struct qsample *s = &t->q[i];
	const uint64_t *d = t->qnum + i * pr->nc;
	size_t k = pr->nc, nchain;
	uint64_t serial = ++pr->serial, *c, w;
	uint32_t fid, g;

	if (pr->ld->tap != NULL && pr->ld->tap->sample != NULL)
		pr->ld->tap->sample(pr->ld->tap_arg, pr, t, s->tk, d);
	if (t->ssum != NULL)
		cp_frames_sample(pr, t, d);
	dilation(pr, t, s, k > 0 ? d[0] : 0);
	if (runtime_sample(pr, t, s)) {
		fid = cp_samples_runtime_fid(pr);
		cp_thread_reserve(pr, t);
		c = cs_at(pr, t, fid);
		for (size_t j = 0; j < k; j++) {
			c[j] += d[j];
			c[k + j] += d[j];
		}
		c[CS_SAMPLES(k)]++;
		/*
		 * Marker time includes the hooks' own time in the frame that
		 * was open, unless the calibration took it out: the
		 * distortion check compares like with like.
		 */
		if (!byip && t->stk.depth > 0 && !pr->has_calib) {
			cs_at(pr, t,
			      t->stk.open[t->stk.depth - 1].fid)[CS_LEAD(k)] +=
				d[0];
			t->marked++;
		} else if (!byip && t->stk.depth > 0) {
			/* What the hooks cost in that frame, as sampled. */
			t->st[t->stk.open[t->stk.depth - 1].fid].rtin +=
				t->dil > 1024 ? t->dil : 1024;
		}
		if (t->cct != NULL && !byip && t->stk.depth > 0)
			cct_marked(pr, t, fid, d);
		else if (t->cct != NULL)
			cct_chain(pr, t, s, NULL, 0, fid, d);
		return;
	}
	if (!byip && t->stk.depth > 0 &&
	    (g = foreign(pr, t->stk.open[t->stk.depth - 1].fid, s)) !=
		    CP_INDEX_NONE) {
		cp_thread_reserve(pr, t);
		c = cs_at(pr, t, g);
		for (size_t j = 0; j < k; j++)
			c[j] += d[j];
		c[CS_SAMPLES(k)]++;
		c[CS_LEAD(k)] += d[0];
		/* A sample on the frames' (wall) clock, x1024. */
		w = t->dil > 1024 ? t->dil : 1024;
		t->st[t->stk.open[t->stk.depth - 1].fid].xout += w;
		t->st[g].xin += w;
		t->st[g].nin++;
		t->in_lead += d[0];
		t->in_n++;
		t->marked++;
		if (s->throttled)
			throttled_self(t, g);
		add_total(pr, t, g, serial, d);
		for (size_t j = t->stk.depth; j > 0; j--)
			add_total(pr, t, t->stk.open[j - 1].fid, serial, d);
		/* In the tree, under the frame it was taken in. */
		if (t->cct != NULL)
			cct_marked(pr, t, g, d);
		return;
	}
	if (!byip && t->stk.depth > 0) {
		fid = t->stk.open[t->stk.depth - 1].fid;
		c = cs_at(pr, t, fid);
		for (size_t j = 0; j < k; j++)
			c[j] += d[j];
		c[CS_SAMPLES(k)]++;
		c[CS_LEAD(k)] += d[0];
		t->st[t->stk.open[t->stk.depth - 1].fid].nin++;
		t->in_lead += d[0];
		t->in_n++;
		t->marked++;
		if (s->throttled)
			throttled_self(t, fid);
		for (size_t j = t->stk.depth; j > 0; j--)
			add_total(pr, t, t->stk.open[j - 1].fid, serial, d);
		if (t->cct != NULL)
			cct_marked(pr, t, CP_CCT_NONE, d);
		return;
	}
	fid = ip_func(pr, s->ip);
	if (s->throttled)
		throttled_self(t, fid);
	nchain = pr->callchain
			 ? chain_check(pr, s,
				       s->nchain ? t->qchain + s->chain : NULL,
				       fid)
			 : s->nchain;
	cp_thread_reserve(pr, t);
	c = cs_at(pr, t, fid);
	for (size_t j = 0; j < k; j++)
		c[j] += d[j];
	c[CS_SAMPLES(k)]++;
	add_total(pr, t, fid, serial, d);
	for (size_t j = 0; j < nchain; j++) {
		uint64_t ret = t->qchain[s->chain + j];

		/*
		 * The runtime's frames under the program's (the start of a
		 * thread made through its pthread_create wrapper) are no
		 * program rows.
		 */
		if (in_runtime(pr, ret))
			continue;
		/* A return address may be the next function's first byte. */
		fid = ip_func(pr, ret > 0 ? ret - 1 : ret);
		cp_thread_reserve(pr, t);
		add_total(pr, t, fid, serial, d);
	}
	if (t->cct != NULL)
		cct_chain(pr, t, s, nchain ? t->qchain + s->chain : NULL,
			  nchain, ip_func(pr, s->ip), d);
}

/*
 * Samples in the right frame. A sample's time is the kernel's
 * CLOCK_MONOTONIC, placed on the tick timeline with the calibration known
 * so far; clock.c measures how far off that can be (the skew bound,
 * pr->skew_tk). A sample farther than the bound from the next marker
 * event is placed by its time. One within the bound of an event E could
 * belong before or after it: if its address (or, failing that, the
 * return address its callchain starts with) lies in the function of the
 * innermost frame on one side of E and not on the other, that side wins;
 * otherwise its time decides. Samples stay in time order: one that goes
 * after E keeps the later ones waiting too.
 */

/* No frame: the stack is empty, or what E leaves on top is unknown. */
#define NO_FRAME UINT32_MAX

/* Does the function of marker frame FID hold ADDR? */
static int frame_holds(struct proc *pr, uint32_t fid, uint64_t addr)
{
	const struct pfunc *f;
	struct cp_sym a, b;

	if (fid == NO_FRAME || (fid & SPECIAL) || fid >= pr->npf || addr >> 63)
		return 0;
	f = &pr->pf[fid];
	if (f->kind != CP_SITE_ADDR || f->moved)
		return 0;
	cp_symmap_lookup(pr->map, f->addr, f->gen, &a);
	cp_symmap_lookup(pr->map, addr, cp_symmap_gen(pr->map), &b);
	return !a.unnamed && !b.unnamed && a.name != NULL && b.name != NULL &&
	       strcmp(a.name, b.name) == 0 &&
	       (a.object == b.object || (a.object != NULL && b.object != NULL &&
					 strcmp(a.object, b.object) == 0));
}

/*
 * Which side of an event sample S belongs to by its address: -1 before
 * (BEFORE's function holds it, AFTER's does not), 1 after, 0 when the
 * address cannot tell.
 */
static int side_by_ip(struct proc *pr, const struct thr *t,
		      const struct qsample *s, uint32_t before, uint32_t after)
{
	uint64_t addrs[2];
	size_t n = 0;

	addrs[n++] = s->ip;
	if (s->nchain > 0 && t->qchain[s->chain] > 0)
		addrs[n++] = t->qchain[s->chain] - 1;
	for (size_t i = 0; i < n; i++) {
		int b = frame_holds(pr, before, addrs[i]);
		int a = frame_holds(pr, after, addrs[i]);

		if (b != a)
			return b ? -1 : 1;
		if (b)
			return 0; /* both: the same function either side */
	}
	return 0;
}

void cp_samples_before(struct proc *pr, struct thr *t, uint64_t tk, uint32_t id,
		       int exit)
{
	const uint64_t b = pr->skew_tk;
	uint32_t before = NO_FRAME, after = NO_FRAME;
	const size_t depth = t->stk.depth;

	if (b > 0) {
		if (depth > 0)
			before = t->stk.open[depth - 1].fid;
		if (!exit)
			after = id & SPECIAL ? before : id;
		else if (depth > 0 && before == id)
			after = depth > 1 ? t->stk.open[depth - 2].fid
					  : NO_FRAME;
	}
	while (t->qhead < t->qconv) {
		const struct qsample *s = &t->q[t->qhead];
		int side;

		if (s->tk + b < tk) {
			place(pr, t, t->qhead++, 0);
			continue;
		}
		if (s->tk >= tk + b)
			break;
		side = b > 0 && before != after
			       ? side_by_ip(pr, t, s, before, after)
			       : 0;
		if (side == 0)
			side = s->tk < tk ? -1 : 1;
		else if ((side < 0) != (s->tk < tk))
			pr->by_ip++; /* its address overrode its time */
		if (side > 0)
			break;
		place(pr, t, t->qhead++, 0);
	}
}

/* Drop the placed samples from the front of T's queue. */
static void queue_compact(struct proc *pr, struct thr *t)
{
	size_t h = t->qhead, n = t->nq - h, c0;

	if (h == 0)
		return;
	c0 = n > 0 ? t->q[h].chain : t->nqchain;
	/* The arrays may still be NULL: memmove wants a pointer even for 0. */
	if (n > 0)
		memmove(t->q, t->q + h, n * sizeof *t->q);
	if (n > 0 && pr->nc > 0)
		memmove(t->qnum, t->qnum + h * pr->nc,
			n * pr->nc * sizeof *t->qnum);
	if (t->nqchain > c0)
		memmove(t->qchain, t->qchain + c0,
			(t->nqchain - c0) * sizeof *t->qchain);
	for (size_t i = 0; i < n; i++)
		t->q[i].chain -= c0;
	t->nqchain -= c0;
	t->qconv -= h;
	t->nq = n;
	t->qhead = 0;
}

/*
 * How much may wait. A drain of the runtime gives a thread at most a ring
 * of events (32768), so PEND_MAX is four drains; events also wait, up to
 * the same bound, while the clock rate is unknown (hz 0 and a single
 * calibration point: until the runtime writes its first clock chunk).
 * Samples wait up to QUEUE_MAX. Past these, events run without the
 * samples that should have been placed between them: those are placed by
 * address and counted as unplaced.
 */
#define PEND_MAX  ((size_t)1 << 17)
#define QUEUE_MAX ((size_t)1 << 18)

/*
 * Sampling mode: run T's waiting events with its samples placed between
 * them. The runtime reads a thread's marker ring, then its sample ring,
 * and writes them in that order at each drain, ending with a counts
 * chunk. At the end of drain D every event before the marker read of D
 * is in, and every sample up to the sample read of D; a sample later
 * than the last event may still precede events of drain D+1, so it
 * waits. But one taken before the sample read of drain D-1 (wm_prev)
 * precedes the marker read of D: once the events of D have run, it is
 * placed with the stack as it stands. The queue thus holds about a
 * drain's samples, and pend a drain's events.
 */
void cp_samples_flush(struct proc *pr, struct thr *t, enum cp_flush how)
{
	struct cp_clock_line line;
	int calibrated = cp_clock_line(&pr->clk, &line);

	if (!calibrated && how != CP_FLUSH_FINAL && t->npend < PEND_MAX &&
	    t->nq - t->qhead < QUEUE_MAX)
		return; /* wait for a second clock point */
	cp_thread_reserve(pr, t);
	if (calibrated) {
		for (size_t i = t->qconv; i < t->nq; i++)
			t->q[i].tk = cp_clock_ticks(&line, t->q[i].ns);
		t->qconv = t->nq;
		pr->skew_tk = cp_clock_skew_ticks(&pr->clk, &line);
	}
	cp_offcpu_flush(pr, t, how, calibrated ? &line : NULL, 0);
	/*
	 * Samples the marker stream passed without them: by address. Those
	 * within the skew bound of its last event waited on purpose.
	 */
	while (t->qhead < t->qconv && t->processed &&
	       t->q[t->qhead].tk + pr->skew_tk < t->last) {
		place(pr, t, t->qhead++, 1);
		pr->unplaced++;
	}
	cp_replay_pending(pr, t);
	if (how == CP_FLUSH_FINAL) {
		while (t->qhead < t->nq)
			place(pr, t, t->qhead++, 0);
	} else if (how == CP_FLUSH_DRAIN) {
		while (t->qhead < t->qconv && t->q[t->qhead].ns <= t->wm_prev)
			place(pr, t, t->qhead++, 0);
	}
	cp_offcpu_flush(pr, t, how, NULL, 1);
	/* A thread with samples and no drain ends: keep half the queue. */
	while (t->nq - t->qhead > QUEUE_MAX / 2 && t->qhead < t->qconv)
		place(pr, t, t->qhead++, 0);
	queue_compact(pr, t);
}

/*
 * A thread that ended and whose events and samples have all run gives
 * its queues back: a process that starts many threads one after another
 * would otherwise hold a drain's worth of buffers for each of them.
 */
void cp_samples_release(struct thr *t)
{
	if (t->npend > 0 || t->qhead < t->nq)
		return;
	free(t->pend);
	free(t->q);
	free(t->qnum);
	free(t->qchain);
	t->pend = NULL;
	t->q = NULL;
	t->qnum = NULL;
	t->qchain = NULL;
	t->cappend = t->capq = t->capqnum = t->capqchain = 0;
	t->npend = t->nq = t->qhead = t->qconv = t->nqchain = 0;
}

/* Sampling mode: the events of C wait on T for their drain's samples. */
void cp_samples_pend(struct proc *pr, struct thr *t, const struct cp_log_ev *c)
{
	struct cp_log_event *p;
	uint64_t last = t->blast;

	t->pend =
		xgrow(t->pend, &t->cappend, t->npend + c->nev, sizeof *t->pend);
	p = t->pend + t->npend;
	for (size_t i = 0; i < c->nev; i++) {
		uint64_t tk = c->ev[i].ticks;

		if (tk < last)
			tk = last;
		last = tk;
		p[i].ticks = tk;
		p[i].site = pr->sitemap[c->ev[i].site];
		p[i].exit = c->ev[i].exit;
	}
	t->npend += c->nev;
	t->blast = last;
	if (t->npend >= PEND_MAX)
		cp_samples_flush(pr, t, CP_FLUSH_FORCE);
}

/*
 * A --call-graph=dwarf sample S with its chain unwound (unwind.c) from
 * its registers and stack copy, in U (the chain in a buffer that lives
 * until the next one), or S itself when the unwinder cannot be had.
 */
static const struct cp_log_sample *
unwind(struct proc *pr, const struct cp_log_sample *s, struct cp_log_sample *u)
{
	static uint64_t chain[UNWIND_MAX];

	if (!pr->unwind_tried) {
		pr->unwind_tried = 1;
		pr->unw = cp_unwind_new(pr->map, pr->dwarf_regs, pr->dwarf_arch,
					strlen(pr->dwarf_arch));
	}
	/*
	 * Without an unwinder the samples have no chains: none is looked
	 * at, rather than every one counted as stopping short.
	 */
	if (pr->unw == NULL) {
		pr->callchain = 0;
		return s;
	}
	*u = *s;
	u->nchain = cp_unwind_chain(pr->unw, s, chain, UNWIND_MAX);
	u->chain = u->nchain > 0 ? chain : NULL;
	return u;
}

void cp_samples_add(struct proc *pr, const struct cp_log_samples *c)
{
	struct thr *t = cp_proc_thread_find(pr, c->tid);
	size_t k = pr->nc;

	t->samples += c->n;
	pr->samples += c->n;
	t->counted = 1;
	/* Exact mode does not sample: there is nothing to place them by. */
	if (pr->exact || c->n == 0)
		return;
	t->q = xgrow(t->q, &t->capq, t->nq + c->n, sizeof *t->q);
	t->qnum = xgrow(t->qnum, &t->capqnum, (t->nq + c->n) * k,
			sizeof *t->qnum);
	for (size_t i = 0; i < c->n; i++) {
		const struct cp_log_sample *s = &c->s[i];
		struct qsample *q = &t->q[t->nq];
		struct cp_log_sample unwound;

		if (pr->dwarf_regs != 0 && s->nchain == 0 && s->regs != NULL)
			s = unwind(pr, s, &unwound);

		q->ns = s->time;
		q->tk = 0;
		q->ip = s->ip;
		q->chain = t->nqchain;
		q->nchain = s->nchain;
		q->throttled = s->throttled;
		memcpy(t->qnum + t->nq * k, s->deltas, k * sizeof *t->qnum);
		if (s->nchain > 0) {
			t->qchain = xgrow(t->qchain, &t->capqchain,
					  t->nqchain + s->nchain,
					  sizeof *t->qchain);
			memcpy(t->qchain + t->nqchain, s->chain,
			       s->nchain * sizeof *t->qchain);
			t->nqchain += s->nchain;
		}
		if (s->time > t->smax)
			t->smax = s->time;
		t->nq++;
	}
	if (t->nq - t->qhead >= QUEUE_MAX)
		cp_samples_flush(pr, t, CP_FLUSH_FORCE);
}
