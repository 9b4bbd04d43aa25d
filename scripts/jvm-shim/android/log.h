/*
 * Minimal stand-in for the Android NDK's <android/log.h>, used only when the
 * gobind-generated JNI code is compiled for a desktop JVM (scripts/build-jvm.sh).
 * It writes to stderr instead of logcat, so no liblog (-llog) is needed.
 */
#ifndef NODEKIT_JVM_ANDROID_LOG_SHIM_H
#define NODEKIT_JVM_ANDROID_LOG_SHIM_H

#include <stdarg.h>
#include <stdio.h>

typedef enum android_LogPriority {
	ANDROID_LOG_UNKNOWN = 0,
	ANDROID_LOG_DEFAULT,
	ANDROID_LOG_VERBOSE,
	ANDROID_LOG_DEBUG,
	ANDROID_LOG_INFO,
	ANDROID_LOG_WARN,
	ANDROID_LOG_ERROR,
	ANDROID_LOG_FATAL,
	ANDROID_LOG_SILENT,
} android_LogPriority;

static inline const char *nodekit_log_level(int prio) {
	static const char *const names[] = {"?", "D", "V", "D", "I", "W", "E", "F", "S"};
	return (prio >= 0 && prio <= ANDROID_LOG_SILENT) ? names[prio] : "?";
}

static inline int __android_log_vprint(int prio, const char *tag, const char *fmt, va_list ap) {
	int n = fprintf(stderr, "%s/%s: ", nodekit_log_level(prio), tag ? tag : "");
	n += vfprintf(stderr, fmt, ap);
	n += fprintf(stderr, "\n");
	fflush(stderr);
	return n;
}

static inline int __android_log_print(int prio, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int __android_log_print(int prio, const char *tag, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int n = __android_log_vprint(prio, tag, fmt, ap);
	va_end(ap);
	return n;
}

static inline int __android_log_write(int prio, const char *tag, const char *text) {
	return __android_log_print(prio, tag, "%s", text ? text : "");
}

#endif
