#include "broker/daemon/relay.h"

#include <string.h>
#include <strings.h>

#include "common/str.h"

/* Split "[host]:port", "[host]", "host:port" or "host" into host (pointer
 * and length into key) and port (0 when none). -1 when the form is broken
 * (an unclosed '[', a port that is not 1..65535). */
static int split_host(const char *key, const char **host, size_t *hlen, unsigned *port)
{
	const char *colon;

	*port = 0;
	if (key[0] == '[') {
		const char *rb = strchr(key, ']');
		if (rb == NULL)
			return -1;
		*host = key + 1;
		*hlen = (size_t)(rb - key - 1);
		if (rb[1] == '\0')
			return 0;
		if (rb[1] != ':')
			return -1;
		colon = rb + 1;
	} else {
		colon = strrchr(key, ':');
		/* A bare IPv6 address has several colons and no port. */
		if (colon != NULL && strchr(key, ':') != colon)
			colon = NULL;
		*host = key;
		*hlen = colon != NULL ? (size_t)(colon - key) : strlen(key);
		if (colon == NULL)
			return 0;
	}
	if (mk_str_to_uint(colon + 1, 65535, port) != 0 || *port == 0)
		return -1;
	return 0;
}

bool mk_relay_match(const char *key, const struct mk_account *a)
{
	const char *host;
	size_t hlen;
	unsigned port;

	if (key == NULL || *key == '\0')
		return false;
	if (a->relay_key != NULL && strcasecmp(key, a->relay_key) == 0)
		return true;
	if (a->user != NULL && strcasecmp(key, a->user) == 0)
		return true;
	if (a->smtp.host == NULL || split_host(key, &host, &hlen, &port) != 0 || hlen == 0)
		return false;
	if (strlen(a->smtp.host) != hlen || strncasecmp(host, a->smtp.host, hlen) != 0)
		return false;
	return port == 0 || port == a->smtp.port;
}
