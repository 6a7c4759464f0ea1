package agents

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grindbench/grindbench/envs"
)

// The external mechanism: the agent is a child process speaking JSON lines
// over its standard input and output (docs/protocol.md). The harness
// drives, one message a line, and every message gets exactly one answer
// within the timeout: hello -> ready, act -> action, verdict, session_end,
// overnight, day_end, bye -> ok. The child may answer {"type": "error",
// "message": ...} to any message, failing the run with its message.

// ProtocolVersion is the version of the external agent protocol.
const ProtocolVersion = 1

// ExternalName is the external mechanism's registered name.
const ExternalName = "external"

func init() {
	RegisterMechanism(MechanismFactory{
		Name: ExternalName,
		Doc:  "an agent in any language: a child process speaking JSON lines (docs/protocol.md); it acts, is evaluated and learns from verdicts itself",
		// It acts for the agent, so no mechanism acting on the Go model
		// may be listed beside it: it would change nothing the agent does.
		Verdicts:  true,
		Excludes:  []string{"frozen", "frozen-tuned", "rlvr", "sft-demo"},
		NewConfig: func() any { c := DefaultExternal(); return &c },
		New: func(cfg any) (Mechanism, error) {
			c, ok := cfg.(*ExternalConfig)
			if !ok {
				return nil, fmt.Errorf("external: config has type %T, want *ExternalConfig", cfg)
			}
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &External{cfg: *c}, nil
		},
	})
}

// ExternalConfig holds the external mechanism's knobs.
type ExternalConfig struct {
	Command []string `toml:"command" doc:"the agent program and its arguments, started without a shell (a relative program path is relative to dir)"`
	Dir     string   `toml:"dir" doc:"the child's working directory (empty: the current one)"`
	Env     []string `toml:"env" doc:"the child's whole environment, NAME=value each (nothing else is passed on)"`
	Timeout float64  `toml:"timeout" range:"0.001,86400" doc:"seconds the child may take to answer one message; past it the run fails"`
	Text    bool     `toml:"text" doc:"send each observation's text rendering beside its channels, and the action names in hello"`
	Options []string `toml:"options" doc:"key=value settings for the agent, passed in hello's config"`
}

// DefaultExternal returns the external mechanism's defaults: no command
// (a config must name one).
func DefaultExternal() ExternalConfig { return ExternalConfig{Timeout: 30} }

// Validate implements the knob rules.
func (c *ExternalConfig) Validate() error {
	if len(c.Command) == 0 || c.Command[0] == "" {
		return &KnobError{Knob: "command", Msg: `empty: name the agent program and its arguments, e.g. command = ["python3", "clients/python/random_agent.py"]`}
	}
	for _, e := range c.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return &KnobError{Knob: "env", Msg: fmt.Sprintf("%q is not NAME=value", e)}
		}
	}
	for _, o := range c.Options {
		if k, _, ok := strings.Cut(o, "="); !ok || k == "" {
			return &KnobError{Knob: "options", Msg: fmt.Sprintf("%q is not key=value", o)}
		}
	}
	if c.Timeout <= 0 || math.IsNaN(c.Timeout) {
		return &KnobError{Knob: "timeout", Msg: fmt.Sprintf("%v: must be positive", c.Timeout)}
	}
	return nil
}

// CommandLine is the command as it would run, each argument quoted where
// it needs it: what grind validate shows and the allow file lists.
func (c *ExternalConfig) CommandLine() string {
	parts := make([]string, len(c.Command))
	for i, p := range c.Command {
		if p == "" || strings.ContainsAny(p, " \t\n\"'\\$`;&|<>*?()[]{}") {
			p = strconv.Quote(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, " ")
}

// OptionMap is the options as a map.
func (c *ExternalConfig) OptionMap() map[string]string {
	m := map[string]string{}
	for _, o := range c.Options {
		k, v, _ := strings.Cut(o, "=")
		m[k] = v
	}
	return m
}

// External is the external mechanism: one child process per run.
type External struct {
	cfg  ExternalConfig
	info RunInfo
	spec envs.Spec
	text envs.Texter // nil unless cfg.Text

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	w       *bufio.Writer
	lines   chan lineOrErr
	stderr  *tailWriter
	logFile *os.File
	exited  chan struct{} // closed when Wait has returned
	waitErr error

	err      error // sticky: once the bridge fails, every call returns it
	started  bool
	closed   bool
	drained  bool
	attempts int // job attempts begun so far
	base     int // job attempts begun before this session

	buf   []byte
	reply reply
}

type lineOrErr struct {
	line []byte
	err  error
}

type reply struct {
	Type    string    `json:"type"`
	Action  *int      `json:"action"`
	Text    *string   `json:"text"`
	Probs   []float64 `json:"probs"`
	Message string    `json:"message"`
	Version int       `json:"version"`
}

// Name implements Mechanism.
func (*External) Name() string { return ExternalName }

// Config is the mechanism's knobs.
func (x *External) Config() ExternalConfig { return x.cfg }

// Bind implements Binder: the run's identity, before anything starts.
func (x *External) Bind(a *Agent, info RunInfo) error {
	x.info = info
	x.spec = a.Weights.Spec()
	if x.cfg.Text {
		t, ok := info.Family.(envs.Texter)
		if !ok {
			return fmt.Errorf("external: text = true, but family %s has no text rendering", info.Family.Name())
		}
		x.text = t
	}
	return nil
}

// Err implements the agent's error check: the bridge's sticky error.
func (x *External) Err() error { return x.err }

// fail records the first error, kills the child and returns the error.
func (x *External) fail(err error) error {
	if x.err == nil {
		x.err = err
	}
	x.kill()
	return x.err
}

func (x *External) kill() {
	if x.cmd != nil && x.cmd.Process != nil {
		select {
		case <-x.exited:
		default:
			x.cmd.Process.Kill()
			<-x.exited
		}
	}
	if x.lines != nil && !x.drained {
		// Nobody reads the child's output any more: let the reader end.
		x.drained = true
		go func(lines <-chan lineOrErr) {
			for range lines {
			}
		}(x.lines)
	}
}

// start starts the child and says hello.
func (x *External) start() error {
	x.started = true
	if x.info.Family == nil {
		return x.fail(errors.New("external: the run did not bind the mechanism (no family): a harness bug"))
	}
	cmd := exec.Command(x.cfg.Command[0], x.cfg.Command[1:]...) // no shell
	cmd.Dir = x.cfg.Dir
	cmd.Env = append([]string{}, x.cfg.Env...) // exactly the configured environment
	cmd.WaitDelay = time.Second
	x.stderr = &tailWriter{max: 4096}
	var errw io.Writer = x.stderr
	if x.info.LogDir != "" {
		if err := os.MkdirAll(x.info.LogDir, 0o755); err != nil {
			return x.fail(fmt.Errorf("external: stderr log: %w", err))
		}
		f, err := os.Create(filepath.Join(x.info.LogDir, x.info.Run+".stderr"))
		if err != nil {
			return x.fail(fmt.Errorf("external: stderr log: %w", err))
		}
		x.logFile = f
		errw = io.MultiWriter(f, x.stderr)
	}
	cmd.Stderr = errw
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return x.fail(fmt.Errorf("external: %w", err))
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return x.fail(fmt.Errorf("external: %w", err))
	}
	if err := cmd.Start(); err != nil {
		return x.fail(fmt.Errorf("external: starting %s: %w", x.cfg.CommandLine(), err))
	}
	x.cmd, x.stdin, x.w = cmd, stdin, bufio.NewWriterSize(stdin, 1<<16)
	x.exited = make(chan struct{})
	x.lines = make(chan lineOrErr, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
		for sc.Scan() {
			x.lines <- lineOrErr{line: append([]byte(nil), sc.Bytes()...)}
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		x.lines <- lineOrErr{err: err}
		close(x.lines)
	}()
	go func() {
		x.waitErr = cmd.Wait()
		close(x.exited)
	}()
	hello := map[string]any{
		"type": "hello", "version": ProtocolVersion,
		"run": x.info.Run, "agent": x.info.Agent, "seed": x.info.Seed,
		"family": x.info.Family.Name(), "spec": specJSON(x.spec),
		"config": x.cfg.OptionMap(), "text": x.cfg.Text,
	}
	if x.text != nil {
		hello["action_names"] = x.text.ActionNames()
	}
	b, err := json.Marshal(hello)
	if err != nil {
		return x.fail(fmt.Errorf("external: hello: %w", err))
	}
	if err := x.exchange("hello", b, "ready"); err != nil {
		return err
	}
	if x.reply.Version != ProtocolVersion {
		return x.fail(fmt.Errorf("external: the agent speaks protocol version %d, the harness %d", x.reply.Version, ProtocolVersion))
	}
	return nil
}

func specJSON(s envs.Spec) map[string]any {
	ch := make([]map[string]any, len(s.Channels))
	for i, c := range s.Channels {
		ch[i] = map[string]any{"name": c.Name, "kind": c.Kind.String(), "size": c.Size, "doc": c.Doc}
	}
	return map[string]any{"actions": s.Actions, "max_len": s.MaxLen, "channels": ch}
}

// exchange sends one message and reads its answer into x.reply, which
// must be of type want.
func (x *External) exchange(what string, msg []byte, want string) error {
	if x.err != nil {
		return x.err
	}
	if !x.started {
		if err := x.start(); err != nil {
			return err
		}
		if x.err != nil {
			return x.err
		}
	}
	x.w.Write(msg)
	x.w.WriteByte('\n')
	if err := x.w.Flush(); err != nil {
		return x.fail(x.died(what, fmt.Errorf("writing %s: %w", what, err)))
	}
	ctx := x.info.Context
	if ctx == nil {
		ctx = context.Background()
	}
	timer := time.NewTimer(time.Duration(x.cfg.Timeout * float64(time.Second)))
	defer timer.Stop()
	select {
	case l, ok := <-x.lines:
		if !ok || l.err != nil {
			err := io.EOF
			if ok && l.err != io.EOF {
				err = l.err
			}
			return x.fail(x.died(what, err))
		}
		x.reply = reply{}
		if err := json.Unmarshal(l.line, &x.reply); err != nil {
			return x.fail(fmt.Errorf("external: the agent's answer to %s is not a JSON object: %s: %w", what, clip(l.line), err))
		}
		if x.reply.Type == "error" {
			return x.fail(fmt.Errorf("external: the agent reported an error in answer to %s: %s", what, x.reply.Message))
		}
		if x.reply.Type != want {
			return x.fail(fmt.Errorf("external: the agent answered %s with type %q, want %q: %s", what, x.reply.Type, want, clip(l.line)))
		}
		return nil
	case <-timer.C:
		return x.fail(fmt.Errorf("external: the agent did not answer %s within the timeout of %gs%s", what, x.cfg.Timeout, x.stderrTail()))
	case <-ctx.Done():
		return x.fail(fmt.Errorf("external: %w", ctx.Err()))
	}
}

// died explains a child whose output ended.
func (x *External) died(what string, cause error) error {
	select {
	case <-x.exited:
	case <-time.After(2 * time.Second):
		x.cmd.Process.Kill()
		<-x.exited
	}
	status := "exited"
	if x.waitErr != nil {
		status = "exited: " + x.waitErr.Error()
	} else if x.cmd.ProcessState != nil {
		status = "exited with status 0"
	}
	return fmt.Errorf("external: the agent %s before answering %s (%w)%s", status, what, cause, x.stderrTail())
}

func (x *External) stderrTail() string {
	if x.stderr == nil {
		return ""
	}
	t := strings.TrimSpace(x.stderr.String())
	if t == "" {
		return ""
	}
	return "; its stderr ends: " + t
}

func clip(b []byte) string {
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}

// Act implements Actor: one act message, one action.
func (x *External) Act(a *Agent, o *envs.Obs, eval, greedy bool, key uint64) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	b := append(x.buf[:0], `{"type":"act","eval":`...)
	b = strconv.AppendBool(b, eval)
	b = append(b, `,"greedy":`...)
	b = strconv.AppendBool(b, greedy)
	b = append(b, `,"seed":`...)
	b = strconv.AppendUint(b, key, 10)
	if !eval {
		if o.Step == 0 {
			x.attempts++
		}
		b = append(b, `,"attempt":`...)
		b = strconv.AppendInt(b, int64(x.attempts-1), 10)
	}
	b = append(b, `,"step":`...)
	b = strconv.AppendInt(b, int64(o.Step), 10)
	b = append(b, `,"observation":{"channels":{`...)
	for i, c := range x.spec.Channels {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, c.Name)
		b = append(b, ':')
		if c.Kind == envs.Index {
			b = strconv.AppendInt(b, int64(o.Index[i]), 10)
			continue
		}
		b = append(b, '[')
		for k, v := range o.Dense[i] {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	if x.text != nil {
		b = append(b, `,"text":`...)
		tb, _ := json.Marshal(x.text.Render(o))
		b = append(b, tb...)
	}
	b = append(b, "}}"...)
	x.buf = b
	if err := x.exchange("act", b, "action"); err != nil {
		return 0, err
	}
	r := &x.reply
	var act int
	switch {
	case r.Action != nil:
		act = *r.Action
		if act < 0 || act >= x.spec.Actions {
			return 0, x.fail(fmt.Errorf("external: the agent answered action %d; the family has %d actions, 0 to %d", act, x.spec.Actions, x.spec.Actions-1))
		}
	case r.Text != nil && x.text != nil:
		v, err := x.text.ParseAction(*r.Text)
		if err != nil {
			return 0, x.fail(fmt.Errorf("external: the agent's text answer: %w", err))
		}
		act = v
	default:
		return 0, x.fail(errors.New(`external: the agent's answer to act has no "action" (nor a "text" answer with text = true)`))
	}
	if r.Probs != nil {
		if err := checkProbs(r.Probs, x.spec.Actions); err != nil {
			return 0, x.fail(fmt.Errorf("external: the agent's probs: %w", err))
		}
	}
	return act, nil
}

func checkProbs(p []float64, n int) error {
	if len(p) != n {
		return fmt.Errorf("%d values for %d actions", len(p), n)
	}
	sum := 0.0
	for _, v := range p {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%v is not a probability", v)
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("they sum to %v, not 1", sum)
	}
	return nil
}

// Learn implements Learner: one verdict message per judged attempt.
func (x *External) Learn(a *Agent, fb *Feedback) {
	for i, id := range fb.Attempts {
		b := append(x.buf[:0], `{"type":"verdict","attempt":`...)
		b = strconv.AppendInt(b, int64(x.base+id), 10)
		b = append(b, `,"task":`...)
		b = strconv.AppendInt(b, int64(fb.Task.Index), 10)
		b = append(b, `,"verdict":"`...)
		b = append(b, fb.Verdicts[i].String()...)
		b = append(b, `","sent":`...)
		b = strconv.AppendFloat(b, fb.Sent, 'g', -1, 64)
		b = append(b, `,"arrived":`...)
		b = strconv.AppendFloat(b, fb.Arrived, 'g', -1, 64)
		b = append(b, '}')
		x.buf = b
		if x.exchange("verdict", b, "ok") != nil {
			return // sticky: the job reads it from Err
		}
	}
}

func (x *External) phaseMsg(typ string) error {
	if err := x.exchange(typ, []byte(`{"type":"`+typ+`"}`), "ok"); err != nil {
		return err
	}
	return nil
}

// EndSession implements SessionEnder.
func (x *External) EndSession(a *Agent, h Harness) error {
	err := x.phaseMsg("session_end")
	x.base = x.attempts
	return err
}

// Overnight implements OvernightRunner.
func (x *External) Overnight(a *Agent, h Harness) error { return x.phaseMsg("overnight") }

// EndDay implements DayEnder.
func (x *External) EndDay(a *Agent, h Harness) error { return x.phaseMsg("day_end") }

// Close implements Closer: bye, then the child must exit; a child that
// failed or does not exit is killed.
func (x *External) Close() error {
	if x.closed || !x.started || x.cmd == nil {
		x.closed = true
		return nil
	}
	x.closed = true
	defer func() {
		if x.logFile != nil {
			x.logFile.Close()
		}
	}()
	if x.err != nil {
		x.kill()
		return nil
	}
	if err := x.phaseMsg("bye"); err != nil {
		return err
	}
	x.stdin.Close()
	select {
	case <-x.exited:
	case <-time.After(time.Duration(x.cfg.Timeout * float64(time.Second))):
		return x.fail(fmt.Errorf("external: the agent did not exit within %gs of bye", x.cfg.Timeout))
	}
	return nil
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
