/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_listener.h"
#include "hnbtre_gateway.h"

#include <string.h>

#include <daemon.h>
#include <collections/hashtable.h>
#include <encoding/payloads/notify_payload.h>
#include <threading/mutex.h>

#include "hnbtre.h"

typedef struct private_hnbtre_listener_t private_hnbtre_listener_t;

/**
 * Private data of the listener
 */
struct private_hnbtre_listener_t {

	/**
	 * Public interface
	 */
	hnbtre_listener_t public;

	/**
	 * sa_entry_t by IKE_SA unique ID
	 */
	hashtable_t *sas;

	/**
	 * Protects sas
	 */
	mutex_t *mutex;
};

/**
 * What the plugin keeps per IKE_SA between IKE_SA_INIT and authorization
 */
typedef struct {
	/** SHA-256(Ni | Nr | SPIi | SPIr) */
	uint8_t binding[HASH_SIZE_SHA256];
	/** device: the Notify has been added */
	bool attached;
	/** gateway: the Notify data received (copied) */
	chunk_t attestation;
	/** gateway: why the received Notifies are unusable, NULL if they are */
	char *problem;
} sa_entry_t;

static void sa_entry_destroy(sa_entry_t *entry)
{
	chunk_free(&entry->attestation);
	free(entry);
}

/**
 * Key of an IKE_SA in the table
 */
static void *sa_key(ike_sa_t *ike_sa)
{
	return (void*)(uintptr_t)ike_sa->get_unique_id(ike_sa);
}

METHOD(listener_t, ike_keys, bool,
	private_hnbtre_listener_t *this, ike_sa_t *ike_sa, key_exchange_t *dh,
	chunk_t dh_other, chunk_t nonce_i, chunk_t nonce_r, ike_sa_t *rekey,
	shared_key_t *shared, auth_method_t method)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);
	uint64_t spi_i, spi_r;
	sa_entry_t *entry;
	hasher_t *hasher;
	bool ok;

	if (rekey || ike_sa->get_version(ike_sa) != IKEV2)
	{	/* no IKE_AUTH follows */
		return TRUE;
	}
	/* the SPIs are kept in network order, as in the IKE header */
	spi_i = id->get_initiator_spi(id);
	spi_r = id->get_responder_spi(id);
	INIT(entry);
	hasher = lib->crypto->create_hasher(lib->crypto, HASH_SHA256);
	ok = hasher &&
		 hasher->get_hash(hasher, nonce_i, NULL) &&
		 hasher->get_hash(hasher, nonce_r, NULL) &&
		 hasher->get_hash(hasher, chunk_from_thing(spi_i), NULL) &&
		 hasher->get_hash(hasher, chunk_from_thing(spi_r), entry->binding);
	DESTROY_IF(hasher);
	if (!ok)
	{
		DBG1(DBG_IKE, "hnbtre: no SHA-256 for the attestation binding");
		free(entry);
		return TRUE;
	}
	this->mutex->lock(this->mutex);
	entry = this->sas->put(this->sas, sa_key(ike_sa), entry);
	this->mutex->unlock(this->mutex);
	if (entry)
	{
		sa_entry_destroy(entry);
	}
	return TRUE;
}

/**
 * Whether this device connection attests
 */
static bool attests(ike_sa_t *ike_sa)
{
	peer_cfg_t *peer_cfg = ike_sa->get_peer_cfg(ike_sa);

	return peer_cfg && lib->settings->get_bool(lib->settings,
				"%s.plugins.hnbtre.connections.%s.attest",
				lib->settings->get_bool(lib->settings,
					"%s.plugins.hnbtre.attest", FALSE, lib->ns),
				lib->ns, peer_cfg->get_name(peer_cfg));
}

/**
 * Device role: add the attestation to the first IKE_AUTH request
 */
static void attach(private_hnbtre_listener_t *this, ike_sa_t *ike_sa,
				   message_t *message)
{
	uint8_t binding[HASH_SIZE_SHA256], *blob;
	sa_entry_t *entry;
	size_t len;
	int err;

	this->mutex->lock(this->mutex);
	entry = this->sas->get(this->sas, sa_key(ike_sa));
	if (!entry || entry->attached)
	{
		this->mutex->unlock(this->mutex);
		return;
	}
	entry->attached = TRUE;
	memcpy(binding, entry->binding, sizeof(binding));
	this->mutex->unlock(this->mutex);

	/* the TrE attests in every state; the gateway judges */
	err = hnbtre_attest(binding, sizeof(binding), &blob, &len);
	if (err)
	{
		DBG1(DBG_IKE, "hnbtre: no attestation from the TrE: %s",
			 strerror(-err));
		return;
	}
	message->add_notify(message, FALSE, HNBTRE_NOTIFY_ATTESTATION,
						chunk_create(blob, len));
	free(blob);
	DBG2(DBG_IKE, "hnbtre: attestation of %zu bytes added", len);
}

/**
 * Gateway role: keep the attestation of an IKE_AUTH request
 */
static void collect(private_hnbtre_listener_t *this, ike_sa_t *ike_sa,
					message_t *message)
{
	enumerator_t *enumerator;
	notify_payload_t *notify;
	payload_t *payload;
	sa_entry_t *entry;
	chunk_t data;

	this->mutex->lock(this->mutex);
	entry = this->sas->get(this->sas, sa_key(ike_sa));
	enumerator = message->create_payload_enumerator(message);
	while (entry && enumerator->enumerate(enumerator, &payload))
	{
		if (payload->get_type(payload) != PLV2_NOTIFY)
		{
			continue;
		}
		notify = (notify_payload_t*)payload;
		if (notify->get_notify_type(notify) != HNBTRE_NOTIFY_ATTESTATION)
		{
			continue;
		}
		data = notify->get_notification_data(notify);
		if (entry->attestation.len || entry->problem)
		{
			entry->problem = "more than one attestation Notify";
		}
		else if (data.len > HNBTRE_ATTESTATION_MAX)
		{
			entry->problem = "oversized attestation Notify";
		}
		else if (!data.len)
		{
			entry->problem = "empty attestation Notify";
		}
		else
		{
			entry->attestation = chunk_clone(data);
		}
	}
	enumerator->destroy(enumerator);
	this->mutex->unlock(this->mutex);
}

METHOD(listener_t, message_hook, bool,
	private_hnbtre_listener_t *this, ike_sa_t *ike_sa, message_t *message,
	bool incoming, bool plain)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);

	if (!plain || message->get_exchange_type(message) != IKE_AUTH ||
		!message->get_request(message))
	{
		return TRUE;
	}
	if (!incoming && id->is_initiator(id) && attests(ike_sa))
	{
		attach(this, ike_sa, message);
	}
	else if (incoming && !id->is_initiator(id))
	{
		collect(this, ike_sa, message);
	}
	return TRUE;
}

METHOD(listener_t, authorize, bool,
	private_hnbtre_listener_t *this, ike_sa_t *ike_sa, bool final,
	bool *success)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);
	hnbtre_policy_t policy;
	chunk_t attestation = chunk_empty, binding = chunk_empty;
	char *problem = "no SA binding (IKE_SA_INIT keys not seen)";
	sa_entry_t *entry;

	if (!final || id->is_initiator(id) || !*success)
	{
		return TRUE;
	}
	policy = hnbtre_gateway_policy(ike_sa);
	if (policy == HNBTRE_POLICY_OFF)
	{
		return TRUE;
	}
	this->mutex->lock(this->mutex);
	entry = this->sas->get(this->sas, sa_key(ike_sa));
	if (entry)
	{
		problem = entry->problem;
		binding = chunk_clone(chunk_from_thing(entry->binding));
		attestation = chunk_clone(entry->attestation);
	}
	this->mutex->unlock(this->mutex);

	if (!hnbtre_gateway_decide(ike_sa, attestation, binding, problem, policy))
	{
		*success = FALSE;
	}
	chunk_free(&attestation);
	chunk_free(&binding);
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool,
	private_hnbtre_listener_t *this, ike_sa_t *ike_sa, ike_sa_state_t state)
{
	sa_entry_t *entry;

	if (state == IKE_DESTROYING)
	{
		this->mutex->lock(this->mutex);
		entry = this->sas->remove(this->sas, sa_key(ike_sa));
		this->mutex->unlock(this->mutex);
		if (entry)
		{
			sa_entry_destroy(entry);
		}
	}
	return TRUE;
}

METHOD(hnbtre_listener_t, destroy, void,
	private_hnbtre_listener_t *this)
{
	this->sas->destroy_function(this->sas, (void*)sa_entry_destroy);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
hnbtre_listener_t *hnbtre_listener_create()
{
	private_hnbtre_listener_t *this;

	INIT(this,
		.public = {
			.listener = {
				.ike_keys = _ike_keys,
				.message = _message_hook,
				.authorize = _authorize,
				.ike_state_change = _ike_state_change,
			},
			.destroy = _destroy,
		},
		.sas = hashtable_create(hashtable_hash_ptr, hashtable_equals_ptr, 8),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
