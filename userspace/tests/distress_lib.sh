# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the host tests that talk to hnbtre-hems's distress receiver
# (Documentation/distress.md, "Wire format").

# distress_indicate PORT IDENTITY PSK AUTH SEQUENCE CLASS: one indication
# (state failed, one failed component of CLASS) from IDENTITY to the
# receiver on 127.0.0.1:PORT, authenticated with the 32-byte key in file
# PSK when AUTH is psk, else none; the receiver's whole answer on stdout.
distress_indicate() {
	local port=$1 identity=$2 psk=$3 auth=$4 seq=$5 class=$6 msg head
	msg="{\"format\":\"hnbtre-distress-1\",\"identity\":\"$identity\",\"sequence\":$seq,\"time\":1,\"state\":\"failed\",\"failed\":[{\"path\":\"/x\",\"verdict\":\"mismatch\",\"class\":\"$class\"}]}"
	if [ "$auth" = psk ]; then
		head="HNBTRE-DISTRESS 1 psk ${#msg} 32"
		{ printf '%s\n%s' "$head" "$msg"
		  printf '%s\n%s' "$head" "$msg" | openssl dgst -sha256 -binary \
			-mac HMAC -macopt hexkey:"$(od -An -tx1 -v "$psk" | tr -d " \n")"; }
	else
		printf 'HNBTRE-DISTRESS 1 none %d 0\n%s' ${#msg} "$msg"
	fi | perl -MIO::Socket::INET -e '
		my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die $!;
		local $/; my $frame = <STDIN>; print $c $frame;
		while (sysread($c, my $buf, 65536)) { print $buf }' "$port"
}
