// SPDX-License-Identifier: GPL-2.0
/*
 * BPF filters (CONFIG_FANOTIFY_FILTER_BPF): a struct_ops map registers a
 * root-only filter type; attachments outlive the loader; the kernel, not
 * the program, decides which denials count; and the verifier refuses
 * programs that sleep, write to the event, read what the event hides, or
 * walk the tree by hand.  The loader and objects are bpf/ of the
 * repository, built into bpf/ beside this program.  The subtree rules
 * themselves are subtree_test's, run on "bpf_subtree" as subtree_bpf_test.
 */
#include "fanfilter_test.h"

#include "kselftest_harness.h"

static int sysfs_read(const char *filter, const char *file, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/fanotify/filters/%s/%s", filter,
		 file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	return 0;
}

FIXTURE(bpf) {
	struct test_fs fs;
	struct loader l;
	int in_fd;
	int fan_fd;
};

FIXTURE_SETUP(bpf)
{
	self->l.pid = 0;
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));
	ASSERT_EQ(0, touch_write(self->fs.out, "g"));
	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
}

FIXTURE_TEARDOWN(bpf)
{
	if (self->l.pid)
		loader_stop(&self->l);
	close(self->in_fd);
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

static int unpriv_attach_errno(void *arg)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, 0);

	if (fd < 0)
		return 100;
	return filter_attach(fd, "bpf_subtree", NULL, 0) ? errno : 0;
}

TEST_F(bpf, struct_ops_map_registers_a_root_only_filter)
{
	char buf[128];

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	ASSERT_EQ(0, sysfs_read("bpf_subtree", "description", buf, sizeof(buf)));
	EXPECT_STREQ("a BPF struct_ops filter\n", buf);
	EXPECT_EQ(EPERM, as_nobody(unpriv_attach_errno, NULL));
	EXPECT_EQ(0, loader_stop(&self->l));
	EXPECT_EQ(-1, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
}

/* An attachment holds the map: the loader's exit does not end it. */
TEST_F(bpf, attachment_outlives_the_loader)
{
	struct filter_counters c;
	struct event_paths ev;
	int other;

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, attach_roots(self->fan_fd, "bpf_subtree", self->in_fd));
	ASSERT_EQ(0, loader_stop(&self->l));

	/* Unregistered: no new attachment... */
	other = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, attach_roots(other, "bpf_subtree", self->in_fd));
	EXPECT_EQ(ENOENT, errno);
	close(other);

	/* ...but the existing one still filters. */
	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.out, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "a"));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_STREQ("bpf_subtree", c.name);
	EXPECT_EQ(1, c.skipped);
	EXPECT_EQ(1, c.sent);
	EXPECT_EQ(0, filter_detach(self->fan_fd));
}

/* Without directories, bpf_fanotify_event_locate() says -ENOENT: sent. */
TEST_F(bpf, no_roots_sends_everything)
{
	struct event_paths ev;

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, filter_attach(self->fan_fd, "bpf_subtree", NULL, 0));
	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.out, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
}

/*
 * A program that denies everything: the open fails, the notification
 * events arrive all the same and count as invalid.
 */
TEST_F(bpf, denial_counts_only_for_permission_events)
{
	struct filter_counters c;
	struct event_paths ev;
	int perm;

	ASSERT_EQ(0, loader_start(&self->l, "deny_all.bpf.o", 0, NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);
	ASSERT_EQ(0, filter_attach(perm, "bpf_deny_all", NULL, 0));
	ASSERT_EQ(0, filter_attach(self->fan_fd, "bpf_deny_all", NULL, 0));

	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	ASSERT_EQ(0, filter_counters(perm, &c));
	EXPECT_EQ(1, c.denied);
	EXPECT_EQ(0, c.invalid);
	close(perm);

	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.out, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(0, c.denied);
	EXPECT_EQ(2, c.invalid);
	EXPECT_EQ(2, c.sent);
}

/* bpf_guard: only the exempt process opens below the root. */
TEST_F(bpf, guard_denies_all_but_the_exempt)
{
	char path[PATH_MAX];
	int perm, fd;

	ASSERT_EQ(0, loader_start(&self->l, "guard.bpf.o", getpid(), NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);
	ASSERT_EQ(0, attach_roots(perm, "bpf_guard", self->in_fd));

	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, child_open(self->fs.out, "g", O_RDONLY));
	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	fd = open(path, O_RDONLY);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	close(perm);
}

/* The loader fails (1), says why, and registers nothing. */
static void expect_rejected(struct __test_metadata *_metadata,
			    struct loader *l, const char *obj, pid_t how,
			    const char *filter, const char *why)
{
	char log[4096], buf[16];

	EXPECT_EQ(1, loader_start(l, obj, how, log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, why)) {
		TH_LOG("%s: no \"%s\" in:\n%s", obj, why, log);
	}
	EXPECT_EQ(-1, sysfs_read(filter, "unprivileged", buf, sizeof(buf)));
}

TEST_F(bpf, verifier_rejects_a_sleepable_filter)
{
	expect_rejected(_metadata, &self->l, "reject/sleepable.bpf.o",
			LOADER_SLEEPABLE, "bpf_reject_sleepable", "attach to unsupported member");
}

TEST_F(bpf, verifier_rejects_writes_to_the_event)
{
	expect_rejected(_metadata, &self->l, "reject/write_event.bpf.o", 0,
			"bpf_reject_write",
			"fanotify filters may not write to kernel objects");
}

TEST_F(bpf, verifier_rejects_reads_of_hidden_event_fields)
{
	expect_rejected(_metadata, &self->l, "reject/private_fields.bpf.o", 0,
			"bpf_reject_private", "access beyond struct");
}

TEST_F(bpf, verifier_rejects_walking_dentries_by_hand)
{
	/* From the inode to its dentries is a negative offset: refused. */
	expect_rejected(_metadata, &self->l, "reject/walk_dentries.bpf.o", 0,
			"bpf_reject_walk", "invalid negative access");
}

TEST_HARNESS_MAIN
