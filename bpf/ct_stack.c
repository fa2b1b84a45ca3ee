// SPDX-License-Identifier: MIT
/*
 * ct_stack.c - user stacks of fd-making syscalls, unwound and named with libdwfl (ct_stack.h).
 *
 * Why not the kernel's own stack walk (bpf_get_stack with BPF_F_USER_STACK): it follows frame
 * pointers, and Debian's glibc, interpreters and most runtimes are built without them. The
 * syscall wrapper (socket() in libc) keeps no frame, so the walk starts at the caller's caller
 * or stops: the function that called socket() is the frame it loses. As perf --call-graph dwarf
 * does, the kernel copies the registers and the top of the stack instead, and the unwinder here
 * follows the DWARF CFI (.eh_frame) of the mapped files through that copy: libdwfl's own
 * unwinder (dwfl_attach_state with callbacks that read the copy, dwfl_getthread_frames), with
 * its frame-pointer fallback for code without CFI.
 *
 * Cost in user space is kept low by a cache: two stacks with the same pc, the same code
 * addresses at the same places on the stack and the same frame pointer offset unwind alike, so
 * a loop that makes fds at one call site is unwound once.
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_aspace.h"
#include "ct_model.h"
#include "ct_stack.h"

#define MAX_FOLD     8	  /* libc/loader frames before the caller's, at most */
#define CACHE_SLOTS  4096 /* unwound stacks kept by key */
#define PENDING_MAX  4096
#define PENDING_KEEP 2000000000ULL
#define REG_SP	     7
#define REG_BP	     6
#define REG_IP	     16

struct ct_stack_stats ct_stack_stats;
static int depth; /* 0: stacks off */

/* ---- libdwfl's view of the captured thread ---------------------------------------------- */

struct unwind_arg {
	const Dwarf_Word *regs;
	uint64_t sp;
	const uint8_t *data;
	size_t len;
};

static struct unwind_arg ua;

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = arg;
	return 1;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* Stack memory: what the kernel copied above sp; anything else is unknown. */
static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	const struct unwind_arg *u = arg;

	(void)dwfl;
	if (u->len < sizeof(*result) || addr < u->sp || addr - u->sp > u->len - sizeof(*result))
		return false;
	memcpy(result, u->data + (addr - u->sp), sizeof(*result));
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct unwind_arg *u = arg;

	return dwfl_thread_state_registers(thread, 0, CT_STACK_NREGS, u->regs);
}

const Dwfl_Thread_Callbacks ct_unwind_callbacks = {
    .next_thread = cb_next_thread,
    .get_thread = cb_get_thread,
    .memory_read = cb_memory_read,
    .set_initial_registers = cb_set_initial_registers,
};

/* ---- stacks ---------------------------------------------------------------------------- */

static struct ct_stack *stack_new(int n)
{
	struct ct_stack *s = xcalloc(1, sizeof(*s) + (size_t)n * sizeof(s->f[0]));

	s->refs = 1;
	s->n = n;
	return s;
}

struct ct_stack *ct_stack_ref(struct ct_stack *s)
{
	if (s)
		s->refs++;
	return s;
}

void ct_stack_put(struct ct_stack *s)
{
	if (!s || --s->refs > 0)
		return;
	for (int i = 0; i < s->n; i++) {
		free(s->f[i].module);
		free(s->f[i].build_id);
		free(s->f[i].function);
		free(s->f[i].file);
	}
	free(s);
}

const struct ct_frame *ct_stack_caller(const struct ct_stack *s)
{
	for (int i = 0; s && i < s->n; i++)
		if (!s->f[i].folded)
			return &s->f[i];
	return NULL;
}

const struct ct_frame *ct_stack_source(const struct ct_stack *s)
{
	for (int i = 0; s && i < s->n; i++)
		if (!s->f[i].system && s->f[i].file && s->f[i].line > 0)
			return &s->f[i];
	return NULL;
}

const char *ct_stack_of_name(enum ct_stack_of of)
{
	return of == CT_STACK_OF_CLEAR ? "clear" : "creation";
}

/* ---- naming a frame --------------------------------------------------------------------- */

static char *hex(const unsigned char *b, int n)
{
	char *s = xcalloc((size_t)n * 2 + 1, 1);

	for (int i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return s;
}

/* A growing list of frames, copied into a ct_stack when complete. */
struct frames {
	struct ct_frame *f;
	int n, cap, max;
	bool more;
};

static struct ct_frame *frame_add(struct frames *fr, const struct ct_frame *proto)
{
	if (fr->n == fr->max) {
		fr->more = true;
		return NULL;
	}
	if (fr->n == fr->cap) {
		fr->cap = fr->cap ? 2 * fr->cap : 16;
		fr->f = xrealloc(fr->f, (size_t)fr->cap * sizeof(*fr->f));
	}
	fr->f[fr->n] = *proto;
	fr->f[fr->n].module = proto->module ? xstrdup(proto->module) : NULL;
	fr->f[fr->n].build_id = proto->build_id ? xstrdup(proto->build_id) : NULL;
	return &fr->f[fr->n++];
}

/* A source file name as an absolute path: relative names are relative to the unit's comp_dir. */
static char *src_path(Dwarf_Die *cu, const char *file)
{
	Dwarf_Attribute a;
	const char *dir = cu ? dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a)) : NULL;
	char *p;

	if (!file)
		return NULL;
	if (file[0] == '/' || !dir || !dir[0])
		return xstrdup(file);
	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return xstrdup(file);
	return p;
}

/* DW_AT_call_file:DW_AT_call_line of an inlined_subroutine DIE: where it was inlined. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, char **file, int *line)
{
	Dwarf_Word idx = 0, ln = 0;
	Dwarf_Attribute a;
	Dwarf_Files *files;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &ln) == 0)
		*line = (int)ln;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && idx < nfiles)
		*file = src_path(cu, dwarf_filesrc(files, idx, NULL, NULL));
}

/*
 * The compilation unit holding pc. libdw finds it through .debug_aranges; a producer that
 * writes none (Crystal 1.6) leaves libdw 0.188 without an answer, so then the units' own
 * address ranges are searched, as binutils' addr2line does.
 */
static Dwarf_Die *unit_of(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Die *mem, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, bias);
	Dwarf *dw = cu ? NULL : dwfl_module_getdwarf(mod, bias);
	Dwarf_Off off = 0, next;
	Dwarf_Aranges *ar;
	size_t hsize, nar = 0;

	if (cu || !dw || (dwarf_getaranges(dw, &ar, &nar) == 0 && nar > 0))
		return cu;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Addr base, start, end;
		ptrdiff_t it = 0;

		if (dwarf_offdie(dw, off + hsize, mem))
			while ((it = dwarf_ranges(mem, it, &base, &start, &end)) > 0)
				if (start <= pc - *bias && pc - *bias < end)
					return mem;
		off = next;
	}
	return NULL;
}

/*
 * The frames of one pc from DWARF: the innermost function scope with the line table's
 * file:line, then each function it is inlined into, at the call site (as eu-stack -i). The
 * outermost is the real function: named by its ELF symbol when there is one (Crystal's and C++'s
 * symbols say more than DW_AT_name).
 */
static void frames_dwarf(struct frames *fr, Dwfl_Module *mod, Dwarf_Addr pc,
			 const struct ct_frame *proto, const char *sym)
{
	Dwarf_Die *scopes = NULL, *cu, cumem;
	Dwarf_Addr bias;
	Dwarf_Line *l;
	const char *lf;
	struct ct_frame *f;
	char *file = NULL;
	int n = 0, line = 0, fn[CT_STACK_DEPTH_MAX], k = 0;

	cu = unit_of(mod, pc, &cumem, &bias);
	l = cu ? dwarf_getsrc_die(cu, pc - bias) : NULL;
	lf = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
	if (cu)
		n = dwarf_getscopes(cu, pc - bias, &scopes);
	/* the DIEs that really contain the innermost one (as eu-addr2line -i): the functions it
	 * is inlined into, out to the real one (dwarf_getscopes goes to the abstract origin) */
	if (n > 0) {
		Dwarf_Die inner = scopes[0];

		free(scopes);
		scopes = NULL;
		n = dwarf_getscopes_die(&inner, &scopes);
	}
	for (int i = 0; i < n && k < CT_STACK_DEPTH_MAX; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
			fn[k++] = i;
		if (tag == DW_TAG_subprogram)
			break;
	}
	if (l)
		dwarf_lineno(l, &line);
	file = lf && line > 0 ? src_path(cu, lf) : NULL;
	for (int j = 0; j < k || (j == 0 && !k); j++) {
		bool outer = j == k - 1 || !k;
		const char *name = k ? dwarf_diename(&scopes[fn[j]]) : NULL;

		f = frame_add(fr, proto);
		if (!f)
			break;
		f->inlined = k && dwarf_tag(&scopes[fn[j]]) == DW_TAG_inlined_subroutine;
		/* the ELF symbol, unless it is GCC's clone of the DWARF one (f.constprop.0: f) */
		if (outer && sym &&
		    !(name && !strncmp(sym, name, strlen(name)) && sym[strlen(name)] == '.'))
			name = sym;
		f->function = name ? xstrdup(name) : NULL;
		f->file = file;
		f->line = file ? line : 0;
		file = NULL;
		if (j + 1 < k) /* the next one out: called where this one was inlined */
			call_site(cu, &scopes[fn[j]], &file, &line);
	}
	free(file);
	free(scopes);
}

/*
 * The frames of one pc (more than one where functions are inlined). lookup is the address to
 * name: the pc itself for the interrupted frame, one less for a return address (the call
 * instruction). Folded frames (libc, the loader) get their symbol only: no DWARF is read.
 */
static void frame_name(struct frames *fr, Dwfl *dwfl, const struct ct_aspace *as, Dwarf_Addr pc,
		       Dwarf_Addr lookup, bool folded)
{
	const struct ct_mapping *m = aspace_find(as, lookup);
	Dwfl_Module *mod = dwfl && m && m->elf ? dwfl_addrmodule(dwfl, lookup) : NULL;
	struct ct_frame proto = {.addr = pc, .folded = folded, .system = m && m->system}, *f;
	const unsigned char *bits;
	const char *sym = NULL;
	GElf_Addr vaddr;
	GElf_Off off;
	GElf_Sym es;
	int nb;

	if (m) {
		proto.module = m->path;
		proto.has_offset = true;
		proto.offset = m->elf ? pc - m->bias : pc - m->start + m->pgoff;
		proto.offset_is_file = !m->elf;
	}
	if (mod) {
		nb = dwfl_module_build_id(mod, &bits, &vaddr);
		if (nb > 0)
			proto.build_id = hex(bits, nb);
		sym = dwfl_module_addrinfo(mod, lookup, &off, &es, NULL, NULL, NULL);
	}
	if (mod && !folded) {
		frames_dwarf(fr, mod, lookup, &proto, sym);
	} else if ((f = frame_add(fr, &proto))) {
		f->function = sym ? xstrdup(sym) : NULL;
	}
	free(proto.build_id);
}

/* ---- unwinding -------------------------------------------------------------------------- */

struct walk {
	const struct ct_aspace *as;
	Dwarf_Addr pc[MAX_FOLD + CT_STACK_DEPTH_MAX];
	bool act[MAX_FOLD + CT_STACK_DEPTH_MAX];
	int n, fold, max;
	bool more, lost; /* more frames than max; left the mapped files */
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool act = false;

	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	/* a pc in no mapped file: JIT code, or the unwinder went astray; stop there */
	if (w->n > 0 && !aspace_find(w->as, act ? pc : pc - 1)) {
		w->lost = true;
		return DWARF_CB_ABORT;
	}
	if (w->n == w->max) {
		w->more = true;
		return DWARF_CB_ABORT;
	}
	if (w->n == w->fold && w->fold < MAX_FOLD) {
		const struct ct_mapping *m = aspace_find(w->as, act ? pc : pc - 1);

		if (m && m->system) {
			w->fold++;
			w->max++;
		}
	}
	w->pc[w->n] = pc;
	w->act[w->n] = act;
	w->n++;
	return DWARF_CB_OK;
}

/* Unwind the copy (regs, data) in address space as and name every frame. */
static struct ct_stack *unwind(struct ct_aspace *as, const struct ct_stack_tail *t, size_t len,
			       uint32_t tid)
{
	struct walk w = {.as = as, .max = depth};
	struct frames fr = {0};
	struct ct_stack *s;
	Dwfl *dwfl;

	ua = (struct unwind_arg){(const Dwarf_Word *)t->regs, t->regs[REG_SP], t->data, len};
	dwfl = as && as->n ? aspace_dwfl(as, &ua) : NULL;
	if (dwfl)
		dwfl_getthread_frames(dwfl, (pid_t)tid, frame_cb, &w);
	if (!w.n) { /* at least where the syscall was made */
		w.pc[0] = t->regs[REG_IP];
		w.act[0] = true;
		w.n = 1;
	}
	fr.max = w.fold + depth;
	for (int i = 0; i < w.n && !fr.more; i++)
		frame_name(&fr, dwfl, as, w.pc[i], w.act[i] ? w.pc[i] : w.pc[i] - 1, i < w.fold);
	s = stack_new(fr.n);
	memcpy(s->f, fr.f, (size_t)fr.n * sizeof(*fr.f));
	free(fr.f);
	s->truncated = w.more || fr.more;
	if (!as || !as->n)
		s->error = "the process's mappings are unknown (it was not seen starting)";
	else if (!dwfl)
		s->error = "no ELF file of the process could be read";
	else if (w.lost)
		s->error = "unwinding stopped at code outside the mapped files (e.g. JIT code)";
	ct_stack_stats.unwound++;
	ct_stack_stats.frames += (unsigned long)s->n;
	return s;
}

/* ---- the cache: stacks that unwind alike ------------------------------------------------ */

struct cache_slot {
	uint64_t key;
	struct ct_stack *s;
};

static struct cache_slot cache[CACHE_SLOTS];

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

/*
 * What the unwinder will read: the address space, pc, the length of the copy, the frame
 * pointer's offset when it points into the copy, and every word of the copy that is a code
 * address of a mapped file, with its place (return addresses are among them).
 */
static uint64_t stack_key(const struct ct_aspace *as, const struct ct_stack_tail *t, size_t len)
{
	uint64_t h = mix(mix(as ? as->id : 0, t->regs[REG_IP]), len), lo = UINT64_MAX, hi = 0;
	uint64_t sp = t->regs[REG_SP], bp = t->regs[REG_BP];

	if (bp >= sp && bp - sp < len)
		h = mix(h, bp - sp + 1);
	for (int i = 0; as && i < as->n; i++) {
		uint64_t l = as->m[i].elf ? as->m[i].lo : as->m[i].start;
		uint64_t e = as->m[i].elf ? as->m[i].hi : as->m[i].end;

		lo = l < lo ? l : lo;
		hi = e > hi ? e : hi;
	}
	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t v;

		memcpy(&v, t->data + off, 8);
		if (v >= lo && v < hi && aspace_find(as, v))
			h = mix(mix(h, off), v);
	}
	return h | 1;
}

/* ---- pending: unwound on arrival, taken by the model ------------------------------------ */

struct pending {
	uint32_t tid;
	int fd;
	uint64_t ts;
	struct ct_stack *s;
};

static struct pending pend[PENDING_MAX];
static int npend;
static struct ct_stack *skipped;

static void pending_add(const struct ct_event *ev, struct ct_stack *s)
{
	if (npend == PENDING_MAX) { /* nobody took the oldest: drop it */
		ct_stack_put(pend[0].s);
		memmove(pend, pend + 1, (PENDING_MAX - 1) * sizeof(pend[0]));
		npend--;
	}
	pend[npend++] = (struct pending){ev->tid, ev->fd, ev->ts_ns, s};
}

struct ct_stack *ct_stack_take(const struct ct_event *ev)
{
	for (int i = npend - 1; i >= 0; i--) {
		struct ct_stack *s = pend[i].s;

		if (pend[i].tid != ev->tid || pend[i].ts != ev->ts_ns || pend[i].fd != ev->fd)
			continue;
		memmove(pend + i, pend + i + 1, (size_t)(npend - i - 1) * sizeof(pend[0]));
		npend--;
		return s;
	}
	return NULL;
}

void ct_stack_prune(uint64_t now, bool all)
{
	int j = 0;

	for (int i = 0; i < npend; i++) {
		if (all || pend[i].ts + PENDING_KEEP < now)
			ct_stack_put(pend[i].s);
		else
			pend[j++] = pend[i];
	}
	npend = j;
	if (!all)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		ct_stack_put(cache[i].s);
		cache[i] = (struct cache_slot){0};
	}
	ct_stack_put(skipped);
	skipped = NULL;
	aspace_free_all();
}

/* ---- the record pump's hooks ------------------------------------------------------------ */

static struct ct_stack *stack_of_record(const struct ct_event *ev, const struct ct_stack_tail *t,
					size_t len)
{
	struct ct_aspace *as = aspace_of(ev->tgid);
	struct cache_slot *slot;
	struct ct_stack *s;
	uint64_t key;

	if (!as && ct_stack_read_proc((pid_t)ev->tgid))
		as = aspace_of(ev->tgid);
	key = stack_key(as, t, len);
	slot = &cache[key % CACHE_SLOTS];
	if (slot->key == key && slot->s)
		return ct_stack_ref(slot->s);
	s = unwind(as, t, len, ev->tid);
	s->of = ev->type == CT_EV_SETFD ? CT_STACK_OF_CLEAR : CT_STACK_OF_CREATION;
	ct_stack_put(slot->s);
	slot->key = key;
	slot->s = ct_stack_ref(s);
	return s;
}

void ct_stack_observe(const struct ct_event *ev, const void *tail, size_t len)
{
	const struct ct_stack_tail *t = tail;

	if (!depth)
		return;
	aspace_observe(ev);
	if (ev->type != CT_EV_FD && ev->type != CT_EV_SETFD)
		return;
	if (ev->flags2 & CT_F2_NOSTACK) {
		ct_stack_stats.skipped++;
		if (!skipped) {
			skipped = stack_new(0);
			skipped->error = "not taken: the ring buffer was more than half full";
		}
		pending_add(ev, ct_stack_ref(skipped));
		return;
	}
	if (!(ev->flags2 & CT_F2_STACK) || len < CT_STACK_HDR_SIZE)
		return;
	len -= CT_STACK_HDR_SIZE;
	if (len > t->len)
		len = t->len;
	ct_stack_stats.taken++;
	pending_add(ev, stack_of_record(ev, t, len));
}

/* ---- setup ------------------------------------------------------------------------------ */

void ct_stack_init(int d)
{
	depth = d < 0 ? 0 : d > CT_STACK_DEPTH_MAX ? CT_STACK_DEPTH_MAX : d;
	elf_version(EV_CURRENT);
}

bool ct_stack_on(void)
{
	return depth > 0;
}

bool ct_stack_read_proc(pid_t pid)
{
	return depth && aspace_read_proc((uint32_t)pid);
}
