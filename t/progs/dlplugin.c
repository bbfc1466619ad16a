/*
 * dlplugin.c - a plugin for t/e2e-dlclose.sh, built twice: with
 * -DPLUGIN_FN=a_fn and with -DPLUGIN_FN=b_fn.
 */
#include "progs.h"

int PLUGIN_FN(int x);

COUNTED int PLUGIN_FN(int x)
{
	return x + 1;
}
