// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre: command line interface to the TrE (Documentation/cli.md).
 * Each command group lives in a file of its own and adds a table here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command *const tables[] = {
	manifest_commands,
	status_commands,
	key_commands,
	seal_commands,
	attest_commands,
	pkg_commands,
	distress_commands,
	watch_commands,
	enrol_commands,
};

void die_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("hnbtre: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	const struct command *c;
	size_t t;

	fputs("usage:\n", out);
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (c = tables[t]; c->name; c++)
			fprintf(out, "  hnbtre %s%s%s %s\n",
				c->group ? c->group : "", c->group ? " " : "",
				c->name, c->usage);
	}
}

int main(int argc, char **argv)
{
	const struct command *c;
	size_t t;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_OK;
	}
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (c = tables[t]; c->name; c++) {
			if (c->group) {
				if (argc < 3 || strcmp(argv[1], c->group) ||
				    strcmp(argv[2], c->name))
					continue;
				return c->run(argc - 2, argv + 2);
			}
			if (!strcmp(argv[1], c->name))
				return c->run(argc - 1, argv + 1);
		}
	}
	die_msg("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return EXIT_ERROR;
}
