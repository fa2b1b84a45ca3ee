// SPDX-License-Identifier: MIT
/*
 * fx_scm_rights - truth: a TCP socket received over SCM_RIGHTS with recvmsg()
 * is never close-on-exec (leaked into fx_child); received with
 * MSG_CMSG_CLOEXEC it is atomic (not leaked). The channel and the sent socket
 * are SOCK_CLOEXEC.
 */
#define _GNU_SOURCE
#include "fx_common.h"

static void send_fd(int ch, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char b = 'x';
	struct iovec iov = {&b, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(ch, &m, 0) != 1)
		fx_die("send an fd over SCM_RIGHTS");
}

static int recv_fd(int ch, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char b;
	struct iovec iov = {&b, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(ch, &m, flags) != 1)
		fx_die("receive an fd over SCM_RIGHTS");
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		fx_die("find SCM_RIGHTS in the message");
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int main(int argc, char **argv)
{
	int ch[2], s, r1, r2;

	fx_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, ch) < 0)
		fx_die("create the channel");
	fx_report("chan_a", ch[0]);
	fx_report("chan_b", ch[1]);
	s = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("sent", s);
	send_fd(ch[0], s);
	send_fd(ch[0], s);
	r1 = recv_fd(ch[1], 0);
	fx_report("recv_plain", r1);
	r2 = recv_fd(ch[1], MSG_CMSG_CLOEXEC);
	fx_report("recv_cloexec", r2);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
