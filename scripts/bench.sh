#!/usr/bin/env bash
# siteup's performance benchmark (issue 8). Prints, each as the median of several runs:
#   - `siteup --version` wall time;
#   - the time from starting `siteup` in a project folder waiting on the nameserver checkpoint
#     to its first complete frame in a pseudo-terminal (tmux), process start-up included;
#   - the peak resident memory of the full-screen wizard sitting on that checkpoint for 60 s,
#     and its CPU time over those 60 s (polling active), as a share of one core;
#   - the peak resident memory of a whole `siteup sandbox --headless --auto` journey;
#   - the stripped release binary's size and the number of crates in the dependency tree;
#   - the journey figures, by running scripts/bench-journey.sh (issue 6).
# Memory and CPU are siteup's own (terraform, the emulator and the sandbox DNS not counted):
# siteup reports them itself when SITEUP_REPORT_RUSAGE / SITEUP_REPORT_FIRST_FRAME name a file
# (src/perf_report.rs); the idle CPU is read from /proc/PID/stat at t=5 s and t=65 s.
#
#   scripts/bench.sh                  # everything, about 30 minutes on 2 cores
#   BENCH_JOURNEY=0 scripts/bench.sh  # without the journey figures (about 15 minutes)
#
# Knobs (environment): RUNS_VERSION (default 21), RUNS_FRAME (11), RUNS_IDLE (3),
# RUNS_HEADLESS (3), IDLE_SECONDS (60), BENCH_JOURNEY (1), BENCH_OUT (a file to keep the table
# in), SITEUP_BIN (a release binary to measure instead of building one).
# Needs Linux (/proc), tmux, terraform, the provider mirror and the emulator's venv, as the tests
# do (see scripts/test.sh); perf, where it works, adds a precise idle CPU figure.
# Run it on a quiet machine: the load average is printed before and after.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

RUNS_VERSION="${RUNS_VERSION:-21}"
RUNS_FRAME="${RUNS_FRAME:-11}"
RUNS_IDLE="${RUNS_IDLE:-3}"
RUNS_HEADLESS="${RUNS_HEADLESS:-3}"
IDLE_SECONDS="${IDLE_SECONDS:-60}"
BENCH_JOURNEY="${BENCH_JOURNEY:-1}"
# Read the CPU counters this long after start, so start-up is not counted as idling.
IDLE_SETTLE=5

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/siteup/target}"
# No packet may leave loopback: the SDK must never fall through to instance metadata.
export AWS_EC2_METADATA_DISABLED=true
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
      AWS_ENDPOINT_URL AWS_REGION AWS_DEFAULT_REGION NO_COLOR TMUX TMUX_PANE \
      SITEUP_REPORT_RUSAGE SITEUP_REPORT_FIRST_FRAME || true

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

# --- prerequisites: fail naming what is missing, never skip -------------------------------------
[ -r /proc/self/stat ] || die "this benchmark needs Linux's /proc"
command -v tmux >/dev/null || die "tmux is not on PATH (install the Debian package tmux)"
command -v terraform >/dev/null || die "terraform is not on PATH (install terraform >= 1.10)"
venv="${SITEUP_VENV:-$HOME/.cache/siteup/venv}"
[ -x "$venv/bin/python" ] || die "the AWS emulator's venv is missing at $venv (create it with \`python3 -m venv $venv && $venv/bin/pip install -r assets/emulator/requirements.txt\`)"
[ "$(getconf CLK_TCK)" = 100 ] || die "this benchmark assumes /proc counts CPU time in 1/100 s"

work="$(mktemp -d "${TMPDIR:-/tmp}/siteup-bench.XXXXXX")"
sock="siteup-bench-$$"
export SITEUP_CACHE_DIR="$work/cache"
prepared=""
bin=""

cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  if [ -n "$prepared" ] && [ -n "$bin" ]; then
    "$bin" sandbox --stop --dir "$prepared" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }
# $EPOCHREALTIME in microseconds, without forking.
now_us() { local t="${EPOCHREALTIME/[.,]/}"; echo "$t"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
busy_procs() { ps -eo comm= | grep -cE '^(terraform|terraform-provi|python|python3)' || true; }

# --- the machine --------------------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
cores="$(nproc)"
mem_gb="$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
load_start="$(load)"
say "machine: $cpu, $cores cores, $mem_gb GiB RAM, kernel $(uname -r); load average $load_start"
if [ "$(busy_procs)" -gt 0 ]; then
  say "warning: terraform or python processes are running; the figures may be disturbed"
fi

# --- build --------------------------------------------------------------------------------------
if [ -n "${SITEUP_BIN:-}" ]; then
  bin="$SITEUP_BIN"
  say "using $bin as built (SITEUP_BIN); not building"
else
  say "building the release binary (cargo build --release)"
  cargo build --release --quiet
  bin="$CARGO_TARGET_DIR/release/siteup"
fi
[ -x "$bin" ] || die "the release build did not produce $bin"

size_bytes="$(stat -c %s "$bin")"
size_mb="$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
stripped="yes"
if command -v file >/dev/null && ! file -b "$bin" | grep -q ', stripped'; then stripped="NO"; fi
# Every package once (`(*)` marks a repeat), siteup itself not counted.
crates_normal="$(cargo tree --edges normal --prefix none 2>/dev/null | sed 's/ (\*)$//; s/ (proc-macro)//' | sort -u | grep -vc '^siteup ')"
crates_all="$(cargo tree --edges normal,build --prefix none 2>/dev/null | sed 's/ (\*)$//; s/ (proc-macro)//' | sort -u | grep -vc '^siteup ')"

# --- a project folder on the nameserver checkpoint ----------------------------------------------
prepared="$work/site"
mkdir -p "$prepared"
say "preparing a sandbox project on the nameserver checkpoint (siteup sandbox --headless)"
set +e
"$bin" sandbox --headless --dir "$prepared" >"$work/prepare.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || { tail -n 20 "$work/prepare.log" >&2; die "siteup sandbox --headless exited $rc, not 2 (waiting on the nameserver checkpoint)"; }

# The pane runs this launcher, which notes the start time (µs) and becomes siteup (exec), so the
# pane's process is siteup itself and the figure includes siteup's whole start-up.
cat >"$work/launch" <<'LAUNCH'
#!/usr/bin/env bash
t0_file="$1"; shift
echo "$EPOCHREALTIME" >"$t0_file"
exec "$@"
LAUNCH
chmod +x "$work/launch"
tmux -L "$sock" -f /dev/null start-server \; set -g exit-empty off

# Starts the wizard in the prepared folder in a fresh 100x30 tmux session and prints its PID;
# the start time goes to $1/t0. Further arguments are NAME=value variables for siteup.
start_wizard() {
  local dir="$1"; shift
  local envs=()
  for kv in "$@"; do envs+=(-e "$kv"); done
  tmux -L "$sock" kill-session -t w 2>/dev/null || true
  tmux -L "$sock" new-session -d -s w -x 100 -y 30 "${envs[@]}" \
    "$work/launch" "$dir/t0" "$bin" --dir "$prepared"
  tmux -L "$sock" display -p -t w '#{pane_pid}'
}

# Whether a PID is still running (a zombie, exited but not yet reaped by tmux, is not).
running() {
  local st
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$st" ] && [[ "$st" != *") Z "* ]]
}

# Sends SIGTERM (the wizard quits cleanly, everything saved) and waits until the process is gone.
stop_wizard() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    running "$pid" || break
    sleep 0.1
  done
  if running "$pid"; then die "the wizard (PID $pid) did not quit within 10 s of SIGTERM"; fi
  tmux -L "$sock" kill-session -t w 2>/dev/null || true
}

screen() { tmux -L "$sock" capture-pane -p -t w 2>/dev/null || true; }

# The checklist must be on screen with the nameserver checkpoint waiting, else the figure is void.
check_screen() {
  local shot="$1" what="$2"
  if ! grep -qi 'nameserver' "$shot"; then
    cat "$shot" >&2
    die "$what: the screen does not show the nameserver checkpoint (above)"
  fi
}

# The preparation's terraform runs load the machine: let the load average fall first (up to
# 3 minutes), since the timings below are sensitive to it.
settle() {
  for _ in $(seq 36); do
    awk '{ exit !($1 < 1.0) }' /proc/loadavg && break
    sleep 5
  done
  say "load average before the timings: $(load)"
}
settle
load_timings="$(load)"

# --- siteup --version ---------------------------------------------------------------------------
say "siteup --version, $RUNS_VERSION runs"
"$bin" --version >/dev/null  # warm the page cache
: >"$work/version.txt"
for _ in $(seq "$RUNS_VERSION"); do
  t0="$(now_us)"
  "$bin" --version >/dev/null
  t1="$(now_us)"
  echo "$(( (t1 - t0) ))" | awk '{ printf "%.2f\n", $1 / 1000 }' >>"$work/version.txt"
done
version_ms="$(median <"$work/version.txt")"

# --- first frame --------------------------------------------------------------------------------
say "first frame of the wizard, $RUNS_FRAME runs"
: >"$work/frame.txt"; : >"$work/settled.txt"
for i in $(seq "$RUNS_FRAME"); do
  d="$work/frame-$i"; mkdir -p "$d"
  pid="$(start_wizard "$d" "SITEUP_REPORT_FIRST_FRAME=$d/frame")"
  for _ in $(seq 200); do
    [ -s "$d/frame" ] && break
    sleep 0.05
  done
  [ -s "$d/frame" ] || { screen >&2; die "the wizard reported no first frame within 10 s"; }
  for _ in $(seq 300); do
    grep -q '^settled_frame_unix_us=' "$d/frame" && break
    sleep 0.1
  done
  grep -q '^settled_frame_unix_us=' "$d/frame" || { screen >&2; die "the wizard did not settle within 30 s"; }
  screen >"$d/screen.txt"
  stop_wizard "$pid"
  check_screen "$d/screen.txt" "first frame run $i"
  t0="$(tr -d '.,' <"$d/t0")"
  t1="$(sed -n 's/^first_frame_unix_us=//p' "$d/frame")"
  t2="$(sed -n 's/^settled_frame_unix_us=//p' "$d/frame")"
  [ -n "$t1" ] && [ -n "$t2" ] || die "the first-frame report $d/frame is malformed"
  echo "$(( t1 - t0 ))" | awk '{ printf "%.1f\n", $1 / 1000 }' >>"$work/frame.txt"
  echo "$(( t2 - t0 ))" | awk '{ printf "%.0f\n", $1 / 1000 }' >>"$work/settled.txt"
done
frame_ms="$(median <"$work/frame.txt")"
settled_ms="$(median <"$work/settled.txt")"
cp "$work/frame-1/screen.txt" "$work/checkpoint-screen.txt"

# --- the wizard idling on the checkpoint --------------------------------------------------------
# utime+stime (ticks of 10 ms, all threads) and context switches (all threads) of a PID.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }

say "the wizard on the nameserver checkpoint for $IDLE_SECONDS s, $RUNS_IDLE runs"
# perf's task-clock, where perf works, gives the idle CPU time to the microsecond.
have_perf=0
if command -v perf >/dev/null && perf stat -x, -e task-clock -o /dev/null -- true 2>/dev/null; then
  have_perf=1
fi
: >"$work/idle-perfms.txt"
: >"$work/idle-cpu.txt"; : >"$work/idle-cpums.txt"; : >"$work/idle-rss.txt"; : >"$work/idle-wakeups.txt"
for i in $(seq "$RUNS_IDLE"); do
  d="$work/idle-$i"; mkdir -p "$d"
  pid="$(start_wizard "$d" "SITEUP_REPORT_RUSAGE=$d/rusage")"
  sleep "$IDLE_SETTLE"
  running "$pid" || die "the wizard exited during its first $IDLE_SETTLE s"
  c0="$(cpu_ticks "$pid")"; w0="$(ctx_switches "$pid")"; t0="$(now_us)"
  screen >"$d/screen-start.txt"
  if [ "$have_perf" = 1 ]; then
    perf stat -x, -e task-clock -o "$d/perf" -p "$pid" -- sleep "$IDLE_SECONDS" 2>/dev/null \
      || sleep "$IDLE_SECONDS"
    awk -F, '/task-clock/ { printf "%.1f\n", $1 }' "$d/perf" 2>/dev/null >>"$work/idle-perfms.txt" || true
  else
    sleep "$IDLE_SECONDS"
  fi
  c1="$(cpu_ticks "$pid")"; w1="$(ctx_switches "$pid")"; t1="$(now_us)"
  screen >"$d/screen.txt"
  stop_wizard "$pid"
  check_screen "$d/screen.txt" "idle run $i"
  # Polling was active: the checkpoint's "Checked at" time moved on during the window.
  a="$(grep -o 'Checked at [^.]*UTC' "$d/screen-start.txt" | head -n 1 || true)"
  b="$(grep -o 'Checked at [^.]*UTC' "$d/screen.txt" | head -n 1 || true)"
  if [ -z "$b" ] || [ "$a" = "$b" ]; then
    cat "$d/screen.txt" >&2
    die "idle run $i: the nameserver checkpoint was not re-checked during the window (\"$a\" then \"$b\"), so polling was not active"
  fi
  echo "$(( (c1 - c0) * 10 ))" >>"$work/idle-cpums.txt"
  awk -v c="$(( c1 - c0 ))" -v t="$(( t1 - t0 ))" 'BEGIN { printf "%.3f\n", (c * 10) / (t / 1000) * 100 }' >>"$work/idle-cpu.txt"
  awk -v w="$(( w1 - w0 ))" -v t="$(( t1 - t0 ))" 'BEGIN { printf "%.2f\n", w / (t / 1e6) }' >>"$work/idle-wakeups.txt"
  rss="$(sed -n 's/^max_rss_kb=//p' "$d/rusage" 2>/dev/null || true)"
  [ -n "$rss" ] || die "the wizard wrote no resource report ($d/rusage)"
  awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$work/idle-rss.txt"
done
idle_cpu="$(median <"$work/idle-cpu.txt")"
idle_cpums="$(median <"$work/idle-cpums.txt")"
idle_perfms="$(median <"$work/idle-perfms.txt")"
idle_wakeups="$(median <"$work/idle-wakeups.txt")"
idle_rss="$(median <"$work/idle-rss.txt")"

# The sandbox DNS is a siteup process too (the sandbox's registrar, not part of a real journey):
# its peak memory, for the record.
dns_rss="n/a"
dns_pid="$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$prepared/.siteup/sandbox/dns-ready.json" 2>/dev/null | head -n 1)"
if [ -n "$dns_pid" ] && [ -r "/proc/$dns_pid/status" ]; then
  dns_rss="$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$dns_pid/status")"
fi
"$bin" sandbox --stop --dir "$prepared" >/dev/null 2>&1 || true
prepared=""

# --- a whole headless journey -------------------------------------------------------------------
say "siteup sandbox --headless --auto from an empty folder, $RUNS_HEADLESS runs (about 3 min each)"
: >"$work/headless-rss.txt"; : >"$work/headless-cpu.txt"; : >"$work/headless-wall.txt"
for i in $(seq "$RUNS_HEADLESS"); do
  d="$work/headless-$i"; mkdir -p "$d/site"
  prepared="$d/site"
  t0="$(now_us)"
  set +e
  SITEUP_REPORT_RUSAGE="$d/rusage" "$bin" sandbox --headless --auto --dir "$d/site" >"$d/log" 2>&1
  rc=$?
  set -e
  t1="$(now_us)"
  # Read the report before anything else can run in this folder.
  cp "$d/rusage" "$d/rusage.kept" 2>/dev/null || true
  "$bin" sandbox --stop --dir "$d/site" >/dev/null 2>&1 || true
  prepared=""
  [ "$rc" = 0 ] || { tail -n 20 "$d/log" >&2; die "siteup sandbox --headless --auto exited $rc, not 0 (done)"; }
  rss="$(sed -n 's/^max_rss_kb=//p' "$d/rusage.kept" 2>/dev/null || true)"
  [ -n "$rss" ] || die "the headless journey wrote no resource report ($d/rusage)"
  awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' >>"$work/headless-rss.txt"
  awk -F= '/^(utime|stime)_ms=/ { s += $2 } END { printf "%.2f\n", s / 1000 }' "$d/rusage.kept" >>"$work/headless-cpu.txt"
  echo "$(( t1 - t0 ))" | awk '{ printf "%.1f\n", $1 / 1e6 }' >>"$work/headless-wall.txt"
done
headless_rss="$(median <"$work/headless-rss.txt")"
headless_cpu="$(median <"$work/headless-cpu.txt")"
headless_wall="$(median <"$work/headless-wall.txt")"
load_end="$(load)"

# --- the report ---------------------------------------------------------------------------------
verdict() {
  awk -v v="$1" -v t="$2" 'BEGIN { if (v == "nan" || v == "") print "not measured"; else if (v + 0 < t + 0) print "met"; else print "MISSED" }'
}
# A row: figure, median with unit, range of the runs, target, verdict.
row() { printf '%-50s %11s  %-17s %-11s %s\n' "$@"; }
range() { if [ -s "$1" ]; then minmax <"$1"; else echo "-"; fi; }
pct() { awk -v ms="$1" -v s="$IDLE_SECONDS" 'BEGIN { if (ms == "nan") print "nan"; else printf "%.3f", ms / (s * 1000) * 100 }'; }
{
  echo
  echo "siteup performance, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?') plus the working tree, release build"
  echo "machine: $cpu, $cores cores, $mem_gb GiB RAM, Linux $(uname -r)"
  echo "load average (1/5/15 min): $load_start at start, $load_timings before the timings, $load_end at end"
  echo "runs: --version $RUNS_VERSION, first frame $RUNS_FRAME, idle wizard $RUNS_IDLE x ${IDLE_SECONDS} s, headless journey $RUNS_HEADLESS"
  echo
  row "figure (median of the runs)" "median" "range" "target" ""
  row "siteup --version, wall time" "$version_ms ms" "$(range "$work/version.txt")" "< 20 ms" "$(verdict "$version_ms" 20)"
  row "start to first frame (checklist resumed)" "$frame_ms ms" "$(range "$work/frame.txt")" "< 150 ms" "$(verdict "$frame_ms" 150)"
  row "  start to settled frame (nameservers shown)" "$settled_ms ms" "$(range "$work/settled.txt")" "" ""
  row "peak RSS, wizard on the checkpoint" "$idle_rss MB" "$(range "$work/idle-rss.txt")" "< 60 MB" "$(verdict "$idle_rss" 60)"
  row "CPU, wizard on the checkpoint (/proc)" "$idle_cpu %" "$(range "$work/idle-cpu.txt")" "< 1 %" "$(verdict "$idle_cpu" 1)"
  row "  CPU time in ${IDLE_SECONDS} s (/proc, 10 ms steps)" "$idle_cpums ms" "$(range "$work/idle-cpums.txt")" "" ""
  if [ -s "$work/idle-perfms.txt" ]; then
    row "  CPU time in ${IDLE_SECONDS} s (perf task-clock)" "$idle_perfms ms" "$(range "$work/idle-perfms.txt")" "" ""
    row "  CPU, same (perf task-clock)" "$(pct "$idle_perfms") %" "" "< 1 %" "$(verdict "$(pct "$idle_perfms")" 1)"
  fi
  row "  context switches, all threads" "$idle_wakeups /s" "$(range "$work/idle-wakeups.txt")" "" ""
  row "peak RSS, headless journey" "$headless_rss MB" "$(range "$work/headless-rss.txt")" "< 60 MB" "$(verdict "$headless_rss" 60)"
  row "  siteup's own CPU time, same" "$headless_cpu s" "$(range "$work/headless-cpu.txt")" "" ""
  row "  wall time, same" "$headless_wall s" "$(range "$work/headless-wall.txt")" "" ""
  row "release binary (stripped: $stripped)" "$size_mb MB" "$size_bytes B" "< 25 MB" "$(verdict "$size_mb" 25)"
  row "crates in the dependency tree (normal deps)" "$crates_normal" "" "" ""
  row "  with build dependencies" "$crates_all" "" "" ""
  row "(sandbox DNS daemon's peak RSS, for the record)" "$dns_rss MB" "" "" ""
  echo
} | tee "$work/summary.txt"
if [ -n "${BENCH_OUT:-}" ]; then cp "$work/summary.txt" "$BENCH_OUT"; fi

# --- the journey figures (issue 6) --------------------------------------------------------------
if [ "$BENCH_JOURNEY" = 1 ]; then
  if [ -x "$here/scripts/bench-journey.sh" ]; then
    say "the journey figures (scripts/bench-journey.sh, about 8 minutes)"
    "$here/scripts/bench-journey.sh"
  else
    echo "TODO: journey figures: scripts/bench-journey.sh does not exist yet (issue 6)"
  fi
else
  echo "journey figures skipped (BENCH_JOURNEY=0); run scripts/bench-journey.sh for them"
fi
