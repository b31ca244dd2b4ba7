/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* What generate.sh hands bindgen: the two headers of the user API. */
#include <linux/fanotify.h>		/* the patched kernel's */
#include "fanotify_filters.h"		/* src/uapi/ of this repository */
