/* SPDX-License-Identifier: MIT */
/*
 * json.h - the few JSON getters bench/trace.c reads the tracer's summary with, over jansson
 * (libjansson-dev). New code reads JSON with jansson directly (the tests: harness/tlib/tjson.h).
 *
 *   struct json *j = json_parse(line, strlen(line), err, sizeof(err));   NULL + "offset N: why"
 *   long long fds = json_get_int(j, "fds", -1);   const char *t = json_get_str(j, "type", "");
 *   json_free(j);
 */
#ifndef CLOEXEC_LAB_JSON_H
#define CLOEXEC_LAB_JSON_H

#include <stddef.h>

struct json; /* a jansson json_t */

/* One JSON value from text[0..len); NULL with "offset N: what was wrong" in err. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *j);
/* Member key of object obj as a string or an integer; def when missing or of another type. */
const char *json_get_str(const struct json *obj, const char *key, const char *def);
long long json_get_int(const struct json *obj, const char *key, long long def);

#endif
