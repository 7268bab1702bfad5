/* See pool.h. */
#include "pool.h"

#ifndef _WIN32
#include <pthread.h>
#include <stdatomic.h>

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER; /* one job at a time */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int nworkers;            /* started so far (never stopped: they sleep between jobs) */
static unsigned long generation; /* bumped per job */
static int active;              /* workers 1..active take part in the current job */
static int pending;             /* of those, how many have not finished */
static pool_fn job_fn;
static void *job_ctx;
static size_t job_tasks;
static atomic_size_t next_task;

static void drain(int worker) {
  for (;;) {
    size_t t = atomic_fetch_add(&next_task, 1);
    if (t >= job_tasks) return;
    job_fn(job_ctx, t, worker);
  }
}

static void *worker_main(void *arg) {
  const int me = (int)(size_t)arg;
  unsigned long seen = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (generation == seen) pthread_cond_wait(&start_cv, &lock);
    seen = generation;
    if (me > active) continue;
    pthread_mutex_unlock(&lock);
    drain(me);
    pthread_mutex_lock(&lock);
    if (--pending == 0) pthread_cond_signal(&done_cv);
  }
  return NULL;
}

int pool_run(int threads, size_t ntasks, pool_fn fn, void *ctx) {
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  if ((size_t)threads > ntasks) threads = (int)ntasks;
  if (threads <= 1) {
    for (size_t t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return 1;
  }
  pthread_mutex_lock(&run_lock);
  pthread_mutex_lock(&lock);
  while (nworkers < threads - 1) {
    pthread_t id;
    if (pthread_create(&id, NULL, worker_main, (void *)(size_t)(nworkers + 1)) != 0) break;
    pthread_detach(id);
    nworkers++;
  }
  const int helpers = threads - 1 < nworkers ? threads - 1 : nworkers;
  job_fn = fn;
  job_ctx = ctx;
  job_tasks = ntasks;
  atomic_store(&next_task, 0);
  active = helpers;
  pending = helpers;
  generation++;
  pthread_cond_broadcast(&start_cv);
  pthread_mutex_unlock(&lock);
  drain(0);
  pthread_mutex_lock(&lock);
  while (pending > 0) pthread_cond_wait(&done_cv, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&run_lock);
  return helpers + 1;
}

#else
int pool_run(int threads, size_t ntasks, pool_fn fn, void *ctx) {
  (void)threads;
  for (size_t t = 0; t < ntasks; t++) fn(ctx, t, 0);
  return 1;
}
#endif
