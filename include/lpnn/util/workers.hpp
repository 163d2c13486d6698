// A few threads that run one task together, for rank-local work that splits into independent parts
// (lpnn's chunk filter: each chunk is shuffled and deflated on its own).
//
// Workers(n) starts n - 1 threads once; run(task) calls task(0) on the calling thread and task(1) ..
// task(n - 1) on the workers, and returns when every call has returned. The threads wait on a
// condition variable between runs, so a run costs two wake-ups, not n thread starts, and whatever a
// task keeps in thread_local storage (a deflate's working buffers) survives from run to run. The
// workers call neither MPI nor PETSc nor HDF5: only the calling thread does.
#pragma once

#include <mpi.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lpnn {

class Workers {
 public:
  // Fewer threads than asked when the system cannot start them (a thread limit, an address-space limit
  // too small for a stack): size() says how many there are; 1 means the caller alone.
  explicit Workers(int threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  int size() const { return static_cast<int>(threads_.size()) + 1; }
  // task(0) .. task(size() - 1), each once, concurrently; rethrows the first exception (by index) after
  // all have returned.
  void run(const std::function<void(int)>& task);

 private:
  void loop(int index);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  std::uint64_t generation_ = 0;  // runs started; a worker runs each generation once
  int running_ = 0;               // workers still in the current run
  bool stop_ = false;
  std::vector<std::exception_ptr> errors_;  // per index, the current run's
};

// The parts a task is split in on `pool` (its threads), or 1 without one; run_on runs task(0) ..
// task(threads_of(pool) - 1) on the pool, or task(0) on the calling thread.
inline int threads_of(const Workers* pool) { return pool ? pool->size() : 1; }
inline void run_on(Workers* pool, const std::function<void(int)>& task) {
  if (pool)
    pool->run(task);
  else
    task(0);
}

// The cores this rank may use for its own threads: the CPUs in its affinity mask (one under mpirun's
// default binding to a core), shared evenly with the ranks on the same node that see the same CPUs,
// at least 1. Collective over comm.
int cores_per_rank(MPI_Comm comm);

// The threads a rank gives one kind of work: the PETSc option `option` (1-256) if set, else its share
// of the cores (cores_per_rank, at most 64). Collective over comm; a value out of range throws
// CollectiveError on every rank.
int threads_per_rank(MPI_Comm comm, const char* option);

}  // namespace lpnn
