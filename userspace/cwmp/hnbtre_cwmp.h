/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CWMP (TR-069) SOAP envelopes, both directions, on libxml2: what the
 * device agent (hnbtre-cwmpd) and the reference H(e)MS (hnbtre-hems)
 * share, linked into both; not part of libhnbtre.  Documentation/tr069.md.
 */
#ifndef HNBTRE_CWMP_H
#define HNBTRE_CWMP_H

#include <stddef.h>

#include <libxml/tree.h>

#define CWMP_NS			"urn:dslforum-org:cwmp-1-1"
#define CWMP_NS_PREFIX		"urn:dslforum-org:cwmp-1-"	/* 1-0 .. 1-4 accepted */
#define CWMP_SOAP_ENV_NS	"http://schemas.xmlsoap.org/soap/envelope/"
#define CWMP_SOAP_ENC_NS	"http://schemas.xmlsoap.org/soap/encoding/"
#define CWMP_XSD_NS		"http://www.w3.org/2001/XMLSchema"
#define CWMP_XSI_NS		"http://www.w3.org/2001/XMLSchema-instance"
/* Largest envelope either side accepts. */
#define CWMP_MAX_ENVELOPE	(1 << 20)
#define CWMP_ERR_LEN		256

/* Fault codes of TR-069 Table 18 (CPE) and Table 19 (ACS) used here. */
enum cwmp_fault {
	CWMP_FAULT_METHOD_NOT_SUPPORTED = 9000,
	CWMP_FAULT_REQUEST_DENIED = 9001,
	CWMP_FAULT_INTERNAL_ERROR = 9002,
	CWMP_FAULT_INVALID_ARGUMENTS = 9003,
	CWMP_FAULT_RESOURCES_EXCEEDED = 9004,
	CWMP_FAULT_INVALID_PARAMETER_NAME = 9005,
	CWMP_FAULT_INVALID_PARAMETER_TYPE = 9006,
	CWMP_FAULT_INVALID_PARAMETER_VALUE = 9007,
	CWMP_FAULT_NON_WRITABLE_PARAMETER = 9008,
	CWMP_FAULT_NOTIFICATION_REJECTED = 9009,
	CWMP_FAULT_DOWNLOAD_FAILURE = 9010,
	CWMP_FAULT_FILE_SERVER_AUTHENTICATION = 9012,
	CWMP_FAULT_UNSUPPORTED_PROTOCOL = 9013,
	CWMP_FAULT_FILE_TRANSFER_FAILURE = 9016,
	CWMP_FAULT_FILE_TRANSFER_INTERNAL = 9017,
	CWMP_FAULT_FILE_CORRUPTED = 9018,
	CWMP_FAULT_FILE_AUTHENTICATION = 9019,
	CWMP_FAULT_ACS_REQUEST_DENIED = 8001,
};

/* A received envelope.  @method points at the one element of the Body. */
struct cwmp_msg {
	xmlDocPtr doc;
	xmlNodePtr method;
	const char *name;	/* local name of @method, e.g. "Inform" */
	char *id;		/* cwmp:ID header, or NULL */
	int is_fault;		/* the Body holds a SOAP Fault */
};

/* An envelope being built; cwmp_out_finish() serialises and frees it. */
struct cwmp_out {
	xmlDocPtr doc;
	xmlNodePtr body;
	xmlNodePtr method;
};

/**
 * cwmp_fault_string() - the standard text of a fault code
 * @code: enum cwmp_fault
 *
 * Return: a static string ("Internal error" for unknown codes).
 */
const char *cwmp_fault_string(int code);

/**
 * cwmp_parse() - parse and check one SOAP envelope
 * @buf: the HTTP body
 * @len: its length, at most CWMP_MAX_ENVELOPE
 * @msg: the result, freed with cwmp_msg_free() (also on failure)
 * @err: CWMP_ERR_LEN bytes for the reason of a failure
 *
 * Refuses DTDs and entities, anything but one soap:Envelope with at most
 * one Header and exactly one Body holding exactly one element, which must
 * be in a cwmp-1-x namespace or be a soap:Fault.
 *
 * Return: 0 or -EBADMSG.
 */
int cwmp_parse(const void *buf, size_t len, struct cwmp_msg *msg, char *err);

/**
 * cwmp_msg_free() - free a parsed envelope
 * @msg: from cwmp_parse()
 */
void cwmp_msg_free(struct cwmp_msg *msg);

/**
 * cwmp_child() - the one child element named @name
 * @parent: an element
 * @name: local name
 *
 * Return: the element, or NULL when there is none or more than one.
 */
xmlNodePtr cwmp_child(xmlNodePtr parent, const char *name);

/**
 * cwmp_text() - the text content of the one child element named @name
 * @parent: an element
 * @name: local name
 * @max: longest accepted value in bytes
 *
 * Return: malloc'ed text ("" for an empty element), or NULL when the child
 * is missing, repeated, has child elements or is longer than @max.
 */
char *cwmp_text(xmlNodePtr parent, const char *name, size_t max);

/**
 * cwmp_next_element() - the first element at or after @node
 * @node: a node or NULL
 *
 * Return: the element or NULL.
 */
xmlNodePtr cwmp_next_element(xmlNodePtr node);

/**
 * cwmp_out_new() - start an envelope
 * @out: the builder
 * @id: cwmp:ID header value, or NULL for none
 * @method: name of the cwmp element in the Body, or NULL for an empty Body
 *
 * Return: 0 or -ENOMEM.
 */
int cwmp_out_new(struct cwmp_out *out, const char *id, const char *method);

/**
 * cwmp_add() - append a child element with text
 * @parent: the element
 * @name: local name (no namespace, as TR-069 argument names are)
 * @text: its text, or NULL for none
 *
 * Return: the new element, or NULL on allocation failure.
 */
xmlNodePtr cwmp_add(xmlNodePtr parent, const char *name, const char *text);

/**
 * cwmp_add_array() - append an array element with its SOAP-ENC:arrayType
 * @parent: the element
 * @name: local name
 * @type: item type, e.g. "cwmp:ParameterValueStruct"
 * @count: number of items that will be added
 *
 * Return: the new element, or NULL on allocation failure.
 */
xmlNodePtr cwmp_add_array(xmlNodePtr parent, const char *name,
			  const char *type, size_t count);

/**
 * cwmp_add_value() - append a ParameterValueStruct
 * @list: the ParameterList array
 * @name: parameter name
 * @value: its value
 * @type: xsd type, e.g. "xsd:string", "xsd:unsignedInt", "xsd:boolean"
 *
 * Return: 0 or -ENOMEM.
 */
int cwmp_add_value(xmlNodePtr list, const char *name, const char *value,
		   const char *type);

/**
 * cwmp_out_fault() - start an envelope holding a SOAP Fault
 * @out: the builder
 * @id: cwmp:ID of the request being answered, or NULL
 * @code: enum cwmp_fault
 * @detail: FaultString, or NULL for the standard text
 *
 * @out->method is the cwmp:Fault element, for SetParameterValuesFault
 * entries.
 *
 * Return: 0 or -ENOMEM.
 */
int cwmp_out_fault(struct cwmp_out *out, const char *id, int code,
		   const char *detail);

/**
 * cwmp_out_finish() - serialise and free the builder
 * @out: the builder
 * @buf: malloc'ed UTF-8 XML
 * @len: its length
 *
 * Return: 0 or -ENOMEM.
 */
int cwmp_out_finish(struct cwmp_out *out, char **buf, size_t *len);

/**
 * cwmp_out_free() - drop an unfinished builder
 * @out: the builder
 */
void cwmp_out_free(struct cwmp_out *out);

/**
 * cwmp_fault_code() - code and string of a received SOAP Fault
 * @msg: a message with is_fault set
 * @string: malloc'ed FaultString or NULL
 *
 * Return: the cwmp FaultCode, or -EBADMSG.
 */
int cwmp_fault_code(const struct cwmp_msg *msg, char **string);

#endif /* HNBTRE_CWMP_H */
