// SPDX-License-Identifier: GPL-2.0
/*
 * fanfilter-bpf OBJECT.bpf.o [--exempt PID] [--sleepable]: loads a BPF
 * object with
 * libbpf and registers each of its struct_ops maps of type
 * fanotify_bpf_filter, which makes a fanotify filter type of that name.
 * Prints "fanfilter-bpf: registered MAP" for each and then
 * "fanfilter-bpf: ready", and keeps them registered until SIGINT or
 * SIGTERM.  Groups attached meanwhile keep their filter after that: each
 * attachment holds the map.  --exempt sets key 0 of the object's array map
 * "exempt" (bpf_guard).  --sleepable loads the programs as sleepable, which
 * the kernel must refuse for a filter (a test of that refusal; libbpf 1.1
 * has no section name for sleepable struct_ops programs).
 *
 * Exit status: 0 after a signal, 1 if the object does not open, load
 * (the verifier's log is on stderr) or register, 2 for bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 16

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_object *obj;
	struct bpf_map *map;
	int nr = 0, sig, err, sleepable = 0;
	struct bpf_program *prog;
	long exempt = 0;
	sigset_t set;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--exempt") && i + 1 < argc) {
			exempt = strtol(argv[++i], NULL, 10);
			if (exempt <= 0) {
				fprintf(stderr, "fanfilter-bpf: bad pid %s\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--sleepable")) {
			sleepable = 1;
		} else {
			argc = 0;
		}
	}
	if (argc < 2) {
		fprintf(stderr, "usage: fanfilter-bpf OBJECT.bpf.o [--exempt PID] [--sleepable]\n");
		return 2;
	}

	/* Blocked before anything is registered: sigwait() takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "fanfilter-bpf: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		if (sleepable)
			bpf_program__set_flags(prog, BPF_F_SLEEPABLE);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "fanfilter-bpf: %s does not load: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	if (exempt) {
		__u32 key = 0;
		__s32 pid = exempt;

		map = bpf_object__find_map_by_name(obj, "exempt");
		if (!map || bpf_map__update_elem(map, &key, sizeof(key), &pid,
						 sizeof(pid), BPF_ANY)) {
			fprintf(stderr, "fanfilter-bpf: no map \"exempt\" to set\n");
			return 1;
		}
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (nr == MAX_LINKS) {
			fprintf(stderr, "fanfilter-bpf: more than %d filters\n", MAX_LINKS);
			return 1;
		}
		links[nr] = bpf_map__attach_struct_ops(map);
		if (!links[nr]) {
			fprintf(stderr, "fanfilter-bpf: %s does not register: %s\n",
				bpf_map__name(map), strerror(errno));
			return 1;
		}
		printf("fanfilter-bpf: registered %s\n", bpf_map__name(map));
		nr++;
	}
	if (!nr) {
		fprintf(stderr, "fanfilter-bpf: %s has no struct_ops map\n", argv[1]);
		return 1;
	}
	printf("fanfilter-bpf: ready\n");
	fflush(stdout);

	sigwait(&set, &sig);
	while (nr--)
		bpf_link__destroy(links[nr]);
	bpf_object__close(obj);
	return 0;
}
