package dev.nodekit;

/**
 * Run in a child JVM by StopOnExitTest: registers handles with StopOnExit and
 * returns from main. The shutdown hook must stop them last-registered first;
 * "hangs" is bounded by its 300 ms stop timeout; "gone" was unregistered.
 */
public final class StopOnExitProbe {
    public static void main(String[] args) throws Exception {
        Group hangs = StopOnExit.register(new Group());
        hangs.setStopTimeoutMillis(300);
        hangs.add("hangs", service("hangs", true));
        Group a = StopOnExit.register(new Group());
        a.add("a", service("a", false));
        Group gone = StopOnExit.register(new Group());
        gone.add("gone", service("gone", false));
        Group b = StopOnExit.register(new Group());
        b.add("b", service("b", false));
        for (Group g : new Group[] {hangs, a, gone, b}) {
            NodekitException.check(g.start());
        }
        System.out.println("unregistered " + StopOnExit.unregister(gone) + " " + StopOnExit.unregister(gone));
        System.out.println("main returns");
    }

    private static Service service(String name, boolean hang) {
        return new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() throws InterruptedException {
                System.out.println("stop " + name);
                if (hang) {
                    Thread.sleep(60_000);
                }
            }
        };
    }
}
