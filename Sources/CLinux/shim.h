#ifndef PODIUM_CLINUX_SHIM_H
#define PODIUM_CLINUX_SHIM_H

#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#if defined(__linux__)
#include <linux/falloc.h>
/* glibc declares fallocate only under _GNU_SOURCE, which Swift's Glibc module is built without. */
int fallocate(int fd, int mode, off_t offset, off_t len);
#endif

/* Reserves disk space for [offset, offset + length) of an open file without changing its size
   (FALLOC_FL_KEEP_SIZE). Returns 0, or -1 with errno set (EOPNOTSUPP where the file system or
   the platform has no such reservation). */
static inline int podium_reserve_file_space(int descriptor, off_t offset, off_t length) {
#if defined(__linux__)
    return fallocate(descriptor, FALLOC_FL_KEEP_SIZE, offset, length);
#else
    (void)descriptor; (void)offset; (void)length;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

/* Bytes the file system holds for the file at `path` (its allocated blocks), or -1 with errno
   set. Kept in C because Swift attributes `struct stat` to whichever module first includes
   <sys/stat.h>, which differs between clean and incremental builds. */
static inline long long podium_allocated_bytes(const char *path) {
    struct stat info;
    if (stat(path, &info) != 0) return -1;
    return (long long)info.st_blocks * 512;
}

#endif
