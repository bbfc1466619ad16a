/*
 * ownhooks.c - a program that takes the compiler's hooks for itself, for
 * t/e2e-own-hooks.sh: it defines __cyg_profile_func_enter/exit (a
 * home-made tracer counting calls), which the executable's definitions win
 * over the preloaded runtime's. Built with -finstrument-functions, and
 * with -DHOOKS_IN_LIB as a library that defines them for a program (then
 * the preloaded runtime comes first and records the calls).
 *
 *   ownhooks       calls work() 1000 times, prints how many calls its own
 *                  hooks saw
 */
#include <stdio.h>

#define NOINSTR __attribute__((no_instrument_function))

#ifdef HOOKS_IN_LIB
unsigned long ownhooks_entered;

NOINSTR void __cyg_profile_func_enter(void *f, void *c)
{
	(void)f;
	(void)c;
	ownhooks_entered++;
}

NOINSTR void __cyg_profile_func_exit(void *f, void *c)
{
	(void)f;
	(void)c;
}
#else
#ifdef USE_LIB
extern unsigned long ownhooks_entered;
#else
static unsigned long ownhooks_entered;

NOINSTR void __cyg_profile_func_enter(void *f, void *c)
{
	(void)f;
	(void)c;
	ownhooks_entered++;
}

NOINSTR void __cyg_profile_func_exit(void *f, void *c)
{
	(void)f;
	(void)c;
}
#endif

static volatile unsigned long sink;

__attribute__((noinline)) void work(int i)
{
	sink += (unsigned long)i;
}

int main(void)
{
	for (int i = 0; i < 1000; i++)
		work(i);
	printf("own hooks saw %lu calls\n", ownhooks_entered);
	return 0;
}
#endif
