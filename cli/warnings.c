/*
 * warnings.c - the runtime's warnings of a run, as the CLI gives them.
 *
 * Under `cprof stat` and `cprof record` the runtime never writes into the
 * program's descriptors: each warning is a line "PID TEXT" appended to
 * the run directory's warnings file (lib/warn.c, doc/log-format.md).
 * Every process of the run may say the same thing (a namespace that
 * refuses counters, a directory another user owns): the CLI gives each
 * distinct text once, with the number of processes that said it, on its
 * own stderr when the run ends and in the reports.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Bounds against a damaged or hostile file: the rest is left out. */
#define WARN_MAX_BYTES (1u << 20)
#define WARN_MAX_TEXTS 100

/* Add TEXT (LEN bytes) to W, or count it once more if it is there. */
static void add(struct cp_warnings *w, const char *text, size_t len)
{
	for (size_t i = 0; i < w->n; i++)
		if (strlen(w->v[i].text) == len &&
		    memcmp(w->v[i].text, text, len) == 0) {
			w->v[i].count++;
			return;
		}
	if (w->n == WARN_MAX_TEXTS) {
		w->left_out++;
		return;
	}
	w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
	w->v[w->n].text = xmalloc(len + 1);
	memcpy(w->v[w->n].text, text, len);
	w->v[w->n].text[len] = '\0';
	w->v[w->n].count = 1;
	w->n++;
}

int cp_warnings_read(const char *dir, struct cp_warnings *w)
{
	char *path, *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	memset(w, 0, sizeof *w);
	if (asprintf(&path, "%s/" CPROF_WARNINGS_FILE, dir) < 0)
		fatalx("out of memory");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	buf = xmalloc(WARN_MAX_BYTES);
	while (len < WARN_MAX_BYTES &&
	       (n = read(fd, buf + len, WARN_MAX_BYTES - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	for (size_t at = 0; at < len;) {
		const char *line = buf + at, *nl = memchr(line, '\n', len - at);
		size_t l = nl != NULL ? (size_t)(nl - line) : len - at;
		size_t skip = 0;

		at += l + 1;
		/* "PID TEXT"; a line of another shape is kept whole. */
		while (skip < l && line[skip] >= '0' && line[skip] <= '9')
			skip++;
		if (skip > 0 && skip < l && line[skip] == ' ')
			skip++;
		else
			skip = 0;
		if (l > skip)
			add(w, line + skip, l - skip);
	}
	free(buf);
	return 0;
}

void cp_warnings_free(struct cp_warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].text);
	free(w->v);
	memset(w, 0, sizeof *w);
}

void cp_warnings_line(FILE *f, const char *prefix, const struct cp_warning *v)
{
	/* The runtime's text is printed as data: no control characters. */
	fputs(prefix, f);
	for (const char *c = v->text; *c; c++)
		fputc((unsigned char)*c < ' ' ? '?' : *c, f);
	if (v->count > 1)
		fprintf(f, " (%u times)", v->count);
	fputc('\n', f);
}

void cp_warnings_say(const char *dir)
{
	struct cp_warnings w;

	if (cp_warnings_read(dir, &w) != 0)
		return;
	fflush(stdout);
	for (size_t i = 0; i < w.n; i++)
		cp_warnings_line(stderr, "cprof: ", &w.v[i]);
	if (w.left_out)
		fprintf(stderr, "cprof: %zu more warnings of the runtime\n",
			w.left_out);
	cp_warnings_free(&w);
}
