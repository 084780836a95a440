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

/* A live input read through a context that notes when each chunk of bytes reached Podium, so
   a packet can be dated by the arrival of its first byte (AVPacket.pos) rather than by when the
   demuxer handed it out: the demuxer holds the first half second of packets while it probes,
   and hands a packet out only once the next one begins.

   The inner context is the protocol's own (udp, srt, rtmp). Each read returns what one protocol
   read gave (a datagram, a message), stamped with the wall clock as it returned. The stamps
   are kept in a ring: the oldest are dropped once it is full, and a position older than the
   ring has no stamp. The stamps are read from the job's own wall clock (`now`, called with
   `now_opaque`), the one every other Podium date comes from. Used on the reading thread only. */
#define PODIUM_STAMP_RING 65536

typedef struct PodiumStampedInput {
    AVIOContext *inner;
    int64_t offset;
    int64_t starts[PODIUM_STAMP_RING];
    int64_t micros[PODIUM_STAMP_RING];
    size_t first;
    size_t count;
    int64_t (*now)(void *opaque);
    void *now_opaque;
} PodiumStampedInput;

static inline int podium_stamped_read(void *opaque, uint8_t *buffer, int size) {
    PodiumStampedInput *stamped = opaque;
    int count = avio_read_partial(stamped->inner, buffer, size);
    if (count == 0) return AVERROR_EOF;
    if (count < 0) return count;
    size_t slot = (stamped->first + stamped->count) % PODIUM_STAMP_RING;
    if (stamped->count == PODIUM_STAMP_RING) stamped->first = (stamped->first + 1) % PODIUM_STAMP_RING;
    else stamped->count += 1;
    stamped->starts[slot] = stamped->offset;
    stamped->micros[slot] = stamped->now(stamped->now_opaque);
    stamped->offset += count;
    return count;
}

/* Opens `url` with `options` and wraps it, its reads dated by `now(now_opaque)` in wall-clock
   microseconds; NULL and *error set when it cannot be opened. */
static inline AVIOContext *podium_stamped_open(const char *url, const AVIOInterruptCB *interrupt, AVDictionary **options,
                                               int64_t (*now)(void *), void *now_opaque, int *error) {
    PodiumStampedInput *stamped = av_mallocz(sizeof(PodiumStampedInput));
    if (!stamped) { *error = AVERROR(ENOMEM); return NULL; }
    stamped->now = now;
    stamped->now_opaque = now_opaque;
    int code = avio_open2(&stamped->inner, url, AVIO_FLAG_READ, interrupt, options);
    if (code < 0) { av_free(stamped); *error = code; return NULL; }
    int size = 65536;
    unsigned char *buffer = av_malloc(size);
    AVIOContext *io = buffer ? avio_alloc_context(buffer, size, 0, stamped, podium_stamped_read, NULL, NULL) : NULL;
    if (!io) { av_free(buffer); avio_closep(&stamped->inner); av_free(stamped); *error = AVERROR(ENOMEM); return NULL; }
    return io;
}

/* Wall-clock microseconds at which the byte at `position` of a context made by
   podium_stamped_open arrived; -1 when no stamp covers it. Stamps before the one found are
   dropped: positions of one stream only go forward. (Contexts are told apart by their owner,
   not by comparing read functions: each Swift file gets its own copy of an inline function.) */
static inline int64_t podium_stamped_arrival(AVIOContext *io, int64_t position) {
    if (!io || position < 0) return -1;
    PodiumStampedInput *stamped = io->opaque;
    if (stamped->count == 0 || position < stamped->starts[stamped->first]) return -1;
    size_t low = 0, high = stamped->count;
    while (high - low > 1) {
        size_t middle = (low + high) / 2;
        if (stamped->starts[(stamped->first + middle) % PODIUM_STAMP_RING] <= position) low = middle; else high = middle;
    }
    size_t slot = (stamped->first + low) % PODIUM_STAMP_RING;
    if (position >= stamped->offset) return -1;
    stamped->first = slot;
    stamped->count -= low;
    return stamped->micros[slot];
}

/* Closes a context made by podium_stamped_open and the protocol under it. */
static inline void podium_stamped_close(AVIOContext *io) {
    if (!io) return;
    PodiumStampedInput *stamped = io->opaque;
    avio_closep(&stamped->inner);
    av_free(stamped);
    av_freep(&io->buffer);
    avio_context_free(&io);
}

#endif
