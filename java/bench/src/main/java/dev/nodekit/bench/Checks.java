package dev.nodekit.bench;

import dev.nodekit.Result;

final class Checks {
    private Checks() {}

    /** Throws (failing the benchmark) unless r is ok. */
    static void ok(String what, Result r) {
        if (!r.isOk()) {
            throw new IllegalStateException(what + ": " + r);
        }
    }
}
