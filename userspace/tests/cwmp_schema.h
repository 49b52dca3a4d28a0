/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CWMP messages checked against the Broadband Forum's schema
 * (tests/schema/cwmp-1-1.xsd; the SOAP 1.1 schemas it imports come from the
 * same directory through its catalog.xml, never from the network).
 *
 * The SOAP Body admits any element with lax processing, so an envelope
 * whose method the schema does not know would validate; the method element
 * is therefore validated once more on its own, where it must be declared.
 */
#ifndef HNBTRE_CWMP_SCHEMA_H
#define HNBTRE_CWMP_SCHEMA_H

#include <stdio.h>
#include <string.h>

#include <libxml/catalog.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

/* Collects the validator's first message for the test's diagnostics. */
static void cwmp_schema_error(void *ctx, xmlErrorPtr error)
{
	char *why = ctx;

	if (!*why && error->message)
		snprintf(why, 512, "line %d: %s", error->line, error->message);
}

/* The schema from @dir (e.g. "tests/schema"), or NULL. */
static xmlSchemaPtr cwmp_schema_load(const char *dir)
{
	xmlSchemaParserCtxtPtr parser;
	xmlSchemaPtr schema;
	char path[512];

	snprintf(path, sizeof(path), "%s/catalog.xml", dir);
	xmlInitializeCatalog();
	if (xmlLoadCatalog(path))
		return NULL;
	snprintf(path, sizeof(path), "%s/cwmp-1-1.xsd", dir);
	parser = xmlSchemaNewParserCtxt(path);
	if (!parser)
		return NULL;
	schema = xmlSchemaParse(parser);
	xmlSchemaFreeParserCtxt(parser);
	return schema;
}

/*
 * 1 if @xml is a SOAP envelope valid against @schema whose Body holds
 * only elements the schema declares; else 0 with the reason in @why
 * (512 bytes).
 */
static int cwmp_schema_valid(xmlSchemaPtr schema, const char *xml, size_t len, char *why)
{
	xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "message.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	xmlNodePtr body = NULL, node;
	int ok = 0;

	*why = 0;
	if (!valid || !doc) {
		snprintf(why, 512, "not well-formed XML");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(valid, cwmp_schema_error, why);
	if (xmlSchemaValidateDoc(valid, doc))
		goto out;
	for (node = xmlDocGetRootElement(doc)->children; node; node = node->next) {
		if (node->type == XML_ELEMENT_NODE && !strcmp((const char *)node->name, "Body"))
			body = node;
	}
	ok = 1;
	for (node = body ? body->children : NULL; node; node = node->next) {
		if (node->type == XML_ELEMENT_NODE &&
		    xmlSchemaValidateOneElement(valid, node)) {
			if (!*why)
				snprintf(why, 512, "%s is not a CWMP message", node->name);
			ok = 0;
		}
	}
out:
	xmlFreeDoc(doc);
	xmlSchemaFreeValidCtxt(valid);
	return ok;
}

#endif
