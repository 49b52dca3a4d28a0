#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the scripts/bench-* scripts: timing and the medians and
# ratios they print, and scalar SHA-256 on both sides of a comparison.
# (Not named bench-*: scripts/bench runs those.)

now_ns() { date +%s%N; }
now_us() { echo $(($(date +%s%N) / 1000)); }
# median: of the numbers on stdin, one a line; of an even count the lower
# of the two in the middle, so that integers stay integers.
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# OpenSSL's x86 capability mask (OPENSSL_ia32cap) without SSSE3, AVX,
# AVX2 and SHA-NI: scalar SHA-256, as coreutils' sha256sum has it.  Under
# TCG qemu emulates SIMD slower than scalar code (bench-core's line "SIMD
# under TCG" measures it), so both sides of a ratio hash with scalar C.
SCALAR_SHA256_IA32CAP="~0x1000020000000000:~0x20000020"

# kernel_scalar_sha256: the kernel's sha256-generic instead of
# sha256-ssse3/avx2 (unloaded if it is a module; built in, it stays).
kernel_scalar_sha256() { rmmod sha256_ssse3 2> /dev/null || true; }
