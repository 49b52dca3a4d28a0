// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data model (Documentation/tr069.md): TR-181 Device.DeviceInfo. and
 * Device.ManagementServer. basics and the TrE under Device.X_HNBTRE_TrE.,
 * read from securityfs at each snapshot.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cwmpd.h"
#include "hnbtre.h"

#define XSD_STRING	"xsd:string"
#define XSD_UINT	"xsd:unsignedInt"
#define XSD_ULONG	"xsd:unsignedLong"
#define XSD_BOOL	"xsd:boolean"
#define XSD_BASE64	"xsd:base64Binary"
#define XSD_HEX		"xsd:hexBinary"

/* Written by the ACS; everything else is read-only. */
static const struct {
	const char *name;
	const char *setting;
	const char *def;
} writable[] = {
	{ "Device.ManagementServer.PeriodicInformEnable", "periodic_enable", "true" },
	{ "Device.ManagementServer.PeriodicInformInterval", "periodic_interval", NULL },
	{ "Device.ManagementServer.CWMPRetryMinimumWaitInterval", "retry_min_wait", NULL },
	{ "Device.ManagementServer.CWMPRetryIntervalMultiplier", "retry_multiplier", "2000" },
	{ TRE_PREFIX "AttestationNonce", "nonce", "" },
};

/* In every Inform, and always under active notification (a change of
 * either, e.g. to tampered, starts a session at once). */
static const char *const forced[] = { TRE_PREFIX "State", TRE_PREFIX "TIM" };

/* Values that change on their own or per read: no notification. */
static const char *const unnotifiable[] = {
	"Device.DeviceInfo.UpTime", TRE_PREFIX "Attestation", TRE_PREFIX "SessionAttestation",
};

bool dm_forced_inform(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(forced) / sizeof(forced[0]); i++)
		if (!strcmp(name, forced[i]))
			return true;
	return false;
}

int dm_notification(struct agent *agent, const char *name)
{
	json_object *value;

	if (dm_forced_inform(name))
		return 2;
	if (!json_object_object_get_ex(store_section(agent, "attributes"), name, &value))
		return 0;
	return json_object_get_int(value);
}

int dm_notification_allowed(const char *name, int notification)
{
	size_t i;

	if (dm_forced_inform(name))
		return notification == 2;
	for (i = 0; i < sizeof(unnotifiable) / sizeof(unnotifiable[0]); i++)
		if (!strcmp(name, unnotifiable[i]))
			return notification == 0;
	return notification >= 0 && notification <= 2;
}

static int add(struct dm_snapshot *snap, const char *name, const char *value,
	       const char *type, bool rw)
{
	struct dm_entry *e = realloc(snap->entries, (snap->count + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	snap->entries = e;
	e += snap->count;
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	e->value = value ? strdup(value) : NULL;
	e->type = type;
	e->writable = rw;
	e->object = !value;
	if (!e->name || (value && !e->value)) {
		free(e->name);
		free(e->value);
		return -ENOMEM;
	}
	snap->count++;
	return 0;
}

/* One securityfs file without its newline; "" when there is nothing yet. */
char *dm_tre_read(const char *file)
{
	char *line;

	return hnbtre_sysfs_line(file, &line) ? strdup("") : line;
}

static char *uptime(void)
{
	char *data, *out = NULL;
	size_t len;

	if (hnbtre_read_file("/proc/uptime", 256, (uint8_t **)&data, &len))
		return strdup("0");
	if (asprintf(&out, "%lu", strtoul(data, NULL, 10)) < 0)
		out = NULL;
	free(data);
	return out;
}

/* The TrE's attestation over the nonce the ACS wrote, base64. */
static char *attestation(const char *nonce_hex)
{
	uint8_t nonce[HNBTRE_ATTEST_NONCE_MAX], *blob;
	size_t nonce_len, len;
	char *out;

	/* checked when it was set (dm_check_value) */
	if (!*nonce_hex ||
	    OPENSSL_hexstr2buf_ex(nonce, sizeof(nonce), &nonce_len, nonce_hex, '\0') != 1)
		return strdup("");
	if (hnbtre_attest(nonce, nonce_len, &blob, &len))
		return strdup("");
	out = hnbtre_base64_encode(blob, len);
	free(blob);
	return out;
}

/* "000000" unless the identity starts with an OUI ("0005B9-..."). */
static void oui_of(const char *identity, char oui[7])
{
	int i;

	strcpy(oui, "000000");
	for (i = 0; i < 6; i++)
		if (!isxdigit((unsigned char)identity[i]))
			return;
	if (identity[6] == '-') {
		memcpy(oui, identity, 6);
		oui[6] = 0;
	}
}

static int add_components(struct dm_snapshot *snap)
{
	char name[96], count[16], digest[8 + 2 * HNBTRE_DIGEST_LEN] = "sha256:-";
	struct hnbtre_components list = { 0 };
	size_t i;
	int ret;

	/* no TrE, no manifest: no components */
	hnbtre_components_read(&list);
	ret = add(snap, TRE_PREFIX "Component.", NULL, NULL, false);
	for (i = 0; i < list.count && !ret; i++) {
		const struct hnbtre_component_status *c = &list.items[i];
		unsigned int n = (unsigned int)i + 1;

		if (c->measured) {
			memcpy(digest, "sha256:", 7);
			hnbtre_hex(c->digest, digest + 7);
		} else {
			strcpy(digest, "sha256:-");
		}
		snprintf(name, sizeof(name), TRE_PREFIX "Component.%u.", n);
		ret = add(snap, name, NULL, NULL, false);
		snprintf(name, sizeof(name), TRE_PREFIX "Component.%u.Path", n);
		ret = ret ?: add(snap, name, c->path, XSD_STRING, false);
		snprintf(name, sizeof(name), TRE_PREFIX "Component.%u.Verdict", n);
		ret = ret ?: add(snap, name, hnbtre_verdict_name(c->verdict),
				 XSD_STRING, false);
		snprintf(name, sizeof(name), TRE_PREFIX "Component.%u.Digest", n);
		ret = ret ?: add(snap, name, digest, XSD_STRING, false);
	}
	snprintf(count, sizeof(count), "%zu", list.count);
	hnbtre_components_free(&list);
	return ret ?: add(snap, TRE_PREFIX "ComponentNumberOfEntries", count, XSD_UINT, false);
}

static const char *setting(struct agent *agent, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(writable) / sizeof(writable[0]); i++)
		if (!strcmp(writable[i].name, name))
			return store_setting(agent, writable[i].setting, writable[i].def);
	return NULL;
}

int dm_snapshot(struct agent *agent, struct dm_snapshot *snap, bool attest)
{
	char *identity = dm_tre_read("identity"), *up = uptime();
	char *att = NULL, *session_att = NULL;
	char tim[8 + 2 * HNBTRE_DIGEST_LEN] = "", rim[8 + 2 * HNBTRE_DIGEST_LEN] = "";
	char oui[7], interval[16], min_wait[16], version[24] = "0";
	const char *state = "";
	struct hnbtre_status st;
	int ret;

	memset(snap, 0, sizeof(*snap));
	snprintf(interval, sizeof(interval), "%u", agent->config->periodic_interval);
	snprintf(min_wait, sizeof(min_wait), "%u", agent->config->retry_min_wait);
	/* One snapshot: state, TIM, RIM and version of the same validation. */
	if (!hnbtre_status_read(&st)) {
		state = hnbtre_state_name(st.state);
		if (st.validated) {
			memcpy(tim, "sha256:", 7);
			hnbtre_hex(st.tim, tim + 7);
		}
		if (st.has_manifest) {
			memcpy(rim, "sha256:", 7);
			hnbtre_hex(st.rim, rim + 7);
			snprintf(version, sizeof(version), "%" PRIu64,
				 st.manifest_version);
		}
	}
	if (!identity || !up) {
		ret = -ENOMEM;
		goto out;
	}
	oui_of(identity, oui);
	att = attest ? attestation(setting(agent, TRE_PREFIX "AttestationNonce")) : NULL;
	if (attest && agent->session)
		session_attestation(agent->session, &session_att);
	ret = add(snap, "Device.", NULL, NULL, false) ?:
	      add(snap, "Device.DeviceInfo.", NULL, NULL, false) ?:
	      add(snap, "Device.DeviceInfo.Manufacturer", "hnbtre", XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.ManufacturerOUI", oui, XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.ProductClass", "HeNB", XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.SerialNumber", identity, XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.HardwareVersion", "1", XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.SoftwareVersion", version, XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.ProvisioningCode", "", XSD_STRING, false) ?:
	      add(snap, "Device.DeviceInfo.UpTime", up, XSD_UINT, false) ?:
	      add(snap, "Device.ManagementServer.", NULL, NULL, false) ?:
	      add(snap, "Device.ManagementServer.URL", agent->config->acs_url, XSD_STRING, false) ?:
	      add(snap, "Device.ManagementServer.PeriodicInformEnable",
		  setting(agent, "Device.ManagementServer.PeriodicInformEnable"), XSD_BOOL, true) ?:
	      add(snap, "Device.ManagementServer.PeriodicInformInterval",
		  setting(agent, "Device.ManagementServer.PeriodicInformInterval") ?: interval,
		  XSD_UINT, true) ?:
	      add(snap, "Device.ManagementServer.CWMPRetryMinimumWaitInterval",
		  setting(agent, "Device.ManagementServer.CWMPRetryMinimumWaitInterval") ?:
		  min_wait, XSD_UINT, true) ?:
	      add(snap, "Device.ManagementServer.CWMPRetryIntervalMultiplier",
		  setting(agent, "Device.ManagementServer.CWMPRetryIntervalMultiplier"),
		  XSD_UINT, true) ?:
	      add(snap, "Device.ManagementServer.ParameterKey",
		  store_setting(agent, "parameter_key", ""), XSD_STRING, false) ?:
	      add(snap, "Device.ManagementServer.ConnectionRequestURL", "", XSD_STRING, false) ?:
	      add(snap, TRE_PREFIX, NULL, NULL, false) ?:
	      add(snap, TRE_PREFIX "State", state, XSD_STRING, false) ?:
	      add(snap, TRE_PREFIX "TIM", tim, XSD_STRING, false) ?:
	      add(snap, TRE_PREFIX "PlatformRIM", rim, XSD_STRING, false) ?:
	      add(snap, TRE_PREFIX "ManifestVersion", version, XSD_ULONG, false) ?:
	      add(snap, TRE_PREFIX "Identity", identity, XSD_STRING, false) ?:
	      add(snap, TRE_PREFIX "AttestationNonce",
		  setting(agent, TRE_PREFIX "AttestationNonce"), XSD_HEX, true) ?:
	      add(snap, TRE_PREFIX "Attestation", att ? att : "", XSD_BASE64, false) ?:
	      add(snap, TRE_PREFIX "SessionAttestation", session_att ? session_att : "",
		  XSD_BASE64, false) ?:
	      add(snap, TRE_PREFIX "SelfCheck",
		  store_setting(agent, "self_check", "None"), XSD_STRING, false) ?:
	      add_components(snap);
out:
	free(identity);
	free(up);
	free(att);
	free(session_att);
	if (ret)
		dm_snapshot_free(snap);
	return ret;
}

void dm_snapshot_free(struct dm_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->count; i++) {
		free(snap->entries[i].name);
		free(snap->entries[i].value);
	}
	free(snap->entries);
	memset(snap, 0, sizeof(*snap));
}

const struct dm_entry *dm_find(const struct dm_snapshot *snap, const char *name)
{
	size_t i;

	for (i = 0; i < snap->count; i++)
		if (!strcmp(snap->entries[i].name, name))
			return &snap->entries[i];
	return NULL;
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* @value an unsignedInt in [@min, @max], else a fault. */
static int check_uint(const char *value, unsigned long min, unsigned long max,
		      char *err, size_t len)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)value[0]) || *end || errno || n < min || n > max) {
		snprintf(err, len, "an unsignedInt in [%lu, %lu]", min, max);
		return CWMP_FAULT_INVALID_PARAMETER_VALUE;
	}
	return 0;
}

int dm_check_value(const char *name, const char *value, char *err, size_t len)
{
	unsigned long n;

	if (!strcmp(name, "Device.ManagementServer.PeriodicInformEnable")) {
		if (strcmp(value, "true") && strcmp(value, "false") &&
		    strcmp(value, "1") && strcmp(value, "0")) {
			snprintf(err, len, "not a boolean");
			return CWMP_FAULT_INVALID_PARAMETER_TYPE;
		}
		return 0;
	}
	if (!strcmp(name, "Device.ManagementServer.PeriodicInformInterval"))
		return check_uint(value, 1, 0xffffffffUL, err, len);
	/* TR-181's ranges */
	if (!strcmp(name, "Device.ManagementServer.CWMPRetryMinimumWaitInterval"))
		return check_uint(value, 1, 65535, err, len);
	if (!strcmp(name, "Device.ManagementServer.CWMPRetryIntervalMultiplier"))
		return check_uint(value, 1000, 65535, err, len);
	if (!strcmp(name, TRE_PREFIX "AttestationNonce")) {
		n = strlen(value);
		if (n && (n % 2 || n < 2 * HNBTRE_ATTEST_NONCE_MIN || n > 2 * HNBTRE_ATTEST_NONCE_MAX ||
			  !is_hex(value))) {
			snprintf(err, len, "hex of %d..%d bytes", HNBTRE_ATTEST_NONCE_MIN,
				 HNBTRE_ATTEST_NONCE_MAX);
			return CWMP_FAULT_INVALID_PARAMETER_VALUE;
		}
		return 0;
	}
	snprintf(err, len, "not writable");
	return CWMP_FAULT_NON_WRITABLE_PARAMETER;
}

void dm_apply_value(struct agent *agent, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < sizeof(writable) / sizeof(writable[0]); i++) {
		if (strcmp(writable[i].name, name))
			continue;
		/* booleans are kept in their canonical spelling */
		if (!strcmp(writable[i].setting, "periodic_enable") &&
		    (!strcmp(value, "1") || !strcmp(value, "0")))
			value = value[0] == '1' ? "true" : "false";
		store_set_setting(agent, writable[i].setting, value);
	}
}
