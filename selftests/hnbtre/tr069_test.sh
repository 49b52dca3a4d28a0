#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# TR-069 over mutual TLS (the bench is tr069_lib.sh).  Each point of the
# TS 33.320 8.3.4 profile is one result (Documentation/tr069.md).
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 16
tr069_setup || exit 1

# 1. A session with a trusted TrE: BOOTSTRAP Inform recorded under the
# certificate's identity, with state and TIM, and a fresh attestation
# verified by the H(e)MS (signature, nonce, identity, TIM = RIM): the
# session attestation of the Inform, over the connection's TLS exporter,
# so the H(e)MS asks for no other (no SetParameterValues).  The device's
# first RIM is the operator's release it runs (factory_release), not its
# own word.
first_session() {
	hems_start && cwmpd $URL && cwmpd_said "Inform delivered" &&
	grep -q "first attestation of $IDENTITY: RIM $(cat $SFS/rim) is release $WORK/factory.pkg" \
		"$WORK/hems.log" && ! grep -qi "trust on first use" "$WORK/hems.log" &&
	grep -q "TLS session from $IDENTITY (TLSv1.3)" "$WORK/hems.log" &&
	grep -q "attestation of $IDENTITY (Inform): valid" "$WORK/hems.log" &&
	! grep -q "request SetParameterValues" "$WORK/cwmpd.out" &&
	[ "$(informs '0 BOOTSTRAP')" = 1 ] &&
	[ "$(sqlite3 "$WORK/hems.db" "SELECT identity || ' ' || state || ' ' || last_tim FROM devices")" = \
	  "$IDENTITY trusted $(cat $SFS/tim)" ] &&
	[ "$(last_verdict)" = valid ] &&
	[ "$(sqlite3 "$WORK/hems.db" "SELECT rim FROM devices")" = "$(cat $SFS/rim)" ] ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; return 1; }
}
check "Inform over mutual TLS with the TrE key, attestation valid at the H(e)MS" first_session

# 2. The second session is no BOOTSTRAP, and the CLI shows the device.
second_session() {
	cwmpd $URL && [ "$(informs '0 BOOTSTRAP')" = 1 ] &&
	"$HEMS" --db "$WORK/hems.db" devices | grep -q "identity=$IDENTITY status=ok state=trusted" &&
	"$HEMS" --db "$WORK/hems.db" --json show "$IDENTITY" | grep -q '"verdict": "valid"' ||
	{ cat "$WORK/cwmpd.out"; "$HEMS" --db "$WORK/hems.db" --json show "$IDENTITY"; return 1; }
}
check "second session: no BOOTSTRAP; hems devices / show --json" second_session

# 3. The ACS URL by IP address: the certificate's IP SAN matches.
check "ACS addressed by IP: subjectAltName IP matches" cwmpd https://$HEMS_ADDR:7547/

# 4. http:// is refused before any connection.
http_refused() {
	local before
	before=$(informs '1 BOOT')
	! cwmpd http://hems.hnbtre.test:7547/ && cwmpd_said "https only" &&
	[ "$(informs '1 BOOT')" = "$before" ]
}
check "http:// ACS URL refused before connecting" http_refused

# 5. The ACS certificate names another host: no session.
san_mismatch() {
	: > "$WORK/hems.log"
	hems_start --cert "$PKI/hems-badsan.pem" --key "$PKI/hems-badsan.key" &&
	! cwmpd $URL && cwmpd_said "subject name" && ! grep -q "Inform from" "$WORK/hems.log"
}
check "ACS certificate for another name refused (VERIFYHOST)" san_mismatch

# 6. An ACS that asks for Digest authentication gets no credentials.
digest_refused() {
	: > "$WORK/hems.log"
	hems_start --demand-auth 'Digest realm="acs", nonce="abc", qop="auth"' &&
	! cwmpd $URL && cwmpd_said "asked for HTTP authentication" &&
	! grep -q "Authorization header" "$WORK/hems.log"
}
check "ACS demanding Digest auth: refused, no Authorization sent" digest_refused

# 7, 8. Weak servers: TLS 1.0 only, and TLS 1.2 with a static-RSA CBC suite.
check "TLS 1.0 server refused" \
	eval 's_server_start -tls1 -cipher "DEFAULT:@SECLEVEL=0" && ! cwmpd $URL'
check "TLS 1.2 server with only AES128-SHA (no forward secrecy) refused" \
	eval 's_server_start -tls1_2 -cipher AES128-SHA && ! cwmpd $URL'

# 9, 10. Client authentication with the TrE key as openssl s_server sees
# it: TLS 1.2 with PKCS#1 v1.5 (signed by the TrE), TLS 1.3 with RSA-PSS
# (encoded here, raw RSA in the TrE).  s_server is stopped after the
# handshake; the session then fails, which is expected.
tls_client_auth() {
	local version=$1 sigalg=$2 want=$3 pid i
	hems_stop
	: > "$WORK/s_server.log"
	sleep 30 | ip netns exec hnb-hems openssl s_server -accept $HEMS_ADDR:7547 \
		-cert "$PKI/hems.pem" -key "$PKI/hems.key" -Verify 2 -CAfile "$PKI/root.pem" \
		"$version" -client_sigalgs "$sigalg" >> "$WORK/s_server.log" 2>&1 &
	echo $! > "$WORK/server.pid"
	wait_port || return 1
	cwmpd $URL &
	pid=$!
	for i in $(seq 100); do
		grep -q "CIPHER is" "$WORK/s_server.log" && break
		sleep 0.1
	done
	hems_stop
	wait $pid
	grep -q "CN = $IDENTITY" "$WORK/s_server.log" &&
	grep -q "^Peer signature type: $want\$" "$WORK/s_server.log" &&
	grep -q "CIPHER is" "$WORK/s_server.log" || { cat "$WORK/s_server.log"; return 1; }
}
check "TLS 1.2 client authentication, PKCS#1 v1.5 by the TrE" \
	tls_client_auth -tls1_2 rsa_pkcs1_sha256 RSA
check "TLS 1.3 client authentication, RSA-PSS (raw RSA in the TrE)" \
	tls_client_auth -tls1_3 rsa_pss_rsae_sha256 RSA-PSS

# 11. Tampered TrE: the gate is closed, no TLS session, nothing at the
# H(e)MS.
gate_closed() {
	local before
	: > "$WORK/hems.log"
	hems_start && tamper && [ "$(state)" = tampered ] &&
	before=$(sqlite3 "$WORK/hems.db" "SELECT count(*) FROM events") &&
	! cwmpd $URL && cwmpd_said "not trusted" &&
	[ "$(sqlite3 "$WORK/hems.db" "SELECT count(*) FROM events")" = "$before" ] &&
	! grep -q "Inform from" "$WORK/hems.log"
}
check "TrE tampered: gate closed, no TLS session" gate_closed

# 12. Repaired and validated: sessions work again; the H(e)MS sees the
# tampered state never, the trusted one again.
check "repaired: session again" eval 'repair && [ "$(state)" = trusted ] && cwmpd $URL'

# 13. TR 33.820 Annex A with a package signed by a CA the TrE does not trust: the
# update is sent only after a valid attestation, the device downloads it
# over the same profile, refuses it (TransferComplete 9019) and installs
# nothing; the H(e)MS records the failure.
bad_update() {
	local live=$WORK/root/current
	mkdir -p "$WORK/pkg/bin" "$WORK/root" && echo app > "$WORK/pkg/bin/app" &&
	"$HNBTRE" manifest build --version 50 --root "$WORK/pkg" --prefix "$live" \
		"$WORK/pkg/bin/app" -o "$WORK/pkg.manifest" &&
	"$HNBTRE" manifest sign --key "$PKI/evil-signer.key" --cert "$PKI/evil-signer.pem" \
		"$WORK/pkg.manifest" "$WORK/pkg.manifest.signed" &&
	"$HNBTRE" pkg build --dir "$WORK/pkg" --prefix "$live" \
		--manifest "$WORK/pkg.manifest.signed" --version 50 -o "$WORK/evil.unsigned" &&
	"$HNBTRE" pkg sign --cert "$PKI/evil-pkg-signer.pem" --key "$PKI/evil-pkg-signer.key" \
		-o "$WORK/evil.pkg" "$WORK/evil.unsigned" &&
	hems_start && "$HEMS" --db "$WORK/hems.db" update "$IDENTITY" "$WORK/evil.pkg" &&
	cwmpd $URL && cwmpd_said "TransferComplete delivered" &&
	[ "$(sqlite3 "$WORK/hems.db" "SELECT state || ' ' || fault FROM updates")" = "failed 9019" ] &&
	[ ! -e "$live" ] &&
	[ "$(sqlite3 "$WORK/hems.db" "SELECT count(*) FROM events WHERE code = 'M Download'")" = 1 ] &&
	jq -e '.transfers == [] and ([.events[].code] | index("M Download") == null)' \
		"$WORK/cwmpd/state.json" > /dev/null ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; sqlite3 "$WORK/hems.db" "SELECT * FROM updates"; return 1; }
}
check "update signed by an untrusted CA: TransferComplete 9019, nothing installed" bad_update

# 14. Active notification: the agent runs; a new manifest changes the TIM
# (state stays trusted), and within seconds an Inform with 4 VALUE CHANGE
# carries the new TIM to the H(e)MS.
value_change() {
	local i new_tim runner before
	before=$(informs '4 VALUE CHANGE')
	cwmpd_run $URL --poll 1 &
	runner=$!
	for i in $(seq 100); do
		grep -q "Inform delivered" "$WORK/cwmpd.out" 2>/dev/null && break
		sleep 0.1
	done
	echo "component 3" > "$WORK/c/c3" && sign_component "$WORK/c/c3" &&
	signed_manifest "$WORK/m2" 2 "$WORK"/c/c* && cat "$WORK/m2" > $SFS/manifest &&
	[ "$(state)" = trusted ] && new_tim=$(cat $SFS/tim)
	for i in $(seq 150); do
		[ "$(informs '4 VALUE CHANGE')" = $((before + 1)) ] && break
		sleep 0.1
	done
	kill "$(cat "$WORK/cwmpd.pid")"
	wait $runner
	# the new TIM is not the stored RIM: the H(e)MS refuses the session
	# (with the reason), so the agent may report the change again
	[ "$(informs '4 VALUE CHANGE')" -gt $before ] &&
	cwmpd_said "the ACS refused (HTTP 403, fault 8001): attestation (Inform): TIM differs" &&
	[ "$(sqlite3 "$WORK/hems.db" "SELECT last_tim FROM devices")" = "$new_tim" ] ||
	{ cat "$WORK/cwmpd.out"; echo "new TIM $new_tim, before $before";
	  sqlite3 "$WORK/hems.db" "SELECT * FROM events" "SELECT last_tim FROM devices"; return 1; }
}
check "TIM change: active notification, Inform with 4 VALUE CHANGE and the new TIM" value_change

# 15. Issue 19: a device whose first attestation is no release of the
# operator (the H(e)MS forgot its RIM; it runs a manifest no release
# has) is not trusted on its word: refused, with the reason in the
# device's log and the H(e)MS's audit trail, no RIM stored, marked.
not_a_release() {
	hems_cli reset "$IDENTITY" > /dev/null 2>&1 && : > "$WORK/hems.log" && hems_start &&
	! cwmpd $URL &&
	cwmpd_said "the ACS refused (HTTP 403, fault 8001): attestation (Inform): TIM is not the RIM of a release of the operator" &&
	grep -q "first attestation of $IDENTITY: TIM $(cat $SFS/tim) is no release's platform RIM" \
		"$WORK/hems.log" &&
	[ "$(db "SELECT coalesce(rim, '-') || ' ' || status FROM devices")" = "- maintenance" ] &&
	hems_cli audit | grep -q "hnbtre-hems.*$IDENTITY.*refused.*TIM is not the RIM of a release" ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; hems_cli audit; return 1; }
}
check "first attestation not a registered release: refused with the reason, audited, no RIM" \
	not_a_release

# 16. Trust on first use only when the operator says so, and logged: at
# start and for each device it accepts.
tofu_logged() {
	: > "$WORK/hems.log" &&
	hems_start --trust-on-first-use && cwmpd $URL &&
	grep -q "TRUST ON FIRST USE (--trust-on-first-use)" "$WORK/hems.log" &&
	grep -q "trust on first use: RIM $(cat $SFS/tim) of $IDENTITY accepted" "$WORK/hems.log" &&
	[ "$(db "SELECT rim FROM devices")" = "$(cat $SFS/tim)" ] ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; return 1; }
}
check "--trust-on-first-use: the device's own RIM taken, logged at start and for the device" \
	tofu_logged
tap_done
