/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay.h: "relayscope replay": re-send a captured client's dialogue to
 * the live server (GIO sockets, optional STARTTLS), never DATA unless
 * asked, and compare the live replies with the captured ones. */
#ifndef RS_REPLAY_H
#define RS_REPLAY_H

/* Exit statuses of replay (docs/replay.md). */
#define REPLAY_EXIT_ACCEPTED 0	    /* a recipient was accepted live */
#define REPLAY_EXIT_USAGE 2	    /* bad options, capture, session */
#define REPLAY_EXIT_NONE_ACCEPTED 3 /* no recipient accepted live */
#define REPLAY_EXIT_UNREACHABLE 4   /* no dialogue: connect, TLS, drop */

/* The replay subcommand; argv[0] is "replay".  Returns the exit status. */
int replay_main(int argc, char **argv);

#endif
