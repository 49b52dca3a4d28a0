// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: hnbtre-cwmpd's handling of what the ACS sends (the
 * SOAP parser and every RPC's argument decoding), against a stand-in
 * securityfs directory.  Whatever arrives, the agent's answer must be a
 * well-formed CWMP envelope (a response or a SOAP fault).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cwmpd/cwmpd.h"
#include "../tests/fake_securityfs.h"

static struct agent_config config = {
	.acs_url = "https://acs.invalid/", .periodic_interval = 3600, .poll_seconds = 1,
};
static char dir[] = "/tmp/cwmpd-fuzz.XXXXXX";

static void remove_dir(void)
{
	static const char *const files[] = { "state", "tim", "rim", "identity",
					     "manifest", "components" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/sfs/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sfs", dir);
	rmdir(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	if (fake_securityfs(dir))
		abort();
	config.state_dir = dir;
	atexit(remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent agent = { .config = &config };
	struct cwmp_msg msg, answer;
	char err[CWMP_ERR_LEN], *out = NULL;
	size_t len;

	if (store_load(&agent))
		abort();
	if (!cwmp_parse(data, size, &msg, err) && !msg.is_fault) {
		if (rpc_handle(&agent, &msg, &out, &len))
			abort();
		if (cwmp_parse(out, len, &answer, err)) {
			fprintf(stderr, "answer does not parse: %s\n%s\n", err, out);
			abort();
		}
		cwmp_msg_free(&answer);
		free(out);
	}
	cwmp_msg_free(&msg);
	/* every input starts from the same, empty, state */
	unlink(agent.state_path);
	json_object_put(agent.state);
	free(agent.state_path);
	return 0;
}
