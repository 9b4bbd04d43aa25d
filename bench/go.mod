module nodekit.dev/nodekit/bench

go 1.26.0

replace nodekit.dev/nodekit => ../

require (
	github.com/oklog/run v1.2.0
	github.com/thejerf/suture/v4 v4.0.6
	go.uber.org/fx v1.24.0
	golang.org/x/sync v0.24.0
	nodekit.dev/nodekit v0.0.0-00010101000000-000000000000
)

require (
	go.uber.org/dig v1.19.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.26.0 // indirect
	golang.org/x/sys v0.0.0-20220412211240-33da011f77ad // indirect
)
