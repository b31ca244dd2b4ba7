// SPDX-License-Identifier: GPL-2.0
/*
 * fanfilter-bpf OBJECT.bpf.o [--sleepable]: loads a BPF object with
 * libbpf and registers each of its struct_ops maps of type
 * fanotify_bpf_filter, which makes a fanotify filter type named by the
 * map's .name ("bpf_..."; registering needs CAP_SYS_ADMIN).  Prints
 * "fanfilter-bpf: registered MAP" for each and then "fanfilter-bpf: ready",
 * and keeps them registered until SIGINT or SIGTERM.  Groups attached
 * meanwhile keep their filter after that: each attachment holds the map.
 * Exempt processes and directories are the attaching group's arguments
 * (struct fanotify_filter_bpf_args), not the loader's.  --sleepable loads
 * the programs as sleepable, which the kernel must refuse for a filter (a
 * test of that refusal; libbpf 1.1 has no section name for sleepable
 * struct_ops programs).  --no-link registers the maps by their update
 * alone, without a link, which the kernel must refuse too.
 *
 * Exit status: 0 after a signal, 1 if the object does not open, load
 * (the verifier's log is on stderr) or register, 2 for bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/*
 * The kernel registers fanotify filter types through a bpf_link only, so
 * that the loader's exit, even by SIGKILL, unregisters them.  libbpf 1.1
 * (Debian 12) predates SEC(".struct_ops.link"), so the loader asks for it:
 * BPF_F_LINK on the map, then the link itself.  Values of the kernel's
 * uapi, which Debian 12's headers predate.
 */
#ifndef BPF_F_LINK
#define BPF_F_LINK		0x2000
#endif
#define ATTACH_STRUCT_OPS	44	/* BPF_STRUCT_OPS */

#define MAX_LINKS 16

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	int link_fds[MAX_LINKS];
	struct bpf_object *obj;
	struct bpf_map *map;
	int nr = 0, sig, err, sleepable = 0, no_link = 0;
	struct bpf_program *prog;
	sigset_t set;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--sleepable"))
			sleepable = 1;
		else if (!strcmp(argv[i], "--no-link"))
			no_link = 1;
		else
			argc = 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: fanfilter-bpf OBJECT.bpf.o [--sleepable] [--no-link]\n");
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
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS && !no_link)
			bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_LINK);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "fanfilter-bpf: %s does not load: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (nr == MAX_LINKS) {
			fprintf(stderr, "fanfilter-bpf: more than %d filters\n", MAX_LINKS);
			return 1;
		}
		/* Fills the map; with BPF_F_LINK, the link registers it. */
		links[nr] = bpf_map__attach_struct_ops(map);
		link_fds[nr] = -1;
		if (links[nr] && !no_link)
			link_fds[nr] = bpf_link_create(bpf_map__fd(map), 0,
						       ATTACH_STRUCT_OPS, NULL);
		if (!links[nr] || (!no_link && link_fds[nr] < 0)) {
			fprintf(stderr, "fanfilter-bpf: %s does not register: %s\n",
				bpf_map__name(map), strerror(errno));
			return 1;
		}
		printf("fanfilter-bpf: registered map %s\n", bpf_map__name(map));
		nr++;
	}
	if (!nr) {
		fprintf(stderr, "fanfilter-bpf: %s has no struct_ops map\n", argv[1]);
		return 1;
	}
	printf("fanfilter-bpf: ready\n");
	fflush(stdout);

	sigwait(&set, &sig);
	while (nr--) {
		if (link_fds[nr] >= 0)
			close(link_fds[nr]);
		bpf_link__destroy(links[nr]);
	}
	bpf_object__close(obj);
	return 0;
}
