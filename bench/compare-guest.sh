#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# compare-guest.sh OUTDIR MODULE.ko FANFILTER OPS RACE SIZE...: runs inside
# the VM as root (bench/compare.sh boots it).  For each SIZE (a number of
# directories, a multiple of 100), on a fresh tmpfs tree of 100 top
# directories d00..d99 each holding SIZE/100 - 1 leaves, it watches d00 (1 %
# of the directories) with fanfilter, inotifywait, fsnotifywait (-r, and -S:
# one filesystem mark) and fatrace in turn, while a workload of OPS create+write+close+unlink operations
# spreads over every directory, then runs RACE "mkdir d; create d/f" pairs
# inside d00.  One result file per size and tool, OUTDIR/result-SIZE-TOOL.txt
# (key=value lines), a log, OUTDIR/guest.log, and OUTDIR/status, written
# last: "ok" or "failed: ...".
set -uo pipefail
# Job control: background jobs must not ignore SIGINT, the signal the tools
# are stopped with (as by Ctrl-C).
set -m
out=$1 ko=$2 fanfilter=$3 ops=$4 race=$5
shift 5
sizes=("$@")
exec >"$out/guest.log" 2>&1

TOOLS=(fanfilter inotifywait fsnotifywait fsnotifywait-S fatrace)
EVENTS=(create delete move modify)
WAIT_LIMIT=900 # guest seconds for a tool to get ready or drain its queue
# fsnotifywait -S takes every event of the filesystem to user space: under
# TCG it may not keep pace, and the workload shares its one vCPU.  It gets
# BEHIND_FACTOR times the workload's unwatched time (at least 10 s) for the
# workload, and as long again to drain its queue; beyond, its row says
# "behind" (not a failure).
BEHIND_FACTOR=5
failures=()

log() {
	local up
	read -r up _ </proc/uptime
	printf '[%8s] %s\n' "$up" "$*"
}

# A sleep without fork: the poll loops below must not steal the CPU from
# the tool they wait for (the VM may have a single vCPU).
work=$(mktemp -d /tmp/compare-XXXXXX)
mkfifo "$work/nap"
exec {napfd}<>"$work/nap"
nap() { read -r -t "$1" -u "$napfd" _ || true; }

# Timestamps each line of a tool's stderr as it arrives.
stamp() {
	local line
	while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# has_line FILE TEXT: whether FILE holds TEXT, with builtins only.
has_line() {
	local line
	[[ -f $1 ]] || return 1
	while IFS= read -r line; do [[ $line == *"$2"* ]] && return 0; done <"$1"
	return 1
}

# CPU time in seconds (ns precision) of processes, summed over all their
# threads, read from their process CPU clocks: they are still running.
cpu_of() {
	perl -MTime::HiRes=clock_gettime -e '
		my $sum = 0;
		for (@ARGV) {
			my $clock;
			{ use integer; $clock = ((~(0 + $_)) << 3) | 2; }  # CPUCLOCK_SCHED of a process
			my $t = clock_gettime($clock);
			die "no CPU clock for pid $_\n" if $t < 0;
			$sum += $t;
		}
		printf "%.6f\n", $sum;' "$@"
}

# Kernel slab in kB, "Slab SUnreclaim": after 2 s for deferred (RCU)
# frees of earlier work to land, the median of 9 samples 0.25 s apart, to
# smooth out per-CPU slab caching.  Marks are unreclaimable slab; dentries
# and inodes, the noisiest part, are reclaimable.
slab_kb() {
	local i
	nap 2
	for i in 1 2 3 4 5 6 7 8 9; do
		awk '/^Slab:/ { s = $2 } /^SUnreclaim:/ { u = $2 } END { print s, u }' /proc/meminfo
		((i < 9)) && nap 0.25
	done | sort -n -k2 | sed -n 5p
}

# Marks a process holds: inotify watches and fanotify marks of its fds.
marks_of() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -cE '^(inotify wd:|fanotify (ino|mnt_id|sdev):)'
}

fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }

cat >"$work/tree.pl" <<'EOF'
# tree.pl ROOT TOPS LEAVES: TOPS top directories d00.., LEAVES leaves each.
my ($root, $tops, $leaves) = @ARGV;
for my $t (0 .. $tops - 1) {
	my $d = sprintf "%s/d%02d", $root, $t;
	mkdir $d or die "$d: $!";
	for my $l (1 .. $leaves) { mkdir sprintf("%s/l%04d", $d, $l) or die "$d: $!" }
}
EOF
cat >"$work/workload.pl" <<'EOF'
# workload.pl ROOT TOPS LEAVES OPS: OPS times create, write 1 byte, close
# and unlink a file.  Operation i goes to top directory i % TOPS, into its
# leaf (i / TOPS) % (LEAVES + 1) (0: the top directory itself): every
# directory gets its share and 1 in TOPS operations lands in d00, spread
# over the whole run.
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
my ($root, $tops, $leaves, $ops) = @ARGV;
my ($sub, $t0) = (0, clock_gettime(CLOCK_MONOTONIC));
for my $i (0 .. $ops - 1) {
	my ($t, $l) = ($i % $tops, int($i / $tops) % ($leaves + 1));
	my $f = sprintf "%s/d%02d", $root, $t;
	$f .= sprintf "/l%04d", $l if $l;
	$f .= "/w$i";
	open my $fh, '>', $f or die "$f: $!";
	syswrite($fh, "x") == 1 or die "$f: $!";
	close $fh or die "$f: $!";
	unlink $f or die "$f: $!";
	$sub++ if $t == 0;
}
printf "ops=%d\nwork_s=%.6f\nsubtree_ops=%d\n", $ops,
	clock_gettime(CLOCK_MONOTONIC) - $t0, $sub;
EOF
# A file created right after its directory, as a program does it: no
# fork between the two, unlike "mkdir d && touch d/f" (also measured).
cat >"$work/race.pl" <<'EOF'
my ($sub, $n) = @ARGV;
for my $k (1 .. $n) {
	mkdir "$sub/rt$k" or die "$sub/rt$k: $!";
	open my $fh, '>', "$sub/rt$k/f" or die "$sub/rt$k/f: $!";
	close $fh;
}
EOF

# Lines of a tool's output as "INDEX EVENTS PATH [UNPLACED]"; INDEX counts
# every event line the tool printed (for fatrace, every line it printed
# before the subtree filter, and UNPLACED those without a path), EVENTS
# are inotify-style names.
normalize() { # TOOL FILE
	case $1 in
	fanfilter) awk '$1 ~ /^[0-9][0-9]:/ { print NR, $2, $3 }' "$2" ;;
	inotifywait | fsnotifywait | fsnotifywait-S)
		# fsnotifywait also prints "[fid=...] path" lines: not events.
		awk '!/^\[/ { n++; print n, $1, $2 }' "$2" ;;
	fatrace)
		awk -F '\t' '{
			split($3, f, " +"); ev = ""
			if (f[2] ~ /\+/) ev = ev ",CREATE"
			if (f[2] ~ /D/) ev = ev ",DELETE"
			if (f[2] ~ /[<>]/) ev = ev ",MOVE"
			if (f[2] ~ /W/) ev = ev ",MODIFY"
			if (ev == "") ev = ",OTHER"
			print $1, substr(ev, 2), f[3], $2
		}' "$2" ;;
	esac
}

# Counts from a normalized output: events between the start and end
# sentinels of the workload, those in the subtree, the file creations in
# the subtree, and the race files seen.  fatrace reports a creation as an
# event on the directory ("+ DIR"), so its race file rtK/f is seen as a
# creation at rtK.
count() { # TOOL NORMALIZED SUB RACE
	awk -v tool="$1" -v sub_="$3" -v race="$4" '
	function under(p, d) { return p == d || index(p, d "/") == 1 }
	{ idx = $1; ev = $2; p = $3 }
	under(p, sub_ "/s-work.d") { if (!we) { ws = idx; wsu = $4 } next }
	under(p, sub_ "/e-work.d") { if (!we) { we = idx; weu = $4 } next }
	ws && !we && under(p, sub_) {
		insub++
		if (ev ~ /CREATE/ && ev !~ /ISDIR/) creates++
	}
	ev ~ /CREATE/ { created[p] = 1 }
	END {
		for (k = 1; k <= race; k++) {
			f = tool == "fatrace" ? "" : "/f"
			if ((sub_ "/rt" k f) in created) tight++
			if ((sub_ "/rs" k f) in created) shell++
		}
		printf "events=%d\nsubtree_events=%d\nsubtree_creates=%d\n", we - ws - 1, insub, creates
		printf "race_tight_seen=%d\nrace_shell_seen=%d\nwindow_found=%d\n", tight, shell, ws && we
		if (tool == "fatrace") printf "unplaced=%d\n", weu - wsu
	}' "$2"
}

# sentinel NAME OUTFILE PID...: creates SUB/NAME/x and waits until the
# tool printed it: every event queued before it has then been read.  The
# directories SUB/NAME exist before the tool starts (fatrace would report
# their creation as an event on SUB, in the middle of the counts).
SENTINELS=(s-work.d e-work.d e-race.d)
sentinel() {
	local name=$1 file=$2 deadline=$((SECONDS + ${SENTINEL_LIMIT:-$WAIT_LIMIT}))
	shift 2
	: >"$SUB/$name/x"
	until grep -qF -- "$SUB/$name" "$file"; do
		kill -0 "$@" 2>/dev/null || { log "tool exited while waiting for $name"; return 1; }
		((SECONDS < deadline)) || { log "timeout waiting for $name"; return 1; }
		nap 0.1
	done
}

# run_workload RESULTFILE [LIMIT]: the workload and its throughput; with
# LIMIT, it is stopped after LIMIT seconds (status 124).
run_workload() {
	local res
	res=$(timeout "${2:-0}" perl "$work/workload.pl" "$TREE" 100 "$leaves" "$ops") || return
	echo "$res" >>"$1"
	awk -F= '$1 == "work_s" { s = $2 } $1 == "ops" { n = $2 }
		END { printf "ops_per_s=%.1f\n", n / s }' <<<"$res" >>"$1"
}

# start_tool TOOL: starts TOOL on the subtree; sets the globals pids
# (everything that runs for it) and t0 (the time just before the start).
start_tool() {
	local tool=$1 e
	local -a evs=()
	for e in "${EVENTS[@]}"; do evs+=(-e "$e"); done
	case $tool in
	fanfilter)
		t0=$EPOCHREALTIME
		"$fanfilter" watch "$TREE" --subtree "$SUB" \
			--events "$(IFS=,; echo "${EVENTS[*]}")" \
			>"$logs/$tool.out" 2> >(stamp >"$logs/$tool.err") &
		pids=($!) ;;
	inotifywait | fsnotifywait)
		# fsnotifywait's default backend is fanotify: one inode mark per
		# directory, where inotifywait adds one inotify watch.
		t0=$EPOCHREALTIME
		"$tool" -r -m "${evs[@]}" --format '%e %w%f' "$SUB" \
			>"$logs/$tool.out" 2> >(stamp >"$logs/$tool.err") &
		pids=($!) ;;
	fsnotifywait-S)
		# One fanotify filesystem mark, as fanfilter's, but no filter in
		# the kernel: every event of the filesystem comes to user space
		# and is printed; the subtree is picked out of the output (count).
		t0=$EPOCHREALTIME
		# Its output is block-buffered when not a terminal (unlike -r):
		# line-buffered, or no sentinel would show up.
		stdbuf -oL fsnotifywait -S -m "${evs[@]}" --format '%e %w%f' "$SUB" \
			>"$logs/$tool.out" 2> >(stamp >"$logs/$tool.err") &
		pids=($!) ;;
	fatrace)
		# fatrace marks the whole filesystem of its working directory and
		# prints every event of it; awk keeps the subtree's, prefixed with
		# the number of lines fatrace printed so far and of those without
		# a path (a file handle it could not open: nothing to filter on).
		rm -f "$logs/fatrace.fifo"
		mkfifo "$logs/fatrace.fifo"
		mawk -W interactive -v d="$SUB" -v un="$logs/fatrace.unplaced" '{ n++ }
			!index($0, " /") && ++u <= 20 { print > un }
			index($0, " " d "/") || substr($0, length($0) - length(d)) == " " d {
				print n "\t" u + 0 "\t" $0 }' \
			<"$logs/fatrace.fifo" >"$logs/$tool.out" &
		local awkpid=$!
		t0=$EPOCHREALTIME
		(cd "$TREE" && exec fatrace -c -f '+D<W') \
			>"$logs/fatrace.fifo" 2> >(stamp >"$logs/$tool.err") &
		pids=($! "$awkpid") ;;
	esac
}

# wait_ready TOOL RESULTFILE: the time until the watch is in place.  The
# inotify-tools print "Watches established.", fanfilter "fanfilter:
# watching"; fatrace prints nothing, so files are created in the subtree
# every 2 ms until one shows up in its output: it was watched from that
# file's creation on.
wait_ready() {
	local tool=$1 res=$2 pat ts line i=0 deadline=$((SECONDS + WAIT_LIMIT))
	local -a probe_t=()
	case $tool in
	fanfilter) pat="fanfilter: watching" ;;
	inotifywait | fsnotifywait | fsnotifywait-S) pat="Watches established." ;;
	fatrace) pat="" ;;
	esac
	while ((SECONDS < deadline)); do
		kill -0 "${pids[@]}" 2>/dev/null || { log "$tool exited before it was ready"; return 1; }
		if [[ -n $pat ]]; then
			if has_line "$logs/$tool.err" "$pat"; then
				while IFS= read -r line; do
					[[ $line == *"$pat"* ]] && { ts=${line%% *}; break; }
				done <"$logs/$tool.err"
				fsub "$ts" "$t0" | sed 's/^/ready_s=/' >>"$res"
				return 0
			fi
			nap 0.005
		else
			: >"$SUB/probe.$i"
			probe_t[i]=$EPOCHREALTIME
			if has_line "$logs/$tool.out" "$SUB/probe."; then
				i=$(grep -m1 -oE 'probe\.[0-9]+' "$logs/$tool.out" | cut -d. -f2)
				fsub "${probe_t[i]}" "$t0" | sed 's/^/ready_s=/' >>"$res"
				echo "probes=${#probe_t[@]}" >>"$res"
				return 0
			fi
			i=$((i + 1))
			nap 0.002
		fi
	done
	log "$tool: not ready after $WAIT_LIMIT s"
	return 1
}

# nofile_check RESULTFILE: whether fsnotifywait gets ready on the subtree
# with the usual limit of 1024 open files.
nofile_check() {
	local res=$1 err=$work/nofile.err deadline=$((SECONDS + WAIT_LIMIT)) pid
	(ulimit -n 1024 && exec fsnotifywait -r -m -e create "$SUB") >/dev/null 2>"$err" &
	pid=$!
	until grep -q 'Watches established' "$err"; do
		if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
			echo "nofile_1024=fails: $(grep -v 'Setting up' "$err" | head -1)" >>"$res"
			kill -KILL "$pid" 2>/dev/null
			wait "$pid"
			return
		fi
		nap 0.05
	done
	echo "nofile_1024=ok" >>"$res"
	kill -INT "$pid"
	wait "$pid"
}

# behind_limit: guest seconds for fsnotifywait -S (see BEHIND_FACTOR), from
# the unwatched run of this size.
behind_limit() {
	awk -F= -v f="$BEHIND_FACTOR" '$1 == "work_s" { s = $2 }
		END { l = int(f * s + 1); print (l < 10 ? 10 : l) }' "$out/result-$size-none.txt"
}

# behind TOOL RESULTFILE WHAT: TOOL did not keep pace (WHAT: the workload
# did not end in its time, or its queue did not drain): what it had
# printed by then, and its CPU time; then it is stopped.
behind() {
	local tool=$1 res=$2 what=$3
	log "$tool: behind ($what not done in time)"
	echo "behind=$what" >>"$res"
	echo "cpu_total_s=$(cpu_of "${pids[@]}")" >>"$res"
	echo "printed=$(grep -vc '^\[' "$logs/$tool.out")" >>"$res"
	kill -KILL "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
}

# run_tool TOOL RESULTFILE: one tool from start to stop; status 2 if it
# fell behind (see behind()).
run_tool() {
	local tool=$1 res=$2 before after cpu0 cpu1 cpu2 cpu3 backlog rc d
	pids=()
	for d in "${SENTINELS[@]}"; do mkdir "$SUB/$d"; done
	before=$(slab_kb)
	start_tool "$tool"
	wait_ready "$tool" "$res" || return 1
	cpu0=$(cpu_of "${pids[@]}") || return 1
	nap 1 # let a tool that still works after its readiness line settle
	after=$(slab_kb)
	read -r b_slab b_unrec <<<"$before"
	read -r a_slab a_unrec <<<"$after"
	{
		echo "slab_kb=$((a_slab - b_slab))"
		echo "sunreclaim_kb=$((a_unrec - b_unrec))"
		echo "marks=$(marks_of "${pids[0]}")"
		echo "cpu_ready_s=$cpu0"
	} >>"$res"

	log "$tool: ready"
	sentinel s-work.d "$logs/$tool.out" "${pids[@]}" || return 1
	cpu1=$(cpu_of "${pids[@]}") || return 1
	local limit=0 drain_limit=$WAIT_LIMIT rc
	if [[ $tool == fsnotifywait-S ]]; then
		# Bounded: see BEHIND_FACTOR.
		limit=$(behind_limit)
		drain_limit=$limit
		echo "behind_limit_s=$limit" >>"$res"
	fi
	run_workload "$res" "$limit"
	rc=$?
	if ((rc == 124)); then
		behind "$tool" "$res" workload
		return 2
	fi
	((rc == 0)) || return 1
	# Slab right when the workload ends: events still queued for the tool.
	backlog=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	echo "backlog_sunreclaim_kb=$((backlog - a_unrec))" >>"$res"
	log "$tool: workload done, draining"
	if ! SENTINEL_LIMIT=$drain_limit sentinel e-work.d "$logs/$tool.out" "${pids[@]}"; then
		[[ $tool == fsnotifywait-S ]] || return 1
		behind "$tool" "$res" drain
		return 2
	fi
	cpu2=$(cpu_of "${pids[@]}") || return 1
	echo "cpu_work_s=$(fsub "$cpu2" "$cpu1")" >>"$res"
	log "$tool: drained, race check"

	sh -c 'for k in $(seq "$2"); do mkdir "$1/rs$k" && touch "$1/rs$k/f"; done' \
		- "$SUB" "$race" || return 1
	perl "$work/race.pl" "$SUB" "$race" || return 1
	sentinel e-race.d "$logs/$tool.out" "${pids[@]}" || return 1
	cpu3=$(cpu_of "${pids[@]}") || return 1
	echo "cpu_total_s=$cpu3" >>"$res"

	kill -INT "${pids[0]}"
	wait "${pids[0]}"
	rc=$?
	[[ $tool == fatrace ]] && wait "${pids[1]}"
	echo "exit=$rc" >>"$res"
	nap 0.5 # the stderr stamper writes the tool's last lines
	sed 's/^[0-9.]* //' "$logs/$tool.err" | grep -E '^fanfilter: (kernel filter|queue)' |
		sed -E 's/^fanfilter: queue overflows: /overflows=/; s/^fanfilter: (kernel filter.*)/kernel_counters=\1/' >>"$res"
	normalize "$tool" "$logs/$tool.out" >"$logs/$tool.norm"
	count "$tool" "$logs/$tool.norm" "$SUB" "$race" >>"$res"
	# fanfilter must exit 0 on SIGINT; the others may die of it (130).
	if ((rc != 0)) && [[ $tool == fanfilter || $rc != 130 ]]; then
		log "$tool exited with status $rc"
		return 1
	fi
	grep -q '^window_found=1' "$res" || { log "$tool: workload window not found"; return 1; }
}

clean_subtree() {
	rm -rf "$SUB"/rs* "$SUB"/rt* "$SUB"/probe.* "$SUB"/s-work.d "$SUB"/e-work.d "$SUB"/e-race.d
}

log "guest: $(nproc) CPUs, $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB, kernel $(uname -r)"
if ! insmod "$ko"; then
	failures+=("insmod")
fi
# A single watcher must never hit the per-user limits: raise them.
# fsnotifywait keeps one fd per directory, so the open files too (its
# behaviour at the usual 1024 is checked on its own below).
ulimit -n 1048576
log "raised the limit of open files to $(ulimit -n)"
for knob in fs.inotify.max_user_watches fs.inotify.max_queued_events \
	fs.fanotify.max_user_marks fs.fanotify.max_queued_events; do
	if [[ -e /proc/sys/${knob//.//} ]]; then
		log "raising $knob from $(sysctl -n "$knob") to 1048576"
		sysctl -qw "$knob=1048576"
	fi
done
# The host's files reach the guest through 9p without a page cache that
# outlives a process: every start of a tool would read its binary again,
# and its readiness time would measure 9p (the bigger the binary, the
# slower).  Put the tools and their libraries in memory: fanfilter copied
# to /tmp, the rest copied up into the tmpfs of the /usr overlay (any
# change of metadata copies a file up).
mkdir -p "$work/bin"
if [[ -x $fanfilter ]]; then
	cp "$fanfilter" "$work/bin/fanfilter"
	fanfilter=$work/bin/fanfilter
fi
for bin in "$fanfilter" "$(command -v inotifywait)" "$(command -v fsnotifywait)" \
	"$(command -v fatrace)" "$(command -v mawk)"; do
	[[ -x $bin ]] || continue
	for f in "$bin" $(ldd "$bin" | grep -oE '/[^ ]+'); do
		f=$(readlink -f "$f")
		[[ $f == /usr/* ]] && touch -c "$f"
	done
done
grep -E ' /(usr|tmp) ' /proc/mounts
# Then one run of each on a scratch directory, which also warms the
# kernel's paths.
TREE=$work/warm SUB=$work/warm/sub logs=$work/warm-logs
mkdir -p "$TREE" "$logs"
mount -t tmpfs warm "$TREE"
mkdir "$SUB"
perl -MTime::HiRes -e 1
for t in "${TOOLS[@]}"; do
	[[ $t == fanfilter && ! -x $fanfilter ]] && continue
	start_tool "$t"
	wait_ready "$t" /dev/null || log "warm-up of $t failed"
	kill -INT "${pids[0]}"
	wait "${pids[@]}"
done
umount "$TREE"
rm -rf "$logs"
log "versions: $(inotifywait --help 2>&1 | head -1); fatrace $(dpkg-query -W -f='${Version}' fatrace 2>/dev/null)"

TREE=$work/tree
mkdir -p "$TREE"
for size in "${sizes[@]}"; do
	if ((size % 100 || size < 200)); then
		failures+=("size $size is not a multiple of 100 of at least 200")
		continue
	fi
	leaves=$((size / 100 - 1))
	SUB=$TREE/d00
	logs=$work/logs-$size
	mkdir -p "$logs"
	mount -t tmpfs -o size=1g,nr_inodes=0 compare "$TREE"
	log "size $size: building 100 x $leaves leaves + 100 top directories"
	s=$EPOCHREALTIME
	perl "$work/tree.pl" "$TREE" 100 "$leaves"
	n=$(find "$TREE" -mindepth 1 -type d | wc -l)
	nsub=$(find "$SUB" -type d | wc -l)
	log "size $size: $n directories ($nsub in $SUB) built in $(fsub "$EPOCHREALTIME" "$s") s"
	((n == size)) || failures+=("size $size: tree has $n directories")
	# One unmeasured run: the first one is slower (its names are new to the
	# dentry cache).
	perl "$work/workload.pl" "$TREE" 100 "$leaves" "$ops" >/dev/null

	for run in none "${TOOLS[@]}" none2; do
		res=$out/result-$size-$run.txt
		printf 'tool=%s\nsize=%s\ndirs=%s\nsubtree_dirs=%s\nrace=%s\n' \
			"${run%2}" "$size" "$n" "$nsub" "$race" >"$res"
		log "size $size: $run"
		case $run in
		none | none2)
			# No watcher; its memory delta is that of a plain process
			# started the same way, the noise floor of the column.
			before=$(slab_kb)
			sleep 1000 &
			ctl=$!
			nap 1
			after=$(slab_kb)
			kill "$ctl"
			wait "$ctl" 2>/dev/null
			read -r b_slab b_unrec <<<"$before"
			read -r a_slab a_unrec <<<"$after"
			printf 'slab_kb=%d\nsunreclaim_kb=%d\n' $((a_slab - b_slab)) $((a_unrec - b_unrec)) >>"$res"
			if run_workload "$res"; then
				echo "status=ok" >>"$res"
			else
				echo "status=failed" >>"$res"
				failures+=("$size/$run: workload")
			fi ;;
		fanfilter)
			if [[ ! -x $fanfilter ]]; then
				echo "status=skipped (no $fanfilter)" >>"$res"
				log "no $fanfilter: skipped"
				continue
			fi ;&
		*)
			[[ $run == fsnotifywait ]] && nofile_check "$res"
			run_tool "$run" "$res"
			rc=$?
			if ((rc == 0)); then
				echo "status=ok" >>"$res"
			elif ((rc == 2)); then
				echo "status=behind" >>"$res"
			else
				echo "status=failed" >>"$res"
				failures+=("$size/$run")
				kill -KILL "${pids[@]}" 2>/dev/null
				wait 2>/dev/null
			fi
			clean_subtree ;;
		esac
		sed 's/^/    /' "$res"
	done
	# What each tool printed (fatrace: the subtree's lines only).
	for t in "${TOOLS[@]}"; do
		[[ -f $logs/$t.out ]] || continue
		cp "$logs/$t.out" "$out/output-$size-$t.txt"
		cp "$logs/$t.err" "$out/stderr-$size-$t.txt"
	done
	cp "$logs/fatrace.unplaced" "$out/unplaced-$size-fatrace.txt" 2>/dev/null
	umount "$TREE"
	rm -rf "$logs"
done

dmesg >"$out/dmesg.log"
if ((${#failures[@]})); then
	log "failed: ${failures[*]}"
	echo "failed: ${failures[*]}" >"$out/status"
else
	log "all done"
	echo ok >"$out/status"
fi
