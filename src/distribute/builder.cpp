#include "lpnn/distribute/builder.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <span>

#include "lpnn/bags/block_layout.hpp"
#include "lpnn/distribute/assembly.hpp"
#include "lpnn/distribute/distribution.hpp"
#include "lpnn/distribute/start.hpp"
#include "lpnn/distribute/write_steps.hpp"
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/fast_deflate.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/writer.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"
#include "lpnn/util/phase.hpp"
#include "lpnn/util/progress.hpp"
#include "lpnn/util/provenance.hpp"
#include "lpnn/util/units.hpp"
#include "lpnn/util/workers.hpp"

namespace lpnn {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// One build, phase by phase. Every rank runs the same sequence of collectives.
class PolytopeBuild {
 public:
  PolytopeBuild(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options,
                BuildReport& report)
      : comm_(comm),
        arch_(arch),
        layout_(plan.layout),
        options_(options),
        report_(report),
        fault_(FaultInjection::from_options()) {
    LPNN_MPI(MPI_Comm_rank(comm, &rank_));
    LPNN_MPI(MPI_Comm_size(comm, &ranks_));
    part_ = LocalPart::of_rank(layout_, rank_, ranks_);
    const std::int64_t per_row = std::max<std::int64_t>(1, layout_.nnz_per_sample() / layout_.rows_per_sample());
    chunk_rows_ = std::max<std::int64_t>(1, options.chunk_nonzeros / per_row);
    // At least 64 Ki objective entries (512 KiB) per write, so that tiny row chunks do not mean one
    // collective write per column.
    chunk_columns_ = std::max<std::int64_t>(1 << 16, options.chunk_nonzeros);
    // Rows are generated on this rank's share of the cores (collective), unless set.
    const int threads = threads_per_rank(comm_, "-lpnn_generate_threads");
    if (threads > 1) generators_ = std::make_unique<Workers>(threads);
  }

  // 2. Cost template, computed in parallel and shared by all ranks.
  void compute_template() {
    StageScope scope(stages_.cost_template, report_.template_seconds);
    // A block layout's template is its one-sample objective, already on every rank.
    cost_ = layout_.block ? layout_.block->sample_objective : build_cost_template(comm_, arch_, layout_);
  }

  // 3. What this rank writes: its own samples in a fresh build; its share of the missing ones when
  // resuming, and its share of those already on disk, regenerated only for the checksums.
  void plan_work(const PolytopeWriter& writer) {
    run_phase(comm_, "plan", "planning its writes", [&] {
      to_write_ = {{part_.samples.first, part_.samples.first + part_.samples.count}};
      if (report_.resumed) {
        const std::vector<std::uint8_t> done = writer.samples_done();
        report_.resumed_samples = std::count(done.begin(), done.end(), std::uint8_t{1});
        to_write_ = share_of_samples(done, 0, rank_, ranks_);
        on_disk_ = share_of_samples(done, 1, rank_, ranks_);
      }
      compressed_ = writer.storage().compressed();
      if (compressed_) align_steps_to_samples(writer.filter_threads());
      steps_ = plan_write_steps(layout_, to_write_, rank_ == 0, chunk_rows_, chunk_columns_);
      report_.step_rows = chunk_rows_;
    });
    report_.storage = writer.storage().to_string();
  }

  // 4. Assembled mode: the rank's rows generated once, straight into the arrays PETSc's MATMPIAIJ
  // uses in place (no copy, no MatSetValues); the file is then written from the matrix.
  void generate_and_assemble() {
    if (report_.streaming) return;
    run_phase(comm_, "generate", "generating the rows of its samples", [&] {
      StageScope scope(stages_.generate, report_.generate_seconds);
      generate_layout_split_rows(layout_, part_.row_begin, part_.row_end, part_.column_begin, part_.column_end,
                                 assembled_.storage, threads_of(generators_.get()), run_generators_);
    });
    run_phase(comm_, "assemble", "assembling the PETSc matrix", [&] {
      StageScope scope(stages_.assemble, report_.assemble_seconds);
      assemble_in_place(comm_, layout_, assembled_);
      MatInfo info;
      LPNN_PETSC(MatGetInfo(assembled_.matrix, MAT_GLOBAL_SUM, &info));
      report_.assembly_mallocs = info.mallocs;
    });
  }

  // 5-6. The steps, then the samples already on disk (resume: checksums only) and the template. A
  // failure after samples were recorded keeps the unfinished file and says how to finish it.
  void write(PolytopeWriter& writer) {
    try {
      write_steps(writer);
      block_ = CsrBlock<PetscInt>();
      assembled_ = AssembledMatrix();
      // No communication here (rank-local checksums): one agreement for the whole loop.
      run_phase(comm_, "regenerate", "regenerating the samples on disk for their checksums", [&] {
        for (const WriteStep& s : plan_write_steps(layout_, on_disk_, false, chunk_rows_, chunk_columns_))
          emit_step(writer, s, Emit::ChecksumOnly);
      });
      StageScope scope(stages_.write, report_.write_seconds);
      const SampleRange share = SampleRange::of_rank(layout_.B, rank_, ranks_);
      writer.write_template(share.first, std::span<const double>(cost_).subspan(share.first, share.count));
      if (compressed_) write_objective_chunks(writer);
    } catch (const CollectiveError& e) {
      rethrow_kept(writer, e);
    }
  }

  // 7. Checksums and attributes, then the rename into place; the report's times are the slowest rank's.
  void commit(PolytopeWriter& writer, Clock::time_point start) {
    std::int64_t local_bytes = writer.bytes_written();
    LPNN_MPI(MPI_Allreduce(&local_bytes, &report_.bytes_written, 1, MPI_INT64_T, MPI_SUM, comm_));
    double seconds = seconds_since(start);
    LPNN_MPI(MPI_Bcast(&seconds, 1, MPI_DOUBLE, 0, comm_));
    try {
      StageScope scope(stages_.write, report_.write_seconds);
      writer.commit({{"lpnn_version", LPNN_VERSION},
                     {"ranks", static_cast<std::int64_t>(ranks_)},
                     {"mode", report_.resumed     ? "resumed"
                              : report_.streaming ? "streaming"
                                                  : "assembled"},
                     {"resumed_samples", report_.resumed_samples},
                     {"created_utc", utc_timestamp()},
                     {"build_seconds", seconds}});
    } catch (const CollectiveError& e) {
      rethrow_kept(writer, e);
    }
    report_.total_seconds = seconds_since(start);
    const std::int64_t isal_chunks = h5::fast_deflate_chunks() - isal_chunks_at_start_;
    LPNN_MPI(MPI_Allreduce(&isal_chunks, &report_.isal_chunks, 1, MPI_INT64_T, MPI_SUM, comm_));
    const std::int64_t direct_chunks = writer.direct_chunks();
    LPNN_MPI(MPI_Allreduce(&direct_chunks, &report_.direct_chunks, 1, MPI_INT64_T, MPI_SUM, comm_));
    const std::int64_t filter_threads = writer.filter_threads();
    LPNN_MPI(MPI_Allreduce(&filter_threads, &report_.filter_threads, 1, MPI_INT64_T, MPI_MAX, comm_));
    const std::int64_t generate_threads = threads_of(generators_.get());
    LPNN_MPI(MPI_Allreduce(&generate_threads, &report_.generate_threads, 1, MPI_INT64_T, MPI_MAX, comm_));
    report_.hdf5_write_seconds = writer.seconds().hdf5_write;
    report_.checksum_seconds = writer.seconds().checksum;
    report_.sync_seconds = writer.seconds().sync;
    for (double* t :
         {&report_.template_seconds, &report_.generate_seconds, &report_.assemble_seconds, &report_.write_seconds,
          &report_.total_seconds, &report_.hdf5_write_seconds, &report_.checksum_seconds, &report_.sync_seconds})
      LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, t, 1, MPI_DOUBLE, MPI_MAX, comm_));
  }

 private:
  // One log stage per pipeline phase, so that -log_view explains a build.
  struct Stages {
    PetscLogStage cost_template = log_stage("lpnn: template"), generate = log_stage("lpnn: generate"),
                  assemble = log_stage("lpnn: assemble"), write = log_stage("lpnn: write");
  };

  // The steps in lockstep over all ranks (padded with empty ones); the ledger records completed
  // samples at least every checkpoint_seconds, after an fsync of their bytes.
  void write_steps(PolytopeWriter& writer) {
    std::int64_t rows_to_write = 0;
    for (const WriteStep& s : steps_) rows_to_write += s.row_end - s.row_begin;
    Progress progress(options_.progress && rank_ == 0, rows_to_write);
    std::int64_t step_count = static_cast<std::int64_t>(steps_.size()), max_steps = 0, rows_done = 0;
    LPNN_MPI(MPI_Allreduce(&step_count, &max_steps, 1, MPI_INT64_T, MPI_MAX, comm_));
    std::vector<std::pair<std::int64_t, std::int64_t>> pending;  // completed samples not yet in the ledger
    auto last_checkpoint = Clock::now();
    const bool guard_space = writer.storage().compressed();
    for (std::int64_t k = 0; k < max_steps; ++k) {
      const WriteStep step = k < step_count ? steps_[k] : WriteStep{};
      if (guard_space) check_free_space(writer, step, pending);
      emit_step(writer, step, Emit::Write, k);
      if (step.completes.count() > 0) pending.emplace_back(step.completes.first, step.completes.end);
      rows_done += step.row_end - step.row_begin;
      progress.update(rows_done);
      // Rank 0's clock decides, so every rank takes part in the same collective ledger writes.
      int checkpoint = k + 1 == max_steps || seconds_since(last_checkpoint) >= options_.checkpoint_seconds;
      LPNN_MPI(MPI_Bcast(&checkpoint, 1, MPI_INT, 0, comm_));
      if (checkpoint) {
        StageScope scope(stages_.write, report_.write_seconds);
        writer.record_samples_done(pending);
        pending.clear();
        last_checkpoint = Clock::now();
      }
      // Every rank reads the same command line, so all agree whether this collective runs at all.
      if (fault_.kind != FaultInjection::Kind::None)
        throw_if_any_failed(comm_, fault_.after_step(rank_, k, writer.temporary_path()), "writing the polytope");
    }
  }

  // Compressed files grow by an amount known only once written, so nothing reserved their space: each
  // step first checks that the file system can take the step uncompressed (deflate never grows data by
  // more than a few bytes per chunk). When it cannot, the samples written so far are recorded and
  // the build stops, agreed on every rank, with a partial that --resume finishes after space is freed.
  void check_free_space(PolytopeWriter& writer, const WriteStep& step,
                        std::vector<std::pair<std::int64_t, std::int64_t>>& pending) {
    const std::int64_t rows = step.row_end - step.row_begin;
    const std::int64_t nnz =
        rows > 0 ? layout_.nnz_before_row(step.row_end) - layout_.nnz_before_row(step.row_begin) : 0;
    double need[2] = {static_cast<double>(8 * (2 * rows + 2 * nnz + step.column_end - step.column_begin)), 0.0};
    LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, need, 1, MPI_DOUBLE, MPI_SUM, comm_));
    need[0] += 4 << 20;  // chunk index and metadata growth
    if (rank_ == 0) need[1] = static_cast<double>(free_space_bytes(writer.temporary_path()));
    LPNN_MPI(MPI_Bcast(need, 2, MPI_DOUBLE, 0, comm_));
    if (need[1] < 0 || need[1] >= need[0]) return;
    writer.record_samples_done(pending);
    pending.clear();
    throw CollectiveError(
        fmt::format("the output's file system has {} free, but the next write step may need up to {}; free some space",
                    human_bytes(need[1]), human_bytes(need[0])));
  }

  // Compressed files: steps of whole samples fill whole chunks (hdf5/format.hpp), so no chunk the
  // ledger vouches for is ever rewritten by a later step. A step of more samples than the rank has
  // filter threads holds a multiple of them, so that its chunks share out evenly (with 3 one-sample
  // chunks on 2 threads, one thread waits through half of every write).
  void align_steps_to_samples(int filter_threads) {
    const std::int64_t rows = layout_.rows_per_sample(), columns = layout_.B;
    std::int64_t samples = std::max<std::int64_t>(1, chunk_rows_ / rows);
    if (samples > filter_threads) samples -= samples % filter_threads;
    chunk_rows_ = samples * rows;
    chunk_columns_ = std::max<std::int64_t>(1, chunk_columns_ / columns) * columns;
  }

  // Rows from the matrix (assembled) or generated on the fly (streaming), right-hand sides, objective
  // entries. The buffers keep their capacity from step to step: fresh pages cost a fault and a
  // zeroing each, as much as the write itself on some machines.
  // A written step's rows are prepared rank-locally and agreed on before its collective writes.
  void emit_step(PolytopeWriter& writer, const WriteStep& s, Emit emit, std::int64_t step = -1) {
    CsrRowsView<PetscInt> in_place;
    const bool direct = emit == Emit::Write && !report_.streaming && rows_in_place(s, in_place);
    const auto prepare = [&] {
      block_.row_begin = 0;
      block_.row_pointer.assign(1, 0);
      // Generation and extraction resize the arrays to the step and write every entry: not clearing
      // them first keeps a reused capacity from being zero-filled again at every step.
      if (s.row_end <= s.row_begin || direct) {
        block_.columns.clear();
        block_.values.clear();
      } else {
        if (report_.streaming) {
          StageScope scope(stages_.generate, report_.generate_seconds);
          generate_streamed_rows(s);
        } else {
          StageScope scope(stages_.write, report_.write_seconds);
          extract_rows(assembled_.matrix, s.row_begin, s.row_end, block_);
        }
      }
      rhs_.resize(static_cast<std::size_t>(s.row_end - s.row_begin));
      generate_layout_rhs(layout_, s.row_begin, rhs_);
      // A compressed file's /lp/c is written once, in whole chunks, after the samples.
      if (!compressed_) objective_entries(arch_, layout_, cost_, s.column_begin, s.column_end, objective_);
    };
    if (emit == Emit::Write)
      run_phase(comm_, report_.streaming ? "generate" : "extract",
                fmt::format("{} the rows of write step {}", report_.streaming ? "generating" : "extracting", step),
                prepare, step);
    else
      prepare();
    StageScope scope(stages_.write, report_.write_seconds);
    if (direct)
      writer.write_rows(in_place, emit);
    else
      writer.write_rows(block_, emit);
    writer.write_rhs(s.row_begin, rhs_, emit);
    if (!compressed_) writer.write_objective(s.column_begin, objective_, emit);  // compressed: at the end
  }

  // A streamed step's rows, one run of rows per generating thread (the block is the same whatever the
  // count: generate_layout_rows in block_layout.hpp).
  void generate_streamed_rows(const WriteStep& s) {
    generate_layout_rows(layout_, s.row_begin, s.row_end, block_, threads_of(generators_.get()), run_generators_);
  }

  // Assembled mode: the step's rows straight from the matrix's storage (the arrays PETSc uses in
  // place), when they are stored as the file stores them: this rank owns the first columns, so the
  // diagonal block's local column indices are the global ones, and the rows have no off-diagonal
  // entries. That is every row at one rank, and rank 0's at any rank count; other ranks' rows merge
  // the two blocks (extract_rows).
  bool rows_in_place(const WriteStep& s, CsrRowsView<PetscInt>& view) const {
    const SplitCsr<PetscInt>& m = assembled_.storage;
    if (s.row_end <= s.row_begin || m.column_begin != 0 || !m.diagonal_row) return false;
    const std::int64_t first = s.row_begin - m.row_begin, last = s.row_end - m.row_begin;
    if (first < 0 || last > m.rows || m.off_row[first] != m.off_row[last]) return false;
    view = {s.row_begin, last - first, m.diagonal_row.get() + first, m.diagonal_column.get(), m.diagonal_value.get()};
    return true;
  }

  // Compressed files: /lp/c (the template's costs, no sample data) once every sample is on disk, in
  // whole chunks, each rank a balanced run of them, a few chunks per write: every chunk written once,
  // by one rank. A resumed build writes it again in full.
  void write_objective_chunks(PolytopeWriter& writer) {
    const std::int64_t chunk = chunk_elements(layout_, "/lp/c"), per_write = 4;
    const SampleRange mine = SampleRange::of_rank((layout_.cols + chunk - 1) / chunk, rank_, ranks_);
    std::int64_t writes = (mine.count + per_write - 1) / per_write, max_writes = 0;
    LPNN_MPI(MPI_Allreduce(&writes, &max_writes, 1, MPI_INT64_T, MPI_MAX, comm_));
    for (std::int64_t k = 0; k < max_writes; ++k) {
      const std::int64_t first = mine.first + std::min(k * per_write, mine.count);
      const std::int64_t last = mine.first + std::min((k + 1) * per_write, mine.count);
      const std::int64_t begin = std::min(first * chunk, layout_.cols), end = std::min(last * chunk, layout_.cols);
      run_phase(comm_, "objective", "computing the objective entries",
                [&] { objective_entries(arch_, layout_, cost_, begin, end, objective_); });
      writer.write_objective(begin, objective_);
    }
  }

  // An agreed failure after samples were recorded keeps the unfinished file: say how to finish it.
  [[noreturn]] void rethrow_kept(const PolytopeWriter& writer, const CollectiveError& e) const {
    if (!writer.resumable()) throw e;
    throw CollectiveError(fmt::format(
        "{}\n  the unfinished build is kept: {} of {} samples are on disk in {}; rerun with --resume (on any number "
        "of ranks) to finish it",
        e.what(), samples_on_disk(writer), layout_.D, writer.temporary_path()));
  }

  // Rank 0's count of the samples the ledger records, as text ("some" if the ledger cannot be read).
  std::string samples_on_disk(const PolytopeWriter& writer) const {
    if (rank_ != 0) return "some";
    try {
      const std::vector<std::uint8_t> done = writer.samples_done();
      return std::to_string(std::count(done.begin(), done.end(), std::uint8_t{1}));
    } catch (const Error&) {
      return "some";
    }
  }

  MPI_Comm comm_;
  const Architecture& arch_;
  const PolytopeLayout& layout_;
  const BuildOptions& options_;
  BuildReport& report_;
  FaultInjection fault_;
  int rank_ = 0, ranks_ = 1;
  LocalPart part_;
  std::int64_t chunk_rows_ = 1, chunk_columns_ = 1;
  const std::int64_t isal_chunks_at_start_ = h5::fast_deflate_chunks();
  bool compressed_ = false;  // the file's storage (a resumed build's is the unfinished file's)
  Stages stages_;
  std::vector<double> cost_;
  std::vector<SampleInterval> to_write_, on_disk_;
  std::vector<WriteStep> steps_;
  AssembledMatrix assembled_;
  CsrBlock<PetscInt> block_;
  std::unique_ptr<Workers> generators_;  // null: one thread
  // Runs a generation task's parts on generators_ (generate_layout_rows' `run`).
  const std::function<void(const std::function<void(int)>&)> run_generators_ =
      [this](const std::function<void(int)>& task) { run_on(generators_.get(), task); };
  std::vector<double> rhs_, objective_;
};

}  // namespace

namespace {

// A resumed compressed file is read back once: its chunks went through HDF5's chunk index across a
// crash, and the checksums (of what the file must hold) decide whether it holds it. A file that fails
// is removed, never left looking complete.
void verify_resumed(MPI_Comm comm, const std::string& output) {
  try {
    verify_polytope_checksums(comm, output);
  } catch (const CollectiveError& e) {
    int rank = 0;
    LPNN_MPI(MPI_Comm_rank(comm, &rank));
    if (rank == 0) std::remove(output.c_str());
    throw CollectiveError(
        fmt::format("the resumed build did not verify and was removed ({}); rebuild with --force", e.what()));
  }
}

}  // namespace

BuildReport build_polytope(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options) {
  if (!plan.refusal.empty()) throw CollectiveError("refused: " + plan.refusal);
  // A plan made for printing only (BuildRequest::sample_block false) counts the chain without its rows.
  if (sizes_only(plan.layout))
    throw CollectiveError(
        "the plan holds the chain's sizes only, not its sample block: plan the build with "
        "BuildRequest::sample_block = true");
  // A library caller may skip the planner: the matrix's indices must fit the PetscInt in use.
  const std::int64_t index_max = std::numeric_limits<PetscInt>::max();
  if (plan.layout.rows > index_max || plan.layout.cols > index_max || plan.layout.nnz > index_max)
    throw CollectiveError(
        fmt::format("refused: the polytope's indices overflow the {}-bit PetscInt in use (rows {}, "
                    "columns {}, nonzeros {}); use the 64-bit PETSc build or a smaller polytope",
                    8 * sizeof(PetscInt), plan.layout.rows, plan.layout.cols, plan.layout.nnz));
  const auto start = Clock::now();
  BuildReport report;
  report.layout = plan.layout;
  LPNN_MPI(MPI_Comm_size(comm, &report.ranks));

  // 1. Refuse a bad output path before any work, the same way on every rank; find an unfinished build.
  const BuildStart how = decide_start(comm, arch, plan.layout, options.output, options.force, options.resume);
  if (how == BuildStart::AlreadyComplete) {
    report.already_complete = report.resumed = true;
    report.resumed_samples = plan.layout.D;
    return report;
  }
  if (how == BuildStart::OnlyRename) {
    const std::string partial = partial_path(options.output);
    verify_polytope_checksums(comm, partial);
    std::string error;
    int rank = 0;
    LPNN_MPI(MPI_Comm_rank(comm, &rank));
    if (rank == 0 && std::rename(partial.c_str(), options.output.c_str()) != 0)
      error = fmt::format("renaming {} to {} failed: {}", partial, options.output, std::strerror(errno));
    throw_if_root_failed(comm, error);
    report.resumed = true;
    report.resumed_samples = plan.layout.D;
    return report;
  }
  report.resumed = how == BuildStart::Resume;
  // HDF5 chunks are below 4 GiB, and a compressed file's chunk holds one sample's nonzeros.
  if (options.storage.compressed() && plan.layout.nnz_per_sample() > (std::int64_t{1} << 28))
    throw CollectiveError(
        fmt::format("refused: --compression stores each sample's {} nonzeros in one HDF5 chunk, at most 2^28; use "
                    "--compression none",
                    plan.layout.nnz_per_sample()));
  // A resumed build's shares of the remaining samples are not the matrix's row blocks: it streams.
  report.streaming = options.streaming || report.resumed;

  PolytopeBuild build(comm, arch, plan, options, report);
  build.compute_template();
  PolytopeWriter writer(comm, options.output, {arch, plan.layout, plan.lipschitz_bmp, plan.lipschitz_numeric},
                        report.resumed ? WriterMode::Resume : WriterMode::Create, options.storage);
  build.plan_work(writer);
  build.generate_and_assemble();
  build.write(writer);
  build.commit(writer, start);
  if (report.resumed && writer.storage().compressed()) verify_resumed(comm, options.output);
  return report;
}

}  // namespace lpnn
