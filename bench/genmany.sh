#!/bin/sh
# genmany.sh N OUT.c - write a C program with N distinct instrumented
# functions for `make bench` and the tests: 4 threads each call every
# function through a table, 3 rounds, so every function has 12 calls and
# the run has 12 N calls. It is the shape that makes symbol look-up
# dominate a report (many functions, few calls each). Odd-numbered
# functions are static, so that local symbols are named too; function
# fn_I is declared at line 4 + 4 I.
n=${1:?usage: genmany.sh N OUT.c}
out=${2:?usage: genmany.sh N OUT.c}
awk -v n="$n" 'BEGIN {
	print "#include <pthread.h>"
	print "#include <stdio.h>"
	print "static volatile unsigned long acc;"
	for (i = 0; i < n; i++)
		printf "%svoid fn_%d(void)\n{\n\tacc += %d;\n}\n", i % 2 ? "static " : "", i, i
	print "static void (*const fns[])(void) = {"
	for (i = 0; i < n; i++)
		printf "\tfn_%d,\n", i
	print "};"
	print "#define NFNS (sizeof fns / sizeof fns[0])"
	print "static void *worker(void *arg)"
	print "{"
	print "\tfor (int round = 0; round < 3; round++)"
	print "\t\tfor (size_t i = 0; i < NFNS; i++)"
	print "\t\t\tfns[i]();"
	print "\treturn arg;"
	print "}"
	print "int main(void)"
	print "{"
	print "\tpthread_t th[4];"
	print "\tfor (int i = 0; i < 4; i++)"
	print "\t\tpthread_create(&th[i], NULL, worker, NULL);"
	print "\tfor (int i = 0; i < 4; i++)"
	print "\t\tpthread_join(th[i], NULL);"
	print "\tprintf(\"%zu functions\\n\", NFNS);"
	print "\treturn 0;"
	print "}"
}' > "$out"
