#ifndef PODIUM_CFFMPEG_SHIM_H
#define PODIUM_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/mem.h>
#include <stddef.h>
#include <string.h>
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

/* An input that FFmpeg reads from bytes Podium already holds: a playlist that Podium fetched
   and checked is handed to the HLS demuxer as it was checked, not fetched a second time.

   Its opaque is a PodiumHeldBytes whose first member is an AVClass with a "location" option,
   because FFmpeg searches an AVIOContext's opaque as an options child (the HLS demuxer reads
   "location" to resolve relative URIs against the URL the bytes really came from). It must be
   closed with podium_held_bytes_close, never avio_close, which would take the opaque for a
   URLContext. */
typedef struct PodiumHeldBytes {
    const AVClass *av_class;
    char *location;
    uint8_t *data;
    size_t size;
    size_t position;
} PodiumHeldBytes;

static const AVOption podium_held_bytes_options[] = {
    { "location", "The URL the bytes came from", offsetof(PodiumHeldBytes, location), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, AV_OPT_FLAG_DECODING_PARAM },
    { NULL }
};

static const AVClass podium_held_bytes_class = {
    .class_name = "podium held bytes",
    .item_name = av_default_item_name,
    .option = podium_held_bytes_options,
    .version = LIBAVUTIL_VERSION_INT,
};

static inline int podium_held_bytes_read(void *opaque, uint8_t *buffer, int size) {
    PodiumHeldBytes *held = opaque;
    size_t left = held->size - held->position;
    if (left == 0) return AVERROR_EOF;
    size_t count = left < (size_t)size ? left : (size_t)size;
    memcpy(buffer, held->data + held->position, count);
    held->position += count;
    return (int)count;
}

/* A reading context over a copy of `bytes`, reporting `location` as where they came from; NULL when out of memory. */
static inline AVIOContext *podium_held_bytes_open(const uint8_t *bytes, size_t count, const char *location) {
    PodiumHeldBytes *held = av_mallocz(sizeof(PodiumHeldBytes));
    unsigned char *buffer = av_malloc(4096);
    if (!held || !buffer) { av_free(held); av_free(buffer); return NULL; }
    held->av_class = &podium_held_bytes_class;
    held->location = av_strdup(location);
    held->data = av_malloc(count > 0 ? count : 1);
    if (!held->location || !held->data) { av_free(held->location); av_free(held->data); av_free(held); av_free(buffer); return NULL; }
    memcpy(held->data, bytes, count);
    held->size = count;
    AVIOContext *io = avio_alloc_context(buffer, 4096, 0, held, podium_held_bytes_read, NULL, NULL);
    if (!io) { av_free(held->location); av_free(held->data); av_free(held); av_free(buffer); return NULL; }
    return io;
}

/* Whether `io` was made by podium_held_bytes_open. */
static inline int podium_held_bytes_is(const AVIOContext *io) {
    return io && io->read_packet == podium_held_bytes_read;
}

/* Frees a context made by podium_held_bytes_open, with its bytes. */
static inline void podium_held_bytes_close(AVIOContext *io) {
    if (!io) return;
    PodiumHeldBytes *held = io->opaque;
    if (held) { av_free(held->location); av_free(held->data); av_free(held); }
    av_freep(&io->buffer);
    avio_context_free(&io);
}

#endif
