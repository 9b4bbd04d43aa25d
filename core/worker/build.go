package worker

import (
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// protocolVersion changes whenever the frame format or the handshake does.
const protocolVersion = "1"

// modulePath is the module that holds this package.
const modulePath = "nodekit.dev/nodekit"

// buildStamp is set at link time to tell builds of the same source version
// apart: go build -ldflags "-X nodekit.dev/nodekit/core/worker.buildStamp=ID".
var buildStamp string

// BuildID identifies the build of this executable: the IPC protocol version,
// the Go version, nodekit's module version, the version control revision the
// binary was built from (with "+dirty" for uncommitted changes, when the
// toolchain recorded it) and the link-time build stamp. A worker must report
// exactly its parent's BuildID, or Start fails with a *VersionError.
func BuildID() string {
	buildIDOnce.Do(func() { buildID = computeBuildID() })
	return buildID
}

var (
	buildIDOnce sync.Once
	buildID     string
)

func computeBuildID() string {
	parts := []string{"nodekit-worker/" + protocolVersion, runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		version := ""
		if bi.Main.Path == modulePath {
			version = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				version = d.Version
				if d.Replace != nil {
					version = d.Replace.Version + "(" + d.Replace.Path + ")"
				}
			}
		}
		parts = append(parts, modulePath+"@"+version)
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" {
			parts = append(parts, "rev "+rev+dirty)
		}
	}
	if buildStamp != "" {
		parts = append(parts, "stamp "+buildStamp)
	}
	return strings.Join(parts, " ")
}
