package dev.nodekit;

/**
 * The exception every facade method throws on misuse (e.g. {@code submit}
 * after stop, a duplicate service name, a setting after {@code add}), that
 * {@link Closer#close()} throws for a failed stop, and that {@link #check}
 * makes of a failed {@link Result}. Unchecked; it carries the {@link Kind}.
 *
 * <pre>{@code
 * try {
 *     group.add("db", db);
 * } catch (NodekitException e) {
 *     if (e.kind() == Kind.ILLEGAL_STATE) ...
 * }
 * }</pre>
 *
 * <p>The generated methods declare {@code throws Exception} (gobind's mapping
 * of a Go error); what they throw for a Go error is always a NodekitException.
 * An exception thrown by your own callback and passed back unchanged keeps
 * its own type.
 */
public class NodekitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Kind not known yet: an exception made by the native side, asked on first use. */
    private static final long ASK_GO = Long.MIN_VALUE;

    private volatile long code;

    /** For the jar's runtime: the exceptions made by the native side ({@code go.Universe}). */
    protected NodekitException() {
        this.code = ASK_GO;
    }

    /** A NodekitException of the given {@code Nodekit.Kind*} integer. */
    public NodekitException(long kindCode, String message) {
        super(message);
        this.code = kindCode;
    }

    /** The kind, by name ({@link Kind#UNKNOWN} for a kind newer than this jar). */
    public Kind kind() {
        return Kind.of(kindCode());
    }

    /** The kind as its {@code Nodekit.Kind*} integer. */
    public long kindCode() {
        long c = code;
        if (c == ASK_GO) {
            c = Nodekit.errorKind(this);
            code = c;
        }
        return c;
    }

    /** A NodekitException with the result's kind and message (for a failed result). */
    public static NodekitException of(Result result) {
        return new NodekitException(result.kind(), result.message());
    }

    /**
     * Returns {@code result} if it is ok; otherwise throws it as a NodekitException.
     *
     * <pre>{@code NodekitException.check(group.start());}</pre>
     */
    public static Result check(Result result) {
        if (!result.isOk()) {
            throw of(result);
        }
        return result;
    }

    @Override
    public String toString() {
        String m = getMessage();
        return "NodekitException(" + kind() + (m == null || m.isEmpty() ? ")" : "): " + m);
    }
}
