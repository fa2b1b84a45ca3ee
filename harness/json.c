// SPDX-License-Identifier: MIT
/*
 * json.c - json.h's getters over jansson. Parsing is jansson's; this file only maps names.
 */
#include <jansson.h>
#include <stdio.h>

#include "json.h"

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (!j && err && errlen)
		snprintf(err, errlen, "offset %d: %s", e.position, e.text);
	return (struct json *)j;
}

void json_free(struct json *j)
{
	json_decref((json_t *)j);
}

const char *json_get_str(const struct json *obj, const char *key, const char *def)
{
	json_t *v = json_object_get((const json_t *)obj, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

long long json_get_int(const struct json *obj, const char *key, long long def)
{
	json_t *v = json_object_get((const json_t *)obj, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}
