#ifndef PODIUM_CINFLATE_SHIM_H
#define PODIUM_CINFLATE_SHIM_H

#include <zlib.h>

/* inflateInit2 is a macro, which Swift cannot call: a raw deflate stream (no zlib or gzip
   header; zip entries and gzip members carry their own), as a function. */
static inline int podium_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

#endif
