/* SPDX-License-Identifier: MIT */
/*
 * ct_file.h - what an fd is, from its record: the kind of file and a name for it.
 */
#ifndef CLOEXEC_TRACE_FILE_H
#define CLOEXEC_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "cloexec_trace.h"

/* The "kind" of bpf/SCHEMA.md. */
enum ct_fkind {
	CT_FK_OTHER, /* anonymous inodes (eventfd, epoll...) and the rest */
	CT_FK_FILE,
	CT_FK_PIPE,
	CT_FK_TCP,
	CT_FK_UDP,
	CT_FK_UNIX,
	CT_FK_NETLINK,
	CT_FK_OTHER_SOCKET,
};

enum ct_fkind ct_file_kind(unsigned kind, unsigned family, unsigned stype, unsigned proto,
			   const char *name);

/*
 * A name for the file of record e held as fd by tgid: the recorded path, /proc/PID/fd/N while
 * the inode still matches, else the kernel's name. Reads /proc: call it when the record
 * arrives, not when it is printed.
 */
void ct_file_name(const struct ct_event *e, uint32_t tgid, int fd, char *buf, size_t len);

#endif
