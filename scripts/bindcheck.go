//go:build ignore

// bindcheck reports exported types of the facade package that gobind dropped
// without a "skipped" comment: gobind writes a Java class only for structs and
// interfaces, and silently ignores other named types (type State int, type F
// func(), type M map[...]...). Usage, from scripts/gobind.sh:
//
//	go run scripts/bindcheck.go <go package dir> <generated java package dir>
package main

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run bindcheck.go <go package dir> <java package dir>")
		os.Exit(2)
	}
	pkgDir, javaDir := os.Args[1], os.Args[2]
	// The files gobind sees on this platform (build constraints applied, no tests).
	pkg, err := build.ImportDir(pkgDir, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bindcheck:", err)
		os.Exit(2)
	}
	fset := token.NewFileSet()
	bad := 0
	for _, name := range append(pkg.GoFiles, pkg.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(pkgDir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bindcheck:", err)
			os.Exit(2)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if !ts.Name.IsExported() || ts.Assign.IsValid() { // aliases carry no class of their own
					continue
				}
				if _, err := os.Stat(filepath.Join(javaDir, ts.Name.Name+".java")); err == nil {
					continue
				}
				bad++
				fmt.Fprintf(os.Stderr, "%s: exported type %s has no Java class: gobind binds only structs and interfaces (use int constants or a struct)\n",
					fset.Position(ts.Pos()), ts.Name.Name)
			}
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
