#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Without CAP_SYS_ADMIN nothing can be changed; the state stays readable.
. "$(dirname "$0")/lib.sh"
tap_init 12

check "module loads" fresh_module
make_components "$WORK/img" 2
signed_manifest "$WORK/m" 1 "$WORK"/img/*
chmod -R a+rX "$WORK"
check "a manifest loads as root" "$HNBTRE" manifest load "$WORK/m"
before=$(cat $SFS/state $SFS/tim $SFS/manifest)
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"; }
# Root without CAP_SYS_ADMIN: the capability is what counts, not the uid.
as_root_without_admin() {
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$@"
}
# The files are root's and mode 0200/0600: other users fail at open().
check "nobody cannot open validate: EACCES" \
	as_nobody bash -c "[ \"\$(echo 1 | '$WRITE' $SFS/validate)\" = EACCES ]"
check "nobody cannot open manifest: EACCES" \
	as_nobody bash -c "[ \"\$('$WRITE' $SFS/manifest < '$WORK/m')\" = EACCES ]"
check "root without CAP_SYS_ADMIN: validate EPERM" \
	as_root_without_admin bash -c "[ \"\$(echo 1 | '$WRITE' $SFS/validate)\" = EPERM ]"
check "root without CAP_SYS_ADMIN: manifest EPERM" \
	as_root_without_admin bash -c "[ \"\$('$WRITE' $SFS/manifest < '$WORK/m')\" = EPERM ]"
# write() checks again: a descriptor opened with the capability is no use
# to a process without it.
write_on_inherited_fd() {
	local out
	out=$(LC_ALL=C as_root_without_admin bash -c "cat '$2' >&9" 2>&1 9> "$1")
	echo "$out" | grep -q 'Operation not permitted' || { echo "$out"; return 1; }
}
echo 1 > "$WORK/one"
check "validate opened by root, written without CAP_SYS_ADMIN: EPERM" \
	write_on_inherited_fd $SFS/validate "$WORK/one"
check "manifest opened by root, written without CAP_SYS_ADMIN: EPERM" \
	write_on_inherited_fd $SFS/manifest "$WORK/m"
check "nobody can read state, tim and components" \
	as_nobody sh -c "cat $SFS/state $SFS/tim $SFS/components > /dev/null"
check "nobody cannot admit certificates" \
	fails as_nobody sh -c "cat '$PKI/operator-ca.der' > $SFS/roots"
check "state, TIM and manifest unchanged" \
	test "$(cat $SFS/state $SFS/tim $SFS/manifest)" = "$before"
rm -rf "$WORK"
tap_done
