// SPDX-License-Identifier: MIT
/*
 * ct_file.c - the kind and the name of the file behind an fd record (see ct_file.h).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct_file.h"

/* "[eventfd]", "[timerfd]": the dentry name of an anonymous inode. */
static bool anon_name(const char *name)
{
	size_t n = strlen(name);

	return n > 2 && name[0] == '[' && name[n - 1] == ']';
}

enum ct_fkind ct_file_kind(unsigned kind, unsigned family, unsigned stype, unsigned proto,
			   const char *name)
{
	switch (kind) {
	case CT_KIND_SOCKET:
		if (family == AF_INET || family == AF_INET6) {
			if (stype == SOCK_STREAM && (proto == IPPROTO_TCP || proto == 0))
				return CT_FK_TCP;
			if (stype == SOCK_DGRAM && (proto == IPPROTO_UDP || proto == 0))
				return CT_FK_UDP;
			return CT_FK_OTHER_SOCKET;
		}
		if (family == AF_UNIX)
			return CT_FK_UNIX;
		if (family == AF_NETLINK)
			return CT_FK_NETLINK;
		return CT_FK_OTHER_SOCKET;
	case CT_KIND_PIPE:
		return CT_FK_PIPE;
	case CT_KIND_FILE:
	case CT_KIND_DIR:
	case CT_KIND_CHR:
		return name && anon_name(name) ? CT_FK_OTHER : CT_FK_FILE;
	}
	return CT_FK_OTHER;
}

/* A unix socket's bound name: the path, or @name for an abstract one; "" if unbound. */
static void unix_name(const struct ct_event *e, char *buf, size_t len)
{
	size_t l;

	if (e->family != AF_UNIX || e->u.file.name_len == 0)
		return;
	l = e->u.file.name_len < CT_NAME_LEN ? e->u.file.name_len : CT_NAME_LEN - 1;
	if (e->name[0] == 0) /* abstract: @name */
		snprintf(buf, len, "@%.*s", (int)(l - 1), e->name + 1);
	else
		snprintf(buf, len, "%.*s", (int)l, e->name);
}

/* As /proc would say it: anon_inode:[eventfd], /memfd:name (deleted), ... */
static void kernel_name(const struct ct_event *e, char *buf, size_t len)
{
	if (e->u.file.fs_magic == CT_ANON_INODE_MAGIC)
		snprintf(buf, len, "anon_inode:%.*s", CT_NAME_LEN, e->name);
	else if (e->u.file.fs_magic == CT_PIDFS_MAGIC)
		snprintf(buf, len, "anon_inode:[pidfd]");
	else if (e->flags2 & CT_F2_PSEUDO)
		snprintf(buf, len, "/%.*s%s", CT_NAME_LEN, e->name,
			 e->flags2 & CT_F2_DELETED ? " (deleted)" : "");
	else
		snprintf(buf, len, "%.*s", CT_NAME_LEN, e->name);
}

void ct_file_name(const struct ct_event *e, uint32_t tgid, int fd, char *buf, size_t len)
{
	char p[64];
	struct stat sb;
	ssize_t n;

	buf[0] = 0;
	if (e->kind == CT_KIND_SOCKET) {
		unix_name(e, buf, len);
		return;
	}
	/* an anonymous pipe; a named FIFO has a path like any file (as /proc shows it) */
	if (e->kind == CT_KIND_PIPE && (e->name[0] != '/' || (e->flags2 & CT_F2_PSEUDO))) {
		snprintf(buf, len, "pipe:[%llu]", (unsigned long long)e->ino);
		return;
	}
	if (e->name[0] == '/' && !(e->flags & CT_F_TRUNC) && !(e->flags2 & CT_F2_PSEUDO)) {
		snprintf(buf, len, "%.*s%s", CT_NAME_LEN, e->name,
			 e->flags2 & CT_F2_DELETED ? " (deleted)" : "");
		return;
	}
	/* the path did not fit, or a pseudo file: /proc knows it while the inode matches */
	snprintf(p, sizeof(p), "/proc/%u/fd/%d", tgid, fd);
	if (stat(p, &sb) == 0 && sb.st_ino == e->ino) {
		n = readlink(p, buf, len - 1);
		if (n > 0) {
			buf[n] = 0;
			return;
		}
	}
	kernel_name(e, buf, len);
}
