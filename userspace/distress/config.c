// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre-distress: distress.conf (Documentation/distress.md). */
#include <arpa/inet.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

#include <json-c/json.h>

#include "distress.h"

#define CONFIG_MAX		(64 << 10)

const char *const transport_names[] = { "tcp", "tls", "ike" };

/* Relative paths in the configuration are relative to its directory. */
static int config_path(json_object *o, const char *key, const char *dir,
		       char *out)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v)) {
		out[0] = '\0';
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (snprintf(out, PATH_MAX, "%s%s%s", s[0] == '/' ? "" : dir,
		     s[0] == '/' ? "" : "/", s) >= PATH_MAX)
		return -1;
	return 0;
}

static int config_uint(json_object *o, const char *key, unsigned int def,
		       unsigned int max, unsigned int *out)
{
	json_object *v;
	int64_t n;

	*out = def;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || n < 1 || n > max)
		return -1;
	*out = (unsigned int)n;
	return 0;
}

static int config_choice(json_object *o, const char *key,
			 const char *const *names, int n, int *out)
{
	json_object *v;
	int i;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	for (i = 0; i < n; i++) {
		if (!strcmp(json_object_get_string(v), names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/* Transport ike: its keys, and the sockets' fixed names in state_dir. */
static int load_ike_config(json_object *o, const char *dir, struct config *c)
{
	struct ike_config *ic = &c->ike;
	/* both are unix sockets: the paths must fit sun_path */
	int socket_max = (int)sizeof(((struct sockaddr_un *)0)->sun_path);
	json_object *v;

	if (config_path(o, "ike_dir", dir, ic->dir) || !ic->dir[0] ||
	    config_path(o, "ike_charon", dir, ic->charon) ||
	    config_path(o, "ike_swanctl", dir, ic->swanctl) ||
	    snprintf(ic->signer, sizeof(ic->signer), "%s/" IKE_SIGNER_NAME,
		     c->state_dir) >= socket_max ||
	    snprintf(ic->vici, sizeof(ic->vici), "%s/" IKE_VICI_NAME,
		     c->state_dir) >= socket_max)
		return -1;
	if (!ic->charon[0])
		strcpy(ic->charon, "/usr/lib/ipsec/charon");
	if (!ic->swanctl[0])
		strcpy(ic->swanctl, "/usr/sbin/swanctl");
	strcpy(ic->child, "distress");
	if (json_object_object_get_ex(o, "ike_child", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     snprintf(ic->child, sizeof(ic->child), "%s",
		      json_object_get_string(v)) >= (int)sizeof(ic->child)))
		return -1;
	ic->timeout_ms = c->timeout_ms;
	/* one IKE_AUTH per attempt */
	ic->max_signatures = c->attempts;
	return 0;
}

int load_config(const char *path, struct config *c)
{
	static const char *const auths[] = { "none", "psk", "sig" };
	char dir[PATH_MAX], *copy;
	json_object *o = NULL, *v;
	size_t len;
	uint8_t *text;
	int ret = -1, transport, auth;
	struct in6_addr addr;

	if (hnbtre_read_file(path, CONFIG_MAX, &text, &len)) {
		say(LOG_ERR, "cannot read %s: %m", path);
		return -1;
	}
	o = json_tokener_parse((const char *)text);
	free(text);
	copy = strdup(path);
	if (!copy || !o || !json_object_is_type(o, json_type_object))
		goto out;
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	if (!json_object_object_get_ex(o, "server", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    snprintf(c->server, sizeof(c->server), "%s",
		     json_object_get_string(v)) >= (int)sizeof(c->server) ||
	    (inet_pton(AF_INET, c->server, &addr) != 1 &&
	     inet_pton(AF_INET6, c->server, &addr) != 1))
		goto out;
	c->server_name[0] = '\0';
	if (json_object_object_get_ex(o, "server_name", &v) &&
	    snprintf(c->server_name, sizeof(c->server_name), "%s",
		     json_object_get_string(v)) >= (int)sizeof(c->server_name))
		goto out;
	if (config_choice(o, "transport", transport_names, 3, &transport) ||
	    config_choice(o, "auth", auths, 3, &auth) ||
	    config_uint(o, "port", 0, 65535, &c->port) || !c->port ||
	    config_uint(o, "attempts", 5, 100, &c->attempts) ||
	    config_uint(o, "backoff_ms", 1000, 600000, &c->backoff_ms) ||
	    config_uint(o, "backoff_max_ms", 60000, 3600000,
			&c->backoff_max_ms) ||
	    config_uint(o, "timeout_ms", 10000, 600000, &c->timeout_ms) ||
	    config_path(o, "trust_anchor", dir, c->trust_anchor) ||
	    config_path(o, "credential_certificate", dir, c->credential_cert) ||
	    config_path(o, "device_certificate", dir, c->device_cert) ||
	    config_path(o, "psk_file", dir, c->psk_file) ||
	    config_path(o, "state_dir", dir, c->state_dir) || !c->state_dir[0] ||
	    config_path(o, "install_root", dir, c->install_root) ||
	    config_path(o, "package_roots", dir, c->package_roots) ||
	    config_uint(o, "replacement_max_mb", 256, 4096,
			&c->replacement_max_mb) ||
	    (c->install_root[0] && !c->package_roots[0]) ||
	    snprintf(c->replacement, sizeof(c->replacement),
		     "%s/replacement.pkg", c->state_dir) >=
	    (int)sizeof(c->replacement))
		goto out;
	c->reboot = !json_object_object_get_ex(o, "reboot", &v) ||
		    json_object_get_boolean(v);
	c->transport = transport;
	c->auth = auth;
	if (c->transport == TRANSPORT_IKE && load_ike_config(o, dir, c))
		goto out;
	/* The pre-designated entity is authenticated when TLS is used. */
	if (c->transport == TRANSPORT_TLS && !c->trust_anchor[0])
		goto out;
	if ((c->auth == HNBTRE_DISTRESS_AUTH_PSK && !c->psk_file[0]) ||
	    (c->auth == HNBTRE_DISTRESS_AUTH_SIG && !c->credential_cert[0]))
		goto out;
	ret = 0;
out:
	if (ret)
		say(LOG_ERR, "%s: invalid configuration (Documentation/distress.md)",
		    path);
	json_object_put(o);
	free(copy);
	return ret;
}
