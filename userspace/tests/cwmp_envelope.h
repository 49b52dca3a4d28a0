/* SPDX-License-Identifier: GPL-2.0-only */
/* CWMP 1.1 envelopes as a device sends them, for the H(e)MS's tests. */
#ifndef HNBTRE_CWMP_ENVELOPE_H
#define HNBTRE_CWMP_ENVELOPE_H

/* Everything before the method element; @id: the cwmp:ID (a literal). */
#define ENV_HEAD_ID(id) "<soap:Envelope " \
	"xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
	"xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" " \
	"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" " \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" " \
	"xmlns:cwmp=\"urn:dslforum-org:cwmp-1-1\"><soap:Header>" \
	"<cwmp:ID soap:mustUnderstand=\"1\">" id "</cwmp:ID></soap:Header><soap:Body>"
#define ENV_TAIL "</soap:Body></soap:Envelope>"
/* One ParameterValueStruct; @type without the "xsd:" prefix. */
#define VALUE(name, type, value) "<ParameterValueStruct><Name>" name "</Name>" \
	"<Value xsi:type=\"xsd:" type "\">" value "</Value></ParameterValueStruct>"

#endif
