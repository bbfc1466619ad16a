/*
 * term.c - what the tool does differently when a person watches: the
 * width of the terminal, whether to colour, lines fitted to the width,
 * and the progress of a long read.
 *
 * Files and pipes get none of this: a script reading the table sees the
 * same bytes whatever terminal cprof was started from. The table itself
 * is laid out in output.c; the fitting here wraps the prose around it
 * (the header's notes, long command lines), which has no columns to drop.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Without a width from anywhere, a terminal is taken to be this wide. */
#define FALLBACK_COLUMNS 80
/* A read is shown only once it has lasted this long, then this often. */
#define PROGRESS_AFTER_NS 1000000000ull
#define PROGRESS_EVERY_NS 200000000ull

size_t cp_term_columns(int fd)
{
	struct winsize ws;
	const char *s = getenv("COLUMNS");
	char *end;
	unsigned long v;

	/* $COLUMNS first, as git does: it lets a user ask for a width. */
	if (s != NULL && *s >= '1' && *s <= '9') {
		v = strtoul(s, &end, 10);
		if (*end == '\0' && v <= 100000)
			return v;
	}
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return FALLBACK_COLUMNS;
}

int cp_term_color(enum cp_color color, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	switch (color) {
	case CP_COLOR_ALWAYS:
		return 1;
	case CP_COLOR_NEVER:
		return 0;
	case CP_COLOR_AUTO:
		break;
	}
	/* https://no-color.org: set and not empty, whatever its value. */
	if (no != NULL && *no != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fd);
}

/*
 * The length of the escape sequence at S (CSI: ESC [ parameters, a final
 * byte in 0x40-0x7e), or 0 when S does not start one.
 */
static size_t escape_len(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '\033' || s[1] != '[')
		return 0;
	for (i = 2; i < len; i++)
		if ((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e)
			return i + 1;
	return len;
}

size_t cp_term_width(const char *s, size_t len)
{
	size_t w = 0, i = 0, e;

	while (i < len) {
		if ((e = escape_len(s + i, len - i)) != 0) {
			i += e;
			continue;
		}
		/* One column per code point: continuation bytes take none. */
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
		i++;
	}
	return w;
}

/*
 * The byte length of the longest start of S (LEN bytes) at most W columns
 * wide, never inside a code point or an escape sequence.
 */
static size_t prefix_len(const char *s, size_t len, size_t w)
{
	size_t i = 0, used = 0, e;

	while (i < len) {
		if ((e = escape_len(s + i, len - i)) != 0) {
			i += e;
			continue;
		}
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (used == w)
				break;
			used++;
		}
		i++;
	}
	return i;
}

/* Write one line (without its newline) wrapped to WIDTH. */
static void fit_line(FILE *f, const char *s, size_t len, size_t width)
{
	size_t indent = 0, room, cut, brk, i;

	while (indent < len && s[indent] == ' ')
		indent++;
	/* Continuations go two columns further in, keeping half the width. */
	indent += 2;
	if (indent > width / 2)
		indent = width / 2;
	room = width;
	for (;;) {
		if (cp_term_width(s, len) <= room) {
			fwrite(s, 1, len, f);
			break;
		}
		cut = prefix_len(s, len, room);
		/* At the last space that fits, else in the middle of a word. */
		brk = cut;
		for (i = cut; i > 0; i--) {
			if (s[i] == ' ') {
				brk = i;
				break;
			}
		}
		while (brk > 0 && s[brk - 1] == ' ')
			brk--;
		if (brk == 0)
			brk = cut;
		fwrite(s, 1, brk, f);
		s += brk;
		len -= brk;
		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		if (len == 0)
			break;
		fprintf(f, "\n%*s", (int)indent, "");
		room = width - indent;
	}
}

void cp_term_fit(FILE *f, const char *buf, size_t len, size_t width)
{
	const char *nl;

	if (width < CP_TERM_MIN_WIDTH)
		width = CP_TERM_MIN_WIDTH;
	while (len > 0) {
		size_t n;

		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;
		fit_line(f, buf, n, width);
		if (nl == NULL)
			break;
		fputc('\n', f);
		buf += n + 1;
		len -= n + 1;
	}
}

/* --- progress --- */

static struct {
	int on;		/* started, stderr a terminal */
	int shown;	/* the line is on the screen */
	uint64_t total; /* bytes to read */
	uint64_t done;
	uint64_t start, last; /* CLOCK_MONOTONIC ns */
} progress;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cp_progress_start(uint64_t total)
{
	memset(&progress, 0, sizeof progress);
	progress.on = total > 0 && isatty(STDERR_FILENO);
	progress.total = total;
	progress.start = now_ns();
}

/* Sizes for the progress line, in the units of ls -h: "1.23G". */
static char *format_bytes(char *buf, size_t len, uint64_t n)
{
	static const char units[] = "KMGTPE";
	double v = (double)n;
	size_t i;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", n);
		return buf;
	}
	for (i = 0; i < sizeof units - 2 && v >= 1024 * 1024; i++)
		v /= 1024;
	v /= 1024;
	snprintf(buf, len,
		 v < 10	   ? "%.2f%c"
		 : v < 100 ? "%.1f%c"
			   : "%.0f%c",
		 v, units[i]);
	return buf;
}

void cp_progress_add(uint64_t n)
{
	char line[128], a[16], b[16];
	uint64_t t;
	size_t width, len;

	if (!progress.on)
		return;
	progress.done += n;
	t = now_ns();
	if (t - progress.start < PROGRESS_AFTER_NS ||
	    (progress.shown && t - progress.last < PROGRESS_EVERY_NS))
		return;
	progress.last = t;
	len = (size_t)snprintf(line, sizeof line,
			       "cprof: reading the run: %s of %s (%.0f%%)",
			       format_bytes(a, sizeof a, progress.done),
			       format_bytes(b, sizeof b, progress.total),
			       progress.done >= progress.total
				       ? 100.0
				       : 100.0 * (double)progress.done /
						 (double)progress.total);
	/* Never wider than the terminal: a wrapped line cannot be redrawn. */
	width = cp_term_columns(STDERR_FILENO);
	if (len >= sizeof line)
		len = sizeof line - 1;
	if (width > 1 && len > width - 1)
		len = width - 1;
	fprintf(stderr, "\r%.*s\033[K", (int)len, line);
	fflush(stderr);
	progress.shown = 1;
}

void cp_progress_clear(void)
{
	if (!progress.shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	progress.shown = 0;
}

void cp_progress_end(void)
{
	cp_progress_clear();
	progress.on = 0;
}
