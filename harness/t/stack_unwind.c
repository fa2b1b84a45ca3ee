// SPDX-License-Identifier: MIT
/*
 * stack_unwind.c - the tracer's stack symbolizer (bpf/ct_stack.c, ct_aspace.c) on its own, no
 * kernel: this test takes its own registers (getcontext) and a copy of its own stack, as the
 * BPF side does at a syscall's exit, builds its address space from /proc/self/maps and has
 * the symbolizer unwind and name it. The binary is built -O2 -g without frame pointers, so
 * every frame found is found through DWARF CFI: through our functions, through libc (qsort
 * calling back into us) and from a libc entry point whose caller is on top of the stack (the
 * syscall wrapper case). Also: depth, the cache, folding, a copy cut short, garbage registers,
 * a process whose mappings are unknown, and a stack the kernel did not take.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "lab.h"
#include "tap.h"

#include "ct_stack.h"

static struct ct_stack_tail tail;
static size_t tail_len;
static int line_level2_call, line_sorter_call;

/* The top of our stack ([stack] in /proc/self/maps): the copy must not read past it. */
static uint64_t stack_top(void)
{
	char line[512];
	uint64_t lo = 0, hi = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	if (f)
		fclose(f);
	return hi;
}

/*
 * The raw copy of our stack, as the kernel makes it: byte by byte and not instrumented (under
 * ASan the stack holds redzones between variables, which a copy of the whole stack crosses).
 */
static void __attribute__((noinline, no_sanitize_address))
raw_copy(uint8_t *dst, uint64_t src, size_t n)
{
	const volatile uint8_t *s = (const volatile uint8_t *)(uintptr_t)src;

	for (size_t i = 0; i < n; i++)
		dst[i] = s[i];
}

/* Registers and stack as the BPF side takes them (DWARF order rax..r15, rip). */
static void __attribute__((noinline)) capture(void)
{
	static ucontext_t uc;
	const greg_t *g = uc.uc_mcontext.gregs;
	uint64_t sp, top;

	getcontext(&uc);
	memset(&tail, 0, sizeof(tail));
	tail.regs[0] = (uint64_t)g[REG_RAX];
	tail.regs[1] = (uint64_t)g[REG_RDX];
	tail.regs[2] = (uint64_t)g[REG_RCX];
	tail.regs[3] = (uint64_t)g[REG_RBX];
	tail.regs[4] = (uint64_t)g[REG_RSI];
	tail.regs[5] = (uint64_t)g[REG_RDI];
	tail.regs[6] = (uint64_t)g[REG_RBP];
	tail.regs[7] = (uint64_t)g[REG_RSP];
	for (int i = 0; i < 8; i++)
		tail.regs[8 + i] = (uint64_t)g[REG_R8 + i];
	tail.regs[16] = (uint64_t)g[REG_RIP];
	sp = tail.regs[7];
	top = stack_top();
	tail_len =
	    top > sp && top - sp < CT_STACK_BYTES_DEFAULT ? top - sp : CT_STACK_BYTES_DEFAULT;
	raw_copy(tail.data, sp, tail_len);
	tail.len = (uint32_t)tail_len;
}

static void __attribute__((noinline)) level2(void)
{
	capture();
	__asm__ volatile("" ::: "memory");
}

static void __attribute__((noinline)) level1(void)
{
	line_level2_call = __LINE__ + 1;
	level2();
	__asm__ volatile("" ::: "memory");
}

static int cmp(const void *a, const void *b)
{
	static int once;

	if (!once++)
		capture();
	return *(const int *)a - *(const int *)b;
}

static void __attribute__((noinline)) sorter(void)
{
	int v[4];

	for (int i = 0; i < 4; i++)
		v[i] = 4 - i;
	line_sorter_call = __LINE__ + 1;
	qsort(v, 4, sizeof(v[0]), cmp);
	__asm__ volatile("" ::: "memory");
}

static uint64_t seq;

/* An FD record of ours carrying tail (len bytes of stack), through the symbolizer. */
static struct ct_stack *symbolize(const struct ct_stack_tail *t, size_t len, uint32_t tgid,
				  uint8_t flags2)
{
	struct ct_event ev = {.type = CT_EV_FD, .tgid = tgid, .tid = (uint32_t)gettid(), .fd = 5};

	ev.ts_ns = ++seq;
	ev.flags2 = flags2;
	ct_stack_observe(&ev, t, CT_STACK_HDR_SIZE + len);
	return ct_stack_take(&ev);
}

static int find_fn(const struct ct_stack *s, const char *fn)
{
	for (int i = 0; s && i < s->n; i++)
		if (s->f[i].function && !strcmp(s->f[i].function, fn))
			return i;
	return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static void reset(int depth)
{
	ct_stack_prune(0, true);
	ct_stack_init(depth);
	if (!ct_stack_read_proc(getpid()))
		bail("cannot read /proc/self/maps");
}

static void test_own_frames(void)
{
	struct ct_stack *s;
	int i1, im;

	level1();
	s = symbolize(&tail, tail_len, (uint32_t)getpid(), CT_F2_STACK);
	ok(s && s->n >= 3, "our own stack unwinds to at least 3 frames (got %d)", s ? s->n : -1);
	is_str(s && s->n ? s->f[0].function : NULL, "capture", "frame 0 is capture()");
	i1 = find_fn(s, "level1");
	im = find_fn(s, "main");
	ok(find_fn(s, "level2") == 1 && i1 == 2, "then level2() and level1(), in order");
	ok(im > i1, "main() is further up (frame %d)", im);
	if (i1 > 0) {
		ok(ends_with(s->f[i1].file, "harness/t/stack_unwind.c"),
		   "level1's frame has its source file (%s)", s->f[i1].file);
		is_int(s->f[i1].line, line_level2_call,
		       "level1's frame is the line that calls level2");
		ok(s->f[i1].build_id && strlen(s->f[i1].build_id) == 40,
		   "with the test binary's build id (%s)", s->f[i1].build_id);
		ok(s->f[i1].module && ends_with(s->f[i1].module, "/stack_unwind"),
		   "and its module (%s)", s->f[i1].module);
	}
	ok(!s->f[0].folded && ct_stack_caller(s) == &s->f[0],
	   "nothing is folded when the stack starts in our code");
	ok(ct_stack_source(s) == &s->f[0], "the innermost frame with a source line is frame 0");
	ct_stack_put(s);
}

/* qsort (libc, no frame pointers) calls cmp: the unwinder crosses libc's frames by CFI. */
static void test_through_libc(void)
{
	struct ct_stack *s;
	int ic, is, libc = 0;

	sorter();
	s = symbolize(&tail, tail_len, (uint32_t)getpid(), CT_F2_STACK);
	ic = find_fn(s, "cmp");
	is = find_fn(s, "sorter");
	for (int i = ic + 1; s && ic >= 0 && i < is; i++)
		libc += s->f[i].module && strstr(s->f[i].module, ".so") && !s->f[i].folded;
	ok(ic >= 0 && is > ic, "cmp() and, further up, sorter() (frames %d, %d)", ic, is);
	/* libc's qsort (under ASan: libasan's interceptor) */
	cmp_int(libc, ">=", 1, "the library's qsort frames between them, not folded (not leading)");
	if (is > 0)
		is_int(s->f[is].line, line_sorter_call,
		       "sorter's frame is the line that calls qsort");
	ok(find_fn(s, "main") > is, "and main() above");
	ct_stack_put(s);
}

/*
 * The syscall wrapper case: the pc at the first instruction of a libc function (no frame of
 * its own), the caller's return address on top of the stack.
 */
static void test_fold(void)
{
	static struct ct_stack_tail t;
	struct ct_stack *s;
	const struct ct_frame *c;

	level1();
	t = tail;
	memcpy(t.data, &tail.regs[16], 8); /* return address: capture()'s pc */
	memcpy(t.data + 8, tail.data, tail_len);
	t.regs[7] = tail.regs[7] - 8;
	t.regs[16] = (uint64_t)(uintptr_t)&close;
	s = symbolize(&t, tail_len + 8, (uint32_t)getpid(), CT_F2_STACK);
	ok(s && s->n >= 2 && s->f[0].folded, "frame 0 (in libc's close) is folded");
	ok(s && s->f[0].module && strstr(s->f[0].module, "libc.so"), "its module is libc (%s)",
	   s && s->n ? s->f[0].module : NULL);
	c = ct_stack_caller(s);
	is_str(c ? c->function : NULL, "capture", "the first frame shown is the caller's");
	ok(find_fn(s, "level1") > 0, "the rest of the stack follows");
	ct_stack_put(s);
}

static void test_depth_and_cache(void)
{
	struct ct_stack *a, *b;
	unsigned long unwound;

	reset(2);
	level1();
	a = symbolize(&tail, tail_len, (uint32_t)getpid(), CT_F2_STACK);
	is_int(a ? a->n : -1, 2, "--stack-depth 2: two frames");
	ok(a && a->truncated, "and the stack says it was cut (truncated)");
	unwound = ct_stack_stats.unwound;
	b = symbolize(&tail, tail_len, (uint32_t)getpid(), CT_F2_STACK);
	ok(a == b, "the same stack again comes from the cache");
	is_int((long long)ct_stack_stats.unwound, (long long)unwound, "without another unwind");
	ct_stack_put(a);
	ct_stack_put(b);
	reset(CT_STACK_DEPTH_DEFAULT);
}

static void test_bad_input(void)
{
	static struct ct_stack_tail t;
	struct ct_stack *s;

	level1();
	s = symbolize(&tail, 16, (uint32_t)getpid(), CT_F2_STACK);
	ok(s && s->n >= 1 && s->f[0].function, "a copy of 16 bytes: the first frame, named (%s)",
	   s && s->n ? s->f[0].function : NULL);
	ct_stack_put(s);
	srand(7);
	for (size_t i = 0; i < sizeof(t.data); i++)
		t.data[i] = (uint8_t)rand();
	for (int i = 0; i < CT_STACK_NREGS; i++)
		t.regs[i] = ((uint64_t)rand() << 33) ^ (uint64_t)rand();
	t.regs[7] = tail.regs[7];
	s = symbolize(&t, CT_STACK_BYTES_DEFAULT, (uint32_t)getpid(), CT_F2_STACK);
	ok(s && s->n >= 1 && s->f[0].addr == t.regs[16], "garbage registers: one frame, the pc");
	ok(s && !s->f[0].module, "in no module");
	ct_stack_put(s);
	s = symbolize(&tail, tail_len, 0x7ffffff0, CT_F2_STACK);
	ok(s && s->n == 1 && s->error && strstr(s->error, "unknown"),
	   "a process whose mappings are unknown: the pc only, and why (%s)", s ? s->error : NULL);
	ct_stack_put(s);
	s = symbolize(NULL, 0, (uint32_t)getpid(), CT_F2_NOSTACK);
	ok(s && s->n == 0 && s->error, "a stack the kernel did not take: no frames, and why (%s)",
	   s ? s->error : NULL);
	ct_stack_put(s);
	s = symbolize(NULL, 0, (uint32_t)getpid(), 0);
	ok(!s, "a record without a stack has none");
}

int main(void)
{
	lab_clean_fds(0);
	tap_timeout(60);
	plan_lazy();
	reset(CT_STACK_DEPTH_DEFAULT);
	test_own_frames();
	test_through_libc();
	test_fold();
	test_depth_and_cache();
	test_bad_input();
	ct_stack_prune(0, true);
	return done_testing();
}
