// Package deploy holds the cluster examples (Slurm scripts, Kubernetes
// manifests); it has no Go code. These tests check that the manifests parse
// and agree with each other, that the scripts are valid shell, and, outside
// -short, run both examples locally against the real grind binary (a fake
// sbatch; the manifests' commands with their $(VAR)s expanded) and compare
// the merged folder with an unsharded run.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The parts of the Kubernetes objects the tests look at.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		// Job
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Parallelism    *int   `yaml:"parallelism"`
		Template       struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
	} `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy string      `yaml:"restartPolicy"`
	Containers    []container `yaml:"containers"`
	Volumes       []struct {
		Name string `yaml:"name"`
		PVC  *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// readObjects parses every YAML document of a manifest file.
func readObjects(t *testing.T, path string) []object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, o)
	}
	return out
}

func readOne(t *testing.T, path, kind string) object {
	t.Helper()
	objs := readObjects(t, path)
	if len(objs) != 1 || objs[0].Kind != kind {
		t.Fatalf("%s: want one %s, got %d objects", path, kind, len(objs))
	}
	return objs[0]
}

// env returns a container's literal environment, with the Indexed Job's
// completion index left as a reference.
func (c container) env() map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}

func (c container) mountOf(volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

func claimVolume(p podSpec) (volume, claim string) {
	for _, v := range p.Volumes {
		if v.PVC != nil {
			return v.Name, v.PVC.ClaimName
		}
	}
	return "", ""
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces $(VAR) as Kubernetes does in command and args; an unknown
// reference is an error here (Kubernetes would leave it as is).
func expand(s string, env map[string]string) (string, error) {
	var bad []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := varRef.FindStringSubmatch(ref)[1]
		v, ok := env[name]
		if !ok {
			bad = append(bad, name)
		}
		return v
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("%q refers to undefined %v", s, bad)
	}
	return out, nil
}

func TestKubernetesManifests(t *testing.T) {
	pvc := readOne(t, "k8s/results-pvc.yaml", "PersistentVolumeClaim")
	sweep := readOne(t, "k8s/grind-sweep.yaml", "Job")
	merge := readOne(t, "k8s/grind-merge.yaml", "Job")

	if len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != "ReadWriteMany" {
		t.Errorf("results claim access modes %v: shard pods on different nodes need ReadWriteMany", pvc.Spec.AccessModes)
	}
	s := sweep.Spec
	if s.CompletionMode != "Indexed" {
		t.Errorf("sweep completionMode %q, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Parallelism < 1 || *s.Parallelism > *s.Completions {
		t.Fatalf("sweep needs completions and 1 <= parallelism <= completions")
	}
	for name, job := range map[string]object{"sweep": sweep, "merge": merge} {
		p := job.Spec.Template.Spec
		if p.RestartPolicy != "Never" {
			t.Errorf("%s restartPolicy %q: want Never (the Job controller retries)", name, p.RestartPolicy)
		}
		if len(p.Containers) != 1 {
			t.Fatalf("%s: want one container", name)
		}
		vol, claim := claimVolume(p)
		if claim != pvc.Metadata.Name {
			t.Errorf("%s mounts claim %q, want %q", name, claim, pvc.Metadata.Name)
		}
		if got := p.Containers[0].mountOf(vol); got != "/results" {
			t.Errorf("%s mounts the results claim at %q, want /results", name, got)
		}
	}
	c := sweep.Spec.Template.Spec.Containers[0]
	env := c.env()
	if env["SHARDS"] != fmt.Sprint(*s.Completions) {
		t.Errorf("sweep SHARDS = %q but completions = %d: they must agree", env["SHARDS"], *s.Completions)
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--shard $(JOB_COMPLETION_INDEX)/$(SHARDS)", "--out /results/shard-$(JOB_COMPLETION_INDEX)"} {
		if !strings.Contains(args, want) {
			t.Errorf("sweep args %q lack %q", args, want)
		}
	}
	env["JOB_COMPLETION_INDEX"] = "0"
	for _, a := range c.Args {
		if _, err := expand(a, env); err != nil {
			t.Errorf("sweep args: %v", err)
		}
	}
	if mc := merge.Spec.Template.Spec.Containers[0]; mc.Image != c.Image {
		t.Errorf("merge image %q differs from the sweep's %q: merge refuses other code versions", mc.Image, c.Image)
	}
}

func scripts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"slurm/*.sh", "slurm/*.sbatch", "k8s/*.sh"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) != 4 {
		t.Fatalf("found scripts %v, want 4", out)
	}
	return out
}

func TestScriptsAreValidShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, s := range scripts(t) {
		if out, err := exec.Command(bash, "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
		if fi, err := os.Stat(s); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
	}
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Log("shellcheck not installed (Debian: apt-get install shellcheck); skipped")
		return
	}
	if out, err := exec.Command(sc, append([]string{"-x"}, scripts(t)...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// tinyConfig runs in well under a second: 4 seeds x 2 agents = 8 runs, so
// that each of the Kubernetes example's 8 shards has one.
const tinyConfig = `experiment = "tiny"
seeds = 4
[job]
days = 1
tasks = 8
[eval]
tasks = 8
splits = ["train", "inspan"]
[pretrain]
tasks = 100
[env]
family = "skills"
[env.grind]
group_size = 2
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`

var (
	grindOnce sync.Once
	grindBin  string
	grindErr  error
)

// grind builds the grind binary once per test binary.
func grind(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs grind; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	grindOnce.Do(func() {
		dir, err := os.MkdirTemp("", "grind-deploy-test-")
		if err != nil {
			grindErr = err
			return
		}
		grindBin = filepath.Join(dir, "grind")
		out, err := exec.Command(goBin, "build", "-o", grindBin, "../cmd/grind").CombinedOutput()
		if err != nil {
			grindErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if grindErr != nil {
		t.Fatal(grindErr)
	}
	return grindBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if grindBin != "" {
		os.RemoveAll(filepath.Dir(grindBin))
	}
	os.Exit(code)
}

// cleanEnv is the test's environment without anything a cluster would set.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SLURM_") || strings.HasPrefix(k, "SBATCH_") || k == "JOB_COMPLETION_INDEX" ||
			k == "CONFIG" || k == "OUT" || k == "SHARDS" || k == "GRIND" || k == "MERGED" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// unsharded runs the tiny config in one process: the reference.
func unsharded(t *testing.T, grind, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "single")
	run(t, cleanEnv(), grind, "run", config, "--quiet", "--out", dir)
	return dir
}

// sameResults checks that merged holds the reference's record files byte for
// byte, its summary.csv, and a report page.
func sameResults(t *testing.T, ref, merged string) {
	t.Helper()
	want, _ := filepath.Glob(filepath.Join(ref, "runs", "*.jsonl.gz"))
	got, _ := filepath.Glob(filepath.Join(merged, "runs", "*.jsonl.gz"))
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("merged folder has %d record files, the unsharded run %d", len(got), len(want))
	}
	for _, w := range want {
		a, _ := os.ReadFile(w)
		b, err := os.ReadFile(filepath.Join(merged, "runs", filepath.Base(w)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from the unsharded run's (err %v)", filepath.Base(w), err)
		}
	}
	a, _ := os.ReadFile(filepath.Join(ref, "summary.csv"))
	b, err := os.ReadFile(filepath.Join(merged, "summary.csv"))
	if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged summary.csv differs from the unsharded run's (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(merged, "report.html")); err != nil {
		t.Errorf("no report page: %v", err)
	}
}

// fakeSbatch runs a job in the foreground at once, as Slurm would run it
// later: every task of an --array=LO-HI[%P] with SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT set. It prints the job ID (--parsable) and appends
// each task's output to $FAKE_SLURM_LOG, and logs its own arguments.
const fakeSbatch = `#!/bin/bash
set -euo pipefail
echo "sbatch $*" >>"$FAKE_SLURM_LOG"
array=""
while [[ $# -gt 0 && $1 == --* ]]; do
	case $1 in --array=*) array=${1#--array=} ;; esac
	shift
done
script=$1
shift
if [[ -n $array ]]; then
	range=${array%%%*}
	lo=${range%-*} hi=${range#*-}
	for ((i = lo; i <= hi; i++)); do
		SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$((hi - lo + 1)) SLURM_CPUS_PER_TASK=1 \
			bash "$script" "$@" >>"$FAKE_SLURM_LOG" 2>&1
	done
else
	bash "$script" "$@" >>"$FAKE_SLURM_LOG" 2>&1
fi
echo "$RANDOM"
`

func TestSlurmExampleRunsLocally(t *testing.T) {
	grind := grind(t)
	tmp := t.TempDir()
	config := filepath.Join(tmp, "tiny.toml")
	if err := os.WriteFile(config, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(fakeSbatch), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(tmp, "slurm.log")
	out := filepath.Join(tmp, "sweep")
	env := cleanEnv("PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_SLURM_LOG="+log)
	msg := run(t, env, "bash", "slurm/submit.sh", "-o", out, "-n", "4", "-c", config, "-g", grind, "-p", "2", "--", "--set", "job.tasks=8")
	logged, _ := os.ReadFile(log)
	t.Logf("submit.sh said:\n%s\nsbatch log:\n%s", msg, logged)
	for _, want := range []string{"sbatch --parsable --array=0-3%2 ", "sbatch --parsable --dependency=afterok:"} {
		if !strings.Contains(string(logged), want) {
			t.Errorf("sbatch was not called with %q", want)
		}
	}
	for i := 0; i < 4; i++ {
		if _, err := os.Stat(filepath.Join(out, fmt.Sprintf("shard-%d", i), "manifest.json")); err != nil {
			t.Errorf("shard %d: %v", i, err)
		}
	}
	sameResults(t, unsharded(t, grind, config), filepath.Join(out, "merged"))

	// Resubmitting one index alone (as after a failure) must keep the shard
	// count from SHARDS, not from the one-task array, and skip the runs the
	// shard already finished: their files stay untouched.
	files, _ := filepath.Glob(filepath.Join(out, "shard-2", "runs", "*.jsonl.gz"))
	if len(files) == 0 {
		t.Fatal("shard 2 wrote no runs")
	}
	stamp := map[string]time.Time{}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		stamp[f] = fi.ModTime()
	}
	run(t, append(env, "CONFIG="+config, "OUT="+out, "SHARDS=4", "GRIND="+grind),
		filepath.Join(bin, "sbatch"), "--array=2-2", "slurm/grind-array.sbatch", "--set", "job.tasks=8")
	for f, mt := range stamp {
		if fi, err := os.Stat(f); err != nil || !fi.ModTime().Equal(mt) {
			t.Errorf("resubmitting shard 2 rewrote %s: finished runs must be skipped", filepath.Base(f))
		}
	}
	again, _ := filepath.Glob(filepath.Join(out, "shard-2", "runs", "*.jsonl.gz"))
	if len(again) != len(files) {
		t.Errorf("resubmitting shard 2 changed its runs from %d to %d files", len(files), len(again))
	}
}

func TestKubernetesExampleRunsLocally(t *testing.T) {
	grind := grind(t)
	tmp := t.TempDir()
	config := filepath.Join(tmp, "tiny.toml")
	if err := os.WriteFile(config, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(tmp, "results") // stands in for the claim's /results
	sweep := readOne(t, "k8s/grind-sweep.yaml", "Job")
	c := sweep.Spec.Template.Spec.Containers[0]
	n := *sweep.Spec.Completions
	for i := 0; i < n; i++ { // the pods, one after another
		env := c.env()
		env["JOB_COMPLETION_INDEX"] = fmt.Sprint(i)
		env["CONFIG"] = config // as if from a ConfigMap
		var args []string
		for _, a := range c.Args {
			a, err := expand(a, env)
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, strings.Replace(a, "/results", results, 1))
		}
		run(t, cleanEnv("JOB_COMPLETION_INDEX="+fmt.Sprint(i)), grind, args...)
	}
	merge := readOne(t, "k8s/grind-merge.yaml", "Job").Spec.Template.Spec.Containers[0]
	if len(merge.Command) != 2 || merge.Command[1] != "-c" || len(merge.Args) != 1 {
		t.Fatalf("merge container: want command [sh -c] and one script, got %q %q", merge.Command, merge.Args)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	script := strings.ReplaceAll(merge.Args[0], "/results", results)
	run(t, cleanEnv("PATH="+filepath.Dir(grind)+string(os.PathListSeparator)+os.Getenv("PATH")), sh, "-c", script)
	sameResults(t, unsharded(t, grind, config), filepath.Join(results, "merged"))
}
