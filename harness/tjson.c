// SPDX-License-Identifier: MIT
/*
 * tjson.c - the JSON getters of the tests and tools over jansson (see tjson.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"
#include "tjson.h"

json_t *tj_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (!j && err && errlen)
		snprintf(err, errlen, "offset %d: %s", e.position, e.text);
	return j;
}

json_t *tj_load_file(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = lab_read_file(path, &len);
	json_t *j;

	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	j = tj_parse(text, len, err, errlen);
	free(text);
	return j;
}

const char *tj_vstr(const json_t *v, const char *def)
{
	return json_is_string(v) ? json_string_value(v) : def;
}

long long tj_vint(const json_t *v, long long def)
{
	double d;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (!json_is_real(v))
		return def;
	d = json_real_value(v);
	return d == floor(d) && d >= -9.2e18 && d <= 9.2e18 ? (long long)d : def;
}

int tj_vbool(const json_t *v, int def)
{
	return json_is_boolean(v) ? json_is_true(v) : def;
}

double tj_vnum(const json_t *v, double def)
{
	return json_is_number(v) ? json_number_value(v) : def;
}

const char *tj_str(const json_t *obj, const char *key, const char *def)
{
	return tj_vstr(json_object_get(obj, key), def);
}

long long tj_int(const json_t *obj, const char *key, long long def)
{
	return tj_vint(json_object_get(obj, key), def);
}

int tj_bool(const json_t *obj, const char *key, int def)
{
	return tj_vbool(json_object_get(obj, key), def);
}

double tj_num(const json_t *obj, const char *key, double def)
{
	return tj_vnum(json_object_get(obj, key), def);
}

json_t *tj_at(const json_t *v, size_t i)
{
	void *it;

	if (json_is_array(v))
		return json_array_get(v, i);
	/* jansson keeps an object's members in the order they were read */
	it = json_is_object(v) ? json_object_iter((json_t *)v) : NULL;
	while (it && i--)
		it = json_object_iter_next((json_t *)v, it);
	return it ? json_object_iter_value(it) : NULL;
}

size_t tj_len(const json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
}
