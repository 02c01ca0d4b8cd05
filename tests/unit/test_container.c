// SPDX-License-Identifier: MIT
/*
 * Unit tests: container labels from cgroup paths, as docker, containerd,
 * cri-o, podman, systemd-nspawn, LXC, Kubernetes and systemd lay them out,
 * and the /proc/PID/cgroup files of cgroup v1, v2 and hybrid hosts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tulpen/container.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "8f6b3c1e-2a4d-4e5f-9a8b-7c6d5e4f3a2b"
#define UID_ "8f6b3c1e_2a4d_4e5f_9a8b_7c6d5e4f3a2b"

struct want {
	const char *path;
	int found;
	int runtime;
	const char *id, *name, *pod, *unit;
	const char *label;
};

static const struct want cases[] = {
	{ "/system.slice/docker-" ID ".scope", 1, TULPEN_RT_DOCKER, ID, "", "",
	  "", "docker:0123456789ab" },
	{ "/docker/" ID, 1, TULPEN_RT_DOCKER, ID, "", "", "",
	  "docker:0123456789ab" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" ID ".scope",
	  1, TULPEN_RT_CONTAINERD, ID, "", UID, "",
	  "containerd:0123456789ab,pod=" UID },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID
	  ".scope",
	  1, TULPEN_RT_CONTAINERD, ID, "", UID, "",
	  "containerd:0123456789ab,pod=" UID },
	{ "/kubepods/besteffort/pod" UID "/" ID, 1, TULPEN_RT_CONTAINERD, ID,
	  "", UID, "", "containerd:0123456789ab,pod=" UID },
	{ "/kubepods/pod" UID "/" ID, 1, TULPEN_RT_CONTAINERD, ID, "", UID, "",
	  "containerd:0123456789ab,pod=" UID },
	{ "/kubepods.slice/kubepods-besteffort.slice/"
	  "kubepods-besteffort-pod" UID_ ".slice/crio-" ID ".scope",
	  1, TULPEN_RT_CRIO, ID, "", UID, "", "cri-o:0123456789ab,pod=" UID },
	{ "/kubepods/burstable/pod" UID "/crio-" ID, 1, TULPEN_RT_CRIO, ID, "",
	  UID, "", "cri-o:0123456789ab,pod=" UID },
	{ "/machine.slice/libpod-" ID ".scope/container", 1, TULPEN_RT_PODMAN,
	  ID, "", "", "", "podman:0123456789ab" },
	{ "/libpod_parent/libpod-" ID, 1, TULPEN_RT_PODMAN, ID, "", "", "",
	  "podman:0123456789ab" },
	{ "/machine.slice/systemd-nspawn@web.service/payload", 1,
	  TULPEN_RT_NSPAWN, "web", "web", "", "", "systemd-nspawn:web" },
	{ "/machine.slice/machine-db.scope", 1, TULPEN_RT_NSPAWN, "db", "db",
	  "", "", "systemd-nspawn:db" },
	{ "/lxc.payload.c1/init.scope", 1, TULPEN_RT_LXC, "c1", "c1", "", "",
	  "lxc:c1" },
	{ "/lxc/c2", 1, TULPEN_RT_LXC, "c2", "c2", "", "", "lxc:c2" },
	/* monitors, pods alone, units, odd paths: no container */
	{ "/lxc.monitor.c1", 0, 0, "", "", "", "", "-" },
	{ "/machine.slice/libpod-conmon-" ID ".scope", 0, 0, "", "", "",
	  "libpod-conmon-" ID ".scope", "libpod-conmon-" ID ".scope" },
	{ "/kubepods/besteffort/pod" UID, 0, 0, "", "", "", "", "-" },
	{ "/system.slice/ssh.service", 0, 0, "", "", "", "ssh.service",
	  "ssh.service" },
	{ "/user.slice/user-0.slice/session-3.scope", 0, 0, "", "", "",
	  "session-3.scope", "session-3.scope" },
	{ "/", 0, 0, "", "", "", "", "-" },
	{ "", 0, 0, "", "", "", "", "-" },
	{ "/docker/0123", 0, 0, "", "", "", "", "-" },
	{ "/docker/" ID "ff", 0, 0, "", "", "", "", "-" },
	{ "/system.slice/docker-" ID ".scop", 0, 0, "", "", "", "", "-" },
	{ "/process_api/92c4714254944d4886065c61117f667a", 0, 0, "", "", "", "",
	  "-" },
	{ "/kubepods/pod"
	  "not-a-uid"
	  "/" ID,
	  0, 0, "", "", "", "", "-" },
	{ "//docker//" ID "//", 1, TULPEN_RT_DOCKER, ID, "", "", "",
	  "docker:0123456789ab" },
};

static void test_paths(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		struct tulpen_container c;
		char label[256];

		print_message("%s\n", w->path);
		assert_int_equal(tulpen_container_from_path(
					 w->path, strlen(w->path), &c),
				 w->found);
		assert_int_equal(c.runtime, w->runtime);
		assert_string_equal(c.id, w->id);
		assert_string_equal(c.name, w->name);
		assert_string_equal(c.pod_uid, w->pod);
		assert_string_equal(c.unit, w->unit);
		tulpen_container_label(label, sizeof(label), &c);
		assert_string_equal(label, w->label);
	}
}

static void test_files(void **state)
{
	struct tulpen_container c;
	const char *v2 = "0::/system.slice/docker-" ID ".scope\n";
	const char *hybrid = "12:memory:/docker/" ID "\n"
			     "1:name=systemd:/system.slice/x.service\n"
			     "0::/\n";
	const char *unit_v1 = "9:name=systemd:/system.slice/cron.service\n"
			      "4:memory:/\n0::/\n";
	const char *v2_first = "0::/lxc.payload.a\n3:cpu:/docker/" ID "\n";
	const char *bad = "garbage\n::\n0:\n:::::\n";

	assert_int_equal(tulpen_container_parse(v2, strlen(v2), &c), 1);
	assert_int_equal(c.runtime, TULPEN_RT_DOCKER);
	assert_int_equal(tulpen_container_parse(hybrid, strlen(hybrid), &c), 1);
	assert_int_equal(c.runtime, TULPEN_RT_DOCKER);
	assert_int_equal(tulpen_container_parse(unit_v1, strlen(unit_v1), &c),
			 0);
	assert_string_equal(c.unit, "cron.service");
	assert_int_equal(tulpen_container_parse(v2_first, strlen(v2_first), &c),
			 1);
	assert_int_equal(c.runtime, TULPEN_RT_LXC);
	assert_int_equal(tulpen_container_parse(bad, strlen(bad), &c), 0);
	assert_false(tulpen_container_known(&c));
	/* no newline at the end, a NUL inside */
	assert_int_equal(tulpen_container_parse("0::/docker/" ID, 11 + 64, &c),
			 1);
	assert_int_equal(tulpen_container_parse("0::/lxc/a\0b", 11, &c), 1);
	assert_string_equal(c.name, "a");
}

static void test_json(void **state)
{
	struct tulpen_container c;
	struct tulpen_buf b;
	const char *p = "/kubepods/pod" UID "/" ID;

	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	tulpen_container_from_path(p, strlen(p), &c);
	assert_int_equal(tulpen_container_json(&c, &b), 0);
	assert_int_equal(tulpen_buf_putc(&b, '\0'), 0);
	assert_string_equal(b.data, "{\"runtime\":\"containerd\",\"id\":\"" ID
				    "\",\"pod_uid\":\"" UID "\",\"name\":null,"
				    "\"unit\":null}");
	b.len = 0;
	assert_int_equal(tulpen_container_json(NULL, &b), 0);
	tulpen_buf_putc(&b, '\0');
	assert_string_equal(b.data, "null");
	tulpen_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
