#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Re-record every fixture, then re-derive the edge cases and re-write the
# crafted ones (the same bytes every time).  As root:
#   sh tests/deps.sh recipes && sh pcaps/recipes/record-all.sh
# Re-recorded captures have new times and ports: regenerate the goldens
# (sh tests/update-golden.sh) and review the diff.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for r in "$here"/postfix-*.sh "$here"/exim-*.sh \
    "$here"/opensmtpd-*.sh "$here"/socks5-*.sh "$here"/httpproxy-*.sh; do
	sh "$r"
done
python3 "$here/craft-edge-cases.py"
sh "$here/cut-with-editcap.sh"
python3 "$here/craft-early-talkers.py"
python3 "$here/craft-hostile-mime.py"
