/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/net/tcp and tcp6: where a socket goes, by its inode, while
 * getpeername() cannot tell (connect() waiting in SYN_SENT). Pure: the
 * caller reads the file.
 */
#ifndef GUARD_PROC_NET_H
#define GUARD_PROC_NET_H

#include <apr.h>

/**
 * One line, without its newline: "sl local rem st tx:rx tr:tm retr uid
 * timeout inode ...", each address as the kernel prints it ("0100007F:1F90",
 * or 32 hex digits and ":port"; each 32-bit word in host order). The line
 * is cut into its fields in place.
 * @return 0 and the remote address ("1.2.3.4:80", "[::1]:80") in out when
 *         it is the socket with inode ino; else -1
 */
int guard_proc_net_tcp_line(char *line, apr_uint64_t ino, char *out,
                            apr_size_t outlen);

#endif
