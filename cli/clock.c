/*
 * clock.c - a process's marker ticks and CLOCK_MONOTONIC, each way.
 *
 * Marker events are stamped with the runtime's cycle counter (or
 * CLOCK_MONOTONIC itself, hz 1e9), perf samples with CLOCK_MONOTONIC. The
 * log carries calibration points, pairs of (ticks, ns) taken together,
 * and the rate when the runtime knows it. Both conversions are the one
 * line through the lowest point with that rate: ticks to nanoseconds for
 * the tables, nanoseconds to ticks to place a sample among the events.
 */
#include "config.h"

#include "cli.h"

static uint64_t affine(uint64_t x, uint64_t x0, uint64_t y0, uint64_t mul,
		       uint64_t div);

void cp_clock_point(struct cp_clock *c, uint64_t ticks, uint64_t ns)
{
	struct cp_clock_line l;

	/*
	 * How far the point falls from the conversion known before it: the
	 * error that conversion made on the samples placed with it (the
	 * runtime's CLOCK_MONOTONIC is slewed by NTP, its counter is not).
	 */
	if (!c->fixed && c->npoints >= 2 && cp_clock_line(c, &l)) {
		uint64_t at = affine(ticks, l.t0, l.ns0, l.num, l.den);
		uint64_t d = at > ns ? at - ns : ns - at;

		if (d > c->skew_ns)
			c->skew_ns = d;
	}
	if (c->npoints == 0 || ticks < c->lo_t) {
		c->lo_t = ticks;
		c->lo_ns = ns;
	}
	if (c->npoints == 0 || ticks > c->hi_t) {
		c->hi_t = ticks;
		c->hi_ns = ns;
	}
	c->npoints++;
}

/* The rate known so far: from hz, else from two points that advance. */
static int rate(const struct cp_clock *c, uint64_t *num, uint64_t *den)
{
	if (c->hz != 0) {
		*num = 1000000000;
		*den = c->hz;
		return 1;
	}
	if (c->npoints >= 2 && c->hi_t > c->lo_t && c->hi_ns > c->lo_ns) {
		*num = c->hi_ns - c->lo_ns;
		*den = c->hi_t - c->lo_t;
		return 1;
	}
	return 0;
}

int cp_clock_fix(struct cp_clock *c)
{
	c->fixed = 1;
	c->line.t0 = c->lo_t;
	c->line.ns0 = c->lo_ns;
	if (rate(c, &c->line.num, &c->line.den))
		return CP_CLOCK_OK;
	c->line.num = c->line.den = 1;
	return c->npoints >= 2 ? CP_CLOCK_STILL : CP_CLOCK_TOO_FEW;
}

int cp_clock_line(const struct cp_clock *c, struct cp_clock_line *l)
{
	if (c->fixed) {
		*l = c->line;
		return 1;
	}
	if (c->npoints == 0 || !rate(c, &l->num, &l->den))
		return 0;
	l->t0 = c->lo_t;
	l->ns0 = c->lo_ns;
	return 1;
}

/*
 * Y0 + (X - X0) * MUL / DIV, in 128 bits, held to what a uint64_t can
 * say: 0 below, UINT64_MAX above.
 */
static uint64_t affine(uint64_t x, uint64_t x0, uint64_t y0, uint64_t mul,
		       uint64_t div)
{
	unsigned __int128 d;

	if (x >= x0) {
		d = (unsigned __int128)(x - x0) * mul / div;
		return d > UINT64_MAX - y0 ? UINT64_MAX : y0 + (uint64_t)d;
	}
	d = (unsigned __int128)(x0 - x) * mul / div;
	return d > y0 ? 0 : y0 - (uint64_t)d;
}

uint64_t cp_clock_ns(const struct cp_clock *c, uint64_t ticks)
{
	return affine(ticks, 0, 0, c->line.num, c->line.den);
}

uint64_t cp_clock_mono(const struct cp_clock *c, uint64_t ticks)
{
	const struct cp_clock_line *l = &c->line;

	return affine(ticks, l->t0, l->ns0, l->num, l->den);
}

uint64_t cp_clock_ticks(const struct cp_clock_line *l, uint64_t ns)
{
	return affine(ns, l->ns0, l->t0, l->den, l->num);
}

uint64_t cp_clock_skew_ticks(const struct cp_clock *c,
			     const struct cp_clock_line *l)
{
	return affine(c->skew_ns, 0, 0, l->den, l->num) + c->width;
}
