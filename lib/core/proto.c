// SPDX-License-Identifier: MIT
/*
 * proto.c - protocol names.
 */
#include "tulpen/sock.h"

const char *tulpen_proto_name(int proto)
{
	static const char *const names[TULPEN_P_MAX] = {
		[TULPEN_P_TCP] = "tcp",		[TULPEN_P_UDP] = "udp",
		[TULPEN_P_UDPLITE] = "udplite", [TULPEN_P_RAW] = "raw",
		[TULPEN_P_UNIX] = "unix",	[TULPEN_P_MPTCP] = "mptcp",
		[TULPEN_P_SCTP] = "sctp",	[TULPEN_P_NETLINK] = "netlink",
		[TULPEN_P_PACKET] = "packet",	[TULPEN_P_VSOCK] = "vsock",
		[TULPEN_P_XDP] = "xdp",		[TULPEN_P_TIPC] = "tipc",
	};

	if (proto < 0 || proto >= TULPEN_P_MAX)
		return "?";
	return names[proto];
}
