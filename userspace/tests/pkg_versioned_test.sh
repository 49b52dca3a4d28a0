#!/bin/bash
# The versioned commands of TR-069 Annex E on the host (installer
# without the TrE): Extract, Add, Remove and Move Versioned File on the
# A/B slots, and each malformed or conflicting versioned command refused
# before anything is written (Documentation/package.md).  Needs $HNBTRE
# and $PKI.
. "$(dirname "$0")/tap.sh"
tool="python3 $(dirname "$0")/pkgtool.py"
R=$tmp/root
live=$R/current

tap_plan 17

sign() { "$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$1" "$1.unsigned"; }
# raw OUT VERSION MANIFEST-DIR MANIFEST-VERSION COMMANDS...: a signed package
raw() {
	local out=$1 version=$2 dir=$3 mversion=$4
	shift 4
	image_manifest "$dir" "$live" "$mversion" "$out.m" &&
	$tool raw "$out.unsigned" version="$version" manifest="$out.m" "$@" && sign "$out"
}
install_pkg() {
	"$HNBTRE" pkg install --root "$R" --roots "$PKI/root.pem" --no-tre "$1" > "$tmp/report"
}
# same_tree DIR: the current slot holds exactly DIR's files, same bytes
same_tree() {
	diff <(cd "$1" && find . -type f | LC_ALL=C sort) \
	     <(cd "$live" && find . -path ./.hnbtre -prune -o -type f -print | LC_ALL=C sort) &&
	(cd "$1" && find . -type f | while read -r f; do cmp "$f" "$live/$f" || exit 1; done)
}
installed_as() {	# installed_as PKG DIR: installed, slot = DIR, TIM as expected
	install_pkg "$1" && grep -qx tim_check=match "$tmp/report" && same_tree "$2" &&
	"$HNBTRE" pkg recover --root "$R"
}
# refused PKG REASON: fault 9018 with REASON; current and slots unchanged
refused() {
	local before
	before=$(readlink "$live"; ls -A "$R/slots")
	"$HNBTRE" pkg install --root "$R" --roots "$PKI/root.pem" --no-tre "$1" \
		> "$tmp/report" 2> "$tmp/stderr" && { echo installed; return 1; }
	cat "$tmp/stderr"
	grep -q "refused: .*$2.* fault 9018" "$tmp/stderr" &&
	[ "$(readlink "$live"; ls -A "$R/slots")" = "$before" ]
}

# Version 1: several versions of fw, cfg and mod, and names that only
# look alike (fw without extension, fw.001.bak, fwx.001, sub/fw.001).
s0=$tmp/s0
mkdir -p "$s0/lib/sub" "$s0/bin"
for f in lib/fw.001 lib/fw.002 lib/fw lib/fw.001.bak lib/fwx.001 lib/sub/fw.001 \
	 lib/cfg.009 lib/cfg.010 lib/cfg.txt lib/cfgx.001 \
	 lib/mod.010 lib/mod.002 lib/mod.abc bin/app; do
	echo "$f" > "$s0/$f"
done
image_manifest "$s0" "$live" 10 "$tmp/m0"
"$HNBTRE" pkg build --dir "$s0" --prefix "$live" --manifest "$tmp/m0" --version 1 \
	-o "$tmp/p0.unsigned" && sign "$tmp/p0"
mkdir -p "$R"
check "version 1 installed" installed_as "$tmp/p0" "$s0"

# Extract Versioned File: every fw.* in lib/ goes, fw.003 comes.
cp -a "$s0" "$tmp/s1"
rm "$tmp/s1/lib/fw.001" "$tmp/s1/lib/fw.002"
echo "fw 3" > "$tmp/s1/lib/fw.003"
raw "$tmp/xv" 2 "$tmp/s1" 11 "extractv=$live/lib/fw.003:$tmp/s1/lib/fw.003"
check "Extract Versioned File: fw.001 and fw.002 removed, fw.003 installed, look-alikes kept, TIM as expected" \
	installed_as "$tmp/xv" "$tmp/s1"

# Add Versioned File: fw.003 has the base name, so fw.004 is not written.
echo "fw 4" > "$tmp/fw.004"
cp -a "$tmp/s1" "$tmp/s2"
cp "$tmp/fw.004" "$tmp/s2/lib/fw.004"
raw "$tmp/av" 3 "$tmp/s2" 12 "addv=$live/lib/fw.004:$tmp/fw.004"
inode=$(stat -c %i "$live/lib/fw.003")
check "Add Versioned File of an existing base name: not written, fw.003 kept (same inode)" bash -c "
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/av' | grep -qx installed=1 &&
	test ! -e '$live/lib/fw.004' && test \"\$(stat -c %i '$live/lib/fw.003')\" = $inode"
cp -a "$tmp/s1" "$tmp/s3"
echo "new 1" > "$tmp/s3/lib/new.001"
raw "$tmp/an" 4 "$tmp/s3" 13 "addv=$live/lib/new.001:$tmp/s3/lib/new.001"
check "Add Versioned File of a new base name: installed" installed_as "$tmp/an" "$tmp/s3"

# Remove Versioned File: cfg.009, cfg.010 and cfg.txt go, cfgx.001 stays.
cp -a "$tmp/s3" "$tmp/s4"
rm "$tmp/s4/lib/cfg.009" "$tmp/s4/lib/cfg.010" "$tmp/s4/lib/cfg.txt"
raw "$tmp/rv" 5 "$tmp/s4" 14 "removev=$live/lib/cfg.000"
check "Remove Versioned File: every cfg.* removed, cfgx.001 kept" installed_as "$tmp/rv" "$tmp/s4"

# Move Versioned File: mod.002 (lowest decimal) becomes bin/mod.bin,
# mod.010 and mod.abc go.  The expected TIM takes mod.002's bytes: a
# wrong choice would show as a mismatch.
cp -a "$tmp/s4" "$tmp/s5"
mv "$tmp/s5/lib/mod.002" "$tmp/s5/bin/mod.bin"
rm "$tmp/s5/lib/mod.010" "$tmp/s5/lib/mod.abc"
raw "$tmp/mv" 6 "$tmp/s5" 15 "movev=$live/lib/mod.999:$live/bin/mod.bin"
check "Move Versioned File: the lowest decimal version moved, the others removed, TIM as expected" \
	installed_as "$tmp/mv" "$tmp/s5"
raw "$tmp/mv0" 7 "$tmp/s5" 16 "movev=$live/lib/none.001:$live/bin/none"
check "Move Versioned File without a source: nothing moved, installed" installed_as "$tmp/mv0" "$tmp/s5"

# Refused before anything is written, already by the parser (which
# pkg sign runs too, hence unsigned): malformed versioned names ...
echo "x" > "$tmp/x"
n_bad=0
bad_name() {	# bad_name NAME COMMAND: a malformed versioned name, refused
	n_bad=$((n_bad + 1))
	$tool raw "$tmp/bad$n_bad" version=8 manifest="$tmp/m0" "$2" &&
	check "$1: bad format, 9018, nothing written" refused "$tmp/bad$n_bad" "a versioned file is named base.ext"
}
bad_name "Extract Versioned of a 9-character base" "extractv=$live/lib/ninechars.001:$tmp/x"
bad_name "Extract Versioned of a 2-character extension" "extractv=$live/lib/fw.01:$tmp/x"
bad_name "Add Versioned without an extension" "addv=$live/lib/fw:$tmp/x"
bad_name "Add Versioned with an empty base" "addv=$live/lib/.001:$tmp/x"
bad_name "Remove Versioned of a name with two dots" "removev=$live/lib/fw.001.bak"
bad_name "Move Versioned from a 4-character extension" "movev=$live/lib/mod.0001:$live/bin/m"

# ... and versioned commands that touch what the package writes.
$tool raw "$tmp/c1" version=8 manifest="$tmp/m0" "extract=$live/lib/fw.005:$tmp/x" \
	"removev=$live/lib/fw.001"
check "Remove Versioned of the base name of a file the package writes: bad format, 9018" \
	refused "$tmp/c1" "overlaps the file $live/lib/fw.005"
$tool raw "$tmp/c2" version=8 manifest="$tmp/m0" "extractv=$live/lib/fw.005:$tmp/x" \
	"extract=$live/lib/fw.006:$tmp/fw.004"
check "Extract Versioned and Extract of the same base name: bad format, 9018" \
	refused "$tmp/c2" "has its base name"
$tool raw "$tmp/c3" version=8 manifest="$tmp/m0" "extractv=$live/lib/fw.005:$tmp/x" \
	"move=$live/bin/app:$live/lib/fw.007"
check "Move File onto the base name of an Extract Versioned: bad format, 9018" \
	refused "$tmp/c3" "overlaps the file $live/lib/fw.005"
# A manifest that still lists what a Remove Versioned removes.
raw "$tmp/c4" 8 "$tmp/s5" 17 "removev=$live/lib/fw.000"
check "Remove Versioned of a base name the manifest still lists: refused, 9018" \
	refused "$tmp/c4" "the manifest does not cover"

echo "# $n tests"
exit $((failed > 0))
