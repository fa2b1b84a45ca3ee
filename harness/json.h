/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small, strict JSON reader (RFC 8259) for the harness and tools.
 *
 * Parses one JSON text (e.g. one JSON Lines line) into a tree that the caller
 * frees with json_free(). No global state; every error is returned, never
 * fatal: bad input gives NULL and a one-line message with the byte offset.
 * Strings are unescaped (incl. \uXXXX and surrogate pairs, to UTF-8); a string
 * may hold NUL bytes (\u0000), so json_str_len() gives its length (keys are
 * compared as C strings, up to their first NUL). Bytes >= 0x80
 * inside strings are passed through as they are. Nesting is limited to
 * JSON_MAX_DEPTH levels.
 *
 * Every getter accepts NULL (a missing value) and then returns its default, so
 * lookups chain without checks:
 *
 *   char err[128];
 *   struct json *j = json_parse(line, strlen(line), err, sizeof(err));
 *   if (!j)
 *           fprintf(stderr, "bad line: %s\n", err);
 *   const char *v = json_get_str(j, "verdict", "");
 *   long long ino = json_get_int(json_get(j, "creator"), "pid", -1);
 *   const struct json *inh = json_get(j, "inherited");
 *   for (size_t i = 0; i < json_len(inh); i++)
 *           printf("%lld\n", json_get_int(json_at(inh, i), "fd", -1));
 *   json_free(j);
 */
#ifndef CLOEXEC_LAB_JSON_H
#define CLOEXEC_LAB_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 256

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

/*
 * Parse exactly one JSON value from text[0..len) (surrounding whitespace is
 * allowed, anything else after the value is an error). Returns the tree, or
 * NULL with "offset N: what was wrong" in err (when errlen > 0).
 */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Free a tree returned by json_parse (NULL is fine). */
void json_free(struct json *j);

/* The value's type; JSON_NULL for a NULL pointer too. */
enum json_type json_type(const struct json *j);
/* Name of a type ("null", "bool", "number", "string", "array", "object"). */
const char *json_type_name(enum json_type t);

/* Arrays and objects: number of elements/members (0 for anything else). */
size_t json_len(const struct json *j);
/* Element i of an array or value of member i of an object, or NULL. */
const struct json *json_at(const struct json *j, size_t i);
/* Key of member i of an object, or NULL. */
const char *json_key_at(const struct json *j, size_t i);
/* The value of key in an object (the first member with that key), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);

/* Typed getters: def when j is NULL or of another type. */
int json_is_null(const struct json *j); /* 1 only for an explicit JSON null */
int json_bool(const struct json *j, int def);
double json_num(const struct json *j, double def);
/* Integers: def also when the number is not integral or does not fit. */
long long json_int(const struct json *j, long long def);
const char *json_str(const struct json *j, const char *def);
/* Length of a string value in bytes (may hold NULs); 0 for anything else. */
size_t json_str_len(const struct json *j);

/* Shorthands for json_X(json_get(obj, key), def). */
int json_get_bool(const struct json *obj, const char *key, int def);
double json_get_num(const struct json *obj, const char *key, double def);
long long json_get_int(const struct json *obj, const char *key, long long def);
const char *json_get_str(const struct json *obj, const char *key, const char *def);

#endif
