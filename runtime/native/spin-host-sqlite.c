/*
** The runtime's hooks into SQLite, compiled into better-sqlite3's copy of SQLite by runtime/scripts/build-sqlite.mjs
** (appended to the amalgamation, registered through SQLITE_EXTRA_INIT). better-sqlite3 exposes no interrupt,
** progress handler or busy handler, and a guest's statement runs synchronously on its worker thread, so
** nothing in JavaScript can stop it: these hooks let the main thread stop it from outside.
**
** - Slots: a fixed table of flags, one per worker thread (the main thread hands each worker its slot). A
**   connection the runtime opens for a guest is *watched* on its worker's slot: a progress handler every
**   PROGRESS_STEPS virtual-machine steps and a busy handler both read the slot's flag, so raising the flag
**   ends the statement running there with SQLITE_INTERRUPT, or a wait on another connection's lock with
**   SQLITE_BUSY, within milliseconds.
** - The busy handler replaces SQLite's busy timeout with the same total wait, slept in steps of at most
**   BUSY_STEP_MS so that a raised flag is seen quickly.
** - SQLITE_LIMIT_LENGTH: the largest string or blob a watched connection may build, so a value larger than
**   the host would ever hand a guest is refused before it is allocated.
**
** SQL functions, registered on every connection:
**   spin_host_watch(slot, busy_timeout_ms, max_length)  watch this connection, then seal it
**   spin_host_rewatch()                                 put back the handlers a PRAGMA busy_timeout replaced
**   spin_host_interrupt(slot, on)                       raise (1) or lower (0) a slot's flag
** A sealed connection (every connection a guest's SQL reaches: the runtime watches it before the guest's
** first statement) refuses spin_host_watch and spin_host_interrupt, so no guest can interrupt another
** worker or unwatch its own connection; spin_host_rewatch only restores what the runtime set.
*/
#define SPIN_HOST_SLOTS 4096
#define SPIN_HOST_PROGRESS_STEPS 1000
#define SPIN_HOST_BUSY_STEP_MS 20

static int spin_host_flags[SPIN_HOST_SLOTS];

typedef struct SpinHostConn {
  sqlite3 *db;
  int slot;            /* -1: not watched */
  int busy_timeout_ms;
  int waited_ms;       /* in the current busy wait */
  int sealed;
} SpinHostConn;

static int spin_host_raised(const SpinHostConn *c){
  return c->slot >= 0 && __atomic_load_n(&spin_host_flags[c->slot], __ATOMIC_ACQUIRE) != 0;
}

static int spin_host_progress(void *p){
  return spin_host_raised((const SpinHostConn *)p);
}

static int spin_host_busy(void *p, int count){
  SpinHostConn *c = (SpinHostConn *)p;
  int delay;
  if( count==0 ) c->waited_ms = 0;
  if( spin_host_raised(c) ) return 0;
  if( c->waited_ms >= c->busy_timeout_ms ) return 0;
  /* 1, 2, 4, 8, 16 ms, then steps of BUSY_STEP_MS: short waits stay short, long ones stay responsive. */
  delay = count < 5 ? (1 << count) : SPIN_HOST_BUSY_STEP_MS;
  if( delay > c->busy_timeout_ms - c->waited_ms ) delay = c->busy_timeout_ms - c->waited_ms;
  sqlite3_sleep(delay);
  c->waited_ms += delay;
  return 1;
}

static void spin_host_install(SpinHostConn *c){
  sqlite3_progress_handler(c->db, SPIN_HOST_PROGRESS_STEPS, spin_host_progress, c);
  sqlite3_busy_handler(c->db, spin_host_busy, c);
}

static void spin_host_watch(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SpinHostConn *c = (SpinHostConn *)sqlite3_user_data(ctx);
  sqlite3_int64 slot = sqlite3_value_int64(argv[0]);
  sqlite3_int64 timeout = sqlite3_value_int64(argv[1]);
  sqlite3_int64 max_length = sqlite3_value_int64(argv[2]);
  (void)argc;
  if( c->sealed ){
    sqlite3_result_error(ctx, "spin_host_watch: not permitted on this connection", -1);
    return;
  }
  if( slot < 0 || slot >= SPIN_HOST_SLOTS || timeout < 0 || timeout > 0x7fffffff || max_length < 0 || max_length > 0x7fffffff ){
    sqlite3_result_error(ctx, "spin_host_watch: argument out of range", -1);
    return;
  }
  c->slot = (int)slot;
  c->busy_timeout_ms = (int)timeout;
  c->sealed = 1;
  spin_host_install(c);
  if( max_length > 0 ) sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, (int)max_length);
  sqlite3_result_int64(ctx, slot);
}

static void spin_host_rewatch(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SpinHostConn *c = (SpinHostConn *)sqlite3_user_data(ctx);
  (void)argc; (void)argv;
  if( c->slot >= 0 ) spin_host_install(c);
  sqlite3_result_int(ctx, c->slot >= 0);
}

static void spin_host_interrupt(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SpinHostConn *c = (SpinHostConn *)sqlite3_user_data(ctx);
  sqlite3_int64 slot = sqlite3_value_int64(argv[0]);
  int on = sqlite3_value_int(argv[1]) != 0;
  (void)argc;
  if( c->sealed ){
    sqlite3_result_error(ctx, "spin_host_interrupt: not permitted on this connection", -1);
    return;
  }
  if( slot < 0 || slot >= SPIN_HOST_SLOTS ){
    sqlite3_result_error(ctx, "spin_host_interrupt: slot out of range", -1);
    return;
  }
  sqlite3_result_int(ctx, __atomic_exchange_n(&spin_host_flags[slot], on, __ATOMIC_ACQ_REL));
}

static int spin_host_connection(sqlite3 *db, char **err, const struct sqlite3_api_routines *api){
  SpinHostConn *c;
  int rc;
  (void)err; (void)api;
  c = (SpinHostConn *)sqlite3_malloc(sizeof(SpinHostConn));
  if( c==0 ) return SQLITE_NOMEM;
  c->db = db;
  c->slot = -1;
  c->busy_timeout_ms = 0;
  c->waited_ms = 0;
  c->sealed = 0;
  /* The first function owns the state: SQLite frees it when the connection closes. */
  rc = sqlite3_create_function_v2(db, "spin_host_watch", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, c, spin_host_watch, 0, 0, sqlite3_free);
  if( rc!=SQLITE_OK ){
    sqlite3_free(c);
    return rc;
  }
  rc = sqlite3_create_function_v2(db, "spin_host_rewatch", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, c, spin_host_rewatch, 0, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function_v2(db, "spin_host_interrupt", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, c, spin_host_interrupt, 0, 0, 0);
  return rc;
}

/* SQLITE_EXTRA_INIT: runs once, at the end of sqlite3_initialize(). The name carries the hooks' version, so a
** binary built from an older copy of this file is seen as out of date (PRAGMA compile_options lists it). */
int spin_host_init_v1(const char *unused){
  (void)unused;
  return sqlite3_auto_extension((void (*)(void))spin_host_connection);
}
