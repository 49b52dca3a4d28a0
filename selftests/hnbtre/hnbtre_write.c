// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre_write FILE [CHUNK]: write stdin to FILE in one write() (or in
 * CHUNK-byte writes) and print OK or the errno name of the failing call,
 * so that shell tests can check documented errnos.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t size = 1 << 20, len = 0, chunk, off;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	if (argc < 2 || !buf)
		return 2;
	while ((n = read(0, buf + len, size - len)) > 0) {
		len += n;
		if (len == size) {
			size *= 2;
			buf = realloc(buf, size);
			if (!buf)
				return 2;
		}
	}
	chunk = argc > 2 ? strtoul(argv[2], NULL, 0) : len;
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	for (off = 0; off < len || (len == 0 && off == 0); off += chunk) {
		size_t count = len - off < chunk ? len - off : chunk;

		if (write(fd, buf + off, count) < 0) {
			printf("%s\n", strerrorname_np(errno));
			return 1;
		}
		if (!len)
			break;
	}
	if (close(fd)) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("OK\n");
	return 0;
}
