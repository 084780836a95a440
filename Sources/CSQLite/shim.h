#ifndef PODIUM_CSQLITE_SHIM_H
#define PODIUM_CSQLITE_SHIM_H

#include <sqlite3.h>

/* sqlite3_db_config is variadic, which Swift cannot call: the one option Podium sets, as a function.
   A connection with it set leaves the write-ahead log as it is when it closes (no checkpoint). */
static inline int podium_sqlite_skip_checkpoint_on_close(sqlite3 *connection) {
    return sqlite3_db_config(connection, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

#endif
