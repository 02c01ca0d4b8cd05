/* SPDX-License-Identifier: MIT */
/*
 * tulpen/container.h - which container a process belongs to, from its
 * cgroup path (/proc/PID/cgroup), as container runtimes lay them out:
 *
 *   docker          /docker/ID, /system.slice/docker-ID.scope
 *   containerd      .../cri-containerd-ID.scope, /kubepods/.../podUID/ID
 *   cri-o           .../crio-ID.scope, .../crio-ID
 *   podman          .../libpod-ID.scope, /libpod_parent/libpod-ID
 *   systemd-nspawn  /machine.slice/systemd-nspawn@NAME.service,
 *                   /machine.slice/machine-NAME.scope
 *   lxc             /lxc.payload.NAME, /lxc/NAME
 *
 * Kubernetes pods (kubepods-...-podUID.slice or kubepods/.../podUID) give
 * the pod uid; a process in no container is labelled with its systemd unit
 * (the last "*.service" or "*.scope" of the path) where there is one.
 * Monitors (conmon, lxc.monitor) are not containers.
 *
 * Ownership: struct tulpen_container is a plain value the caller owns.
 */
#ifndef TULPEN_CONTAINER_H
#define TULPEN_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"

enum tulpen_runtime {
	TULPEN_RT_NONE = 0,
	TULPEN_RT_DOCKER,
	TULPEN_RT_CONTAINERD,
	TULPEN_RT_CRIO,
	TULPEN_RT_PODMAN,
	TULPEN_RT_NSPAWN,
	TULPEN_RT_LXC,
};

struct tulpen_container {
	uint8_t runtime;  /* enum tulpen_runtime */
	char id[65];	  /* hex id; for nspawn and LXC the name; "" none */
	char name[65];	  /* machine or LXC name, "" if the path has none */
	char pod_uid[37]; /* Kubernetes pod uid, "" if none */
	char unit[129];	  /* systemd unit when in no container, "" none */
};

/* "docker", "containerd", "cri-o", "podman", "systemd-nspawn", "lxc"; NULL. */
const char *tulpen_container_runtime_name(int runtime);

/* Whether @c says anything (a runtime or a unit). */
static inline int tulpen_container_known(const struct tulpen_container *c)
{
	return c && (c->runtime != TULPEN_RT_NONE || c->unit[0]);
}

/*
 * Label from one cgroup path ("/system.slice/docker-ID.scope"). Fills @c
 * (cleared first). Returns 1 when a container was found, 0 otherwise (@c
 * may still carry a unit). Never fails: odd paths give no label.
 */
int tulpen_container_from_path(const char *path, size_t len,
			       struct tulpen_container *c);

/*
 * Label from the text of a /proc/PID/cgroup file: the cgroup v2 line
 * ("0::PATH") first, then the v1 hierarchies. Returns 1 when a container
 * was found, 0 otherwise.
 */
int tulpen_container_parse(const char *text, size_t len,
			   struct tulpen_container *c);

/*
 * Label of process @pid, read from <proc_root>/PID/cgroup. Returns 0 (the
 * label may be empty), -ENOENT/-ESRCH when the process is gone, or another
 * negative errno.
 */
int tulpen_container_of_pid(struct tulpen_ctx *ctx, int pid,
			    struct tulpen_container *c);

/*
 * The short text form for tables: "docker:0123456789ab",
 * "containerd:0123456789ab,pod=UID", "lxc:NAME", the unit alone, or "-".
 * Returns the length written (NUL-terminated, truncated to @size).
 */
size_t tulpen_container_label(char *out, size_t size,
			      const struct tulpen_container *c);

/*
 * As JSON: {"runtime","id","pod_uid","name","unit"}, each a string or
 * null; null for no label at all. Returns the buffer's error.
 */
int tulpen_container_json(const struct tulpen_container *c,
			  struct tulpen_buf *b);

#endif /* TULPEN_CONTAINER_H */
