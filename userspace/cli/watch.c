// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre watch [--timeout SECONDS] [KNOWN]: wait until the TrE state is
 * not KNOWN and print it (Documentation/cli.md).  Driven by the TrE's own
 * audit records of its transitions (op=hnbtre_state), read from the audit
 * multicast group that any process with CAP_AUDIT_READ may join next to
 * auditd; a lost record (full socket buffer, audit backlog) or an unload
 * of the module, which records nothing, is caught by re-reading at the
 * timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hnbtre.h"

#define WATCH_TIMEOUT_MAX	86400
/* without the audit group: how often the state is re-read */
#define WATCH_POLL_MS		1000

/* The state's name, "none" when no TrE is loaded; NULL on error. */
static const char *current_state(void)
{
	struct hnbtre_status st;
	int err = hnbtre_status_read(&st);

	if (err == -ENOENT)
		return "none";
	if (err) {
		die_msg("status: %s", strerror(-err));
		return NULL;
	}
	return hnbtre_state_name(st.state);
}

/* A socket in the audit multicast group, or -1 (then the state is polled). */
static int audit_group_socket(void)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1),
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_AUDIT);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		die_msg("audit events unavailable (%s): re-reading the state every %d ms",
			strerror(errno), WATCH_POLL_MS);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Drain the socket; 1 if a TrE state record (or an overrun) was seen. */
static int transition_seen(int fd)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int seen = 0;
	ssize_t n;

	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		size_t len;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return seen || errno == ENOBUFS;
		len = (size_t)n;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			size_t payload = NLMSG_PAYLOAD(h, 0);

			if (h->nlmsg_type == AUDIT_INTEGRITY_STATUS &&
			    memmem(NLMSG_DATA(h), payload, "op=hnbtre_state ", 16))
				seen = 1;
		}
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int watch(int argc, char **argv)
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		{}
	};
	const char *known = NULL, *state;
	long long deadline = -1;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "t:", options, NULL)) != -1) {
		char *end;
		long v;

		if (opt != 't')
			return EXIT_ERROR;
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (errno || *end || end == optarg || v < 0 || v > WATCH_TIMEOUT_MAX) {
			die_msg("--timeout: 0..%d seconds", WATCH_TIMEOUT_MAX);
			return EXIT_ERROR;
		}
		deadline = now_ms() + v * 1000;
	}
	if (argc - optind > 1) {
		die_msg("usage: watch [--timeout SECONDS] [KNOWN]");
		return EXIT_ERROR;
	}
	if (optind < argc)
		known = argv[optind];

	/* Subscribe first, then read: no transition falls in between. */
	fd = known ? audit_group_socket() : -1;
	for (;;) {
		long long left;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		state = current_state();
		if (!state)
			break;
		if (!known || strcmp(state, known))
			break;
		left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0)
			break;
		if (fd < 0) {
			poll(NULL, 0, left < 0 || left > WATCH_POLL_MS ?
				 WATCH_POLL_MS : (int)left);
			continue;
		}
		/* other audit records wake it too: wait for the TrE's */
		while (poll(&p, 1, left < 0 ? -1 : (int)left) == 1 &&
		       !transition_seen(fd)) {
			left = deadline < 0 ? -1 : deadline - now_ms();
			if (deadline >= 0 && left <= 0)
				break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (!state)
		return EXIT_ERROR;
	printf("%s\n", state);
	return EXIT_OK;
}

const struct command watch_commands[] = {
	{ NULL, "watch", "[--timeout SECONDS] [KNOWN]", watch },
	{}
};
