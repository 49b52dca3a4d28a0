// SPDX-License-Identifier: LGPL-2.1-or-later
/* CWMP SOAP envelopes on libxml2 (hnbtre_cwmp.h), linked into the agent and the H(e)MS. */
#include "hnbtre_cwmp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

static const struct {
	int code;
	const char *text;
} fault_texts[] = {
	{ CWMP_FAULT_METHOD_NOT_SUPPORTED, "Method not supported" },
	{ CWMP_FAULT_REQUEST_DENIED, "Request denied" },
	{ CWMP_FAULT_INTERNAL_ERROR, "Internal error" },
	{ CWMP_FAULT_INVALID_ARGUMENTS, "Invalid arguments" },
	{ CWMP_FAULT_RESOURCES_EXCEEDED, "Resources exceeded" },
	{ CWMP_FAULT_INVALID_PARAMETER_NAME, "Invalid parameter name" },
	{ CWMP_FAULT_INVALID_PARAMETER_TYPE, "Invalid parameter type" },
	{ CWMP_FAULT_INVALID_PARAMETER_VALUE, "Invalid parameter value" },
	{ CWMP_FAULT_NON_WRITABLE_PARAMETER, "Attempt to set a non-writable parameter" },
	{ CWMP_FAULT_NOTIFICATION_REJECTED, "Notification request rejected" },
	{ CWMP_FAULT_DOWNLOAD_FAILURE, "Download failure" },
	{ CWMP_FAULT_FILE_SERVER_AUTHENTICATION, "File transfer server authentication failure" },
	{ CWMP_FAULT_UNSUPPORTED_PROTOCOL, "Unsupported protocol for file transfer" },
	{ CWMP_FAULT_FILE_TRANSFER_FAILURE, "File transfer failure: unable to join multicast group" },
	{ CWMP_FAULT_FILE_TRANSFER_INTERNAL, "Download failure: internal error" },
	{ CWMP_FAULT_FILE_CORRUPTED, "File corrupted" },
	{ CWMP_FAULT_FILE_AUTHENTICATION, "File authentication failure" },
	{ CWMP_FAULT_ACS_REQUEST_DENIED, "Request denied (no reason specified)" },
};

const char *cwmp_fault_string(int code)
{
	size_t i;

	for (i = 0; i < sizeof(fault_texts) / sizeof(fault_texts[0]); i++)
		if (fault_texts[i].code == code)
			return fault_texts[i].text;
	return "Internal error";
}

static int is_named(xmlNodePtr node, const char *ns, const char *name)
{
	return node && node->type == XML_ELEMENT_NODE && node->ns &&
	       !strcmp((const char *)node->ns->href, ns) &&
	       !strcmp((const char *)node->name, name);
}

static int in_cwmp_ns(xmlNodePtr node)
{
	const char *href;

	if (!node->ns)
		return 0;
	href = (const char *)node->ns->href;
	return !strncmp(href, CWMP_NS_PREFIX, strlen(CWMP_NS_PREFIX)) &&
	       href[strlen(CWMP_NS_PREFIX)] >= '0' &&
	       href[strlen(CWMP_NS_PREFIX)] <= '4' &&
	       !href[strlen(CWMP_NS_PREFIX) + 1];
}

xmlNodePtr cwmp_next_element(xmlNodePtr node)
{
	while (node && node->type != XML_ELEMENT_NODE)
		node = node->next;
	return node;
}

/* Only whitespace may sit between the elements of the envelope. */
static int only_elements(xmlNodePtr parent)
{
	xmlNodePtr n;

	for (n = parent->children; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE || n->type == XML_COMMENT_NODE)
			continue;
		if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n))
			continue;
		return 0;
	}
	return 1;
}

static void no_xml_errors(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int cwmp_parse(const void *buf, size_t len, struct cwmp_msg *msg, char *err)
{
	xmlNodePtr root, header = NULL, body = NULL, n, id;

	memset(msg, 0, sizeof(*msg));
	if (len > CWMP_MAX_ENVELOPE) {
		snprintf(err, CWMP_ERR_LEN, "envelope larger than %d bytes", CWMP_MAX_ENVELOPE);
		return -EBADMSG;
	}
	xmlSetGenericErrorFunc(NULL, no_xml_errors);
	msg->doc = xmlReadMemory(buf, len, "cwmp.xml", NULL,
				 XML_PARSE_NONET | XML_PARSE_NOERROR |
				 XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!msg->doc) {
		snprintf(err, CWMP_ERR_LEN, "not well-formed XML");
		return -EBADMSG;
	}
	if (msg->doc->intSubset || msg->doc->extSubset) {
		snprintf(err, CWMP_ERR_LEN, "document type declarations are refused");
		return -EBADMSG;
	}
	root = xmlDocGetRootElement(msg->doc);
	if (!is_named(root, CWMP_SOAP_ENV_NS, "Envelope") || !only_elements(root)) {
		snprintf(err, CWMP_ERR_LEN, "not a SOAP envelope");
		return -EBADMSG;
	}
	for (n = cwmp_next_element(root->children); n; n = cwmp_next_element(n->next)) {
		if (is_named(n, CWMP_SOAP_ENV_NS, "Header") && !header && !body) {
			header = n;
		} else if (is_named(n, CWMP_SOAP_ENV_NS, "Body") && !body) {
			body = n;
		} else {
			snprintf(err, CWMP_ERR_LEN, "unexpected element %s in the envelope",
				 (const char *)n->name);
			return -EBADMSG;
		}
	}
	if (!body || !only_elements(body)) {
		snprintf(err, CWMP_ERR_LEN, "no SOAP Body");
		return -EBADMSG;
	}
	if (header) {
		for (id = cwmp_next_element(header->children); id;
		     id = cwmp_next_element(id->next)) {
			if (!in_cwmp_ns(id) || strcmp((const char *)id->name, "ID"))
				continue;
			if (msg->id) {
				snprintf(err, CWMP_ERR_LEN, "two cwmp:ID headers");
				return -EBADMSG;
			}
			msg->id = (char *)xmlNodeGetContent(id);
			if (!msg->id || strlen(msg->id) > 256) {
				snprintf(err, CWMP_ERR_LEN, "bad cwmp:ID header");
				return -EBADMSG;
			}
		}
	}
	msg->method = cwmp_next_element(body->children);
	if (!msg->method || cwmp_next_element(msg->method->next)) {
		snprintf(err, CWMP_ERR_LEN, "the Body must hold exactly one element");
		return -EBADMSG;
	}
	msg->is_fault = is_named(msg->method, CWMP_SOAP_ENV_NS, "Fault");
	if (!msg->is_fault && !in_cwmp_ns(msg->method)) {
		snprintf(err, CWMP_ERR_LEN, "%s is not a CWMP method",
			 (const char *)msg->method->name);
		return -EBADMSG;
	}
	msg->name = (const char *)msg->method->name;
	return 0;
}

void cwmp_msg_free(struct cwmp_msg *msg)
{
	xmlFree(msg->id);
	xmlFreeDoc(msg->doc);
	memset(msg, 0, sizeof(*msg));
}

xmlNodePtr cwmp_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n, found = NULL;

	if (!parent)
		return NULL;
	for (n = cwmp_next_element(parent->children); n; n = cwmp_next_element(n->next)) {
		if (strcmp((const char *)n->name, name))
			continue;
		if (found)
			return NULL;
		found = n;
	}
	return found;
}

char *cwmp_text(xmlNodePtr parent, const char *name, size_t max)
{
	xmlNodePtr node = cwmp_child(parent, name);
	xmlChar *content;
	char *text;

	if (!node || cwmp_next_element(node->children))
		return NULL;
	content = xmlNodeGetContent(node);
	if (!content)
		return NULL;
	text = strlen((char *)content) <= max ? strdup((char *)content) : NULL;
	xmlFree(content);
	return text;
}

int cwmp_out_new(struct cwmp_out *out, const char *id, const char *method)
{
	xmlNodePtr env, header, idn;
	xmlNsPtr soap, cwmp;

	memset(out, 0, sizeof(*out));
	out->doc = xmlNewDoc(BAD_CAST "1.0");
	env = out->doc ? xmlNewDocNode(out->doc, NULL, BAD_CAST "Envelope", NULL) : NULL;
	if (!env)
		goto nomem;
	xmlDocSetRootElement(out->doc, env);
	soap = xmlNewNs(env, BAD_CAST CWMP_SOAP_ENV_NS, BAD_CAST "soap");
	cwmp = xmlNewNs(env, BAD_CAST CWMP_NS, BAD_CAST "cwmp");
	if (!soap || !cwmp ||
	    !xmlNewNs(env, BAD_CAST CWMP_SOAP_ENC_NS, BAD_CAST "soap-enc") ||
	    !xmlNewNs(env, BAD_CAST CWMP_XSD_NS, BAD_CAST "xsd") ||
	    !xmlNewNs(env, BAD_CAST CWMP_XSI_NS, BAD_CAST "xsi"))
		goto nomem;
	xmlSetNs(env, soap);
	if (id) {
		header = xmlNewChild(env, soap, BAD_CAST "Header", NULL);
		idn = header ? xmlNewTextChild(header, cwmp, BAD_CAST "ID", BAD_CAST id) : NULL;
		if (!idn || !xmlNewNsProp(idn, soap, BAD_CAST "mustUnderstand", BAD_CAST "1"))
			goto nomem;
	}
	out->body = xmlNewChild(env, soap, BAD_CAST "Body", NULL);
	if (!out->body)
		goto nomem;
	if (method) {
		out->method = xmlNewChild(out->body, cwmp, BAD_CAST method, NULL);
		if (!out->method)
			goto nomem;
	}
	return 0;
nomem:
	cwmp_out_free(out);
	return -ENOMEM;
}

/* Arguments are unqualified: xmlNewTextChild() would give them the
 * parent's (cwmp) namespace. */
xmlNodePtr cwmp_add(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr node = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);

	if (!node)
		return NULL;
	if (text)
		xmlNodeAddContent(node, BAD_CAST text);
	if (!xmlAddChild(parent, node)) {
		xmlFreeNode(node);
		return NULL;
	}
	return node;
}

xmlNodePtr cwmp_add_array(xmlNodePtr parent, const char *name,
			  const char *type, size_t count)
{
	xmlNsPtr enc = xmlSearchNsByHref(parent->doc, parent, BAD_CAST CWMP_SOAP_ENC_NS);
	xmlNodePtr array = cwmp_add(parent, name, NULL);
	char value[128];

	snprintf(value, sizeof(value), "%s[%zu]", type, count);
	if (!array || !xmlNewNsProp(array, enc, BAD_CAST "arrayType", BAD_CAST value))
		return NULL;
	return array;
}

int cwmp_add_value(xmlNodePtr list, const char *name, const char *value,
		   const char *type)
{
	xmlNsPtr xsi = xmlSearchNsByHref(list->doc, list, BAD_CAST CWMP_XSI_NS);
	xmlNodePtr pvs = cwmp_add(list, "ParameterValueStruct", NULL);
	xmlNodePtr v;

	if (!pvs || !cwmp_add(pvs, "Name", name))
		return -ENOMEM;
	v = cwmp_add(pvs, "Value", value);
	if (!v || !xmlNewNsProp(v, xsi, BAD_CAST "type", BAD_CAST type))
		return -ENOMEM;
	return 0;
}

int cwmp_out_fault(struct cwmp_out *out, const char *id, int code,
		   const char *detail)
{
	xmlNsPtr soap, cwmp;
	xmlNodePtr fault, d;
	char number[16];

	if (cwmp_out_new(out, id, NULL))
		return -ENOMEM;
	soap = xmlSearchNsByHref(out->doc, out->body, BAD_CAST CWMP_SOAP_ENV_NS);
	cwmp = xmlSearchNsByHref(out->doc, out->body, BAD_CAST CWMP_NS);
	snprintf(number, sizeof(number), "%d", code);
	fault = xmlNewChild(out->body, soap, BAD_CAST "Fault", NULL);
	/* faults of the CPE are the client's (9000-9799: "Client" except
	 * internal errors and resource limits, which are the server's); the
	 * ACS's request denied (8001) is the server's */
	if (!fault ||
	    !cwmp_add(fault, "faultcode",
		      code == CWMP_FAULT_INTERNAL_ERROR ||
		      code == CWMP_FAULT_RESOURCES_EXCEEDED ||
		      code == CWMP_FAULT_ACS_REQUEST_DENIED ? "Server" : "Client") ||
	    !cwmp_add(fault, "faultstring", "CWMP fault") ||
	    !(d = cwmp_add(fault, "detail", NULL)) ||
	    !(out->method = xmlNewChild(d, cwmp, BAD_CAST "Fault", NULL)) ||
	    !cwmp_add(out->method, "FaultCode", number) ||
	    !cwmp_add(out->method, "FaultString", detail ? detail : cwmp_fault_string(code))) {
		cwmp_out_free(out);
		return -ENOMEM;
	}
	return 0;
}

int cwmp_out_finish(struct cwmp_out *out, char **buf, size_t *len)
{
	xmlChar *mem = NULL;
	int size = 0;

	xmlDocDumpFormatMemoryEnc(out->doc, &mem, &size, "UTF-8", 0);
	cwmp_out_free(out);
	if (!mem)
		return -ENOMEM;
	*buf = malloc(size + 1);
	if (!*buf) {
		xmlFree(mem);
		return -ENOMEM;
	}
	memcpy(*buf, mem, size + 1);
	xmlFree(mem);
	*len = size;
	return 0;
}

void cwmp_out_free(struct cwmp_out *out)
{
	xmlFreeDoc(out->doc);
	memset(out, 0, sizeof(*out));
}

int cwmp_fault_code(const struct cwmp_msg *msg, char **string)
{
	xmlNodePtr detail = cwmp_child(msg->method, "detail");
	xmlNodePtr fault = cwmp_child(detail, "Fault");
	char *code = cwmp_text(fault, "FaultCode", 16), *end;
	long value;

	*string = cwmp_text(fault, "FaultString", 1024);
	if (!code)
		return -EBADMSG;
	value = strtol(code, &end, 10);
	if (*end || end == code || value < 8000 || value > 9899)
		value = -EBADMSG;
	free(code);
	return value;
}
