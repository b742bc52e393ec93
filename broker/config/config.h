/* The configuration file: INI (libinih), one [account NAME] section per
 * account, an optional [store] section, an optional [gateway] section
 * (kept as key/value lines for gateway/). Presets (providers.c) fill in what a
 * section leaves out. */
#ifndef MK_BROKER_CONFIG_H
#define MK_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "broker/account.h"
#include "common/buf.h"
#include "common/error.h"

struct mk_config;

/* Parse path. Every problem found is appended to problems_r (may be NULL) as
 * "FILE:LINE: message\n"; the first one also goes to err. Errors:
 * MK_ERR_NOINPUT (no such file), MK_ERR_CONFIG, MK_ERR_IO. */
int mk_config_load(const char *path, struct mk_buf *problems_r, struct mk_config **r, struct mk_error *err);
/* As mk_config_load, but only the sections and keys are checked: no file the
 * configuration names (client_secret_file) is read or checked, and no
 * secret is loaded (`mailkey accounts --names`, for shell completion). */
int mk_config_load_names(const char *path, struct mk_buf *problems_r, struct mk_config **r,
			 struct mk_error *err);
/* The same from an open stream; path only names it in messages (the fuzz
 * target feeds memory through fmemopen). */
int mk_config_load_stream(const char *path, FILE *fp, struct mk_buf *problems_r, struct mk_config **r,
			  struct mk_error *err);
void mk_config_free(struct mk_config **c);

size_t mk_config_account_count(const struct mk_config *c);
struct mk_account *mk_config_account_at(const struct mk_config *c, size_t i);
struct mk_account *mk_config_find(const struct mk_config *c, const char *name);
const char *mk_config_path(const struct mk_config *c);
/* [store] key_command, or NULL. */
const char *mk_config_key_command(const struct mk_config *c);
/* The top-level default_account (an account that exists), or NULL. */
const char *mk_config_default_account(const struct mk_config *c);

/* The daemon's top-level keys: socket (a path) and allow_group (a group
 * name whose members may use the socket), or NULL when not set. */
const char *mk_config_socket(const struct mk_config *c);
const char *mk_config_allow_group(const struct mk_config *c);

/* The [gateway] section's `key = value` lines in file order (a `~/` value
 * expanded), unvalidated: gateway/gwconfig.c knows what they mean and says
 * FILE:LINE for each problem. *n_r = 0 (and *line_r = 0) without a
 * [gateway] section; *line_r (may be NULL) is its header's line. */
struct mk_config_kv {
	char *key, *value;
	unsigned line;
};
const struct mk_config_kv *mk_config_gateway(const struct mk_config *c, size_t *n_r, unsigned *line_r);

/* The default config path: $MAILKEY_CONFIG, $XDG_CONFIG_HOME/mailkey/config,
 * ~/.config/mailkey/config. Heap string, NULL on ENOMEM. */
char *mk_config_default_path(void);

/* Providers (providers.c). Fill every unset field of a from the preset named
 * by a->provider (and the mechanism unless mech_set); 0, or -1 with
 * MK_ERR_CONFIG for an unknown provider. */
int mk_provider_apply(struct mk_account *a, bool mech_set, struct mk_error *err);
/* Space-separated list of preset names, for messages. */
const char *mk_provider_names(void);

#endif
