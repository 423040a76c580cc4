/* SPDX-License-Identifier: GPL-2.0-or-later */
/* causes.c: the catalogue of failure causes (docs/diagnosis.md).
 *
 * Two tables.  causes[] says what each cause means and what to do about
 * it.  rows[] maps a reply to a cause: texts of real MTAs, matched
 * case-insensitively as substrings, and reply and enhanced codes (RFC
 * 5321 §4.2, RFC 3463, RFC 5248's registry); the first row that matches
 * wins, so the specific come before the general.  Each row names its
 * source; the texts are in references/smtp.md and docs/diagnosis.md with
 * where they come from (Postfix 3.7 smtpd_check.c and smtpd.c, Exim 4.96,
 * Sendmail proto.m4, OpenSMTPD 6.8 smtp_session.c, postgrey, Microsoft's
 * and Google's published error references). */
#include <string.h>

#include <glib.h>

#include "causes.h"

/* A stage bit, for rows that apply at some stages only. */
#define ST(s) (1u << DIAG_STAGE_##s)

static const struct cause_info causes[] = {
	/* Relaying (docs/verdicts.md). */
	{ "relay", "relaying refused",
	    "The server does not accept mail for this recipient's domain "
	    "from this client: it is not the domain's mail server and does "
	    "not relay for the client.",
	    "Send through a server that relays for you: your provider's "
	    "submission service (port 587, with AUTH), or the recipient "
	    "domain's own MX.",
	    "If this client should relay, let it authenticate, or list its "
	    "address in the trusted networks (Postfix mynetworks); if the "
	    "domain is yours, add it to the local or relay domains.",
	    0 },
	/* The client and its identity. */
	{ "helo", "HELO name refused",
	    "The server refused the name the client gave in HELO/EHLO (not "
	    "a fully qualified name, not resolvable, or forged).",
	    "Make the client announce its own fully qualified host name, one "
	    "that resolves in the DNS to the address it sends from.",
	    "If the name is acceptable, relax the HELO restrictions for this "
	    "client (Postfix smtpd_helo_restrictions).",
	    0 },
	{ "client-host", "client host refused",
	    "The server refused the client's address by its own access "
	    "rules.",
	    "Ask the receiving site to permit your address, or send through "
	    "another server.",
	    "Check the client access rules (Postfix check_client_access, "
	    "smtpd_client_restrictions) for this address.",
	    0 },
	{ "reverse-dns", "no reverse DNS for the client",
	    "The server requires the client's address to have a PTR record "
	    "whose name resolves back to that address (forward-confirmed "
	    "reverse DNS); the lookup failed or did not match.",
	    "Have the owner of the sending address set a PTR record to the "
	    "server's name, and an A/AAAA record of that name back to the "
	    "address.",
	    "If the client is known, exempt it; a temporary (4xx) answer may "
	    "only mean the server's own DNS was slow.",
	    0 },
	{ "blocklist", "client on a DNS blocklist",
	    "The client's address is listed on a DNS blocklist the server "
	    "consults, or has a bad reputation with the receiving service.",
	    "Look the address up at the list's site (the reply names it), "
	    "stop the spam or compromise that got it listed, and request "
	    "removal; or send through a server with a clean address.",
	    "If the listing is wrong for this client, allow it before the "
	    "blocklist check (Postfix check_client_access before "
	    "reject_rbl_client).",
	    0 },
	{ "rate-limited", "rate limited",
	    "The server limits how many connections, messages or recipients "
	    "one client may send in a period, and this client went over.",
	    "Send more slowly: fewer connections at once, fewer messages per "
	    "connection or per minute; the mail is deferred and will go out "
	    "as the queue retries.",
	    "If the client is legitimate, raise its limit or exempt it "
	    "(Postfix smtpd_client_*_rate_limit and "
	    "smtpd_client_event_limit_exceptions; Exim ratelimit ACL).",
	    0 },
	{ "greylisting", "greylisting",
	    "The server refused the first attempt from this client, sender "
	    "and recipient on purpose, and will accept a retry after a delay "
	    "(greylisting).",
	    "Nothing, if the sender retries: a real MTA retries and the "
	    "message is delivered after the delay. A sender that does not "
	    "retry loses the mail.",
	    "To spare known senders the delay, whitelist them in the "
	    "greylisting policy (postgrey's whitelist files).",
	    0 },
	/* The sender and the message's authentication. */
	{ "sender", "sender refused",
	    "The server refused the envelope sender (MAIL FROM) by its "
	    "sender rules.",
	    "Use a sender address the receiving site accepts: one in a "
	    "domain that exists and that you are allowed to send for.",
	    "Check the sender restrictions (Postfix "
	    "smtpd_sender_restrictions) for this address.",
	    0 },
	{ "sender-domain", "sender domain does not exist",
	    "The envelope sender's domain has no MX or address record, so "
	    "bounces could not be returned (RFC 3463 X.1.8).",
	    "Send from a domain that exists in the DNS, with an MX or "
	    "A/AAAA record.",
	    "A temporary (4xx) answer can mean the server's own DNS lookup "
	    "failed: check its resolver.",
	    0 },
	{ "sender-login", "sender not owned by the login",
	    "The client authenticated, or should have, as a user who may "
	    "not use this envelope sender (Postfix "
	    "reject_sender_login_mismatch).",
	    "Authenticate before MAIL, as the user who owns the sender "
	    "address, or send from your own address.",
	    "Check the sender login map (Postfix smtpd_sender_login_maps).",
	    0 },
	{ "spoofing", "forged sender",
	    "The server took the sender address for a forgery of one of its "
	    "own or a protected domain.",
	    "Send from your own domain, or through the server that the "
	    "sender's domain authorises.",
	    "If the mail is legitimate, publish the sending host in the "
	    "domain's SPF record, or exempt it.",
	    0 },
	{ "spf", "SPF check failed",
	    "The sending address is not authorised by the SPF record of the "
	    "sender's domain (RFC 7208; RFC 7372 X.7.23, X.7.24).",
	    "Send through a server the domain's SPF record lists, or have the "
	    "domain's owner add this server to it.",
	    "If the sender forwards mail, consider SRS or an exemption for "
	    "the forwarder.",
	    0 },
	{ "dkim", "DKIM check failed",
	    "The message's DKIM signature is missing or did not verify "
	    "(RFC 6376; RFC 7372 X.7.20-X.7.22).",
	    "Sign outgoing mail with the domain's DKIM key, and make sure "
	    "nothing changes the message after signing.",
	    "Check the verifier's log for the failing signature.", 0 },
	{ "dmarc", "DMARC policy failed",
	    "The sender's domain publishes a DMARC policy of reject or "
	    "quarantine, and the message passed neither an aligned SPF nor an "
	    "aligned DKIM check (RFC 7489; RFC 7372 X.7.26).",
	    "Authenticate the mail: an SPF record that lists this server and "
	    "a DKIM signature, both aligned with the From: domain.",
	    "Nothing to do if the mail is forged; for a forwarder, ARC or an "
	    "exemption.",
	    0 },
	{ "email-auth", "message authentication failed",
	    "The message failed the receiver's sender-authentication checks "
	    "(SPF, DKIM or DMARC; RFC 7372 X.7.26 multiple checks failed).",
	    "Publish SPF and sign with DKIM, aligned with the From: domain.",
	    "Check which check failed in the receiver's log.", 0 },
	{ "null-mx", "domain accepts no mail (null MX)",
	    "The domain publishes a null MX (RFC 7505): it sends or receives "
	    "no mail.",
	    "Use another address; a null-MX domain can neither receive mail "
	    "nor take bounces.",
	    "Nothing, unless the null MX record is a mistake.", 0 },
	/* The recipient. */
	{ "unknown-user", "unknown user",
	    "The recipient's mailbox does not exist at this server (RFC 3463 "
	    "X.1.1).",
	    "Check the address for typos, or ask the recipient for a working "
	    "one; retrying will not help.",
	    "If the user should exist, check the recipient tables (Postfix "
	    "local_recipient_maps, virtual_mailbox_maps; aliases).",
	    0 },
	{ "bad-destination", "bad destination system",
	    "The recipient's domain is not served here, or its system does "
	    "not exist (RFC 3463 X.1.2).",
	    "Check the domain part of the address.",
	    "If the domain is yours, add it to the local or virtual "
	    "domains.",
	    0 },
	{ "address-syntax", "bad destination address syntax",
	    "The recipient address is not valid (RFC 3463 X.1.3).",
	    "Correct the address.", "Nothing: the address is malformed.",
	    CAUSE_F_CLIENT_FAULT },
	{ "address", "address refused",
	    "The server refused an address (RFC 3463 X.1.x).",
	    "Check the address; the reply's text says which part is wrong.",
	    "Check the server's log for the rule that refused it.", 0 },
	{ "mailbox-full", "mailbox full",
	    "The recipient's mailbox is over its quota (RFC 3463 X.2.2).",
	    "A 4xx answer will be retried; for 5xx, tell the recipient by "
	    "other means, or retry later.",
	    "Raise the quota, or have the user empty the mailbox.", 0 },
	{ "mailbox", "mailbox unavailable",
	    "The recipient's mailbox cannot take mail now: disabled, moved "
	    "or otherwise unavailable (RFC 3463 X.2.x).",
	    "Ask the recipient for a working address.",
	    "Check the mailbox's state.", 0 },
	{ "too-many-recipients", "too many recipients",
	    "The transaction named more recipients than the server takes at "
	    "once (RFC 3463 X.5.3).",
	    "Nothing for a real MTA: it sends the rest in another "
	    "transaction. Otherwise split the recipient list.",
	    "Raise the limit if needed (Postfix smtpd_recipient_limit).", 0 },
	/* The message. */
	{ "message-too-large", "message too large",
	    "The message is larger than the server accepts (RFC 3463 X.3.4; "
	    "RFC 1870 SIZE).",
	    "Send a smaller message: link to large files instead of "
	    "attaching them; a client should not send more than the SIZE "
	    "the server advertises.",
	    "Raise the limit if such messages are wanted (Postfix "
	    "message_size_limit, Exim message_size_limit, OpenSMTPD "
	    "max-message-size).",
	    0 },
	{ "content", "message content refused",
	    "The server refused the message for its content: spam, a virus, "
	    "or a content policy.",
	    "Read the reply's text for the reason; remove what triggered the "
	    "filter, or ask the recipient's site to review it.",
	    "Check the content filter's log (the reply often carries its "
	    "reference) for a false positive.",
	    0 },
	{ "policy", "refused by policy",
	    "The server refused by a security or local policy the reply does "
	    "not name further (RFC 3463 X.7.x).",
	    "Read the reply's text; ask the receiving site which rule "
	    "applies.",
	    "Check the server's log at that time for the rule that refused "
	    "it.",
	    0 },
	/* TLS and authentication. */
	{ "tls-required", "TLS required",
	    "The server accepts mail (or this AUTH mechanism) only over an "
	    "encrypted connection, and the client did not use STARTTLS (RFC "
	    "3207; RFC 4954 538 5.7.11).",
	    "Issue STARTTLS after EHLO, then EHLO again, before MAIL or "
	    "AUTH.",
	    "Nothing if TLS is required on purpose; otherwise lower "
	    "smtpd_tls_security_level to may.",
	    CAUSE_F_TLS },
	{ "starttls-refused", "STARTTLS refused",
	    "The server answered STARTTLS with a refusal, usually because its "
	    "own TLS setup is broken (a certificate or key it cannot load).",
	    "The client may go on without TLS or defer; nothing it can fix.",
	    "Check the server's TLS certificate and key files and its log "
	    "at that time.",
	    CAUSE_F_TLS },
	{ "tls-handshake-failed", "TLS handshake failed",
	    "The TLS handshake after STARTTLS (or on an implicit-TLS port) "
	    "ended with a fatal alert: the two sides share no protocol "
	    "version, cipher or parameters, or one refused the other's "
	    "certificate.",
	    "Allow TLS 1.2 and 1.3 with current cipher suites; see the alert "
	    "for the side that gave up.",
	    "Allow current protocol versions and cipher suites "
	    "(smtpd_tls_protocols, smtpd_tls_mandatory_ciphers); check the "
	    "certificate.",
	    CAUSE_F_TLS },
	{ "tls-cert-expired", "server certificate expired",
	    "The server's certificate was out of its validity period at the "
	    "time of the capture, and the handshake did not complete.",
	    "Nothing on the client side but to wait or skip verification for "
	    "this host (not advised).",
	    "Renew the certificate and reload the server.", CAUSE_F_TLS },
	{ "tls-cert-not-yet-valid", "server certificate not yet valid",
	    "The server's certificate begins its validity after the time of "
	    "the capture (a wrong clock on either side).",
	    "Check the client's clock.",
	    "Check the server's clock and the certificate's dates.",
	    CAUSE_F_TLS },
	{ "tls-cert-name", "certificate does not name the server",
	    "The server's certificate names neither the host the client "
	    "asked for (SNI) nor the server's greeting name, and the "
	    "handshake did not complete.",
	    "Connect by the name the certificate carries, or accept it for "
	    "this host explicitly.",
	    "Get a certificate that names the server's MX host name.",
	    CAUSE_F_TLS },
	{ "tls-cert-untrusted", "client gave up on the certificate",
	    "The client closed the connection right after the server's "
	    "certificate without completing the handshake: typically it did "
	    "not trust the certificate.",
	    "Check the client's CA store and its TLS log for the reason.",
	    "Serve the whole chain (intermediate certificates) from a CA "
	    "the clients trust.",
	    CAUSE_F_TLS },
	{ "auth-required", "authentication required",
	    "The server requires the client to authenticate (AUTH) before "
	    "it accepts this mail (RFC 4954 530 5.7.0).",
	    "Configure the client to authenticate, on the submission port "
	    "587 with TLS.",
	    "Nothing if the service is for authenticated users only.", 0 },
	{ "auth-failed", "authentication failed",
	    "The server refused the client's credentials (RFC 4954 535 "
	    "5.7.8).",
	    "Check the user name and password; too many failures may get the "
	    "address blocked.",
	    "Check the authentication backend's log; repeated failures from "
	    "one address are a password-guessing attack.",
	    0 },
	{ "auth-weak", "authentication mechanism too weak",
	    "The server refused the AUTH mechanism as too weak for this "
	    "connection (RFC 4954 534 5.7.9).",
	    "Use a stronger mechanism, or STARTTLS before PLAIN/LOGIN.",
	    "Nothing if intended.", 0 },
	{ "auth-tempfail", "authentication temporarily failed",
	    "The server could not check the credentials for now (RFC 4954 "
	    "454 4.7.0, 432 4.7.12).",
	    "Retry later; a password change may be required (4.7.12).",
	    "Check the authentication backend (SASL daemon, directory).", 0 },
	/* The server itself. */
	{ "no-service", "no mail service here",
	    "The server refuses every SMTP session at the greeting: it "
	    "offers no mail service to this client (RFC 5321 554 at the "
	    "greeting, RFC 7504 521).",
	    "Do not send to this host: check the recipient domain's MX "
	    "records.",
	    "If it should take mail, check why it refuses at connect time "
	    "(postscreen, a connect ACL, a blocklist).",
	    0 },
	{ "server-unavailable", "server unavailable",
	    "The server is shutting down, overloaded or misconfigured, and "
	    "refused for now (421, X.3.2).",
	    "Nothing: the sender retries later.",
	    "Check the server's log and resources at that time.", 0 },
	{ "server-storage", "server out of storage",
	    "The server has no room for the message now (452, X.3.1).",
	    "Nothing: the sender retries later.",
	    "Free disk space in the mail queue's file system.", 0 },
	{ "server-timeout", "the server timed out waiting for the client",
	    "The server gave up waiting for the client's next command or "
	    "data and closed the session.",
	    "Check the client's network and whether it stalls (a slow "
	    "content scan before sending, packet loss).",
	    "Nothing, unless clients on slow links are expected (Postfix "
	    "smtpd_timeout).",
	    CAUSE_F_CLIENT_FAULT },
	{ "too-many-errors", "too many errors",
	    "The server closed the session after the client made too many "
	    "errors or bad commands.",
	    "Fix the client's protocol errors (see the refused commands "
	    "above).",
	    "Nothing, unless a legitimate client trips the limit (Postfix "
	    "smtpd_hard_error_limit).",
	    CAUSE_F_CLIENT_FAULT },
	{ "system", "mail system problem",
	    "The server reports a problem of its own mail system (RFC 3463 "
	    "X.3.x).",
	    "Nothing: the sender retries a 4xx.",
	    "Check the server's log at that time.", 0 },
	{ "network", "network or routing problem",
	    "The server reports a network or routing problem (RFC 3463 "
	    "X.4.x).",
	    "Nothing: the sender retries a 4xx.",
	    "Check the server's routing and DNS for the destination.", 0 },
	/* The protocol. */
	{ "bad-sequence", "bad command sequence",
	    "The client sent a command out of order (RFC 5321 503), e.g. RCPT "
	    "before MAIL, or DATA with no accepted recipient.",
	    "Fix the client to follow RFC 5321's order of commands; with "
	    "PIPELINING, this is usually the echo of an earlier refusal.",
	    "Nothing: the client is at fault.", CAUSE_F_CLIENT_FAULT },
	{ "syntax", "syntax error",
	    "The server did not understand the command or its arguments "
	    "(RFC 5321 500, 501; X.5.x).",
	    "Fix the client's command syntax (angle brackets around "
	    "addresses, no spaces after the colon).",
	    "Nothing: the client is at fault; Postfix's "
	    "strict_rfc821_envelopes "
	    "= no tolerates common mistakes.",
	    CAUSE_F_CLIENT_FAULT },
	{ "not-implemented", "command not implemented",
	    "The server does not implement the command or the parameter "
	    "(RFC 5321 502, 504).",
	    "Use only the extensions the server advertised in its EHLO "
	    "reply.",
	    "Nothing, unless the extension should be enabled.",
	    CAUSE_F_CLIENT_FAULT },
	/* Causes without a reply: timing and the connection. */
	{ "no-greeting", "no greeting",
	    "The server accepted the connection but never sent its 220 "
	    "greeting before the connection ended.",
	    "Nothing: the sender retries; RFC 5321 §4.5.3.2 has a client "
	    "wait 5 minutes for the greeting.",
	    "Check why the server stalls at connect: slow reverse DNS of the "
	    "client, postscreen's tests, a connect ACL's delay, overload.",
	    CAUSE_F_SLOW },
	{ "slow-greeting", "slow greeting",
	    "The server's greeting came more than 5 seconds after the "
	    "connection: tarpitting, a slow reverse DNS lookup of the client, "
	    "or postscreen's pregreet wait.",
	    "Nothing if the client waits (RFC 5321 §4.5.3.2: 5 minutes); "
	    "clients with short timeouts fail here.",
	    "Check the server's resolver and connect-time checks (Postfix "
	    "postscreen_greet_wait, Exim acl_smtp_connect delays).",
	    CAUSE_F_SLOW },
	{ "slow-reply", "slow reply",
	    "One reply took far longer than the session's others: a slow "
	    "policy service, DNSBL or DNS timeouts, or a content scan.",
	    "Nothing if the client waits (RFC 5321 §4.5.3.2 timeouts); a "
	    "client that gives up sooner fails here.",
	    "Find the slow check at that stage: policy services "
	    "(check_policy_service), DNS lookups, milters, content filters.",
	    CAUSE_F_SLOW },
	{ "no-reply", "no reply",
	    "The server did not answer a command before the connection "
	    "ended: the client gave up waiting, or the connection broke.",
	    "Wait at least the RFC 5321 §4.5.3.2 minimum for this command; "
	    "after an unanswered end of data, the message may be delivered "
	    "twice when retried.",
	    "Find why the server did not answer in time (policy services, "
	    "DNS, content filters, load).",
	    CAUSE_F_SLOW },
	{ "connection-reset-in-data", "connection reset during the message",
	    "The connection was reset while the client was sending the "
	    "message, before the final dot: the server did not take it.",
	    "Nothing: the sender retries; if it recurs, look for a middlebox "
	    "or a client that crashes on this message.",
	    "Check for a firewall or proxy that resets long transfers.", 0 },
	{ "connection-closed-in-data", "connection closed during the message",
	    "The connection was closed while the client was sending the "
	    "message, before the final dot: the server did not take it.",
	    "Nothing: the sender retries; a client that does this every time "
	    "never delivers.",
	    "Check the server's log for a timeout or a limit that closed it.",
	    0 },
	{ "server-closed", "server closed the session",
	    "The server closed the session (421, or no 221 to QUIT) before "
	    "the mail was done.",
	    "Nothing: the sender retries later.",
	    "Check the server's log at that time for why it closed.", 0 },
	{ "client-quit", "client ended the session",
	    "The client ended the session, or the transaction, before it "
	    "sent a message: an address probe, a capability check, or a "
	    "client that changed its mind.",
	    "Nothing, unless mail was meant to go.",
	    "Nothing: no mail was refused.", 0 },
	{ "unstated", "refused, no cause stated",
	    "The server refused without naming a cause that the catalogue "
	    "knows: neither its text nor its codes say why.",
	    "Read the reply's text; ask the receiving site's postmaster, "
	    "quoting the time and the reply.",
	    "The server's log at that time names the rule that refused "
	    "it.",
	    0 },
	/* What the capture cannot tell. */
	{ "encrypted", "encrypted",
	    "The rest of the session is encrypted (STARTTLS or implicit TLS): "
	    "the capture does not show what became of the mail.",
	    "Look in the client's log for the session's outcome.",
	    "Look in the server's log at that time for this client, or "
	    "capture in front of a TLS-terminating proxy.",
	    CAUSE_F_CAPTURE },
	{ "capture-gap", "capture gap",
	    "Packets of this transaction are missing from the capture: the "
	    "outcome cannot be told for sure.",
	    "Capture with a larger buffer (tcpdump -B) or a snap length of "
	    "0, on the host itself.",
	    "Check the server's log for this transaction.", CAUSE_F_CAPTURE },
	{ "capture-ended", "capture ended first",
	    "The capture ended while the session was still going.",
	    "Capture for longer.", "Check the server's log for the session.",
	    CAUSE_F_CAPTURE },
	{ "capture-started-late", "capture started mid-session",
	    "The capture began after the session had started: its beginning "
	    "is not known.",
	    "Start the capture before the session.",
	    "Check the server's log for the session.", CAUSE_F_CAPTURE },
	{ "one-sided-capture", "one side missing",
	    "The capture holds only one direction of the connection.",
	    "Capture where both directions pass (asymmetric routing, a "
	    "span port that sees one side).",
	    "Check the server's log for the session.", CAUSE_F_CAPTURE },
};

/* Reply to cause.  needle != NULL: a text row; otherwise a code rule. */
struct cause_row {
	const char *needle;	/* lower case */
	short code_lo, code_hi; /* reply codes, 0: any */
	/* The enhanced code: "" any; "5.7.1" exactly; ".7.1" the subject
	 * and detail in any class; ".7." a subject. */
	const char *enhanced;
	unsigned stages; /* ST() bits; 0: any stage */
	const char *cause;
	const char *source;
};

#define TEXT(n, c, src)                                                        \
	{                                                                      \
		n, 0, 0, "", 0, c, src                                         \
	}
#define TEXT_AT(n, st, c, src)                                                 \
	{                                                                      \
		n, 0, 0, "", st, c, src                                        \
	}
#define CODE(lo, hi, enh, st, c, src)                                          \
	{                                                                      \
		NULL, lo, hi, enh, st, c, src                                  \
	}

/* Other causes, tried first.  Postfix reports client, HELO and sender
 * checks at RCPT (smtpd_delay_reject) with 4.7.1 or 5.7.1, which alone
 * would read as a relay refusal. */
static const struct cause_row other_texts[] = {
	/* Specific forms of the generic Postfix texts below. */
	TEXT("cannot find your reverse hostname", "reverse-dns",
	    "postfix reject_unknown_reverse_client_hostname"),
	TEXT("cannot find your hostname", "reverse-dns",
	    "postfix reject_unknown_client_hostname"),
	TEXT("blocked using", "blocklist", "postfix reject_rbl_client"),
	TEXT("is in a black list", "blocklist", "exim dnslists"),
	TEXT("is in a block list", "blocklist", "exim dnslists"),
	TEXT("spamhaus", "blocklist", "Spamhaus"),
	TEXT("banned sending ip", "blocklist", "microsoft 5.7.606-649"),
	TEXT("traffic not accepted from this ip", "blocklist",
	    "microsoft 5.7.708"),
	TEXT("on our block list", "blocklist", "outlook.com S3150"),
	TEXT("low reputation", "blocklist", "gmail 5.7.1 / 4.7.0"),
	TEXT("greylist", "greylisting", "postgrey / generic"),
	/* postscreen's after-220 tests passed: the client is to come back,
	 * as with greylisting. */
	TEXT_AT("service currently unavailable", ST(RCPT), "greylisting",
	    "postfix postscreen 450 4.3.2 (reconnect passes)"),
	TEXT("graylist", "greylisting", "generic"),
	TEXT("too many connections", "rate-limited",
	    "postfix anvil smtpd_client_connection_count/rate_limit"),
	TEXT("too many messages", "rate-limited",
	    "postfix anvil smtpd_client_message_rate_limit"),
	TEXT("too much mail", "rate-limited", "postfix anvil"),
	TEXT("too many recipients from", "rate-limited",
	    "postfix anvil smtpd_client_recipient_rate_limit"),
	TEXT("too many new tls sessions", "rate-limited", "postfix anvil"),
	TEXT("too many auth", "rate-limited", "postfix anvil"),
	TEXT("rate limit", "rate-limited", "generic"),
	TEXT("ratelimit", "rate-limited", "exim ratelimit"),
	TEXT("rate overlimit", "rate-limited", "exim ratelimit"),
	TEXT("sender rate", "rate-limited", "exim ratelimit"),
	TEXT("unusual rate", "rate-limited", "gmail 4.7.28"),
	TEXT("server busy", "rate-limited", "microsoft 4.7.500"),
	TEXT("receiving mail too quickly", "rate-limited", "gmail 4.2.1"),
	TEXT("receiving mail at a rate", "rate-limited", "gmail 4.2.1"),
	TEXT("too much load", "server-unavailable", "exim smtp_load_reserve"),
	TEXT("too many errors", "too-many-errors",
	    "postfix smtpd_hard_error_limit"),
	TEXT("too many bad commands", "too-many-errors", "generic"),
	TEXT("too many unrecognized commands", "too-many-errors", "exim"),
	TEXT("too many syntax or protocol errors", "too-many-errors", "exim"),
	TEXT("timeout exceeded", "server-timeout", "postfix smtpd_timeout"),
	TEXT("incoming data timeout", "server-timeout", "exim"),
	TEXT("command timeout", "server-timeout", "exim smtp_receive_timeout"),
	TEXT("timeout waiting for client input", "server-timeout",
	    "exchange 451 4.7.0"),
	TEXT("timeout - closing connection", "server-timeout", "gmail 4.4.2"),
	TEXT("lost input channel", "server-timeout",
	    "sendmail (a timeout or the client's EOF)"),
	TEXT("lost input connection", "server-timeout", "exim"),
	TEXT(
	    "helo command rejected", "helo", "postfix smtpd_helo_restrictions"),
	TEXT("helo/ehlo", "helo", "exim"),
	TEXT("invalid helo", "helo", "generic"),
	TEXT("client host rejected", "client-host",
	    "postfix smtpd_client_restrictions"),
	TEXT("domain not found", "sender-domain",
	    "postfix reject_unknown_sender_domain"),
	TEXT("domain of sender address", "sender-domain",
	    "sendmail proto.m4 5.1.8 / 4.1.8"),
	TEXT("sender verify failed", "sender", "exim verify = sender"),
	TEXT("sender verification failed", "sender", "exim (Debian)"),
	TEXT("sender rejected", "sender", "opensmtpd 530"),
	TEXT("not logged in", "sender-login",
	    "postfix reject_sender_login_mismatch"),
	TEXT("not owned by user", "sender-login",
	    "postfix reject_sender_login_mismatch"),
	TEXT("sender address rejected", "sender",
	    "postfix smtpd_sender_restrictions"),
	/* rspamd's greylisting; at the greeting the same words mean load
	 * (the 421 rule below). */
	TEXT_AT("try again later", ST(RCPT) | ST(END_OF_DATA), "greylisting",
	    "rspamd greylist / generic"),
	TEXT("must issue a starttls", "tls-required", "RFC 3207 530 5.7.0"),
	TEXT("starttls required", "tls-required", "generic"),
	TEXT("tls required", "tls-required", "generic"),
	TEXT("encryption required", "tls-required", "RFC 4954 538 5.7.11"),
	TEXT("tls not available", "starttls-refused",
	    "postfix 454 4.7.0 TLS not available"),
	TEXT("authentication required", "auth-required", "RFC 4954 530 5.7.0"),
	TEXT("authentication is required", "auth-required", "generic"),
	TEXT("authentication failed", "auth-failed", "RFC 4954 535 5.7.8"),
	TEXT("authentication credentials invalid", "auth-failed",
	    "RFC 4954 535 5.7.8"),
	TEXT("mechanism is too weak", "auth-weak", "RFC 4954 534 5.7.9"),
	TEXT("temporary authentication failure", "auth-tempfail",
	    "RFC 4954 454 4.7.0"),
	TEXT("user unknown", "unknown-user", "postfix / sendmail"),
	TEXT("unknown user", "unknown-user", "generic"),
	TEXT("no such user", "unknown-user", "generic"),
	TEXT("user doesn't exist", "unknown-user", "dovecot lmtp 5.1.1"),
	TEXT("addressee unknown", "unknown-user", "sendmail 5.1.1"),
	TEXT("unrouteable address", "unknown-user", "exim"),
	TEXT("recipientnotfound", "unknown-user", "microsoft 5.1.10"),
	TEXT("recipient not found", "unknown-user", "generic"),
	TEXT("mailbox unavailable", "unknown-user", "generic"),
	TEXT("mailbox full", "mailbox-full", "generic"),
	TEXT("mailbox is full", "mailbox-full", "dovecot / generic"),
	TEXT("quota exceeded", "mailbox-full", "dovecot"),
	TEXT("over quota", "mailbox-full", "generic"),
	TEXT("message size exceeds", "message-too-large",
	    "postfix / exim message_size_limit"),
	TEXT("message too large", "message-too-large", "generic"),
	TEXT("message is too large", "message-too-large", "generic"),
	TEXT("message too big", "message-too-large", "generic"),
	TEXT("size limit", "message-too-large", "generic"),
	TEXT("too many recipients", "too-many-recipients",
	    "postfix smtpd_recipient_limit"),
	TEXT("virus", "content", "content filter"),
	TEXT("no smtp service here", "no-service", "RFC 5321 554"),
	TEXT("does not accept mail", "no-service", "RFC 7504 521"),
	TEXT("shutting down", "server-unavailable", "RFC 5321 421"),
	TEXT("server configuration problem", "server-unavailable",
	    "postfix 451 4.3.5"),
	TEXT("insufficient system storage", "server-storage",
	    "postfix 452 4.3.1"),
	TEXT("space shortage", "server-storage", "exim 452"),
	TEXT("insufficient disk space", "server-storage", "sendmail 452 4.4.5"),
	TEXT("administrative prohibition", "policy",
	    "exim: an ACL refused without a message"),
};

/* Broad words, tried after the relay texts: Sendmail's "Relaying
 * denied. Cannot resolve PTR record" and "IP name possibly forged" are
 * relay refusals. */
static const struct cause_row broad_texts[] = {
	TEXT("reverse dns", "reverse-dns", "generic"),
	TEXT("ptr record", "reverse-dns", "gmail 5.7.25 / generic"),
	TEXT("reverse hostname", "reverse-dns", "generic"),
	TEXT("listed at ", "blocklist", "sendmail dnsbl / exim"),
	TEXT("listed in ", "blocklist", "generic dnsbl"),
	TEXT("blacklist", "blocklist", "generic dnsbl"),
	TEXT("blocklist", "blocklist", "generic dnsbl"),
	TEXT("dnsbl", "blocklist", "generic dnsbl"),
	TEXT("timed out", "server-timeout", "generic"),
	TEXT("spoof", "spoofing", "generic"),
	TEXT("forged", "spoofing", "generic"),
	TEXT("dmarc", "dmarc", "gmail 5.7.26 / generic"),
	TEXT("dkim", "dkim", "generic"),
	TEXT("spf", "spf", "policyd-spf / generic"),
	TEXT("unauthenticated", "email-auth", "gmail 5.7.26"),
	TEXT_AT("does not exist", ST(RCPT), "unknown-user", "gmail 5.1.1"),
	TEXT("malware", "content", "content filter"),
	TEXT("spam", "content", "content filter"),
	TEXT("unsolicited", "content", "gmail 5.7.1"),
	TEXT("content rejected", "content", "content filter"),
};

/* Syntax and sequence errors: about the command, whatever else the text
 * says (Sendmail "503 5.0.0 Need MAIL before RCPT", Exim "501 <a!b>:
 * recipient address must contain a domain"). */
static const struct cause_row sequence_rules[] = {
	CODE(0, 0, ".5.3", 0, "too-many-recipients", "RFC 3463 X.5.3"),
	CODE(503, 503, "", 0, "bad-sequence", "RFC 5321 503 bad sequence"),
	CODE(500, 501, "", 0, "syntax", "RFC 5321 500/501 syntax error"),
	CODE(502, 502, "", 0, "not-implemented", "RFC 5321 502"),
	CODE(504, 504, "", 0, "not-implemented", "RFC 5321 504"),
	CODE(0, 0, ".5.", 0, "syntax", "RFC 3463 X.5.x invalid command"),
};

static const struct cause_row relay_texts[] = {
	TEXT("relay access denied", "relay",
	    "postfix reject_unauth_destination / Exchange Online"),
	TEXT("relaying denied", "relay", "sendmail proto.m4"),
	TEXT("relaying temporarily denied", "relay", "sendmail proto.m4"),
	TEXT("relay not permitted", "relay", "exim default configure"),
	TEXT("unable to relay", "relay", "exchange"),
	TEXT("rcpthosts", "relay", "qmail-smtpd"),
	TEXT("relaying disallowed", "relay", "zoho"),
	TEXT("relay denied", "relay", "google"),
	TEXT("invalid credentials for relay", "relay", "google smtp-relay"),
	TEXT("not permitted to relay", "relay", "generic"),
	TEXT("we do not relay", "relay", "generic"),
	TEXT("relaying not allowed", "relay", "generic"),
};

/* Enhanced codes that mean "not authorised to relay" in reply to RCPT
 * when the text names no other cause (RFC 3463 X.7.1; Exchange 5.7.54,
 * Exchange Online 5.7.64). */
static const struct cause_row relay_codes[] = {
	CODE(0, 0, "5.7.1", ST(RCPT), "relay", "enhanced status code"),
	CODE(0, 0, "4.7.1", ST(RCPT), "relay", "enhanced status code"),
	CODE(0, 0, "5.7.54", ST(RCPT), "relay", "enhanced status code"),
	CODE(0, 0, "5.7.64", ST(RCPT), "relay", "enhanced status code"),
};

/* The rest by code: first what a code means at its stage (RFC 5321
 * §4.3.2, RFC 3207, RFC 4954), then enhanced codes by subject (RFC 3463,
 * RFC 7372, RFC 7505, RFC 5248's registry). */
static const struct cause_row code_rules[] = {
	CODE(0, 0, ".7.23", 0, "spf", "RFC 7372 X.7.23"),
	CODE(0, 0, ".7.24", 0, "spf", "RFC 7372 X.7.24"),
	CODE(0, 0, ".7.20", 0, "dkim", "RFC 7372 X.7.20"),
	CODE(0, 0, ".7.21", 0, "dkim", "RFC 7372 X.7.21"),
	CODE(0, 0, ".7.22", 0, "dkim", "RFC 7372 X.7.22"),
	CODE(0, 0, ".7.25", 0, "reverse-dns", "RFC 7372 X.7.25"),
	CODE(0, 0, ".7.26", 0, "email-auth", "RFC 7372 X.7.26"),
	CODE(0, 0, ".7.27", 0, "null-mx", "RFC 7505 X.7.27"),
	CODE(0, 0, ".1.10", 0, "null-mx", "RFC 7505 X.1.10"),
	CODE(0, 0, ".7.28", 0, "rate-limited", "gmail 4.7.28"),
	CODE(0, 0, ".7.500", 0, "rate-limited", "microsoft 4.7.500"),
	CODE(0, 0, ".7.708", 0, "blocklist", "microsoft 5.7.708"),
	CODE(0, 0, ".7.8", 0, "auth-failed", "RFC 4954 X.7.8"),
	CODE(0, 0, ".7.9", 0, "auth-weak", "RFC 4954 X.7.9"),
	CODE(0, 0, ".7.10", 0, "tls-required", "RFC 5248 X.7.10"),
	CODE(0, 0, ".7.11", 0, "tls-required", "RFC 4954 X.7.11"),
	CODE(0, 0, ".7.12", 0, "auth-tempfail", "RFC 4954 X.7.12"),
	CODE(0, 0, ".1.8", 0, "sender-domain", "RFC 3463 X.1.8"),
	CODE(454, 454, "", ST(STARTTLS), "starttls-refused", "RFC 3207 454"),
	CODE(500, 599, "", ST(STARTTLS), "starttls-refused", "RFC 3207"),
	CODE(535, 535, "", ST(AUTH), "auth-failed", "RFC 4954 535"),
	CODE(534, 534, "", ST(AUTH), "auth-weak", "RFC 4954 534"),
	CODE(538, 538, "", 0, "tls-required", "RFC 4954 538"),
	CODE(454, 454, "", ST(AUTH), "auth-tempfail", "RFC 4954 454"),
	CODE(432, 432, "", ST(AUTH), "auth-tempfail", "RFC 4954 432"),
	CODE(530, 530, "", 0, "auth-required", "RFC 4954 530"),
	CODE(554, 554, "", ST(GREETING), "no-service", "RFC 5321 554"),
	CODE(521, 521, "", 0, "no-service", "RFC 7504 521"),
	CODE(556, 556, "", 0, "no-service", "RFC 7504 556"),
	CODE(421, 421, "", 0, "server-unavailable", "RFC 5321 421"),
	CODE(0, 0, ".1.1", 0, "unknown-user", "RFC 3463 X.1.1"),
	CODE(0, 0, ".1.2", 0, "bad-destination", "RFC 3463 X.1.2"),
	CODE(0, 0, ".1.3", 0, "address-syntax", "RFC 3463 X.1.3"),
	CODE(0, 0, ".1.", 0, "address", "RFC 3463 X.1.x"),
	CODE(0, 0, ".2.2", 0, "mailbox-full", "RFC 3463 X.2.2"),
	CODE(0, 0, ".2.3", 0, "message-too-large", "RFC 3463 X.2.3"),
	CODE(0, 0, ".2.", 0, "mailbox", "RFC 3463 X.2.x"),
	CODE(0, 0, ".3.4", 0, "message-too-large", "RFC 3463 X.3.4"),
	CODE(0, 0, ".3.1", 0, "server-storage", "RFC 3463 X.3.1"),
	CODE(0, 0, ".3.2", 0, "server-unavailable", "RFC 3463 X.3.2"),
	CODE(0, 0, ".3.", 0, "system", "RFC 3463 X.3.x"),
	CODE(0, 0, ".4.5", 0, "server-unavailable",
	    "RFC 3463 X.4.5 mail system congestion"),
	CODE(0, 0, ".4.", 0, "network", "RFC 3463 X.4.x"),
	CODE(0, 0, ".6.", 0, "content", "RFC 3463 X.6.x message content"),
	CODE(0, 0, ".7.", 0, "policy", "RFC 3463 X.7.x"),
	CODE(552, 552, "", ST(END_OF_DATA) | ST(MAIL), "message-too-large",
	    "RFC 5321 552 exceeded storage allocation"),
	CODE(452, 452, "", ST(END_OF_DATA), "server-storage",
	    "RFC 5321 452 insufficient system storage"),
};

static const struct {
	const char *name, *label;
} stages[] = {
#define DIAG_STAGE_NAME(id, name, label) { name, label },
	DIAG_STAGE_LIST(DIAG_STAGE_NAME)
#undef DIAG_STAGE_NAME
};

const char *
diag_stage_name(enum diag_stage s)
{
	return (unsigned)s < G_N_ELEMENTS(stages) ? stages[s].name : "?";
}

const char *
diag_stage_label(enum diag_stage s)
{
	return (unsigned)s < G_N_ELEMENTS(stages) ? stages[s].label : "?";
}

const struct cause_info *
cause_info(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < G_N_ELEMENTS(causes); i++)
		if (strcmp(causes[i].name, name) == 0)
			return &causes[i];
	return NULL;
}

static bool
enhanced_matches(const char *want, const char *have)
{
	const char *detail;

	if (want[0] == '\0')
		return true;
	if (g_ascii_isdigit(want[0]))
		return strcmp(want, have) == 0;
	detail = strchr(have, '.');
	if (detail == NULL)
		return false;
	if (g_str_has_suffix(want, "."))
		return g_str_has_prefix(detail, want);
	return strcmp(detail, want) == 0;
}

/* The first row that r (whose text in lower case is low) satisfies at
 * the stage, or NULL. */
static const struct cause_row *
first_row(const struct cause_row *rows, size_t n, const struct smtp_reply *r,
    const char *low, enum diag_stage stage)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct cause_row *x = &rows[i];

		if (x->stages != 0 && (x->stages & (1u << stage)) == 0)
			continue;
		if (x->needle != NULL) {
			if (strstr(low, x->needle) != NULL)
				return x;
			continue;
		}
		if (x->code_lo != 0 &&
		    (r->code < x->code_lo || r->code > x->code_hi))
			continue;
		if (!enhanced_matches(x->enhanced, r->enhanced))
			continue;
		return x;
	}
	return NULL;
}

void
causes_classify(
    const struct smtp_reply *r, enum diag_stage stage, struct cause_match *out)
{
	g_autofree char *low = NULL;
	const struct cause_row *x;
	int cls = smtp_reply_class(r->code);

	out->cause = NULL;
	out->source = NULL;
	out->relay = false;
	if (cls != 4 && cls != 5)
		return;
	/* NULs in the text end the search there, as they end the text for
	 * anyone reading it. */
	low = g_ascii_strdown(r->text, (gssize)r->text_len);
	x = first_row(other_texts, G_N_ELEMENTS(other_texts), r, low, stage);
	if (x == NULL)
		x = first_row(sequence_rules, G_N_ELEMENTS(sequence_rules), r,
		    low, stage);
	if (x == NULL)
		x = first_row(
		    relay_texts, G_N_ELEMENTS(relay_texts), r, low, stage);
	if (x == NULL)
		x = first_row(
		    broad_texts, G_N_ELEMENTS(broad_texts), r, low, stage);
	if (x == NULL)
		x = first_row(
		    relay_codes, G_N_ELEMENTS(relay_codes), r, low, stage);
	if (x == NULL)
		x = first_row(
		    code_rules, G_N_ELEMENTS(code_rules), r, low, stage);
	if (x == NULL)
		return;
	out->cause = x->cause;
	out->source = x->source;
	out->relay = strcmp(x->cause, "relay") == 0;
}

/* Seconds in a unit word at p ("s", "sec", "seconds", "min", "minutes",
 * "h", "hours"), or 0 if none. */
static int64_t
unit_seconds(const char *p, const char *end)
{
	static const struct {
		const char *word;
		int64_t secs;
	} units[] = {
		{ "seconds", 1 },
		{ "second", 1 },
		{ "secs", 1 },
		{ "sec", 1 },
		{ "s", 1 },
		{ "minutes", 60 },
		{ "minute", 60 },
		{ "mins", 60 },
		{ "min", 60 },
		{ "m", 60 },
		{ "hours", 3600 },
		{ "hour", 3600 },
		{ "h", 3600 },
	};
	size_t i;

	while (p < end && *p == ' ')
		p++;
	for (i = 0; i < G_N_ELEMENTS(units); i++) {
		size_t n = strlen(units[i].word);

		if ((size_t)(end - p) >= n &&
		    g_ascii_strncasecmp(p, units[i].word, n) == 0 &&
		    (p + n == end || !g_ascii_isalpha(p[n])))
			return units[i].secs;
	}
	return 0;
}

/* Does one of the delay words end within the 24 bytes before p? */
static bool
delay_word_before(const char *text, const char *p)
{
	static const char *const words[] = { "retry", "again", "after", "for",
		"wait" };
	const char *from = p - text > 24 ? p - 24 : text;
	const char *q;
	size_t i;

	for (q = from; q < p; q++)
		for (i = 0; i < G_N_ELEMENTS(words); i++) {
			size_t n = strlen(words[i]);

			if ((size_t)(p - q) >= n &&
			    g_ascii_tolower(*q) == words[i][0] &&
			    g_ascii_strncasecmp(q, words[i], n) == 0)
				return true;
		}
	return false;
}

/* A view of the token at p, up to a separator. */
static size_t
token_len(const char *p, const char *end, const char *stops)
{
	const char *q = p;

	while (q < end && *q != '\0' && strchr(stops, *q) == NULL &&
	       !g_ascii_isspace(*q))
		q++;
	return (size_t)(q - p);
}

void
causes_details(const struct smtp_reply *r, struct cause_details *out)
{
	static const char *const list_after[] = { "blocked using ",
		"black list at ", "block list at ", "blacklist at ",
		"blocklist at ", "listed at ", "listed in ", "listed on " };
	const char *t = r->text;
	const char *end = r->text + strnlen(r->text, r->text_len);
	const char *p;
	size_t i;

	memset(out, 0, sizeof *out);
	out->retry_after = -1;
	/* A delay: digits, a unit, after a delay word. */
	for (p = t; p < end; p++) {
		const char *q = p;
		int64_t v = 0, unit;

		if (!g_ascii_isdigit(*p) ||
		    (p > t && (g_ascii_isalnum(p[-1]) || p[-1] == '.')))
			continue;
		while (q < end && g_ascii_isdigit(*q) && v < 100000000)
			v = v * 10 + (*q++ - '0');
		if (q < end && (g_ascii_isdigit(*q) || *q == '.'))
			continue;
		unit = unit_seconds(q, end);
		if (unit > 0 && delay_word_before(t, p)) {
			out->retry_after = v * unit;
			break;
		}
	}
	for (i = 0; i < G_N_ELEMENTS(list_after); i++) {
		p = smtp_text_find(t, end, list_after[i]);
		if (p != NULL) {
			p += strlen(list_after[i]);
			out->list = p;
			out->list_len = token_len(p, end, ";,()<>[]\"'");
			while (out->list_len > 0 && p[out->list_len - 1] == '.')
				out->list_len--;
			if (out->list_len == 0)
				out->list = NULL;
			break;
		}
	}
	p = memchr(t, '[', (size_t)(end - t));
	if (p != NULL) {
		size_t n = token_len(p + 1, end, "]");

		if (n > 0 && n < 46 && p + 1 + n < end && p[1 + n] == ']' &&
		    strspn(p + 1, "0123456789abcdefABCDEF.:") >= n) {
			out->address = p + 1;
			out->address_len = n;
		}
	}
	p = smtp_text_find(t, end, "https://");
	if (p == NULL)
		p = smtp_text_find(t, end, "http://");
	if (p != NULL) {
		out->url = p;
		out->url_len = token_len(p, end, ";<>\"'");
		while (out->url_len > 0 &&
		       strchr(".,)", p[out->url_len - 1]) != NULL)
			out->url_len--;
	}
}
