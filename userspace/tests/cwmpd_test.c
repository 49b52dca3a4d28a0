// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the CWMP envelope rules (cwmp/cwmp.c) and of the agent's
 * RPCs (cwmpd/rpc.c, datamodel.c, store.c) against a stand-in securityfs
 * directory (HNBTRE_SECURITYFS): every fault code the agent produces,
 * atomic SetParameterValues/SetParameterAttributes, the forced Inform
 * parameters and VALUE CHANGE, the persisted state.  Every message the
 * agent produces is checked against the CWMP schema (cwmp_schema.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cwmpd/cwmpd.h"
#include "cwmp_schema.h"
#include "fake_securityfs.h"
#include "tap.h"

#define ENV_HEAD "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
	"xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID>t1</cwmp:ID>" \
	"</soap:Header><soap:Body>"
#define ENV_TAIL "</soap:Body></soap:Envelope>"
#define ENV(body) ENV_HEAD body ENV_TAIL
#define PVS(name, value) "<ParameterValueStruct><Name>" name "</Name><Value>" value \
	"</Value></ParameterValueStruct>"
#define SPA(name, n) "<SetParameterAttributesStruct><Name>" name "</Name>" \
	"<NotificationChange>1</NotificationChange><Notification>" n "</Notification>" \
	"<AccessListChange>0</AccessListChange><AccessList/></SetParameterAttributesStruct>"

static char dir[] = "/tmp/cwmpd-test.XXXXXX";
static struct agent_config config = {
	.acs_url = "https://acs.test/", .periodic_interval = 300, .poll_seconds = 1,
};
static struct agent agent = { .config = &config };
static char *answer;
static xmlSchemaPtr schema;
static int messages, invalid_messages;

/* Counts @xml against the CWMP schema; shows the first invalid one. */
static void schema_check(const char *xml)
{
	char why[512];

	messages++;
	if (!cwmp_schema_valid(schema, xml, strlen(xml), why) && !invalid_messages++)
		printf("# not valid against cwmp-1-1.xsd (%s): %s\n", why, xml);
}

/* The agent's answer to @request; "" if it did not even parse. */
static const char *ask(const char *request)
{
	struct cwmp_msg msg;
	char err[CWMP_ERR_LEN];
	size_t len;

	free(answer);
	answer = NULL;
	if (cwmp_parse(request, strlen(request), &msg, err) ||
	    rpc_handle(&agent, &msg, &answer, &len))
		answer = strdup("");
	else
		schema_check(answer);
	cwmp_msg_free(&msg);
	return answer;
}

static int has(const char *text) { return strstr(answer, text) != NULL; }

/* tap_ok() that shows the agent's last answer when it fails. */
#define check(cond, ...)						\
	do {								\
		int passed_ = !!(cond);					\
		tap_ok(passed_, __VA_ARGS__);				\
		if (!passed_)						\
			printf("# answer: %s\n", answer);		\
	} while (0)

static int parses(const char *text)
{
	struct cwmp_msg msg;
	char err[CWMP_ERR_LEN];
	int ret = cwmp_parse(text, strlen(text), &msg, err);

	cwmp_msg_free(&msg);
	return ret == 0;
}

static void envelope_rules(void)
{
	tap_ok(parses(ENV("<cwmp:GetRPCMethods/>")), "a cwmp-1-2 request parses");
	tap_ok(!parses("<!DOCTYPE x [<!ENTITY a \"b\">]>" ENV("<cwmp:GetRPCMethods/>")),
	       "DTD refused");
	tap_ok(!parses(ENV("<cwmp:GetRPCMethods/><cwmp:Reboot/>")), "two methods refused");
	tap_ok(!parses(ENV("<x:Reboot xmlns:x=\"urn:dslforum-org:cwmp-1-5\"/>")),
	       "cwmp-1-5 namespace refused");
	tap_ok(!parses("<Envelope><Body><Reboot/></Body></Envelope>"), "no SOAP namespace refused");
	tap_ok(!parses(ENV("<cwmp:GetRPCMethods/>") "<junk/>"), "trailing element refused");
	tap_ok(!parses(ENV_HEAD "<cwmp:Reboot/>"), "truncated envelope refused");
}

static void rpcs(void)
{
	ask(ENV("<cwmp:GetRPCMethods/>"));
	check(has("GetRPCMethodsResponse") && has("<string>Download</string>") &&
	       has("<cwmp:ID soap:mustUnderstand=\"1\">t1</cwmp:ID>"),
	       "GetRPCMethods lists Download, answer carries the request's ID");
	ask(ENV("<cwmp:GetParameterValues><ParameterNames><string>Device.X_HNBTRE_TrE."
		"</string></ParameterNames></cwmp:GetParameterValues>"));
	check(has("<Name>Device.X_HNBTRE_TrE.State</Name><Value xsi:type=\"xsd:string\">"
		   "trusted</Value>") &&
	       has("<Name>Device.X_HNBTRE_TrE.Component.2.Verdict</Name><Value xsi:type=\"xsd:string\">missing") &&
	       has("<Name>Device.X_HNBTRE_TrE.ComponentNumberOfEntries</Name><Value xsi:type=\"xsd:unsignedInt\">2") &&
	       has("<Name>Device.X_HNBTRE_TrE.ManifestVersion</Name><Value xsi:type=\"xsd:unsignedLong\">7"),
	       "GetParameterValues of the TrE object: state, components, manifest version");
	ask(ENV("<cwmp:GetParameterValues><ParameterNames><string>Device.Nope</string>"
		"</ParameterNames></cwmp:GetParameterValues>"));
	check(has("<FaultCode>9005</FaultCode>"), "unknown name: fault 9005");
	ask(ENV("<cwmp:GetParameterValues><ParameterNames><int>1</int>"
		"</ParameterNames></cwmp:GetParameterValues>"));
	check(has("<FaultCode>9003</FaultCode>"), "malformed ParameterNames: fault 9003");

	ask(ENV("<cwmp:SetParameterValues><ParameterList>"
		PVS("Device.ManagementServer.PeriodicInformInterval", "60")
		PVS("Device.X_HNBTRE_TrE.State", "trusted")
		PVS("Device.X_HNBTRE_TrE.AttestationNonce", "abc")
		"</ParameterList><ParameterKey>k1</ParameterKey></cwmp:SetParameterValues>"));
	check(has("<FaultCode>9003</FaultCode>") &&
	       has("<ParameterName>Device.X_HNBTRE_TrE.State</ParameterName><FaultCode>9008") &&
	       has("<ParameterName>Device.X_HNBTRE_TrE.AttestationNonce</ParameterName><FaultCode>9007") &&
	       !has("PeriodicInformInterval</ParameterName>"),
	       "SetParameterValues: 9008 read-only, 9007 bad nonce, per parameter");
	check(!strcmp(store_setting(&agent, "periodic_interval", "none"), "none") &&
	       !strcmp(store_setting(&agent, "parameter_key", "none"), "none"),
	       "... and the valid value was not applied either (atomic)");
	ask(ENV("<cwmp:SetParameterValues><ParameterList>"
		PVS("Device.ManagementServer.PeriodicInformInterval", "60")
		PVS("Device.X_HNBTRE_TrE.AttestationNonce", "00112233445566778899aabbccddeeff")
		"</ParameterList><ParameterKey>k2</ParameterKey></cwmp:SetParameterValues>"));
	check(has("<Status>0</Status>") &&
	       !strcmp(store_setting(&agent, "periodic_interval", ""), "60") &&
	       !strcmp(store_setting(&agent, "parameter_key", ""), "k2"),
	       "valid SetParameterValues applied with its ParameterKey");
	ask(ENV("<cwmp:SetParameterValues><ParameterList>"
		PVS("Device.ManagementServer.CWMPRetryMinimumWaitInterval", "0")
		PVS("Device.ManagementServer.CWMPRetryIntervalMultiplier", "999")
		"</ParameterList><ParameterKey>k3</ParameterKey></cwmp:SetParameterValues>"));
	check(has("CWMPRetryMinimumWaitInterval</ParameterName><FaultCode>9007") &&
	       has("CWMPRetryIntervalMultiplier</ParameterName><FaultCode>9007") &&
	       !strcmp(store_setting(&agent, "retry_min_wait", "none"), "none") &&
	       !strcmp(store_setting(&agent, "retry_multiplier", "none"), "none"),
	       "session retry policy: minimum wait 0, multiplier 999: 9007 each, nothing set");
	ask(ENV("<cwmp:SetParameterValues><ParameterList>"
		PVS("Device.ManagementServer.CWMPRetryMinimumWaitInterval", "65535")
		PVS("Device.ManagementServer.CWMPRetryIntervalMultiplier", "1000")
		"</ParameterList><ParameterKey>k4</ParameterKey></cwmp:SetParameterValues>"));
	check(has("<Status>0</Status>") &&
	       !strcmp(store_setting(&agent, "retry_min_wait", ""), "65535") &&
	       !strcmp(store_setting(&agent, "retry_multiplier", ""), "1000"),
	       "session retry policy at the ends of TR-181's ranges: applied");
	ask(ENV("<cwmp:GetParameterValues><ParameterNames><string>Device.ManagementServer."
		"</string></ParameterNames></cwmp:GetParameterValues>"));
	check(has("<Name>Device.ManagementServer.CWMPRetryMinimumWaitInterval</Name>"
		  "<Value xsi:type=\"xsd:unsignedInt\">65535</Value>") &&
	       has("<Name>Device.ManagementServer.CWMPRetryIntervalMultiplier</Name>"
		   "<Value xsi:type=\"xsd:unsignedInt\">1000</Value>"),
	       "... and reported as set");

	ask(ENV("<cwmp:GetParameterNames><ParameterPath>Device.X_HNBTRE_TrE.</ParameterPath>"
		"<NextLevel>true</NextLevel></cwmp:GetParameterNames>"));
	check(has("<Name>Device.X_HNBTRE_TrE.Component.</Name><Writable>0") &&
	       has("<Name>Device.X_HNBTRE_TrE.AttestationNonce</Name><Writable>1") &&
	       !has("Component.1.Path"),
	       "GetParameterNames NextLevel=true: direct children only");
	ask(ENV("<cwmp:GetParameterNames><ParameterPath>Device.X_HNBTRE_TrE.State</ParameterPath>"
		"<NextLevel>true</NextLevel></cwmp:GetParameterNames>"));
	check(has("<FaultCode>9003</FaultCode>"), "NextLevel=true on a parameter: fault 9003");

	ask(ENV("<cwmp:SetParameterAttributes><ParameterList>"
		SPA("Device.X_HNBTRE_TrE.PlatformRIM", "2") SPA("Device.X_HNBTRE_TrE.TIM", "0")
		"</ParameterList></cwmp:SetParameterAttributes>"));
	check(has("<FaultCode>9009</FaultCode>") &&
	       dm_notification(&agent, "Device.X_HNBTRE_TrE.PlatformRIM") == 0,
	       "notification off for TIM: 9009, nothing recorded");
	ask(ENV("<cwmp:SetParameterAttributes><ParameterList>"
		SPA("Device.X_HNBTRE_TrE.PlatformRIM", "2")
		"</ParameterList></cwmp:SetParameterAttributes>"));
	ask(ENV("<cwmp:GetParameterAttributes><ParameterNames><string>Device.X_HNBTRE_TrE.PlatformRIM"
		"</string><string>Device.X_HNBTRE_TrE.State</string></ParameterNames>"
		"</cwmp:GetParameterAttributes>"));
	check(has("PlatformRIM</Name><Notification>2") && has("State</Name><Notification>2"),
	       "GetParameterAttributes: set and forced active notification");
	ask(ENV("<cwmp:Download><CommandKey>d</CommandKey><FileType>1 Firmware Upgrade Image"
		"</FileType><URL>http://acs.test/p</URL></cwmp:Download>"));
	check(has("<FaultCode>9013</FaultCode>") &&
	       json_object_array_length(store_section(&agent, "transfers")) == 0,
	       "Download over http: fault 9013, nothing queued");
	ask(ENV("<cwmp:Download><CommandKey>d</CommandKey><FileType>3 Vendor Configuration File"
		"</FileType><URL>https://acs.test/p</URL></cwmp:Download>"));
	check(has("<FaultCode>9001</FaultCode>"), "Download of a configuration file: 9001");
	ask(ENV("<cwmp:Upload><CommandKey>x</CommandKey></cwmp:Upload>"));
	check(has("<FaultCode>9000</FaultCode>"), "Upload: fault 9000");
}

/*
 * The Inform the agent would send now, with a session attestation (as
 * the session gives it once connected), schema-checked; also without one,
 * as on a connection without a unique TLS exporter ("" if none).
 */
static char *build_inform(json_object **delivered)
{
	static const char attestation[] = "QUJD";
	char *inform;
	size_t len;

	if (rpc_build_inform(&agent, "", &inform, &len, delivered)) {
		*delivered = NULL;
		return strdup("");
	}
	check(strstr(inform, "<Name>" TRE_PREFIX "SessionAttestation</Name>"
		     "<Value xsi:type=\"xsd:base64Binary\"/>") != NULL,
	      "Inform without a session attestation: its parameter empty");
	schema_check(inform);
	free(inform);
	json_object_put(*delivered);
	if (rpc_build_inform(&agent, attestation, &inform, &len, delivered)) {
		*delivered = NULL;
		return strdup("");
	}
	check(strstr(inform, "<Name>" TRE_PREFIX "SessionAttestation</Name>"
		     "<Value xsi:type=\"xsd:base64Binary\">QUJD</Value>") != NULL,
	      "Inform: the session attestation as given");
	schema_check(inform);
	return inform;
}

static void inform_and_state(void)
{
	json_object *delivered = NULL, *transfer;
	struct agent again = { .config = &config };
	char *inform = NULL;
	size_t len;

	ask(ENV("<cwmp:Download><CommandKey>d1</CommandKey><FileType>1 Firmware Upgrade Image"
		"</FileType><URL>https://acs.test/p</URL></cwmp:Download>"));
	check(has("<Status>1</Status>") && store_load(&again) == 0 &&
	       json_object_array_length(store_section(&again, "transfers")) == 1,
	       "Download queued and on disk before DownloadResponse");
	json_object_put(again.state);
	free(again.state_path);

	fake_securityfs_state(dir, hnbtre_state_name(HNBTRE_STATE_TAMPERED));
	inform = build_inform(&delivered);
	check(strstr(inform, "<Name>Device.X_HNBTRE_TrE.State</Name><Value xsi:type=\"xsd:string\">tampered") &&
	       strstr(inform, "<Name>Device.X_HNBTRE_TrE.TIM</Name>") &&
	       strstr(inform, "<EventCode>4 VALUE CHANGE</EventCode>") &&
	       strstr(inform, "<Name>Device.X_HNBTRE_TrE.PlatformRIM</Name>") &&
	       strstr(inform, "<SerialNumber>0005B9-0000000001</SerialNumber>") &&
	       strstr(inform, "<OUI>0005B9</OUI>"),
	       "Inform: forced State and TIM, VALUE CHANGE with the notified RIM, DeviceId");
	free(inform);
	json_object_put(delivered);

	/* after an update: the self-check result travels with the new TIM */
	store_set_setting(&agent, "self_check", "Failed");
	store_add_event(&agent, "7 TRANSFER COMPLETE", "");
	store_add_event(&agent, "M Download", "d1");
	inform = build_inform(&delivered);
	check(strstr(inform, "<EventCode>7 TRANSFER COMPLETE</EventCode>") &&
	      strstr(inform, "<EventCode>M Download</EventCode><CommandKey>d1</CommandKey>") &&
	      strstr(inform, "<Name>Device.X_HNBTRE_TrE.SelfCheck</Name>"
		     "<Value xsi:type=\"xsd:string\">Failed</Value>") &&
	      strstr(inform, "<Name>Device.X_HNBTRE_TrE.TIM</Name>"),
	      "Inform after a transfer: 7 TRANSFER COMPLETE, M Download, SelfCheck, TIM");
	free(inform);
	json_object_put(delivered);

	/* the faults of a signed package exist from CWMP 1.1 (cwmp-1-1.xsd) on */
	transfer = json_tokener_parse("{ \"key\": \"d1\", \"fault\": 9019, "
				      "\"fault_string\": \"File authentication failure\", "
				      "\"start\": \"2026-12-01T12:00:00Z\", "
				      "\"complete\": \"2026-12-01T12:00:01Z\" }");
	if (rpc_build_transfer_complete(&agent, transfer, &inform, &len))
		inform = strdup("");
	else
		schema_check(inform);
	check(strstr(inform, "<FaultCode>9019</FaultCode>"), "TransferComplete with fault 9019");
	free(inform);
	json_object_put(transfer);
}

int main(void)
{
	char path[256];

	tap_plan(30);
	if (!mkdtemp(dir))
		return 1;
	if (fake_securityfs(dir))
		return 1;
	config.state_dir = dir;
	if (store_load(&agent))
		return 1;
	schema = cwmp_schema_load("tests/schema");
	envelope_rules();
	rpcs();
	inform_and_state();
	tap_ok(schema && messages > 10 && !invalid_messages,
	       "all %d messages of the agent valid against cwmp-1-1.xsd (%d invalid)",
	       messages, invalid_messages);
	free(answer);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path))
		return 1;
	return tap_done();
}
