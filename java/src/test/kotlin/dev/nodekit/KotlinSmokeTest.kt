package dev.nodekit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The same bindings, called from Kotlin. */
class KotlinSmokeTest {
    @Test
    fun versionComesFromGo() {
        assertEquals("0.1.0", Nodekit.version())
    }

    @Test
    fun collectDroppedRuns() {
        repeat(2) { Nodekit.collectDropped() }
    }
}
