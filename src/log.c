#include "log.h"

#include "buf.h"

#include <stdarg.h>
#include <time.h>
#include <unistd.h>

static void add_timestamp(struct buf *b)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

void log_line(const char *line, unsigned long len)
{
    struct buf b = BUF_INIT;
    add_timestamp(&b);
    buf_add(&b, line, len);
    buf_addc(&b, '\n');
    ssize_t n = write(STDERR_FILENO, b.data, b.len);
    (void)n;
    buf_free(&b);
}

void log_msg(const char *level, const char *fmt, ...)
{
    struct buf msg = BUF_INIT, line = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    buf_printf(&line, "level=%s msg=\"", level);
    buf_add_logsafe(&line, buf_str(&msg));
    buf_addc(&line, '"');
    log_line(line.data, line.len);
    buf_free(&msg);
    buf_free(&line);
}
