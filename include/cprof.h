/*
 * cprof.h - manual markers for the cprof profiler.
 *
 * This is the only public header of libcprof. It lets a program mark
 * functions, scopes and frames by hand, beside or instead of the compiler
 * hooks of -finstrument-functions. A marker site is a static struct, so the
 * hot path records a pointer and a timestamp and never hashes a name.
 *
 * A program linked with -lcprof but not run under `cprof stat` or
 * `cprof record` behaves as if the markers were not there: every call
 * returns at once and nothing is written.
 */
#ifndef CPROF_H
#define CPROF_H

#ifdef __cplusplus
extern "C" {
#endif

#define CPROF_VERSION_MAJOR  0
#define CPROF_VERSION_MINOR  1
#define CPROF_VERSION_PATCH  0
#define CPROF_VERSION_STRING "0.1.0"
#define CPROF_VERSION_HEX                                           \
	((CPROF_VERSION_MAJOR << 16) | (CPROF_VERSION_MINOR << 8) | \
	 CPROF_VERSION_PATCH)

#if defined(_WIN32)
#define CPROF_EXTERN
#elif __GNUC__ >= 4
#define CPROF_EXTERN __attribute__((visibility("default")))
#else
#define CPROF_EXTERN
#endif

/* Error codes: 0 is success, errors are negative. */
#define CPROF_ERRNO_MAP(XX)                                     \
	XX(INACTIVE, "profiling is not active in this process") \
	XX(IO, "the log could not be written")                  \
	XX(INVAL, "invalid argument")

typedef enum {
#define CPROF_ERRNO_GEN_(name, msg) CPROF_E##name,
	CPROF__ERRNO_FIRST_ = -1000,
	CPROF_ERRNO_MAP(CPROF_ERRNO_GEN_)
#undef CPROF_ERRNO_GEN_
} cprof_errno_t;

/* What a marker site stands for. */
enum cprof_site_kind {
	CPROF_SITE_FUNC = 0,  /* a function, closed by cprof_exit() */
	CPROF_SITE_SCOPE = 1, /* a scope inside a function */
	CPROF_SITE_FRAME = 2  /* a frame mark: no exit */
};

/*
 * A marker site. Define it static (the macros below do) so that its address
 * identifies it for the life of the program; the strings must live as long.
 */
struct cprof_site {
	const char *name;
	const char *file;
	int line;
	int kind;
};

/* The runtime's version, "MAJOR.MINOR.PATCH". */
CPROF_EXTERN const char *cprof_version(void);

/* A message for an error code returned by this library. */
CPROF_EXTERN const char *cprof_strerror(int err);

/* 1 when this process is being profiled, 0 when the markers do nothing. */
CPROF_EXTERN int cprof_active(void);

/* Record the entry to and the exit from a site, on the calling thread. */
CPROF_EXTERN void cprof_enter(const struct cprof_site *site);
CPROF_EXTERN void cprof_exit(const struct cprof_site *site);

/* Close the calling thread's current frame (a game frame, a request...). */
CPROF_EXTERN void cprof_frame_mark(const struct cprof_site *site);

/*
 * Write everything recorded so far by every thread to the log now, rather
 * than at the next timed flush. Returns 0, CPROF_EINACTIVE or CPROF_EIO.
 */
CPROF_EXTERN int cprof_flush(void);

/* Internal helpers of the macros below; not part of the API. */
#define CPROF__CAT2_(a, b) a##b
#define CPROF__CAT_(a, b)  CPROF__CAT2_(a, b)
#define CPROF__UNIQ_(p)	   CPROF__CAT_(p, __LINE__)

/* Define a static site named VAR for explicit cprof_enter/cprof_exit. */
#define CPROF_SITE(var, name_)                                             \
	static const struct cprof_site var = {(name_), __FILE__, __LINE__, \
					      CPROF_SITE_SCOPE}

#ifndef __cplusplus
/* Not instrumented itself: it must not show up in -finstrument-functions. */
__attribute__((no_instrument_function)) static inline void
cprof__guard_close_(const struct cprof_site *const *site)
{
	cprof_exit(*site);
}

#define CPROF__GUARD_(name_, kind_)                                     \
	static const struct cprof_site CPROF__UNIQ_(cprof__site_) = {   \
		(name_), __FILE__, __LINE__, (kind_)};                  \
	const struct cprof_site *const CPROF__UNIQ_(cprof__guard_)      \
		__attribute__((cleanup(cprof__guard_close_), unused)) = \
			&CPROF__UNIQ_(cprof__site_);                    \
	cprof_enter(&CPROF__UNIQ_(cprof__site_))
#endif

#ifdef __cplusplus
}

namespace cprof
{
/* Closes its site when it goes out of scope, exceptions included. */
class Guard
{
    public:
	__attribute__((no_instrument_function)) explicit Guard(
		const struct cprof_site *site)
	    : site_(site)
	{
		cprof_enter(site_);
	}
	__attribute__((no_instrument_function)) ~Guard()
	{
		cprof_exit(site_);
	}
	Guard(const Guard &) = delete;
	Guard &operator=(const Guard &) = delete;

    private:
	const struct cprof_site *site_;
};
} // namespace cprof

#define CPROF__GUARD_(name_, kind_)                                   \
	static const struct cprof_site CPROF__UNIQ_(cprof__site_) = { \
		(name_), __FILE__, __LINE__, (kind_)};                \
	cprof::Guard CPROF__UNIQ_(cprof__guard_)(&CPROF__UNIQ_(cprof__site_))
#endif

/*
 * Mark the enclosing function from here to its end, on every exit path:
 * put CPROF_FUNC(); as the function's first statement.
 */
#define CPROF_FUNC() CPROF__GUARD_(__func__, CPROF_SITE_FUNC)

/* Mark from here to the end of the enclosing block, named NAME. */
#define CPROF_SCOPE(name_) CPROF__GUARD_((name_), CPROF_SITE_SCOPE)

/* Close the current frame: put CPROF_FRAME("name"); at the end of a loop. */
#define CPROF_FRAME(name_)                                              \
	do {                                                            \
		static const struct cprof_site cprof__frame_site_ = {   \
			(name_), __FILE__, __LINE__, CPROF_SITE_FRAME}; \
		cprof_frame_mark(&cprof__frame_site_);                  \
	} while (0)

#endif /* CPROF_H */
