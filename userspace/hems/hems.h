/* SPDX-License-Identifier: GPL-2.0-only */
/* hnbtre-hems: the reference H(e)MS (Documentation/tr069.md). */
#ifndef HEMS_H
#define HEMS_H

#include <sqlite3.h>

int store_open(const char *path, sqlite3 **db);
int store_exec(sqlite3 *db, const char *sql, int count, const char *const *params);

struct hems_config {
	const char *listen_addr;
	unsigned short port;
	const char *cert_path;
	const char *key_path;
	const char *ca_path;
	const char *db_path;
	const char *demand_auth;	/* test only: answer with a 401 challenge */
};

int hems_serve(const struct hems_config *config);
int hems_cli(const char *db_path, int argc, char **argv, int json);

#endif /* HEMS_H */
