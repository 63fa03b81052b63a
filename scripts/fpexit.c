// SPDX-License-Identifier: GPL-2.0
/*
 * GNU make load plugin: $(fp-exit N) makes make exit with status N at once
 * (N = 0: no-op). GNU make exits 2 whenever a recipe fails; the harness
 * uses this so `make vm` exits with the guest command's own status.
 */
#include <stdlib.h>
#include <gnumake.h>

int plugin_is_GPL_compatible;

static char *fp_exit(const char *name, unsigned int argc, char **argv)
{
	int status = atoi(argv[0]);

	(void)name;
	(void)argc;
	if (status)
		exit(status);
	return NULL;
}

int fpexit_gmk_setup(const gmk_floc *floc)
{
	(void)floc;
	gmk_add_function("fp-exit", fp_exit, 1, 1, GMK_FUNC_DEFAULT);
	return 1;
}
