// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CPE's side of the RPCs (TR-069 A.3): requests from the ACS become
 * responses or SOAP faults; Inform and TransferComplete are built here.
 * Actions that end the session (Reboot, FactoryReset, Download) are only
 * recorded; main.c runs them after the session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwmpd.h"

#define MAX_NAMES	1024
#define NAME_MAX_LEN	256
#define VALUE_MAX_LEN	4096
#define KEY_MAX_LEN	32

static const char *const rpc_methods[] = {
	"GetRPCMethods", "GetParameterValues", "SetParameterValues",
	"GetParameterNames", "GetParameterAttributes", "SetParameterAttributes",
	"Download", "Reboot", "FactoryReset",
};

/* A partial path ("Device.X.") covers what starts with it; "" covers all. */
static bool covers(const char *path, const char *name)
{
	size_t len = strlen(path);

	if (!len)
		return true;
	if (path[len - 1] == '.')
		return !strncmp(path, name, len);
	return !strcmp(path, name);
}

static int path_exists(const struct dm_snapshot *snap, const char *path)
{
	size_t i;

	for (i = 0; i < snap->count; i++)
		if (covers(path, snap->entries[i].name))
			return 1;
	return 0;
}

static int fault(const struct cwmp_msg *msg, int code, const char *detail,
		 char **out, size_t *len)
{
	struct cwmp_out o;

	return cwmp_out_fault(&o, msg->id, code, detail) ?: cwmp_out_finish(&o, out, len);
}

static bool is_true(const char *s)
{
	return !strcmp(s, "1") || !strcmp(s, "true");
}

/* The <string> items of a name array, checked for length and count. */
static int string_items(xmlNodePtr array, char ***names, size_t *count)
{
	xmlNodePtr n;
	xmlChar *text;

	*names = NULL;
	*count = 0;
	if (!array)
		return -EINVAL;
	for (n = cwmp_next_element(array->children); n; n = cwmp_next_element(n->next)) {
		char **grown;

		if (strcmp((const char *)n->name, "string") || *count == MAX_NAMES ||
		    cwmp_next_element(n->children))
			return -EINVAL;
		text = xmlNodeGetContent(n);
		grown = realloc(*names, (*count + 1) * sizeof(char *));
		if (!text || !grown || strlen((char *)text) > NAME_MAX_LEN) {
			xmlFree(text);
			if (grown)
				*names = grown;
			return -EINVAL;
		}
		*names = grown;
		(*names)[(*count)++] = strdup((char *)text);
		xmlFree(text);
	}
	return 0;
}

static void free_items(char **names, size_t count)
{
	while (count)
		free(names[--count]);
	free(names);
}

static bool wants_attestation(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (covers(names[i], TRE_PREFIX "Attestation") ||
		    covers(names[i], TRE_PREFIX "SessionAttestation"))
			return true;
	return false;
}

/*
 * The ParameterNames of a Get request, a snapshot, and every name checked:
 * 0 to go on, else the request is answered (a fault in *out) or -ENOMEM.
 */
static int names_request(struct agent *agent, const struct cwmp_msg *msg,
			 char ***names, size_t *count, struct dm_snapshot *snap,
			 bool attest, char **out, size_t *len)
{
	size_t i;
	int ret;

	if (string_items(cwmp_child(msg->method, "ParameterNames"), names, count))
		ret = fault(msg, CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len) ?: 1;
	else if (dm_snapshot(agent, snap, attest && wants_attestation(*names, *count)))
		ret = fault(msg, CWMP_FAULT_INTERNAL_ERROR, NULL, out, len) ?: 1;
	else
		ret = 0;
	for (i = 0; i < *count && !ret; i++)
		if (!path_exists(snap, (*names)[i])) {
			ret = fault(msg, CWMP_FAULT_INVALID_PARAMETER_NAME, (*names)[i],
				    out, len) ?: 1;
			dm_snapshot_free(snap);
		}
	if (ret)
		free_items(*names, *count);
	return ret < 0 ? ret : ret ? 1 : 0;
}

/* One ParameterListItem of a Get response for entry @e: false if out of memory. */
typedef bool (*add_item_fn)(struct agent *agent, xmlNodePtr list,
			    const struct dm_entry *e);

/*
 * A Get request whose response (@response) holds a ParameterList of
 * @item, one for every parameter (not object) a requested name covers,
 * in the order of the names: GetParameterValues, GetParameterAttributes.
 */
static int covered_list_response(struct agent *agent, const struct cwmp_msg *msg,
				 bool attest, const char *response, const char *item,
				 add_item_fn add, char **out, size_t *len)
{
	struct dm_snapshot snap;
	struct cwmp_out o;
	xmlNodePtr list;
	char **names;
	size_t count, i, j, n = 0;
	int ret;

	ret = names_request(agent, msg, &names, &count, &snap, attest, out, len);
	if (ret)
		return ret < 0 ? ret : 0;
	for (i = 0; i < count; i++)
		for (j = 0; j < snap.count; j++)
			n += !snap.entries[j].object && covers(names[i], snap.entries[j].name);
	ret = cwmp_out_new(&o, msg->id, response);
	if (ret)
		goto done;
	list = cwmp_add_array(o.method, "ParameterList", item, n);
	for (i = 0; i < count && list; i++)
		for (j = 0; j < snap.count && list; j++) {
			const struct dm_entry *e = &snap.entries[j];

			if (!e->object && covers(names[i], e->name) && !add(agent, list, e))
				list = NULL;
		}
	ret = list ? cwmp_out_finish(&o, out, len) : (cwmp_out_free(&o), -ENOMEM);
done:
	dm_snapshot_free(&snap);
	free_items(names, count);
	return ret;
}

static bool add_value(struct agent *agent, xmlNodePtr list, const struct dm_entry *e)
{
	(void)agent;
	return !cwmp_add_value(list, e->name, e->value, e->type);
}

static int get_parameter_values(struct agent *agent, const struct cwmp_msg *msg,
				char **out, size_t *len)
{
	return covered_list_response(agent, msg, true, "GetParameterValuesResponse",
				     "cwmp:ParameterValueStruct", add_value, out, len);
}

/* A SetParameterValuesFault entry in the fault being built. */
static int add_set_fault(struct cwmp_out *o, const struct cwmp_msg *msg,
			 const char *name, int code)
{
	char number[16];
	xmlNodePtr f;

	if (!o->doc && cwmp_out_fault(o, msg->id, CWMP_FAULT_INVALID_ARGUMENTS, NULL))
		return -ENOMEM;
	snprintf(number, sizeof(number), "%d", code);
	f = cwmp_add(o->method, "SetParameterValuesFault", NULL);
	if (!f || !cwmp_add(f, "ParameterName", name) ||
	    !cwmp_add(f, "FaultCode", number) ||
	    !cwmp_add(f, "FaultString", cwmp_fault_string(code)))
		return -ENOMEM;
	return 0;
}

/* Checks every value before applying any (SetParameterValues is atomic). */
static int set_parameter_values(struct agent *agent, const struct cwmp_msg *msg,
				char **out, size_t *len)
{
	xmlNodePtr list = cwmp_child(msg->method, "ParameterList"), n;
	char *key = cwmp_text(msg->method, "ParameterKey", KEY_MAX_LEN);
	struct cwmp_out o = { 0 };
	struct dm_snapshot snap;
	char err[128];
	int ret = 0, code;
	size_t pass;

	if (!list || !key || dm_snapshot(agent, &snap, false)) {
		free(key);
		return fault(msg, list && key ? CWMP_FAULT_INTERNAL_ERROR :
			     CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len);
	}
	/* pass 0 checks everything, pass 1 applies */
	for (pass = 0; pass < 2 && !ret; pass++) {
		if (pass == 1 && o.doc) {
			ret = cwmp_out_finish(&o, out, len) ?: 1;
			break;
		}
		for (n = cwmp_next_element(list->children); n && !ret;
		     n = cwmp_next_element(n->next)) {
			char *name = cwmp_text(n, "Name", NAME_MAX_LEN);
			char *value = cwmp_text(n, "Value", VALUE_MAX_LEN);
			const struct dm_entry *e = name ? dm_find(&snap, name) : NULL;

			if (!name || !value || strcmp((const char *)n->name, "ParameterValueStruct"))
				code = CWMP_FAULT_INVALID_ARGUMENTS;
			else if (!e || e->object)
				code = CWMP_FAULT_INVALID_PARAMETER_NAME;
			else
				code = dm_check_value(name, value, err, sizeof(err));
			if (pass == 1)
				dm_apply_value(agent, name, value);
			else if (code == CWMP_FAULT_INVALID_ARGUMENTS)
				ret = fault(msg, code, NULL, out, len) ?: 1;
			else if (code)
				ret = add_set_fault(&o, msg, name, code);
			free(name);
			free(value);
		}
	}
	dm_snapshot_free(&snap);
	cwmp_out_free(&o);
	if (ret) {
		free(key);
		return ret < 0 ? ret : 0;
	}
	store_set_setting(agent, "parameter_key", key);
	free(key);
	if (store_save(agent))
		return fault(msg, CWMP_FAULT_INTERNAL_ERROR, "state not saved", out, len);
	if (cwmp_out_new(&o, msg->id, "SetParameterValuesResponse") ||
	    !cwmp_add(o.method, "Status", "0")) {
		cwmp_out_free(&o);
		return -ENOMEM;
	}
	return cwmp_out_finish(&o, out, len);
}

/* Direct children of @path (an object) for NextLevel true. */
static bool is_child(const char *path, const char *name)
{
	size_t len = strlen(path);
	const char *rest, *dot;

	if (strncmp(path, name, len) || !name[len])
		return false;
	rest = name + len;
	dot = strchr(rest, '.');
	return !dot || !dot[1];
}

static int get_parameter_names(struct agent *agent, const struct cwmp_msg *msg,
			       char **out, size_t *len)
{
	char *path = cwmp_text(msg->method, "ParameterPath", NAME_MAX_LEN);
	char *next = cwmp_text(msg->method, "NextLevel", 8);
	struct dm_snapshot snap;
	struct cwmp_out o;
	xmlNodePtr list, info;
	size_t i, n = 0, pass;
	bool next_level;
	int ret = 0;

	if (!path || !next || (strcmp(next, "true") && strcmp(next, "false") &&
			       strcmp(next, "1") && strcmp(next, "0"))) {
		ret = fault(msg, CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len);
		goto free_args;
	}
	next_level = is_true(next);
	if (dm_snapshot(agent, &snap, false)) {
		ret = fault(msg, CWMP_FAULT_INTERNAL_ERROR, NULL, out, len);
		goto free_args;
	}
	if (!path_exists(&snap, path)) {
		ret = fault(msg, CWMP_FAULT_INVALID_PARAMETER_NAME, path, out, len);
		goto done;
	}
	if (next_level && path[0] && path[strlen(path) - 1] != '.') {
		ret = fault(msg, CWMP_FAULT_INVALID_ARGUMENTS,
			    "NextLevel true needs a partial path", out, len);
		goto done;
	}
	ret = cwmp_out_new(&o, msg->id, "GetParameterNamesResponse");
	if (ret)
		goto done;
	list = NULL;
	/* pass 0 counts for the arrayType, pass 1 adds */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			list = cwmp_add_array(o.method, "ParameterList",
					      "cwmp:ParameterInfoStruct", n);
		for (i = 0; i < snap.count; i++) {
			const struct dm_entry *e = &snap.entries[i];
			bool listed = next_level ? is_child(path, e->name) : covers(path, e->name);

			if (!listed)
				continue;
			if (pass == 0) {
				n++;
				continue;
			}
			info = list ? cwmp_add(list, "ParameterInfoStruct", NULL) : NULL;
			if (!info || !cwmp_add(info, "Name", e->name) ||
			    !cwmp_add(info, "Writable", e->writable ? "1" : "0"))
				list = NULL;
		}
	}
	ret = list ? cwmp_out_finish(&o, out, len) : (cwmp_out_free(&o), -ENOMEM);
done:
	dm_snapshot_free(&snap);
free_args:
	free(path);
	free(next);
	return ret;
}

static bool add_attribute(struct agent *agent, xmlNodePtr list, const struct dm_entry *e)
{
	xmlNodePtr a = cwmp_add(list, "ParameterAttributeStruct", NULL);
	char number[4];

	snprintf(number, sizeof(number), "%d", dm_notification(agent, e->name));
	return a && cwmp_add(a, "Name", e->name) && cwmp_add(a, "Notification", number) &&
	       cwmp_add_array(a, "AccessList", "xsd:string", 0);
}

static int get_parameter_attributes(struct agent *agent, const struct cwmp_msg *msg,
				    char **out, size_t *len)
{
	return covered_list_response(agent, msg, false, "GetParameterAttributesResponse",
				     "cwmp:ParameterAttributeStruct", add_attribute, out, len);
}

/* Checked completely before anything is recorded. */
static int set_parameter_attributes(struct agent *agent, const struct cwmp_msg *msg,
				    char **out, size_t *len)
{
	xmlNodePtr list = cwmp_child(msg->method, "ParameterList"), n;
	json_object *attributes = store_section(agent, "attributes");
	struct dm_snapshot snap;
	struct cwmp_out o;
	size_t pass, j;
	int ret = 0;

	if (!list)
		return fault(msg, CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len);
	if (dm_snapshot(agent, &snap, false))
		return fault(msg, CWMP_FAULT_INTERNAL_ERROR, NULL, out, len);
	for (pass = 0; pass < 2 && !ret; pass++) {
		for (n = cwmp_next_element(list->children); n && !ret;
		     n = cwmp_next_element(n->next)) {
			char *name = cwmp_text(n, "Name", NAME_MAX_LEN);
			char *change = cwmp_text(n, "NotificationChange", 8);
			char *value = cwmp_text(n, "Notification", 8);
			int notification = value ? atoi(value) : -1;

			if (!name || !change || !value ||
			    strcmp((const char *)n->name, "SetParameterAttributesStruct") ||
			    (strcmp(value, "0") && strcmp(value, "1") && strcmp(value, "2")))
				ret = fault(msg, CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len) ?: 1;
			else if (!path_exists(&snap, name))
				ret = fault(msg, CWMP_FAULT_INVALID_PARAMETER_NAME, name, out, len) ?: 1;
			for (j = 0; !ret && is_true(change) && j < snap.count; j++) {
				const struct dm_entry *e = &snap.entries[j];

				if (e->object || !covers(name, e->name))
					continue;
				if (pass == 0 && !dm_notification_allowed(e->name, notification))
					ret = fault(msg, CWMP_FAULT_NOTIFICATION_REJECTED,
						    e->name, out, len) ?: 1;
				else if (pass == 1)
					json_object_object_add(attributes, e->name,
							       json_object_new_int(notification));
			}
			free(name);
			free(change);
			free(value);
		}
	}
	dm_snapshot_free(&snap);
	if (ret)
		return ret < 0 ? ret : 0;
	if (store_save(agent))
		return fault(msg, CWMP_FAULT_INTERNAL_ERROR, "state not saved", out, len);
	return cwmp_out_new(&o, msg->id, "SetParameterAttributesResponse") ?:
	       cwmp_out_finish(&o, out, len);
}

static int get_rpc_methods(const struct cwmp_msg *msg, char **out, size_t *len)
{
	size_t count = sizeof(rpc_methods) / sizeof(rpc_methods[0]), i;
	struct cwmp_out o;
	xmlNodePtr list;

	if (cwmp_out_new(&o, msg->id, "GetRPCMethodsResponse"))
		return -ENOMEM;
	list = cwmp_add_array(o.method, "MethodList", "xsd:string", count);
	for (i = 0; i < count && list; i++)
		if (!cwmp_add(list, "string", rpc_methods[i]))
			list = NULL;
	if (!list) {
		cwmp_out_free(&o);
		return -ENOMEM;
	}
	return cwmp_out_finish(&o, out, len);
}

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Download: only signed firmware packages over https; queued and
 * persisted before the response, so a crash after it still ends in a
 * TransferComplete.  Username and Password are ignored: the profile
 * authenticates with certificates only.
 */
static int download(struct agent *agent, const struct cwmp_msg *msg, char **out,
		    size_t *len)
{
	char *key = cwmp_text(msg->method, "CommandKey", KEY_MAX_LEN);
	char *type = cwmp_text(msg->method, "FileType", 64);
	char *url = cwmp_text(msg->method, "URL", 1024);
	char start[32], err[CWMP_ERR_LEN];
	json_object *transfer;
	struct cwmp_out o;
	int ret;

	if (!key || !type || !url) {
		ret = fault(msg, CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len);
		goto done;
	}
	if (strcmp(type, "1 Firmware Upgrade Image")) {
		ret = fault(msg, CWMP_FAULT_REQUEST_DENIED,
			    "only signed firmware packages are accepted", out, len);
		goto done;
	}
	if (session_check_url(url, err, sizeof(err))) {
		ret = fault(msg, CWMP_FAULT_UNSUPPORTED_PROTOCOL, err, out, len);
		goto done;
	}
	now_iso(start, sizeof(start));
	transfer = json_object_new_object();
	json_object_object_add(transfer, "key", json_object_new_string(key));
	json_object_object_add(transfer, "url", json_object_new_string(url));
	json_object_object_add(transfer, "file_type", json_object_new_string(type));
	json_object_object_add(transfer, "state", json_object_new_string("pending"));
	json_object_object_add(transfer, "start", json_object_new_string(start));
	json_object_array_add(store_section(agent, "transfers"), transfer);
	if (store_save(agent)) {
		ret = fault(msg, CWMP_FAULT_INTERNAL_ERROR, "state not saved", out, len);
		goto done;
	}
	agent->download_requested = true;
	ret = cwmp_out_new(&o, msg->id, "DownloadResponse");
	if (ret)
		goto done;
	/* Status 1: the result follows in a TransferComplete */
	if (!cwmp_add(o.method, "Status", "1") ||
	    !cwmp_add(o.method, "StartTime", "0001-01-01T00:00:00Z") ||
	    !cwmp_add(o.method, "CompleteTime", "0001-01-01T00:00:00Z")) {
		cwmp_out_free(&o);
		ret = -ENOMEM;
		goto done;
	}
	ret = cwmp_out_finish(&o, out, len);
done:
	free(key);
	free(type);
	free(url);
	return ret;
}

static int reboot_rpc(struct agent *agent, const struct cwmp_msg *msg,
		      char **out, size_t *len)
{
	char *key = cwmp_text(msg->method, "CommandKey", KEY_MAX_LEN);
	struct cwmp_out o;

	if (!key)
		return fault(msg, CWMP_FAULT_INVALID_ARGUMENTS, NULL, out, len);
	/* delivered in the first Inform after the reboot */
	store_add_event(agent, "M Reboot", key);
	free(key);
	if (store_save(agent))
		return fault(msg, CWMP_FAULT_INTERNAL_ERROR, "state not saved", out, len);
	agent->reboot_requested = true;
	return cwmp_out_new(&o, msg->id, "RebootResponse") ?: cwmp_out_finish(&o, out, len);
}

static int factory_reset(struct agent *agent, const struct cwmp_msg *msg,
			 char **out, size_t *len)
{
	struct cwmp_out o;

	agent->factory_reset_requested = true;
	return cwmp_out_new(&o, msg->id, "FactoryResetResponse") ?:
	       cwmp_out_finish(&o, out, len);
}

int rpc_handle(struct agent *agent, const struct cwmp_msg *msg, char **out,
	       size_t *out_len)
{
	if (!strcmp(msg->name, "GetRPCMethods"))
		return get_rpc_methods(msg, out, out_len);
	if (!strcmp(msg->name, "GetParameterValues"))
		return get_parameter_values(agent, msg, out, out_len);
	if (!strcmp(msg->name, "SetParameterValues"))
		return set_parameter_values(agent, msg, out, out_len);
	if (!strcmp(msg->name, "GetParameterNames"))
		return get_parameter_names(agent, msg, out, out_len);
	if (!strcmp(msg->name, "GetParameterAttributes"))
		return get_parameter_attributes(agent, msg, out, out_len);
	if (!strcmp(msg->name, "SetParameterAttributes"))
		return set_parameter_attributes(agent, msg, out, out_len);
	if (!strcmp(msg->name, "Download"))
		return download(agent, msg, out, out_len);
	if (!strcmp(msg->name, "Reboot"))
		return reboot_rpc(agent, msg, out, out_len);
	if (!strcmp(msg->name, "FactoryReset"))
		return factory_reset(agent, msg, out, out_len);
	return fault(msg, CWMP_FAULT_METHOD_NOT_SUPPORTED, msg->name, out, out_len);
}

/* Value changes since the last Inform, of parameters with notification. */
static int add_changed(struct agent *agent, const struct dm_snapshot *snap,
		       json_object *delivered)
{
	json_object *notified = store_section(agent, "notified"), *old;
	size_t i;
	int changed = 0;

	for (i = 0; i < snap->count; i++) {
		const struct dm_entry *e = &snap->entries[i];

		if (e->object || !dm_notification(agent, e->name))
			continue;
		if (json_object_object_get_ex(notified, e->name, &old) &&
		    !strcmp(json_object_get_string(old), e->value))
			continue;
		json_object_object_add(delivered, e->name, json_object_new_string(e->value));
		changed = 1;
	}
	return changed;
}

static const char *const inform_parameters[] = {
	"Device.DeviceInfo.HardwareVersion", "Device.DeviceInfo.SoftwareVersion",
	"Device.DeviceInfo.ProvisioningCode", "Device.ManagementServer.ParameterKey",
	"Device.ManagementServer.ConnectionRequestURL",
	TRE_PREFIX "State", TRE_PREFIX "TIM",
};

/*
 * The Inform, with @session_attestation (base64; "" for none), the TrE's
 * attestation over the TLS exporter of the connection that carries it.
 */
int rpc_build_inform(struct agent *agent, const char *session_attestation,
		     char **out, size_t *out_len, json_object **delivered_values)
{
	json_object *events = store_section(agent, "events"), *delivered, *c, *k;
	struct dm_snapshot snap;
	struct cwmp_out o;
	xmlNodePtr id, list, ev;
	char now[32], id_text[32];
	size_t i, n_params, n_events;
	int ret = -ENOMEM;

	if (dm_snapshot(agent, &snap, false))
		return -ENOMEM;
	delivered = json_object_new_object();
	if (add_changed(agent, &snap, delivered))
		store_add_event(agent, "4 VALUE CHANGE", "");
	/* TR 33.820 Annex A (with a PVE) step 8: the Inform after an update reports the result of
	 * the expected-TIM self-check with the new TIM */
	if (store_has_event(agent, "7 TRANSFER COMPLETE"))
		json_object_object_add(delivered, TRE_PREFIX "SelfCheck",
				       json_object_new_string(dm_find(&snap, TRE_PREFIX
								      "SelfCheck")->value));
	n_events = json_object_array_length(events);
	snprintf(id_text, sizeof(id_text), "%ld", (long)time(NULL));
	if (cwmp_out_new(&o, id_text, "Inform"))
		goto out;
	id = cwmp_add(o.method, "DeviceId", NULL);
	if (!id ||
	    !cwmp_add(id, "Manufacturer", dm_find(&snap, "Device.DeviceInfo.Manufacturer")->value) ||
	    !cwmp_add(id, "OUI", dm_find(&snap, "Device.DeviceInfo.ManufacturerOUI")->value) ||
	    !cwmp_add(id, "ProductClass", dm_find(&snap, "Device.DeviceInfo.ProductClass")->value) ||
	    !cwmp_add(id, "SerialNumber", dm_find(&snap, "Device.DeviceInfo.SerialNumber")->value))
		goto fail;
	list = cwmp_add_array(o.method, "Event", "cwmp:EventStruct", n_events);
	for (i = 0; i < n_events && list; i++) {
		json_object *event = json_object_array_get_idx(events, i);

		json_object_object_get_ex(event, "code", &c);
		json_object_object_get_ex(event, "key", &k);
		ev = cwmp_add(list, "EventStruct", NULL);
		if (!ev || !cwmp_add(ev, "EventCode", json_object_get_string(c)) ||
		    !cwmp_add(ev, "CommandKey", json_object_get_string(k)))
			list = NULL;
	}
	now_iso(now, sizeof(now));
	if (!list || !cwmp_add(o.method, "MaxEnvelopes", "1") ||
	    !cwmp_add(o.method, "CurrentTime", now) ||
	    !cwmp_add(o.method, "RetryCount", "0"))
		goto fail;
	/* the forced parameters, then changed ones not among them */
	for (i = 0; i < sizeof(inform_parameters) / sizeof(inform_parameters[0]); i++)
		json_object_object_del(delivered, inform_parameters[i]);
	n_params = sizeof(inform_parameters) / sizeof(inform_parameters[0]) +
		   json_object_object_length(delivered) + 1;
	list = cwmp_add_array(o.method, "ParameterList", "cwmp:ParameterValueStruct", n_params);
	for (i = 0; i < sizeof(inform_parameters) / sizeof(inform_parameters[0]) && list; i++) {
		const struct dm_entry *e = dm_find(&snap, inform_parameters[i]);

		if (cwmp_add_value(list, e->name, e->value, e->type))
			list = NULL;
		else if (dm_notification(agent, e->name))
			json_object_object_add(delivered, e->name,
					       json_object_new_string(e->value));
	}
	if (list &&
	    cwmp_add_value(list, TRE_PREFIX "SessionAttestation", session_attestation,
			   dm_find(&snap, TRE_PREFIX "SessionAttestation")->type))
		list = NULL;
	if (list) {
		json_object_object_foreach(delivered, name, value) {
			if (dm_find(&snap, name) && !dm_forced_inform(name) &&
			    strcmp(name, "Device.DeviceInfo.HardwareVersion") &&
			    cwmp_add_value(list, name, json_object_get_string(value),
					   dm_find(&snap, name)->type))
				list = NULL;
		}
	}
	if (!list)
		goto fail;
	ret = cwmp_out_finish(&o, out, out_len);
	goto out;
fail:
	cwmp_out_free(&o);
out:
	dm_snapshot_free(&snap);
	if (ret)
		json_object_put(delivered);
	else
		*delivered_values = delivered;
	return ret;
}

int rpc_build_transfer_complete(struct agent *agent, json_object *transfer,
				char **out, size_t *out_len)
{
	json_object *key, *code, *string, *start, *complete;
	struct cwmp_out o;
	xmlNodePtr f;

	(void)agent;
	json_object_object_get_ex(transfer, "key", &key);
	json_object_object_get_ex(transfer, "fault", &code);
	json_object_object_get_ex(transfer, "fault_string", &string);
	json_object_object_get_ex(transfer, "start", &start);
	json_object_object_get_ex(transfer, "complete", &complete);
	if (cwmp_out_new(&o, "transfer", "TransferComplete"))
		return -ENOMEM;
	f = cwmp_add(o.method, "CommandKey", json_object_get_string(key)) ?
	    cwmp_add(o.method, "FaultStruct", NULL) : NULL;
	if (!f || !cwmp_add(f, "FaultCode", json_object_get_string(code)) ||
	    !cwmp_add(f, "FaultString", json_object_get_string(string)) ||
	    !cwmp_add(o.method, "StartTime", json_object_get_string(start)) ||
	    !cwmp_add(o.method, "CompleteTime", json_object_get_string(complete))) {
		cwmp_out_free(&o);
		return -ENOMEM;
	}
	return cwmp_out_finish(&o, out, out_len);
}
