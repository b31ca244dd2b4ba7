// SPDX-License-Identifier: GPL-2.0
/*
 * contract_check: breaks the filter calling contract on purpose.  Attaches
 * the test_verdict filter in its "sleep" mode, in which ->filter() sleeps,
 * and raises one event.  Run only on the debug kernel (scripts/stress.sh),
 * whose DEBUG_ATOMIC_SLEEP must report the sleep: fanotify calls filters
 * under rcu_read_lock().  Prints TAP; the kernel's report is checked by the
 * caller in dmesg.
 */
#include "fanfilter_test.h"

#define TEST_VERDICT_SLEEP 0x1

TEST(sleeping_filter_runs)
{
	struct { __s32 verdict; __u32 flags; } args = { 0, TEST_VERDICT_SLEEP };
	struct test_fs fs;
	int fd;

	if (access("/sys/fs/fanotify/filters/test_verdict", F_OK))
		SKIP(return, "test_verdict not loaded");
	ASSERT_EQ(0, test_fs_setup(&fs));
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, fs.root));
	ASSERT_EQ(0, filter_attach(fd, "test_verdict", &args, sizeof(args)));
	ASSERT_EQ(0, touch_write(fs.in, "f"));
	close(fd);
	test_fs_teardown(&fs);
}

TEST_HARNESS_MAIN
