package mcpserver

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/textfile"
)

// Limits on the files a caller names.
const (
	// FilesBudget bounds the file text every participant reads, in bytes, all
	// files together (as `parley run --attach` does): a file past it is cut, and
	// the cut is shown in its label.
	FilesBudget = 100_000
	// MaxFiles bounds how many files one debate may name.
	MaxFiles = 50
	// maxFileRead bounds what is read of one file: enough to fill the budget and
	// to tell text from binary, never a whole multi-gigabyte log.
	maxFileRead = FilesBudget + 8192
)

// readFiles reads the caller's files from the workspace root. Each path is relative
// to root (or absolute inside it). They are opened through os.Root, which refuses
// any path that leaves the root, by ".." or by a symbolic link, at the moment of
// opening: a check of the cleaned name alone would let a link inside the
// workspace point at ~/.ssh.
func readFiles(root string, paths []string) ([]debate.File, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	if len(paths) > MaxFiles {
		return nil, fmt.Errorf(`"files" names %d files; at most %d are read (name the ones that matter, or put excerpts in "context")`, len(paths), MaxFiles)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf(`the workspace %s cannot be opened: %v (give "workspace" as an existing directory)`, root, err)
	}
	defer r.Close()
	var out []debate.File
	left := FilesBudget
	seen := map[string]bool{}
	for _, p := range paths {
		rel, err := relative(root, p)
		if err != nil {
			return nil, err
		}
		if seen[rel] {
			continue
		}
		seen[rel] = true
		f, err := readOne(r, root, p, rel, left)
		if err != nil {
			return nil, err
		}
		left -= len(f.Text)
		out = append(out, f)
	}
	return out, nil
}

// relative turns a caller's path into one relative to root, refusing at once the
// paths that plainly leave it (os.Root refuses the rest).
func relative(root, p string) (string, error) {
	clean := filepath.Clean(p)
	if filepath.IsAbs(clean) {
		rel, err := filepath.Rel(root, clean)
		if err != nil {
			return "", outside(p, root)
		}
		clean = rel
	}
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", outside(p, root)
	}
	return clean, nil
}

func outside(p, root string) error {
	return fmt.Errorf(`"files": %q is outside the workspace %s; name files inside it (relative paths are read from it), or give a "workspace" that contains them`, p, root)
}

func readOne(r *os.Root, root, p, rel string, left int) (debate.File, error) {
	fh, err := r.Open(rel)
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return debate.File{}, fmt.Errorf(`"files": %q does not exist in the workspace %s; check the path (relative paths are read from the workspace)`, p, root)
		case errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes"):
			return debate.File{}, outside(p, root)
		}
		return debate.File{}, fmt.Errorf(`"files": cannot read %q: %v`, p, err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return debate.File{}, fmt.Errorf(`"files": cannot read %q: %v`, p, err)
	}
	if info.IsDir() {
		return debate.File{}, fmt.Errorf(`"files": %q is a directory; name the files in it one by one`, p)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileRead))
	if err != nil {
		return debate.File{}, fmt.Errorf(`"files": cannot read %q: %v`, p, err)
	}
	if textfile.IsBinary(data) {
		return debate.File{}, fmt.Errorf(`"files": %q looks binary, not text; parley sends text only (put a text excerpt in "context")`, p)
	}
	size := int(info.Size())
	text := string(data)
	f := debate.File{Path: filepath.ToSlash(rel), Bytes: size}
	if len(text) > left || size > len(text) {
		text = text[:textfile.Cut(text, left)]
		f.Truncated = true
	}
	f.Text = strings.TrimRight(text, "\n")
	return f, nil
}
