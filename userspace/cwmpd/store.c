// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's persisted state: pending events and transfers, attributes,
 * writable settings.  One JSON file in the state directory, replaced with
 * hnbtre_write_atomic() after every change, so a crash or power loss at
 * any point leaves either the old or the new state (never a lost
 * TransferComplete).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwmpd.h"
#include "hnbtre.h"

#define STATE_FORMAT	1
#define STATE_MAX	(4 << 20)

static const char *const sections[] = { "events", "transfers", "attributes",
					"notified", "settings" };

static bool section_is_array(const char *name)
{
	return !strcmp(name, "events") || !strcmp(name, "transfers");
}

/* Every section present with the right type, else the file is refused. */
static int state_valid(json_object *state)
{
	json_object *version, *section;
	size_t i;

	if (!json_object_is_type(state, json_type_object) ||
	    !json_object_object_get_ex(state, "format", &version) ||
	    json_object_get_int(version) != STATE_FORMAT)
		return 0;
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (!json_object_object_get_ex(state, sections[i], &section) ||
		    !json_object_is_type(section, section_is_array(sections[i]) ?
					 json_type_array : json_type_object))
			return 0;
	}
	return 1;
}

static json_object *state_new(void)
{
	json_object *state = json_object_new_object();
	size_t i;

	json_object_object_add(state, "format", json_object_new_int(STATE_FORMAT));
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		json_object_object_add(state, sections[i],
				       section_is_array(sections[i]) ?
				       json_object_new_array() : json_object_new_object());
	return state;
}

int store_load(struct agent *agent)
{
	uint8_t *data;
	size_t len;
	int ret;

	if (asprintf(&agent->state_path, "%s/state.json", agent->config->state_dir) < 0)
		return -ENOMEM;
	ret = hnbtre_read_file(agent->state_path, STATE_MAX, &data, &len);
	if (ret == -ENOENT) {
		agent->state = state_new();
		return 0;
	}
	if (ret)
		return ret;
	agent->state = json_tokener_parse((const char *)data);
	free(data);
	if (!agent->state || !state_valid(agent->state)) {
		/* refuse to run on a state we do not understand: pending
		 * transfers would be lost silently */
		json_object_put(agent->state);
		agent->state = NULL;
		return -EBADMSG;
	}
	return 0;
}

int store_save(struct agent *agent)
{
	const char *text = json_object_to_json_string_ext(agent->state,
							  JSON_C_TO_STRING_PRETTY);

	return hnbtre_write_atomic(agent->state_path, text, strlen(text));
}

json_object *store_section(struct agent *agent, const char *name)
{
	json_object *section = NULL;

	json_object_object_get_ex(agent->state, name, &section);
	return section;
}

bool store_has_event(struct agent *agent, const char *code)
{
	json_object *events = store_section(agent, "events"), *c;
	size_t i;

	for (i = 0; i < json_object_array_length(events); i++) {
		json_object_object_get_ex(json_object_array_get_idx(events, i), "code", &c);
		if (!strcmp(json_object_get_string(c), code))
			return true;
	}
	return false;
}

/* Single events ("1 BOOT") are kept once; "M ..." ones once per key. */
void store_add_event(struct agent *agent, const char *code, const char *key)
{
	json_object *events = store_section(agent, "events"), *event;

	if (code[0] != 'M' && store_has_event(agent, code))
		return;
	event = json_object_new_object();
	json_object_object_add(event, "code", json_object_new_string(code));
	json_object_object_add(event, "key", json_object_new_string(key ? key : ""));
	json_object_array_add(events, event);
}

const char *store_setting(struct agent *agent, const char *name, const char *def)
{
	json_object *value;

	if (!json_object_object_get_ex(store_section(agent, "settings"), name, &value))
		return def;
	return json_object_get_string(value);
}

void store_set_setting(struct agent *agent, const char *name, const char *value)
{
	json_object_object_add(store_section(agent, "settings"), name,
			       json_object_new_string(value));
}
