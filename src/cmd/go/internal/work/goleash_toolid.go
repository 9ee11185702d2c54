// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package work

import (
	"strings"

	"cmd/internal/buildid"
)

// goleashToolID returns the ID that the build cache uses for the tool at
// path, whose -V=full output is line, on a released toolchain.
//
// For a release, toolID uses the version line alone: a released
// compiler never changes. Goleash's version names the fork's release,
// but its compiler and vet change under the same version while the fork
// is developed, and a cached object or vet result from an older compiler
// would be taken as current: a package compiled before the compiler
// learned to mark lock regions for Abort would silently lack them. So the
// tool's own build ID is part of its ID, as on upstream's development
// branch.
func goleashToolID(line, path string) string {
	line = strings.TrimSpace(line)
	if !strings.Contains(line, "goleash") {
		return line
	}
	id, err := buildid.ReadFile(path)
	if err != nil || id == "" {
		return line
	}
	return line + " " + contentID(id)
}
