#ifndef PODIUM_CFFMPEG_SHIM_H
#define PODIUM_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/timecode.h>
#include <libavcodec/defs.h>
#include <libswscale/swscale.h>

/* Macros that Swift cannot import, re-exported as inline functions. */

static inline int podium_averror(int posix_error) { return AVERROR(posix_error); }
static inline int podium_averror_eof(void) { return AVERROR_EOF; }
static inline int podium_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int podium_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t podium_nopts_value(void) { return AV_NOPTS_VALUE; }

/* Fills buffer with FFmpeg's message for an error code; av_err2str is a macro over a compound literal. */
static inline void podium_error_string(int code, char *buffer, size_t size) {
    av_strerror(code, buffer, size);
}

#endif
