/*
 * cct.h - the calling-context tree and the call graph of a profile.
 *
 * A tree holds one node per distinct call path, keyed by (parent node,
 * function), and beside it the call graph: one edge per (caller,
 * callee) pair. Both are built while a thread's events stream by (the
 * replay enters and closes nodes as it pushes and pops frames), so their
 * size follows the distinct paths and pairs, never the events. A
 * finished thread's tree is merged into its run's (cp_cct_merge()), with
 * its functions renumbered and its ticks turned into nanoseconds.
 *
 * The recursion rule: a function already on the path of the node it is
 * called from re-enters at that ancestor node instead of opening a child
 * (uftrace-style folding of the cycle into its outermost entry). A path
 * thus never holds a function twice and the tree stays bounded by the
 * functions' count, however deep recursion goes. Time and counters are
 * only ever added to a node's self; a node's total is its self plus its
 * children's totals (cp_cct_finish()), so nothing is counted twice: the
 * time of a re-entered function is self time of the node it re-entered.
 *
 * Call-graph edges follow gprof: every call counts on its edge; the
 * time and counter deltas of a call count only when it is the callee's
 * outermost open activation on its thread, so the edges into a function
 * (its root entries included, caller CP_CCT_NONE) add up to its total,
 * and a recursive call shows its count with no time of its own.
 *
 * Numbers are in the units their builder gives (ticks while replaying,
 * nanoseconds in a profile); function ids are whatever the builder uses
 * (a process's functions while replaying, cp_profile.funcs after merge).
 */
#ifndef CPROF_CCT_H
#define CPROF_CCT_H

#include <stddef.h>
#include <stdint.h>

/* No node, no function: the parent of a root, the caller of a root call. */
#define CP_CCT_NONE UINT32_MAX

struct cp_cct_node {
	uint32_t parent; /* CP_CCT_NONE at a root */
	uint32_t func;
	uint32_t depth; /* 0 at a root */
	/* Known only from sampled call chains, not from markers. */
	int sampled;
	uint64_t calls; /* activations that entered or re-entered it */
	/*
	 * Some of CALLS are counted calls (adaptive timing) split between
	 * this node and others of the same call edge: an estimate.
	 */
	int estimated;
	uint64_t self, total;
	uint64_t samples, samples_total; /* self, and with its subtree */
	/* Children in walk order, set by cp_cct_finish(). */
	uint32_t first_child, next_sibling;
};

struct cp_cct_edge {
	uint32_t caller; /* CP_CCT_NONE: a call at the root of a stack */
	uint32_t callee;
	uint64_t calls;
	/* Of CALLS, those counted, not timed: no time in TOTAL. */
	uint64_t untimed;
	uint64_t total;	  /* of the callee's (timed) outermost activations */
	uint64_t samples; /* sampled chains, or samples along the stack */
};

struct cp_cct;

/* A tree whose nodes and edges carry NCOUNTERS counters (0 for none). */
struct cp_cct *cp_cct_new(size_t ncounters);
void cp_cct_free(struct cp_cct *t);
size_t cp_cct_ncounters(const struct cp_cct *t);
/* Give every node and edge N counters (N >= the current count). */
void cp_cct_widen(struct cp_cct *t, size_t n);

/* Building. */

/*
 * The node FUNC is entered at from node PARENT (CP_CCT_NONE: a root): a
 * child of PARENT, made when new, or the ancestor of PARENT (or PARENT
 * itself) whose function FUNC is, by the recursion rule. A look-up in a
 * hash table once the pair has been seen.
 */
uint32_t cp_cct_enter(struct cp_cct *t, uint32_t parent, uint32_t func);
/*
 * The same as cp_cct_enter(), for the replay's hot path: the id of the
 * call of FUNC from node PARENT, which holds both its node
 * (cp_cct_call_node()) and its edge, from PARENT's function (none at a
 * root) to FUNC. Its
 * close, cp_cct_call_close(), adds a call, SELF and the self deltas
 * SELFC to the node, and a call, TOTAL and the deltas TOTALC to the edge
 * (SELFC and TOTALC: ncounters, or NULL), without a look-up: they are
 * kept on the call, and reach the node and edge when the tree is merged
 * or finished. Call ids stay valid as long as the tree.
 */
uint32_t cp_cct_call(struct cp_cct *t, uint32_t parent, uint32_t func);
/* The call of FUNC made inside the call OUTER (CP_CCT_NONE: a root). */
uint32_t cp_cct_call_in(struct cp_cct *t, uint32_t outer, uint32_t func);
uint32_t cp_cct_call_node(const struct cp_cct *t, uint32_t call);
void cp_cct_call_close(struct cp_cct *t, uint32_t call, uint64_t self,
		       const uint64_t *selfc, uint64_t total,
		       const uint64_t *totalc);
/*
 * An activation of NODE ended: CALLS more calls, SELF more self time and
 * the self deltas of the counters SELFC (ncounters, or NULL).
 */
void cp_cct_close(struct cp_cct *t, uint32_t node, uint64_t calls,
		  uint64_t self, const uint64_t *selfc);
/* A sample with the counter deltas D (ncounters, or NULL) at NODE. */
void cp_cct_sample(struct cp_cct *t, uint32_t node, const uint64_t *d);
/*
 * The path FUNCS[0] (outermost) .. FUNCS[N-1] of a sampled call chain,
 * entered from node FROM (CP_CCT_NONE: a root) by the recursion rule;
 * its innermost node, or FROM when N is 0. Nodes it makes are marked
 * sampled.
 */
uint32_t cp_cct_path(struct cp_cct *t, uint32_t from, const uint32_t *funcs,
		     size_t n);
/*
 * Along the edge CALLER -> CALLEE: CALLS more calls, TOTAL more time,
 * the counter deltas C (ncounters, or NULL) and SAMPLES more samples.
 */
void cp_cct_edge_add(struct cp_cct *t, uint32_t caller, uint32_t callee,
		     uint64_t calls, uint64_t total, const uint64_t *c,
		     uint64_t samples);

/*
 * Adaptive timing: CALLS calls along the edge CALLER -> CALLEE that were
 * counted, not timed. They are added to the edge at once (exact, with no
 * time) and to the tree when it is merged or finished, by the rule of
 * doc/design.md ("Counted calls in the tree"): under the caller's only
 * node exactly, or split between its nodes in proportion to their calls
 * and marked estimated.
 */
void cp_cct_counted(struct cp_cct *t, uint32_t caller, uint32_t callee,
		    uint64_t calls);

/*
 * Merging a tree FROM (its calls' sums are moved to its nodes and edges
 * first) into TO: functions renumbered by
 * FUNC[from's id] (CP_CCT_NONE drops the node with its subtree, or the
 * edge), times converted by TIME, and counter K of FROM added to counter
 * COUNTER[K] of TO, converted by COUNT (each callback may be NULL for
 * the identity).
 */
struct cp_cct_map {
	const uint32_t *func;
	const uint32_t *counter;
	uint64_t (*time)(const void *ctx, uint64_t v);
	uint64_t (*count)(const void *ctx, size_t k, uint64_t v);
	const void *ctx;
};
void cp_cct_merge(struct cp_cct *to, struct cp_cct *from,
		  const struct cp_cct_map *map);

/*
 * Compute the totals (self plus the children's) and the walk order:
 * roots and each node's children by total time, then total samples,
 * then function id. Call it again after more building or merging.
 */
void cp_cct_finish(struct cp_cct *t);

/* Reading. */

size_t cp_cct_nnodes(const struct cp_cct *t);
const struct cp_cct_node *cp_cct_node(const struct cp_cct *t, uint32_t id);
/* Its counters: self[ncounters] then total[ncounters] (after finish). */
const uint64_t *cp_cct_node_counts(const struct cp_cct *t, uint32_t id);
/* The first root in walk order, CP_CCT_NONE when the tree is empty. */
uint32_t cp_cct_first_root(const struct cp_cct *t);

size_t cp_cct_nedges(const struct cp_cct *t);
const struct cp_cct_edge *cp_cct_edge(const struct cp_cct *t, size_t i);
/* Its counter deltas: ncounters. */
const uint64_t *cp_cct_edge_counts(const struct cp_cct *t, size_t i);

/*
 * Visit every node of a finished tree depth-first in walk order, parents
 * before children. PATH holds the functions from the root to the node,
 * DEPTH + 1 of them. A non-zero return of VISIT skips the node's
 * subtree (1) or stops the walk (-1, returned by cp_cct_walk).
 */
typedef int (*cp_cct_visit)(void *arg, const struct cp_cct *t, uint32_t id,
			    const uint32_t *path, size_t depth);
int cp_cct_walk(const struct cp_cct *t, cp_cct_visit visit, void *arg);

/*
 * Copy the finished tree FROM into TO (new, finished after) for the
 * report-time filters: with ROOT (a flag per function, or NULL for all),
 * only the subtrees of the outermost nodes of a ROOT function, as roots,
 * and the edges into or out of a ROOT function; a node of a DROP
 * function (or NULL) is left out with its subtree, and its edges.
 */
void cp_cct_focus(struct cp_cct *to, struct cp_cct *from,
		  const unsigned char *root, const unsigned char *drop);

#endif /* CPROF_CCT_H */
