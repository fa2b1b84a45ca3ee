// SPDX-License-Identifier: MIT
/*
 * ct_aspace.c - address spaces of traced processes for the stack unwinder (see ct_aspace.h).
 *
 * A MAP record says: the file at this path (inode) is mapped at [start, end), file offset pgoff
 * at start. The file's ELF program headers give the load bias and the module's whole range;
 * libdwfl gets the file at that bias (dwfl_report_elf), finds its CFI and, through the build
 * id or .gnu_debuglink, its separate debug info (/usr/lib/debug). A file that is no longer the
 * one mapped (another inode at the path: replaced by an upgrade) is kept as a range without an
 * ELF: its frames get the module and the offset, no names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct_aspace.h"
#include "ct_model.h"

#define PROC_BUCKETS 1024
#define ELF_BUCKETS  256
#define MAX_LOAD     16
#define MAX_SESSIONS 16 /* open libdwfl sessions at a time (each holds its files' DWARF) */
#define PAGE_MASK_4K (~(uint64_t)4095)

/* What we read once per file: its loadable segments and whether it is libc or the loader. */
struct elf_info {
	char *path;
	uint64_t ino;
	bool ok, system, exec;
	int nload;
	struct {
		uint64_t vaddr, off, filesz, memsz;
	} load[MAX_LOAD];
	struct elf_info *next;
};

struct proc_as {
	uint32_t tgid;
	struct ct_aspace *as;
	struct proc_as *next;
};

static struct proc_as *procs[PROC_BUCKETS];
static struct elf_info *elves[ELF_BUCKETS];
static uint64_t next_id = 1, use_clock;
static struct ct_aspace *sessions[MAX_SESSIONS];

/* SONAMEs whose frames before the caller's are folded: the C library and the loader. */
static const char *const system_sonames[] = {"libc.so.", "ld-linux", "ld64.so.", "libc.musl-",
					     "ld-musl-"};

static bool system_soname(const char *soname)
{
	for (size_t i = 0; i < sizeof(system_sonames) / sizeof(system_sonames[0]); i++)
		if (!strncmp(soname, system_sonames[i], strlen(system_sonames[i])))
			return true;
	return false;
}

/* DT_SONAME of elf, or "". */
static const char *elf_soname(Elf *elf)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_SONAME)
				continue;
			s = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
			return s ? s : "";
		}
	}
	return "";
}

/* The program headers of the file at path, when it is the file with inode ino. */
static void elf_read(struct elf_info *ei)
{
	int fd = open(ei->path, O_RDONLY | O_CLOEXEC);
	GElf_Ehdr eh;
	struct stat st;
	size_t phnum;
	Elf *elf;

	if (fd < 0)
		return;
	if (fstat(fd, &st) || (ei->ino && st.st_ino != ei->ino)) {
		close(fd);
		return;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && gelf_getehdr(elf, &eh) && !elf_getphdrnum(elf, &phnum)) {
		for (size_t i = 0; i < phnum && ei->nload < MAX_LOAD; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			ei->load[ei->nload].vaddr = ph.p_vaddr;
			ei->load[ei->nload].off = ph.p_offset;
			ei->load[ei->nload].filesz = ph.p_filesz;
			ei->load[ei->nload].memsz = ph.p_memsz;
			ei->nload++;
		}
		ei->exec = eh.e_type == ET_EXEC;
		ei->system = system_soname(elf_soname(elf));
		ei->ok = ei->nload > 0;
	}
	if (elf)
		elf_end(elf);
	close(fd);
}

static struct elf_info *elf_info(const char *path, uint64_t ino)
{
	unsigned h = (unsigned)(ino * 0x9e3779b97f4a7c15ULL >> 56) % ELF_BUCKETS;
	struct elf_info *ei;

	for (ei = elves[h]; ei; ei = ei->next)
		if (ei->ino == ino && !strcmp(ei->path, path))
			return ei;
	ei = xcalloc(1, sizeof(*ei));
	ei->path = xstrdup(path);
	ei->ino = ino;
	elf_read(ei);
	ei->next = elves[h];
	elves[h] = ei;
	return ei;
}

/* Load bias and module range of mapping m from its file's segments. */
static void mapping_place(struct ct_mapping *m)
{
	struct elf_info *ei = elf_info(m->path, m->ino);
	uint64_t lo = UINT64_MAX, hi = 0;
	int k;

	if (!ei->ok)
		return;
	/* the segment that holds file offset pgoff: address start = bias + its vaddr there */
	for (k = 0; k < ei->nload; k++)
		if ((ei->load[k].off & PAGE_MASK_4K) <= m->pgoff &&
		    m->pgoff < ei->load[k].off + ei->load[k].filesz)
			break;
	if (k == ei->nload)
		return;
	m->bias = ei->exec ? 0 : m->start - ei->load[k].vaddr - m->pgoff + ei->load[k].off;
	for (int i = 0; i < ei->nload; i++) {
		if ((ei->load[i].vaddr & PAGE_MASK_4K) < lo)
			lo = ei->load[i].vaddr & PAGE_MASK_4K;
		if (ei->load[i].vaddr + ei->load[i].memsz > hi)
			hi = ei->load[i].vaddr + ei->load[i].memsz;
	}
	m->lo = lo + m->bias;
	m->hi = hi + m->bias;
	m->system = ei->system;
	m->elf = true;
}

/* ---- address spaces --------------------------------------------------------------------- */

static struct ct_aspace *aspace_new(void)
{
	struct ct_aspace *as = xcalloc(1, sizeof(*as));

	as->refs = 1;
	as->id = next_id++;
	return as;
}

static void session_close(struct ct_aspace *as)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i] == as)
			sessions[i] = NULL;
	if (as->dwfl)
		dwfl_end(as->dwfl);
	as->dwfl = NULL;
	as->reported = 0;
}

static void aspace_put(struct ct_aspace *as)
{
	if (!as || --as->refs > 0)
		return;
	session_close(as);
	for (int i = 0; i < as->n; i++)
		free(as->m[i].path);
	free(as->m);
	free(as);
}

static struct proc_as **proc_slot(uint32_t tgid, bool create)
{
	struct proc_as **pp = &procs[tgid % PROC_BUCKETS];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->tgid == tgid)
			return pp;
	if (create) {
		*pp = xcalloc(1, sizeof(**pp));
		(*pp)->tgid = tgid;
	}
	return pp;
}

struct ct_aspace *aspace_of(uint32_t tgid)
{
	struct proc_as **pp = proc_slot(tgid, false);

	return *pp ? (*pp)->as : NULL;
}

static void proc_set(uint32_t tgid, struct ct_aspace *as)
{
	struct proc_as **pp = proc_slot(tgid, true);

	aspace_put((*pp)->as);
	(*pp)->as = as;
}

static void proc_drop(uint32_t tgid)
{
	struct proc_as **pp = proc_slot(tgid, false), *p = *pp;

	if (!p)
		return;
	*pp = p->next;
	aspace_put(p->as);
	free(p);
}

/* tgid's address space, its own copy if it shares one (fork), to change it. */
static struct ct_aspace *aspace_own(uint32_t tgid)
{
	struct ct_aspace *as = aspace_of(tgid), *cp;

	if (!as) {
		as = aspace_new();
		proc_set(tgid, as);
		return as;
	}
	if (as->refs == 1)
		return as;
	cp = aspace_new();
	cp->m = xcalloc((size_t)as->n, sizeof(*cp->m));
	cp->n = cp->cap = as->n;
	for (int i = 0; i < as->n; i++) {
		cp->m[i] = as->m[i];
		cp->m[i].path = xstrdup(as->m[i].path);
	}
	proc_set(tgid, cp);
	return cp;
}

static uint64_t m_lo(const struct ct_mapping *m)
{
	return m->elf ? m->lo : m->start;
}

static uint64_t m_hi(const struct ct_mapping *m)
{
	return m->elf ? m->hi : m->end;
}

/* Add a mapping: one that overlaps it is gone (unmapped, or mapped over). */
static void aspace_add(struct ct_aspace *as, uint64_t start, uint64_t end, uint64_t pgoff,
		       uint64_t ino, const char *path)
{
	struct ct_mapping m = {.start = start, .end = end, .pgoff = pgoff, .ino = ino};
	int j = 0;

	m.path = xstrdup(path);
	mapping_place(&m);
	for (int i = 0; i < as->n; i++) {
		struct ct_mapping *o = &as->m[i];

		/* the same module again (ld.so maps a library's segments one by one) */
		if (m.elf && o->elf && o->ino == m.ino && o->bias == m.bias &&
		    !strcmp(o->path, m.path)) {
			free(m.path);
			return;
		}
	}
	for (int i = 0; i < as->n; i++) {
		struct ct_mapping *o = &as->m[i];

		if (m_lo(o) < m_hi(&m) && m_lo(&m) < m_hi(o)) {
			free(o->path);
			continue;
		}
		as->m[j++] = *o;
	}
	if (j != as->n)
		session_close(as); /* a module left: the session is rebuilt when needed */
	as->n = j;
	if (as->n == as->cap) {
		as->cap = as->cap ? 2 * as->cap : 16;
		as->m = xrealloc(as->m, (size_t)as->cap * sizeof(*as->m));
	}
	as->m[as->n++] = m;
}

/*
 * The interpreter's mapping, named by the program's PT_INTERP: the file exec opened. The
 * mapping's own file may have no usable path (overlayfs maps a backing file, 6.6+, whose path is
 * the lower layer's). false: no PT_INTERP could be read (then the mapping's path is used).
 */
static bool interp_map(struct ct_aspace *as, const struct ct_event *ev)
{
	char interp[PATH_MAX] = "";
	size_t phnum;
	Elf *elf;
	int fd;

	if (!as->n || !as->m[0].elf)
		return false;
	fd = open(as->m[0].path, O_RDONLY | O_CLOEXEC);
	elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	for (size_t i = 0; elf && !elf_getphdrnum(elf, &phnum) && i < phnum; i++) {
		GElf_Phdr ph;
		size_t n;
		const char *raw = elf_rawfile(elf, &n);

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP || !raw ||
		    ph.p_offset + ph.p_filesz > n || ph.p_filesz >= sizeof(interp))
			continue;
		memcpy(interp, raw + ph.p_offset, ph.p_filesz);
		interp[ph.p_filesz] = 0;
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (interp[0] != '/')
		return false;
	aspace_add(as, ev->u.map.start, ev->u.map.end, ev->u.map.pgoff, 0, interp);
	return true;
}

void aspace_observe(const struct ct_event *ev)
{
	char path[CT_NAME_LEN + 1];
	struct ct_aspace *as;

	switch (ev->type) {
	case CT_EV_MAP:
		if (ev->flags & CT_F_IMAGE)
			proc_set(ev->tgid, aspace_new()); /* exec: a new program */
		as = aspace_own(ev->tgid);
		memcpy(path, ev->name, CT_NAME_LEN);
		path[CT_NAME_LEN] = 0;
		/* the interpreter: the program's PT_INTERP, what exec opened (see interp_map) */
		if ((ev->flags2 & CT_F2_INTERP) && interp_map(as, ev))
			break;
		if (path[0] == '/' && !(ev->flags & CT_F_TRUNC))
			aspace_add(as, ev->u.map.start, ev->u.map.end, ev->u.map.pgoff, ev->ino,
				   path);
		break;
	case CT_EV_FORK:
		/* the child runs in a copy of the parent's memory: the same mappings */
		as = aspace_of(ev->tgid);
		if (as && ev->u.fork.child_tgid != ev->tgid) {
			as->refs++;
			proc_set(ev->u.fork.child_tgid, as);
		}
		break;
	case CT_EV_EXIT:
		proc_drop(ev->tgid);
		break;
	}
}

const struct ct_mapping *aspace_find(const struct ct_aspace *as, uint64_t addr)
{
	for (int i = 0; as && i < as->n; i++)
		if (m_lo(&as->m[i]) <= addr && addr < m_hi(&as->m[i]))
			return &as->m[i];
	return NULL;
}

/* ---- libdwfl sessions ------------------------------------------------------------------- */

static char *debuginfo_path; /* NULL: libdwfl's default (.debug, /usr/lib/debug) */

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* A slot for as's session: a free one, or the least recently used one, closed. */
static void session_slot(struct ct_aspace *as)
{
	int k = 0;

	for (int i = 0; i < MAX_SESSIONS; i++) {
		if (!sessions[i]) {
			k = i;
			break;
		}
		if (sessions[i]->used < sessions[k]->used)
			k = i;
	}
	if (sessions[k])
		session_close(sessions[k]);
	sessions[k] = as;
}

Dwfl *aspace_dwfl(struct ct_aspace *as, void *thread_arg)
{
	as->used = ++use_clock;
	if (as->dwfl && as->reported == as->n)
		return as->dwfl;
	if (!as->dwfl) {
		session_slot(as);
		as->dwfl = dwfl_begin(&dwfl_callbacks);
		if (!as->dwfl)
			return NULL;
		as->reported = 0;
	}
	dwfl_report_begin_add(as->dwfl);
	for (; as->reported < as->n; as->reported++) {
		const struct ct_mapping *m = &as->m[as->reported];

		if (m->elf)
			dwfl_report_elf(as->dwfl, m->path, m->path, -1, m->bias, true);
	}
	dwfl_report_end(as->dwfl, NULL, NULL);
	/* the unwinder's state: our callbacks read the captured registers and stack */
	if (dwfl_pid(as->dwfl) < 0 &&
	    !dwfl_attach_state(as->dwfl, NULL, 1, &ct_unwind_callbacks, thread_arg)) {
		session_close(as);
		return NULL;
	}
	return as->dwfl;
}

/* ---- /proc/PID/maps: processes whose exec we did not see --------------------------------- */

bool aspace_read_proc(uint32_t tgid)
{
	char fn[64], *line = NULL;
	struct ct_aspace *as;
	size_t cap = 0;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%u/maps", tgid);
	f = fopen(fn, "re");
	if (!f) {
		proc_set(tgid, aspace_new());
		return false;
	}
	as = aspace_new();
	while (getline(&line, &cap, f) > 0) {
		unsigned long long start, end, off, ino;
		char perms[8], *path;
		int n = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end, perms, &off,
			   &ino, &n) < 5 ||
		    !n || perms[2] != 'x')
			continue;
		path = line + n;
		path[strcspn(path, "\n")] = 0;
		if (path[0] == '/')
			aspace_add(as, start, end, off, ino, path);
	}
	free(line);
	fclose(f);
	proc_set(tgid, as);
	return true;
}

void aspace_free_all(void)
{
	for (int i = 0; i < PROC_BUCKETS; i++)
		while (procs[i])
			proc_drop(procs[i]->tgid);
	for (int i = 0; i < ELF_BUCKETS; i++)
		while (elves[i]) {
			struct elf_info *ei = elves[i];

			elves[i] = ei->next;
			free(ei->path);
			free(ei);
		}
}
