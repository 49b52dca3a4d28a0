#!/bin/bash
# libhnbtre.so: its SONAME, the symbols it exports (lib/libhnbtre.map: the
# functions the headers declare, every one of libhnbtre.a, nothing else,
# each named hnbtre_),
# the programs and the charon plugin linking it instead of a copy, and
# `make install` giving a library, headers and hnbtre.pc that a program
# outside the tree builds and runs with.  Needs $HNBTRE and $PKI.
. "$(dirname "$0")/tap.sh"

tap_plan 8

src=$(cd "$(dirname "$0")/.." && pwd)
O=$(cd "$(dirname "$HNBTRE")/.." && pwd)
SO=$O/lib/libhnbtre.so.2
PLUGIN=$O/plugins/libstrongswan-hnbtre.so

soname() { readelf -d "$SO" | grep -q 'SONAME.*\[libhnbtre\.so\.2\]'; }
check "SONAME libhnbtre.so.2" soname

# what the shared library exports, what the static one defines, what the
# headers declare
nm -g --defined-only "$O/lib/libhnbtre.a" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/static"
versioned() {
	nm -D --defined-only "$SO" | awk '$2 == "T" && $3 !~ /@@HNBTRE_1\.[0-9]+$/' > "$tmp/bad"
	[ ! -s "$tmp/bad" ] || { cat "$tmp/bad"; return 1; }
}
check "every exported function has a version HNBTRE_1.x" versioned
same_set() {
	nm -D --defined-only "$SO" | awk '$3 ~ /@@HNBTRE_/ { sub(/@@.*/, "", $3); print $3 }' |
		sort > "$tmp/exported"
	diff "$tmp/static" "$tmp/exported"
}
check "the shared library exports exactly the static one's functions" same_set
declared() {
	local s missing=0
	[ -s "$tmp/exported" ] || return 1
	for s in $(cat "$tmp/exported"); do
		grep -qw "$s" "$src"/include/*.h || { echo "not declared: $s"; missing=1; }
	done
	return $missing
}
check "every exported function is declared in include/" declared
prefixed() {
	[ -s "$tmp/exported" ] || return 1
	! grep -v '^hnbtre_' "$tmp/exported"
}
check "every exported function is hnbtre_-prefixed" prefixed

# linked, not copied: the library's functions are undefined in them
links() {
	local f
	for f in "$@"; do
		readelf -d "$f" | grep -q 'NEEDED.*\[libhnbtre\.so\.2\]' || { echo "$f: no NEEDED"; return 1; }
		env -u LD_LIBRARY_PATH ldd "$f" | grep -q "libhnbtre\.so\.2 => $O/.*lib/libhnbtre\.so\.2" ||
			{ echo "$f: does not find $SO"; return 1; }
		if nm --defined-only "$f" | grep -w -e hnbtre_hex -e hnbtre_read_file; then
			echo "$f: has a copy"; return 1
		fi
	done
}
check "CLI, agent and H(e)MS link libhnbtre.so.2 from the build tree" \
	links "$HNBTRE" "$O/bin/hnbtre-cwmpd" "$O/bin/hnbtre-hems"
n=$((n + 1))
if [ -f "$PLUGIN" ]; then
	if links "$PLUGIN" > "$tmp/out" 2>&1; then
		echo "ok $n - the charon plugin links libhnbtre.so.2"
	else
		echo "not ok $n - the charon plugin links libhnbtre.so.2"
		sed 's/^/# /' "$tmp/out"
		failed=$((failed + 1))
	fi
else
	echo "ok $n # SKIP the charon plugin is not built (make strongswan)"
fi

# installed: a program outside the tree with pkg-config --cflags --libs
installed() {
	local root=$tmp/root
	make -s -C "$src" O="$O" DESTDIR="$root" install > /dev/null || return 1
	cat > "$tmp/prog.c" <<'EOC'
#include <stdio.h>
#include <hnbtre.h>
int main(void)
{
	puts(hnbtre_state_name(HNBTRE_STATE_TRUSTED));
	return 0;
}
EOC
	PKG_CONFIG_PATH=$root/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		pkg-config --cflags --libs hnbtre > "$tmp/flags" || return 1
	cc -o "$tmp/prog" "$tmp/prog.c" $(cat "$tmp/flags") || return 1
	[ "$(LD_LIBRARY_PATH=$root/usr/lib "$tmp/prog")" = trusted ] || return 1
	LD_LIBRARY_PATH=$root/usr/lib ldd "$tmp/prog" | grep -q "$root/usr/lib/libhnbtre.so.2" &&
	[ -x "$root/usr/bin/hnbtre" ] && [ -f "$root/usr/include/hnbtre/linux/hnbtre.h" ]
}
check "make install: library, headers, hnbtre.pc; a program builds and runs with them" installed

exit $((failed > 0))
