// SPDX-License-Identifier: MIT
/*
 * json_reader - table-driven test of harness/json.c: valid texts are parsed and
 * written back in a canonical form (so the whole tree is compared), escapes are
 * decoded byte for byte, bad input is refused with an offset and no crash, and
 * the getters return their defaults for missing or mistyped values.
 */
#define _GNU_SOURCE
#include "json.h"
#include "lab.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Canonical form: no spaces, ints as %lld, other numbers as %.17g, strings with
 * every byte outside 0x20..0x7e (and " \) written as \xNN. */
static void canon(const struct json *j, char *out, size_t len, size_t *n)
{
#define PUT(...) (*n += (size_t)snprintf(out + *n, *n < len ? len - *n : 0, __VA_ARGS__))
	switch (json_type(j)) {
	case JSON_NULL:
		PUT("null");
		break;
	case JSON_BOOL:
		PUT("%s", json_bool(j, 0) ? "true" : "false");
		break;
	case JSON_NUMBER:
		if (json_int(j, 0) == json_int(j, 1))
			PUT("%lld", json_int(j, 0));
		else
			PUT("%.17g", json_num(j, 0));
		break;
	case JSON_STRING: {
		const unsigned char *s = (const unsigned char *)json_str(j, "");

		PUT("\"");
		for (size_t i = 0; i < json_str_len(j); i++) {
			if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
				PUT("\\x%02x", s[i]);
			else
				PUT("%c", s[i]);
		}
		PUT("\"");
		break;
	}
	case JSON_ARRAY:
	case JSON_OBJECT: {
		int obj = json_type(j) == JSON_OBJECT;

		PUT(obj ? "{" : "[");
		for (size_t i = 0; i < json_len(j); i++) {
			if (i)
				PUT(",");
			if (obj)
				PUT("\"%s\":", json_key_at(j, i));
			canon(json_at(j, i), out, len, n);
		}
		PUT(obj ? "}" : "]");
		break;
	}
	}
#undef PUT
}

struct valid_case {
	const char *name;
	const char *in;
	const char *canon;
};

static const struct valid_case valid[] = {
    {"an empty object", "{}", "{}"},
    {"an empty array with spaces", " [ ] ", "[]"},
    {"null, true and false", "[null,true,false]", "[null,true,false]"},
    {"integers", "[0,-0,7,-12,9223372036854775807,-9223372036854775808]",
     "[0,0,7,-12,9223372036854775807,-9223372036854775808]"},
    {"an integer too big for long long becomes a double", "18446744073709551616",
     "1.8446744073709552e+19"},
    {"fractions and exponents", "[1.5,-0.25,1e3,2E-2,5.0]", "[1.5,-0.25,1000,0.02,5]"},
    {"a bare string", "\"abc\"", "\"abc\""},
    {"a schema fd line",
     "{\"v\":1,\"type\":\"fd\",\"pid\":42,\"fd\":5,\"cloexec_at_creation\":false,"
     "\"verdict\":\"never\",\"ino\":123456}",
     "{\"v\":1,\"type\":\"fd\",\"pid\":42,\"fd\":5,\"cloexec_at_creation\":false,"
     "\"verdict\":\"never\",\"ino\":123456}"},
    {"nested objects and arrays",
     "{\"inherited\":[{\"fd\":3,\"creator\":{\"pid\":1,\"comm\":\"x\"}},{\"fd\":4,"
     "\"creator\":null}],\"e\":[[[]]]}",
     "{\"inherited\":[{\"fd\":3,\"creator\":{\"pid\":1,\"comm\":\"x\"}},{\"fd\":4,"
     "\"creator\":null}],\"e\":[[[]]]}"},
    {"all whitespace kinds", "\t{\r\n \"a\" :\n1 ,\"b\":[ 2 , 3 ]}\n", "{\"a\":1,\"b\":[2,3]}"},
    {"simple escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
     "\"\\x22\\x5c/\\x08\\x0c\\x0a\\x0d\\x09\""},
    {"\\u00XX for a raw byte", "\"a\\u00ffb\"", "\"a\\xc3\\xbfb\""},
    {"\\u0000 keeps an embedded NUL", "\"a\\u0000b\"", "\"a\\x00b\""},
    {"\\u20ac is three UTF-8 bytes", "\"\\u20AC\"", "\"\\xe2\\x82\\xac\""},
    {"a surrogate pair is one 4-byte code point", "\"\\ud83d\\ude00\"", "\"\\xf0\\x9f\\x98\\x80\""},
    {"raw UTF-8 passes through", "\"\xc3\xa9\"", "\"\\xc3\\xa9\""},
    {"a 70-digit number", "1234567890123456789012345678901234567890123456789012345678901234567890",
     "1.2345678901234567e+69"},
    {"duplicate keys are kept in order", "{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}"},
};

static const char *const invalid[] = {
    "",
    "   ",
    "{",
    "}",
    "[1,2",
    "[1,2,]",
    "{\"a\":1,}",
    "{\"a\" 1}",
    "{a:1}",
    "{1:2}",
    "[1 2]",
    "\"abc",
    "\"a\\qb\"",
    "\"\\u12\"",
    "\"\\u12G4\"",
    "\"\\ud83d\"",
    "\"\\ud83d\\u0041\"",
    "\"\\ude00\"",
    "\"tab\there\"",
    "01",
    "-",
    "1.",
    ".5",
    "1e",
    "+1",
    "0x10",
    "NaN",
    "tru",
    "nul",
    "truex",
    "{} {}",
    "[1]]",
    "\"a\\",
    "[\"\\",
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char err[128], out[1024];
		size_t n = 0;
		struct json *j = json_parse(valid[i].in, strlen(valid[i].in), err, sizeof(err));

		if (!ok(j != NULL, "parses %s", valid[i].name)) {
			diag("error: %s", err);
			skip(1, "no tree");
			continue;
		}
		canon(j, out, sizeof(out), &n);
		is_str(out, valid[i].canon, "%s reads back as expected", valid[i].name);
		json_free(j);
	}
}

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char err[128];
		struct json *j = json_parse(invalid[i], strlen(invalid[i]), err, sizeof(err));

		ok(j == NULL && strncmp(err, "offset ", 7) == 0, "refuses '%s' with a message (%s)",
		   invalid[i], err);
		json_free(j);
	}
}

static void test_edges(void)
{
	char err[128];
	struct json *j;
	size_t n = 100000;
	char *deep = malloc(2 * n + 1);

	/* Deep nesting is an error, not a stack overflow. */
	if (!deep)
		bail("malloc: out of memory");
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	j = json_parse(deep, 2 * n, err, sizeof(err));
	ok(j == NULL && strstr(err, "nested deeper"), "100000 nested arrays are refused (%s)", err);
	json_free(j);
	/* Exactly at the limit is fine. */
	j = json_parse(deep + n - JSON_MAX_DEPTH, 2 * JSON_MAX_DEPTH, err, sizeof(err));
	ok(j != NULL, "%d nested arrays parse (%s)", JSON_MAX_DEPTH, err);
	json_free(j);
	j = json_parse(deep + n - JSON_MAX_DEPTH - 1, 2 * (JSON_MAX_DEPTH + 1), err, sizeof(err));
	ok(j == NULL, "%d nested arrays are refused (%s)", JSON_MAX_DEPTH + 1, err);
	json_free(j);
	free(deep);

	/* len bounds the input: the text need not be NUL-terminated. */
	j = json_parse("[1,2]garbage", 5, err, sizeof(err));
	is_int((long long)json_len(j), 2,
	       "the length bounds the parse ([1,2] out of [1,2]garbage)");
	json_free(j);
	j = json_parse("\"abc\"", 3, err, sizeof(err));
	ok(j == NULL, "a string cut by the length is unterminated (%s)", err);
	json_free(j);
	/* An embedded NUL byte outside a string is an error. */
	j = json_parse("[1,\0 2]", 7, err, sizeof(err));
	ok(j == NULL && strstr(err, "0x00"), "a NUL byte in the text is refused (%s)", err);
	json_free(j);
	j = json_parse(NULL, 4, err, sizeof(err));
	ok(j == NULL, "NULL text is an error, not a crash (%s)", err);
	/* errlen 0: no message written, still an error. */
	ok(json_parse("{", 1, NULL, 0) == NULL, "a NULL error buffer is allowed");
	/* Error offsets point at the problem. */
	json_parse("[1,2,x]", 7, err, sizeof(err));
	is_str(err, "offset 5: unexpected character 'x'",
	       "the error names the offset and the byte");
}

/*
 * Every prefix of every valid case, and 2000 seeded random byte mutations of them,
 * parsed from an exact-size heap copy (no NUL after it: ASan sees any over-read).
 * Each must parse or fail with an "offset" message; none may crash.
 */
static void test_mutations(void)
{
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	static const char bytes[] =
	    "{}[],:\"\\u0123456789abcdefABCDEF-+.eE \t\ntruefalsenull\x01\x80\xff";
	int runs = 0, bad_errors = 0;

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t len = strlen(valid[i].in);

		for (size_t cut = 0; cut <= len; cut++) {
			for (int m = 0;
			     m < (cut == len ? 2000 / (int)(sizeof(valid) / sizeof(valid[0])) : 1);
			     m++) {
				char *buf = malloc(cut ? cut : 1), err[128];
				struct json *j;

				if (!buf)
					bail("malloc: out of memory");
				memcpy(buf, valid[i].in, cut);
				if (m > 0 && cut > 0) {
					int flips = 1 + (int)((seed >> 33) % 3);

					for (int f = 0; f < flips; f++) {
						seed = seed * 6364136223846793005ULL +
						       1442695040888963407ULL;
						buf[(seed >> 33) % cut] =
						    bytes[(seed >> 17) % (sizeof(bytes) - 1)];
					}
				}
				j = json_parse(buf, cut, err, sizeof(err));
				if (!j && strncmp(err, "offset ", 7) != 0)
					bad_errors++;
				json_free(j);
				free(buf);
				runs++;
			}
		}
	}
	is_int(bad_errors, 0,
	       "%d truncated and mutated inputs: each parses or fails with an offset", runs);
}

static void test_getters(void)
{
	const char *line = "{\"v\":1,\"type\":\"exec\",\"pid\":4242,\"listen_fds\":null,"
			   "\"ok\":true,\"ratio\":0.5,\"big\":1e300,\"inherited\":[{\"fd\":3,"
			   "\"local\":\"127.0.0.1:40123\",\"creator\":{\"verdict\":\"never\"}},"
			   "{\"fd\":7,\"creator\":null}]}";
	char err[128];
	struct json *j = json_parse(line, strlen(line), err, sizeof(err));
	const struct json *inh;

	if (!j)
		bail("the getter fixture does not parse: %s", err);
	is_int(json_type(j), JSON_OBJECT, "the root is an object");
	is_str(json_type_name(json_type(j)), "object", "type names read as words");
	is_int(json_get_int(j, "pid", -1), 4242, "json_get_int reads an integer");
	is_int(json_get_int(j, "nope", -1), -1, "a missing key gives the default");
	is_int(json_get_int(j, "type", -1), -1, "a string is not an integer");
	is_int(json_get_int(j, "ratio", -1), -1, "0.5 is not an integer");
	is_int(json_get_int(j, "big", -1), -1, "1e300 does not fit a long long");
	ok(json_get_num(j, "ratio", 0) == 0.5, "json_get_num reads 0.5");
	is_str(json_get_str(j, "type", ""), "exec", "json_get_str reads a string");
	is_str(json_get_str(j, "pid", "dflt"), "dflt", "a number is not a string");
	is_int(json_get_bool(j, "ok", 0), 1, "json_get_bool reads true");
	is_int(json_get_bool(j, "pid", -1), -1, "a number is not a bool");
	ok(json_is_null(json_get(j, "listen_fds")), "an explicit null is null");
	ok(!json_is_null(json_get(j, "nope")), "a missing key is not an explicit null");
	inh = json_get(j, "inherited");
	is_int((long long)json_len(inh), 2, "the inherited array has two elements");
	is_int(json_get_int(json_at(inh, 1), "fd", -1), 7, "json_at reaches the second element");
	ok(json_at(inh, 2) == NULL, "json_at past the end is NULL");
	is_str(json_get_str(json_get(json_at(inh, 0), "creator"), "verdict", ""), "never",
	       "lookups chain through nested objects");
	is_str(json_get_str(json_get(json_at(inh, 1), "creator"), "verdict", "none"), "none",
	       "lookups chain through null without a crash");
	is_str(json_key_at(j, 1), "type", "json_key_at names the second member");
	ok(json_key_at(inh, 0) == NULL, "arrays have no keys");
	is_int((long long)json_len(json_get(j, "pid")), 0, "a number has no length");
	ok(json_get(inh, "fd") == NULL, "json_get on an array is NULL");
	json_free(j);
}

int main(void)
{
	lab_clean_fds(0);
	tap_timeout(30);
	plan_lazy();
	test_valid();
	test_invalid();
	test_edges();
	test_mutations();
	test_getters();
	return done_testing();
}
