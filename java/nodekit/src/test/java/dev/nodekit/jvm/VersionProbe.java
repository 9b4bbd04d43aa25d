package dev.nodekit.jvm;

import dev.nodekit.Nodekit;

/** Run in a child JVM by NativeLibrariesTest: loads the bindings; exits 1 with the error if that fails. */
public final class VersionProbe {
    public static void main(String[] args) {
        try {
            System.out.println(Nodekit.version());
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }
}
