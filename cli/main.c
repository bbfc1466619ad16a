/*
 * main.c - the cprof command: finds the subcommand and runs it.
 *
 * Every subcommand is a struct cp_command of its own cli/cmd-<name>.c,
 * the one name that file exports (as tmux's cmd_entry): its name, summary,
 * options and handler, which parses its own options and returns cprof's
 * exit status. The table below lists them, so that usage, help and
 * dispatch agree.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cp_command *const commands[] = {
	&cp_cmd_stat,
	&cp_cmd_record,
	&cp_cmd_report,
	&cp_cmd_list,
	/* Issue 9: comparing runs, naming runs. */
	&cp_cmd_diff,
	&cp_cmd_tag,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void help(void)
{
	size_t i;

	cp_usage(NULL, stdout);
	printf("\nProfile C and C++ programs per function and per thread: "
	       "exact calls\n"
	       "and times from compiler hooks (-finstrument-functions) and "
	       "cprof.h\n"
	       "markers, recorded by the libcprof runtime, with the kernel's "
	       "event\n"
	       "counters (cycles, cache misses, page faults...) sampled or "
	       "read at\n"
	       "every marker.\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-8s  %s\n", commands[i]->name, commands[i]->summary);
	printf("\noptions:\n"
	       "  -h, --help     print this help and exit\n"
	       "      --version  print cprof's version and exit\n"
	       "\nRun 'cprof help COMMAND' for the options of a command; man "
	       "cprof\n"
	       "for the whole story.\n");
	if (fflush(stdout) != 0)
		fatal("stdout");
	exit(0);
}

static int find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return (int)i;
	cp_usage_error(NULL, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	char *help_argv[3];
	int i;

	/* Only for the table's idea of how wide a character is. */
	setlocale(LC_CTYPE, "");
	/*
	 * First, so that it runs last: after every other exit handler
	 * (temporary run directories) has run, cprof dies by the signal that
	 * killed the program it ran, if one did.
	 */
	atexit(cp_run_die_like_program);

	if (argc < 2)
		cp_usage_error(NULL, "no command given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		help();
	if (strcmp(argv[1], "--version") == 0) {
		printf("cprof %s\n", PACKAGE_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2)
			help();
		if (argc > 3)
			cp_usage_error(NULL, "help: unexpected argument '%s'",
				       argv[3]);
		/* "cprof help stat" is "cprof stat --help". */
		i = find(argv[2]);
		help_argv[0] = argv[2];
		help_argv[1] = (char *)"--help";
		help_argv[2] = NULL;
		return commands[i]->exec(2, help_argv);
	}
	if (argv[1][0] == '-')
		cp_usage_error(NULL, "unknown option '%s'", argv[1]);
	i = find(argv[1]);
	return commands[i]->exec(argc - 1, argv + 1);
}
