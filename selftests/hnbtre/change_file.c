// SPDX-License-Identifier: GPL-2.0-only
/*
 * change_file METHOD FILE [ARG]: change the first bytes of FILE to "evil"
 * by one of the paths that do not go through write(2), as root on the
 * device would, and print OK or the errno name of the call that failed.
 *
 *   mmap		open O_RDWR, MAP_SHARED, store, msync
 *   mmap-early CMD	the mapping is taken first, CMD (sh -c) runs, then
 *			the store: a mapping that outlives a validation
 *   splice		from a pipe into the file
 *   aio		IOCB_CMD_PWRITE through io_submit()
 *   copy-range SRC	copy_file_range() from SRC
 *   punch		fallocate(PUNCH_HOLE) over the first 4 KiB
 *   exchange OTHER	renameat2(RENAME_EXCHANGE) of FILE and OTHER
 *   socket		bind a unix socket at FILE (it stays)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static const char evil[] = "evil";

static int fail(void)
{
	printf("%s\n", strerrorname_np(errno));
	return 1;
}

static int change_mmap(const char *path, const char *cmd)
{
	int fd = open(path, O_RDWR);
	char *p;

	if (fd < 0)
		return fail();
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail();
	close(fd);
	if (cmd && system(cmd) == -1)
		return fail();
	memcpy(p, evil, sizeof(evil) - 1);
	if (msync(p, 4096, MS_SYNC))
		return fail();
	return 0;
}

static int change_splice(const char *path)
{
	int fd = open(path, O_WRONLY), pipefd[2];
	loff_t off = 0;

	if (fd < 0)
		return fail();
	if (pipe(pipefd) || write(pipefd[1], evil, sizeof(evil) - 1) < 0)
		return fail();
	if (splice(pipefd[0], NULL, fd, &off, sizeof(evil) - 1, 0) < 0)
		return fail();
	return 0;
}

static int change_aio(const char *path)
{
	int fd = open(path, O_WRONLY);
	aio_context_t ctx = 0;
	struct iocb cb = {}, *cbs[1] = { &cb };
	struct io_event ev;

	if (fd < 0)
		return fail();
	if (syscall(SYS_io_setup, 1, &ctx))
		return fail();
	cb.aio_fildes = fd;
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_buf = (uintptr_t)evil;
	cb.aio_nbytes = sizeof(evil) - 1;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return fail();
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return fail();
	if (ev.res < 0) {
		errno = -ev.res;
		return fail();
	}
	return 0;
}

static int change_copy_range(const char *path, const char *src)
{
	int in = open(src, O_RDONLY), out = open(path, O_WRONLY);
	loff_t off_in = 0, off_out = 0;

	if (in < 0 || out < 0)
		return fail();
	if (copy_file_range(in, &off_in, out, &off_out, 4, 0) < 0)
		return fail();
	return 0;
}

static int change_punch(const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return fail();
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096))
		return fail();
	return 0;
}

static int make_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(sun.sun_path))
		return fail();
	strcpy(sun.sun_path, path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return fail();
	return 0;
}

int main(int argc, char **argv)
{
	const char *method = argc > 2 ? argv[1] : "", *path = argv[2];
	const char *arg = argc > 3 ? argv[3] : NULL;
	int ret;

	if (!strcmp(method, "mmap"))
		ret = change_mmap(path, NULL);
	else if (!strcmp(method, "mmap-early") && arg)
		ret = change_mmap(path, arg);
	else if (!strcmp(method, "splice"))
		ret = change_splice(path);
	else if (!strcmp(method, "aio"))
		ret = change_aio(path);
	else if (!strcmp(method, "copy-range") && arg)
		ret = change_copy_range(path, arg);
	else if (!strcmp(method, "punch"))
		ret = change_punch(path);
	else if (!strcmp(method, "exchange") && arg)
		ret = renameat2(AT_FDCWD, path, AT_FDCWD, arg,
				RENAME_EXCHANGE) ? fail() : 0;
	else if (!strcmp(method, "socket"))
		ret = make_socket(path);
	else {
		fprintf(stderr, "usage: change_file METHOD FILE [ARG]\n");
		return 2;
	}
	if (!ret)
		printf("OK\n");
	return ret;
}
