package android.content;

/** JVM-only stub: go.Seq names android.content.Context; the Android AAR uses the real class. */
public abstract class Context {}
