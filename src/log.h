/*
 * log: one line per event on stderr, written with a single write(2) so lines
 * from different threads never interleave. Callers pass values that may come
 * from clients through buf_add_logsafe: CR, LF and
 * other control characters never reach the log raw. Never log passwords,
 * tokens or cookies.
 */
#ifndef ACCOUNTD_LOG_H
#define ACCOUNTD_LOG_H

void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...)  log_msg("info", __VA_ARGS__)
#define log_warn(...)  log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

/* Writes a finished line (adds the newline). */
void log_line(const char *line, unsigned long len);

#endif
