/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_signer.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <utils/debug.h>

/** the distress function answers at once or not at all */
#define SIGNER_TIMEOUT_S 10

/**
 * Read exactly len bytes
 */
static bool read_all(int fd, u_char *buf, size_t len)
{
	ssize_t n;

	while (len)
	{
		n = read(fd, buf, len);
		if (n <= 0)
		{
			return FALSE;
		}
		buf += n;
		len -= n;
	}
	return TRUE;
}

/*
 * Described in header
 */
bool hnbtre_signer_sign(char *path, chunk_t digest, chunk_t signature)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = SIGNER_TIMEOUT_S };
	u_char len[2];
	bool ok = FALSE;
	int fd;

	if (digest.len != HNBTRE_SIGNER_DIGEST_LEN ||
		strlen(path) >= sizeof(addr.sun_path))
	{
		return FALSE;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		return FALSE;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
		connect(fd, (struct sockaddr*)&addr, sizeof(addr)) ||
		write(fd, digest.ptr, digest.len) != (ssize_t)digest.len ||
		!read_all(fd, len, sizeof(len)))
	{
		DBG1(DBG_LIB, "hnbtre: the distress signer at '%s' did not answer: "
			 "%s", path, strerror(errno));
	}
	else if (untoh16(len) != signature.len)
	{
		DBG1(DBG_LIB, "hnbtre: the distress signer refused to sign");
	}
	else
	{
		ok = read_all(fd, signature.ptr, signature.len);
	}
	close(fd);
	return ok;
}
