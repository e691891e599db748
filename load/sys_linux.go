package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100 on every Linux
// architecture Go supports).
const userHZ = 100

// rusageThread is RUSAGE_THREAD (Linux): getrusage of the calling thread only.
const rusageThread = 1

// processCPU is the CPU time (user + system, every thread, finished threads included) of
// pid and of its live descendants, from /proc.
func processCPU(pid int) (time.Duration, error) {
	self, _, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	total := self
	for _, child := range descendants(pid) {
		if t, _, err := readStat(child); err == nil {
			total += t
		}
	}
	return total, nil
}

// readStat reads utime+stime and the parent PID of a process from /proc/PID/stat.
func readStat(pid int) (cpu time.Duration, ppid int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses; fields count from
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ppid, _ = strconv.Atoi(string(f[1]))
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(ut+st) * time.Second / userHZ, ppid, nil
}

// descendants lists the live descendants of pid.
func descendants(pid int) []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	children := map[int][]int{}
	for _, n := range names {
		p, err := strconv.Atoi(n)
		if err != nil || p == pid {
			continue
		}
		if _, pp, err := readStat(p); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// childAttr puts a child in its own process group (so that stopping it stops what it
// started) and has the kernel kill it if bench dies first.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// terminateGroup sends SIGTERM to p's process group.
func terminateGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }

// killGroup sends SIGKILL to p's process group.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }

// machineBusy is the CPU time all CPUs of the machine have spent not idle since boot, from
// the first line of /proc/stat (user nice system idle iowait irq softirq steal ...).
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 8 || string(f[0]) != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected format")
	}
	var busy int64
	for i, v := range f[1:8] { // user nice system idle iowait irq softirq
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i != 3 && i != 4 { // not idle, not iowait
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / userHZ, nil
}

// loadAverage is the 1-minute load average from /proc/loadavg, -1 when unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil {
		return -1
	}
	return v
}

// threadCPU is the calling OS thread's CPU time (user + system): getrusage(RUSAGE_THREAD).
// The caller must be locked to its thread.
func threadCPU() (time.Duration, error) {
	return rusage(rusageThread)
}

// selfCPU is this process's CPU time: getrusage(RUSAGE_SELF).
func selfCPU() (time.Duration, error) {
	return rusage(syscall.RUSAGE_SELF)
}

func rusage(who int) (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
