// SPDX-License-Identifier: GPL-2.0-only
/*
 * hems_load: simulated CPEs against hnbtre-hems for scripts/bench-hems
 * (issue 6, H(e)MS load).  Each of --clients threads runs full CWMP
 * sessions in a loop, one new mutual-TLS connection each (no TLS session
 * resumption, as hnbtre-cwmpd), as the agent does:
 *   Inform with a session attestation (over the TLS exporter of the
 *   connection, made once the handshake is done) -> InformResponse;
 *   empty POST -> 204.
 * With --explicit-nonce the Inform carries no session attestation and the
 * server asks for one:
 *   empty POST -> SetParameterValues(nonce);
 *   SetParameterValuesResponse -> GetParameterValues(Attestation);
 *   GetParameterValuesResponse(attestation signed over that nonce) -> 204.
 * A server started with --no-attestation-check answers the empty POST with
 * 204 in both cases.  Client i is device i % (number of
 * certificates): certificate PREFIX-<n>.pem, all with the key --key (one
 * key for all identities is enough: the server verifies each attestation
 * with the certificate of its TLS session), and attestation certificate
 * PREFIX-<n>.attest.pem, all for the key --attest-key.  Attestations are built by
 * attest_blob.h and report TIM = RIM = 32 bytes 0x42, state trusted.
 * Prints "sessions_per_s R" over --seconds after --warmup, the completed
 * and failed sessions, and with --server-pid the CPU time the server used
 * in that window ("server_cpu_s", utime + stime); exits 1 when more than
 * 1 % of the sessions failed.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest_blob.h"
#include "cwmp_envelope.h"
#include "hnbtre.h"
#include "hnbtre_tls.h"

#define TRE "Device.X_HNBTRE_TrE."
#define TIM_BYTE 0x42

struct device {
	char cert_path[4096];
	char identity[HNBTRE_IDENTITY_MAX + 1];
	X509 *attest_cert;
};

static struct {
	const char *url, *resolve, *ca, *key_path, *attest_key_path;
	struct device *devices;
	int device_count;
	EVP_PKEY *key, *attest_key;
	int explicit_nonce;
} opt;

static atomic_long completed, failed;

struct buffer {
	char *data;
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct buffer *b = arg;
	char *data = realloc(b->data, b->len + size * n + 1);

	if (!data)
		return 0;
	memcpy(data + b->len, p, size * n);
	b->data = data;
	b->len += size * n;
	b->data[b->len] = 0;
	return size * n;
}

/* One POST of the session; the answer's status, its body in @answer. */
static long post(CURL *c, const char *body, struct buffer *answer)
{
	long code = 0;

	answer->len = 0;
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/*
 * An attestation of device @d over @nonce (32 bytes) as its TrE would make
 * it, base64: trusted, TIM = RIM = 32 bytes TIM_BYTE.  NULL without memory.
 */
static char *trusted_attestation(const struct device *d, const uint8_t *nonce)
{
	uint8_t tim[HNBTRE_DIGEST_LEN], blob[4096];

	memset(tim, TIM_BYTE, sizeof(tim));
	return hnbtre_base64_encode(blob, attest_blob_build(blob, sizeof(blob), opt.attest_key,
		d->attest_cert, &(struct attest_contents) { .state = HNBTRE_STATE_TRUSTED, .tim = tim,
					    .rim = tim, .nonce = nonce, .nonce_len = 32,
					    .identity = d->identity }));
}

/* The session attestation still to be written into the Inform. */
struct attestation_slot {
	CURL *curl;
	const struct device *device;
	char *at;		/* in the Inform body; NULL once written */
	size_t len;
};

/*
 * libcurl's CURLOPT_PREREQFUNCTION: the TLS handshake is done, the request
 * not yet sent, so the session attestation can be made and put in place.
 */
static int write_session_attestation(void *arg, char *primary_ip, char *local_ip,
				     int primary_port, int local_port)
{
	struct attestation_slot *slot = arg;
	struct curl_tlssessioninfo *tls = NULL;
	uint8_t nonce[HNBTRE_SESSION_NONCE_LEN];
	char *b64;
	int ok;

	(void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
	if (!slot->at)
		return CURL_PREREQFUNC_OK;
	if (curl_easy_getinfo(slot->curl, CURLINFO_TLS_SSL_PTR, &tls) != CURLE_OK ||
	    !tls || tls->backend != CURLSSLBACKEND_OPENSSL ||
	    hnbtre_tls_session_nonce(tls->internals, nonce))
		return CURL_PREREQFUNC_ABORT;
	b64 = trusted_attestation(slot->device, nonce);
	ok = b64 && strlen(b64) == slot->len;
	if (ok)
		memcpy(slot->at, b64, slot->len);
	free(b64);
	slot->at = NULL;
	return ok ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/* The AttestationNonce of a SetParameterValues; 0 on success. */
static int nonce_of(const struct buffer *spv, uint8_t nonce[32])
{
	const char *p = spv->data ? strstr(spv->data, TRE "AttestationNonce</Name>") : NULL;
	int i;

	p = p ? strstr(p, "<Value") : NULL;
	p = p ? strchr(p, '>') : NULL;
	if (!p)
		return -1;
	for (i = 0; i < 32; i++)
		if (sscanf(p + 1 + 2 * i, "%2hhx", &nonce[i]) != 1)
			return -1;
	return 0;
}

static int session(const struct device *d)
{
	struct curl_slist *resolve = curl_slist_append(NULL, opt.resolve);
	struct curl_slist *headers = curl_slist_append(NULL,
						       "Content-Type: text/xml; charset=\"utf-8\"");
	uint8_t nonce[32];
	struct buffer answer = { 0 };
	char *body = NULL, *b64 = NULL, *placeholder = NULL, *value;
	CURL *c = curl_easy_init();
	struct attestation_slot slot = { c, d, NULL, 0 };
	int ok = 0;
	long code;

	if (!c || !resolve || !headers ||
	    curl_easy_setopt(c, CURLOPT_URL, opt.url) ||
	    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) ||
	    curl_easy_setopt(c, CURLOPT_CAINFO, opt.ca) ||
	    curl_easy_setopt(c, CURLOPT_SSLCERT, d->cert_path) ||
	    curl_easy_setopt(c, CURLOPT_SSLKEY, opt.key_path) ||
	    curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L) ||
	    curl_easy_setopt(c, CURLOPT_COOKIEFILE, "") ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L) ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) ||
	    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, write_session_attestation) ||
	    curl_easy_setopt(c, CURLOPT_PREREQDATA, &slot))
		goto out;
	/* the session attestation's place, filled once the handshake is done */
	if (!opt.explicit_nonce) {
		slot.len = hnbtre_base64_len(hnbtre_attestation_len(HNBTRE_SESSION_NONCE_LEN,
								     strlen(d->identity),
								     i2d_X509(d->attest_cert, NULL),
								     EVP_PKEY_get_size(opt.attest_key)));
		placeholder = malloc(slot.len + 1);
		if (!placeholder)
			goto out;
		memset(placeholder, '*', slot.len);
		placeholder[slot.len] = 0;
	}
	if (asprintf(&body, ENV_HEAD_ID("inform") "<cwmp:Inform><DeviceId><Manufacturer>hnbtre"
		     "</Manufacturer><OUI>0005B9</OUI><ProductClass>HeNB</ProductClass>"
		     "<SerialNumber>%s</SerialNumber></DeviceId><Event soap-enc:arrayType="
		     "\"cwmp:EventStruct[1]\"><EventStruct><EventCode>2 PERIODIC</EventCode>"
		     "<CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1"
		     "</MaxEnvelopes><CurrentTime>2026-12-02T01:00:00Z</CurrentTime>"
		     "<RetryCount>0</RetryCount><ParameterList soap-enc:arrayType="
		     "\"cwmp:ParameterValueStruct[%d]\">"
		     VALUE(TRE "State", "string", "trusted") "%s%s%s</ParameterList></cwmp:Inform>"
		     ENV_TAIL, d->identity, placeholder ? 2 : 1,
		     placeholder ? "<ParameterValueStruct><Name>" TRE "SessionAttestation</Name>"
		     "<Value xsi:type=\"xsd:base64Binary\">" : "", placeholder ? placeholder : "",
		     placeholder ? "</Value></ParameterValueStruct>" : "") < 0) {
		body = NULL;
		goto out;
	}
	if (placeholder) {
		value = strstr(body, "SessionAttestation</Name>");
		slot.at = value ? strchr(value, '*') : NULL;
		if (!slot.at)
			goto out;
	}
	if (post(c, body, &answer) != 200 || slot.at)
		goto out;
	code = post(c, "", &answer);
	if (code == 204) {	/* --no-attestation-check */
		ok = 1;
		goto out;
	}
	if (code != 200 || nonce_of(&answer, nonce) ||
	    post(c, ENV_HEAD_ID("nonce") "<cwmp:SetParameterValuesResponse><Status>0</Status>"
		 "</cwmp:SetParameterValuesResponse>" ENV_TAIL, &answer) != 200)
		goto out;
	b64 = trusted_attestation(d, nonce);
	free(body);
	if (!b64 || asprintf(&body, ENV_HEAD_ID("attestation")
			     "<cwmp:GetParameterValuesResponse><ParameterList "
			     "soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
			     VALUE(TRE "Attestation", "base64Binary", "%s")
			     "</ParameterList></cwmp:GetParameterValuesResponse>" ENV_TAIL,
			     b64) < 0) {
		body = NULL;
		goto out;
	}
	ok = post(c, body, &answer) == 204;
out:
	free(placeholder);
	free(b64);
	free(body);
	free(answer.data);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	return ok;
}

static void *client(void *arg)
{
	const struct device *d = &opt.devices[(long)arg % opt.device_count];

	for (;;) {
		if (session(d))
			atomic_fetch_add(&completed, 1);
		else
			atomic_fetch_add(&failed, 1);
	}
	return NULL;
}

/* PREFIX-0.pem, PREFIX-1.pem, ... as far as they exist; their CNs. */
static int load_devices(const char *prefix)
{
	for (;;) {
		char path[sizeof(((struct device *)0)->cert_path) + 16];
		struct device d;
		FILE *f;
		X509 *x;

		snprintf(d.cert_path, sizeof(d.cert_path), "%s-%d.pem", prefix, opt.device_count);
		f = fopen(d.cert_path, "r");
		if (!f)
			return opt.device_count ? 0 : -1;
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		if (!x || X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
						    d.identity, sizeof(d.identity)) <= 0) {
			X509_free(x);
			return -1;
		}
		X509_free(x);
		snprintf(path, sizeof(path), "%s-%d.attest.pem", prefix, opt.device_count);
		f = fopen(path, "r");
		d.attest_cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		if (!d.attest_cert)
			return -1;
		opt.devices = realloc(opt.devices, (opt.device_count + 1) * sizeof(d));
		if (!opt.devices)
			return -1;
		opt.devices[opt.device_count++] = d;
	}
}

/* utime + stime of process @pid in seconds, -1 if unknown. */
static double cpu_seconds(long pid)
{
	unsigned long long utime, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* fields 14 and 15, after the command name in parentheses */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static void usage(void)
{
	fprintf(stderr, "usage: hems_load --port N --ca ROOTS --certs PREFIX --key KEY --attest-key KEY\n"
		"                 [--clients 200] [--warmup 5] [--seconds 20] [--server-pid PID]\n"
		"                 [--explicit-nonce]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'C' },
		{ "certs", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "attest-key", required_argument, NULL, 'a' },
		{ "clients", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 's' },
		{ "server-pid", required_argument, NULL, 'P' },
		{ "explicit-nonce", no_argument, &opt.explicit_nonce, 1 },
		{ 0 }
	};
	int port = 0, clients = 200, warmup = 5, seconds = 20, o;
	const char *certs = NULL;
	long start, done, fails, server_pid = 0;
	double cpu;
	char url[64], resolve[96];
	pthread_attr_t attr;
	FILE *f;

	while ((o = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (o) {
		case 'p': port = atoi(optarg); break;
		case 'C': opt.ca = optarg; break;
		case 'c': certs = optarg; break;
		case 'k': opt.key_path = optarg; break;
		case 'a': opt.attest_key_path = optarg; break;
		case 'n': clients = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'P': server_pid = atol(optarg); break;
		case 0: break;
		default: usage();
		}
	}
	if (port <= 0 || port > 65535 || !opt.ca || !certs || !opt.key_path ||
	    !opt.attest_key_path ||
	    clients <= 0 || warmup < 0 || seconds <= 0 || optind != argc)
		usage();
	f = fopen(opt.key_path, "r");
	opt.key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(opt.attest_key_path, "r");
	opt.attest_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!opt.key || !opt.attest_key || load_devices(certs)) {
		fprintf(stderr, "hems_load: cannot read the keys %s, %s or %s-0.pem, %s-0.attest.pem\n",
			opt.key_path, opt.attest_key_path, certs, certs);
		return 1;
	}
	snprintf(url, sizeof(url), "https://hems.hnbtre.test:%d/", port);
	snprintf(resolve, sizeof(resolve), "hems.hnbtre.test:%d:127.0.0.1", port);
	opt.url = url;
	opt.resolve = resolve;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (long i = 0; i < clients; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, client, (void *)i)) {
			fprintf(stderr, "hems_load: cannot start client %ld\n", i);
			return 1;
		}
	}
	sleep(warmup);
	start = atomic_load(&completed);
	fails = atomic_load(&failed);
	cpu = cpu_seconds(server_pid);
	sleep(seconds);
	done = atomic_load(&completed) - start;
	fails = atomic_load(&failed) - fails;
	cpu = cpu < 0 ? -1 : cpu_seconds(server_pid) - cpu;
	printf("clients %d devices %d seconds %d completed %ld failed %ld server_cpu_s %.2f "
	       "sessions_per_s %.1f\n", clients, opt.device_count, seconds, done, fails,
	       server_pid ? cpu : -1, (double)done / seconds);
	fflush(stdout);
	/* the clients stop with the process, in the middle of their sessions */
	_exit(!done || fails * 100 > done + fails);
}
