#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The SeGW's reference store shared with the H(e)MS (issue 19 sections 1
# and 3; Documentation/strongswan.md, "Reference store shared with the
# H(e)MS"): the plugin's reference_db is the H(e)MS's SQLite store, so a
# RIM the H(e)MS renewed after an update, or the expected RIM of a package
# it sent, is what the SeGW checks, and a device the H(e)MS marked for
# maintenance is refused at IKE_AUTH.  The files of rim_dir, which nothing
# renews, refuse the updated device: shown first.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_init 8

HEMS=$TOP/build/bin/hnbtre-hems
IDENTITY=$(cat "$PKI/identity")
OLD=sha256:$(printf '%064d' 7)
store() { sqlite3 "$WORK/hems.db" "$@"; }

# The device was updated: its TrE now reports TIM; the SeGW's rim_dir and
# the H(e)MS still hold the RIM from before, OLD.
setup() {
	make_trusted && load_device_key > /dev/null &&
	mkdir -p "$WORK/rims" && echo "$OLD" > "$WORK/rims/$IDENTITY" &&
	"$HEMS" --db "$WORK/hems.db" devices > /dev/null &&
	store "INSERT INTO devices (identity, cert, rim) VALUES ('$IDENTITY', x'', '$OLD')" &&
	dev_with_plugin
}
check "an updated device; the SeGW's rim_dir and the H(e)MS hold the RIM from before" setup

# renewed: what store_rim_renewed() leaves once the H(e)MS verified the update
renewed() {
	store "UPDATE devices SET rim = '$(tim)', expected_rim = NULL, expected_state = NULL,
	       status = 'ok' WHERE identity = '$IDENTITY'"
}
rim_dir_stale() {
	renewed && segw_with_plugin && refused &&
	segw_logged "$(verdict rejected 'TIM differs from the expected RIM' require reject)"
}
check "H(e)MS renewed the RIM; rim_dir was not: the updated device is refused" rim_dir_stale
shared_renewed() {
	segw_with_plugin "reference_db = $WORK/hems.db" && attaches &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "reference_db, the H(e)MS's store: the renewed RIM admits the device" shared_renewed
shared_old() {
	store "UPDATE devices SET rim = '$OLD' WHERE identity = '$IDENTITY'" && refused &&
	segw_logged "$(verdict rejected 'TIM differs from the expected RIM' require reject)"
}
check "reference_db holding the old RIM: refused (read at each IKE_AUTH)" shared_old
expected_sent() {
	store "UPDATE devices SET expected_rim = '$(tim)', expected_state = 'sent'
	       WHERE identity = '$IDENTITY'" && attaches &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "the expected RIM of a package the H(e)MS sent admits the device before it is verified" \
	expected_sent
maintenance() {
	renewed && store "UPDATE devices SET status = 'maintenance' WHERE identity = '$IDENTITY'" &&
	refused &&
	segw_logged "$(verdict rejected 'device marked for maintenance at the H(e)MS' require reject)"
}
check "a device the H(e)MS marked for maintenance is refused at IKE_AUTH" maintenance
unknown() {
	store "DELETE FROM devices" && refused &&
	segw_logged "$(verdict rejected 'no device with this identity in the reference store' require reject)"
}
check "a device the H(e)MS does not know is refused" unknown
unreadable() {
	segw_with_plugin "reference_db = $WORK/none.db" && refused &&
	segw_logged "$(verdict rejected 'reference store unreadable' require reject)"
}
check "an unreadable reference store refuses (fails closed)" unreadable
tap_done
