#include "lpnn/builder.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "lpnn/cost_template.hpp"
#include "lpnn/error.hpp"
#include "lpnn/provenance.hpp"
#include "lpnn/store.hpp"

namespace lpnn {

LocalPart LocalPart::of_rank(const PolytopeLayout& layout, int rank, int ranks) {
  LocalPart part;
  part.samples = SampleRange::of_rank(layout.D, rank, ranks);
  part.row_begin = part.samples.first * layout.rows_per_sample();
  part.row_end = part.row_begin + part.samples.count * layout.rows_per_sample();
  part.column_begin = rank == 0 ? 0 : layout.lambda_column(part.samples.first, 0);
  part.column_end = layout.lambda_column(part.samples.first + part.samples.count, 0);
  return part;
}

namespace {

// One log stage per pipeline phase so that -log_view explains a build (template, generate, assemble, write).
struct BuildStages {
  PetscLogStage cost_template, generate, assemble, write;
  BuildStages() {
    LPNN_PETSC(PetscLogStageGetId("lpnn: template", &cost_template));
    if (cost_template < 0) {
      LPNN_PETSC(PetscLogStageRegister("lpnn: template", &cost_template));
      LPNN_PETSC(PetscLogStageRegister("lpnn: generate", &generate));
      LPNN_PETSC(PetscLogStageRegister("lpnn: assemble", &assemble));
      LPNN_PETSC(PetscLogStageRegister("lpnn: write", &write));
    } else {
      LPNN_PETSC(PetscLogStageGetId("lpnn: generate", &generate));
      LPNN_PETSC(PetscLogStageGetId("lpnn: assemble", &assemble));
      LPNN_PETSC(PetscLogStageGetId("lpnn: write", &write));
    }
  }
};

class StageTimer {
 public:
  StageTimer(PetscLogStage stage, double& seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {
    LPNN_PETSC(PetscLogStagePush(stage));
  }
  ~StageTimer() {
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    (void)PetscLogStagePop();
  }

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

class Progress {
 public:
  Progress(bool enabled, std::int64_t total) : enabled_(enabled), total_(total), start_(clock::now()), last_(start_) {}
  void update(std::int64_t done) {
    if (!enabled_ || total_ <= 0) return;
    const auto now = clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double fraction = static_cast<double>(done) / static_cast<double>(total_);
    const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    std::fprintf(stderr, "\r[lpnn-build] %5.1f%%  %.1f s elapsed, ETA %.1f s   %s", 100.0 * fraction, elapsed, eta,
                 done >= total_ ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_;
  std::int64_t total_;
  clock::time_point start_, last_;
};

}  // namespace

std::vector<double> build_cost_template(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  std::vector<double> cost(static_cast<std::size_t>(layout.B));
  const SampleRange mine = SampleRange::of_rank(layout.B, rank, ranks);  // the same balanced split, over j
  compute_cost_template(arch, layout, mine.first, std::span<double>(cost).subspan(mine.first, mine.count));
  std::vector<MPI_Count> counts(ranks), displs(ranks);
  for (int r = 0; r < ranks; ++r) {
    const SampleRange range = SampleRange::of_rank(layout.B, r, ranks);
    counts[r] = range.count;
    displs[r] = range.first;
  }
  // MPI 4's large-count variant is not in Open MPI 4.1; fall back to chunked broadcasts past 2^31.
  if (layout.B < (std::int64_t{1} << 31)) {
    std::vector<int> c(ranks), d(ranks);
    for (int r = 0; r < ranks; ++r) {
      c[r] = static_cast<int>(counts[r]);
      d[r] = static_cast<int>(displs[r]);
    }
    LPNN_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, cost.data(), c.data(), d.data(), MPI_DOUBLE, comm));
  } else {
    for (int r = 0; r < ranks; ++r)
      for (MPI_Count done = 0; done < counts[r];) {
        const int n = static_cast<int>(std::min<MPI_Count>(counts[r] - done, 1 << 30));
        LPNN_MPI(MPI_Bcast(cost.data() + displs[r] + done, n, MPI_DOUBLE, r, comm));
        done += n;
      }
  }
  return cost;
}

OwnedMat assemble_matrix(MPI_Comm comm, const PolytopeLayout& layout, const CsrBlock<PetscInt>& block) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const LocalPart part = LocalPart::of_rank(layout, rank, ranks);
  if (block.row_begin != part.row_begin || block.rows() != part.row_end - part.row_begin)
    fail("assemble_matrix: the block holds rows [{}, {}) but rank {} owns [{}, {})", block.row_begin,
         block.row_begin + block.rows(), rank, part.row_begin, part.row_end);
  const PetscInt local_rows = static_cast<PetscInt>(part.row_end - part.row_begin);
  // Exact preallocation from the CSR itself: entries inside the owned column range are "diagonal".
  std::vector<PetscInt> diagonal(local_rows), off_diagonal(local_rows);
  for (PetscInt r = 0; r < local_rows; ++r) {
    PetscInt d = 0;
    for (PetscInt k = block.row_pointer[r]; k < block.row_pointer[r + 1]; ++k)
      d += (block.columns[k] >= part.column_begin && block.columns[k] < part.column_end) ? 1 : 0;
    diagonal[r] = d;
    off_diagonal[r] = block.row_pointer[r + 1] - block.row_pointer[r] - d;
  }
  OwnedMat A;
  LPNN_PETSC(MatCreate(comm, A.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(A.get()), "A"));
  LPNN_PETSC(MatSetSizes(A, local_rows, static_cast<PetscInt>(part.column_end - part.column_begin), layout.rows,
                         layout.cols));
  LPNN_PETSC(MatSetType(A, MATMPIAIJ));
  LPNN_PETSC(MatMPIAIJSetPreallocation(A, 0, diagonal.data(), 0, off_diagonal.data()));
  LPNN_PETSC(MatSetOption(A, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  LPNN_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  LPNN_PETSC(MatSetOption(A, MAT_SORTED_FULL, PETSC_TRUE));
  for (PetscInt r = 0; r < local_rows; ++r) {
    const PetscInt row = static_cast<PetscInt>(part.row_begin) + r;
    const PetscInt begin = block.row_pointer[r];
    LPNN_PETSC(MatSetValues(A, 1, &row, block.row_pointer[r + 1] - begin, block.columns.data() + begin,
                            block.values.data() + begin, INSERT_VALUES));
  }
  LPNN_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  MatInfo info;
  LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
  if (info.mallocs != 0) fail("internal: assembly needed {} mallocs despite exact preallocation", info.mallocs);
  return A;
}

void assemble_in_place(MPI_Comm comm, const PolytopeLayout& layout, AssembledMatrix& assembled) {
  SplitCsr<PetscInt>& s = assembled.storage;
  LPNN_PETSC(MatCreateMPIAIJWithSplitArrays(
      comm, static_cast<PetscInt>(s.rows), static_cast<PetscInt>(s.column_end - s.column_begin), layout.rows,
      layout.cols, s.diagonal_row.get(), s.diagonal_column.get(), s.diagonal_value.get(), s.off_row.get(),
      s.off_column.get(), s.off_value.get(), assembled.matrix.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(assembled.matrix.get()), "A"));
}

void extract_rows(Mat A, std::int64_t begin, std::int64_t end, CsrBlock<PetscInt>& out) {
  // MATMPIAIJ keeps a rank's rows as two SeqAIJ blocks: owned columns (local indices) and the others
  // (compacted indices, mapped back by garray). A global row is: off-diagonal entries left of the
  // owned range, the diagonal block's entries, then off-diagonal entries right of it.
  Mat diagonal, off;
  const PetscInt* garray = nullptr;
  LPNN_PETSC(MatMPIAIJGetSeqAIJ(A, &diagonal, &off, &garray));
  PetscInt row_start = 0, row_stop = 0, column_start = 0, column_stop = 0;
  LPNN_PETSC(MatGetOwnershipRange(A, &row_start, &row_stop));
  LPNN_PETSC(MatGetOwnershipRangeColumn(A, &column_start, &column_stop));
  if (begin < row_start || end > row_stop || begin > end)
    fail("extract_rows: rows [{}, {}) are not within this rank's [{}, {})", begin, end, row_start, row_stop);
  PetscInt nd = 0, no = 0;
  const PetscInt *di, *dj, *oi, *oj;
  PetscBool done_d = PETSC_FALSE, done_o = PETSC_FALSE;
  LPNN_PETSC(MatGetRowIJ(diagonal, 0, PETSC_FALSE, PETSC_FALSE, &nd, &di, &dj, &done_d));
  LPNN_PETSC(MatGetRowIJ(off, 0, PETSC_FALSE, PETSC_FALSE, &no, &oi, &oj, &done_o));
  const PetscScalar *dv, *ov;
  LPNN_PETSC(MatSeqAIJGetArrayRead(diagonal, &dv));
  LPNN_PETSC(MatSeqAIJGetArrayRead(off, &ov));
  const PetscInt first = static_cast<PetscInt>(begin - row_start), last = static_cast<PetscInt>(end - row_start);
  const std::int64_t nnz = (di[last] - di[first]) + (oi[last] - oi[first]);
  out.row_begin = begin;
  out.row_pointer.resize(static_cast<std::size_t>(last - first + 1));
  out.columns.resize(static_cast<std::size_t>(nnz));
  out.values.resize(static_cast<std::size_t>(nnz));
  std::int64_t k = 0;
  out.row_pointer[0] = 0;
  for (PetscInt r = first; r < last; ++r) {
    PetscInt q = oi[r];
    for (; q < oi[r + 1] && garray[oj[q]] < column_start; ++q) {
      out.columns[k] = garray[oj[q]];
      out.values[k++] = ov[q];
    }
    for (PetscInt p = di[r]; p < di[r + 1]; ++p) {
      out.columns[k] = dj[p] + column_start;
      out.values[k++] = dv[p];
    }
    for (; q < oi[r + 1]; ++q) {
      out.columns[k] = garray[oj[q]];
      out.values[k++] = ov[q];
    }
    out.row_pointer[r - first + 1] = static_cast<PetscInt>(k);
  }
  LPNN_PETSC(MatSeqAIJRestoreArrayRead(diagonal, &dv));
  LPNN_PETSC(MatSeqAIJRestoreArrayRead(off, &ov));
  LPNN_PETSC(MatRestoreRowIJ(diagonal, 0, PETSC_FALSE, PETSC_FALSE, &nd, &di, &dj, &done_d));
  LPNN_PETSC(MatRestoreRowIJ(off, 0, PETSC_FALSE, PETSC_FALSE, &no, &oi, &oj, &done_o));
}

std::vector<SampleInterval> share_of_samples(const std::vector<std::uint8_t>& done, std::uint8_t want, int rank,
                                             int ranks) {
  std::vector<SampleInterval> matching;
  std::int64_t total = 0;
  const std::int64_t D = static_cast<std::int64_t>(done.size());
  for (std::int64_t d = 0; d < D;) {
    if (done[d] != want) {
      ++d;
      continue;
    }
    std::int64_t e = d;
    while (e < D && done[e] == want) ++e;
    matching.push_back({d, e});
    total += e - d;
    d = e;
  }
  const SampleRange mine = SampleRange::of_rank(total, rank, ranks);  // positions in the matching sequence
  std::vector<SampleInterval> out;
  std::int64_t position = 0;
  for (const SampleInterval& run : matching) {
    const std::int64_t lo = std::max(position, mine.first), hi = std::min(position + run.count(), mine.first + mine.count);
    if (lo < hi) out.push_back({run.first + (lo - position), run.first + (hi - position)});
    position += run.count();
  }
  return out;
}

std::vector<WriteStep> plan_write_steps(const PolytopeLayout& layout, const std::vector<SampleInterval>& samples,
                                        bool with_x_columns, std::int64_t chunk_rows, std::int64_t chunk_columns) {
  chunk_rows = std::max<std::int64_t>(1, chunk_rows);
  chunk_columns = std::max<std::int64_t>(1, chunk_columns);
  std::vector<WriteStep> steps;
  if (with_x_columns)
    for (std::int64_t c = 0; c < layout.M; c += chunk_columns)
      steps.push_back({0, 0, c, std::min(c + chunk_columns, layout.M), {}});
  const std::int64_t per_sample = layout.rows_per_sample();
  for (const SampleInterval& interval : samples) {
    std::int64_t row = interval.first * per_sample, column = layout.lambda_column(interval.first, 0);
    std::int64_t completed = interval.first;
    const std::int64_t row_end = interval.end * per_sample, column_end = layout.lambda_column(interval.end, 0);
    while (row < row_end || column < column_end) {
      WriteStep step;
      step.row_begin = row;
      step.row_end = row = std::min(row + chunk_rows, row_end);
      // Objective entries only of samples whose rows are all written: a sample is complete with its
      // last objective entry.
      const std::int64_t rows_complete = row / per_sample;
      step.column_begin = column;
      step.column_end = column = std::min(column + chunk_columns, layout.lambda_column(rows_complete, 0));
      const std::int64_t now_complete = (column - layout.M) / layout.B;
      step.completes = {completed, now_complete};
      completed = now_complete;
      steps.push_back(step);
    }
  }
  return steps;
}

namespace {

// The objective on columns [begin, end): λ_R·R(θ(a)) on X, c[j]/D on each bag (design doc §3).
void objective_entries(const Architecture& arch, const PolytopeLayout& layout, const std::vector<double>& cost,
                       std::int64_t begin, std::int64_t end, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(end - begin));
  const double weight = 1.0 / static_cast<double>(layout.D);
  for (std::int64_t column = begin; column < end;) {
    const std::int64_t k = column - begin;
    if (column < layout.M) {
      const std::int64_t stop = std::min(end, layout.M);
      compute_regularizer_costs(arch, layout, column, std::span<double>(out).subspan(k, stop - column));
      column = stop;
    } else {
      out[k] = cost[(column - layout.M) % layout.B] * weight;
      ++column;
    }
  }
}

struct FaultInjection {
  enum class Kind { None, Kill, Error } kind = Kind::None;
  PetscInt rank = 0, step = 0;
  static FaultInjection from_options() {
    FaultInjection f;
    char kind[16] = "";
    PetscBool set = PETSC_FALSE;
    LPNN_PETSC(PetscOptionsGetString(nullptr, nullptr, "-lpnn_fault", kind, sizeof kind, &set));
    if (!set) return f;
    const std::string k = kind;
    if (k != "kill" && k != "error") fail("-lpnn_fault must be kill or error, not \"{}\"", k);
    f.kind = k == "kill" ? Kind::Kill : Kind::Error;
    LPNN_PETSC(PetscOptionsGetInt(nullptr, nullptr, "-lpnn_fault_rank", &f.rank, nullptr));
    LPNN_PETSC(PetscOptionsGetInt(nullptr, nullptr, "-lpnn_fault_step", &f.step, nullptr));
    return f;
  }
  // After step `step` on `rank`: dies, or returns the error a failed write would give.
  std::string after_step(int rank_now, std::int64_t step_now, const std::string& path) const {
    if (kind == Kind::None || rank_now != rank || step_now != step) return {};
    if (kind == Kind::Kill) std::raise(SIGKILL);
    return fmt::format("writing to {} failed: No space left on device (injected by -lpnn_fault error after step {})",
                       path, step_now);
  }
};

// What rank 0 finds at the output path, agreed by all ranks: how this build starts.
enum class Start { Fresh, Resume, AlreadyComplete };

Start decide_start(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout, const BuildOptions& options) {
  int rank = 0;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  std::string error;
  int start = static_cast<int>(Start::Fresh);
  if (rank == 0) {
    try {
      namespace fs = std::filesystem;
      std::error_code ec;
      const std::string partial = partial_path(options.output);
      const bool partial_exists = fs::exists(partial, ec);
      if (options.resume && !partial_exists && fs::exists(options.output, ec) && !options.force) {
        // Rerunning a finished build (e.g. a requeued job whose build had completed): nothing to do if
        // the file there is this very polytope.
        PolytopeMetadata meta;
        try {
          meta = read_polytope_metadata(options.output);
        } catch (const Error& e) {
          fail("{} exists but is not a complete polytope ({}); pass --force to replace it", options.output, e.what());
        }
        if (meta.arch.to_json() != arch.to_json() || meta.layout.D != layout.D || meta.layout.grid.param != layout.grid.param ||
            meta.layout.grid.input != layout.grid.input || meta.layout.grid.output != layout.grid.output)
          fail("{} already exists and holds another polytope (spec, samples or grid differ); pass --force to replace "
               "it, or choose another path", options.output);
        start = static_cast<int>(Start::AlreadyComplete);
      } else {
        check_output_path(options.output, options.force);
        if (options.resume && partial_exists) {
          start = static_cast<int>(Start::Resume);
        } else if (partial_exists && !options.force) {
          fail("an unfinished build of {} is at {}; pass --resume to finish it, or --force to start over", options.output,
               partial);
        }
      }
    } catch (const Error& e) {
      error = e.what();
    }
  }
  throw_if_root_failed(comm, error);
  LPNN_MPI(MPI_Bcast(&start, 1, MPI_INT, 0, comm));
  return static_cast<Start>(start);
}

}  // namespace

BuildReport build_polytope(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options) {
  if (!plan.refusal.empty()) throw CollectiveError("refused: " + plan.refusal);
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const PolytopeLayout& layout = plan.layout;
  const auto start = std::chrono::steady_clock::now();
  BuildReport report;
  report.layout = layout;
  report.ranks = ranks;
  const FaultInjection fault = FaultInjection::from_options();

  // 1. Refuse a bad output path before any work, the same way on every rank; find an unfinished build.
  const Start how = decide_start(comm, arch, layout, options);
  if (how == Start::AlreadyComplete) {
    report.already_complete = report.resumed = true;
    report.resumed_samples = layout.D;
    return report;
  }
  report.resumed = how == Start::Resume;
  // A resumed build's shares of the remaining samples are not the matrix's row blocks: it streams.
  report.streaming = options.streaming || report.resumed;

  BuildStages stages;
  const LocalPart part = LocalPart::of_rank(layout, rank, ranks);

  // 2. Cost template, computed in parallel and shared by all ranks.
  std::vector<double> cost;
  {
    StageTimer timer(stages.cost_template, report.template_seconds);
    cost = build_cost_template(comm, arch, layout);
  }

  PolytopeWriter writer(comm, options.output, {arch, layout, plan.lipschitz_bmp, plan.lipschitz_numeric},
                        report.resumed ? WriterMode::Resume : WriterMode::Create);
  const std::int64_t per_row = std::max<std::int64_t>(1, layout.nnz_per_sample() / layout.rows_per_sample());
  const std::int64_t chunk_rows = std::max<std::int64_t>(1, options.chunk_nonzeros / per_row);
  // At least 64 Ki objective entries (512 KiB) per write, so that tiny row chunks do not mean one
  // collective write per column.
  const std::int64_t chunk_columns = std::max<std::int64_t>(1 << 16, options.chunk_nonzeros);

  // 3. What this rank writes: its own samples in a fresh build; its share of the missing ones when
  // resuming, and its share of those already on disk, regenerated only for the checksums.
  std::vector<SampleInterval> to_write{{part.samples.first, part.samples.first + part.samples.count}};
  std::vector<SampleInterval> on_disk;
  if (report.resumed) {
    const std::vector<std::uint8_t> done = writer.samples_done();
    report.resumed_samples = std::count(done.begin(), done.end(), std::uint8_t{1});
    to_write = share_of_samples(done, 0, rank, ranks);
    on_disk = share_of_samples(done, 1, rank, ranks);
  }
  const std::vector<WriteStep> steps = plan_write_steps(layout, to_write, rank == 0, chunk_rows, chunk_columns);
  std::int64_t rows_to_write = 0;
  for (const WriteStep& s : steps) rows_to_write += s.row_end - s.row_begin;
  Progress progress(options.progress && rank == 0, rows_to_write);

  // 4. Assembled mode: the rank's rows generated once, straight into the arrays PETSc's MATMPIAIJ
  // uses in place (no copy, no MatSetValues); the file is then written from the matrix.
  AssembledMatrix assembled;
  if (!report.streaming) {
    {
      StageTimer timer(stages.generate, report.generate_seconds);
      generate_split_rows(layout, part.row_begin, part.row_end, part.column_begin, part.column_end, assembled.storage);
    }
    StageTimer timer(stages.assemble, report.assemble_seconds);
    assemble_in_place(comm, layout, assembled);
    MatInfo info;
    LPNN_PETSC(MatGetInfo(assembled.matrix, MAT_GLOBAL_SUM, &info));
    report.assembly_mallocs = info.mallocs;
  }

  // 5. The steps, in lockstep over all ranks: rows from the matrix (assembled) or generated on the fly
  // (streaming), right-hand sides, objective entries; the ledger records completed samples at least
  // every checkpoint_seconds, after an fsync of their bytes.
  CsrBlock<PetscInt> block;
  std::vector<double> rhs, objective;
  const auto emit_step = [&](const WriteStep& s, Emit emit) {
    // The buffers keep their capacity from step to step: fresh pages cost a fault and a zeroing each,
    // as much as the write itself on some machines.
    block.row_begin = 0;
    block.row_pointer.assign(1, 0);
    block.columns.clear();
    block.values.clear();
    if (s.row_end > s.row_begin) {
      if (report.streaming) {
        StageTimer timer(stages.generate, report.generate_seconds);
        generate_rows(layout, s.row_begin, s.row_end, block);
      } else {
        StageTimer timer(stages.write, report.write_seconds);
        extract_rows(assembled.matrix, s.row_begin, s.row_end, block);
      }
    }
    StageTimer timer(stages.write, report.write_seconds);
    writer.write_rows(block, emit);
    rhs.resize(static_cast<std::size_t>(s.row_end - s.row_begin));
    generate_rhs(layout, s.row_begin, rhs);
    writer.write_rhs(s.row_begin, rhs, emit);
    objective_entries(arch, layout, cost, s.column_begin, s.column_end, objective);
    writer.write_objective(s.column_begin, objective, emit);
  };
  std::int64_t step_count = static_cast<std::int64_t>(steps.size()), max_steps = 0, rows_done = 0;
  LPNN_MPI(MPI_Allreduce(&step_count, &max_steps, 1, MPI_INT64_T, MPI_MAX, comm));
  std::vector<std::pair<std::int64_t, std::int64_t>> pending;  // completed samples not yet in the ledger
  auto last_checkpoint = std::chrono::steady_clock::now();
  try {
    for (std::int64_t k = 0; k < max_steps; ++k) {
      const WriteStep step = k < step_count ? steps[k] : WriteStep{};
      emit_step(step, Emit::Write);
      if (step.completes.count() > 0) pending.emplace_back(step.completes.first, step.completes.end);
      rows_done += step.row_end - step.row_begin;
      progress.update(rows_done);
      // Rank 0's clock decides, so every rank takes part in the same collective ledger writes.
      int checkpoint = k + 1 == max_steps || std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                                           last_checkpoint).count() >= options.checkpoint_seconds;
      LPNN_MPI(MPI_Bcast(&checkpoint, 1, MPI_INT, 0, comm));
      if (checkpoint) {
        StageTimer timer(stages.write, report.write_seconds);
        writer.record_samples_done(pending);
        pending.clear();
        last_checkpoint = std::chrono::steady_clock::now();
      }
      // Every rank reads the same command line, so all agree whether this collective runs at all.
      if (fault.kind != FaultInjection::Kind::None)
        throw_if_any_failed(comm, fault.after_step(rank, k, writer.temporary_path()), "writing the polytope");
    }
    block = CsrBlock<PetscInt>();
    assembled = AssembledMatrix();

    // 6. Samples already on disk (resume): regenerated for their checksums only; no I/O.
    for (const WriteStep& s : plan_write_steps(layout, on_disk, false, chunk_rows, chunk_columns))
      emit_step(s, Emit::ChecksumOnly);
    {
      StageTimer timer(stages.write, report.write_seconds);
      const SampleRange share = SampleRange::of_rank(layout.B, rank, ranks);
      writer.write_template(share.first, std::span<const double>(cost).subspan(share.first, share.count));
    }
  } catch (const CollectiveError& e) {
    if (!writer.resumable()) throw;
    std::int64_t on_disk_now = 0;
    if (rank == 0) {
      try {
        const std::vector<std::uint8_t> done = writer.samples_done();
        on_disk_now = std::count(done.begin(), done.end(), std::uint8_t{1});
      } catch (const Error&) {
        on_disk_now = -1;
      }
    }
    throw CollectiveError(fmt::format("{}\n  the unfinished build is kept: {} of {} samples are on disk in {}; rerun "
                                      "with --resume (on any number of ranks) to finish it", e.what(),
                                      on_disk_now < 0 ? std::string("some") : std::to_string(on_disk_now), layout.D,
                                      writer.temporary_path()));
  }
  std::int64_t local_bytes = writer.bytes_written();
  LPNN_MPI(MPI_Allreduce(&local_bytes, &report.bytes_written, 1, MPI_INT64_T, MPI_SUM, comm));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  LPNN_MPI(MPI_Bcast(&seconds, 1, MPI_DOUBLE, 0, comm));
  {
    StageTimer timer(stages.write, report.write_seconds);
    writer.commit({{"lpnn_version", LPNN_VERSION},
                   {"ranks", static_cast<std::int64_t>(ranks)},
                   {"mode", report.resumed ? "resumed" : report.streaming ? "streaming" : "assembled"},
                   {"resumed_samples", report.resumed_samples},
                   {"created_utc", utc_timestamp()},
                   {"build_seconds", seconds}});
  }
  report.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.hdf5_write_seconds = writer.seconds().hdf5_write;
  report.checksum_seconds = writer.seconds().checksum;
  report.sync_seconds = writer.seconds().sync;
  // The slowest rank decides the wall time of each stage.
  for (double* t : {&report.template_seconds, &report.generate_seconds, &report.assemble_seconds,
                    &report.write_seconds, &report.total_seconds, &report.hdf5_write_seconds,
                    &report.checksum_seconds, &report.sync_seconds})
    LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, t, 1, MPI_DOUBLE, MPI_MAX, comm));
  return report;
}

nlohmann::json BuildReport::to_json() const {
  const double gen = generate_seconds + assemble_seconds;
  return {{"rows", layout.rows},
          {"columns", layout.cols},
          {"nonzeros", layout.nnz},
          {"ranks", ranks},
          {"mode", streaming ? "streaming" : "assembled"},
          {"resumed", resumed},
          {"resumed_samples", resumed_samples},
          {"already_complete", already_complete},
          {"seconds", {{"template", template_seconds}, {"generate", generate_seconds}, {"assemble", assemble_seconds},
                       {"write", write_seconds}, {"total", total_seconds}, {"hdf5_write", hdf5_write_seconds},
                       {"checksum", checksum_seconds}, {"sync", sync_seconds}}},
          {"nonzeros_per_second_per_rank", gen > 0 ? static_cast<double>(layout.nnz) / gen / ranks : 0.0},
          {"bytes_written", bytes_written},
          {"write_mb_per_second", write_seconds > 0 ? static_cast<double>(bytes_written) / 1e6 / write_seconds : 0.0},
          // The disk-facing part alone: H5Dwrite calls plus the syncs that put their bytes on disk.
          {"hdf5_write_mb_per_second", hdf5_write_seconds + sync_seconds > 0
                                           ? static_cast<double>(bytes_written) / 1e6 / (hdf5_write_seconds + sync_seconds)
                                           : 0.0}};
}

std::string BuildReport::to_text() const {
  const nlohmann::json j = to_json();
  if (already_complete)
    return fmt::format("the {} x {} polytope, {} nonzeros, is already complete: nothing to resume\n", layout.rows,
                       layout.cols, layout.nnz);
  std::string s = fmt::format("built {} x {} polytope, {} nonzeros, on {} rank(s), {} mode\n", layout.rows, layout.cols,
                              layout.nnz, ranks, streaming ? "streaming" : "assembled");
  s += fmt::format("  template {:.3f} s, generate {:.3f} s, assemble {:.3f} s, write {:.3f} s, total {:.3f} s\n",
                   template_seconds, generate_seconds, assemble_seconds, write_seconds, total_seconds);
  s += fmt::format("  {:.3g} nonzeros/s per rank (generate + assemble), {} written at {:.1f} MB/s\n",
                   j["nonzeros_per_second_per_rank"].get<double>(), human_bytes(static_cast<double>(bytes_written)),
                   j["write_mb_per_second"].get<double>());
  s += fmt::format("  write = H5Dwrite {:.3f} s + sync {:.3f} s ({:.1f} MB/s) + CRC-32 {:.3f} s + the rest\n",
                   hdf5_write_seconds, sync_seconds, j["hdf5_write_mb_per_second"].get<double>(), checksum_seconds);
  if (resumed)
    s += fmt::format("  resumed: {} of {} samples were already on disk; wrote the other {}\n", resumed_samples, layout.D,
                     layout.D - resumed_samples);
  return s;
}

}  // namespace lpnn
