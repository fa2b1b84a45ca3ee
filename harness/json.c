// SPDX-License-Identifier: MIT
/*
 * json.c - a small, strict JSON reader (see json.h): a recursive-descent
 * parser with a depth limit, building a tree of malloc'd nodes. All state is
 * in the parser struct on the caller's stack.
 */
#define _GNU_SOURCE
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json {
	enum json_type type;
	int boolean;
	int is_int; /* number written as an integer that fits long long */
	long long ival;
	double num;
	char *str; /* NUL-terminated; may hold NULs (see slen) */
	size_t slen;
	struct json **items; /* array elements / object values */
	char **keys;	     /* object keys */
	size_t n, cap;
};

struct parser {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parser *p, const char *fmt, ...)
{
	char msg[96];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen)
		snprintf(p->err, p->errlen, "offset %zu: %s", p->pos, msg);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int peek(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static struct json *new_node(struct parser *p, enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (!j)
		fail(p, "out of memory");
	else
		j->type = t;
	return j;
}

/* Append child (and key, for objects) to a container; takes ownership. */
static int push(struct parser *p, struct json *c, char *key, struct json *child)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 4;
		struct json **ni = realloc(c->items, ncap * sizeof(*ni));

		if (!ni)
			goto oom;
		c->items = ni;
		if (c->type == JSON_OBJECT) {
			char **nk = realloc(c->keys, ncap * sizeof(*nk));

			if (!nk)
				goto oom;
			c->keys = nk;
		}
		c->cap = ncap;
	}
	c->items[c->n] = child;
	if (c->type == JSON_OBJECT)
		c->keys[c->n] = key;
	c->n++;
	return 0;
oom:
	fail(p, "out of memory");
	free(key);
	json_free(child);
	return -1;
}

static int hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;

	if (p->len - p->pos < 4) {
		fail(p, "truncated \\u escape");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else {
			p->pos--;
			fail(p, "bad hex digit in \\u escape");
			return -1;
		}
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Parse a string at p->pos (the opening quote); returns malloc'd text. */
static char *parse_string(struct parser *p, size_t *outlen)
{
	size_t start = ++p->pos, n = 0;
	char *o;

	/* The unescaped text is never longer than the escaped one. */
	while (p->pos < p->len && p->s[p->pos] != '"') {
		if (p->s[p->pos] == '\\')
			p->pos++;
		p->pos++;
	}
	if (p->pos >= p->len) {
		p->pos = start - 1;
		fail(p, "unterminated string");
		return NULL;
	}
	o = malloc(p->pos - start + 1);
	if (!o) {
		fail(p, "out of memory");
		return NULL;
	}
	p->pos = start;
	for (;;) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			fail(p, "control character 0x%02x in string", c);
			goto bad;
		}
		if (c != '\\') {
			o[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"':
			o[n++] = '"';
			break;
		case '\\':
			o[n++] = '\\';
			break;
		case '/':
			o[n++] = '/';
			break;
		case 'b':
			o[n++] = '\b';
			break;
		case 'f':
			o[n++] = '\f';
			break;
		case 'n':
			o[n++] = '\n';
			break;
		case 'r':
			o[n++] = '\r';
			break;
		case 't':
			o[n++] = '\t';
			break;
		case 'u': {
			unsigned cp, lo;

			if (hex4(p, &cp))
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "lone low surrogate \\u%04x", cp);
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					fail(p, "high surrogate \\u%04x without a low one", cp);
					goto bad;
				}
				p->pos += 2;
				if (hex4(p, &lo))
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "high surrogate \\u%04x followed by \\u%04x", cp,
					     lo);
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* 6 escaped bytes always cover up to 3 UTF-8 bytes; 12 cover 4. */
			n += put_utf8(o + n, cp);
			break;
		}
		default:
			p->pos--;
			fail(p, "bad escape '\\%c'", c >= 0x20 && c < 0x7f ? c : '?');
			goto bad;
		}
	}
	o[n] = '\0';
	*outlen = n;
	return o;
bad:
	free(o);
	return NULL;
}

static struct json *parse_number(struct parser *p)
{
	size_t start = p->pos;
	int integral = 1;
	struct json *j;
	char buf[64], *num, *end;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
	} else if (peek(p) >= '1' && peek(p) <= '9') {
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	} else {
		fail(p, "bad number");
		return NULL;
	}
	if (peek(p) == '.') {
		integral = 0;
		p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9')) {
			fail(p, "bad number: digits must follow '.'");
			return NULL;
		}
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		integral = 0;
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9')) {
			fail(p, "bad number: digits must follow the exponent");
			return NULL;
		}
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	/* strtod needs a terminated copy; long numbers are valid JSON too. */
	num = p->pos - start < sizeof(buf) ? buf : malloc(p->pos - start + 1);
	if (!num) {
		fail(p, "out of memory");
		return NULL;
	}
	memcpy(num, p->s + start, p->pos - start);
	num[p->pos - start] = '\0';
	j = new_node(p, JSON_NUMBER);
	if (j) {
		j->num = strtod(num, NULL);
		if (integral) {
			errno = 0;
			j->ival = strtoll(num, &end, 10);
			j->is_int = errno == 0 && *end == '\0';
		}
	}
	if (num != buf)
		free(num);
	return j;
}

static int match_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
		p->pos += n;
		return 1;
	}
	return 0;
}

static struct json *parse_value(struct parser *p, int depth);

static struct json *parse_container(struct parser *p, int depth, int is_obj)
{
	struct json *c = new_node(p, is_obj ? JSON_OBJECT : JSON_ARRAY);
	char close = is_obj ? '}' : ']';

	if (!c)
		return NULL;
	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return c;
	}
	for (;;) {
		char *key = NULL;
		size_t klen;
		struct json *v;

		skip_ws(p);
		if (is_obj) {
			if (peek(p) != '"') {
				fail(p, "expected a string key");
				goto bad;
			}
			key = parse_string(p, &klen);
			if (!key)
				goto bad;
			skip_ws(p);
			if (peek(p) != ':') {
				free(key);
				fail(p, "expected ':' after key");
				goto bad;
			}
			p->pos++;
		}
		v = parse_value(p, depth + 1);
		if (!v) {
			free(key);
			goto bad;
		}
		if (push(p, c, key, v))
			goto bad;
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == close) {
			p->pos++;
			return c;
		}
		fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	json_free(c);
	return NULL;
}

static struct json *parse_value(struct parser *p, int depth)
{
	struct json *j;
	int c;

	if (depth >= JSON_MAX_DEPTH) {
		fail(p, "nested deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	skip_ws(p);
	c = peek(p);
	switch (c) {
	case -1:
		fail(p, "unexpected end of input");
		return NULL;
	case '{':
	case '[':
		return parse_container(p, depth, c == '{');
	case '"': {
		size_t n;
		char *s = parse_string(p, &n);

		if (!s)
			return NULL;
		j = new_node(p, JSON_STRING);
		if (!j) {
			free(s);
			return NULL;
		}
		j->str = s;
		j->slen = n;
		return j;
	}
	case 't':
	case 'f':
		if (match_word(p, "true") || match_word(p, "false")) {
			j = new_node(p, JSON_BOOL);
			if (j)
				j->boolean = c == 't';
			return j;
		}
		break;
	case 'n':
		if (match_word(p, "null"))
			return new_node(p, JSON_NULL);
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p);
		break;
	}
	if (c >= 0x20 && c < 0x7f)
		fail(p, "unexpected character '%c'", c);
	else
		fail(p, "unexpected byte 0x%02x", c);
	return NULL;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {.s = text, .len = len, .err = err, .errlen = errlen};
	struct json *j;

	if (errlen)
		err[0] = '\0';
	if (!text) {
		p.len = 0;
		fail(&p, "no input");
		return NULL;
	}
	j = parse_value(&p, 0);
	if (!j)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		fail(&p, "trailing data after the value");
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

enum json_type json_type(const struct json *j)
{
	return j ? j->type : JSON_NULL;
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {"null", "bool", "number", "string", "array", "object"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

size_t json_len(const struct json *j)
{
	return j && (j->type == JSON_ARRAY || j->type == JSON_OBJECT) ? j->n : 0;
}

const struct json *json_at(const struct json *j, size_t i)
{
	return i < json_len(j) ? j->items[i] : NULL;
}

const char *json_key_at(const struct json *j, size_t i)
{
	return j && j->type == JSON_OBJECT && i < j->n ? j->keys[i] : NULL;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

int json_is_null(const struct json *j)
{
	return j && j->type == JSON_NULL;
}

int json_bool(const struct json *j, int def)
{
	return j && j->type == JSON_BOOL ? j->boolean : def;
}

double json_num(const struct json *j, double def)
{
	return j && j->type == JSON_NUMBER ? j->num : def;
}

long long json_int(const struct json *j, long long def)
{
	if (!j || j->type != JSON_NUMBER)
		return def;
	if (j->is_int)
		return j->ival;
	/* 1e3 or 5.0: integral values written another way still count. */
	if (j->num >= -9.2e18 && j->num <= 9.2e18 && (double)(long long)j->num == j->num)
		return (long long)j->num;
	return def;
}

const char *json_str(const struct json *j, const char *def)
{
	return j && j->type == JSON_STRING ? j->str : def;
}

size_t json_str_len(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->slen : 0;
}

int json_get_bool(const struct json *obj, const char *key, int def)
{
	return json_bool(json_get(obj, key), def);
}

double json_get_num(const struct json *obj, const char *key, double def)
{
	return json_num(json_get(obj, key), def);
}

long long json_get_int(const struct json *obj, const char *key, long long def)
{
	return json_int(json_get(obj, key), def);
}

const char *json_get_str(const struct json *obj, const char *key, const char *def)
{
	return json_str(json_get(obj, key), def);
}
