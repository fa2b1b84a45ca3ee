// SPDX-License-Identifier: MIT
/*
 * ct_sarif.c - the SARIF 2.1.0 log of a trace (see ct_sarif.h), checked against the official
 * schema by harness/t/trace_sarif.c.
 *
 * Each result: ruleId/ruleIndex, level (error when its kind is in --fail-on), the message, a
 * location at the innermost frame outside libc and the loader with a source line (relative to
 * SRCROOT, the directory the tracer ran in, when the file is below it; else an absolute file
 * URI) or, without one, at the caller's address in its module; the full stack as result.stacks
 * (each frame: location, module, address and build id as properties); and a partial
 * fingerprint that does not change between runs (rule, syscall, function, file, line), so code
 * scanning can follow a finding from one run to the next.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct_model.h"
#include "ct_opts.h"
#include "ct_out.h"
#include "ct_sarif.h"

#define SARIF_SCHEMA                                                                               \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"                      \
	"sarif-schema-2.1.0.json"

static const struct {
	const char *id, *name, *level, *short_text, *full_text, *help;
} rules[CT_SARIF_NRULES] = {
    [CT_SARIF_LEAKED] =
	{"leaked", "FdLeakedAcrossExec", "error",
	 "A file descriptor without close-on-exec survived exec",
	 "The fd was made without close-on-exec (or its flag was cleared) and a program "
	 "exec'd later still holds it: a listening socket keeps its port busy, a pipe "
	 "keeps its reader from seeing EOF.",
	 "Make the fd with the flag set atomically (SOCK_CLOEXEC, O_CLOEXEC, accept4, "
	 "pipe2, dup3, F_DUPFD_CLOEXEC, MSG_CMSG_CLOEXEC) at the call shown, or close it "
	 "before exec. To pass it on purpose, declare it (LISTEN_FDS/LISTEN_PID)."},
    [CT_SARIF_LATE] = {"late", "CloexecSetLate", "warning",
		       "close-on-exec was set after the fd was made",
		       "fcntl(F_SETFD) or ioctl(FIOCLEX) after creation leaves a window in which "
		       "another thread's fork+exec inherits the fd.",
		       "Pass the flag to the call that makes the fd (SOCK_CLOEXEC, O_CLOEXEC, "
		       "accept4, pipe2, dup3, F_DUPFD_CLOEXEC) instead of setting it afterwards."},
    [CT_SARIF_NEVER] =
	{"never", "CloexecNeverSet", "warning", "A file descriptor was made without close-on-exec",
	 "The fd never had close-on-exec while its creator held it: every program "
	 "exec'd from that process (or its children) gets it unless closed first.",
	 "Make the fd with the flag set atomically (SOCK_CLOEXEC, O_CLOEXEC, accept4, "
	 "pipe2, dup3, F_DUPFD_CLOEXEC, MSG_CMSG_CLOEXEC) at the call shown."},
    [CT_SARIF_RACE] = {"race", "CloexecRace", "error",
		       "A fork+exec landed inside a late fd's window",
		       "A fork copied the fd before its close-on-exec flag was set, and the child "
		       "exec'd holding it: the late flag lost the race.",
		       "Pass the flag to the call that makes the fd instead of setting it "
		       "afterwards."},
    [CT_SARIF_HELPER] =
	{"helper", "FdLeakedIntoHelper", "note",
	 "A leaked fd reached a helper program that closed it",
	 "The fd survived exec into a program (a spawn helper, a trampoline) that "
	 "closed it before exec'ing its target: nothing reached the target, but the "
	 "helper did hold it.",
	 "Make the fd with close-on-exec set atomically at the call shown."},
};

struct result {
	enum ct_sarif_rule rule;
	bool error;
	char *message, *comm, *syscall, *exec_file;
	struct ct_stack *stack;
	int fd;
	uint32_t pid, exec_pid;
};

static struct {
	FILE *f;
	char *cmdline, srcroot[PATH_MAX];
	struct result *r;
	int n, cap;
} sarif;

const char *ct_sarif_rule_id(enum ct_sarif_rule r)
{
	return r < CT_SARIF_NRULES ? rules[r].id : "?";
}

bool ct_sarif_on(void)
{
	return sarif.f != NULL;
}

bool ct_sarif_open(const char *path, int argc, char **argv)
{
	struct sbuf b = {0};

	sarif.f = fopen(path, "we");
	if (!sarif.f)
		return false;
	for (int i = 0; i < argc; i++) {
		if (i)
			sb_putc(&b, ' ');
		sb_puts(&b, argv[i]);
	}
	sarif.cmdline = b.p ? b.p : xstrdup("");
	if (!getcwd(sarif.srcroot, sizeof(sarif.srcroot) - 2))
		strcpy(sarif.srcroot, "/");
	if (strcmp(sarif.srcroot, "/"))
		strcat(sarif.srcroot, "/");
	return true;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void ct_sarif_add(const struct ct_sarif_finding *f)
{
	struct result *r;

	if (!sarif.f)
		return;
	if (sarif.n == sarif.cap) {
		sarif.cap = sarif.cap ? 2 * sarif.cap : 64;
		sarif.r = xrealloc(sarif.r, (size_t)sarif.cap * sizeof(*sarif.r));
	}
	r = &sarif.r[sarif.n++];
	*r = (struct result){.rule = f->rule,
			     .error = f->error,
			     .fd = f->fd,
			     .pid = f->pid,
			     .exec_pid = f->exec_pid};
	r->message = xstrdup(f->message ? f->message : "");
	r->comm = dup_or_null(f->comm);
	r->syscall = dup_or_null(f->syscall);
	r->exec_file = dup_or_null(f->exec_file);
	r->stack = ct_stack_ref((struct ct_stack *)f->stack);
}

/* ---- URIs ------------------------------------------------------------------------------- */

/* s percent-encoded (RFC 3986: unreserved characters and '/' stay), as a JSON string. */
static void json_uri(struct sbuf *b, const char *prefix, const char *s)
{
	struct sbuf u = {0};

	sb_puts(&u, prefix);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			sb_putc(&u, (char)*p);
		else
			sb_printf(&u, "%%%02X", *p);
	}
	sb_json_str(b, u.p ? u.p : "");
	sb_free(&u);
}

/* "artifactLocation": relative to SRCROOT when below it, else an absolute file URI. */
static void json_artifact(struct sbuf *b, const char *path)
{
	size_t n = strlen(sarif.srcroot); /* ends with '/' */

	sb_puts(b, "\"artifactLocation\":{\"uri\":");
	if (path[0] == '/' && n > 1 && !strncmp(path, sarif.srcroot, n) && path[n]) {
		json_uri(b, "", path + n);
		sb_puts(b, ",\"uriBaseId\":\"SRCROOT\"}");
	} else if (path[0] == '/') {
		json_uri(b, "file://", path);
		sb_putc(b, '}');
	} else {
		json_uri(b, "", path);
		sb_putc(b, '}');
	}
}

/* ---- locations -------------------------------------------------------------------------- */

/* A location of frame f: its source line, or its address in its module. */
static void json_location(struct sbuf *b, const struct ct_frame *f)
{
	sb_puts(b, "{\"physicalLocation\":{");
	if (f->file && f->line > 0) {
		json_artifact(b, f->file);
		sb_printf(b, ",\"region\":{\"startLine\":%d}}", f->line);
	} else {
		if (f->module) {
			json_artifact(b, f->module);
			sb_putc(b, ',');
		}
		sb_printf(b, "\"address\":{\"absoluteAddress\":%llu,\"kind\":\"instruction\"",
			  (unsigned long long)f->addr);
		if (f->has_offset && !f->offset_is_file)
			sb_printf(b, ",\"relativeAddress\":%llu", (unsigned long long)f->offset);
		sb_puts(b, "}}");
	}
	if (f->function) {
		sb_puts(b, ",\"logicalLocations\":[{\"fullyQualifiedName\":");
		sb_json_str(b, f->function);
		sb_puts(b, ",\"kind\":\"function\"}]");
	}
	sb_putc(b, '}');
}

static void json_stack_frames(struct sbuf *b, const struct result *r)
{
	const struct ct_stack *s = r->stack;

	sb_puts(b, ",\"stacks\":[{\"message\":{\"text\":");
	{
		char m[256];

		snprintf(m, sizeof(m), "user stack of the %s in pid %u%s",
			 s->of == CT_STACK_OF_CLEAR ? "call that cleared close-on-exec"
						    : "call that made the fd",
			 r->pid, s->truncated ? " (cut at --stack-depth)" : "");
		sb_json_str(b, m);
	}
	sb_puts(b, "},\"frames\":[");
	for (int i = 0; i < s->n; i++) {
		const struct ct_frame *f = &s->f[i];

		sb_puts(b, i ? ",{\"location\":" : "{\"location\":");
		json_location(b, f);
		if (f->module) {
			sb_puts(b, ",\"module\":");
			sb_json_str(b, f->module);
		}
		sb_printf(b, ",\"properties\":{\"address\":\"0x%llx\"",
			  (unsigned long long)f->addr);
		if (f->build_id)
			sb_printf(b, ",\"buildId\":\"%s\"", f->build_id);
		if (f->folded)
			sb_puts(b, ",\"folded\":true");
		sb_puts(b, "}}");
	}
	sb_puts(b, "]}]");
}

/* ---- results ---------------------------------------------------------------------------- */

/* FNV-1a over the parts of a finding that stay the same from run to run. */
static uint64_t fingerprint(const struct result *r, const struct ct_frame *w)
{
	const char *parts[] = {rules[r->rule].id, r->syscall, w ? w->function : NULL,
			       w ? w->file : NULL};
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		for (const char *p = parts[i] ? parts[i] : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;
	}
	return (h ^ (uint64_t)(w ? w->line : 0)) * 0x100000001b3ULL;
}

static void json_result(struct sbuf *b, const struct result *r)
{
	const struct ct_frame *src = ct_stack_source(r->stack), *c = ct_stack_caller(r->stack);
	const struct ct_frame *w = src ? src : c;

	sb_printf(b, "{\"ruleId\":\"%s\",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":",
		  rules[r->rule].id, (int)r->rule, r->error ? "error" : rules[r->rule].level);
	sb_json_str(b, r->message);
	sb_puts(b, "},\"locations\":[");
	if (w)
		json_location(b, w);
	sb_puts(b, "]");
	if (r->stack && r->stack->n)
		json_stack_frames(b, r);
	sb_printf(b, ",\"partialFingerprints\":{\"cloexecTrace/v1\":\"%016llx\"}",
		  (unsigned long long)fingerprint(r, w));
	sb_printf(b, ",\"properties\":{\"fd\":%d,\"pid\":%u", r->fd, r->pid);
	if (r->comm) {
		sb_puts(b, ",\"comm\":");
		sb_json_str(b, r->comm);
	}
	if (r->syscall)
		sb_printf(b, ",\"syscall\":\"%s\"", r->syscall);
	if (r->exec_pid)
		sb_printf(b, ",\"execPid\":%u", r->exec_pid);
	if (r->exec_file) {
		sb_puts(b, ",\"execFile\":");
		sb_json_str(b, r->exec_file);
	}
	if (r->stack && r->stack->error) {
		sb_puts(b, ",\"stackError\":");
		sb_json_str(b, r->stack->error);
	}
	sb_puts(b, "}}");
}

static void json_rules(struct sbuf *b)
{
	for (int i = 0; i < CT_SARIF_NRULES; i++) {
		sb_printf(b, "%s{\"id\":\"%s\",\"name\":\"%s\",\"shortDescription\":{\"text\":",
			  i ? "," : "", rules[i].id, rules[i].name);
		sb_json_str(b, rules[i].short_text);
		sb_puts(b, "},\"fullDescription\":{\"text\":");
		sb_json_str(b, rules[i].full_text);
		sb_puts(b, "},\"help\":{\"text\":");
		sb_json_str(b, rules[i].help);
		sb_printf(b, "},\"defaultConfiguration\":{\"level\":\"%s\"}}", rules[i].level);
	}
}

/* The invocation: command line, exit code, and what made the results incomplete. */
static void json_invocation(struct sbuf *b, const struct ct_sarif_end *end)
{
	int first = 1;

	sb_puts(b, "\"invocations\":[{\"commandLine\":");
	sb_json_str(b, sarif.cmdline);
	sb_printf(b, ",\"executionSuccessful\":%s,\"exitCode\":%d",
		  end->complete ? "true" : "false", end->exit_code);
	sb_puts(b, ",\"toolExecutionNotifications\":[");
	if (end->lost) {
		sb_printf(b,
			  "{\"level\":\"error\",\"message\":{\"text\":\"%lu records lost (ring "
			  "buffer full): the results are incomplete\"}}",
			  end->lost);
		first = 0;
	}
	if (end->stack_skipped) {
		sb_printf(b,
			  "%s{\"level\":\"note\",\"message\":{\"text\":\"%lu stacks not taken "
			  "(ring buffer busy): those results have no location\"}}",
			  first ? "" : ",", end->stack_skipped);
		first = 0;
	}
	if (end->timed_out)
		sb_printf(b, "%s{\"level\":\"%s\",\"message\":{\"text\":\"ended by --timeout\"}}",
			  first ? "" : ",", end->complete ? "note" : "error");
	else if (end->signal)
		sb_printf(b,
			  "%s{\"level\":\"error\",\"message\":{\"text\":\"ended by signal %d: "
			  "the results cover the trace up to then\"}}",
			  first ? "" : ",", end->signal);
	sb_puts(b, "]}]");
}

int ct_sarif_close(const struct ct_sarif_end *end)
{
	struct sbuf b = {0};
	int err = 0;

	if (!sarif.f)
		return 0;
	sb_puts(&b, "{\"$schema\":\"" SARIF_SCHEMA "\",\"version\":\"2.1.0\",\"runs\":[{");
	sb_puts(&b, "\"tool\":{\"driver\":{\"name\":\"" TOOL "\",\"version\":\"" VERSION "\",");
	sb_puts(&b, "\"rules\":[");
	json_rules(&b);
	sb_puts(&b, "]}},");
	json_invocation(&b, end);
	/* SRCROOT: where relative artifact URIs start (a base URI ends with a slash) */
	sb_puts(&b, ",\"originalUriBaseIds\":{\"SRCROOT\":{\"uri\":");
	json_uri(&b, "file://", sarif.srcroot);
	sb_puts(&b, "}},\"columnKind\":\"utf16CodeUnits\",\"results\":[");
	for (int i = 0; i < sarif.n; i++) {
		if (i)
			sb_putc(&b, ',');
		json_result(&b, &sarif.r[i]);
	}
	sb_puts(&b, "]}]}\n");
	errno = 0;
	if (fwrite(b.p, 1, b.len, sarif.f) != b.len || fflush(sarif.f) || ferror(sarif.f))
		err = errno ? errno : EIO;
	if (fclose(sarif.f) && !err)
		err = errno ? errno : EIO;
	sarif.f = NULL;
	sb_free(&b);
	for (int i = 0; i < sarif.n; i++) {
		free(sarif.r[i].message);
		free(sarif.r[i].comm);
		free(sarif.r[i].syscall);
		free(sarif.r[i].exec_file);
		ct_stack_put(sarif.r[i].stack);
	}
	free(sarif.r);
	free(sarif.cmdline);
	return err;
}
