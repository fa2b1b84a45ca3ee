// SPDX-License-Identifier: MIT
/*
 * json_reader - reading JSON in C, as the tests and tools do it: jansson (libjansson-dev) with
 * the flags of harness/tjson.c (any value, \u0000 allowed), and the getters that take a
 * missing value and a default. Valid texts are parsed and written back in a canonical form (the
 * whole tree compared), escapes decode byte for byte, bad input (invalid UTF-8 included: the
 * tracer writes such bytes as \u00XX) is refused with an offset and no crash, truncated and
 * mutated inputs never crash (run it under make asan), and a whole file reads as its text.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "tap.h"
#include "tjson.h"
#include "tlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUT(...) (*n += (size_t)snprintf(out + *n, *n < len ? len - *n : 0, __VA_ARGS__))

/* A string with every byte outside 0x20..0x7e (and " \) written as \xNN. */
static void canon_str(const char *s, size_t slen, char *out, size_t len, size_t *n)
{
	PUT("\"");
	for (size_t i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			PUT("\\x%02x", c);
		else
			PUT("%c", c);
	}
	PUT("\"");
}

/* Canonical form: no spaces, integers as %lld, reals as %.17g, strings as canon_str. */
static void canon(const json_t *j, char *out, size_t len, size_t *n)
{
	const char *key;
	json_t *v;
	size_t i;
	int first = 1;

	if (json_is_null(j))
		PUT("null");
	else if (json_is_boolean(j))
		PUT("%s", json_is_true(j) ? "true" : "false");
	else if (json_is_integer(j))
		PUT("%lld", (long long)json_integer_value(j));
	else if (json_is_real(j))
		PUT("%.17g", json_real_value(j));
	else if (json_is_string(j))
		canon_str(json_string_value(j), json_string_length(j), out, len, n);
	else if (json_is_array(j)) {
		PUT("[");
		json_array_foreach((json_t *)j, i, v)
		{
			PUT("%s", i ? "," : "");
			canon(v, out, len, n);
		}
		PUT("]");
	} else {
		PUT("{");
		json_object_foreach((json_t *)j, key, v)
		{
			PUT("%s\"%s\":", first ? "" : ",", key);
			canon(v, out, len, n);
			first = 0;
		}
		PUT("}");
	}
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
    {"members keep the text's order", "{\"b\":1,\"a\":2,\"c\":3}", "{\"b\":1,\"a\":2,\"c\":3}"},
    {"a later duplicate key replaces the first", "{\"a\":1,\"a\":2}", "{\"a\":2}"},
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
    "\"\xff\"",
    "\"\xc3\"",
    "18446744073709551616", /* an integer beyond long long is refused, not rounded */
    "1e400",
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char err[128], out[1024];
		size_t n = 0;
		json_t *j = tj_parse(valid[i].in, strlen(valid[i].in), err, sizeof(err));

		if (!ok(j != NULL, "parses %s", valid[i].name))
			diag("error: %s", err);
		canon(j, out, sizeof(out), &n);
		if (!j)
			skip(1, "no tree");
		else
			is_str(out, valid[i].canon, "%s reads back as expected", valid[i].name);
		json_decref(j);
	}
}

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char err[128] = "";
		json_t *j = tj_parse(invalid[i], strlen(invalid[i]), err, sizeof(err));

		ok(j == NULL && strncmp(err, "offset ", 7) == 0, "refuses '%s' with a message (%s)",
		   invalid[i], err);
		json_decref(j);
	}
}

static void test_edges(void)
{
	size_t n = 100000;
	char *deep = malloc(2 * n + 1), err[128];
	json_t *j;

	/* Deep nesting is an error, not a stack overflow. */
	if (!deep)
		bail("malloc: out of memory");
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	j = tj_parse(deep, 2 * n, err, sizeof(err));
	ok(j == NULL && strstr(err, "depth"), "100000 nested arrays are refused (%s)", err);
	json_decref(j);
	j = tj_parse(deep + n - 256, 512, err, sizeof(err));
	ok(j != NULL, "256 nested arrays parse");
	json_decref(j);
	free(deep);
	/* len bounds the input: the text need not be NUL-terminated. */
	j = tj_parse("[1,2]garbage", 5, err, sizeof(err));
	is_int((long long)tj_len(j), 2, "the length bounds the parse ([1,2] out of [1,2]garbage)");
	json_decref(j);
	j = tj_parse("\"abc\"", 3, err, sizeof(err));
	ok(j == NULL, "a string cut by the length is unterminated (%s)", err);
	j = tj_parse("[1,\0 2]", 7, err, sizeof(err));
	ok(j == NULL, "a NUL byte in the text is refused (%s)", err);
	j = tj_parse(NULL, 4, err, sizeof(err));
	ok(j == NULL, "NULL text is an error, not a crash (%s)", err);
	ok(tj_parse("{", 1, NULL, 0) == NULL, "a NULL error buffer is allowed");
	tj_parse("[1,2,x]", 7, err, sizeof(err));
	is_str(err, "offset 6: invalid token near 'x'", "the error names the offset and the token");
}

/* One input, from an exact-size heap copy (no NUL after it: ASan sees any over-read). */
static int parse_copy(const char *in, size_t cut, unsigned long long *seed, int mutate)
{
	static const char bytes[] =
	    "{}[],:\"\\u0123456789abcdefABCDEF-+.eE \t\ntruefalsenull\x01\x80\xff";
	char *buf = malloc(cut ? cut : 1), err[128] = "";
	json_t *j;
	int bad;

	if (!buf)
		bail("malloc: out of memory");
	memcpy(buf, in, cut);
	for (int f = 0; mutate && cut && f < 1 + (int)((*seed >> 33) % 3); f++) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[(*seed >> 33) % cut] = bytes[(*seed >> 17) % (sizeof(bytes) - 1)];
	}
	j = tj_parse(buf, cut, err, sizeof(err));
	bad = !j && strncmp(err, "offset ", 7) != 0;
	json_decref(j);
	free(buf);
	return bad;
}

/*
 * Every prefix of every valid case, and 2000 seeded random byte mutations of them: each
 * parses or fails with an "offset" message; none may crash.
 */
static void test_mutations(void)
{
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	size_t nvalid = sizeof(valid) / sizeof(valid[0]);
	int runs = 0, bad = 0;

	for (size_t i = 0; i < nvalid; i++) {
		size_t len = strlen(valid[i].in);

		for (size_t cut = 0; cut <= len; cut++, runs++)
			bad += parse_copy(valid[i].in, cut, &seed, 0);
		for (int m = 0; m < 2000 / (int)nvalid; m++, runs++)
			bad += parse_copy(valid[i].in, len, &seed, 1);
	}
	is_int(bad, 0, "%d truncated and mutated inputs: each parses or fails with an offset",
	       runs);
}

static void test_getters(void)
{
	const char *line =
	    "{\"v\":1,\"type\":\"exec\",\"pid\":4242,\"listen_fds\":null,"
	    "\"ok\":true,\"ratio\":0.5,\"whole\":5.0,\"big\":1e300,"
	    "\"ino\":4611686018427387904,\"inherited\":[{\"fd\":3,"
	    "\"local\":\"127.0.0.1:40123\",\"creator\":{\"verdict\":\"never\"}},"
	    "{\"fd\":7,\"creator\":null}],\"child\":{\"10\":{\"n\":1},\"9\":{\"n\":2}}}";
	char err[128];
	json_t *j = tj_parse(line, strlen(line), err, sizeof(err));
	const json_t *inh;

	if (!j)
		bail("the getter fixture does not parse: %s", err);
	ok(json_is_object(j), "the root is an object");
	is_int(tj_int(j, "pid", -1), 4242, "tj_int reads an integer");
	is_int(tj_int(j, "ino", -1), 4611686018427387904LL, "tj_int reads 2^62 exactly");
	is_int(tj_int(j, "nope", -1), -1, "a missing key gives the default");
	is_int(tj_int(j, "type", -1), -1, "a string is not an integer");
	is_int(tj_int(j, "ratio", -1), -1, "0.5 is not an integer");
	is_int(tj_int(j, "whole", -1), 5, "5.0 is the integer 5");
	is_int(tj_int(j, "big", -1), -1, "1e300 does not fit a long long");
	ok(tj_num(j, "ratio", 0) == 0.5, "tj_num reads 0.5");
	ok(tj_num(j, "pid", 0) == 4242, "tj_num reads an integer too");
	is_str(tj_str(j, "type", ""), "exec", "tj_str reads a string");
	is_str(tj_str(j, "pid", "dflt"), "dflt", "a number is not a string");
	is_int(tj_bool(j, "ok", 0), 1, "tj_bool reads true");
	is_int(tj_bool(j, "pid", -1), -1, "a number is not a bool");
	ok(json_is_null(json_object_get(j, "listen_fds")), "an explicit null is null");
	ok(!json_is_null(json_object_get(j, "nope")), "a missing key is not an explicit null");
	inh = json_object_get(j, "inherited");
	is_int((long long)tj_len(inh), 2, "the inherited array has two elements");
	is_int(tj_int(tj_at(inh, 1), "fd", -1), 7, "tj_at reaches the second element");
	ok(tj_at(inh, 2) == NULL, "tj_at past the end is NULL");
	is_str(tj_str(json_object_get(tj_at(inh, 0), "creator"), "verdict", ""), "never",
	       "lookups chain through nested objects");
	is_str(tj_str(json_object_get(tj_at(inh, 1), "creator"), "verdict", "none"), "none",
	       "lookups chain through null without a crash");
	is_int(tj_int(tj_at(json_object_get(j, "child"), 1), "n", -1), 2,
	       "tj_at on an object is its member in the text's order");
	is_int((long long)tj_len(json_object_get(j, "child")), 2,
	       "an object's length is its members");
	is_int((long long)tj_len(json_object_get(j, "pid")), 0, "a number has no length");
	ok(json_object_get(inh, "fd") == NULL, "a key of an array is NULL");
	ok(tj_str(NULL, "x", NULL) == NULL && tj_int(NULL, "x", 3) == 3 && tj_at(NULL, 0) == NULL,
	   "every getter takes NULL");
	json_decref(j);
}

/* tj_load_file: a file's text, and a file that cannot be read. */
static void test_file(void)
{
	char dir[] = "/tmp/json_reader.XXXXXX", path[64], err[128];
	const char *sum = "{\"v\":1,\"type\":\"summary\",\"fds\":3,\"lost\":0}";
	json_t *j;

	if (!mkdtemp(dir))
		bail("failed to create a temporary directory");
	snprintf(path, sizeof(path), "%s/sum.json", dir);
	tlab_write_file(path, sum);
	j = tj_load_file(path, err, sizeof(err));
	is_int(tj_int(j, "fds", -1), 3, "tj_load_file reads a file");
	json_decref(j);
	tlab_rm_rf(dir);
	j = tj_load_file(path, err, sizeof(err));
	ok(j == NULL && strstr(err, "cannot read"), "a missing file is an error (%s)", err);
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
	test_file();
	return done_testing();
}
