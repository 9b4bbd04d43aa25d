package dev.nodekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the jar adds to the generated classes: AutoCloseable handles, NodekitException, Kind, State, async results. */
class IdiomsTest {
    private static final Persister FAILING = (key, data) -> {
        throw new java.io.IOException("disk full");
    };

    @Test
    void tryWithResourcesStopsTheGroupAndItsServices() throws Exception {
        List<String> log = new ArrayList<>();
        Group outside;
        try (Group g = new Group()) {
            outside = g;
            g.add("db", new Service() {
                @Override
                public void start() {
                    log.add("start");
                }

                @Override
                public void stop() {
                    log.add("stop");
                }
            });
            NodekitException.check(g.start());
        }
        assertEquals(List.of("start", "stop"), log);
        assertEquals(State.STOPPED, State.of(outside.state()));
        outside.close(); // idempotent: a clean stop closes again without throwing
        assertTrue(outside.stop().isOk(), "stop() still returns the Result after close()");
    }

    @Test
    void closeThrowsTheKindOfAFailedStopEveryTime() throws Exception {
        Processor p = Nodekit.startProcessor(null, FAILING, null, null);
        p.updateState(TestSupport.bytes("x"));
        NodekitException e = assertThrows(NodekitException.class, p::close);
        assertEquals(Kind.PERSIST, e.kind());
        assertEquals(Nodekit.KindPersist, e.kindCode());
        assertTrue(e.getMessage().contains("disk full"), e.getMessage());
        assertEquals(Kind.PERSIST, assertThrows(NodekitException.class, p::close).kind());
        assertEquals(Kind.PERSIST, Kind.of(p.stop()));
    }

    @Test
    void aFailedCloseIsSuppressedOntoTheBodysException() throws Exception {
        IllegalStateException body = new IllegalStateException("body");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
            try (Processor p = Nodekit.startProcessor(null, FAILING, null, null)) {
                p.updateState(TestSupport.bytes("x"));
                throw body;
            }
        });
        assertSame(body, thrown);
        assertEquals(1, thrown.getSuppressed().length);
        assertEquals(Kind.PERSIST, ((NodekitException) thrown.getSuppressed()[0]).kind());
    }

    @Test
    void misuseThrowsACatchableNodekitExceptionWithItsKind() throws Exception {
        try (Group g = new Group()) {
            g.add("a", null);
            NodekitException dup = assertThrows(NodekitException.class, () -> g.add("a", null));
            assertEquals(Kind.ILLEGAL_STATE, dup.kind());
            assertTrue(dup.getMessage().contains("\"a\""), dup.getMessage());
            assertTrue(dup.toString().startsWith("NodekitException(ILLEGAL_STATE): "), dup.toString());
            assertEquals(Kind.ILLEGAL_STATE, assertThrows(NodekitException.class, () -> g.failService("nope", "x")).kind());
        }
        Processor p = Nodekit.startProcessor(null, null, null, null);
        p.stop();
        assertEquals(Kind.ILLEGAL_STATE, assertThrows(NodekitException.class, () -> p.submit(new byte[] {1})).kind());
    }

    @Test
    void checkPassesOkResultsAndThrowsFailedOnes() throws Exception {
        Group g = new Group();
        Result ok = g.stop();
        assertSame(ok, NodekitException.check(ok));
        NodekitException e = assertThrows(NodekitException.class, () -> NodekitException.check(g.start()));
        assertEquals(Kind.ILLEGAL_STATE, e.kind());
        assertEquals(new NodekitException(Nodekit.KindTooManyRestarts, "m").kind(), Kind.TOO_MANY_RESTARTS);
        assertEquals(Kind.UNKNOWN, new NodekitException(1234, "from a newer library").kind());
    }

    @Test
    void everyKindAndStateConstantHasItsEnumName() throws Exception {
        assertEnumMatches("Kind", Kind.class);
        assertEnumMatches("State", State.class);
        assertEquals(Kind.UNKNOWN, Kind.of(-7));
        assertEquals(State.UNKNOWN, State.of(-1));
        assertTrue(State.FAILED.isTerminal() && !State.STOPPING.isTerminal());
    }

    /** Nodekit.KindTooManyRestarts must be Kind.TOO_MANY_RESTARTS with the same code, and nothing else may be in the enum. */
    private static <E extends Enum<E>> void assertEnumMatches(String prefix, Class<E> type) throws Exception {
        Set<String> names = new HashSet<>();
        for (Field f : Nodekit.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !f.getName().startsWith(prefix) || f.getType() != long.class) {
                continue;
            }
            String name = f.getName().substring(prefix.length()).replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase();
            E e = Arrays.stream(type.getEnumConstants()).filter(c -> c.name().equals(name)).findFirst().orElse(null);
            assertNotNull(e, "Nodekit." + f.getName() + " has no " + type.getSimpleName() + "." + name
                    + ": add it to java/nodekit/src/main/java/dev/nodekit/" + type.getSimpleName() + ".java");
            assertEquals(f.getLong(null), (long) type.getMethod("code").invoke(e), type.getSimpleName() + "." + name);
            names.add(name);
        }
        for (E e : type.getEnumConstants()) {
            assertTrue(names.contains(e.name()) || e.name().equals("UNKNOWN"), type.getSimpleName() + "." + e + " is not in Nodekit");
        }
    }

    @Test
    void stopAsyncAndJoinAsyncDeliverOnAGoThreadWithoutBlockingTheCaller() throws Exception {
        Group g = new Group();
        CountDownLatch release = new CountDownLatch(1);
        g.add("slow", new Service() {
            @Override
            public void start() {}

            @Override
            public void stop() throws InterruptedException {
                release.await(10, TimeUnit.SECONDS);
            }
        });
        NodekitException.check(g.start());
        CompletableFuture<Result> joined = new CompletableFuture<>();
        CompletableFuture<Thread> joinThread = new CompletableFuture<>();
        g.joinAsync(r -> {
            joinThread.complete(Thread.currentThread());
            joined.complete(r);
        });
        CompletableFuture<Result> stopped = new CompletableFuture<>();
        g.stopAsync(stopped::complete); // returns while the stop() hook is blocked
        assertTrue(!stopped.isDone() && !joined.isDone());
        release.countDown();
        assertTrue(stopped.get(10, TimeUnit.SECONDS).isOk());
        assertTrue(joined.get(10, TimeUnit.SECONDS).isOk());
        assertTrue(joinThread.get() != Thread.currentThread());
    }
}
