/* SPDX-License-Identifier: GPL-2.0-or-later */
/* relay_config.c: the relay policy: local domains and trusted networks,
 * from the command line (--local-domains, --trusted-nets) and a GKeyFile
 * (--config) with a [global] section and one per server.  Every value is
 * checked: a typo that is silently ignored is a wrong verdict, so a bad
 * one is an error naming the file, the line and the key
 * (docs/verdicts.md, "The configuration file"). */
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "address.h"
#include "relay.h"

/* The keys a section may hold. */
static const char *const config_keys[] = { "local_domains", "trusted_nets" };

/* Is s (lower case) a domain name: LDH labels of 1-63 bytes, not starting
 * or ending with a hyphen, at most 253 bytes (RFC 1035 §2.3.1, RFC 5321
 * §4.1.2)?  A leading dot (the domain and its subdomains) is allowed. */
static bool
domain_valid(const char *s)
{
	size_t n, label = 0;
	const char *p;

	if (s[0] == '.')
		s++;
	n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!g_ascii_isalnum(*p) && !(*p == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && p[-1] != '-';
}

/* Parse one domain of a list: lower case, IDN to its A-labels, trailing
 * dot dropped.  NULL if it is not a domain name. */
static char *
domain_parse(const char *v)
{
	gboolean sub = v[0] == '.';
	g_autofree char *ascii = g_hostname_to_ascii(sub ? v + 1 : v);
	char *d;
	size_t n;

	if (ascii == NULL)
		return NULL;
	n = strlen(ascii);
	if (n > 1 && ascii[n - 1] == '.')
		ascii[n - 1] = '\0';
	{
		g_autofree char *low = g_ascii_strdown(ascii, -1);

		d = g_strconcat(sub ? "." : "", low, NULL);
	}
	if (!domain_valid(d)) {
		g_free(d);
		return NULL;
	}
	return d;
}

/* Parse a network ("192.0.2.0/24", "2001:db8::/32", an address alone).
 * The prefix length is checked first: GLib warns on stderr about one
 * that is too long instead of only failing. */
static GInetAddressMask *
network_parse(const char *v, GError **error)
{
	g_autofree char *host = NULL;
	const char *slash = strchr(v, '/');
	guint64 len;

	if (slash != NULL) {
		host = g_strndup(v, (gsize)(slash - v));
		if (!g_ascii_string_to_unsigned(slash + 1, 10, 0,
			strchr(host, ':') != NULL ? 128 : 32, &len, NULL)) {
			g_set_error(error, G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "prefix length \"%s\" is not 0-%d", slash + 1,
			    strchr(host, ':') != NULL ? 128 : 32);
			return NULL;
		}
	}
	return g_inet_address_mask_new_from_string(v, error);
}

gboolean
relay_policy_parse(const char *domains, const char *nets,
    struct relay_policy **out, GError **error)
{
	struct relay_policy *p = g_new0(struct relay_policy, 1);
	g_auto(GStrv) v = NULL;
	int i;

	p->local_domains = g_ptr_array_new_with_free_func(g_free);
	p->trusted = g_ptr_array_new_with_free_func(g_object_unref);
	if (domains != NULL) {
		v = g_strsplit(domains, ",", -1);
		for (i = 0; v[i] != NULL; i++) {
			char *d;

			g_strstrip(v[i]);
			if (v[i][0] == '\0')
				continue;
			d = domain_parse(v[i]);
			if (d == NULL) {
				g_set_error(error, G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "\"%s\" is not a domain name (example.com, "
				    ".example.com for it and its subdomains)",
				    v[i]);
				relay_policy_free(p);
				return FALSE;
			}
			g_ptr_array_add(p->local_domains, d);
		}
		g_clear_pointer(&v, g_strfreev);
	}
	if (nets != NULL) {
		/* Given at all, even as "none": trust is configured, and
		 * nothing is inferred. */
		p->trust_configured = true;
		v = g_strsplit(nets, ",", -1);
		for (i = 0; v[i] != NULL; i++) {
			g_autoptr(GError) e = NULL;
			GInetAddressMask *m;

			g_strstrip(v[i]);
			if (v[i][0] == '\0' || strcmp(v[i], "none") == 0)
				continue;
			m = network_parse(v[i], &e);
			if (m == NULL) {
				g_set_error(error, G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "trusted network \"%s\" is not an address "
				    "or network (192.0.2.0/24, "
				    "2001:db8::/32): %s",
				    v[i], e->message);
				relay_policy_free(p);
				return FALSE;
			}
			g_ptr_array_add(p->trusted, m);
		}
	}
	*out = p;
	return TRUE;
}

void
relay_policy_free(struct relay_policy *p)
{
	if (p == NULL)
		return;
	g_ptr_array_unref(p->local_domains);
	g_ptr_array_unref(p->trusted);
	g_free(p);
}

/* The line of "[group]" in the file's text, or of "key =" within that
 * group when key is not NULL; 0 if not found.  GKeyFile keeps no line
 * numbers, and an error without one sends people hunting. */
static int
config_line(const char *text, const char *group, const char *key)
{
	g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
	bool in = false;
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(lines[i]);

		if (l[0] == '[') {
			size_t n = strlen(l);

			in = n >= 2 && l[n - 1] == ']' &&
			     strncmp(l + 1, group, n - 2) == 0 &&
			     strlen(group) == n - 2;
			if (in && key == NULL)
				return i + 1;
			continue;
		}
		if (in && key != NULL && g_str_has_prefix(l, key) &&
		    (l[strlen(key)] == '=' || l[strlen(key)] == ' ' ||
			l[strlen(key)] == '\t'))
			return i + 1;
	}
	return 0;
}

/* Set *error to "PATH:LINE: [GROUP] KEY: message" (the line of the key,
 * or of the group when key is NULL). */
static void G_GNUC_PRINTF(6, 7) config_error(GError **error, const char *path,
    const char *text, const char *group, const char *key, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;
	int line = config_line(text, group, key);

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		g_set_error(error, G_KEY_FILE_ERROR,
		    G_KEY_FILE_ERROR_INVALID_VALUE, "%s:%d: [%s]%s%s: %s", path,
		    line, group, key != NULL ? " " : "", key != NULL ? key : "",
		    msg);
	else
		g_set_error(error, G_KEY_FILE_ERROR,
		    G_KEY_FILE_ERROR_INVALID_VALUE, "%s: [%s]%s%s: %s", path,
		    group, key != NULL ? " " : "", key != NULL ? key : "", msg);
}

/* "server 192.0.2.25", "server 192.0.2.25:587", "server 2001:db8::25",
 * "server [2001:db8::25]:587" -> the servers table's key ("ip|port" or
 * "ip"); FALSE if the section names no address. */
static gboolean
section_server(const char *group, char **key)
{
	char ip[48]; /* as struct rs_endpoint holds it */
	uint16_t port;

	if (!address_parse_endpoint(
		group + strlen("server "), ip, sizeof ip, &port))
		return FALSE;
	*key = port != 0 ? g_strdup_printf("%s|%u", ip, (unsigned)port)
			 : g_strdup(ip);
	return TRUE;
}

/* One section's policy; every key known, every value valid. */
static gboolean
section_policy(GKeyFile *kf, const char *path, const char *text,
    const char *group, struct relay_policy **out, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	g_auto(GStrv) dom = NULL;
	g_auto(GStrv) nets = NULL;
	g_autofree char *d = NULL;
	g_autofree char *n = NULL;
	g_autoptr(GError) e = NULL;
	struct relay_policy *p = NULL;
	guint i, k;

	for (i = 0; keys != NULL && keys[i] != NULL; i++) {
		for (k = 0; k < G_N_ELEMENTS(config_keys); k++)
			if (strcmp(keys[i], config_keys[k]) == 0)
				break;
		if (k == G_N_ELEMENTS(config_keys)) {
			config_error(error, path, text, group, keys[i],
			    "unknown key (a section holds local_domains and "
			    "trusted_nets)");
			return FALSE;
		}
	}
	dom =
	    g_key_file_get_string_list(kf, group, "local_domains", NULL, NULL);
	nets =
	    g_key_file_get_string_list(kf, group, "trusted_nets", NULL, NULL);
	d = dom != NULL ? g_strjoinv(",", dom) : NULL;
	n = nets != NULL ? g_strjoinv(",", nets) : NULL;
	/* Each list alone, so that the error names its key. */
	if (!relay_policy_parse(d, NULL, &p, &e)) {
		config_error(error, path, text, group, "local_domains", "%s",
		    e->message);
		return FALSE;
	}
	relay_policy_free(p);
	p = NULL;
	if (!relay_policy_parse(d, n, &p, &e)) {
		config_error(
		    error, path, text, group, "trusted_nets", "%s", e->message);
		return FALSE;
	}
	*out = p;
	return TRUE;
}

gboolean
relay_config_load(const char *path, const char *domains, const char *nets,
    struct relay_config **out, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;
	g_autofree char *text = NULL;
	struct relay_config *c = g_new0(struct relay_config, 1);
	g_autoptr(GError) e = NULL;
	int i;

	c->servers = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)relay_policy_free);
	if (path != NULL && (!g_file_get_contents(path, &text, NULL, &e) ||
				!g_key_file_load_from_data(kf, text, (gsize)-1,
				    G_KEY_FILE_NONE, &e))) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
		    "%s: %s", path, e->message);
		relay_config_free(c);
		return FALSE;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (i = 0; groups[i] != NULL; i++) {
		struct relay_policy *p = NULL;
		char *key = NULL;

		if (strcmp(groups[i], "global") == 0) {
			struct relay_policy **dst = &c->global;

			if (domains != NULL || nets != NULL)
				dst = &p; /* checked, but the command line
					   * wins */
			if (!section_policy(
				kf, path, text, groups[i], dst, error))
				goto bad;
			relay_policy_free(p);
			continue;
		}
		if (strncmp(groups[i], "server ", 7) != 0) {
			config_error(error, path, text, groups[i], NULL,
			    "unknown section (use [global] or [server "
			    "ADDRESS[:PORT]])");
			goto bad;
		}
		if (!section_server(groups[i], &key)) {
			config_error(error, path, text, groups[i], NULL,
			    "not \"server ADDRESS\" or \"server "
			    "ADDRESS:PORT\"");
			goto bad;
		}
		if (!section_policy(kf, path, text, groups[i], &p, error)) {
			g_free(key);
			goto bad;
		}
		g_hash_table_replace(c->servers, key, p);
	}
	if (c->global == NULL) {
		struct relay_policy *p = NULL;

		/* Each list alone, so that the error names its option. */
		if (!relay_policy_parse(domains, NULL, &p, &e)) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE, "--local-domains: %s",
			    e->message);
			goto bad;
		}
		relay_policy_free(p);
		if (!relay_policy_parse(domains, nets, &c->global, &e)) {
			g_set_error(error, G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE, "--trusted-nets: %s",
			    e->message);
			goto bad;
		}
	}
	*out = c;
	return TRUE;
bad:
	relay_config_free(c);
	return FALSE;
}

void
relay_config_free(struct relay_config *c)
{
	if (c == NULL)
		return;
	relay_policy_free(c->global);
	g_hash_table_destroy(c->servers);
	g_free(c);
}

const struct relay_policy *
relay_config_policy(const struct relay_config *c, const struct dialogue *d)
{
	char k1[sizeof d->server.ip + 8];
	const struct relay_policy *p;

	if (c == NULL)
		return NULL;
	if (g_hash_table_size(c->servers) == 0)
		return c->global; /* (no [server ...] sections: the usual) */
	g_snprintf(k1, sizeof k1, "%s|%u", d->server.ip, d->server.port);
	p = g_hash_table_lookup(c->servers, k1);
	if (p == NULL)
		p = g_hash_table_lookup(c->servers, d->server.ip);
	return p != NULL ? p : c->global;
}
