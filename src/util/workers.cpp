#include "lpnn/util/workers.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <system_error>

#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"
#include "lpnn/util/phase.hpp"

namespace lpnn {

Workers::Workers(int threads) {
  errors_.resize(static_cast<std::size_t>(std::max(threads, 1)));
  for (int i = 1; i < threads; ++i) {
    try {
      threads_.emplace_back([this, i] { loop(i); });
    } catch (const std::system_error&) {
      break;  // the caller alone, or with the workers that did start
    }
  }
}

Workers::~Workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void Workers::run(const std::function<void(int)>& task) {
  std::fill(errors_.begin(), errors_.end(), nullptr);
  if (!threads_.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    running_ = static_cast<int>(threads_.size());
    ++generation_;
  }
  wake_.notify_all();
  try {
    task(0);
  } catch (...) {
    errors_[0] = std::current_exception();
  }
  if (!threads_.empty()) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return running_ == 0; });
    task_ = nullptr;
  }
  for (const std::exception_ptr& e : errors_)
    if (e) std::rethrow_exception(e);
}

void Workers::loop(int index) {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* task = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      task = task_;
    }
    try {
      (*task)(index);
    } catch (...) {
      errors_[static_cast<std::size_t>(index)] = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
    }
    done_.notify_one();
  }
}

int cores_per_rank(MPI_Comm comm) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  const int mine = sched_getaffinity(0, sizeof(mask), &mask) == 0 ? CPU_COUNT(&mask) : 1;
  // Ranks on this node whose masks are the same as this one's share those CPUs (mpirun --bind-to none:
  // every rank sees every core); ranks bound to their own cores do not. The mask's first CPU and its
  // count stand for the mask: ranks bound apart differ in the first.
  int first = 0;
  while (first < CPU_SETSIZE && !CPU_ISSET(first, &mask)) ++first;
  const OwnedComm node = node_comm(comm);
  const int sharing = split_comm(node, first * 4096 + mine).size();
  return std::max(1, mine / std::max(sharing, 1));
}

int threads_per_rank(MPI_Comm comm, const char* option) {
  // 64 at most by default: a write step holds a few dozen chunks per dataset, and as many runs of rows.
  const PetscInt cores = std::min(cores_per_rank(comm), 64);
  // A bad value is refused on every rank as one error (rank 0 reports it), not by each rank alone.
  PetscInt threads = 1;
  run_phase(comm, "options", fmt::format("reading {}", option),
            [&] { threads = petsc_option_or(option, cores, 1, 256); });
  return static_cast<int>(threads);
}

}  // namespace lpnn
