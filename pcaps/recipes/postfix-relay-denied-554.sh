#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Postfix closed relay with reject_unauth_destination: an outside client
# (127.0.0.2, not in mynetworks) asks to relay to a foreign domain and gets
# 554 5.7.1 Relay access denied; a local recipient in the same session is
# accepted.
. "$(dirname "$0")/lib.sh"
rs_enter_namespace "$@"
rs_record_postfix
rs_relay_attempt
rs_capture_stop
