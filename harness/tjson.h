/* SPDX-License-Identifier: MIT */
/*
 * tjson.h - reading JSON in the tests and tools (liblab): jansson (libjansson-dev), plus getters
 * that take a missing value (NULL) and a default, so lookups chain without checks:
 *
 *   char err[128];
 *   json_t *j = tj_parse(line, strlen(line), err, sizeof(err));   NULL + "offset N: why"
 *   const char *v = tj_str(j, "verdict", "");
 *   long long pid = tj_int(json_object_get(j, "creator"), "pid", -1);
 *   for (size_t i = 0; i < tj_len(inh); i++) ... tj_at(inh, i) ...
 *   json_decref(j);
 *
 * jansson's own json_object_get, json_array_get and json_array_size already take NULL.
 */
#ifndef CLOEXEC_LAB_TJSON_H
#define CLOEXEC_LAB_TJSON_H

#include <jansson.h>
#include <stddef.h>

/*
 * Parse exactly one JSON value from text[0..len) (any value, not only objects; strings may
 * hold \u0000). NULL with "offset N: what was wrong" in err (when errlen > 0) on bad input.
 */
json_t *tj_parse(const char *text, size_t len, char *err, size_t errlen);
/* The same for a whole file; err also says when it cannot be read. */
json_t *tj_load_file(const char *path, char *err, size_t errlen);

/* A value's string, integer, boolean (0/1) or number; def when v is NULL or of another type. */
const char *tj_vstr(const json_t *v, const char *def);
/* Integers: also an integral real that fits (5.0); def for other numbers. */
long long tj_vint(const json_t *v, long long def);
int tj_vbool(const json_t *v, int def);
double tj_vnum(const json_t *v, double def);

/* The same for member key of object obj. */
const char *tj_str(const json_t *obj, const char *key, const char *def);
long long tj_int(const json_t *obj, const char *key, long long def);
int tj_bool(const json_t *obj, const char *key, int def);
double tj_num(const json_t *obj, const char *key, double def);

/* Element i of an array, or the value of member i of an object (in the text's order); NULL. */
json_t *tj_at(const json_t *v, size_t i);
/* Elements of an array, members of an object, else 0. */
size_t tj_len(const json_t *v);

#endif
