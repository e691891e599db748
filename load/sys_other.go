//go:build !linux

package load

import (
	"errors"
	"os"
	"syscall"
	"time"
)

func errNoCPU() error { return errors.New("CPU accounting needs Linux (/proc and RUSAGE_THREAD)") }

func processCPU(pid int) (time.Duration, error) { return 0, errNoCPU() }
func threadCPU() (time.Duration, error)         { return 0, errNoCPU() }
func selfCPU() (time.Duration, error)           { return 0, errNoCPU() }

func childAttr() *syscall.SysProcAttr { return nil }
func terminateGroup(p *os.Process)    { _ = p.Signal(os.Interrupt) }
func killGroup(p *os.Process)         { _ = p.Kill() }

func loadAverage() float64 { return -1 }

func machineBusy() (time.Duration, error) { return 0, errNoCPU() }
