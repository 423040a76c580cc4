#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the early-talker captures, which no MTA or client in the recipes
produces on purpose (pcaps/early-talkers.md says what each one shows):

  early-talker.pcap    two sessions: a bot that sends EHLO right after the
                       handshake, before the greeting, then waits for each
                       reply; and a client that speaks in the pause of a
                       greeting sent in two parts (220- first, as Postfix's
                       postscreen does to catch such clients)
  early-pipeline.pcap  a bot that sends its whole dialogue before the
                       greeting, in one burst: EHLO, MAIL, RCPT, DATA, the
                       message, QUIT; the server then answers each in turn
  early-pickup.pcap    the same burst, in three segments, captured from
                       the second on (no handshake): the capture starts
                       inside MAIL FROM

The server side is Postfix's wording.  The sessions are written by the
session writer of tests/gen/secrets.py (fixed addresses, ports, sequence
numbers and times, so every run writes the same bytes).

Run from anywhere: python3 pcaps/recipes/craft-early-talkers.py
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.dirname(HERE)
GEN = os.path.join(os.path.dirname(PCAPS), "tests", "gen", "secrets.py")

# Loaded by path: the module's name is the standard library's too.
_spec = importlib.util.spec_from_file_location("rs_gen_secrets", GEN)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

GREETING = "220 mx.example.com ESMTP Postfix (Debian/GNU)\r\n"
EHLO_REPLY = gen.postfix_ehlo("")
BOT = "bot.example.net"
SENDER = "offers@example.net"
RCPT = "alice@example.com"
MESSAGE = ("From: <%s>\r\nTo: <%s>\r\nSubject: You have won\r\n"
           "Message-ID: <early.1@example.net>\r\n\r\n"
           "Claim your prize today.\r\n.\r\n" % (SENDER, RCPT))
R = gen.REPLIES["postfix"]


def lockstep_rest(s):
    """MAIL, RCPT, DATA, the message and QUIT, each after its reply"""
    s.c("MAIL FROM:<%s>\r\n" % SENDER)
    s.s(R[0] + "\r\n")
    s.c("RCPT TO:<%s>\r\n" % RCPT)
    s.s(R[1] + "\r\n")
    s.c("DATA\r\n")
    s.s(R[2] + "\r\n")
    s.c(MESSAGE)
    s.s(R[3] + "\r\n")
    gen.quit_(s)


def burst_replies(s):
    """The server's replies to a whole dialogue sent before its greeting,
    each in its own segment"""
    s.s(GREETING)
    s.s(EHLO_REPLY)
    for r in R:
        s.s(r + "\r\n")


BURST = ("EHLO %s\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n%sQUIT\r\n"
         % (BOT, SENDER, RCPT, MESSAGE))


def cases():
    talker = gen.Case("early-ehlo", "EHLO before the greeting", port=25)
    talker.c("EHLO %s\r\n" % BOT)
    talker.s(GREETING)
    talker.s(EHLO_REPLY)
    lockstep_rest(talker)

    pause = gen.Case("early-pause", "EHLO in the greeting's pause", port=25)
    pause.s("220-mx.example.com ESMTP Postfix (Debian/GNU)\r\n")
    pause.c("EHLO %s\r\n" % BOT)
    pause.s(GREETING)
    pause.s(EHLO_REPLY)
    lockstep_rest(pause)

    pipe = gen.Case("early-pipeline", "the whole dialogue first", port=25)
    pipe.c(BURST)
    burst_replies(pipe)

    pick = gen.Case("early-pickup", "picked up inside the burst", port=25)
    pick.handshake = False
    cut = BURST.index("OM:<")
    body = BURST.index("From: <")
    pick.c(BURST[:cut], uncaptured=True)
    pick.c(BURST[cut:body])
    pick.c(BURST[body:])
    burst_replies(pick)
    return {"early-talker.pcap": [talker, pause],
            "early-pipeline.pcap": [pipe], "early-pickup.pcap": [pick]}


def main():
    n = 0
    for name, sessions in cases().items():
        frames = []
        for s in sessions:
            frames += gen.packets(s, n)
            n += 1
        gen.write_pcap(os.path.join(PCAPS, name), frames)
        print("wrote pcaps/%s (%d sessions)" % (name, len(sessions)))


if __name__ == "__main__":
    main()
