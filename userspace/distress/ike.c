// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IKE/IPsec transport of hnbtre-distress (Documentation/distress.md,
 * "IKE/IPsec").
 *
 * The distress credential is usable only by a process whose executable is
 * the distress function (kernel gate), so charon cannot sign with it.  The
 * function starts a charon of its own (own strongswan.conf and swanctl.conf
 * from the distress directory, own /run) whose hnbtre plugin sends each
 * digest to sign over a unix socket; a child of the function, still this
 * executable, checks that the peer is that charon, signs with the
 * credential and answers, at most max_signatures times, and only until the
 * indication has been delivered.  The indication itself is still signed by
 * the function: charon only carries it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hnbtre.h"
#include "distress.h"

#define SIGNER_READ_TIMEOUT_S	5
#define POLL_MS			50

extern char **environ;

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Exit status of @pid, or -1 (killed) when it outlives @timeout_ms. */
static int wait_bounded(pid_t pid, unsigned int timeout_ms)
{
	unsigned int waited;
	int status;

	for (waited = 0; waited <= timeout_ms; waited += POLL_MS) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		sleep_ms(POLL_MS);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* The environment of the distress charon and of swanctl. */
static int ike_env(const struct ike_config *ic)
{
	char conf[PATH_MAX];

	if (snprintf(conf, sizeof(conf), "%s/strongswan.conf", ic->dir) >=
	    (int)sizeof(conf))
		return -1;
	return setenv("STRONGSWAN_CONF", conf, 1) ||
	       setenv("SWANCTL_DIR", ic->dir, 1) ? -1 : 0;
}

/* swanctl ARGS... against the distress charon; its exit status or -1. */
static int swanctl(const struct ike_config *ic, unsigned int timeout_ms,
		   const char *const *args)
{
	const char *argv[12] = { ic->swanctl };
	char uri[PATH_MAX + 8];
	size_t n = 1;
	pid_t pid;
	int null;

	snprintf(uri, sizeof(uri), "unix://%s", ic->vici);
	while (*args && n < 8)
		argv[n++] = *args++;
	argv[n++] = "--uri";
	argv[n++] = uri;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		/*
		 * swanctl prints charon's log as it goes, and complains
		 * about every credential directory it does not find: charon's
		 * own log has what matters, ours the outcome.
		 */
		null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		if (!ike_env(ic))
			execv(ic->swanctl, (char *const *)argv);
		_exit(127);
	}
	return wait_bounded(pid, timeout_ms);
}

/*
 * charon in a mount namespace of its own with its own /run: its PID file
 * is fixed (/run/charon.pid), and the normal code's charon may run.
 */
static pid_t start_charon(const struct ike_config *ic)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (ike_env(ic) || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")) {
		say(LOG_ERR, "ike: cannot give charon its own /run: %m");
		_exit(127);
	}
	execle(ic->charon, ic->charon, (char *)NULL, environ);
	say(LOG_ERR, "ike: cannot run %s: %m", ic->charon);
	_exit(127);
}

/* One request on the signer socket (protocol in distress.md). */
static int serve_one(int fd, pid_t charon, unsigned int *lent,
		     unsigned int max)
{
	struct timeval tv = { .tv_sec = SIGNER_READ_TIMEOUT_S };
	uint8_t digest[HNBTRE_DIGEST_LEN], reply[2 + HNBTRE_DISTRESS_AUTH_MAX];
	struct ucred peer;
	socklen_t len = sizeof(peer);
	size_t got = 0;
	ssize_t n;
	long sig = 0;

	/* the whole request first: a refused peer gets its answer too */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(digest)) {
		n = read(fd, digest + got, sizeof(digest) - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) ||
	    peer.pid != charon) {
		say(LOG_WARNING, "ike signer: refused pid %d: not the charon it started (pid %d)",
		    (int)peer.pid, (int)charon);
		goto answer;
	}
	sig = credential_sign_digest(digest, reply + 2, sizeof(reply) - 2);
	if (sig < 0)
		sig = 0;
	else
		say(LOG_NOTICE, "ike signer: signature %u/%u lent to charon (pid %d)",
		    ++*lent, max, (int)charon);
answer:
	reply[0] = (uint8_t)(sig >> 8);
	reply[1] = (uint8_t)sig;
	/* a charon that went away must not take the signer with it */
	return send(fd, reply, 2 + (size_t)sig, MSG_NOSIGNAL) == 2 + sig ?
	       0 : -1;
}

/* The signer: a child of the function, so the TrE admits its signatures. */
static void serve_signer(int listener, pid_t charon, unsigned int max)
{
	unsigned int lent = 0;
	int fd;

	while (lent < max) {
		fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			break;
		serve_one(fd, charon, &lent, max);
		close(fd);
	}
	say(LOG_NOTICE, "ike signer: %u signatures lent, no more", lent);
	_exit(0);
}

static int signer_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t mask;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* only root (charon) may connect; the peer is checked anyway */
	mask = umask(0077);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(mask);
	if (ret || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	return fd;
}

int ike_start(const struct ike_config *ic, struct ike_session *s)
{
	static const char *const load[] = { "--load-all", "--noprompt", NULL };
	unsigned int waited;
	struct stat st;
	int listener;

	memset(s, 0, sizeof(*s));
	listener = signer_socket(ic->signer);
	if (listener < 0) {
		say(LOG_ERR, "ike: cannot listen on %s: %m", ic->signer);
		return -1;
	}
	unlink(ic->vici);
	s->charon = start_charon(ic);
	s->signer = s->charon > 0 ? fork() : -1;
	if (!s->signer)
		serve_signer(listener, s->charon, ic->max_signatures);
	close(listener);
	if (s->charon < 0 || s->signer < 0)
		goto fail;
	for (waited = 0; stat(ic->vici, &st) || !S_ISSOCK(st.st_mode);
	     waited += POLL_MS) {
		if (waited > ic->timeout_ms ||
		    waitpid(s->charon, NULL, WNOHANG) == s->charon) {
			say(LOG_ERR, "ike: charon did not open %s", ic->vici);
			goto fail;
		}
		sleep_ms(POLL_MS);
	}
	if (swanctl(ic, ic->timeout_ms, load)) {
		say(LOG_ERR, "ike: swanctl could not load %s/swanctl.conf",
		    ic->dir);
		goto fail;
	}
	say(LOG_NOTICE, "ike: charon (pid %d) started with %s, signer (pid %d) on %s",
	    (int)s->charon, ic->dir, (int)s->signer, ic->signer);
	return 0;
fail:
	ike_stop(ic, s);
	return -1;
}

int ike_establish(const struct ike_config *ic, struct ike_session *s,
		  const char **why)
{
	char timeout[16];
	const char *initiate[] = { "--initiate", "--child", ic->child,
				   "--timeout", timeout, NULL };
	int ret;

	if (s->established)
		return 0;
	snprintf(timeout, sizeof(timeout), "%u", (ic->timeout_ms + 999) / 1000);
	/* swanctl's own timeout first; ours is the backstop */
	ret = swanctl(ic, ic->timeout_ms + 2000, initiate);
	if (ret) {
		*why = "IKE_SA/CHILD_SA not established";
		return -1;
	}
	s->established = 1;
	return 0;
}

static void end_process(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	if (wait_bounded(pid, 3000) < 0 && sig != SIGKILL)
		say(LOG_WARNING, "ike: pid %d did not stop in time", (int)pid);
}

void ike_stop(const struct ike_config *ic, struct ike_session *s)
{
	end_process(s->signer, SIGKILL);
	/* charon deletes its SAs, policies and routes on SIGTERM */
	end_process(s->charon, SIGTERM);
	unlink(ic->signer);
	unlink(ic->vici);
	s->signer = s->charon = 0;
	s->established = 0;
}
