#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Without CAP_SYS_ADMIN nothing can be changed; the state stays readable.
. "$(dirname "$0")/lib.sh"
tap_init 8

check "module loads" fresh_module
make_components "$WORK/img" 2
signed_manifest "$WORK/m" 1 "$WORK"/img/*
chmod -R a+rX "$WORK"
check "a manifest loads as root" "$HNBTRE" manifest load "$WORK/m"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"; }
# Root without CAP_SYS_ADMIN: the capability is what counts, not the uid.
as_root_without_admin() {
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$@"
}
check "nobody cannot write validate" fails as_nobody sh -c "echo 1 > $SFS/validate"
check "nobody cannot open manifest for writing" \
	fails as_nobody sh -c "cat $WORK/m > $SFS/manifest"
check "root without CAP_SYS_ADMIN: validate EPERM" \
	as_root_without_admin bash -c "[ \"\$(echo 1 | '$WRITE' $SFS/validate)\" = EPERM ]"
check "root without CAP_SYS_ADMIN: manifest EPERM" \
	as_root_without_admin bash -c "[ \"\$('$WRITE' $SFS/manifest < '$WORK/m')\" = EPERM ]"
check "nobody can read state, tim and components" \
	as_nobody sh -c "cat $SFS/state $SFS/tim $SFS/components > /dev/null"
check "nobody cannot add keys to the roots" \
	fails as_nobody keyctl padd asymmetric "" %:.hnbtre_roots < "$PKI/ima.der"
rm -rf "$WORK"
tap_done
