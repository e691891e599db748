package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is the server under test during a Run: where it is, which process to measure and,
// when Run started it, the child.
type target struct {
	url   *url.URL
	pid   int
	child *child
}

// child is a server process started by Run.
type child struct {
	cmd    *exec.Cmd
	tail   *tailBuffer
	urls   chan string   // the first loopback URL the child printed
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

// loopbackURL matches the URL a server prints when it is ready.
var loopbackURL = regexp.MustCompile(`https?://(?:127\.0\.0\.1|localhost|\[::1\]):\d+`)

// ansiEscape matches terminal colour codes, which some servers print around their URL.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// freePort asks the kernel for a free loopback port.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// startTarget starts the server (Command) or checks the one given (URL, PID), and waits until
// it answers the flavor's ReadyPath.
func startTarget(ctx context.Context, s Server, f Flavor, logf func(string, ...any)) (*target, error) {
	args, rawURL := append([]string(nil), s.Command...), s.URL
	if strings.Contains(rawURL, "{port}") || strings.Contains(strings.Join(args, "\x00"), "{port}") {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], "{port}", port)
		}
		rawURL = strings.ReplaceAll(rawURL, "{port}", port)
	}
	t := &target{pid: s.PID}
	if len(args) > 0 {
		c, err := startChild(args, s.Dir, s.Output)
		if err != nil {
			return nil, err
		}
		t.child, t.pid = c, c.cmd.Process.Pid
		logf("server: started %s (PID %d)", strings.Join(args, " "), t.pid)
		if rawURL == "" {
			select {
			case rawURL = <-c.urls:
			case <-c.exited:
				return t, fmt.Errorf("the server exited before printing its URL (%v)%s", c.err, c.tail.last())
			case <-time.After(s.ReadyTimeout):
				return t, fmt.Errorf("the server printed no http://127.0.0.1:PORT URL within %v; give the URL%s", s.ReadyTimeout, c.tail.last())
			case <-ctx.Done():
				return t, ctx.Err()
			}
		}
	}
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return t, fmt.Errorf("server URL %q: want http://host:port", rawURL)
	}
	u.Path, u.RawQuery = "", ""
	t.url = u
	if err := t.waitReady(ctx, f.ReadyPath, s.ReadyTimeout); err != nil {
		return t, err
	}
	logf("server: ready at %s", u)
	return t, nil
}

// waitReady polls the ready path until it answers 2xx.
func (t *target) waitReady(ctx context.Context, path string, timeout time.Duration) error {
	ready, err := t.url.Parse(path)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := client.Get(ready.String())
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		if t.child != nil {
			select {
			case <-t.child.exited:
				return fmt.Errorf("the server exited (%v)%s", t.child.err, t.child.tail.last())
			default:
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	msg := fmt.Sprintf("the server did not answer GET %s with 2xx within %v (last: %v)", ready, timeout, last)
	if t.child != nil {
		msg += t.child.tail.last()
	}
	return errors.New(msg)
}

// alive reports an error when the child has exited.
func (t *target) alive() error {
	if t.child == nil {
		return nil
	}
	select {
	case <-t.child.exited:
		return fmt.Errorf("the server exited during the run (%v)%s", t.child.err, t.child.tail.last())
	default:
		return nil
	}
}

// stop ends the child (SIGTERM to its process group, SIGKILL after 3 s).
func (t *target) stop() {
	if t == nil || t.child == nil {
		return
	}
	t.child.stop()
}

// startChild starts argv in its own process group, its output drained into a tail buffer
// (and Output), watching it for the first loopback URL.
func startChild(argv []string, dir string, output io.Writer) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = childAttr()
	c := &child{cmd: cmd, tail: &tailBuffer{max: 64 << 10}, urls: make(chan string, 1), exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	var found atomic.Bool
	var wg sync.WaitGroup
	drain := func(r io.Reader) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Bytes()
			c.tail.write(line, output)
			if !found.Load() {
				if m := loopbackURL.Find(ansiEscape.ReplaceAll(line, nil)); m != nil && found.CompareAndSwap(false, true) {
					c.urls <- string(m)
				}
			}
		}
		io.Copy(io.Discard, r) // a line too long for the scanner: keep the pipe flowing
	}
	wg.Add(2)
	go drain(stdout)
	go drain(stderr)
	go func() {
		wg.Wait()
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	terminateGroup(c.cmd.Process)
	select {
	case <-c.exited:
		return
	case <-time.After(3 * time.Second):
	}
	killGroup(c.cmd.Process)
	select {
	case <-c.exited:
	case <-time.After(3 * time.Second):
	}
}

// tailBuffer keeps the last max bytes of a child's output.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) write(line []byte, tee io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tee != nil {
		tee.Write(line)
		tee.Write([]byte{'\n'})
	}
	t.b = append(t.b, line...)
	t.b = append(t.b, '\n')
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max/2:]...)
	}
}

// last is the last lines of output, for an error message ("" when none).
func (t *tailBuffer) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(t.b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	s := strings.TrimSpace(strings.Join(lines, "\n"))
	if s == "" {
		return ""
	}
	return "; its last output:\n" + s
}
