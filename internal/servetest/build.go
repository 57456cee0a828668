package servetest

import (
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// ModuleRoot is the directory of the smtpkit module's go.mod, found from
// this source file's location.
func ModuleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("servetest: cannot locate the source")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("servetest: module root: %w", err)
	}
	return filepath.Clean(root), nil
}

// GoTool is the go command of the toolchain that runs the tests.
func GoTool() string {
	p := filepath.Join(build.Default.GOROOT, "bin", "go")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return "go"
}

// Build compiles cmd/smtpkit into dir and returns the binary's path.
func Build(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "smtpkit")
	cmd := exec.Command(GoTool(), "build", "-o", bin, "./cmd/smtpkit")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/smtpkit: %w\n%s", err, out)
	}
	return bin, nil
}

// Main is a TestMain body: it builds the binary once into a temporary
// directory, stores its path in *bin, runs the tests and removes the
// directory. It returns the exit code for os.Exit.
func Main(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "smtpkit-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = Build(dir); err != nil {
		fmt.Fprintf(os.Stderr, "building smtpkit: %v\n", err)
		return 1
	}
	return m.Run()
}
