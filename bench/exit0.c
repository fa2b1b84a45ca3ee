// SPDX-License-Identifier: MIT
/*
 * exit0.c - the program the spawn benchmarks exec: a static binary without libc
 * whose entry point calls exit_group(0) at once. Exec'ing it costs the kernel's
 * exec work (including closing close-on-exec fds) and nothing else.
 */
#define _GNU_SOURCE

void _start(void) __attribute__((noreturn, used));

void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall" ::
			     : "rax", "rdi", "memory");
#elif defined(__aarch64__)
	__asm__ volatile("mov x8, #94\n\tmov x0, #0\n\tsvc #0" ::: "x0", "x8", "memory");
#else
#error "exit0.c: add the exit_group syscall for this architecture"
#endif
	for (;;)
		;
}
