/*
 * select.c - the record-time selection options of stat and record:
 * --filter and --exclude (glob patterns on function names, resolved by
 * the runtime, lib/select.c) and --min-duration (a time with its unit).
 * The checks are here, apart from the option loop, so that unit tests
 * can reach them.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cp_sel_check_pattern(const char *p)
{
	const char *s;

	if (*p == '\0')
		return "an empty pattern";
	if (strchr(p, '\n') != NULL)
		return "a pattern holds a newline";
	/* fnmatch(3) would take these literally: say so rather than guess. */
	for (s = p; *s != '\0'; s++) {
		if (*s == '\\') {
			if (s[1] == '\0')
				return "a pattern ends with a lone backslash";
			s++;
		} else if (*s == '[') {
			const char *e = s + 1;

			if (*e == '!' || *e == '^')
				e++;
			if (*e == ']')
				e++;
			e = strchr(e, ']');
			if (e == NULL)
				return "a '[' without its ']'";
			s = e;
		}
	}
	return NULL;
}

int cp_sel_parse_ns(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
	char *end;
	double v;

	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		v *= units[i].mul;
		/* An hour is far beyond any call worth leaving out. */
		if (!(v >= 0 && v <= 3600e9))
			return -1;
		*ns = (uint64_t)(v + 0.5);
		return 0;
	}
	return -1;
}
