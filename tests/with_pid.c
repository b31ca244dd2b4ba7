// SPDX-License-Identifier: GPL-2.0
/*
 * with_pid PID PROGRAM [ARGS...]: run PROGRAM as a new process whose pid is
 * PID (clone3() with set_tid; root), and exit with its status.  The CLI
 * test uses it to give a new process the pid of an exempt one that exited.
 */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t tid, child;
	struct clone_args args;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: with_pid PID PROGRAM [ARGS...]\n");
		return 125;
	}
	tid = atoi(argv[1]);
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (unsigned long)&tid;
	args.set_tid_size = 1;
	child = syscall(SYS_clone3, &args, sizeof(args));
	if (child < 0) {
		perror("with_pid: clone3");
		return 125;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		perror("with_pid: exec");
		_exit(126);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return 125;
	return WEXITSTATUS(status);
}
