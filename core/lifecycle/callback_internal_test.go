package lifecycle

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A goroutine counts as a callback goroutine of an owner while any of its
// trackers is live, whether its count is kept in first or in the map, across
// the first goroutine leaving and another taking its place.
func TestCallbackOwnerCountsTrackersPerGoroutine(t *testing.T) {
	var o callbackOwner
	o.register(1)
	o.register(2)
	o.register(1)
	assert.True(t, o.has(1))
	assert.True(t, o.has(2))
	assert.False(t, o.has(3))
	o.unregister(1)
	assert.True(t, o.has(1), "one of its two trackers is live")
	o.unregister(1)
	assert.False(t, o.has(1))
	o.register(2) // first is free: goroutine 2 now counts in both places
	o.unregister(2)
	assert.True(t, o.has(2), "one of its two trackers is live")
	o.unregister(2)
	assert.False(t, o.has(2))
	assert.Empty(t, o.ids, "nothing left behind")
	assert.Zero(t, o.firstN)
}
