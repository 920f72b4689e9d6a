/* SPDX-License-Identifier: BSD-3-Clause */
/* danekit publish (placeholder until its issue lands). */
#include "cli.h"

int cmd_publish(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err(cli, "not implemented yet");
	return EXIT_SOFTWARE;
}
