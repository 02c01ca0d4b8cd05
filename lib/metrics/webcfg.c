// SPDX-License-Identifier: MIT
/*
 * webcfg.c - the exporter toolkit's web config file (--web.config.file of
 * Prometheus exporters), read with libyaml:
 *
 *	tls_server_config:
 *	  cert_file: server.crt
 *	  key_file: server.key
 *	basic_auth_users:
 *	  prometheus: $2y$10$...
 *
 * tulpen implements cert_file, key_file and basic_auth_users (bcrypt
 * hashes, checked with libxcrypt's crypt_rn()). Any other key is refused
 * by name, as the toolkit refuses unknown ones: a setting that looks
 * applied but is not (client certificates, say) would be worse than an
 * error.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "tulpen/metrics.h"

#define DIGEST_LEN 32 /* SHA-256 */
#define MAX_USERS 1024

struct user {
	char *name;
	char *hash;
	int ok_valid; /* ok_digest holds the last password that matched */
	uint8_t ok_digest[DIGEST_LEN];
};

struct tulpen_webcfg {
	char *cert_file;
	char *key_file;
	struct user *users;
	size_t nusers;
	pthread_mutex_t lock; /* the users' ok_digest */
};

struct parse {
	yaml_document_t *doc;
	const char *dir;
	struct tulpen_webcfg *c;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->err, p->errlen, "line %zu: %s",
			 (size_t)n->start_mark.line + 1, msg);
	else
		snprintf(p->err, p->errlen, "%s", msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

static int path_value(struct parse *p, const yaml_node_t *n, const char *key,
		      char **out)
{
	const char *v = scalar(n);
	int r;

	if (!v || !*v)
		return fail(p, n, "%s: needs a file name", key);
	if (*out)
		return fail(p, n, "%s: given twice", key);
	if (v[0] == '/' || !p->dir)
		*out = strdup(v);
	else {
		r = asprintf(out, "%s/%s", p->dir, v);
		if (r < 0)
			*out = NULL;
	}
	return *out ? 0 : -ENOMEM;
}

static int parse_tls(struct parse *p, const yaml_node_t *map)
{
	const yaml_node_pair_t *pair;
	const yaml_node_t *k, *v;
	const char *key;
	int ret;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s: must be a mapping",
			    "tls_server_config");
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(p->doc, pair->key);
		v = yaml_document_get_node(p->doc, pair->value);
		key = scalar(k);
		if (!key)
			return fail(p, k, "%s: keys must be names",
				    "tls_server_config");
		if (!strcmp(key, "cert_file"))
			ret = path_value(p, v, "cert_file", &p->c->cert_file);
		else if (!strcmp(key, "key_file"))
			ret = path_value(p, v, "key_file", &p->c->key_file);
		else
			return fail(p, k,
				    "tls_server_config.%s: not supported "
				    "by tulpen serve",
				    key);
		if (ret)
			return ret;
	}
	if (!p->c->cert_file || !p->c->key_file)
		return fail(p, map, "%s: needs both cert_file and key_file",
			    "tls_server_config");
	return 0;
}

/*
 * "$2a$", "$2b$" or "$2y$", two digits of cost, '$', 53 characters. A cost
 * above MAX_COST (2^15 rounds, about a second a check) is refused: each
 * wrong password would cost that much.
 */
#define MAX_COST 15

static int is_bcrypt(const char *h)
{
	size_t i;
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return 0;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > MAX_COST)
		return 0;
	for (i = 7; i < 60; i++)
		if (!strchr("./"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			    "yz"
			    "0123456789",
			    h[i]))
			return 0;
	return 1;
}

static int parse_users(struct parse *p, const yaml_node_t *map)
{
	const yaml_node_pair_t *pair;
	const yaml_node_t *k, *v;
	const char *name, *hash;
	struct user *u;
	size_t i, n;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map,
			    "%s: must be a mapping of user: bcrypt hash",
			    "basic_auth_users");
	n = (size_t)(map->data.mapping.pairs.top -
		     map->data.mapping.pairs.start);
	if (n > MAX_USERS)
		return fail(p, map, "%s: more than 1024 users",
			    "basic_auth_users");
	if (p->c->users || !n)
		return fail(p, map, "%s: given twice or empty",
			    "basic_auth_users");
	p->c->users = calloc(n, sizeof(*u));
	if (!p->c->users)
		return -ENOMEM;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(p->doc, pair->key);
		v = yaml_document_get_node(p->doc, pair->value);
		name = scalar(k);
		hash = scalar(v);
		if (!name || !*name || strchr(name, ':'))
			return fail(p, k,
				    "%s: a user name must be a word "
				    "without ':'",
				    "basic_auth_users");
		if (!hash || !is_bcrypt(hash))
			return fail(p, v,
				    "basic_auth_users.%s: not a bcrypt "
				    "hash ($2y$ or $2b$, cost 4 to 15)",
				    name);
		for (i = 0; i < p->c->nusers; i++)
			if (!strcmp(p->c->users[i].name, name))
				return fail(p, k,
					    "basic_auth_users.%s: given "
					    "twice",
					    name);
		u = &p->c->users[p->c->nusers];
		u->name = strdup(name);
		u->hash = strdup(hash);
		if (!u->name || !u->hash) {
			free(u->name);
			free(u->hash);
			return -ENOMEM;
		}
		p->c->nusers++;
	}
	return 0;
}

static int parse_root(struct parse *p)
{
	const yaml_node_t *root = yaml_document_get_root_node(p->doc), *k, *v;
	const yaml_node_pair_t *pair;
	const char *key;
	int ret;

	if (!root)
		return 0; /* an empty file: plain HTTP, no auth */
	if (root->type == YAML_SCALAR_NODE && !*scalar(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail(p, root, "%s", "the file must be a YAML mapping");
	for (pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(p->doc, pair->key);
		v = yaml_document_get_node(p->doc, pair->value);
		key = scalar(k);
		if (!key || !v)
			return fail(p, k, "%s", "keys must be names");
		if (!strcmp(key, "tls_server_config"))
			ret = parse_tls(p, v);
		else if (!strcmp(key, "basic_auth_users"))
			ret = parse_users(p, v);
		else
			return fail(p, k, "%s: not supported by tulpen serve",
				    key);
		if (ret)
			return ret;
	}
	return 0;
}

int tulpen_webcfg_parse(const char *text, size_t len, const char *dir,
			struct tulpen_webcfg **out, char *err, size_t errlen)
{
	struct parse p = { .dir = dir, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	if (len > TULPEN_WEBCFG_MAX_SIZE) {
		snprintf(err, errlen, "larger than %d bytes",
			 TULPEN_WEBCFG_MAX_SIZE);
		return -EINVAL;
	}
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c)
		return -ENOMEM;
	if (pthread_mutex_init(&p.c->lock, NULL)) {
		free(p.c);
		return -ENOMEM;
	}
	if (!yaml_parser_initialize(&parser)) {
		tulpen_webcfg_free(p.c);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "line %zu: %s",
			 (size_t)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		tulpen_webcfg_free(p.c);
		return -EINVAL;
	}
	p.doc = &doc;
	ret = parse_root(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret) {
		tulpen_webcfg_free(p.c);
		return ret;
	}
	*out = p.c;
	return 0;
}

int tulpen_webcfg_load(const char *path, struct tulpen_webcfg **out, char *err,
		       size_t errlen)
{
	char *buf, *dir, *slash;
	size_t len = 0;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	buf = malloc(TULPEN_WEBCFG_MAX_SIZE + 1);
	dir = strdup(path);
	if (!buf || !dir) {
		ret = -ENOMEM;
		goto out;
	}
	while (len <= TULPEN_WEBCFG_MAX_SIZE) {
		r = read(fd, buf + len, TULPEN_WEBCFG_MAX_SIZE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s", strerror(-ret));
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	ret = tulpen_webcfg_parse(buf, len, slash ? dir : NULL, out, err,
				  errlen);
out:
	free(buf);
	free(dir);
	close(fd);
	return ret;
}

void tulpen_webcfg_free(struct tulpen_webcfg *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	free(c->cert_file);
	free(c->key_file);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const char *tulpen_webcfg_cert_file(const struct tulpen_webcfg *c)
{
	return c ? c->cert_file : NULL;
}

const char *tulpen_webcfg_key_file(const struct tulpen_webcfg *c)
{
	return c ? c->key_file : NULL;
}

size_t tulpen_webcfg_users(const struct tulpen_webcfg *c)
{
	return c ? c->nusers : 0;
}

/* Compare without an early exit. */
static int same(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return !d;
}

static int bcrypt_ok(const char *hash, const char *password)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *r;
	int ok = 0;

	if (!cd)
		return 0;
	/*
	 * crypt_rn(), libxcrypt's crypt_r() with the size of the data: NULL
	 * instead of a "*0" string on failure. (And not crypt_r(), which the
	 * sanitizers intercept and then cannot find when the linker took the
	 * symbol from them and dropped libcrypt.)
	 */
	r = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	if (r && r[0] != '*' && strlen(r) == strlen(hash))
		ok = same(r, hash, strlen(hash));
	free(cd);
	return ok;
}

int tulpen_webcfg_auth(struct tulpen_webcfg *c, const char *user,
		       const char *password)
{
	/* a valid hash no password matches, for unknown users' timing */
	static const char dummy[] =
		"$2b$10$tulpendummysaltvalue..BACa6cfU7CWrBsmWJV1E5cF7/kzsDEy";
	uint8_t digest[DIGEST_LEN];
	struct user *u = NULL;
	size_t i;
	int ok;

	if (!c || !user || !password)
		return 0;
	for (i = 0; i < c->nusers; i++)
		if (!strcmp(c->users[i].name, user))
			u = &c->users[i];
	if (!u) {
		bcrypt_ok(dummy, password);
		return 0;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, password, strlen(password),
			     digest))
		return 0;
	pthread_mutex_lock(&c->lock);
	ok = u->ok_valid && same(u->ok_digest, digest, DIGEST_LEN);
	pthread_mutex_unlock(&c->lock);
	if (ok)
		return 1;
	if (!bcrypt_ok(u->hash, password))
		return 0;
	pthread_mutex_lock(&c->lock);
	memcpy(u->ok_digest, digest, DIGEST_LEN);
	u->ok_valid = 1;
	pthread_mutex_unlock(&c->lock);
	return 1;
}
